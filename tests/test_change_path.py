"""Every write road goes through the one change path, and every view follows it.

For each road (harvest, Graph Store, SPARQL update, restore) the test changes a public
dataset's title, then its access level, through a real server on loopback. After each
write, one request later: search finds (or stops finding) it, `/data.json` and the DCAT
catalog show (or stop showing) it, and the stored inferences and validation report equal
a full recomputation on the store as it now is. A manual lineage edge moves the store
version and the region snapshot the pages read.
"""

import io
import json
import re
import shutil
import threading

import httpx
import pytest
from regiongraph.api.app import create_app

from regiongraph import journal
from regiongraph.change import apply_change, catch_up_in_background
from regiongraph.iri import INFERENCE_GRAPH, Minter
from regiongraph.paths import data_path
from regiongraph.pipeline import restore_dump
from regiongraph.rules.reasoning import infer
from regiongraph.rules.reports import latest_report
from regiongraph.rules.validate import validate
from regiongraph.settings import Settings
from tests.sparql.conftest import ADMIN, TOKEN, copy_of
from tests.support import serve_app

SOURCE = "saguaro-datajson"
RECORD = "traffic-counts-2023"
DCT_TITLE = "http://purl.org/dc/terms/title"
ACCESS = "https://w3id.org/regiongraph/ns#accessLevel"
RESTRICTED = "https://w3id.org/regiongraph/concepts/access/restricted"


@pytest.fixture
def served(demo_store, tmp_path):
    """A copy of the demo on its own server, harvesting from a copy of saguaro's data.json."""
    catalog = tmp_path / "data.json"
    shutil.copy(data_path("demo") / "catalogs/saguaro/data.json", catalog)
    sources = tmp_path / "sources.yaml"
    sources.write_text(f"sources:\n  - {{id: {SOURCE}, community: saguaro, type: datajson, "
                       f"path: {catalog}}}\n", encoding="utf-8")
    settings = Settings(store="memory", admin_token=TOKEN, sources=str(sources))
    store = copy_of(demo_store, settings)
    with serve_app(create_app(settings, store=store)) as url:
        yield url, store, settings, catalog
    store.close()


def _dataset(settings: Settings) -> str:
    return Minter(settings.base).iri("dataset", "saguaro", RECORD).value


def _graph(settings: Settings) -> str:
    return Minter(settings.base).graph("source", SOURCE).value


# -- the roads: each writes a new title, or a restricted access level ----------------------

def by_harvest(url, store, settings, catalog, title=None, restricted=False):
    data = json.loads(catalog.read_text(encoding="utf-8"))
    record = next(r for r in data["dataset"] if r["identifier"] == RECORD)
    if title:
        record["title"] = title
    if restricted:
        record["accessLevel"] = "restricted public"
    catalog.write_text(json.dumps(data), encoding="utf-8")
    response = httpx.post(f"{url}/harvest/{SOURCE}", headers=ADMIN, timeout=120)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ok"


def by_sparql_update(url, store, settings, catalog, title=None, restricted=False):
    graph, dataset = _graph(settings), _dataset(settings)
    predicate, value = (DCT_TITLE, json.dumps(title)) if title else (ACCESS, f"<{RESTRICTED}>")
    update = (f"DELETE {{ GRAPH <{graph}> {{ <{dataset}> <{predicate}> ?old }} }} "
              f"INSERT {{ GRAPH <{graph}> {{ <{dataset}> <{predicate}> {value} }} }} "
              f"WHERE {{ GRAPH <{graph}> {{ <{dataset}> <{predicate}> ?old }} }}")
    response = httpx.post(f"{url}/sparql", data={"update": update}, headers=ADMIN, timeout=120)
    assert response.status_code == 204, response.text


def _edited(ntriples: str, settings: Settings, title=None, restricted=False) -> str:
    dataset = _dataset(settings)
    lines = []
    for line in ntriples.splitlines():
        if line.startswith(f"<{dataset}> <{DCT_TITLE}> ") and title:
            line = re.sub(r'"(?:[^"\\]|\\.)*"', lambda _m: json.dumps(title), line, count=1)
        if line.startswith(f"<{dataset}> <{ACCESS}> ") and restricted:
            line = re.sub(r"<[^>]*access/[a-z-]+>", f"<{RESTRICTED}>", line)
        lines.append(line)
    return "\n".join(lines) + "\n"


def by_graph_store(url, store, settings, catalog, title=None, restricted=False):
    graph = _graph(settings)
    got = httpx.get(f"{url}/store", params={"graph": graph},
                    headers={**ADMIN, "Accept": "application/n-triples"}, timeout=120)
    assert got.status_code == 200
    response = httpx.put(f"{url}/store", params={"graph": graph},
                         content=_edited(got.text, settings, title, restricted).encode(),
                         headers={**ADMIN, "Content-Type": "application/n-triples"}, timeout=120)
    assert response.status_code in (200, 204), response.text


def by_restore(url, store, settings, catalog, title=None, restricted=False):
    dump = io.BytesIO()
    store.dump(dump)
    edited = _edited(dump.getvalue().decode(), settings, title, restricted)
    restore_dump(store, settings, io.BytesIO(edited.encode()))


ROADS = {"harvest": by_harvest, "sparql-update": by_sparql_update,
         "graph-store": by_graph_store, "restore": by_restore}


# -- what every view must show after one request -------------------------------------------

def _search_titles(url, words: str) -> list[str]:
    response = httpx.get(f"{url}/search", params={"q": words, "format": "json", "rows": 50},
                         timeout=120)
    assert response.status_code == 200, response.text
    return [hit["title"] for hit in response.json()["results"]]


def _catalog_titles(url) -> tuple[list[str], str]:
    """The titles of `/data.json` (several members reuse a title) and the DCAT catalog."""
    data = httpx.get(f"{url}/data.json", timeout=120).json()
    dcat = httpx.get(f"{url}/catalog", params={"page_size": 1000},
                     headers={"Accept": "text/turtle"}, timeout=120).text
    return [d["title"] for d in data["dataset"]], dcat


def _derived_views_agree(store, settings) -> None:
    inference = Minter(settings.base).graph(INFERENCE_GRAPH)
    stored = {(q.subject, q.predicate, q.object) for q in store.quads(inference)}
    assert stored == {(t.subject, t.predicate, t.object) for t in infer(store, settings)}
    report = latest_report(store, settings)
    assert report is not None
    assert report.pairs == validate(store, settings, today=report.day).pairs


@pytest.mark.parametrize("road", sorted(ROADS))
def test_every_view_follows_each_road(served, road):
    url, store, settings, catalog = served
    write = ROADS[road]
    title = f"Renamed by {road} zeppelin"
    before = journal.version(store, settings)
    old_titles = _catalog_titles(url)[0]
    assert "Traffic Counts 2023" in old_titles
    assert _search_titles(url, "zeppelin") == []  # the index is built before the change

    write(url, store, settings, catalog, title=title)
    assert journal.version(store, settings) > before
    assert _search_titles(url, "zeppelin") == [title]
    titles, dcat = _catalog_titles(url)
    assert titles.count(title) == 1 and len(titles) == len(old_titles)
    assert titles.count("Traffic Counts 2023") == old_titles.count("Traffic Counts 2023") - 1
    assert title in dcat
    _derived_views_agree(store, settings)

    write(url, store, settings, catalog, restricted=True)
    assert _search_titles(url, "zeppelin") == []
    titles, dcat = _catalog_titles(url)
    assert title not in titles and title not in dcat and len(titles) == len(old_titles) - 1
    _derived_views_agree(store, settings)
    roads = [c.road for c in journal.since(store, settings, before)]
    assert roads == [road, road]


def test_a_manual_edge_moves_the_version_and_the_region_snapshot(served):
    url, store, settings, _catalog = served
    network = httpx.get(f"{url}/network", headers=ADMIN, timeout=120).json()
    before = journal.version(store, settings)
    edge = {"source": Minter(settings.base).iri("dataset", "saguaro", "traffic-counts-2022").value,
            "target": _dataset(settings), "reason": "counted on the same loops",
            "agent": "Kim Lee"}
    response = httpx.post(f"{url}/lineage/edges", json=edge, headers=ADMIN, timeout=120)
    assert response.status_code == 201, response.text
    assert journal.version(store, settings) == before + 1
    assert journal.since(store, settings, before)[0].road == "manual-edge"
    after = httpx.get(f"{url}/network", headers=ADMIN, timeout=120).json()
    assert after != network


def test_a_search_beside_a_write_answers_from_the_index_as_it_stands(served):
    """While a write's own request brings the search index up to date (it holds the view's
    lock), a search does not queue behind it: it answers from the index as it stands, the
    titles before the write; once the write's request is done, the new title is found."""
    from regiongraph.change import view_lock

    url, store, settings, catalog = served
    httpx.get(f"{url}/search", params={"q": "warm"}, timeout=120)  # the index is built
    before = _search_titles(url, "traffic counts")
    held, release = threading.Event(), threading.Event()

    def a_slow_index_follow() -> None:  # stands in for a write's long re-indexing
        with view_lock("search"):
            held.set()
            release.wait(60)

    holder = threading.Thread(target=a_slow_index_follow)
    holder.start()
    held.wait(10)
    writer = threading.Thread(target=by_sparql_update, args=(url, store, settings, catalog),
                              kwargs={"title": "Traffic counts renamed beside a reader"})
    writer.start()
    answers: list[list[str]] = []
    reader = threading.Thread(target=lambda: answers.append(_search_titles(url, "traffic counts")))
    reader.start()
    reader.join(30)
    still_waiting = reader.is_alive()
    release.set()
    holder.join(30)
    writer.join(120)
    assert not still_waiting, "the search queued behind the write's index follow"
    assert answers == [before]
    assert "Traffic counts renamed beside a reader" in _search_titles(url, "renamed beside reader")


def test_reads_beside_a_change_neither_wait_for_its_views_nor_see_a_stale_verdict(served,
                                                                                   monkeypatch):
    """A change restricts a published dataset, and its `publishable` view is slow to follow
    (it holds the view's lock). Meanwhile, in other threads: who may see what (the kept
    public set) answers at once, by the rule for what the change can have moved (the
    dataset is no longer published), and a search answers from its index as it stands.
    Before, both queued behind the view for its lock: 5 s a read in the 32-client soak."""
    from regiongraph import visibility
    from regiongraph.search import index_for

    _url, store, settings, _catalog = served
    dataset = _dataset(settings)
    assert dataset in visibility.publishing_approvals(store, settings)
    index_for(store, settings)  # built before the change
    following, release = threading.Event(), threading.Event()
    follow = visibility.follow

    def a_slow_follow(*args, **kwargs):  # stands in for a long re-judgement under load
        following.set()
        release.wait(60)
        return follow(*args, **kwargs)

    monkeypatch.setattr(visibility, "follow", a_slow_follow)

    def restrict() -> list[str]:
        store.update(f"DELETE {{ GRAPH <{_graph(settings)}> {{ <{dataset}> <{ACCESS}> ?l }} }} "
                     f"INSERT {{ GRAPH <{_graph(settings)}> {{ <{dataset}> <{ACCESS}> "
                     f"<{RESTRICTED}> }} }} WHERE {{ OPTIONAL {{ GRAPH <{_graph(settings)}> "
                     f"{{ <{dataset}> <{ACCESS}> ?l }} }} }}")
        return [_graph(settings)]

    writer = threading.Thread(target=apply_change, args=(store, settings, "test", restrict),
                              kwargs={"subjects": [dataset]})
    writer.start()
    assert following.wait(60)
    answers: dict[str, object] = {}
    readers = [threading.Thread(target=lambda: answers.setdefault(
                   "published", visibility.publishing_approvals(store, settings))),
               threading.Thread(target=lambda: answers.setdefault(
                   "index", index_for(store, settings)))]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join(20)
    waited = [reader.is_alive() for reader in readers]
    release.set()
    writer.join(120)
    assert waited == [False, False], "a read queued behind the change's views"
    published = answers["published"]
    assert dataset not in published
    assert published == visibility.judge(store, settings, visibility._today(None))
    assert visibility.read_kept(store, settings) == published  # the view followed after


class Died(BaseException):
    """The writer's process ended here (a kill -9): nothing after it ran."""


def test_a_write_whose_writer_died_before_its_journal_entry_is_followed_at_start(served):
    """A write and its journal entry are two transactions; a writer killed between them
    left a change no view would ever follow. The next start journals it and follows."""
    url, store, settings, _catalog = served
    before = journal.version(store, settings)
    assert _search_titles(url, "zeppelin") == []
    graph, dataset = _graph(settings), _dataset(settings)

    def write_then_die():
        store.update(f"DELETE {{ GRAPH <{graph}> {{ <{dataset}> <{DCT_TITLE}> ?old }} }} "
                     f"INSERT {{ GRAPH <{graph}> {{ <{dataset}> <{DCT_TITLE}> \"Died zeppelin\" }} }} "
                     f"WHERE {{ GRAPH <{graph}> {{ <{dataset}> <{DCT_TITLE}> ?old }} }}")
        raise Died

    with pytest.raises(Died):
        apply_change(store, settings, "sparql-update", write_then_die)
    assert journal.version(store, settings) == before
    assert _search_titles(url, "zeppelin") == []

    catch_up_in_background(store, settings).join(timeout=600)
    assert _search_titles(url, "zeppelin") == ["Died zeppelin"]
    assert [c.road for c in journal.since(store, settings, before)] == [
        "sparql-update, interrupted"]
    assert journal.recover(store, settings) == []  # the note went with the entry
    _derived_views_agree(store, settings)
