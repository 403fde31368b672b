"""Every IRI minted under the base dereferences: its description, for RDF and for pages.

A resource's description is the SPARQL `DESCRIBE` of its IRI (its own triples, blank nodes
followed) in the store the asker may see: the public view (`regiongraph.sparql.public`,
built by the one rule of `regiongraph.visibility`) for anonymous users, the whole store for
stewards. So an approval that allows no publication, an agreement or a person has no
description for anonymous users (a 404), exactly as `/sparql` hides them.

Pages add what the triples alone do not say well: the labels of linked things, what links
here, and, for a standard, the datasets that conform to it (read as the standards analysis
reads conformance: its IRI or its homepage).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyoxigraph import Literal, NamedNode, Triple

from regiongraph.accounts.principal import Principal
from regiongraph.namespaces import PREFIXES, RDF, sparql_prefixes
from regiongraph.settings import Settings
from regiongraph.store import Store

MAX_INCOMING = 500
LABELS = sparql_prefixes(["rdfs", "skos", "dct", "foaf"]) + """
SELECT ?n ?label WHERE { VALUES ?n { %s } ?n rdfs:label|skos:prefLabel|dct:title|foaf:name ?label }"""
INCOMING = f"""
SELECT DISTINCT ?s ?p ?o WHERE {{ ?s ?p ?o FILTER(isIRI(?s)) }} LIMIT {MAX_INCOMING}"""


@dataclass
class Link:
    """A linked IRI as a page shows it: its label and where to follow it."""

    iri: str
    label: str
    href: str


@dataclass
class Description:
    iri: str
    triples: list[Triple]
    label: str
    types: list[Link] = field(default_factory=list)
    properties: list[tuple[str, list[Link | str]]] = field(default_factory=list)
    incoming: list[tuple[str, list[Link]]] = field(default_factory=list)
    conforming: list[Link] = field(default_factory=list)


def visible_store(store: Store, settings: Settings, *, admin: bool,
                  principal: Principal | None = None) -> Store:
    """The store this asker may read: for a request's principal, its view
    (`regiongraph.sparql.member.view_for`); else everything for a steward, the public view
    otherwise."""
    if principal is not None:
        from regiongraph.sparql.member import view_for

        return view_for(store, settings, principal)
    if admin:
        from regiongraph.accounts.secrecy import without_secrets

        return without_secrets(store, settings)  # type: ignore[return-value]
    from regiongraph.sparql.public import public_store

    return public_store(store, settings)


def describe(store: Store, settings: Settings, iri: str, *, admin: bool,
             principal: Principal | None = None) -> list[Triple]:
    """The DESCRIBE of `iri` in the asker's view; empty when it is absent or hidden."""
    try:
        node = NamedNode(iri)
    except ValueError:
        return []
    view = visible_store(store, settings, admin=admin, principal=principal)
    return list(view.query(f"DESCRIBE <{node.value}>", union_default_graph=True))


def page_description(store: Store, settings: Settings, iri: str, triples: list[Triple], *,
                     admin: bool, principal: Principal | None = None) -> Description:
    """What a page shows of a described resource (see the module docstring)."""
    view = visible_store(store, settings, admin=admin, principal=principal)
    node = NamedNode(iri)
    own = [t for t in triples if t.subject == node]
    incoming: dict[str, list[str]] = {}
    for row in view.query(INCOMING, substitutions={_var("o"): node}, union_default_graph=True):
        incoming.setdefault(row["p"].value, []).append(row["s"].value)
    conforming = _conforming(store, settings, iri, admin=admin, principal=principal)
    linked = ({t.object.value for t in own if isinstance(t.object, NamedNode)}
              | {s for subjects in incoming.values() for s in subjects} | set(conforming) | {iri})
    labels = _labels(view, linked)
    link = _linker(settings, labels)
    by_predicate: dict[str, list[Link | str]] = {}
    for t in own:
        if t.predicate == RDF.type:
            continue
        value = link(t.object.value) if isinstance(t.object, NamedNode) else (
            t.object.value if isinstance(t.object, Literal) else "…")
        by_predicate.setdefault(compact(t.predicate.value), []).append(value)
    return Description(
        iri=iri, triples=triples, label=labels.get(iri, iri.rsplit("/", 1)[-1]),
        types=[link(t.object.value) for t in own if t.predicate == RDF.type],
        properties=sorted(by_predicate.items()),
        incoming=sorted((compact(p), sorted((link(s) for s in subjects), key=_by_label))
                        for p, subjects in incoming.items()),
        conforming=sorted((link(d) for d in conforming), key=_by_label))


def compact(iri: str) -> str:
    """`dct:title` for a full IRI with a known prefix; the IRI otherwise."""
    for name, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{name}:{iri[len(namespace):]}"
    return iri


def _conforming(store: Store, settings: Settings, iri: str, *, admin: bool,
                principal: Principal | None = None) -> list[str]:
    """Datasets that conform to `iri` when it is a registry standard, visible to the asker."""
    from regiongraph.analysis.access import visible_datasets
    from regiongraph.analysis.cache import cached_region

    region = cached_region(store, settings)
    if iri not in region.standards:
        return []
    visible = visible_datasets(store, settings, admin=admin, principal=principal)
    return [d.iri for d in region.datasets.values()
            if (visible is None or d.iri in visible)
            and any(region.standard_of(s) == iri for s in d.standards)]


def _labels(view: Store, iris: set[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    named = sorted(iris)
    for start in range(0, len(named), 400):
        part = " ".join(f"<{i}>" for i in named[start:start + 400])
        for row in view.query(LABELS % part, union_default_graph=True):
            found.setdefault(row["n"].value, row["label"].value)
    return found


def _linker(settings: Settings, labels: dict[str, str]):
    """IRIs under the base link to this service's own path for them, others to themselves."""
    from regiongraph.iri import Minter

    base = Minter(settings.base).base

    def link(iri: str) -> Link:
        href = "/" + iri[len(base):] if iri.startswith(base) else iri
        return Link(iri, labels.get(iri, compact(iri)), href)

    return link


def _by_label(link: Link) -> str:
    return link.label.lower()


def _var(name: str):
    from pyoxigraph import Variable

    return Variable(name)
