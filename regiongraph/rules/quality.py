"""Metadata quality: the data.europa.eu Metadata Quality Assessment (MQA) indicators.

Every public dataset (as `regiongraph.visibility` decides) is scored out of 405 points:

| dimension | indicator (points) |
|---|---|
| findability 100 | keywords 30, themes 30, spatial coverage 20, temporal coverage 20 |
| accessibility 100 | access URL answers 50*, download URL given 20, download URL answers 30* |
| interoperability 110 | format 20, media type 10, format from a vocabulary 10, non-proprietary 20, machine-readable 20, DCAT-AP compliance 30 |
| reusability 75 | licence 20, licence from a vocabulary 10, access rights 10, access rights from a vocabulary 5, contact point 20, publisher 10 |
| contextuality 20 | rights 5, file size 5, date of issue 5, modification date 5 |

Distribution indicators count the share of a dataset's distributions that meet them, as
the MQA does. DCAT-AP compliance is "no violation of the metadata shapes" (shapes/).
*URLs are checked only on request (`check_urls`): HEAD (then GET) with a timeout, at most
5 redirects, through the harvest's address rule (a URL on a private address counts as not
answering unless `REGIONGRAPH_HARVEST_ALLOW_PRIVATE=1`); results cached for a day in the
quality graph; unchecked, those 80 points count as 0 and the
result says so. Bands: Excellent 351-405, Good 221-350, Sufficient 121-220, Bad 0-120.

Each run is kept in `graph("quality", <timestamp>)` as DQV measurements (per dataset, per
community, for the region), so trends show.
"""

import datetime as dt
import hashlib
import json
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial

from pyoxigraph import Literal, NamedNode, Quad

from regiongraph.iri import Minter
from regiongraph.namespaces import PROV, RDF, RG, XSD
from regiongraph.settings import Settings
from regiongraph.store import Store

DQV = "http://www.w3.org/ns/dqv#"
METRIC = "https://w3id.org/regiongraph/concepts/mqa/"
MAX_POINTS = 405
DIMENSIONS = {"findability": 100, "accessibility": 100, "interoperability": 110,
              "reusability": 75, "contextuality": 20}
BANDS = (("Excellent", 351), ("Good", 221), ("Sufficient", 121), ("Bad", 0))
URL_TIMEOUT = 5.0
URL_CACHE_DAYS = 1

NON_PROPRIETARY = {"csv", "json", "geojson", "xml", "rdf", "rdf+xml", "ttl", "turtle", "nt",
                   "n-triples", "jsonld", "ld+json", "json-ld", "kml", "gml", "gpx", "ods",
                   "odt", "html", "txt", "plain", "zip", "gtfs", "x-protobuf", "wms", "wfs",
                   "geo+json", "vnd.google-earth.kml+xml", "wml2+xml"}
MACHINE_READABLE = {"csv", "json", "geojson", "xml", "rdf", "rdf+xml", "ttl", "turtle", "nt",
                    "n-triples", "jsonld", "ld+json", "json-ld", "kml", "gml", "gpx", "ods",
                    "xlsx", "xls", "zip", "gtfs", "x-protobuf", "geo+json",
                    "vnd.openxmlformats-officedocument.spreadsheetml.sheet", "wml2+xml",
                    "vnd.ms-excel", "vnd.google-earth.kml+xml", "vnd.mds+json"}
FORMAT_VOCABULARIES = ("http://publications.europa.eu/resource/authority/file-type/",
                       "https://www.iana.org/assignments/media-types/",
                       "http://www.iana.org/assignments/media-types/")
LICENCE_VOCABULARIES = ("https://creativecommons.org/", "http://creativecommons.org/",
                        "https://opendatacommons.org/", "http://opendatacommons.org/",
                        "http://publications.europa.eu/resource/authority/licence/",
                        "https://spdx.org/licenses/", "http://spdx.org/licenses/",
                        "https://www.usa.gov/government-works",
                        "https://project-open-data.cio.gov/unknown-license/")
ACCESS_VOCABULARIES = ("http://publications.europa.eu/resource/authority/access-right/",
                       "https://w3id.org/regiongraph/concepts/access/")


def band(points: float) -> str:
    for name, floor in BANDS:
        if points >= floor:
            return name
    return "Bad"


@dataclass
class DatasetScore:
    dataset: str
    community: str | None
    indicators: dict[str, float]
    dimensions: dict[str, float]
    urls_checked: bool

    @property
    def total(self) -> float:
        return round(sum(self.dimensions.values()), 1)

    @property
    def band(self) -> str:
        return band(self.total)

    def as_json(self) -> dict:
        return {"dataset": self.dataset, "community": self.community, "score": self.total,
                "band": self.band, "dimensions": self.dimensions,
                "indicators": self.indicators, "urls_checked": self.urls_checked}


@dataclass
class Assessment:
    scores: list[DatasetScore] = field(default_factory=list)
    created: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    urls_checked: bool = False

    def communities(self) -> set[str]:
        return {s.community for s in self.scores if s.community}

    @staticmethod
    def aggregate(scope: str, scores: list[DatasetScore]) -> dict:
        bands: dict[str, int] = defaultdict(int)
        for score in scores:
            bands[score.band] += 1
        mean = sum(s.total for s in scores) / len(scores) if scores else 0.0
        dimensions = {d: round(sum(s.dimensions[d] for s in scores) / len(scores), 1)
                      if scores else 0.0 for d in DIMENSIONS}
        return {"scope": scope, "datasets": len(scores), "mean": round(mean, 1),
                "band": band(mean), "bands": dict(bands), "dimensions": dimensions}

    def summary(self, community: str | None = None, with_datasets: bool = True) -> dict:
        chosen = [s for s in self.scores if community is None or s.community == community]
        per_community = defaultdict(list)
        for score in chosen:
            per_community[score.community or "(none)"].append(score)
        result = {
            "created": self.created.isoformat(), "max_points": MAX_POINTS,
            "urls_checked": self.urls_checked,
            "region": self.aggregate(community or "region", chosen),
            "communities": [self.aggregate(c, per_community[c]) for c in sorted(per_community)],
        }
        if with_datasets:
            result["datasets"] = [s.as_json() for s in sorted(chosen, key=lambda s: s.dataset)]
        return result


def _extension(value: str) -> str:
    """'…/file-type/CSV' → 'csv'; '…/media-types/text/csv' → 'csv'; 'text/csv' → 'csv'."""
    tail = value.rstrip("/").rsplit("/", 1)[-1].lower()
    return tail.removeprefix("x-") if tail.startswith("x-") and tail != "x-protobuf" else tail


def _public_datasets(store: Store, settings: Settings, today: dt.date | None) -> set[str]:
    from regiongraph.visibility import publishable_datasets

    return publishable_datasets(store, settings, today)


def _values_by_field(store: Store, subjects: set[str], predicates: dict[str, str]
                     ) -> dict[str, dict[str, set[str]]]:
    """subject → field name → values, read in batches of 1,000 subjects."""
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    names = {v: k for k, v in predicates.items()}
    items = sorted(subjects)
    preds = " ".join(f"<{p}>" for p in predicates.values())
    for i in range(0, len(items), 1000):
        values = " ".join(f"<{d}>" for d in items[i:i + 1000])
        rows = store.query(f"SELECT ?d ?p ?o WHERE {{ VALUES ?d {{ {values} }} "
                           f"VALUES ?p {{ {preds} }} ?d ?p ?o }}", union_default_graph=True)
        for row in rows:
            found[row["d"].value][names[row["p"].value]].add(str(row["o"].value))
    return found


def _dataset_fields(store: Store, graphs, datasets: set[str]) -> dict[str, dict[str, set[str]]]:
    predicates = {
        "keyword": "http://www.w3.org/ns/dcat#keyword", "theme": "http://www.w3.org/ns/dcat#theme",
        "spatial": "http://purl.org/dc/terms/spatial", "temporal": "http://purl.org/dc/terms/temporal",
        "license": "http://purl.org/dc/terms/license",
        "access": "http://purl.org/dc/terms/accessRights",
        "access_level": "https://w3id.org/regiongraph/ns#accessLevel",
        "contact": "http://www.w3.org/ns/dcat#contactPoint",
        "publisher": "http://purl.org/dc/terms/publisher",
        "rights": "http://purl.org/dc/terms/rights", "issued": "http://purl.org/dc/terms/issued",
        "modified": "http://purl.org/dc/terms/modified",
        "distribution": "http://www.w3.org/ns/dcat#distribution",
    }
    return _values_by_field(store, datasets, predicates)


def _distribution_fields(store: Store, graphs, distributions: set[str]
                         ) -> dict[str, dict[str, set[str]]]:
    predicates = {
        "access_url": "http://www.w3.org/ns/dcat#accessURL",
        "download_url": "http://www.w3.org/ns/dcat#downloadURL",
        "format": "http://purl.org/dc/terms/format",
        "media_type": "http://www.w3.org/ns/dcat#mediaType",
        "license": "http://purl.org/dc/terms/license",
        "rights": "http://purl.org/dc/terms/rights",
        "byte_size": "http://www.w3.org/ns/dcat#byteSize",
    }
    return _values_by_field(store, distributions, predicates)


def metadata_shapes():
    """The metadata shapes only (not the governance rules): DCAT-AP-like compliance."""
    from regiongraph.rules.shapes import ShapeSet, load_shapes

    shapes = load_shapes()
    return ShapeSet(graph=shapes.graph, prefixes=shapes.prefixes,
                    checks=[c for c in shapes.checks
                            if not c.shape.rsplit("#", 1)[-1].startswith("R")])


def check_url(url: str, *, allow_private: bool = False) -> int | None:
    """HTTP status of `url` (HEAD, then GET when HEAD is refused); None if unreachable,
    timed out, caught in a redirect loop, or refused by the address rule."""
    import httpx

    from regiongraph.harvest.address import http_client
    from regiongraph.loaders.base import RefusedURL

    try:
        with http_client(allow_private=allow_private, timeout=URL_TIMEOUT,
                         follow_redirects=True, max_redirects=5) as client:
            response = client.head(url)
            if response.status_code in (405, 501):
                response = client.get(url, headers={"Range": "bytes=0-0"})
            return response.status_code
    except (httpx.HTTPError, RefusedURL, ValueError):
        return None


def _cached_statuses(store: Store, minter: Minter, now: dt.datetime) -> dict[str, int | None]:
    graph = minter.graph("quality", "urls")
    rows = store.query(f"""SELECT ?url ?status ?at WHERE {{ GRAPH <{graph.value}> {{
        ?check <{RG.checkedURL.value}> ?url ; <{RG.httpStatus.value}> ?status ;
               <{PROV.generatedAtTime.value}> ?at }} }}""")
    cache = {}
    for row in rows:
        at = dt.datetime.fromisoformat(row["at"].value)
        if now - at < dt.timedelta(days=URL_CACHE_DAYS):
            status = int(row["status"].value)
            cache[row["url"].value] = status if status > 0 else None
    return cache


def _store_statuses(store: Store, minter: Minter, statuses: dict[str, int | None],
                    now: dt.datetime) -> None:
    graph = minter.graph("quality", "urls")
    quads = []
    for url, status in sorted(statuses.items()):
        node = NamedNode(f"{graph.value}#{hashlib.sha1(url.encode()).hexdigest()[:16]}")
        quads += [Quad(node, RG.checkedURL, NamedNode(url), graph),
                  Quad(node, RG.httpStatus, Literal(status or 0), graph),
                  Quad(node, PROV.generatedAtTime,
                       Literal(now.isoformat(), datatype=XSD.dateTime), graph)]
    store.replace_graph(graph, quads)


def assess(store: Store, settings: Settings, *, check_urls: bool = False,
           today: dt.date | None = None) -> Assessment:
    """Score every public dataset (see the module docstring)."""
    from regiongraph.rules.validate import community_of, data_graphs, validate

    minter = Minter(settings.base)
    graphs = data_graphs(store, settings)
    datasets = _public_datasets(store, settings, today)
    fields = _dataset_fields(store, graphs, datasets)
    distributions = {d for f in fields.values() for d in f["distribution"]}
    dist_fields = _distribution_fields(store, graphs, distributions)
    metadata = validate(store, settings, focus=datasets | distributions, today=today,
                        shapes=metadata_shapes())
    noncompliant = set()
    for result in metadata.results:
        name = result.shape.rsplit("#", 1)[-1]
        if result.severity_name == "Violation" and not name.startswith("R"):
            noncompliant.add(result.focus)
    statuses: dict[str, int | None] = {}
    now = dt.datetime.now(dt.UTC)
    if check_urls:
        statuses = _cached_statuses(store, minter, now)
        urls = {u for f in dist_fields.values()
                for u in f["access_url"] | f["download_url"]} - set(statuses)
        check = partial(check_url, allow_private=settings.harvest_allow_private)
        with ThreadPoolExecutor(max_workers=8) as pool:
            for url, status in zip(sorted(urls), pool.map(check, sorted(urls)), strict=True):
                statuses[url] = status
        _store_statuses(store, minter, statuses, now)
    communities = community_of(store, graphs, datasets)
    scores = [_score(d, fields[d], dist_fields, noncompliant, statuses if check_urls else None,
                     communities.get(d)) for d in sorted(datasets)]
    return Assessment(scores=scores, created=now, urls_checked=check_urls)


def _share(dists: list[dict[str, set[str]]], test) -> float:
    if not dists:
        return 0.0
    return sum(1 for d in dists if test(d)) / len(dists)


def _answers(statuses: dict[str, int | None] | None, urls: set[str]) -> bool:
    return bool(statuses is not None and urls
                and any((statuses.get(u) or 0) in range(200, 400) for u in urls))


def _score(dataset: str, f: dict[str, set[str]], dist_fields, noncompliant: set[str],
           statuses: dict[str, int | None] | None, community: str | None) -> DatasetScore:
    dists = [dist_fields.get(d, {}) for d in sorted(f["distribution"])]
    empty: set[str] = set()

    def kinds(d: dict[str, set[str]]) -> set[str]:
        return {_extension(v) for v in d.get("format", empty) | d.get("media_type", empty)}

    licences = f["license"] | {x for d in dists for x in d.get("license", empty)}
    access = f["access"] | f["access_level"]
    ind = {
        "keywords": 30 if f["keyword"] else 0,
        "themes": 30 if f["theme"] else 0,
        "spatial": 20 if f["spatial"] else 0,
        "temporal": 20 if f["temporal"] else 0,
        "access_url_answers": 50 * _share(dists, lambda d: _answers(statuses, d.get(
            "access_url", empty))),
        "download_url": 20 * _share(dists, lambda d: bool(d.get("download_url"))),
        "download_url_answers": 30 * _share(dists, lambda d: _answers(statuses, d.get(
            "download_url", empty))),
        "format": 20 * _share(dists, lambda d: bool(d.get("format"))),
        "media_type": 10 * _share(dists, lambda d: bool(d.get("media_type"))),
        "format_vocabulary": 10 * _share(dists, lambda d: any(
            v.startswith(FORMAT_VOCABULARIES) for v in d.get("format", empty)
            | d.get("media_type", empty))),
        "non_proprietary": 20 * _share(dists, lambda d: bool(kinds(d) & NON_PROPRIETARY)),
        "machine_readable": 20 * _share(dists, lambda d: bool(kinds(d) & MACHINE_READABLE)),
        "dcat_ap_compliance": 0 if ({dataset} | f["distribution"]) & noncompliant else 30,
        "licence": 20 if licences else 0,
        "licence_vocabulary": 10 if any(x.startswith(LICENCE_VOCABULARIES) for x in licences)
        else 0,
        "access_rights": 10 if access else 0,
        "access_rights_vocabulary": 5 if any(x.startswith(ACCESS_VOCABULARIES) for x in access)
        else 0,
        "contact_point": 20 if f["contact"] else 0,
        "publisher": 10 if f["publisher"] else 0,
        "rights": 5 if f["rights"] or any(d.get("rights") for d in dists) else 0,
        "byte_size": 5 * _share(dists, lambda d: bool(d.get("byte_size"))),
        "issued": 5 if f["issued"] else 0,
        "modified": 5 if f["modified"] else 0,
    }
    ind = {k: round(v, 1) for k, v in ind.items()}
    groups = {
        "findability": ("keywords", "themes", "spatial", "temporal"),
        "accessibility": ("access_url_answers", "download_url", "download_url_answers"),
        "interoperability": ("format", "media_type", "format_vocabulary", "non_proprietary",
                             "machine_readable", "dcat_ap_compliance"),
        "reusability": ("licence", "licence_vocabulary", "access_rights",
                        "access_rights_vocabulary", "contact_point", "publisher"),
        "contextuality": ("rights", "byte_size", "issued", "modified"),
    }
    dims = {name: round(sum(ind[k] for k in keys), 1) for name, keys in groups.items()}
    return DatasetScore(dataset=dataset, community=community, indicators=ind, dimensions=dims,
                        urls_checked=statuses is not None)


def store_assessment(store: Store, settings: Settings, assessment: Assessment) -> str:
    """Keep the run in its own graph (DQV measurements); return the run's IRI."""
    minter = Minter(settings.base)
    key = assessment.created.strftime("%Y%m%dT%H%M%S%fZ")
    graph = minter.graph("quality", key)
    run = minter.iri("report", "quality", key)
    dqv = lambda name: NamedNode(DQV + name)
    quads = [Quad(run, RDF.type, RG.QualityAssessment, graph),
             Quad(run, PROV.generatedAtTime, Literal(assessment.created.isoformat(),
                                                     datatype=XSD.dateTime), graph)]

    def measure(index: str, target: NamedNode, points: float, detail: dict) -> None:
        node = NamedNode(f"{run.value}/m/{index}")
        quads.extend([
            Quad(run, RG.assessed, node, graph),
            Quad(node, RDF.type, dqv("QualityMeasurement"), graph),
            Quad(node, dqv("computedOn"), target, graph),
            Quad(node, dqv("isMeasurementOf"), NamedNode(METRIC + "total"), graph),
            Quad(node, dqv("value"), Literal(str(points), datatype=XSD.decimal), graph),
            Quad(node, RG.qualityBand, Literal(band(points)), graph),
            Quad(node, RG.detail, Literal(json.dumps(detail, sort_keys=True),
                                          datatype=RDF.JSON), graph),
        ])

    summary = assessment.summary(with_datasets=False)
    measure("region", NamedNode(minter.base), summary["region"]["mean"], summary["region"])
    for row in summary["communities"]:
        measure(f"c-{row['scope']}", minter.iri("community", row["scope"]), row["mean"], row)
    for i, score in enumerate(assessment.scores):
        measure(str(i), NamedNode(score.dataset), score.total,
                {"dimensions": score.dimensions, "indicators": score.indicators})
    store.replace_graph(graph, quads)
    return run.value


def history(store: Store, settings: Settings) -> list[dict]:
    """Region and community means of every stored run, oldest first (trends)."""
    prefix = Minter(settings.base).graph("quality").value + "/"
    rows = store.query(f"""
        SELECT ?g ?at ?target ?value WHERE {{ GRAPH ?g {{
            ?run a <{RG.QualityAssessment.value}> ;
                 <{PROV.generatedAtTime.value}> ?at ; <{RG.assessed.value}> ?m .
            ?m <{DQV}computedOn> ?target ; <{DQV}value> ?value ;
               <{RG.detail.value}> ?detail .
            FILTER(CONTAINS(STR(?detail), '"scope"'))
        }} FILTER(STRSTARTS(STR(?g), "{prefix}")) }}""")
    runs: dict[str, dict] = {}
    base = Minter(settings.base).base
    for row in rows:
        run = runs.setdefault(row["g"].value, {"created": row["at"].value, "region": None,
                                              "communities": {}})
        target = row["target"].value
        if target == base:
            run["region"] = float(row["value"].value)
        else:
            run["communities"][target.rstrip("/").rsplit("/", 1)[-1]] = float(row["value"].value)
    return sorted(runs.values(), key=lambda r: r["created"])
