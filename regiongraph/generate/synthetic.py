"""A synthetic region of any size, for benchmarks and scale tests (`regiongraph generate`).

Why synthetic and not the demo repeated: benchmarks at 1k, 10k and 100k datasets need
catalogs shaped like the real ones (DCAT-US `data.json` for most members, DCAT 3 Turtle for
some, near-duplicate datasets across communities, standards claimed by some and not
others, a share of non-public records) but far larger than anyone would hand-write.

The same (datasets, seed) always gives byte-identical files: one `random.Random(seed)`
drives every choice in a fixed order, nothing reads the clock, and the writers in
`records` sort whatever has no natural order. A record is about 35 triples once loaded.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field
from pathlib import Path

from regiongraph.generate.records import (
    DOMAINS,
    LICENSES,
    STANDARDS,
    DatasetRecord,
    Distribution,
    TurtleCatalog,
    datajson_catalog,
    turtle_catalog,
)
from regiongraph.generate.registry import DatasetRef, MemberRef, write_registry

# kind of community -> (name pattern, weight); patterns take a generated place name.
COMMUNITY_KINDS = (
    ("city", "City of {}", 10),
    ("county", "{} County", 3),
    ("transit agency", "{} Transit Authority", 1),
    ("tribal nation", "{} Nation", 1),
    ("state agency", "{} Department of Transportation", 1),
    ("special district", "{} Water Conservation District", 1),
)
_SYLLABLES = ("sa", "gua", "ro", "mes", "qui", "te", "pa", "lo", "ver", "de", "oco", "ti",
              "cho", "lla", "a", "ga", "ve", "yu", "ma", "co", "ron", "ta", "na", "ri", "zo",
              "san", "pe", "dro", "la", "mar", "si", "er", "ra", "ca", "sa", "bel")

# Topics: (slug, title, domains, standard key or None, distribution kinds, keywords).
TOPICS: tuple[tuple[str, str, tuple[str, ...], str | None, tuple[str, ...], tuple[str, ...]],
              ...] = (
    ("traffic-counts", "Traffic Counts", ("transportation", "traffic"), "tmg",
     ("csv", "geojson"), ("traffic", "counts", "volume", "roads")),
    ("work-zones", "Work Zones", ("transportation",), "wzdx", ("geojson",),
     ("work zones", "road work", "lane closures", "construction")),
    ("transit-schedule", "Transit Schedule", ("transportation", "transit"), "gtfs", ("zip",),
     ("transit", "bus", "schedules", "stops")),
    ("vehicle-positions", "Vehicle Positions", ("transportation", "transit"), "gtfs-rt",
     ("protobuf",), ("transit", "real-time", "vehicles", "bus")),
    ("shared-mobility-feed", "Shared Mobility Feed", ("micromobility",), "gbfs", ("json",),
     ("micromobility", "scooters", "bike share", "real-time")),
    ("scooter-trips", "Scooter Trips", ("micromobility",), "mds", ("api",),
     ("micromobility", "trips", "scooters", "e-bikes")),
    ("curb-zones", "Curb Zones", ("transportation", "parking"), "cds", ("api", "geojson"),
     ("curb", "loading zones", "parking", "curb management")),
    ("streetlight-outages", "Streetlight Outages", ("street-lighting",), "sensorthings",
     ("csv", "api"), ("streetlights", "outages", "street lighting", "repairs")),
    ("streetlight-inventory", "Streetlight Inventory", ("street-lighting",), "fiware",
     ("geojson", "csv"), ("streetlights", "LED", "poles", "inventory")),
    ("recycling-tonnage", "Recycling Tonnage", ("recycling",), None, ("csv", "xlsx"),
     ("recycling", "solid waste", "tonnage", "diversion")),
    ("contamination-audits", "Contamination Audits", ("recycling",), None, ("csv",),
     ("recycling", "contamination", "audits", "curbside")),
    ("traffic-crashes", "Traffic Crashes", ("pedestrian-safety", "transportation"), "mmucc",
     ("csv", "geojson"), ("crashes", "collisions", "traffic safety", "injuries")),
    ("sidewalks", "Sidewalk Network", ("pedestrian-safety",), "opensidewalks", ("geojson",),
     ("sidewalks", "pedestrians", "accessibility", "curb ramps")),
    ("water-use", "Water Use", ("water-conservation",), None, ("csv",),
     ("water use", "consumption", "water conservation", "gallons")),
    ("meter-reads", "Water Meter Reads", ("water-conservation",), "waterml", ("xml",),
     ("water meters", "smart meters", "consumption", "personal data")),
    ("well-levels", "Well Levels", ("water-conservation", "environment"), "waterml",
     ("xml", "csv"), ("groundwater", "wells", "aquifer", "water levels")),
    ("shelter-beds", "Shelter Beds", ("homelessness",), None, ("csv", "api"),
     ("shelter", "beds", "homelessness", "availability")),
    ("services-directory", "Services Directory", ("homelessness",), "hsds", ("api", "zip"),
     ("homeless services", "social services", "directory", "referrals")),
    ("shelter-intake", "Shelter Intake", ("homelessness",), "hmis", ("csv",),
     ("shelter", "intake", "clients", "personal data")),
    ("graffiti-reports", "Graffiti Reports", ("vandalism",), None, ("csv",),
     ("graffiti", "vandalism", "abatement", "service requests")),
    ("service-requests", "Service Requests", ("digital-services",), "open311", ("api", "csv"),
     ("311", "service requests", "potholes", "streetlights")),
    ("website-analytics", "Website Analytics", ("digital-services",), None, ("csv",),
     ("website", "analytics", "page views", "digital services")),
    ("calls-for-service", "Calls for Service", ("public-safety",), None, ("csv",),
     ("calls for service", "police", "response times", "dispatch")),
    ("crime-incidents", "Crime Incidents", ("public-safety",), "nibrs", ("csv", "api"),
     ("crime", "police", "incidents", "offenses")),
    ("building-permits", "Building Permits", ("permitting",), "blds", ("csv", "api"),
     ("permits", "building permits", "construction", "development")),
    ("code-violations", "Code Violations", ("permitting", "vandalism"), None, ("csv",),
     ("code enforcement", "violations", "property maintenance", "blight")),
    ("air-quality", "Air Quality Sensors", ("environment", "air-quality"), "sensorthings",
     ("api",), ("air quality", "PM2.5", "ozone", "sensors")),
    ("tree-canopy", "Tree Canopy", ("environment",), None, ("geojson", "shp"),
     ("trees", "canopy", "urban forest", "heat")),
    ("heat-island", "Heat Island", ("environment",), "geojson", ("geojson",),
     ("heat", "temperature", "urban heat island", "climate")),
    ("diversion-indicators", "Diversion Indicators", ("recycling", "environment"), "iso37120",
     ("csv",), ("landfill", "diversion", "indicators", "recycling")),
)
_QUALIFIERS = ("", "", "Monthly", "Daily", "Historical", "Citywide", "District", "Annual",
               "Real-Time", "Summary of")
_FREQUENCIES = ("R/P1D", "R/P1W", "R/P1M", "R/P3M", "R/P1Y", "irregular", "R/PT1H")


@dataclass
class SyntheticCommunity:
    id: str
    name: str
    kind: str
    host: str
    format: str
    datasets: int
    cell: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    """Its boundary (W, S, E, N): members tile the region, each in one grid cell."""
    records: list[DatasetRecord] = field(default_factory=list)

    @property
    def boundary(self) -> str:
        west, south, east, north = self.cell
        return (f"POLYGON(({west} {south}, {east} {south}, {east} {north}, {west} {north}, "
                f"{west} {south}))")

    @property
    def file(self) -> str:
        return f"catalogs/{self.id}/{'data.json' if self.format == 'datajson' else 'catalog.ttl'}"


@dataclass(frozen=True)
class GenerateSummary:
    out: Path
    datasets: int
    seed: int
    communities: list[dict]
    files: list[str]


def community_count(datasets: int) -> int:
    """Grow the number of members slowly with the catalog size, as real regions do."""
    return max(4, min(200, round(math.sqrt(max(datasets, 1)) / 2)))


def _place(rng: random.Random, used: set[str]) -> str:
    while True:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
        if word not in used and len(word) >= 4:
            used.add(word)
            return word


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """Split `total` datasets over `parts` members, a few large and many small (Zipf-like)."""
    weights = [1.0 / (i + 1) ** 0.7 for i in range(parts)]
    rng.shuffle(weights)
    scale = total / sum(weights)
    exact = [w * scale for w in weights]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(parts), key=lambda i: (-(exact[i] - counts[i]), i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


CELL = 0.1
"""Degrees per member's grid cell; the grid starts at ORIGIN (west, south)."""
ORIGIN = (-112.5, 31.0)


def _cell(index: int, count: int) -> tuple[float, float, float, float]:
    """Member `index`'s cell of a square grid of `count` members: neighbours touch, none
    overlap (like cities in a county)."""
    columns = math.ceil(math.sqrt(count))
    west = round(ORIGIN[0] + (index % columns) * CELL, 6)
    south = round(ORIGIN[1] + (index // columns) * CELL, 6)
    return west, south, round(west + CELL, 6), round(south + CELL, 6)


def _coverage(community: SyntheticCommunity, n: int) -> str:
    """A dataset's bbox `W,S,E,N` inside its member's cell (a Turtle catalog names the
    member instead, as the demo's do). Its own random stream, so the catalogs' records
    are the ones a seed always gave."""
    if community.format == "ttl":
        return community.name
    rng = random.Random(f"{community.id}/{n}")
    west, south, east, north = community.cell
    width, height = rng.uniform(0.005, east - west), rng.uniform(0.005, north - south)
    x, y = rng.uniform(west, east - width), rng.uniform(south, north - height)
    return f"{x:.5f},{y:.5f},{min(x + width, east):.5f},{min(y + height, north):.5f}"


def _communities(datasets: int, rng: random.Random) -> list[SyntheticCommunity]:
    n = community_count(datasets)
    kinds = [k for k, _, w in COMMUNITY_KINDS for _ in range(w)]
    used: set[str] = set()
    out = []
    for i, count in enumerate(_split(datasets, n, rng)):
        kind = kinds[i % len(kinds)] if i < len(kinds) else rng.choice(kinds)
        place = _place(rng, used)
        pattern = next(p for k, p, _ in COMMUNITY_KINDS if k == kind)
        name = pattern.format(place)
        ident = name.lower().replace(" ", "-")
        fmt = "ttl" if i % 4 == 3 else "datajson"
        out.append(SyntheticCommunity(ident, name, kind, f"{ident}.example", fmt, count,
                                      _cell(i, n)))
    return out


def _record(rng: random.Random, community: SyntheticCommunity, n: int) -> DatasetRecord:
    slug, title, domains, standard, dists, keywords = rng.choice(TOPICS)
    # About half the communities publishing a topic claim its standard: adoption gaps.
    claims = standard is not None and rng.random() < 0.55
    qualifier = rng.choice(_QUALIFIERS)
    identifier = f"{slug}-{n:05d}"
    full_title = f"{qualifier} {title}".strip() + f" ({n})"
    roll = rng.random()
    access = "public" if roll < 0.88 else ("restricted public" if roll < 0.95 else "non-public")
    if "personal data" in keywords:
        access = "non-public"
    year = rng.randint(2012, 2024)
    modified = f"{rng.randint(max(year, 2019), 2026):04d}-{rng.randint(1, 12):02d}-" \
               f"{rng.randint(1, 28):02d}"
    issued = f"{year:04d}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    issued = min(issued, modified)
    standard_uri = STANDARDS[standard][0] if claims and standard else None
    base = f"https://data.{community.host}"
    distributions = []
    for kind in dists:
        url = (f"{base}/datasets/{identifier}/download.{kind}" if kind not in ("api", "protobuf")
               else f"{base}/api/v1/datasets/{identifier}")
        distributions.append(Distribution(title=f"{kind.upper()} distribution", kind=kind,
                                          url=url, conforms_to=standard_uri))
    extra = rng.sample(("open data", "performance", "equity", "planning", "operations",
                        "maintenance", "public", "monthly report"), 1)
    return DatasetRecord(
        identifier=identifier,
        title=full_title,
        description=f"{full_title} published by the {community.name}, covering {year} to "
                    f"{modified[:4]}. Updated {_describe(rng)}; fields documented on the "
                    "landing page.",
        keywords=tuple(dict.fromkeys((*keywords[:3], *extra))),
        domains=domains,
        publisher=community.name,
        parent_organization=None,
        contact_name=f"{community.name} Open Data Team",
        contact_email=f"opendata@{community.host}",
        modified=modified,
        issued=issued,
        access_level=access,
        license=None if access == "non-public" else rng.choice(tuple(LICENSES.values())),
        rights=None if access == "public" else "Access limited to authorized staff and "
        "partners under a data-sharing agreement.",
        spatial=_coverage(community, n),
        temporal=f"{year}-01-01/{modified}",
        periodicity=rng.choice(_FREQUENCIES),
        landing_page=f"{base}/datasets/{identifier}",
        conforms_to=standard_uri,
        distributions=tuple(distributions),
    )


def _describe(rng: random.Random) -> str:
    return rng.choice(("daily", "weekly", "monthly", "quarterly", "as records change"))


def generate_region(out: Path, *, datasets: int, seed: int) -> GenerateSummary:
    """Write a synthetic region of exactly `datasets` datasets under `out`.

    Layout: `catalogs/<community>/data.json` (three in four members) or `catalog.ttl`;
    `registry/*.yaml` in the stewards' format (communities, people, projects, approvals,
    agreements, standards, lineage jobs); `sources.yaml` naming each catalog as a harvest
    source (so `regiongraph load OUT` loads the whole region); and `region.json` listing
    the members, their kind, catalog file, format and dataset count.
    """
    if datasets < 1:
        raise ValueError("--datasets must be at least 1")
    rng = random.Random(seed)
    communities = _communities(datasets, rng)
    for community in communities:
        community.records = [_record(rng, community, n) for n in range(1, community.datasets + 1)]
    files = []
    refs: list[DatasetRef] = []
    for community in communities:
        path = out / community.file
        path.parent.mkdir(parents=True, exist_ok=True)
        if community.format == "datajson":
            text = datajson_catalog(community.records, f"https://data.{community.host}/data.json")
        else:
            text = turtle_catalog(
                TurtleCatalog(
                    base=f"https://data.{community.host}/",
                    title=f"{community.name} Open Data",
                    description=f"Datasets published by the {community.name}.",
                    publisher_name=community.name,
                    homepage=f"https://data.{community.host}/",
                    modified="2026-11-01",
                ),
                community.records,
            )
        path.write_text(text, encoding="utf-8")
        files.append(community.file)
        refs.extend(DatasetRef(community.id, r.identifier, r.domains,
                               public=r.access_level == "public") for r in community.records)
        community.records = []  # free memory as we go: 100k records stay cheap
    manifest = [
        {"id": c.id, "name": c.name, "kind": c.kind, "file": c.file,
         "format": "dcat-us-1.1" if c.format == "datajson" else "dcat-turtle",
         "datasets": c.datasets}
        for c in communities
    ]
    (out / "region.json").write_text(
        json.dumps({"datasets": datasets, "seed": seed, "communities": manifest}, indent=2)
        + "\n", encoding="utf-8",
    )
    files.append("region.json")
    _write_sources(out / "sources.yaml", communities)
    files.append("sources.yaml")
    # The registry draws from its own stream, so changing it never changes the catalogs.
    files += write_registry(
        out / "registry", random.Random(f"{seed}/registry"),
        [MemberRef(c.id, c.name, c.kind, c.host, c.boundary) for c in communities], refs,
    )
    return GenerateSummary(out=out, datasets=datasets, seed=seed, communities=manifest,
                           files=files)


def _write_sources(path: Path, communities: list[SyntheticCommunity]) -> None:
    """The sources file `regiongraph load` harvests: one source per member's catalog, in
    the stewards' format (`demo/sources.yaml`), one JSON flow mapping per line."""
    lines = ["# The generated region's catalogs, as a steward registers them once.",
             "# `regiongraph load <this directory>` harvests all of them (and loads registry/).",
             "# Paths are relative to this file.", "sources:"]
    for c in communities:
        kind = "datajson" if c.format == "datajson" else "dcat"
        source = {"id": f"{c.id}-{kind}", "community": c.id, "type": kind, "path": c.file}
        lines.append(f"  - {json.dumps(source)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


__all__ = ["DOMAINS", "GenerateSummary", "community_count", "generate_region"]
