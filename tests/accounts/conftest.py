"""Fixtures of the accounts tests: a copy of the demo served on loopback, with accounts."""

import pytest
from regiongraph.api.app import create_app

from regiongraph.settings import Settings
from tests.sparql.conftest import TOKEN, Service, copy_of
from tests.support import serve_app


@pytest.fixture(scope="module")
def accounts_service(demo_store):
    """A copy of the demo (its own memory store) served by uvicorn on loopback."""
    settings = Settings(store="memory", admin_token=TOKEN, index="memory")
    store = copy_of(demo_store, settings)
    with serve_app(create_app(settings, store=store)) as url:
        yield Service(url, store, settings)
    store.close()
