"""The one path data takes into the store, and what runs after every change.

sources → loaders → quads per named graph → store → after-change hooks (inferences,
validation, search index). `regiongraph load` (and `demo`, the same on the bundled demo),
`harvest` and the API all come through here, so a feature that must follow every change
registers one hook below.

A graph is rewritten only when its content fingerprint changed, so loading the demo a
second time writes nothing (the fingerprints live in the meta graph).
"""

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Triple, parse

from regiongraph.errors import RegiongraphError
from regiongraph.iri import META_GRAPH, ONTOLOGY_GRAPH, REGISTRY_GRAPH, Minter
from regiongraph.namespaces import RG
from regiongraph.paths import data_path
from regiongraph.settings import Settings
from regiongraph.store import Store, record_base

if TYPE_CHECKING:
    from regiongraph.harvest import SourceConfig

# "module:function" names; each is called as fn(store, settings, changed_graphs).
AFTER_CHANGE_HOOKS: list[str] = []
# Inferences, then validation of what changed (regiongraph/rules); first, because the
# hooks below read the inference graph.
AFTER_CHANGE_HOOKS.insert(0, "regiongraph.rules.hooks:after_change")
# The search index follows every change record by record (regiongraph/search); it runs
# last so it sees what earlier hooks (inferences) wrote.
AFTER_CHANGE_HOOKS.append("regiongraph.search:after_change")
# The anonymous SPARQL view (a copy of the public quads) is rebuilt after any change.
AFTER_CHANGE_HOOKS.append("regiongraph.sparql.public:invalidate")
# The catalog exports stamp when the store changed (ETag / Last-Modified, index cache).
AFTER_CHANGE_HOOKS.append("regiongraph.exports.model:after_change")


@dataclass
class LoadSummary:
    written: dict[str, int] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)
    reports: list[object] = field(default_factory=list)

    @property
    def changed_graphs(self) -> list[NamedNode]:
        return [NamedNode(g) for g in self.written]


def fingerprint(paths: Iterable[Path], *extra: str) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    for item in extra:
        digest.update(item.encode())
    return digest.hexdigest()


def stored_fingerprint(store: Store, minter: Minter, graph: NamedNode) -> str | None:
    rows = store.query(
        f"SELECT ?h WHERE {{ GRAPH <{minter.graph(META_GRAPH).value}> "
        f"{{ <{graph.value}> <{RG.contentHash.value}> ?h }} }}"
    )
    for row in rows:
        return row["h"].value
    return None


def record_fingerprint(store: Store, minter: Minter, graph: NamedNode, digest: str) -> None:
    meta = minter.graph(META_GRAPH)
    store.update(
        f"DELETE WHERE {{ GRAPH <{meta.value}> {{ <{graph.value}> <{RG.contentHash.value}> ?h }} }}"
    )
    store.add([Quad(graph, RG.contentHash, Literal(digest), meta)])


def replace_if_changed(
    store: Store, minter: Minter, graph: NamedNode, digest: str,
    produce: Callable[[], Iterable[Triple | Quad]], summary: LoadSummary,
) -> None:
    """Rewrite `graph` from `produce()` unless its fingerprint is already `digest`."""
    if stored_fingerprint(store, minter, graph) == digest and store.count(graph) > 0:
        summary.unchanged.append(graph.value)
        return
    summary.written[graph.value] = store.replace_graph(graph, produce())
    record_fingerprint(store, minter, graph, digest)


def ontology_files() -> list[Path]:
    return sorted(data_path("ontology").glob("*.ttl"))


def load_ontology(store: Store, minter: Minter, summary: LoadSummary) -> None:
    files = ontology_files()

    def triples():
        for path in files:
            with path.open("rb") as stream:
                yield from parse(stream, RdfFormat.TURTLE, base_iri=path.as_uri())

    graph = minter.graph(ONTOLOGY_GRAPH)
    replace_if_changed(store, minter, graph, fingerprint(files), triples, summary)


def load_registry(store: Store, settings: Settings, folder: Path, summary: LoadSummary) -> None:
    """Read and check the whole registry before the store is touched."""
    from regiongraph.registry import read_registry

    minter = Minter(settings.base)
    files = sorted(folder.glob("*.y*ml")) + sorted(folder.glob("*.ttl"))
    # The registry names catalog records (and expands globs like "saguaro/*" against
    # them), so a catalog change changes the registry graph too.
    catalogs = folder.parent / "catalogs"
    if catalogs.is_dir():
        files += sorted(p for p in catalogs.rglob("*") if p.is_file())
    digest = fingerprint(files, settings.base)
    graph = minter.graph(REGISTRY_GRAPH)
    if stored_fingerprint(store, minter, graph) == digest and store.count(graph) > 0:
        summary.unchanged.append(graph.value)
        return
    triples = read_registry(folder, minter)
    summary.written[graph.value] = store.replace_graph(graph, triples)
    record_fingerprint(store, minter, graph, digest)


def run_after_change(store: Store, settings: Settings, changed: list[NamedNode]) -> None:
    record_base(store, settings)
    if not changed:
        return
    for name in AFTER_CHANGE_HOOKS:
        module_name, function_name = name.split(":")
        getattr(import_module(module_name), function_name)(store, settings, changed)


def restore_dump(store: Store, settings: Settings, source: BinaryIO) -> int:
    """Replace the whole store with an N-Quads dump (atomic), then rebuild the search index.

    The dump carries every graph the hooks write (inferences, reports, meta), but the
    search index lives outside the store and would still answer for the old data.
    """
    from regiongraph.search import open_index, rebuild

    index = open_index(store, settings)
    was_complete = index.complete
    index.remember(complete=False)  # killed from here on: the next search rebuilds it
    try:
        restored = store.restore(source)
    except BaseException:
        index.remember(complete=was_complete)  # the store did not change
        raise
    rebuild(store, settings, index=index)
    return restored


class RegionDirectoryError(RegiongraphError):
    """The directory given to `load` is not a region directory; nothing was loaded."""


def load_region_dir(store: Store, settings: Settings, folder: Path, *,
                    progress: Callable[[str], None] | None = None) -> LoadSummary:
    """Load a region directory: the ontology, `registry/`, then every source of
    `sources.yaml`, then the after-change hooks once for all that changed.

    The bundled demo and a `regiongraph generate` output have this layout; either part
    may be missing, not both. The sources file is checked before anything is written and
    the registry before its graph is replaced: a mistake in either keeps the old region.
    """
    folder = Path(folder)
    registry, sources = folder / "registry", folder / "sources.yaml"
    if not folder.is_dir():
        raise RegionDirectoryError(f"{folder}: no such directory")
    if not registry.is_dir() and not sources.is_file():
        raise RegionDirectoryError(f"{folder}: not a region directory (it has neither "
                                   "registry/ nor sources.yaml); nothing was loaded")
    from regiongraph.harvest import read_sources

    say = progress or (lambda _message: None)
    minter = Minter(settings.base)
    summary = LoadSummary()
    configs = read_sources(sources) if sources.is_file() else []
    say("ontology")
    load_ontology(store, minter, summary)
    if registry.is_dir():
        say("registry")
        load_registry(store, settings, registry, summary)
    harvest_region_sources(store, settings, configs, summary, say)
    run_after_change(store, settings, summary.changed_graphs)
    return summary


def load_demo(store: Store, settings: Settings, *, progress: Callable[[str], None] | None = None) -> LoadSummary:
    """Load the bundled demo region (`load_region_dir` on the demo folder)."""
    return load_region_dir(store, settings, data_path("demo"), progress=progress)


def harvest_region_sources(
    store: Store, settings: Settings, sources: "list[SourceConfig]", summary: LoadSummary,
    say: Callable[[str], None],
) -> None:
    from regiongraph.harvest import harvest_sources

    # Unchanged sources log no report: loading a region twice must change nothing.
    for report in harvest_sources(store, settings, sources, progress=say, log_unchanged=False):
        summary.reports.append(report)
        for graph, n in report.written_graphs.items():
            summary.written[graph] = n
        if not report.written_graphs and report.status != "failed":
            summary.unchanged.append(store_graph_name(settings, report.source))


def store_graph_name(settings: Settings, source_id: str) -> str:
    """The named graph a harvested source lives in."""
    return Minter(settings.base).graph("source", source_id).value
