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
- the public view, built from that data by the same kernel function the server uses
  (`regiongraph.sparql.public.public_store`), keyed by the store version and the day.

Each query sends the zygote the version it must see (`change.cache_key`), so a query never
reads older data than the server. Queries for a remote store are HTTP requests: the work is
the remote server's, so they run in the server's threads as before (the public view of a
remote store is local, and does run here).

Queries get a fresh process each at normal priority; one still running after
`DEMOTE_AFTER` seconds is moved to `SCHED_IDLE`, so runaways use only the CPU normal
queries leave. At most `REGIONGRAPH_QUERY_WORKERS` run at once; more wait for a slot until
their deadline.
"""

import asyncio
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
from dataclasses import dataclass

from regiongraph.settings import Settings
from regiongraph.sparql.execute import Output, QueryJob, QueryTimeout, evaluate, produce
from regiongraph.store import Store

DEMOTE_AFTER = 0.5
"""Seconds a query runs at normal priority; longer ones yield the CPU to new queries."""
KILL_GRACE = 1.0
"""Seconds past its deadline a query process gets to send its own time-out before it is
killed (it checks the deadline between rows; a query computing its first row cannot)."""
_HEADER = struct.Struct(">cI")
_CONTROL_BYTES = 1 << 16


class QueryProcessError(RuntimeError):
    """The query process ended without an answer (killed, or crashed in pyoxigraph)."""


@dataclass(frozen=True)
class Ticket:
    """What the zygote needs before it forks: which data, at which version."""

    key: tuple
    public: bool
    dump: str | None = None
    """A memory store's N-Quads dump at `key`, when the zygote does not hold that key yet."""


# -- the server side ------------------------------------------------------------------------


def isolated(store: Store) -> bool:
    """True when queries on `store` run in killable processes (every pyoxigraph store)."""
    from regiongraph.store.embedded import EmbeddedStore

    return isinstance(store, EmbeddedStore)


class QueryProcesses:
    """The server's handle on its zygote, one per open store (`for_store`)."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self._store = weakref.ref(store)
        self.settings = settings
        self._lock = threading.Lock()
        self._zygote: subprocess.Popen | None = None
        self._control: socket.socket | None = None
        self._shipped: tuple | None = None
        self._slots: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}

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

    def _ticket(self, public: bool) -> Ticket:
        """Runs in a worker thread: the version to see, and a dump if the zygote lacks it."""
        from regiongraph.change import cache_key

        store = self._store()
        assert store is not None
        key = cache_key(store, self.settings)
        if getattr(store, "path", None) is not None or key == self._shipped:
            return Ticket(key, public)
        handle, dump = tempfile.mkstemp(prefix="regiongraph-dump-", suffix=".nq")
        with os.fdopen(handle, "wb") as output:
            store.dump(output)
        self._shipped = key
        return Ticket(key, public, dump)

    def _send(self, public: bool, theirs: socket.socket) -> None:
        with self._lock:
            for attempt in (1, 2):
                control = self._ensure_zygote()
                ticket = self._ticket(public)
                try:
                    socket.send_fds(control, [pickle.dumps(ticket)], [theirs.fileno()])
                    return
                except OSError:
                    if ticket.dump:
                        os.unlink(ticket.dump)
                    self.close()  # the zygote died: start a new one, once
                    if attempt == 2:
                        raise

    async def start(self, job: QueryJob, *, public: bool, fmt_name: str, graph: bool,
                    cap: int | None, deadline: float, timeout: float) -> "RunningQuery":
        """Fork a process for `job` and return its stream of items (see `RunningQuery`)."""
        loop = asyncio.get_running_loop()
        slots = self._slots.setdefault(loop, asyncio.Semaphore(self.settings.query_workers))
        try:
            await asyncio.wait_for(slots.acquire(), max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            raise QueryTimeout(f"the query waited for a free worker longer than the time limit "
                               f"of {timeout:g} s (REGIONGRAPH_QUERY_WORKERS="
                               f"{self.settings.query_workers} were busy)") from None
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            with theirs:
                await loop.run_in_executor(None, self._send, public, theirs)
            running = RunningQuery(ours, slots, deadline)
            await running.open(pickle.dumps((job, fmt_name, graph, cap, deadline, timeout)))
        except BaseException:
            ours.close()
            slots.release()
            raise
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


_processes: "weakref.WeakKeyDictionary[object, QueryProcesses]" = weakref.WeakKeyDictionary()
_processes_lock = threading.Lock()


def for_store(store: Store, settings: Settings) -> QueryProcesses:
    """The query processes of `store` (started on first use, stopped when it goes)."""
    with _processes_lock:
        found = _processes.get(store)
        if found is None:
            found = _processes[store] = QueryProcesses(store, settings)
            weakref.finalize(store, found.close)
        return found


class RunningQuery:
    """The server's end of one query process: the same items `QueueOutput.get` gives
    (`("start", note)`, `("data", bytes)`, `("end", rows)`, `("error", exception)`), and
    `cancel()`, which kills the process."""

    def __init__(self, sock: socket.socket, slots: asyncio.Semaphore, deadline: float) -> None:
        self.sock, self.slots, self.deadline = sock, slots, deadline
        self.pid: int | None = None
        self._pidfd: int | None = None
        self._timers: list[asyncio.TimerHandle] = []
        self._done = False

    async def open(self, payload: bytes) -> None:
        loop = asyncio.get_running_loop()
        self.reader, self.writer = await asyncio.open_unix_connection(sock=self.sock)
        kind, data = await asyncio.wait_for(self._frame(), self._left() + KILL_GRACE)
        if kind != b"P":  # the zygote could not prepare the data (the error says why)
            raise _error(data)
        self.pid = int(data)
        self._pidfd = os.pidfd_open(self.pid)
        self.writer.write(struct.pack(">I", len(payload)) + payload)
        await self.writer.drain()
        now, at = time.monotonic(), loop.time()
        self._timers = [loop.call_later(DEMOTE_AFTER, self._demote),
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
        if not self._done and self.pid is not None:
            try:
                os.sched_setscheduler(self.pid, os.SCHED_IDLE, os.sched_param(0))
            except OSError:  # already gone
                pass

    def cancel(self) -> None:
        """Kill the process (if it still runs) and free its slot; safe to call twice."""
        if self._done:
            return
        self._done = True
        for timer in self._timers:
            timer.cancel()
        if self._pidfd is not None:
            try:
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
            except ProcessLookupError:
                pass
            os.close(self._pidfd)
        self.writer.close() if hasattr(self, "writer") else self.sock.close()
        self.slots.release()


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
    """The zygote's stores: the data at one version, and its public view."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.key: tuple | None = None
        self.store: Store | None = None

    def target(self, ticket: Ticket) -> Store:
        if ticket.key != self.key or ticket.dump:
            self._refresh(ticket)
        assert self.store is not None
        if not ticket.public:
            return self.store
        from regiongraph.sparql.public import public_store

        return public_store(self.store, self.settings)

    def _refresh(self, ticket: Ticket) -> None:
        from pyoxigraph import RdfFormat

        from regiongraph.store import open_store
        from regiongraph.store.embedded import EmbeddedStore

        old, self.store, self.key = self.store, None, None
        if old is not None:
            old.close()
        location = self.settings.store
        if ticket.dump:
            fresh = EmbeddedStore(None)
            try:
                fresh.oxigraph.bulk_load(path=ticket.dump, format=RdfFormat.N_QUADS)
            finally:
                os.unlink(ticket.dump)
        elif location.startswith(("http://", "https://")):
            fresh = open_store(self.settings, read_only=True)
        else:
            fresh = EmbeddedStore(location, read_only=True)
        self.store, self.key = fresh, ticket.key


def _zygote(control_fd: int) -> None:
    control = socket.socket(fileno=control_fd)
    settings = Settings.model_validate_json(control.recv(_CONTROL_BYTES))
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps query processes
    data = _Data(settings)
    while True:
        message, fds, _, _ = socket.recv_fds(control, _CONTROL_BYTES, 1)
        if not message:
            return  # the server is gone
        channel = socket.socket(fileno=fds[0])
        ticket: Ticket = pickle.loads(message)
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
        _die_with_parent()
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


def _die_with_parent() -> None:
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGKILL)


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
