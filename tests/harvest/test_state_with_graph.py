"""The record of the document a harvest read (its hash and validators) is written in the
same transaction as the graph it produced.

The kill -9 soak found them apart: a harvest of catalog B died after writing its graph and
before recording B's hash, so the store kept B's graph beside A's hash, and the next
harvest of A was skipped as "the document is the one last harvested", leaving B. Here the
death is a write that raises a `BaseException` right after the graph's write (what a
SIGKILL at that moment leaves behind), on both write roads of a re-harvest.
"""

import json

import pytest

from tests.harvest.test_sigkill import big_catalog

WRITES = ("update", "add", "replace_graph")
"""The store's writes a harvest makes (its first load goes to Oxigraph's bulk loader)."""


class Died(BaseException):
    """The process ended here: nothing after this write happened."""


def die_after_the_graph_write(store, graph: str) -> None:
    """The first write after the one that touched `graph` never happens."""
    written = {"graph": False}

    def guard(write):
        def call(*args, **kwargs):
            if written["graph"]:
                raise Died
            result = write(*args, **kwargs)
            written["graph"] = graph in str(args[0])
            return result
        return call

    for name in WRITES:
        setattr(store, name, guard(getattr(store, name)))


def revive(store) -> None:
    for name in WRITES:
        delattr(store, name)


def retitled(source, target, share: float) -> None:
    catalog = json.loads(source.read_text())
    records = catalog["dataset"]
    for record in records[: max(1, int(len(records) * share))]:
        record["title"] = "Retitled " + record["title"]
    target.write_text(json.dumps(catalog))


@pytest.mark.parametrize("share", [0.02, 1.0], ids=["by difference", "whole graph"])
def test_a_death_after_the_graph_write_never_skips_the_next_harvest(
        tmp_path, store, harvest, share):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    big_catalog(a, 3_000)
    retitled(a, b, share)
    assert harvest(a, validate=False).status == "ok"
    graph_a = harvest.snapshot()

    die_after_the_graph_write(store, harvest.graph().value)
    with pytest.raises(Died):
        harvest(b, validate=False)
    revive(store)
    assert harvest.snapshot() != graph_a, "the graph write did not happen before the death"

    again = harvest(a, validate=False)
    assert again.status == "ok", again.message
    assert harvest.snapshot() == graph_a
