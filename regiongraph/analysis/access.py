"""Who sees what in the planning analyses: stewards everything, anonymous users only
publishable datasets.

The rule itself lives in `regiongraph.visibility` and nowhere else; this module only turns
its answer into the filters the analyses take (`visible=`), so the API and pages apply it
the same way everywhere.
"""

from __future__ import annotations

from regiongraph.accounts.principal import Principal
from regiongraph.settings import Settings
from regiongraph.store import Store


def visible_datasets(store: Store, settings: Settings, *, admin: bool = False,
                     principal: Principal | None = None) -> set[str] | None:
    """None (no filter) for stewards; for a request's principal, what
    `regiongraph.membership` lets it see; the publishable datasets for anyone else."""
    if principal is not None:
        from regiongraph.membership import visible_datasets as member_visible

        return member_visible(store, settings, principal)
    if admin:
        return None
    from regiongraph.visibility import publishable_datasets

    return publishable_datasets(store, settings)


def node_filter(visible: set[str] | None):
    """A `Visible` callable for lineage walks (None when everything may be seen).

    Anonymous walks keep only publishable datasets: jobs, runs and anything else minted
    under the base are never public, so the walk does not pass through them.
    """
    if visible is None:
        return None
    return lambda iris: {i for i in iris if i in visible}
