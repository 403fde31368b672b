"""Webhooks: a member's URL that receives their events, signed, retried, and stopped
after repeated failures.

Each delivery is a POST of the event as an ActivityStreams activity with headers:
`X-Regiongraph-Delivery` (the event IRI: the idempotency key, since delivery is
at-least-once), `X-Regiongraph-Event` (the kind), `X-Regiongraph-Timestamp` (Unix seconds)
and `X-Regiongraph-Signature: sha256=<hex>`, the HMAC-SHA256 with the webhook's secret of
`<timestamp>.<body>`. The secret is shown once, at registration, and kept in the secret
accounts graph (the server needs it to sign, so it cannot be hashed). A URL must pass the
harvest's address rule (`harvest.address`): loopback, private and link-local addresses are
refused unless `REGIONGRAPH_HARVEST_ALLOW_PRIVATE=1`.
"""

import datetime as dt
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

from pyoxigraph import Literal, NamedNode, Quad

from regiongraph.change import apply_change
from regiongraph.clock import now, stamp
from regiongraph.errors import RegiongraphError
from regiongraph.iri import ACCOUNTS_GRAPH, Minter
from regiongraph.namespaces import DCT, RDF, RG
from regiongraph.notify.events import events_graph
from regiongraph.settings import Settings
from regiongraph.store import Store


class WebhookError(RegiongraphError):
    """A webhook cannot be registered as asked; the message says why."""


@dataclass(frozen=True)
class Webhook:
    iri: str
    owner: str
    url: str
    scope: str
    """The person whose events it receives, or a community or project whose outbox it
    mirrors."""
    created: dt.datetime
    active: bool
    failures: int


def sign(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def check_url(url: str, settings: Settings) -> str:
    from regiongraph.harvest.address import checked_addresses
    from regiongraph.loaders.base import RefusedURL

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookError("a webhook URL is an http(s) URL with a host")
    try:
        checked_addresses(parts.hostname, parts.port or (443 if parts.scheme == "https"
                                                         else 80),
                          allow_private=settings.harvest_allow_private)
    except RefusedURL as error:
        raise WebhookError(f"webhook URL refused: {error}") from None
    except Exception as error:  # noqa: BLE001 - unresolvable hosts are the user's to fix
        raise WebhookError(f"webhook URL host does not resolve: {error}") from None
    return url


def register(store: Store, settings: Settings, owner: str, url: str,
             scope: str | None = None) -> tuple[Webhook, str]:
    """A new webhook of `owner`; returns it and its secret (shown once)."""
    check_url(url, settings)
    minter = Minter(settings.base)
    node = minter.iri("webhook", uuid.uuid4().hex)
    secret = secrets.token_urlsafe(32)
    created = now(precise=True)
    graph, secret_graph = events_graph(settings), minter.graph(ACCOUNTS_GRAPH)
    quads = [Quad(node, RDF.type, RG.Webhook, graph),
             Quad(node, RG.webhookOwner, NamedNode(owner), graph),
             Quad(node, RG.callback, Literal(url), graph),
             Quad(node, RG.webhookScope, NamedNode(scope or owner), graph),
             Quad(node, DCT.created, stamp(created), graph),
             Quad(node, RG.webhookActive, Literal(True), graph),
             Quad(node, RG.webhookSecret, Literal(secret), secret_graph)]

    def write() -> list[NamedNode]:
        store.add(quads)
        return [graph, secret_graph]

    apply_change(store, settings, "notify", write)
    return Webhook(node.value, owner, url, scope or owner, created, True, 0), secret


def webhooks(store: Store, settings: Settings, *, owner: str | None = None,
             active_only: bool = False) -> list[Webhook]:
    where = f"?h {RG.webhookOwner} <{owner}> ." if owner else ""
    rows = store.query(f"""
SELECT ?h ?owner ?url ?scope ?created ?active ?failures WHERE {{
  GRAPH {events_graph(settings)} {{
    {where}
    ?h a {RG.Webhook} ; {RG.webhookOwner} ?owner ; {RG.callback} ?url ;
       {RG.webhookScope} ?scope ; {DCT.created} ?created ; {RG.webhookActive} ?active .
    OPTIONAL {{ ?h {RG.consecutiveFailures} ?failures }}
  }} }} ORDER BY ?created""")
    found = [Webhook(row["h"].value, row["owner"].value, row["url"].value, row["scope"].value,
                     dt.datetime.fromisoformat(row["created"].value),
                     row["active"].value == "true",
                     int(row["failures"].value) if row["failures"] else 0)
             for row in rows]
    return [hook for hook in found if hook.active or not active_only]


def secret_of(store: Store, settings: Settings, hook: str) -> str:
    graph = Minter(settings.base).graph(ACCOUNTS_GRAPH)
    rows = store.query(f"SELECT ?s WHERE {{ GRAPH {graph} {{ <{hook}> {RG.webhookSecret} ?s }} }}")
    return next(iter(rows))["s"].value


def remove(store: Store, settings: Settings, owner: str, hook: str) -> bool:
    """Delete one of `owner`'s webhooks (its delivery log stays)."""
    if not any(h.iri == hook for h in webhooks(store, settings, owner=owner)):
        return False
    graph, secret_graph = events_graph(settings), Minter(settings.base).graph(ACCOUNTS_GRAPH)

    def write() -> list[NamedNode]:
        store.update(f"DELETE WHERE {{ GRAPH {graph} {{ <{hook}> ?p ?o }} }};\n"
                     f"DELETE WHERE {{ GRAPH {secret_graph} {{ <{hook}> ?p ?o }} }}")
        return [graph, secret_graph]

    apply_change(store, settings, "notify", write)
    return True
