"""/docs (Swagger UI) and /redoc render in headless Chromium with nothing fetched off-host.

Both front ends come from npm (package-lock.json) through /assets; every request to a host
other than the loopback server is aborted and recorded, and there must be none.
"""

import httpx
import pytest

from tests.support import Watch

pytestmark = pytest.mark.browser


def operation_count(url: str) -> int:
    spec = httpx.get(url + "/openapi.json", timeout=30).json()
    return sum(1 for methods in spec["paths"].values() for m in methods if m != "parameters")


def rendered_operations(page, expected: int, timeout: float = 60.0) -> set[str]:
    """The operations Swagger UI renders, each counted once: it draws only the sections
    near the viewport, so walk the page down a screen at a time and collect their ids."""
    import time

    deadline = time.monotonic() + timeout
    seen: set[str] = set()
    while time.monotonic() < deadline:
        seen.update(filter(None, page.eval_on_selector_all(
            ".opblock", "blocks => blocks.map(b => b.id)")))
        at_bottom = page.evaluate("window.scrollY + window.innerHeight + 2 >= "
                                  "document.documentElement.scrollHeight")
        if len(seen) >= expected or at_bottom:
            break
        page.evaluate("window.scrollBy(0, window.innerHeight / 2)")
        page.wait_for_timeout(150)
    return seen


def test_swagger_ui_renders_every_operation_offline(browser, planning_url):
    context = browser.new_context()
    watch = Watch(context)
    page = context.new_page()
    watch.attach(page)
    response = page.goto(planning_url + "/docs")
    assert response.status == 200
    assert "cdn.jsdelivr.net" not in response.text()
    page.locator(".opblock").first.wait_for(timeout=20_000)
    drawn = rendered_operations(page, operation_count(planning_url))
    assert len(drawn) == operation_count(planning_url)
    assert any("sparql" in block for block in drawn), sorted(drawn)[:5]
    context.close()
    assert not watch.errors, watch.errors
    assert not watch.outside, watch.outside


def test_redoc_renders_operations_offline(browser, planning_url):
    context = browser.new_context()
    watch = Watch(context)
    page = context.new_page()
    watch.attach(page)
    response = page.goto(planning_url + "/redoc")
    assert response.status == 200
    assert "cdn.jsdelivr.net" not in response.text()
    operations = page.locator("[data-section-id^='operation/']")
    operations.first.wait_for(timeout=30_000)
    assert operations.count() == operation_count(planning_url)
    assert operations.filter(has_text="A dataset: HTML page or DCAT-AP 3 RDF").count() == 1
    context.close()
    # ReDoc's sidebar hard-codes a logo on cdn.redoc.ly: the page's CSP stops it unsent.
    assert all("cdn.redoc.ly" in e and "Content Security Policy" in e for e in watch.errors), \
        watch.errors
    assert not watch.outside, watch.outside


def test_only_the_listed_front_end_files_are_served(planning_url):
    served = httpx.get(planning_url + "/assets/swagger-ui/swagger-ui-bundle.js", timeout=30)
    assert served.status_code == 200 and len(served.content) > 500_000
    assert httpx.get(planning_url + "/assets/redoc/redoc.standalone.js",
                     timeout=30).status_code == 200
    # in node_modules, but not needed by any page, so not served (a wheel lacks it too)
    assert httpx.get(planning_url + "/assets/swagger-ui/index.html",
                     timeout=30).status_code == 404
