"""Deciding: who may, four eyes, and what a decision changes.

Only the people entitled decide: for approvals, agreements, access and renewals the
executives of the data's owner (`Principal.executive_of`, read from the same registry
role assignments and ontology executive roles as rule R5 and `visibility.py`); for a
strategy the executives of the project's lead community (rule R4); for an engagement the
data leader asked. Four eyes: the person who asked never decides, whichever token or role
they use, and nobody holding any role on the asking side (the requester's communities, the
receiving party) decides a request for data; the admin token decides nothing.

A decision is an immutable `rg:Decision` (a `prov:Activity`: who, when, on which request,
what it generated); a revocation is a new one. Effects are written in the same change, so
they hold on the next request everywhere.
"""

import datetime as dt

from pyoxigraph import Literal, NamedNode, Triple

from regiongraph.accounts import Principal, principal_for_person
from regiongraph.namespaces import ODRL, RG
from regiongraph.registry.reader import date_constraint_triples
from regiongraph.settings import Settings
from regiongraph.store import Store
from regiongraph.workflow import engagement, notices, records
from regiongraph.workflow.model import (
    DECISIONS,
    OPEN_STATES,
    STORED_STATE,
    Refused,
    Request,
    WorkflowError,
)


def check_may_decide(store: Store, settings: Settings, principal: Principal,
                     request: Request) -> str:
    """The deciding person, or Refused saying why not."""
    if principal.alliance_steward:
        raise Refused("the admin token decides nothing: only an executive of the data's "
                      "owner decides, with their own token")
    if principal.person is None:
        raise Refused("sign in (a personal token) to decide")
    if not principal.may_write:
        raise Refused("this token is read-only: issue one with scope write")
    person = principal.person
    if request.requester == person:
        raise Refused("four eyes: you asked for this, so someone else decides it")
    if request.kind == "engagement":
        if person not in request.addressed_to:
            raise Refused("only the data leader asked answers an engagement request")
        return person
    if request.owner is None or not principal.executive_of(request.owner):
        raise Refused(f"only an executive of {request.owner} decides this")
    if request.kind != "strategy":
        asking = set(filter(None, [request.receiver]))
        if request.requester:
            asking |= principal_for_person(store, settings, request.requester).organizations
        asking.discard(request.owner)
        shared = sorted(principal.organizations & asking)
        if shared:
            raise Refused(f"four eyes: you hold a role in {shared[0]}, on the side that "
                          "asked, so an executive of the owner without one decides")
    return person


def start_review(store: Store, settings: Settings, principal: Principal, iri: str) -> None:
    """An entitled decider takes the request into review."""
    request = records.read_request(store, settings, iri)
    person = check_may_decide(store, settings, principal, request)
    if request.state != "submitted":
        raise WorkflowError(f"the request is {request.state}, not submitted")
    _set_state(store, settings, request, "in-review", [], [person])


def decide(store: Store, settings: Settings, principal: Principal, iri: str, outcome: str,
           *, reason: str, conditions: str | None = None,
           valid_until: dt.date | None = None, today: dt.date | None = None) -> str:
    """Record a decision and its effects; returns the decision's IRI."""
    request = records.read_request(store, settings, iri)
    if outcome not in DECISIONS[request.kind]:
        raise WorkflowError(f"a {request.kind} request is decided by "
                            f"{', '.join(DECISIONS[request.kind])}, not {outcome!r}")
    if not reason.strip():
        raise WorkflowError("a decision gives its reason")
    if outcome == "approve-with-conditions" and not (conditions or "").strip():
        raise WorkflowError("approve-with-conditions needs the conditions")
    person = check_may_decide(store, settings, principal, request)
    if request.state not in OPEN_STATES:
        raise WorkflowError(f"the request is {request.state} already")
    today = today or dt.date.today()
    insert, delete, generated = _effects(store, settings, request, outcome, person,
                                         valid_until, today)
    decision, triples = records.decision_triples(settings, iri, outcome, person, reason,
                                                 conditions, generated)
    _set_state(store, settings, request, STORED_STATE[outcome], delete, [person, decision],
               insert + triples,
               events=notices.decision_made(settings, iri, request.title, outcome,
                                            request.requester, person, request.project))
    return decision


def revoke(store: Store, settings: Settings, principal: Principal, iri: str, *,
           reason: str) -> str:
    """Revoke an approved approval, agreement or access: a new decision record; the record's
    status becomes revoked."""
    request = records.read_request(store, settings, iri)
    if request.state != "approved" or request.record is None or request.kind in (
            "engagement", "strategy"):
        raise WorkflowError(f"only an approved approval or agreement is revoked; this is "
                            f"a {request.state} {request.kind} request")
    person = check_may_decide(store, settings, principal, request)
    if not reason.strip():
        raise WorkflowError("a revocation gives its reason")
    record = request.record
    delete = records.triples_of(store, settings, record, RG.status)
    insert = [Triple(NamedNode(record), RG.status, records.status("revoked"))]
    decision, triples = records.decision_triples(settings, iri, "revoke", person, reason,
                                                 None, record)
    _set_state(store, settings, request, "revoked", delete, [person, decision],
               insert + triples)
    return decision


def _set_state(store: Store, settings: Settings, request: Request, state: str,
               delete: list[Triple], subjects: list[str],
               insert: list[Triple] | None = None, events: list | None = None) -> None:
    node = NamedNode(request.iri)
    records.write(store, settings, events=events or (),
                  insert=[Triple(node, RG.workflowState, Literal(state)), *(insert or [])],
                  delete=[*records.triples_of(store, settings, request.iri, RG.workflowState),
                          *delete],
                  subjects=[request.iri, *filter(None, [request.record, request.project]),
                            *subjects])


def _effects(store: Store, settings: Settings, request: Request, outcome: str, person: str,
             valid_until: dt.date | None, today: dt.date
             ) -> tuple[list[Triple], list[Triple], str | None]:
    """(insert, delete, the record generated) for a decision."""
    approve = outcome in ("approve", "approve-with-conditions", "accept")
    if request.kind == "engagement":
        if not approve or request.project is None:
            return [], [], None
        iri, triples = engagement.engagement_triples(store, settings, request.project,
                                                     person, today)
        return triples, [], iri
    record = request.record
    if record is None:
        raise WorkflowError(f"{request.iri} names no record to decide on")
    node = NamedNode(record)
    if request.kind == "strategy":
        if not approve:
            return [], [], None
        return [Triple(node, RG.approvedBy, NamedNode(person)),
                Triple(node, RG.approvedOn, records.day(today))], [], record
    insert: list[Triple] = []
    delete: list[Triple] = []
    if valid_until is not None:
        start = request.valid_from or today
        if valid_until < start:
            raise WorkflowError(f"the end date {valid_until} is before the start {start}")
        delete += records.triples_of(store, settings, record, RG.validUntil)
        insert.append(Triple(node, RG.validUntil, records.day(valid_until)))
        for permission in records.triples_of(store, settings, record, ODRL.permission):
            # an agreement's permissions carry the end date too (`odrl:lteq`), moved with it
            target = NamedNode(permission.object.value)
            delete += records.triples_of(store, settings, target.value + "/valid-until",
                                         ODRL.rightOperand)
            insert += date_constraint_triples(target, None, valid_until)
    if request.kind == "renewal":
        if approve and valid_until is None:
            raise WorkflowError("a renewal is approved with its new end date (valid_until)")
        return (insert, delete, record) if approve else ([], [], None)
    delete += records.triples_of(store, settings, record, RG.status)
    insert.append(Triple(node, RG.status, records.status("approved" if approve else "denied")))
    if approve:
        insert += [Triple(node, RG.approvedBy, NamedNode(person)),
                   Triple(node, RG.approvedOn, records.day(today))]
    return insert, delete, record
