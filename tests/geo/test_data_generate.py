"""A generated region (the benchmarks' data) has geometry too: each member's boundary is a
cell of one grid (neighbours touch, none overlap), every data.json record a bbox inside its
member's cell, every Turtle record its member's name, which the harvest resolves to the
member's boundary. So a 100k-dataset region has 100k datasets with coverage."""

import itertools

from regiongraph.generate.synthetic import generate_region
from regiongraph.geo.geometry import from_wkt_literal
from regiongraph.namespaces import sparql_prefixes
from regiongraph.pipeline import load_region_dir


def test_generated_region_has_coverage_everywhere(tmp_path, settings, store):
    generate_region(tmp_path / "region", datasets=300, seed=7)
    load_region_dir(store, settings, tmp_path / "region")
    rows = store.query(sparql_prefixes() + """
        SELECT ?f ?wkt WHERE { ?f a rg:Community ; geo:hasGeometry/geo:asWKT ?wkt }""",
                       union_default_graph=True)
    cells = {r["f"].value: from_wkt_literal(r["wkt"]) for r in rows}
    assert len(cells) >= 4
    for one, other in itertools.combinations(cells.values(), 2):
        assert one.intersection(other).area == 0
    assert any(a.touches(b) for a, b in itertools.combinations(cells.values(), 2))
    rows = store.query(sparql_prefixes() + """
        SELECT ?d ?c ?g ?wkt WHERE { ?d a dcat:Dataset ; rg:community ?c .
          OPTIONAL { ?d geo:hasGeometry ?g . ?g geo:asWKT ?wkt } }""", union_default_graph=True)
    rows = list(rows)
    assert len(rows) == 300
    own = by_name = 0
    for row in rows:
        assert row["wkt"] is not None, row["d"]
        coverage, cell = from_wkt_literal(row["wkt"]), cells[row["c"].value]
        if row["g"].value == row["c"].value + "/geometry":
            by_name += 1
        else:
            own += 1
            assert cell.contains(coverage) and coverage.area < cell.area, row["d"]
    assert own and by_name
    boxes = {from_wkt_literal(r["wkt"]).bounds for r in rows}
    assert len(boxes) > 200  # varied, not one box per member
