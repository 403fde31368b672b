"""Operating commands: backup (beside a running server too) and migrate."""

from pathlib import Path
from typing import Annotated

import typer

from regiongraph.cli.app import app, console, state
from regiongraph.errors import RegiongraphError


@app.command()
def backup(
    directory: Annotated[Path, typer.Argument(help="A new directory for the copy.")],
    server: Annotated[str | None, typer.Option(
        help="URL of the `regiongraph serve` holding the store (default: "
             "http://REGIONGRAPH_HOST:REGIONGRAPH_PORT).")] = None,
) -> None:
    """Copy the embedded store into a new directory, consistent as of now; open the copy
    as a store (`--store DIR`) to restore. Beside a running server, the server makes the
    copy (`POST /admin/backup`, with $REGIONGRAPH_ADMIN_TOKEN)."""
    import time

    from regiongraph.store import StoreBusyError
    from regiongraph.store import backup as make_backup

    current = state()
    target = directory.resolve()
    started = time.perf_counter()
    try:
        store = current.store()
    except StoreBusyError:
        url = _ask_server(server, target)
        console.print(f"{current.settings.store} copied to {target} by the server at {url} "
                      f"in {time.perf_counter() - started:.2f} s")
        return
    make_backup(store, target)
    console.print(f"{current.settings.store} copied to {target} "
                  f"in {time.perf_counter() - started:.2f} s")


def _ask_server(server: str | None, target: Path) -> str:
    import httpx

    settings = state().settings
    url = (server or f"http://{settings.host}:{settings.port}").rstrip("/")
    if not settings.admin_token:
        raise RegiongraphError(f"the store {settings.store} is held by a running server: set "
                               "REGIONGRAPH_ADMIN_TOKEN so the backup can ask it "
                               f"(POST {url}/admin/backup); nothing was written")
    try:
        answer = httpx.post(f"{url}/admin/backup", json={"directory": str(target)},
                            headers={"Authorization": f"Bearer {settings.admin_token}"},
                            timeout=None)
    except httpx.HTTPError as error:
        raise RegiongraphError(f"the store {settings.store} is held by another process, and "
                               f"no server answered at {url} ({error}); give --server URL; "
                               "nothing was written") from None
    if answer.status_code != 201:
        detail = answer.json().get("detail") if answer.headers.get(
            "content-type", "").startswith("application/json") else answer.text
        raise RegiongraphError(f"the server at {url} refused the backup: "
                               f"{answer.status_code} {detail}")
    return url


@app.command()
def migrate() -> None:
    """Bring the store's data model forward to this regiongraph's (stop the server first:
    each step is a journalled change)."""
    from regiongraph.cli.core import _report_failures
    from regiongraph.migrate import migrate as run

    current = state()
    done = run(current.store(), current.settings)
    for step in done.steps:
        console.print(f"migrated {step}")
    if not done.steps:
        console.print(f"{current.settings.store} already holds data model version {done.now}")
    else:
        console.print(f"{current.settings.store} now holds data model version {done.now}")
    _report_failures(done.failures)
