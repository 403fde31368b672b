"""A disk store holding the demo region, restored from the session's demo store."""

import io
import shutil
from pathlib import Path

import pytest

from regiongraph.settings import Settings
from regiongraph.store import open_store


@pytest.fixture(scope="module")
def demo_disk(tmp_path_factory, demo_store) -> Path:
    """The demo on disk, as `regiongraph demo` leaves it (its base recorded); copy to write."""
    dump = io.BytesIO()
    demo_store.dump(dump)
    dump.seek(0)
    location = tmp_path_factory.mktemp("demo-disk") / "store"
    store = open_store(Settings(store=str(location)))
    store.restore(dump)
    store.close()
    return location


@pytest.fixture
def demo_copy(demo_disk, tmp_path) -> Path:
    location = tmp_path / "store"
    shutil.copytree(demo_disk, location)
    return location
