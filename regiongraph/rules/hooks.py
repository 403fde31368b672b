"""The rules view of the one change path (`regiongraph.change.VIEWS`).

First the inferences (the rules read types and super-properties from them), then the
validation of what changed; the report is stored with the others. Both cost what the
change touched (`rules.inference`, `rules.incremental`), not the size of the region.
"""

import time

from pyoxigraph import NamedNode

from regiongraph.iri import INFERENCE_GRAPH, Minter, is_bookkeeping
from regiongraph.memory import trim_after
from regiongraph.rules.incremental import revalidate
from regiongraph.rules.inference import follow
from regiongraph.settings import Settings
from regiongraph.store import Store


def after_change(store: Store, settings: Settings, changed: list[NamedNode]) -> None:
    inference = Minter(settings.base).graph(INFERENCE_GRAPH)
    # bookkeeping (sign-ins, events, deliveries, the audit, harvest logs) is never reasoned
    # over or validated: a notification or a sign-in must not cost a re-validation
    data_changed = [g for g in changed
                    if g != inference and not is_bookkeeping(settings.base, g.value)]
    if not data_changed:
        return
    step = time.monotonic()
    followed = follow(store, settings, data_changed)
    trim_after(step)  # what the inference run freed, before the validation builds its own
    # a full inference run may have moved inferences anywhere: so may the validation
    revalidate(store, settings, data_changed, full=followed.nodes is None,
               inferred=followed.touched, keep_results=False)
