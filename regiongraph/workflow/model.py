"""What the workflow is made of: request kinds, states, outcomes, and the errors it raises."""

import datetime as dt
from dataclasses import dataclass, field

from regiongraph.errors import RegiongraphError

KINDS = ("engagement", "strategy", "approval", "agreement", "access", "renewal")
"""engagement: a data leader is asked to join a project; strategy: a project's data strategy
goes to its lead community's executives; approval, agreement, access: a strategy's missing
piece (or one member's access to one dataset) goes to the data owner's executives;
renewal: an approval or agreement in its last 30 days."""

OPEN_STATES = ("submitted", "in-review")
DECISIONS = {
    "engagement": ("accept", "decline"),
    "strategy": ("approve", "approve-with-conditions", "reject"),
    "approval": ("approve", "approve-with-conditions", "reject"),
    "agreement": ("approve", "approve-with-conditions", "reject"),
    "access": ("approve", "approve-with-conditions", "reject"),
    "renewal": ("approve", "approve-with-conditions", "reject"),
}
STORED_STATE = {"accept": "accepted", "decline": "declined", "approve": "approved",
                "approve-with-conditions": "approved", "reject": "rejected",
                "revoke": "revoked"}
DUE_DAYS = {"engagement": 7, "strategy": 14, "approval": 14, "agreement": 21, "access": 10,
            "renewal": 14}
RENEWAL_DAYS = 30
"""An approval or agreement in force whose last day is within this many days opens a
renewal request (the same window as rule R7, `EndingSoon`)."""


class WorkflowError(RegiongraphError):
    """A workflow action that cannot be done as asked (the message says why)."""


class Refused(WorkflowError):
    """The person may not do this (not entitled, or four eyes)."""


class NotFound(WorkflowError):
    """No such proposal or request."""


@dataclass
class Request:
    """One request as read from the registry graph."""

    iri: str
    kind: str
    state: str
    """The stored state: submitted, in-review, accepted, declined, approved, rejected,
    revoked. `display_state` adds the states that follow from the day."""
    title: str
    requester: str | None
    project: str | None
    created: dt.date
    due: dt.date
    addressed_to: list[str] = field(default_factory=list)
    owner: str | None = None
    receiver: str | None = None
    datasets: list[str] = field(default_factory=list)
    record: str | None = None
    """The approval, agreement or strategy (or, for engagements, the engagement) it asks for."""
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    record_status: str | None = None

    def display_state(self, today: dt.date) -> str:
        """draft → submitted → in review → approved/rejected → in force → expiring →
        expired/revoked, judged on `today` from the record the request made."""
        if self.state != "approved" or self.kind in ("engagement", "strategy"):
            return self.state
        if self.record_status and self.record_status.endswith("/revoked"):
            return "revoked"
        if self.valid_until and self.valid_until < today:
            return "expired"
        if self.valid_from and self.valid_from > today:
            return "approved"
        if self.valid_until and (self.valid_until - today).days < RENEWAL_DAYS:
            return "expiring"
        return "in-force"

    def overdue(self, today: dt.date) -> bool:
        return self.state in OPEN_STATES and self.due < today

    def as_dict(self, today: dt.date) -> dict:
        return {"id": self.iri, "kind": self.kind, "state": self.display_state(today),
                "title": self.title, "requester": self.requester, "project": self.project,
                "created": self.created.isoformat(), "due": self.due.isoformat(),
                "overdue": self.overdue(today), "addressed_to": self.addressed_to,
                "owner": self.owner, "receiver": self.receiver, "datasets": self.datasets,
                "record": self.record,
                "valid_from": self.valid_from.isoformat() if self.valid_from else None,
                "valid_until": self.valid_until.isoformat() if self.valid_until else None}


@dataclass
class Decision:
    """One immutable decision record (a `prov:Activity`)."""

    iri: str
    request: str
    outcome: str
    person: str
    at: dt.datetime
    reason: str
    conditions: str | None = None

    def as_dict(self) -> dict:
        return {"id": self.iri, "request": self.request, "outcome": self.outcome,
                "person": self.person, "at": self.at.isoformat(), "reason": self.reason,
                "conditions": self.conditions}
