"""The SHACL shapes of `shapes/`, read once and compiled to SPARQL for the store.

Why compile: pyshacl on a whole large graph is slow (DESIGN.md: 414 s for 2.6M triples),
and its Oxigraph backend gave wrong results. The shapes use a small, fixed set of SHACL
features; each becomes one SPARQL SELECT that Oxigraph answers over the whole store in one
pass, or over only the focus nodes that changed (`VALUES ?this`). pyshacl on the whole graph
remains the reference (`regiongraph.rules.validate.pyshacl_pairs`) and the tests prove both
give the same (focus node, shape) pairs on the demo.

Supported, and refused loudly otherwise (a shape the compiler would silently skip would be
a rule nobody checks): node shapes with sh:targetClass; property shapes with an IRI sh:path
and sh:minCount, sh:maxCount, sh:class, sh:datatype, sh:nodeKind (IRI, Literal,
BlankNodeOrIRI), sh:in; node-level sh:or of property shapes with sh:minCount 1; sh:sparql
constraints (SELECT with $this). `$today` and `$soon` in SPARQL constraints are the day of
validation and 30 days later, put in as xsd:date literals for both engines.
"""

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import rdflib
from rdflib import RDF, BNode, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH

from regiongraph.errors import RegiongraphError
from regiongraph.paths import data_path

SOON_DAYS = 30
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
NODE_KINDS = {
    SH.IRI: "isIRI(?value)", SH.Literal: "isLiteral(?value)",
    SH.BlankNodeOrIRI: "(isIRI(?value) || isBlank(?value))", SH.BlankNode: "isBlank(?value)",
}
SUPPORTED_PROPERTY_KEYS = {SH.path, SH.minCount, SH.maxCount, SH["class"], SH.datatype,
                           SH.nodeKind, SH["in"], SH.severity, SH.message, RDF.type,
                           rdflib.RDFS.label, SH.name, SH.description}


class ShapeError(RegiongraphError):
    """A shape uses a SHACL feature the rules engine does not compile."""


@dataclass
class Check:
    """One SPARQL query finding (?this, ?value) pairs that violate one shape."""

    shape: str
    severity: str
    message: str
    path: str | None
    body: str
    """A group graph pattern using ?this (bound by the target) and maybe ?value."""
    targets: list[str]
    kind: str
    aggregate_having: str | None = None

    def query(self, prefixes: str, focus: list[str] | None = None,
              subclasses: dict[str, set[str]] | None = None) -> str:
        """The SELECT for this check. `subclasses` maps each target class to its
        sub-classes in the data: targets are then matched by listing them instead of the
        path `rdf:type/rdfs:subClassOf*`, whose zero-length case makes Oxigraph visit
        every node of the store (same meaning as SHACL's targetClass, far cheaper)."""
        if focus is not None:
            return self._focus_query(prefixes, focus, subclasses or {})
        if subclasses is not None:
            target = ("VALUES ?targetClass { " + " ".join(f"<{c}>" for c in
                                                        self.classes(subclasses))
                      + f" }} ?this <{RDF_TYPE}> ?targetClass")
        else:
            target = " UNION ".join(
                f"{{ ?this <{RDF_TYPE}>/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* "
                f"<{c}> }}" for c in self.targets)
        return self._select(prefixes, f"{{ SELECT DISTINCT ?this WHERE {{ {target} }} }}",
                            self.body)

    def _focus_query(self, prefixes: str, focus: list[str],
                     subclasses: dict[str, set[str]]) -> str:
        """Only the focus nodes: `VALUES ?this` first, the target class as a FILTER.

        A second VALUES block (for the classes) next to the focus list makes Oxigraph
        0.5 join far worse: measured at 10k datasets with 300 focus nodes, 2.1 s for all
        checks against 0.22 s in this form. The right side of an OPTIONAL cannot see the
        left side's ?this, so Oxigraph would build it for every node; restricting it to
        the focus nodes too changes no answer (its ?this must join one of them)."""
        values = "VALUES ?this { " + " ".join(f"<{f}>" for f in focus) + " }\n"
        classes = ", ".join(f"<{c}>" for c in self.classes(subclasses))
        target = f"{values}FILTER EXISTS {{ ?this <{RDF_TYPE}> ?targetClass " \
                 f"FILTER(?targetClass IN ({classes})) }}"
        body = "\n".join(line.replace("OPTIONAL {", "OPTIONAL { " + values, 1)
                         if "OPTIONAL {" in line else line for line in self.body.split("\n"))
        return self._select(prefixes, target, body)

    def classes(self, subclasses: dict[str, set[str]]) -> list[str]:
        return sorted({c for t in self.targets for c in {t} | subclasses.get(t, set())})

    def _select(self, prefixes: str, target: str, body: str) -> str:
        if self.aggregate_having:
            return (f"{prefixes}SELECT ?this WHERE {{ {target} {body} }} GROUP BY ?this "
                    f"HAVING({self.aggregate_having})")
        return f"{prefixes}SELECT DISTINCT ?this ?value WHERE {{ {target}\n{body}\n}}"


@dataclass
class ShapeSet:
    graph: rdflib.Graph
    checks: list[Check] = field(default_factory=list)
    prefixes: str = ""
    _days: dict[dt.date, "ShapeSet"] = field(default_factory=dict, repr=False, compare=False)
    """`for_day`'s answers: the shapes are cached per process (`load_shapes`), and a
    re-validation after each change asked for the day's again (an rdflib graph rebuilt
    each time: 0.02-0.07 s of a 1% re-harvest's rules view at 10k datasets)."""

    @property
    def shape_iris(self) -> set[str]:
        return {c.shape for c in self.checks}

    def for_day(self, day: dt.date) -> "ShapeSet":
        """Checks (and an rdflib shapes graph for pyshacl) with $today/$soon filled in;
        the same object for the same day (the last day's only)."""
        found = self._days.get(day)
        if found is None:
            found = self._filled(day)
            self._days = {day: found}
        return found

    def _filled(self, day: dt.date) -> "ShapeSet":
        today, soon = _date_literal(day), _date_literal(day + dt.timedelta(days=SOON_DAYS))
        graph = rdflib.Graph()
        for prefix, namespace in self.graph.namespaces():
            graph.bind(prefix, namespace)
        for s, p, o in self.graph:
            if p == SH.select and isinstance(o, Literal):
                o = Literal(_fill(str(o), today, soon))
            graph.add((s, p, o))
        checks = [Check(c.shape, c.severity, c.message, c.path, _fill(c.body, today, soon),
                        c.targets, c.kind, c.aggregate_having) for c in self.checks]
        return ShapeSet(graph=graph, checks=checks, prefixes=self.prefixes)


    def turtle(self) -> bytes:
        """The shapes as one Turtle file: after `for_day`, ready for any SHACL engine."""
        return self.graph.serialize(format="turtle").encode()


def _date_literal(day: dt.date) -> str:
    return f'"{day.isoformat()}"^^<http://www.w3.org/2001/XMLSchema#date>'


def _fill(text: str, today: str, soon: str) -> str:
    return text.replace("$today", today).replace("$soon", soon)


def shape_files(folder: Path | None = None) -> list[Path]:
    return sorted((folder or data_path("shapes")).glob("*.ttl"))


@lru_cache(maxsize=4)
def load_shapes(folder: Path | None = None) -> ShapeSet:
    """Read and compile every shapes file (cached: shapes are data shipped with the code)."""
    graph = rdflib.Graph()
    for path in shape_files(folder):
        graph.parse(path, format="turtle")
    prefixes = _prefixes(graph)
    checks: list[Check] = []
    for shape in sorted(set(graph.subjects(SH.targetClass, None)), key=str):
        if not isinstance(shape, URIRef):
            raise ShapeError(f"a shape with targets needs an IRI, not a blank node ({shape})")
        checks.extend(_compile_node_shape(graph, shape))
    return ShapeSet(graph=graph, checks=checks, prefixes=prefixes)


def _prefixes(graph: rdflib.Graph) -> str:
    lines = {}
    for declaration in graph.objects(None, SH.declare):
        prefix = graph.value(declaration, SH.prefix)
        namespace = graph.value(declaration, SH.namespace)
        if prefix is not None and namespace is not None:
            lines[str(prefix)] = f"PREFIX {prefix}: <{namespace}>\n"
    return "".join(lines[k] for k in sorted(lines))


def _severity(graph: rdflib.Graph, node) -> str:
    return str(graph.value(node, SH.severity) or SH.Violation)


def _message(graph: rdflib.Graph, *nodes) -> str:
    for node in nodes:
        for message in graph.objects(node, SH.message):
            if isinstance(message, Literal) and message.language in (None, "en"):
                return str(message)
    return ""


def _compile_node_shape(graph: rdflib.Graph, shape: URIRef) -> list[Check]:
    targets = sorted(str(t) for t in graph.objects(shape, SH.targetClass))
    severity = _severity(graph, shape)
    message = _message(graph, shape)
    checks = []
    known = {SH.targetClass, SH.property, SH["or"], SH.sparql, SH.severity, SH.message,
             RDF.type, rdflib.RDFS.label, rdflib.RDFS.comment, SH.name, SH.description}
    for predicate in set(graph.predicates(shape, None)) - known:
        raise ShapeError(f"{shape}: {predicate} is not supported by the rules engine")
    for prop in graph.objects(shape, SH.property):
        if not isinstance(prop, URIRef):
            raise ShapeError(f"{shape}: give property shapes an IRI so results name them")
        checks.extend(_compile_property(graph, prop, targets))
    for alternatives in graph.objects(shape, SH["or"]):
        members = list(Collection(graph, alternatives))
        clauses = []
        for member in members:
            path = graph.value(member, SH.path)
            count = graph.value(member, SH.minCount)
            extra = set(graph.predicates(member, None)) - {SH.path, SH.minCount}
            if not isinstance(path, URIRef) or count is None or int(count) != 1 or extra:
                raise ShapeError(f"{shape}: sh:or members must be [sh:path IRI; sh:minCount 1]")
            clauses.append(f"FILTER NOT EXISTS {{ ?this <{path}> ?any{len(clauses)} }}")
        checks.append(Check(str(shape), severity, message, None, "\n".join(clauses),
                            targets, "or"))
    for constraint in graph.objects(shape, SH.sparql):
        select = graph.value(constraint, SH.select)
        if select is None:
            raise ShapeError(f"{shape}: sh:sparql needs sh:select")
        checks.append(Check(str(shape), severity, _message(graph, constraint, shape), None,
                            _select_body(str(select), shape), targets, "sparql"))
    return checks


def _select_body(select: str, shape) -> str:
    """The WHERE group of a SPARQL constraint, with $this as ?this."""
    text = select.replace("$this", "?this")
    lower = text.lower()
    where = lower.find("where")
    start = text.find("{", max(where, 0))
    end = text.rfind("}")
    if start < 0 or end < start:
        raise ShapeError(f"{shape}: cannot read the WHERE clause of its sh:select")
    tail = text[end + 1:].strip()
    if tail:
        raise ShapeError(f"{shape}: solution modifiers after WHERE are not supported")
    return text[start + 1:end]


def _compile_property(graph: rdflib.Graph, prop: URIRef, targets: list[str]) -> list[Check]:
    unsupported = set(graph.predicates(prop, None)) - SUPPORTED_PROPERTY_KEYS
    if unsupported:
        raise ShapeError(f"{prop}: {sorted(map(str, unsupported))} not supported")
    path = graph.value(prop, SH.path)
    if not isinstance(path, URIRef):
        raise ShapeError(f"{prop}: sh:path must be an IRI")
    severity, message, shape = _severity(graph, prop), _message(graph, prop), str(prop)
    checks = []

    def add(body: str, kind: str, having: str | None = None) -> None:
        checks.append(Check(shape, severity, message, str(path), body, targets, kind, having))

    min_count = graph.value(prop, SH.minCount)
    if min_count is not None and int(min_count) > 0:
        if int(min_count) == 1:
            add(f"FILTER NOT EXISTS {{ ?this <{path}> ?present }}", "minCount")
        else:
            add(f"OPTIONAL {{ ?this <{path}> ?v }}", "minCount",
                f"COUNT(DISTINCT ?v) < {int(min_count)}")
    max_count = graph.value(prop, SH.maxCount)
    if max_count is not None:
        add(f"?this <{path}> ?v .", "maxCount", f"COUNT(DISTINCT ?v) > {int(max_count)}")
    cls = graph.value(prop, SH["class"])
    if cls is not None:
        # `type/subClassOf*` spelt as its two cases: inside NOT EXISTS, Virtuoso 7.2.5
        # never matches the zero-length case (every value would be reported).
        add(f"?this <{path}> ?value . FILTER NOT EXISTS {{ "
            f"{{ ?value <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{cls}> }} UNION "
            f"{{ ?value <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>/"
            f"<http://www.w3.org/2000/01/rdf-schema#subClassOf>+ <{cls}> }} }}", "class")
    datatype = graph.value(prop, SH.datatype)
    if datatype is not None:
        add(f"?this <{path}> ?value . FILTER(!isLiteral(?value) || datatype(?value) != "
            f"<{datatype}>)", "datatype")
    kind = graph.value(prop, SH.nodeKind)
    if kind is not None:
        if kind not in NODE_KINDS:
            raise ShapeError(f"{prop}: sh:nodeKind {kind} not supported")
        add(f"?this <{path}> ?value . FILTER(!{NODE_KINDS[kind]})", "nodeKind")
    allowed = graph.value(prop, SH["in"])
    if allowed is not None:
        items = [_term(i) for i in Collection(graph, allowed)]
        add(f"?this <{path}> ?value . FILTER(?value NOT IN ({', '.join(items)}))", "in")
    return checks


def _term(node) -> str:
    if isinstance(node, URIRef):
        return f"<{node}>"
    if isinstance(node, Literal):
        return node.n3()
    if isinstance(node, BNode):
        raise ShapeError("sh:in cannot list blank nodes")
    raise ShapeError(f"unexpected term {node!r}")
