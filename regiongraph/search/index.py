"""The tantivy index: writing records, and answering searches with facet counts.

One `SearchIndex` per index location per process (tantivy admits one writer per
directory); writes hold a lock and open the writer only for the duration of an update,
so another process can take its turn afterwards. Reads use a searcher snapshot and never
block on writes.
"""

import json
import shutil
import threading
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import tantivy

from regiongraph.errors import RegiongraphError
from regiongraph.search.query import (
    MAX_OFFSET,
    ParsedQuery,
    SearchInputError,
    parse_query,
    sort_spec,
    year_range,
)
from regiongraph.search.records import SearchRecord
from regiongraph.search.schema import (
    FACETS,
    PRIVATE_FACETS,
    SCHEMA_VERSION,
    build_schema,
    plain_analyzer,
    register_analyzers,
    stem_analyzer,
)

MARKER = "regiongraph-search.json"
"""Written into an index directory: the schema version, and proof the directory is ours
(a rebuild only ever deletes a directory that carries it, or an empty one)."""
LABELS = "labels.json"

# Field weights: a word in the title outranks the same word in the keywords or concept
# labels, which outrank the description. Typos and prefixes score below exact words.
BOOST = {"title": 6.0, "tags": 2.5, "text": 1.0}
FUZZY_BOOST = {"title_plain": 1.5, "tags_plain": 0.8, "text_plain": 0.4}
PREFIX_BOOST = {"title_plain": 3.0, "tags_plain": 1.5, "text_plain": 0.7}
MIN_FUZZY_LENGTH = 4
"""Words shorter than this get no typo tolerance: one edit from "bus" is "bug", "gus"..."""
FACET_SIZE = 20


class SearchIndexError(RegiongraphError):
    """The index cannot be opened or written (busy, or its directory is not an index)."""


@dataclass
class FacetValue:
    key: str
    label: str
    count: int


@dataclass
class SearchResult:
    count: int
    start: int
    rows: int
    hits: list[dict]
    facets: dict[str, list[FacetValue]]
    notes: list[str] = field(default_factory=list)
    filters: dict[str, list[str]] = field(default_factory=dict)


class SearchIndex:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.schema = build_schema()
        self._stem = stem_analyzer()
        self._plain = plain_analyzer()
        self._lock = threading.RLock()
        self.labels: dict[str, dict[str, str]] = {}
        self.visible_on: str | None = None
        self.stamps: dict[str, str | None] = {}
        self.complete = False
        """True once a full build finished: only then do updates keep it in step (before,
        the first search builds it whole)."""
        self.version = 0
        """The store version (`regiongraph.journal`) the index has caught up to."""
        self.index = self._open()

    # opening -----------------------------------------------------------------

    def _open(self) -> tantivy.Index:
        if self.path is None:
            index = tantivy.Index(self.schema)
            register_analyzers(index)
            return index
        marker = self.path / MARKER
        current = False
        if marker.is_file():
            try:
                current = json.loads(marker.read_text()).get("schema") == SCHEMA_VERSION
            except (OSError, ValueError):
                current = False
        if self.path.exists() and not current:
            if any(self.path.iterdir()) and not marker.is_file():
                raise SearchIndexError(
                    f"{self.path} is not empty and is not a regiongraph search index; "
                    "point REGIONGRAPH_INDEX at another directory")
            shutil.rmtree(self.path)  # an older schema: rebuilt from the store
        self.path.mkdir(parents=True, exist_ok=True)
        try:
            index = tantivy.Index(self.schema, path=str(self.path), reuse=True)
        except ValueError as error:
            raise SearchIndexError(f"cannot open the search index at {self.path}: {error}") \
                from None
        register_analyzers(index)
        marker.write_text(json.dumps({"schema": SCHEMA_VERSION}))
        state = self.path / LABELS
        if state.is_file():
            try:
                saved = json.loads(state.read_text())
                self.labels, self.visible_on = saved["labels"], saved.get("visible_on")
                self.stamps = saved.get("stamps", {})
                # (state written before the flag existed belongs to an index built whole)
                self.complete = bool(saved.get("complete", True))
                self.version = int(saved.get("version", 0))
            except (OSError, ValueError, KeyError, TypeError):
                self.labels, self.visible_on, self.stamps = {}, None, {}
                self.complete = False
        return index

    def _save_state(self) -> None:
        if self.path is None:
            return
        tmp = self.path / (LABELS + ".tmp")
        tmp.write_text(json.dumps({"labels": self.labels, "visible_on": self.visible_on,
                                   "stamps": self.stamps, "complete": self.complete,
                                   "version": self.version},
                                  ensure_ascii=False))
        tmp.replace(self.path / LABELS)

    def remember(self, *, visible_on: str | None = None,
                 stamps: dict[str, str | None] | None = None, clear: bool = False,
                 complete: bool | None = None, version: int | None = None) -> None:
        """Keep the day the `public` flags were computed for (approvals expire), the
        harvest stamps of the graphs indexed (see `RecordReader.harvest_stamps`) and the
        store version the index follows."""
        with self._lock:
            if version is not None:
                self.version = version
            if visible_on is not None:
                self.visible_on = visible_on
            if complete is not None:
                self.complete = complete
            if clear:
                self.stamps = {}
            self.stamps.update(stamps or {})
            self._save_state()

    @property
    def num_docs(self) -> int:
        return self.index.searcher().num_docs

    # writing -----------------------------------------------------------------

    def write(self, upserts: Iterable[SearchRecord], deletes: Iterable[str] = (), *,
              clear: bool = False) -> tuple[int, int]:
        """Replace records by IRI and delete others, in one commit; returns (written, deleted).

        A failure before the commit leaves the index as it was (tantivy's commit is atomic).
        """
        with self._lock:
            try:
                writer = self.index.writer(heap_size=64_000_000, num_threads=1)
            except ValueError as error:
                raise SearchIndexError(
                    f"the search index at {self.path} is being written by another process "
                    f"({error}); try again when it is done") from None
            written = deleted = 0
            try:
                if clear:
                    writer.delete_all_documents()
                    self.labels, self.stamps, self.complete = {}, {}, False
                for iri in deletes:
                    writer.delete_documents_by_term("id", iri)
                    deleted += 1
                for record in upserts:
                    if not clear:
                        writer.delete_documents_by_term("id", record.iri)
                    writer.add_document(self._document(record))
                    self._remember_labels(record)
                    written += 1
                writer.commit()
            except BaseException:
                writer.rollback()
                raise
            finally:
                writer.wait_merging_threads()
            self.index.reload()
            self._save_state()
            return written, deleted

    def _document(self, record: SearchRecord) -> tantivy.Document:
        doc = tantivy.Document()
        doc.add_text("id", record.iri)
        doc.add_text("uuid", record.uuid)
        doc.add_text("name", record.name)
        for graph in record.graphs:
            doc.add_text("graph", graph)
        for resource in record.resources:  # CKAN's resource_show finds its dataset by these
            doc.add_text("resource", resource.iri)
            doc.add_text("resource", resource.uuid)
        tags = [*record.keywords, *record.concept_labels]
        text = [record.description, record.identifier or "",
                *(r.label for r in record.communities),
                record.publisher.label if record.publisher else "",
                *record.formats, *(r.label for r in record.standards),
                *(r.label for r in record.projects), *record.extra_text,
                *(res.title or "" for res in record.resources)]
        for name, values in (("title", [record.title]), ("tags", tags), ("text", text)):
            for value in values:
                if value:
                    doc.add_text(name, value)
                    doc.add_text(f"{name}_plain", value)
        doc.add_text("title_sort", record.title.lower()[:200])
        doc.add_text("kind", record.kind)
        for ref in record.communities:
            doc.add_text("community", ref.key)
        if record.publisher:
            doc.add_text("publisher", record.publisher.key)
        for ref in record.themes:
            doc.add_text("theme", ref.key)
        for keyword in record.keywords:
            doc.add_text("keyword", keyword.lower()[:300])
        for fmt in record.formats:
            doc.add_text("format", fmt)
        for ref in record.standards:
            doc.add_text("standard", ref.key)
        for ref in record.projects:
            doc.add_text("project", ref.key)
        if record.access:
            doc.add_text("access", record.access)
        modified = record.modified_datetime()
        if modified is not None:
            doc.add_text("modified", str(modified.year))
            doc.add_date("modified_at", modified)
        doc.add_boolean("public", record.public)
        payload, digest = record.encoded()
        doc.add_unsigned("digest", digest)
        doc.add_bytes("payload", payload)
        doc.add_bytes("hashes", json.dumps(record.source_hashes).encode())
        return doc

    def _remember_labels(self, record: SearchRecord) -> None:
        def keep(facet: str, key: str, label: str) -> None:
            self.labels.setdefault(facet, {})[key] = label

        for ref in record.communities:
            keep("community", ref.key, ref.label)
        if record.publisher:
            keep("publisher", record.publisher.key, record.publisher.label)
        for facet, refs in (("theme", record.themes), ("standard", record.standards),
                            ("project", record.projects)):
            for ref in refs:
                keep(facet, ref.key, ref.label)

    # reading -----------------------------------------------------------------

    def stored_state(self, iris: list[str]) -> dict[str, tuple[int, dict[str, str]]]:
        """IRI → (digest, harvest record hashes) for those of `iris` that are indexed."""
        found: dict[str, tuple[int, dict[str, str]]] = {}
        searcher = self.index.searcher()
        for start in range(0, len(iris), 1000):
            batch = iris[start:start + 1000]
            query = tantivy.Query.term_set_query(self.schema, "id", batch)
            for _score, address in searcher.search(query, len(batch), count=False).hits:
                doc = searcher.doc(address)
                hashes = doc.get_first("hashes")
                found[doc.get_first("id")] = (doc.get_first("digest"),
                                              json.loads(hashes) if hashes else {})
        return found

    def ids_in_graphs(self, graphs: list[str], *, excluding: set[str]) -> set[str]:
        """Indexed IRIs that came from one of `graphs` and are not in `excluding`."""
        if not graphs:
            return set()
        searcher = self.index.searcher()
        query = tantivy.Query.boolean_query([
            (tantivy.Occur.Must, tantivy.Query.term_set_query(self.schema, "graph", graphs)),
            *([(tantivy.Occur.MustNot,
                tantivy.Query.term_set_query(self.schema, "id", sorted(excluding)))]
              if excluding else []),
        ])
        total = searcher.search(query, 1, count=True).count
        if not total:
            return set()
        hits = searcher.search(query, total, count=False).hits
        return {searcher.doc(address).get_first("id") for _score, address in hits}

    def all_ids(self, *, public_only: bool = False) -> set[str]:
        searcher = self.index.searcher()
        total = searcher.num_docs
        if not total:
            return set()
        query = tantivy.Query.all_query()
        if public_only:
            query = self._public_only(query)
        hits = searcher.search(query, total, count=False).hits
        return {searcher.doc(address).get_first("id") for _score, address in hits}

    def kinds(self, iris: list[str]) -> dict[str, str]:
        """IRI → record kind, for those of `iris` that are indexed."""
        found: dict[str, str] = {}
        searcher = self.index.searcher()
        for start in range(0, len(iris), 1000):
            batch = iris[start:start + 1000]
            query = tantivy.Query.term_set_query(self.schema, "id", batch)
            for _score, address in searcher.search(query, len(batch), count=False).hits:
                payload = json.loads(searcher.doc(address).get_first("payload"))
                found[payload["iri"]] = payload["kind"]
        return found

    def get(self, key: str, *, include_private: bool = False,
            fields: tuple[str, ...] = ("id", "uuid", "name"),
            also: Collection[str] | None = None) -> dict | None:
        """A record's payload by IRI, CKAN UUID or CKAN name (None if absent or hidden);
        with `fields=("resource",)`, the dataset holding a distribution (IRI or UUID)."""
        searcher = self.index.searcher()
        for field_name in fields:
            query = tantivy.Query.term_query(self.schema, field_name, key)
            if not include_private:
                query = self._public_only(query, also or ())
            hits = searcher.search(query, 1, count=False).hits
            if hits:
                return json.loads(searcher.doc(hits[0][1]).get_first("payload"))
        return None

    def search(
        self,
        q: str | ParsedQuery | None = None,
        *,
        filters: dict[str, list[str]] | None = None,
        include_private: bool = False,
        start: int = 0,
        rows: int = 20,
        sort: str | None = None,
        facets: list[str] | None = None,
        facet_size: int = FACET_SIZE,
        also: Collection[str] | None = None,
        area: dict[str, float] | None = None,
    ) -> SearchResult:
        """Run a search. `include_private` only for users who may see every record; `also`
        for a member: the IRIs of the non-public records they may see
        (`regiongraph.membership`), which count in hits and facets; members get the access
        facet.

        `area` (dataset IRI → overlap, from `regiongraph.geo.index.search_area`) keeps only
        those datasets and, sorted by relevance, ranks them by overlap, then by the words.
        """
        parsed = q if isinstance(q, ParsedQuery) else parse_query(q)
        if start < 0:
            raise SearchInputError(f"start must be 0 or more, not {start}")
        if start > MAX_OFFSET:
            raise SearchInputError(f"start may be at most {MAX_OFFSET:,}; narrow the search")
        merged: dict[str, list[str]] = {k: list(v) for k, v in (filters or {}).items()}
        for facet, values in parsed.filters.items():
            merged.setdefault(facet, []).extend(v for v in values if v not in merged[facet])
        if not include_private and also is None and "access" in merged:
            raise SearchInputError("the access facet is only for users who may see "
                                   "non-public records (send the admin token)")
        sort_field, direction = sort_spec(sort)
        query = self.build_query(parsed, merged)
        if not include_private:
            query = self._public_only(query, also or ())
        if area is not None:
            query = tantivy.Query.boolean_query([
                (tantivy.Occur.Must, query),
                (tantivy.Occur.Must, tantivy.Query.term_set_query(self.schema, "id",
                                                                  list(area))),
            ])
        wanted = [f for f in (facets if facets is not None else list(FACETS))
                  if include_private or also is not None or f not in PRIVATE_FACETS]
        for name in wanted:
            if name not in FACETS:
                raise SearchInputError(f"unknown facet {name!r}; facets: {', '.join(FACETS)}")
        # No reload here: writes in this process reload after their commit, and tantivy's
        # reader follows other processes' commits itself (a reload per search measured
        # 1-2 ms, a third of a search).
        searcher = self.index.searcher()
        # rows=0 asks for counts only (CKAN clients do); tantivy panics on a zero limit
        limit = max(1, rows)
        if area is not None and sort_field == "relevance":
            result = searcher.search(query, 1, count=True)
            hits = self._by_overlap(searcher, query, area, start, rows, include_private,
                                    result.count)
        elif sort_field == "relevance":
            result = searcher.search(query, limit, count=True, offset=start)
        else:
            order = tantivy.Order.Asc if direction == "asc" else tantivy.Order.Desc
            result = searcher.search(query, limit, count=True, offset=start,
                                     order_by_field=sort_field, order=order)
        if area is None or sort_field != "relevance":
            hits = []
            for score, address in result.hits[:max(0, rows)]:
                payload = json.loads(searcher.doc(address).get_first("payload"))
                if sort_field == "relevance":
                    payload["score"] = round(float(score), 4)
                if area is not None:
                    payload["overlap"] = area.get(payload["iri"], 0.0)
                if not include_private and payload.get("iri") not in (also or ()):
                    payload.pop("access", None)
                hits.append(payload)
        facet_counts: dict[str, list[FacetValue]] = {}
        if wanted and result.count:
            aggs = {name: {"terms": {"field": name, "size": max(1, facet_size)}}
                    for name in wanted}
            answer = searcher.aggregate(query, aggs)
            for name in wanted:
                buckets = answer.get(name, {}).get("buckets", [])
                facet_counts[name] = [
                    FacetValue(str(b["key"]), self.facet_label(name, str(b["key"])),
                               int(b["doc_count"]))
                    for b in buckets
                ]
        elif wanted:
            facet_counts = {name: [] for name in wanted}
        return SearchResult(count=result.count, start=start, rows=rows, hits=hits,
                            facets=facet_counts, notes=parsed.notes, filters=merged)

    def _by_overlap(self, searcher, query: tantivy.Query, area: dict[str, float], start: int,
                    rows: int, include_private: bool, count: int) -> list[dict]:
        """The page of matches ranked by overlap with the searched area, then by the words.

        The area's datasets are walked in order of overlap, a growing slice at a time,
        asking the index which of the slice match the words and facets, until the page is
        full: a page near the top costs a few small lookups however large the area.
        """
        wanted = start + max(0, rows)
        if wanted == 0 or count == 0:
            return []
        ordered = sorted(area, key=lambda iri: (-area[iri], iri))
        found: list[tuple[float, float, str, object]] = []
        position, step = 0, max(256, 4 * wanted)
        while position < len(ordered) and len(found) < min(wanted, count):
            chunk = ordered[position:position + step]
            position, step = position + len(chunk), step * 2
            narrowed = tantivy.Query.boolean_query([
                (tantivy.Occur.Must, query),
                (tantivy.Occur.Must, tantivy.Query.term_set_query(self.schema, "id", chunk)),
            ])
            for score, address in searcher.search(narrowed, len(chunk), count=False).hits:
                iri = searcher.doc(address).get_first("id")
                found.append((area[iri], float(score), iri, address))
        found.sort(key=lambda f: (-f[0], -f[1], f[2]))
        hits = []
        for overlap, score, _iri, address in found[start:wanted]:
            payload = json.loads(searcher.doc(address).get_first("payload"))
            payload["score"], payload["overlap"] = round(score, 4), overlap
            if not include_private:
                payload.pop("access", None)
            hits.append(payload)
        return hits

    def facet_label(self, facet: str, key: str) -> str:
        return self.labels.get(facet, {}).get(key, key)

    # query building ----------------------------------------------------------

    def _public_only(self, query: tantivy.Query, also: Collection[str] = ()) -> tantivy.Query:
        """`query` among public records (and the records `also` names)."""
        public = tantivy.Query.term_query(self.schema, "public", True)
        if also:
            public = tantivy.Query.boolean_query([
                (tantivy.Occur.Should, public),
                (tantivy.Occur.Should,
                 tantivy.Query.term_set_query(self.schema, "id", sorted(also))),
            ])
        return tantivy.Query.boolean_query([
            (tantivy.Occur.Must, query), (tantivy.Occur.Must, public)])

    def build_query(self, parsed: ParsedQuery, filters: dict[str, list[str]]) -> tantivy.Query:
        must: list[tuple[tantivy.Occur, tantivy.Query]] = []
        for group in parsed.groups:
            alternatives = [q for q in (self._clause(c) for c in group) if q is not None]
            if len(alternatives) == 1:
                must.append((tantivy.Occur.Must, alternatives[0]))
            elif alternatives:
                must.append((tantivy.Occur.Must, tantivy.Query.boolean_query(
                    [(tantivy.Occur.Should, q) for q in alternatives])))
        for clause in parsed.excluded:
            query = self._clause(clause)
            if query is not None:
                must.append((tantivy.Occur.MustNot, query))
        for facet, values in filters.items():
            must.append((tantivy.Occur.Must, self._filter(facet, values)))
        if not any(occur == tantivy.Occur.Must for occur, _ in must):
            must.append((tantivy.Occur.Must, tantivy.Query.all_query()))
        return tantivy.Query.boolean_query(must)

    def _filter(self, facet: str, values: list[str]) -> tantivy.Query:
        if facet == "modified":
            ranges = []
            for value in values:
                low, high = year_range(value)
                lower = datetime(low, 1, 1) if low is not None else None
                upper = datetime(high + 1, 1, 1) if high is not None else None
                ranges.append(tantivy.Query.range_query(
                    self.schema, "modified_at", tantivy.FieldType.Date, lower, upper,
                    include_lower=True, include_upper=False))
            if len(ranges) == 1:
                return ranges[0]
            return tantivy.Query.boolean_query([(tantivy.Occur.Should, r) for r in ranges])
        if facet == "keyword":
            values = [v.lower() for v in values]
        elif facet == "format":
            values = [v.upper() for v in values]
        return tantivy.Query.term_set_query(self.schema, facet, values)

    def _clause(self, clause) -> tantivy.Query | None:
        if clause.kind == "phrase":
            return self._phrase(clause.text)
        if clause.kind == "prefix":
            return self._prefix(clause.text)
        return self._word(clause.text)

    def _word(self, text: str) -> tantivy.Query | None:
        plain = self._plain.analyze(text)
        if len(plain) > 1:  # "e-scooter", "GTFS-RT": the parts, in order
            return self._phrase(text)
        stems = self._stem.analyze(text)
        if not stems:
            return None  # a stop word or punctuation: nothing to demand
        stem, word = stems[0], plain[0]
        options = [
            tantivy.Query.boost_query(
                tantivy.Query.term_query(self.schema, field_name, stem), boost)
            for field_name, boost in BOOST.items()
        ]
        if len(word) >= MIN_FUZZY_LENGTH:
            options += [
                tantivy.Query.boost_query(
                    tantivy.Query.fuzzy_term_query(self.schema, field_name, word, distance=1,
                                                   transposition_cost_one=True), boost)
                for field_name, boost in FUZZY_BOOST.items()
            ]
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in options])

    def _prefix(self, text: str) -> tantivy.Query | None:
        plain = self._plain.analyze(text)
        if not plain:
            return None
        if len(plain) > 1:
            head = " ".join(plain[:-1])
            return tantivy.Query.boolean_query([
                (tantivy.Occur.Must, self._phrase(head) or tantivy.Query.all_query()),
                (tantivy.Occur.Must, self._prefix(plain[-1]) or tantivy.Query.all_query()),
            ])
        options = [
            tantivy.Query.boost_query(
                tantivy.Query.fuzzy_term_query(self.schema, field_name, plain[0], distance=0,
                                               prefix=True), boost)
            for field_name, boost in PREFIX_BOOST.items()
        ]
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in options])

    def _phrase(self, text: str) -> tantivy.Query | None:
        tokens = self._stem.pre_tokenize(text).tokens
        if not tokens:
            return None
        if len(tokens) == 1 and len(self._plain.analyze(text)) <= 1:
            return self._word(text)
        if len(tokens) == 1:
            words = [tokens[0].text]
            return tantivy.Query.boolean_query([
                (tantivy.Occur.Should, tantivy.Query.boost_query(
                    tantivy.Query.term_query(self.schema, f, words[0]), b))
                for f, b in BOOST.items()])
        first = tokens[0].position
        words = [(t.position - first, t.text) for t in tokens]
        return tantivy.Query.boolean_query([
            (tantivy.Occur.Should, tantivy.Query.boost_query(
                tantivy.Query.phrase_query(self.schema, field_name, words), boost))
            for field_name, boost in BOOST.items()
        ])


__all__ = ["FacetValue", "SearchIndex", "SearchIndexError", "SearchResult"]
