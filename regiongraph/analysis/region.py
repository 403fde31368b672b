"""A read-only snapshot of the region, read from the store in a handful of SPARQL queries.

Region-wide analyses (reuse, governance coverage, standards, network measures) look at
every dataset, project and approval at once; asking the store one question per item
would cost a round trip each (ruinous on the remote backend). So they read the region
once, with one query per relation (never one wide query whose OPTIONALs multiply rows),
into plain dictionaries of IRI strings, and compute in Python.

Everything is read across all named graphs (the union default graph): the registry,
every harvested source, the manual-edge graph and the inference graph each hold part
of the picture. Lineage walks from one node do not use this snapshot: they ask the store
level by level (see `lineage.py`) so their cost follows the answer, not the region.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from pyoxigraph import Literal

from regiongraph.conformance import conformance
from regiongraph.namespaces import sparql_prefixes
from regiongraph.settings import Settings
from regiongraph.store import Store
from regiongraph.visibility import publication_candidates

PREFIXES = sparql_prefixes()
GEO = "http://www.opengis.net/ont/geosparql#"
RGC = "https://w3id.org/regiongraph/concepts/"

# Fallback order of phases when the concept scheme (with rg:order) is not in the store.
PHASE_ORDER = {"ideation": 1, "design": 2, "pilot": 3, "production": 4, "retired": 5}


def rows(store: Store, query: str) -> list[tuple[str | None, ...]]:
    """Run a SELECT over the union of all graphs; each row as a tuple of term values."""
    result = store.query(PREFIXES + query, union_default_graph=True)
    variables = [v.value for v in result.variables]
    out = []
    for solution in result:
        values = []
        for name in variables:
            term = solution[name]
            values.append(None if term is None else term.value)
        out.append(tuple(values))
    return out


def local_name(iri: str | None) -> str:
    """The last path segment of an IRI: `rgc:phase/pilot` → `pilot` (labels of last resort)."""
    if not iri:
        return ""
    return iri.rstrip("/").replace("#", "/").rsplit("/", 1)[-1]


def parse_date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


@dataclass
class Dataset:
    iri: str
    publisher: str | None = None
    themes: set[str] = field(default_factory=set)
    keywords: set[str] = field(default_factory=set)
    standards: set[str] = field(default_factory=set)
    """The standards it conforms to, as `regiongraph.conformance` resolves them."""
    access: set[str] = field(default_factory=set)
    personal: set[str] = field(default_factory=set)
    bboxes: list[tuple[float, float, float, float]] = field(default_factory=list)
    coverage: list[str] = field(default_factory=list)
    """Its coverage as geometry texts (`regiongraph.geo.index.COVERAGE`), parsed on demand."""


@dataclass
class Project:
    iri: str
    lead: str | None = None
    participants: set[str] = field(default_factory=set)
    domains: set[str] = field(default_factory=set)
    phase: str | None = None
    uses: set[str] = field(default_factory=set)
    produces: set[str] = field(default_factory=set)
    areas: list[str] = field(default_factory=list)
    """The project's area as geometry texts (`geo:hasGeometry/geo:asWKT`)."""


@dataclass
class GovernanceRecord:
    iri: str
    type: str  # approval | agreement
    status: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    actions: set[str] = field(default_factory=set)
    datasets: set[str] = field(default_factory=set)
    categories: set[str] = field(default_factory=set)
    owner: set[str] = field(default_factory=set)
    scope: str | None = None
    scope_projects: set[str] = field(default_factory=set)
    scope_communities: set[str] = field(default_factory=set)
    assigners: set[str] = field(default_factory=set)
    assignees: set[str] = field(default_factory=set)

    def in_force(self, on: date) -> bool:
        """Approved, started, and not past its last day: only then does it cover anything."""
        if local_name(self.status) != "approved":
            return False
        if self.valid_from and self.valid_from > on:
            return False
        return not (self.valid_until and self.valid_until < on)


@dataclass
class Region:
    labels: dict[str, str] = field(default_factory=dict)
    communities: set[str] = field(default_factory=set)
    partners: set[str] = field(default_factory=set)
    datasets: dict[str, Dataset] = field(default_factory=dict)
    projects: dict[str, Project] = field(default_factory=dict)
    activities: set[str] = field(default_factory=set)
    activity_runner: dict[str, str] = field(default_factory=dict)
    # lineage edges (upstream, downstream, kind), datasets and non-project activities only
    edges: list[tuple[str, str, str]] = field(default_factory=list)
    governance: dict[str, GovernanceRecord] = field(default_factory=dict)
    standards: dict[str, set[str]] = field(default_factory=dict)
    """standard IRI → its IRIs and homepages a dct:conformsTo may name."""
    publication: dict[str, set[str]] = field(default_factory=dict)
    """dataset IRI → the approvals that publish it as open data while in force
    (`visibility.publication_candidates`: the public rule, read once)."""
    standard_domains: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    phase_order: dict[str, int] = field(default_factory=dict)
    engagements: dict[str, list[tuple[str | None, str | None]]] = field(
        default_factory=lambda: defaultdict(list))
    """project → [(data leader, phase at which engaged)]."""
    needs: dict[str, dict] = field(default_factory=dict)
    """need IRI → {project, kind, domain, met_by: set}."""
    offers: dict[str, dict] = field(default_factory=dict)
    """offer IRI → {by: set, kind, domain}."""
    endorsements: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    """dataset IRI → the public, unhidden endorsements of it in the forum ("we use this
    dataset"): evidence the reuse ranking shows, readable by everyone who sees the ranking."""

    def label(self, iri: str | None) -> str:
        if iri is None:
            return ""
        return self.labels.get(iri) or local_name(iri)

    def phase_rank(self, phase: str | None) -> int | None:
        if phase is None:
            return None
        return self.phase_order.get(phase) or PHASE_ORDER.get(local_name(phase))

    def standard_of(self, conforms_to: str) -> str | None:
        """The registry standard a dct:conformsTo value names (its IRI or a homepage)."""
        for standard, names in self.standards.items():
            if conforms_to in names:
                return standard
        return None


def load_region(store: Store, settings: Settings | None = None) -> Region:
    """Read the whole region from the store (one query per relation)."""
    region = Region()
    region.publication = publication_candidates(store, settings or Settings())
    _labels(store, region)
    _organisations(store, region)
    _datasets(store, region)
    _projects(store, region)
    _lineage_edges(store, region)
    _governance(store, region)
    _standards(store, region)
    _engagement(store, region)
    _endorsements(store, region)
    for concept, order in rows(store, "SELECT ?c ?o WHERE { ?c rg:order ?o }"):
        try:
            region.phase_order[concept] = int(order)
        except (TypeError, ValueError):
            continue
    return region


def _endorsements(store: Store, region: Region) -> None:
    for dataset, annotation in rows(store, f"""
        SELECT ?d ?a WHERE {{
          ?a <http://www.w3.org/ns/oa#motivatedBy> <http://www.w3.org/ns/oa#assessing> ;
             <http://www.w3.org/ns/oa#hasTarget> ?d ; rg:audience <{RGC}audience/public> .
          ?d a dcat:Dataset .
          FILTER NOT EXISTS {{ ?m <http://www.w3.org/ns/oa#hasTarget> ?a ;
                               <http://www.w3.org/ns/oa#motivatedBy>
                               <http://www.w3.org/ns/oa#moderating> }}
        }} ORDER BY ?d ?a"""):
        region.endorsements[dataset].append(annotation)


def _labels(store: Store, region: Region) -> None:
    # Preference: dct:title, skos:prefLabel, foaf:name, rdfs:label; English or untagged first.
    ranked: dict[str, tuple[int, str]] = {}
    query = """SELECT ?s ?p ?l WHERE {
      VALUES ?p { dct:title skos:prefLabel foaf:name rdfs:label } ?s ?p ?l }"""
    preference = {
        "http://purl.org/dc/terms/title": 0, "http://www.w3.org/2004/02/skos/core#prefLabel": 1,
        "http://xmlns.com/foaf/0.1/name": 2, "http://www.w3.org/2000/01/rdf-schema#label": 3,
    }
    for row in store.query(PREFIXES + query, union_default_graph=True):
        subject, text = row["s"], row["l"]
        language = getattr(text, "language", None)
        if not isinstance(text, Literal) or language not in (None, "") and \
                not language.lower().startswith("en"):
            continue
        rank = preference.get(row["p"].value, 9)
        key = subject.value
        if key not in ranked or rank < ranked[key][0]:
            ranked[key] = (rank, text.value)
    region.labels = {s: t for s, (_, t) in ranked.items()}


def _organisations(store: Store, region: Region) -> None:
    for (iri,) in rows(store, "SELECT DISTINCT ?c WHERE { ?c a/rdfs:subClassOf* rg:Community }"):
        region.communities.add(iri)
    for (iri,) in rows(store, "SELECT DISTINCT ?c WHERE { ?c a/rdfs:subClassOf* rg:Partner }"):
        region.partners.add(iri)


def _datasets(store: Store, region: Region) -> None:
    for (iri,) in rows(store, "SELECT DISTINCT ?d WHERE { ?d a dcat:Dataset }"):
        region.datasets[iri] = Dataset(iri)

    def each(query: str):
        for subject, value in rows(store, query):
            found = region.datasets.get(subject)
            if found is not None and value is not None:
                yield found, value

    for d, value in each("SELECT ?d ?p WHERE { ?d dct:publisher ?p }"):
        d.publisher = d.publisher or value
    for d, value in each("SELECT ?d ?p WHERE { ?d rg:community ?p }"):
        d.publisher = d.publisher or value
    for d, value in each("SELECT ?d ?t WHERE { ?d dcat:theme ?t }"):
        d.themes.add(value)
    for d, value in each("SELECT ?d ?k WHERE { ?d dcat:keyword ?k }"):
        d.keywords.add(value.strip().lower())
    for iri, standards in conformance(store).items():  # the one reading of conformance
        if iri in region.datasets:
            region.datasets[iri].standards.update(s.iri for s in standards)
    for d, value in each("SELECT ?d ?a WHERE { ?d rg:accessLevel ?a }"):
        d.access.add(value)
    for d, value in each(
        "SELECT ?d ?c WHERE { { ?d rg:personalDataCategory ?c } UNION { ?d rg:personalData ?c } }"
    ):
        d.personal.add(value)
    from regiongraph.geo.index import COVERAGE

    for d, value in each(f"PREFIX geo: <{GEO}> SELECT DISTINCT ?d ?w WHERE {{ {COVERAGE} }}"):
        box = wkt_bbox(value)
        if box is not None:
            d.bboxes.append(box)
            d.coverage.append(value)
    for community in {d.publisher for d in region.datasets.values() if d.publisher}:
        if community not in region.partners:
            region.communities.add(community)


def wkt_bbox(wkt: str) -> tuple[float, float, float, float] | None:
    """(west, south, east, north) of the coordinates in a WKT literal, or None."""
    import re

    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", wkt)]
    if len(numbers) < 4 or len(numbers) % 2:
        return None
    xs, ys = numbers[0::2], numbers[1::2]
    return (min(xs), min(ys), max(xs), max(ys))


def _projects(store: Store, region: Region) -> None:
    for (iri,) in rows(store, "SELECT DISTINCT ?p WHERE { ?p a rg:Project }"):
        region.projects[iri] = Project(iri)

    def each(query: str):
        for subject, value in rows(store, query):
            found = region.projects.get(subject)
            if found is not None and value is not None:
                yield found, value

    for p, value in each("SELECT ?p ?c WHERE { ?p a rg:Project ; rg:leadCommunity ?c }"):
        p.lead = p.lead or value
        p.participants.add(value)
    for p, value in each("SELECT ?p ?c WHERE { ?p a rg:Project ; rg:participant ?c }"):
        p.participants.add(value)
    for p, value in each("SELECT ?p ?d WHERE { ?p a rg:Project ; rg:domain ?d }"):
        p.domains.add(value)
    for p, value in each("SELECT ?p ?d WHERE { ?p a rg:Project ; rg:phase ?d }"):
        p.phase = value
    for p, value in each("SELECT ?p ?d WHERE { ?p a rg:Project ; rg:usesDataset ?d }"):
        p.uses.add(value)
    for p, value in each("SELECT ?p ?d WHERE { ?p a rg:Project ; rg:producesDataset ?d }"):
        p.produces.add(value)
    for p, value in each(f"SELECT ?p ?w WHERE {{ ?p a rg:Project ; <{GEO}hasGeometry>/"
                         f"<{GEO}asWKT> ?w }}"):
        p.areas.append(value)


LINEAGE_EDGES = """SELECT DISTINCT ?up ?down ?kind WHERE {
  { ?down prov:wasDerivedFrom ?up . BIND("derivation" AS ?kind) }
  UNION { ?act prov:used ?up . BIND(?act AS ?down) BIND("used" AS ?kind)
          FILTER NOT EXISTS { ?act a rg:Project } }
  UNION { ?up prov:generated ?down . BIND("generated" AS ?kind)
          FILTER NOT EXISTS { ?up a rg:Project } }
  UNION { ?down prov:wasGeneratedBy ?up . BIND("generated" AS ?kind)
          FILTER NOT EXISTS { ?up a rg:Project } }
}"""


LINEAGE_PARTS = (
    ("derivation", "SELECT ?up ?down WHERE { ?down prov:wasDerivedFrom ?up }"),
    ("used", "SELECT ?up ?down WHERE { ?down prov:used ?up }"),
    ("generated", "SELECT ?up ?down WHERE { ?up prov:generated ?down }"),
    ("generated", "SELECT ?up ?down WHERE { ?down prov:wasGeneratedBy ?up }"),
)


def _lineage_edges(store: Store, region: Region) -> None:
    # Four plain patterns, projects dropped in Python: a FILTER NOT EXISTS per row costs
    # more than the rest of the query on large regions (see LINEAGE_EDGES for the same
    # graph in one query, used by the benchmark's networkx copy).
    seen = set()
    projects = region.projects
    for kind, query in LINEAGE_PARTS:
        for up, down in rows(store, query):
            if up is None or down is None:
                continue
            activity = down if kind == "used" else up if kind == "generated" else None
            if activity is not None and (activity in projects or up == down):
                continue
            if activity is not None:
                region.activities.add(activity)
            key = (up, down, kind)
            if key not in seen:
                seen.add(key)
                region.edges.append(key)
    for act, org in rows(store, "SELECT ?a ?o WHERE { ?a rg:runBy ?o }"):
        if act and org:
            region.activity_runner[act] = org


def _governance(store: Store, region: Region) -> None:
    for iri, kind in rows(store, """SELECT DISTINCT ?g ?kind WHERE {
        { ?g a rg:Approval . BIND("approval" AS ?kind) }
        UNION { ?g a rg:DataSharingAgreement . BIND("agreement" AS ?kind) } }"""):
        region.governance[iri] = GovernanceRecord(iri, kind)

    def each(predicate: str):
        for subject, value in rows(store, f"SELECT ?g ?v WHERE {{ ?g {predicate} ?v }}"):
            found = region.governance.get(subject)
            if found is not None and value is not None:
                yield found, value

    for g, value in each("rg:status"):
        g.status = value
    for g, value in each("rg:validFrom"):
        g.valid_from = parse_date(value)
    for g, value in each("rg:validUntil"):
        g.valid_until = parse_date(value)
    for g, value in each("rg:action"):
        g.actions.add(value)
    for g, value in each("rg:coversDataset"):
        g.datasets.add(value)
    for g, value in each("odrl:permission/odrl:target"):
        g.datasets.add(value)
    for g, value in each("rg:coversCategory"):
        g.categories.add(value)
    for g, value in each("rg:dataOwner"):
        g.owner.add(value)
    for g, value in each("rg:scope"):
        g.scope = value
    for g, value in each("rg:scopeProject"):
        g.scope_projects.add(value)
    for g, value in each("rg:scopeCommunity"):
        g.scope_communities.add(value)
    for g, value in each("odrl:assigner"):
        g.assigners.add(value)
    for g, value in each("odrl:assignee"):
        g.assignees.add(value)
    for g, value in each("odrl:permission/odrl:assigner"):
        g.assigners.add(value)
    for g, value in each("odrl:permission/odrl:assignee"):
        g.assignees.add(value)


def _standards(store: Store, region: Region) -> None:
    for (iri,) in rows(store, "SELECT DISTINCT ?s WHERE { ?s a dct:Standard }"):
        region.standards[iri] = {iri}
    for iri, page in rows(store, """SELECT ?s ?h WHERE { ?s a dct:Standard .
        { ?s foaf:homepage ?h } UNION { ?s dcat:landingPage ?h } UNION { ?s rdfs:seeAlso ?h }
        UNION { ?s owl:sameAs ?h } }"""):
        if iri in region.standards and page:
            region.standards[iri].add(page)
            region.standards[iri].add(page.rstrip("/"))
    query = "SELECT ?s ?d WHERE { ?s a dct:Standard ; rg:standardDomain ?d }"
    for iri, domain in rows(store, query):
        if domain:
            region.standard_domains[iri].add(domain)


def _engagement(store: Store, region: Region) -> None:
    for project, agent, phase in rows(store, """SELECT ?p ?agent ?phase WHERE {
        ?p rg:engagement ?e . OPTIONAL { ?e prov:agent ?agent }
        OPTIONAL { ?e rg:engagedAtPhase ?phase } }"""):
        if project:
            region.engagements[project].append((agent, phase))
    for project, need, kind, domain in rows(store, """SELECT ?p ?n ?k ?d WHERE {
        ?p rg:needsCapability ?n . OPTIONAL { ?n rg:capabilityKind ?k }
        OPTIONAL { ?n rg:capabilityDomain ?d } }"""):
        entry = region.needs.setdefault(need, {"project": project, "kind": None,
                                               "domains": set(), "met_by": set()})
        entry["kind"] = entry["kind"] or kind
        if domain:
            entry["domains"].add(domain)
    for need, offer in rows(store, "SELECT ?n ?o WHERE { ?n rg:metBy ?o }"):
        if need in region.needs and offer:
            region.needs[need]["met_by"].add(offer)
    for offer, by, kind, domain in rows(store, """SELECT ?o ?by ?k ?d WHERE {
        { ?o a rg:CapabilityOffer } UNION { ?by rg:offersCapability ?o }
        UNION { ?o rg:offeredBy ?by }
        OPTIONAL { ?o rg:offeredBy ?by } OPTIONAL { ?by rg:offersCapability ?o }
        OPTIONAL { ?o rg:capabilityKind ?k } OPTIONAL { ?o rg:capabilityDomain ?d } }"""):
        entry = region.offers.setdefault(offer, {"by": set(), "kind": None, "domains": set()})
        if by:
            entry["by"].add(by)
        entry["kind"] = entry["kind"] or kind
        if domain:
            entry["domains"].add(domain)
