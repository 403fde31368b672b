"""The alliance ontology: every own term is documented, and OWL-RL finds no clash.

The ontology is the contract every other part reads (rules, exports, analyses), so a term
without a label, comment, domain or range is a bug, and so is an ontology whose OWL-RL
closure with the demo registry types anything owl:Nothing.
"""

from pathlib import Path

import pytest
from rdflib import OWL, RDF, RDFS, Graph, Namespace, URIRef

from regiongraph.paths import data_path

RG = Namespace("https://w3id.org/regiongraph/ns#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
ONTOLOGY_IRI = URIRef("https://w3id.org/regiongraph/ns")


@pytest.fixture(scope="module")
def ontology() -> Graph:
    graph = Graph()
    for path in sorted(data_path("ontology").glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def own_terms(graph: Graph, kind: URIRef) -> list[URIRef]:
    return sorted(s for s in graph.subjects(RDF.type, kind) if str(s).startswith(str(RG)))


def test_header(ontology: Graph) -> None:
    assert (ONTOLOGY_IRI, RDF.type, OWL.Ontology) in ontology
    for predicate in (OWL.versionInfo, URIRef("http://purl.org/dc/terms/license"),
                      URIRef("http://purl.org/dc/terms/creator")):
        assert ontology.value(ONTOLOGY_IRI, predicate) is not None, predicate


def test_every_term_documented(ontology: Graph) -> None:
    classes = own_terms(ontology, OWL.Class)
    properties = own_terms(ontology, OWL.ObjectProperty) + own_terms(ontology, OWL.DatatypeProperty)
    assert len(classes) >= 25 and len(properties) >= 35
    used = {p for p in ontology.predicates() if str(p).startswith(str(RG))}
    used |= {o for o in ontology.objects(None, RDF.type) if str(o).startswith(str(RG))}
    declared = set(classes) | set(properties)
    assert used <= declared, f"rg: terms used but not declared: {sorted(used - declared)}"
    missing = []
    for term in classes + properties:
        for predicate in (RDFS.label, RDFS.comment, RDFS.isDefinedBy):
            if ontology.value(term, predicate) is None:
                missing.append((term, predicate))
        if ontology.value(term, RDFS.isDefinedBy) not in (None, ONTOLOGY_IRI):
            missing.append((term, "isDefinedBy is not the ontology"))
    for term in properties:
        for predicate in (RDFS.domain, RDFS.range):
            if ontology.value(term, predicate) is None:
                missing.append((term, predicate))
    assert not missing, missing


def test_reuses_standard_vocabularies(ontology: Graph) -> None:
    """Every own class hangs under a class of a reused vocabulary (directly or via rg:)."""
    reused = ("http://www.w3.org/ns/", "http://purl.org/dc/", "http://xmlns.com/foaf/",
              "http://www.w3.org/2004/02/skos/", "https://w3id.org/dpv")

    def anchored(term: URIRef, seen: set) -> bool:
        for parent in ontology.objects(term, RDFS.subClassOf):
            if str(parent).startswith(reused):
                return True
            if parent not in seen and anchored(parent, seen | {parent}):
                return True
        return False

    loose = [c for c in own_terms(ontology, OWL.Class) if not anchored(c, set())]
    assert not loose, loose


def test_required_terms_present(ontology: Graph) -> None:
    for name in ("contentHash", "accessLevel", "Approval", "status", "scope", "action",
                 "validFrom", "validUntil", "DataStrategy", "Engagement", "engagedAtPhase",
                 "DataSharingAgreement", "personalDataCategory", "ExecutiveRole", "order"):
        assert (RG[name], RDFS.label, None) in ontology, name


def test_concept_schemes(ontology: Graph) -> None:
    rgc = "https://w3id.org/regiongraph/concepts/"
    micromobility = URIRef(rgc + "domain/micromobility")
    assert "bike share" in [str(x) for x in ontology.objects(micromobility, SKOS.altLabel)]
    phases = {str(ontology.value(URIRef(rgc + f"phase/{p}"), SKOS.prefLabel)):
              int(ontology.value(URIRef(rgc + f"phase/{p}"), RG.order))
              for p in ("ideation", "design", "pilot", "production", "retired")}
    assert sorted(phases, key=phases.get) == ["ideation", "design", "pilot", "production",
                                              "retired"]
    for scheme, ids in {
        "access": ["public", "internal", "restricted", "confidential"],
        "status": ["requested", "approved", "denied", "revoked", "expired"],
        "action": ["collect", "share", "use", "publish"],
        "scope": ["project", "communities", "alliance", "public"],
        "capability": ["training", "tools", "staff"],
        "community-kind": ["city", "county", "tribal-nation", "state-agency", "transit-agency",
                           "special-district"],
        "partner-kind": ["university", "private-company", "non-profit", "research-institution"],
    }.items():
        for concept_id in ids:
            concept = URIRef(f"{rgc}{scheme}/{concept_id}")
            assert (concept, SKOS.inScheme, URIRef(rgc + scheme)) in ontology, concept
            assert ontology.value(concept, SKOS.prefLabel) is not None
    executives = set(ontology.subjects(RDF.type, RG.ExecutiveRole))
    assert URIRef(rgc + "role/mayor") in executives
    assert URIRef(rgc + "role/data-leader") not in executives
    for concept in ontology.subjects(RDF.type, SKOS.Concept):
        assert ontology.value(concept, SKOS.prefLabel) is not None, concept
        assert ontology.value(concept, SKOS.inScheme) is not None, concept


def owl_rl_clashes(graph: Graph) -> list:
    """Run owlrl's OWL-RL closure in place; return what it typed owl:Nothing or flagged."""
    import owlrl

    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False,
                           datatype_axioms=False).expand(graph)
    nothing = list(graph.subjects(RDF.type, OWL.Nothing))
    errors = Namespace("http://www.daml.org/2002/03/agents/agent-ont#")
    messages = [str(graph.value(node, errors.error))
                for node in graph.subjects(RDF.type, errors.ErrorMessage)]
    return nothing + messages


def test_owl_rl_closure_of_ontology_is_consistent(ontology: Graph) -> None:
    graph = Graph()
    for triple in ontology:
        graph.add(triple)
    assert owl_rl_clashes(graph) == []
    # the closure did run: a subclass axiom was applied
    assert (RG.City, RDFS.subClassOf, URIRef("http://www.w3.org/ns/org#Organization")) in graph


def test_owl_rl_closure_with_demo_registry_is_consistent(ontology: Graph) -> None:
    from regiongraph.iri import Minter
    from regiongraph.registry import read_registry
    from regiongraph.settings import DEFAULT_BASE

    folder: Path = data_path("demo") / "registry"
    graph = Graph()
    for triple in ontology:
        graph.add(triple)
    from regiongraph.rdfconv import triples_to_rdflib

    for triple in triples_to_rdflib(read_registry(folder, Minter(DEFAULT_BASE))):
        graph.add(triple)
    before = len(graph)
    assert owl_rl_clashes(graph) == []
    assert len(graph) > before
    # inferences the rules rely on are there: a city is an org:Organization
    city = URIRef(DEFAULT_BASE + "communities/saguaro")
    assert (city, RDF.type, URIRef("http://www.w3.org/ns/org#Organization")) in graph
