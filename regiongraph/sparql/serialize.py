"""SELECT results written row by row, for results that were cut at a row cap.

Why not pyoxigraph's own `QuerySolutions.serialize`: it can only write a live result
iterator to its end. A capped anonymous result must be read up to the cap first (to know
whether it was cut, and say so in a header before the body), and pyoxigraph cannot write
a list of solutions. Uncapped results still go through the native serializer
(`regiongraph.sparql.execute`). The four formats follow the W3C SPARQL 1.1 result
format specifications (JSON, XML, CSV, TSV); a note about the cut goes where the format
has room for one (a JSON member, an XML comment).
"""

import json
from collections.abc import Iterable
from typing import Protocol
from xml.sax.saxutils import escape, quoteattr

from pyoxigraph import BlankNode, Literal, NamedNode, QuerySolution, Triple

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"


class Writer(Protocol):
    def write(self, data: bytes) -> object: ...


def write_solutions(
    rows: Iterable[QuerySolution], variables: list[str], fmt: str, out: Writer,
    *, note: str | None = None,
) -> None:
    """Write `rows` in `fmt` (json, xml, csv, tsv) to `out`, one row at a time."""
    {"json": _json, "xml": _xml, "csv": _csv, "tsv": _tsv}[fmt](rows, variables, out, note)


def _json_term(term) -> dict:
    if isinstance(term, NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, Literal):
        item = {"type": "literal", "value": term.value}
        if term.language:
            item["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            item["datatype"] = term.datatype.value
        return item
    if isinstance(term, Triple):
        return {"type": "triple", "value": {
            "subject": _json_term(term.subject), "predicate": _json_term(term.predicate),
            "object": _json_term(term.object)}}
    raise TypeError(f"not an RDF term: {term!r}")


def _json(rows, variables, out, note) -> None:
    head = json.dumps({"vars": variables})
    prefix = '{"note":' + json.dumps(note) + "," if note else "{"
    out.write(f'{prefix}"head":{head},"results":{{"bindings":['.encode())
    first = True
    for row in rows:
        binding = {}
        for name in variables:
            term = row[name]
            if term is not None:
                binding[name] = _json_term(term)
        out.write((b"" if first else b",") + json.dumps(binding, ensure_ascii=False).encode())
        first = False
    out.write(b"]}}")


def _xml_term(term) -> str:
    if isinstance(term, NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, Literal):
        if term.language:
            return f"<literal xml:lang={quoteattr(term.language)}>{escape(term.value)}</literal>"
        if term.datatype.value != XSD_STRING:
            return (f"<literal datatype={quoteattr(term.datatype.value)}>"
                    f"{escape(term.value)}</literal>")
        return f"<literal>{escape(term.value)}</literal>"
    if isinstance(term, Triple):
        return (f"<triple><subject>{_xml_term(term.subject)}</subject>"
                f"<predicate>{_xml_term(term.predicate)}</predicate>"
                f"<object>{_xml_term(term.object)}</object></triple>")
    raise TypeError(f"not an RDF term: {term!r}")


def _xml(rows, variables, out, note) -> None:
    parts = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">']
    if note:
        parts.append(f"<!-- {escape(note).replace('--', '- -')} -->")
    parts.append("<head>" + "".join(f"<variable name={quoteattr(v)}/>" for v in variables))
    parts.append("</head><results>")
    out.write("".join(parts).encode())
    for row in rows:
        cells = []
        for name in variables:
            term = row[name]
            if term is not None:
                cells.append(f"<binding name={quoteattr(name)}>{_xml_term(term)}</binding>")
        out.write(("<result>" + "".join(cells) + "</result>").encode())
    out.write(b"</results></sparql>\n")


def _csv_cell(term) -> str:
    if term is None:
        return ""
    if isinstance(term, BlankNode):
        value = "_:" + term.value
    elif isinstance(term, Triple):
        value = str(term)
    else:
        value = term.value
    if any(c in value for c in ',"\r\n'):
        value = '"' + value.replace('"', '""') + '"'
    return value


def _csv(rows, variables, out, note) -> None:
    out.write((",".join(variables) + "\r\n").encode())
    for row in rows:
        out.write((",".join(_csv_cell(row[name]) for name in variables) + "\r\n").encode())


def _tsv(rows, variables, out, note) -> None:
    out.write(("\t".join("?" + v for v in variables) + "\n").encode())
    for row in rows:
        # pyoxigraph's str() of a term is its N-Triples/Turtle form, escapes included.
        cells = ("" if row[name] is None else str(row[name]) for name in variables)
        out.write(("\t".join(cells) + "\n").encode())
