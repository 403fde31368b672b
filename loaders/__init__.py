"""Source formats, found by name (rdflib's plugin registry, in small).

Each entry names a module and a class, imported on first use, so `regiongraph --help`
never pays for openpyxl or jsonschema. The bundled formats register exactly as a
third-party one would: add a line to `LOADERS` (or call `register`).
"""

from importlib import import_module

from regiongraph.loaders.base import (
    Fetched,
    Issue,
    LoadContext,
    Loader,
    Record,
    RefusedURL,
    SourceError,
)

LOADERS: dict[str, str] = {
    "datajson": "regiongraph.loaders.datajson:DataJsonLoader",
    "ckan": "regiongraph.loaders.ckan:CkanLoader",
    "socrata": "regiongraph.loaders.socrata:SocrataLoader",
    "arcgis": "regiongraph.loaders.arcgis:ArcGisLoader",
    "dcat": "regiongraph.loaders.dcat:DcatLoader",
    "spreadsheet": "regiongraph.loaders.spreadsheet:SpreadsheetLoader",
    "openlineage": "regiongraph.loaders.openlineage:OpenLineageLoader",
}


class UnknownLoaderError(ValueError):
    """A source type nobody registered; the message lists the valid ones."""


def register(name: str, target: str) -> None:
    """Add a format: `register("mine", "package.module:LoaderClass")`."""
    LOADERS[name] = target


def loader_names() -> list[str]:
    return sorted(LOADERS)


def get_loader(name: str, **options: object) -> Loader:
    """An instance of the loader registered as `name`."""
    target = LOADERS.get(name)
    if target is None:
        raise UnknownLoaderError(
            f"unknown source type {name!r}; expected one of {', '.join(loader_names())}"
        )
    module_name, class_name = target.split(":")
    return getattr(import_module(module_name), class_name)(**options)


__all__ = [
    "Fetched", "Issue", "LoadContext", "Loader", "Record", "RefusedURL", "SourceError",
    "UnknownLoaderError",
    "get_loader", "loader_names", "register",
]
