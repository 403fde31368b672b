"""Maintenance of the derived views, one kernel function per job.

    view_states(store, settings)              # GET  /admin/views
    refresh_views(store, settings, ["search"])  # POST /admin/refresh     regiongraph refresh
    reindex(store, settings)                  # POST /admin/reindex     regiongraph reindex
    revalidate_all(store, settings)           # POST /admin/revalidate  regiongraph validate

The admin routes (`api/routes/admin.py`) and the local CLI call these same functions; a
CLI command beside a running server, which holds the embedded store, asks that server's
route instead (`regiongraph.admin_client`), so maintenance never needs the server stopped.
Each job answers with what it did as one pydantic model, the route's response and the
CLI's `--json` alike.
"""

import datetime as dt
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from pydantic import BaseModel

from regiongraph import journal
from regiongraph.change import VIEWS, last_failures, seen_version, view_lock
from regiongraph.change import refresh as follow_journal
from regiongraph.errors import RegiongraphError
from regiongraph.settings import Settings
from regiongraph.store import Store


class UnknownViewError(RegiongraphError):
    """A view name that `regiongraph.change.VIEWS` does not have."""


class ViewState(BaseModel):
    """Where one derived view stands against the store."""

    name: str
    seen_version: int | None
    """The store version the view last caught up to (None: it cannot be read now)."""
    store_version: int
    behind: int | None
    """How many store versions it has yet to follow (0: up to date)."""
    last_failure: str | None = None
    """Why it last failed to follow in the serving process, until it follows again."""
    failed_at: dt.datetime | None = None


class ViewsReport(BaseModel):
    """Every derived view of a store."""

    store: str
    """The store the answering process holds (a resolved directory, `memory`, or a URL)."""
    store_version: int
    views: list[ViewState]


class RefreshReport(BaseModel):
    """What bringing views up to the store version did."""

    store_version: int
    refreshed: list[str]
    failures: dict[str, str]
    """View name → why it could not follow (it keeps its old version; retried later)."""
    views: list[ViewState]
    seconds: float


class ReindexReport(BaseModel):
    """What rebuilding the search index whole did (the fields of the index's own
    `UpdateReport`, which `reindex --json` printed before, and where and at what version)."""

    store_version: int
    index: str
    """The index directory, or `memory`."""
    candidates: int
    written: int
    """Records written."""
    deleted: int
    unchanged: int
    seconds: float
    full: bool


class RevalidateReport(BaseModel):
    """What a full re-validation did; the report itself is `GET /reports/latest`."""

    store_version: int
    report: str
    """IRI of the stored run (the current report now derives from it alone)."""
    day: dt.date
    conforms: bool
    violations: int
    warnings: int
    seconds: float


def store_location(settings: Settings) -> str:
    """The store these settings name, spelled the same in every process: a server and a
    CLI started from different folders agree on a directory."""
    if settings.store == "memory" or settings.store.startswith(("http://", "https://")):
        return settings.store
    return str(Path(settings.store).resolve())


def view_names(views: Iterable[str] | None) -> list[str]:
    """The views asked for, in follow order (all when None); an unknown name is refused."""
    known = [view.name for view in VIEWS]
    if views is None:
        return known
    wanted = set(views)
    unknown = sorted(wanted - set(known))
    if unknown:
        raise UnknownViewError(f"no view {', '.join(map(repr, unknown))}; "
                               f"the views are {', '.join(known)}")
    return [name for name in known if name in wanted]


def view_states(store: Store, settings: Settings) -> ViewsReport:
    current = journal.version(store, settings)
    failures = last_failures(store)
    states = []
    for view in VIEWS:
        why, when = failures.get(view.name, (None, None))
        try:
            seen: int | None = seen_version(store, settings, view)
        except Exception as error:  # noqa: BLE001 - a broken view is shown, not a broken page
            seen, why, when = None, f"{type(error).__name__}: {error}", dt.datetime.now(dt.UTC)
        states.append(ViewState(name=view.name, seen_version=seen, store_version=current,
                                behind=None if seen is None else max(current - seen, 0),
                                last_failure=why, failed_at=when))
    return ViewsReport(store=store_location(settings), store_version=current, views=states)


def refresh_views(store: Store, settings: Settings, views: Iterable[str] | None = None
                  ) -> RefreshReport:
    """Bring `views` (all when None) up to the store version through the change path."""
    started = time.perf_counter()
    names = view_names(views)
    failures = follow_journal(store, settings, names)
    states = view_states(store, settings)
    return RefreshReport(store_version=states.store_version, refreshed=names,
                         failures=failures,
                         views=[v for v in states.views if v.name in names],
                         seconds=round(time.perf_counter() - started, 3))


def reindex(store: Store, settings: Settings, *,
            progress: Callable | None = None) -> ReindexReport:
    """Rebuild the search index whole from the store (it never holds the only copy of
    anything): after its files were lost or damaged, or a schema change."""
    from regiongraph.search import index_location, open_index, rebuild

    index = open_index(store, settings)
    # The search view's lock, then the index's, as a follow takes them: a change arriving
    # meanwhile follows after the rebuild, and no search starts a second one.
    with view_lock("search"), index._lock:
        done = rebuild(store, settings, index=index, progress=progress)
    return ReindexReport(store_version=journal.version(store, settings),
                         index=str(index_location(settings) or "memory"), **done.as_dict())


def revalidate_all(store: Store, settings: Settings, *, today: dt.date | None = None
                   ) -> RevalidateReport:
    """Validate the whole store against the rules and store the run as the current report
    (the rules view's own kernel function, in a full run)."""
    from regiongraph.rules.incremental import revalidate
    from regiongraph.rules.validate import VIOLATION

    with view_lock("rules"):
        done = revalidate(store, settings, [], today=today, full=True)
    results = done.checked.results
    violations = sum(r.severity == VIOLATION for r in results)
    return RevalidateReport(store_version=journal.version(store, settings), report=done.report,
                            day=done.checked.day, conforms=done.checked.conforms,
                            violations=violations, warnings=len(results) - violations,
                            seconds=round(done.seconds, 3))
