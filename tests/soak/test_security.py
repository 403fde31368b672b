"""SSRF forms (harvest and webhook URLs), injection payloads on named query parameters,
auth on every write route the app declares."""

import datetime as dt
import json
import re

import httpx
import pytest
from regiongraph.loaders.base import RefusedURL

from regiongraph.harvest import FetchPolicy, SourceConfig, harvest_source
from regiongraph.harvest.fetch import Fetcher
from regiongraph.notify.deliver import _post
from regiongraph.notify.events import KINDS, Event
from regiongraph.notify.webhooks import Webhook
from regiongraph.settings import Settings
from regiongraph.store import open_store
from tests.harvest.fixture_server import running_portal
from tests.soak.conftest import FIGURES
from tests.sparql.conftest import ADMIN, TOKEN

KIND = next(iter(KINDS))
QUICK = FetchPolicy(connect_timeout=2, read_timeout=2, retries=0, deadline=10)
LOOPBACK_FORMS = ["127.0.0.1", "localhost", "[::1]", "0.0.0.0", "127.1", "127.0.1",
                  "2130706433", "0x7f000001", "0177.0.0.1", "017700000001", "[::ffff:127.0.0.1]",
                  "[0:0:0:0:0:ffff:7f00:1]", "[::]", "127.255.255.254"]
PRIVATE = ["10.0.0.5", "172.16.0.1", "192.168.1.1", "169.254.169.254", "[fe80::1]",
           "[fd00::1]", "100.64.0.1", "224.0.0.1"]
SCHEMES = ["file:///etc/passwd", "gopher://127.0.0.1:70/_x", "ftp://127.0.0.1/x",
           "dict://127.0.0.1:11211/", "http://[::1]:1/", "http://user@127.0.0.1:1/"]


@pytest.fixture(scope="module")
def portal():
    with running_portal() as server:
        yield server


def harvest_url(tmp_path, url: str, *, allow_private: bool):
    settings = Settings(store="memory", harvest_allow_private=allow_private)
    store = open_store(settings)
    try:
        source = SourceConfig(id="ssrf", community="testville", type="datajson", url=url,
                              options={"validate": False})
        return harvest_source(store, settings, source, policy=QUICK)
    finally:
        store.close()


def test_harvest_urls_to_internal_addresses_are_refused(tmp_path, portal):
    port = portal.url.rsplit(":", 1)[1]
    urls = [f"http://{host}:{port}/files/catalog-v1.json" for host in LOOPBACK_FORMS + PRIVATE]
    refused, reached = 0, []
    for url in urls:
        report = harvest_url(tmp_path, url, allow_private=False)
        if report.status == "failed" and "refused" in report.message:
            refused += 1
        else:
            reached.append((url, report.status, report.message))
    for url in SCHEMES:
        try:
            Fetcher(QUICK).page(url)
            reached.append((url, "fetched", ""))
        except RefusedURL:
            refused += 1
    # With the switch on, the test's own loopback server is reached; cloud metadata never.
    opened = harvest_url(tmp_path, f"http://127.0.0.1:{port}/files/catalog-v1.json",
                         allow_private=True)
    # A redirect hop is checked like the first URL, even with the switch on.
    for name, target in (("meta", "http://169.254.169.254/latest/meta-data/"),
                         ("file", "file:///etc/passwd"), ("gopher", "gopher://127.0.0.1:70/_")):
        portal.redirects[name] = target
        hop = f"{portal.url}/redirecting/{name}/ckan/api/3/action/package_search?start=1"
        with pytest.raises(RefusedURL, match="refused"):
            Fetcher(QUICK, allow_private=True).page(hop)
        refused += 1
    FIGURES["SSRF"] = {"forms": len(urls) + len(SCHEMES) + 3, "refused": refused,
                       "allow-private loopback harvest": opened.status}
    assert not reached, reached
    assert opened.status == "ok"


def test_webhook_urls_to_internal_addresses_are_refused(writable_demo, portal):
    """At registration (the API, with a member's token) and at delivery (a hook kept from
    when the switch was on still cannot reach an internal address once it is off)."""
    port = portal.url.rsplit(":", 1)[1]
    hosts = [f"http://{host}:{port}/hook" for host in LOOPBACK_FORMS + PRIVATE]
    member = {"Authorization": f"Bearer {writable_demo.member}"}
    registered, refused = [], 0
    with httpx.Client(base_url=writable_demo.url, timeout=60, headers=member) as client:
        for url in hosts + SCHEMES:
            answer = client.post("/api/v1/webhooks", json={"url": url})
            if answer.status_code == 400 and ("refused" in answer.text
                                              or "http(s) URL" in answer.text):
                refused += 1
            else:
                registered.append((url, answer.status_code, answer.text[:100]))
        assert client.get("/api/v1/webhooks").json() == []
    off = Settings(store="memory", harvest_allow_private=False, webhook_timeout=2)
    event = Event(iri="urn:soak:event", kind=KIND, summary="x", object="urn:soak:x",
                  published=dt.datetime.now(dt.UTC), recipients=("urn:soak:p",))
    delivered = []
    for url in hosts:
        hook = Webhook(iri="urn:soak:hook", owner="urn:soak:p", url=url, scope="urn:soak:p",
                       created=dt.datetime.now(dt.UTC), active=True, failures=0)
        ok, detail = _post(off, hook, "secret", event)
        if not ok and ("refused" in detail or detail.startswith("InvalidURL")):
            refused += 1
        else:
            delivered.append((url, ok, detail))
    FIGURES["SSRF: webhook URLs"] = {"registrations tried": len(hosts) + len(SCHEMES),
                                     "deliveries tried": len(hosts), "refused": refused}
    assert not registered, registered
    assert not delivered, delivered


@pytest.mark.parametrize("endpoint", ["public", "admin"])
def test_service_and_load_are_refused(writable_demo, endpoint):
    headers = ADMIN if endpoint == "admin" else {}
    for target in ["http://127.0.0.1:1/", "http://169.254.169.254/", "file:///etc/passwd"]:
        query = f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}"
        answer = httpx.get(writable_demo.sparql, params={"query": query}, headers=headers)
        assert answer.status_code == 400 and "SERVICE" in answer.text
    answer = httpx.post(writable_demo.sparql, data={"update": "LOAD <http://127.0.0.1:1/>"},
                        headers=ADMIN)
    assert answer.status_code == 400 and "LOAD is refused" in answer.text


PAYLOADS = ["'", '"', "\\", "}", "{", "} UNION { ?s ?p ?o }", "\" } UNION { ?s ?p ?o } #",
            "> } UNION { ?s ?p ?o } <", "a\nb", "\r\n#", "<http://x/>", "x> <y", "?s",
            "%22%7D", "saguaro\" || true || \"", "' OR '1'='1", "a\u0000b", "\\u0022", "é" * 300]


def test_injection_payloads_never_widen_results_nor_5xx(writable_demo):
    with httpx.Client(base_url=writable_demo.url, timeout=60) as client:
        catalog = client.get("/queries").json()
        queries = catalog if isinstance(catalog, list) else catalog.get("queries", [])
        sent, refused, widened, failures = 0, 0, [], []
        for named in queries:
            name = named["name"]
            params = named.get("params") or {}
            if isinstance(params, list):
                params = {p["name"]: p for p in params}
            baseline = {}
            for param in params:
                example = {k: str(v) for k, v in ((k, (s or {}).get("example", (s or {}).get(
                    "default"))) for k, s in params.items()) if v is not None}
                base = client.get(f"/queries/{name}", params=example,
                                  headers={"Accept": "application/sparql-results+json"})
                baseline = base.json()["results"]["bindings"] if base.status_code == 200 else []
                for payload in PAYLOADS:
                    for value in (payload, f"{example.get(param, '')}{payload}"):
                        answer = client.get(f"/queries/{name}", params={**example, param: value},
                                            headers={"Accept": "application/sparql-results+json"})
                        sent += 1
                        if answer.status_code >= 500:
                            failures.append((name, param, value, answer.status_code))
                        elif answer.status_code >= 400:
                            refused += 1
                        elif len(answer.json()["results"]["bindings"]) > max(len(baseline), 0) \
                                and value != example.get(param):
                            widened.append((name, param, value,
                                            len(answer.json()["results"]["bindings"]),
                                            len(baseline)))
    FIGURES["injection on named query parameters"] = {
        "queries": len(queries), "requests": sent, "refused 4xx": refused,
        "widened": len(widened), "5xx": len(failures)}
    assert sent > 0
    assert not failures, failures
    assert not widened, widened[:10]


NOT_WRITES = {
    ("PUT", "/sparql"): "405: not a SPARQL protocol operation",
    ("PATCH", "/sparql"): "405: not a SPARQL protocol operation",
    ("DELETE", "/sparql"): "405: not a SPARQL protocol operation",
    ("POST", "/sign-in"): "signs in with a password (throttled, tested in tests/accounts)",
    ("POST", "/sign-out"): "ends the caller's own session",
    ("POST", "/validate"): "validates the posted graph and stores nothing",
    ("POST", "/api/3/action/{action}"): "the CKAN API's read-only subset",
    ("POST", "/api/action/{action}"): "the CKAN API's read-only subset",
}
"""Routes taking a body that write nothing; each is still in the bad-input suite."""
PROJECT = "saguaro-bike-share-expansion"
ANNOTATION_MEDIA = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'
ANNOTATION = {"@context": "http://www.w3.org/ns/anno.jsonld", "type": "Annotation",
              "body": {"type": "TextualBody", "value": "soak"}, "title": "Soak",
              "target": f"https://data.sonoranvalley.example/projects/{PROJECT}"}
JSON = {"Content-Type": "application/json"}
TURTLE = {"Content-Type": "text/turtle"}
TRIPLE = b"<urn:a> <urn:b> <urn:c> ."
BODIES = {  # (method, path) -> httpx keyword arguments of a well-formed request
    ("POST", "/sparql"): {"data": {"update": "INSERT DATA { GRAPH <urn:soak:auth> { <urn:a> "
                                             "<urn:b> 1 } }"}},
    ("PUT", "/sparql"): {"content": b"DROP ALL",
                         "headers": {"Content-Type": "application/sparql-update"}},
    ("PATCH", "/sparql"): {"content": b"DROP ALL",
                           "headers": {"Content-Type": "application/sparql-update"}},
    ("DELETE", "/sparql"): {"content": b"DROP ALL",
                            "headers": {"Content-Type": "application/sparql-update"}},
    ("PUT", "/store"): {"params": {"graph": "urn:soak:auth"}, "content": TRIPLE, "headers": TURTLE},
    ("POST", "/store"): {"params": {"graph": "urn:soak:auth"}, "content": TRIPLE,
                         "headers": TURTLE},
    ("DELETE", "/store"): {"params": {"graph": "urn:soak:auth"}},
    ("POST", "/lineage/edges"): {"json": {"source": "saguaro/a", "target": "saguaro/b",
                                          "reason": "r", "agent": "a"}},
    ("DELETE", "/lineage/edges"): {"params": {"id": "x", "agent": "a", "reason": "r"}},
    ("DELETE", "/api/v1/follows"): {"params": {"resource": "urn:x"}},
    ("POST", "/admin/backup"): {"json": {"directory": "/tmp/soak-backup"}},
    ("POST", "/api/v1/account/tokens"): {"json": {"label": "x", "scope": "write", "days": 1}},
    ("PUT", "/api/v1/notifications/mail"): {"json": {"delivery": "daily"}},
    ("POST", "/api/v1/follows"): {"json": {"resource": "urn:x"}},
    ("POST", "/api/v1/webhooks"): {"json": {"url": "https://hooks.example.org/x"}},
    ("POST", "/api/v1/saved-searches"): {"json": {"q": "water"}},
    ("POST", "/lineage/events"): {"content": b"{}", "headers": JSON},
    ("POST", "/api/v1/lineage"): {"content": b"{}", "headers": JSON},
    ("POST", "/annotations/on/{path}"): {"content": json.dumps(ANNOTATION).encode(),
                                         "headers": {"Content-Type": ANNOTATION_MEDIA}},
    ("POST", "/discussions/threads"): {"data": {"resource": "urn:x", "title": "x",
                                                "text": "x"}},
    ("POST", "/discussions/replies"): {"data": {"resource": "urn:x", "to": "urn:x",
                                                "text": "x"}},
    ("POST", "/discussions/endorsements"): {"data": {"resource": "urn:x", "text": "x"}},
    ("POST", "/discussions/follow"): {"data": {"resource": "urn:x"}},
    ("POST", "/account/tokens"): {"data": {"label": "x", "scope": "read", "days": "1"}},
    ("POST", "/workflow/proposals"): {"json": {"title": "x", "community": "saguaro"}},
}
"""Bodies a route would accept from a caller with the right: the request is refused for
its credentials, not for its form (a 422 here means the table is out of date)."""


def write_routes() -> list[tuple[str, str]]:
    """(method, path template) of every route the app declares that takes a body-bearing
    method (POST, PUT, PATCH, DELETE), read from the app itself, so a new route is covered
    the day it is added (or fails here until its body is in `BODIES`)."""
    from regiongraph.api.app import create_app

    def walk(routes):
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:  # FastAPI's included router
                yield from walk(inner.routes)
            elif getattr(route, "methods", None):
                for method in sorted(route.methods - {"GET", "HEAD", "OPTIONS"}):
                    yield method, re.sub(r"\{(\w+):path\}", r"{\1}", route.path)

    app = create_app(Settings(store="memory"))
    return sorted({pair for pair in walk(app.routes) if pair not in NOT_WRITES})


def bad_credentials(tokens: dict[str, str]) -> dict[str, tuple[dict, dict]]:
    """Label -> (headers, query parameters): none of them a valid credential."""
    bad: dict[str, tuple[dict, dict]] = {
        "missing": ({}, {}), "wrong": ({"Authorization": "Bearer nope"}, {}),
        "empty": ({"Authorization": ""}, {}), "scheme only": ({"Authorization": "Bearer"}, {}),
        "forged member": ({"Authorization": "Bearer rgt_000000000000_forged"}, {})}
    for who, token in tokens.items():
        bad |= {f"{who} basic": ({"Authorization": f"Basic {token}"}, {}),
                f"{who} case": ({"Authorization": f"Bearer {token.swapcase()}"}, {}),
                f"{who} prefix": ({"Authorization": f"Bearer {token[:-1]}"}, {}),
                f"{who} extended": ({"Authorization": f"Bearer {token}x"}, {}),
                f"{who} query string": ({}, {"token": token, "access_token": token,
                                             "api_key": token, "key": token})}
    return bad


def existing_objects(url: str, member: str) -> tuple[dict[str, str], dict[str, str]]:
    """A real annotation and a real access request, made by the member, so the routes that
    act on one are refused for the credential, not for a missing object. Returns the path
    values and the annotation's ETag."""
    with httpx.Client(base_url=url, timeout=60,
                      headers={"Authorization": f"Bearer {member}"}) as client:
        made = client.post(f"/annotations/on/projects/{PROJECT}/",
                           content=json.dumps(ANNOTATION),
                           headers={"Content-Type": ANNOTATION_MEDIA})
        assert made.status_code == 201, made.text
        local = made.headers["location"].rstrip("/").rsplit("/", 1)[-1]
        etag = client.get(f"/annotations/{local}").headers["etag"]
        asked = client.post("/workflow/access", json={
            "dataset": "https://data.sonoranvalley.example/datasets/cholla/911-dispatch-log",
            "reason": "soak"})
        assert asked.status_code == 201, asked.text
    request = asked.json()["id"].rsplit("/", 1)[-1]
    return {"action": "package_create", "source": "saguaro-datajson",
            "path": f"projects/{PROJECT}", "local": local, "token_id": "x",
            "ident": request}, {"If-Match": etag}


def test_every_write_route_refuses_a_bad_token_and_changes_nothing(writable_demo):
    routes = write_routes()
    assert len(routes) >= 40, routes  # members, workflow, forum, notifications included
    credentials = bad_credentials({"admin": TOKEN, "member": writable_demo.member})
    values, if_match = existing_objects(writable_demo.url, writable_demo.member)
    bodies = {**BODIES, ("PUT", "/annotations/{local}"): {
        "content": json.dumps({**ANNOTATION, "body": {"type": "TextualBody",
                                                      "value": "changed"}}).encode(),
        "headers": {"Content-Type": ANNOTATION_MEDIA, **if_match}}}
    before, tried, wrong = writable_demo.state(), 0, []
    with httpx.Client(base_url=writable_demo.url, timeout=60) as client:
        for method, template in routes:
            path = template.format(**{**values, "ident": PROJECT} if "/projects/" in template
                                   else values)
            kwargs = bodies.get((method, template), {"json": {}})
            for label, (headers, query) in credentials.items():
                answer = client.request(method, path, **{
                    **kwargs, "params": {**kwargs.get("params", {}), **query},
                    "headers": {**kwargs.get("headers", {}), **headers}})
                tried += 1
                if answer.status_code not in (401, 403):
                    wrong.append((method, template, label, answer.status_code,
                                  answer.text[:100]))
    FIGURES["auth on write routes"] = {"routes": len(routes), "credentials": len(credentials),
                                       "attempts": tried, "refused": tried - len(wrong),
                                       "not writes (left out)": len(NOT_WRITES)}
    assert not wrong, "\n".join(map(str, wrong))
    assert writable_demo.state() == before
