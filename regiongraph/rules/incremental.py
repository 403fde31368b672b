"""Re-validate after a change: only what changed, and what depends on it.

1. **What changed** in each replaced graph is found by comparing fingerprints with the
   ones kept from the previous run (graph `rules-state/<key>`, JSON literals): a hash
   per IRI node of the triples about it or pointing at it, blank nodes it points to
   included (`fingerprints`). Added, removed and modified nodes all count, and so do the
   nodes whose inferences changed (`rules.inference` tells which).
2. **What depends on it** follows the links the rules read (`affected`): a changed
   dataset re-checks its distributions, the projects that use it and the approvals that
   cover it; a changed approval or agreement re-checks the datasets it covers and the
   projects using them; a changed role or person re-checks the approvals and strategies
   they gave, and what those cover; a changed standard re-checks the datasets claiming it.
3. Those focus nodes are validated with the same compiled queries as a full run, and their
   results replace theirs in the current report (`reports.store_report`); the others stay.

A full run happens instead when there is no current report, when it was made for another
day (approvals in force change with the date), when the shapes changed, when the ontology
changed (class and role definitions reach every node), when a registry entry vanished, or
when so much changed that a full run is cheaper (FULL_RUN_SHARE).
The new state is remembered only once the report is stored, so a run cut short leaves its
changes to the next. The test suite checks on the demo that the revised report equals a
full validation and pyshacl's on the whole graph.
"""

import datetime as dt
import hashlib
import json
import secrets
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from pyoxigraph import NamedNode

from regiongraph.iri import INFERENCE_GRAPH, ONTOLOGY_GRAPH, Minter
from regiongraph.memory import trim_after
from regiongraph.namespaces import RG
from regiongraph.rules.inference import cut_short, fingerprint_quads, keep_state
from regiongraph.rules.reports import latest_header, store_report
from regiongraph.rules.shapes import shape_files
from regiongraph.rules.validate import Report, data_graphs, validate
from regiongraph.settings import Settings
from regiongraph.store import Store, linked

STATE_GRAPH = "rules-state"
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
FULL_RUN_ABOVE = 500
FULL_RUN_SHARE = 4
"""A full run instead when more than FULL_RUN_ABOVE focus nodes are also more than a
FULL_RUN_SHARE-th of the datasets: measured at 10k datasets, re-checking 262 focus nodes
took 0.2 s of queries where checking all 10k datasets (and their distributions, projects,
approvals) took 5.7 s; a focus node costs up to about twice a node of a full run."""
RECORD_QUERY = """
SELECT ?topic ?hash WHERE {
  ?record <https://w3id.org/regiongraph/ns#recordHash> ?hash ;
          <http://xmlns.com/foaf/0.1/primaryTopic> ?topic .
}"""


def _state_graph(minter: Minter, graph: NamedNode) -> NamedNode:
    key = hashlib.sha1(graph.value.encode()).hexdigest()[:16]
    return minter.graph(STATE_GRAPH, key)


INCOMING = "^"
"""Marks the key of a node's incoming links in a fingerprint (`^` + IRI)."""
INCOMING_BYTES = INCOMING.encode()


def fingerprints(store: Store, graph: NamedNode, key: bytes,
                 lines: Iterable[bytes] | None = None) -> dict[str, str]:
    """IRI → hash of what this graph says about the node, and `^`IRI → hash of the links
    pointing at it (rdf:type links to classes left out).

    The incoming side makes a removed link re-check the node it pointed at too (the dataset
    an approval no longer covers, the person a role no longer names), not only its
    subject; blank nodes are folded into the IRIs that point at them. Always the graph's
    own triples, never a summary such as a harvest's record hashes: a SPARQL update into a
    harvested graph is a change like any other.

    A node's hash is the sum of its lines' hashes (a multiset hash: order-free), so each
    line is hashed as it streams by and only one number a node is held; keeping the lines
    to sort them took 195 MB for a 20k-record harvested graph. A sum of public hashes
    could be matched by a member who writes a catalog (a hundred crafted junk triples that
    sum to nothing: Wagner's k-sum), so each line's hash is keyed by the store's own
    secret (`hash_key`), which no member reads."""
    sums: dict[bytes, int] = defaultdict(int)
    blanks: dict[bytes, int] = defaultdict(int)
    links: dict[bytes, set[bytes]] = defaultdict(set)
    rdf_type = f"<{RDF_TYPE.value}>".encode()
    blake2b = hashlib.blake2b
    # One keyed hash a line, of the line as Oxigraph wrote it (its subject and object
    # stay in the line): it counts for the subject, and for the object's incoming side.
    # Hashing two re-built strings a line, decoded first, took 4 of the 9 s a 10k-dataset
    # region's first validation spent here.
    for line in _ntriples(store, graph) if lines is None else lines:
        subject, predicate, obj = line.split(b" ", 2)
        obj = obj[:-2]  # the final " ."
        line_hash = int.from_bytes(blake2b(line, digest_size=HASH_BYTES, key=key).digest())
        if subject[:2] == b"_:":
            blanks[subject[2:]] += line_hash
        elif subject[:1] == b"<":
            sums[subject[1:-1]] += line_hash
            if obj[:2] == b"_:":
                links[subject[1:-1]].add(obj[2:])
        if obj[:1] == b"<" and predicate != rdf_type:
            sums[INCOMING_BYTES + obj[1:-1]] += line_hash
    # Emptied while the answer fills: the two dicts together were the peak (200k nodes of
    # a 20k-record graph: 76 MB traced, about half of it the one being dropped).
    prints: dict[str, str] = {}
    while sums:
        node, total = sums.popitem()
        prints[node.decode()] = _hex(total + sum(blanks[b] for b in links.pop(node, ())))
    return prints


HASH_BYTES = 10


def hash_key(store: Store, minter: Minter) -> bytes:
    """The store's secret key of the line hashes: read, and made once where none is kept,
    by one update that adds it only if still missing (two processes starting at once keep
    one), in a bookkeeping graph no route shows to a member. Fingerprints kept before it
    (unkeyed) all differ once, and the next follow re-checks every node of their graphs."""
    graph = minter.graph(STATE_GRAPH, "key").value
    find = f"GRAPH <{graph}> {{ <{graph}> <{RG.hashKey.value}> ?k }}"
    for _attempt in range(2):
        kept = [row["k"].value for row in store.query(f"SELECT ?k WHERE {{ {find} }}")]
        if kept:
            return bytes.fromhex(min(kept))
        store.update(f"INSERT {{ GRAPH <{graph}> {{ <{graph}> <{RG.hashKey.value}> "
                     f"\"{secrets.token_hex(32)}\" }} }} WHERE {{ FILTER NOT EXISTS {{ {find} }} }}")
    raise RuntimeError(f"the store kept no hash key in {graph}")


def _hex(total: int) -> str:
    return (total % (1 << 8 * HASH_BYTES)).to_bytes(HASH_BYTES).hex()


def _ntriples(store: Store, graph: NamedNode) -> Iterable[bytes]:
    """The graph as N-Triples lines (UTF-8): serialised by Oxigraph where the store can (a
    Python object per quad costs ~50 µs: 40 s over a 10k-dataset region), else quad by
    quad."""
    serialised = getattr(store, "ntriples_lines", None)
    if serialised is not None:
        return serialised(graph)
    return (f"{q.subject} {q.predicate} {q.object} .".encode() for q in store.quads(graph))


def _graphs_with_lines(store: Store, graphs: Iterable[NamedNode]
                       ) -> Iterator[tuple[NamedNode, Iterable[bytes]]]:
    """Each graph with its lines, read ahead in threads where the store can
    (`EmbeddedStore.graphs_as_lines`: a first load's 53 new graphs at 10k datasets are
    dumped while the graph before is hashed)."""
    ahead = getattr(store, "graphs_as_lines", None)
    if ahead is not None:
        yield from ahead(graphs)
        return
    for graph in graphs:
        yield graph, _ntriples(store, graph)


def stored_fingerprints(store: Store, minter: Minter, graph: NamedNode) -> dict[str, str]:
    """The kept state: JSON literals on the graph's IRI (`remember`), or, kept by an
    earlier version, one triple per node (read until the graph's next `remember`)."""
    found: dict[str, str] = {}
    for quad in store.quads(_state_graph(minter, graph)):
        if quad.predicate == RDF_TYPE:
            continue  # the mark of a rewrite (`keep_state`)
        kept = quad.object.value
        if kept.startswith("{"):
            found.update(json.loads(kept))
        elif kept.startswith(INCOMING):
            found[INCOMING + quad.subject.value] = kept[len(INCOMING):]
        else:
            found[quad.subject.value] = kept
    return found


def remember(store: Store, minter: Minter, graph: NamedNode, prints: dict[str, str],
             before: dict[str, str] | None = None) -> None:
    """Keep `prints` as the graph's state, in JSON literals on the graph's IRI (as the
    inference state is kept: `inference.fingerprint_quads`), not a triple per node: at
    10k datasets that was 200k of the store's 936k quads, and each change read its
    graph's share back quad by quad (0.08 s for a 6.5k-node source graph; 0.01 s now).
    The few dozen literals are rewritten whole (0.06 s there: writing only the ones that
    differ by a SPARQL update was slower); `before` equal to `prints`: nothing is."""
    if before is not None and before == prints:
        return
    state = _state_graph(minter, graph)
    keep_state(store, state, fingerprint_quads(state, graph.value, prints))


@dataclass
class Changes:
    """What changed in some graphs since their remembered state, and that state's update."""

    subjects: set[str] = field(default_factory=set)
    targets: set[str] = field(default_factory=set)
    """Nodes only whose incoming links changed."""
    vanished: bool = False
    """Something vanished from a graph without record hashes (a registry entry removed:
    what pointed at it can no longer be found, so the caller re-checks everything)."""
    prints: dict[NamedNode, tuple[dict[str, str], dict[str, str]]] = field(default_factory=dict)
    """Graph → (its remembered state, its state now)."""

    def remember(self, store: Store, settings: Settings) -> None:
        """Keep the new state: only once the report that checked it is stored, so a run cut
        short leaves these changes to be found again by the next one."""
        minter = Minter(settings.base)
        for graph, (before, now) in self.prints.items():
            remember(store, minter, graph, now, before)


def changed_subjects(store: Store, settings: Settings, graphs: Iterable[NamedNode]) -> Changes:
    """Nodes added, removed or modified in `graphs` since the last remembered state."""
    minter = Minter(settings.base)
    changes = Changes()
    key = hash_key(store, minter)
    for graph, lines in _graphs_with_lines(store, list(graphs)):
        records = bool(list(store.query(RECORD_QUERY + " LIMIT 1", default_graph=[graph])))
        now = fingerprints(store, graph, key, lines)
        before = stored_fingerprints(store, minter, graph)
        moved = {k for k in now.keys() | before.keys() if now.get(k) != before.get(k)}
        changes.subjects |= {k for k in moved if not k.startswith(INCOMING)}
        changes.targets |= {k[len(INCOMING):] for k in moved if k.startswith(INCOMING)}
        if not records and {k for k in before.keys() - now.keys()
                            if not k.startswith(INCOMING)}:
            changes.vanished = True
        if cut_short(store, _state_graph(minter, graph)):
            changes.vanished = True  # what it lacks may have gone since: nothing tells
        changes.prints[graph] = (before, now)
    return changes


def remember_all(store: Store, settings: Settings) -> None:
    minter = Minter(settings.base)
    inference = minter.graph(INFERENCE_GRAPH)
    key = hash_key(store, minter)
    shown = [graph for graph in data_graphs(store, settings) if graph != inference]
    for graph, lines in _graphs_with_lines(store, shown):
        state = _state_graph(minter, graph)  # the fingerprints' dict gone, its quads kept
        keep_state(store, state, fingerprint_quads(state, graph.value,
                                                   fingerprints(store, graph, key, lines)))


RG_NS = "https://w3id.org/regiongraph/ns#"



def affected(store: Store, settings: Settings, changed: set[str],
             targets: set[str] = frozenset()) -> set[str]:
    """`changed` and the nodes whose rules read them (see the module docstring).

    Typed steps, not a blind walk: a changed dataset re-checks the projects that use it and
    the approvals that cover it, but not every other dataset those approvals cover (only a
    changed approval, or a change to its approver's roles, re-checks those).
    `targets`, nodes only whose incoming links changed, are re-checked with what reads
    those links (the approvals a person gave, the projects using a dataset), but what
    reads their own content (the datasets claiming a standard) is not.
    """
    if not changed and not targets:
        return set()
    rg, org = RG_NS, "http://www.w3.org/ns/org#"
    dcat, dct = "http://www.w3.org/ns/dcat#", "http://purl.org/dc/terms/"
    # people whose roles changed, and the approvals and strategies they gave
    people = changed | targets | linked(store, changed, f"?n <{org}member> ?x .")
    given = changed | linked(store, people, f"?x <{rg}approvedBy> ?n .")
    # datasets to re-check: changed ones, those of changed distributions, those covered by
    # changed approvals or agreements (or approvals whose approver changed), and those
    # claiming a changed standard
    datasets = changed | targets
    datasets |= linked(store, changed, f"?x <{dcat}distribution> ?n .")
    datasets |= linked(store, given, f"?n <{rg}coversDataset> ?x .")
    datasets |= linked(store, given, f"?n <{rg}coversCategory> ?c . "
                                      f"?x <{rg}personalDataCategory>|<{dcat}theme> ?c .")
    # one query per way of naming a standard: as a UNION (its branches cannot see the
    # VALUES) it took 73 s at 10k datasets instead of milliseconds
    datasets |= linked(store, changed, f"?x <{dct}conformsTo> ?n .")
    datasets |= linked(store, changed, f"?n <http://xmlns.com/foaf/0.1/homepage>|<{rg}knownAs> "
                                        f"?h . ?x <{dct}conformsTo> ?h .")
    found = people | given | datasets
    # distributions of changed datasets; approvals and agreements covering changed datasets
    found |= linked(store, changed, f"?n <{dcat}distribution> ?x .")
    found |= linked(store, changed, f"?x <{rg}coversDataset> ?n .")
    # projects: using any dataset above, or whose strategy, engagement or approval changed
    found |= linked(store, datasets, f"?x <{rg}usesDataset> ?n .")
    found |= linked(store, given, f"?x <{rg}dataStrategy> ?n .")
    found |= linked(store, given, f"?n <{rg}scopeProject> ?x .")
    found |= linked(store, changed, f"?x <{rg}engagement> ?n .")
    return found


def shapes_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in shape_files():
        digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass
class Revalidation:
    """What a re-validation did; the complete report it stored is `latest_report`'s."""

    report: str
    """IRI of the stored report."""
    checked: Report
    """The results of the nodes re-checked (all of them after a full run)."""
    focus_checked: int | None
    """How many focus nodes were re-checked (None: a full run)."""
    seconds: float


def revalidate(store: Store, settings: Settings, changed_graphs: Iterable[NamedNode], *,
               today: dt.date | None = None, full: bool = False,
               inferred: Iterable[str] = (), keep_results: bool = True) -> Revalidation:
    """Validate what `changed_graphs` touched and store the merged report; `full`: validate
    everything (`POST /admin/revalidate`, `regiongraph validate`), whatever changed.
    `inferred`: nodes whose inferences changed (a type inferred anew makes a focus node).
    `keep_results`: False leaves the returned report without its results (the stored one
    has them)."""
    started, step = time.perf_counter(), time.monotonic()
    day = today or dt.datetime.now(dt.UTC).date()
    changes = None if full else _changes(store, settings, changed_graphs, day)
    if changes is not None:
        changes.subjects |= set(inferred)
    focus = None if full else _focus(store, settings, changes)
    report = validate(store, settings, focus=focus, today=day)
    report.shapes = shapes_fingerprint()
    trim_after(step)  # the queries' freed memory, before the report's writes add theirs
    iri = store_report(store, settings, report, focus)
    done = Revalidation(report=iri, checked=report, focus_checked=report.focus_checked,
                        seconds=0.0)
    if not keep_results:
        report.results = []  # stored: a view has no use for them, and they are not held
    del report               # beside the fingerprints read next (40k results: ~75 MB)
    trim_after(step)
    if focus is None:
        remember_all(store, settings)
    else:
        changes.remember(store, settings)
    done.seconds = time.perf_counter() - started
    return done


def _changes(store: Store, settings: Settings, changed_graphs: Iterable[NamedNode],
             day: dt.date) -> Changes | None:
    """What changed, or None when the current report cannot be revised (see the module
    docstring: none yet, made for another day or other shapes, the ontology changed)."""
    minter = Minter(settings.base)
    previous = latest_header(store, settings)
    data = {g.value for g in data_graphs(store, settings)}
    inference = minter.graph(INFERENCE_GRAPH)
    graphs = [g for g in changed_graphs if g.value in data and g != inference]
    if (previous is None or previous.day != day or previous.shapes != shapes_fingerprint()
            or minter.graph(ONTOLOGY_GRAPH) in graphs):
        return None
    return changed_subjects(store, settings, graphs)


def _focus(store: Store, settings: Settings, changes: Changes | None) -> set[str] | None:
    """The nodes to re-check, or None for a full run."""
    if changes is None or changes.vanished:
        return None
    focus = affected(store, settings, changes.subjects, changes.targets - changes.subjects)
    if len(focus) > FULL_RUN_ABOVE and len(focus) > _datasets(store) // FULL_RUN_SHARE:
        return None
    return focus


def _datasets(store: Store) -> int:
    rows = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> }",
                       union_default_graph=True)
    return int(next(iter(rows))["n"].value)
