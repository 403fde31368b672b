"""YASGUI at /sparql in headless Chromium: type a query, run it, see the results, offline.

Every request to a host other than the loopback server is aborted and recorded; the test
asserts there were none (no CDN, no prefix.cc, no LOV autocompletion, no example endpoint).
"""

from urllib.parse import urlparse

import pytest

from regiongraph.sparql.public import public_store
from tests.support import Watch

pytestmark = pytest.mark.browser

QUERY = ("SELECT ?title WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> ; "
         "<http://purl.org/dc/terms/title> ?title } ORDER BY ?title LIMIT 5")


@pytest.fixture()
def page_and_outside(browser):
    context = browser.new_context()
    watch = Watch(context)
    page = context.new_page()
    yield page, watch.outside
    context.close()


def test_type_a_query_run_it_and_see_results(page_and_outside, demo_service):
    page, outside = page_and_outside
    view = public_store(demo_service.store, demo_service.settings)
    expected = [row["title"].value for row in view.query(QUERY, union_default_graph=True)]
    assert len(expected) == 5

    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(demo_service.url + "/sparql")
    editor = page.locator(".yasqe .CodeMirror")
    editor.wait_for(timeout=15_000)
    assert "PREFIX dcat:" in page.evaluate(
        "window.regiongraphYasgui.getTab().getYasqe().getValue()")
    assert page.locator("#examples button").count() >= 15

    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(QUERY)
    typed = page.evaluate("window.regiongraphYasgui.getTab().getYasqe().getValue()")
    assert typed.strip() == QUERY

    with page.expect_response(lambda r: urlparse(r.url).path == "/sparql"
                              and r.request.method == "POST") as answer:
        page.locator(".yasqe_queryButton").click()
    assert answer.value.status == 200
    table = page.locator(".yasr table.dataTable tbody")
    table.wait_for(timeout=15_000)
    for title in expected:
        page.get_by_role("cell", name=title, exact=True).first.wait_for(timeout=5_000)
    assert table.locator("tr").count() == 5

    # A named query from the list loads into the editor.
    page.locator("details summary").click()
    page.locator("#examples button", has_text="community-members").click()
    loaded = page.evaluate("window.regiongraphYasgui.getTab().getYasqe().getValue()")
    assert "#+ name: community-members" in loaded

    assert errors == []
    assert outside == []
