"""The planners' pages in headless Chromium (Debian's /usr/bin/chromium via Playwright).

Each page must render with no console error, no uncaught exception and no request to
anything but the loopback server; the lineage explorer must load cytoscape.js from
node_modules, draw the root's neighbours, and add new nodes when a node is clicked.
"""

from urllib.parse import quote

import httpx
import pytest

from tests.support import Watch

pytestmark = pytest.mark.browser


@pytest.fixture()
def watched(browser):
    context = browser.new_context()
    watch = Watch(context)
    page = context.new_page()
    watch.attach(page)
    yield page, watch
    context.close()


def node_count(page) -> int:
    return page.evaluate("window.regiongraphExplorer.cy.nodes().length")


def test_explorer_loads_and_expands_on_click(watched, planning_url, demo_region, publishable):
    page, watch = watched
    # start from a public dataset with a neighbour that has neighbours of its own
    degree: dict[str, set[str]] = {}
    for up, down, _ in demo_region.edges:
        if up in publishable and down in publishable:
            degree.setdefault(up, set()).add(down)
            degree.setdefault(down, set()).add(up)
    root = next(r for r in sorted(degree, key=lambda n: (-len(degree[n]), n))
                if any(degree[n] - degree[r] - {r} for n in degree[r]))
    short = root.split("/datasets/", 1)[1]
    page.goto(f"{planning_url}/explore?id={quote(short, safe='/')}")
    page.wait_for_function("window.regiongraphExplorer && window.regiongraphExplorer.ready")
    first = node_count(page)
    assert first == len(degree[root]) + 1
    assert page.evaluate("typeof cytoscape") == "function"
    # click a neighbour that leads somewhere new, at its place on the canvas
    target = next(n for n in sorted(degree[root]) if degree[n] - degree[root] - {root})
    box = page.locator("#explorer").bounding_box()
    position = page.evaluate(
        "id => window.regiongraphExplorer.cy.getElementById(id).renderedPosition()", target)
    page.mouse.click(box["x"] + position["x"], box["y"] + position["y"])
    page.wait_for_function(f"window.regiongraphExplorer.cy.nodes().length > {first}")
    new_ids = set(page.evaluate("window.regiongraphExplorer.cy.nodes().map(n => n.id())"))
    assert degree[target] <= new_ids
    assert page.evaluate(
        "id => window.regiongraphExplorer.cy.getElementById(id).hasClass('expanded')", target)
    assert "dataset page" in page.locator("#explorer-detail").inner_text()
    assert "nodes" in page.locator("#explorer-status").inner_text()
    assert not watch.errors, watch.errors
    assert not watch.outside, watch.outside


def test_explorer_start_form(watched, planning_url, demo_region, publishable):
    page, watch = watched
    page.goto(f"{planning_url}/explore")
    page.wait_for_function("window.regiongraphExplorer && window.regiongraphExplorer.ready")
    assert node_count(page) > 1, "the default root is the best-connected public dataset"
    other = next(d for d in sorted(publishable)
                 if any(d in (u, v) for u, v, _ in demo_region.edges))
    page.fill("#root-input", other.split("/datasets/", 1)[1])
    page.click("#explore-form button")
    page.wait_for_function(
        "id => window.regiongraphExplorer.cy.getElementById(id).nonempty()", arg=other)
    assert not watch.errors and not watch.outside


def test_every_page_renders_cleanly(browser, planning_url, admin_headers, demo_region):
    project = min(demo_region.projects).rsplit("/", 1)[-1]
    pages = ["/", "/communities/saguaro", "/communities/red-mesa", f"/projects/{project}",
             "/reuse", "/reuse?community=mesquite", "/explore"]
    admin_pages = ["/", "/governance", f"/projects/{project}"]
    for headers, paths in (({}, pages), (admin_headers, admin_pages)):
        context = browser.new_context(extra_http_headers=headers)
        watch = Watch(context)
        page = context.new_page()
        watch.attach(page)
        for path in paths:
            response = page.goto(planning_url + path)
            assert response.status == 200, path
            page.wait_for_load_state("load")
            assert page.locator("main h1").count() == 1, path
        if "/governance" in paths:
            # the what-if form: pick a record and see what it alone covers
            page.goto(planning_url + "/governance")
            option = page.locator("#lapse-form select option").nth(1).get_attribute("value")
            page.select_option("#lapse-form select", option)
            page.click("#lapse-form button")
            page.wait_for_selector("#newly-uncovered")
            assert "lapse=" in page.url
        context.close()
        assert not watch.errors, watch.errors
        assert not watch.outside, watch.outside


def test_cytoscape_is_served_from_node_modules(planning_url):
    response = httpx.get(f"{planning_url}/assets/cytoscape/cytoscape.min.js")
    assert response.status_code == 200 and len(response.content) > 100_000


def test_the_watch_sees_errors_and_outside_requests(watched, planning_url):
    """The checks above mean something only if the watch catches what it looks for."""
    page, watch = watched
    page.goto(planning_url + "/explore")
    page.evaluate("console.error('probe')")
    page.evaluate("fetch('https://example.org/tracker.js').catch(() => null)")
    page.wait_for_timeout(200)
    assert "probe" in watch.errors
    assert watch.outside == ["https://example.org/tracker.js"]
