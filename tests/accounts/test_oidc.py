"""OpenID Connect sign-in over loopback against a provider built on Authlib's server."""

import re

import httpx

from regiongraph.accounts.sessions import principal_for_session


def through_provider(client: httpx.Client, email: str) -> httpx.Response:
    """Follow the sign-in to the provider, submit its form, come back with its answer."""
    start = client.get("/sign-in/oidc?next=/governance")
    assert start.status_code == 303, start.text
    authorize = start.headers["location"]
    assert "code_challenge=" in authorize and "nonce=" in authorize and "state=" in authorize
    page = httpx.get(authorize, timeout=30)
    assert page.status_code == 200, page.text
    action = re.search(r'action="([^"]+)"', page.text).group(1).replace("&amp;", "&")
    answer = httpx.post(httpx.URL(authorize).join(action), data={"email": email}, timeout=30)
    assert answer.status_code == 302, answer.text
    return client.get(answer.headers["location"])


def test_oidc_sign_in_maps_the_provider_email_to_a_registry_person(oidc_service):
    service, provider = oidc_service
    with httpx.Client(base_url=service.url, timeout=30) as client:
        before = client.get("/sign-in", headers={"Accept": "text/html"})
        assert "Sign in with Test provider" in before.text
        done = through_provider(client, "smarquez@mesquite-az.example")
        assert done.status_code == 303 and done.headers["location"] == "/governance", done.text
        principal = principal_for_session(service.store, service.settings,
                                          client.cookies["rg_session"])
        assert principal is not None and principal.person.endswith("/people/sofia-marquez")
        assert client.get("/governance", headers={"Accept": "text/html"}).status_code == 200
    assert provider.codes == {}  # the code was used up


def test_oidc_refuses_people_the_registry_does_not_know_and_replayed_answers(oidc_service):
    service, _ = oidc_service
    with httpx.Client(base_url=service.url, timeout=30) as client:
        stranger = through_provider(client, "stranger@elsewhere.example")
        assert stranger.status_code == 403 and "not the email of a person" in stranger.text
        assert "rg_session" not in client.cookies
    with httpx.Client(base_url=service.url, timeout=30) as client:
        start = client.get("/sign-in/oidc")
        authorize = start.headers["location"]
        page = httpx.get(authorize, timeout=30)
        action = re.search(r'action="([^"]+)"', page.text).group(1).replace("&amp;", "&")
        answer = httpx.post(httpx.URL(authorize).join(action),
                            data={"email": "smarquez@mesquite-az.example"}, timeout=30)
        callback = answer.headers["location"]
        assert client.get(callback).status_code == 303
        replay = client.get(callback)  # the state is used up: the same answer twice fails
        assert replay.status_code == 400
        forged = client.get(re.sub(r"state=[^&]+", "state=forged", callback))
        assert forged.status_code == 400
