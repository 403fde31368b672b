"""Exports of the region's public catalog: one model, one profile per standard.

`model.DatasetRecord` is what every profile maps; `serializer` holds the plumbing
(formats, paging, prefixes, streaming); the profiles only map:

- `dcat-ap-3`   DCAT-AP 3.0.1 RDF             (`regiongraph.exports.dcat_ap3`)
- `dcat-us-1.1` DCAT-US 1.1 data.json          (`regiongraph.exports.dcat_us`)
- `schema.org`  schema.org Dataset JSON-LD     (`regiongraph.exports.schema_org`)

Profiles are found by name (with the short aliases the CLI uses) and imported on first
use, rdflib-plugin style, so `regiongraph --help` imports none of them.
"""

from importlib import import_module
from types import ModuleType

from regiongraph.errors import RegiongraphError

PROFILES = {
    "dcat-ap-3": "regiongraph.exports.dcat_ap3",
    "dcat-us-1.1": "regiongraph.exports.dcat_us",
    "schema.org": "regiongraph.exports.schema_org",
}
ALIASES = {
    "dcat": "dcat-ap-3", "dcat-ap": "dcat-ap-3", "dcatap3": "dcat-ap-3",
    "datajson": "dcat-us-1.1", "data.json": "dcat-us-1.1", "dcat-us": "dcat-us-1.1",
    "schemaorg": "schema.org",
}


class UnknownProfileError(RegiongraphError, KeyError):
    """An export profile name nobody registered; the message lists the valid ones."""

    def __str__(self) -> str:
        return str(self.args[0])


def profile_names() -> list[str]:
    return sorted(PROFILES)


def get_profile(name: str) -> ModuleType:
    """The profile module called `name` (or one of its aliases)."""
    key = ALIASES.get(name.lower(), name.lower())
    if key not in PROFILES:
        valid = ", ".join(profile_names() + sorted(ALIASES))
        raise UnknownProfileError(f"unknown export profile {name!r}; valid: {valid}")
    return import_module(PROFILES[key])


__all__ = ["ALIASES", "PROFILES", "UnknownProfileError", "get_profile", "profile_names"]
