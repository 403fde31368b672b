"""Run SPARQL queries in processes that can be killed, so a runaway query is stopped.

pyoxigraph cannot cancel a query that is computing (a cartesian product, a big ORDER BY): a
thread running one keeps its core until pyoxigraph returns, long after the client got its
503. A process can be killed. So every query on a pyoxigraph store (the embedded store on
disk or in memory, and the public view, which is always a pyoxigraph memory store) runs in
its own process, forked for that query and killed at its deadline or when the client goes
away; the kernel frees its CPU and memory at once.

Where the forks come from (measured, README "Runaway queries"): forking the server itself
is unsafe. A child forked while another thread is inside pyoxigraph inherits that
thread's locks held and never released: 2-3 of 100 forks hung with 3 threads reading
(disk or memory store) and 27 of 100 with a writer beside them in memory. So the server
starts one single-threaded *zygote* (`python -m regiongraph.sparql.workers`) that holds its
own stores and never runs a query: nothing is inside pyoxigraph when it forks, and a fork
costs about a millisecond. The zygote holds

- the data: the embedded store on disk opened read-only (a snapshot beside the server's
  writer, NOTES.md §1), reopened when the store version moves; for a memory store, which
  no other process can open, a dump the server writes when the version moves;
- the views a principal reads (`regiongraph.sparql.member.view_of`: the public view, a
  member tier's view, or the store without its secrets for the steward), built from that
  data by the same kernel functions the server uses and kept the same way (per store
  version and day: `change.cache_key`, `membership.view_key`).

Each query sends the zygote a `Ticket`: the version it must see (so a query never reads
older data than the server), the service's day, and the *reader* (`member.reader_of`: the
steward, or a tier of (community, role) pairs) — never a token or a person. Queries with
the admin token on a remote store are HTTP requests whose work is the remote server's, so
they run in the server's threads as before; a remote store's public and member views are
local pyoxigraph stores, and do run here.

Queries get a fresh process each at normal priority, and step down as they use CPU
(`DEMOTION`: nice 5 after 0.1 CPU seconds ... `SCHED_IDLE` after 4), so the longer a query
has computed, the less it takes from younger ones: runaways end up with only the CPU the
others leave, while a heavy but legitimate query still outranks them. CPU used, not time
passed: on a busy machine a short query may wait a while for a core, and a query demoted
for waiting would then starve (measured: a 0.1 s wall-clock rule sent ordinary queries past
a 1 s limit beside 8 runaways). One step to `SCHED_IDLE` was measured too coarse: heavy
queries of the normal mix landed among the runaways (p99 3.5x of alone).

At most `REGIONGRAPH_QUERY_WORKERS` run at once, and at most
`REGIONGRAPH_QUERY_WORKERS_PER_CLIENT` for one client (a person, or an anonymous client's
address; the admin token is exempt): more wait for a slot until their deadline, without a
process. So one client sending runaways back to back holds a few processes, not every core.
"""

import asyncio
import datetime as dt
import gc
import os
import pickle
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from collections import Counter, deque
from dataclasses import dataclass

from regiongraph.lifetime import die_with_parent
from regiongraph.settings import Settings
from regiongraph.sparql.execute import Output, QueryJob, QueryTimeout, evaluate, produce
from regiongraph.sparql.member import STEWARD, Reader, hand_over, view_of
from regiongraph.store import Store, open_store

DEMOTION = ((0.1, 5), (0.4, 10), (1.0, 15), (2.0, 19), (4.0, None))
"""(CPU seconds used, nice value from then on); None: `SCHED_IDLE`."""
DEMOTE_CHECK = 0.05
"""Seconds between two looks at a query process's CPU time."""
_TICKS = os.sysconf("SC_CLK_TCK")
KILL_GRACE = 1.0
"""Seconds past its deadline a query process gets to send its own time-out before it is
killed (it checks the deadline between rows; a query computing its first row cannot)."""
PREPARE_LIMIT = 300.0
"""Seconds a query waits for the zygote to prepare its data (a new version, a tier's view
built for the first time) before it is refused; not counted against its time limit."""
SETTLE_WAIT = 5.0
"""Seconds the `queries-settled` view waits for the helper to say it opened the changed
data; then the change goes on, and the next query waits for the rest as before."""
EXIT_WAIT = 2.0
"""Seconds a time-out answer waits for its killed process to exit (normally milliseconds)."""
_HEADER = struct.Struct(">cI")
_CONTROL_BYTES = 1 << 16


class QueryProcessError(RuntimeError):
    """The query process ended without an answer (killed, or crashed in pyoxigraph)."""


@dataclass(frozen=True)
class Ticket:
    """What the zygote needs before it forks: which data, at which version, seen by whom."""

    key: tuple
    """`change.cache_key` of the server's store: the version the query must see."""
    reader: Reader
    """Whose view (`member.reader_of`): the steward, or a tier (no pairs: the public)."""
    today: dt.date | None
    """The server's `settings.today` (None: the calendar's), the day views are judged by."""
    dump: str | None = None
    """A memory store's N-Quads dump at `key`, when the zygote does not hold that key yet."""
    prepare: bool = False
    """No query: bring the public view to `key` now (`follow`). The data is opened again
    for the next query, which then also sees what the views after `queries` wrote."""
    settled: bool = False
    """With `prepare`: every view has followed `key` (`settle`): open the data again now,
    not at the next query, which then forks from it at once."""
    ack: int | None = None
    """With `prepare`: the number the zygote sends back on the control socket once done."""
    build: bool = False
    """With `prepare`: build the public view even if the helper holds none yet (`prime`)."""


# -- the server side ------------------------------------------------------------------------


def isolated(store: Store, reader: Reader) -> bool:
    """True when `reader`'s queries on `store` run in killable processes: every query on a
    pyoxigraph store, which the embedded store and every public or member view are. (The
    steward reads a remote store itself: the remote server does that work.)"""
    from regiongraph.store.embedded import EmbeddedStore
    from regiongraph.store.remote import RemoteStore

    return isinstance(store, EmbeddedStore) or (isinstance(store, RemoteStore)
                                                and reader != STEWARD)


class Slots:
    """How many query processes run at once: at most `total`, and at most `per_client` for
    one client (None: no per-client limit, for the admin token). Waiters are served in
    order of arrival, each as soon as a slot it may take is free."""

    def __init__(self, total: int, per_client: int) -> None:
        self.total, self.per_client = total, per_client
        self.running = 0
        self.by_client: Counter[str | None] = Counter()
        self.waiting: deque[tuple[str | None, asyncio.Future]] = deque()

    def _free(self, client: str | None) -> bool:
        return self.running < self.total and (
            client is None or self.by_client[client] < self.per_client)

    def _take(self, client: str | None) -> None:
        self.running += 1
        self.by_client[client] += 1

    async def acquire(self, client: str | None, timeout: float) -> bool:
        """Take a slot for `client`; False when none was free within `timeout` seconds."""
        if self._free(client):
            self._take(client)
            return True
        granted = asyncio.get_running_loop().create_future()
        self.waiting.append((client, granted))
        try:
            await asyncio.wait([granted], timeout=timeout)
        except BaseException:  # the request was cancelled (its client went away) meanwhile
            self._give_up(client, granted)
            raise
        if granted.done():
            return True
        self._give_up(client, granted)
        return False

    def _give_up(self, client: str | None, granted: asyncio.Future) -> None:
        if granted.done():
            self.release(client)  # granted just now: handed on to the next waiter
        else:
            granted.cancel()
            self.waiting.remove((client, granted))

    def release(self, client: str | None) -> None:
        self.running -= 1
        self.by_client[client] -= 1
        if not self.by_client[client]:
            del self.by_client[client]
        for waiter in list(self.waiting):
            if self._free(waiter[0]):
                self.waiting.remove(waiter)
                self._take(waiter[0])
                waiter[1].set_result(None)


class QueryProcesses:
    """The server's handle on its zygote, one per open store (`for_store`)."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = weakref.ref(store)
        self.settings = settings
        self._lock = threading.Lock()
        self._zygote: subprocess.Popen | None = None
        self._control: socket.socket | None = None
        self._shipped: tuple | None = None
        self._slots: dict[asyncio.AbstractEventLoop, Slots] = {}
        self._acks = 0

    def _ensure_zygote(self) -> socket.socket:
        if self._zygote is not None and self._zygote.poll() is None and self._control:
            return self._control
        self.close()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with theirs:
            self._zygote = subprocess.Popen(
                [sys.executable, "-m", "regiongraph.sparql.workers", str(theirs.fileno())],
                pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL)
        ours.sendall(self.settings.model_dump_json().encode())  # the token never in argv
        self._control, self._shipped = ours, None
        return ours

    def _ticket(self, reader: Reader) -> Ticket:
        """Runs in a worker thread: the version to see, and a dump if the zygote lacks it."""
        from regiongraph.change import cache_key

        store = self._store()
        assert store is not None
        key = cache_key(store, self.settings)
        today = self.settings.today
        _asked[store] = max(_asked.get(store, 0), key[0])
        _settled[store] = max(_settled.get(store, 0), key[0])
        if getattr(store, "path", None) is not None or not _is_embedded(store) \
                or key == self._shipped:
            return Ticket(key, reader, today)
        handle, dump = tempfile.mkstemp(prefix="regiongraph-dump-", suffix=".nq")
        with os.fdopen(handle, "wb") as output:
            store.dump(output)
        self._shipped = key
        return Ticket(key, reader, today, dump)

    def _send(self, reader: Reader, theirs: socket.socket) -> None:
        with self._lock:
            for attempt in (1, 2):
                control = self._ensure_zygote()
                ticket = self._ticket(reader)
                try:
                    socket.send_fds(control, [pickle.dumps(ticket)], [theirs.fileno()])
                    return
                except OSError:
                    if ticket.dump:
                        os.unlink(ticket.dump)
                    self.close()  # the zygote died: start a new one, once
                    if attempt == 2:
                        raise

    def _on_disk(self) -> Store | None:
        """The store, if a helper can open it itself (on disk); a memory store's helper
        needs a dump, which only a query's ticket ships."""
        store = self._store()
        if store is None or getattr(store, "path", None) is None or not _is_embedded(store):
            return None
        return store

    def prime(self) -> bool:
        """Start the helper now and have it build the public view (`prime`)."""
        if self._on_disk() is None:
            return False
        with self._lock:
            self._ensure_zygote()
        return self.prepare(build=True)

    def prepare(self, *, settled: bool = False, wait: float = 0.0, build: bool = False) -> bool:
        """Have a running helper bring its public view to the store version now, between
        requests (`follow`), or open its data again once every view has followed
        (`settled`); a helper not started, or on a memory store (which would need a dump),
        is left to its next query. `wait`: seconds to wait for the helper to be done;
        True when it said so in time."""
        from regiongraph.change import cache_key
        from regiongraph.membership import Tier

        store = self._on_disk()
        if store is None:
            return False
        with self._lock:
            if self._zygote is None or self._zygote.poll() is not None or not self._control:
                return False
            self._acks += 1
            ticket = Ticket(cache_key(store, self.settings), Tier(frozenset()),
                            self.settings.today, prepare=True, settled=settled,
                            ack=self._acks if wait > 0 else None, build=build)
            try:
                self._control.send(pickle.dumps(ticket))
            except OSError:
                return False  # the helper died: the next query starts another
            return wait > 0 and self._await_ack(self._control, self._acks, wait)

    @staticmethod
    def _await_ack(control: socket.socket, number: int, wait: float) -> bool:
        """Read the zygote's acknowledgements until `number` comes (an older one is from a
        wait that gave up); the control socket keeps its blocking mode for query tickets."""
        deadline = time.monotonic() + wait
        try:
            while (left := deadline - time.monotonic()) > 0:
                control.settimeout(left)
                said = control.recv(_CONTROL_BYTES)
                if not said:
                    return False  # the helper is gone
                if int(said) >= number:
                    return True
            return False
        except (OSError, ValueError):  # a timeout is an OSError; nothing more to wait for
            return False
        finally:
            control.settimeout(None)

    async def start(self, job: QueryJob, *, reader: Reader, client: str | None,
                    fmt_name: str, graph: bool, cap: int | None, deadline: float,
                    timeout: float) -> "RunningQuery":
        """Fork a process for `job`, reading `reader`'s view, and return its stream of items
        (see `RunningQuery`). `client` names who holds the slot (None: no per-client limit)."""
        loop = asyncio.get_running_loop()
        slots = self._slots.setdefault(loop, Slots(self.settings.query_workers,
                                                   self.settings.query_workers_per_client))
        waited = time.monotonic()
        if not await slots.acquire(client, max(0.0, deadline - time.monotonic())):
            raise QueryTimeout(f"the query waited for a free worker longer than the time limit "
                               f"of {timeout:g} s (REGIONGRAPH_QUERY_WORKERS="
                               f"{self.settings.query_workers}, of which "
                               f"REGIONGRAPH_QUERY_WORKERS_PER_CLIENT="
                               f"{self.settings.query_workers_per_client} per client, were "
                               "busy)")
        forking = time.monotonic()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        running = RunningQuery(ours, slots, client, deadline)
        try:
            with theirs:
                await loop.run_in_executor(None, self._send, reader, theirs)
            sent = time.monotonic()
            await running.open((job, fmt_name, graph, cap), timeout)
        except BaseException:
            running.cancel()  # a process forked (and maybe sent its query) dies here too
            raise
        running.timing = {"wait": forking - waited, "send": sent - forking,
                          "fork": time.monotonic() - sent}
        return running

    def close(self) -> None:
        if self._control is not None:
            self._control.close()  # the zygote exits at EOF; its query processes with it
            self._control = None
        if self._zygote is not None:
            try:
                self._zygote.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._zygote.kill()
                self._zygote.wait()
            self._zygote = None


_processes: "weakref.WeakKeyDictionary[object, dict[int, QueryProcesses]]" = \
    weakref.WeakKeyDictionary()
_processes_lock = threading.Lock()


def for_store(store: Store, settings: Settings) -> QueryProcesses:
    """The query processes of `store` served with `settings` (started on first use, stopped
    when the store goes); one store served by two apps (tests) gets a zygote for each."""
    with _processes_lock:
        by_settings = _processes.setdefault(store, {})
        found = by_settings.get(id(settings))
        if found is None:
            found = by_settings[id(settings)] = QueryProcesses(store, settings)
            weakref.finalize(store, found.close)
        return found


_asked: "weakref.WeakKeyDictionary[object, int]" = weakref.WeakKeyDictionary()
"""Store → the latest version this process's query helpers were sent (a query's ticket,
or `follow`)."""
_settled: "weakref.WeakKeyDictionary[object, int]" = weakref.WeakKeyDictionary()
"""Store → the latest version whose data the helpers opened after every view (a query's
ticket, or `settle`)."""


def prime(store: Store, settings: Settings) -> None:
    """At a server's start: the helper builds the public view at once, while the server
    catches up and before anyone asks, instead of at the first anonymous query, which
    waited for it (10k datasets: ~10 s; 100k: ~160 s before the view was read in one
    pass, `public._build`). Meanwhile other readers' queries wait for the helper too, as
    they did behind that first query. A memory store's helper starts at its first query
    (it would need a dump)."""
    for_store(store, settings).prime()


def stop(store: Store) -> None:
    """At a server's stop, before it closes the store: its helpers exit now. One left
    running (busy building its view, `prime`) could open the store again once the server
    let it go, as a free store is opened, holding it from whoever opens it next (the kill
    -9 soak's check right after a restart found it "in use by another process")."""
    for processes in list(_processes.get(store, {}).values()):
        processes.close()


def follow(store: Store, settings: Settings, changed: list) -> None:
    """The `queries` view (`regiongraph.change.VIEWS`): the helpers of `store` started in
    this process prepare their public view for the new version while the server brings
    its other views up to date. Measured at 10k datasets: the first anonymous query after
    a 1% re-harvest waited 1.0-1.2 s for that preparation (the snapshot reopened, public
    nodes, the changed graphs' lines) on top of its own 0.1-0.2 s."""
    for processes in list(_processes.get(store, {}).values()):
        processes.prepare()


def settle(store: Store, settings: Settings, changed: list) -> None:
    """The `queries-settled` view, after every other: the helpers open their data again
    now, with every view's writes in it, and the change waits until they have (at most
    SETTLE_WAIT), so that its request answers once the first query after it can fork at
    once: measured at 10k datasets, a query sent right after a 1% re-harvest's answer
    still waited 0.2-0.5 s for that reopening (the public view's catch-up of the changed
    graphs, then the snapshot). A change of bookkeeping alone (a sign-in, the audit)
    shows no reader anything new, and does not wait."""
    from regiongraph.iri import is_bookkeeping

    shown = any(not is_bookkeeping(settings.base, str(getattr(g, "value", g)))
                for g in changed)
    for processes in list(_processes.get(store, {}).values()):
        processes.prepare(settled=True, wait=SETTLE_WAIT if shown else 0.0)


def seen_settled(store: Store, settings: Settings) -> int:
    from regiongraph import journal

    settled = _settled.get(store)
    return settled if settled is not None else journal.version(store, settings)


def mark_settled(store: Store, settings: Settings, version: int) -> None:
    if store in _settled:
        _settled[store] = max(_settled[store], version)


def seen_version(store: Store, settings: Settings) -> int:
    """The version last sent to the helpers; the store's own where no helper ran yet
    (nothing to prepare)."""
    from regiongraph import journal

    asked = _asked.get(store)
    return asked if asked is not None else journal.version(store, settings)


def mark_version(store: Store, settings: Settings, version: int) -> None:
    if store in _asked:
        _asked[store] = max(_asked[store], version)


class RunningQuery:
    """The server's end of one query process: the same items `QueueOutput.get` gives
    (`("start", note)`, `("data", bytes)`, `("end", rows)`, `("error", exception)`), and
    `cancel()`, which kills the process."""

    def __init__(self, sock: socket.socket, slots: Slots, client: str | None,
                 deadline: float) -> None:
        self.sock, self.slots, self.client, self.deadline = sock, slots, client, deadline
        self.timing: dict[str, float] = {}
        """Seconds the query waited for a slot ("wait"), to hand its ticket to the zygote
        ("send": the server's lock, a dump for a memory store), and for its process ("fork":
        the zygote preparing the data, then forking)."""
        self.pid: int | None = None
        self._pidfd: int | None = None
        self._timers: list[asyncio.TimerHandle] = []
        self._done = False
        self._level = 0
        """How many steps of `DEMOTION` the process has taken."""
        self._gone: asyncio.Future | None = None
        """Set when the killed process has exited (its pidfd turned readable)."""

    async def open(self, query: tuple, timeout: float) -> None:
        """Wait for the process, then send it `query` with its deadline: `timeout` seconds
        from now. The zygote's preparing the reader's view at a new version (as the server
        used to before a query started) does not count against the query's time limit."""
        loop = asyncio.get_running_loop()
        self.reader, self.writer = await asyncio.open_unix_connection(sock=self.sock)
        try:
            kind, data = await asyncio.wait_for(self._frame(), PREPARE_LIMIT)
        except TimeoutError:
            raise QueryTimeout(f"the query's data was still being prepared after "
                               f"{PREPARE_LIMIT:g} s; the query was not run") from None
        if kind != b"P":  # the zygote could not prepare the data (the error says why)
            raise _error(data)
        self.pid = int(data)
        self._pidfd = os.pidfd_open(self.pid)
        self.deadline = time.monotonic() + timeout
        payload = pickle.dumps((*query, self.deadline, timeout))
        self.writer.write(struct.pack(">I", len(payload)) + payload)
        await self.writer.drain()
        now, at = time.monotonic(), loop.time()
        self._timers = [loop.call_later(DEMOTE_CHECK, self._demote),
                        loop.call_at(at + self.deadline - now + KILL_GRACE, self.cancel)]

    def _left(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    async def _frame(self) -> tuple[bytes, bytes]:
        kind, size = _HEADER.unpack(await self.reader.readexactly(_HEADER.size))
        return kind, await self.reader.readexactly(size)

    async def get(self, timeout: float) -> tuple:
        """The next item; TimeoutError after `timeout` seconds without one."""
        try:
            kind, data = await asyncio.wait_for(self._frame(), timeout)
        except asyncio.IncompleteReadError:
            kind, data = b"X", b""
        if kind == b"S":
            return ("start", data.decode() if data else None)
        if kind == b"D":
            return ("data", data)
        self.cancel()  # finished or failed: the process goes, its slot is free
        if kind == b"E":
            return ("end", int(data) if data else None)
        return ("error", _error(data) if data else QueryProcessError(
            "the query process ended without an answer (stopped at its time limit, or it "
            "crashed); nothing else was affected"))

    def _demote(self) -> None:
        """Take the steps of `DEMOTION` the process's CPU time has reached; look again in
        `DEMOTE_CHECK` seconds until it is at `SCHED_IDLE`."""
        if self._done or self.pid is None:
            return
        try:
            used = _cpu_seconds(self.pid)
            while self._level < len(DEMOTION) and used >= DEMOTION[self._level][0]:
                nice = DEMOTION[self._level][1]
                if nice is None:
                    os.sched_setscheduler(self.pid, os.SCHED_IDLE, os.sched_param(0))
                else:
                    os.setpriority(os.PRIO_PROCESS, self.pid, nice)
                self._level += 1
        except OSError:  # already gone
            return
        if self._level < len(DEMOTION):
            self._timers.append(asyncio.get_running_loop().call_later(DEMOTE_CHECK,
                                                                      self._demote))

    def cancel(self) -> None:
        """Kill the process (if it still runs); its slot is freed once it has exited. Safe
        to call twice; `stopped()` waits for the exit."""
        if self._done:
            return
        self._done = True
        for timer in self._timers:
            timer.cancel()
        self.writer.close() if hasattr(self, "writer") else self.sock.close()
        if self._pidfd is None:  # no process known: it reads EOF on its channel and exits
            self.slots.release(self.client)
            return
        # A demoted (SCHED_IDLE) process gets almost no CPU on a busy machine, and a killed
        # process must run to exit: measured, its exit took up to 0.6 s beside one busy
        # core instead of 0.09 s. So it gets its normal share back first.
        try:
            os.sched_setscheduler(self.pid, os.SCHED_OTHER, os.sched_param(0))
            os.setpriority(os.PRIO_PROCESS, self.pid, 0)
        except OSError:  # gone already, or not ours to raise (unprivileged: EPERM)
            pass
        try:
            signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop to watch the exit from (shutting down): killed is enough
            os.close(self._pidfd)
            self._pidfd = None
            self.slots.release(self.client)
            return
        self._gone = loop.create_future()
        loop.add_reader(self._pidfd, self._exited)

    def _exited(self) -> None:
        """The process has exited (its pidfd is readable): its memory is back, its slot free."""
        assert self._pidfd is not None and self._gone is not None
        loop = asyncio.get_running_loop()
        loop.remove_reader(self._pidfd)
        os.close(self._pidfd)
        self._pidfd = None
        self.slots.release(self.client)
        if not self._gone.done():
            self._gone.set_result(None)

    async def stopped(self, timeout: float = EXIT_WAIT) -> bool:
        """Kill the process and wait until it has exited (at most `timeout` seconds), so an
        answer sent after this finds the query's CPU and memory free. True when it exited."""
        self.cancel()
        if self._gone is None:
            return True
        try:
            await asyncio.wait_for(asyncio.shield(self._gone), timeout)
        except TimeoutError:
            return False
        return True


def _cpu_seconds(pid: int) -> float:
    """User and system CPU seconds process `pid` has used (/proc/PID/stat fields 14, 15)."""
    with open(f"/proc/{pid}/stat", "rb") as stat:
        fields = stat.read().rsplit(b")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _error(data: bytes) -> BaseException:
    try:
        error = pickle.loads(data)
    except Exception:  # noqa: BLE001 - sent as text: a type that could not be pickled
        error = None
    if isinstance(error, BaseException):
        return error
    return QueryProcessError(data.decode("utf-8", "replace"))


# -- the zygote and its query processes ---------------------------------------------------


class _Data:
    """The zygote's stores: the data at one version, and the views read from it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.key: tuple | None = None
        self.store: Store | None = None
        self.provisional = False
        """The data was opened for a `prepare` ticket, while the server's later views were
        still writing: opened again for the next query."""

    def prepare(self, ticket: Ticket) -> None:
        """Bring the public view to `ticket.key`; a helper that holds none yet leaves it
        to its first anonymous query (a build whole holds up every other reader's fork
        meanwhile), unless asked to build it (`ticket.build`: at the server's start)."""
        from regiongraph.sparql import public

        if not ticket.build and (self.store is None or not public.holds_view(self.store)):
            return
        if ticket.settled:
            if ticket.key != self.key or self.provisional:
                self._refresh(ticket)
            return
        self.target(ticket)
        self.provisional = True

    def target(self, ticket: Ticket) -> Store:
        """The store `ticket.reader` reads, by the server's rule (`member.view_of`)."""
        if ticket.key != self.key or ticket.dump or self.provisional or self._outdated():
            self._refresh(ticket)
        assert self.store is not None
        self.settings.today = ticket.today  # the server's day, even if moved while it runs
        return view_of(self.store, self.settings, ticket.reader)

    def _outdated(self) -> bool:
        """The snapshot lost a file to the writer's compaction (`EmbeddedStore.outdated`)."""
        return self.store is not None and _is_embedded(self.store) and self.store.outdated()

    def _refresh(self, ticket: Ticket) -> None:
        from pyoxigraph import RdfFormat

        from regiongraph import visibility
        from regiongraph.sparql import public
        from regiongraph.store.embedded import EmbeddedStore

        if self.store is not None and not _is_embedded(self.store) and not ticket.dump:
            self.key = ticket.key  # a remote store answers live: its views follow the key
            return
        if ticket.dump:
            fresh: Store = EmbeddedStore(None)
            try:
                fresh.oxigraph.bulk_load(path=ticket.dump, format=RdfFormat.N_QUADS)
            finally:
                os.unlink(ticket.dump)
        else:
            fresh = open_store(self.settings, read_only=True)  # retried: EmbeddedStore
        old, self.store, self.key = self.store, None, None
        if old is not None:
            public.hand_over(old, fresh)  # the views catch up graph by graph
            hand_over(old, fresh)
            visibility.hand_over(old, fresh)
            old.close()
        self.store, self.key, self.provisional = fresh, ticket.key, False


def _is_embedded(store: Store) -> bool:
    from regiongraph.store.embedded import EmbeddedStore

    return isinstance(store, EmbeddedStore)


def _zygote(control_fd: int) -> None:
    control = socket.socket(fileno=control_fd)
    settings = Settings.model_validate_json(control.recv(_CONTROL_BYTES))
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps query processes
    _import_once()
    data = _Data(settings)
    while True:
        message, fds, _, _ = socket.recv_fds(control, _CONTROL_BYTES, 1)
        if not message:
            return  # the server is gone
        ticket: Ticket = pickle.loads(message)
        if ticket.prepare:
            try:
                data.prepare(ticket)
            except Exception:  # noqa: BLE001 - the next query prepares again, and says why
                data.provisional = True
            if ticket.ack is not None:
                control.send(str(ticket.ack).encode())  # done, or failed: nothing to wait for
            continue
        channel = socket.socket(fileno=fds[0])
        try:
            target = data.target(ticket)
        except Exception as error:  # noqa: BLE001 - this query fails, the zygote stays
            _send(channel, b"X", _pickled(error))
            channel.close()
            continue
        if os.fork() == 0:
            _query_process(channel, target)
        channel.close()


def _query_process(channel: socket.socket, target: Store) -> None:
    """In the forked process: run one query, stream it, wait for the server to close."""
    try:
        # The collector would walk (and so copy) every page of the zygote's heap.
        gc.disable()
        die_with_parent()
        for name in ("SIGINT", "SIGTERM", "SIGCHLD"):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
        _send(channel, b"P", str(os.getpid()).encode())
        (size,) = struct.unpack(">I", _read(channel, 4))
        job, fmt_name, graph, cap, deadline, timeout = pickle.loads(_read(channel, size))
        out = _SocketOutput(channel, deadline, timeout)
        try:
            from regiongraph.sparql_results import find_format

            fmt = find_format(fmt_name, graph=graph)
            out.finish(produce(evaluate(target, job), fmt, out, cap=cap, deadline=deadline,
                               timeout=timeout))
        except BrokenPipeError:
            pass
        except BaseException as error:  # noqa: BLE001 - sent to the server, which answers
            _send(channel, b"X", _pickled(error))
        channel.recv(1)  # until the server closes: the pid stays ours to kill until then
    finally:
        os._exit(0)  # never run the inherited stores' destructors (they would flush)


def _pickled(error: BaseException) -> bytes:
    error.__traceback__ = None
    try:
        return pickle.dumps(error)
    except Exception:  # noqa: BLE001 - not picklable: its name and message travel
        return f"{type(error).__name__}: {error}".encode()


def _import_once() -> None:
    """Import in the zygote what every query process needs, so that a fork does not pay
    for it again (each import is CPU and pages a query would spend before its first row)."""
    import regiongraph.sparql_results  # noqa: F401 - `find_format`, in every query process


def _send(channel: socket.socket, kind: bytes, data: bytes) -> None:
    channel.sendall(_HEADER.pack(kind, len(data)) + data)


def _read(channel: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = channel.recv(size - len(data))
        if not chunk:
            raise BrokenPipeError("the server closed the query channel")
        data += chunk
    return bytes(data)


class _SocketOutput(Output):
    """`produce` writes here, in the query process: framed chunks, bounded by the socket
    buffer (a slow client makes the process wait, not grow)."""

    CHUNK = 64 * 1024

    def __init__(self, channel: socket.socket, deadline: float, timeout: float) -> None:
        self.channel, self.deadline, self.timeout = channel, deadline, timeout
        self.buffer = bytearray()

    def start(self, note: str | None) -> None:
        _send(self.channel, b"S", (note or "").encode())

    def write(self, data: bytes) -> int:
        if time.monotonic() > self.deadline:
            raise QueryTimeout(f"the query ran longer than the time limit of {self.timeout:g} s "
                               "and was stopped")
        self.buffer += data
        if len(self.buffer) >= self.CHUNK:
            _send(self.channel, b"D", bytes(self.buffer))
            self.buffer.clear()
        return len(data)

    def finish(self, rows: int | None = None) -> None:
        """Flush, then end the stream with the number of rows or triples (the server
        counts them in its metrics: this process's own counters die with it)."""
        if self.buffer:
            _send(self.channel, b"D", bytes(self.buffer))
        _send(self.channel, b"E", b"" if rows is None else str(rows).encode())


if __name__ == "__main__":
    _zygote(int(sys.argv[1]))
