"""Harvesting members' catalogs: sources file, HTTP, loaders, atomic replace, reports.

`read_sources(path)` reads a sources file; `harvest_sources(store, settings, sources)`
yields one `HarvestReport` per source, whose `written_graphs` tells the pipeline which
graphs changed (for the after-change hooks). The CLI (`regiongraph harvest`) and the
API (`POST /harvest/{source}`) are thin layers over these two calls.
"""

from regiongraph.harvest.config import SourceConfig, SourcesError, one_source, read_sources
from regiongraph.harvest.dedup import duplicates_to_skip
from regiongraph.harvest.engine import harvest_source, harvest_sources
from regiongraph.harvest.fetch import Fetcher, FetchError, FetchPolicy
from regiongraph.harvest.report import HarvestReport, RecordError, history, last_report

__all__ = [
    "FetchError",
    "FetchPolicy",
    "Fetcher",
    "HarvestReport",
    "RecordError",
    "SourceConfig",
    "SourcesError",
    "duplicates_to_skip",
    "harvest_source",
    "harvest_sources",
    "history",
    "last_report",
    "one_source",
    "read_sources",
]
