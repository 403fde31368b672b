"""`regiongraph serve` writes JSON access and event lines, with the request id, no tokens."""

import json

import httpx

from tests.ops.conftest import TOKEN, served

QUERY_TOKEN = "query-string-secret-81d2"
WRONG_TOKEN = "not-the-admin-token-77be"


def test_json_logs_carry_the_request_id_and_never_a_token(small_disk, tmp_path):
    log = tmp_path / "serve.log"
    with served(small_disk, log) as url:
        asked = httpx.get(f"{url}/sparql", params={
            "query": "SELECT * WHERE { ?s ?p ?o } LIMIT 2", "token": QUERY_TOKEN},
            headers={"Authorization": f"Bearer {TOKEN}", "X-Request-Id": "probe-42"}, timeout=30)
        update = httpx.post(f"{url}/sparql", data={
            "update": "INSERT DATA { <https://example.org/x> <https://example.org/p> 1 }",
            "access_token": QUERY_TOKEN}, headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=60)
        refused = httpx.post(f"{url}/admin/backup?token={QUERY_TOKEN}",
                             json={"directory": str(tmp_path / "b")},
                             headers={"Authorization": f"Bearer {WRONG_TOKEN}",
                                      "X-Request-Id": "bad id with spaces"}, timeout=30)
    assert asked.status_code == 200 and asked.headers["x-request-id"] == "probe-42"
    assert update.status_code == 204
    assert refused.status_code == 403
    made_up = refused.headers["x-request-id"]
    assert made_up != "bad id with spaces" and len(made_up) == 32

    text = log.read_text()
    for secret in (TOKEN, QUERY_TOKEN, WRONG_TOKEN):
        assert secret not in text
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    access = [line for line in lines if line["logger"] == "regiongraph.access"]
    by_id = {line.get("request_id"): line for line in access}
    assert by_id["probe-42"]["route"] == "/sparql"
    assert by_id["probe-42"]["status"] == 200
    assert by_id["probe-42"]["path"] == "/sparql" and by_id["probe-42"]["seconds"] >= 0
    assert by_id[made_up]["status"] == 403 and by_id[made_up]["route"] == "/admin/backup"
    assert any(line["event"] == "store opened" for line in lines)
    assert all({"time", "level", "logger", "event"} <= set(line) for line in lines)
