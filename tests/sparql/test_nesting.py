"""Deep or long input is refused with a 400 naming the limit, and the server lives on.

Each of these once ended the server with SIGSEGV (pyoxigraph overflowed its stack), so the
server runs in its own process here: a crash shows as a dead process and a refused
connection, not as a dead test run. Every shape is sent at 1k, 10k and 100k, then a plain
query must still answer.
"""

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.sparql.conftest import ADMIN, TOKEN
from tests.support import free_port, wait_until_up

SIZES = (1_000, 10_000, 100_000)
P = "<http://example.org/p>"
DEPTH, TOKENS, JSON_DEPTH = ("REGIONGRAPH_MAX_QUERY_DEPTH", "REGIONGRAPH_MAX_QUERY_TOKENS",
                             "REGIONGRAPH_MAX_JSON_DEPTH")

QUERIES: dict[str, tuple[Callable[[int], str], str]] = {
    # name: (query of size n, the limit it must hit)
    "braces": (lambda n: "SELECT * WHERE " + "{ " * n + "?s ?p ?o " + "} " * n, DEPTH),
    "filter-parens": (lambda n: "SELECT * { ?s ?p ?o FILTER(" + "(" * n + "?o" + ")" * n + ") }",
                      DEPTH),
    "path-parens": (lambda n: "SELECT * { ?s " + "(" * n + P + ")" * n + " ?o }", DEPTH),
    "or": (lambda n: "SELECT * { ?s ?p ?o FILTER(" + " || ".join(["?o"] * n) + ") }", TOKENS),
    "union": (lambda n: "SELECT * { " + " UNION ".join(["{ ?s ?p ?o }"] * n) + " }", TOKENS),
    "not-exists": (lambda n: "SELECT * { ?s ?p ?o " + "FILTER NOT EXISTS { ?s ?p ?o " * n
                   + "}" * n + " }", DEPTH),
    "str": (lambda n: "SELECT * { ?s ?p ?o FILTER(" + "STR(" * n + "?o" + ")" * n + ") }", DEPTH),
    "bang": (lambda n: "SELECT * { ?s ?p ?o FILTER(" + "!" * n + "?o) }", TOKENS),
    "subqueries": (lambda n: "SELECT * { " + "{ SELECT * WHERE " * n + "{ ?s ?p ?o }"
                   + " }" * n + " }", DEPTH),
    "flat-triples": (lambda n: "SELECT * { " + " ".join(f"?s {P} ?o{i} ." for i in range(n))
                     + " }", TOKENS),
}
HARMLESS = {("bang", 1_000)}
"""Within the limits, and measured harmless: 1,000 `!` parse fine (10,000 crashed)."""


def jsonld(n: int) -> bytes:
    return ('{"@id": "http://example.org/a", "http://example.org/p": '
            + '{"http://example.org/p": ' * n + "1" + "}" * n + "}").encode()


SERVER = """
import sys, uvicorn
from regiongraph.api.app import create_app
from regiongraph.settings import Settings
settings = Settings(store="memory", admin_token=sys.argv[2])
uvicorn.run(create_app(settings), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""


class Served:
    def __init__(self, url: str, process: subprocess.Popen) -> None:
        self.url, self.process = url, process

    def assert_alive(self) -> None:
        """The process still runs and a plain query answers."""
        assert self.process.poll() is None, f"the server died with {self.process.returncode}"
        answer = httpx.get(self.url + "/sparql", params={"query": "ASK { ?s ?p ?o }"},
                           headers={"Accept": "application/sparql-results+json"}, timeout=30)
        assert answer.status_code == 200 and "boolean" in answer.json()


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", SERVER, str(port), TOKEN],
                               env={**os.environ}, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_up(url + "/health")
        yield Served(url, process)
    finally:
        process.terminate()
        process.wait(timeout=10)


def post(served: Served, path: str, body: bytes | str, media: str, *, admin: bool = False,
         ) -> httpx.Response:
    headers = {"Content-Type": media, **(ADMIN if admin else {})}
    try:
        return httpx.post(served.url + path, content=body, headers=headers, timeout=60)
    except httpx.TransportError as error:  # the server died mid-request
        pytest.fail(f"no answer ({error}); server exit code {served.process.poll()}")


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("shape", QUERIES)
def test_anonymous_query_shapes_are_refused_naming_the_limit(served, shape, n):
    build, limit = QUERIES[shape]
    response = post(served, "/sparql", build(n), "application/sparql-query")
    if (shape, n) in HARMLESS:
        assert response.status_code == 200, response.text
    else:
        assert response.status_code == 400, response.text[:300]
        assert limit in response.text and "exceeds the limit of" in response.text
    served.assert_alive()


@pytest.mark.parametrize("n", SIZES)
def test_update_with_nested_braces_is_refused(served, n):
    update = "INSERT { <urn:a> <urn:b> 1 } WHERE " + "{ " * n + "?s ?p ?o " + "} " * n
    response = post(served, "/sparql", update, "application/sparql-update", admin=True)
    assert response.status_code == 400 and DEPTH in response.text, response.text[:300]
    served.assert_alive()


@pytest.mark.parametrize("n", SIZES)
def test_deep_jsonld_to_validate_is_refused(served, n):
    response = post(served, "/validate", jsonld(n), "application/ld+json")
    assert response.status_code == 400 and JSON_DEPTH in response.text, response.text[:300]
    served.assert_alive()


@pytest.mark.parametrize("n", SIZES)
def test_deep_jsonld_to_the_graph_store_is_refused(served, n):
    response = post(served, "/store?graph=http://example.org/g", jsonld(n),
                     "application/ld+json", admin=True)
    assert response.status_code == 400 and JSON_DEPTH in response.text, response.text[:300]
    assert "nothing was written" in response.text
    served.assert_alive()


@pytest.mark.parametrize("n", SIZES)
def test_deep_json_to_ckan_package_search_is_a_400(served, n):
    body = '{"q": "x", "fq": ' + "[" * n + "]" * n + "}"
    response = post(served, "/api/3/action/package_search", body, "application/json")
    assert response.status_code == 400, response.text[:300]
    assert JSON_DEPTH in response.json()["error"]["message"]
    served.assert_alive()


@pytest.mark.parametrize("n", SIZES)
def test_deep_lineage_events_are_a_400_naming_the_limit(served, n):
    body = '{"eventType": "START", "run": ' + '{"a": ' * n + "1" + "}" * n + "}"
    response = post(served, "/lineage/events?community=testville", body, "application/json",
                    admin=True)
    assert response.status_code == 400, response.text[:300]
    assert JSON_DEPTH in response.json()["message"]
    served.assert_alive()


def test_generous_real_queries_still_work(served):
    """25 levels deep, 1,450 tokens, and a VALUES block of 20,000 terms (which never count)."""
    deep = "SELECT ?o WHERE " + "{ " * 25 + "?s ?p ?o " + "} " * 25
    long = ("SELECT * WHERE { VALUES ?v { " + " ".join(f'"{i}"' for i in range(20_000))
            + " } ?s ?p ?o FILTER(" + " || ".join(["?o = ?v"] * 360) + ") }")
    for query in (deep, long):
        response = post(served, "/sparql", query, "application/sparql-query")
        assert response.status_code == 200, response.text[:300]
        assert json.loads(response.text)["results"]["bindings"] == []
    inserted = post(served, "/sparql", "INSERT DATA { GRAPH <http://example.org/g> { "
                    + " ".join(f"<urn:a> <urn:b> {i} ." for i in range(20_000)) + " } }",
                    "application/sparql-update", admin=True)
    assert inserted.status_code == 204, inserted.text[:300]
    served.assert_alive()


def test_cli_query_refuses_deep_text_with_one_line():
    deep = QUERIES["braces"][0](10_000)
    done = subprocess.run([sys.executable, "-m", "regiongraph", "--store", "memory", "query",
                           "-q", deep], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, (done.returncode, done.stderr[-300:])  # an error, not -11
    assert "query nesting depth exceeds the limit of 100" in done.stderr + done.stdout
