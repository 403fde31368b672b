"""The CLI (`regiongraph harvest`, a real subprocess) and the API (uvicorn on loopback)."""

import json
import os
import subprocess
import sys
import textwrap

import httpx
import pytest

from regiongraph.settings import Settings
from regiongraph.store import open_store
from tests.support import serve_app


def run_cli(*args: str, store: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "regiongraph", "--store", store, *args],
        check=False, capture_output=True, text=True, timeout=120,
        env={**os.environ, "REGIONGRAPH_HARVEST_ALLOW_PRIVATE": "1", **(env or {})})


@pytest.fixture
def sources_file(tmp_path, fixtures, portal):
    path = tmp_path / "sources.yaml"
    path.write_text(textwrap.dedent(f"""\
        sources:
          - {{id: good, community: testville, type: datajson, path: {fixtures / 'catalog-v1.json'}}}
          - {{id: broken, community: testville, type: datajson, url: "{portal.url}/status/404"}}
          - id: secured
            community: testville
            type: datajson
            url: "{portal.url}/files/catalog-v2.json"
            auth_env: TEST_PORTAL_AUTH
        """))
    return path


def test_cli_harvest_json_report_and_exit_codes(tmp_path, sources_file, portal):
    store = str(tmp_path / "store")
    done = run_cli("harvest", "good", "--config", str(sources_file), "--json", store=store)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert {"source", "status", "created", "updated", "unchanged", "removed", "skipped",
            "errors"} <= set(report)
    assert (report["source"], report["status"], report["created"]) == ("good", "ok", 5)

    failed = run_cli("harvest", "broken", "--config", str(sources_file), "--json", store=store)
    assert failed.returncode == 2
    assert json.loads(failed.stdout)["errors"][0]["message"].endswith("HTTP 404 Not Found")


def test_cli_auth_header_from_environment(tmp_path, sources_file, portal):
    store = str(tmp_path / "store")
    missing = run_cli("harvest", "secured", "--config", str(sources_file), store=store)
    assert missing.returncode == 2 and "TEST_PORTAL_AUTH" in (missing.stdout + missing.stderr)
    portal.requests.clear()
    done = run_cli("harvest", "secured", "--config", str(sources_file), store=store,
                   env={"TEST_PORTAL_AUTH": "X-Api-Key: s3cret"})
    assert done.returncode == 0, done.stderr
    assert [h.get("X-Api-Key") for p, h in portal.requests if "catalog-v2" in p] == ["s3cret"]


def test_cli_one_off_and_all(tmp_path, sources_file, fixtures):
    store = str(tmp_path / "store")
    done = run_cli("harvest", str(fixtures / "gtfs-catalog.ttl"), "--type", "dcat",
                   "--community", "testville", "--json", store=store)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["created"] == 2
    everything = run_cli("harvest", "--all", "--config", str(sources_file), "--json",
                         store=store, env={"TEST_PORTAL_AUTH": "Bearer x"})
    assert everything.returncode == 2  # one source is broken; the others were harvested
    statuses = {r["source"]: r["status"] for r in json.loads(everything.stdout)}
    assert statuses == {"good": "ok", "broken": "failed", "secured": "ok"}
    unknown = run_cli("harvest", "nope", "--config", str(sources_file), store=store)
    assert unknown.returncode == 2 and "no source 'nope'" in unknown.stderr


def test_cli_bad_sources_file_names_the_line(tmp_path):
    bad = tmp_path / "sources.yaml"
    bad.write_text("sources:\n  - {id: a, community: c, type: datajson, path: x.json}\n"
                   "  - {id: b, community: c, type: csv, path: y.csv}\n")
    done = run_cli("harvest", "--all", "--config", str(bad), store=str(tmp_path / "store"))
    assert done.returncode == 2
    assert "sources.yaml:3: unknown type 'csv'" in done.stderr


def test_api_harvest_and_lineage_events(tmp_path, sources_file, monkeypatch):
    from regiongraph.api.app import create_app

    monkeypatch.setenv("REGIONGRAPH_SOURCES", str(sources_file))
    settings = Settings(store="memory", admin_token="test-admin-token",
                        harvest_allow_private=True)
    store = open_store(settings)
    admin = {"Authorization": "Bearer test-admin-token"}
    with serve_app(create_app(settings, store=store)) as url:
        assert httpx.post(f"{url}/harvest/good").status_code == 401
        assert httpx.post(f"{url}/harvest/good", headers={"Authorization": "Bearer no"}
                          ).status_code == 403
        ok = httpx.post(f"{url}/harvest/good", headers=admin, timeout=30)
        assert ok.status_code == 200 and ok.json()["created"] == 5
        broken = httpx.post(f"{url}/harvest/broken", headers=admin, timeout=30)
        assert broken.status_code == 502 and broken.json()["status"] == "failed"
        assert httpx.post(f"{url}/harvest/nope", headers=admin).status_code == 404
        past = httpx.get(f"{url}/harvest/good/history", headers=admin).json()
        assert [r["status"] for r in past] == ["ok"]

        event = {"eventType": "COMPLETE", "eventTime": "2026-02-01T00:00:00Z",
                 "run": {"runId": "22222222-2222-4222-8222-222222222222"},
                 "job": {"namespace": "etl", "name": "join"},
                 "inputs": [{"namespace": "pg://db", "name": "a"}],
                 "outputs": [{"namespace": "pg://db", "name": "b"}],
                 "producer": "https://example.org/p",
                 "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"}
        assert httpx.post(f"{url}/lineage/events", json=event).status_code == 401
        posted = httpx.post(f"{url}/lineage/events?community=testville", json=event,
                            headers=admin)
        assert posted.status_code == 200, posted.text
        assert posted.json()["created"] == 1
        again = httpx.post(f"{url}/lineage/events?community=testville", json=event,
                           headers=admin).json()
        assert (again["created"], again["updated"]) == (0, 1)
        assert list(again["written_graphs"].values()) == [0]
        bad = httpx.post(f"{url}/lineage/events?community=testville", content=b"{not json",
                         headers=admin)
        assert bad.status_code == 400 and "invalid JSON" in bad.json()["message"]
        nobody = httpx.post(f"{url}/lineage/events", json=event, headers=admin)
        assert nobody.status_code == 422 and "?community=" in nobody.text
