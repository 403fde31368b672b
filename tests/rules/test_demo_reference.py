"""On the whole demo, the fast path finds exactly the (focus node, shape) pairs pyshacl
finds on the whole graph, and the demo breaks every governance rule.

pyshacl gets every data graph of the demo as one rdflib graph and the same shapes; its
SPARQL texts are prepared once (`validate.prepared_queries`), which brings it from
about 3.5 minutes to about 12 seconds without changing what it evaluates.
"""

import datetime as dt

from regiongraph.rules.validate import pyshacl_pairs, validate

DAY = dt.date(2026, 11, 25)


def test_fast_path_equals_pyshacl_on_the_whole_demo(demo_store, demo_settings):
    fast = validate(demo_store, demo_settings, today=DAY)
    reference = pyshacl_pairs(demo_store, demo_settings, today=DAY)
    assert fast.pairs == reference
    rules = {shape.rsplit("#", 1)[-1].split("-")[0] for _, shape in reference}
    assert {"R1", "R2", "R3", "R4", "R5", "R6", "R7"} <= rules
    assert len(reference) > 50
