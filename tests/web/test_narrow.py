"""Every page on a phone (390×844 in headless Chromium): nothing wider than the screen, every
navigation link on screen, the search button reachable, and search results before facets."""

from urllib.parse import quote

import pytest

from tests.support import Watch

pytestmark = pytest.mark.browser
WIDTH, HEIGHT = 390, 844


def phone_pages(demo_region, publishable) -> list[str]:
    dataset = min(publishable).split("/datasets/", 1)[1]
    project = min(demo_region.projects).rsplit("/", 1)[-1]
    return ["/", "/sparql", "/catalog", "/search?q=water", "/explore",
            f"/datasets/{quote(dataset, safe='/')}", "/communities/saguaro",
            f"/projects/{project}", "/reuse", "/governance", "/standards", "/quality",
            "/reports/latest", "/ontology", "/no/such/page"]


@pytest.fixture(params=[False, True], ids=["anonymous", "steward"])
def phone(request, browser, admin_headers):
    """A phone-sized browser; the steward's sends the admin token (governance needs it)."""
    context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT},
                                  extra_http_headers=admin_headers if request.param else {})
    context.set_default_timeout(20_000)
    watch = Watch(context)
    page = context.new_page()
    watch.attach(page)
    yield page, watch, request.param
    context.close()


def layout_problems(page) -> list[str]:
    """What on this page does not fit a phone screen."""
    problems = []
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > WIDTH:
        problems.append(f"{width} px wide")
    links = page.locator("header.site nav a")
    if links.count() < 10:
        problems.append(f"only {links.count()} navigation links")
    for i in range(links.count()):
        box = links.nth(i).bounding_box()
        if not links.nth(i).is_visible() or box is None or box["x"] < 0 \
                or box["x"] + box["width"] > WIDTH:
            problems.append(f"navigation link {links.nth(i).inner_text()!r} off screen: {box}")
    return problems


def test_every_page_fits_a_phone(phone, planning_url, demo_region, publishable):
    page, watch, steward = phone
    failed: list[tuple[str, int]] = []
    page.on("response", lambda r: failed.append((r.url, r.status))
            if r.status >= 400 and r.request.resource_type != "document" else None)
    problems, statuses = {}, {}
    for path in phone_pages(demo_region, publishable):
        statuses[path] = page.goto(planning_url + path, wait_until="load").status
        if path == "/sparql":
            page.wait_for_selector(".yasqe .CodeMirror")
        found = layout_problems(page)
        if found:
            problems[path] = found
    assert not problems, "\n".join(f"{path}: {found}" for path, found in problems.items())
    assert statuses.pop("/no/such/page") == 404
    governance = statuses.pop("/governance")
    assert set(statuses.values()) == {200}, statuses
    assert governance == (200 if steward else 401)
    assert not failed, failed
    # documents answered 401/404 on purpose log "Failed to load resource"; nothing else may
    assert not [e for e in watch.errors if not e.startswith("Failed to load resource")], \
        watch.errors
    assert not watch.outside, watch.outside
    icon = page.evaluate("""() => new Promise(done => { const i = new Image();
        i.onload = () => done(i.naturalWidth); i.onerror = () => done(0);
        i.src = '/favicon.ico?decode'; })""")
    # (a query string: under Playwright's routing, Chromium's own tab-icon fetch of the bare
    # URL is not shared with the page)
    assert icon == 32, "the favicon decodes as a 32 px image"


def test_search_on_a_phone(phone, planning_url):
    page, _, _ = phone
    page.goto(f"{planning_url}/search?q=water")
    button = page.locator("form.search button[type=submit]").bounding_box()
    assert button and button["x"] >= 0 and button["x"] + button["width"] <= WIDTH, button
    results, facets = page.locator("section.results"), page.locator("aside.facets")
    assert results.bounding_box()["y"] < facets.bounding_box()["y"], "results come first"
    follows = page.evaluate("""() => document.querySelector('section.results')
        .compareDocumentPosition(document.querySelector('aside.facets'))
        & Node.DOCUMENT_POSITION_FOLLOWING""")
    assert follows, "in reading order too, results come before facets"
