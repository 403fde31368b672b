"""No password, token, session id or CSRF token ever reaches the logs."""

import io
import json
import logging
import re
import subprocess
import sys

import httpx
import pytest

from regiongraph.observe import JsonFormatter
from regiongraph.pipeline import load_demo
from regiongraph.settings import Settings
from regiongraph.store import open_store
from tests.ops.conftest import TOKEN, cli, served

PASSWORD = "a password nobody logs 9f2e"
PERSONAL = "rgt_0123456789ab_" + "S" * 43


@pytest.mark.parametrize(("line", "secrets"), [
    (f"headers: Authorization: {PERSONAL}", [PERSONAL]),
    (f"header x-ckan-api-key: {PERSONAL}", [PERSONAL]),
    (f"token {PERSONAL} was refused", [PERSONAL]),
    ("cookie: rg_session=Zm9vYmFyYmF6cXV4MTIz; rg_csrf=Y3NyZnRva2VuMTIz",
     ["Zm9vYmFyYmF6cXV4MTIz", "Y3NyZnRva2VuMTIz"]),
    ("form email=a@b.example&password=hunter2hunter2", ["hunter2hunter2"]),
    ("callback /sign-in/oidc/callback?code=SplxlOBeZQQYbYS6WxSbIA&state=af0ifjsldkj",
     ["SplxlOBeZQQYbYS6WxSbIA", "af0ifjsldkj"]),
    ("client_secret=client-secret-for-tests-3b1d", ["client-secret-for-tests-3b1d"]),
])
def test_the_json_formatter_scrubs_every_credential(line, secrets):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger(f"tests.accounts.scrub.{abs(hash(line))}")
    logger.addHandler(handler)
    logger.propagate = False
    logger.warning(line)
    text = stream.getvalue()
    assert json.loads(text)["event"]
    for secret in secrets:
        assert secret not in text, text


def test_a_served_sign_in_and_token_use_leave_no_secret_in_the_logs(tmp_path):
    settings = Settings(store=str(tmp_path / "store"), admin_token=TOKEN)
    store = open_store(settings)
    load_demo(store, settings)
    store.close()
    stored = tmp_path / "store"
    made = subprocess.run([sys.executable, "-m", "regiongraph", "--store", str(stored),
                           "accounts", "set-password", "--person", "sofia-marquez",
                           "--password-stdin"], input=PASSWORD + "\n", capture_output=True,
                          text=True, timeout=120, check=False)
    assert made.returncode == 0, made.stderr
    created = cli(stored, "tokens", "create", "--person", "smarquez@mesquite-az.example",
                  "--label", "logs", "--json")
    assert created.returncode == 0, created.stderr
    token = json.loads(created.stdout)["token"]
    listed = cli(stored, "tokens", "list", "--person", "sofia-marquez", "--json")
    assert [t["label"] for t in json.loads(listed.stdout)] == ["logs"]
    assert token not in listed.stdout
    log = tmp_path / "serve.log"
    with served(stored, log) as url, httpx.Client(base_url=url, timeout=30) as client:
        page = client.get("/sign-in", headers={"Accept": "text/html"})
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        wrong = client.post("/sign-in", data={"email": "smarquez@mesquite-az.example",
                                              "password": PASSWORD + "x", "csrf": csrf})
        right = client.post("/sign-in", data={"email": "smarquez@mesquite-az.example",
                                              "password": PASSWORD, "csrf": csrf})
        session = client.cookies["rg_session"]
        csrf_after = client.cookies["rg_csrf"]
        assert (wrong.status_code, right.status_code) == (401, 303)
        assert client.get("/account?format=json").json()["person"].endswith("sofia-marquez")
        for headers in ({"Authorization": f"Bearer {token}"}, {"Authorization": token},
                        {"X-CKAN-API-Key": token}):
            assert httpx.get(f"{url}/api/3/action/package_search", headers=headers,
                             timeout=30).status_code == 200
        assert httpx.get(f"{url}/sparql", params={"query": "ASK {}"}, headers={
            "Authorization": f"Bearer {token}x"}, timeout=30).status_code == 401
    text = log.read_text()
    assert '"sign-in"' in text  # the sign-in was logged, without its secrets
    for secret in (PASSWORD, token, token[:30], session, csrf, csrf_after, TOKEN):
        assert secret not in text
