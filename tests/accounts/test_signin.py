"""Browser sign-in by password, sessions, CSRF, rate limiting and personal tokens, over
real HTTP on loopback (a copy of the demo served by uvicorn)."""

import re

import httpx
import pytest

from regiongraph.accounts.passwords import set_password
from regiongraph.accounts.sessions import principal_for_session
from regiongraph.iri import Minter

PASSWORD = "correct horse battery staple"
EMAIL = "smarquez@mesquite-az.example"  # Sofia Marquez, data leader of Mesquite
EXECUTIVE = "rhale@mesquite-az.example"  # Robert Hale, city manager of Mesquite


@pytest.fixture(scope="module")
def service(accounts_service):
    store, settings = accounts_service.store, accounts_service.settings
    minter = Minter(settings.base)
    for person in ("sofia-marquez", "robert-hale"):
        set_password(store, settings, minter.iri("person", person).value, PASSWORD)
    return accounts_service


def form_csrf(client: httpx.Client, path: str = "/sign-in") -> str:
    page = client.get(path, headers={"Accept": "text/html"})
    assert page.status_code == 200, page.text
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


def sign_in(client: httpx.Client, email: str = EMAIL, password: str = PASSWORD,
            **headers: str) -> httpx.Response:
    csrf = form_csrf(client)
    return client.post("/sign-in", data={"email": email, "password": password, "csrf": csrf,
                                         "next": "/account"}, headers=headers)


def set_cookie_headers(response: httpx.Response, name: str) -> list[str]:
    return [h for h in response.headers.get_list("set-cookie") if h.startswith(name + "=")]


def test_password_sign_in_sets_a_safe_session_cookie_and_rotates_it(service):
    with httpx.Client(base_url=service.url, timeout=30) as client:
        first = sign_in(client)
        assert first.status_code == 303 and first.headers["location"] == "/account"
        [cookie] = set_cookie_headers(first, "rg_session")
        assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
        assert "Secure" not in cookie  # plain http on loopback
        old = client.cookies["rg_session"]
        me = client.get("/account", headers={"Accept": "application/json"}).json()
        assert me["person"].endswith("/people/sofia-marquez")
        assert [m["organization"].rsplit("/", 1)[-1] for m in me["memberships"]] == ["mesquite"]

        again = sign_in(client)  # signing in again while signed in: a new id, the old ended
        assert again.status_code == 303
        assert client.cookies["rg_session"] != old
        assert principal_for_session(service.store, service.settings, old) is None
        assert principal_for_session(service.store, service.settings,
                                     client.cookies["rg_session"]) is not None


def test_cookies_are_secure_behind_an_https_proxy(service):
    with httpx.Client(base_url=service.url, timeout=30) as client:
        response = sign_in(client, **{"X-Forwarded-Proto": "https"})
        assert response.status_code == 303
        [cookie] = set_cookie_headers(response, "rg_session")
        assert "Secure" in cookie


def test_every_form_refuses_a_missing_or_foreign_csrf_token(service):
    with httpx.Client(base_url=service.url, timeout=30) as client:
        no_token = client.post("/sign-in", data={"email": EMAIL, "password": PASSWORD})
        assert no_token.status_code == 403 and "rg_session" not in client.cookies
        form_csrf(client)
        forged = client.post("/sign-in", data={"email": EMAIL, "password": PASSWORD,
                                               "csrf": "forged"})
        assert forged.status_code == 403 and "rg_session" not in client.cookies
        assert sign_in(client).status_code == 303
        session = client.cookies["rg_session"]
        for path, data in (("/account/tokens", {"label": "x"}), ("/sign-out", {}),
                           ("/account/tokens/abcdef012345/revoke", {})):
            refused = client.post(path, data={**data, "csrf": "forged"})
            assert refused.status_code == 403, path
        # the JSON API under a session cookie needs the X-CSRF-Token header
        bare = client.post("/api/v1/account/tokens", json={"label": "x"})
        assert bare.status_code == 401
        assert principal_for_session(service.store, service.settings, session) is not None


def test_failed_sign_ins_are_rate_limited_per_account_and_client(service):
    attempts = service.settings.signin_attempts
    with httpx.Client(base_url=service.url, timeout=30) as client:
        for _ in range(attempts):
            assert sign_in(client, EXECUTIVE, "wrong password!").status_code == 401
        limited = sign_in(client, EXECUTIVE, PASSWORD)  # even the right password waits
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
        assert "rg_session" not in client.cookies
        other = sign_in(client, EMAIL)
        assert other.status_code == 303  # another account from the same client is not held


def test_wrong_passwords_and_unknown_emails_look_the_same(service):
    with httpx.Client(base_url=service.url, timeout=30) as client:
        wrong = sign_in(client, EMAIL, "not the password at all")
        unknown = sign_in(client, "nobody@nowhere.example", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert "The email or the password is wrong." in wrong.text
    assert "The email or the password is wrong." in unknown.text


def test_tokens_created_listed_and_revoked_by_their_owner(service):
    with httpx.Client(base_url=service.url, timeout=30) as client:
        assert sign_in(client).status_code == 303
        csrf = client.cookies["rg_csrf"]
        page = client.post("/account/tokens", data={"label": "notebook", "scope": "read",
                                                    "days": "30", "csrf": csrf})
        assert page.status_code == 201
        token = re.search(r'id="new-token">([^<]+)<', page.text).group(1)
        created = client.post("/api/v1/account/tokens", json={"label": "ci", "scope": "write"},
                              headers={"X-CSRF-Token": csrf})
        assert created.status_code == 201, created.text
        write_token = created.json()["token"]

    def as_token(value: str) -> dict:
        return {"Authorization": f"Bearer {value}"}

    listed = httpx.get(service.url + "/api/v1/account/tokens", headers=as_token(token)).json()
    assert {t["label"] for t in listed} >= {"notebook", "ci"}
    assert all("token" not in t for t in listed)
    escalate = httpx.post(service.url + "/api/v1/account/tokens", json={"scope": "write"},
                          headers=as_token(token))
    assert escalate.status_code == 403
    ci = next(t["id"] for t in listed if t["label"] == "ci")
    revoked = httpx.delete(f"{service.url}/api/v1/account/tokens/{ci}", headers=as_token(token))
    assert revoked.status_code == 204
    after = httpx.get(service.url + "/api/v1/account/tokens", headers=as_token(write_token))
    assert after.status_code == 401
    anonymous = httpx.get(service.url + "/api/v1/account/tokens")
    assert anonymous.status_code == 401


def test_sign_out_ends_the_session(service):
    with httpx.Client(base_url=service.url, timeout=30) as client:
        assert sign_in(client).status_code == 303
        session = client.cookies["rg_session"]
        out = client.post("/sign-out", data={"csrf": client.cookies["rg_csrf"]})
        assert out.status_code == 303
        assert principal_for_session(service.store, service.settings, session) is None
        client.cookies.set("rg_session", session)  # a stolen copy of the ended cookie
        page = client.get("/account", headers={"Accept": "text/html"})
        assert page.status_code == 303 and page.headers["location"].startswith("/sign-in")


def test_governance_answers_a_signed_in_member_for_their_own_community(service):
    with httpx.Client(base_url=service.url, timeout=60) as client:
        anonymous = client.get("/governance", headers={"Accept": "text/html"})
        assert anonymous.status_code == 401 and "sign in" in anonymous.text.lower()
        assert sign_in(client).status_code == 303
        page = client.get("/governance", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "<html" in page.text
        report = client.get("/governance?format=json").json()
    mesquite = Minter(service.settings.base).iri("community", "mesquite").value
    assert report["edges"] and all(mesquite in (e["from_community"], e["to_community"])
                                   for e in report["edges"])


def test_the_admin_token_is_the_alliance_stewards_account(service):
    from tests.sparql.conftest import ADMIN

    me = httpx.get(service.url + "/account", headers={**ADMIN, "Accept": "application/json"})
    assert me.status_code == 200
    assert me.json()["alliance_steward"] is True and me.json()["scope"] == "write"
    assert me.json()["person"].endswith("/people/alliance-steward")
    tokens = httpx.get(service.url + "/api/v1/account/tokens", headers=ADMIN)
    assert tokens.status_code == 403 and "regiongraph tokens create" in tokens.text
