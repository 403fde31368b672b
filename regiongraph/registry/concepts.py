"""The controlled values a registry may use, read from the ontology's concept schemes.

Registry files say `phase: pilot` or `access: restricted`; those words must be concepts of
`ontology/concepts.ttl`, never free text, so rules compare IRIs. Reading the schemes from
the ontology (not from a list in code) keeps one source of truth.
"""

from functools import lru_cache

from pyoxigraph import NamedNode, RdfFormat, parse

from regiongraph.namespaces import RGC, SKOS
from regiongraph.paths import data_path


@lru_cache(maxsize=1)
def concept_schemes() -> dict[str, dict[str, NamedNode]]:
    """scheme id (e.g. "phase") → {notation: concept IRI}."""
    path = data_path("ontology") / "concepts.ttl"
    in_scheme: dict[NamedNode, NamedNode] = {}
    notation: dict[NamedNode, str] = {}
    with path.open("rb") as stream:
        for triple in parse(stream, RdfFormat.TURTLE, base_iri=path.as_uri()):
            if triple.predicate == SKOS.inScheme:
                in_scheme[triple.subject] = triple.object
            elif triple.predicate == SKOS.notation:
                notation[triple.subject] = triple.object.value
    schemes: dict[str, dict[str, NamedNode]] = {}
    for concept, scheme in in_scheme.items():
        scheme_id = scheme.value.removeprefix(RGC).strip("/")
        if concept in notation:
            schemes.setdefault(scheme_id, {})[notation[concept]] = concept
    return schemes
