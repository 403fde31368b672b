"""The alliance ontology as data: its terms, for the /ontology page and tests."""

from dataclasses import dataclass, field

from pyoxigraph import NamedNode, RdfFormat, Store, parse

from regiongraph.namespaces import OWL, RDF, RDFS, RG, SKOS
from regiongraph.paths import data_path


@dataclass
class Term:
    iri: str
    kind: str
    label: str = ""
    comment: str = ""
    domain: list[str] = field(default_factory=list)
    range: list[str] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)

    @property
    def local_name(self) -> str:
        return self.iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


KINDS = {
    OWL.Class.value: "class", OWL.ObjectProperty.value: "object property",
    OWL.DatatypeProperty.value: "datatype property", OWL.AnnotationProperty.value: "annotation property",
    RDF.Property.value: "property", SKOS.ConceptScheme.value: "concept scheme",
}


def ontology_turtle() -> bytes:
    return b"\n".join(p.read_bytes() for p in sorted(data_path("ontology").glob("*.ttl")))


def ontology_dataset() -> Store:
    """The ontology files in a small in-memory store (pattern lookups, serialisation)."""
    dataset = Store()
    for path in sorted(data_path("ontology").glob("*.ttl")):
        with path.open("rb") as stream:
            dataset.extend(parse(stream, RdfFormat.TURTLE, base_iri=path.as_uri()))
    return dataset


def own_terms() -> list[Term]:
    """Every term declared in the rg: namespace, sorted by kind then name."""
    dataset = ontology_dataset()
    terms: dict[str, Term] = {}
    for quad in dataset.quads_for_pattern(None, RDF.type, None):
        subject, kind = quad.subject, KINDS.get(quad.object.value)
        if kind and isinstance(subject, NamedNode) and subject.value.startswith(RG):
            terms.setdefault(subject.value, Term(subject.value, kind))
    for term in terms.values():
        node = NamedNode(term.iri)
        term.label = _first(dataset, node, RDFS.label)
        term.comment = _first(dataset, node, RDFS.comment)
        term.domain = _all(dataset, node, RDFS.domain)
        term.range = _all(dataset, node, RDFS.range)
        term.parents = _all(dataset, node, RDFS.subClassOf) + _all(dataset, node, RDFS.subPropertyOf)
    return sorted(terms.values(), key=lambda t: (t.kind != "class", t.kind, t.local_name))


def _first(dataset: Store, node: NamedNode, predicate: NamedNode) -> str:
    for quad in dataset.quads_for_pattern(node, predicate, None):
        return quad.object.value
    return ""


def _all(dataset: Store, node: NamedNode, predicate: NamedNode) -> list[str]:
    return sorted(q.object.value for q in dataset.quads_for_pattern(node, predicate, None)
                  if isinstance(q.object, NamedNode))
