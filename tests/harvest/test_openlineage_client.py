"""The real openlineage-python client, with its HTTP transport, against the server on loopback.

The client posts to `{url}/api/v1/lineage` (Marquez's path) with `Authorization: Bearer
<api_key>`; the event's lineage must land in the store. An invalid event must be refused
(400 with the schema error) and store nothing, so a client never believes it was kept.
"""

import textwrap
import uuid

import httpx
import pytest
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.transport.http import ApiKeyTokenProvider, HttpConfig, HttpTransport
from requests import HTTPError

from regiongraph.iri import SOURCE_GRAPH, Minter
from regiongraph.settings import Settings
from regiongraph.store import open_store
from tests.support import serve_app

TOKEN = "test-admin-token"
NAMESPACE = "postgres://testville-gis:5432"
PROV = "http://www.w3.org/ns/prov#"


@pytest.fixture
def service(tmp_path):
    from regiongraph.api.app import create_app

    sources = tmp_path / "sources.yaml"
    sources.write_text(textwrap.dedent(f"""\
        sources:
          - id: testville-lineage
            community: testville
            type: openlineage
            path: {tmp_path / 'unused.ndjson'}
            options:
              datasets:
                - {{namespace: "{NAMESPACE}", community: testville, strip_prefix: "public.",
                   replace: {{"_": "-"}}}}
        """))
    settings = Settings(store="memory", admin_token=TOKEN, sources=str(sources))
    store = open_store(settings)
    with serve_app(create_app(settings, store=store)) as url:
        yield url, store, settings
    store.close()


def client(url: str, api_key: str | None) -> OpenLineageClient:
    auth = ApiKeyTokenProvider({"api_key": api_key}) if api_key else None
    config = HttpConfig(url=url, timeout=30, **({"auth": auth} if auth else {}))
    return OpenLineageClient(transport=HttpTransport(config))


def run_event() -> RunEvent:
    return RunEvent(
        eventType=RunState.COMPLETE, eventTime="2026-02-01T00:00:00Z",
        run=Run(runId=str(uuid.uuid4())), job=Job(namespace="airflow", name="clean_crashes"),
        producer="https://example.org/pipeline",
        inputs=[InputDataset(namespace=NAMESPACE, name="public.raw_crashes")],
        outputs=[OutputDataset(namespace=NAMESPACE, name="public.clean_crashes")])


def derivations(store, settings) -> list[tuple[str, str]]:
    graph = Minter(settings.base).graph(SOURCE_GRAPH, "lineage-events")
    rows = store.query(f"SELECT ?out ?in WHERE {{ GRAPH <{graph.value}> "
                       f"{{ ?out <{PROV}wasDerivedFrom> ?in }} }}")
    return [(row["out"].value, row["in"].value) for row in rows]


def test_the_python_client_stores_lineage(service):
    url, store, settings = service
    client(url, TOKEN).emit(run_event())
    dataset = Minter(settings.base).iri
    assert derivations(store, settings) == [
        (dataset("dataset", "testville", "clean-crashes").value,
         dataset("dataset", "testville", "raw-crashes").value)]


def test_the_python_client_needs_the_token(service):
    url, store, settings = service
    with pytest.raises(HTTPError) as refused:
        client(url, None).emit(run_event())
    assert refused.value.response.status_code == 401
    assert derivations(store, settings) == []


@pytest.mark.parametrize("path", ["/api/v1/lineage", "/lineage/events"])
def test_an_invalid_event_is_a_400_with_the_schema_error(service, path):
    url, store, settings = service
    answer = httpx.post(url + path, json={}, timeout=30,
                        headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["status"] == "failed"
    assert "eventTime" in body["message"] and "OpenLineage schema" in body["message"]
    assert derivations(store, settings) == []
    graph = Minter(settings.base).graph(SOURCE_GRAPH, "lineage-events")
    assert store.count(graph) == 0
