"""`/admin/*` over real HTTP: a view that fails to follow is shown with why, and a refresh
after the cause is gone brings it back. The failure is real: the search index setting
points at a directory that is not a search index, so the search view cannot open it."""

import httpx
import pytest
from regiongraph.api.app import create_app

from regiongraph.change import VIEWS
from regiongraph.settings import Settings
from regiongraph.store import open_store
from tests.support import serve_app

TOKEN = "admin-test-token"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
UPDATE = "INSERT DATA { GRAPH <urn:g:admin> { <urn:s> <urn:p> 'o' } }"


@pytest.fixture
def service(tmp_path):
    foreign = tmp_path / "not-an-index"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("someone else's files")
    settings = Settings(store=str(tmp_path / "store"), index=str(foreign), admin_token=TOKEN)
    store = open_store(settings)
    with serve_app(create_app(settings, store=store)) as url:
        yield url, foreign
    store.close()


def views(url: str) -> dict[str, dict]:
    answer = httpx.get(url + "/admin/views", headers=ADMIN, timeout=30)
    assert answer.status_code == 200, answer.text
    return {v["name"]: v for v in answer.json()["views"]}


def test_a_failed_view_is_shown_and_a_refresh_recovers_it(service):
    url, foreign = service
    written = httpx.post(url + "/sparql", content=UPDATE, timeout=30,
                         headers={**ADMIN, "Content-Type": "application/sparql-update"})
    assert written.status_code in (200, 204), written.text

    failed = views(url)["search"]
    assert failed["seen_version"] is None and failed["behind"] is None
    assert "is not a regiongraph search index" in failed["last_failure"]
    assert failed["failed_at"] is not None
    rules = views(url)["rules"]
    assert rules["seen_version"] == rules["store_version"] == 1 and rules["last_failure"] is None

    still = httpx.post(url + "/admin/refresh", params={"view": "search"}, headers=ADMIN,
                       timeout=60)
    assert still.status_code == 200
    assert "is not a regiongraph search index" in still.json()["failures"]["search"]

    (foreign / "notes.txt").unlink()  # the steward moves the foreign files away
    fixed = httpx.post(url + "/admin/refresh", headers=ADMIN, timeout=60).json()
    assert fixed["failures"] == {} and fixed["refreshed"] == [v.name for v in VIEWS]
    assert [(v["name"], v["seen_version"], v["last_failure"]) for v in fixed["views"]] == [
        (v.name, 1, None) for v in VIEWS]
    assert views(url)["search"]["last_failure"] is None


def test_unknown_view_is_a_400_naming_the_views(service):
    url, _ = service
    answer = httpx.post(url + "/admin/refresh", params={"view": ["search", "nope"]},
                        headers=ADMIN, timeout=30)
    assert answer.status_code == 400
    assert answer.json()["detail"] == "no view 'nope'; the views are " + ", ".join(v.name for v in VIEWS)
