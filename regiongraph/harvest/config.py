"""The sources file: which catalogs a region harvests, as a steward writes it once.

```yaml
sources:
  - id: saguaro-datajson          # names the source graph: {base}graph/source/saguaro-datajson
    community: saguaro            # a registry community; dataset IRIs are minted under it
    type: datajson                # datajson|ckan|socrata|arcgis|dcat|spreadsheet|openlineage
    path: catalogs/saguaro/data.json   # relative to this file; or `url: https://...`
    options: {}                   # passed to the loader (column mapping, page size, ...)
    auth_env: SAGUARO_TOKEN       # optional: a variable holding "Header: value" (or a token)
```

A bad file is refused as a whole with its line: `sources.yaml:12: unknown type 'csv'`.
"""

import os
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field

from regiongraph.errors import RegiongraphError

SOURCE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


class SourcesError(RegiongraphError):
    """The sources file is wrong; nothing was harvested."""


class SourceConfig(BaseModel):
    id: str
    community: str
    type: str
    url: str | None = None
    path: Path | None = None
    title: str | None = None
    options: dict[str, Any] = Field(default_factory=dict)
    auth_env: str | None = None

    @property
    def location(self) -> str:
        return self.url if self.url else str(self.path)

    @property
    def is_remote(self) -> bool:
        return self.url is not None

    def auth_headers(self) -> dict[str, str]:
        """The auth header named by `auth_env`; an unset variable is an error, not silence."""
        if not self.auth_env:
            return {}
        value = os.environ.get(self.auth_env)
        if value is None:
            raise SourcesError(f"source {self.id!r}: environment variable {self.auth_env} "
                               "(its auth header) is not set")
        name, sep, rest = value.partition(":")
        if sep and re.match(r"^[A-Za-z0-9-]+$", name):
            return {name.strip(): rest.strip()}
        return {"Authorization": value.strip()}


def one_source(location: str, *, type: str, community: str, source_id: str | None = None,
               options: dict[str, Any] | None = None) -> SourceConfig:
    """A one-off source from the command line: a URL or a path."""
    from regiongraph.iri import slug
    from regiongraph.loaders import UnknownLoaderError, get_loader

    try:
        get_loader(type)
    except UnknownLoaderError as error:
        raise SourcesError(str(error)) from None
    remote = location.startswith(("http://", "https://"))
    if not remote and not Path(location).exists():
        raise SourcesError(f"{location}: no such file")
    from urllib.parse import urlparse

    parsed = urlparse(location) if remote else None
    name = Path(parsed.path).stem or parsed.netloc if parsed else Path(location).stem
    ident = source_id or f"{community}-{slug(name)[:40]}".strip("-")
    return SourceConfig(id=ident, community=community, type=type,
                        url=location if remote else None,
                        path=None if remote else Path(location).resolve(),
                        options=options or {})


def read_sources(path: Path) -> list[SourceConfig]:
    """Read and check a sources file; paths in it are relative to the file."""
    from regiongraph.loaders import loader_names

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SourcesError(f"{path}: cannot read: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise SourcesError(f"{path}: not UTF-8 text") from None
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise SourcesError(f"{path.name}{line}: not valid YAML: "
                           f"{getattr(error, 'problem', None) or error}") from None
    items, nodes = _items(data, root, path)
    known = loader_names()
    found: list[SourceConfig] = []
    seen: dict[str, int] = {}
    for item, node in zip(items, nodes):
        line = node.start_mark.line + 1 if node is not None else 0
        where = f"{path.name}:{line}"
        if not isinstance(item, dict):
            raise SourcesError(f"{where}: each source is a mapping with id, community, type")
        for key in ("id", "community", "type"):
            if not isinstance(item.get(key), str) or not item.get(key):
                raise SourcesError(f"{where}: source needs '{key}'")
        if not SOURCE_ID.match(item["id"]):
            raise SourcesError(f"{where}: source id {item['id']!r} may use letters, digits, "
                               ". _ - only")
        if item["id"] in seen:
            raise SourcesError(f"{where}: source id {item['id']!r} already used on line "
                               f"{seen[item['id']]}")
        seen[item["id"]] = line
        if item["type"] not in known:
            raise SourcesError(f"{where}: unknown type {item['type']!r}; expected one of "
                               f"{', '.join(known)}")
        if bool(item.get("url")) == bool(item.get("path")):
            raise SourcesError(f"{where}: source {item['id']!r} needs exactly one of url, path")
        unknown = set(item) - set(SourceConfig.model_fields)
        if unknown:
            raise SourcesError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        if item.get("options") is not None and not isinstance(item["options"], dict):
            raise SourcesError(f"{where}: options must be a mapping")
        values = dict(item)
        if values.get("path"):
            values["path"] = (path.parent / str(values["path"])).resolve()
        if values.get("url") and not str(values["url"]).startswith(("http://", "https://")):
            raise SourcesError(f"{where}: url must be http(s); use path: for files")
        values["options"] = values.get("options") or {}
        found.append(SourceConfig(**values))
    return found


def _items(data: Any, root: Any, path: Path) -> tuple[list, list]:
    if data is None:
        return [], []
    if isinstance(data, dict) and "sources" in data:
        items = data["sources"] or []
        node = next((v for k, v in root.value if k.value == "sources"), None)
    else:
        items, node = data, root
    if not isinstance(items, list):
        raise SourcesError(f"{path.name}:1: expected a list of sources (or 'sources:' list)")
    nodes = list(node.value) if node is not None and isinstance(node.value, list) else []
    return items, nodes + [None] * (len(items) - len(nodes))
