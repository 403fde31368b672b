"""Two `regiongraph serve` processes on one `oxigraph serve` store agree.

A write through one server goes through the one change path: it is journalled in the
store itself. The other server, which heard nothing, catches up from the journal on its
next request: its search index, its public SPARQL view and its catalog all show the
change (and stop showing a dataset once it is no longer public).
"""

import json

import httpx
import pytest

from regiongraph.iri import Minter
from regiongraph.pipeline import load_demo
from regiongraph.settings import Settings
from regiongraph.store import open_store
from tests.sparql.conftest import ADMIN, TOKEN
from tests.support import oxigraph_server, regiongraph_server

pytestmark = pytest.mark.remote

GRAPH = "saguaro-datajson"
RECORD = "traffic-counts-2023"
DCT_TITLE = "http://purl.org/dc/terms/title"
ACCESS = "https://w3id.org/regiongraph/ns#accessLevel"
RESTRICTED = "https://w3id.org/regiongraph/concepts/access/restricted"
COUNT = ("SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE "
         "{ ?d a <http://www.w3.org/ns/dcat#Dataset> }")


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory):
    with oxigraph_server() as oxigraph:
        remote = {"REGIONGRAPH_STORE": f"{oxigraph}/query",
                  "REGIONGRAPH_UPDATE_URL": f"{oxigraph}/update",
                  "REGIONGRAPH_GSP_URL": f"{oxigraph}/store",
                  "REGIONGRAPH_ADMIN_TOKEN": TOKEN}
        settings = Settings(store=remote["REGIONGRAPH_STORE"],
                            update_url=remote["REGIONGRAPH_UPDATE_URL"],
                            gsp_url=remote["REGIONGRAPH_GSP_URL"])
        store = open_store(settings)
        load_demo(store, settings)
        store.close()
        envs = [{**remote, "REGIONGRAPH_INDEX": str(tmp_path_factory.mktemp(f"index{n}"))}
                for n in (1, 2)]
        with regiongraph_server(remote["REGIONGRAPH_STORE"], env=envs[0]) as one, \
                regiongraph_server(remote["REGIONGRAPH_STORE"], env=envs[1]) as two:
            yield one, two, settings


def _update(url: str, settings: Settings, predicate: str, value: str) -> None:
    graph = Minter(settings.base).graph("source", GRAPH).value
    dataset = Minter(settings.base).iri("dataset", "saguaro", RECORD).value
    update = (f"DELETE {{ GRAPH <{graph}> {{ <{dataset}> <{predicate}> ?old }} }} "
              f"INSERT {{ GRAPH <{graph}> {{ <{dataset}> <{predicate}> {value} }} }} "
              f"WHERE {{ GRAPH <{graph}> {{ <{dataset}> <{predicate}> ?old }} }}")
    response = httpx.post(f"{url}/sparql", data={"update": update}, headers=ADMIN, timeout=300)
    assert response.status_code == 204, response.text


def _public_count(url: str) -> int:
    response = httpx.get(f"{url}/sparql", params={"query": COUNT},
                         headers={"Accept": "application/sparql-results+json"}, timeout=300)
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


def _found(url: str, words: str) -> list[str]:
    response = httpx.get(f"{url}/search", params={"q": words, "format": "json"}, timeout=300)
    assert response.status_code == 200, response.text
    return [hit["title"] for hit in response.json()["results"]]


def _listed(url: str) -> list[str]:
    return [d["title"] for d in httpx.get(f"{url}/data.json", timeout=300).json()["dataset"]]


def test_a_write_through_one_server_reaches_the_other(two_servers):
    one, two, settings = two_servers
    published = _public_count(two)
    assert published > 100, "the public view of a remote store shows the published datasets"
    assert published == _public_count(one) == len(_listed(two))
    assert _found(two, "zeppelin") == []

    title = "Counted by zeppelin"
    _update(one, settings, DCT_TITLE, json.dumps(title))
    assert _found(two, "zeppelin") == [title]
    assert title in _listed(two)

    _update(one, settings, ACCESS, f"<{RESTRICTED}>")
    assert _found(two, "zeppelin") == []
    assert title not in _listed(two)
    assert _public_count(two) == published - 1
    assert _found(one, "zeppelin") == []
