"""The spatial index of dataset coverages: which datasets cover a searched area, and how well.

    index = geo_index(store, settings)          # built on first use, then follows changes
    index.overlaps(read_geometry("POLYGON(...)"))   # {dataset IRI: overlap 0..1}
    area_for(bbox="-111,32,-110,33")            # the searched area from request parameters

A dataset's coverage is the union of what the graph says of its place: `dct:spatial` with
`dcat:bbox` or `locn:geometry` (what the harvest writes today), and GeoSPARQL's general form
`geo:hasGeometry/geo:asWKT`, on the dataset or on the place it names (a community).

It is a view of the one change path (`regiongraph.change.VIEWS`, "geo"): it keeps the
store version it caught up to and, after a change, re-reads the coverage of only the
records the journal names as changed (a harvest that wrote record by record names them),
else of the datasets typed in the changed graphs; and of those naming a place whose
geometry changed.
A shapely STRtree cannot take inserts, so changed coverages go to a small side list
searched alongside the tree, and the slots they replaced are masked; when the side list
passes a tenth of the tree, the tree is rebuilt from the geometries in memory (no store
read). So a 1% change costs a read of the changed graphs' datasets, never a scan of
every geometry, and a query never tests every geometry either.

It holds every dataset's coverage, public or not: callers filter by what the asker may
see (the search index's `public` flag, the reuse ranking's `visible` set).
"""

from __future__ import annotations

import math
import threading
import weakref
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from regiongraph import journal
from regiongraph.geo.functions import GeometryError, prepared, read_bbox, read_geometry
from regiongraph.settings import Settings
from regiongraph.store import Store

PREFIXES = """PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX locn: <http://www.w3.org/ns/locn#>
PREFIX geo: <http://www.opengis.net/ont/geosparql#>
"""
COVERAGE = """{ ?d dct:spatial/dcat:bbox ?w } UNION { ?d dct:spatial/locn:geometry ?w }
  UNION { ?d geo:hasGeometry/geo:asWKT ?w } UNION { ?d dct:spatial/geo:hasGeometry/geo:asWKT ?w }"""
"""The coverage paths, in one place: the index, the named query and the tests read them."""
COMPACT_SHARE = 0.1
"""Rebuild the tree once changed coverages pass this share of it."""


@dataclass
class Coverage:
    texts: tuple[str, ...]
    geometry: BaseGeometry


class GeoIndex:
    """Dataset IRI → coverage, searchable by area (see the module doc)."""

    def __init__(self) -> None:
        self.coverages: dict[str, Coverage] = {}
        self.graphs: dict[str, set[str]] = {}
        """Graph IRI → datasets typed there (which to re-read when the graph changes)."""
        self.version = 0
        self.complete = False
        self.skipped: dict[str, str] = {}
        """Dataset IRI → why a coverage text could not be read (kept out of the index)."""
        self._lock = threading.RLock()
        self._tree: shapely.STRtree | None = None
        self._tree_iris: list[str] = []
        self._tree_geoms = np.empty(0, dtype=object)
        self._masked: set[int] = set()
        self._slot: dict[str, int] = {}
        self._side: dict[str, BaseGeometry] = {}

    # building and following ------------------------------------------------------------

    def rebuild(self, store: Store, settings: Settings) -> int:
        """Read every dataset's coverage from the store; returns how many have one."""
        with self._lock:
            version = journal.version(store, settings)
            typed = _typed(store, None)
            self.graphs = {}
            for iri, graph in typed:
                self.graphs.setdefault(graph, set()).add(iri)
            texts = _coverage_texts(store, None)
            self.coverages, self.skipped = {}, {}
            for iri, found in texts.items():
                self._keep(iri, found)
            self._build_tree()
            self.version, self.complete = version, True
            return len(self.coverages)

    def follow(self, store: Store, settings: Settings, changed: list[str],
               subjects: list[str] | None = None) -> int:
        """Re-read the coverage of the datasets the change touched: the `subjects` the
        journal names when it names them (a harvest that wrote record by record), else
        every dataset typed in the changed graphs; and those naming a place whose geometry
        changed. Returns how many coverages were added, replaced or removed."""
        with self._lock:
            if subjects is None:
                held = set().union(*(self.graphs.pop(g, set()) for g in changed)) \
                    if changed else set()
                typed = _typed(store, changed) if changed else []
            else:
                held = set(subjects)
                for graph in changed:
                    self.graphs.get(graph, set()).difference_update(held)
                typed = _typed_subjects(store, subjects, changed)
            for iri, graph in typed:
                self.graphs.setdefault(graph, set()).add(iri)
            affected = sorted(held | {iri for iri, _ in typed} | _placed(store, changed))
            texts = _coverage_texts(store, affected) if affected else {}
            moved = 0
            for iri in affected:
                found = texts.get(iri, ())
                before = self.coverages.get(iri)
                if before is not None and before.texts == found:
                    continue
                moved += 1
                self.coverages.pop(iri, None)
                self.skipped.pop(iri, None)
                self._mask(iri)
                if found and self._keep(iri, found):
                    self._side[iri] = self.coverages[iri].geometry
            if len(self._side) + len(self._masked) > COMPACT_SHARE * max(1, len(self._slot)):
                self._build_tree()
            return moved

    def _keep(self, iri: str, texts: tuple[str, ...]) -> bool:
        shapes = []
        for text in texts:
            try:
                shapes.append(read_geometry(text))
            except GeometryError as error:
                self.skipped[iri] = str(error)
        if not shapes:
            return False
        geometry = shapes[0] if len(shapes) == 1 else shapely.union_all(shapes)
        self.coverages[iri] = Coverage(texts=texts, geometry=geometry)
        return True

    def _mask(self, iri: str) -> None:
        self._side.pop(iri, None)
        slot = self._slot.get(iri)
        if slot is not None:
            self._masked.add(slot)

    def _build_tree(self) -> None:
        self._tree_iris = sorted(self.coverages)
        self._tree_geoms = np.array([self.coverages[i].geometry for i in self._tree_iris],
                                    dtype=object)
        self._tree = shapely.STRtree(self._tree_geoms)
        self._slot = {iri: n for n, iri in enumerate(self._tree_iris)}
        self._masked, self._side = set(), {}

    # asking ---------------------------------------------------------------------------

    def overlaps(self, area: BaseGeometry) -> dict[str, float]:
        """Dataset IRI → overlap (`functions.overlap`) for every coverage meeting `area`."""
        with self._lock:
            tree, geoms, iris = self._tree, self._tree_geoms, self._tree_iris
            masked, side = set(self._masked), dict(self._side)
        found: dict[str, float] = {}
        if tree is not None and len(geoms):
            slots = tree.query(area, predicate="intersects")
            slots = np.array([s for s in slots if s not in masked], dtype=int) if masked \
                else slots
            _scores(found, [iris[s] for s in slots], geoms[slots], area)
        if side:
            names = list(side)
            shapes = np.array([side[n] for n in names], dtype=object)
            hit = shapely.intersects(shapes, area)
            _scores(found, [n for n, h in zip(names, hit, strict=True) if h], shapes[hit], area)
        return found

    def coverage(self, iri: str) -> BaseGeometry | None:
        found = self.coverages.get(iri)
        return found.geometry if found else None

    def __len__(self) -> int:
        return len(self.coverages)


def _scores(found: dict[str, float], iris: list[str], shapes, area: BaseGeometry) -> None:
    """The overlap of each shape with `area`, vectorised (the same formula as
    `functions.overlap`, which says why)."""
    if not iris:
        return
    own = shapely.area(shapes)
    shared = np.zeros(len(iris))
    todo = np.ones(len(iris), dtype=bool)
    west, south, east, north = area.bounds
    if math.isclose(area.area, (east - west) * (north - south), rel_tol=1e-9):
        # A box searched (bbox=): boxes share the overlap of their sides, no geometry needed
        box = shapely.bounds(shapes)
        sides = (box[:, 2] - box[:, 0]) * (box[:, 3] - box[:, 1])
        todo = ~np.isclose(own, sides, rtol=1e-9, atol=0)
        width = np.clip(np.minimum(box[:, 2], east) - np.maximum(box[:, 0], west), 0, None)
        height = np.clip(np.minimum(box[:, 3], north) - np.maximum(box[:, 1], south), 0, None)
        shared[~todo] = (width * height)[~todo]
    if todo.any():
        # Coverages wholly inside the area share all of themselves: only those crossing its
        # edge need an intersection (the costly part with a detailed area).
        prepared(area)
        inside = todo & shapely.contains_properly(area, shapes)
        shared[inside] = own[inside]
        crossing = todo & ~inside
        if crossing.any():
            shared[crossing] = shapely.area(shapely.intersection(shapes[crossing], area))
    in_area = shared / area.area if area.area > 0 else np.ones(len(iris))
    with np.errstate(divide="ignore", invalid="ignore"):
        in_coverage = np.where(own > 0, shared / np.where(own > 0, own, 1), 1.0)
    for iri, score in zip(iris, np.round((in_area + in_coverage) / 2, 6), strict=True):
        found[iri] = float(score)


def _values(iris: list[str]) -> str:
    return " ".join(f"<{i}>" for i in iris)


def _typed(store: Store, graphs: list[str] | None) -> list[tuple[str, str]]:
    """(dataset, graph) for datasets typed in `graphs` (all graphs when None)."""
    values = f"VALUES ?g {{ {_values(graphs)} }}" if graphs is not None else ""
    rows = store.query(PREFIXES + f"SELECT ?d ?g WHERE {{ {values} "
                       "GRAPH ?g { ?d a dcat:Dataset } }")
    return [(row["d"].value, row["g"].value) for row in rows
            if getattr(row["d"], "value", None) and not str(row["d"]).startswith("_:")]


def _typed_subjects(store: Store, subjects: list[str], graphs: list[str]
                    ) -> list[tuple[str, str]]:
    """(dataset, graph) for those of `subjects` typed as datasets in one of `graphs`."""
    found = []
    for start in range(0, len(subjects), 2000):
        batch = subjects[start:start + 2000]
        rows = store.query(PREFIXES + f"SELECT ?d ?g WHERE {{ VALUES ?d {{ {_values(batch)} }} "
                           f"VALUES ?g {{ {_values(graphs)} }} GRAPH ?g {{ ?d a dcat:Dataset }} }}")
        found += [(row["d"].value, row["g"].value) for row in rows]
    return found


def _placed(store: Store, graphs: list[str]) -> set[str]:
    """Datasets naming a place (a community) whose geometry is in one of `graphs`."""
    if not graphs:
        return set()
    rows = store.query(PREFIXES + f"SELECT DISTINCT ?d WHERE {{ VALUES ?g {{ {_values(graphs)} }} "
                       "GRAPH ?g { ?place geo:hasGeometry ?x } ?d dct:spatial ?place }",
                       union_default_graph=True)
    return {row["d"].value for row in rows}


def _coverage_texts(store: Store, iris: list[str] | None) -> dict[str, tuple[str, ...]]:
    """Dataset IRI → its coverage texts, sorted (all datasets when `iris` is None)."""
    found: dict[str, set[str]] = {}
    batches = [None] if iris is None else [iris[n:n + 2000] for n in range(0, len(iris), 2000)]
    for batch in batches:
        values = f"VALUES ?d {{ {_values(batch)} }}" if batch is not None else ""
        rows = store.query(PREFIXES + f"SELECT ?d ?w WHERE {{ {values} ?d a dcat:Dataset . "
                           f"{COVERAGE} }}", union_default_graph=True)
        for row in rows:
            found.setdefault(row["d"].value, set()).add(row["w"].value)
    return {iri: tuple(sorted(texts)) for iri, texts in found.items()}


# --- the view of the change path ----------------------------------------------------------

_INDEXES: weakref.WeakKeyDictionary[Store, GeoIndex] = weakref.WeakKeyDictionary()
_GUARD = threading.Lock()


def open_geo_index(store: Store) -> GeoIndex:
    """The process's one index for this store (not built)."""
    with _GUARD:
        found = _INDEXES.get(store)
        if found is None:
            found = _INDEXES[store] = GeoIndex()
        return found


def geo_index(store: Store, settings: Settings) -> GeoIndex:
    """The index, built on first use and brought up to the store version."""
    index = open_geo_index(store)
    if not index.complete:
        with index._lock:
            if not index.complete:
                index.rebuild(store, settings)
    elif index.version != journal.version(store, settings):
        from regiongraph.change import READ_WAIT, changing_elsewhere, refresh

        if not changing_elsewhere(store):  # else that change's request brings it up
            refresh(store, settings, views=["geo"], wait=READ_WAIT)
    return index


def follow(store: Store, settings: Settings, changed) -> None:
    """The view's follow step (`regiongraph.change.VIEWS`)."""
    index = open_geo_index(store)
    if not index.complete:  # never built: the first search builds it whole
        return
    graphs = [str(getattr(g, "value", g)) for g in changed]
    index.follow(store, settings, graphs, subjects=changed_subjects(store, settings,
                                                                    index.version))


def changed_subjects(store: Store, settings: Settings, seen: int) -> list[str] | None:
    """The subjects the journal names for every change since `seen`, or None when one of
    them names none (then whole graphs are re-read)."""
    entries = journal.since(store, settings, seen)
    if not entries or any(not entry.subjects for entry in entries):
        return None
    return sorted({s for entry in entries for s in entry.subjects})


def seen_version(store: Store, settings: Settings) -> int:
    index = open_geo_index(store)
    return index.version if index.complete else journal.version(store, settings)


def mark_version(store: Store, settings: Settings, version: int) -> None:
    index = open_geo_index(store)
    if index.complete:
        index.version = version


def area_for(*, bbox: str | None = None, intersects: str | None = None
             ) -> BaseGeometry | None:
    """The searched area from request parameters (`bbox=W,S,E,N`, `intersects=<WKT or
    GeoJSON>`; both given: where they meet), or None when neither is. Raises GeometryError
    naming the parameter at fault."""
    shapes = []
    if bbox is not None and bbox.strip():
        try:
            shapes.append(read_bbox(bbox))
        except GeometryError as error:
            raise GeometryError(f"bbox: {error}") from None
    if intersects is not None and intersects.strip():
        try:
            shapes.append(read_geometry(intersects))
        except GeometryError as error:
            raise GeometryError(f"intersects: {error}") from None
    if not shapes:
        return None
    return shapes[0] if len(shapes) == 1 else shapely.intersection(shapes[0], shapes[1])


def search_area(store: Store, settings: Settings, *, bbox: str | None = None,
                intersects: str | None = None) -> dict[str, float] | None:
    """Dataset IRI → overlap for the area the parameters give, None when they give none:
    what `SearchIndex.search(area=...)` takes. The API, the CLI and CKAN's `ext_bbox` call
    this one function."""
    area = area_for(bbox=bbox, intersects=intersects)
    if area is None:
        return None
    return geo_index(store, settings).overlaps(area)


__all__ = ["COVERAGE", "Coverage", "GeoIndex", "area_for", "follow", "geo_index",
           "mark_version", "open_geo_index", "search_area", "seen_version"]
