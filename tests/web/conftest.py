"""The demo region served on loopback once for the planners' API and page tests."""

import pytest
from regiongraph.api.app import create_app

from tests.support import serve_app


@pytest.fixture(scope="session")
def planning_url(demo_store, demo_settings):
    """uvicorn on 127.0.0.1 serving the session's demo store (read-only by convention)."""
    with serve_app(create_app(demo_settings, store=demo_store)) as url:
        yield url


@pytest.fixture(scope="session")
def admin_headers(demo_settings):
    return {"Authorization": f"Bearer {demo_settings.admin_token}"}


@pytest.fixture(scope="session")
def demo_region(demo_store):
    from regiongraph.analysis.region import load_region

    return load_region(demo_store)


@pytest.fixture(scope="session")
def publishable(demo_store, demo_settings):
    from regiongraph.visibility import publishable_datasets

    return publishable_datasets(demo_store, demo_settings)
