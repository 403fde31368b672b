"""One dataset offered by two sources: which description an export should leave out.

A harvest links a dataset another source also offers with `rg:sameDatasetAs` (same
landing page, or the same URL identifier). The link is symmetric, so the rule must not
depend on which source was harvested first: in each linked group the smallest IRI stands
for the dataset and the others are left out of exports, listings and counts.
"""

from regiongraph.namespaces import RG
from regiongraph.store import Store


def duplicates_to_skip(store: Store, candidates: set[str] | None = None) -> set[str]:
    """IRIs of datasets that have a `rg:sameDatasetAs` partner with a smaller IRI.

    `candidates`, when given, limits the partners that count to those (for example the
    datasets an anonymous user may see): a duplicate whose smaller partner is not itself
    shown stays, so a dataset never disappears from an export altogether.
    """
    rows = store.query(
        f"SELECT DISTINCT ?a ?b WHERE {{ GRAPH ?g {{ {{ ?a <{RG.sameDatasetAs.value}> ?b }} "
        f"UNION {{ ?b <{RG.sameDatasetAs.value}> ?a }} }} }}")
    skip = set()
    for row in rows:
        mine, other = row["a"].value, row["b"].value
        if other < mine and (candidates is None or other in candidates):
            skip.add(mine)
    return skip
