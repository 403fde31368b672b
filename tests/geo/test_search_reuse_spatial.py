"""The reuse ranking's "spatial" reason (issue 19): real overlap of a dataset's coverage with
the project's area, measured with shapely, the overlap and its grounds kept as evidence."""

from pyoxigraph import Literal, NamedNode

from regiongraph.analysis.region import load_region
from regiongraph.analysis.reuse import reuse
from tests.analysis.graphs import REGISTRY, ds, project
from tests.analysis.test_planning import build_region

GEO = "http://www.opengis.net/ont/geosparql#"


def region_with_area(wkt: str):
    b = build_region()
    area = NamedNode(project("transit").value + "/area")
    b.q(project("transit"), NamedNode(GEO + "hasGeometry"), area, REGISTRY)
    b.q(area, NamedNode(GEO + "asWKT"), Literal(wkt, datatype=NamedNode(GEO + "wktLiteral")),
        REGISTRY)
    return load_region(b.store())


def spatial_reason(region, dataset: str, for_project: str):
    result = reuse(region)
    [item] = [i for i in result.items
              if i.dataset == ds(dataset).value and i.for_project == project(for_project).value]
    return next((r for r in item.reasons if r.kind == "spatial"), None), item


def test_the_overlap_with_the_projects_area_is_the_evidence():
    # a/bus-stops covers (0,0)-(2,2); the project's area (1,1)-(4,4) holds a quarter of it
    reason, item = spatial_reason(region_with_area("POLYGON((1 1,4 1,4 4,1 4,1 1))"),
                                  "a/bus-stops", "transit")
    assert reason is not None
    assert reason.evidence == [project("transit").value]
    assert reason.overlap == round((1 / 9 + 1 / 4) / 2, 6)
    assert "11% of that area" in reason.text and "25% of its coverage" in reason.text
    assert abs(item.score - sum(r.points for r in item.reasons)) < 1e-6


def test_boxes_that_touch_are_not_an_overlap():
    # the triangle's bounding box meets (0,0)-(2,2), the triangle itself does not
    reason, item = spatial_reason(region_with_area("POLYGON((1.9 4,4 1.9,4 4,1.9 4))"),
                                  "a/bus-stops", "transit")
    assert reason is None
    assert {r.kind for r in item.reasons} >= {"domain", "standard"}


def test_without_an_area_the_projects_data_stands_in():
    reason, _ = spatial_reason(load_region(build_region().store()), "a/bus-stops", "transit")
    # transit uses b/bus-stops, (1,1)-(3,3): a quarter of each box is shared
    assert reason is not None and reason.evidence == [ds("b/bus-stops").value]
    assert reason.overlap == 0.25
