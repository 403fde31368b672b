"""Real servers for tests: uvicorn on loopback, `oxigraph serve`, plain file servers."""

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import httpx

SHARED = Path(__file__).resolve().parents[2] / "shared"
"""../shared beside the checkout: the official schemas, shapes and real catalogs the tests
compare against (the repository is cloned beside it)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up within {timeout}s")


@contextlib.contextmanager
def serve_app(app) -> Iterator[str]:
    """Run an ASGI app with uvicorn in a thread on a free loopback port."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def oxigraph_binary() -> str:
    found = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    if not Path(found).exists():
        raise RuntimeError("the `oxigraph` server binary is missing: pip install oxigraph")
    return found


@contextlib.contextmanager
def oxigraph_server(location: Path | None = None) -> Iterator[str]:
    """A real `oxigraph serve` process on loopback; yields its base URL."""
    port = free_port()
    command = [oxigraph_binary(), "serve", "--bind", f"127.0.0.1:{port}"]
    if location is not None:
        command += ["--location", str(location)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url + "/query")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextlib.contextmanager
def regiongraph_server(store: Path | str, *args: str, env: dict[str, str] | None = None,
                       log: Path | None = None) -> Iterator[str]:
    """A real `regiongraph serve` process on a store (a directory or a remote query URL,
    with its other settings in `env`); yields its base URL. Its stderr (the JSON logs) goes
    to `log`, or a temporary file: a pipe nobody reads fills up and stops the server."""
    port = free_port()
    command = [sys.executable, "-m", "regiongraph", "--store", str(store), *args,
               "serve", "--port", str(port)]
    with (log.open("wb") if log else tempfile.TemporaryFile()) as sink:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=sink,
                                   env={**os.environ, **(env or {})})
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(url + "/health", timeout=60)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=30)


VIRTUOSO_INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
Striping = 0
TempStorage = TempDatabase
[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
Striping = 0
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
CheckpointInterval = 0
CaseMode = 2
DirsAllowed = {dir}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
VADInstallDir = {dir}
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}
ServerThreads = 10
MaxClientConnections = 10
Charset = UTF-8
EnabledGzipContent = 0
[URIQA]
DynamicLocal = 0
[SPARQL]
ResultSetMaxRows = 10000000
MaxQueryExecutionTime = 0
MaxQueryCostEstimationTime = 0
"""
"""A private Virtuoso 7: loopback only, files in one temp dir, and no silent truncation
(the package's ResultSetMaxRows 10000 and MaxQueryExecutionTime 60 cut results short)."""


@contextlib.contextmanager
def virtuoso_server(directory: Path, attempts: int = 3) -> Iterator[str]:
    """A real Virtuoso 7 (`virtuoso-t`, Debian's virtuoso-opensource) on loopback, with
    SPARQL update granted to its endpoint user; yields its base URL (/sparql,
    /sparql-graph-crud).

    A new database takes about 12 s to come up. Now and then (under load) virtuoso-t
    hangs at start with an empty log: such a start is killed and tried again afresh.
    """
    for attempt in range(1, attempts + 1):
        home = directory / f"start{attempt}"
        home.mkdir()
        try:
            process, url = _start_virtuoso(home)
            break
        except RuntimeError:
            if attempt == attempts:
                raise
    try:
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)


def _start_virtuoso(home: Path) -> tuple[subprocess.Popen, str]:
    binary = shutil.which("virtuoso-t")
    if binary is None:
        raise RuntimeError("the Virtuoso server is missing: apt-get install virtuoso-opensource")
    sql_port, http_port = free_port(), free_port()
    ini = home / "virtuoso.ini"
    ini.write_text(VIRTUOSO_INI.format(dir=home, sql_port=sql_port, http_port=http_port))
    process = subprocess.Popen([binary, "-f", "-c", str(ini)], cwd=home,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{http_port}"
    try:
        wait_until_up(url + "/sparql?query=ASK%7B%7D", timeout=60)
        subprocess.run(["isql-vt", f"127.0.0.1:{sql_port}", "dba", "dba",
                        'exec=GRANT SPARQL_UPDATE TO "SPARQL";'],
                       check=True, capture_output=True, timeout=60)
    except BaseException:
        process.kill()
        process.wait(timeout=30)
        raise
    return process, url


REMOTE_PATHS = {"oxigraph": ("/query", "/update", "/store"),
                "virtuoso": ("/sparql", "/sparql", "/sparql-graph-crud")}
"""Query, update and Graph Store paths of each engine the remote tests run against."""


def remote_settings(engine: str, url: str) -> dict[str, str]:
    """The `Settings` fields (store, update_url, gsp_url) for a server of `engine` at `url`."""
    query, update, gsp = REMOTE_PATHS[engine]
    return {"store": url + query, "update_url": url + update, "gsp_url": url + gsp}


def clear_remote(store) -> None:
    """Empty a remote store between tests, graph by graph: `DROP ALL` cannot, as Virtuoso
    7.2.5 answers it with success and drops nothing (tests/store/test_virtuoso.py)."""
    drops = [f"DROP SILENT GRAPH <{name}>" if name else "DROP SILENT DEFAULT"
             for name in store.graphs()]
    if drops:
        store.update(" ;\n".join(drops))


class Watch:
    """Console errors, page errors and off-host requests seen by one browser context."""

    def __init__(self, context) -> None:
        self.errors: list[str] = []
        self.outside: list[str] = []
        context.route("**/*", self._route)

    def _route(self, route) -> None:
        host = urlparse(route.request.url).hostname
        if host not in ("127.0.0.1", "localhost"):
            self.outside.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    def attach(self, page) -> None:
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
