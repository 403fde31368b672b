"""The one change path: every write to the store, and every view that follows from it.

    apply_change(store, settings, "harvest", write)   # write() returns the changed graphs

Every road that writes — a harvest, the demo or a region load, a Graph Store request, a
SPARQL update, a manual lineage edge, a restore — calls `apply_change`. It runs the
write, appends what changed to the journal (`regiongraph.journal`) under the next store
version, and brings every derived view up to date.

A derived view remembers the version it last caught up to and follows the journal from
there (`refresh`), so a view brought up to date in one process is up to date for all of
them, and a view of another process catches up on its next read. Views are isolated:
one that fails is logged and returned, keeps its old version, and is retried on the next
change or by `regiongraph refresh`; it never stops the others. Caches (the public view,
the catalog index, the region snapshot) key on the store version alone.
"""

import contextlib
import datetime as dt
import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import import_module
from typing import Generic, TypeVar

from regiongraph import journal
from regiongraph.iri import Minter
from regiongraph.memory import settle, trim_after
from regiongraph.namespaces import RG
from regiongraph.settings import Settings
from regiongraph.store import Store, record_base

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class View:
    """A derived view: `follow(store, settings, changed_graphs)` brings it up to date.

    `seen`/`mark` read and keep the version it caught up to: in the store by default
    (views whose results live in the store), or wherever the view lives (`module:function`).
    """

    name: str
    follow: str
    seen: str | None = None
    mark: str | None = None
    local: bool = False
    """Kept by this process, not in the store (the query helper's public view): a write
    of another process leaves it behind until this one's next change or query, which is
    no reason to be unready (`observe.readiness`)."""


# In order: the rules view writes the inferences the search records read; the search
# records read the kept public set.
VIEWS: list[View] = [
    View("rules", "regiongraph.rules.hooks:after_change"),
    View("publishable", "regiongraph.visibility:follow",
         seen="regiongraph.visibility:seen_version", mark="regiongraph.visibility:mark_version"),
    # Right after the public set: the query helper prepares its public view while the
    # views below run, so the first anonymous query after a change does not wait for it.
    View("queries", "regiongraph.sparql.workers:follow", seen="regiongraph.sparql.workers:"
         "seen_version", mark="regiongraph.sparql.workers:mark_version", local=True),
    View("search", "regiongraph.search:after_change",
         seen="regiongraph.search:seen_version", mark="regiongraph.search:mark_version"),
    View("geo", "regiongraph.geo.index:follow",
         seen="regiongraph.geo.index:seen_version", mark="regiongraph.geo.index:mark_version"),
    View("notify", "regiongraph.notify.derived:follow"),
    # After every view that writes: the query helper opens its data again now, not at the
    # first query after the change.
    View("queries-settled", "regiongraph.sparql.workers:settle",
         seen="regiongraph.sparql.workers:seen_settled",
         mark="regiongraph.sparql.workers:mark_settled", local=True),
    # Last, in a thread: the catalog index of this process follows off the change's request.
    View("catalog", "regiongraph.exports.model:follow", seen="regiongraph.exports.model:"
         "seen_version", mark="regiongraph.exports.model:mark_version", local=True),
]


@dataclass
class Applied:
    """What `apply_change` did."""

    version: int
    graphs: list[str] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    """View name → why it could not follow (retried on the next change or refresh)."""


def apply_change(store: Store, settings: Settings, road: str,
                 write: Callable[[], Iterable[str]], *, subjects: Iterable[str] = (),
                 at_least: int = 0) -> Applied:
    """Run `write` (it returns the IRIs of the graphs it changed), journal it, refresh views."""
    with _changing(store):
        return _apply(store, settings, road, write, subjects, at_least)


def _apply(store: Store, settings: Settings, road: str, write: Callable[[], Iterable[str]],
           subjects: Iterable[str], at_least: int) -> Applied:
    begun = journal.begin(store, settings, road)
    started = time.monotonic()
    try:
        graphs = sorted({str(getattr(g, "value", g)) for g in write()})
    except Exception:
        journal.end(store, settings, begun)  # a failed write leaves the store as it was
        raise
    trim_after(started)  # what a long write freed (a bulk load's batch), before the views
    if not graphs:
        journal.end(store, settings, begun)
        return Applied(version=journal.version(store, settings))
    record_base(store, settings)
    change = journal.Change(road=road, graphs=tuple(graphs),
                            subjects=tuple(sorted({str(s) for s in subjects})))
    version = journal.append(store, settings, change, at_least=at_least, begun=begun)
    failures = refresh(store, settings)
    settle(store)  # memory stays flat over changes: regiongraph.memory
    return Applied(version=version, graphs=graphs, failures=failures)


READ_WAIT = 1.0
"""Seconds a reader waits for a view another thread is bringing up to date (`refresh`'s
`wait`) before it answers without it."""
_writers: "weakref.WeakKeyDictionary[Store, list[int]]" = weakref.WeakKeyDictionary()
_writers_lock = threading.Lock()


@contextlib.contextmanager
def _changing(store: Store):
    """Count the thread writing a change of `store` until its views have followed."""
    me = threading.get_ident()
    with _writers_lock:
        _writers.setdefault(store, []).append(me)
    try:
        yield
    finally:
        with _writers_lock:
            _writers[store].remove(me)


def changing_elsewhere(store: Store) -> bool:
    """Whether another thread of this process is writing a change of `store` and bringing
    its views up to date. A reader then leaves the views to that thread and answers from
    them as they stand, or by the rule itself (`visibility.kept_approvals`): following a
    view itself, or queueing behind the writer for its lock, held reads of the 32-client
    soak 5 s at a time, up to the client's 30 s limit."""
    me = threading.get_ident()
    with _writers_lock:
        return any(thread != me for thread in _writers.get(store, ()))


_locks: dict[str, threading.Lock] = {name: threading.Lock()
                                     for name in ("rules", "publishable", "queries", "search",
                                                  "geo", "notify", "catalog")}
_failures: "weakref.WeakKeyDictionary[Store, dict[str, tuple[str, dt.datetime]]]" = (
    weakref.WeakKeyDictionary())


def view_lock(name: str) -> threading.Lock:
    """The lock a view holds while it follows: maintenance of that view (a rebuild, a full
    re-validation) holds it too, so the two never interleave their writes."""
    return _locks.setdefault(name, threading.Lock())


def last_failures(store: Store) -> dict[str, tuple[str, dt.datetime]]:
    """View name → why it last failed to follow on `store` in this process, and when;
    kept until it follows again (`GET /admin/views` shows it)."""
    return dict(_failures.get(store, {}))


def refresh(store: Store, settings: Settings, views: Iterable[str] | None = None,
            wait: float | None = None) -> dict[str, str]:
    """Bring each view up to the store version; returns the failures by view name.

    A reader passes `wait`: if another thread holds a view's lock longer than that (a
    write's own request bringing it up to date), the view is left to that thread and the
    reader answers from it as it stands, the state before the write still in progress,
    instead of queueing behind it past its own time limit (32 clients beside a harvest
    timed out at 30 s that way in the soak suite)."""
    wanted = set(views) if views is not None else None
    current = journal.version(store, settings)
    failures: dict[str, str] = {}
    for view in VIEWS:
        if wanted is not None and view.name not in wanted:
            continue
        lock = _locks.setdefault(view.name, threading.Lock())
        if not lock.acquire(timeout=-1 if wait is None else wait):
            continue
        try:
            error = _follow_isolated(store, settings, view, current)
        finally:
            lock.release()
        if error:
            failures[view.name] = error
    return failures


def _follow_isolated(store: Store, settings: Settings, view: View, current: int) -> str | None:
    """Follow one view; a failure is reported and kept, never passed on to the next view."""
    try:
        _follow(store, settings, view, current)
    except Exception as error:  # noqa: BLE001 - isolated: reported, retried later
        reason = f"{type(error).__name__}: {error}"
        _failures.setdefault(store, {})[view.name] = (reason, dt.datetime.now(dt.UTC))
        log.warning("view %s did not follow the change: %s; it is retried on the "
                    "next change or by `regiongraph refresh`", view.name, reason)
        return reason
    _failures.get(store, {}).pop(view.name, None)
    return None


def catch_up_in_background(store: Store, settings: Settings) -> threading.Thread:
    """`refresh` in a thread, for a server that starts: a writer killed between its write
    and its journal entry (`journal.recover`), or between the entry and its views (kill -9,
    a crash), left them behind, and they follow here with no manual step. The server answers meanwhile; `/ready` says 503 until they are in line."""

    def run() -> None:
        try:
            journal.recover(store, settings)
            refresh(store, settings)
        except Exception as error:  # noqa: BLE001 - the store did not answer: said, retried
            log.warning("views did not catch up at start: %s; they follow on the next change "
                        "or by `regiongraph refresh`", error)

    thread = threading.Thread(target=run, name="views-catch-up", daemon=True)
    thread.start()
    return thread


def seen_version(store: Store, settings: Settings, view: View) -> int:
    """The store version `view` last caught up to."""
    return _call(view.seen, store, settings) if view.seen else _seen_in_store(
        store, settings, view.name)


def _follow(store: Store, settings: Settings, view: View, current: int) -> None:
    seen = seen_version(store, settings, view)
    if seen == current:
        return
    if seen > current:  # the store was restored from an older journal: follow everything
        graphs = sorted(filter(None, store.graphs()))
    else:
        graphs = sorted({g for c in journal.since(store, settings, seen) for g in c.graphs})
    started = time.monotonic()
    _call(view.follow, store, settings, [_node(g) for g in graphs])
    trim_after(started)  # what a long follow freed, before the next view builds its own
    if view.mark:
        _call(view.mark, store, settings, current)
    else:
        _mark_in_store(store, settings, view.name, current)


def _call(target: str, *args):
    module, function = target.split(":")
    return getattr(import_module(module), function)(*args)


def _node(iri: str):
    from pyoxigraph import NamedNode

    return NamedNode(iri)


def _view_iri(settings: Settings, name: str) -> str:
    return Minter(settings.base).iri("view", name).value


def _seen_in_store(store: Store, settings: Settings, name: str) -> int:
    graph = journal.journal_graph(settings).value
    rows = store.query(f"SELECT ?v WHERE {{ GRAPH <{graph}> {{ <{_view_iri(settings, name)}> "
                       f"<{RG.seenVersion.value}> ?v }} }}")
    return max((int(row["v"].value) for row in rows), default=0)


def _mark_in_store(store: Store, settings: Settings, name: str, version: int) -> None:
    graph, view = journal.journal_graph(settings).value, _view_iri(settings, name)
    # Two operations, not DELETE/INSERT over an OPTIONAL-only WHERE: Virtuoso 7.2.5
    # inserts nothing for that, and says it did.
    store.update(f"""
DELETE WHERE {{ GRAPH <{graph}> {{ <{view}> <{RG.seenVersion.value}> ?v }} }} ;
INSERT DATA {{ GRAPH <{graph}> {{ <{view}> a <{RG.DerivedView.value}> ;
                                     <{RG.seenVersion.value}> {int(version)} }} }}""")


def cache_key(store: Store, settings: Settings, today: dt.date | None = None) -> tuple[int, str]:
    """The one key of every cache derived from the store: its version, and the day
    (approvals come into force and lapse by the day, with no write to the store)."""
    day = today or dt.datetime.now(dt.UTC).date()
    return journal.version(store, settings), day.isoformat()


T = TypeVar("T")


class VersionedCache(Generic[T]):
    """One value per open store, built by `build(store, settings)` and kept until the
    store version or the day moves. Concurrent readers of a stale value wait for one
    build; readers already holding the old value finish with it."""

    def __init__(self, build: Callable[[Store, Settings], T]) -> None:
        self._build = build
        self._entries: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def get(self, store: Store, settings: Settings) -> T:
        key = cache_key(store, settings)
        entry = self._entries.get(store)
        if entry is not None and entry[0] == key:
            return entry[1]
        with self._lock:
            entry = self._entries.get(store)
            if entry is None or entry[0] != key:
                entry = (key, self._build(store, settings))
                self._entries[store] = entry
            return entry[1]
