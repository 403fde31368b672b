"""Keep the inference graph up to date with a change, at the cost of what it changed.

Every rule of `reasoning` but prp-trp reads ONE asserted triple, and what it derives is
about that triple's subject or object. So the inferences about a node follow from the
asserted triples that touch it, and a change moves only the inferences about the nodes
its changed triples touch. To find those nodes without a copy of the old data, each data
graph keeps a fingerprint per node (the hash of the triples the rules read that touch it,
in that graph; `rules-state/inference`, JSON literals of at most PRINTS_PER_LITERAL
characters per graph, as Virtuoso refuses long literals). After a change, only the
changed graphs are read: the nodes whose fingerprint moved (or appeared, or vanished) are
re-derived from every triple touching them, in any graph, and their inferences replaced
in one update.

A full run (`materialise`) instead, which also records every graph's fingerprints:
when none were recorded yet, when the ontology changed (the axioms reach every node),
when the ontology has a transitive property (a chain reaches beyond the nodes touched),
when a touched node is a blank node (SPARQL cannot name it to replace its inferences),
or when more nodes moved than FULL_RUN_ABOVE (a full run is cheaper then).
The tests check that after random sequences of changes the inference graph equals a full
run (tests/rules/test_incremental_inference.py).
"""

import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from pyoxigraph import BlankNode, Literal, NamedNode, Quad, Triple

from regiongraph.iri import INFERENCE_GRAPH, ONTOLOGY_GRAPH, Minter
from regiongraph.namespaces import RDF, RG
from regiongraph.rules.reasoning import (
    Axioms,
    as_triples,
    derive,
    input_graphs,
    read_axioms,
    relevant_rows,
)
from regiongraph.settings import Settings
from regiongraph.store import Store, one_update

STATE = ("rules-state", "inference")
FULL_RUN_ABOVE = 20_000
"""Nodes moved above which a full run is cheaper (measured at 10k datasets: a full run
takes ~6 s, a re-derivation ~0.3 ms a node)."""
CHUNK = 400
PRINTS_PER_LITERAL = 16_000
"""Characters of fingerprint JSON kept in one literal: Virtuoso 7 refuses a literal over
64 KiB (HTTP 500, "the submitted resource..."), so a graph's fingerprints are split."""


@dataclass
class Followed:
    """What following a change did to the inference graph."""

    nodes: int | None
    """How many nodes were re-derived (None: a full run)."""
    removed: int
    added: int
    seconds: float
    touched: tuple[str, ...] = ()
    """The IRIs of the nodes re-derived."""


def follow(store: Store, settings: Settings, changed: Iterable[NamedNode]) -> Followed:
    """Bring the inference graph up to date after the graphs `changed` changed."""
    started = time.perf_counter()
    minter = Minter(settings.base)
    inference = minter.graph(INFERENCE_GRAPH)
    changed = [g for g in changed if g != inference]
    axioms = read_axioms(store, settings)
    kept = stored_prints(store, settings, changed)
    if kept is None or axioms.transitive or minter.graph(ONTOLOGY_GRAPH) in changed:
        return full_run(store, settings, axioms, started)
    inputs = {g.value for g in input_graphs(store, settings)}
    if any(g.value in inputs and g.value not in kept and _more_subjects(store, g, FULL_RUN_ABOVE)
           for g in changed):
        return full_run(store, settings, axioms, started)  # every node of a new graph moved
    moved: set[str] = set()
    prints: dict[str, dict[str, str]] = {}
    for graph in changed:
        if graph.value not in inputs and graph.value not in kept:
            continue  # bookkeeping: the rules do not read it
        now = (node_prints(*relevant_rows(store, [graph], axioms))
               if graph.value in inputs else {})
        before = kept.get(graph.value, {})
        moved |= {n for n in now.keys() | before.keys() if now.get(n) != before.get(n)}
        prints[graph.value] = now
    if not prints:
        return Followed(nodes=0, removed=0, added=0, seconds=time.perf_counter() - started)
    if len(moved) > FULL_RUN_ABOVE or any(n.startswith("_:") for n in moved):
        moved.clear()  # a full run reads everything again: not held beside it
        prints.clear()
        return full_run(store, settings, axioms, started)
    nodes = sorted(n[1:-1] for n in moved)
    triples = _rederived(store, axioms, nodes, inputs)
    if any(isinstance(t.object, BlankNode) for t in triples):
        return full_run(store, settings, axioms, started)
    removed, added = _replace(store, settings, nodes, triples, prints)
    return Followed(nodes=len(nodes), removed=removed, added=added,
                    seconds=time.perf_counter() - started, touched=tuple(nodes))


def _more_subjects(store: Store, graph: NamedNode, than: int) -> bool:
    """Whether `graph` has more than `than` subjects: a graph new to the rules with that
    many moves that many nodes, so the fingerprints that would count them (a 20k-record
    first harvest: 1.3 s, and 50 MB held beside the full run that follows) are skipped."""
    rows = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {{ SELECT DISTINCT ?s WHERE {{ "
                       f"GRAPH {graph} {{ ?s ?p ?o }} }} LIMIT {than + 1} }} }}")
    return int(next(iter(rows))["n"].value) > than


def full_run(store: Store, settings: Settings, axioms: Axioms | None = None,
             started: float | None = None) -> Followed:
    """Every inference from every data graph, and every graph's fingerprints."""
    started = started if started is not None else time.perf_counter()
    axioms = axioms or read_axioms(store, settings)
    graphs = input_graphs(store, settings)
    types: set[tuple] = set()
    edges: set[tuple] = set()
    prints: dict[str, dict[str, str]] = {}
    for graph in graphs:
        graph_types, graph_edges = relevant_rows(store, [graph], axioms)
        prints[graph.value] = node_prints(graph_types, graph_edges)
        types |= graph_types
        edges |= graph_edges
    triples = as_triples(*derive(types, edges, axioms))
    del types, edges  # the region's rows: not held while the inferences are written
    inference = Minter(settings.base).graph(INFERENCE_GRAPH)
    count = store.replace_graph(inference, triples)
    if not triples:
        store.remove_graph(inference)
    state = _state_graph(settings)
    keep_state(store, state, [q for graph in list(prints)
                              for q in fingerprint_quads(state, graph, prints.pop(graph))])
    return Followed(nodes=None, removed=0, added=count, seconds=time.perf_counter() - started)


def node_prints(types: set[tuple], edges: set[tuple]) -> dict[str, str]:
    """Node (N-Triples text) → hash of the triples here that touch it."""
    lines: dict[str, list[str]] = defaultdict(list)
    for node, cls in types:
        lines[str(node)].append(f"a <{cls}>")
    for s, p, o in edges:
        lines[str(s)].append(f"> <{p}> {o}")
        if not isinstance(o, Literal):
            lines[str(o)].append(f"< <{p}> {s}")
    return {node: hashlib.blake2b("\n".join(sorted(own)).encode(), digest_size=8).hexdigest()
            for node, own in lines.items()}


def stored_prints(store: Store, settings: Settings, graphs: Iterable[NamedNode] | None = None
                  ) -> dict[str, dict[str, str]] | None:
    """Graph IRI → its kept node fingerprints (of `graphs` only, when given: a change reads
    the state of the graphs it changed, not the whole region's); None when no full run
    recorded them."""
    state = _state_graph(settings)
    if not store.query(f"ASK {{ GRAPH {state} {{ ?g <{RG.contentHash.value}> ?p }} }}") \
            or cut_short(store, state):
        return None
    only = ("VALUES ?g { " + " ".join(str(g) for g in graphs) + " } "
            if graphs is not None else "")
    rows = store.query(f"SELECT ?g ?p WHERE {{ {only}GRAPH {state} {{ ?g "
                       f"<{RG.contentHash.value}> ?p }} }}")
    prints: dict[str, dict[str, str]] = defaultdict(dict)
    for row in rows:
        prints[row["g"].value].update(json.loads(row["p"].value))
    return dict(prints)


def _state_graph(settings: Settings) -> NamedNode:
    return Minter(settings.base).graph(*STATE)


def fingerprint_quads(state: NamedNode, graph: str, prints: dict[str, str]) -> list[Quad]:
    """A graph's fingerprints as JSON literals of at most about PRINTS_PER_LITERAL
    characters each (read back merged by `stored_prints`)."""
    parts: list[dict[str, str]] = []
    size = PRINTS_PER_LITERAL
    for node, digest in sorted(prints.items()):
        entry = len(node) + len(digest) + 6
        if size + entry > PRINTS_PER_LITERAL:
            parts.append({})
            size = 0
        parts[-1][node] = digest
        size += entry
    return [Quad(NamedNode(graph), RG.contentHash,
                 Literal(json.dumps(part, sort_keys=True, separators=(",", ":"))), state)
            for part in parts or [{}]]


LARGE_STATE = 1_000_000
"""Characters of fingerprints past which a state is written in pieces (`keep_state`)."""
STATE_PIECE = 100


def keep_state(store: Store, state: NamedNode, quads: list[Quad]) -> None:
    """Make the graph `state` hold these fingerprints. A small state is one transaction. A
    large one is not: a transaction holds all its text several times over (a 20k-record
    graph's 1,081 literals, 17 MB, peaked 110 MB over the write as one update; 23 MB
    STATE_PIECE quads at a time). Its graph is typed `rg:UnfinishedState` meanwhile, so
    one cut short is found (`cut_short`) and its readers run in full instead of trusting
    it: a node missing from it would hide its own removal."""
    if sum(len(q.object.value) for q in quads) <= LARGE_STATE:
        store.replace_graph(state, quads)
        return
    mark = f"GRAPH {state} {{ {state} a <{RG.UnfinishedState.value}> }}"
    store.update(one_update(f"DROP SILENT GRAPH {state}", f"INSERT DATA {{ {mark} }}"))
    for start in range(0, len(quads), STATE_PIECE):
        store.add(quads[start:start + STATE_PIECE])
    store.update(f"DELETE DATA {{ {mark} }}")


def cut_short(store: Store, state: NamedNode) -> bool:
    """Whether the rewrite of `state` stopped before its end (`keep_state`)."""
    return bool(store.query(f"ASK {{ GRAPH {state} {{ {state} a <{RG.UnfinishedState.value}> }} }}"))


def _touching(store: Store, axioms: Axioms, nodes: list[str], inputs: set[str]
              ) -> tuple[set[tuple], set[tuple]]:
    """The asserted types and edges the rules read that touch `nodes`, in any data graph.

    The properties are filtered here, not in the query: a `VALUES ?p` beside the nodes'
    made Oxigraph join them badly (measured at 10k datasets, 300 nodes: 6.2 s, 0.2 s
    without)."""
    classes = axioms.inferable_classes()
    properties = axioms.properties
    types: set[tuple] = set()
    edges: set[tuple] = set()
    for i in range(0, len(nodes), CHUNK):
        values = " ".join(f"<{n}>" for n in nodes[i:i + CHUNK])
        for side in ("?s", "?o"):
            for row in store.query(f"SELECT ?g ?s ?p ?o WHERE {{ VALUES {side} {{ {values} }} "
                                   "GRAPH ?g { ?s ?p ?o } }"):
                if row["g"].value not in inputs:
                    continue
                predicate = row["p"].value
                if predicate == RDF.type.value:
                    if side == "?s" and row["o"].value in classes:
                        types.add((row["s"], row["o"].value))
                elif predicate in properties:
                    edges.add((row["s"], predicate, row["o"]))
    return types, edges


def _rederived(store: Store, axioms: Axioms, nodes: list[str], inputs: set[str]
               ) -> list[Triple]:
    """The inferences about `nodes`, from every triple touching them."""
    wanted = set(nodes)
    return [t for t in as_triples(*derive(*_touching(store, axioms, nodes, inputs), axioms))
            if isinstance(t.subject, NamedNode) and t.subject.value in wanted]


def _replace(store: Store, settings: Settings, nodes: list[str], triples: list[Triple],
             prints: dict[str, dict[str, str]]) -> tuple[int, int]:
    """Replace the inferences about `nodes` with `triples`, and keep the changed graphs'
    fingerprints, in one update (one transaction)."""
    inference = Minter(settings.base).graph(INFERENCE_GRAPH)
    state = _state_graph(settings)
    removed = _count_about(store, inference, nodes)
    parts = []
    for i in range(0, len(nodes), CHUNK):
        values = " ".join(f"<{n}>" for n in nodes[i:i + CHUNK])
        parts.append(f"DELETE {{ GRAPH {inference} {{ ?s ?p ?o }} }} WHERE {{ "
                     f"VALUES ?s {{ {values} }} GRAPH {inference} {{ ?s ?p ?o }} }}")
    if triples:
        body = "\n".join(f"{t.subject} {t.predicate} {t.object} ." for t in triples)
        parts.append(f"INSERT DATA {{ GRAPH {inference} {{\n{body}\n}} }}")
    graphs = " ".join(f"<{g}>" for g in sorted(prints))
    parts.append(f"DELETE {{ GRAPH {state} {{ ?g ?p ?o }} }} WHERE {{ VALUES ?g {{ {graphs} }} "
                 f"GRAPH {state} {{ ?g ?p ?o }} }}")
    kept = [q for g, p in sorted(prints.items()) if p for q in fingerprint_quads(state, g, p)]
    if kept:
        body = "\n".join(f"{q.subject} {q.predicate} {q.object} ." for q in kept)
        parts.append(f"INSERT DATA {{ GRAPH {state} {{\n{body}\n}} }}")
    store.update(" ;\n".join(parts))
    return removed, len(triples)


def _count_about(store: Store, graph: NamedNode, nodes: list[str]) -> int:
    count = 0
    for i in range(0, len(nodes), CHUNK):
        values = " ".join(f"<{n}>" for n in nodes[i:i + CHUNK])
        rows = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ VALUES ?s {{ {values} }} "
                           f"GRAPH {graph} {{ ?s ?p ?o }} }}")
        count += int(next(iter(rows))["n"].value)
    return count
