"""Fixtures for the export tests: the demo's catalog index and the service on loopback.

The demo region is loaded once per session (`demo_store`); the app runs in a real
uvicorn on a free loopback port, so paging links, gzip and conditional GET are exercised
over real HTTP, the way harvesters meet them.
"""

import pytest
from regiongraph.api.app import create_app

from regiongraph.exports.model import catalog_index
from tests.support import serve_app

SHARED_SHAPES = "standards/dcat-ap-3.0.1/split/shapes.ttl"
SHARED_RECOMMENDED = "standards/dcat-ap-3.0.1/split/shapes_recommended.ttl"
DATAJSON_SCHEMAS = "standards/dcat-us-1.1/datagov-harvester"


@pytest.fixture(scope="session")
def demo_index(demo_store, demo_settings):
    index = catalog_index(demo_store, demo_settings)
    assert index.entries, "the demo publishes no dataset: nothing to export"
    return index


@pytest.fixture(scope="session")
def served(demo_store, demo_settings):
    """Base URL (no trailing slash) of the demo service on loopback."""
    with serve_app(create_app(demo_settings, store=demo_store)) as url:
        yield url


@pytest.fixture(scope="session")
def all_datasets(demo_store):
    """Every dataset IRI in the demo store, whatever its visibility."""
    rows = demo_store.query(
        "SELECT DISTINCT ?d WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> }",
        union_default_graph=True)
    return {row["d"].value for row in rows}
