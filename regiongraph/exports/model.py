"""The one internal description of a published dataset, read from the store in pages.

ckanext-dcat's lesson: every export profile (DCAT-AP 3, DCAT-US 1.1, schema.org) maps
the same `DatasetRecord`, so the three can never disagree about what a dataset is, and a
profile never opens the store. This module is the only place that reads datasets for
export: `CatalogIndex` lists the publishable datasets in a stable order (by IRI) once per
store version, and `read_records` fetches one page of them with two lookups.

What is publishable is decided by `regiongraph.visibility` alone; this module asks it and
never re-states the rule. Only fields named here leave the store, so a property added to
a dataset later (a personal-data category, an internal note) is never exported by
accident.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import weakref
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from pyoxigraph import NamedNode

from regiongraph.change import VersionedCache, cache_key
from regiongraph.conformance import Standard, Standards, conformance
from regiongraph.exports.vocab import FILE_TYPE, access_level_name
from regiongraph.iri import REGISTRY_GRAPH, Minter
from regiongraph.journal import DEFAULT_GRAPH, last_change
from regiongraph.namespaces import (
    DCAT,
    DCT,
    FOAF,
    GEO,
    LOCN,
    PROV,
    RDFS,
    RG,
    SKOS,
    VCARD,
    sparql_prefixes,
)
from regiongraph.settings import Settings
from regiongraph.store import Store, linked

log = logging.getLogger(__name__)
MEDIA_TYPE = re.compile(r"^[-\w.+]+/[-\w.+]+$")
LABELS = (SKOS.prefLabel, FOAF.name, DCT.term("title"), RDFS.label)
"""Properties that name a thing, most preferred first."""
CHILD_LINKS = (DCAT.distribution, DCAT.contactPoint, DCT.spatial, DCT.temporal, DCT.rights,
               GEO.hasGeometry)
"""Nodes owned by a dataset (minted under its IRI, or the registry geometry of the place it
names): all their properties are read."""
NAMED_LINKS = (DCT.publisher, DCAT.theme, DCT.license, RG.community)
"""Things a dataset points to: only their names (and homepage) are read. (Standards are
read by `regiongraph.conformance`, the one reading of conformance.)"""


@dataclass
class Agent:
    iri: str
    name: str
    homepage: str | None = None
    kind: str | None = None
    """The registry's class for it (`City`, `StateAgency`, ...), when known."""


@dataclass
class Contact:
    name: str | None = None
    email: str | None = None
    """Without the `mailto:` scheme."""


@dataclass
class Named:
    """An IRI with a human label where the store has one (a theme, a standard)."""

    iri: str
    label: str | None = None


@dataclass
class Distribution:
    iri: str
    title: str | None = None
    description: str | None = None
    download_url: str | None = None
    access_url: str | None = None
    media_type: str | None = None
    """A plain IANA media type, e.g. `text/csv`."""
    format: str | None = None
    conforms_to: list[str] = field(default_factory=list)


@dataclass
class DatasetRecord:
    """A dataset as every export profile sees it; strings and lists, no RDF terms."""

    iri: str
    identifier: str
    title: str
    community: str | None = None
    """The owning community's id (the last segment of its IRI)."""
    description: str | None = None
    keywords: list[str] = field(default_factory=list)
    themes: list[Named] = field(default_factory=list)
    issued: str | None = None
    modified: str | None = None
    publisher: Agent | None = None
    contact: Contact | None = None
    access_level: str | None = None
    """`public`, `restricted`, `internal` or `confidential` (rgc:access)."""
    license: str | None = None
    rights: list[str] = field(default_factory=list)
    spatial_label: str | None = None
    spatial_bbox: str | None = None
    """WKT polygon of the bounding box."""
    spatial_wkt: str | None = None
    """The coverage itself (`geo:hasGeometry/geo:asWKT`), CRS84 WKT without a CRS prefix."""
    temporal_start: str | None = None
    temporal_end: str | None = None
    landing_page: str | None = None
    conforms_to: list[Named] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    described_by: str | None = None
    accrual_periodicity: str | None = None
    """A frequency IRI (Dublin Core collection frequency or EU frequency)."""
    distributions: list[Distribution] = field(default_factory=list)
    derived_from: list[str] = field(default_factory=list)
    """IRIs of datasets this one was derived from (prov:wasDerivedFrom), unfiltered."""
    policies: list[str] = field(default_factory=list)
    """The ODRL agreements under which a member's catalog shares it (`odrl:hasPolicy` on
    each distribution); empty in the public catalog."""
    read_from: frozenset[str] = frozenset()
    """The graphs its dataset's and its nodes' triples were read from: a change to one of
    them moves its kept encodings (`CatalogIndex.rendered`)."""


@dataclass(frozen=True)
class CatalogInfo:
    """The catalog a page belongs to: the region's, or one community's."""

    iri: str
    title: str
    description: str
    publisher: Agent
    homepage: str | None
    modified: str | None
    community: str | None = None
    subcatalogs: tuple[CatalogInfo, ...] = ()
    """The community catalogs the region's catalog lists (`dcat:catalog`)."""


@dataclass(frozen=True)
class IndexEntry:
    iri: str
    community: str | None
    modified: datetime | None


@dataclass
class CatalogIndex:
    """Every publishable dataset in a stable order, as of one store version.

    Paging slices this list, so the cost of a page does not grow with the catalog: the
    ordering and the visibility rule run once per store version, not once per request.
    """

    version: str
    last_modified: datetime
    entries: list[IndexEntry]
    region: Agent
    communities: dict[str, Agent]
    base: str = ""
    """The base of the region's IRIs (`Minter.dataset_identifier` needs it)."""
    approvals_source: Callable[[], dict[str, set[str]]] | None = None
    """Asks visibility which approvals allow each publication (only a dataset page shows
    them, so they are looked up on its first request, not with every index)."""
    _approvals: dict[str, frozenset[str]] | None = None
    public: object | None = None
    """`regiongraph.visibility.PublicNodes`: which IRIs an export may name."""
    twins: frozenset[str] = frozenset()
    """Publishable datasets another source also offers under a smaller IRI: not listed
    (`regiongraph.harvest.dedup`, the one rule for `rg:sameDatasetAs` groups)."""
    policies: dict[str, frozenset[str]] = field(default_factory=dict)
    """Dataset IRI → the agreements that share it with the member tier this index is for
    (`member_catalog_index`); empty for the public catalog."""
    rendered: dict[str, dict[str, str]] = field(default_factory=dict)
    """Profile name → dataset IRI → that profile's encoded record under this index's
    `may_name`. A profile fills it as it streams (`serializer.datajson_chunks`), and
    `follow_index` hands on the records no change since can have moved: a whole export
    after a 1% re-harvest re-reads 1% of the records, not the region."""
    read_from: dict[str, frozenset[str]] = field(default_factory=dict)
    """Dataset IRI → the graphs its kept renderings were read from (`DatasetRecord`)."""
    standards: Standards | None = None
    """The standards the kept renderings named (renaming one moves every record naming it)."""
    _iris: frozenset[str] | None = None
    _communities: list[str] | None = None

    def select(self, *, community: str | None = None,
               modified_since: datetime | None = None) -> list[IndexEntry]:
        """Entries of one community and/or changed since a time (unknown dates included,
        since nothing proves they are unchanged)."""
        chosen = self.entries
        if community is not None:
            chosen = [e for e in chosen if e.community == community]
        if modified_since is not None:
            chosen = [e for e in chosen if e.modified is None or e.modified >= modified_since]
        return chosen

    def contains(self, iri: str) -> bool:
        """Is `iri` a publishable dataset (listed, or the twin of one listed)?"""
        if self._iris is None:
            self._iris = frozenset(e.iri for e in self.entries) | frozenset(self.twins)
        return iri in self._iris

    def may_name(self, iri: str) -> bool:
        """May an export point at `iri`? Visibility's object rule: outside IRIs and public
        alliance nodes yes; a hidden dataset, a person, an unlisted alliance IRI no."""
        if self.public is None:
            return self.contains(iri)
        return self.public.object_allowed(NamedNode(iri))

    @property
    def approvals(self) -> dict[str, frozenset[str]]:
        """Dataset IRI → the approvals in force that allow its publication (visibility's)."""
        if self._approvals is None:
            found = self.approvals_source() if self.approvals_source else {}
            self._approvals = {_iri_text(d): frozenset(a) for d, a in found.items()}
        return self._approvals

    def community_ids(self) -> list[str]:
        """Communities with at least one listed dataset (computed once per index)."""
        if self._communities is None:
            self._communities = sorted({e.community for e in self.entries if e.community})
        return self._communities


# ---------------------------------------------------------------------------------------
# the store version: what ETag, Last-Modified and the index cache key on
# ---------------------------------------------------------------------------------------

def store_version(store: Store, settings: Settings,
                  today: date | None = None) -> tuple[str, datetime]:
    """The catalog's ETag token and Last-Modified time.

    The token is the one cache key (`regiongraph.change.cache_key`: the store version and
    the day, since approvals start and expire on given days); the time is the later of
    the last journalled change and today's midnight (UTC): never earlier than the last
    real change.
    """
    version, day = cache_key(store, settings, today)
    digest = hashlib.sha256(f"{settings.base}|{version}|{day}".encode()).hexdigest()[:32]
    midnight = datetime.fromisoformat(day).replace(tzinfo=UTC)
    return digest, max(last_change(store, settings) or midnight, midnight)


# ---------------------------------------------------------------------------------------
# the index
# ---------------------------------------------------------------------------------------

def _public_index(store: Store, settings: Settings) -> CatalogIndex:
    """The public index of the current store version: the previous one followed by the
    change when it can (`follow_index`), else built whole."""
    key = cache_key(store, settings)
    token, changed = store_version(store, settings, date.fromisoformat(key[1]))
    previous = _built.get(store)
    index = follow_index(store, settings, previous[0], previous[1], key, token, changed) \
        if previous is not None else None
    if index is None:
        index = build_index(store, settings, token, changed)
        changes = _changes_since(store, settings, *previous, key) if previous else None
        if changes is not None:
            hand_on(store, previous[1], index, changes, None)
    _built[store] = (key, index)
    return index


_built: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_indexes: VersionedCache[CatalogIndex] = VersionedCache(_public_index)


def follow_index(store: Store, settings: Settings, old_key: tuple[int, str],
                 old: CatalogIndex, key: tuple[int, str], version: str,
                 changed: datetime) -> CatalogIndex | None:
    """`old` brought to `key` by what changed since, or None when a whole build is needed.

    An entry (community, modified) reads only its dataset's own triples, so when every
    change since names its subjects (a record-by-record harvest) and none touched the
    registry or the ontology (the agents, the classifications), only the datasets
    visibility re-judges for those changes (`visibility.named_datasets`), those whose
    publication moved and those whose twin status moved are read again; the other
    entries, the region and its communities are kept. Same day only: a new day can move
    any publication."""
    from regiongraph import visibility
    from regiongraph.harvest.dedup import duplicates_to_skip

    entries = _changes_since(store, settings, old_key, old, key)
    if entries is None:
        return None
    graphs = {g for entry in entries for g in entry.graphs}
    minter = Minter(settings.base)
    touched = visibility.named_datasets(store, settings, graphs, entries)
    if touched is None:
        return None
    public = visibility.public_nodes(store, settings)
    allowed = {_iri_text(d) for d in public.datasets}
    twins = frozenset(duplicates_to_skip(store, allowed) & allowed)
    moved = touched | (set(old.public.datasets) ^ allowed) | (old.twins ^ twins)
    kept = [e for e in old.entries if e.iri not in moved]
    fresh = _entries(store, minter, sorted(moved & allowed))
    listed = sorted([*kept, *(e for e in fresh if e.iri not in twins)], key=lambda e: e.iri)
    index = CatalogIndex(version=version, last_modified=changed, entries=listed,
                         region=old.region, communities=old.communities, base=minter.base,
                         approvals_source=old.approvals_source, public=public, twins=twins,
                         standards=Standards.read(store))
    hand_on(store, old, index, entries, moved)
    return index


def _changes_since(store: Store, settings: Settings, old_key: tuple[int, str],
                   old: CatalogIndex, key: tuple[int, str]) -> list | None:
    """The journal's changes from `old` to `key`, when what `old` holds can be carried
    over (same day, store gone forward, the public index, no change to the registry, the
    ontology or the default graph); None when everything must be read again."""
    from regiongraph import journal
    from regiongraph.iri import ONTOLOGY_GRAPH

    if old.public is None or old.policies or key[1] != old_key[1] or key[0] < old_key[0]:
        return None
    changes = journal.since(store, settings, old_key[0])
    minter = Minter(settings.base)
    moves_everything = {minter.graph(REGISTRY_GRAPH).value, minter.graph(ONTOLOGY_GRAPH).value,
                        DEFAULT_GRAPH}
    if any(set(change.graphs) & moves_everything for change in changes):
        return None
    return changes


def hand_on(store: Store, old: CatalogIndex, new: CatalogIndex, changes: list,
            moved: set[str] | None) -> None:
    """Give `new` the renderings of `old` that the changes between them cannot have moved.

    A record reads its dataset's triples and those of the nodes it links to, from the
    graphs it keeps in `read_from` (`read_records`), and names standards by their names.
    Read again: the datasets whose publication moved (`moved`, else found by comparing the
    two indexes), those a change names or whose nodes it names, and, for a change that
    names no subjects (a whole graph written), every record read from a changed graph and
    every subject the changed graphs hold now, with what links to it; every record when a
    standard's name or address moved. The registry and the ontology (agents,
    classifications) and a new day (approvals start and lapse) move any record: nothing
    is handed on after a change to them (`_changes_since` says None then)."""
    if not old.rendered or new.standards != old.standards or new.public is None:
        return
    graphs = {g for change in changes for g in change.graphs}
    if moved is None:  # built whole: the two indexes say what moved
        moved = {_iri_text(d) for d in set(new.public.datasets) ^ set(old.public.datasets)}
        moved |= new.twins ^ old.twins
    subjects = {s for change in changes for s in change.subjects}
    if not all(change.subjects for change in changes):
        held = _subjects_in(store, graphs, at_most=HAND_ON_SUBJECTS)
        if held is None:
            return
        subjects |= held
        moved |= {iri for iri, read in old.read_from.items() if read & graphs}
    stale = moved | subjects | linked(store, subjects, "?x ?p ?n .")
    # dict() copies in one step under the GIL: a stream may be adding to them meanwhile
    new.rendered = {profile: {iri: text for iri, text in dict(kept).items() if iri not in stale}
                    for profile, kept in dict(old.rendered).items()}
    new.read_from = {iri: read for iri, read in dict(old.read_from).items()
                     if iri not in stale}


HAND_ON_SUBJECTS = 20_000
"""The most subjects a whole-graph change may hold for its objects to be handed on: past
it, every object is read again rather than every subject of, say, a new 20k-record graph
held at once (the soak's peak for that harvest rose from 176 to 207 MB with them, over its
200 MB limit). A data.json catalog of the 100k region, rewritten whole, holds a few
thousand."""


def _subjects_in(store: Store, graphs: set[str], *, at_most: int) -> set[str] | None:
    """Every IRI subject of a triple in one of `graphs`; None when there are more than
    `at_most` (read no further than that)."""
    found: set[str] = set()
    for graph in sorted(graphs):
        rows = store.query(f"SELECT DISTINCT ?s WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} "
                           f"LIMIT {at_most - len(found) + 1}")
        found |= {row[0].value for row in rows if isinstance(row[0], NamedNode)}
        if len(found) > at_most:
            return None
    return found


def _entries(store: Store, minter: Minter, iris: list[str]) -> list[IndexEntry]:
    """Index entries of the datasets `iris` (the same query as `build_index`, by VALUES)."""
    found = []
    for start in range(0, len(iris), LOOKUP_BATCH):
        values = " ".join(f"<{i}>" for i in iris[start:start + LOOKUP_BATCH])
        rows = store.query(
            sparql_prefixes(["dcat", "dct", "rg"])
            + "SELECT ?d (SAMPLE(?c) AS ?community) (MAX(STR(?m)) AS ?modified) WHERE { "
            f"VALUES ?d {{ {values} }} ?d a dcat:Dataset . OPTIONAL {{ ?d rg:community ?c }} "
            "OPTIONAL { ?d dct:modified ?m } } GROUP BY ?d",
            union_default_graph=True)
        found += [_entry(minter, row) for row in rows]
    return found


def _entry(minter: Minter, row) -> IndexEntry:
    community, modified = row["community"], row["modified"]
    return IndexEntry(
        iri=row["d"].value,
        community=minter.local_id(community.value, "community") if community else None,
        modified=parse_time(modified.value) if modified else None)


def catalog_index(store: Store, settings: Settings) -> CatalogIndex:
    """The publishable datasets in IRI order, kept until the store version or day moves."""
    return _indexes.get(store, settings)


_followed: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_following = threading.Lock()


def follow(store: Store, settings: Settings, changed: list) -> None:
    """The `catalog` view (`regiongraph.change.VIEWS`, the last): the public index this
    process keeps follows the change in a thread, after the change's own views and off
    its request, so the first catalog page after it does not wait for it (at 10k
    datasets, after a 1% re-harvest: 0.3 s of visibility's public nodes and re-judged
    datasets, before the page's own 0.15 s). A process that never listed the catalog
    keeps no index and follows nothing; a change while one follow runs leaves the rest
    to the next page asked for (`VersionedCache` follows it then)."""
    if store not in _built or not _following.acquire(blocking=False):
        return

    def run() -> None:
        try:
            catalog_index(store, settings)
        except Exception as error:  # noqa: BLE001 - the page asked next builds it again
            log.warning("the catalog index did not follow the change: %s; the next "
                        "catalog page does", error)
        finally:
            _following.release()

    threading.Thread(target=run, name="catalog-index", daemon=True).start()


def seen_version(store: Store, settings: Settings) -> int:
    """The version the index was last asked to follow; the store's own when this process
    keeps no index (nothing to follow)."""
    if store not in _built:
        from regiongraph import journal

        return journal.version(store, settings)
    return _followed.get(store, 0)


def mark_version(store: Store, settings: Settings, version: int) -> None:
    _followed[store] = version


def member_catalog_index(store: Store, settings: Settings, principal) -> CatalogIndex:
    """The catalog a principal harvests: a member tier's (the public datasets and those
    granted to the tier, shared ones carrying their agreements), kept per tier until the
    store version or the service's day moves; the public one for everyone else (the
    alliance steward included: the catalog is what is published)."""
    from regiongraph import membership

    tier = membership.tier_of(principal)
    if principal.alliance_steward or principal.person is None or not tier.pairs:
        return catalog_index(store, settings)
    key = membership.view_key(store, settings)
    kept = _member_indexes.get(store, {}).get(tier)
    if kept is not None and kept[0] == key:
        return kept[1]
    grants = membership.tier_grants(store, settings, tier)
    nodes = membership.member_nodes(store, settings, tier, membership.service_day(settings))
    token, changed = store_version(store, settings, date.fromisoformat(key[1]))
    tier_token = hashlib.sha256(f"{token}|{sorted(tier.pairs)}".encode()).hexdigest()[:32]
    index = build_index(store, settings, tier_token, changed, nodes=nodes, policies={
        d: frozenset(g.agreements) for d, g in grants.items() if g.agreements})
    _member_indexes.setdefault(store, {})[tier] = (key, index)
    return index


_member_indexes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def build_index(store: Store, settings: Settings, version: str,
                changed: datetime, *, nodes=None,
                policies: dict[str, frozenset[str]] | None = None) -> CatalogIndex:
    from regiongraph import visibility

    minter = Minter(settings.base)
    # public_nodes runs visibility's publishing rule once and keeps its answer in
    # `datasets` (the same set publishable_datasets returns); asking both would run the
    # rule twice, which at 100k datasets is the most expensive query of the index.
    public = nodes if nodes is not None else visibility.public_nodes(store, settings)
    allowed = {_iri_text(d) for d in public.datasets}
    rows = store.query(
        sparql_prefixes(["dcat", "dct", "rg"])
        + "SELECT ?d (SAMPLE(?c) AS ?community) (MAX(STR(?m)) AS ?modified) WHERE { "
        "?d a dcat:Dataset . OPTIONAL { ?d rg:community ?c } "
        "OPTIONAL { ?d dct:modified ?m } } GROUP BY ?d",
        union_default_graph=True,
    )
    entries = [_entry(minter, row) for row in rows if row["d"].value in allowed]
    from regiongraph.harvest.dedup import duplicates_to_skip

    twins = frozenset(duplicates_to_skip(store, allowed) & allowed)
    entries = [e for e in entries if e.iri not in twins]
    entries.sort(key=lambda e: e.iri)
    region, communities = _agents(store, settings)
    return CatalogIndex(version=version, last_modified=changed, entries=entries, region=region,
                        communities=communities, base=minter.base,
                        approvals_source=lambda: visibility.publishing_approvals(
                            store, settings),
                        public=public, twins=twins, policies=policies or {},
                        standards=Standards.read(store))


def _agents(store: Store, settings: Settings) -> tuple[Agent, dict[str, Agent]]:
    """The region and every community, named as the registry names them."""
    minter = Minter(settings.base)
    registry = minter.graph(REGISTRY_GRAPH)
    rows = store.query(
        sparql_prefixes(["rg", "rdfs", "skos", "foaf", "dct"])
        + "SELECT ?a ?kind (SAMPLE(?n) AS ?name) (SAMPLE(?h) AS ?home) WHERE { "
        "VALUES ?kind { rg:Region rg:Community rg:City rg:County rg:TribalNation "
        "rg:StateAgency rg:TransitAgency rg:SpecialDistrict } ?a a ?kind . "
        "OPTIONAL { ?a skos:prefLabel|foaf:name|rdfs:label ?n } "
        "OPTIONAL { ?a foaf:homepage ?h } } GROUP BY ?a ?kind",
        default_graph=[registry],
    )
    region: Agent | None = None
    communities: dict[str, Agent] = {}
    for row in rows:
        iri = row["a"].value
        name = row["name"].value if row["name"] else None
        home = row["home"].value if row["home"] else None
        if row["kind"] == RG.Region:
            if region is None or iri < region.iri:
                region = Agent(iri, name or iri, home)
            continue
        local = minter.local_id(iri, "community")
        if local is not None:
            kind = row["kind"].value.rsplit("#", 1)[-1]
            known = communities.get(local)
            if known is None:
                communities[local] = Agent(iri, name or local, home,
                                           None if kind == "Community" else kind)
            elif kind != "Community":
                known.kind = kind
    if region is None:
        region = Agent(minter.iri("region", "region").value, _host(settings.base))
    return region, communities


def _host(base: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(base).hostname or base


# ---------------------------------------------------------------------------------------
# records
# ---------------------------------------------------------------------------------------


def read_records(store: Store, iris: list[str],
                 visible: Callable[[str], bool] | None = None, *,
                 base: str) -> list[DatasetRecord]:
    """Read the datasets named (in that order); unknown IRIs are dropped.

    Identifiers come from `Minter.dataset_identifier` (under `base`), standards from
    `regiongraph.conformance`: the same answer every export, the search index and the
    dataset page give.

    `visible` says which IRIs a record may point at (`CatalogIndex.may_name`): a published
    dataset derived from a confidential one must not reveal that one's IRI, nor name an
    alliance IRI (a standard, an agent) the registry does not declare public.
    """
    if not iris:
        return []
    facts: dict[str, dict[str, dict[str, list]]] = defaultdict(lambda: defaultdict(
        lambda: defaultdict(list)))
    # Two plain lookups instead of one query with joins: the datasets' own triples, then
    # those of the nodes they link to. Both cost what the page holds, not the catalog.
    owner_of: dict[str, list[tuple[str, bool]]] = defaultdict(list)
    child = {p.value for p in CHILD_LINKS}
    named = {p.value for p in NAMED_LINKS}
    read_from: dict[str, set[str]] = defaultdict(set)
    for d, p, o, graph in _triples_of(store, iris):
        read_from[d].add(graph)
        bucket = facts[d][d][p]
        if o not in bucket:
            bucket.append(o)
        if isinstance(o, NamedNode) and (p in child or p in named):
            owner_of[o.value].append((d, p in child))
    naming = {p.value for p in (*LABELS, FOAF.homepage)}
    for s_, p, o, graph in _triples_of(store, sorted(owner_of)):
        for d, owned in owner_of[s_]:
            if owned or p in naming:
                read_from[d].add(graph)
                bucket = facts[d][s_][p]
                if o not in bucket:
                    bucket.append(o)
    minter = Minter(base)
    standards = conformance(store, [i for i in iris if i in facts])
    records = []
    for iri in iris:
        if iri in facts:
            record = _record(iri, facts[iri], minter.dataset_identifier(iri),
                             standards.get(iri, []))
            if record is not None:
                record.read_from = frozenset(read_from[iri])
                if visible is not None:
                    _keep_nameable(record, visible)
                records.append(record)
    return records


LOOKUP_BATCH = 400


def _triples_of(store: Store, subjects: list[str]):
    """(subject, predicate IRI, object, graph IRI) of every triple about `subjects` in every
    graph, the default graph named `journal.DEFAULT_GRAPH`."""
    names: dict[str, str] = {}  # one string per graph name, however many records read it
    for start in range(0, len(subjects), LOOKUP_BATCH):
        values = " ".join(f"<{NamedNode(i).value}>" for i in subjects[start:start + LOOKUP_BATCH])
        rows = store.query(f"SELECT ?s ?p ?o ?g WHERE {{ VALUES ?s {{ {values} }} "
                           "{ ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }")
        for row in rows:
            graph = row[3]
            name = DEFAULT_GRAPH if graph is None else names.setdefault(graph.value, graph.value)
            yield row[0].value, row[1].value, row[2], name


def _record(iri: str, nodes: dict[str, dict[str, list]], identifier: str,
            standards: list[Standard]) -> DatasetRecord | None:
    me = nodes[iri]

    def values(node: dict[str, list], prop: NamedNode) -> list[str]:
        return sorted({term.value for term in node.get(prop.value, [])})

    def first(node: dict[str, list], prop: NamedNode) -> str | None:
        found = values(node, prop)
        return found[0] if found else None

    def label(target: str) -> str | None:
        node = nodes.get(target, {})
        for prop in LABELS:
            found = first(node, prop)
            if found:
                return found
        return None

    title = first(me, DCT.term("title"))
    if title is None:
        return None
    record = DatasetRecord(iri=iri, identifier=identifier, title=title)
    record.description = first(me, DCT.description)
    record.keywords = values(me, DCAT.keyword)
    record.themes = [Named(t, label(t)) for t in values(me, DCAT.theme)]
    record.issued = first(me, DCT.issued)
    record.modified = _latest(values(me, DCT.modified))
    community = first(me, RG.community)
    if community:
        record.community = community.rstrip("/").rsplit("/", 1)[-1]
    publisher = first(me, DCT.publisher) or community
    if publisher:
        record.publisher = Agent(publisher, label(publisher) or publisher,
                                 first(nodes.get(publisher, {}), FOAF.homepage))
    contact_iri = first(me, DCAT.contactPoint)
    if contact_iri:
        node = nodes.get(contact_iri, {})
        email = first(node, VCARD.hasEmail)
        record.contact = Contact(first(node, VCARD.fn),
                                 email[7:] if email and email.startswith("mailto:") else email)
    levels = [access_level_name(v) for v in values(me, RG.accessLevel)]
    record.access_level = _most_restrictive([v for v in levels if v])
    record.license = first(me, DCT.license)
    record.rights = sorted({lbl for r in values(me, DCT.rights) if (lbl := label(r))})
    spatial = first(me, DCT.spatial)
    if spatial:
        node = nodes.get(spatial, {})
        record.spatial_label = first(node, SKOS.prefLabel) or first(node, LOCN.geographicName)
        record.spatial_bbox = first(node, DCAT.bbox)
    _coverage(record, nodes.get(first(me, GEO.hasGeometry) or "", {}))
    temporal = first(me, DCT.temporal)
    if temporal:
        node = nodes.get(temporal, {})
        record.temporal_start = first(node, DCAT.startDate)
        record.temporal_end = first(node, DCAT.endDate)
    record.landing_page = first(me, DCAT.landingPage)
    record.conforms_to = [Named(s.iri, s.label) for s in standards]
    record.languages = values(me, DCT.language)
    record.references = values(me, DCT.references)
    record.described_by = first(me, RDFS.seeAlso)
    record.accrual_periodicity = first(me, DCT.accrualPeriodicity)
    record.derived_from = values(me, PROV.wasDerivedFrom)
    for dist_iri in sorted(values(me, DCAT.distribution), key=_natural):
        node = nodes.get(dist_iri, {})
        media = first(node, DCAT.mediaType)
        if media and "/media-types/" in media:
            media = media.split("/media-types/", 1)[1]
        if media and not MEDIA_TYPE.match(media):
            media = None  # not an IANA media type (some catalogs put a file-type IRI here)
        fmt = first(node, DCT.term("format"))
        if fmt and fmt.startswith(FILE_TYPE):
            fmt = fmt[len(FILE_TYPE):]  # an EU file-type IRI: its code is the readable name
        record.distributions.append(Distribution(
            iri=dist_iri, title=first(node, DCT.term("title")),
            description=first(node, DCT.description),
            download_url=first(node, DCAT.downloadURL), access_url=first(node, DCAT.accessURL),
            media_type=media, format=fmt,
            conforms_to=values(node, DCT.conformsTo),
        ))
    return record


def _coverage(record: DatasetRecord, geometry_node: dict[str, list]) -> None:
    """The dataset's geometry, and its bounding box derived from it (one source of truth);
    a literal that does not read as CRS84 WKT leaves the record as the location said it."""
    from regiongraph.geo.geometry import GeometryError, envelope_wkt, from_wkt_literal, to_wkt

    for literal in geometry_node.get(GEO.asWKT.value, []):
        try:
            geometry = from_wkt_literal(literal.value)
        except GeometryError:
            continue
        record.spatial_wkt = to_wkt(geometry)
        record.spatial_bbox = envelope_wkt(geometry)
        return


def _keep_nameable(record: DatasetRecord, visible: Callable[[str], bool]) -> None:
    """Drop every link the asker may not see (the record's own sub-nodes stay)."""
    record.derived_from = [d for d in record.derived_from if visible(d)]
    record.conforms_to = [s for s in record.conforms_to if visible(s.iri)]
    record.themes = [t for t in record.themes if visible(t.iri)]
    record.references = [r for r in record.references if visible(r)]
    for name in ("license", "landing_page", "described_by", "accrual_periodicity"):
        value = getattr(record, name)
        if value is not None and not visible(value):
            setattr(record, name, None)
    if record.publisher is not None and not visible(record.publisher.iri):
        record.publisher = None
    for dist in record.distributions:
        dist.conforms_to = [s for s in dist.conforms_to if visible(s)]


RESTRICTIVENESS = ("public", "restricted", "internal", "confidential")


def _most_restrictive(levels: list[str]) -> str | None:
    """Several access levels stated: the most restrictive applies (the ontology says so)."""
    known = [lvl for lvl in levels if lvl in RESTRICTIVENESS]
    return max(known, key=RESTRICTIVENESS.index) if known else None


def _latest(values: list[str]) -> str | None:
    if not values:
        return None
    return max(values, key=lambda v: parse_time(v) or datetime.min.replace(tzinfo=UTC))


def _natural(iri: str) -> tuple:
    """`.../distribution/10` after `.../distribution/9`."""
    head, _, tail = iri.rpartition("/")
    return (head, int(tail) if tail.isdigit() else 0, tail)


def parse_time(text: str | None) -> datetime | None:
    """An ISO 8601 date, date-time or year as an aware UTC datetime; None if not one.

    >>> parse_time("2024-05-01")
    datetime.datetime(2024, 5, 1, 0, 0, tzinfo=datetime.timezone.utc)
    >>> parse_time("2024-05-01T10:00:00-07:00").hour
    17
    """
    if not text:
        return None
    value = text.strip()
    try:
        if len(value) == 4 and value.isdigit():
            return datetime(int(value), 1, 1, tzinfo=UTC)
        if len(value) == 10:
            parsed = date.fromisoformat(value)
            return datetime(parsed.year, parsed.month, parsed.day, tzinfo=UTC)
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T"))
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.astimezone(UTC)


def _iri_text(term: object) -> str:
    return term.value if isinstance(term, NamedNode) else str(term)
