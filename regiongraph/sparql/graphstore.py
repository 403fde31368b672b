"""Graph Store Protocol writes: parse an uploaded graph safely, then write it atomically.

Why the XML check: pyoxigraph's RDF/XML parser refuses external entities but expands
nested internal ones (measured: three levels of ten references gave a 3,000-character
literal from a 300-byte body), so a "billion laughs" body would eat the server's memory
(DESIGN.md: XML input is parsed without entity expansion). Ontologies written in
RDF/XML do use flat entities as namespace shorthands (`&owl;`), so those are allowed when
their values hold no further references and the fully expanded size stays within the
request size limit; anything else is refused before parsing.
"""

import re

from pyoxigraph import NamedNode, Quad, RdfFormat, Triple, parse

from regiongraph.errors import RegiongraphError
from regiongraph.limits import DEFAULT_MAX_JSON_DEPTH, LimitExceeded, check_json_depth
from regiongraph.store import Store

TRIPLE_MEDIA = {
    "text/turtle": RdfFormat.TURTLE, "application/x-turtle": RdfFormat.TURTLE,
    "application/n-triples": RdfFormat.N_TRIPLES, "text/plain": RdfFormat.N_TRIPLES,
    "application/rdf+xml": RdfFormat.RDF_XML, "application/xml": RdfFormat.RDF_XML,
    "application/ld+json": RdfFormat.JSON_LD, "text/n3": RdfFormat.N3,
}
_ENTITY = re.compile(r"<!ENTITY\s+(%\s*)?([\w.:-]+)\s+(SYSTEM|PUBLIC)?\s*(\"[^\"]*\"|'[^']*')",
                     re.DOTALL)
_REFERENCE = re.compile(r"&([\w.:-]+);")


class UploadError(RegiongraphError, ValueError):
    """The uploaded graph cannot be accepted; nothing was written."""


class UnsupportedMedia(UploadError):
    """The upload's media type is not an RDF triple format this store reads."""


def check_xml_entities(body: bytes, limit: int) -> None:
    """Refuse DTDs that could expand beyond `limit` bytes or reach outside."""
    text = body.decode("utf-8", errors="replace")
    if "<!ENTITY" not in text:
        return
    values: dict[str, str] = {}
    declarations = len(re.findall(r"<!ENTITY", text))
    for match in _ENTITY.finditer(text):
        parameter, name, external, quoted = match.groups()
        if parameter or external:
            raise UploadError("the RDF/XML declares an external or parameter entity; refused")
        value = quoted[1:-1]
        if "&" in value or "%" in value:
            raise UploadError(f"entity {name!r} refers to other entities (nested entities can "
                              "expand without bound); refused")
        values[name] = value
    if len(values) != declarations:
        raise UploadError("the RDF/XML has entity declarations this server cannot check; refused")
    expanded = len(body)
    for reference in _REFERENCE.finditer(text):
        expanded += len(values.get(reference.group(1), ""))
        if expanded > limit:
            raise UploadError(f"the RDF/XML entities expand beyond the limit of {limit} bytes")


def parse_upload(body: bytes, media: str | None, *, base_iri: str, limit: int,
                 json_depth: int = DEFAULT_MAX_JSON_DEPTH) -> list[Triple]:
    """Every triple of the body, or an UploadError naming the problem (nothing half-read).

    JSON-LD is measured first: pyoxigraph's JSON-LD parser recurses per nesting level
    and a deep body would crash the server (its Turtle, N3 and RDF/XML parsers do not:
    100,000 nested collections, blank nodes and elements were measured harmless).
    """
    fmt = TRIPLE_MEDIA.get((media or "").lower())
    if fmt is None:
        offered = ", ".join(sorted(TRIPLE_MEDIA))
        raise UnsupportedMedia(f"Content-Type {media or '(none)'} is not an RDF triple format "
                               f"accepted here: {offered}")
    if fmt == RdfFormat.RDF_XML:
        check_xml_entities(body, limit)
    if fmt == RdfFormat.JSON_LD:
        try:
            check_json_depth(body, json_depth, "the JSON-LD body")
        except LimitExceeded as error:
            raise UploadError(f"{error}; nothing was written") from None
    try:
        return [Triple(q.subject, q.predicate, q.object)
                for q in parse(body, fmt, base_iri=base_iri)]
    except SyntaxError as error:
        raise UploadError(f"the {media} body does not parse: {error}") from None


def graph_exists(store: Store, graph: NamedNode | None) -> bool:
    """Whether `graph` holds a triple (one cheap ASK); None, the default graph, always exists.

    The Graph Store Protocol's default graph is there even when empty: reading it gives
    an empty graph, replacing it is not a creation (204, not 201), deleting it empties it.
    """
    from pyoxigraph import Variable

    if graph is None:
        return True
    return bool(store.query("ASK { GRAPH ?g { ?s ?p ?o } }",
                            substitutions={Variable("g"): graph}))


def _insert_data(triples: list[Triple]) -> str:
    """INSERT DATA for the default graph; terms written by pyoxigraph (N-Triples escaped)."""
    lines = " .\n".join(f"{t.subject} {t.predicate} {t.object}" for t in triples)
    return f"INSERT DATA {{\n{lines}\n}}" if triples else ""


def put_graph(store: Store, graph: NamedNode | None, triples: list[Triple]) -> None:
    """Replace a graph's content atomically (default graph: one update transaction)."""
    if graph is None:
        store.update("DROP SILENT DEFAULT ;\n" + (_insert_data(triples) or "CLEAR SILENT DEFAULT"))
        return
    if triples:
        store.replace_graph(graph, triples)
    else:
        store.remove_graph(graph)


def post_graph(store: Store, graph: NamedNode | None, triples: list[Triple]) -> None:
    """Merge triples into a graph in one transaction."""
    if not triples:
        return
    if graph is None:
        store.update(_insert_data(triples))
        return
    store.add(Quad(t.subject, t.predicate, t.object, graph) for t in triples)


def delete_graph(store: Store, graph: NamedNode | None) -> None:
    if graph is None:
        store.update("DROP SILENT DEFAULT")
    else:
        store.remove_graph(graph)
