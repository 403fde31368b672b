"""/metrics, /health and /ready over real HTTP on loopback."""

from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from regiongraph.api.app import create_app

from regiongraph import journal
from regiongraph.change import refresh
from regiongraph.iri import Minter
from regiongraph.rules.reports import latest_report, shape_name
from regiongraph.settings import Settings
from regiongraph.store import open_store
from tests.ops.conftest import TOKEN, write_graph
from tests.support import serve_app

FIXTURES = Path(__file__).parents[1] / "fixtures" / "harvest"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


def samples(url: str) -> dict[tuple[str, tuple], float]:
    """Every sample of a scrape, keyed by (name, sorted labels)."""
    answer = httpx.get(f"{url}/metrics", timeout=30)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(answer.text) for s in family.samples}


def value(found: dict, name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def service(tmp_path):
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        "sources:\n"
        f"  - {{id: good, community: testville, type: datajson, path: {FIXTURES}/catalog-v1.json}}\n"
        f"  - {{id: gaps, community: testville, type: datajson, "
        f"path: {FIXTURES}/missing-and-duplicates.json}}\n"
        f"  - {{id: gone, community: testville, type: datajson, path: {tmp_path}/none.json}}\n")
    settings = Settings(store=str(tmp_path / "store"), admin_token=TOKEN, sources=str(sources),
                        query_timeout=2.0)
    store = open_store(settings)
    write_graph(store, settings, "small", 40)
    with serve_app(create_app(settings, store=store)) as url:
        yield url, store, settings
    store.close()


def test_requests_are_counted_and_timed_by_route_template(service):
    url, _, _ = service
    before = samples(url)
    for path in ("/datasets/a/one", "/datasets/b/two", "/no/such/page", "/health"):
        httpx.get(url + path, timeout=30)
    found = samples(url)
    template = "/datasets/{path:path}"
    assert value(found, "regiongraph_http_requests_total", method="GET", route=template,
                 status="404") - value(before, "regiongraph_http_requests_total", method="GET",
                                       route=template, status="404") == 2
    assert value(found, "regiongraph_http_requests_total", method="GET", route="unmatched",
                 status="404") >= 1
    assert value(found, "regiongraph_http_request_duration_seconds_count", method="GET",
                 route="/health") >= 1
    assert not any("one" in dict(labels).get("route", "") for _, labels in found)


def test_sparql_queries_timeouts_and_rows(service):
    url, _, _ = service
    before = samples(url)
    construct = "CONSTRUCT { ?s <https://example.org/p> ?o } WHERE { ?s <https://example.org/p> ?o }"
    rows = httpx.get(f"{url}/sparql", params={"query": construct},
                     headers={**ADMIN, "Accept": "application/n-triples"}, timeout=30)
    assert rows.status_code == 200 and rows.text.count("\n") == 40
    # 40⁵ rows, each through a regex: over a minute, stopped at the 2 s limit (a limit
    # the quick query above keeps under on a loaded machine: its process forks first)
    slow = ("SELECT (COUNT(*) AS ?n) WHERE { ?a <https://example.org/p> ?x . "
            "?b <https://example.org/p> ?y . ?c <https://example.org/p> ?z . "
            "?d <https://example.org/p> ?w . ?e <https://example.org/p> ?v . "
            "FILTER(REGEX(CONCAT(?x, ?y, ?z, ?w, ?v), 'x$')) }")
    timed_out = httpx.get(f"{url}/sparql", params={"query": slow}, headers=ADMIN, timeout=30)
    bad = httpx.get(f"{url}/sparql", params={"query": "SELEKT nothing"}, timeout=30)
    assert (timed_out.status_code, bad.status_code) == (503, 400)
    found = samples(url)

    def grew(name: str, **labels: str) -> float:
        return value(found, name, **labels) - value(before, name, **labels)

    assert grew("regiongraph_sparql_queries_total", outcome="ok") == 1
    assert grew("regiongraph_sparql_queries_total", outcome="timeout") == 1
    assert grew("regiongraph_sparql_queries_total", outcome="error") == 1
    assert grew("regiongraph_sparql_rows_total") == 40


def test_harvest_runs_records_and_errors_per_source(service):
    url, _, _ = service
    before = samples(url)
    answers = [httpx.post(f"{url}/harvest/{source}", headers=ADMIN, timeout=120).json()
               for source in ("good", "good", "gaps", "gone")]
    found = samples(url)

    def grew(name: str, **labels: str) -> float:
        return value(found, name, **labels) - value(before, name, **labels)

    good, again, gaps, gone = answers
    assert grew("regiongraph_harvest_runs_total", source="good", status="ok") == 1
    assert grew("regiongraph_harvest_runs_total", source="good", status=again["status"]) == 1
    assert grew("regiongraph_harvest_runs_total", source="gone", status="failed") == 1
    assert grew("regiongraph_harvest_records_total", source="good",
                outcome="created") == good["created"] > 0
    errors = [e for e in gaps["errors"] if e["severity"] == "error"]
    assert errors and grew("regiongraph_harvest_errors_total", source="gaps",
                           severity="error") == len(errors)
    assert gone["status"] == "failed"


def test_store_size_version_and_model(service):
    url, store, settings = service
    found = samples(url)
    assert value(found, "regiongraph_store_up") == 1
    assert value(found, "regiongraph_store_quads") == len(store.oxigraph)
    assert value(found, "regiongraph_store_version") == journal.version(store, settings)
    assert value(found, "regiongraph_data_model_version") == 1


def test_validation_results_per_rule(demo_store, demo_settings):
    report = latest_report(demo_store, demo_settings)
    assert report is not None and report.results
    expected: dict[tuple[str, str], int] = {}
    for result in report.results:
        key = (shape_name(result.shape), result.severity.rsplit("#", 1)[-1].lower())
        expected[key] = expected.get(key, 0) + 1
    with serve_app(create_app(demo_settings, store=demo_store)) as url:
        found = samples(url)
    scraped = {(dict(labels)["rule"], dict(labels)["severity"]): v
               for (name, labels), v in found.items() if name == "regiongraph_validation_results"}
    assert scraped == expected


def test_health_does_not_ask_the_store_and_ready_reports_lagging_views(service):
    url, store, settings = service
    health = httpx.get(f"{url}/health", timeout=10)
    assert health.status_code == 200 and set(health.json()) == {"status", "store", "version"}
    ready = httpx.get(f"{url}/ready", timeout=30)
    assert ready.status_code == 200 and ready.json()["lagging"] == []

    # a write journalled whose views never followed (the writer was killed in between)
    graph = Minter(settings.base).graph("source", "late")
    store.update(f"INSERT DATA {{ GRAPH <{graph.value}> {{ <https://example.org/late> "
                 "<https://example.org/p> 'late' } }")
    journal.append(store, settings, journal.Change(road="test", graphs=(graph.value,)))
    lagging = httpx.get(f"{url}/ready", timeout=30)
    assert lagging.status_code == 503
    assert lagging.json()["lagging"] == ["notify", "publishable", "rules"]
    assert lagging.json()["view_lag"]["rules"] == 1
    assert value(samples(url), "regiongraph_view_lag", view="rules") == 1

    assert refresh(store, settings) == {}
    assert httpx.get(f"{url}/ready", timeout=30).status_code == 200
    assert value(samples(url), "regiongraph_view_lag", view="rules") == 0
