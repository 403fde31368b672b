"""The alliance's rules: SHACL shapes checked fast on the store, reasoning, metadata quality.

- `shapes`: read `shapes/` and compile each shape to SPARQL (pyshacl stays the reference);
- `validate`: per focus node validation, and pyshacl on the whole graph for comparison;
- `reports`: reports kept per run in their own named graph; text, JSON and Turtle;
- `incremental`: re-validate only what a change touched, and what depends on it;
- `reasoning`: the instance inferences the rules and analyses need (owlrl as reference);
- `quality`: data.europa.eu MQA scores per dataset, community and region;
- `hooks`: the rules view that follows every change (`regiongraph.change.VIEWS`).
"""
