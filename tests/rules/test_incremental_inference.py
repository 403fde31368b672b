"""The rules view follows a change at the cost of what it touched, and stays exact: after
random sequences of changes the inference graph equals a full run, and the current
validation report a full validation (demo, and a generated region)."""

import random

import pytest
from pyoxigraph import NamedNode

from regiongraph.iri import INFERENCE_GRAPH, REGISTRY_GRAPH, Minter
from regiongraph.rules import hooks, inference
from regiongraph.rules.reasoning import infer, read_axioms, relevant_rows
from regiongraph.rules.reports import latest_report
from regiongraph.rules.validate import validate
from regiongraph.settings import Settings
from regiongraph.store import open_store

RG = "https://w3id.org/regiongraph/ns#"
DCAT = "http://www.w3.org/ns/dcat#"


def _copy(source, settings: Settings):
    store = open_store(Settings(store="memory", base=settings.base))
    store.add(source.quads())
    return store


@pytest.fixture
def demo_copy(demo_store, demo_settings):
    store = _copy(demo_store, demo_settings)
    yield store
    store.close()


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    from regiongraph.generate.synthetic import generate_region
    from regiongraph.pipeline import load_region_dir

    root = tmp_path_factory.mktemp("region")
    generate_region(root, datasets=150, seed=3)
    settings = Settings(store="memory", base="https://data.sonoranvalley.example/")
    store = open_store(settings)
    load_region_dir(store, settings, root)
    yield store, settings
    store.close()


def _inferred(store, settings) -> set[str]:
    graph = Minter(settings.base).graph(INFERENCE_GRAPH)
    return {str(q.triple) for q in store.quads(graph)}


def _assert_exact(store, settings) -> None:
    assert _inferred(store, settings) == {str(t) for t in infer(store, settings)}
    assert latest_report(store, settings).results == validate(store, settings).results


class Changes:
    """Random changes of the kinds the rules read: types, edges of sub-, inverse and
    symmetric properties, whole subjects removed, graphs added and dropped, inferred
    triples asserted and retracted, registry edits."""

    def __init__(self, store, settings, seed: int) -> None:
        self.store, self.settings, self.random = store, settings, random.Random(seed)
        self.axioms = read_axioms(store, settings)

    def rows(self, query: str) -> list[dict]:
        return [{k: row[k] for k in ("g", "s", "p", "o") if _bound(row, k)}
                for row in self.store.query(query)]

    def pick_edge(self) -> dict:
        """An edge the rules read, in a random graph of the datasets or the registry."""
        props = " ".join(f"<{p}>" for p in sorted(self.axioms.properties))
        graphs = sorted({r["g"].value for r in self.datasets()})
        graphs.append(Minter(self.settings.base).graph(REGISTRY_GRAPH).value)
        g = self.random.choice(graphs)
        rows = self.rows(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{g}> {{ ?s ?p ?o }} "
                         f"VALUES ?p {{ {props} }} FILTER(isIRI(?o)) }} LIMIT 300")
        return {**self.random.choice(rows), "g": NamedNode(g)}

    def datasets(self) -> list[dict]:
        return self.rows(f"SELECT ?g ?s WHERE {{ GRAPH ?g {{ ?s a <{DCAT}Dataset> }} }}")

    def step(self) -> list[str]:
        """One random change; returns the graphs it changed."""
        kind = self.random.choice(["drop-subject", "drop-edge", "inverse", "symmetric",
                                   "type", "assert-inferred", "new-graph", "registry"])
        return getattr(self, kind.replace("-", "_"))()

    def update(self, sparql: str, graph: str) -> list[str]:
        self.store.update(sparql)
        return [graph]

    def drop_subject(self) -> list[str]:
        row = self.random.choice(self.datasets())
        g, s = row["g"].value, row["s"]
        return self.update(f"DELETE WHERE {{ GRAPH <{g}> {{ {s} ?p ?o }} }}", g)

    def drop_edge(self) -> list[str]:
        row = self.pick_edge()
        g = row["g"].value
        return self.update(f"DELETE DATA {{ GRAPH <{g}> {{ {row['s']} {row['p']} "
                           f"{row['o']} }} }}", g)

    def inverse(self) -> list[str]:
        a, b = self.random.sample(self.datasets(), 2)
        g = a["g"].value
        return self.update(f"INSERT DATA {{ GRAPH <{g}> {{ {a['s']} <{RG}offeredBy> "
                           f"{b['s']} }} }}", g)

    def symmetric(self) -> list[str]:
        a, b = self.random.sample(self.datasets(), 2)
        g = b["g"].value
        return self.update(f"INSERT DATA {{ GRAPH <{g}> {{ {a['s']} <{RG}sameDatasetAs> "
                           f"{b['s']} }} }}", g)

    def type(self) -> list[str]:
        row = self.random.choice(self.datasets())
        g = row["g"].value
        return self.update(f"INSERT DATA {{ GRAPH <{g}> {{ {row['s']} a <{RG}City> }} }}", g)

    def assert_inferred(self) -> list[str]:
        inferred = Minter(self.settings.base).graph(INFERENCE_GRAPH)
        rows = self.rows(f"SELECT ?s ?p ?o WHERE {{ GRAPH {inferred} {{ ?s ?p ?o }} }} LIMIT 300")
        row = self.random.choice(rows)
        g = self.random.choice(self.datasets())["g"].value
        return self.update(f"INSERT DATA {{ GRAPH <{g}> {{ {row['s']} {row['p']} {row['o']} "
                           "} }", g)

    def new_graph(self) -> list[str]:
        row = self.pick_edge()
        g = f"{self.settings.base}graph/manual/test-{self.random.randrange(10**6)}"
        if self.random.random() < 0.5:
            existing = [x for x in self.rows("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")
                        if "/graph/manual/test-" in x["g"].value]
            if existing:  # drop an earlier test graph instead
                old = existing[0]["g"].value
                return self.update(f"DROP GRAPH <{old}>", old)
        return self.update(f"INSERT DATA {{ GRAPH <{g}> {{ {row['s']} {row['p']} {row['o']} . "
                           f"{row['o']} a <{RG}County> }} }}", g)

    def registry(self) -> list[str]:
        g = Minter(self.settings.base).graph(REGISTRY_GRAPH).value
        rows = self.rows(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{g}> {{ ?s ?p ?o FILTER(isIRI(?o)) "
                         "} } LIMIT 500")
        row = self.random.choice(rows)
        return self.update(f"DELETE DATA {{ GRAPH <{g}> {{ {row['s']} {row['p']} {row['o']} "
                           "} }", g)


def _bound(row, key: str) -> bool:
    try:
        return row[key] is not None
    except (KeyError, IndexError):
        return False


def _run(store, settings, seed: int, steps: int) -> list:
    inference.full_run(store, settings)
    hooks.after_change(store, settings, [])
    changes = Changes(store, settings, seed)
    runs = []
    followed = []
    original = inference.follow

    def recording(*args, **kwargs):
        result = original(*args, **kwargs)
        followed.append(result)
        return result

    hooks.follow = recording
    try:
        for _ in range(steps):
            graphs = changes.step()
            hooks.after_change(store, settings, [NamedNode(g) for g in graphs])
            _assert_exact(store, settings)
            runs.append(followed[-1])
    finally:
        hooks.follow = original
    return runs


def test_random_changes_on_the_demo(demo_copy, demo_settings):
    runs = _run(demo_copy, demo_settings, seed=4, steps=10)
    incremental = [r for r in runs if r.nodes is not None]
    assert len(incremental) >= 8, "the changes were followed without a full run"
    assert max(r.nodes for r in incremental) < 200
    assert sum(r.removed + r.added for r in incremental) > 0


def test_random_changes_on_a_generated_region(generated):
    store, settings = generated
    runs = _run(store, settings, seed=9, steps=8)
    assert all(r.nodes is not None for r in runs)


def test_an_ontology_change_is_a_full_run(demo_copy, demo_settings):
    store, settings = demo_copy, demo_settings
    inference.full_run(store, settings)
    ontology = Minter(settings.base).graph("ontology")
    store.update(f"INSERT DATA {{ GRAPH {ontology} {{ <{RG}offeredBy> <http://www.w3.org/2000/"
                 f"01/rdf-schema#subPropertyOf> <{RG}sameDatasetAs> }} }}")
    followed = inference.follow(store, settings, [ontology])
    assert followed.nodes is None
    assert _inferred(store, settings) == {str(t) for t in infer(store, settings)}


def test_fingerprints_touch_both_ends_of_an_edge(demo_store, demo_settings):
    axioms = read_axioms(demo_store, demo_settings)
    graph = Minter(demo_settings.base).graph(REGISTRY_GRAPH)
    types, edges = relevant_rows(demo_store, [graph], axioms)
    prints = inference.node_prints(types, edges)
    s, _p, o = next((s, p, o) for s, p, o in sorted(edges, key=str)
                    if isinstance(o, NamedNode))
    assert str(s) in prints and str(o) in prints
    fewer = inference.node_prints(types, edges - {(s, _p, o)})
    assert fewer.get(str(s)) != prints[str(s)] and fewer.get(str(o)) != prints[str(o)]


def test_fingerprints_are_kept_in_literals_a_remote_engine_accepts(generated):
    """Virtuoso 7 refuses a literal over 64 KiB: a big graph's fingerprints are split."""
    store, settings = generated
    inference.full_run(store, settings)
    state = Minter(settings.base).graph(*inference.STATE)
    rows = list(store.query(f"SELECT ?g ?p WHERE {{ GRAPH {state} {{ ?g ?x ?p }} }}"))
    sizes = [len(row["p"].value) for row in rows]
    assert max(sizes) <= inference.PRINTS_PER_LITERAL + 200
    assert len(rows) > len({row["g"].value for row in rows})  # some graph needed several
    axioms = read_axioms(store, settings)
    kept = inference.stored_prints(store, settings)
    for graph in inference.input_graphs(store, settings):
        assert kept[graph.value] == inference.node_prints(
            *relevant_rows(store, [graph], axioms))


def test_a_change_reads_the_kept_fingerprints_of_its_graphs_only(generated):
    """The state of the graphs a change wrote, not the whole region's (at 10k datasets
    the whole state is 52 graphs, 38k nodes)."""
    store, settings = generated
    inference.full_run(store, settings)
    graphs = inference.input_graphs(store, settings)
    everything = inference.stored_prints(store, settings)
    assert len(everything) > 2
    some = inference.stored_prints(store, settings, graphs[:2])
    assert some == {g.value: everything[g.value] for g in graphs[:2]}
    assert inference.stored_prints(store, settings, []) == {}
    state = Minter(settings.base).graph(*inference.STATE)
    store.update(f"DROP GRAPH {state}")
    assert inference.stored_prints(store, settings, graphs[:2]) is None
    inference.full_run(store, settings)  # the module's region keeps its state


def test_an_inference_state_cut_short_means_a_full_run(demo_copy, demo_settings, monkeypatch):
    """The region's fingerprints rewritten a piece at a time and cut short after the
    first piece: the next change is followed by a full run, exact as ever."""
    from regiongraph.store import StoreBusyError
    from tests.rules.test_incremental import DiesAfterOnePiece

    store, settings = demo_copy, demo_settings
    monkeypatch.setattr(inference, "LARGE_STATE", 0)
    monkeypatch.setattr(inference, "PRINTS_PER_LITERAL", 400)
    inference.full_run(store, settings)
    assert inference.stored_prints(store, settings) is not None
    state = Minter(settings.base).graph(*inference.STATE)
    quads = list(store.quads(state))
    assert len(quads) > inference.STATE_PIECE
    with pytest.raises(StoreBusyError):
        inference.keep_state(DiesAfterOnePiece(store), state, quads)
    assert inference.stored_prints(store, settings) is None
    registry = Minter(settings.base).graph(REGISTRY_GRAPH)
    store.update(f"INSERT DATA {{ GRAPH {registry} {{ <{RG}x> a <{DCAT}Dataset> }} }}")
    assert inference.follow(store, settings, [registry]).nodes is None
    assert _inferred(store, settings) == {str(t) for t in infer(store, settings)}
    assert inference.stored_prints(store, settings) is not None
