"""Loading the region: the ontology, the registry, the harvest sources.

sources → loaders → quads per named graph → store, and every load is a write through
the one change path (`regiongraph.change.apply_change`), which journals it and brings
the derived views (inferences, validation, search, caches) up to date. `regiongraph
load` (and `demo`, the same on the bundled demo), `harvest`, `restore` and the API all
come through here; `harvest/` knows loaders and the store only, and this module
orchestrates it.

A graph is rewritten only when its content fingerprint changed, so loading the demo a
second time writes nothing (the fingerprints live in the meta graph).
"""

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Triple, parse

from regiongraph.change import Applied, apply_change
from regiongraph.errors import RegiongraphError
from regiongraph.iri import META_GRAPH, ONTOLOGY_GRAPH, REGISTRY_GRAPH, Minter
from regiongraph.namespaces import RG
from regiongraph.paths import data_path
from regiongraph.settings import Settings
from regiongraph.store import Store

if TYPE_CHECKING:
    from regiongraph.harvest import SourceConfig

@dataclass
class LoadSummary:
    written: dict[str, int] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)
    reports: list[object] = field(default_factory=list)
    applied: Applied | None = None

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


def restore_dump(store: Store, settings: Settings, source: BinaryIO) -> int:
    """Replace the whole store with an N-Quads dump (atomic), through the one change path.

    The dump brings its own journal, perhaps older than this store's: the restore is
    journalled above both, so every view sees it as new and follows every graph (the
    search index, which lives outside the store, re-reads every record; the rules view
    re-checks only what its fingerprints say changed).
    """
    from regiongraph import journal

    before = journal.version(store, settings)
    restored = 0

    def write() -> list[str]:
        nonlocal restored
        vanishing = set(store.graphs())
        restored = store.restore(source)
        return sorted(g for g in vanishing | set(store.graphs()) if g)

    apply_change(store, settings, "restore", write, at_least=before)
    return restored


def harvest(store: Store, settings: Settings, run: Callable[[], Iterable[object]], *,
            road: str = "harvest") -> list:
    """Harvest through the one change path: `run()` yields the harvest reports.

    The harvested data is stored when the views follow, so a view that fails does not
    turn a good harvest into an error: the reports carry it as a warning.
    """
    from regiongraph.harvest.report import HARVEST_LOG_GRAPH, RecordError

    reports: list = []
    subjects: list[str] = []

    def write() -> list[str]:
        reports.extend(run())
        written = [r for r in reports if r.written_graphs]
        # Journal the records changed only when every graph was written record by record:
        # a view then follows those alone (a whole-graph write names no subjects).
        if written and all(r.changed_subjects is not None for r in written):
            subjects.extend(s for r in written for s in r.changed_subjects)
        graphs = [g for report in reports for g in report.written_graphs]
        if any(report.report_iri for report in reports):  # a failure is news too
            graphs.append(Minter(settings.base).graph(HARVEST_LOG_GRAPH).value)
        return graphs

    applied = apply_change(store, settings, road, write, subjects=subjects)
    for view, why in applied.failures.items():
        for report in reports:
            if report.written_graphs:
                report.add_error(RecordError(
                    message=f"stored, but the {view} view did not follow: {why}; "
                            "it follows on the next change or `regiongraph refresh`",
                    severity="warning"))
    return reports


class RegionDirectoryError(RegiongraphError):
    """The directory given to `load` is not a region directory; nothing was loaded."""


def load_region_dir(store: Store, settings: Settings, folder: Path, *,
                    progress: Callable[[str], None] | None = None) -> LoadSummary:
    """Load a region directory: the ontology, `registry/`, then every source of
    `sources.yaml`, as one change (the views follow once, for all that changed).

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

    def write() -> list[str]:
        say("ontology")
        load_ontology(store, minter, summary)
        if registry.is_dir():
            say("registry")
            load_registry(store, settings, registry, summary)
        harvest_region_sources(store, settings, configs, summary, say)
        return list(summary.written)

    summary.applied = apply_change(store, settings, "load", write)
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
    for report in harvest_sources(store, settings, sources, progress=say, log_unchanged=False,
                                  together=True):
        summary.reports.append(report)
        for graph, n in report.written_graphs.items():
            summary.written[graph] = n
        if not report.written_graphs and report.status != "failed":
            summary.unchanged.append(store_graph_name(settings, report.source))


def store_graph_name(settings: Settings, source_id: str) -> str:
    """The named graph a harvested source lives in."""
    return Minter(settings.base).graph("source", source_id).value
