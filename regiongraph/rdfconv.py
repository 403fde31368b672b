"""Hand pyoxigraph terms to rdflib, and back.

Quads travel as pyoxigraph terms; pyshacl and owlrl want rdflib graphs (DESIGN.md: rdflib
is the toolkit for those, never the query engine). Converting term by term keeps blank
nodes, languages and datatypes exact, which a serialise-and-reparse round trip through
text would also do but at several times the cost.
"""

from collections.abc import Iterable, Iterator

import rdflib
from pyoxigraph import BlankNode, Literal, NamedNode, Quad, Triple

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANGSTRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


def to_rdflib(term: NamedNode | BlankNode | Literal) -> rdflib.term.Node:
    if isinstance(term, NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == XSD_STRING:
            return rdflib.Literal(term.value)
        # normalize=False keeps the lexical form exactly (rdflib rewrites "Z" as "+00:00").
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(datatype), normalize=False)
    raise TypeError(f"cannot convert {term!r} to rdflib (RDF-star terms are not used here)")


def from_rdflib(term: rdflib.term.Node) -> NamedNode | BlankNode | Literal:
    if isinstance(term, rdflib.URIRef):
        return NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return BlankNode(str(term))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return Literal(str(term), language=term.language)
        if term.datatype is not None and str(term.datatype) not in (XSD_STRING, RDF_LANGSTRING):
            return Literal(str(term), datatype=NamedNode(str(term.datatype)))
        return Literal(str(term))
    raise TypeError(f"cannot convert {term!r} from rdflib")


def triples_to_rdflib(items: Iterable[Triple | Quad]) -> Iterator[tuple]:
    """(s, p, o) rdflib tuples of triples or quads (the graph name is dropped)."""
    for item in items:
        yield (to_rdflib(item.subject), to_rdflib(item.predicate), to_rdflib(item.object))


def rdflib_graph(items: Iterable[Triple | Quad], graph: rdflib.Graph | None = None) -> rdflib.Graph:
    """An rdflib Graph holding `items` (appended to `graph` when given)."""
    target = graph if graph is not None else rdflib.Graph()
    for triple in triples_to_rdflib(items):
        target.add(triple)
    return target
