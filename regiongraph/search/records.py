"""Search records: what the index knows about a dataset, project, standard or community.

The index is derived data: every record is rebuilt from the store with a few batched
SPARQL queries over the union of all graphs, so `reindex` can always recreate it and it
never holds the only copy of anything. Records are read in batches of subjects (VALUES)
so the same code serves a full rebuild and an update of the handful of records a harvest
changed.

Predicates are read generically (the registry, the harvested catalogs and the generator
are written by different people): a title is the first of dct:title, skos:prefLabel,
foaf:name, rdfs:label; a concept contributes its preferred, alternative and hidden labels
and the preferred labels of its broader concepts, which is how "bike share" finds a
dataset filed under micromobility.
"""

import hashlib
import json
import re
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from pyoxigraph import Literal, NamedNode

from regiongraph.conformance import Standard, Standards, conformance
from regiongraph.iri import KINDS, Minter, slug
from regiongraph.namespaces import (
    DCAT,
    DCT,
    FOAF,
    OWL,
    RDF,
    RDFS,
    RG,
    RGC,
    SDO,
    SKOS,
    VCARD,
)
from regiongraph.store import Store

BATCH = 400
"""Subjects per VALUES block: large enough to amortise a query, small enough for a
remote endpoint's request limits."""

KIND_ROOTS: dict[str, NamedNode] = {
    "dataset": DCAT.Dataset,
    "project": RG.Project,
    "standard": DCT.Standard,
    "community": RG.Community,
}
"""Record kinds and the class whose instances (with subclasses) they are."""

TITLE_PREDICATES = (DCT.term("title"), SKOS.prefLabel, FOAF.name, RDFS.label, VCARD.fn, SDO.name)
LABEL_PREDICATES = (SKOS.prefLabel, RDFS.label, FOAF.name, DCT.term("title"), VCARD.fn, SDO.name)
CONCEPT_LABELS = (SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel, RDFS.label)
DESCRIPTION_PREDICATES = (DCT.description, RDFS.comment, SKOS.definition, SDO.description)
# Objects of these predicates are concepts whose labels go into `tags`.
CONCEPT_LINKS = (DCAT.theme, RG.domain, RG.standardDomain, RG.phase, RG.capabilityDomain)
THEME_LINKS = (DCAT.theme, RG.domain, RG.standardDomain)
COMMUNITY_LINKS = (RG.community, RG.leadCommunity, RG.participant)
PROJECT_DATASET_LINKS = (RG.usesDataset, RG.producesDataset)
DISTRIBUTION_PREDICATES = (DCT.term("format"), DCAT.mediaType, DCT.term("title"),
                           DCAT.downloadURL, DCAT.accessURL, DCT.description)

READ_PREDICATES = frozenset(p.value for p in (
    RDF.type, *TITLE_PREDICATES, *DESCRIPTION_PREDICATES, DCT.identifier, DCAT.keyword,
    SDO.keywords, *CONCEPT_LINKS, *COMMUNITY_LINKS, DCT.publisher,
    *PROJECT_DATASET_LINKS, OWL.versionInfo, DCT.hasVersion, RG.accessLevel, DCT.modified,
    DCT.issued, DCAT.landingPage, FOAF.homepage, DCT.license))
"""Every predicate `RecordReader._record` reads; other triples are skipped."""

DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
MEDIA_FORMATS = {
    "text/csv": "CSV", "application/json": "JSON", "application/geo+json": "GEOJSON",
    "application/vnd.geo+json": "GEOJSON", "application/zip": "ZIP",
    "application/x-protobuf": "PROTOBUF", "application/xml": "XML", "text/xml": "XML",
    "application/pdf": "PDF", "text/html": "HTML", "application/rdf+xml": "RDF",
    "text/turtle": "TURTLE", "application/ld+json": "JSON-LD",
    "application/vnd.ms-excel": "XLS",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "XLSX",
    "application/x-shapefile": "SHP", "application/vnd.google-earth.kml+xml": "KML",
    "text/plain": "TXT", "application/x-sqlite3": "SQLITE", "application/parquet": "PARQUET",
    "application/vnd.apache.parquet": "PARQUET",
}


@dataclass
class Ref:
    """Something a record points at: a facet value (`key`) with its display `label`."""

    key: str
    label: str
    iri: str | None = None


@dataclass
class Resource:
    """A distribution, as CKAN calls it."""

    iri: str
    title: str | None = None
    description: str | None = None
    url: str | None = None
    format: str | None = None
    media_type: str | None = None

    @property
    def uuid(self) -> str:
        """CKAN's resource id: stable per IRI, as a dataset's is."""
        return str(uuid.uuid5(uuid.NAMESPACE_URL, self.iri))


@dataclass
class SearchRecord:
    iri: str
    kind: str
    title: str
    description: str = ""
    identifier: str | None = None
    keywords: list[str] = field(default_factory=list)
    themes: list[Ref] = field(default_factory=list)
    concept_labels: list[str] = field(default_factory=list)
    communities: list[Ref] = field(default_factory=list)
    publisher: Ref | None = None
    formats: list[str] = field(default_factory=list)
    standards: list[Ref] = field(default_factory=list)
    projects: list[Ref] = field(default_factory=list)
    access: str | None = None
    public: bool = False
    modified: str | None = None
    issued: str | None = None
    landing_page: str | None = None
    license: str | None = None
    resources: list[Resource] = field(default_factory=list)
    graphs: list[str] = field(default_factory=list)
    extra_text: list[str] = field(default_factory=list)
    source_hashes: dict[str, str] = field(default_factory=dict)
    """graph → the harvest's `rg:recordHash` of this record there (see `record_hashes`)."""

    @property
    def uuid(self) -> str:
        """A stable UUID for CKAN clients, which expect package ids to be UUIDs."""
        return str(uuid.uuid5(uuid.NAMESPACE_URL, self.iri))

    @property
    def name(self) -> str:
        return package_name({"kind": self.kind, "identifier": self.identifier,
                             "iri": self.iri})

    def payload(self) -> dict:
        """What the index stores to answer with (JSON-ready; dataclasses.asdict is slow)."""
        def ref(r: Ref | None) -> dict | None:
            return None if r is None else {"key": r.key, "label": r.label, "iri": r.iri}

        return {
            "iri": self.iri, "kind": self.kind, "title": self.title,
            "description": self.description, "identifier": self.identifier,
            "keywords": self.keywords, "themes": [ref(r) for r in self.themes],
            "communities": [ref(r) for r in self.communities], "publisher": ref(self.publisher),
            "formats": self.formats, "standards": [ref(r) for r in self.standards],
            "projects": [ref(r) for r in self.projects], "access": self.access,
            "public": self.public, "modified": self.modified, "issued": self.issued,
            "landing_page": self.landing_page, "license": self.license,
            "resources": [{"iri": r.iri, "title": r.title, "description": r.description,
                           "url": r.url, "format": r.format, "media_type": r.media_type}
                          for r in self.resources],
        }

    def encoded(self) -> tuple[bytes, int]:
        """The stored payload and the fingerprint of everything indexed.

        An update rewrites a record only when its fingerprint moved.
        """
        payload = json.dumps(self.payload(), ensure_ascii=False).encode()
        extra = json.dumps([self.graphs, self.concept_labels, self.extra_text,
                            sorted(self.source_hashes.items())], ensure_ascii=False).encode()
        digest = hashlib.blake2b(payload + b"\0" + extra, digest_size=8).digest()
        return payload, int.from_bytes(digest, "big") >> 1

    def digest(self) -> int:
        return self.encoded()[1]

    def modified_datetime(self) -> datetime | None:
        return parse_date(self.modified)


def parse_date(text: str | None) -> datetime | None:
    """xsd:date, xsd:dateTime or xsd:gYear text → a datetime (None when unusable)."""
    if not text:
        return None
    match = DATE_RE.match(text.strip())
    if not match:
        return None
    year, month, day = match.group(1), match.group(2) or "01", match.group(3) or "01"
    try:
        return datetime(int(year), int(month), int(day))
    except ValueError:
        return None


def ckan_name(iri: str) -> str:
    """A CKAN-style name (lower-case letters, digits, - and _) that is stable per IRI.

    `{base}datasets/saguaro/traffic-counts` → `saguaro__traffic-counts`; IRIs not minted
    by regiongraph get a slug of their path.
    """
    path = iri.split("://", 1)[-1]
    parts = path.split("/")[1:] or [path]
    if len(parts) > 1 and parts[0] in KINDS.values():
        parts = parts[1:]
    name = "__".join(re.sub(r"[^a-z0-9_-]+", "-", p.lower()).strip("-") for p in parts if p)
    if not name or len(name) > 100:
        name = slug(iri)[:100]
    return name


def dataset_name(identifier: str) -> str:
    """A dataset's CKAN name: its identifier (`Minter.dataset_identifier`) in CKAN's
    alphabet, `saguaro/traffic-counts` → `saguaro__traffic-counts`.

    CKAN names must match `^[a-z0-9_-]{2,100}$`; an identifier that does not map onto
    that exactly (a `.`, an IRI, too long) gets a digest of itself appended, so two
    identifiers never share a name.
    """
    plain = identifier.replace("/", "__")
    name = "__".join(re.sub(r"[^a-z0-9_-]+", "-", p.lower()).strip("-")
                     for p in identifier.split("/") if p)
    if name != plain or not 2 <= len(name) <= 100:
        digest = hashlib.sha1(identifier.encode("utf-8")).hexdigest()[:16]
        name = f"{name[:83].strip('-_')}-{digest}".strip("-")
    return name


def package_name(payload: dict) -> str:
    """The CKAN name of an indexed record: a dataset's from its identifier."""
    if payload.get("kind") == "dataset" and payload.get("identifier"):
        return dataset_name(payload["identifier"])
    return ckan_name(payload["iri"])


def short_key(iri: str) -> str:
    """A facet value for an IRI: its identifier path without base and kind.

    `{base}communities/saguaro` → `saguaro`; `rgc:domain/transportation` →
    `transportation`; anything else → a slug of the IRI.
    """
    if iri.startswith(str(RGC)):
        return iri[len(str(RGC)):].split("/", 1)[-1]
    path = iri.split("://", 1)[-1].split("/", 1)
    if len(path) == 2:
        segments = [s for s in path[1].split("/") if s]
        if len(segments) >= 2 and segments[0] in KINDS.values():
            return "/".join(segments[1:])
    return slug(iri)


FORMAT_SYNONYMS = {"SHAPEFILE": "SHP", "PROTOCOL BUFFERS": "PROTOBUF", "GEO+JSON": "GEOJSON",
                   "ESRI SHAPEFILE": "SHP", "EXCEL": "XLSX", "ZIPPED SHAPEFILE": "SHP"}


def format_name(fmt: str | None, media_type: str | None) -> str | None:
    """One spelling per format for the facet: 'csv', 'text/csv', its IANA IRI, the EU
    file-type IRI …/CSV → CSV; 'Shapefile' and SHP are one format."""
    if fmt:
        text = fmt.strip()
        if "/" in text:
            return MEDIA_FORMATS.get(text.lower().rsplit("media-types/", 1)[-1], text.upper())
        name = text.upper().lstrip(".")
        return FORMAT_SYNONYMS.get(name, name) or None
    if media_type:
        media = media_type.lower().rsplit("media-types/", 1)[-1]
        return MEDIA_FORMATS.get(media, media.rsplit("/", 1)[-1].upper())
    return None


def _rows(store: Store, sparql: str, names: tuple[str, ...], *, union: bool = False
          ) -> Iterator[tuple]:
    """Rows of a SELECT as tuples in `names` order.

    (Tried: SPARQL TSV serialised inside pyoxigraph and parsed here. At 10k datasets on
    disk it was no faster — 19.0 s against 17.3 s for 2,000 records — the store's reads,
    not Python objects, are the cost; so rows are simply iterated.)
    """
    for row in store.query(sparql, union_default_graph=union):
        yield tuple(row[n] for n in names)


def _values(iris: Iterable[str]) -> str:
    return " ".join(f"<{i}>" for i in iris)


def _batches(items: list[str], size: int = BATCH) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


class RecordReader:
    """Reads search records from a store. One reader per index update (it caches labels)."""

    def __init__(self, store: Store, *, base: str, public: set[str] | None = None) -> None:
        self.store = store
        self.minter = Minter(base)
        self.public = public if public is not None else set()
        self._classes: dict[str, str] | None = None
        self._labels: dict[str, list[tuple[str, str]]] | None = None
        self._broader: dict[str, list[str]] | None = None
        self._standards: Standards | None = None

    # what exists ---------------------------------------------------------

    def kind_classes(self) -> dict[str, str]:
        """Class IRI → record kind, with the subclasses the ontology declares."""
        if self._classes is None:
            found: dict[str, str] = {}
            for kind, root in KIND_ROOTS.items():
                found[root.value] = kind
                rows = self.store.query(
                    f"SELECT DISTINCT ?c WHERE {{ ?c <{RDFS.subClassOf.value}>+ <{root.value}> }}",
                    union_default_graph=True,
                )
                for row in rows:
                    if isinstance(row["c"], NamedNode):
                        found.setdefault(row["c"].value, kind)
            self._classes = found
        return self._classes

    def subjects(self, graphs: list[str] | None = None) -> dict[str, str]:
        """IRI → kind of every record, or of those with a triple in one of `graphs`."""
        classes = self.kind_classes()
        values = _values(classes)
        if graphs is None:
            sparql = f"SELECT DISTINCT ?s ?t WHERE {{ VALUES ?t {{ {values} }} ?s a ?t }}"
        else:
            sparql = (
                f"SELECT DISTINCT ?s ?t WHERE {{ VALUES ?g {{ {_values(graphs)} }} "
                f"GRAPH ?g {{ ?s ?p ?o }} VALUES ?t {{ {values} }} ?s a ?t }}"
            )
        found: dict[str, str] = {}
        for row in self.store.query(sparql, union_default_graph=True):
            subject = row["s"]
            if isinstance(subject, NamedNode):
                kind = classes[row["t"].value]
                # A thing typed both ways (a dataset that is also a standard) is the
                # first kind in KIND_ROOTS order: datasets are what people search for.
                if subject.value not in found or _rank(kind) < _rank(found[subject.value]):
                    found[subject.value] = kind
        return found

    def subjects_by_graph(self, graphs: list[str]) -> dict[str, dict[str, str]]:
        """graph → {IRI → kind} of the records with a triple in that graph."""
        classes = self.kind_classes()
        # The subquery first: pyoxigraph otherwise joins every typed thing in the store
        # against the graph (measured 0.52 s against 0.08 s on a 4,000-triple graph).
        sparql = (
            f"SELECT ?g ?s ?t WHERE {{ {{ SELECT DISTINCT ?g ?s WHERE {{ "
            f"VALUES ?g {{ {_values(graphs)} }} GRAPH ?g {{ ?s ?p ?o }} }} }} "
            f"?s a ?t VALUES ?t {{ {_values(classes)} }} }}"
        )
        found: dict[str, dict[str, str]] = {g: {} for g in graphs}
        for row in self.store.query(sparql, union_default_graph=True):
            subject = row["s"]
            if isinstance(subject, NamedNode):
                bucket = found[row["g"].value]
                kind = classes[row["t"].value]
                if subject.value not in bucket or _rank(kind) < _rank(bucket[subject.value]):
                    bucket[subject.value] = kind
        return found

    def record_hashes(self, graphs: list[str] | None = None,
                      iris: list[str] | None = None) -> dict[str, dict[str, str]]:
        """IRI → {graph → hash} from the harvest's catalog records.

        A harvest writes one `dcat:CatalogRecord` per dataset with `rg:recordHash`, the
        digest of everything the loader produced for it. Comparing those (one row per
        dataset) is how an update finds the few records a harvest changed without reading
        the triples of all the others.
        """
        scope = ""
        if graphs is not None:
            scope += f"VALUES ?g {{ {_values(graphs)} }} "
        if iris is not None:
            scope += f"VALUES ?d {{ {_values(iris)} }} "
        sparql = (
            f"SELECT ?g ?d ?h WHERE {{ {scope}GRAPH ?g {{ ?r a <{DCAT.CatalogRecord.value}> ; "
            f"<{RG.recordHash.value}> ?h ; <{FOAF.primaryTopic.value}> ?d }} }}"
        )
        found: dict[str, dict[str, str]] = defaultdict(dict)
        for row in self.store.query(sparql):
            found[row["d"].value][row["g"].value] = row["h"].value
        return dict(found)

    def harvest_stamps(self, graphs: list[str], meta: str) -> dict[str, str | None]:
        """graph → the harvest's stored document hash(es) of the catalog(s) it holds.

        It changes exactly when a harvest rewrote the graph; a graph that changed while
        its stamp did not was written some other way (SPARQL Update, Graph Store), and
        then its record hashes cannot be trusted to say what changed.
        """
        sparql = (
            f"SELECT ?g ?c ?h WHERE {{ VALUES ?g {{ {_values(graphs)} }} "
            f"GRAPH ?g {{ ?c a <{DCAT.Catalog.value}> }} "
            f"GRAPH <{meta}> {{ ?c <{RG.documentHash.value}> ?h }} }}"
        )
        parts: dict[str, list[str]] = defaultdict(list)
        for row in self.store.query(sparql):
            parts[row["g"].value].append(f"{row['c'].value} {row['h'].value}")
        return {g: "|".join(sorted(parts[g])) if parts.get(g) else None for g in graphs}

    # labels --------------------------------------------------------------

    def labels(self, iri: str) -> list[tuple[str, str]]:
        """[(predicate, label)] of one IRI (a concept, community, standard, class ...).

        Fetched on first use and cached for the update: records point at few distinct
        things, so this costs the same for 1 changed record as for 100,000.
        """
        if self._labels is None:
            self._labels = {}
        if iri not in self._labels:
            preds = _values(p.value for p in {*LABEL_PREDICATES, *CONCEPT_LABELS})
            found: list[tuple[str, str]] = []
            rows = self.store.query(
                f"SELECT ?p ?l WHERE {{ VALUES ?p {{ {preds} }} <{iri}> ?p ?l "
                f"FILTER(isLiteral(?l)) }}", union_default_graph=True)
            for row in rows:
                label: Literal = row["l"]
                if label.language and not label.language.startswith("en"):
                    continue
                entry = (row["p"].value, label.value)
                if entry not in found:
                    found.append(entry)
            self._labels[iri] = found
        return self._labels[iri]

    def has_label(self, iri: str) -> bool:
        return bool(self.labels(iri))

    def label(self, iri: str) -> str:
        entries = self.labels(iri)
        for predicate in LABEL_PREDICATES:
            for p, text in entries:
                if p == predicate.value:
                    return text
        return short_key(iri)

    def standards(self) -> Standards:
        """The store's standards, read once per reader (`regiongraph.conformance`)."""
        if self._standards is None:
            self._standards = Standards.read(self.store)
        return self._standards

    def broader(self) -> dict[str, list[str]]:
        """Each concept's broader concepts, nearest first (the closure is taken here:
        Virtuoso refuses `?c skos:broader+ ?b` with neither end bound)."""
        if self._broader is None:
            direct: dict[str, set[str]] = defaultdict(set)
            rows = self.store.query(
                f"SELECT DISTINCT ?c ?b WHERE {{ ?c <{SKOS.broader.value}> ?b }}",
                union_default_graph=True,
            )
            for row in rows:
                direct[row["c"].value].add(row["b"].value)
            self._broader = {concept: _closure(concept, direct) for concept in direct}
        return self._broader

    def concept_labels(self, iri: str) -> list[str]:
        """Every label of a concept plus the preferred labels of its broader concepts."""
        entries = self.labels(iri)
        texts = [text for p, text in entries if p in {c.value for c in CONCEPT_LABELS}]
        for broader in self.broader().get(iri, []):
            texts.append(self.label(broader))
        return texts

    # records -------------------------------------------------------------

    def read(self, subjects: dict[str, str]) -> Iterator[SearchRecord]:
        """Records for `subjects` (IRI → kind), in batches."""
        ordered = sorted(subjects)
        for batch in _batches(ordered):
            yield from self._read_batch(batch, subjects)

    def _read_batch(self, batch: list[str], kinds: dict[str, str]) -> Iterator[SearchRecord]:
        values = _values(batch)
        props: dict[str, dict[str, list]] = {s: defaultdict(list) for s in batch}
        graphs: dict[str, set[str]] = {s: set() for s in batch}
        # Every predicate, filtered here: a second VALUES block (for ?p) makes pyoxigraph
        # 0.5.13 join the wrong way round (measured at 10k datasets: 54.6 s against 0.64 s
        # for 400 subjects).
        rows = _rows(
            self.store,
            f"SELECT ?s ?p ?o ?g WHERE {{ VALUES ?s {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }}",
            ("s", "p", "o", "g"))
        for s_term, p_term, obj, g_term in rows:
            if p_term.value not in READ_PREDICATES:
                continue
            subject = s_term.value
            bucket = props[subject][p_term.value]
            if obj not in bucket:
                bucket.append(obj)
            graphs[subject].add(g_term.value)
        # Predicates are filtered here, never given as a second VALUES block: pyoxigraph
        # 0.5.13 then joins the wrong way round (seconds instead of milliseconds at 10k).
        inverse: dict[str, list[str]] = defaultdict(list)
        links = {p.value for p in PROJECT_DATASET_LINKS}
        # only datasets are used or produced by projects (a community has every one of its
        # datasets pointing at it: asking for those would read them all)
        datasets = [s for s in batch if kinds[s] == "dataset"]
        rows = self.store.query(
            f"SELECT DISTINCT ?s ?p ?x WHERE {{ VALUES ?s {{ {_values(datasets)} }} "
            f"?x ?p ?s }}",
            union_default_graph=True,
        ) if datasets else []
        for row in rows:
            if row["p"].value in links and row["x"].value not in inverse[row["s"].value]:
                inverse[row["s"].value].append(row["x"].value)
        # titles of the datasets projects use or produce (dataset titles are not in labels())
        linked: dict[str, list[tuple[str, str]]] = defaultdict(list)
        projects = [s for s in batch if kinds[s] == "project"]
        if projects:
            rows = self.store.query(
                f"SELECT ?s ?p ?d ?t WHERE {{ VALUES ?s {{ {_values(projects)} }} "
                f"?s ?p ?d . ?d <{DCT.term('title').value}> ?t }}",
                union_default_graph=True,
            )
            for row in rows:
                if row["p"].value in links:
                    linked[row["s"].value].append((row["d"].value, row["t"].value))
        dists: dict[str, dict[str, dict[str, list]]] = defaultdict(dict)
        wanted = {p.value for p in DISTRIBUTION_PREDICATES}
        # A distribution is described in its dataset's graph (pyoxigraph plans this form
        # about twice as fast as the same pattern over the union graph).
        rows = _rows(
            self.store,
            f"SELECT ?s ?d ?p ?o WHERE {{ VALUES ?s {{ {values} }} "
            f"GRAPH ?g {{ ?s <{DCAT.distribution.value}> ?d . ?d ?p ?o }} }}",
            ("s", "d", "p", "o"))
        for s_term, node, p_term, obj in rows:
            if p_term.value not in wanted:
                continue
            key = node.value if isinstance(node, NamedNode) else str(node)
            entry = dists[s_term.value].setdefault(key, defaultdict(list))
            if obj not in entry[p_term.value]:
                entry[p_term.value].append(obj)
        conforming = conformance(self.store, datasets, standards=self.standards()) \
            if datasets else {}
        for subject in batch:
            if not props[subject]:
                continue  # gone from the store between listing and reading
            record = self._record(subject, kinds[subject], props[subject], graphs[subject],
                                  inverse.get(subject, []), dists.get(subject, {}),
                                  conforming.get(subject, []))
            # a project is shown, its link to a restricted dataset is not (visibility.py)
            record.extra_text.extend(title for dataset, title in linked.get(subject, [])
                                     if dataset in self.public)
            yield record

    def _record(self, iri: str, kind: str, p: dict[str, list], graphs: set[str],
                projects: list[str], distributions: dict[str, dict[str, list]],
                standards: list[Standard]) -> SearchRecord:
        def texts(*predicates: NamedNode) -> list[str]:
            out: list[str] = []
            for predicate in predicates:
                for term in p.get(predicate.value, []):
                    if isinstance(term, Literal) and term.value.strip() and \
                            (not term.language or term.language.startswith("en")):
                        out.append(term.value.strip())
            return out

        def iris(*predicates: NamedNode) -> list[str]:
            out: list[str] = []
            for predicate in predicates:
                for term in p.get(predicate.value, []):
                    if isinstance(term, NamedNode) and term.value not in out:
                        out.append(term.value)
            return out

        title = next(iter(texts(*TITLE_PREDICATES)), None) or short_key(iri)
        descriptions = texts(*DESCRIPTION_PREDICATES)
        record = SearchRecord(iri=iri, kind=kind, title=title,
                              description=descriptions[0] if descriptions else "")
        record.graphs = sorted(graphs)
        own_ids = texts(DCT.identifier)
        if kind == "dataset":
            record.identifier = self.minter.dataset_identifier(iri)
            record.extra_text.extend(own_ids)  # the publisher's own ids stay findable
        else:
            record.identifier = next(iter(own_ids), None)
        keywords: list[str] = []
        for keyword in texts(DCAT.keyword, SDO.keywords):
            if keyword.lower() not in {k.lower() for k in keywords}:
                keywords.append(keyword)
        record.keywords = keywords
        for concept in iris(*CONCEPT_LINKS):
            record.concept_labels.extend(self.concept_labels(concept))
        for concept in iris(*THEME_LINKS):
            record.themes.append(Ref(short_key(concept), self.label(concept), concept))
        # the labels of a record's own classes: "city", "transit agency", "university"
        for cls in iris(RDF.type):
            if self.has_label(cls):
                record.concept_labels.append(self.label(cls))
        community_iris = iris(*COMMUNITY_LINKS)
        if kind == "community":
            community_iris = [iri, *community_iris]
        record.communities = [Ref(short_key(c), self.label(c), c) for c in community_iris]
        publishers = iris(DCT.publisher)
        if publishers:
            record.publisher = Ref(short_key(publishers[0]), self.label(publishers[0]),
                                   publishers[0])
        for dist_iri, dist in distributions.items():
            # a literal ("CSV") or a file-type IRI (…/file-type/CSV): the last segment
            fmt = next((t.value.rstrip("/").rsplit("/", 1)[-1] if isinstance(t, NamedNode)
                        else t.value for t in dist.get(DCT.term("format").value, [])), None)
            media = next((t.value for t in dist.get(DCAT.mediaType.value, [])), None)
            name = format_name(fmt, media)
            if name and name not in record.formats:
                record.formats.append(name)
            url = next((t.value for t in dist.get(DCAT.downloadURL.value, [])), None) or \
                next((t.value for t in dist.get(DCAT.accessURL.value, [])), None)
            record.resources.append(Resource(
                iri=dist_iri,
                title=next((t.value for t in dist.get(DCT.term("title").value, [])), None),
                description=next((t.value for t in dist.get(DCT.description.value, [])), None),
                url=url, format=name,
                media_type=media.rsplit("media-types/", 1)[-1] if media else None,
            ))
        record.standards = [Ref(short_key(s.iri), s.label or s.iri, s.iri) for s in standards]
        record.projects = [Ref(short_key(x), self.label(x), x) for x in projects]
        if kind == "project":
            record.projects = [Ref(short_key(iri), title, iri)]
        if kind == "standard":
            record.standards = [Ref(short_key(iri), title, iri)]
            record.extra_text.extend(texts(OWL.versionInfo, DCT.hasVersion))
        access = iris(RG.accessLevel)
        record.access = short_key(access[0]) if access else None
        modified = texts(DCT.modified) or texts(DCT.issued)
        record.modified = modified[0] if modified else None
        issued = texts(DCT.issued)
        record.issued = issued[0] if issued else None
        landing = iris(DCAT.landingPage, FOAF.homepage)
        record.landing_page = landing[0] if landing else None
        licenses = iris(DCT.license)
        record.license = licenses[0] if licenses else None
        record.public = iri in self.public
        return record


def _rank(kind: str) -> int:
    return list(KIND_ROOTS).index(kind)


__all__ = ["RecordReader", "Ref", "Resource", "SearchRecord", "ckan_name", "dataset_name",
           "package_name", "short_key"]


def _closure(start: str, direct: dict[str, set[str]]) -> list[str]:
    """What `start` reaches through `direct`, breadth first, sorted within each step."""
    found: list[str] = []
    seen, frontier = {start}, [start]
    while frontier:
        step = sorted({b for node in frontier for b in direct.get(node, ())} - seen)
        seen.update(step)
        found += step
        frontier = step
    return found
