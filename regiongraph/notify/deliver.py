"""Deliver events to webhooks and by e-mail, recording every attempt.

One run (`deliver_pending`) looks at what each channel has not yet received, tries it,
and records the outcome of every attempt in the `deliveries` graph in one change. A
failed webhook delivery is retried after a backoff that doubles with each attempt; a
webhook that fails `webhook_max_failures` times in a row is disabled (its owner sees why
in the delivery log). A webhook keeps its events in order: after a failure it waits for
the retry before sending newer ones. Mail goes out at once or in a daily digest, as each
person chose; with no SMTP server configured, the mail channel waits and loses nothing.
The server runs a delivery loop (`notify_interval`); `regiongraph notify deliver` runs one.
"""

import datetime as dt
import hashlib
import json
import smtplib
import time
from dataclasses import dataclass
from email.message import EmailMessage

from pyoxigraph import Literal, NamedNode, Quad

from regiongraph.change import apply_change
from regiongraph.clock import now, stamp
from regiongraph.iri import DELIVERIES_GRAPH, REGISTRY_GRAPH, Minter
from regiongraph.namespaces import FOAF, RDF, RG
from regiongraph.notify import webhooks as hooks
from regiongraph.notify.derived import follow_calendar
from regiongraph.notify.events import Event, events_graph, find_events
from regiongraph.notify.feeds import AS_MEDIA, activity
from regiongraph.notify.subscriptions import mail_choices
from regiongraph.settings import Settings
from regiongraph.store import Store

MAIL_LOOKBACK = dt.timedelta(days=14)
"""How far back the mail channel looks for events it has not delivered: an SMTP outage
shorter than this loses nothing."""


@dataclass
class Attempt:
    event: str
    channel: str
    """The webhook IRI, or `mailto:` the address."""
    ok: bool
    detail: str
    attempts: int = 1
    next_at: dt.datetime | None = None


@dataclass(frozen=True)
class State:
    delivered: bool
    attempts: int
    next_at: dt.datetime | None


def deliveries_graph(settings: Settings) -> NamedNode:
    return Minter(settings.base).graph(DELIVERIES_GRAPH)


def _delivery_iri(settings: Settings, event: str, channel: str) -> NamedNode:
    digest = hashlib.sha1(f"{event} {channel}".encode()).hexdigest()
    return Minter(settings.base).iri("delivery", digest)


def states(store: Store, settings: Settings) -> dict[tuple[str, str], State]:
    rows = store.query(f"""
SELECT ?event ?channel ?state ?attempts ?next WHERE {{ GRAPH {deliveries_graph(settings)} {{
  ?d {RG.deliveryOf} ?event ; {RG.deliveredVia} ?channel ; {RG.deliveryState} ?state ;
     {RG.attempts} ?attempts . OPTIONAL {{ ?d {RG.nextAttempt} ?next }} }} }}""")
    return {(row["event"].value, row["channel"].value): State(
        row["state"].value == "delivered", int(row["attempts"].value),
        dt.datetime.fromisoformat(row["next"].value) if row["next"] else None)
        for row in rows}


def delivery_log(store: Store, settings: Settings, channel: str) -> list[dict]:
    """Every recorded delivery to `channel`, newest first."""
    rows = store.query(f"""
SELECT ?event ?state ?attempts ?result ?at WHERE {{ GRAPH {deliveries_graph(settings)} {{
  ?d {RG.deliveredVia} <{channel}> ; {RG.deliveryOf} ?event ; {RG.deliveryState} ?state ;
     {RG.attempts} ?attempts ; {RG.lastResult} ?result ; {RG.lastAttempt} ?at }} }}
ORDER BY DESC(?at)""")
    return [{"event": row["event"].value, "state": row["state"].value,
             "attempts": int(row["attempts"].value), "result": row["result"].value,
             "at": row["at"].value} for row in rows]


def _due(state: State | None, at: dt.datetime) -> bool:
    return state is None or (not state.delivered and (state.next_at is None
                                                      or state.next_at <= at))


def _backoff(settings: Settings, attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=settings.webhook_retry_seconds * 2 ** (attempts - 1))


def _post(settings: Settings, hook: hooks.Webhook, secret: str, event: Event) -> tuple[bool, str]:
    from regiongraph.harvest.address import http_client

    body = json.dumps(activity(event), ensure_ascii=False).encode()
    stamp_text = str(int(time.time()))
    headers = {"Content-Type": AS_MEDIA, "X-Regiongraph-Delivery": event.iri,
               "X-Regiongraph-Event": event.kind, "X-Regiongraph-Timestamp": stamp_text,
               "X-Regiongraph-Signature": hooks.sign(secret, stamp_text, body)}
    try:
        with http_client(allow_private=settings.harvest_allow_private,
                         timeout=settings.webhook_timeout, follow_redirects=False) as client:
            response = client.post(hook.url, content=body, headers=headers)
    except Exception as error:  # noqa: BLE001 - any failure of the receiver is retried
        return False, f"{type(error).__name__}: {error}"[:300]
    return 200 <= response.status_code < 300, f"HTTP {response.status_code}"


def _hook_events(store: Store, settings: Settings, hook: hooks.Webhook) -> list[Event]:
    scoped = find_events(store, settings, recipient=hook.scope, since=hook.created)
    if not scoped:
        scoped = find_events(store, settings, context=hook.scope, since=hook.created)
    return list(reversed(scoped))


def _deliver_hook(store: Store, settings: Settings, hook: hooks.Webhook,
                  known: dict[tuple[str, str], State], at: dt.datetime
                  ) -> tuple[list[Attempt], int]:
    attempts, failures = [], hook.failures
    secret = hooks.secret_of(store, settings, hook.iri)
    for event in _hook_events(store, settings, hook):
        state = known.get((event.iri, hook.iri))
        if state is not None and state.delivered:
            continue
        if not _due(state, at):
            break
        ok, detail = _post(settings, hook, secret, event)
        count = (state.attempts if state else 0) + 1
        attempts.append(Attempt(event.iri, hook.iri, ok, detail, count,
                                None if ok else at + _backoff(settings, count)))
        failures = 0 if ok else failures + 1
        if not ok:
            break
    return attempts, failures


def _mail_events(store: Store, settings: Settings, at: dt.datetime
                 ) -> dict[str, list[Event]]:
    by_person: dict[str, list[Event]] = {}
    for event in reversed(find_events(store, settings, since=at - MAIL_LOOKBACK, limit=5000)):
        for person in event.recipients:
            by_person.setdefault(person, []).append(event)
    return by_person


def _addresses(store: Store, settings: Settings, people: list[str]) -> dict[str, str]:
    if not people:
        return {}
    registry = Minter(settings.base).graph(REGISTRY_GRAPH)
    values = " ".join(f"<{p}>" for p in people)
    rows = store.query(f"SELECT ?p ?m WHERE {{ VALUES ?p {{ {values} }} GRAPH {registry} "
                       f"{{ ?p {FOAF.mbox} ?m }} }}")
    return {row["p"].value: row["m"].value for row in rows}


def _send_mail(settings: Settings, address: str, subject: str, text: str) -> tuple[bool, str]:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = (
        settings.mail_from, address.removeprefix("mailto:"), subject)
    message.set_content(text)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        return False, f"{type(error).__name__}: {error}"[:300]
    return True, "sent"


def _digest_due(store: Store, settings: Settings, channel: str, at: dt.datetime) -> bool:
    rows = store.query(f"SELECT (MAX(?t) AS ?last) WHERE {{ GRAPH {deliveries_graph(settings)} "
                       f"{{ ?d {RG.deliveredVia} <{channel}> ; {RG.lastAttempt} ?t ; "
                       f"{RG.deliveryState} \"delivered\" }} }}")
    last = next(iter(rows))["last"]
    return last is None or dt.datetime.fromisoformat(last.value) <= at - dt.timedelta(days=1)


def _deliver_mail(store: Store, settings: Settings, known: dict[tuple[str, str], State],
                  at: dt.datetime) -> list[Attempt]:
    if not settings.smtp_host:
        return []
    by_person = _mail_events(store, settings, at)
    choices = mail_choices(store, settings, list(by_person))
    addresses = _addresses(store, settings, list(by_person))
    attempts: list[Attempt] = []
    for person, events in by_person.items():
        channel, choice = addresses.get(person), choices.get(person, "instant")
        if channel is None or choice == "off":
            continue
        due = [e for e in events if _due(known.get((e.iri, channel)), at)]
        if not due or (choice == "daily" and not _digest_due(store, settings, channel, at)):
            continue
        batches = [due] if choice == "daily" else [[e] for e in due]
        for batch in batches:
            subject = (batch[0].summary if len(batch) == 1
                       else f"regiongraph: {len(batch)} notifications")
            text = "\n\n".join(f"{e.summary}\n{e.object}" for e in batch)
            ok, detail = _send_mail(settings, channel, subject, text)
            for event in batch:
                state = known.get((event.iri, channel))
                count = (state.attempts if state else 0) + 1
                attempts.append(Attempt(event.iri, channel, ok, detail, count,
                                        None if ok else at + _backoff(settings, count)))
    return attempts


def _record(store: Store, settings: Settings, attempts: list[Attempt],
            failures: dict[str, int], at: dt.datetime) -> None:
    graph, hooks_graph = deliveries_graph(settings), events_graph(settings)
    nodes = [_delivery_iri(settings, a.event, a.channel) for a in attempts]
    quads: list[Quad] = []
    for node, attempt in zip(nodes, attempts, strict=True):
        quads += [Quad(node, RDF.type, RG.Delivery, graph),
                  Quad(node, RG.deliveryOf, NamedNode(attempt.event), graph),
                  Quad(node, RG.deliveredVia, NamedNode(attempt.channel), graph),
                  Quad(node, RG.deliveryState,
                       Literal("delivered" if attempt.ok else "retrying"), graph),
                  Quad(node, RG.attempts, Literal(attempt.attempts), graph),
                  Quad(node, RG.lastResult, Literal(attempt.detail), graph),
                  Quad(node, RG.lastAttempt, stamp(at), graph)]
        if attempt.next_at:
            quads.append(Quad(node, RG.nextAttempt, stamp(attempt.next_at), graph))
    for hook, count in failures.items():
        node = NamedNode(hook)
        quads.append(Quad(node, RG.consecutiveFailures, Literal(count), hooks_graph))
        quads.append(Quad(node, RG.webhookActive,
                          Literal(count < settings.webhook_max_failures), hooks_graph))
    if not quads:
        return
    cleared = " ".join(str(n) for n in nodes) or "<urn:regiongraph:none>"
    touched = " ".join(f"<{h}>" for h in failures) or "<urn:regiongraph:none>"
    inserts = " .\n".join(f"GRAPH {q.graph_name} {{ {q.subject} {q.predicate} {q.object} }}"
                          for q in quads)
    update = f"""
DELETE {{ GRAPH {graph} {{ ?d ?p ?o }} }} WHERE {{ VALUES ?d {{ {cleared} }} GRAPH {graph} {{ ?d ?p ?o }} }};
DELETE {{ GRAPH {hooks_graph} {{ ?h ?p ?o }} }} WHERE {{
  VALUES ?h {{ {touched} }} VALUES ?p {{ {RG.consecutiveFailures} {RG.webhookActive} }}
  GRAPH {hooks_graph} {{ ?h ?p ?o }} }};
INSERT DATA {{ {inserts} }}"""

    def write() -> list[NamedNode]:
        store.update(update)
        return [graph, hooks_graph]

    apply_change(store, settings, "notify", write)


def deliver_pending(store: Store, settings: Settings, at: dt.datetime | None = None
                    ) -> list[Attempt]:
    """Try every due delivery once; returns the attempts made."""
    at = at or now(precise=True)
    follow_calendar(store, settings, at.date())
    known = states(store, settings)
    attempts: list[Attempt] = []
    failures: dict[str, int] = {}
    for hook in hooks.webhooks(store, settings, active_only=True):
        made, count = _deliver_hook(store, settings, hook, known, at)
        attempts += made
        if made:
            failures[hook.iri] = count
    attempts += _deliver_mail(store, settings, known, at)
    _record(store, settings, attempts, failures, at)
    return attempts
