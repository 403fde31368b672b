"""The store behind one interface, with the backend picked once from the settings.

`open_store(settings)` returns an embedded Oxigraph on disk (a directory path, the
default), an in-memory Oxigraph (`memory`), or a remote SPARQL 1.1 server (an http(s)
query URL). Callers never ask which: the kernel, exports and analyses use `Store`.
"""

from regiongraph.settings import Settings
from regiongraph.store.base import (
    GraphCounts,
    Store,
    StoreBusyError,
    StoreError,
    TripleResults,
)


def open_store(settings: Settings, *, read_only: bool = False) -> Store:
    location = settings.store
    if location == "memory":
        from regiongraph.store.embedded import EmbeddedStore

        return EmbeddedStore(None)
    if location.startswith(("http://", "https://")):
        from regiongraph.store.remote import RemoteStore

        return RemoteStore(location, update_url=settings.update_url, gsp_url=settings.gsp_url)
    from regiongraph.store.embedded import EmbeddedStore

    return EmbeddedStore(location, read_only=read_only)


__all__ = [
    "GraphCounts", "Store", "StoreBusyError", "StoreError", "TripleResults", "open_store",
]
