"""The demo on Virtuoso 7 (a real one, on loopback) answers as on the embedded store: the
catalog, data.json, search, the validation report, the planners' analyses and the anonymous
SPARQL view, compared route by route over real HTTP. The demo is loaded once per module."""

import datetime as dt
import itertools
import json
import re
from collections import Counter

import httpx
import pytest
from pyoxigraph import Literal, NamedNode, RdfFormat, parse
from regiongraph.api.app import create_app

from regiongraph.pipeline import load_demo
from regiongraph.settings import Settings
from regiongraph.store import open_store
from regiongraph.visibility import calendar_datasets, judge
from tests.support import clear_remote, remote_settings, serve_app
from tests.test_demo_load import comparable

pytestmark = pytest.mark.remote
ADMIN = {"Authorization": "Bearer test-admin-token"}
JSON = {"Accept": "application/json"}
DCAT = "http://www.w3.org/ns/dcat#"
MODIFIED = NamedNode("http://purl.org/dc/terms/modified")
WKT = NamedNode("http://www.opengis.net/ont/geosparql#wktLiteral")
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


@pytest.fixture(scope="module")
def embedded_demo(demo_settings):
    """The demo in a memory store of this module's own: the session's `demo_store` has a
    search index other modules write to."""
    store = open_store(demo_settings)
    load_demo(store, demo_settings)
    yield store
    store.close()


@pytest.fixture(scope="module")
def virtuoso_demo(virtuoso_url, demo_settings):
    """The demo loaded into Virtuoso through the one change path (its views included)."""
    settings = Settings(**remote_settings("virtuoso", virtuoso_url), base=demo_settings.base,
                        admin_token=demo_settings.admin_token, index="memory")
    store = open_store(settings)
    clear_remote(store)
    applied = load_demo(store, settings).applied
    yield store, settings, applied
    clear_remote(store)
    store.close()


@pytest.fixture(scope="module")
def servers(virtuoso_demo, embedded_demo, demo_settings):
    """(embedded, virtuoso): the service on each store, on loopback."""
    store, settings, _ = virtuoso_demo
    with serve_app(create_app(demo_settings, store=embedded_demo)) as embedded, \
            serve_app(create_app(settings, store=store)) as virtuoso:
        yield embedded, virtuoso


def both(servers, path: str, headers: dict | None = None) -> tuple[httpx.Response, ...]:
    answers = tuple(httpx.get(url + path, headers=headers or {}, timeout=120) for url in servers)
    for answer in answers:
        assert answer.status_code == 200, (path, answer.text[:300])
    return answers


def test_the_demo_loads_and_every_view_follows(virtuoso_demo, embedded_demo):
    store, _, applied = virtuoso_demo
    assert applied.failures == {}
    assert comparable(store.graphs()) == comparable(embedded_demo.graphs())


def catalog_triples(response: httpx.Response) -> set[tuple]:
    """The catalog's triples, with what differs by run and not by engine made equal: the
    server's own URL (Hydra paging), the catalogs' harvest time, and WKT literals compared
    as numbers (Virtuoso stores geometries and writes `32.10` back as `32.1`)."""
    here = str(response.request.url).split("/catalog")[0]
    found = set()
    for t in parse(response.content, RdfFormat.N_TRIPLES):
        if t.predicate == MODIFIED and "/catalogs/" in str(t.subject):
            continue
        obj = t.object
        if isinstance(obj, Literal) and obj.datatype == WKT:
            obj = ("wkt", tuple(float(n) for n in NUMBER.findall(obj.value)))
        found.add(tuple(str(x).replace(here, "") for x in (t.subject, t.predicate, obj)))
    return found


def test_catalog_lists_the_same_datasets_with_the_same_triples(servers):
    embedded, virtuoso = both(servers, "/catalog.nt?page_size=1000")
    mine, theirs = catalog_triples(embedded), catalog_triples(virtuoso)
    datasets = {o for s, p, o in mine if p == f"<{DCAT}dataset>"}
    assert len(datasets) > 300
    assert datasets == {o for s, p, o in theirs if p == f"<{DCAT}dataset>"}
    assert mine == theirs


def test_data_json_has_the_same_datasets(servers):
    embedded, virtuoso = (r.json()["dataset"] for r in both(servers, "/data.json"))
    assert len(embedded) > 300
    assert [d["identifier"] for d in embedded] == [d["identifier"] for d in virtuoso]
    assert embedded == virtuoso


def hits(body: dict) -> list[dict]:
    """Search hits with their list fields as sets: RDF keeps no order, so keywords and
    formats come back in each engine's own order."""
    return [{k: sorted(map(json.dumps, v)) if isinstance(v, list) else v for k, v in hit.items()}
            for hit in body["results"]]


@pytest.mark.parametrize("query", ["transit", "water quality", "gtfs", "permit*"])
def test_search_finds_the_same_hits(servers, query):
    embedded, virtuoso = (r.json() for r in both(servers, f"/search?q={query}&rows=100", JSON))
    assert embedded["results"], query
    assert hits(embedded) == hits(virtuoso)
    assert {k: v for k, v in embedded.items() if k != "results"} == \
        {k: v for k, v in virtuoso.items() if k != "results"}


def test_validation_gives_the_same_results_per_rule(servers):
    embedded, virtuoso = (r.json()["results"] for r in
                          both(servers, "/reports/latest?format=json", ADMIN))
    per_rule = Counter(r["shape"] for r in embedded)
    assert sum(per_rule.values()) > 50
    assert per_rule == Counter(r["shape"] for r in virtuoso)
    assert sorted(map(json.dumps, embedded)) == sorted(map(json.dumps, virtuoso))


@pytest.mark.parametrize("path", [
    "/governance", "/reuse", "/standards", "/capabilities", "/network",
    "/impact/valley-transit/gtfs-schedule", "/lineage/valley-transit/gtfs-schedule",
])
def test_planners_analyses_answer_the_same(servers, path):
    embedded, virtuoso = (r.json() for r in both(servers, path, {**ADMIN, **JSON}))
    assert embedded
    assert embedded == virtuoso


@pytest.mark.parametrize("query", [
    "SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> }",
    "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
])
def test_the_anonymous_sparql_view_sees_the_public_datasets(servers, query):
    accept = {"Accept": "application/sparql-results+json"}
    embedded, virtuoso = (httpx.post(url + "/sparql", data={"query": query}, headers=accept,
                                     timeout=120) for url in servers)
    rows = embedded.json()["results"]["bindings"]
    assert rows and int(rows[0]["n"]["value"]) > 0
    assert rows == virtuoso.json()["results"]["bindings"]


def test_the_publishing_rule_judges_every_day_the_same(virtuoso_demo, embedded_demo,
                                                       demo_settings):
    """Days before, inside and after the approvals' windows, and the calendar between them
    (Virtuoso may answer a bare date comparison from an index range that finds nothing)."""
    store, settings, _ = virtuoso_demo
    days = [dt.date(2023, 1, 1), dt.date.today(), dt.date(2030, 1, 1)]
    counts = set()
    for day in days:
        mine = judge(embedded_demo, demo_settings, day)
        assert mine == judge(store, settings, day), day
        counts.add(len(mine))
    assert len(counts) > 1
    for lo, hi in itertools.pairwise(days):
        assert calendar_datasets(embedded_demo, demo_settings, lo, hi) == \
            calendar_datasets(store, settings, lo, hi)
