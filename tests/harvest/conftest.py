"""Harvest fixtures: the misbehaving loopback server, fresh stores, a quick fetch policy."""

from pathlib import Path

import pytest
from pyoxigraph import NamedNode, RdfFormat, serialize

from regiongraph.harvest import FetchPolicy, SourceConfig, harvest_source
from regiongraph.iri import Minter
from regiongraph.settings import Settings
from regiongraph.store import open_store
from tests.harvest.fixture_server import FIXTURES, running_portal

QUICK = FetchPolicy(connect_timeout=2, read_timeout=1.0, retries=2, backoff=0.01,
                    max_bytes=100 * 1024 * 1024, max_redirects=5)


@pytest.fixture(scope="session")
def portal():
    with running_portal() as server:
        yield server


@pytest.fixture
def settings(tmp_path) -> Settings:
    """The portal runs on loopback, which harvests reach only with allow-private."""
    return Settings(store=str(tmp_path / "store"), admin_token="test-admin-token",
                    harvest_allow_private=True)


@pytest.fixture
def store(settings):
    opened = open_store(settings)
    yield opened
    opened.close()


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


class Harvester:
    """Harvest a source by (id, type, location) into one store, with the quick policy."""

    def __init__(self, store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.minter = Minter(settings.base)

    def __call__(self, location: str | Path, type: str = "datajson", *, id: str = "src",
                 community: str = "testville", policy: FetchPolicy = QUICK, **options):
        remote = str(location).startswith("http")
        source = SourceConfig(id=id, community=community, type=type,
                              url=str(location) if remote else None,
                              path=None if remote else Path(location), options=options)
        return harvest_source(self.store, self.settings, source, policy=policy)

    def graph(self, id: str = "src") -> NamedNode:
        return self.minter.graph("source", id)

    def snapshot(self, id: str = "src") -> bytes:
        """The source graph as sorted N-Triples: compare two states exactly."""
        triples = sorted(str(q.triple) for q in self.store.quads(self.graph(id)))
        return "\n".join(triples).encode()

    def ntriples(self, id: str = "src") -> bytes:
        return serialize([q.triple for q in self.store.quads(self.graph(id))],
                         format=RdfFormat.N_TRIPLES)


@pytest.fixture
def harvest(store, settings) -> Harvester:
    return Harvester(store, settings)
