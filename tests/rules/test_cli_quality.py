"""`regiongraph validate` and `regiongraph quality` on a real disk store, and MQA scoring."""

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from regiongraph.namespaces import RG
from regiongraph.pipeline import load_demo
from regiongraph.rules.quality import MAX_POINTS, URL_TIMEOUT, band
from regiongraph.settings import Settings
from regiongraph.store import open_store


@pytest.fixture(scope="module")
def disk_demo(tmp_path_factory):
    path = tmp_path_factory.mktemp("rules-cli") / "store"
    settings = Settings(store=str(path))
    store = open_store(settings)
    load_demo(store, settings)
    store.close()
    return path


def run(store, *args):
    env = {**os.environ, "REGIONGRAPH_STORE": str(store)}
    return subprocess.run([sys.executable, "-m", "regiongraph", *args], check=False,
                          capture_output=True,
                          text=True, env=env, timeout=300)


def test_validate_json_and_exit_code(disk_demo):
    done = run(disk_demo, "validate", "--format", "json", "--today", "2026-11-25")
    assert done.returncode == 1, done.stderr
    body = json.loads(done.stdout)
    assert body["conforms"] is False
    assert {"focus", "path", "shape", "severity", "message", "community"} <= set(body["results"][0])
    communities = {r["community"] for r in body["results"]}
    assert {"ocotillo", "palo-verde", "valley-water", "red-mesa"} <= communities


def test_validate_text_groups_by_community_and_rule(disk_demo):
    done = run(disk_demo, "validate", "--today", "2026-11-25", "--no-store")
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0].startswith("does not conform:")
    assert "== ocotillo" in lines
    start = lines.index("== ocotillo")
    assert lines[start + 1].startswith("  R1-PublicDatasetApproved [Violation]")
    assert lines[start + 2].startswith("    fix: The dataset is public but no approval")


def test_validate_bad_day_is_a_usage_error(disk_demo):
    done = run(disk_demo, "validate", "--today", "yesterday")
    assert done.returncode == 2
    assert "not a date" in done.stderr and "Traceback" not in done.stderr


def test_quality_json(disk_demo):
    done = run(disk_demo, "quality", "--json", "--community", "saguaro")
    assert done.returncode == 0, done.stderr
    body = json.loads(done.stdout)
    assert [c["scope"] for c in body["communities"]] == ["saguaro"]
    assert body["region"]["datasets"] == len(body["datasets"]) > 50
    assert all(d["community"] == "saguaro" for d in body["datasets"])


def test_bands():
    assert MAX_POINTS == 100 + 100 + 110 + 75 + 20
    assert [band(x) for x in (405, 351, 350, 221, 220, 121, 120, 0)] == [
        "Excellent", "Excellent", "Good", "Good", "Sufficient", "Sufficient", "Bad", "Bad"]


def test_scores_follow_the_metadata(demo_store, demo_settings):
    """A record with more metadata never scores lower: compare two real demo datasets
    indicator by indicator against what the store says about them."""
    from regiongraph.rules.quality import assess

    assessment = assess(demo_store, demo_settings)
    by_iri = {s.dataset: s for s in assessment.scores}
    assert by_iri
    for score in list(by_iri.values())[:40]:
        iri = score.dataset
        has = {p: bool(demo_store.query(f"ASK {{ <{iri}> <{p}> ?o }}", union_default_graph=True))
               for p in ("http://www.w3.org/ns/dcat#keyword", "http://purl.org/dc/terms/spatial",
                         "http://www.w3.org/ns/dcat#contactPoint",
                         "http://purl.org/dc/terms/issued")}
        assert (score.indicators["keywords"] == 30) == has["http://www.w3.org/ns/dcat#keyword"]
        assert (score.indicators["spatial"] == 20) == has["http://purl.org/dc/terms/spatial"]
        assert (score.indicators["contact_point"] == 20) == has[
            "http://www.w3.org/ns/dcat#contactPoint"]
        assert (score.indicators["issued"] == 5) == has["http://purl.org/dc/terms/issued"]
        assert score.indicators["access_url_answers"] == 0  # URLs not checked
        assert 0 <= score.total <= MAX_POINTS - 80


class _Answers(BaseHTTPRequestHandler):
    """Distribution URLs as portals answer them: fine, gone, looping, hanging."""

    def log_message(self, *args) -> None:
        return None

    def do_HEAD(self) -> None:
        self.server.asked.append((self.command, self.path))  # type: ignore[attr-defined]
        if self.path == "/loop":
            self.send_response(302)
            self.send_header("Location", "/loop")
        elif self.path == "/slow":
            time.sleep(URL_TIMEOUT + 2)
            self.send_response(200)
        else:
            self.send_response(200 if self.path == "/ok" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_HEAD


@pytest.fixture
def answering():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
    server.daemon_threads = True
    server.asked = []  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


def _only_these_urls(store, settings, paths: tuple[str, ...], base: str) -> dict[str, str]:
    """Leave the region with one distribution URL per path, on as many public datasets
    (the demo's own URLs point at hosts this machine cannot reach)."""
    from regiongraph.visibility import publishable_datasets

    dcat = "http://www.w3.org/ns/dcat#"
    for link in ("accessURL", "downloadURL"):
        store.update(f"DELETE WHERE {{ GRAPH ?g {{ ?dist <{dcat}{link}> ?u }} }}")
    public = publishable_datasets(store, settings, None)
    with_distributions = sorted(row["d"].value for row in store.query(
        f"SELECT DISTINCT ?d WHERE {{ GRAPH ?g {{ ?d <{dcat}distribution> ?x }} }}")
        if row["d"].value in public)
    chosen = dict(zip(paths, with_distributions, strict=False))
    for path, dataset in chosen.items():
        store.update(f"""INSERT {{ GRAPH ?g {{ ?dist <{dcat}accessURL> <{base}/{path}> }} }}
            WHERE {{ GRAPH ?g {{ <{dataset}> <{dcat}distribution> ?dist }} }}""")
    return chosen


def test_quality_check_urls_against_a_real_server(disk_demo, tmp_path, answering):
    """`quality --check-urls` used to crash (`Limits(max_redirects=...)`)."""
    copy = tmp_path / "store"
    shutil.copytree(disk_demo, copy)
    settings = Settings(store=str(copy))
    store = open_store(settings)
    base = f"http://127.0.0.1:{answering.server_address[1]}"
    chosen = _only_these_urls(store, settings, ("ok", "missing", "loop", "slow"), base)
    store.close()

    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "regiongraph", "quality", "--check-urls", "--json"],
        check=False, capture_output=True, text=True, timeout=300,
        env={**os.environ, "REGIONGRAPH_STORE": str(copy),
             "REGIONGRAPH_HARVEST_ALLOW_PRIVATE": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert time.monotonic() - started < 120
    body = json.loads(done.stdout)
    assert body["urls_checked"] is True
    answers = {d["dataset"]: d["indicators"]["access_url_answers"] for d in body["datasets"]}
    assert {path: answers[dataset] for path, dataset in chosen.items()} == {
        "ok": 50, "missing": 0, "loop": 0, "slow": 0}
    asked = [path for _, path in answering.asked]
    assert asked.count("/ok") == asked.count("/missing") == asked.count("/slow") == 1
    assert asked.count("/loop") == 6  # the first request and 5 redirects, then it stops

    store = open_store(settings)
    statuses = {row["url"].value: int(row["status"].value) for row in store.query(
        f"SELECT ?url ?status WHERE {{ GRAPH ?g {{ ?c <{RG.checkedURL.value}> ?url ; "
        f"<{RG.httpStatus.value}> ?status }} }}")}
    store.close()
    assert {u.rsplit("/", 1)[1]: s for u, s in statuses.items() if u.startswith(base)} == {
        "ok": 200, "missing": 404, "loop": 0, "slow": 0}


def test_check_url_obeys_the_address_rule(answering):
    from regiongraph.rules.quality import check_url

    url = f"http://127.0.0.1:{answering.server_address[1]}/ok"
    assert check_url(url, allow_private=True) == 200
    assert check_url(url) is None
    assert answering.asked == [("HEAD", "/ok")]
