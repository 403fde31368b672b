"""More than 200 bad inputs, counted: loaders, API, SPARQL.

Each gets a clean answer: below 500 with no traceback from the API (a 4xx where the input
is refused), a failed source or a reported record error from a harvest, and the store's
quads are unchanged whenever the input is refused (but for the report of a failed
harvest, which the harvest log keeps by design). A query past the time limit gets the
stated 503 (Retry-After) or, when its results were already streaming, a cut stream; those
are counted apart.
"""

import gzip
import io
import json
import threading
from pathlib import Path

import httpx
import pytest

from regiongraph.harvest import FetchPolicy, SourceConfig, harvest_source
from regiongraph.settings import Settings
from regiongraph.store import open_store
from tests.harvest.fixture_server import FIXTURES, FixtureServer
from tests.soak.conftest import FIGURES
from tests.sparql.conftest import ADMIN

TRAVERSALS = ["../../../../etc/passwd", "..%2F..%2F..%2Fetc%2Fpasswd", "%2e%2e/%2e%2e/etc/passwd",
              "....//....//etc/passwd", "a%00b", "%ff%fe", "x" * 5000, "a/b/c/d/e/f/g",
              "<script>alert(1)</script>", "%0d%0aSet-Cookie:x=1", "~root", "%u2215etc"]
PATH_ROUTES = ["/datasets/{p}", "/datasets/saguaro/{p}", "/communities/{p}",
               "/communities/{p}/catalog", "/communities/{p}/data.json", "/projects/{p}",
               "/lineage/{p}", "/impact/{p}", "/dataset/{p}", "/organization/{p}",
               "/queries/{p}", "/api/3/action/{p}", "/harvest/{p}/history", "/standards/{p}",
               "/assets/{p}", "/catalog.{p}"]
BAD_PARAMS = [
    ("/catalog", {"page": "-1"}), ("/catalog", {"page": "0"}), ("/catalog", {"page": "1e99"}),
    ("/catalog", {"page": str(10 ** 30)}), ("/catalog", {"page_size": "-5"}),
    ("/catalog", {"page_size": "100000000"}), ("/catalog", {"page_size": "abc"}),
    ("/catalog", {"modified_since": "yesterday"}), ("/catalog", {"modified_since": "2026-13-45"}),
    ("/data.json", {"page": "-3"}), ("/search", {"page": "-1"}), ("/search", {"page": "1e9"}),
    ("/search", {"rows": "-1"}), ("/search", {"rows": "999999999"}), ("/search", {"rows": "x"}),
    ("/search", {"sort": "nonsense"}), ("/search", {"fq": "nocolon"}),
    ("/search", {"fq": "unknown:value"}), ("/search", {"q": "((((((((("}),
    ("/search", {"q": "\"unclosed"}), ("/search", {"q": "a" * 20000}), ("/search", {"q": "*"}),
    ("/search", {"q": "title:[* TO"}), ("/search", {"q": "-"}),
    ("/api/3/action/package_search", {"rows": "-1"}),
    ("/api/3/action/package_search", {"rows": "1e12"}),
    ("/api/3/action/package_search", {"start": "-10"}),
    ("/api/3/action/package_search", {"fq": "))(("}),
    ("/api/3/action/package_search", {"sort": "; DROP"}),
    ("/api/3/action/package_show", {}), ("/api/3/action/package_show", {"id": "../x"}),
    ("/api/3/action/resource_show", {"id": "nope"}),
    ("/api/3/action/current_package_list_with_resources", {"limit": "-1"}),
    ("/api/3/action/current_package_list_with_resources", {"offset": "x"}),
    ("/api/3/action/package_autocomplete", {"q": "\x00"}), ("/api/3/action/help_show", {}),
    ("/api/3/action/group_show", {"id": "?"}), ("/api/3/action/organization_show", {"id": ""}),
    ("/lineage/saguaro/x", {"depth": "-1"}), ("/lineage/saguaro/x", {"depth": "100000"}),
    ("/lineage/saguaro/x", {"direction": "sideways"}), ("/reuse", {"community": "../x"}),
    ("/governance", {"days": "-1"}), ("/queries/datasets-by-community", {"community": "a b"}),
    ("/queries/approvals-expiring-soon", {"days": "ten"}),
    ("/queries/approvals-expiring-soon", {"asOf": "not-a-date"}),
    ("/store", {"graph": "not an iri"}), ("/store", {"graph": "<urn:x>"}),
    ("/store", {"graph": "http://x/\" onmouseover"}), ("/store", {"graph": ""}),
    ("/store", {"default": "", "graph": "urn:x"}),
    ("/sparql", {"query": "ASK {}", "default-graph-uri": "not an iri"}),
    ("/sparql", {"query": "ASK {}", "named-graph-uri": "<>"}),
    ("/sparql", {"query": "ASK {}", "format": "application/x-nope"}),
    ("/sparql", {"query": "ASK {}", "format": ["json", "xml"]}),
    ("/sparql", {"query": ["ASK {}", "ASK {}"]}), ("/reports/latest", {"format": "exe"}),
    ("/quality", {"community": "\x7f"}), ("/network", {"top": "-1"}),
]
MALFORMED_SPARQL = [
    "", " ", "SELECT", "SELECT * WHERE {", "SELECT * WHERE { ?s ?p }", "ASK { <unclosed ?p ?o }",
    "SELEC * WHERE {}", "SELECT * WHERE { ?s ?p ?o } LIMIT -1", "SELECT * WHERE { ?s ?p ?o } LIMIT x",
    "PREFIX : SELECT * {}", "SELECT * WHERE { ?s a nope:Thing }", "CONSTRUCT WHERE { ?s ?p }",
    "DESCRIBE", "SELECT (COUNT(*) AS ?n) (SUM(?x) AS ?n) WHERE { ?s ?p ?x }",
    "SELECT ?x WHERE { BIND(1 AS ?x) BIND(2 AS ?x) }", "SELECT * WHERE { FILTER(<urn:unknownfn>(1)) }",
    "SELECT * WHERE { ?s ?p ?o FILTER(REGEX(?o, \"(\")) } LIMIT 1",
    "SELECT * WHERE { ?s ?p \"\\ud800\" }", "SELECT * WHERE { ?s ?p \"unterminated }",
    "SELECT * WHERE { ?s <http://x/ y> ?o }", "SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }",
    "SELECT * FROM <file:///etc/passwd> WHERE { ?s ?p ?o }", "INSERT DATA { <a> <b> <c> }",
    "LOAD <file:///etc/passwd>", "SELECT * WHERE { ?s ?p ?o } GROUP BY", "\x00\x01\x02",
    "SELECT * WHERE { " + "{ " * 5000 + "}" * 5000 + " }", "ASK { FILTER(" + "!" * 20000 + "true) }",
    "SELECT * WHERE { " + " UNION ".join(["{ ?s ?p ?o }"] * 10000) + " }",
    "SELECT * WHERE { " + "?s ?p ?o . " * 30000 + "}",
    "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } LIMIT 1",
    "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } LIMIT 100000",
]
BAD_UPDATES = ["DROP GRAPH <urn:missing>", "MOVE <urn:missing> TO <urn:x>", "CLEAR GRAPH <urn:none>",
               "INSERT DATA { <a> }", "DELETE WHERE {", "LOAD <http://127.0.0.1:1/x>",
               "LOAD <file:///etc/passwd> INTO GRAPH <urn:x>", "INSERT { ?s ?p ?o } WHERE { SERVICE <http://x/> { ?s ?p ?o } }",
               "CREATE GRAPH <not an iri>", "DROP ALL ; DROP GRAPH <urn:missing>",
               "INSERT DATA { GRAPH <urn:x> { <urn:a> <urn:b> \"\\ud800\" } }"]
CAP = 10_000_000
DEMO_BASE = "https://data.sonoranvalley.example/"


def body_cases() -> list[tuple[str, str, dict]]:
    """(method, path, httpx keyword arguments) of bodies that must be refused."""
    json_ct, ttl = {"Content-Type": "application/json"}, {"Content-Type": "text/turtle"}
    deep = b"[" * 100_000 + b"]" * 100_000
    cases = []
    for path in ("/api/3/action/package_search", "/lineage/events", "/validate"):
        for body in (b"{", b"not json", b"[]", b"null", b"\xff\xfe{}", deep,
                     b'{"q": "\\ud800"}', b"{" + b'"a":1,' * 10 + b"}"):
            cases.append(("POST", path, {"content": body, "headers": {**json_ct, **ADMIN}}))
    for path in ("/sparql", "/validate", "/store?graph=urn:soak:big", "/lineage/events",
                 "/api/3/action/package_search"):
        cases.append(("POST", path, {"content": b" " * (CAP + 10),
                                     "headers": {"Content-Type": "text/turtle", **ADMIN}}))
    for ctype in ("application/x-nope", "image/png", "text/plain; charset=latin-1", "",
                  "multipart/form-data; boundary=x"):
        cases.append(("POST", "/sparql", {"content": b"ASK {}", "headers": {"Content-Type": ctype}}))
        cases.append(("PUT", "/store?graph=urn:soak:ct", {"content": b"<a> <b> <c> .",
                                                          "headers": {"Content-Type": ctype, **ADMIN}}))
        cases.append(("POST", "/validate", {"content": b"<a> <b> <c> .",
                                            "headers": {"Content-Type": ctype}}))
    for turtle in (b"@prefix : .", b"<a> <b> .", b"<http://x/ y> <b> <c> .", b"\xff\xfe",
                   b"<a> <b> \"\\ud800\" .", b'<!DOCTYPE x [<!ENTITY a "b">]><x/>'):
        cases.append(("PUT", "/store?graph=urn:soak:t", {"content": turtle, "headers": {**ttl, **ADMIN}}))
        cases.append(("POST", "/validate", {"content": turtle, "headers": ttl}))
    for coding in ("gzip", "deflate"):
        cases.append(("POST", "/sparql", {"content": gzip.compress(b"ASK {}"), "headers": {
            "Content-Type": "application/sparql-query", "Content-Encoding": coding}}))
    for update in BAD_UPDATES:
        cases.append(("POST", "/sparql", {"data": {"update": update}, "headers": ADMIN}))
    cases.append(("POST", "/lineage/edges", {"json": {"source": "../x"}, "headers": ADMIN}))
    cases.append(("POST", "/lineage/edges", {"content": b"[[[[", "headers": {**json_ct, **ADMIN}}))
    cases.append(("DELETE", "/lineage/edges", {"params": {"source": "x"}, "headers": ADMIN}))
    cases.append(("POST", "/harvest/..%2F..%2Fetc", {"headers": ADMIN}))
    cases.append(("POST", "/harvest/no-such-source", {"headers": ADMIN}))
    return cases


def member_cases(member: str) -> list[tuple[str, str, dict]]:
    """Bad bodies, with a member's valid token, to every member write route the app declares
    (workflow, forum and annotations, tokens, follows, saved searches, webhooks): each must
    be refused, never a 5xx, and change nothing."""
    from tests.soak.test_security import write_routes

    auth = {"Authorization": f"Bearer {member}"}
    staff = ("/admin", "/store", "/sparql", "/harvest", "/lineage", "/api/v1/lineage")
    bodies = [b"{", b"[]", b"null", b"\xff\xfe{}", b"[" * 5000 + b"]" * 5000,
              b'{"q": "\\ud800", "url": "\\ud800", "title": "\\ud800", "resource": 5}',
              b'{"url": "http://[::1', b'{"days": -5, "scope": "root", "label": {}}']
    cases = []
    for method, template in write_routes():
        if template.startswith(staff):
            continue
        path = template.format(action="x", source="x", path="../../etc/passwd",
                               ident="..%2F..%2Fx", local="%00", token_id="-1")
        for body in bodies:
            cases.append((method, path, {"content": body, "headers": {
                "Content-Type": "application/json", **auth}}))
    return cases


def api_cases() -> list[tuple[str, str, dict]]:
    cases = [("GET", route.replace("{p}", p), {}) for route in PATH_ROUTES for p in TRAVERSALS]
    cases += [("GET", path, {"params": params}) for path, params in BAD_PARAMS]
    cases += [("GET", "/sparql", {"params": {"query": q}}) for q in MALFORMED_SPARQL
              if len(q) < 8000]  # longer ones do not fit a URL: POSTed below
    cases += [("POST", "/sparql", {"data": {"query": q}, "headers": ADMIN}) for q in MALFORMED_SPARQL]
    return cases + body_cases()


def source_graph(store, settings: Settings, source_id: str) -> list[str]:
    from regiongraph.iri import Minter

    return sorted(str(q) for q in store.quads(Minter(settings.base).graph("source", source_id)))


def test_bad_api_and_sparql_inputs_never_5xx_and_change_nothing(writable_demo):
    cases = api_cases() + member_cases(writable_demo.member)
    before = writable_demo.state()
    statuses: dict[str, int] = {}
    failures = []
    with httpx.Client(base_url=writable_demo.url, timeout=60) as client:
        for method, path, kwargs in cases:
            try:
                answer = client.request(method, path, **kwargs)
            except httpx.RemoteProtocolError as error:
                # An unlimited (admin) result already streaming when the time limit hits:
                # the stream is broken on purpose, the only signal left after the headers.
                if path == "/sparql" and "incomplete chunked read" in str(error):
                    kind = "stream cut at the query time limit"
                    statuses[kind] = statuses.get(kind, 0) + 1
                    continue
                failures.append((method, path[:80], kwargs.get("params"), repr(error)[:200]))
                continue
            except httpx.HTTPError as error:
                failures.append((method, path[:80], kwargs.get("params"), repr(error)[:200]))
                continue
            kind = f"{answer.status_code // 100}xx"
            if answer.status_code == 503 and "time limit" in answer.text:
                kind = "503 at the query time limit"  # the stated limit, with Retry-After
            statuses[kind] = statuses.get(kind, 0) + 1
            if kind == "5xx" or "Traceback" in answer.text:
                failures.append((method, path[:80], answer.status_code, answer.text[:200]))
    FIGURES["bad inputs: API and SPARQL"] = {"cases": len(cases), **statuses}
    assert not failures, "\n".join(map(str, failures))
    assert statuses.get("4xx", 0) >= 200
    after = writable_demo.state()
    changed = set(before.splitlines()) ^ set(after.splitlines())
    # A refused OpenLineage post is a failed harvest: the harvest log keeps its report (as
    # for every failed harvest), the journal its entry, and the events graph the
    # "harvest-failed" notice to stewards, and each derived view the version it has seen.
    # Nothing else may change.
    failed_harvest = {f"<{DEMO_BASE}graph/{name}>".encode()
                      for name in ("harvest-log", "journal", "events")}
    seen = b"<https://w3id.org/regiongraph/ns#seenVersion>"
    data = [q for q in changed if q.rsplit(b" ", 2)[-2] not in failed_harvest
            and q.split(b" ", 2)[1] != seen]
    assert not data, sorted(data)[:10]
    FIGURES["bad inputs: API and SPARQL"]["failed-harvest bookkeeping quads"] = len(changed)


# loaders -----------------------------------------------------------------------------


def loader_cases(tmp: Path, portal: str) -> list[tuple[str, str, str, dict]]:
    """(case, source type, location, options): files written here, or the fixture portal."""
    def file(name: str, content: bytes) -> str:
        (tmp / name).write_bytes(content)
        return str(tmp / name)

    record = {"identifier": "x", "title": "X", "accessLevel": "public"}
    cases = [(name, "datajson", f"{portal}/files/{name}", {}) for name in (
        "truncated.json", "wrong-top-level.json", "dataset-not-list.json", "latin1.json")]
    cases += [(name, "dcat", f"{portal}/files/{name}", {}) for name in (
        "syntax-error.ttl", "xxe.rdf", "billion-laughs.rdf", "hydra-self.ttl")]
    cases += [(path, "datajson", portal + path, {}) for path in (
        "/html200", "/html-as-json", "/status/404", "/status/500", "/loop", "/slow",
        "/big?mb=3", "/trickle?seconds=6")]
    json_bodies = {
        "empty": b"", "bom-only": b"\xef\xbb\xbf", "utf16": json.dumps({"dataset": [record]}).encode("utf-16"),
        "cp1252": '{"dataset": [{"identifier": "é", "title": "café"}]}'.encode("cp1252"),
        "nested-5k": b'{"dataset": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        "nested-100k": b"[" * 100_000 + b"]" * 100_000, "number": b"42", "string": b'"x"',
        "dataset-string": b'{"dataset": "x"}', "records-not-objects": b'{"dataset": [1, "a", null, []]}',
        "title-list": b'{"dataset": [{"identifier": "a", "title": ["x"]}]}',
        "identifier-object": b'{"dataset": [{"identifier": {"a": 1}, "title": "x"}]}',
        "keyword-number": b'{"dataset": [{"identifier": "a", "title": "x", "keyword": 5}]}',
        "distribution-string": b'{"dataset": [{"identifier": "a", "title": "x", "distribution": "u"}]}',
        "surrogate-title": b'{"dataset": [{"identifier": "a", "title": "\\ud800"}]}',
        "surrogate-id": b'{"dataset": [{"identifier": "\\udc00", "title": "x"}]}',
        "huge-title": json.dumps({"dataset": [{**record, "title": "t" * 500_000}]}).encode(),
        "nan": b'{"dataset": [{"identifier": "a", "title": NaN}]}', "trailing": b'{"dataset": []} x',
        "nul": b'{"dataset": [{"identifier": "a\\u0000", "title": "x"}]}',
        "bad-iri": b'{"dataset": [{"identifier": "a", "title": "x", "landingPage": "http://x y/<>"}]}',
        "bad-dates": b'{"dataset": [{"identifier": "a", "title": "x", "modified": "yesterday"}]}',
    }
    cases += [(name, "datajson", file(f"{name}.json", body), {}) for name, body in json_bodies.items()]
    cases.append(("gzip-bomb", "datajson", file("bomb.json", gzip.compress(b" " * 50_000_000)), {}))
    for kind in ("ckan", "socrata", "arcgis", "openlineage"):
        for name in ("truncated", "nested-5k", "number", "records-not-objects", "surrogate-title"):
            cases.append((f"{kind}-{name}", kind, str(tmp / f"{name}.json"), {}))
    csv_bodies = {
        "binary": bytes(range(256)) * 4, "no-header": b"", "only-header": b"identifier,title\n",
        "no-identifier-column": b"a,b\n1,2\n", "latin1": "identifier,title\né,café\n".encode("latin-1"),
        "nul-byte": b"identifier,title\na,\x00\n", "huge-field": b"identifier,title\na," + b"x" * 140_000 + b"\n",
        "ragged": b"identifier,title\na\nb,c,d,e\n", "quote": b'identifier,title\n"a,"unterminated\n',
        "bom-semicolon": b"\xef\xbb\xbfidentifier;title\na;b\n",
    }
    cases += [(name, "spreadsheet", file(f"{name}.csv", body), {}) for name, body in csv_bodies.items()]
    cases += [("xlsx-garbage", "spreadsheet", file("garbage.xlsx", b"PK\x03\x04garbage"), {}),
              ("xlsx-zip-not-book", "spreadsheet", file("notbook.xlsx", _zip_of("a.txt", b"x")), {}),
              ("xlsx-no-sheet", "spreadsheet", f"{portal}/files/catalog-v1.json", {"sheet": "Nope"})]
    turtles = {"prefix": b"@prefix : .", "iri": b"<http://x/ y> <b> <c> .", "literal": b'<a> <b> "x',
               "nested": b"<a> <b> " + b"(" * 50_000 + b")" * 50_000 + b" .", "binary": b"\xff\xfe\x00"}
    cases += [(f"turtle-{name}", "dcat", file(f"{name}.ttl", body), {}) for name, body in turtles.items()]
    cases += [("jsonld-remote-context", "dcat", file("remote.jsonld", b'{"@context": "http://127.0.0.1:1/c", "@id": "x"}'), {}),
              ("jsonld-deep", "dcat", file("deep.jsonld", b'{"a":' * 5000 + b"1" + b"}" * 5000), {})]
    return cases


def _zip_of(name: str, content: bytes) -> bytes:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, content)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def portal():
    server = FixtureServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.url
    server.shutdown()
    server.server_close()


def test_bad_loader_inputs_fail_cleanly_and_keep_the_graph(tmp_path, portal):
    (tmp_path / "truncated.json").write_bytes(b'{"dataset": [{"identifier": "a", ')
    settings = Settings(store=str(tmp_path / "store"), harvest_allow_private=True)
    store = open_store(settings)
    policy = FetchPolicy(connect_timeout=2, read_timeout=1, retries=1, backoff=0.01,
                         max_bytes=2 * 1024 * 1024, deadline=3)
    outcomes: dict[str, int] = {}
    problems, lenient = [], []
    try:
        cases = loader_cases(tmp_path, portal)
        for number, (name, kind, location, options) in enumerate(cases):
            source_id = f"bad{number}"
            good = SourceConfig(id=source_id, community="testville", type="datajson",
                                path=FIXTURES / "catalog-v1.json", options={"validate": False})
            assert harvest_source(store, settings, good, policy=policy).status == "ok"
            before = source_graph(store, settings, source_id)
            remote = location.startswith("http")
            source = SourceConfig(id=source_id, community="testville", type=kind,
                                  url=location if remote else None,
                                  path=None if remote else Path(location),
                                  options={"validate": False, **options})
            try:
                report = harvest_source(store, settings, source, policy=policy)
            except Exception as error:  # noqa: BLE001 - counted as the failure it is
                problems.append((name, kind, f"raised {type(error).__name__}: {error}"[:200]))
                continue
            reported = [e for e in report.errors if e.severity == "error"]
            warned = [e for e in report.errors if e.record and e.severity == "warning"]
            outcome = "failed" if report.status == "failed" else \
                "record errors" if reported else "record warnings" if warned else \
                "loaded as lenient coercions"
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            if report.status == "failed" and source_graph(store, settings, source_id) != before:
                problems.append((name, kind, "failed but the store changed"))
            if outcome.startswith("loaded"):
                lenient.append(name)
    finally:
        store.close()
    FIGURES["bad inputs: loaders"] = {"cases": len(cases), **outcomes, "lenient": lenient}
    assert not problems, problems
