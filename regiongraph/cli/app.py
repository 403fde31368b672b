"""The typer application that every command module adds its commands to.

Command modules live beside this file and are discovered by `regiongraph.cli.main`,
so a new concern adds a module, not an edit here. They import heavy libraries
(pyshacl, networkx, rdflib) inside the command body: `--help` stays fast.
"""

from dataclasses import dataclass, field
from typing import Annotated

import typer
from rich.console import Console

from regiongraph.settings import Settings

app = typer.Typer(
    name="regiongraph",
    help="A knowledge graph of a region's public-sector data assets.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console(stderr=True, soft_wrap=True, highlight=False)
out = Console(soft_wrap=True, highlight=False)


@dataclass
class State:
    settings: Settings
    verbose: bool = False
    _store: object = field(default=None, repr=False)

    def store(self, *, read_only: bool = False, server_route: str | None = None):
        """Open the configured store once per command.

        `read_only`: the command only reads; beside a running server it reads a snapshot
        and says so. A writing command beside a server fails in one line that says how:
        stop the server, or send the change to it (`server_route`, with the admin token).
        """
        if self._store is None:
            from regiongraph.store import StoreBusyError, open_store

            try:
                self._store = open_store(self.settings, read_only=read_only)
            except StoreBusyError as busy:
                ask = (f", or ask the server: {server_route} with "
                       "`Authorization: Bearer $REGIONGRAPH_ADMIN_TOKEN`" if server_route else "")
                raise StoreBusyError(f"{busy}: stop it first{ask}") from None
            if self.snapshot:
                console.print(f"[yellow]note:[/yellow] {self.settings.store} is in use by another "
                              "process (a running `regiongraph serve`?); reading a snapshot taken now")
        return self._store

    @property
    def snapshot(self) -> bool:
        """True when the store is a read-only snapshot because a server holds it."""
        return bool(getattr(self._store, "read_only", False))

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


STATE: State | None = None


def state() -> State:
    assert STATE is not None, "the CLI callback sets the state before any command runs"
    return STATE


@app.callback()
def configure(
    store: Annotated[str | None, typer.Option(help="Store: a directory, 'memory', or a SPARQL URL [REGIONGRAPH_STORE].")] = None,
    base: Annotated[str | None, typer.Option(help="Base of minted IRIs [REGIONGRAPH_BASE].")] = None,
    update_url: Annotated[str | None, typer.Option(help="Remote SPARQL Update URL [REGIONGRAPH_UPDATE_URL].")] = None,
    gsp_url: Annotated[str | None, typer.Option(help="Remote Graph Store URL [REGIONGRAPH_GSP_URL].")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show tracebacks.")] = False,
) -> None:
    """Settings come from REGIONGRAPH_* variables; these flags override them."""
    global STATE
    settings = Settings().with_overrides(store=store, base=base, update_url=update_url, gsp_url=gsp_url)
    STATE = State(settings=settings, verbose=verbose)
