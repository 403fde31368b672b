"""Small hand-made regions for the analysis tests, written as real quads into a memory store."""

from pyoxigraph import Literal, NamedNode, Quad

from regiongraph.iri import Minter
from regiongraph.namespaces import DCAT, DCT, PROV, RDF, RDFS, RG, RGC, XSD
from regiongraph.settings import Settings
from regiongraph.store import open_store

BASE = "https://data.sonoranvalley.example/"
MINTER = Minter(BASE)
GRAPH = MINTER.graph("source", "test")
REGISTRY = MINTER.graph("registry")
ONTOLOGY = MINTER.graph("ontology")


def memory_store():
    return open_store(Settings(store="memory"))


def ds(name: str) -> NamedNode:
    community, _, ident = name.partition("/")
    return MINTER.iri("dataset", community, ident)


def community(name: str) -> NamedNode:
    return MINTER.iri("community", name)


def project(name: str) -> NamedNode:
    return MINTER.iri("project", name)


def job(name: str) -> NamedNode:
    return MINTER.iri("job", name)


def concept(path: str) -> NamedNode:
    return RGC.term(path)


class RegionBuilder:
    """Collects quads for a tiny region; `store()` writes them into a fresh memory store."""

    def __init__(self) -> None:
        self.quads: list[Quad] = []

    def q(self, s, p, o, g=GRAPH):
        self.quads.append(Quad(s, p, o, g))
        return self

    def community(self, name: str, label: str | None = None):
        c = community(name)
        self.q(c, RDF.type, RG.City, REGISTRY)
        self.q(c, RDFS.label, Literal(label or name.title()), REGISTRY)
        return c

    def dataset(self, name: str, *, title: str | None = None, themes=(), keywords=(),
                standards=(), access="public", bbox: str | None = None):
        d = ds(name)
        publisher = community(name.split("/")[0])
        self.q(d, RDF.type, DCAT.Dataset)
        self.q(d, DCT.term("title"), Literal(title or name))
        self.q(d, DCT.publisher, publisher)
        self.q(d, RG.accessLevel, concept(f"access/{access}"))
        for t in themes:
            self.q(d, DCAT.theme, concept(f"domain/{t}"))
        for k in keywords:
            self.q(d, DCAT.keyword, Literal(k))
        for s in standards:
            self.q(d, DCT.conformsTo, NamedNode(s))
        if bbox:
            place = NamedNode(d.value + "/spatial")
            self.q(d, DCT.spatial, place)
            self.q(place, DCAT.bbox, Literal(bbox))
        return d

    def derive(self, down: str, up: str):
        return self.q(ds(down), PROV.wasDerivedFrom, ds(up))

    def job(self, name: str, used=(), generated=(), runner: str | None = None):
        j = job(name)
        self.q(j, RDF.type, RG.Job)
        self.q(j, RDFS.label, Literal(f"job {name}"))
        for u in used:
            self.q(j, PROV.used, ds(u))
        for g in generated:
            self.q(j, PROV.generated, ds(g))
        if runner:
            self.q(j, RG.runBy, community(runner))
        return j

    def project(self, name: str, *, lead: str, domain: str, phase: str = "pilot", uses=(),
                produces=(), participants=()):
        p = project(name)
        g = REGISTRY
        self.q(p, RDF.type, RG.Project, g)
        self.q(p, RDFS.label, Literal(f"Project {name}"), g)
        self.q(p, RG.leadCommunity, community(lead), g)
        self.q(p, RG.domain, concept(f"domain/{domain}"), g)
        self.q(p, RG.phase, concept(f"phase/{phase}"), g)
        for c in participants:
            self.q(p, RG.participant, community(c), g)
        for u in uses:
            self.q(p, RG.usesDataset, ds(u), g)
            # what an RDFS closure adds (rg:usesDataset ⊑ prov:used): must not leak into lineage
            self.q(p, PROV.used, ds(u), MINTER.graph("inference"))
        for o in produces:
            self.q(p, RG.producesDataset, ds(o), g)
            self.q(p, PROV.generated, ds(o), MINTER.graph("inference"))
        return p

    def record(self, name: str, *, kind: str = "approval", status: str = "approved",
               valid_from: str = "2025-01-01", valid_until: str | None = None, datasets=(),
               actions=("use",), scope: str = "alliance", scope_projects=(),
               scope_communities=(), owner: str | None = None, assigner: str | None = None,
               assignee=(), approver: str | None = None):
        from regiongraph.namespaces import ODRL

        g = REGISTRY
        r = MINTER.iri("approval" if kind == "approval" else "agreement", name)
        self.q(r, RDF.type, RG.Approval if kind == "approval" else RG.DataSharingAgreement, g)
        self.q(r, RDFS.label, Literal(f"{kind} {name}"), g)
        self.q(r, RG.status, concept(f"status/{status}"), g)
        self.q(r, RG.validFrom, Literal(valid_from, datatype=XSD.date), g)
        if valid_until:
            self.q(r, RG.validUntil, Literal(valid_until, datatype=XSD.date), g)
        for d in datasets:
            self.q(r, RG.coversDataset, ds(d), g)
        if kind == "approval":
            for a in actions:
                self.q(r, RG.action, concept(f"action/{a}"), g)
            self.q(r, RG.scope, concept(f"scope/{scope}"), g)
            for p in scope_projects:
                self.q(r, RG.scopeProject, project(p), g)
            for c in scope_communities:
                self.q(r, RG.scopeCommunity, community(c), g)
            if owner:
                self.q(r, RG.dataOwner, community(owner), g)
            if approver:
                self.q(r, RG.approvedBy, self.executive(approver), g)
        else:
            if assigner:
                self.q(r, ODRL.assigner, community(assigner), g)
            for c in assignee:
                self.q(r, ODRL.assignee, community(c), g)
        return r

    def executive(self, of: str) -> NamedNode:
        """The mayor of community `of`: an executive whose approvals count."""
        from regiongraph.namespaces import ORG

        person, assignment = MINTER.iri("person", f"mayor-{of}"), MINTER.iri("role", of, "mayor")
        mayor = concept("role/mayor")
        self.q(assignment, RDF.type, RG.RoleAssignment, REGISTRY)
        self.q(assignment, ORG.member, person, REGISTRY)
        self.q(assignment, ORG.organization, community(of), REGISTRY)
        self.q(assignment, ORG.role, mayor, REGISTRY)
        self.q(mayor, RDF.type, RG.ExecutiveRole, ONTOLOGY)
        return person

    def store(self):
        store = memory_store()
        store.add(self.quads)
        return store
