"""Vocabularies regiongraph reuses, and its own ontology namespace.

Terms are pyoxigraph `NamedNode`s because quads travel as pyoxigraph terms from the
loaders to the store; `PREFIXES` feeds SPARQL headers, serialisers and YASGUI.
"""

from pyoxigraph import NamedNode


class Namespace(str):
    """`RG.Project` → NamedNode('https://w3id.org/regiongraph/ns#Project').

    Every public attribute is a term, including names that are also `str` methods
    (`DCT.title`, `DCT.format`, `DCT.source`...): a plain str subclass would hand back the
    bound method there. Use `str(namespace)` for the text; PREFIXES holds plain strings.
    """

    def __getattribute__(self, name: str):
        if name.startswith("_") or name == "term":
            return super().__getattribute__(name)
        return NamedNode(str.__str__(self) + name)

    def term(self, name: str) -> NamedNode:
        return NamedNode(str.__str__(self) + name)


RG = Namespace("https://w3id.org/regiongraph/ns#")
RGC = Namespace("https://w3id.org/regiongraph/concepts/")
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")
DCTYPE = Namespace("http://purl.org/dc/dcmitype/")
PROV = Namespace("http://www.w3.org/ns/prov#")
ORG = Namespace("http://www.w3.org/ns/org#")
FOAF = Namespace("http://xmlns.com/foaf/0.1/")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
ODRL = Namespace("http://www.w3.org/ns/odrl/2/")
DPV = Namespace("https://w3id.org/dpv#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
RDF = Namespace("http://www.w3.org/1999/02/22-rdf-syntax-ns#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
OWL = Namespace("http://www.w3.org/2002/07/owl#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
SH = Namespace("http://www.w3.org/ns/shacl#")
SDO = Namespace("https://schema.org/")
ADMS = Namespace("http://www.w3.org/ns/adms#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
GEO = Namespace("http://www.opengis.net/ont/geosparql#")
OA = Namespace("http://www.w3.org/ns/oa#")
AS = Namespace("https://www.w3.org/ns/activitystreams#")
EUAR = Namespace("http://publications.europa.eu/resource/authority/access-right/")
EUFT = Namespace("http://publications.europa.eu/resource/authority/file-type/")

PREFIXES: dict[str, str] = {name: str.__str__(ns) for name, ns in {
    "rg": RG, "rgc": RGC, "dcat": DCAT, "dct": DCT, "dctype": DCTYPE, "prov": PROV,
    "org": ORG, "foaf": FOAF, "vcard": VCARD, "skos": SKOS, "odrl": ODRL, "dpv": DPV,
    "hydra": HYDRA, "sd": SD, "rdf": RDF, "rdfs": RDFS, "owl": OWL, "xsd": XSD, "sh": SH,
    "schema": SDO, "adms": ADMS, "locn": LOCN, "geo": GEO, "oa": OA,
}.items()}


def sparql_prefixes(names: list[str] | None = None) -> str:
    """PREFIX lines for a SPARQL query, all known prefixes unless `names` is given."""
    chosen = names or list(PREFIXES)
    return "".join(f"PREFIX {n}: <{PREFIXES[n]}>\n" for n in chosen)
