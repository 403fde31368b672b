"""Re-validate after a change: only what changed, and what depends on it.

1. **What changed** in each replaced graph is found by comparing fingerprints with the
   ones kept from the previous run (graph `rules-state/<key>`): for harvested graphs the
   harvest's own record hashes (one per catalog record, so a 1% change reads 1% of the
   records' hashes, not the data); for other graphs (registry, manual edits) a hash of
   each subject's triples, blank nodes it points to included. Added, removed and modified
   subjects all count.
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
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from pyoxigraph import BlankNode, Literal, NamedNode, Quad

from regiongraph.iri import INFERENCE_GRAPH, ONTOLOGY_GRAPH, Minter
from regiongraph.namespaces import RG
from regiongraph.rules.reports import latest_header, store_report
from regiongraph.rules.shapes import shape_files
from regiongraph.rules.validate import Report, data_graphs, validate
from regiongraph.settings import Settings
from regiongraph.store import Store

STATE_GRAPH = "rules-state"
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


def fingerprints(store: Store, graph: NamedNode) -> dict[str, str]:
    """subject IRI → hash of what this graph says about it."""
    records = {row["topic"].value: row["hash"].value
               for row in store.query(RECORD_QUERY, default_graph=[graph])
               if isinstance(row["topic"], NamedNode)}
    if records:
        return records
    lines: dict[str, list[str]] = defaultdict(list)
    blanks: dict[str, list[str]] = defaultdict(list)
    links: dict[str, set[str]] = defaultdict(set)
    for quad in store.quads(graph):
        line = f"{quad.predicate} {quad.object}"
        if isinstance(quad.subject, BlankNode):
            blanks[quad.subject.value].append(line)
        elif isinstance(quad.subject, NamedNode):
            lines[quad.subject.value].append(line)
            if isinstance(quad.object, BlankNode):
                links[quad.subject.value].add(quad.object.value)
    found = {}
    for subject, own in lines.items():
        parts = sorted(own) + sorted(x for b in sorted(links[subject]) for x in blanks[b])
        found[subject] = hashlib.sha1("\n".join(parts).encode()).hexdigest()
    return found


def stored_fingerprints(store: Store, minter: Minter, graph: NamedNode) -> dict[str, str]:
    state = _state_graph(minter, graph)
    return {q.subject.value: q.object.value for q in store.quads(state)}


def remember(store: Store, minter: Minter, graph: NamedNode, prints: dict[str, str]) -> None:
    state = _state_graph(minter, graph)
    store.replace_graph(state, (Quad(NamedNode(s), RG.contentHash, Literal(h), state)
                                for s, h in sorted(prints.items())))


@dataclass
class Changes:
    """What changed in some graphs since their remembered state, and that state's update."""

    subjects: set[str] = field(default_factory=set)
    vanished: bool = False
    """Something vanished from a graph without record hashes (a registry entry removed:
    what pointed at it can no longer be found, so the caller re-checks everything)."""
    prints: dict[NamedNode, dict[str, str]] = field(default_factory=dict)

    def remember(self, store: Store, settings: Settings) -> None:
        """Keep the new state: only once the report that checked it is stored, so a run cut
        short leaves these changes to be found again by the next one."""
        minter = Minter(settings.base)
        for graph, prints in self.prints.items():
            remember(store, minter, graph, prints)


def changed_subjects(store: Store, settings: Settings, graphs: Iterable[NamedNode]) -> Changes:
    """Subjects added, removed or modified in `graphs` since the last remembered state."""
    minter = Minter(settings.base)
    changes = Changes()
    for graph in graphs:
        records = bool(list(store.query(RECORD_QUERY + " LIMIT 1", default_graph=[graph])))
        now = fingerprints(store, graph)
        before = stored_fingerprints(store, minter, graph)
        changes.subjects |= {s for s in now.keys() | before.keys() if now.get(s) != before.get(s)}
        if not records and before.keys() - now.keys():
            changes.vanished = True
        changes.prints[graph] = now
    return changes


def remember_all(store: Store, settings: Settings) -> None:
    minter = Minter(settings.base)
    inference = minter.graph(INFERENCE_GRAPH)
    for graph in data_graphs(store, settings):
        if graph != inference:
            remember(store, minter, graph, fingerprints(store, graph))


def _linked(store: Store, nodes: set[str], pattern: str) -> set[str]:
    """?x for each ?n in `nodes` matching `pattern` (a group using ?n and ?x)."""
    found: set[str] = set()
    items = sorted(nodes)
    for i in range(0, len(items), 1000):
        values = " ".join(f"<{n}>" for n in items[i:i + 1000])
        query = f"SELECT DISTINCT ?x WHERE {{ VALUES ?n {{ {values} }} {pattern} FILTER(isIRI(?x)) }}"
        found |= {row["x"].value for row in store.query(query, union_default_graph=True)}
    return found


RG_NS = "https://w3id.org/regiongraph/ns#"


def affected(store: Store, settings: Settings, changed: set[str]) -> set[str]:
    """`changed` and the nodes whose rules read them (see the module docstring).

    Typed steps, not a blind walk: a changed dataset re-checks the projects that use it and
    the approvals that cover it, but not every other dataset those approvals cover (only a
    changed approval, or a change to its approver's roles, re-checks those).
    """
    if not changed:
        return set()
    rg, org = RG_NS, "http://www.w3.org/ns/org#"
    dcat, dct = "http://www.w3.org/ns/dcat#", "http://purl.org/dc/terms/"
    # people whose roles changed, and the approvals and strategies they gave
    people = changed | _linked(store, changed, f"?n <{org}member> ?x .")
    given = changed | _linked(store, people, f"?x <{rg}approvedBy> ?n .")
    # datasets to re-check: changed ones, those of changed distributions, those covered by
    # changed approvals or agreements (or approvals whose approver changed), and those
    # claiming a changed standard
    datasets = set(changed)
    datasets |= _linked(store, changed, f"?x <{dcat}distribution> ?n .")
    datasets |= _linked(store, given, f"?n <{rg}coversDataset> ?x .")
    datasets |= _linked(store, given, f"?n <{rg}coversCategory> ?c . "
                                      f"?x <{rg}personalDataCategory>|<{dcat}theme> ?c .")
    # one query per way of naming a standard: as a UNION (its branches cannot see the
    # VALUES) it took 73 s at 10k datasets instead of milliseconds
    datasets |= _linked(store, changed, f"?x <{dct}conformsTo> ?n .")
    datasets |= _linked(store, changed, f"?n <http://xmlns.com/foaf/0.1/homepage>|<{rg}knownAs> "
                                        f"?h . ?x <{dct}conformsTo> ?h .")
    found = people | given | datasets
    # distributions of changed datasets; approvals and agreements covering changed datasets
    found |= _linked(store, changed, f"?n <{dcat}distribution> ?x .")
    found |= _linked(store, changed, f"?x <{rg}coversDataset> ?n .")
    # projects: using any dataset above, or whose strategy, engagement or approval changed
    found |= _linked(store, datasets, f"?x <{rg}usesDataset> ?n .")
    found |= _linked(store, given, f"?x <{rg}dataStrategy> ?n .")
    found |= _linked(store, given, f"?n <{rg}scopeProject> ?x .")
    found |= _linked(store, changed, f"?x <{rg}engagement> ?n .")
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
               today: dt.date | None = None, full: bool = False) -> Revalidation:
    """Validate what `changed_graphs` touched and store the merged report; `full`: validate
    everything (`POST /admin/revalidate`, `regiongraph validate`), whatever changed."""
    started = time.perf_counter()
    day = today or dt.datetime.now(dt.UTC).date()
    changes = None if full else _changes(store, settings, changed_graphs, day)
    focus = None if full else _focus(store, settings, changes)
    report = validate(store, settings, focus=focus, today=day)
    report.shapes = shapes_fingerprint()
    iri = store_report(store, settings, report, focus)
    if focus is None:
        remember_all(store, settings)
    else:
        changes.remember(store, settings)
    return Revalidation(report=iri, checked=report, focus_checked=report.focus_checked,
                        seconds=time.perf_counter() - started)


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
    focus = affected(store, settings, changes.subjects)
    if len(focus) > FULL_RUN_ABOVE and len(focus) > _datasets(store) // FULL_RUN_SHARE:
        return None
    return focus


def _datasets(store: Store) -> int:
    rows = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> }",
                       union_default_graph=True)
    return int(next(iter(rows))["n"].value)
