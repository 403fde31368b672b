"""Rules over real HTTP: reports (filtered for anonymous users), uploads, quality."""

import httpx
import pytest
import rdflib
from rdflib.namespace import DCTERMS, SH
from regiongraph.api.app import create_app

from regiongraph.iri import Minter
from regiongraph.visibility import public_nodes
from tests.rules.world import BREAKS, GOOD, world_turtle
from tests.support import serve_app

SHAPES = "https://w3id.org/regiongraph/shapes#"


@pytest.fixture(scope="module")
def service(demo_store, demo_settings):
    with serve_app(create_app(demo_settings, store=demo_store)) as url:
        yield url


def admin(settings) -> dict:
    return {"Authorization": f"Bearer {settings.admin_token}"}


def test_latest_report_for_stewards_and_for_anonymous(service, demo_store, demo_settings):
    full = httpx.get(f"{service}/reports/latest", headers=admin(demo_settings), timeout=60)
    assert full.status_code == 200
    body = full.json()
    assert body["conforms"] is False
    shapes = {r["shape"].removeprefix(SHAPES) for r in body["results"]}
    assert {"R1-PublicDatasetApproved", "R2-SensitiveSharedUnderAgreement",
            "R3-CrossCommunityUseCovered", "R4-StrategyApproved", "R5-ValidityCoherent",
            "R6-DistributionFitsStandard", "R7-EndingSoon"} <= shapes
    for result in body["results"]:
        assert set(result) >= {"focus", "path", "shape", "severity", "message", "community"}
    anonymous = httpx.get(f"{service}/reports/latest", timeout=60).json()
    assert 0 < len(anonymous["results"]) < len(body["results"])
    nodes = public_nodes(demo_store, demo_settings)
    for result in anonymous["results"]:
        assert result["focus"] in nodes.public and result["focus"] not in nodes.private
    assert not any("/ocotillo/" in r["focus"] for r in anonymous["results"])


def test_latest_report_as_turtle_and_html(service, demo_settings):
    turtle = httpx.get(f"{service}/reports/latest", headers={"Accept": "text/turtle"}, timeout=60)
    assert turtle.status_code == 200 and "sh:ValidationReport" in turtle.text
    steward = {**admin(demo_settings), "Accept": "text/turtle"}
    graph = rdflib.Graph().parse(data=httpx.get(f"{service}/reports/latest", headers=steward,
                                                timeout=60).text, format="turtle")
    (node,) = graph.subjects(rdflib.RDF.type, SH.ValidationReport)
    assert node == rdflib.URIRef(Minter(demo_settings.base).iri("report", "current").value)
    assert graph.value(node, DCTERMS.source) is not None, "names the run it comes from"
    as_json = httpx.get(f"{service}/reports/latest?format=json", headers=admin(demo_settings),
                        timeout=60).json()
    assert len(list(graph.objects(node, SH.result))) == len(as_json["results"]) > 0
    html = httpx.get(f"{service}/reports/latest?format=html", headers=admin(demo_settings),
                     timeout=60)
    assert html.status_code == 200
    assert "R4-StrategyApproved" in html.text and "what to fix" in html.text


def test_validate_upload(service):
    good = httpx.post(f"{service}/validate?today=2026-11-25", content=GOOD.encode(),
                      headers={"Content-Type": "text/turtle"}, timeout=60)
    assert good.status_code == 200, good.text
    assert good.json()["conforms"] is True and good.json()["triples"] > 50
    remove, add, focus, shape = BREAKS["R5a"]
    bad = httpx.post(f"{service}/validate?today=2026-11-25",
                     content=world_turtle(remove, add).encode(),
                     headers={"Content-Type": "text/turtle"}, timeout=60)
    assert bad.status_code == 200
    assert (focus, SHAPES + shape) in {(r["focus"], r["shape"]) for r in bad.json()["results"]}


def test_validate_rejects_bad_uploads(service):
    broken = httpx.post(f"{service}/validate", content=b"@prefix ex: <http://e/> .\nex:a ex:b .\n",
                        headers={"Content-Type": "text/turtle"}, timeout=30)
    assert broken.status_code == 400
    assert "line 2" in broken.json()["detail"]
    jsonld = httpx.post(f"{service}/validate", content=b'{"@id": "http://e/a", "http://e/b": [',
                        headers={"Content-Type": "application/ld+json"}, timeout=30)
    assert jsonld.status_code == 400 and "line 1" in jsonld.json()["detail"]
    wrong = httpx.post(f"{service}/validate", content=b"a,b\n", timeout=30,
                       headers={"Content-Type": "text/csv"})
    assert wrong.status_code == 415


def test_validate_caps_the_upload(demo_store, demo_settings):
    small = demo_settings.with_overrides(max_request_bytes=1000)
    with serve_app(create_app(small, store=demo_store)) as url:
        response = httpx.post(f"{url}/validate", content=GOOD.encode(),
                              headers={"Content-Type": "text/turtle"}, timeout=30)
    assert response.status_code == 413


def test_quality(service):
    response = httpx.get(f"{service}/quality?datasets=true", timeout=120)
    assert response.status_code == 200
    body = response.json()
    assert body["max_points"] == 405
    region = body["region"]
    assert region["datasets"] > 200 and 0 < region["mean"] <= 405
    assert region["band"] in ("Excellent", "Good", "Sufficient", "Bad")
    assert {c["scope"] for c in body["communities"]} >= {"saguaro", "mesquite", "state-dot"}
    one = body["datasets"][0]
    assert abs(sum(one["dimensions"].values()) - one["score"]) < 0.2
    assert set(one["dimensions"]) == {"findability", "accessibility", "interoperability",
                                      "reusability", "contextuality"}
    only = httpx.get(f"{service}/quality?community=saguaro", timeout=120).json()
    assert [c["scope"] for c in only["communities"]] == ["saguaro"]
