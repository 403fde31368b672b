"""The store behind one interface, with the backend picked once from the settings.

`open_store(settings)` returns an embedded Oxigraph on disk (a directory path, the
default), an in-memory Oxigraph (`memory`), or a remote SPARQL 1.1 server (an http(s)
query URL). Callers never ask which: the kernel, exports and analyses use `Store`.
"""

from pathlib import Path

from pyoxigraph import Literal, Quad

from regiongraph.settings import Settings
from regiongraph.store.base import (
    GraphCounts,
    Store,
    StoreBusyError,
    StoreError,
    TripleResults,
    linked,
    one_update,
)


def served(store: Store) -> None:
    """Mark `store` as the one a server shares between its threads: a first harvest's bulk
    load then stays in the server (`EmbeddedStore.load_alone`). Handing the store to a
    helper process means closing the writer's handle, which closes only with its last
    user, and a thread-shared process cannot promise one: pyoxigraph's query results and
    quad iterators are "unsendable" (pyo3), so one that becomes cyclic garbage and is
    collected by the garbage collector on another thread is leaked, not dropped, and keeps
    the store open for the life of the process (measured: an unfinished `QuerySolutions`
    in a cycle, collected on the main thread: the handover waits for ever; collected on
    its own thread: it completes). The 32-client soak hung that way."""
    if hasattr(store, "loads_alone"):
        store.loads_alone = False  # type: ignore[attr-defined]


def open_store(settings: Settings, *, read_only: bool = False) -> Store:
    """The configured store, refused if its data was minted under another base.

    `read_only`: the caller only reads. An embedded store another process holds (a running
    `regiongraph serve`) then opens as a snapshot taken now (its `read_only` is True)
    instead of failing; a free one opens as usual, so leftovers of killed writes are
    cleaned and a new directory is created.
    """
    store = _open_backend(settings, read_only=read_only)
    try:
        check_base(store, settings)
        check_model_version(store, settings)
    except BaseException:
        store.close()
        raise
    return store


def _open_backend(settings: Settings, *, read_only: bool) -> Store:
    location = settings.store
    if location == "memory":
        from regiongraph.store.embedded import EmbeddedStore

        return EmbeddedStore(None)
    if location.startswith(("http://", "https://")):
        from regiongraph.store.remote import RemoteStore

        return RemoteStore(location, update_url=settings.update_url, gsp_url=settings.gsp_url)
    from regiongraph.store.embedded import EmbeddedStore

    try:
        return EmbeddedStore(location)
    except StoreBusyError:
        if not read_only:
            raise
        return EmbeddedStore(location, read_only=True)


def _base_record(settings: Settings) -> tuple[str, object]:
    """The normalised base, and the meta graph that records it."""
    from regiongraph.iri import META_GRAPH, Minter

    minter = Minter(settings.base)
    return minter.base, minter.graph(META_GRAPH)


def recorded_base(store: Store) -> str | None:
    """The base the store's data was minted under; None for an empty store (no base yet).

    Read from any graph that records it about itself: the meta graph's name depends on
    the base, so looking it up under the current base would miss exactly the mismatch.
    """
    from regiongraph.namespaces import RG

    rows = store.query(f"SELECT ?base WHERE {{ GRAPH ?g {{ ?g <{RG.storeBase.value}> ?base }} }} "
                       "LIMIT 1")
    return next((row["base"].value for row in rows), None)


def check_base(store: Store, settings: Settings) -> None:
    base, _ = _base_record(settings)
    recorded = recorded_base(store)
    if recorded is not None and recorded != base:
        raise StoreError(
            f"the store {settings.store} was loaded with REGIONGRAPH_BASE={recorded}, not {base}: "
            f"its IRIs would not be found; set REGIONGRAPH_BASE={recorded} (or --base), "
            f"or load the data again into a new store under {base}")


def record_base(store: Store, settings: Settings) -> None:
    """Keep the base in the meta graph once the store holds data (the pipeline calls this)."""
    from regiongraph.namespaces import RG

    if recorded_base(store) is not None or not bool(store.query("ASK { GRAPH ?g { ?s ?p ?o } }")):
        return
    base, meta = _base_record(settings)
    quads = [Quad(meta, RG.storeBase, Literal(base), meta)]
    if recorded_model_version(store) is None:  # a fresh store holds today's model
        quads.append(Quad(meta, RG.dataModelVersion, Literal(DATA_MODEL_VERSION), meta))
    store.add(quads)


DATA_MODEL_VERSION = 1
"""The version of the data model this code writes and reads (`regiongraph.migrate` has a
step to it from each older one). A store records its own as `rg:dataModelVersion` on
its meta graph; a store with data and no record holds version 0."""


def recorded_model_version(store: Store) -> int | None:
    """The data model version the store records; None when it records none."""
    from regiongraph.namespaces import RG

    rows = store.query(f"SELECT ?v WHERE {{ GRAPH ?g {{ ?g <{RG.dataModelVersion.value}> ?v }} }}")
    return max((int(row["v"].value) for row in rows), default=None)


def model_version(store: Store) -> int:
    """The data model version the store holds: recorded, 0 for older data, and for an
    empty store today's (the first write records it)."""
    recorded = recorded_model_version(store)
    if recorded is not None:
        return recorded
    return 0 if bool(store.query("ASK { GRAPH ?g { ?s ?p ?o } }")) else DATA_MODEL_VERSION


def check_model_version(store: Store, settings: Settings) -> None:
    recorded = recorded_model_version(store)
    if recorded is not None and recorded > DATA_MODEL_VERSION:
        raise StoreError(
            f"the store {settings.store} holds data model version {recorded}, newer than "
            f"this regiongraph's {DATA_MODEL_VERSION}: upgrade regiongraph, or open a backup "
            "made before the upgrade; the store was not changed")


def set_model_version(store: Store, settings: Settings, version: int) -> None:
    """Record `version` as the store's data model version (a migration step's last act)."""
    from regiongraph.namespaces import RG

    _, meta = _base_record(settings)
    store.update(f"""
DELETE WHERE {{ GRAPH {meta} {{ {meta} <{RG.dataModelVersion.value}> ?v }} }} ;
INSERT DATA {{ GRAPH {meta} {{ {meta} <{RG.dataModelVersion.value}> {int(version)} }} }}""")


def backup(store: Store, target: Path) -> None:
    """Copy the live store into the new directory `target`, consistent as of now.

    Only an embedded store on disk has one (RocksDB checkpoint: hard links on the same
    file system, so it is quick and small); others are refused in one line.
    """
    make = getattr(store, "backup", None)
    if make is None:
        raise StoreError(f"{store.description} cannot be backed up from here: back up the "
                         "remote server with its own tools, or use `regiongraph dump`")
    from regiongraph.audit import flush

    flush(store)  # the audit's pending records belong in the copy
    make(target)


__all__ = [
    "DATA_MODEL_VERSION", "GraphCounts", "Store", "StoreBusyError", "StoreError",
    "TripleResults", "backup", "check_base", "check_model_version", "linked", "model_version",
    "one_update", "open_store", "record_base", "recorded_base", "recorded_model_version",
    "served", "set_model_version",
]
