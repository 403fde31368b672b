"""Creating requests: from a strategy's missing piece, for the strategy itself, or one
member's access to one dataset; and renewals, opened on their own.

Each request writes the record it asks for at once, with status requested, exactly as a
steward would write it in approvals.yaml or agreements.yaml: an `rg:Approval` or an ODRL
`rg:DataSharingAgreement`. A requested record counts for nothing (the rules, visibility and
the governance analysis read only approved ones in force); a decision turns it approved,
rejected or revoked.
"""

import datetime as dt

from pyoxigraph import Literal, NamedNode, Triple

from regiongraph.accounts import Principal
from regiongraph.iri import ONTOLOGY_GRAPH, Minter
from regiongraph.namespaces import DCT, ODRL, RDF, RDFS, RG, RGC, sparql_prefixes
from regiongraph.registry.reader import date_constraint_triples
from regiongraph.settings import Settings
from regiongraph.store import Store
from regiongraph.workflow import notices, records, strategy
from regiongraph.workflow.engagement import request_triples
from regiongraph.workflow.model import RENEWAL_DAYS, NotFound, Refused, WorkflowError

ODRL_ACTIONS = {"use": ODRL.use, "share": ODRL.distribute}


def executives(store: Store, settings: Settings, organisation: str) -> list[str]:
    """People holding an executive role in `organisation`: the registry's role
    assignments and the ontology's `rg:ExecutiveRole`s, as rule R5 and visibility read them."""
    ontology = Minter(settings.base).graph(ONTOLOGY_GRAPH)
    rows = store.query(sparql_prefixes() + f"""
SELECT DISTINCT ?person WHERE {{
  GRAPH {records.registry(settings)} {{ ?a a rg:RoleAssignment ; org:member ?person ;
      org:organization <{organisation}> ; org:role ?role }}
  GRAPH {ontology} {{ ?role a rg:ExecutiveRole }} }}""")
    return sorted(row["person"].value for row in rows)


def _member(principal: Principal) -> str:
    if principal.person is None or principal.alliance_steward:
        raise Refused("requests are made by a member with their own token, not the admin "
                      "token: a request needs a person who asked")
    if not principal.may_write:
        raise Refused("this token is read-only: issue one with scope write")
    return principal.person


def _validity(node: NamedNode, valid_from: dt.date, valid_until: dt.date | None,
              legal_basis: str) -> list[Triple]:
    if valid_until is not None and valid_until < valid_from:
        raise WorkflowError(f"it would end ({valid_until}) before it starts ({valid_from})")
    triples = [Triple(node, RG.status, records.status("requested")),
               Triple(node, RG.validFrom, records.day(valid_from))]
    if valid_until is not None:
        triples.append(Triple(node, RG.validUntil, records.day(valid_until)))
    if legal_basis:
        triples.append(Triple(node, RG.legalBasis, Literal(legal_basis)))
    return triples


def request_piece(store: Store, settings: Settings, principal: Principal, project: str,
                  dataset: str, *, valid_from: dt.date | None = None,
                  valid_until: dt.date | None = None, legal_basis: str = "",
                  today: dt.date | None = None) -> str:
    """Create the request a strategy's missing piece calls for; returns the request IRI."""
    person = _member(principal)
    today = today or dt.date.today()
    piece = next((p for p in strategy.draft(store, settings, project, today=today)
                  if p.dataset == dataset), None)
    if piece is None:
        raise NotFound(f"the strategy of {project} has no flow of {dataset}")
    if piece.covered or piece.missing is None:
        raise WorkflowError(f"{dataset} is already covered for this project")
    if piece.requests:
        raise WorkflowError(f"{dataset} was requested already: {', '.join(piece.requests)}")
    lead = records.value(store, settings, project, RG.leadCommunity)
    if lead not in principal.organizations:
        raise Refused(f"only members of the lead community {lead} ask for its data")
    assert piece.owner is not None and piece.receiver is not None
    minter = Minter(settings.base)
    title = records.value(store, settings, project, DCT.term("title")) or project
    label = f"{piece.dataset_label} for {title}"
    if piece.missing == "agreement":
        record = minter.iri("agreement", records.new_id(label))
        triples = _agreement(record, label, piece.owner, piece.receiver, dataset, ["use"])
        # the permission's own ODRL dates, as the reader writes them for agreements.yaml
        triples += date_constraint_triples(NamedNode(record.value + "/permission/1"),
                                           valid_from or today, valid_until)
    else:
        record = minter.iri("approval", records.new_id(label))
        action, scope = (("publish", "public") if piece.missing == "publication"
                         else ("use", "project"))
        triples = _approval(record, label, piece.owner, person, dataset, action, scope)
        if scope == "project":
            triples.append(Triple(record, RG.scopeProject, NamedNode(project)))
    triples += _validity(record, valid_from or today, valid_until, legal_basis)
    return _request(store, settings, piece.missing if piece.missing != "publication"
                    else "approval", f"{piece.missing.capitalize()}: {label}", person,
                    project, today, piece.owner, piece.receiver, dataset, record, triples)


def _named(record: NamedNode, label: str) -> list[Triple]:
    """Title, label and identifier, as the registry reader writes them for a YAML entry."""
    return [Triple(record, DCT.term("title"), Literal(label, language="en")),
            Triple(record, RDFS.label, Literal(label, language="en")),
            Triple(record, DCT.identifier, Literal(record.value.rsplit("/", 1)[-1]))]


def _approval(record: NamedNode, label: str, owner: str, person: str, dataset: str,
              action: str, scope: str) -> list[Triple]:
    return [Triple(record, RDF.type, RG.Approval), *_named(record, label),
            Triple(record, RG.dataOwner, NamedNode(owner)),
            Triple(record, RG.requestedBy, NamedNode(person)),
            Triple(record, RG.action, RGC.term(f"action/{action}")),
            Triple(record, RG.coversDataset, NamedNode(dataset)),
            Triple(record, RG.scope, RGC.term(f"scope/{scope}"))]


def _agreement(record: NamedNode, label: str, owner: str, receiver: str, dataset: str,
               actions: list[str]) -> list[Triple]:
    """An ODRL agreement shaped as the registry reader shapes agreements.yaml entries."""
    permission = NamedNode(record.value + "/permission/1")
    triples = [Triple(record, RDF.type, RG.DataSharingAgreement),
               Triple(record, RDF.type, ODRL.Agreement), Triple(record, ODRL.uid, record),
               *_named(record, label),
               Triple(record, ODRL.assigner, NamedNode(owner)),
               Triple(record, ODRL.assignee, NamedNode(receiver)),
               Triple(record, RG.coversDataset, NamedNode(dataset)),
               Triple(record, ODRL.permission, permission),
               Triple(permission, RDF.type, ODRL.Permission),
               Triple(permission, ODRL.target, NamedNode(dataset)),
               Triple(permission, ODRL.assigner, NamedNode(owner)),
               Triple(permission, ODRL.assignee, NamedNode(receiver))]
    triples += [Triple(permission, ODRL.action, ODRL_ACTIONS[a]) for a in actions]
    return triples


def _request(store: Store, settings: Settings, kind: str, title: str, person: str,
             project: str | None, today: dt.date, owner: str, receiver: str | None,
             dataset: str | None, record: NamedNode, triples: list[Triple]) -> str:
    deciders = executives(store, settings, owner)
    if not deciders:
        raise WorkflowError(f"{owner} has no executive in the registry to decide this")
    node = Minter(settings.base).iri("request", records.new_id(title))
    triples += request_triples(node, kind, title, person, project, today, deciders)
    triples += [Triple(node, RG.askedOf, NamedNode(owner)),
                Triple(node, RG.requestRecord, record)]
    if receiver:
        triples.append(Triple(node, RG.receiver, NamedNode(receiver)))
    if dataset:
        triples.append(Triple(node, RG.requestsDataset, NamedNode(dataset)))
    records.write(store, settings, insert=triples,
                  subjects=[node.value, record.value, *([project] if project else [])],
                  events=[notices.decision_awaited(settings, node.value, title, deciders,
                                                   person, project)])
    return node.value


def request_strategy_approval(store: Store, settings: Settings, principal: Principal,
                              project: str, *, today: dt.date | None = None) -> str:
    """Submit the project's strategy, as a whole, to its lead community's executives; its
    approval is the `rg:DataStrategy` approval rule R4 reads."""
    person = _member(principal)
    today = today or dt.date.today()
    lead = records.value(store, settings, project, RG.leadCommunity)
    if lead is None:
        raise NotFound(f"no project {project}")
    if lead not in principal.organizations:
        raise Refused(f"only members of the lead community {lead} submit its strategy")
    open_ones = [r for r in records.read_requests(
        store, settings, f'?r rg:forProject <{project}> ; rg:requestKind "strategy" .')
        if r.state in ("submitted", "in-review", "approved")]
    if open_ones:
        raise WorkflowError(f"the strategy was submitted already: {open_ones[0].iri}")
    ident = Minter(settings.base).local_id(project, "project") or records.new_id("strategy")
    title = records.value(store, settings, project, DCT.term("title")) or project
    node = Minter(settings.base).iri("strategy", ident)
    triples = [Triple(node, RDF.type, RG.DataStrategy),
               Triple(node, RDF.type, NamedNode("http://www.w3.org/ns/prov#Plan")),
               *_named(node, f"Data strategy of {title}"),
               Triple(NamedNode(project), RG.dataStrategy, node)]
    return _request(store, settings, "strategy", f"Data strategy of {title}", person,
                    project, today, lead, None, None, node, triples)


def request_access(store: Store, settings: Settings, principal: Principal, dataset: str,
                   *, reason: str, valid_until: dt.date | None = None,
                   today: dt.date | None = None) -> str:
    """One member's access to one dataset: an approval to use it, scope the member's
    communities, asked of the owner's executives."""
    person = _member(principal)
    today = today or dt.date.today()
    try:
        node = NamedNode(dataset)  # never spliced unchecked: `x> } UNION { ...` is no IRI
    except ValueError:
        raise NotFound(f"no dataset {dataset!r}: not an IRI") from None
    owners = [row["o"].value for row in store.query(
        f"SELECT DISTINCT ?o WHERE {{ {node} {DCT.publisher} ?o }}",
        union_default_graph=True)]
    if not owners:
        raise NotFound(f"no dataset {dataset}")
    owner = owners[0]
    if owner in principal.organizations:
        raise WorkflowError("this is your own community's data: no request is needed")
    label = f"Access to {dataset.rsplit('/', 1)[-1]} for {person.rsplit('/', 1)[-1]}"
    record = Minter(settings.base).iri("approval", records.new_id(label))
    triples = _approval(record, label, owner, person, dataset, "use", "communities")
    triples += [Triple(record, RG.scopeCommunity, NamedNode(o))
                for o in sorted(principal.organizations)]
    triples += [Triple(record, RG.grantee, NamedNode(person))]
    if reason:
        triples.append(Triple(record, DCT.description, Literal(reason, language="en")))
    triples += _validity(record, today, valid_until, "")
    receiver = min(principal.organizations) if principal.organizations else None
    return _request(store, settings, "access", label, person, None, today, owner, receiver,
                    dataset, record, triples)


def open_renewals(store: Store, settings: Settings, today: dt.date | None = None) -> list[str]:
    """Open a renewal request for every approval or agreement in force entering its last
    30 days that has none yet; returns the new requests. Idempotent: run on every read of
    the work lists, so no scheduler is needed."""
    today = today or dt.date.today()
    horizon = today + dt.timedelta(days=RENEWAL_DAYS - 1)
    rows = store.query(sparql_prefixes() + f"""
SELECT ?record ?owner ?requester ?title WHERE {{ GRAPH {records.registry(settings)} {{
  ?record rg:status <{RGC}status/approved> ; rg:validUntil ?until .
  FILTER(?until >= "{today}"^^xsd:date && ?until <= "{horizon}"^^xsd:date)
  OPTIONAL {{ ?record rg:validFrom ?from }}
  FILTER(!BOUND(?from) || ?from <= "{today}"^^xsd:date)
  {{ ?record rg:dataOwner ?owner }} UNION {{ ?record odrl:assigner ?owner }}
  OPTIONAL {{ ?record rg:requestedBy ?requester }}
  OPTIONAL {{ ?original rg:requestRecord ?record ; dct:creator ?requester }}
  OPTIONAL {{ ?record dct:title ?title }}
  FILTER NOT EXISTS {{ ?renewal rg:requestKind "renewal" ; rg:requestRecord ?record }}
}} }}""")
    made: list[str] = []
    triples: list[Triple] = []
    seen: set[str] = set()
    for row in rows:
        record = row["record"].value
        if record in seen:
            continue
        seen.add(record)
        title = f"Renewal: {row['title'].value if row['title'] else record}"
        requester = row["requester"].value if row["requester"] else None
        owner = row["owner"].value
        deciders = executives(store, settings, owner)
        node = Minter(settings.base).iri("request", records.new_id(title))
        triples += request_triples(node, "renewal", title, requester, None, today, deciders)
        triples += [Triple(node, RG.askedOf, NamedNode(owner)),
                    Triple(node, RG.requestRecord, NamedNode(record))]
        made.append(node.value)
    if triples:  # one change for all of them: the views follow once
        records.write(store, settings, insert=triples, subjects=made)
    return made
