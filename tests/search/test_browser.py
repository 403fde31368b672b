"""The search page in headless Chromium (Debian's /usr/bin/chromium via Playwright): type,
submit, narrow by a facet, remove the filter, page on — and nothing fetched off the host."""

import re
from urllib.parse import urlparse

import pytest
from regiongraph.api.app import create_app

from tests.support import serve_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(demo_store, demo_settings):
    with serve_app(create_app(demo_settings, store=demo_store)) as url:
        yield url


@pytest.fixture
def offline_page(page, server):
    """A page that may only talk to the test server; anything else is recorded and aborted."""
    outside: list[str] = []
    host = urlparse(server).netloc

    def guard(route):
        if urlparse(route.request.url).netloc == host:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    yield page
    assert outside == [], f"the page fetched from other hosts: {outside}"


def count(page) -> int:
    return int(page.locator("#result-count").inner_text())


def test_search_narrow_and_widen_in_a_browser(offline_page, server):
    page = offline_page
    page.goto(f"{server}/search")
    page.fill("input[name=q]", "bike share")
    page.press("input[name=q]", "Enter")
    page.wait_for_url(re.compile(r"q=bike\+share"))
    total = count(page)
    assert total > 0
    titles = page.locator(".hit .title").all_inner_texts()
    assert titles and any("bike" in t.lower() for t in titles)
    # narrow by the first format value; the count becomes the facet's count
    facet = page.locator('section[data-facet="format"] a').first
    expected = int(facet.locator(".count").inner_text())
    value = facet.get_attribute("data-value")
    facet.click()
    page.wait_for_url(re.compile(r"fq=format"))
    assert count(page) == expected <= total
    chip = page.locator("a.chip")
    assert chip.count() == 1 and value in chip.inner_text()
    assert page.locator(f'section[data-facet="format"] a[data-value="{value}"].selected').count()
    # the query survives in the box, and removing the chip widens again
    assert page.input_value("input[name=q]") == "bike share"
    chip.click()
    page.wait_for_load_state()
    assert count(page) == total and page.locator("a.chip").count() == 0


def test_paging_and_sorting(offline_page, server):
    page = offline_page
    page.goto(f"{server}/search?rows=5")
    first = page.locator(".hit .title").all_inner_texts()
    assert len(first) == 5
    page.click("a[rel=next]")
    page.wait_for_url(re.compile(r"page=2"))
    second = page.locator(".hit .title").all_inner_texts()
    assert len(second) == 5 and second != first
    page.select_option("select[name=sort]", "title asc")
    page.click("form.search button")
    page.wait_for_url(re.compile(r"sort=title"))
    ordered = page.locator(".hit .title").all_inner_texts()
    assert ordered == sorted(ordered, key=str.lower)


def test_a_bad_request_shows_the_reason(offline_page, server):
    page = offline_page
    response = page.goto(f"{server}/search?fq=colour:red")
    assert response.status == 400
    assert "unknown facet" in page.locator(".error").inner_text()
