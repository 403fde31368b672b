"""/catalog over real HTTP: four syntaxes, both Hydra paging styles, conditional GET,
gzip, modified_since, community catalogs, and the DCAT-AP 3.0.1 mandatory shapes on
every page of the demo."""

import gzip
from datetime import UTC, datetime

import httpx
import pytest
import rdflib
from rdflib.namespace import DCAT, DCTERMS, RDF

from tests.exports.conftest import SHARED_RECOMMENDED, SHARED_SHAPES

HYDRA = rdflib.Namespace("http://www.w3.org/ns/hydra/core#")
SH = rdflib.Namespace("http://www.w3.org/ns/shacl#")
FORMATS = {"ttl": ("text/turtle", "turtle"), "jsonld": ("application/ld+json", "json-ld"),
           "rdf": ("application/rdf+xml", "xml"), "nt": ("application/n-triples", "nt")}


def parse(response: httpx.Response, rdflib_format: str) -> rdflib.Graph:
    return rdflib.Graph().parse(data=response.content, format=rdflib_format)


def datasets_in(graph: rdflib.Graph) -> set[str]:
    return {str(s) for s in graph.subjects(RDF.type, DCAT.Dataset)}


def walk(url: str, next_term: rdflib.URIRef, view_type: rdflib.URIRef) -> tuple[set[str], int]:
    """Follow one Hydra style from `url` to the end; return datasets seen and page count."""
    seen: set[str] = set()
    pages = 0
    while url:
        response = httpx.get(url, headers={"Accept": "text/turtle"})
        assert response.status_code == 200, response.text
        graph = parse(response, "turtle")
        found = datasets_in(graph)
        assert not (found & seen), "a dataset appeared on two pages"
        seen |= found
        pages += 1
        views = list(graph.subjects(RDF.type, view_type))
        assert len(views) == 1 and isinstance(views[0], rdflib.URIRef)
        following = list(graph.objects(views[0], next_term))
        assert all(isinstance(o, rdflib.URIRef) for o in following)
        url = str(following[0]) if following else ""
    return seen, pages


def test_four_syntaxes_by_accept_and_by_suffix(served, demo_index):
    first_page = {e.iri for e in demo_index.entries[:20]}
    for suffix, (media, rdflib_format) in FORMATS.items():
        by_accept = httpx.get(f"{served}/catalog?page_size=20", headers={"Accept": media})
        by_suffix = httpx.get(f"{served}/catalog.{suffix}?page_size=20")
        for response in (by_accept, by_suffix):
            assert response.status_code == 200
            assert response.headers["content-type"].startswith(media)
            assert datasets_in(parse(response, rdflib_format)) == first_page
    html = httpx.get(f"{served}/catalog", headers={"Accept": "text/html"})
    assert html.status_code == 200 and "<h1>" in html.text
    assert httpx.get(f"{served}/catalog", headers={"Accept": "image/png"}).status_code == 406


def test_paging_in_both_hydra_styles_reaches_every_dataset(served, demo_index):
    everything = {e.iri for e in demo_index.entries}
    expected_pages = -(-len(everything) // 40)
    modern, pages = walk(f"{served}/catalog?page_size=40", HYDRA.next,
                         HYDRA.PartialCollectionView)
    assert modern == everything and pages == expected_pages
    legacy, pages = walk(f"{served}/catalog?page_size=40", HYDRA.nextPage, HYDRA.PagedCollection)
    assert legacy == everything and pages == expected_pages


def test_paging_terms_on_a_middle_page(served, demo_index):
    total = len(demo_index.entries)
    response = httpx.get(f"{served}/catalog.ttl?page=2&page_size=10")
    graph = parse(response, "turtle")
    catalog = next(graph.subjects(RDF.type, DCAT.Catalog))
    view = graph.value(catalog, HYDRA.view)
    assert str(view).endswith("/catalog.ttl?page=2&page_size=10")
    assert int(graph.value(catalog, HYDRA.totalItems)) == total
    assert int(graph.value(view, HYDRA.totalItems)) == total
    assert int(graph.value(view, HYDRA.itemsPerPage)) == 10
    last = -(-total // 10)
    for term, page in ((HYDRA.first, 1), (HYDRA.previous, 1), (HYDRA.next, 3),
                       (HYDRA.last, last), (HYDRA.firstPage, 1), (HYDRA.previousPage, 1),
                       (HYDRA.nextPage, 3), (HYDRA.lastPage, last)):
        target = graph.value(view, term)
        assert isinstance(target, rdflib.URIRef), term
        assert f"page={page}&" in str(target), (term, target)
    assert 'rel="next"' in response.headers["link"]


def test_page_size_limits_and_pages_past_the_end(served, demo_index):
    assert httpx.get(f"{served}/catalog?page_size=1001").status_code == 422
    assert httpx.get(f"{served}/catalog?page=0").status_code == 422
    full = httpx.get(f"{served}/catalog.nt?page_size=1000")
    assert len(datasets_in(parse(full, "nt"))) == len(demo_index.entries)
    past = -(-len(demo_index.entries) // 100) + 1
    assert httpx.get(f"{served}/catalog?page={past}").status_code == 404
    assert httpx.get(f"{served}/catalog.csv").status_code == 404


def test_conditional_get_and_gzip(served):
    first = httpx.get(f"{served}/catalog.ttl")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert etag.startswith('W/"')
    again = httpx.get(f"{served}/catalog.ttl", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["etag"] == etag and not again.content
    since = httpx.get(f"{served}/catalog.ttl", headers={"If-Modified-Since": modified})
    assert since.status_code == 304
    other = httpx.get(f"{served}/catalog.ttl?page_size=7", headers={"If-None-Match": etag})
    assert other.status_code == 200, "another page must not share the ETag"
    older = httpx.get(f"{served}/catalog.ttl",
                      headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})
    assert older.status_code == 200
    with httpx.stream("GET", f"{served}/catalog.ttl",
                      headers={"Accept-Encoding": "gzip"}) as raw:
        assert raw.headers["content-encoding"] == "gzip"
        assert gzip.decompress(b"".join(raw.iter_raw())) == first.content
    plain = httpx.get(f"{served}/catalog.ttl", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    data = httpx.get(f"{served}/data.json")
    assert httpx.get(f"{served}/data.json", headers={
        "If-None-Match": data.headers["etag"]}).status_code == 304


def test_modified_since_returns_only_changes(served, demo_index):
    dated = sorted(e.modified for e in demo_index.entries if e.modified)
    assert dated, "the demo has modification dates"
    cut = dated[len(dated) // 2]
    expected = {e.iri for e in demo_index.entries if e.modified is None or e.modified >= cut}
    stamp = cut.strftime("%Y-%m-%dT%H:%M:%SZ")
    response = httpx.get(f"{served}/catalog.nt", params={"modified_since": stamp,
                                                          "page_size": 1000})
    got = datasets_in(parse(response, "nt"))
    assert got == expected
    assert len(got) < len(demo_index.entries)
    graph = parse(response, "nt")
    for dataset in got:
        for value in graph.objects(rdflib.URIRef(dataset), DCTERMS.modified):
            assert datetime.fromisoformat(str(value)).replace(tzinfo=UTC) >= cut
    assert httpx.get(f"{served}/catalog?modified_since=yesterday").status_code == 400


def test_community_catalogs_listed_and_filtered(served, demo_index, demo_settings):
    region = parse(httpx.get(f"{served}/catalog.ttl?page_size=1"), "turtle")
    catalog = rdflib.URIRef(demo_settings.base + "catalogs/region")
    listed = set(region.objects(catalog, DCAT.catalog))
    communities = demo_index.community_ids()
    assert len(listed) == len(communities) >= 3
    for community in communities:
        response = httpx.get(f"{served}/communities/{community}/catalog.nt?page_size=1000")
        assert response.status_code == 200
        got = datasets_in(parse(response, "nt"))
        assert got == {e.iri for e in demo_index.entries if e.community == community}
    assert httpx.get(f"{served}/communities/no-such-place/catalog").status_code == 404


@pytest.fixture(scope="module")
def shapes(shared_dir):
    return (rdflib.Graph().parse(shared_dir / SHARED_SHAPES),
            rdflib.Graph().parse(shared_dir / SHARED_RECOMMENDED))


def test_every_demo_page_passes_the_dcat_ap_mandatory_shapes(served, demo_index, shapes):
    """Every page at the default page size, and each community catalog; the warnings of
    the recommended shapes are counted over the whole catalog (reported, not failed)."""
    import pyshacl

    mandatory, recommended = shapes
    urls = [f"{served}/catalog.nt?page={n}"
            for n in range(1, -(-len(demo_index.entries) // 100) + 1)]
    # Every dataset is on a region page above; a community catalog adds its own head.
    urls += [f"{served}/communities/{c}/catalog.nt?page_size=2"
             for c in demo_index.community_ids()]
    for url in urls:
        graph = parse(httpx.get(url), "nt")
        conforms, _report, text = pyshacl.validate(graph, shacl_graph=mandatory)
        assert conforms, f"{url}\n{text[:3000]}"
    whole = parse(httpx.get(f"{served}/catalog.nt?page_size=1000"), "nt")
    _ok, report, _text = pyshacl.validate(whole, shacl_graph=recommended)
    warnings = len(set(report.subjects(RDF.type, SH.ValidationResult)))
    print(f"\nDCAT-AP 3 recommended-shape warnings over the region catalog: {warnings} "
          f"for {len(demo_index.entries)} datasets")
