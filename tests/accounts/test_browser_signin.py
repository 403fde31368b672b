"""Sign-in in headless Chromium: by password and by OpenID Connect (a provider on
loopback built on Authlib's server components). After sign-in the browser opens
/governance and gets the page, not a JSON 401."""

import pytest

from regiongraph.accounts.passwords import set_password
from regiongraph.iri import Minter
from tests.support import Watch

pytestmark = pytest.mark.browser
PASSWORD = "a long browser password 42"


@pytest.fixture()
def watched(browser):
    context = browser.new_context()
    watch = Watch(context)
    page = context.new_page()
    watch.attach(page)
    yield context, page, watch
    context.close()


def governance_opens(page, url: str) -> None:
    response = page.goto(url + "/governance")
    assert response is not None and response.status == 200
    assert response.headers["content-type"].startswith("text/html")
    assert page.locator("h1").first.inner_text().strip()
    assert "detail" not in page.content()[:200]


def test_password_sign_in_in_chromium(watched, oidc_service):
    service, _ = oidc_service
    context, page, watch = watched
    person = Minter(service.settings.base).iri("person", "robert-hale").value
    set_password(service.store, service.settings, person, PASSWORD)
    page.goto(service.url + "/governance")
    assert "sign in" in page.content().lower()  # the 401 page, for a browser
    watch.errors.clear()  # Chromium logs that 401 as a console error
    page.goto(service.url + "/sign-in?next=/governance")
    page.fill("input[name=email]", "rhale@mesquite-az.example")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.signin button[type=submit]")
    page.wait_for_url(service.url + "/governance")
    cookies = {c["name"]: c for c in context.cookies()}
    assert cookies["rg_session"]["httpOnly"] and cookies["rg_session"]["sameSite"] == "Lax"
    governance_opens(page, service.url)
    page.goto(service.url + "/account")
    assert "Robert Hale" in page.locator("h1").inner_text()
    assert "city manager at City of Mesquite (executive)" in page.locator("ul.roles").inner_text()
    page.click("form[action='/sign-out'] button")
    page.wait_for_url(service.url + "/")
    assert "rg_session" not in {c["name"] for c in context.cookies()}
    assert watch.errors == [] and watch.outside == []


def test_oidc_sign_in_in_chromium(watched, oidc_service):
    service, _ = oidc_service
    context, page, watch = watched
    page.goto(service.url + "/sign-in?next=/governance")
    page.click("#oidc")
    page.wait_for_selector("#email")  # the provider's own page
    page.fill("#email", "smarquez@mesquite-az.example")
    page.click("#allow")
    page.wait_for_url(service.url + "/governance")
    governance_opens(page, service.url)
    assert "rg_session" in {c["name"] for c in context.cookies()}
    assert watch.errors == [] and watch.outside == []
