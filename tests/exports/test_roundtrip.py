"""Round trip: the served catalog, harvested by regiongraph's own loaders into a fresh
store, gives back the same datasets.

Each community's DCAT-AP catalog (followed page by page through Hydra) and data.json
are harvested under that community, so the harvest mints the very same dataset IRIs;
the region-wide catalog and data.json are harvested too and compared by identifier.
"""

import pytest

from regiongraph.exports.model import DatasetRecord, read_records
from regiongraph.harvest.config import one_source
from regiongraph.harvest.engine import harvest_source
from regiongraph.settings import Settings
from regiongraph.store import open_store


def harvest(url: str, kind: str, community: str, source_id: str):
    settings = Settings(store="memory", harvest_allow_private=True)  # served on loopback
    store = open_store(settings)
    report = harvest_source(store, settings, one_source(url, type=kind, community=community,
                                                        source_id=source_id))
    assert report.status == "ok", report.summary()
    rows = store.query("SELECT DISTINCT ?d WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> }",
                       union_default_graph=True)
    return store, sorted(row["d"].value for row in rows)


def essentials(record: DatasetRecord) -> tuple:
    """What must survive any round trip: the words and the links a user follows."""
    urls = sorted({d.download_url or d.access_url for d in record.distributions
                   if d.download_url or d.access_url})
    return (record.identifier, record.title, record.description, sorted(record.keywords),
            record.license, record.landing_page, urls, record.access_level)


@pytest.fixture(scope="module")
def originals(demo_store, demo_index):
    records = read_records(demo_store, [e.iri for e in demo_index.entries], demo_index.may_name)
    return {r.iri: r for r in records}


@pytest.mark.parametrize("kind,path", [("dcat", "catalog?page_size=7"),
                                       ("datajson", "data.json")])
def test_each_community_round_trips(served, demo_index, originals, kind, path):
    for community in demo_index.community_ids():
        url = f"{served}/communities/{community}/{path}"
        store, harvested = harvest(url, kind, community, f"roundtrip-{community}-{kind}")
        expected = sorted(e.iri for e in demo_index.entries if e.community == community)
        assert harvested == expected, f"{community} via {kind}"
        for record in read_records(store, harvested):
            assert essentials(record) == essentials(originals[record.iri]), record.iri


@pytest.mark.parametrize("kind,path", [("dcat", "catalog?page_size=25"),
                                       ("datajson", "data.json")])
def test_the_region_catalog_round_trips(served, demo_index, originals, kind, path):
    store, harvested = harvest(f"{served}/{path}", kind, "region", f"roundtrip-region-{kind}")
    got = {r.identifier for r in read_records(store, harvested)}
    assert got == {r.identifier for r in originals.values()}
