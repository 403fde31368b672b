"""The reliability suite (`make soak`): every test here is marked `soak`, so `make test`
(`-m "not soak"`) leaves it out."""

from pathlib import Path

import pytest


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.soak)
