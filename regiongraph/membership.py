"""THE rule for what a signed-in member may see. Every route with a principal calls this.

`regiongraph.visibility` decides what anonymous users see; this module widens that, for a
member of the alliance, by what their community holds and what the alliance's
instruments give it — and nothing else. Its pieces (access levels, approvals in force,
the executive test) are visibility's, never a second copy.

**A member's tier.** A person's principal (`regiongraph.accounts`) holds their role
assignments: (community, role) pairs read from the registry. Everything below depends on
those pairs only, never on who the person is, so every holder of the same roles in the
same communities shares one tier, one view and one cache (`Tier`).

**Granted dataset.** For one (community, role) pair on a day, a `dcat:Dataset` is granted
when it has a ground and passes the role's gate:

Grounds (read only from the registry graph, as approvals are):
1. *own*: its `dct:publisher` is the community;
2. *agreement*: an `odrl:Agreement` with status approved (and no other), in force that day
   (`rg:validFrom` ≤ day ≤ `rg:validUntil`, as approvals), has an `odrl:permission` whose
   `odrl:target` is the dataset, whose `odrl:assignee` is the community, whose
   `odrl:assigner` is the dataset's publisher (no one shares what is not theirs), whose
   `odrl:action` lets the assignee hold the data (`odrl:use`, `odrl:distribute`), and whose
   own `odrl:dateTime` constraints (the registry writes the agreement's first and last day
   on each permission) hold that day;
3. *approval*: an `rg:Approval` approved and in force, allowing use or share, given by an
   executive of the data's owner (visibility's condition 3), covering the dataset (by
   `rg:coversDataset`, or by `rg:coversCategory` naming a theme or a personal-data
   category of it), with scope alliance (every
   member), scope communities naming the community (`rg:scopeCommunity`), or scope project
   naming a project the community takes part in (`rg:participant`).

The role's gate (the role's terms read only from the ontology graph):
- *access level*: the dataset's most restrictive `rg:accessLevel` from any graph (none
  at all counts as confidential) is at most the role's `rg:clearance` (by `rg:order`); a
  role without a clearance sees public data only;
- *personal data*: a dataset with a personal-data category (`rg:personalDataCategory`,
  `dpv:hasPersonalData`) passes only when the registry's classification names the role by
  `rg:personalDataRole`.

A member sees the union over their pairs, and everything public. Agreements and approvals
lapse by the day, with no write to the store: views key on `change.cache_key`, which
holds the day, so the access ends that day without a restart.

**Member view** (`member_nodes`): the public nodes, plus each granted dataset, its
distributions, and the agreements (with their permissions) and approvals that grant it.
The quads shown follow visibility's public-quad rule over those nodes, so a granted
dataset's lineage edge to a dataset the member may not see is still hidden.

The alliance steward (the admin token) sees the whole store; anonymous users, and people
with no role, see the public view.
"""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field

from regiongraph.accounts.principal import Principal
from regiongraph.iri import ONTOLOGY_GRAPH, REGISTRY_GRAPH, Minter
from regiongraph.namespaces import RG, RGC, sparql_prefixes
from regiongraph.settings import Settings
from regiongraph.store import Store
from regiongraph.visibility import (
    PublicNodes,
    _chunks,
    _in_force_filters,
    _values,
    executive_pattern,
    public_nodes,
    publishable_datasets,
)

CONFIDENTIAL = RGC + "access/confidential"
PUBLIC = RGC + "access/public"
APPROVED = RGC + "status/approved"
HOLDING_ACTIONS = ("http://www.w3.org/ns/odrl/2/use", "http://www.w3.org/ns/odrl/2/distribute")
APPROVAL_ACTIONS = (RGC + "action/use", RGC + "action/share")


@dataclass(frozen=True)
class Tier:
    """What a member's view depends on: their (community, role) pairs, nothing personal."""

    pairs: frozenset[tuple[str, str]]

    @property
    def communities(self) -> frozenset[str]:
        return frozenset(org for org, _ in self.pairs)


def tier_of(principal: Principal) -> Tier:
    return Tier(frozenset((m.organization, m.role) for m in principal.memberships))


@dataclass
class Grant:
    """Why a tier sees a dataset: the grounds (own, agreement, approval) and the instrument
    that gives each, with the actions it permits."""

    dataset: str
    own: bool = False
    agreements: dict[str, set[str]] = field(default_factory=dict)
    """Agreement IRI → the ODRL actions it permits on the dataset."""
    approvals: set[str] = field(default_factory=set)


def service_day(settings: Settings) -> dt.date:
    """The calendar day the service judges by: `settings.today` when set (drills, tests),
    else today in UTC."""
    return settings.today or dt.datetime.now(dt.UTC).date()


def granted(store: Store, settings: Settings, tier: Tier, day: dt.date | None = None
            ) -> dict[str, Grant]:
    """Dataset IRI → its grant, for the datasets `tier` sees beyond the public ones on
    `day` (see the module docstring); public datasets the tier also holds may be among
    them."""
    if not tier.pairs:
        return {}
    day = day or service_day(settings)
    by_community = _grounds(store, settings, tier.communities, day)
    candidates = {d for grants in by_community.values() for d in grants}
    facts = _dataset_facts(store, settings, candidates)
    clearance = _clearances(store, settings, {role for _, role in tier.pairs})
    found: dict[str, Grant] = {}
    for org, role in sorted(tier.pairs):
        for dataset, grant in by_community.get(org, {}).items():
            if _passes_gate(facts.get(dataset), clearance.get(role, 1), role):
                _merge(found.setdefault(dataset, Grant(dataset)), grant)
    return found


def _merge(into: Grant, grant: Grant) -> None:
    into.own |= grant.own
    into.approvals |= grant.approvals
    for agreement, actions in grant.agreements.items():
        into.agreements.setdefault(agreement, set()).update(actions)


@dataclass
class _Facts:
    level: int = 0
    personal: bool = False
    roles: set[str] = field(default_factory=set)


def _passes_gate(facts: _Facts | None, clearance: int, role: str) -> bool:
    if facts is None:
        return False
    if facts.level > clearance:
        return False
    return not facts.personal or role in facts.roles


def _grounds(store: Store, settings: Settings, communities: Iterable[str], day: dt.date
             ) -> dict[str, dict[str, Grant]]:
    """Community → dataset → the grounds it has there (no gate applied yet)."""
    minter = Minter(settings.base)
    registry = minter.graph(REGISTRY_GRAPH).value
    ontology = minter.graph(ONTOLOGY_GRAPH).value
    orgs = "VALUES ?org { " + " ".join(f"<{o}>" for o in sorted(communities)) + " }"
    prefixes = sparql_prefixes()
    found: dict[str, dict[str, Grant]] = {}

    def grant(org: str, dataset: str) -> Grant:
        return found.setdefault(org, {}).setdefault(dataset, Grant(dataset))

    for row in store.query(prefixes + f"""
SELECT DISTINCT ?org ?dataset WHERE {{ {orgs} ?dataset a dcat:Dataset ; dct:publisher ?org }}""",
                           union_default_graph=True):
        grant(row["org"].value, row["dataset"].value).own = True

    actions = " ".join(f"<{a}>" for a in HOLDING_ACTIONS)
    for row in store.query(prefixes + f"""
SELECT DISTINCT ?org ?dataset ?agreement ?action WHERE {{
  {orgs}
  GRAPH <{registry}> {{
    ?agreement a odrl:Agreement ; rg:status <{APPROVED}> ; rg:validFrom ?from ;
               odrl:permission ?permission .
    FILTER NOT EXISTS {{ ?agreement rg:status ?other FILTER(?other != <{APPROVED}>) }}{_in_force_filters(day, "?agreement")}
    ?permission odrl:target ?dataset ; odrl:assignee ?org ; odrl:assigner ?owner ;
                odrl:action ?action .
    VALUES ?action {{ {actions} }}{_date_constraints(day)}
  }}
  ?dataset a dcat:Dataset ; dct:publisher ?owner .
}}""", union_default_graph=True):
        held = grant(row["org"].value, row["dataset"].value)
        held.agreements.setdefault(row["agreement"].value, set()).add(row["action"].value)

    approval_actions = " ".join(f"<{a}>" for a in APPROVAL_ACTIONS)
    for row in store.query(prefixes + f"""
SELECT DISTINCT ?org ?dataset ?approval WHERE {{
  {orgs}
  {{ GRAPH <{registry}> {{ ?approval rg:coversDataset ?dataset }} }}
  UNION
  {{ GRAPH <{registry}> {{ ?approval rg:coversCategory ?category }}
     ?dataset dcat:theme|rg:personalDataCategory ?category }}
  ?dataset a dcat:Dataset ; dct:publisher ?owner .
  GRAPH <{registry}> {{
    ?approval a rg:Approval ; rg:status <{APPROVED}> ; rg:action ?action ;
              rg:validFrom ?from ; rg:approvedBy ?approver .
    VALUES ?action {{ {approval_actions} }}
    FILTER NOT EXISTS {{ ?approval rg:status ?other FILTER(?other != <{APPROVED}>) }}{_in_force_filters(day)}
    {{ ?approval rg:scope <{RGC}scope/alliance> }}
    UNION {{ ?approval rg:scope <{RGC}scope/communities> ; rg:scopeCommunity ?org }}
    UNION {{ ?approval rg:scope <{RGC}scope/project> ; rg:scopeProject ?project .
             ?project rg:participant ?org }}
  }}
  {executive_pattern(registry, ontology)}
}}""", union_default_graph=True):
        grant(row["org"].value, row["dataset"].value).approvals.add(row["approval"].value)
    return found


def _date_constraints(day: dt.date) -> str:
    """A permission's own ODRL date constraints (`odrl:dateTime` with gteq/gt/lteq/lt) must
    hold on `day` too."""
    date = f'"{day.isoformat()}"^^xsd:date'
    tests = {"gteq": f"?bound > {date}", "gt": f"?bound >= {date}",
             "lteq": f"?bound < {date}", "lt": f"?bound <= {date}"}
    return "".join(f"""
    FILTER NOT EXISTS {{ ?permission odrl:constraint ?c . ?c odrl:leftOperand odrl:dateTime ;
      odrl:operator odrl:{operator} ; odrl:rightOperand ?bound FILTER({test}) }}"""
                   for operator, test in tests.items())


def _dataset_facts(store: Store, settings: Settings, datasets: set[str]) -> dict[str, _Facts]:
    """Each dataset's most restrictive access level (by `rg:order`), whether it holds
    personal data, and the roles its classification lets see that data."""
    registry = Minter(settings.base).graph(REGISTRY_GRAPH).value
    facts = {d: _Facts() for d in datasets}
    prefixes = sparql_prefixes()
    for chunk in _chunks(sorted(datasets)):
        values = "VALUES ?d { " + " ".join(f"<{d}>" for d in chunk) + " }"
        for row in store.query(prefixes + f"""
SELECT ?d (MAX(?order) AS ?level) WHERE {{ {values}
  ?d rg:accessLevel ?access . OPTIONAL {{ ?access rg:order ?o }}
  BIND(COALESCE(?o, 4) AS ?order) }} GROUP BY ?d""", union_default_graph=True):
            facts[row["d"].value].level = int(row["level"].value)
        for d in _values(store, prefixes + f"""
SELECT DISTINCT ?d WHERE {{ {values} ?d rg:personalDataCategory|dpv:hasPersonalData ?c }}"""):
            facts[d].personal = True
        for row in store.query(prefixes + f"""
SELECT ?d ?role WHERE {{ {values} GRAPH <{registry}> {{ ?d rg:personalDataRole ?role }} }}"""):
            facts[row["d"].value].roles.add(row["role"].value)
    unclassified = [fact for fact in facts.values() if fact.level == 0]
    if unclassified:  # classified nowhere: as restrictive as it gets
        confidential = _order_of_confidential(store)
        for fact in unclassified:
            fact.level = confidential
    return facts


def _order_of_confidential(store: Store) -> int:
    rows = list(store.query(f"SELECT ?o WHERE {{ <{CONFIDENTIAL}> <{RG.order.value}> ?o }}",
                            union_default_graph=True))
    return max((int(row[0].value) for row in rows), default=4)


def _clearances(store: Store, settings: Settings, roles: set[str]) -> dict[str, int]:
    """Role → the `rg:order` of its clearance, read from the ontology graph."""
    ontology = Minter(settings.base).graph(ONTOLOGY_GRAPH).value
    values = "VALUES ?role { " + " ".join(f"<{r}>" for r in sorted(roles)) + " }"
    rows = store.query(sparql_prefixes() + f"""
SELECT ?role (MAX(?order) AS ?level) WHERE {{ {values}
  GRAPH <{ontology}> {{ ?role rg:clearance ?access . ?access rg:order ?order }}
}} GROUP BY ?role""")
    return {row["role"].value: int(row["level"].value) for row in rows
            if row["level"] is not None}


def member_datasets(store: Store, settings: Settings, tier: Tier,
                    day: dt.date | None = None) -> set[str]:
    """Every dataset the tier sees on `day`: the public ones and the granted ones."""
    return publishable_datasets(store, settings, day) | set(granted(store, settings, tier, day))


def member_nodes(store: Store, settings: Settings, tier: Tier, day: dt.date | None = None
                 ) -> PublicNodes:
    """The nodes of the tier's view (see the module docstring)."""
    day = day or service_day(settings)
    nodes = public_nodes(store, settings, day)
    grants = granted(store, settings, tier, day)
    if not grants:
        return nodes
    instruments = ({a for g in grants.values() for a in g.agreements}
                   | {a for g in grants.values() for a in g.approvals})
    extra = set(grants) | instruments | _distributions(store, set(grants)) | _permissions(
        store, {a for g in grants.values() for a in g.agreements}, set(grants))
    return PublicNodes(public=nodes.public | extra, private=nodes.private - extra,
                       datasets=nodes.datasets | set(grants), base=nodes.base,
                       ontology_graph=nodes.ontology_graph)


def _distributions(store: Store, datasets: set[str]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(sorted(datasets)):
        values = "VALUES ?d { " + " ".join(f"<{d}>" for d in chunk) + " }"
        found |= _values(store, sparql_prefixes() + f"""
SELECT DISTINCT ?x WHERE {{ {values} ?d dcat:distribution ?x FILTER(isIRI(?x)) }}""")
    return found


def _permissions(store: Store, agreements: set[str], datasets: set[str]) -> set[str]:
    """The permissions of `agreements` whose target the tier sees (not the others)."""
    if not agreements:
        return set()
    values = "VALUES ?a { " + " ".join(f"<{a}>" for a in sorted(agreements)) + " }"
    rows = store.query(sparql_prefixes() + f"""
SELECT ?p ?t WHERE {{ {values} ?a odrl:permission ?p . ?p odrl:target ?t }}""",
                       union_default_graph=True)
    return {row["p"].value for row in rows if row["t"].value in datasets}


# ---------------------------------------------------------------------------------------
# what routes ask: the grants of a principal's tier, kept per tier until the key moves
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TierState:
    """One tier's answer for one store version and day: its grants, the datasets it sees
    (public ones included) and those it sees only as a member."""

    key: tuple[int, str]
    grants: dict[str, Grant]
    visible: frozenset[str]
    hidden: frozenset[str]


_kept: weakref.WeakKeyDictionary[object, dict[Tier, TierState]] = weakref.WeakKeyDictionary()
_kept_lock = threading.Lock()


def view_key(store: Store, settings: Settings) -> tuple[int, str]:
    """The cache key of every member view: the store version and the service's day."""
    from regiongraph.change import cache_key

    return cache_key(store, settings, service_day(settings))


def tier_state(store: Store, settings: Settings, tier: Tier) -> TierState:
    """The tier's grants for the service's day, kept per tier until the store version or
    the day moves (so an agreement that lapses stops granting that day, with no restart)."""
    key = view_key(store, settings)
    state = _kept.get(store, {}).get(tier)
    if state is not None and state.key == key:
        return state
    day = service_day(settings)
    grants = granted(store, settings, tier, day)
    public = publishable_datasets(store, settings, day)
    state = TierState(key, grants, frozenset(public | set(grants)),
                      frozenset(set(grants) - public))
    with _kept_lock:
        _kept.setdefault(store, {})[tier] = state
    return state


def tier_grants(store: Store, settings: Settings, tier: Tier) -> dict[str, Grant]:
    """`granted` for the service's day (`tier_state`)."""
    return tier_state(store, settings, tier).grants if tier.pairs else {}


def member_also(store: Store, settings: Settings, principal: Principal
                ) -> frozenset[str] | None:
    """The non-public dataset IRIs `principal` may see as a member: what search and CKAN
    add to the public records; None for anonymous users and the steward (who sees all)."""
    if principal.alliance_steward or principal.person is None:
        return None
    return tier_state(store, settings, tier_of(principal)).hidden


def audited(store: Store, settings: Settings, principal: Principal, iris: Iterable[str],
            route: str) -> None:
    """Record that `principal` was shown `iris`, if any of them it sees only as a member."""
    also = member_also(store, settings, principal)
    hidden = set(iris) & also if also else set()
    if hidden and principal.person:
        from regiongraph.audit import record

        record(store, settings, principal.person, hidden, route)


def visible_datasets(store: Store, settings: Settings, principal: Principal) -> set[str] | None:
    """Every dataset `principal` sees (None for the alliance steward: all of them)."""
    if principal.alliance_steward:
        return None
    return set(tier_state(store, settings, tier_of(principal)).visible)
