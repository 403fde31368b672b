"""Who saw what: every answer that shows a member non-public data leaves a record.

A record says who (the person), which datasets (those of the answer that are not public),
which route, and when. Records live in the `audit` graph, a bookkeeping graph (never
shown by a view, never validated) that the backup copies with the rest of the store.

Append-only, and cheap: records are kept in memory and written in batches (`BATCH`
records, or `FLUSH_SECONDS` after the first one waits, whichever comes first), as plain
inserts. They are not written through `change.apply_change` on purpose: like the journal
itself, the audit is bookkeeping no view derives from, and a read that moved the store
version would make every cache (views, catalog, search) start over after each answer.
Nothing ever deletes or rewrites a record; `who_saw` writes the pending ones first, so
an answer includes everything recorded up to the question.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
import weakref
from collections.abc import Iterable
from dataclasses import dataclass

from pyoxigraph import Literal, NamedNode, Quad

from regiongraph.clock import now as clock_now
from regiongraph.clock import stamp
from regiongraph.iri import AUDIT_GRAPH, Minter
from regiongraph.namespaces import PROV, RDF, RG
from regiongraph.settings import Settings
from regiongraph.store import Store

log = logging.getLogger(__name__)
BATCH = 50
FLUSH_SECONDS = 2.0


@dataclass(frozen=True)
class Sighting:
    """One answer that showed a dataset to a person."""

    person: str
    route: str
    at: dt.datetime


def audit_graph(settings: Settings) -> NamedNode:
    return Minter(settings.base).graph(AUDIT_GRAPH)


class _Pending:
    def __init__(self) -> None:
        self.quads: list[Quad] = []
        self.records = 0
        self.timer: threading.Timer | None = None


_pending: weakref.WeakKeyDictionary[object, _Pending] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def record(store: Store, settings: Settings, person: str, datasets: Iterable[str], route: str,
           at: dt.datetime | None = None) -> None:
    """Keep a record that `person` was shown `datasets` (non-public ones) on `route`."""
    datasets = sorted(set(datasets))
    if not datasets:
        return
    graph = audit_graph(settings)
    node = Minter(settings.base).iri("audit", uuid.uuid4().hex)
    moment = stamp(at or clock_now())
    quads = [Quad(node, RDF.type, RG.AccessRecord, graph),
             Quad(node, PROV.wasAssociatedWith, NamedNode(person), graph),
             Quad(node, RG.route, Literal(route), graph),
             Quad(node, PROV.endedAtTime, moment, graph)]
    quads += [Quad(node, PROV.used, NamedNode(d), graph) for d in datasets]
    with _lock:
        pending = _pending.setdefault(store, _Pending())
        pending.quads += quads
        pending.records += 1
        full = pending.records >= BATCH
        if not full and pending.timer is None:
            pending.timer = threading.Timer(FLUSH_SECONDS, _flush_later, (store,))
            pending.timer.daemon = True
            pending.timer.start()
    if full:
        flush(store)


def flush(store: Store) -> int:
    """Write the pending records in one insert; how many were written (a backup and a
    server's shutdown call it too, so no record is left behind)."""
    with _lock:
        pending = _pending.get(store)
        if pending is None or not pending.records:
            return 0
        quads, count = pending.quads, pending.records
        pending.quads, pending.records = [], 0
        if pending.timer is not None:
            pending.timer.cancel()
            pending.timer = None
        try:
            store.add(quads)
        except Exception:  # kept for the next flush; the request that recorded them is gone
            pending.quads, pending.records = quads + pending.quads, count + pending.records
            raise
    return count


def _flush_later(store: Store) -> None:
    """The timer's flush: a failure (a store closing) is logged; the records stay pending."""
    try:
        flush(store)
    except Exception as error:  # noqa: BLE001 - a timer thread has no caller to tell
        log.warning("audit records could not be written yet (%s); kept for the next try",
                    error)


def who_saw(store: Store, settings: Settings, dataset: str, days: int = 30,
            now: dt.datetime | None = None) -> list[Sighting]:
    """Who was shown `dataset` in the last `days` days, newest first."""
    flush(store)
    since = (now or clock_now()) - dt.timedelta(days=days)
    rows = store.query(f"""
SELECT ?person ?route ?at WHERE {{ GRAPH {audit_graph(settings)} {{
  ?r a {RG.AccessRecord} ; {PROV.used} <{NamedNode(dataset).value}> ;
     {PROV.wasAssociatedWith} ?person ; {RG.route} ?route ; {PROV.endedAtTime} ?at .
  FILTER(?at >= {stamp(since)}) }} }} ORDER BY DESC(?at)""")
    return [Sighting(row["person"].value, row["route"].value,
                     dt.datetime.fromisoformat(row["at"].value)) for row in rows]
