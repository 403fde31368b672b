"""On the demo, the fast path finds what pyshacl finds on the whole graph.

pyshacl needs minutes for all 400+ datasets of the demo (rdflib parses each SPARQL rule
once per focus node; bench/bench_rules.py compares the whole demo), so this test hands
pyshacl the whole demo graph but a fixed sample of focus nodes: every project, approval,
agreement and standard, up to four datasets per shape the fast path flags them for, and a
seeded random sample of the others. Every rule of the demo is in the sample.
"""

import datetime as dt
import random

from regiongraph.rules.validate import pyshacl_pairs, validate

DAY = dt.date(2026, 11, 25)


def test_fast_path_equals_pyshacl_on_the_demo(demo_store, demo_settings):
    fast = validate(demo_store, demo_settings, today=DAY)
    rows = demo_store.query("""
        SELECT DISTINCT ?s ?c WHERE { ?s a ?c VALUES ?c {
          <http://www.w3.org/ns/dcat#Dataset> <https://w3id.org/regiongraph/ns#Project>
          <https://w3id.org/regiongraph/ns#Approval> <http://purl.org/dc/terms/Standard>
          <https://w3id.org/regiongraph/ns#DataSharingAgreement> } }""",
                            union_default_graph=True)
    by_class: dict[str, set[str]] = {}
    for row in rows:
        by_class.setdefault(row["c"].value, set()).add(row["s"].value)
    datasets = by_class.pop("http://www.w3.org/ns/dcat#Dataset")
    per_shape: dict[str, list[str]] = {}
    for result in fast.results:
        if result.focus in datasets:
            per_shape.setdefault(result.shape, []).append(result.focus)
    flagged = {f for focus in per_shape.values() for f in sorted(focus)[:4]}
    others = sorted(datasets - {r.focus for r in fast.results})
    sample = set().union(*by_class.values()) | flagged | set(
        random.Random(7).sample(others, min(12, len(others))))
    reference = pyshacl_pairs(demo_store, demo_settings, today=DAY, focus=sample)
    mine = {p for p in fast.pairs if p[0] in sample}
    assert mine == reference
    rules = {shape.rsplit("#", 1)[-1].split("-")[0] for _, shape in reference}
    assert {"R1", "R2", "R3", "R4", "R5", "R6", "R7"} <= rules
