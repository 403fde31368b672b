"""Which standards a dataset conforms to: the one reading every view of the region uses.

Catalogs say it in several ways: `dct:conformsTo` on the dataset or only on one of its
distributions (a GeoJSON download), naming the registry's standard by its IRI or by its
homepage (`https://gbfs.org/`) or another address it is known by. The dataset page, the
exports, the search index (and so the CKAN API) and the standards analyses all ask
`conformance` here, so they cannot disagree: a dataset conforms to a standard when it or
one of its distributions `dct:conformsTo` it, the value resolved to the registry's
`dct:Standard` and labelled with that standard's name.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyoxigraph import Literal, NamedNode

from regiongraph.namespaces import DCAT, DCT, FOAF, OWL, RDFS, RG, SKOS

if TYPE_CHECKING:
    from regiongraph.store import Store

NAME_PREDICATES = (SKOS.prefLabel, FOAF.name, DCT.term("title"), RDFS.label)
"""Properties that name a standard, most preferred first."""
ALIAS_PREDICATES = (FOAF.homepage, RG.knownAs, OWL.sameAs, DCAT.landingPage, RDFS.seeAlso)
"""Addresses a catalog may use for a standard instead of its registry IRI."""
BATCH = 400


@dataclass(frozen=True)
class Standard:
    """A standard a dataset conforms to; `label` is None when nothing names it."""

    iri: str
    label: str | None = None


def normalise_url(url: str) -> str:
    """Compare URLs the way a person would: scheme, www. and a final / aside.

    >>> normalise_url("https://www.GBFS.org/")
    'gbfs.org'
    """
    text = url.strip().lower()
    for scheme in ("https://", "http://"):
        text = text.removeprefix(scheme)
    return text.removeprefix("www.").rstrip("/")


class Standards:
    """The store's `dct:Standard`s: their names, and the addresses that resolve to them."""

    def __init__(self, names: dict[str, str | None], aliases: dict[str, str]) -> None:
        self.names = names
        self.aliases = aliases

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Standards) and (self.names, self.aliases) == (
            other.names, other.aliases)

    __hash__ = None  # type: ignore[assignment]  # mutable dicts inside

    @classmethod
    def read(cls, store: Store, graph: NamedNode | None = None) -> Standards:
        """Every standard in the store, or only those `graph` (the registry) describes."""
        preds = {p.value: rank for rank, p in enumerate(NAME_PREDICATES)}
        links = {p.value for p in ALIAS_PREDICATES}
        ranked: dict[str, tuple[int, str]] = {}
        names: dict[str, str | None] = {}
        aliases: dict[str, str] = {}
        # predicates filtered here, not in the query: pyoxigraph plans a VALUES on ?p badly
        query = f"SELECT ?s ?p ?o WHERE {{ ?s a <{DCT.Standard.value}> ; ?p ?o }}"
        rows = store.query(query, default_graph=[graph]) if graph is not None else \
            store.query(query, union_default_graph=True)
        for row in rows:
            subject, predicate, value = row["s"], row["p"].value, row["o"]
            if not isinstance(subject, NamedNode):
                continue
            names.setdefault(subject.value, None)
            if predicate in preds and isinstance(value, Literal) and _english(value):
                rank = preds[predicate]
                if subject.value not in ranked or rank < ranked[subject.value][0]:
                    ranked[subject.value] = (rank, value.value)
            elif predicate in links and isinstance(value, NamedNode):
                aliases.setdefault(normalise_url(value.value), subject.value)
        for iri in names:
            aliases[normalise_url(iri)] = iri  # a standard's own IRI always wins
            if iri in ranked:
                names[iri] = ranked[iri][1]
        return cls(names, aliases)

    def resolve(self, value: str) -> Standard:
        """The standard a `dct:conformsTo` value names (itself if no standard is known)."""
        iri = self.aliases.get(normalise_url(value), value)
        return Standard(iri, self.names.get(iri))


def conformance(store: Store, datasets: Iterable[str] | None = None, *,
                standards: Standards | None = None) -> dict[str, list[Standard]]:
    """Dataset IRI → the standards it conforms to, by name (every dataset when None).

    Datasets without any are absent from the answer.
    """
    standards = standards or Standards.read(store)
    pattern = (f"{{ ?d <{DCT.conformsTo.value}> ?c }} UNION "
               f"{{ ?d <{DCAT.distribution.value}> ?x . ?x <{DCT.conformsTo.value}> ?c }}")
    if datasets is None:
        queries = [f"SELECT DISTINCT ?d ?c WHERE {{ ?d a <{DCAT.Dataset.value}> {pattern} }}"]
    else:
        wanted = sorted(set(datasets))
        queries = [
            "SELECT DISTINCT ?d ?c WHERE { VALUES ?d { "
            + " ".join(f"<{NamedNode(i).value}>" for i in wanted[start:start + BATCH])
            + f" }} {pattern} }}"
            for start in range(0, len(wanted), BATCH)
        ]
    found: dict[str, dict[str, Standard]] = defaultdict(dict)
    for query in queries:
        for row in store.query(query, union_default_graph=True):
            if isinstance(row["d"], NamedNode) and isinstance(row["c"], NamedNode):
                standard = standards.resolve(row["c"].value)
                found[row["d"].value][standard.iri] = standard
    return {d: sorted(s.values(), key=lambda s: ((s.label or s.iri).lower(), s.iri))
            for d, s in found.items()}


def _english(literal: Literal) -> bool:
    language = literal.language
    return not language or language.lower().startswith("en")


__all__ = ["Standard", "Standards", "conformance", "normalise_url"]
