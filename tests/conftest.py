"""Shared fixtures: the demo region loaded once, real servers, headless Chromium."""

import os
from pathlib import Path

import pytest

from regiongraph.settings import Settings
from regiongraph.store import open_store
from tests.support import SHARED, oxigraph_server, remote_settings, virtuoso_server

os.environ.setdefault("REGIONGRAPH_BASE", "https://data.sonoranvalley.example/")
CHROMIUM = "/usr/bin/chromium"


def pytest_sessionstart(session) -> None:
    """One clear line instead of dozens of missing-file failures when ../shared is absent."""
    if not SHARED.is_dir():
        pytest.exit(f"the tests need the reference files in {SHARED}: clone the repository "
                    "beside the shared/ folder", returncode=4)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """../shared beside the checkout: official schemas, shapes and real catalogs."""
    return SHARED


@pytest.fixture(scope="session")
def demo_settings() -> Settings:
    # no delivery loop: the shared demo store stays as loaded (tests deliver on purpose)
    return Settings(store="memory", admin_token="test-admin-token", notify_interval=0)


@pytest.fixture(scope="session")
def demo_store(demo_settings):
    """The bundled demo region in a memory store, loaded once per test session.

    Read-only by convention: tests that write use their own store.
    """
    from regiongraph.pipeline import load_demo

    store = open_store(demo_settings)
    load_demo(store, demo_settings)
    yield store
    store.close()


@pytest.fixture(scope="session")
def oxigraph_url():
    """A real `oxigraph serve` (memory) on loopback for the whole session."""
    with oxigraph_server() as url:
        yield url


@pytest.fixture(scope="session")
def virtuoso_url(tmp_path_factory):
    """A real Virtuoso 7 on loopback for the whole session (about 10 s to start)."""
    with virtuoso_server(tmp_path_factory.mktemp("virtuoso")) as url:
        yield url


@pytest.fixture(params=["oxigraph", "virtuoso"])
def remote_engine(request) -> dict[str, str]:
    """Each SPARQL server the remote backend is tested on: the `Settings` fields to reach it."""
    return remote_settings(request.param, request.getfixturevalue(f"{request.param}_url"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Playwright drives Debian's chromium: browser downloads are blocked here."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM,
            "args": ["--disable-background-networking", "--disable-component-update",
                     "--no-first-run", "--disable-sync"]}
