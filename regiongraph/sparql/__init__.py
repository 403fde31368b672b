"""The researchers' SPARQL service, as kernel code the API and the CLI share.

- `guard`: lexical checks before anything reaches the store (SERVICE, LOAD, query form,
  dataset clauses, protocol `using-graph-uri`);
- `execute`: run a query with the endpoint's dataset rules, time limit and row cap, and
  write results in bounded memory;
- `serialize`: row-by-row SPARQL JSON/XML/CSV/TSV for capped results;
- `public`: the anonymous view, a memory store of public quads kept current;
- `library`: the named queries in `queries/*.rq`, with typed parameters;
- `service`: the SPARQL service description;
- `graphstore`: Graph Store Protocol uploads parsed safely (no XML entity bombs) and
  written atomically.
"""
