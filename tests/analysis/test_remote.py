"""The analyses on the remote backend (a real `oxigraph serve`, and a real Virtuoso 7, on
loopback) give the same answers as on the embedded store: nothing in them depends on
pyoxigraph's own engine."""

import pytest

from regiongraph.analysis.governance import governance
from regiongraph.analysis.lineage import lineage
from regiongraph.analysis.region import load_region
from regiongraph.analysis.reuse import reuse
from regiongraph.settings import Settings
from regiongraph.store import open_store
from tests.analysis.graphs import ds
from tests.analysis.test_planning import governed_region
from tests.support import clear_remote

pytestmark = pytest.mark.remote


def test_remote_answers_match_embedded(remote_engine):
    b, today = governed_region()
    b.derive("a/bus-stops", "c/trips")  # a cycle across communities
    local = b.store()
    remote = open_store(Settings(**remote_engine))
    try:
        clear_remote(remote)
        remote.add(b.quads)
        for root in ("c/trips", "a/bus-stops", "b/parking"):
            for level in ("dataset", "community"):
                mine = lineage(local, root=ds(root).value, depth=5, level=level)
                theirs = lineage(remote, root=ds(root).value, depth=5, level=level)
                assert mine.model_dump() == theirs.model_dump()
        here, there = load_region(local), load_region(remote)
        assert reuse(here).model_dump() == reuse(there).model_dump()
        assert governance(here, on=today).model_dump() == governance(there, on=today).model_dump()
    finally:
        clear_remote(remote)
        remote.close()
