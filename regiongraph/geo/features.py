"""The region's features with a geometry, read from the store.

Which features there are is the registry's word (communities, partners' service areas,
projects); datasets carry theirs from the harvest. Both use one pattern,
`?feature geo:hasGeometry/geo:asWKT ?wkt` (see `regiongraph.geo.geometry`).
"""

from regiongraph.geo.geometry import place_key
from regiongraph.iri import REGISTRY_GRAPH, Minter
from regiongraph.namespaces import sparql_prefixes
from regiongraph.store import Store


def region_places(store: Store, minter: Minter) -> dict[str, str]:
    """`place_key(name)` → IRI of the community or partner's service area of that name (or
    acronym) with a geometry: what a catalog's place name ("City of Agave", "Ridge County",
    "VTA") resolves to. A project is not a place (its title names work, not an area).
    A name two features share resolves to neither (a guess would misplace data)."""
    registry = minter.graph(REGISTRY_GRAPH).value
    rows = store.query(sparql_prefixes() + f"""
        SELECT ?feature ?name WHERE {{ GRAPH <{registry}> {{
          {{ ?feature a rg:Community }} UNION {{ ?partner schema:areaServed ?feature }}
          ?feature geo:hasGeometry ?g ; foaf:name|skos:prefLabel|skos:altLabel|rdfs:label ?name .
        }} }}""")
    places: dict[str, str] = {}
    shared: set[str] = set()
    for row in rows:
        key, feature = place_key(row["name"].value), row["feature"].value
        if key and places.get(key, feature) != feature:
            shared.add(key)
        places.setdefault(key, feature)
    return {k: v for k, v in places.items() if k and k not in shared}
