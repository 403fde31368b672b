"""What a portal sends is untrusted: its paging links and redirects never reach the disk
or a private address (issue "Fit and finish" 00, and the SSRF item of "Production").

Each paged source type gets a `next` page that is (a) an absolute path to a real local
file holding records, (b) a `file:` URL to that file, (c) a loopback URL with
allow-private off. CKAN and Socrata build their page URLs from the source's own URL, so
there the portal's say is a redirect. In every case no record of the local file loads,
the refused link is reported with where and why, and the first page's records load.
"""

import json
import re
import time
from pathlib import Path

import pytest
from regiongraph.loaders import RefusedURL

from regiongraph.harvest import Fetcher, SourceConfig, harvest_source
from regiongraph.namespaces import DCAT, DCT
from tests.harvest.conftest import QUICK
from tests.harvest.fixture_server import arcgis_feature, ckan_package, socrata_result

PUBLIC = "https://portal.public.example"
"""Where a first page handed over directly (`content=`) says it came from; never contacted."""
KINDS = ("path", "file", "loopback")


def identifiers(harvest) -> set[str]:
    rows = harvest.store.query(
        f"SELECT ?i WHERE {{ GRAPH ?g {{ ?d a <{DCAT.Dataset.value}> ; "
        f"<{DCT.identifier.value}> ?i }} }}", named_graphs=[harvest.graph()])
    return {r["i"].value for r in rows}


def refused(report) -> list[str]:
    return [e.message for e in report.errors if "next page refused" in e.message]


def harvest_public_page(harvest, type: str, location: str, body: bytes, **options):
    """Harvest a first page handed over as content, with allow-private off."""
    settings = harvest.settings.with_overrides(harvest_allow_private=False)
    source = SourceConfig(id="src", community="testville", type=type, url=location,
                          options=options)
    return harvest_source(harvest.store, settings, source, policy=QUICK, content=body)


def paths_asked(portal) -> list[str]:
    return [p.split("?")[0] for p, _ in portal.requests]


# ArcGIS Hub search: the `next` link of a page ------------------------------------------

def arcgis_page(items: list[int], total: int, next_href: str | None = None) -> bytes:
    links = [{"rel": "next", "href": next_href}] if next_href else []
    return json.dumps({"type": "FeatureCollection", "features": [arcgis_feature(i) for i in items],
                       "numberMatched": total, "links": links}).encode()


def arcgis_id(i: int) -> str:
    return f"{i:032x}"


@pytest.mark.parametrize("kind", KINDS)
def test_arcgis_next_link(harvest, portal, tmp_path, kind):
    disk = tmp_path / "records.json"
    disk.write_bytes(arcgis_page([901, 902], total=2))
    portal.requests.clear()
    if kind == "loopback":
        portal.at["/elsewhere/arcgis-page2"] = (arcgis_page([3], total=3), "application/json")
        report = harvest_public_page(
            harvest, "arcgis", f"{PUBLIC}/api/search/v1/collections/dataset/items",
            arcgis_page([1, 2], total=10, next_href=f"{portal.url}/elsewhere/arcgis-page2"))
        assert "/elsewhere/arcgis-page2" not in paths_asked(portal)
    else:
        link = str(disk) if kind == "path" else disk.as_uri()
        # the path names a page on the portal, which answers it with a last page
        portal.at[str(disk)] = (arcgis_page([3], total=3), "application/json")
        portal.mutable[f"arcgis-{kind}"] = (arcgis_page([1, 2], total=10, next_href=link),
                                            "application/json")
        report = harvest(f"{portal.url}/mutable/arcgis-{kind}", "arcgis")
    assert report.status == "ok", report.summary()
    loaded = identifiers(harvest)
    assert not {arcgis_id(901), arcgis_id(902)} & loaded
    if kind == "path":
        assert str(disk) in paths_asked(portal)  # resolved against the page: the portal's
        assert loaded == {arcgis_id(i) for i in (1, 2, 3)} and refused(report) == []
        return
    assert loaded == {arcgis_id(1), arcgis_id(2)}
    [message] = refused(report)
    why = "not an http(s) URL" if kind == "file" else "127.0.0.1 is a loopback address"
    where = f"{portal.url}/mutable/arcgis-file" if kind == "file" else PUBLIC
    assert message.startswith(where) and why in message and "kept the 2 items" in message


# DCAT with Hydra paging -------------------------------------------------------------------

def dcat_page(ids: list[str], next_value: str | None = None) -> bytes:
    """A Turtle page; the next page is the legacy literal `hydra:nextPage`, which the
    parser does not resolve: the loader must."""
    lines = ["@prefix dcat: <http://www.w3.org/ns/dcat#> .",
             "@prefix dct: <http://purl.org/dc/terms/> .",
             "@prefix hydra: <http://www.w3.org/ns/hydra/core#> .",
             "<https://data.test.example/catalog> a dcat:Catalog ."]
    if next_value:
        lines.append(f'<https://data.test.example/catalog> a hydra:PagedCollection ; '
                     f'hydra:nextPage "{next_value}" .')
    for ident in ids:
        lines.append(f'<https://data.test.example/dataset/{ident}> a dcat:Dataset ; '
                     f'dct:identifier "{ident}" ; dct:title "Dataset {ident}" .')
    return "\n".join(lines).encode()


@pytest.mark.parametrize("kind", KINDS)
def test_dcat_hydra_next_page(harvest, portal, tmp_path, kind):
    disk = tmp_path / "records.ttl"
    disk.write_bytes(dcat_page(["disk-a", "disk-b"]))
    portal.requests.clear()
    if kind == "loopback":
        portal.at["/elsewhere/dcat-page2"] = (dcat_page(["p2-a"]), "text/turtle")
        report = harvest_public_page(harvest, "dcat", f"{PUBLIC}/catalog.ttl",
                                     dcat_page(["p1-a", "p1-b"],
                                               f"{portal.url}/elsewhere/dcat-page2"))
        assert "/elsewhere/dcat-page2" not in paths_asked(portal)
    else:
        link = str(disk) if kind == "path" else disk.as_uri()
        portal.at[str(disk)] = (dcat_page(["p2-a"]), "text/turtle")
        portal.mutable[f"dcat-{kind}.ttl"] = (dcat_page(["p1-a", "p1-b"], link), "text/turtle")
        report = harvest(f"{portal.url}/mutable/dcat-{kind}.ttl", "dcat")
    assert report.status == "ok", report.summary()
    loaded = identifiers(harvest)
    assert not {"disk-a", "disk-b"} & loaded
    if kind == "path":
        assert str(disk) in paths_asked(portal)
        assert loaded == {"p1-a", "p1-b", "p2-a"} and refused(report) == []
        return
    assert loaded == {"p1-a", "p1-b"}
    [message] = refused(report)
    assert ("not an http(s) URL" if kind == "file" else "loopback address") in message
    assert "kept the triples of 1 page(s)" in message


def test_dcat_file_source_with_a_path_link_never_reads_the_path(harvest, tmp_path):
    """A stored catalog (a path the steward configured) is trusted; its links are not:
    a path in it resolves to a `file:` URL, which is refused."""
    disk = tmp_path / "records.ttl"
    disk.write_bytes(dcat_page(["disk-a"]))
    first = tmp_path / "catalog.ttl"
    first.write_bytes(dcat_page(["p1-a"], str(disk)))
    report = harvest(first, "dcat")
    assert report.status == "ok", report.summary()
    assert identifiers(harvest) == {"p1-a"}
    [message] = refused(report)
    assert message.startswith(str(first)) and f"{disk.as_uri()}: not an http(s) URL" in message


# CKAN and Socrata: page URLs come from the source; the portal's say is a redirect -------

def ckan_body(numbers: list[int], total: int) -> bytes:
    return json.dumps({"success": True, "result": {
        "count": total, "results": [ckan_package(i) for i in numbers]}}).encode()


def socrata_body(numbers: list[int], total: int) -> bytes:
    return json.dumps({"results": [socrata_result(i) for i in numbers],
                       "resultSetSize": total}).encode()


PAGED = {
    # type: (API path on the portal, response body, identifier of item i)
    "ckan": ("ckan/api/3/action/package_search", ckan_body,
             lambda i: f"00000000-0000-4000-8000-{i:012d}"),
    "socrata": ("socrata/api/catalog/v1", socrata_body, lambda i: f"ab{i:02d}-cd{i:02d}"),
}


@pytest.mark.parametrize("type", sorted(PAGED))
@pytest.mark.parametrize("kind", KINDS)
def test_api_paging_redirect(harvest, portal, tmp_path, type, kind):
    api, body, ident = PAGED[type]
    disk = tmp_path / "records.json"
    disk.write_bytes(body([901, 902], total=2))
    portal.requests.clear()
    if kind == "loopback":
        # the first page in hand, the next one on loopback: refused before any request
        report = harvest_public_page(harvest, type, f"{portal.url}/{api}",
                                     body([1, 2], total=7), page_size=2)
        assert paths_asked(portal) == []
        why = "127.0.0.1 is a loopback address"
    else:
        name = f"{type}-{kind}"
        portal.redirects[name] = str(disk) if kind == "path" else disk.as_uri()
        portal.at[str(disk)] = (body([3], total=3), "application/json")
        report = harvest(f"{portal.url}/redirecting/{name}/{api}", type, page_size=2)
        why = "redirected to a URL that is not http(s)"
    assert report.status == "ok", report.summary()
    loaded = identifiers(harvest)
    assert not {ident(901), ident(902)} & loaded
    if kind == "path":
        assert str(disk) in paths_asked(portal)  # httpx resolved it against the portal
        assert loaded == {ident(1), ident(2), ident(3)} and refused(report) == []
        return
    assert loaded == {ident(1), ident(2)}
    [message] = refused(report)
    assert message.startswith(f"{portal.url}/") and why in message


def test_redirect_to_cloud_metadata_is_refused_even_with_allow_private(harvest, portal):
    """Redirects pass the address rule: link-local is never reached."""
    portal.redirects["meta"] = "http://169.254.169.254/latest/meta-data/"
    started = time.monotonic()
    report = harvest(f"{portal.url}/redirecting/meta/ckan/api/3/action/package_search", "ckan",
                     page_size=2)
    assert time.monotonic() - started < 5  # refused, not a connect timeout
    assert report.status == "ok" and report.created == 2
    [message] = refused(report)
    assert "169.254.169.254 is a link-local address; refused" in message


# The address rule -------------------------------------------------------------------------

@pytest.mark.parametrize(("host", "reason"), [
    ("localhost", "loopback"), ("[::1]", "loopback"), ("0.0.0.0", "unspecified"),
    ("127.1", "loopback"), ("2130706433", "loopback"), ("0x7f000001", "loopback"),
    ("[::ffff:127.0.0.1]", "loopback"), ("10.0.0.1", "private"), ("192.168.1.1", "private"),
    ("169.254.169.254", "link-local"), ("224.0.0.1", "multicast"),
])
def test_address_forms_are_refused_with_allow_private_off(portal, host, reason):
    port = portal.server_address[1]
    portal.requests.clear()
    fetcher = Fetcher(QUICK, allow_private=False)
    started = time.monotonic()
    try:
        with pytest.raises(RefusedURL) as caught:
            fetcher(f"http://{host}:{port}/files/catalog-v1.json")
    finally:
        fetcher.close()
    assert time.monotonic() - started < 1  # refused before connecting, no retries
    assert re.search(rf"is an? {reason} address( \(127.0.0.1 inside IPv6\))?; refused",
                     str(caught.value)), caught.value
    assert portal.requests == []


def test_a_loopback_source_fails_the_harvest_and_names_the_switch(harvest, portal):
    settings = harvest.settings.with_overrides(harvest_allow_private=False)
    source = SourceConfig(id="src", community="testville", type="datajson",
                          url=f"{portal.url}/files/catalog-v1.json")
    portal.requests.clear()
    report = harvest_source(harvest.store, settings, source, policy=QUICK)
    assert report.status == "failed" and identifiers(harvest) == set()
    assert report.message == (f"{portal.url}/files/catalog-v1.json: 127.0.0.1 is a loopback "
                              "address; refused; REGIONGRAPH_HARVEST_ALLOW_PRIVATE=1 allows it")
    assert portal.requests == []


def test_page_fetch_never_reads_files(tmp_path):
    secret = tmp_path / "secret.json"
    secret.write_text("{}")
    fetcher = Fetcher(QUICK, allow_private=True)
    for link in (str(secret), secret.as_uri(), Path("relative.json").as_posix()):
        with pytest.raises(RefusedURL, match="never read from the file system"):
            fetcher.page(link)
    assert fetcher.requests == 0
