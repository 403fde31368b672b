"""The workflow's tests share one demo region on disk and one live server on loopback.

Each test proposes its own project, so they do not depend on one another's requests.
"""

from dataclasses import dataclass

import httpx
import pytest

from regiongraph.accounts import issue_token
from regiongraph.iri import Minter
from regiongraph.settings import Settings
from tests.support import serve_app

ADMIN = "workflow-admin-token"


@dataclass
class Live:
    store: object
    settings: Settings
    url: str

    def iri(self, kind: str, *ids: str) -> str:
        return Minter(self.settings.base).iri(kind, *ids).value

    def token(self, person: str, scope: str = "write") -> str:
        token, _ = issue_token(self.store, self.settings, self.iri("person", person),
                               scope=scope, label="test")
        return token

    def client(self, person: str | None = None, *, token: str | None = None) -> httpx.Client:
        """An HTTP client acting as `person` (a token of theirs) or with `token`."""
        bearer = token or (self.token(person) if person else None)
        headers = {"Accept": "application/json"}
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        return httpx.Client(base_url=self.url, headers=headers, timeout=120)


@pytest.fixture(scope="package")
def live(tmp_path_factory):
    from regiongraph.api.app import create_app

    from regiongraph.pipeline import load_demo
    from regiongraph.store import open_store

    settings = Settings(store=str(tmp_path_factory.mktemp("workflow") / "store"),
                        index="memory", admin_token=ADMIN)
    store = open_store(settings)
    load_demo(store, settings)
    with serve_app(create_app(settings, store=store)) as url:
        yield Live(store, settings, url)
    store.close()


def propose(client: httpx.Client, title: str, *, lead: str = "mesquite",
            needs: tuple[str, ...] = ("saguaro/shelter-intake",)) -> str:
    """Propose and submit a project over HTTP; returns its local id."""
    made = client.post("/workflow/proposals", json={
        "title": title, "domain": "homelessness", "lead": lead, "needs": list(needs),
        "description": "Forecasts shelter beds needed next winter."})
    assert made.status_code == 201, made.text
    ident = made.json()["page"].rsplit("/", 1)[-1]
    submitted = client.post(f"/workflow/projects/{ident}/submit")
    assert submitted.status_code == 200, submitted.text
    return ident
