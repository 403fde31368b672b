"""THE rule for what anonymous users may see. Every public route calls this module.

DESIGN.md (security model): anonymous requests — SPARQL, the catalog, data.json, search,
pages, lineage — never return a triple about anything that is not public and approved for
publication. Each of those routes must ask the same question the same way, so the answer
lives here, once.

**Publishable dataset.** A `dcat:Dataset` is publishable on a day when all of:

1. its access level is public: some graph says `rg:accessLevel rgc:access/public`, no
   graph gives it any other access level (the most restrictive statement wins, so a
   steward's classification in the registry overrides a catalog that says "public"), and
   no graph gives it a personal-data category (`rg:personalDataCategory` or
   `dpv:hasPersonalData`);
2. an approval in force covers it: in the *registry* graph, an `rg:Approval` with status
   approved (and no other status), action publish, scope public, valid that day
   (`rg:validFrom` ≤ day ≤ `rg:validUntil`, the end being optional), covering it by
   `rg:coversDataset` (or by `rg:coversCategory` naming one of its `dcat:theme`s);
3. given by an executive of the data's owner: the approver (`rg:approvedBy`) holds, in the
   registry, an `rg:RoleAssignment` in the dataset's `dct:publisher` whose role is an
   `rg:ExecutiveRole` in the ontology graph.

Approvals and roles are read only from the registry graph (and executive roles only from
the ontology graph): a harvested catalog is written by a member's portal, and must not be
able to approve its own publication.

**Public view** (`public_quads`): the quads an anonymous user may see. Public nodes are the
publishable datasets and their distributions, the catalogs, and — trusted only when the
registry declares them — the region, communities, partners, memberships, standards,
projects, data strategies, capabilities offered and needed, and the approvals that allow
the publication of a publishable dataset; plus the ontology graph (classes, properties,
concept schemes). A quad is public when its subject is a public node and its object is a
literal, a public node, a blank node (followed, with the same rule), or an IRI from outside
the alliance's base that is not a personal-data category. Never public: a dataset that is
not publishable, any other approval, agreements, people and their roles and engagements,
jobs, personal-data categories, and anything else minted under the base but not listed
above (reports, harvest logs, meta data). So a project is shown, but its link to a
restricted dataset is not; a publishable dataset is shown, but not the lineage edge to a
confidential source.
"""

import datetime as dt
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field

from pyoxigraph import BlankNode, Literal, NamedNode, Quad

from regiongraph.iri import ONTOLOGY_GRAPH, REGISTRY_GRAPH, Minter
from regiongraph.namespaces import RGC, sparql_prefixes
from regiongraph.settings import Settings
from regiongraph.store import Store

PD = "https://w3id.org/dpv/pd#"
PERSONAL_DATA_SCHEME = RGC + "personal-data"

# Classes the registry declares whose instances are public (subclasses are asserted too
# by the registry reader, so the base classes suffice).
PUBLIC_REGISTRY_CLASSES = (
    "rg:Region", "rg:Community", "rg:Partner", "rg:AllianceMembership", "dct:Standard",
    "rg:Project", "rg:DataStrategy", "rg:CapabilityOffer", "rg:CapabilityNeed",
)
# Classes whose instances are never public, from whatever graph (publishing approvals are
# let through explicitly).
PRIVATE_CLASSES = (
    "rg:Approval", "rg:GovernanceRecord", "rg:DataSharingAgreement", "odrl:Agreement",
    "odrl:Policy", "odrl:Permission", "foaf:Person", "prov:Person", "rg:RoleAssignment",
    "rg:Engagement", "rg:Job",
)


def _today(today: dt.date | None) -> dt.date:
    return today or dt.datetime.now(dt.UTC).date()


def _date(day: dt.date) -> str:
    return f'"{day.isoformat()}"^^xsd:date'


def _in_force_filters(day: dt.date | None) -> str:
    """The date conditions of condition 2; none when the caller judges the day itself."""
    if day is None:
        return ""
    return f"""
    FILTER(?from <= {_date(day)})
    OPTIONAL {{ ?approval rg:validUntil ?until }}
    FILTER(!BOUND(?until) || ?until >= {_date(day)})
    FILTER NOT EXISTS {{
      ?approval rg:validUntil ?end FILTER(?end < {_date(day)})
    }}"""


def _publishing_query(minter: Minter, day: dt.date | None) -> str:
    registry = minter.graph(REGISTRY_GRAPH).value
    ontology = minter.graph(ONTOLOGY_GRAPH).value
    return sparql_prefixes() + f"""
SELECT DISTINCT ?dataset ?approval WHERE {{
  ?dataset a dcat:Dataset ;
           rg:accessLevel <{RGC}access/public> ;
           dct:publisher ?owner .
  FILTER NOT EXISTS {{ ?dataset rg:accessLevel ?level FILTER(?level != <{RGC}access/public>) }}
  FILTER NOT EXISTS {{ ?dataset rg:personalDataCategory|dpv:hasPersonalData ?category }}
  {{ GRAPH <{registry}> {{ ?approval rg:coversDataset ?dataset }} }}
  UNION
  {{ GRAPH <{registry}> {{ ?approval rg:coversCategory ?theme }} ?dataset dcat:theme ?theme }}
  GRAPH <{registry}> {{
    ?approval a rg:Approval ;
              rg:status <{RGC}status/approved> ;
              rg:action <{RGC}action/publish> ;
              rg:scope <{RGC}scope/public> ;
              rg:validFrom ?from ;
              rg:approvedBy ?approver .
    FILTER NOT EXISTS {{ ?approval rg:status ?other FILTER(?other != <{RGC}status/approved>) }}{_in_force_filters(day)}
    ?assignment a rg:RoleAssignment ;
                org:member ?approver ;
                org:organization ?owner ;
                org:role ?role .
  }}
  GRAPH <{ontology}> {{ ?role a rg:ExecutiveRole }}
}}"""


def publishing_approvals(store: Store, settings: Settings,
                         today: dt.date | None = None) -> dict[str, set[str]]:
    """Publishable dataset IRI → the approvals in force that allow its publication."""
    return _approvals_by_dataset(store, _publishing_query(Minter(settings.base), _today(today)))


def publication_candidates(store: Store, settings: Settings) -> dict[str, set[str]]:
    """Dataset IRI → the approvals that publish it on every day they are in force.

    Conditions 1 and 3 and all of 2 but the dates, for callers that judge several days or
    what-ifs over one reading: the governance analysis counts a flow of data published as
    open data as covered, and only by what this module calls publication.
    """
    return _approvals_by_dataset(store, _publishing_query(Minter(settings.base), None))


def _approvals_by_dataset(store: Store, query: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for row in store.query(query, union_default_graph=True):
        found.setdefault(row["dataset"].value, set()).add(row["approval"].value)
    return found


def publishable_datasets(store: Store, settings: Settings,
                         today: dt.date | None = None) -> set[str]:
    """IRIs of the datasets anonymous users may see on `today` (default: today, UTC)."""
    return set(publishing_approvals(store, settings, today))


def is_publishable(store: Store, settings: Settings, dataset: str,
                   today: dt.date | None = None) -> bool:
    return dataset in publishable_datasets(store, settings, today)


@dataclass
class PublicNodes:
    """Which IRIs are public, which are never, and the graphs treated specially."""

    public: set[str] = field(default_factory=set)
    private: set[str] = field(default_factory=set)
    datasets: set[str] = field(default_factory=set)
    base: str = ""
    ontology_graph: str = ""

    def object_allowed(self, term: object) -> bool:
        if isinstance(term, Literal):
            return True
        if isinstance(term, NamedNode):
            iri = term.value
            if iri in self.private or iri.startswith(PD):
                return False
            if iri in self.public:
                return True
            return not iri.startswith(self.base)
        return isinstance(term, BlankNode)

    def subject_public(self, term: object) -> bool:
        return (isinstance(term, NamedNode) and term.value in self.public
                and term.value not in self.private)


def _values(store: Store, query: str) -> set[str]:
    return {row[0].value for row in store.query(query, union_default_graph=True)
            if row[0] is not None}


def public_nodes(store: Store, settings: Settings, today: dt.date | None = None) -> PublicNodes:
    """Compute the public and the never-public IRIs (see the module docstring)."""
    minter = Minter(settings.base)
    registry = minter.graph(REGISTRY_GRAPH).value
    ontology = minter.graph(ONTOLOGY_GRAPH).value
    prefixes = sparql_prefixes()
    approvals_by_dataset = publishing_approvals(store, settings, today)
    datasets = set(approvals_by_dataset)
    publishing = set().union(*approvals_by_dataset.values()) if approvals_by_dataset else set()

    classes = " ".join(PUBLIC_REGISTRY_CLASSES)
    trusted = _values(store, prefixes + f"""
        SELECT DISTINCT ?s WHERE {{ GRAPH <{registry}> {{ ?s a ?class }} VALUES ?class {{ {classes} }} }}""")
    registry_subjects = _values(store, prefixes + f"""
        SELECT DISTINCT ?s WHERE {{ GRAPH <{registry}> {{ ?s ?p ?o }} FILTER(isIRI(?s)) }}""")
    all_datasets = _values(store, prefixes + "SELECT DISTINCT ?s WHERE { ?s a dcat:Dataset }")
    private_classes = " ".join(PRIVATE_CLASSES)
    typed_private = _values(store, prefixes + f"""
        SELECT DISTINCT ?s WHERE {{ ?s a ?class }} VALUES ?class {{ {private_classes} }}""")
    personal = _values(store, prefixes + f"""
        SELECT DISTINCT ?c WHERE {{
          {{ ?x rg:personalDataCategory|dpv:hasPersonalData ?c }}
          UNION {{ ?c skos:inScheme <{PERSONAL_DATA_SCHEME}> }}
          UNION {{ ?c a dpv:PersonalData }}
        }}""")
    distributions = {row["x"].value for row in store.query(
        prefixes + "SELECT ?d ?x WHERE { ?d dcat:distribution ?x FILTER(isIRI(?x)) }",
        union_default_graph=True) if row["d"].value in datasets}
    catalogs = _values(store, prefixes + "SELECT DISTINCT ?s WHERE { ?s a dcat:Catalog }")

    private = ((all_datasets - datasets) | (typed_private - publishing)
               | (registry_subjects - trusted - datasets - publishing) | personal)
    public = (datasets | publishing | trusted | distributions | catalogs) - private
    return PublicNodes(public=public, private=private, datasets=datasets,
                       base=minter.base, ontology_graph=ontology)


def public_quads(store: Store, settings: Settings, today: dt.date | None = None
                 ) -> Iterator[Quad]:
    """Every quad safe to show anonymously (see the module docstring), each once.

    Streams the store once; blank nodes reachable from public subjects are followed
    within their graph, with the same object rule.
    """
    nodes = public_nodes(store, settings, today)
    blank_quads: dict[tuple[object, str], list[Quad]] = {}
    pending: deque[tuple[object, str]] = deque()
    for quad in store.quads():
        graph = quad.graph_name
        graph_key = getattr(graph, "value", "")
        if graph_key == nodes.ontology_graph:
            if _mentions_personal_data(quad, nodes):
                continue
            yield quad
            continue
        if isinstance(quad.subject, BlankNode):
            blank_quads.setdefault((graph, quad.subject.value), []).append(quad)
            continue
        if not nodes.subject_public(quad.subject) or not nodes.object_allowed(quad.object):
            continue
        yield quad
        if isinstance(quad.object, BlankNode):
            pending.append((graph, quad.object.value))
    seen: set[tuple[object, str]] = set()
    while pending:
        key = pending.popleft()
        if key in seen:
            continue
        seen.add(key)
        for quad in blank_quads.get(key, []):
            if not nodes.object_allowed(quad.object):
                continue
            yield quad
            if isinstance(quad.object, BlankNode):
                pending.append((key[0], quad.object.value))


def _mentions_personal_data(quad: Quad, nodes: PublicNodes) -> bool:
    for term in (quad.subject, quad.object):
        if isinstance(term, NamedNode) and (term.value.startswith(PD)
                                            or term.value in nodes.private):
            return True
    return False
