"""The public view: a separate in-memory store holding only what anonymous users may see.

Why a separate store and not query rewriting or filters: a SPARQL query can reach any
triple of the store it runs on through `GRAPH ?g`, `FROM NAMED`, `DESCRIBE`, property
paths, aggregates or `COUNT`s that reveal that something exists. Rewriting every such
route safely is a losing game; running anonymous queries against a store that simply
does not hold private triples closes all of them at once. `regiongraph.visibility`
decides which quads are public (public access level and an approval to publish in
force); this module only keeps them in a pyoxigraph memory store.

The view is built whole once per store (at the server's start: `workers.prime`, or at
its first use), from every graph's N-Triples lines, then follows the one change path:
when the store version or the day moves (`regiongraph.change.cache_key`), it re-reads
only the graphs the journal says changed, plus the graphs that mention a node whose
public standing moved (a dataset published or withdrawn, an approval, a registry
entry); the unit is a named graph, because blank nodes are followed within their graph.
pyoxigraph's memory store keeps removed quads, so once the view has removed as many
quads as it holds, it is copied into a fresh store (a copy of the view, not of the
region): its memory stays bounded by its size, not by the number of changes.
"""

import threading
import weakref
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from pyoxigraph import DefaultGraph, NamedNode, Quad, RdfFormat, parse
from pyoxigraph import Store as OxStore

from regiongraph import journal
from regiongraph.change import cache_key
from regiongraph.iri import is_bookkeeping
from regiongraph.memory import trim
from regiongraph.settings import Settings
from regiongraph.store import Store
from regiongraph.store.embedded import EmbeddedStore
from regiongraph.visibility import PublicNodes, public_lines_among, public_quads_among

MENTION_CHUNK = 500
LOAD_CHUNK = 50_000
"""Lines handed to Oxigraph's parser at once when the view reads a graph."""
NodesOf = Callable[[Store, Settings], PublicNodes]


def build_public_store(store: Store, settings: Settings) -> EmbeddedStore:
    """A new memory store holding exactly `visibility.public_quads(store, settings)`: the
    reference the kept view is held equal to."""
    from regiongraph.visibility import public_quads

    view = EmbeddedStore(None)
    view.oxigraph.bulk_extend(public_quads(store, settings))
    return view


@dataclass
class KeptView:
    """One store's public view and what it was built from."""

    key: tuple[int, str]
    view: EmbeddedStore
    nodes: PublicNodes
    removed: int = 0
    """Quads removed since the view was last copied (what pyoxigraph keeps around)."""
    lines: dict[str, array] = field(default_factory=dict)
    """Graph IRI → hashes of its N-Triples lines in the store when the view last read it
    (`_follow_difference`): 8 bytes a quad, for the graphs a change re-read."""


_views: "weakref.WeakKeyDictionary[object, KeptView]" = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def public_store(store: Store, settings: Settings) -> Store:
    """The public view of `store`, caught up first if the store or the day moved."""
    return kept_public(store, settings).view


def kept_public(store: Store, settings: Settings) -> KeptView:
    """The kept public view with the nodes it was built from (member views start from a
    copy of it: `regiongraph.sparql.member`)."""
    key = cache_key(store, settings)
    kept = _views.get(store)
    if kept is not None and kept.key == key:
        return kept
    with _lock:
        kept = _views.get(store)
        if kept is None or key[0] < kept.key[0]:
            # first use, or a store put back to an older journal: build whole
            kept = _build(store, settings, key)
            _views[store] = kept
        elif kept.key != key:
            catch_up(store, settings, kept, key)
        return kept


def holds_view(store: Store) -> bool:
    """Whether a public view of `store` is kept (built by an earlier read)."""
    return store in _views


def hand_over(old: Store, new: Store) -> None:
    """`new` holds `old`'s data at a later version (a read-only snapshot opened again, in
    the query helper of `regiongraph.sparql.workers`): `old`'s kept view now follows `new`,
    catching up from the journal instead of being built whole."""
    with _lock:
        kept = _views.pop(old, None)
        if kept is not None:
            _views[new] = kept


def _public_nodes(store: Store, settings: Settings) -> PublicNodes:
    from regiongraph.visibility import public_nodes

    return public_nodes(store, settings)


def _build(store: Store, settings: Settings, key: tuple[int, str],
           nodes_of: NodesOf = _public_nodes) -> KeptView:
    nodes = nodes_of(store, settings)
    view = EmbeddedStore(None)
    kept = KeptView(key=key, view=view, nodes=nodes)
    if getattr(store, "graphs_as_lines", None) is None:  # a remote store: quads it is
        view.oxigraph.bulk_extend(public_quads_among(store.quads(), nodes))
        return kept
    shown = [NamedNode(g) for g in store.graph_names() if not is_bookkeeping(settings.base, g)]
    for graph, lines in store.graphs_as_lines(shown):
        _read_lines(kept, graph, lines, nodes)
    view.oxigraph.bulk_extend(public_quads_among(store.quads(DefaultGraph()), nodes))
    return kept


def _read_lines(kept: KeptView, graph: NamedNode, lines: Iterable[bytes], nodes: PublicNodes
                ) -> int:
    """Make the view's `graph` hold exactly the store's public lines of it, and remember
    every line's hash for the next change (`_follow_difference`): one read of the graph,
    serialised by Oxigraph, judged line by line without a Python object per quad
    (`visibility.public_lines_among`). A whole view built so (`_build`, graphs dumped
    ahead in threads) took 3.6 s on a 10k-dataset store (604k quads) and 46 s at 100k
    (6.0M), where judging the quads as objects and then reading the lines for the hashes
    took 9.1 s and 121 s. Returns how many quads left the view."""
    hashes: list[int] = []

    def remembered():
        for line in lines:
            hashes.append(hash(line))
            yield line

    shown = public_lines_among(remembered(), graph.value, nodes)
    view = kept.view.oxigraph
    held = set(view.dump(format=RdfFormat.N_TRIPLES, from_graph=graph).splitlines())
    if not held:  # the graph is new to the view (always so while it is built)
        _add_lines(view, graph, shown)
        gone = []
    else:
        wanted = set(shown)
        gone = [line for line in held if line not in wanted]
        for triple in _triples(gone):
            view.remove(Quad(triple.subject, triple.predicate, triple.object, graph))
        _add_lines(view, graph, (line for line in wanted if line not in held))
    kept.lines[graph.value] = array("q", hashes)
    return len(gone)


def _add_lines(view: OxStore, graph: NamedNode, lines: Iterable[bytes]) -> None:
    """Add N-Triples lines to the view's `graph`, LOAD_CHUNK at a time: parsed by Oxigraph,
    except those with a blank node, which are parsed here so that their labels stay the
    store's (`Store.load` gives blank nodes new labels, and `_follow_difference` compares
    lines)."""
    plain: list[bytes] = []
    blank: list[bytes] = []
    for line in lines:
        (blank if b"_:" in line else plain).append(line)
        if len(plain) >= LOAD_CHUNK:
            view.load(b"\n".join(plain), format=RdfFormat.N_TRIPLES, to_graph=graph)
            plain.clear()
    if plain:
        view.load(b"\n".join(plain), format=RdfFormat.N_TRIPLES, to_graph=graph)
    view.extend(Quad(t.subject, t.predicate, t.object, graph) for t in _triples(blank))


def catch_up(store: Store, settings: Settings, kept: KeptView, key: tuple[int, str],
             nodes_of: NodesOf = _public_nodes) -> int:
    """Bring `kept` to `key`: re-read the changed graphs and those mentioning a node whose
    standing moved; returns how many graphs were re-read. `nodes_of` names the view's
    nodes: the public ones here, a member tier's in `regiongraph.sparql.member`."""
    changed = {g for c in journal.since(store, settings, kept.key[0]) for g in c.graphs}
    nodes = nodes_of(store, settings)
    moved = (kept.nodes.public ^ nodes.public) | (kept.nodes.private ^ nodes.private)
    mentioning = _graphs_mentioning(store, moved)
    graphs = changed | mentioning
    if key[0] != kept.key[0]:
        graphs |= _derived_graphs(store, settings)
    if journal.DEFAULT_GRAPH in graphs:
        graphs.discard(journal.DEFAULT_GRAPH)
        graphs.add("")
    view = kept.view.oxigraph
    shown = sorted(g for g in graphs if not g or not is_bookkeeping(settings.base, g))
    if getattr(store, "graphs_as_lines", None) is None:  # a remote store: quads it is
        for graph in shown:
            name = NamedNode(graph) if graph else None
            quads = store.quads(name) if name is not None else _default_graph_quads(store)
            kept.removed += _rewrite_graph(view, name, set(public_quads_among(quads, nodes)))
    else:
        if "" in shown:
            kept.removed += _rewrite_graph(view, None, set(public_quads_among(
                store.quads(DefaultGraph()), nodes)))
        named = [NamedNode(g) for g in shown if g]
        for name, lines in store.graphs_as_lines(named):  # read ahead, two in threads
            if name.value in mentioning or name.value not in kept.lines:
                kept.removed += _read_lines(kept, name, lines, nodes)
            elif not _follow_difference(kept, name, lines, nodes):
                kept.removed += _read_lines(kept, name, store.ntriples_lines(name), nodes)
    kept.nodes, kept.key = nodes, key
    if kept.removed > len(view):
        fresh = EmbeddedStore(None)
        fresh.oxigraph.bulk_extend(view)
        kept.view, kept.removed = fresh, 0
    trim()  # what the old view and the re-read graphs freed goes back to the OS
    return len(graphs)


def _follow_difference(kept: KeptView, graph: NamedNode, lines: Iterable[bytes],
                       nodes: PublicNodes) -> bool:
    """Bring one graph of the view up to date by the lines that changed in the store
    since the view last read it (`lines`: the graph's lines now), instead of judging the
    whole graph again; False when it cannot (a changed line with a blank node): the
    caller then re-reads the graph whole.

    Exact when no node the graph mentions changed its public standing (the caller
    re-reads those graphs whole): the view's quads of unchanged lines keep their verdict,
    removed lines leave the view, and added lines are judged with today's nodes. Both
    sides are N-Triples lines serialised by Oxigraph, so no Python object is made for a
    quad that did not change (a re-harvest of 1% of a 60k-quad graph, or the rules view
    re-deriving a few nodes of a 30k-quad inference graph, judges ~1% of it)."""
    known = set(kept.lines.get(graph.value, ()))
    now: set[int] = set()
    came: list[bytes] = []
    for line in lines:
        line_hash = hash(line)
        now.add(line_hash)
        if line_hash not in known:
            came.append(line)
    kept.lines[graph.value] = array("q", now)
    if not came and len(known) == len(now):
        return True
    view = kept.view.oxigraph
    shown = view.dump(format=RdfFormat.N_TRIPLES, from_graph=graph).splitlines()
    gone = [line for line in shown if hash(line) not in now]
    if any(b"_:" in line for line in came) or any(b"_:" in line for line in gone):
        kept.lines.pop(graph.value)  # re-read whole, and remembered then
        return False
    for triple in _triples(gone):
        view.remove(Quad(triple.subject, triple.predicate, triple.object, graph))
    kept.removed += len(gone)
    _add_lines(view, graph, public_lines_among(came, graph.value, nodes))
    return True


def _triples(lines: list[bytes]):
    return parse(b"\n".join(lines), RdfFormat.N_TRIPLES) if lines else iter(())


def _rewrite_graph(view: OxStore, graph: NamedNode | None, wanted: set) -> int:
    """Make the view's `graph` hold exactly `wanted`, touching only the quads that differ;
    returns how many were removed. pyoxigraph's memory store keeps every removed quad, so
    a graph dropped and re-added whole left its whole size behind on each change."""
    target = graph if graph is not None else DefaultGraph()
    held = set(view.quads_for_pattern(None, None, None, target))
    gone = held - wanted
    for quad in gone:
        view.remove(quad)
    view.extend(wanted - held)
    return len(gone)


def _default_graph_quads(store: Store):
    return (q for q in store.quads() if q.graph_name == DefaultGraph())


def _derived_graphs(store: Store, settings: Settings) -> set[str]:
    """The inference graph, which the rules view rewrites after a change without a journal
    entry of its own: re-read whenever the store moved. (Bookkeeping graphs are never
    shown, so never re-read.)"""
    from regiongraph.iri import INFERENCE_GRAPH, Minter

    inference = Minter(settings.base).graph(INFERENCE_GRAPH).value
    # ASK, not `store.graphs()`: that counts every graph's quads (~1 s at 10k datasets)
    held = store.query(f"ASK {{ GRAPH <{inference}> {{ ?s ?p ?o }} }}")
    return {inference} if bool(held) else set()


def _graphs_mentioning(store: Store, iris: Iterable[str]) -> set[str]:
    """Named graphs where one of `iris` is a subject or an object."""
    found: set[str] = set()
    ordered = sorted(iris)
    for start in range(0, len(ordered), MENTION_CHUNK):
        values = " ".join(f"<{i}>" for i in ordered[start:start + MENTION_CHUNK])
        rows = store.query(f"SELECT DISTINCT ?g WHERE {{ VALUES ?x {{ {values} }} "
                           "GRAPH ?g { { ?x ?p ?o } UNION { ?s ?p ?x } } }")
        found |= {row["g"].value for row in rows}
    return found
