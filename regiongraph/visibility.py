"""THE rule for what anonymous users may see. Every public route calls this module.

DESIGN.md (security model): anonymous requests — SPARQL, the catalog, data.json, search,
pages, lineage — never return a triple about anything that is not public and approved for
publication. Each of those routes must ask the same question the same way, so the answer
lives here, once.

**Publishable dataset.** A `dcat:Dataset` is publishable on a day when all of:

1. its access level is public: some graph says `rg:accessLevel rgc:access/public`, no
   graph gives it any other access level (the most restrictive statement wins, so a
   steward's classification in the registry overrides a catalog that says "public"), and
   no graph gives it a personal-data category (`rg:personalDataCategory` or
   `dpv:hasPersonalData`);
2. an approval in force covers it: in the *registry* graph, an `rg:Approval` with status
   approved (and no other status), action publish, scope public, valid that day
   (`rg:validFrom` ≤ day ≤ `rg:validUntil`, the end being optional), covering it by
   `rg:coversDataset` (or by `rg:coversCategory` naming one of its `dcat:theme`s);
3. given by an executive of the data's owner: the approver (`rg:approvedBy`) holds, in the
   registry, an `rg:RoleAssignment` in the dataset's `dct:publisher` whose role is an
   `rg:ExecutiveRole` in the ontology graph.

Approvals and roles are read only from the registry graph (and executive roles only from
the ontology graph): a harvested catalog is written by a member's portal, and must not be
able to approve its own publication.

**Public view** (`public_quads`): the quads an anonymous user may see. Public nodes are the
publishable datasets and their distributions, the catalogs, and — trusted only when the
registry declares them — the region, communities, partners, memberships, standards,
projects, data strategies, capabilities offered and needed, and the approvals that allow
the publication of a publishable dataset, and the service areas and geometries
(`geo:hasGeometry`) of those public nodes; plus the ontology graph (classes, properties,
concept schemes). A quad is public when its subject is a public node and its object is a
literal, a public node, a blank node (followed, with the same rule), or an IRI from outside
the alliance's base that is not a personal-data category. Never public: a dataset that is
not publishable, any other approval, agreements, people and their roles and engagements,
jobs, personal-data categories, and anything else minted under the base but not listed
above (reports, harvest logs, meta data). So a project is shown, but its link to a
restricted dataset is not; a publishable dataset is shown, but not the lineage edge to a
confidential source.
"""

import datetime as dt
import logging
import threading
import weakref
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from pyoxigraph import BlankNode, Literal, NamedNode, Quad, Triple

from regiongraph import journal
from regiongraph.change import VersionedCache
from regiongraph.geo.geometry import geometry_node
from regiongraph.iri import (
    INFERENCE_GRAPH,
    ONTOLOGY_GRAPH,
    REGISTRY_GRAPH,
    Minter,
    is_bookkeeping,
)
from regiongraph.namespaces import RDF, RG, RGC, XSD, sparql_prefixes
from regiongraph.settings import Settings
from regiongraph.store import Store

log = logging.getLogger(__name__)

PD = "https://w3id.org/dpv/pd#"
PUBLIC_SET_GRAPH = "public-set"
JUDGE_CHUNK = 1_000
KEEP_CHUNK = 1_000
"""Datasets whose verdicts one update of the kept set rewrites (`_keep`)."""
PERSONAL_DATA_SCHEME = RGC + "personal-data"

# Classes the registry declares whose instances are public (subclasses are asserted too
# by the registry reader, so the base classes suffice).
PUBLIC_REGISTRY_CLASSES = (
    "rg:Region", "rg:Community", "rg:Partner", "rg:AllianceMembership", "dct:Standard",
    "rg:Project", "rg:DataStrategy", "rg:CapabilityOffer", "rg:CapabilityNeed",
)
# Classes whose instances are never public, from whatever graph (publishing approvals are
# let through explicitly).
PRIVATE_CLASSES = (
    "rg:Approval", "rg:GovernanceRecord", "rg:DataSharingAgreement", "odrl:Agreement",
    "odrl:Policy", "odrl:Permission", "foaf:Person", "prov:Person", "rg:RoleAssignment",
    "rg:Engagement", "rg:Job",
)


def _today(today: dt.date | None) -> dt.date:
    return today or dt.datetime.now(dt.UTC).date()


def _date(day: dt.date) -> str:
    return f'"{day.isoformat()}"^^xsd:date'


def _in_force_filters(day: dt.date | None, subject: str = "?approval") -> str:
    """The date conditions of condition 2 on `subject` (whose `rg:validFrom` is bound to
    ?from); none when the caller judges the day itself. Agreements are in force by the
    same conditions (`regiongraph.membership`).

    Stored dates are compared through `xsd:date(...)`, which changes no answer: Virtuoso
    7.2.5 may turn a bare `?from <= "..."^^xsd:date` into an index range scan that finds
    nothing (it depends on the plan: 1 fresh server in 4 published no dataset)."""
    if day is None:
        return ""
    return f"""
    FILTER(xsd:date(?from) <= {_date(day)})
    OPTIONAL {{ {subject} rg:validUntil ?until }}
    FILTER(!BOUND(?until) || xsd:date(?until) >= {_date(day)})
    FILTER NOT EXISTS {{
      {subject} rg:validUntil ?end FILTER(xsd:date(?end) < {_date(day)})
    }}"""


def executive_pattern(registry: str, ontology: str) -> str:
    """Condition 3 as a graph pattern: ?approver holds, in the registry, a role assignment
    in ?owner whose role is an executive role in the ontology graph."""
    return f"""GRAPH <{registry}> {{
    ?assignment a rg:RoleAssignment ;
                org:member ?approver ;
                org:organization ?owner ;
                org:role ?role .
  }}
  GRAPH <{ontology}> {{ ?role a rg:ExecutiveRole }}"""


def _publishing_query(minter: Minter, day: dt.date | None,
                      datasets: Sequence[str] | None = None) -> str:
    """The rule as one SPARQL text: over every dataset, or (`datasets`) over those only."""
    registry = minter.graph(REGISTRY_GRAPH).value
    ontology = minter.graph(ONTOLOGY_GRAPH).value
    only = "" if datasets is None else "VALUES ?dataset { " + " ".join(
        f"<{d}>" for d in datasets) + " }\n  "
    # The approvals in force and their owners' executives are subqueries: each is
    # evaluated once and joined, where inline the engine re-evaluated them per candidate
    # (at 10k datasets 61 s for the whole region, 5 s for 1,000; ~0.4 s and 0.1 s so).
    return sparql_prefixes() + f"""
SELECT DISTINCT ?dataset ?approval WHERE {{
  {only}?dataset a dcat:Dataset ;
           rg:accessLevel <{RGC}access/public> ;
           dct:publisher ?owner .
  FILTER NOT EXISTS {{ ?dataset rg:accessLevel ?level FILTER(?level != <{RGC}access/public>) }}
  FILTER NOT EXISTS {{ ?dataset rg:personalDataCategory|dpv:hasPersonalData ?category }}
  {{ GRAPH <{registry}> {{ ?approval rg:coversDataset ?dataset }} }}
  UNION
  {{ GRAPH <{registry}> {{ ?approval rg:coversCategory ?theme }} ?dataset dcat:theme ?theme }}
  {{ SELECT ?approval ?owner WHERE {{
    GRAPH <{registry}> {{
      ?approval a rg:Approval ;
                rg:status <{RGC}status/approved> ;
                rg:action <{RGC}action/publish> ;
                rg:scope <{RGC}scope/public> ;
                rg:validFrom ?from ;
                rg:approvedBy ?approver .
      FILTER NOT EXISTS {{ ?approval rg:status ?other FILTER(?other != <{RGC}status/approved>) }}{_in_force_filters(day)}
    }}
    {{ SELECT DISTINCT ?approver ?owner WHERE {{ {executive_pattern(registry, ontology)} }} }}
  }} }}
}}"""


def publishing_approvals(store: Store, settings: Settings,
                         today: dt.date | None = None) -> dict[str, set[str]]:
    """Publishable dataset IRI → the approvals in force that allow its publication.

    For today the answer is the kept public set (`kept_approvals`), caught up first if
    the store or the day moved; for another day, or if the set cannot be kept, the rule
    is judged over every dataset.
    """
    if today is None or today == _today(None):
        kept = kept_approvals(store, settings)
        if kept is not None:
            return kept
    return judge(store, settings, _today(today))


def judge(store: Store, settings: Settings, day: dt.date,
          datasets: Iterable[str] | None = None) -> dict[str, set[str]]:
    """The rule itself, on `day`: over every dataset, or over `datasets` only (the same
    query with a VALUES block, in chunks)."""
    minter = Minter(settings.base)
    if datasets is None:
        return _approvals_by_dataset(store, _publishing_query(minter, day))
    found: dict[str, set[str]] = {}
    for chunk in _chunks(sorted(set(datasets))):
        found.update(_approvals_by_dataset(store, _publishing_query(minter, day, chunk)))
    return found


def _chunks(items: list[str], size: int = JUDGE_CHUNK) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def publication_candidates(store: Store, settings: Settings) -> dict[str, set[str]]:
    """Dataset IRI → the approvals that publish it on every day they are in force.

    Conditions 1 and 3 and all of 2 but the dates, for callers that judge several days or
    what-ifs over one reading: the governance analysis counts a flow of data published as
    open data as covered, and only by what this module calls publication.
    """
    return _approvals_by_dataset(store, _publishing_query(Minter(settings.base), None))


def _approvals_by_dataset(store: Store, query: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for row in store.query(query, union_default_graph=True):
        found.setdefault(row["dataset"].value, set()).add(row["approval"].value)
    return found


def publishable_datasets(store: Store, settings: Settings,
                         today: dt.date | None = None) -> set[str]:
    """IRIs of the datasets anonymous users may see on `today` (default: today, UTC)."""
    return set(publishing_approvals(store, settings, today))


def is_publishable(store: Store, settings: Settings, dataset: str,
                   today: dt.date | None = None) -> bool:
    return dataset in publishable_datasets(store, settings, today)


# ---------------------------------------------------------------------------------------
# the kept public set: the rule's answer, kept in the store and following the journal
# ---------------------------------------------------------------------------------------

_KEPT_LOCK = threading.RLock()


def public_set_graph(settings: Settings) -> NamedNode:
    """Where the kept set lives: `<dataset> rg:publishedBy <approval>` for each publishable
    dataset, `<dataset> rg:describedIn <graph>` for every dataset (so a change to a graph
    re-judges the datasets that left it), and on the graph itself the day it was judged
    for and the store version it follows."""
    return Minter(settings.base).graph(PUBLIC_SET_GRAPH)


def _state(store: Store, settings: Settings) -> tuple[int, dt.date | None]:
    """(the store version the kept set follows, the day it was judged for)."""
    graph = public_set_graph(settings).value
    rows = store.query(f"""SELECT ?p ?v WHERE {{ GRAPH <{graph}> {{ <{graph}> ?p ?v }}
        VALUES ?p {{ <{RG.seenVersion.value}> <{RG.judgedOn.value}> }} }}""")
    seen, day = 0, None
    for row in rows:
        if row["p"] == RG.seenVersion:
            seen = max(seen, int(row["v"].value))
        else:
            day = dt.date.fromisoformat(row["v"].value)
    return seen, day


def seen_version(store: Store, settings: Settings) -> int:
    """The `publishable` view's seen version (`regiongraph.change.VIEWS`)."""
    return _state(store, settings)[0]


def mark_version(store: Store, settings: Settings, version: int) -> None:
    graph = public_set_graph(settings).value
    store.update(f"""
DELETE WHERE {{ GRAPH <{graph}> {{ <{graph}> <{RG.seenVersion.value}> ?v }} }} ;
INSERT DATA {{ GRAPH <{graph}> {{ <{graph}> <{RG.seenVersion.value}> {int(version)} }} }}""")


def kept_approvals(store: Store, settings: Settings,
                   among: Iterable[str] | None = None) -> dict[str, set[str]] | None:
    """Today's publishable datasets (of `among`, or all) and their approvals, from the kept
    set; None when it cannot say (no set kept yet, or changes since that may have moved
    any dataset): judge in full then.

    A set behind the store's version or today is caught up here only when that can be done
    at once: not in a read-only snapshot (the query helper's, a CLI beside a server), not
    while another thread of this process writes a change (its own request brings the view
    up: `change.changing_elsewhere`), and not when the view's lock stays taken past
    `READ_WAIT`. Otherwise the kept set is read with the datasets that the changes and days
    since can have moved judged again, in memory (`_overlaid`): the same answer, no write,
    no wait behind the writer."""
    from regiongraph.change import READ_WAIT, changing_elsewhere, refresh

    try:
        today = _today(None)
        seen, judged = _state(store, settings)
        if judged is None:
            return None
        if not getattr(store, "read_only", False) and not changing_elsewhere(store):
            if seen != journal.version(store, settings):
                refresh(store, settings, views=["publishable"], wait=READ_WAIT)
                seen, judged = _state(store, settings)
            if seen == journal.version(store, settings) and judged != today \
                    and _KEPT_LOCK.acquire(timeout=READ_WAIT):
                try:
                    follow_calendar(store, settings, today)
                finally:
                    _KEPT_LOCK.release()
                seen, judged = _state(store, settings)
        if (seen, judged) == (journal.version(store, settings), today):
            return read_kept(store, settings, among)
        return _overlaid(store, settings, among)
    except Exception as error:  # noqa: BLE001 - the full judgement still answers
        log.warning("the kept public set could not be read (%s); judging in full", error)
        return None


def _overlaid(store: Store, settings: Settings, among: Iterable[str] | None
              ) -> dict[str, set[str]]:
    """Today's answer while the kept set lags: built once per store version and day and
    shared by the readers that ask meanwhile (`_JUDGED_NOW`), so that 32 readers beside a
    harvest judge its datasets once, not each."""
    now = _JUDGED_NOW.get(store, settings)
    if among is None:
        return dict(now)
    return {dataset: now[dataset] for dataset in set(among) if dataset in now}


def _judged_now(store: Store, settings: Settings) -> dict[str, set[str]]:
    """The kept set brought to now in memory: the datasets the changes and days since it
    was kept can have moved (those `follow` would rewrite) judged again, the rest read; the
    whole region judged when that may be any dataset."""
    today = _today(None)
    seen, judged = _state(store, settings)
    entries = journal.since(store, settings, seen)
    graphs = {g for change in entries for g in change.graphs}
    moved = None if judged is None else moved_since(store, settings, entries, graphs,
                                                    judged, today)
    if moved is None:
        return judge(store, settings, today)
    kept = read_kept(store, settings)
    for dataset in moved:
        kept.pop(dataset, None)
    if moved:
        kept.update(judge(store, settings, today, moved))
    return kept


_JUDGED_NOW = VersionedCache(_judged_now)


def read_kept(store: Store, settings: Settings, among: Iterable[str] | None = None
              ) -> dict[str, set[str]]:
    """The kept set as it is in the store (dataset → approvals), of `among` or all."""
    found: dict[str, set[str]] = {}
    pattern = f"GRAPH <{public_set_graph(settings).value}> {{ ?d <{RG.publishedBy.value}> ?a }}"
    queries = [f"SELECT ?d ?a WHERE {{ {pattern} }}"] if among is None else [
        f"SELECT ?d ?a WHERE {{ VALUES ?d {{ {' '.join(f'<{d}>' for d in chunk)} }} {pattern} }}"
        for chunk in _chunks(sorted(set(among)))]
    for query in queries:
        for row in store.query(query):
            found.setdefault(row["d"].value, set()).add(row["a"].value)
    return found


def publishable_among(store: Store, settings: Settings, datasets: Iterable[str]) -> set[str]:
    """Which of `datasets` anonymous users may see today: the kept set read for those
    alone (a change's search update asks about its ~1% of datasets, not the region), or
    the rule judged for them when the set cannot be kept."""
    datasets = set(datasets)
    kept = kept_approvals(store, settings, datasets)
    if kept is None:
        kept = judge(store, settings, _today(None), datasets)
    return set(kept)


def follow(store: Store, settings: Settings, changed: list[NamedNode]) -> None:
    """The `publishable` view's follow step: re-judge what the changes since the kept
    version (and the days since the kept day) can have moved, and only that."""
    with _KEPT_LOCK:
        today = _today(None)
        seen, judged = _state(store, settings)
        if judged is None:
            _keep(store, settings, today, None)
            return
        entries = journal.since(store, settings, seen)
        graphs = {str(getattr(g, "value", g)) for g in changed}
        _keep(store, settings, today, moved_since(store, settings, entries, graphs,
                                                  judged, today))


def moved_since(store: Store, settings: Settings, entries: Sequence[journal.Change],
                graphs: set[str], judged: dt.date, today: dt.date) -> set[str] | None:
    """The datasets whose verdict the changes `entries` (to `graphs`) and the days from
    `judged` to `today` can have moved; None = any dataset. The one choice of what to
    re-judge: the view rewrites these (`follow`), a reader judges these in memory while the
    view lags (`_judged_now`)."""
    datasets: set[str] | None = set()
    if entries or graphs:
        datasets = named_datasets(store, settings, graphs, entries)
        if datasets is None:
            subjects = {s for c in entries for s in c.subjects}
            datasets = datasets_to_rejudge(store, settings, graphs, subjects)
    if datasets is not None and judged != today:
        datasets |= calendar_datasets(store, settings, judged, today)
    return datasets


def follow_calendar(store: Store, settings: Settings, day: dt.date) -> int:
    """The daily tick: bring the kept set to `day`, re-judging only the datasets whose
    approvals start or end between the kept day and `day`; how many were re-judged."""
    with _KEPT_LOCK:
        judged = _state(store, settings)[1]
        if judged == day:
            return 0
        datasets = None if judged is None else calendar_datasets(store, settings, judged, day)
        return _keep(store, settings, day, datasets)


def named_datasets(store: Store, settings: Settings, graphs: Iterable[str],
                   entries: Sequence[journal.Change]) -> set[str] | None:
    """The datasets to re-judge when every change since the kept version names the
    subjects it changed (a record-by-record harvest, a workflow step): those subjects and
    the datasets linked to or from them in the changed graphs, not every dataset of those
    graphs; for a registry change also the datasets the named approvals cover
    (`_covered_by`). None when a change names none, touched the ontology or the default
    graph, or named a role assignment (`datasets_to_rejudge` decides then).

    A judgement reads only the dataset's own triples (and the registry), so a dataset
    whose triples no change touched keeps its verdict; the linked ones are re-judged too
    because the rules view may infer something about them from a changed link."""
    minter = Minter(settings.base)
    graphs = set(graphs)
    registry = minter.graph(REGISTRY_GRAPH).value
    if not entries or any(not entry.subjects for entry in entries) or graphs & {
            minter.graph(ONTOLOGY_GRAPH).value, journal.DEFAULT_GRAPH}:
        return None
    subjects = sorted({s for entry in entries for s in entry.subjects})
    found = set(subjects)
    if registry in graphs:
        covered = _covered_by(store, settings, subjects, graphs)
        if covered is None:
            return None
        found |= covered
    for chunk in _chunks(subjects):
        values = " ".join(f"<{s}>" for s in chunk)
        for graph in sorted(graphs):  # one graph a query: `VALUES ?g` made it 15× slower
            found |= _values(store, sparql_prefixes() + f"""
                SELECT DISTINCT ?d WHERE {{ VALUES ?s {{ {values} }}
                  GRAPH <{graph}> {{ {{ ?s ?p ?d }} UNION {{ ?d ?p ?s }} }} ?d a dcat:Dataset }}""")
    return found


ASSIGNMENT_PREDICATES = ("org:member", "org:organization", "org:role")


def _covered_by(store: Store, settings: Settings, subjects: list[str], graphs: set[str]
                ) -> set[str] | None:
    """The datasets a registry change naming `subjects` can have moved: those the named
    approvals cover now or published when last judged. In the registry the rule reads only
    approvals, role assignments and datasets' own facts, so another node named (a request,
    a decision, a project) moves nothing. None (judge every dataset) when a named node is,
    or may have been, a role assignment: one that is one now, or one with no triple left
    in the registry or in a bookkeeping graph the change wrote (a deleted node of any
    kind)."""
    registry = Minter(settings.base).graph(REGISTRY_GRAPH).value
    kept = public_set_graph(settings).value
    bookkeeping = [g for g in sorted(graphs) if is_bookkeeping(settings.base, g)]
    prefixes = sparql_prefixes()
    roles = " ".join(ASSIGNMENT_PREDICATES)
    found: set[str] = set()
    for chunk in _chunks(subjects):
        values = " ".join(f"<{s}>" for s in chunk)
        present = _values(store, prefixes + f"""SELECT DISTINCT ?s WHERE {{ VALUES ?s {{ {values} }}
            GRAPH <{registry}> {{ ?s ?p ?o }} }}""")
        for graph in bookkeeping:
            present |= _values(store, f"""SELECT DISTINCT ?s WHERE {{ VALUES ?s {{ {values} }}
                GRAPH <{graph}> {{ ?s ?p ?o }} }}""")
        if set(chunk) - present or _values(store, prefixes + f"""SELECT DISTINCT ?s WHERE {{
                VALUES ?s {{ {values} }} GRAPH <{registry}> {{
                  {{ ?s a rg:RoleAssignment }} UNION {{ VALUES ?p {{ {roles} }} ?s ?p ?o }} }} }}"""):
            return None
        found |= _values(store, prefixes + f"""SELECT DISTINCT ?d WHERE {{ VALUES ?a {{ {values} }}
            {{ GRAPH <{registry}> {{ ?a rg:coversDataset ?d }} }}
            UNION {{ GRAPH <{registry}> {{ ?a rg:coversCategory ?theme }} ?d dcat:theme ?theme }}
            UNION {{ GRAPH <{kept}> {{ ?d rg:publishedBy ?a }} }} }}""")
    return found


def datasets_to_rejudge(store: Store, settings: Settings, graphs: Iterable[str],
                        subjects: Iterable[str] = ()) -> set[str] | None:
    """The datasets a change to `graphs` (and `subjects`) can have moved; None = all.

    A change to the registry or the ontology (approvals, role assignments,
    classifications, executive roles) can move any dataset, and the default graph is not
    tracked: then every dataset. Otherwise the datasets the changed graphs mention now,
    those they mentioned when last judged (`rg:describedIn`), and the changed subjects.
    """
    minter = Minter(settings.base)
    graphs = set(graphs)
    if graphs & {minter.graph(REGISTRY_GRAPH).value, minter.graph(ONTOLOGY_GRAPH).value,
                 journal.DEFAULT_GRAPH}:
        return None
    graphs -= {public_set_graph(settings).value, journal.journal_graph(settings).value}
    found = set(subjects)
    for chunk in _chunks(sorted(graphs)):
        values = " ".join(f"<{g}>" for g in chunk)
        found |= _values(store, sparql_prefixes() + f"""
            SELECT DISTINCT ?d WHERE {{ VALUES ?g {{ {values} }}
              GRAPH ?g {{ {{ ?d ?p ?o }} UNION {{ ?s ?p ?d }} }} ?d a dcat:Dataset }}""")
        found |= _values(store, f"""
            SELECT DISTINCT ?d WHERE {{ VALUES ?g {{ {values} }}
              GRAPH <{public_set_graph(settings).value}> {{ ?d <{RG.describedIn.value}> ?g }} }}""")
    return found


def calendar_datasets(store: Store, settings: Settings, one: dt.date, other: dt.date
                      ) -> set[str]:
    """Datasets covered by an approval that comes into force or lapses between two days.

    In force on day d: start ≤ d ≤ end. From `lo` to `hi` that changes exactly when a
    start falls in (lo, hi] or an end in [lo, hi). Dates are cast as in `_in_force_filters`.
    """
    lo, hi = sorted((one, other))
    registry = Minter(settings.base).graph(REGISTRY_GRAPH).value
    return _values(store, sparql_prefixes() + f"""
SELECT DISTINCT ?dataset WHERE {{
  GRAPH <{registry}> {{
    {{ ?approval rg:validFrom ?day BIND(xsd:date(?day) AS ?on)
       FILTER(?on > {_date(lo)} && ?on <= {_date(hi)}) }}
    UNION
    {{ ?approval rg:validUntil ?day BIND(xsd:date(?day) AS ?on)
       FILTER(?on >= {_date(lo)} && ?on < {_date(hi)}) }}
  }}
  {{ GRAPH <{registry}> {{ ?approval rg:coversDataset ?dataset }} }}
  UNION
  {{ GRAPH <{registry}> {{ ?approval rg:coversCategory ?theme }} ?dataset dcat:theme ?theme }}
}}""")


def _keep(store: Store, settings: Settings, day: dt.date, datasets: set[str] | None) -> int:
    """Judge `datasets` (None: all) on `day` and write the verdicts to the kept set; how
    many datasets were judged.

    All datasets: one `replace_graph` (one transaction). Some: one update per KEEP_CHUNK
    datasets, not one for all (a transaction holds ~3 KB a triple: one over a 10k-row
    harvest's datasets grew the server by 150 MB). Why a reader never takes a half-written
    set for a current one, in this process or another (a read-only snapshot, the query
    helper, a second server on one remote store):

    - each update carries whole datasets: it deletes every triple of its datasets and
      inserts all that is derived from each (`rg:publishedBy` and `rg:describedIn`), so a
      dataset's entry is always one judgement, never half of two;
    - the marks go last: `rg:judgedOn` in the last update here, `rg:seenVersion` by
      `mark_version` after this returns (`change._follow`). The change's journal entry is
      written before its views follow, so between two chunks the set's seen version is
      behind the store's (and a calendar tick's day behind today); `kept_approvals`, the
      one way readers reach the set, trusts it only when both are current, and otherwise
      brings it up to date (waiting for the writer in this process) or judges in full (a
      read-only store cannot write);
    - a kill between chunks leaves both marks old: the next follow reads the journal
      since the old version and re-judges the same datasets (and the calendar's since the
      old day), overwriting the chunks already written. Where it finds datasets from the
      set itself (`rg:describedIn`, `rg:publishedBy`), it reads each dataset's own entry:
      one already rewritten is right as it is, one not yet is found as the first time.

    A reader that checked the marks just before a change began may read its set while the
    chunks land, and so mix datasets judged at the old version and the new: each entry is
    still one whole judgement, and the old ones are what it would have read a moment
    earlier (the set always lags the data by its follow)."""
    graph = public_set_graph(settings)
    verdicts = judge(store, settings, day, datasets)
    facts = [Triple(NamedNode(d), RG.publishedBy, NamedNode(a))
             for d, approvals in verdicts.items() for a in approvals]
    mentions = _mentions(store, settings, datasets)
    facts += [Triple(NamedNode(d), RG.describedIn, NamedNode(g)) for d, g in mentions]
    judged_on = Literal(day.isoformat(), datatype=XSD.date)
    if datasets is None:
        seen = _state(store, settings)[0]
        head = [Triple(graph, RDF.type, RG.DerivedView),
                Triple(graph, RG.judgedOn, judged_on),
                Triple(graph, RG.seenVersion, Literal(str(seen), datatype=XSD.integer))]
        store.replace_graph(graph, head + facts)
        return len({d for d, _ in mentions})
    g = graph.value
    # The day goes last: written first, a kill would skip the calendar's datasets next time.
    by_dataset: dict[str, list[Triple]] = {}
    for fact in facts:
        by_dataset.setdefault(fact.subject.value, []).append(fact)
    for chunk in _chunks(sorted(datasets), KEEP_CHUNK):
        kept = [f"{t} ." for d in chunk for t in by_dataset.pop(d, ())]
        store.update(f"""DELETE {{ GRAPH <{g}> {{ ?d ?p ?o }} }} WHERE {{
            VALUES ?d {{ {" ".join(f"<{d}>" for d in chunk)} }} GRAPH <{g}> {{ ?d ?p ?o }} }}"""
                     + (f" ;\nINSERT DATA {{ GRAPH <{g}> {{ {' '.join(kept)} }} }}" if kept
                        else ""))
    others = " ".join(f"{t} ." for rest in by_dataset.values() for t in rest)
    store.update(f"""DELETE WHERE {{ GRAPH <{g}> {{ <{g}> <{RG.judgedOn.value}> ?day }} }} ;
        INSERT DATA {{ GRAPH <{g}> {{ <{g}> <{RG.judgedOn.value}> {judged_on} . {others} }} }}""")
    return len(datasets)


def _mentions(store: Store, settings: Settings, datasets: set[str] | None
              ) -> set[tuple[str, str]]:
    """(dataset, graph) for every graph that mentions a dataset (of `datasets`, or all)."""
    hidden = public_set_graph(settings).value
    pattern = f"""?d a dcat:Dataset .
        GRAPH ?g {{ {{ ?d ?p ?o }} UNION {{ ?s ?p ?d }} }} FILTER(?g != <{hidden}>)"""
    queries = [pattern] if datasets is None else [
        "VALUES ?d { " + " ".join(f"<{d}>" for d in chunk) + " } " + pattern
        for chunk in _chunks(sorted(datasets))]
    found: set[tuple[str, str]] = set()
    for where in queries:
        rows = store.query(sparql_prefixes() + f"SELECT DISTINCT ?d ?g WHERE {{ {where} }}",
                           union_default_graph=True)
        found |= {(row["d"].value, row["g"].value) for row in rows}
    return found


@dataclass
class PublicNodes:
    """Which IRIs are public, which are never, and the graphs treated specially."""

    public: set[str] = field(default_factory=set)
    private: set[str] = field(default_factory=set)
    datasets: set[str] = field(default_factory=set)
    base: str = ""
    ontology_graph: str = ""

    def object_allowed(self, term: object) -> bool:
        return self.allows(_term_of(term))

    def subject_public(self, term: object) -> bool:
        return isinstance(term, NamedNode) and self.iri_public(term.value)

    def iri_public(self, iri: str) -> bool:
        return iri in self.public and iri not in self.private

    def iri_allowed(self, iri: str) -> bool:
        if self.iri_personal(iri):
            return False
        if iri in self.public:
            return True
        return not iri.startswith(self.base)

    def iri_personal(self, iri: str) -> bool:
        return iri in self.private or iri.startswith(PD)

    def allows(self, term: "Term") -> bool:
        """The object rule on a term of either form (`_term_of`, `_token_of`)."""
        kind, value = term
        if kind is IRI:
            return self.iri_allowed(value)
        return kind is LITERAL or kind is BLANK


def _values(store: Store, query: str) -> set[str]:
    return {row[0].value for row in store.query(query, union_default_graph=True)
            if row[0] is not None}


def public_nodes(store: Store, settings: Settings, today: dt.date | None = None) -> PublicNodes:
    """The public and the never-public IRIs (see the module docstring).

    Today's answer is computed once per store version and shared by every reader (the
    anonymous SPARQL view, the catalog index, search, the member views): they ask it
    right after the same change, and each used to pay the whole-region reading again.
    Callers must not change the sets they get."""
    if today is None or today == _today(None):
        return _todays_nodes.get(store, settings)
    return _compute_public_nodes(store, settings, today)


def _compute_public_nodes(store: Store, settings: Settings, today: dt.date | None
                          ) -> PublicNodes:
    minter = Minter(settings.base)
    ontology = minter.graph(ONTOLOGY_GRAPH).value
    approvals_by_dataset = publishing_approvals(store, settings, today)
    datasets = set(approvals_by_dataset)
    publishing = set().union(*approvals_by_dataset.values()) if approvals_by_dataset else set()

    trusted, registry_subjects = _registry_nodes(store, settings)
    facts = store_facts(store, settings)
    distributions = {x for d, x in facts.distributions if d in datasets}
    # The geometry of any public feature (a community, a project, a publishable dataset)
    # is public, at the IRI minted for it under the feature (`geometry_node`): a
    # harvested catalog cannot make another node public by calling it a geometry.
    trusted |= {geometry_node(NamedNode(f)).value for f in trusted | datasets}

    private = ((facts.datasets - datasets) | (facts.typed_private - publishing)
               | (registry_subjects - trusted - datasets - publishing) | facts.personal)
    public = (datasets | publishing | trusted | distributions | facts.catalogs) - private
    return PublicNodes(public=public, private=private, datasets=datasets,
                       base=minter.base, ontology_graph=ontology)


# What `public_nodes` reads from the whole store besides the rule's verdicts, one query a
# fact; each is one triple pattern, so the store's answer is the union of every graph's.
FACT_PATTERNS = {
    "datasets": ("?s", "?s a dcat:Dataset"),
    "typed_private": ("?s", f"?s a ?class VALUES ?class {{ {' '.join(PRIVATE_CLASSES)} }}"),
    "personal": ("?c", f"""{{ ?x rg:personalDataCategory|dpv:hasPersonalData ?c }}
          UNION {{ ?c skos:inScheme <{PERSONAL_DATA_SCHEME}> }}
          UNION {{ ?c a dpv:PersonalData }}"""),
    "catalogs": ("?s", "?s a dcat:Catalog"),
    "distributions": ("?s ?x", "?s dcat:distribution ?x FILTER(isIRI(?x))"),
}
FactSets = dict[str, frozenset]


@dataclass
class StoreFacts:
    """The store's datasets, never-public typed nodes, personal-data categories, catalogs
    and (dataset, distribution) pairs, kept by graph ("" the default graph) at `version`,
    so a change re-reads its own graphs (`store_facts`) and not the region."""

    version: int
    graphs: frozenset[str]
    """The named graphs the store held when last read."""
    by_graph: dict[str, FactSets]
    datasets: set[str] = field(default_factory=set)
    typed_private: set[str] = field(default_factory=set)
    personal: set[str] = field(default_factory=set)
    catalogs: set[str] = field(default_factory=set)
    distributions: set[tuple[str, str]] = field(default_factory=set)

    def merge(self) -> "StoreFacts":
        for name in FACT_PATTERNS:
            setattr(self, name, set().union(*(f[name] for f in self.by_graph.values())))
        return self


_facts_kept: "weakref.WeakKeyDictionary[object, StoreFacts]" = weakref.WeakKeyDictionary()
_facts_lock = threading.Lock()


def store_facts(store: Store, settings: Settings) -> StoreFacts:
    """`StoreFacts` at the store version: read whole once per store, then by the graphs
    changed since (journalled ones, plus those the views write without an entry: the
    inference graph and the bookkeeping graphs, all re-read, ~30 ms at 10k datasets).
    A whole-store read took 0.3-0.6 s at 10k datasets, paid by the first anonymous
    request after every change."""
    with _facts_lock:
        version = journal.version(store, settings)
        kept = _facts_kept.get(store)
        if kept is not None and kept.version == version:
            return kept
        names = frozenset(store.graph_names())
        if kept is None or kept.version > version:
            by_graph = _read_facts(store, None)
        else:
            changed = {g for c in journal.since(store, settings, kept.version) for g in c.graphs}
            inference = Minter(settings.base).graph(INFERENCE_GRAPH).value
            graphs = ({"" if g == journal.DEFAULT_GRAPH else g for g in changed}
                      | {g for g in names if g == inference or is_bookkeeping(settings.base, g)}
                      | (names - kept.graphs))
            by_graph = {g: f for g, f in kept.by_graph.items()
                        if g not in graphs and (not g or g in names)}
            by_graph.update(_read_facts(store, graphs))
        kept = StoreFacts(version=version, graphs=names, by_graph=by_graph).merge()
        _facts_kept[store] = kept
        return kept


def _read_facts(store: Store, graphs: set[str] | None) -> dict[str, FactSets]:
    """Each fact of `graphs` (None: every graph), by graph; "" is the default graph, read
    on the embedded store only (elsewhere the union default graph is the named graphs)."""
    from regiongraph.store.embedded import EmbeddedStore

    prefixes = sparql_prefixes()
    named = None if graphs is None else sorted(g for g in graphs if g)
    found: dict[str, dict[str, set]] = {}
    for name, (variables, pattern) in FACT_PATTERNS.items():
        width = len(variables.split())
        for chunk in ([None] if named is None else _chunks(named)):
            values = "" if chunk is None else "VALUES ?g { " + " ".join(
                f"<{g}>" for g in chunk) + " } "
            for row in store.query(prefixes + f"SELECT DISTINCT ?g {variables} WHERE "
                                   f"{{ {values}GRAPH ?g {{ {pattern} }} }}",
                                   union_default_graph=True):
                _add_fact(found, row["g"].value, name, row, width)
        if (graphs is None or "" in graphs) and isinstance(store, EmbeddedStore):
            for row in store.query(prefixes + f"SELECT DISTINCT ?g {variables} WHERE "
                                   f"{{ {pattern} }}"):
                _add_fact(found, "", name, row, width)
    empty = {name: frozenset() for name in FACT_PATTERNS}
    return {g: {**empty, **{n: frozenset(v) for n, v in facts.items()}}
            for g, facts in found.items()}


def _add_fact(found: dict[str, dict[str, set]], graph: str, name: str, row, width: int
              ) -> None:
    values = tuple(row[1 + i].value for i in range(width))
    found.setdefault(graph, {}).setdefault(name, set()).add(
        values[0] if width == 1 else values)


def hand_over(old: Store, new: Store) -> None:
    """`new` holds `old`'s data at a later version (the query helper's read-only snapshot
    opened again, `regiongraph.sparql.workers`): what was read from `old` (the store's
    facts, the registry's nodes) follows `new` from the journal instead of being read
    whole again."""
    with _facts_lock:
        facts = _facts_kept.pop(old, None)
        if facts is not None:
            _facts_kept[new] = facts
    registry = _registry_kept.pop(old, None)
    if registry is not None:
        _registry_kept[new] = registry


_registry_kept: "weakref.WeakKeyDictionary[object, tuple[int, frozenset[str], frozenset[str]]]" = (
    weakref.WeakKeyDictionary())


def _registry_nodes(store: Store, settings: Settings) -> tuple[set[str], set[str]]:
    """(the registry's trusted nodes, every IRI the registry describes): read from the
    registry graph alone, so kept until a journalled change touches it (a harvest does
    not; the subjects query reads the whole registry, ~0.5 s at 10k datasets)."""
    registry = Minter(settings.base).graph(REGISTRY_GRAPH).value
    version = journal.version(store, settings)
    kept = _registry_kept.get(store)
    if kept is not None and kept[0] <= version and not any(
            registry in change.graphs for change in journal.since(store, settings, kept[0])):
        _registry_kept[store] = (version, kept[1], kept[2])
        return set(kept[1]), set(kept[2])
    prefixes = sparql_prefixes()
    classes = " ".join(PUBLIC_REGISTRY_CLASSES)
    trusted = _values(store, prefixes + f"""
        SELECT DISTINCT ?s WHERE {{ GRAPH <{registry}> {{ ?s a ?class }} VALUES ?class {{ {classes} }} }}""")
    subjects = _values(store, prefixes + f"""
        SELECT DISTINCT ?s WHERE {{ GRAPH <{registry}> {{ ?s ?p ?o }} FILTER(isIRI(?s)) }}""")
    # A public partner's service area: only the registry says where it is.
    trusted |= {row["a"].value for row in store.query(prefixes + f"""
        SELECT ?p ?a WHERE {{ GRAPH <{registry}> {{ ?p schema:areaServed ?a FILTER(isIRI(?a)) }} }}""")
        if row["p"].value in trusted}
    _registry_kept[store] = (version, frozenset(trusted), frozenset(subjects))
    return trusted, subjects


_todays_nodes: VersionedCache[PublicNodes] = VersionedCache(
    lambda store, settings: _compute_public_nodes(store, settings, None))


def public_quads(store: Store, settings: Settings, today: dt.date | None = None
                 ) -> Iterator[Quad]:
    """Every quad safe to show anonymously (see the module docstring), each once.

    Streams the store once (`public_quads_among`).
    """
    return public_quads_among(store.quads(), public_nodes(store, settings, today))


def public_quads_among(quads: Iterable[Quad], nodes: PublicNodes) -> Iterator[Quad]:
    """Those of `quads` safe to show anonymously: the whole store, or whole graphs (blank
    nodes reachable from public subjects are followed within their graph, with the same
    object rule, so a graph's blank nodes must all be among `quads`)."""
    return _shown(((q, getattr(q.graph_name, "value", ""), _term_of(q.subject),
                    _term_of(q.object)) for q in quads), nodes)


def public_lines_among(lines: Iterable[bytes], graph: str, nodes: PublicNodes
                       ) -> Iterator[bytes]:
    """Those of one whole graph's N-Triples lines, as Oxigraph serialises them, safe to
    show: the rule of `public_quads_among` judged on the lines' terms, so a view built
    from lines (`regiongraph.sparql.public`) makes no Python object for a quad."""
    return _shown(((line, graph, *_line_terms(line)) for line in lines), nodes)


Term = tuple[str, str]
"""(kind, value): an IRI, a blank node's label, or a literal (or anything else) without
its value, which no rule reads."""
IRI, BLANK, LITERAL, OTHER = "iri", "blank", "literal", "other"


def _term_of(term: object) -> Term:
    if isinstance(term, NamedNode):
        return IRI, term.value
    if isinstance(term, BlankNode):
        return BLANK, term.value
    return (LITERAL if isinstance(term, Literal) else OTHER), ""


def _line_terms(line: bytes) -> tuple[Term, Term]:
    """The subject and object of an N-Triples line (IRIs hold no space, and Oxigraph
    writes one space between terms and ` .` at the end)."""
    subject_end = line.find(b" ")
    object_start = line.find(b" ", subject_end + 1) + 1
    return _token_of(line[:subject_end]), _token_of(line[object_start:-2])


def _token_of(token: bytes) -> Term:
    if token[:1] == b"<" and token[:2] != b"<<":
        return IRI, token[1:-1].decode()
    if token[:2] == b"_:":
        return BLANK, token[2:].decode()
    return (LITERAL if token[:1] == b'"' else OTHER), ""


def _shown(parts: Iterable[tuple[object, str, Term, Term]], nodes: PublicNodes
           ) -> Iterator:
    """The items whose (graph, subject, object) the public view shows: the one rule, for
    quads and for lines alike."""
    blank_items: dict[tuple[str, str], list[tuple[object, Term]]] = {}
    pending: deque[tuple[str, str]] = deque()
    hidden: dict[str, bool] = {}
    for item, graph, subject, obj in parts:
        if graph not in hidden:
            hidden[graph] = is_bookkeeping(nodes.base, graph)
        if hidden[graph]:
            continue  # reports, fingerprints, the journal...
        if graph == nodes.ontology_graph:
            if not _personal(subject, nodes) and not _personal(obj, nodes):
                yield item
            continue
        if subject[0] is BLANK:
            blank_items.setdefault((graph, subject[1]), []).append((item, obj))
            continue
        if subject[0] is not IRI or not nodes.iri_public(subject[1]) or not nodes.allows(obj):
            continue
        yield item
        if obj[0] is BLANK:
            pending.append((graph, obj[1]))
    seen: set[tuple[str, str]] = set()
    while pending:
        key = pending.popleft()
        if key in seen:
            continue
        seen.add(key)
        for item, obj in blank_items.get(key, []):
            if not nodes.allows(obj):
                continue
            yield item
            if obj[0] is BLANK:
                pending.append((key[0], obj[1]))


def _personal(term: Term, nodes: PublicNodes) -> bool:
    return term[0] is IRI and nodes.iri_personal(term[1])
