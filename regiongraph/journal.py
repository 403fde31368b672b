"""The journal of changes, kept in the store itself, under one increasing store version.

Every write through `regiongraph.change.apply_change` appends one entry: which road wrote
(harvest, graph-store, sparql-update, ...), which named graphs it changed, and where the
road knows them, which subjects. The entry and the new version are written by one SPARQL
update, so the version is computed inside the store's own transaction: two processes on
one store (two servers on a remote store, or a server and the CLI beside it) never hand
out the same version, and each sees the other's changes by reading the journal.

Derived views remember the version they last caught up to and read the entries after it
(`since`); caches key on `version` alone.

A write and its entry are two transactions (a write may be a bulk load, which no update
can join), so a change is first noted as begun (`begin`), and its entry removes that note
in the entry's own update. A note found when a server starts is a writer that died between
the two: `recover` journals it as a change of every graph, and the views follow it.
"""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pyoxigraph import Literal, NamedNode

from regiongraph.iri import Minter
from regiongraph.namespaces import PROV, RDF, RG, XSD
from regiongraph.settings import Settings
from regiongraph.store import Store, one_update

JOURNAL_GRAPH = "journal"
# Stands for the store's default graph among a change's graphs (it has no IRI).
DEFAULT_GRAPH = "urn:regiongraph:default-graph"


@dataclass(frozen=True)
class Change:
    """One journal entry."""

    road: str
    graphs: tuple[str, ...]
    subjects: tuple[str, ...] = ()
    version: int = 0
    at: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))


def journal_graph(settings: Settings) -> NamedNode:
    return Minter(settings.base).graph(JOURNAL_GRAPH)


def version(store: Store, settings: Settings) -> int:
    """The store version: 0 for a store no change has been journalled in."""
    graph = journal_graph(settings)
    rows = store.query(f"SELECT ?v WHERE {{ GRAPH <{graph.value}> "
                       f"{{ <{graph.value}> <{RG.currentVersion.value}> ?v }} }}")
    return max((int(row["v"].value) for row in rows), default=0)


def append(store: Store, settings: Settings, change: Change, *, at_least: int = 0,
           begun: str = "") -> int:
    """Record `change` under the next version (above `at_least`), and return that version.

    `at_least` keeps the version increasing across a restore, which brings back an older
    journal: views that saw a later version must still see this one as new. `begun` is
    the note of `begin`, removed in the same transaction.
    """
    graph = journal_graph(settings).value
    entry = Minter(settings.base).iri("change", uuid.uuid4().hex).value
    at = Literal(change.at.strftime("%Y-%m-%dT%H:%M:%SZ"), datatype=XSD.dateTime)
    described = [f"<{entry}> <{RDF.type.value}> <{RG.StoreChange.value}>",
                 f"<{entry}> <{RG.road.value}> {Literal(change.road)}",
                 f"<{entry}> <{PROV.endedAtTime.value}> {at}"]
    described += [f"<{entry}> <{RG.changedGraph.value}> <{g}>" for g in change.graphs]
    described += [f"<{entry}> <{RG.changedSubject.value}> <{s}>" for s in change.subjects]
    if version(store, settings) == 0:
        _start(store, graph)
    # The WHERE matches the one current version (never an OPTIONAL: Virtuoso 7.2.5 inserts
    # nothing when an update's WHERE is only OPTIONAL and BIND, and says it did).
    store.update(one_update(f"""
DELETE {{ GRAPH <{graph}> {{ <{graph}> <{RG.currentVersion.value}> ?was }} }}
INSERT {{ GRAPH <{graph}> {{
  <{graph}> <{RG.currentVersion.value}> ?next .
  <{entry}> <{RG.storeVersion.value}> ?next .
  {" . ".join(described)} }} }}
WHERE {{
  GRAPH <{graph}> {{ <{graph}> <{RG.currentVersion.value}> ?was }}
  BIND((IF(?was > {int(at_least)}, ?was, {int(at_least)}) + 1) AS ?next)
}}""", _forget(graph, begun) if begun else ""))
    rows = store.query(f"SELECT ?v WHERE {{ GRAPH <{graph}> "
                       f"{{ <{entry}> <{RG.storeVersion.value}> ?v }} }}")
    return next(int(row["v"].value) for row in rows)


def begin(store: Store, settings: Settings, road: str) -> str:
    """Note that a change by `road` is about to be written; return the note's IRI for
    `append(begun=)` or `end`."""
    graph = journal_graph(settings).value
    note = Minter(settings.base).iri("change", uuid.uuid4().hex).value
    at = Literal(datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), datatype=XSD.dateTime)
    store.update(f"INSERT DATA {{ GRAPH <{graph}> {{ <{note}> a <{RG.ChangeInProgress.value}> ; "
                 f"<{RG.road.value}> {Literal(road)} ; <{PROV.startedAtTime.value}> {at} }} }}")
    return note


def end(store: Store, settings: Settings, begun: str) -> None:
    """Remove the note of a change that wrote nothing (it failed, or had nothing to do)."""
    store.update(_forget(journal_graph(settings).value, begun))


def recover(store: Store, settings: Settings) -> list[int]:
    """Journal every change begun and never recorded: its writer died in between, so what
    it wrote is unknown, and the entry names every graph. Returns the new versions."""
    graph = journal_graph(settings).value
    rows = store.query(f"SELECT ?n ?road WHERE {{ GRAPH <{graph}> {{ "
                       f"?n a <{RG.ChangeInProgress.value}> ; <{RG.road.value}> ?road }} }}")
    begun = {row["n"].value: row["road"].value for row in rows}
    if not begun:
        return []
    everything = tuple(sorted(filter(None, store.graphs())))
    return [append(store, settings, Change(road=f"{road}, interrupted", graphs=everything),
                   begun=note) for note, road in sorted(begun.items())]


def _forget(graph: str, note: str) -> str:
    return f"DELETE WHERE {{ GRAPH <{graph}> {{ <{note}> ?p ?o }} }}"


def _start(store: Store, graph: str) -> None:
    """Give a store its version 0, the one the first change counts up from. Only the very
    first writes of two processes at once could both start it, with the same triple."""
    store.update(f"INSERT DATA {{ GRAPH <{graph}> {{ <{graph}> <{RG.currentVersion.value}> 0 }} }}")


def since(store: Store, settings: Settings, seen: int) -> list[Change]:
    """The entries after version `seen`, oldest first."""
    graph = journal_graph(settings).value
    rows = store.query(f"""
SELECT ?e ?v ?road ?at ?g ?s WHERE {{ GRAPH <{graph}> {{
  ?e a <{RG.StoreChange.value}> ; <{RG.storeVersion.value}> ?v ; <{RG.road.value}> ?road ;
     <{PROV.endedAtTime.value}> ?at .
  FILTER(?v > {int(seen)})
  {{ ?e <{RG.changedGraph.value}> ?g }} UNION {{ ?e <{RG.changedSubject.value}> ?s }}
}} }}""")
    found: dict[str, dict] = {}
    for row in rows:
        entry = found.setdefault(row["e"].value, {
            "version": int(row["v"].value), "road": row["road"].value,
            "at": datetime.fromisoformat(row["at"].value),
            "graphs": set(), "subjects": set()})
        if row["g"] is not None:
            entry["graphs"].add(row["g"].value)
        if row["s"] is not None:
            entry["subjects"].add(row["s"].value)
    return [Change(road=e["road"], graphs=tuple(sorted(e["graphs"])),
                   subjects=tuple(sorted(e["subjects"])), version=e["version"], at=e["at"])
            for e in sorted(found.values(), key=lambda e: e["version"])]


def last_change(store: Store, settings: Settings) -> datetime | None:
    """When the latest journalled change was made (Last-Modified of the exports)."""
    graph = journal_graph(settings).value
    rows = store.query(f"""
SELECT ?at WHERE {{ GRAPH <{graph}> {{
  <{graph}> <{RG.currentVersion.value}> ?v . ?e <{RG.storeVersion.value}> ?v ;
     <{PROV.endedAtTime.value}> ?at }} }}""")
    for row in rows:
        return datetime.fromisoformat(row["at"].value)
    return None
