"""The alliance's workflow: from a proposal to executive approval.

    proposals   a member proposes a project (a draft), submits it, moves it on
    engagement  whose data leaders to engage; engagement requests; R4's engagements
    strategy    a project's data strategy, from its needs and THE governance rule
    requests    requests from a strategy's missing pieces, strategy approval, access, renewals
    decisions   who may decide (executives of the owner, four eyes); decisions and effects
    work        my work, a project's timeline, the alliance's measures
    records     reading and writing it all in the registry graph, through `apply_change`

Every write goes through `regiongraph.change.apply_change` (road "workflow") into the
registry graph, so visibility, the rules and the governance analysis follow on the next
request. The API (`api/routes/workflow.py`) and the CLI (`regiongraph requests`) call these
functions and nothing else.
"""

from regiongraph.workflow.decisions import check_may_decide, decide, revoke, start_review
from regiongraph.workflow.model import Decision, NotFound, Refused, Request, WorkflowError
from regiongraph.workflow.proposals import Proposal, advance, propose, submit
from regiongraph.workflow.requests import (
    open_renewals,
    request_access,
    request_piece,
    request_strategy_approval,
)
from regiongraph.workflow.strategy import draft as draft_strategy
from regiongraph.workflow.work import list_requests, measures, my_work, project, show_request

__all__ = ["Decision", "NotFound", "Proposal", "Refused", "Request", "WorkflowError",
           "advance", "check_may_decide", "decide", "draft_strategy", "list_requests",
           "measures", "my_work", "open_renewals", "project", "propose", "request_access",
           "request_piece", "request_strategy_approval", "revoke", "show_request",
           "start_review", "submit"]
