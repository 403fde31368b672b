"""Personal API tokens: created, listed and revoked by their owner; only a hash is kept.

A token is `rgt_<id>_<secret>`: the id names the record (so its owner can list and revoke
it without the secret), the secret is 32 random bytes. Tokens carry that much entropy, so a
SHA-256 of the whole token is enough at rest (a slow password hash is for passwords people
choose). Records live in the secret accounts graph and are written through the one change
path, so a token issued through one server works on every server of the store.
"""

import datetime as dt
import hmac
import re
import secrets
from dataclasses import dataclass

from pyoxigraph import Literal, NamedNode, Quad

from regiongraph.accounts.principal import Principal, principal_for_person
from regiongraph.accounts.records import accounts_graph as _graph
from regiongraph.accounts.records import digest as _digest
from regiongraph.change import apply_change
from regiongraph.clock import now as _now
from regiongraph.clock import parse_stamp as _parse
from regiongraph.clock import stamp as _stamp
from regiongraph.iri import Minter
from regiongraph.namespaces import DCT, RDF, RG
from regiongraph.settings import Settings
from regiongraph.store import Store

SCOPES = ("read", "write")
TOKEN_PATTERN = re.compile(r"^rgt_([a-z0-9]{12})_([A-Za-z0-9_-]{20,})$")


@dataclass(frozen=True)
class TokenInfo:
    """What an owner sees of a token: never its secret or hash."""

    id: str
    owner: str
    label: str
    scope: str
    created: dt.datetime
    expires: dt.datetime
    revoked: bool

    def active(self, now: dt.datetime) -> bool:
        return not self.revoked and now < self.expires


def _token_iri(settings: Settings, token_id: str) -> NamedNode:
    return Minter(settings.base).iri("token", token_id)


def issue_token(store: Store, settings: Settings, owner: str, *, scope: str = "read",
                days: int = 90, label: str = "") -> tuple[str, TokenInfo]:
    """A new token for `owner` (a person IRI); the secret is returned once, never kept."""
    if scope not in SCOPES:
        raise ValueError(f"scope {scope!r} is not one of {', '.join(SCOPES)}")
    if not 1 <= days <= 3660:
        raise ValueError("a token lasts 1 to 3660 days")
    token_id = secrets.token_hex(6)
    token = f"rgt_{token_id}_{secrets.token_urlsafe(32)}"
    created = _now()
    info = TokenInfo(token_id, owner, label, scope, created, created + dt.timedelta(days=days),
                     revoked=False)
    node, graph = _token_iri(settings, token_id), _graph(settings)
    quads = [Quad(node, RDF.type, RG.ApiToken, graph),
             Quad(node, RG.tokenOf, NamedNode(owner), graph),
             Quad(node, RG.tokenHash, Literal(_digest(token)), graph),
             Quad(node, RG.tokenScope, Literal(scope), graph),
             Quad(node, RG.tokenLabel, Literal(label), graph),
             Quad(node, DCT.created, _stamp(created), graph),
             Quad(node, RG.tokenExpires, _stamp(info.expires), graph)]

    def write() -> list[NamedNode]:
        store.add(quads)
        return [graph]

    apply_change(store, settings, "accounts", write)
    return token, info


def _records(store: Store, settings: Settings, where: str) -> list[TokenInfo]:
    rows = store.query(f"""
SELECT ?t ?owner ?label ?scope ?created ?expires ?revoked WHERE {{
  GRAPH <{_graph(settings).value}> {{
    ?t a {RG.ApiToken} ; {RG.tokenOf} ?owner ; {RG.tokenScope} ?scope ;
       {RG.tokenLabel} ?label ; {DCT.created} ?created ; {RG.tokenExpires} ?expires .
    OPTIONAL {{ ?t {RG.tokenRevoked} ?revoked }}
    {where}
  }}
}}""")
    minter = Minter(settings.base)
    return [TokenInfo(minter.local_id(row["t"].value, "token") or "", row["owner"].value, row["label"].value,
                      row["scope"].value, _parse(row["created"].value),
                      _parse(row["expires"].value), row["revoked"] is not None)
            for row in rows]


def list_tokens(store: Store, settings: Settings, owner: str) -> list[TokenInfo]:
    """The owner's tokens, newest first, revoked and expired ones included."""
    found = _records(store, settings, f"?t {RG.tokenOf} <{owner}> .")
    return sorted(found, key=lambda info: info.created, reverse=True)


def principal_for_token(store: Store, settings: Settings, token: str,
                        now: dt.datetime | None = None) -> Principal | None:
    """The principal a token acts as, or None for an unknown, revoked or expired token."""
    match = TOKEN_PATTERN.match(token.strip())
    if match is None:
        return None
    node = _token_iri(settings, match.group(1))
    rows = list(store.query(f"""
SELECT ?hash WHERE {{ GRAPH <{_graph(settings).value}> {{ {node} {RG.tokenHash} ?hash }} }}"""))
    if not rows or not hmac.compare_digest(rows[0]["hash"].value, _digest(token.strip())):
        return None
    info = next(iter(_records(store, settings, f"FILTER(?t = {node})")), None)
    if info is None or not info.active(now or _now()):
        return None
    return principal_for_person(store, settings, info.owner, scope=info.scope)


def revoke_token(store: Store, settings: Settings, owner: str, token_id: str) -> bool:
    """Revoke one of `owner`'s tokens; False when the owner has no such token."""
    if not any(info.id == token_id for info in list_tokens(store, settings, owner)):
        return False
    graph, node = _graph(settings), _token_iri(settings, token_id)

    def write() -> list[NamedNode]:
        store.update(f"INSERT DATA {{ GRAPH {graph} {{ {node} {RG.tokenRevoked} "
                     f"{_stamp(_now())} }} }}")
        return [graph]

    apply_change(store, settings, "accounts", write)
    return True
