"""What the accounts modules share: the secret graph, hashes, direct writes.

Two kinds of write reach the accounts graph. Tokens and passwords are set by people on
purpose and go through the one change path (`apply_change`), journalled like any write.
Sessions, failed sign-ins and pending OpenID Connect sign-ins are traffic: one per
sign-in attempt. They are written with one SPARQL update each (atomic, in the store, so
every server process on the store sees them) and are not journalled: no derived view
reads the accounts graph, and a journal entry would move the store version that every
cache keys on, so each sign-in (or each guess of an attacker) would empty every cache.
"""

import hashlib

from pyoxigraph import NamedNode

from regiongraph.iri import ACCOUNTS_GRAPH, Minter
from regiongraph.settings import Settings
from regiongraph.store import Store


def accounts_graph(settings: Settings) -> NamedNode:
    return Minter(settings.base).graph(ACCOUNTS_GRAPH)


def digest(secret: str) -> str:
    """Hex SHA-256: enough at rest for secrets with 256 bits of entropy (tokens, session
    ids); people's passwords get argon2 instead (`passwords`)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def record_iri(kind: str, key: str) -> NamedNode:
    """An IRI for a secret record. Not minted under the base: nothing links to these, and
    they are never published."""
    return NamedNode(f"urn:regiongraph:{kind}:{key}")


def write_traffic(store: Store, update: str) -> None:
    """A sign-in traffic write (see the module docstring): one update, not journalled."""
    store.update(update)
