"""Writing catalogs: the demo region's source catalogs and synthetic regions of any size.

`records` holds the one dataset model and its two writers (DCAT-US 1.1 `data.json`,
DCAT 3 Turtle); `synthetic` builds a deterministic region of N datasets for benchmarks
and scale tests (`regiongraph generate`).
"""

from regiongraph.generate.records import (
    DOMAINS,
    STANDARDS,
    DatasetRecord,
    Distribution,
    TurtleCatalog,
    datajson_catalog,
    datajson_record,
    turtle_catalog,
)

__all__ = [
    "DOMAINS", "STANDARDS", "DatasetRecord", "Distribution", "TurtleCatalog",
    "datajson_catalog", "datajson_record", "turtle_catalog",
]
