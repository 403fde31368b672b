"""`regiongraph backup DIR`: beside a running server (which makes the copy) and alone;
the copy opens as a store with the same quads as the source."""

import httpx
from pyoxigraph import Store as OxStore

from tests.ops.conftest import TOKEN, cli, served

LIVE = "INSERT DATA { GRAPH <https://example.org/live> { <https://example.org/a> <https://example.org/p> 'written while serving' } }"


def quads_of(location) -> set[str]:
    store = OxStore.read_only(str(location))
    try:
        return {str(quad) for quad in store}
    finally:
        del store


def test_backup_beside_a_running_server_matches_the_store(small_disk, tmp_path):
    target = tmp_path / "backups" / "first"
    target.parent.mkdir()
    with served(small_disk, tmp_path / "serve.log") as url:
        written = httpx.post(f"{url}/sparql", data={"update": LIVE},
                             headers={"Authorization": f"Bearer {TOKEN}"}, timeout=60)
        assert written.status_code == 204
        done = cli(small_disk, "backup", str(target), "--server", url,
                   env={"REGIONGRAPH_ADMIN_TOKEN": TOKEN})
        assert done.returncode == 0, done.stderr
        assert f"copied to {target} by the server at {url}" in done.stderr

        again = cli(small_disk, "backup", str(target), "--server", url,
                    env={"REGIONGRAPH_ADMIN_TOKEN": TOKEN})
        tokenless = cli(small_disk, "backup", str(tmp_path / "backups" / "second"),
                        "--server", url, env={"REGIONGRAPH_ADMIN_TOKEN": ""})
    assert again.returncode == 2
    assert [line for line in again.stderr.splitlines() if line.strip()] == [
        (f"error: the server at {url} refused the backup: 400 {target} already exists: a "
        "backup goes into a new directory; nothing was written")]
    assert tokenless.returncode == 2 and "set REGIONGRAPH_ADMIN_TOKEN" in tokenless.stderr
    assert not (tmp_path / "backups" / "second").exists()

    copied, source = quads_of(target), quads_of(small_disk)  # the server has stopped
    assert copied == source
    assert any("written while serving" in quad for quad in copied)
    assert len(copied) > 40


def test_backup_of_a_free_store_and_refusals(small_disk, tmp_path):
    target = tmp_path / "copy"
    done = cli(small_disk, "backup", str(target))
    assert done.returncode == 0, done.stderr
    assert quads_of(target) == quads_of(small_disk)

    opened = cli(target, "stats", "--json")  # the copy is a store regiongraph opens
    assert opened.returncode == 0, opened.stderr

    memory = cli("memory", "backup", str(tmp_path / "mem"))
    assert memory.returncode == 2
    assert "a memory store has no files to back up" in memory.stderr
    nowhere = cli(small_disk, "backup", str(tmp_path / "no" / "such" / "parent"))
    assert nowhere.returncode == 2 and "is not a directory: create it first" in nowhere.stderr


def test_the_backup_route_needs_the_admin_token_and_an_absolute_path(small_disk, tmp_path):
    with served(small_disk, tmp_path / "serve.log") as url:
        anonymous = httpx.post(f"{url}/admin/backup", json={"directory": str(tmp_path / "x")})
        relative = httpx.post(f"{url}/admin/backup", json={"directory": "x"},
                              headers={"Authorization": f"Bearer {TOKEN}"})
    assert anonymous.status_code == 401 and relative.status_code == 400
    assert "not an absolute path" in relative.json()["detail"]
    assert not (tmp_path / "x").exists()
