"""Member views: one in-memory store per member tier, kept like the public view.

A member's queries run, as anonymous ones do (`regiongraph.sparql.public`), against a
store that holds only what they may see, so `GRAPH ?g`, `FROM NAMED`, `DESCRIBE`, paths
and counts cannot reach anything else. `regiongraph.membership` decides the nodes; the
view is built once per tier (the (community, role) pairs, never the person: everyone in
the same roles shares it) from a copy of the public view, then follows the one change path exactly as the public view
does (`public.catch_up`, keyed on `change.cache_key` with the service's day), re-reading
only the graphs that changed or mention a node whose standing moved. When an agreement
lapses the day moves, the granted nodes shrink, and the graphs mentioning them are
re-read on the next request.

Which store a principal reads (`view_for`): the whole store for the alliance steward, the
tier's view for a member with roles, the public view for everyone else.
"""

from __future__ import annotations

import threading
import weakref

from regiongraph.accounts.principal import Principal
from regiongraph.membership import Tier, member_nodes, service_day, tier_of, view_key
from regiongraph.settings import Settings
from regiongraph.sparql.public import KeptView, catch_up, kept_public, public_store
from regiongraph.store import Store
from regiongraph.store.embedded import EmbeddedStore

_views: weakref.WeakKeyDictionary[object, dict[Tier, KeptView]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def member_store(store: Store, settings: Settings, tier: Tier) -> Store:
    """The tier's view of `store`, caught up first if the store or the day moved."""
    key = view_key(store, settings)
    kept = _views.get(store, {}).get(tier)
    if kept is not None and kept.key == key:
        return kept.view

    def nodes_of(store: Store, settings: Settings):
        return member_nodes(store, settings, tier, service_day(settings))

    with _lock:
        tiers = _views.setdefault(store, {})
        kept = tiers.get(tier)
        if kept is None or key[0] < kept.key[0]:
            kept = tiers[tier] = _from_public(store, settings, key, nodes_of)
        elif kept.key != key:
            catch_up(store, settings, kept, key, nodes_of)
        return kept.view


def _from_public(store: Store, settings: Settings, key: tuple[int, str], nodes_of) -> KeptView:
    """A tier's view, built from a copy of the public view: a member sees every public
    quad (their nodes only add to the public ones), so only the graphs that mention a node
    whose standing differs for the tier are read again (`public.catch_up`)."""
    public = kept_public(store, settings)
    copy = EmbeddedStore(None)
    copy.oxigraph.bulk_extend(public.view.oxigraph)
    kept = KeptView(key=public.key, view=copy, nodes=public.nodes, lines=dict(public.lines))
    catch_up(store, settings, kept, key, nodes_of)
    return kept


STEWARD = "steward"
"""The reader who sees everything but the sign-in secrets (`reader_of`)."""
Reader = Tier | str
"""What decides the store a principal reads: `STEWARD`, or their tier (no pairs: the
public view). Never the person or their token: a query process is sent only this."""


def reader_of(principal: Principal) -> Reader:
    return STEWARD if principal.alliance_steward else tier_of(principal)


def view_for(store: Store, settings: Settings, principal: Principal) -> Store:
    """The store `principal` may read (see the module docstring)."""
    return view_of(store, settings, reader_of(principal))


def view_of(store: Store, settings: Settings, reader: Reader) -> Store:
    """The store `reader` (`reader_of`) may read: the rule of `view_for`, also followed by
    the query processes' helper (`regiongraph.sparql.workers`), which is sent the reader."""
    if reader == STEWARD:
        from regiongraph.accounts.secrecy import without_secrets

        return without_secrets(store, settings)  # everything but the sign-in secrets
    assert isinstance(reader, Tier)
    if not reader.pairs:
        return public_store(store, settings)
    return member_store(store, settings, reader)


def hand_over(old: Store, new: Store) -> None:
    """`new` holds `old`'s data at a later version (the query helper's read-only snapshot,
    opened again): the tier views of `old` follow `new`, catching up from the journal."""
    with _lock:
        tiers = _views.pop(old, None)
        if tiers is not None:
            _views[new] = tiers
