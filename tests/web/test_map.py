"""/map in headless Chromium: it draws the region's layers, pans, filters by facet and by
the search box, and clicks through to pages, with every request kept on loopback (any
other host is intercepted, aborted and fails the test). The layer endpoints follow the
public rule: a dataset that is not publishable is never drawn."""

import httpx
import pytest
from regiongraph.api.app import create_app

from tests.support import Watch, serve_app

pytestmark = pytest.mark.browser
TIMEOUT = 20_000


@pytest.fixture()
def watched(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT)
    watch = Watch(context)
    page = context.new_page()
    watch.attach(page)
    yield page, watch
    assert watch.outside == [], watch.outside
    assert watch.errors == [], watch.errors
    context.close()


def open_map(page, url):
    page.goto(f"{url}/map")
    page.wait_for_selector("#map[data-ready=true]")


def published_with_coverage(url) -> list[dict]:
    return httpx.get(f"{url}/map/layers/datasets.geojson", timeout=30).json()["features"]


def only_hit(url, q) -> str | None:
    """The one dataset the search finds for `q`, or None when it finds another number."""
    hits = [h["iri"] for h in httpx.get(f"{url}/search", params={"q": q, "rows": 100}).json()[
        "results"] if h["kind"] == "dataset"]
    return hits[0] if len(hits) == 1 else None


def test_map_draws_the_region_offline(watched, planning_url, demo_region):
    page, _ = watched
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    open_map(page, planning_url)
    assert page.locator("path.feature-communities").count() == 12
    assert page.locator("path.feature-projects").count() == len(demo_region.projects) == 31
    assert page.locator("path.feature-service-areas").count() == 0  # off until asked for
    assert page.evaluate("typeof L.markerClusterGroup") == "function"
    assert any(u.endswith("/assets/leaflet/leaflet.js") for u in requested)
    assert not any("tile" in u for u in requested)  # no base map without a tile URL
    assert not any(u.endswith("datasets.geojson") for u in requested)  # drawn on demand
    page.check('#map-layers input[value="service-areas"]')
    page.locator("path.feature-service-areas").nth(3).wait_for()  # (the page's CSP forbids
    assert page.locator("path.feature-service-areas").count() == 4  # wait_for_function)


def test_pan_moves_the_map(watched, planning_url):
    page, _ = watched
    open_map(page, planning_url)
    before = page.evaluate("window.regiongraphMap.getCenter()")
    box = page.locator("#map").bounding_box()
    x, y = box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.2
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 11):  # a hand's pace: Leaflet starts a drag on timed moves
        page.mouse.move(x - 30 * step, y + 15 * step)
        page.wait_for_timeout(30)
    page.mouse.up()
    after = page.evaluate("window.regiongraphMap.getCenter()")
    assert after["lng"] > before["lng"] + 0.1  # dragged left: the view moved east
    assert after["lat"] > before["lat"] + 0.05  # dragged down: the view moved north


def test_datasets_cluster_and_filter_by_facet_and_search(watched, planning_url, publishable):
    page, _ = watched
    features = published_with_coverage(planning_url)
    assert {f["id"] for f in features} <= publishable
    open_map(page, planning_url)
    page.check('#map-layers input[value="datasets"]')
    status = page.locator("#map-status")
    status.filter(has_text=f"{len(features)} of {len(features)} datasets shown").wait_for()
    assert page.locator(".marker-cluster").count() > 0  # dense points are clustered
    # facet: one community
    agave = [f for f in features if f["properties"]["community"].endswith("/agave")]
    page.locator("#facet-community label", has_text="City of Agave").locator("input").check()
    status.filter(has_text=f"{len(agave)} of {len(features)} datasets shown").wait_for()
    assert page.locator("#map-results li").count() == len(agave)
    # the search box: the one full-text search, combined with the facet
    hits = httpx.get(f"{planning_url}/search", params={"q": "traffic", "rows": 100},
                     headers={"Accept": "application/json"}).json()["results"]
    expected = {h["iri"] for h in hits if h["kind"] == "dataset"} & {f["id"] for f in agave}
    assert expected and len(expected) < len(agave)
    page.fill("#map-q", "traffic")
    page.click("#map-search button")
    status.filter(has_text=f"{len(expected)} of {len(features)} datasets shown").wait_for()
    shown = {page.locator("#map-results li a").nth(i).get_attribute("href")
             for i in range(len(expected))}
    assert shown == {"/" + iri.split("/", 3)[3] for iri in expected}


def test_click_through_to_a_community_and_a_dataset(watched, planning_url):
    page, _ = watched
    open_map(page, planning_url)
    page.uncheck('#map-layers input[value="projects"]')
    town = page.locator('path.feature-communities[data-id$="/communities/ocotillo"]')
    town.click()
    link = page.locator(".leaflet-popup a.map-link")
    assert link.inner_text() == "Town of Ocotillo"
    link.click()
    page.wait_for_url("**/communities/ocotillo")
    page.wait_for_selector(".minimap[data-ready=true]")  # its small map draws its boundary
    assert page.locator(".minimap path").count() == 1

    # a project area, drawn over the communities (smaller areas on top)
    open_map(page, planning_url)
    page.locator('path.feature-projects[data-id$="/projects/saguaro-scooter-pilot"]').click()
    page.locator(".leaflet-popup a.map-link", has_text="Shared scooter permit pilot").click()
    page.wait_for_url("**/projects/saguaro-scooter-pilot")
    page.wait_for_selector(".minimap[data-ready=true]")

    # a dataset with its own coverage (not a named place): find it alone by its title
    features = published_with_coverage(planning_url)
    own = next(f for f in features if f["properties"]["place"] is None
               and only_hit(planning_url, f'"{f["properties"]["label"]}"') == f["id"])
    open_map(page, planning_url)
    page.fill("#map-q", f'"{own["properties"]["label"]}"')
    page.click("#map-search button")
    pin = page.locator(f'.dataset-pin[data-id="{own["id"]}"]')
    pin.click()
    page.wait_for_selector("path.feature-coverage")  # its coverage, fetched on demand
    page.locator(".leaflet-popup a.map-link").click()
    page.wait_for_url("**" + own["properties"]["href"])
    page.wait_for_selector(".minimap[data-ready=true]")


def test_hidden_datasets_are_never_drawn(planning_url, demo_store, publishable, admin_headers):
    everything = {row["d"].value for row in demo_store.query(
        "SELECT ?d WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> ; "
        "<http://www.opengis.net/ont/geosparql#hasGeometry> ?g }", union_default_graph=True)}
    hidden = sorted(everything - publishable)
    assert hidden
    drawn = {f["id"] for f in published_with_coverage(planning_url)}
    assert drawn == everything & publishable
    asked = httpx.get(f"{planning_url}/map/features.geojson",
                      params=[("iri", i) for i in hidden[:50]]).json()["features"]
    assert asked == []
    steward = httpx.get(f"{planning_url}/map/features.geojson", headers=admin_headers,
                        params=[("iri", i) for i in hidden[:50]]).json()["features"]
    assert len(steward) == len(hidden[:50])
    steward_layer = httpx.get(f"{planning_url}/map/layers/datasets.geojson",
                              headers=admin_headers).json()["features"]
    assert {f["id"] for f in steward_layer} == everything


def test_base_map_only_from_the_configured_tile_url(browser, demo_store, demo_settings):
    """With a tile URL set, the page asks that host for tiles (intercepted here, never
    reaching it) and its Content-Security-Policy allows that host alone."""
    settings = demo_settings.model_copy(update={
        "map_tiles": "https://tiles.example.org/{z}/{x}/{y}.png",
        "map_attribution": "Example tiles"})
    with serve_app(create_app(settings, store=demo_store)) as url:
        csp = httpx.get(f"{url}/map").headers["content-security-policy"]
        assert "img-src 'self' data: https://tiles.example.org;" in csp
        context = browser.new_context()
        watch = Watch(context)
        page = context.new_page()
        page.goto(f"{url}/map")
        page.wait_for_selector("#map[data-ready=true]", timeout=TIMEOUT)
        page.locator("img.leaflet-tile").first.wait_for(state="attached")
        assert "Example tiles" in page.locator(".leaflet-control-attribution").inner_text()
        context.close()
    assert watch.outside and all(u.startswith("https://tiles.example.org/")
                                 for u in watch.outside)
