"""Maintenance beside a running `regiongraph serve`: the CLI asks the server, which holds the
disk store, through the admin routes; nothing is stopped.

A real `regiongraph serve` subprocess on a copy of the demo, the CLI in other processes.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from regiongraph.change import VIEWS
from regiongraph.search.index import LABELS
from tests.support import free_port, regiongraph_server

TOKEN = "admin-secret-for-tests"


def cli(store: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """The CLI on `store` with these REGIONGRAPH_* settings (and no others from outside)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("REGIONGRAPH_")}
    return subprocess.run(
        [sys.executable, "-m", "regiongraph", "--store", str(store), *args],
        capture_output=True, text=True, timeout=180, check=False,
        env={**clean, **{f"REGIONGRAPH_{k.upper()}": v for k, v in env.items()}})


def one_line(result: subprocess.CompletedProcess) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


ADMIN = {"Authorization": f"Bearer {TOKEN}"}


def built(index: Path) -> bool:
    """True once a whole build of the search index finished (its state file says so)."""
    state = index / LABELS
    return state.exists() and json.loads(state.read_text()).get("complete", False)


@pytest.fixture(scope="module")
def served(demo_disk, tmp_path_factory):
    """A copy of the demo store (without its search index) held by a running server."""
    store = tmp_path_factory.mktemp("admin") / "store"
    shutil.copytree(demo_disk, store)
    with regiongraph_server(store, env={"REGIONGRAPH_ADMIN_TOKEN": TOKEN}) as url:
        yield store, url


def views(url: str) -> dict:
    answer = httpx.get(url + "/admin/views", headers=ADMIN, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_reindex_beside_the_server_is_done_by_the_server(served):
    store, url = served
    index = store.with_name(store.name + ".search")
    assert not built(index)  # the copy has no index (a server start opens an empty one)

    done = cli(store, "reindex", "--json", admin_token=TOKEN, server=url)

    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["written"] > 400 and report["full"] is True
    assert report["index"] == str(index.resolve())
    assert report["store_version"] == views(url)["store_version"] >= 1
    assert any(index.iterdir())  # the server wrote the index beside the store
    text = cli(store, "reindex", admin_token=TOKEN, server=url)
    assert text.returncode == 0, text.stderr
    assert f"search index rebuilt by the server at {url} at {index.resolve()}: " in text.stderr
    found = httpx.get(url + "/search", params={"q": "bike share"},
                      headers={"Accept": "application/json"}, timeout=30)
    assert found.status_code == 200 and found.json()["count"] > 0


def test_refresh_beside_the_server_is_done_by_the_server(served):
    store, url = served
    version = views(url)["store_version"]

    done = cli(store, "refresh", admin_token=TOKEN, server=url)
    assert done.returncode == 0, done.stderr
    assert (f"views at store version {version} (by the server at {url}): "
            f"rules {version}, publishable {version}, queries {version}, search {version}"
            ) in done.stderr

    only = cli(store, "refresh", "--view", "search", "--json", admin_token=TOKEN, server=url)
    assert only.returncode == 0, only.stderr
    body = json.loads(only.stdout)
    assert body["refreshed"] == ["search"] and body["failures"] == {}
    assert [(v["name"], v["seen_version"]) for v in body["views"]] == [("search", version)]

    state = views(url)
    assert state["store"] == str(store.resolve())
    assert [(v["name"], v["seen_version"], v["behind"], v["last_failure"])
            for v in state["views"]] == [(v.name, version, 0, None) for v in VIEWS]

    unknown = cli(store, "refresh", "--view", "nope", admin_token=TOKEN, server=url)
    assert unknown.returncode == 2
    assert "answered 400" in one_line(unknown)
    assert "no view 'nope'; the views are rules, publishable, queries, search" in one_line(unknown)


def test_validate_beside_the_server_stores_through_it(served):
    store, url = served

    done = cli(store, "validate", "--format", "json", "--today", "2026-11-25",
               admin_token=TOKEN, server=url)

    assert done.returncode == 1, done.stderr  # the demo has violations
    printed = json.loads(done.stdout)
    assert printed["day"] == "2026-11-25" and printed["results"]
    assert f"stored by the server at {url}: " in done.stderr
    run = done.stderr.split(f"stored by the server at {url}: ", 1)[1].split()[0]
    latest = httpx.get(url + "/reports/latest", headers={**ADMIN, "Accept": "application/json"}, timeout=30)
    assert latest.status_code == 200
    assert latest.json()["run"] == run == printed["run"]
    assert len(latest.json()["results"]) == len(printed["results"])


def test_admin_routes_need_the_admin_token(served):
    store, url = served
    for method, path in [("GET", "/admin/views"), ("POST", "/admin/refresh"),
                         ("POST", "/admin/reindex"), ("POST", "/admin/revalidate")]:
        assert httpx.request(method, url + path, timeout=30).status_code == 401
        wrong = httpx.request(method, url + path, timeout=30,
                              headers={"Authorization": "Bearer not-the-token"})
        assert wrong.status_code == 403

    refused = cli(store, "reindex", admin_token="not-the-token", server=url)
    assert refused.returncode == 2
    assert f"the server at {url} refused the admin token (403): set REGIONGRAPH_ADMIN_TOKEN" \
        in one_line(refused)


def test_no_server_or_no_token_is_one_line_saying_what_to_set(served):
    store, url = served
    nowhere = f"http://127.0.0.1:{free_port()}"

    unreachable = cli(store, "reindex", admin_token=TOKEN, server=nowhere)
    assert unreachable.returncode == 2
    line = one_line(unreachable)
    assert f"no server answers at {nowhere}" in line
    assert "set REGIONGRAPH_SERVER to the URL of the running `regiongraph serve`" in line

    tokenless = cli(store, "refresh", server=url)
    assert tokenless.returncode == 2
    assert f"to ask the server at {url} instead, set REGIONGRAPH_ADMIN_TOKEN" \
        in one_line(tokenless)


def test_a_server_of_another_store_is_not_asked(served, demo_copy):
    _, url = served
    with regiongraph_server(demo_copy):  # holds demo_copy; `url` serves another store
        done = cli(demo_copy, "reindex", admin_token=TOKEN, server=url)
    assert done.returncode == 2
    assert f"the server at {url} holds " in one_line(done)
    assert f"not {demo_copy.resolve()}: set REGIONGRAPH_SERVER" in one_line(done)
    assert not built(demo_copy.with_name(demo_copy.name + ".search"))


def test_without_a_server_the_commands_work_locally(demo_copy):
    done = cli(demo_copy, "refresh", "--json")
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert body["refreshed"] == [v.name for v in VIEWS] and body["failures"] == {}
    assert {v["behind"] for v in body["views"]} == {0}
