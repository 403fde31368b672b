"""data.json keeps each dataset's encoded object in the catalog index, and the index hands
on the objects a change cannot have moved (`hand_on`). Seeded random changes, some naming
what they wrote as a record-by-record harvest does, some naming only the graph as a whole
graph write does, check after every step that the kept objects make the same bytes as a
whole build that keeps nothing."""

import random

import pytest

from regiongraph.change import apply_change
from regiongraph.exports import dcat_us, model
from regiongraph.exports.serializer import datajson_chunks
from regiongraph.namespaces import PREFIXES, RGC
from regiongraph.settings import Settings
from regiongraph.store import open_store

SHARED_ADDRESSES = ["https://datatracker.ietf.org/doc/html/rfc7946",
                    "https://www.ogc.org/standards/waterml/", "https://permitdata.org/"]
"""`dct:conformsTo` values of the demo's datasets in several graphs."""
PROLOGUE = "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in PREFIXES.items())


@pytest.fixture
def region(demo_store, demo_settings):
    settings = Settings(store="memory", base=demo_settings.base)
    store = open_store(settings)
    store.add(demo_store.quads())
    yield store, settings
    store.close()


def _datasets(store) -> list[tuple[str, str]]:
    rows = store.query("SELECT ?d ?g WHERE { GRAPH ?g { ?d a <http://www.w3.org/ns/dcat#Dataset> }"
                       " FILTER(CONTAINS(STR(?g), '/graph/source/')) } ORDER BY ?d ?g")
    return [(row["d"].value, row["g"].value) for row in rows]


def _linked(store, d: str, g: str, path: str) -> list[str]:
    rows = store.query(PROLOGUE + f"SELECT DISTINCT ?x WHERE {{ GRAPH <{g}> {{ <{d}> {path} ?x }}"
                       " FILTER(isIRI(?x)) } ORDER BY ?x")
    return [row["x"].value for row in rows]


def _set(g: str, subject: str, predicate: str, value: str) -> str:
    return (f"DELETE {{ GRAPH <{g}> {{ {subject} {predicate} ?old }} }} INSERT {{ GRAPH <{g}> "
            f"{{ {subject} {predicate} {value} }} }} WHERE {{ OPTIONAL {{ GRAPH <{g}> "
            f"{{ {subject} {predicate} ?old }} }} }}")


def _random_write(rng: random.Random, store, serial: int) -> tuple[str, str, list[str]]:
    """One write, the graph it writes and the subjects it names, as a record-by-record
    harvest names them."""
    datasets = _datasets(store)
    d, g = rng.choice(datasets)
    if rng.random() < 0.15:  # a dataset also described in another graph, or no longer
        other = rng.choice(datasets)[1]
        said = bool(store.query(PROLOGUE + f"ASK {{ GRAPH <{other}> {{ <{d}> dct:description ?t }} }}"))
        if rng.random() < 0.5 or not said:
            return ((f"INSERT DATA {{ GRAPH <{other}> {{ <{d}> dct:description "
                    f"\"(described elsewhere {serial})\" }} }}"), other, [d])
        return f"DELETE WHERE {{ GRAPH <{other}> {{ <{d}> dct:description ?t }} }}", other, [d]
    update, subjects = _random_update(rng, store, datasets, d, g, serial)
    return update, g, subjects


def _random_update(rng, store, datasets, d: str, g: str, serial: int) -> tuple[str, list[str]]:
    kind = rng.choice(["title", "access", "download", "derived", "contact", "theme", "standard",
                       "add", "remove"])
    if kind == "title":
        return _set(g, f"<{d}>", "dct:title", f'"Retitled {serial}"'), [d]
    if kind == "access":
        level = rng.choice(["public", "public", "internal", "restricted"])
        return _set(g, f"<{d}>", "rg:accessLevel", f"<{RGC}access/{level}>"), [d]
    if kind == "download":
        return ((f"DELETE {{ GRAPH <{g}> {{ ?x dcat:downloadURL ?u }} }} INSERT {{ GRAPH <{g}> {{ "
                f"?x dcat:downloadURL <https://files.example/{serial}.csv> }} }} WHERE {{ GRAPH "
                f"<{g}> {{ <{d}> dcat:distribution ?x OPTIONAL {{ ?x dcat:downloadURL ?u }} }} }}"),
                [d])
    if kind == "derived":
        other = rng.choice(datasets)[0]
        return f"INSERT DATA {{ GRAPH <{g}> {{ <{d}> prov:wasDerivedFrom <{other}> }} }}", [d]
    if kind == "contact":
        return ((f"DELETE {{ GRAPH <{g}> {{ ?c vcard:fn ?n }} }} INSERT {{ GRAPH <{g}> {{ "
                f"?c vcard:fn \"Desk {serial}\" }} }} WHERE {{ GRAPH <{g}> {{ <{d}> "
                f"dcat:contactPoint ?c OPTIONAL {{ ?c vcard:fn ?n }} }} }}"), [d])
    if kind == "theme":  # a shared node relabelled: only the node is named, not its datasets
        themes = _linked(store, d, g, "dcat:theme")
        if themes:
            return ((f"INSERT DATA {{ GRAPH <{g}> {{ <{themes[0]}> skos:prefLabel "
                    f"\"A theme relabelled {serial}\"@en }} }}"), [themes[0]])
        return _set(g, f"<{d}>", "dct:title", f'"Themeless {serial}"'), [d]
    if kind == "standard":  # a standard declared in a harvested graph, named alone: the
        # address other graphs' datasets conform to now resolves to it
        standard = f"https://standards.example/s{serial % 3}"
        return ((f"INSERT DATA {{ GRAPH <{g}> {{ <{standard}> a dct:Standard ; dct:title "
                f"\"Standard {serial}\" ; foaf:homepage <{rng.choice(SHARED_ADDRESSES)}> }} }}"),
                [standard])
    if kind == "add":
        new = f"{d}-copy-{serial}"
        return ((f"INSERT {{ GRAPH <{g}> {{ <{new}> a dcat:Dataset ; dct:title \"Copy {serial}\" ;"
                f" rg:accessLevel ?l ; dct:publisher ?p ; dct:modified \"2031-01-01\" ;"
                f" rg:community ?c }} }} WHERE {{ GRAPH <{g}> {{ <{d}> dct:publisher ?p ;"
                f" rg:accessLevel ?l OPTIONAL {{ <{d}> rg:community ?c }} }} }}"), [new])
    return ((f"DELETE WHERE {{ GRAPH <{g}> {{ <{d}> ?p ?o }} }} ; "
            f"DELETE WHERE {{ GRAPH <{g}> {{ ?s ?p <{d}> }} }}"), [d])


def _datajson(store, settings, index) -> bytes:
    return b"".join(datajson_chunks(store, settings, self_url="https://x.example/data.json",
                                    index=index))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kept_objects_equal_a_whole_build_after_random_changes(region, seed):
    store, settings = region
    rng = random.Random(seed)
    _datajson(store, settings, model.catalog_index(store, settings))
    handed_on = []
    for serial in range(25):
        update, graph, subjects = _random_write(rng, store, serial)

        def write(update=update, graph=graph) -> list[str]:
            store.update(PROLOGUE + update)
            return [graph]

        named = subjects if rng.random() < 0.6 else []  # else a whole graph written
        assert apply_change(store, settings, "harvest", write, subjects=named).failures == {}
        followed = model.catalog_index(store, settings)
        handed_on.append((len(followed.rendered.get(dcat_us.NAME, {})), bool(named)))
        whole = model.build_index(store, settings, followed.version, followed.last_modified)
        assert not whole.rendered
        assert _datajson(store, settings, followed) == _datajson(store, settings, whole), (
            f"step {serial}: {update}")
    listed = len(model.catalog_index(store, settings).entries)
    for kind in (True, False):  # named subjects, a whole graph: most objects handed on
        assert sum(1 for n, named in handed_on if named is kind and n > listed // 2) >= 4, (
            handed_on)


def test_a_registry_change_hands_on_nothing(region):
    """The registry names the agents every record shows: a change there builds whole."""
    store, settings = region
    index = model.catalog_index(store, settings)
    _datajson(store, settings, index)
    assert index.rendered[dcat_us.NAME]
    agent = index.communities[index.entries[0].community].iri
    registry = settings.base + "graph/registry"

    def write() -> list[str]:
        store.update(PROLOGUE + _set(registry, f"<{agent}>", "foaf:name", '"Renamed Publisher"'))
        return [registry]

    assert apply_change(store, settings, "harvest", write, subjects=[agent]).failures == {}
    followed = model.catalog_index(store, settings)
    assert not followed.rendered
    assert b"Renamed Publisher" in _datajson(store, settings, followed)


def test_a_dataset_no_longer_described_in_a_rewritten_graph_is_read_again(region):
    """A whole graph written names no subjects, and the graph no longer holds the dataset
    it described beside its own source: the record remembers the graphs it was read from."""
    store, settings = region
    datasets = _datasets(store)
    index = model.catalog_index(store, settings)
    d, g = next((d, g) for d, g in datasets if d == index.entries[0].iri)
    other = next(graph for _, graph in datasets if graph != g)

    def write(update: str):
        return lambda: (store.update(PROLOGUE + update), [other])[1]

    said = f'<{d}> dct:description "(described elsewhere)"'
    for update in (f"INSERT DATA {{ GRAPH <{other}> {{ {said} }} }}",
                   f"DELETE DATA {{ GRAPH <{other}> {{ {said} }} }}"):
        index = model.catalog_index(store, settings)
        _datajson(store, settings, index)
        assert apply_change(store, settings, "harvest", write(update)).failures == {}
        followed = model.catalog_index(store, settings)
        assert len(followed.rendered[dcat_us.NAME]) > len(followed.entries) // 2
        whole = model.build_index(store, settings, followed.version, followed.last_modified)
        text = _datajson(store, settings, followed)
        assert text == _datajson(store, settings, whole)
        assert (b"(described elsewhere)" in text) is update.startswith("INSERT")


def _prime_threads() -> list:
    import threading

    return [t for t in threading.enumerate() if t.name == "datajson-prime"]


def test_a_server_that_opens_its_store_encodes_data_json_at_start(demo_store, demo_settings,
                                                                   tmp_path):
    """The first harvester after a start joins kept objects: every public dataset's is
    encoded in a thread at start, and the stream equals a whole build's. The server stops
    the thread before it closes the store, which then opens again."""
    import json

    import httpx
    from regiongraph.api.app import create_app

    from tests.support import serve_app

    settings = Settings(store=str(tmp_path / "store"), base=demo_settings.base)
    store = open_store(settings)
    store.add(demo_store.quads())
    store.close()
    app = create_app(settings)
    with serve_app(app) as url:
        for thread in _prime_threads():
            thread.join(timeout=120)
        served = app.state.store
        index = model.catalog_index(served, settings)
        assert set(index.rendered[dcat_us.NAME]) == {e.iri for e in index.entries}
        streamed = json.loads(httpx.get(url + "/data.json", timeout=60).content)
        whole = model.build_index(served, settings, index.version, index.last_modified)
        assert streamed["dataset"] == json.loads(_datajson(served, settings, whole))["dataset"]
    assert not _prime_threads()
    open_store(settings).close()


def test_a_stopped_prime_ends_after_its_batch(region):
    from regiongraph.exports.serializer import prime_datajson

    store, settings = region
    stop = prime_datajson(store, settings)
    stop()
    assert not _prime_threads()


def test_regiongraph_serve_encodes_data_json_at_start(demo_store, demo_settings, tmp_path):
    """The real server: `regiongraph serve` logs the objects it encoded at start, one for
    every dataset its /data.json lists."""
    import json
    import time

    import httpx

    from tests.support import regiongraph_server

    settings = Settings(store=str(tmp_path / "store"), base=demo_settings.base)
    store = open_store(settings)
    store.add(demo_store.quads())
    store.close()
    log = tmp_path / "server.log"
    with regiongraph_server(settings.store, log=log) as url:
        deadline = time.monotonic() + 120
        events = []
        while not events and time.monotonic() < deadline:
            time.sleep(0.2)
            events = [json.loads(line) for line in log.read_text().splitlines()
                      if "data.json objects encoded" in line]
        listed = json.loads(httpx.get(url + "/data.json", timeout=60).content)["dataset"]
    assert events, log.read_text()[-2000:]
    fields = events[0]
    assert fields["objects"] == fields["datasets"] == len(listed) > 0, fields
