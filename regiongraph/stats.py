"""Counts that tell a steward what is in the store."""

from regiongraph.iri import is_bookkeeping
from regiongraph.settings import Settings
from regiongraph.store import Store


def store_stats(store: Store, settings: Settings, *, include_internal: bool = False) -> dict:
    """Triples in all, per graph and instances per class.

    Internal graphs are listed only with `include_internal`; otherwise `internal` counts
    them (and `triples` still counts everything in the store).
    """
    from regiongraph.accounts.secrecy import without_secrets

    store = without_secrets(store, settings)  # sign-in secrets are not even counted
    graphs = store.graphs()
    rows = store.query(
        "SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c",
        union_default_graph=True,
    )
    classes = {row["c"].value: int(row["n"].value) for row in rows}
    result = {"triples": sum(graphs.values()), "graphs": graphs, "classes": classes}
    if not include_internal:
        hidden = {g: n for g, n in graphs.items() if is_bookkeeping(settings.base, g)}
        result["graphs"] = {g: n for g, n in graphs.items() if g not in hidden}
        result["internal"] = {"graphs": len(hidden), "triples": sum(hidden.values())}
    return result
