"""Site-wide page behaviour over real HTTP on the demo region: the navigation reaches every
report, /quality and /standards have pages, browsers get error pages while API clients keep
JSON errors, the favicon, and a dashboard whose numbers agree with each other, with the
kernel for the anonymous audience, and with `regiongraph network` for stewards."""

import html
import json
import re
import subprocess
import sys

import httpx

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
NAV = ["/search", "/sparql", "/catalog", "/explore", "/reuse", "/standards", "/quality",
       "/reports/latest", "/governance", "/ontology"]


def get(url: str, **headers) -> httpx.Response:
    return httpx.get(url, headers=headers, timeout=60)


def text_of(page: str, element_id: str) -> str:
    found = re.search(rf'<(\w+)[^>]*id="{element_id}"[^>]*>(.*?)</\1>', page, re.DOTALL)
    assert found, f"no #{element_id} on the page"
    return html.unescape(re.sub(r"<[^>]+>", " ", found.group(2)))


def card_number(page: str, element_id: str) -> int:
    return int(text_of(page, element_id).split()[0])


def test_navigation_reaches_every_report(planning_url, admin_headers):
    page = get(planning_url + "/", **BROWSER).text
    nav = re.search(r"<nav>(.*?)</nav>", page, re.DOTALL).group(1)
    links = re.findall(r'href="([^"]+)"', nav)
    assert set(NAV) <= set(links), sorted(set(NAV) - set(links))
    for path in NAV:
        response = get(planning_url + path, **BROWSER,
                       **(admin_headers if path == "/governance" else {}))
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/html"), path


def test_quality_page_shows_the_json_numbers(planning_url):
    data = get(planning_url + "/quality").json()  # API clients still get JSON by default
    page = get(planning_url + "/quality", **BROWSER)
    assert page.headers["content-type"].startswith("text/html")
    assert text_of(page.text, "region-mean").strip() == str(data["region"]["mean"])
    rows = re.search(r'id="communities">(.*?)</table>', page.text, re.DOTALL).group(1)
    for community in data["communities"]:
        if community["scope"] != "(none)":
            assert f'href="/communities/{community["scope"]}"' in rows
        assert f"<td>{community['mean']}</td>" in rows, community["scope"]
    every = get(planning_url + "/quality?datasets=true", **BROWSER).text
    assert every.count('<tr><td><a href="/datasets/') == data["region"]["datasets"]


def test_standards_page_lists_every_standard(planning_url):
    data = get(planning_url + "/standards").json()
    page = get(planning_url + "/standards", **BROWSER).text
    assert 'id="standards"' in page
    for standard in data["standards"]:
        assert f"<tr><td>{html.escape(standard['label'])}</td>" in page


def test_browsers_get_error_pages_api_clients_json(planning_url):
    for path, status in (("/no/such/page", 404), ("/communities/atlantis", 404),
                         ("/datasets/nowhere/nothing", 404), ("/governance", 401)):
        page = get(planning_url + path, **BROWSER)
        assert page.status_code == status, path
        assert page.headers["content-type"].startswith("text/html"), path
        assert "<nav>" in page.text and f"<h1>{status} " in page.text, path
        for accept in ({}, {"Accept": "application/json"}, {"Accept": "*/*"}):
            api = get(planning_url + path, **accept)
            assert api.status_code == status, (path, accept)
            assert api.headers["content-type"] == "application/json", (path, accept)
            assert api.json()["detail"], (path, accept)
    assert "WWW-Authenticate" in get(planning_url + "/governance", **BROWSER).headers


def test_favicon_is_served_and_linked(planning_url):
    icon = get(planning_url + "/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00" and b"PNG" in icon.content[:40]
    assert '<link rel="icon" href="/favicon.ico"' in get(planning_url + "/", **BROWSER).text


def test_anonymous_dashboard_counts_are_the_kernels(planning_url, demo_store, demo_settings):
    from regiongraph.analysis.access import visible_datasets
    from regiongraph.analysis.cache import cached_region
    from regiongraph.analysis.summary import lineage_links, region_summary

    region = cached_region(demo_store, demo_settings)
    visible = visible_datasets(demo_store, demo_settings, admin=False)
    links = lineage_links(region, visible)
    page = get(planning_url + "/", **BROWSER).text
    assert card_number(page, "card-lineage") == links
    assert "public lineage links" in text_of(page, "card-lineage")
    assert f"in {links} public lineage links" in text_of(page, "network-summary")
    datasets = region_summary(demo_store, region, visible=visible).datasets
    assert card_number(page, "card-datasets") == datasets
    report = get(planning_url + "/reports/latest").json()
    violations = sum(r["severity"].endswith("Violation") for r in report["results"])
    assert card_number(page, "card-violations") == violations
    assert 'href="/reports/latest"' in re.search(r'id="card-violations"[^>]*>', page).group(0)
    findings = text_of(page, "network-findings")
    assert "shares no data" not in findings, "an anonymous page counts public data only"
    assert "Town of Ocotillo shares no public data" in findings


def test_steward_dashboard_agrees_with_the_cli(planning_url, admin_headers, demo_store,
                                               tmp_path):
    dump = tmp_path / "demo.nq"
    with dump.open("wb") as out:
        demo_store.dump(out)
    store = tmp_path / "store"
    cli = [sys.executable, "-m", "regiongraph", "--store", str(store)]
    restored = subprocess.run([*cli, "restore", str(dump)], capture_output=True, text=True,
                              timeout=300, check=False)
    assert restored.returncode == 0, restored.stderr
    result = subprocess.run([*cli, "network", "--json"], capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    network = json.loads(result.stdout)
    ocotillo = [f["sentence"] for f in network["community_centrality"]
                if f["label"] == "Town of Ocotillo"]
    assert ocotillo and "exchanges data with" in ocotillo[0]

    page = get(planning_url + "/", **BROWSER, **admin_headers).text
    assert " ".join(text_of(page, "network-summary").split()) == network["summary"]
    links = int(re.search(r"in (\d+) lineage links", network["summary"]).group(1))
    assert card_number(page, "card-lineage") == links
    cli_sentences = {f["sentence"] for key in ("articulation_points", "community_centrality",
                                               "components") for f in network[key]}
    shown = re.findall(r"<li>(.*?)</li>", re.search(r'id="network-findings">(.*?)</ul>',
                                                    page, re.DOTALL).group(1), re.DOTALL)
    assert shown and {html.unescape(s) for s in shown} <= cli_sentences
    assert "Town of Ocotillo shares no" not in page
