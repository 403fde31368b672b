"""Which dataset identifiers the communities' own catalogs publish.

The registry names datasets as "community/identifier". Those names must point at records
the catalogs really hold, or approvals and lineage would silently cover nothing; so the
reader checks them against the catalog source files beside the registry
(`<registry>/../catalogs/<community>/`: DCAT-US `*.json` and DCAT `*.ttl`). When there is
no catalogs folder at all (a registry kept elsewhere), identifiers cannot be checked and
are accepted as written.
"""

import fnmatch
import json
from functools import cached_property
from pathlib import Path

from pyoxigraph import Literal, NamedNode, RdfFormat, parse

DCT_IDENTIFIER = NamedNode("http://purl.org/dc/terms/identifier")
RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
DCAT_DATASET = NamedNode("http://www.w3.org/ns/dcat#Dataset")


class CatalogIndex:
    def __init__(self, folder: Path | None) -> None:
        self.folder = folder if folder is not None and folder.is_dir() else None

    @property
    def checkable(self) -> bool:
        return self.folder is not None

    @cached_property
    def identifiers(self) -> dict[str, list[str]]:
        """community id → identifiers in catalog order (deduplicated)."""
        found: dict[str, list[str]] = {}
        if self.folder is None:
            return found
        for community_dir in sorted(p for p in self.folder.iterdir() if p.is_dir()):
            ids: dict[str, None] = {}
            for path in sorted(community_dir.rglob("*.json")):
                for identifier in _datajson_ids(path):
                    ids.setdefault(identifier, None)
            for path in sorted(community_dir.rglob("*.ttl")):
                for identifier in _turtle_ids(path):
                    ids.setdefault(identifier, None)
            found[community_dir.name] = list(ids)
        return found

    def has_catalog(self, community: str) -> bool:
        return community in self.identifiers

    def expand(self, community: str, pattern: str) -> list[str]:
        """Identifiers of `community` matching `pattern` (a glob when it has * ? or [)."""
        known = self.identifiers.get(community, [])
        if any(ch in pattern for ch in "*?["):
            return [i for i in known if fnmatch.fnmatchcase(i, pattern)]
        return [pattern] if pattern in set(known) else []


def _datajson_ids(path: Path) -> list[str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    records = data.get("dataset", []) if isinstance(data, dict) else data
    if not isinstance(records, list):
        return []
    return [str(r["identifier"]).strip() for r in records
            if isinstance(r, dict) and isinstance(r.get("identifier"), (str, int))
            and str(r["identifier"]).strip()]


def _turtle_ids(path: Path) -> list[str]:
    try:
        with path.open("rb") as stream:
            triples = list(parse(stream, RdfFormat.TURTLE, base_iri=path.resolve().as_uri()))
    except (OSError, SyntaxError, ValueError):
        return []
    datasets = {t.subject for t in triples if t.predicate == RDF_TYPE and t.object == DCAT_DATASET}
    return [t.object.value for t in triples
            if t.predicate == DCT_IDENTIFIER and t.subject in datasets
            and isinstance(t.object, Literal)]
