"""The proposal and decision pages in headless Chromium (Debian's chromium, offline):
a member proposes and submits through the forms, creates the missing agreement's request,
is shown why they may not decide it, and the owner's executive decides it on its page."""

import datetime as dt

import pytest

from tests.support import Watch

pytestmark = pytest.mark.browser


def _as(browser, live, person):
    context = browser.new_context(
        extra_http_headers={"Authorization": f"Bearer {live.token(person)}"})
    watch = Watch(context)
    page = context.new_page()
    watch.attach(page)
    return context, page, watch


def test_propose_and_decide_in_the_browser(browser, live):
    context, page, watch = _as(browser, live, "kevin-cho")
    page.goto(f"{live.url}/workflow/propose")
    page.fill("input[name=title]", "Browser shelter study")
    page.fill("input[name=domain]", "homelessness")
    page.fill("input[name=lead]", "mesquite")
    page.fill("textarea[name=description]", "Proposed in Chromium.")
    page.fill("input[name=needs]", "saguaro/utility-customer-accounts")
    page.click("#propose button[type=submit]")
    page.wait_for_url("**/workflow/projects/*")
    assert page.inner_text("#state") == "draft"
    page.click("#submit button")
    page.wait_for_selector("#state:text('submitted')")
    assert "missing: agreement" in page.inner_text("#strategy")
    assert "engagement requested" in page.inner_text("#timeline")
    page.fill("#strategy input[name=legal_basis]", "Utility data MOU")
    page.click("#strategy .create-request")
    page.wait_for_url("**/workflow/requests/*")
    request_url = page.url
    assert page.inner_text("#state") == "submitted"
    assert "four eyes" in page.inner_text("#why-not")
    assert page.locator("#decide").count() == 0
    assert watch.errors == [] and watch.outside == []
    context.close()

    context, page, watch = _as(browser, live, "maria-delgado")
    page.goto(request_url)
    assert int(page.inner_text("#my-work .badge")) >= 1
    end = (dt.date.today() + dt.timedelta(days=60)).isoformat()
    page.check("#decide input[value=approve]")
    page.fill("#decide input[name=reason]", "Coordinated outreach")
    page.fill("#decide input[name=valid_until]", end)
    page.click("#decide button[type=submit]")
    page.wait_for_selector("#state:text('in-force')")
    assert "approve by" in page.inner_text("#decisions")
    assert page.locator("#revoke").count() == 1
    assert watch.errors == [] and watch.outside == []
    context.close()
