"""Re-validation after a change checks only what changed and what depends on it, and gives
the same report as a full run; fixing a violation makes it disappear on the next run."""

import datetime as dt
import json
import shutil

import pytest
from pyoxigraph import NamedNode

from regiongraph.harvest.config import one_source
from regiongraph.harvest.engine import harvest_source
from regiongraph.paths import data_path
from regiongraph.pipeline import LoadSummary, load_registry
from regiongraph.rules import reasoning
from regiongraph.rules.incremental import revalidate
from regiongraph.rules.reports import latest_report, report_graphs
from regiongraph.rules.validate import pyshacl_pairs, validate
from regiongraph.settings import Settings
from regiongraph.store import StoreBusyError, open_store

DAY = dt.date(2026, 11, 25)
SHAPES = "https://w3id.org/regiongraph/shapes#"


@pytest.fixture
def region(demo_store, demo_settings, tmp_path):
    """A private copy of the demo (store and registry folder) that tests may change."""
    settings = Settings(store="memory", base=demo_settings.base)
    store = open_store(settings)
    store.add(demo_store.quads())
    shutil.copytree(data_path("demo") / "registry", tmp_path / "registry")
    (tmp_path / "catalogs").symlink_to(data_path("demo") / "catalogs", target_is_directory=True)
    revalidate(store, settings, [], today=DAY)  # a report for DAY (full unless one exists)
    yield store, settings, tmp_path
    store.close()


def test_registry_change_revalidates_only_what_it_touches(region):
    store, settings, folder = region
    before = latest_report(store, settings)
    history = report_graphs(store, settings)
    ocotillo_r1 = {r.focus for r in before.results
                   if r.shape == SHAPES + "R1-PublicDatasetApproved" and r.community == "ocotillo"}
    assert len(ocotillo_r1) > 10
    # the steward renews Ocotillo's expired approval: the fix
    approvals = folder / "registry" / "approvals.yaml"
    approvals.write_text(approvals.read_text().replace(
        "  status: expired\n  valid_from: 2021-06-01\n  valid_until: 2025-06-30",
        "  status: approved\n  valid_from: 2021-06-01\n  valid_until: 2027-06-30", 1))
    summary = LoadSummary()
    load_registry(store, settings, folder / "registry", summary)
    reasoning.materialise(store, settings)
    run = revalidate(store, settings, summary.changed_graphs, today=DAY)
    assert run.focus_checked is not None and run.focus_checked < 200
    report = latest_report(store, settings)
    assert report.run == run.report and report.focus_checked == run.focus_checked
    assert report.results == validate(store, settings, today=DAY).results
    assert report.conforms is False
    after_r1 = {r.focus for r in report.results
                if r.shape == SHAPES + "R1-PublicDatasetApproved" and r.community == "ocotillo"}
    from regiongraph.registry.catalogs import CatalogIndex

    in_catalog = {f"{settings.base}datasets/ocotillo/{i}" for i in
                  CatalogIndex(data_path("demo") / "catalogs").identifiers["ocotillo"]}
    assert ocotillo_r1 & in_catalog and not after_r1 & in_catalog, "the fixed ones are gone"
    assert after_r1 == ocotillo_r1 - in_catalog, "records of other sources are not covered"
    assert report_graphs(store, settings)[:-1] == history, "history: one report more"


def harvest_without_keywords(store, settings, folder, *, drop_second: bool = False):
    """Ocotillo's catalog re-harvested with its first dataset's keywords and themes gone
    (and its second dataset removed); the inferences brought up to date, as the harvest
    hook does. Returns the first dataset's IRI and the graphs the harvest wrote."""
    catalog = json.loads((data_path("demo") / "catalogs" / "ocotillo" / "data.json").read_text())
    victim = catalog["dataset"][0]
    victim.pop("keyword", None)
    victim.pop("theme", None)
    if drop_second:
        del catalog["dataset"][1]
    changed = folder / "ocotillo.json"
    changed.write_text(json.dumps(catalog))
    harvest = harvest_source(store, settings, one_source(
        str(changed), type="datajson", community="ocotillo", source_id="ocotillo-datajson"))
    assert harvest.status == "ok", harvest
    written = [NamedNode(g) for g in harvest.written_graphs]
    assert written
    reasoning.materialise(store, settings)
    return f"{settings.base}datasets/ocotillo/{victim['identifier']}", written


def test_reharvest_change_revalidates_the_changed_records(region, tmp_path):
    store, settings, _folder = region
    victim_iri, written = harvest_without_keywords(store, settings, tmp_path, drop_second=True)
    run = revalidate(store, settings, written, today=DAY)
    assert run.focus_checked is not None and run.focus_checked < 60
    report = latest_report(store, settings)
    full = validate(store, settings, today=DAY)
    assert report.results == full.results
    assert report.pairs == pyshacl_pairs(store, settings, today=DAY), "pyshacl, whole graph"
    assert (victim_iri, SHAPES + "DatasetKeywordsOrThemes") in report.pairs


def test_a_new_day_means_a_full_run(region):
    store, settings, _folder = region
    run = revalidate(store, settings, [], today=DAY + dt.timedelta(days=20))
    assert run.focus_checked is None
    ending = {r.focus.rsplit("/", 1)[-1] for r in latest_report(store, settings).results
              if r.shape == SHAPES + "R7-EndingSoon"}
    assert "cholla-open-data" not in ending  # ended on 2026-12-10: no longer "soon"
    assert "saguaro-location-alliance" in ending


def test_a_removed_registry_entry_means_a_full_run(region):
    store, settings, folder = region
    people = folder / "registry" / "people.yaml"
    people.write_text(people.read_text().replace(
        "    - {organization: saguaro, role: mayor, since: 2019-01-15}\n", "", 1))
    summary = LoadSummary()
    load_registry(store, settings, folder / "registry", summary)
    reasoning.materialise(store, settings)
    run = revalidate(store, settings, summary.changed_graphs, today=DAY)
    assert run.focus_checked is None
    report = latest_report(store, settings)
    assert report.pairs == validate(store, settings, today=DAY).pairs
    # the mayor's approvals no longer count: Saguaro's datasets lose their publication
    assert any(r.community == "saguaro" and r.shape == SHAPES + "R1-PublicDatasetApproved"
               for r in report.results)


class RefusingUpdates:
    """The store as a writer sees it when a run is cut short at its report: reads work,
    SPARQL updates fail (as when the disk is full or another writer holds the lock)."""

    def __init__(self, store):
        self._store = store

    def __getattr__(self, name):
        return getattr(self._store, name)

    def update(self, sparql: str) -> None:
        raise StoreBusyError("refused for the test")


def test_a_run_cut_short_leaves_its_changes_to_the_next(region, tmp_path):
    store, settings, _folder = region
    victim_iri, written = harvest_without_keywords(store, settings, tmp_path)
    with pytest.raises(StoreBusyError):
        revalidate(RefusingUpdates(store), settings, written, today=DAY)
    run = revalidate(store, settings, written, today=DAY)
    assert run.focus_checked is not None
    assert (victim_iri, SHAPES + "DatasetKeywordsOrThemes") in latest_report(store, settings).pairs


def test_a_full_run_writes_its_results_once_into_the_current_report(region, monkeypatch):
    """A full run keeps its header in its own graph and its results in the current report
    only (copying 40k results from one to the other took 65 s and 1.2 GB at 10k); a report
    cut short while written has no shapes hash, so the next run is full again."""
    from regiongraph.iri import Minter
    from regiongraph.namespaces import RG, SH
    from regiongraph.rules import reports
    from regiongraph.rules.incremental import _changes
    from regiongraph.rules.reports import CURRENT

    monkeypatch.setattr(reports, "FULL_RUN_CHUNK", 20)  # the demo's ~100 results: 6 pieces
    store, settings, _folder = region
    run = revalidate(store, settings, [], today=DAY, full=True)
    assert run.focus_checked is None and len(run.checked.results) > 4 * reports.FULL_RUN_CHUNK
    run_graph = NamedNode(report_graphs(store, settings)[-1])
    assert not bool(store.query(f"ASK {{ GRAPH {run_graph} {{ ?r {SH.result} ?x }} }}"))
    current = latest_report(store, settings)
    assert current.run == run.report
    assert current.results == validate(store, settings, today=DAY).results
    assert _changes(store, settings, [], DAY) is not None, "a finished report is revised"
    graph = Minter(settings.base).graph(*CURRENT)
    store.update(f"DELETE WHERE {{ GRAPH {graph} {{ ?r {RG.shapesHash} ?h }} }}")
    assert _changes(store, settings, [], DAY) is None, "an unfinished one is redone in full"


def test_fingerprints_hold_one_number_a_node_not_its_lines():
    """A harvested graph's fingerprints are built as its lines stream by: the old way held
    every line (5.3 MB of Python heap here, 195 MB of server for a 20k-record harvest)."""
    import tracemalloc

    from pyoxigraph import Literal, Quad

    from regiongraph.rules.incremental import fingerprints

    graph, hub = NamedNode("https://example.org/g"), NamedNode("https://example.org/hub")
    store = open_store(Settings(store="memory"))
    store.add(Quad(NamedNode(f"https://example.org/d/{i}"), NamedNode(f"https://example.org/p{k}"),
                   Literal(f"value {k} of dataset {i}") if k < 8 else hub, graph)
              for i in range(3_000) for k in range(10))
    tracemalloc.start()
    try:
        prints = fingerprints(store, graph, KEY)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(prints) == 3_001  # every dataset, and the hub's incoming links
    assert peak < 2 * 2**20, f"{peak / 2**20:.1f} MB held"
    # still one hash of the whole: any line changed, added or removed moves it
    before = prints["https://example.org/d/7"]
    store.update('INSERT DATA { GRAPH <https://example.org/g> { '
                 '<https://example.org/d/7> <https://example.org/p0> "another" } }')
    assert fingerprints(store, graph, KEY)["https://example.org/d/7"] != before
    store.update('DELETE DATA { GRAPH <https://example.org/g> { '
                 '<https://example.org/d/7> <https://example.org/p0> "another" } }')
    assert fingerprints(store, graph, KEY)["https://example.org/d/7"] == before
    store.close()


KEY = bytes(32)


def test_line_hashes_are_keyed_by_a_secret_of_the_store_kept_once():
    """Each store keys its line hashes with its own secret, made once and kept: the same
    graph fingerprints the same in one store, and differently in another, so nobody who
    only reads the data can craft lines whose hashes cancel out."""
    from pyoxigraph import Literal, Quad

    from regiongraph.iri import Minter
    from regiongraph.rules.incremental import fingerprints, hash_key

    minter = Minter(Settings(store="memory").base)
    graph = NamedNode("https://example.org/g")
    prints, keys = [], []
    for _ in range(2):
        store = open_store(Settings(store="memory"))
        store.add([Quad(NamedNode("https://example.org/d"), NamedNode("https://example.org/p"),
                        Literal("v"), graph)])
        key = hash_key(store, minter)
        assert hash_key(store, minter) == key and len(key) == 32
        keys.append(key)
        prints.append(fingerprints(store, graph, key)["https://example.org/d"])
        store.close()
    assert keys[0] != keys[1] and prints[0] != prints[1]
def test_a_graphs_state_is_a_few_literals_and_an_older_one_is_still_read(region, tmp_path):
    """The fingerprints are kept as JSON literals on the graph (not a triple per node, once
    22% of a 10k-dataset store); a state kept a triple per node by an earlier version is
    read as it was, and the next run rewrites it."""
    from pyoxigraph import Literal, Quad

    from regiongraph.iri import Minter
    from regiongraph.namespaces import RG
    from regiongraph.rules.incremental import (
        INCOMING,
        _state_graph,
        fingerprints,
        hash_key,
        stored_fingerprints,
    )

    store, settings, _folder = region
    minter = Minter(settings.base)
    key = hash_key(store, minter)
    graph = minter.graph("source", "ocotillo-datajson")
    state = _state_graph(minter, graph)
    prints = fingerprints(store, graph, key)
    assert len(prints) > 100
    assert stored_fingerprints(store, minter, graph) == prints
    assert 0 < len(list(store.quads(state))) < len(prints) // 20
    # the earlier form: `<node> rg:contentHash "hash"`, `"^hash"` for incoming links
    store.update(f"DROP GRAPH {state}")
    store.add([Quad(NamedNode(k.removeprefix(INCOMING)), RG.contentHash,
                    Literal(INCOMING + h if k.startswith(INCOMING) else h), state)
               for k, h in prints.items()])
    assert stored_fingerprints(store, minter, graph) == prints
    _victim, written = harvest_without_keywords(store, settings, tmp_path, drop_second=True)
    run = revalidate(store, settings, written, today=DAY)
    assert run.focus_checked is not None and run.focus_checked < 60  # found by the old state
    assert graph in written
    assert latest_report(store, settings).results == validate(store, settings, today=DAY).results
    assert stored_fingerprints(store, minter, graph) == fingerprints(store, graph, key)
    assert len(list(store.quads(state))) < len(prints) // 20


class DiesAfterOnePiece:
    """The store as a rewrite of a large state sees it when its process is killed after
    the first hundred quads: every later write is refused."""

    def __init__(self, store):
        self._store, self._pieces = store, 0

    def __getattr__(self, name):
        return getattr(self._store, name)

    def add(self, quads):
        self._pieces += 1
        if self._pieces > 1:
            raise StoreBusyError("killed for the test")
        return self._store.add(quads)


def test_a_state_rewrite_cut_short_is_not_trusted(region, tmp_path, monkeypatch):
    """A large state is rewritten a piece at a time (`inference.keep_state`). One cut
    short lacks nodes, and a node it lacks may be removed next, unseen: its stale results
    would stay. Its mark makes the next run a full one, which writes it whole again."""
    from regiongraph.iri import Minter
    from regiongraph.rules import inference
    from regiongraph.rules.incremental import _state_graph, fingerprints, hash_key

    monkeypatch.setattr(inference, "LARGE_STATE", 0)  # every state is large here
    store, settings, _folder = region
    minter = Minter(settings.base)
    graph = minter.graph("source", "ocotillo-datajson")
    state = _state_graph(minter, graph)
    prints = fingerprints(store, graph, hash_key(store, minter))
    monkeypatch.setattr(inference, "PRINTS_PER_LITERAL", 200)  # a literal a few nodes
    quads = inference.fingerprint_quads(state, graph.value, prints)
    assert len(quads) > inference.STATE_PIECE
    with pytest.raises(StoreBusyError):
        inference.keep_state(DiesAfterOnePiece(store), state, quads)
    assert inference.cut_short(store, state)
    assert 0 < len(list(store.quads(state))) < len(quads)

    victim_iri, written = harvest_without_keywords(store, settings, tmp_path, drop_second=True)
    run = revalidate(store, settings, written, today=DAY)
    assert run.focus_checked is None, "a full run, not one trusting the cut state"
    report = latest_report(store, settings)
    assert report.results == validate(store, settings, today=DAY).results
    assert (victim_iri, SHAPES + "DatasetKeywordsOrThemes") in report.pairs
    assert not inference.cut_short(store, state)
    from regiongraph.rules.incremental import stored_fingerprints

    assert stored_fingerprints(store, minter, graph) == fingerprints(
        store, graph, hash_key(store, minter))
