"""The SPARQL 1.1 Service Description of the endpoint (`GET /sparql` without a query).

Why it lists only the graphs of the store the caller may query: the description is
itself an answer, and an anonymous one must not name graphs the public view hides.
"""

from pyoxigraph import Literal, NamedNode, Triple

from regiongraph.namespaces import DCT, RDF, SD, XSD
from regiongraph.store import Store

FORMATS = "http://www.w3.org/ns/formats/"
VOID = "http://rdfs.org/ns/void#"
RESULT_FORMATS = ["SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV",
                  "SPARQL_Results_TSV", "Turtle", "N-Triples", "RDF_XML", "JSON-LD"]


def service_description(
    endpoint: str, visible: Store, *, row_cap: int | None, timeout: float,
    update_allowed: bool,
) -> list[Triple]:
    service = NamedNode(endpoint)
    dataset = NamedNode(endpoint + "#dataset")
    default = NamedNode(endpoint + "#default-graph")
    triples = [
        Triple(service, RDF.type, SD.Service),
        Triple(service, SD.endpoint, service),
        Triple(service, SD.supportedLanguage, SD.SPARQL11Query),
        Triple(service, SD.feature, SD.UnionDefaultGraph),
        Triple(service, SD.defaultDataset, dataset),
        Triple(dataset, RDF.type, SD.Dataset),
        Triple(dataset, SD.defaultGraph, default),
        Triple(default, RDF.type, SD.Graph),
    ]
    if update_allowed:
        triples.append(Triple(service, SD.supportedLanguage, SD.SPARQL11Update))
    for name in RESULT_FORMATS:
        triples.append(Triple(service, SD.resultFormat, NamedNode(FORMATS + name)))
    limits = (f"The default graph is the union of all named graphs. SERVICE and LOAD are "
              f"refused. Queries stop after {timeout:g} s.")
    if row_cap is not None:
        limits += (f" Anonymous results are cut at {row_cap} rows and see only public data "
                   "approved for publication.")
    triples.append(Triple(service, DCT.description, Literal(limits)))
    for name, count in sorted(visible.graphs().items()):
        if not name:
            continue
        entry = NamedNode(f"{endpoint}#graph-{len(triples)}")
        graph = NamedNode(f"{endpoint}#graph-{len(triples)}-description")
        triples += [
            Triple(dataset, SD.namedGraph, entry),
            Triple(entry, RDF.type, SD.NamedGraph),
            Triple(entry, SD.name, NamedNode(name)),
            Triple(entry, SD.graph, graph),
            Triple(graph, RDF.type, SD.Graph),
            Triple(graph, NamedNode(VOID + "triples"), Literal(str(count), datatype=XSD.integer)),
        ]
    return triples
