"""Fixtures of the SPARQL service tests: real uvicorn servers on loopback.

`demo_service` serves the session's demo store read-only (anonymous users get the public
view). Tests that write get `scratch_service`: a copy of the demo in its own memory store
(dump and restore, so no second demo load), served by its own app.
"""

import io
from dataclasses import dataclass

import pytest
from regiongraph.api.app import create_app

from regiongraph.settings import Settings
from regiongraph.store import open_store
from tests.support import serve_app

TOKEN = "test-admin-token"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


@dataclass
class Service:
    url: str
    store: object
    settings: Settings

    @property
    def sparql(self) -> str:
        return self.url + "/sparql"


@pytest.fixture(scope="session")
def demo_service(demo_store, demo_settings):
    assert demo_settings.admin_token == TOKEN
    with serve_app(create_app(demo_settings, store=demo_store)) as url:
        yield Service(url, demo_store, demo_settings)


def copy_of(store, settings: Settings):
    dump = io.BytesIO()
    store.dump(dump)
    dump.seek(0)
    copy = open_store(settings)
    copy.restore(dump)
    return copy


@pytest.fixture(scope="module")
def scratch_service(demo_store):
    settings = Settings(store="memory", admin_token=TOKEN)
    store = copy_of(demo_store, settings)
    with serve_app(create_app(settings, store=store)) as url:
        yield Service(url, store, settings)
    store.close()
