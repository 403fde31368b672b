"""`replace_graph` of a large graph writes only the difference, and a kill at any moment
leaves the previous graph or the new one, never a mix."""

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Triple, parse

from regiongraph.settings import Settings
from regiongraph.store import open_store
from regiongraph.store.base import STAGING_PREFIX

GRAPH = NamedNode("https://example.org/graph/big")
P = NamedNode("https://example.org/p")
KILLS = 4


def triples(n: int, tag: str, start: int = 0) -> list[Triple]:
    return [Triple(NamedNode(f"https://example.org/s{i}"), P, Literal(f"{tag}{i}"))
            for i in range(start, start + n)]


def write_nt(path: Path, items: list[Triple]) -> None:
    path.write_text("".join(f"{t} .\n" for t in items), encoding="utf-8")


def content(store) -> set[str]:
    return {str(q.triple) for q in store.quads(GRAPH)}


class Recording:
    """The pyoxigraph store, with the SPARQL updates sent to it kept."""

    def __init__(self, inner) -> None:
        self.inner, self.updates = inner, []

    def update(self, sparql: str) -> None:
        self.updates.append(sparql)
        self.inner.update(sparql)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_a_one_percent_change_writes_one_percent(tmp_path):
    store = open_store(Settings(store=str(tmp_path / "store")))
    old = triples(20_000, "v")
    store.replace_graph(GRAPH, old)
    new = old[:19_800] + triples(200, "w", start=19_800)
    recording = Recording(store._store)
    store._store = recording
    assert store.replace_graph(GRAPH, new) == 20_000
    assert content(store) == {str(t) for t in new}
    sent = "".join(recording.updates)
    assert "MOVE" not in sent and "DROP" not in sent
    assert sent.count('"v1990') == 10 and sent.count('"w1990') == 10
    assert len(sent) < 400 * 80, "only the 200 changed triples and the 200 they replace"
    recording.updates.clear()
    assert store.replace_graph(GRAPH, iter(new)) == 20_000
    assert recording.updates == [], "the same content writes nothing"
    store.close()


def test_blank_nodes_are_swapped_whole(tmp_path):
    from pyoxigraph import BlankNode

    store = open_store(Settings(store=str(tmp_path / "store")))
    blank = BlankNode()
    old = triples(3_000, "v") + [Triple(blank, P, Literal("blank"))]
    store.replace_graph(GRAPH, [Quad(t.subject, t.predicate, t.object, GRAPH) for t in old])
    new = triples(3_000, "v") + [Triple(BlankNode(), P, Literal("other"))]
    assert store.replace_graph(GRAPH, new) == 3_001
    held = content(store)
    assert len(held) == 3_001 and any('"other"' in t for t in held)
    assert not any('"blank"' in t for t in held)
    store.close()


REPLACE = """
import sys
from pyoxigraph import NamedNode, RdfFormat, parse
from regiongraph.settings import Settings
from regiongraph.store import open_store
store = open_store(Settings(store=sys.argv[1]))
with open(sys.argv[2], "rb") as source:
    store.replace_graph(NamedNode(sys.argv[3]), parse(source, RdfFormat.N_TRIPLES))
store.close()
"""


def replace_in_child(location: Path, nt: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", REPLACE, str(location), str(nt), GRAPH.value],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def lines(path: Path) -> set[str]:
    with path.open("rb") as source:
        return {str(t) for t in parse(source, RdfFormat.N_TRIPLES)}


def test_replace_killed_at_random_moments_keeps_old_or_new(tmp_path):
    # half the triples stay, a quarter change, as many again are new
    _assert_old_or_new(*_kill_at_random_moments(
        tmp_path, triples(16_000, "v"),
        triples(8_000, "v") + triples(4_000, "w", 8_000) + triples(8_000, "n", 16_000)))


def test_a_replace_that_only_adds_killed_at_random_moments_keeps_old_or_new(tmp_path):
    """The only-additions replace is one bulk load (a first harvest's inferences): a kill
    during it leaves the old graph, and no orphan `bulk-*.sst` file once reopened."""
    old = triples(16_000, "v")
    _assert_old_or_new(*_kill_at_random_moments(tmp_path, old,
                                                 old + triples(120_000, "n", 16_000)))


def _assert_old_or_new(old: set[str], new: set[str], finished: set[str],
                       after_kills: list[set[str]]) -> None:
    assert finished == new, "the replace left something else than the new graph"
    assert all(held in (old, new) for held in after_kills), \
        "a kill left a mix of the old graph and the new"
    assert old in after_kills, "no kill landed before the swap: the test proved nothing"


def _kill_at_random_moments(tmp_path: Path, old_items: list[Triple], new_items: list[Triple]
                            ) -> tuple[set[str], set[str], set[str], list[set[str]]]:
    """(old, new, the graph after an uninterrupted replace, the graph after each kill)."""
    old_nt, new_nt = tmp_path / "old.nt", tmp_path / "new.nt"
    write_nt(old_nt, old_items)
    write_nt(new_nt, new_items)
    old, new = lines(old_nt), lines(new_nt)
    template = tmp_path / "template"
    store = open_store(Settings(store=str(template)))
    with old_nt.open("rb") as source:
        store.replace_graph(GRAPH, parse(source, RdfFormat.N_TRIPLES))
    store.close()

    whole = tmp_path / "whole"
    _copy(template, whole)
    started = time.monotonic()
    child = replace_in_child(whole, new_nt)
    assert child.wait(timeout=300) == 0, child.stderr.read()
    duration = time.monotonic() - started
    finished = _held(whole)

    after_kills = []
    rng = random.Random(14)
    for kill in range(KILLS):
        target = tmp_path / f"killed{kill}"
        _copy(template, target)
        child = replace_in_child(target, new_nt)
        time.sleep(rng.uniform(0.3, 1.0) * duration)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
        after_kills.append(_held(target))
    return old, new, finished, after_kills


def _held(location: Path) -> set[str]:
    store = open_store(Settings(store=str(location)))
    try:
        assert not [g for g in store.graphs() if g.startswith(STAGING_PREFIX)]
        return content(store)
    finally:
        store.close()
        assert not list(location.glob("bulk-*.sst")), "a killed bulk load's files were kept"


def _copy(source: Path, target: Path) -> None:
    import shutil

    shutil.copytree(source, target)


def test_only_additions_are_one_bulk_load(tmp_path):
    """A graph that only gains triples (the inferences of a first harvest) gets them by one
    bulk load, atomic like an update at a quarter of its memory, not by an INSERT DATA."""
    store = open_store(Settings(store=str(tmp_path / "store")))
    old = triples(3_000, "v")
    store.replace_graph(GRAPH, old)
    recording = Recording(store._store)
    store._store = recording
    grown = old + triples(5_000, "w", start=3_000)
    assert store.replace_graph(GRAPH, grown) == 8_000
    assert recording.updates == []
    assert content(store) == {str(t) for t in grown}
    store._store = recording.inner
    del recording
    store.close()
    reopened = open_store(Settings(store=str(tmp_path / "store")))
    assert content(reopened) == {str(t) for t in grown}
    reopened.close()
