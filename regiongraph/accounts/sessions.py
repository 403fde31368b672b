"""Browser sessions, the rate limit on failed sign-ins, and pending OpenID Connect sign-ins.

All three live in the accounts graph, so two `serve` processes on one remote store share
them: a session begun through one is known to the other, and guesses spread over both
count together. They are sign-in traffic, written without the journal (`records`).

The browser holds a random session id (256 bits); the store keeps only its SHA-256. A new
id is made at every sign-in and the one the browser held before is ended (no fixation).
"""

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass

from pyoxigraph import Literal, NamedNode

from regiongraph.accounts.principal import Principal, principal_for_person
from regiongraph.accounts.records import (
    accounts_graph,
    digest,
    record_iri,
    write_traffic,
)
from regiongraph.clock import now, parse_stamp, stamp
from regiongraph.namespaces import DCT, RDF, RG
from regiongraph.settings import Settings
from regiongraph.store import Store


def start_session(store: Store, settings: Settings, person: str, method: str,
                  previous: str | None = None) -> str:
    """A new session for `person`; the id is returned for the cookie, never stored.
    `previous`, the id the browser held before signing in, is ended."""
    if previous:
        end_session(store, settings, previous)
    session_id = secrets.token_urlsafe(32)
    created = now()
    expires = created + dt.timedelta(hours=settings.session_hours)
    node, graph = record_iri("session", digest(session_id)), accounts_graph(settings)
    write_traffic(store, f"""INSERT DATA {{ GRAPH {graph} {{
  {node} {RDF.type} {RG.Session} ; {RG.sessionOf} {NamedNode(person)} ;
    {RG.sessionHash} {Literal(digest(session_id))} ; {RG.signedInWith} {Literal(method)} ;
    {DCT.created} {stamp(created)} ; {RG.sessionExpires} {stamp(expires)} }} }}""")
    return session_id


def principal_for_session(store: Store, settings: Settings, session_id: str,
                          at: dt.datetime | None = None) -> Principal | None:
    """The person a session acts for (with read and write scope: it is the person
    themselves), or None for an unknown, ended or expired session."""
    if not session_id or len(session_id) > 100:
        return None
    node = record_iri("session", digest(session_id))
    rows = list(store.query(f"""
SELECT ?person ?expires WHERE {{ GRAPH {accounts_graph(settings)} {{
  {node} {RG.sessionOf} ?person ; {RG.sessionExpires} ?expires }} }}"""))
    if not rows or parse_stamp(rows[0]["expires"].value) <= (at or now()):
        return None
    return principal_for_person(store, settings, rows[0]["person"].value, scope="write")


def end_session(store: Store, settings: Settings, session_id: str) -> None:
    node = record_iri("session", digest(session_id))
    write_traffic(store, f"DELETE WHERE {{ GRAPH {accounts_graph(settings)} {{ {node} ?p ?o }} }}")


def sweep(store: Store, settings: Settings) -> None:
    """Forget expired sessions, old failures and stale pending sign-ins."""
    graph = accounts_graph(settings)
    cutoff = stamp(now() - dt.timedelta(minutes=settings.signin_window_minutes))
    write_traffic(store, f"""
DELETE {{ GRAPH {graph} {{ ?s ?p ?o }} }} WHERE {{ GRAPH {graph} {{
  {{ ?s {RG.sessionExpires} ?end FILTER(?end <= {stamp(now())}) }}
  UNION {{ ?s a {RG.SignInFailure} ; {DCT.created} ?at FILTER(?at < {cutoff}) }}
  UNION {{ ?s a {RG.PendingSignIn} ; {DCT.created} ?at FILTER(?at < {cutoff}) }}
  ?s ?p ?o }} }}""")


# -- failed sign-ins --------------------------------------------------------------------


def throttle_key(account: str, client: str) -> str:
    """Failures count per account and client: one client guessing one account is slowed
    down, while the owner signing in from elsewhere is not locked out."""
    return digest(f"{account.strip().lower()}\n{client}")


@dataclass(frozen=True)
class Throttle:
    failures: int
    retry_after: int
    """Seconds until the oldest counted failure leaves the window (0 = not limited)."""


def throttle(store: Store, settings: Settings, key: str) -> Throttle:
    """How many failures `key` has in the window, and whether it must wait."""
    window = dt.timedelta(minutes=settings.signin_window_minutes)
    since = now() - window
    rows = store.query(f"""
SELECT ?at WHERE {{ GRAPH {accounts_graph(settings)} {{
  ?f a {RG.SignInFailure} ; {RG.failureKey} {Literal(key)} ; {DCT.created} ?at
  FILTER(?at >= {stamp(since)}) }} }}""")
    times = sorted(parse_stamp(row["at"].value) for row in rows)
    if len(times) < settings.signin_attempts:
        return Throttle(len(times), 0)
    oldest = times[-settings.signin_attempts]
    return Throttle(len(times), max(1, int((oldest + window - now()).total_seconds()) + 1))


def record_failure(store: Store, settings: Settings, key: str) -> None:
    node = record_iri("signin-failure", uuid.uuid4().hex)
    write_traffic(store, f"""INSERT DATA {{ GRAPH {accounts_graph(settings)} {{
  {node} {RDF.type} {RG.SignInFailure} ; {RG.failureKey} {Literal(key)} ;
    {DCT.created} {stamp(now())} }} }}""")


def clear_failures(store: Store, settings: Settings, key: str) -> None:
    graph = accounts_graph(settings)
    write_traffic(store, f"""DELETE {{ GRAPH {graph} {{ ?f ?p ?o }} }} WHERE {{ GRAPH {graph} {{
  ?f {RG.failureKey} {Literal(key)} ; ?p ?o }} }}""")


# -- pending OpenID Connect sign-ins ---------------------------------------------------


@dataclass(frozen=True)
class Pending:
    nonce: str
    verifier: str
    created: dt.datetime


def remember_pending(store: Store, settings: Settings, state: str, nonce: str,
                     verifier: str) -> None:
    node = record_iri("pending-signin", digest(state))
    write_traffic(store, f"""INSERT DATA {{ GRAPH {accounts_graph(settings)} {{
  {node} {RDF.type} {RG.PendingSignIn} ; {RG.pendingState} {Literal(digest(state))} ;
    {RG.pendingNonce} {Literal(nonce)} ; {RG.pendingVerifier} {Literal(verifier)} ;
    {DCT.created} {stamp(now())} }} }}""")


def take_pending(store: Store, settings: Settings, state: str) -> Pending | None:
    """The pending sign-in `state` names, used up (a state works once), or None when
    unknown or older than the sign-in window."""
    if not state or len(state) > 200:
        return None
    node = record_iri("pending-signin", digest(state))
    rows = list(store.query(f"""
SELECT ?nonce ?verifier ?at WHERE {{ GRAPH {accounts_graph(settings)} {{
  {node} {RG.pendingNonce} ?nonce ; {RG.pendingVerifier} ?verifier ; {DCT.created} ?at }} }}"""))
    if not rows:
        return None
    write_traffic(store, f"DELETE WHERE {{ GRAPH {accounts_graph(settings)} {{ {node} ?p ?o }} }}")
    pending = Pending(rows[0]["nonce"].value, rows[0]["verifier"].value,
                      parse_stamp(rows[0]["at"].value))
    if now() - pending.created > dt.timedelta(minutes=settings.signin_window_minutes):
        return None
    return pending
