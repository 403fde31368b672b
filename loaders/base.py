"""What every loader shares: the record it yields, the errors it raises, its context.

A loader turns one source document (or a chain of API pages) into `Record`s. It
knows the format and nothing of the store: the harvest decides what to write.
Two kinds of failure are kept apart, because they lead to different outcomes:

- `SourceError`: the source cannot be read at all (truncated JSON, the wrong
  top-level type, a Turtle syntax error). The harvest stops and changes nothing.
- `Issue`: one record, or one field of it, is wrong. The record is skipped (when
  it has no identity) or loaded with a warning; the other records go on.
"""

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pyoxigraph import NamedNode, RdfFormat, Triple, serialize

from regiongraph.iri import Minter
from regiongraph.limits import DEFAULT_MAX_JSON_DEPTH, LimitExceeded, check_json_depth

Severity = Literal["error", "warning"]


class SourceError(Exception):
    """The source as a whole is unreadable; the message says what and where."""


class RefusedURL(SourceError):
    """A URL that is not fetched: not http(s), or an address the harvest may not reach.

    Raised for the source's own URL (the harvest fails) and for a link found in what a
    portal sent (a paging link, a redirect): the loader reports it and stops paging.
    """


def link_url(page_location: str, link: str) -> str:
    """A link a page gives, resolved against the page's own URL (a file's `file:` URI).

    A portal's `/some/dir/records.json` is a path on the portal, never on this disk;
    whatever the result, the page fetch reads only http(s) URLs.
    """
    from pathlib import Path
    from urllib.parse import urljoin

    base = page_location if page_location.startswith(("http://", "https://")) else \
        Path(page_location).resolve().as_uri()
    return urljoin(base, link.strip())


@dataclass(frozen=True)
class Issue:
    """One problem with one record (or the source when `record` is None)."""

    message: str
    record: str | None = None
    field: str | None = None
    severity: Severity = "error"


@dataclass
class Record:
    """One dataset (or lineage run) as a loader read it.

    `key` is the source's own identifier, the thing a later harvest must find again
    to tell created, updated, unchanged and removed apart. `skipped` holds the reason
    when the record cannot be loaded (no identifier, no title, a duplicate key); its
    triples are then empty. `digest` is computed from the triples, so two harvests of
    the same content give the same digest whatever the source's key order.
    """

    key: str
    iri: NamedNode | None = None
    triples: list[Triple] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    skipped: str | None = None
    landing_page: str | None = None
    identifier: str | None = None
    source_iri: str | None = None
    """The record's own IRI at the source (its `@id` or API URL), kept as evidence."""
    unchanged: bool = False
    """The loader found the record's digest equal to the stored one (`LoadContext.known`)
    and did not map it: no triples, and nothing to rewrite."""
    _digest: str | None = None

    @property
    def ntriples(self) -> bytes:
        return serialize(self.triples, format=RdfFormat.N_TRIPLES) if self.triples else b""

    @property
    def digest(self) -> str:
        if self._digest is None:
            self._digest = hashlib.sha256(self.ntriples).hexdigest()
        return self._digest


@dataclass
class Fetched:
    """One document read from a URL or a file, with what conditional GET needs."""

    location: str
    content: bytes
    status: int = 200
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    def check_depth(self, limit: int) -> None:
        """Refuse a JSON (or JSON-LD) document nested deeper than `limit`, before a parser
        that recurses sees it (see `regiongraph.limits`)."""
        try:
            check_json_depth(self.content, limit, self.location)
        except LimitExceeded as error:
            raise SourceError(str(error)) from None

    def json(self, max_depth: int) -> Any:
        """Parse JSON, with an error that names the location and the line."""
        import json

        self.check_depth(max_depth)

        try:
            text = self.content.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise SourceError(
                f"{self.location}: not UTF-8 text (byte {error.start}: "
                f"{self.content[error.start:error.start + 1]!r})"
            ) from None
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise SourceError(
                f"{self.location}: invalid JSON at line {error.lineno}, column {error.colno}: "
                f"{error.msg}"
            ) from None


def refused_page(error: RefusedURL, page: str, kept: str) -> Issue:
    """What a paging loader reports when the next page is refused; paging stops there."""
    return Issue(f"{page}: next page refused: {error}; kept {kept} read before it, the rest "
                 "was not read", field="next")


class Fetch(Protocol):
    """How a paging loader asks for the next page: http(s) only, never the file system.

    It raises `RefusedURL` for a URL (or a redirect) the harvest may not follow.
    """

    def __call__(self, location: str, *, params: dict[str, str] | None = None) -> Fetched: ...


@dataclass
class LoadContext:
    """What a loader may know: where IRIs go, whose catalog this is, its options."""

    minter: Minter
    community: str
    source_id: str
    options: dict[str, Any] = field(default_factory=dict)
    fetch: Fetch | None = None
    say: Callable[[str], None] = lambda _message: None
    standards: dict[str, str] = field(default_factory=dict)
    """Registry standards: normalised homepage → standard IRI (for conformance checks)."""
    known: dict[str, str] = field(default_factory=dict)
    """Digests the store holds, by record key: a loader that can hash a raw record may skip
    mapping the unchanged ones (and yield them with `unchanged=True`)."""
    salt: str = ""
    """Mixed into raw-record digests: the harvest's configuration and mapping version."""
    max_json_depth: int = DEFAULT_MAX_JSON_DEPTH
    """Deepest JSON a document may nest (`Settings.max_json_depth`)."""
    places: dict[str, str] = field(default_factory=dict)
    """The region's own places: `geometry.place_key(name)` → the feature's IRI (a
    community, a partner's service area), which place names in `spatial` resolve to."""

    def dataset_iri(self, identifier: str) -> NamedNode:
        """`{base}datasets/<community>/<identifier>`; an identifier already qualified by
        this community (`saguaro/ada-ramps`, as the region's exports write them) is not
        qualified twice, so a catalog harvested back lands on the IRIs it came from."""
        own = identifier.removeprefix(f"{self.community}/")
        return self.minter.iri("dataset", self.community, own or identifier)


class Loader(Protocol):
    """A source format. `records` may call `context.fetch` for further pages.

    It yields a `Record` per dataset (or run), and bare `Issue`s for notes about the
    source as a whole; it raises `SourceError` when the source cannot be read at all.
    """

    name: str
    description: str

    def records(self, first: Fetched, context: LoadContext) -> "Iterator[Record | Issue]": ...


class Terms:
    """A namespace whose terms are built once: `Terms(DCAT).title` is a cached NamedNode.

    Loaders map hundreds of thousands of records; building the same NamedNode a million
    times was a tenth of a harvest's time.
    """

    def __init__(self, namespace: str) -> None:
        self._namespace = namespace

    def __getattr__(self, name: str) -> NamedNode:
        if name.startswith("__"):
            raise AttributeError(name)
        node = NamedNode(self._namespace + name)
        setattr(self, name, node)
        return node

    def term(self, name: str) -> NamedNode:
        return getattr(self, name)
