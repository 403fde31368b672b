"""The instance inferences rules and analyses need, materialised fast into one graph.

owlrl computes the full OWL-RL closure and is the reference, but it is far too slow beyond
a few hundred thousand triples (DESIGN.md). The ontology is small and fixed, so its
schema is closed once in Python (super-classes; super-properties, inverses and symmetric
properties as one walk; domains and ranges), and the instance data is read with one
SPARQL SELECT per kind of axiom. The rules applied are OWL-RL's for those axioms:

- cax-sco (types from rdfs:subClassOf), prp-spo1 (rdfs:subPropertyOf), prp-inv1/2
  (owl:inverseOf), prp-symp (owl:SymmetricProperty), prp-trp (owl:TransitiveProperty),
  prp-dom / prp-rng (rdfs:domain / rdfs:range), scm-eqc / scm-eqp (equivalences as two
  sub-relations).

`materialise` writes what they add (never what is already asserted) to the inference
graph; the tests check on the demo that the result equals owlrl's closure on those rules.
"""

import time
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from regiongraph.iri import INFERENCE_GRAPH, ONTOLOGY_GRAPH, Minter
from regiongraph.namespaces import OWL, RDF, RDFS
from regiongraph.settings import Settings
from regiongraph.store import Store

IGNORED_TYPES = {
    OWL.Thing.value, RDFS.Resource.value, OWL.Class.value, RDFS.Class.value,
    RDFS.Literal.value, OWL.Nothing.value,
}
CHUNK = 500


@dataclass
class Axioms:
    """The ontology's schema, closed: what each class and property entails."""

    superclasses: dict[str, set[str]] = field(default_factory=dict)
    expansions: dict[str, set[tuple[str, bool]]] = field(default_factory=dict)
    """property → {(property it entails, whether subject and object swap)}, itself included."""
    domains: dict[str, set[str]] = field(default_factory=dict)
    ranges: dict[str, set[str]] = field(default_factory=dict)
    transitive: set[str] = field(default_factory=set)

    @property
    def properties(self) -> set[str]:
        return set(self.expansions) | set(self.domains) | set(self.ranges) | self.transitive

    def inferable_classes(self) -> set[str]:
        """Every class a type may be inferred to (or from)."""
        found = set(self.superclasses)
        for classes in [*self.superclasses.values(), *self.domains.values(),
                        *self.ranges.values()]:
            for cls in classes:
                found |= self.types_of(cls)
        return found

    def types_of(self, cls: str) -> set[str]:
        """cls and its super-classes, without the trivial top classes."""
        return {c for c in {cls} | self.superclasses.get(cls, set()) if c not in IGNORED_TYPES}


def _closure(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    result = {}
    for start, direct in edges.items():
        seen: set[str] = set()
        todo = deque(direct)
        while todo:
            node = todo.popleft()
            if node not in seen:
                seen.add(node)
                todo.extend(edges.get(node, ()))
        seen.discard(start)
        result[start] = seen
    return result


def read_axioms(store: Store, settings: Settings) -> Axioms:
    graph = Minter(settings.base).graph(ONTOLOGY_GRAPH)
    rows = store.query("SELECT ?s ?p ?o WHERE { ?s ?p ?o }", default_graph=[graph])
    sub_class: dict[str, set[str]] = defaultdict(set)
    sub_prop: dict[str, set[str]] = defaultdict(set)
    inverse: dict[str, set[str]] = defaultdict(set)
    symmetric: set[str] = set()
    transitive: set[str] = set()
    domains: dict[str, set[str]] = defaultdict(set)
    ranges: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        s, p, o = row["s"], row["p"], row["o"]
        if not isinstance(s, NamedNode) or not isinstance(o, NamedNode):
            continue
        if p == RDFS.subClassOf:
            sub_class[s.value].add(o.value)
        elif p == OWL.equivalentClass:
            sub_class[s.value].add(o.value)
            sub_class[o.value].add(s.value)
        elif p == RDFS.subPropertyOf:
            sub_prop[s.value].add(o.value)
        elif p == OWL.equivalentProperty:
            sub_prop[s.value].add(o.value)
            sub_prop[o.value].add(s.value)
        elif p == OWL.inverseOf:
            inverse[s.value].add(o.value)
            inverse[o.value].add(s.value)
        elif p == RDFS.domain:
            domains[s.value].add(o.value)
        elif p == RDFS.range:
            ranges[s.value].add(o.value)
        elif p == RDF.type and o == OWL.SymmetricProperty:
            symmetric.add(s.value)
        elif p == RDF.type and o == OWL.TransitiveProperty:
            transitive.add(s.value)
    axioms = Axioms(superclasses=_closure(sub_class), domains=dict(domains),
                    ranges=dict(ranges), transitive=transitive)
    props = set(sub_prop) | {q for qs in sub_prop.values() for q in qs} | set(inverse) \
        | symmetric | transitive | set(domains) | set(ranges)
    for prop in props:
        states = {(prop, False)}
        todo = deque(states)
        while todo:
            current, flipped = todo.popleft()
            nxt = {(q, flipped) for q in sub_prop.get(current, ())}
            nxt |= {(q, not flipped) for q in inverse.get(current, ())}
            if current in symmetric:
                nxt.add((current, not flipped))
            for state in nxt - states:
                states.add(state)
                todo.append(state)
        axioms.expansions[prop] = states
    return axioms


def input_graphs(store: Store, settings: Settings) -> list[NamedNode]:
    """Data graphs the inferences are drawn from: all data, but not earlier inferences."""
    from regiongraph.rules.validate import data_graphs

    inference = Minter(settings.base).graph(INFERENCE_GRAPH)
    return [g for g in data_graphs(store, settings) if g != inference]


def _rows(store: Store, graphs: list[NamedNode], predicate_values: list[str],
          pattern: str) -> Iterator:
    for i in range(0, len(predicate_values), CHUNK):
        values = " ".join(f"<{v}>" for v in predicate_values[i:i + CHUNK])
        yield from store.query(f"SELECT ?s ?p ?o WHERE {{ VALUES ?p {{ {values} }} {pattern} }}",
                               default_graph=graphs)


def relevant_rows(store: Store, graphs: list[NamedNode], axioms: Axioms
                  ) -> tuple[set[tuple], set[tuple]]:
    """The asserted triples the rules read in `graphs`: (node, class) types to a class
    they speak about, and (subject, property IRI, object) edges of their properties."""
    types: set[tuple] = set()
    for row in _rows(store, graphs, sorted(axioms.inferable_classes()),
                     "?s a ?p . BIND(?p AS ?o)"):
        types.add((row["s"], row["o"].value))
    edges: set[tuple] = set()
    for row in _rows(store, graphs, sorted(axioms.properties), "?s ?p ?o"):
        edges.add((row["s"], row["p"].value, row["o"]))
    return types, edges


def infer(store: Store, settings: Settings, axioms: Axioms | None = None) -> list[Triple]:
    """The triples the rules above add to the data graphs (asserted ones left out)."""
    axioms = axioms or read_axioms(store, settings)
    return as_triples(*derive(*relevant_rows(store, input_graphs(store, settings), axioms),
                              axioms))


def derive(asserted_types: set[tuple], edges: set[tuple], axioms: Axioms
           ) -> tuple[set[tuple], set[tuple]]:
    """What the rules add to these asserted types and edges: (edges, types), asserted
    ones left out. Every rule but prp-trp reads one asserted triple, so what is derived
    about a node follows from the triples that touch it (`rules.inference` relies on it)."""
    asserted_edges = edges
    derived_edges: set[tuple] = set()
    frontier = edges
    while frontier:
        new: set[tuple] = set()
        for s, p, o in frontier:
            for q, flipped in axioms.expansions.get(p, {(p, False)}):
                x, y = (o, s) if flipped else (s, o)
                if isinstance(x, Literal):
                    continue
                edge = (x, q, y)
                if edge not in edges and edge not in derived_edges:
                    new.add(edge)
        derived_edges |= new
        for q in axioms.transitive:
            new |= _transitive_additions(q, edges | derived_edges) - edges - derived_edges
        derived_edges |= new
        frontier = new
    all_edges = edges | derived_edges
    types: set[tuple] = set()
    for s, cls in asserted_types:
        types |= {(s, c) for c in axioms.types_of(cls)}
    for s, p, o in all_edges:
        for cls in axioms.domains.get(p, ()):
            types |= {(s, c) for c in axioms.types_of(cls)}
        if not isinstance(o, Literal):
            for cls in axioms.ranges.get(p, ()):
                types |= {(o, c) for c in axioms.types_of(cls)}
    return all_edges - asserted_edges, types - asserted_types


def as_triples(edges: set[tuple], types: set[tuple]) -> list[Triple]:
    """Derived edges and types as triples, in a stable order."""
    out = [Triple(s, NamedNode(p), o) for s, p, o in sorted(
        edges, key=lambda e: (str(e[0]), e[1], str(e[2])))]
    out += [Triple(s, RDF.type, NamedNode(c)) for s, c in sorted(
        types, key=lambda t: (str(t[0]), t[1]))]
    return out


def _transitive_additions(prop: str, edges: Iterable[tuple]) -> set[tuple]:
    successors: dict = defaultdict(set)
    for s, p, o in edges:
        if p == prop:
            successors[s].add(o)
    added = set()
    for start in list(successors):
        seen, todo = set(), deque(successors[start])
        while todo:
            node = todo.popleft()
            if node in seen:
                continue
            seen.add(node)
            if not isinstance(node, Literal):
                todo.extend(successors.get(node, ()))
        added |= {(start, prop, n) for n in seen}
    return added


def materialise(store: Store, settings: Settings) -> tuple[int, float]:
    """Replace the inference graph with the fast path's inferences; (count, seconds)."""
    started = time.perf_counter()
    triples = infer(store, settings)
    graph = Minter(settings.base).graph(INFERENCE_GRAPH)
    count = store.replace_graph(graph, triples)
    if not triples:
        store.remove_graph(graph)
    return count, time.perf_counter() - started


def owlrl_closure(triples: Iterable[Triple]):
    """The OWL-RL closure (owlrl) of `triples`, as an rdflib Graph: the reference."""
    import owlrl
    from rdflib import Graph

    from regiongraph.rdfconv import rdflib_graph

    graph: Graph = rdflib_graph(triples)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False,
                           datatype_axioms=False).expand(graph)
    return graph


def entailments_under_rules(triples: Iterable[tuple], axioms: Axioms) -> set[tuple[str, str, str]]:
    """The part of a closure the rules above speak about, as N-Triples strings:
    rdf:type to a class of the ontology's axioms, and triples of its properties."""
    classes = set(axioms.superclasses) | {c for cs in axioms.superclasses.values() for c in cs}
    classes |= {c for cs in axioms.domains.values() for c in cs}
    classes |= {c for cs in axioms.ranges.values() for c in cs}
    classes -= IGNORED_TYPES
    props = axioms.properties | {q for states in axioms.expansions.values() for q, _ in states}
    found = set()
    for s, p, o in triples:
        s_text, p_text, o_text = (_text(s), _text(p), _text(o))
        if s_text.startswith('"'):
            continue
        if p_text == f"<{RDF.type.value}>" and o_text.strip("<>") in classes or p_text.strip("<>") in props:
            found.add((s_text, p_text, o_text))
    return found


def _text(term) -> str:
    """N-Triples text of a pyoxigraph or rdflib term (blank nodes by label)."""
    if isinstance(term, (NamedNode, BlankNode, Literal)):
        return str(term)
    n3 = term.n3()
    return n3
