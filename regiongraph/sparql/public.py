"""The public view: a separate in-memory store holding only what anonymous users may see.

Why a separate store and not query rewriting or filters: a SPARQL query can reach any
triple of the store it runs on through `GRAPH ?g`, `FROM NAMED`, `DESCRIBE`, property
paths, aggregates or `COUNT`s that reveal that something exists. Rewriting every such
route safely is a losing game; running anonymous queries against a store that simply
does not hold private triples closes all of them at once. `regiongraph.visibility`
decides which quads are public (public access level and an approval to publish in
force); this module only copies them into a pyoxigraph memory store.

The copy is a cache of the one change path (`regiongraph.change.VersionedCache`): it is
kept until the store version or the day moves, whichever process wrote. A rebuild is
built beside the old view and swapped in, so queries already running finish on the view
they started with.
"""

from regiongraph.change import VersionedCache
from regiongraph.settings import Settings
from regiongraph.store import Store
from regiongraph.store.embedded import EmbeddedStore


def build_public_store(store: Store, settings: Settings) -> EmbeddedStore:
    """A new memory store holding exactly `visibility.public_quads(store, settings)`."""
    from regiongraph.visibility import public_quads

    view = EmbeddedStore(None)
    view.oxigraph.bulk_extend(public_quads(store, settings))
    return view


_views: VersionedCache[EmbeddedStore] = VersionedCache(build_public_store)


def public_store(store: Store, settings: Settings) -> Store:
    """The public view of `store`, rebuilt first if the store changed since it was built."""
    return _views.get(store, settings)
