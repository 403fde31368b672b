"""The index on a small hand-made region (tests/search/small.ttl): ranking, stemming,
phrases, prefixes, typos, SKOS labels, facets, and updates record by record on a real
on-disk store and index."""

from pathlib import Path

import pytest
from pyoxigraph import NamedNode, RdfFormat, parse

from regiongraph.change import apply_change
from regiongraph.iri import Minter
from regiongraph.search import (
    SearchInputError,
    index_for,
    index_location,
    open_index,
    rebuild,
    update,
)
from regiongraph.search.index import SearchIndex
from regiongraph.settings import Settings
from regiongraph.store import open_store

SMALL = Path(__file__).with_name("small.ttl")
BASE = "https://data.sonoranvalley.example/"
SOURCE = Minter(BASE).graph("source", "small-test")
TRIPS = BASE + "datasets/saguaro/dockless-trips"


def small_triples(text: str | None = None):
    data = (text if text is not None else SMALL.read_text()).encode()
    return parse(data, RdfFormat.TURTLE)


@pytest.fixture(scope="module")
def small():
    """The small region in a memory store, indexed by the first search."""
    settings = Settings(store="memory", base=BASE)
    store = open_store(settings)
    # never built: the change path leaves it alone
    apply_change(store, settings, "test",
                 lambda: (store.replace_graph(SOURCE, small_triples()), [SOURCE.value])[1])
    assert open_index(store, settings).num_docs == 0
    yield index_for(store, settings)  # the first search builds it
    store.close()


def titles(index, q, **kwargs):
    return [h["title"] for h in index.search(q, include_private=True, **kwargs).hits]


def test_the_hook_indexed_every_record_kind(small):
    result = small.search("", include_private=True, facets=["kind"])
    assert {v.key: v.count for v in result.facets["kind"]} == {
        "dataset": 4, "community": 2, "project": 1, "standard": 1}


def test_title_matches_rank_first(small):
    # "bicycle" is in one title and in two descriptions
    found = titles(small, "bicycle")
    assert found[0] == "Bicycle parking racks"
    assert set(found[1:]) == {"Traffic counts", "Dockless vehicle trips"}


def test_stemming(small):
    assert "Bicycle parking racks" in titles(small, "bicycles")
    assert "Traffic counts" in titles(small, "counting")


def test_phrases_keep_word_order(small):
    assert titles(small, '"dockless vehicle"')[0] == "Dockless vehicle trips"
    assert "Dockless vehicle trips" not in titles(small, '"vehicle dockless"')


def test_prefix(small):
    assert titles(small, "traf*") == ["Traffic counts"]
    assert "Household water meter readings" in titles(small, "househ*")


@pytest.mark.parametrize("typo,expected", [
    ("bicyle", "Bicycle parking racks"),         # a letter missing
    ("bicylce", "Bicycle parking racks"),        # two letters swapped
    ("housheold", "Household water meter readings"),
    ("transportaton", "Traffic counts"),         # concept label, one letter missing
])
def test_one_typo_is_tolerated(small, typo, expected):
    assert expected in titles(small, typo)


def test_two_typos_are_not(small):
    assert titles(small, "bycycel") == []


def test_skos_alternative_labels_find_what_is_filed_under_the_concept(small):
    # "bike share" is an altLabel of Micromobility; the dataset never says it
    found = titles(small, "bike share", filters={"kind": ["dataset"]})
    assert found == ["Dockless vehicle trips"]
    # a broader concept's label finds the narrower concept's datasets too
    assert "Dockless vehicle trips" in titles(small, "transportation")


def test_exclusion_and_or(small):
    assert "Scooter pilot" not in titles(small, "scooters -pilot")
    assert set(titles(small, "water OR parking", filters={"kind": ["dataset"]})) == {
        "Household water meter readings", "Bicycle parking racks"}


def test_every_facet_count_is_what_filtering_by_it_returns(small):
    result = small.search("", include_private=True, facet_size=100)
    checked = 0
    for facet, values in result.facets.items():
        for value in values:
            again = small.search("", include_private=True, filters={facet: [value.key]},
                                 facets=[])
            assert again.count == value.count, (facet, value.key)
            checked += 1
    assert checked > 20
    labels = {v.key: v.label for v in result.facets["community"]}
    assert labels["saguaro"] == "City of Saguaro"
    assert {v.key for v in result.facets["standard"]} == {"gbfs"}
    assert {v.key: v.count for v in result.facets["format"]} == {"CSV": 1, "JSON": 1}


def test_modified_ranges_and_sorting(small):
    assert titles(small, "", filters={"modified": ["2023..2024"]}, sort="modified desc") == [
        "Dockless vehicle trips", "Bicycle parking racks"]
    assert titles(small, "", filters={"modified": ["..2022"]}) == ["Traffic counts"]
    ordered = titles(small, "", filters={"kind": ["dataset"]}, sort="title asc")
    assert ordered == sorted(ordered, key=str.lower)


def test_paging_and_bad_requests(small):
    first = small.search("", include_private=True, rows=3)
    second = small.search("", include_private=True, rows=3, start=3)
    assert first.count == second.count == 8
    assert not {h["iri"] for h in first.hits} & {h["iri"] for h in second.hits}
    with pytest.raises(SearchInputError, match="start"):
        small.search("", start=-1)
    with pytest.raises(SearchInputError, match="access facet"):
        small.search("", filters={"access": ["restricted"]})


def test_anonymous_searches_see_nothing_that_visibility_does_not_publish(small):
    # small.ttl has no approvals, so regiongraph.visibility publishes none of its datasets
    result = small.search("", facets=["kind", "access"])
    assert {v.key for v in result.facets.get("kind", [])} <= {"community", "standard",
                                                             "project"}
    assert "access" not in result.facets
    assert all(h["kind"] != "dataset" and "access" not in h for h in result.hits)
    assert small.get(TRIPS) is None
    assert small.get(TRIPS, include_private=True)["title"] == "Dockless vehicle trips"


# updates on a real disk store and index -----------------------------------------------


@pytest.fixture
def disk(tmp_path):
    settings = Settings(store=str(tmp_path / "store"), base=BASE)
    store = open_store(settings)
    store.replace_graph(SOURCE, small_triples())
    index_for(store, settings)
    yield store, settings
    store.close()


def test_the_index_lives_beside_the_store(disk, tmp_path):
    store, settings = disk
    assert index_location(settings) == (tmp_path / "store.search").resolve()
    assert (tmp_path / "store.search" / "regiongraph-search.json").is_file()
    assert open_index(store, settings).num_docs == 8


def test_an_edit_rewrites_only_the_changed_record(disk):
    store, settings = disk
    text = SMALL.read_text().replace('dct:title "Traffic counts"',
                                     'dct:title "Intersection volume counts"')
    store.replace_graph(SOURCE, small_triples(text))
    report = update(store, settings, [SOURCE])
    assert (report.written, report.deleted, report.unchanged, report.full) == (1, 0, 7, False)
    index = open_index(store, settings)
    assert titles(index, "intersection volume") == ["Intersection volume counts"]
    assert "Traffic counts" not in titles(index, "traffic")


def test_a_removed_record_leaves_the_index(disk):
    store, settings = disk
    text = SMALL.read_text()
    start = text.index("mes:bicycle-parking a dcat:Dataset")
    end = text.index("mes:water-meter-readings a dcat:Dataset")
    store.replace_graph(SOURCE, small_triples(text[:start] + text[end:]))
    report = update(store, settings, [SOURCE])
    assert (report.written, report.deleted) == (0, 1)
    assert titles(open_index(store, settings), "parking racks") == []


def test_incremental_and_rebuilt_indexes_answer_alike(disk, tmp_path):
    store, settings = disk
    text = SMALL.read_text().replace('"scooters"', '"scooters", "e-bikes"')
    store.replace_graph(SOURCE, small_triples(text))
    update(store, settings, [SOURCE])
    queries = ["bike", "e-bikes", "bicycle", "water", "saguaro", "transportation", ""]
    index = open_index(store, settings)
    before = {q: [h["iri"] for h in index.search(q, include_private=True).hits]
              for q in queries}
    facets_before = index.search("", include_private=True).facets
    report = rebuild(store, settings)
    assert report.written == 8
    after = {q: [h["iri"] for h in index.search(q, include_private=True).hits]
             for q in queries}
    assert {q: sorted(v) for q, v in before.items()} == {q: sorted(v) for q, v in after.items()}
    assert index.search("", include_private=True).facets == facets_before


def test_the_index_persists_and_heals_when_deleted(disk, tmp_path):
    store, settings = disk
    reopened = SearchIndex(index_location(settings))
    assert reopened.num_docs == 8
    assert reopened.facet_label("community", "saguaro") == "City of Saguaro"
    # the index never holds the only copy: wipe it and the next search rebuilds it
    index = open_index(store, settings)
    writer_cleared = index.write([], clear=True)
    assert writer_cleared == (0, 0) and index.num_docs == 0
    assert index_for(store, settings).num_docs == 8


def test_a_directory_that_is_not_an_index_is_never_wiped(tmp_path):
    folder = tmp_path / "precious"
    folder.mkdir()
    (folder / "thesis.txt").write_text("do not delete")
    with pytest.raises(Exception, match="not a regiongraph search index"):
        SearchIndex(folder)
    assert (folder / "thesis.txt").read_text() == "do not delete"


def test_a_registry_change_rechecks_every_record_but_rewrites_none_unchanged(disk):
    store, settings = disk
    registry = Minter(BASE).graph("registry")
    store.replace_graph(registry, [])
    report = update(store, settings, [NamedNode(registry.value)])
    assert report.full and report.candidates == 8 and report.written == 0


# harvests: record by record -----------------------------------------------------------


def _catalog(n: int, edited: int | None = None) -> bytes:
    import json

    records = [{"identifier": f"sensor-{i}", "title": f"Air quality sensor {i}",
                "description": f"Hourly readings of station {i}.", "keyword": ["air"],
                "accessLevel": "public", "modified": "2024-01-01"} for i in range(n)]
    if edited is not None:
        records[edited]["title"] = "Ozone monitor readings"
    return json.dumps({"dataset": records}).encode()


def test_a_harvest_change_re_reads_only_the_records_it_changed(tmp_path):
    from regiongraph.harvest import harvest_source, one_source

    settings = Settings(store=str(tmp_path / "store"), base=BASE)
    store = open_store(settings)
    try:
        path = tmp_path / "data.json"
        path.write_bytes(_catalog(30))
        source = one_source(str(path), type="datajson", community="saguaro", source_id="air")

        def harvest() -> list[NamedNode]:
            report = harvest_source(store, settings, source)
            return [NamedNode(g) for g in report.written_graphs]

        harvest()
        assert index_for(store, settings).num_docs == 30
        path.write_bytes(_catalog(30, edited=7))
        report = update(store, settings, harvest())
        # only the edited record was read again, and rewritten
        assert (report.candidates, report.written, report.full) == (1, 1, False)
        index = open_index(store, settings)
        assert titles(index, "ozone") == ["Ozone monitor readings"]
        # a write that bypasses the harvest (SPARQL Update) leaves record hashes stale:
        # then every record of the graph is read again, and the edit is still found
        graph = Minter(BASE).graph("source", "air")
        target = BASE + "datasets/saguaro/sensor-3"
        title = "<http://purl.org/dc/terms/title>"
        store.update(
            f"DELETE {{ GRAPH <{graph.value}> {{ <{target}> {title} ?t }} }} "
            f"INSERT {{ GRAPH <{graph.value}> {{ <{target}> {title} "
            f"\"Particulate matter station\" }} }} "
            f"WHERE {{ GRAPH <{graph.value}> {{ <{target}> {title} ?t }} }}")
        direct = update(store, settings, [graph])
        assert direct.candidates == 30 and direct.written == 1
        assert titles(index, "particulate") == ["Particulate matter station"]
    finally:
        store.close()


@pytest.mark.remote
def test_the_same_answers_over_a_remote_sparql_store(oxigraph_url, tmp_path):
    """A real `oxigraph serve`: records are read over the SPARQL protocol."""
    settings = Settings(store=f"{oxigraph_url}/query", update_url=f"{oxigraph_url}/update",
                        gsp_url=f"{oxigraph_url}/store", base=BASE,
                        index=str(tmp_path / "index"))
    store = open_store(settings)
    try:
        store.update("DROP SILENT ALL")
        store.replace_graph(SOURCE, small_triples())
        index = index_for(store, settings)
        assert index.num_docs == 8
        assert titles(index, "bike share", filters={"kind": ["dataset"]}) == [
            "Dockless vehicle trips"]
        assert titles(index, "bicyle")[0] == "Bicycle parking racks"
    finally:
        store.update("DROP SILENT ALL")
        store.close()


def test_a_change_during_the_first_build_is_followed_at_its_end(demo_store, tmp_path,
                                                                monkeypatch):
    """A build keeps the store version it started from; a change committed while it ran
    skipped the index (not yet complete). The build's caller follows that change at its
    end, instead of leaving the index behind it until the next change or search (a server
    that started beside a writer's recovered change showed that lag after `/ready`)."""
    from pyoxigraph import Literal, Quad

    from regiongraph import journal
    from regiongraph.search import index_for, open_index
    from tests.sparql.conftest import copy_of

    settings = Settings(store=str(tmp_path / "store"), index=str(tmp_path / "index"),
                        notify_interval=0)
    store = copy_of(demo_store, settings)
    graph = NamedNode("https://example.org/graphs/during-the-build")
    dataset = NamedNode("https://example.org/datasets/during-the-build")

    def write() -> list[NamedNode]:
        store.add([Quad(dataset, NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                        NamedNode("http://www.w3.org/ns/dcat#Dataset"), graph),
                   Quad(dataset, NamedNode("http://purl.org/dc/terms/title"),
                        Literal("Landed during the build"), graph)])
        return [graph]

    index = open_index(store, settings)
    finish = index.remember
    landed: list[int] = []

    def change_then_finish(**kwargs):
        if kwargs.get("complete") and not landed:  # the build's last step
            landed.append(journal.version(store, settings))
            apply_change(store, settings, "test", write)
        return finish(**kwargs)

    monkeypatch.setattr(index, "remember", change_then_finish)
    index_for(store, settings)
    assert landed and journal.version(store, settings) > landed[0]
    assert index.version == journal.version(store, settings)
    found = index.search('"landed during the build"', include_private=True)
    assert found.count == 1
    store.close()
