"""Bring a store written by an older regiongraph forward to today's data model.

A store records the data model version it holds (`rg:dataModelVersion` on its meta
graph, see `regiongraph.store.DATA_MODEL_VERSION`). Each step below takes a store from
one version to the next, through the one change path, so every step is journalled (road
`migrate`) and the derived views follow it. A step is idempotent: a migration killed
halfway is run again from the version the store still records.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from regiongraph.change import apply_change
from regiongraph.errors import RegiongraphError
from regiongraph.settings import Settings
from regiongraph.store import (
    DATA_MODEL_VERSION,
    Store,
    model_version,
    record_base,
    set_model_version,
)


@dataclass(frozen=True)
class Step:
    source: int
    why: str
    run: Callable[[Store, Settings], Iterable[str]]
    """Rewrites the store from `source` to `source + 1`; returns the graphs it changed."""


def _journal_everything(store: Store, settings: Settings) -> Iterable[str]:
    """Version 0 is data from before the store kept its base, model version or journal:
    record the base, and journal every graph as changed, so each derived view, which
    cannot know what changed before the journal existed, rebuilds from all of it."""
    record_base(store, settings)
    return [graph for graph in store.graphs() if graph]


STEPS: dict[int, Step] = {
    0: Step(0, "record the base and the model version; journal every graph so the views "
               "rebuild from all of it", _journal_everything),
}


@dataclass
class Migrated:
    was: int
    now: int
    steps: list[str]
    failures: dict[str, str]
    """Views that could not follow (as `apply_change`; `regiongraph refresh` retries)."""


def migrate(store: Store, settings: Settings) -> Migrated:
    """Run every step from the store's version to today's, each as one journalled change."""
    was = current = model_version(store)
    done: list[str] = []
    failures: dict[str, str] = {}
    while current < DATA_MODEL_VERSION:
        step = STEPS.get(current)
        if step is None:
            raise RegiongraphError(f"no migration from data model version {current}: this "
                                   f"regiongraph knows steps from {sorted(STEPS)}")

        def write(step: Step = step) -> list[str]:
            graphs = list(step.run(store, settings))
            set_model_version(store, settings, step.source + 1)
            return graphs + [meta_graph(settings)]

        applied = apply_change(store, settings, "migrate", write)
        failures.update(applied.failures)
        current = step.source + 1
        done.append(f"{step.source} → {current}: {step.why}")
    return Migrated(was=was, now=current, steps=done, failures=failures)


def meta_graph(settings: Settings) -> str:
    from regiongraph.iri import META_GRAPH, Minter

    return Minter(settings.base).graph(META_GRAPH).value
