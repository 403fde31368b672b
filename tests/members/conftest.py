"""A real on-disk copy of the demo region served by a real uvicorn, with a token for
each demo person the member tests probe as, and one revoked token."""

import datetime as dt
import io
from dataclasses import dataclass, field

import pytest
from regiongraph.api.app import create_app

from regiongraph.accounts import issue_token, revoke_token
from regiongraph.iri import Minter
from regiongraph.settings import Settings
from regiongraph.store import open_store
from tests.support import serve_app

ADMIN_TOKEN = "test-admin-token"
REFERENCE_DAY = dt.date(2026, 11, 25)
"""The demo's reference day: members are judged on it, whatever the calendar says."""

# A person for each role (data leader, executive, data steward, analyst) in three
# communities (demo/registry/people.yaml).
PEOPLE = {
    "lena-park": ("saguaro", "data-leader"), "maria-delgado": ("saguaro", "mayor"),
    "tom-reyes": ("saguaro", "data-steward"), "nadia-benali": ("saguaro", "analyst"),
    "sofia-marquez": ("mesquite", "data-leader"), "robert-hale": ("mesquite", "city-manager"),
    "marcus-webb": ("mesquite", "data-steward"), "kevin-cho": ("mesquite", "analyst"),
    "luis-romero": ("sonoran-county", "data-leader"),
    "patricia-holmes": ("sonoran-county", "county-manager"),
    "grace-yazzie": ("sonoran-county", "data-steward"),
    "oliver-tran": ("sonoran-county", "analyst"),
}


@dataclass
class Members:
    url: str
    store: object
    settings: Settings
    tokens: dict[str, str]
    revoked: str
    base: str = field(default="")

    def person(self, name: str) -> str:
        return Minter(self.settings.base).iri("person", name).value

    def dataset(self, path: str) -> str:
        return Minter(self.settings.base).base + "datasets/" + path

    def headers(self, name: str | None) -> dict[str, str]:
        if name is None:
            return {}
        token = self.revoked if name == "revoked" else self.tokens[name]
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="package")
def members(demo_store, tmp_path_factory):
    settings = Settings(store=str(tmp_path_factory.mktemp("members") / "store"),
                        index="memory", admin_token=ADMIN_TOKEN, today=REFERENCE_DAY)
    dump = io.BytesIO()
    demo_store.dump(dump)
    dump.seek(0)
    store = open_store(settings)
    store.restore(dump)
    tokens = {name: issue_token(store, settings, Minter(settings.base).iri("person", name).value,
                                label="member tests")[0] for name in PEOPLE}
    owner = Minter(settings.base).iri("person", "sofia-marquez").value
    revoked, info = issue_token(store, settings, owner, label="revoked")
    assert revoke_token(store, settings, owner, info.id)
    with serve_app(create_app(settings, store=store)) as url:
        yield Members(url, store, settings, tokens, revoked)
    store.close()
