"""Search over the demo region as `load_demo` leaves it (the after-change hook built the
index): anonymous users find exactly what `regiongraph.visibility` publishes."""

import pytest

from regiongraph.search import index_for
from regiongraph.visibility import public_nodes, publishable_datasets


@pytest.fixture(scope="module")
def index(demo_store, demo_settings):
    found = index_for(demo_store, demo_settings)
    assert found.complete and found.num_docs > 400
    return found


@pytest.fixture(scope="module")
def public(demo_store, demo_settings):
    nodes = public_nodes(demo_store, demo_settings)
    return nodes.public - nodes.private


def all_hits(index, q="", **kwargs):
    first = index.search(q, rows=100, facets=[], **kwargs)
    hits = list(first.hits)
    while len(hits) < first.count:
        hits += index.search(q, rows=100, start=len(hits), facets=[], **kwargs).hits
    return first.count, hits


def test_anonymous_datasets_are_exactly_the_publishable_ones(index, demo_store, demo_settings):
    count, hits = all_hits(index, filters={"kind": ["dataset"]})
    expected = publishable_datasets(demo_store, demo_settings)
    assert expected, "the demo publishes some datasets"
    assert count == len(expected)
    assert {h["iri"] for h in hits} == expected


def test_no_anonymous_hit_is_outside_the_public_view(index, public):
    for q in ["", "water", "homeless*", "crash", "bike share", "permit", "confidential",
              "personal", "medical", "complaints"]:
        _, hits = all_hits(index, q)
        outside = [h["iri"] for h in hits if h["iri"] not in public]
        assert outside == [], q
        assert all("access" not in h for h in hits)


def test_private_datasets_are_found_only_with_the_admin_view(index, demo_store, public):
    _, hits = all_hits(index, filters={"kind": ["dataset"]}, include_private=True)
    private = [h for h in hits if h["iri"] not in public]
    assert private, "the demo has restricted or confidential datasets"
    for hit in private[:10]:
        title = hit["title"]
        anonymous = index.search(f'"{title}"', rows=100).hits
        assert hit["iri"] not in {h["iri"] for h in anonymous}
        admin = index.search(f'"{title}"', rows=100, include_private=True).hits
        assert hit["iri"] in {h["iri"] for h in admin}
        assert index.get(hit["iri"]) is None
    access = index.search("", include_private=True).facets["access"]
    assert {v.key for v in access} >= {"public"} and len(access) > 1


def test_bike_share_finds_micromobility(index):
    result = index.search("bike share", filters={"kind": ["dataset"]}, rows=100)
    assert result.count > 0
    themes = {t["key"] for h in result.hits for t in h["themes"]}
    assert "micromobility" in themes


def test_every_kind_is_searchable(index):
    kinds = {v.key for v in index.search("").facets["kind"]}
    assert kinds == {"dataset", "project", "standard", "community"}
    assert index.search("GTFS", filters={"kind": ["standard"]}).count >= 1


def test_a_new_day_re_reads_only_records_whose_visibility_flipped(index, demo_store,
                                                                  demo_settings):
    """Approvals come into force and expire by date, with no change in the store."""
    from regiongraph.search.records import RecordReader

    iri = min(publishable_datasets(demo_store, demo_settings))
    # as if its approval were not yet valid
    reader = RecordReader(demo_store, base=demo_settings.base, public=set())
    (stale,) = list(reader.read({iri: "dataset"}))
    index.write([stale])
    assert index.get(iri) is None
    index.remember(visible_on="2000-01-01")
    try:
        assert index_for(demo_store, demo_settings) is index  # the first search of the day
        assert index.get(iri)["iri"] == iri
        assert index.visible_on != "2000-01-01"
    finally:
        reader = RecordReader(demo_store, base=demo_settings.base, public={iri})
        index.write(list(reader.read({iri: "dataset"})))
