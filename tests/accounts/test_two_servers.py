"""Two `regiongraph serve` processes on one `oxigraph serve` share accounts: a session
begun through one works on the other, and failed sign-ins through both count together."""

import re

import httpx
import pytest

from regiongraph.accounts.passwords import set_password
from regiongraph.iri import Minter
from regiongraph.store import open_store
from tests.test_two_servers import two_servers  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.remote
PASSWORD = "shared between two servers"


def csrf_of(client: httpx.Client) -> str:
    page = client.get("/sign-in", headers={"Accept": "text/html"})
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def test_a_session_from_one_server_works_on_the_other(two_servers):  # noqa: F811
    one, two, settings = two_servers
    store = open_store(settings)
    try:
        for person in ("lena-park", "james-okafor"):
            set_password(store, settings, Minter(settings.base).iri("person", person).value,
                         PASSWORD)
    finally:
        store.close()
    with httpx.Client(base_url=one, timeout=60) as first:
        signed = first.post("/sign-in", data={"email": "lpark@saguaro-az.example",
                                              "password": PASSWORD, "csrf": csrf_of(first)})
        assert signed.status_code == 303
        cookies = dict(first.cookies)
    with httpx.Client(base_url=two, timeout=60, cookies=cookies) as second:
        me = second.get("/account", headers={"Accept": "application/json"})
        assert me.status_code == 200 and me.json()["person"].endswith("/people/lena-park")
        out = second.post("/sign-out", data={"csrf": cookies["rg_csrf"]})
        assert out.status_code == 303
    with httpx.Client(base_url=one, timeout=60, cookies=cookies) as again:
        assert again.get("/account", headers={"Accept": "application/json"}).status_code == 401


def test_failed_sign_ins_through_both_servers_count_together(two_servers):  # noqa: F811
    one, two, settings = two_servers
    attempts = settings.signin_attempts
    clients = [httpx.Client(base_url=url, timeout=60) for url in (one, two)]
    try:
        for n in range(attempts):
            client = clients[n % 2]
            wrong = client.post("/sign-in", data={"email": "jokafor@saguaro-az.example",
                                                  "password": "wrong wrong wrong",
                                                  "csrf": csrf_of(client)})
            assert wrong.status_code == 401
        for client in clients:
            held = client.post("/sign-in", data={"email": "jokafor@saguaro-az.example",
                                                 "password": PASSWORD, "csrf": csrf_of(client)})
            assert held.status_code == 429
    finally:
        for client in clients:
            client.close()


def test_the_admin_token_sees_no_session_on_the_remote_store(two_servers):  # noqa: F811
    import hashlib

    from tests.sparql.conftest import ADMIN

    one, two, settings = two_servers
    store = open_store(settings)
    try:
        set_password(store, settings, Minter(settings.base).iri("person", "tom-reyes").value,
                     PASSWORD)
    finally:
        store.close()
    with httpx.Client(base_url=one, timeout=60) as client:
        assert client.post("/sign-in", data={"email": "treyes@saguaro-az.example",
                                             "password": PASSWORD,
                                             "csrf": csrf_of(client)}).status_code == 303
        session_hash = hashlib.sha256(client.cookies["rg_session"].encode()).hexdigest()
    for query in ("SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }", "SELECT * WHERE { ?s ?p ?o }",
                  (f"SELECT * FROM NAMED <{settings.base}graph/accounts> "
                   "WHERE { GRAPH ?g { ?s ?p ?o } }")):
        answer = httpx.get(f"{two}/sparql", params={"query": query}, timeout=120, headers={
            **ADMIN, "Accept": "application/sparql-results+json"})
        assert answer.status_code == 200 and answer.json()["results"]["bindings"] is not None
        assert session_hash not in answer.text and "$argon2" not in answer.text
