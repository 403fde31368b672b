"""Stable IRIs minted from identifiers under one configurable base.

A harvester, a later harvest and a browser must find the same thing again, so no
blank node stands for anything with an identity: the IRI is a pure function of
(base, kind, identifiers). Identifiers that are not path-safe are slugged, and
long or URL-like ones hashed, so the same input always gives the same IRI.
"""

import hashlib
import re
from urllib.parse import quote

from pyoxigraph import NamedNode

_UNSAFE = re.compile(r"[^A-Za-z0-9._~-]+")
MAX_SLUG = 80

# Kinds of thing the registry and loaders mint IRIs for; the path segment is plural.
KINDS = {
    "community": "communities", "partner": "partners", "membership": "memberships",
    "person": "people", "role": "roles", "engagement": "engagements", "project": "projects",
    "strategy": "strategies", "approval": "approvals", "agreement": "agreements",
    "standard": "standards", "capability": "capabilities", "dataset": "datasets",
    "distribution": "distributions", "service": "services", "catalog": "catalogs",
    "activity": "activities", "job": "jobs", "run": "runs", "source": "sources",
    "report": "reports", "edge": "edges", "region": "regions", "contact": "contacts",
    "offer": "offers", "need": "needs", "change": "changes", "view": "views",
    "token": "tokens", "audit": "audit-records", "request": "requests",
    "decision": "decisions", "annotation": "annotations", "event": "events",
    "webhook": "webhooks", "delivery": "deliveries", "saved-search": "saved-searches",
}


def slug(identifier: str) -> str:
    """A path-safe, deterministic slug of an identifier.

    >>> slug("Traffic Counts 2024")
    'traffic-counts-2024'
    >>> slug("https://data.city.gov/api/views/abcd-1234") == slug("https://data.city.gov/api/views/abcd-1234")
    True
    """
    text = identifier.strip()
    cleaned = _UNSAFE.sub("-", text).strip("-").lower()
    if not cleaned or len(cleaned) > MAX_SLUG or "://" in text:
        digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]
        prefix = cleaned[:40].rstrip("-")
        return f"{prefix}-{digest}" if prefix else digest
    return cleaned


class Minter:
    """Mints IRIs under `base`; one per settings object."""

    def __init__(self, base: str) -> None:
        self.base = base if base.endswith("/") else base + "/"

    def iri(self, kind: str, *identifiers: str) -> NamedNode:
        segment = KINDS[kind]
        path = "/".join(slug(i) for i in identifiers)
        return NamedNode(f"{self.base}{segment}/{path}")

    def graph(self, *parts: str) -> NamedNode:
        """Named graphs: `graph("registry")`, `graph("source", "saguaro-datajson")`."""
        return NamedNode(self.base + "graph/" + "/".join(quote(p, safe="-_.~") for p in parts))

    def local_id(self, iri: str, kind: str) -> str | None:
        """The identifier path of an IRI minted for `kind`, or None if it is not one."""
        prefix = f"{self.base}{KINDS[kind]}/"
        return iri[len(prefix):] if iri.startswith(prefix) else None

    def dataset_identifier(self, iri: str) -> str:
        """The identifier every export gives a dataset: `<community>/<local id>`.

        A publisher's own identifiers repeat across communities (three `ada-ramps`), and
        harvesters key records by identifier, so each export names a dataset by the path
        of its IRI, which is unique and stable; an IRI not minted here is its own
        identifier. Harvested back under its community it mints the same IRI again
        (`LoadContext.dataset_iri`).

        >>> Minter("https://r.example/").dataset_identifier("https://r.example/datasets/a/b")
        'a/b'
        """
        return self.local_id(iri, "dataset") or iri


# Graphs that describe the data rather than hold it: the store's bookkeeping (reports,
# fingerprints, the harvest log, the journal, the kept public set). Never validated or
# reasoned over, never shown anonymously, listed by `stats` only with --all.
BOOKKEEPING_GRAPHS = ("reports", "meta", "harvest-log", "quality", "rules-state", "journal",
                      "public-set", "accounts", "audit", "events", "deliveries")
# Bookkeeping graphs no route ever shows, not even to the admin token: sign-in secrets.
SECRET_GRAPHS = ("accounts",)


def is_bookkeeping(base: str, graph: str) -> bool:
    """Whether the graph IRI `graph` is one of the store's bookkeeping graphs."""
    prefix = base + "graph/"
    return graph.startswith(prefix) and graph[len(prefix):].split("/")[0] in BOOKKEEPING_GRAPHS


# Named graphs with one job each.
REGISTRY_GRAPH = "registry"
ONTOLOGY_GRAPH = "ontology"
INFERENCE_GRAPH = "inference"
REPORTS_GRAPH = "reports"
MANUAL_GRAPH = "manual"
ACCOUNTS_GRAPH = "accounts"
AUDIT_GRAPH = "audit"
FORUM_GRAPH = "forum"
EVENTS_GRAPH = "events"
DELIVERIES_GRAPH = "deliveries"
META_GRAPH = "meta"
SOURCE_GRAPH = "source"
