"""Counts that tell a steward what is in the store."""

from regiongraph.store import Store


def store_stats(store: Store) -> dict:
    graphs = store.graphs()
    rows = store.query(
        "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c",
        union_default_graph=True,
    )
    classes = {row["c"].value: int(row["n"].value) for row in rows}
    return {"triples": sum(graphs.values()), "graphs": graphs, "classes": classes}
