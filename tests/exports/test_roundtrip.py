"""Round trip: the served catalog, harvested by regiongraph's own loaders into a fresh
store, gives back the same datasets.

Each community's DCAT-AP catalog (followed page by page through Hydra) and data.json
are harvested under that community, so the harvest mints the very same dataset IRIs;
the region-wide catalog and data.json are harvested through the real CLI, as a steward
(or data.gov's harvester, which keys records by identifier) would: every dataset loads,
with no error, under the identifier the export gave it.
"""

import json
import os
import subprocess
import sys

import httpx
import pytest
import rdflib

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
    records = read_records(demo_store, [e.iri for e in demo_index.entries], demo_index.may_name,
                           base=demo_index.base)
    return {r.iri: r for r in records}


@pytest.mark.parametrize("kind,path", [("dcat", "catalog?page_size=7"),
                                       ("datajson", "data.json")])
def test_each_community_round_trips(served, demo_index, originals, kind, path):
    for community in demo_index.community_ids():
        url = f"{served}/communities/{community}/{path}"
        store, harvested = harvest(url, kind, community, f"roundtrip-{community}-{kind}")
        expected = sorted(e.iri for e in demo_index.entries if e.community == community)
        assert harvested == expected, f"{community} via {kind}"
        for record in read_records(store, harvested, base=demo_index.base):
            assert essentials(record) == essentials(originals[record.iri]), record.iri


def exported_identifiers(served: str, path: str) -> list[str]:
    """The identifiers the service exports at `path`: data.json, or every Hydra page."""
    if path.startswith("data.json"):
        return [d["identifier"] for d in httpx.get(f"{served}/{path}", timeout=60).json()["dataset"]]
    found: list[str] = []
    url: str | None = f"{served}/{path}"
    while url:
        page = rdflib.Graph().parse(data=httpx.get(url, timeout=60).text, format="turtle")
        found += [str(i) for d in page.subjects(rdflib.RDF.type, rdflib.DCAT.Dataset)
                  for i in page.objects(d, rdflib.DCTERMS.identifier)]
        url = next((str(n) for n in page.objects(None, HYDRA_NEXT)), None)
    return found


HYDRA_NEXT = rdflib.URIRef("http://www.w3.org/ns/hydra/core#next")


def cli_harvest(url: str, kind: str, store_dir, base: str) -> tuple[dict, list[str]]:
    """`regiongraph harvest URL --type KIND --community region --json` into a fresh store:
    its report, and the `dct:identifier` of every dataset it loaded."""
    env = {**os.environ, "REGIONGRAPH_STORE": str(store_dir), "REGIONGRAPH_BASE": base,
           "REGIONGRAPH_HARVEST_ALLOW_PRIVATE": "1"}  # the service runs on loopback
    done = subprocess.run(
        [sys.executable, "-m", "regiongraph", "harvest", url, "--type", kind,
         "--community", "region", "--json"],
        check=False, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    report = report[0] if isinstance(report, list) else report
    store = open_store(Settings(store=str(store_dir), base=base))
    try:
        rows = store.query("SELECT ?i WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> ; "
                           "<http://purl.org/dc/terms/identifier> ?i }",
                           union_default_graph=True)
        return report, sorted(row["i"].value for row in rows)
    finally:
        del store


@pytest.mark.parametrize("kind,path", [("datajson", "data.json"),
                                       ("dcat", "catalog.ttl?page_size=60")])
def test_the_region_catalog_harvests_back_whole_through_the_cli(served, demo_index,
                                                                demo_settings, tmp_path,
                                                                kind, path):
    exported = exported_identifiers(served, path)
    assert len(exported) == len(demo_index.entries)
    assert len(set(exported)) == len(exported), "identifiers repeat in the export"
    runs = []
    for run in (1, 2):
        report, loaded = cli_harvest(f"{served}/{path}", kind, tmp_path / f"run{run}",
                                     demo_settings.base)
        assert report["errors"] == [], report["errors"][:3]
        assert (report["created"], report["skipped"]) == (len(exported), 0)
        runs.append(loaded)
    assert runs[0] == runs[1] == sorted(exported)
    assert exported_identifiers(served, path) == exported  # stable from one export to the next
