"""What an operator watches: Prometheus metrics, JSON logs with a request id, readiness.

Two kinds of figures, kept apart on purpose:

- events of this process (requests, SPARQL queries, harvests) are Prometheus counters and
  histograms in `REGISTRY`; like every Prometheus client's, they count what this process
  did since it started (a scraper sums processes and copes with restarts);
- the state of the store (its version and size, how far each derived view lags behind
  it, the current validation results per rule) is read from the store when scraped, so
  every process reports the same figures, whoever wrote. Reads that cost more than a
  lookup are cached on the store version (`change.VersionedCache`).

Logs are one JSON object per line on stderr: `regiongraph.access` has one line per
request, other `regiongraph.*` loggers are the events. A request's lines carry its
request id (`X-Request-Id`, taken from the client when well formed, else made up).
Tokens never reach a line: the access log has no query string and no headers, and every
line is scrubbed of bearer tokens, `token=` parameters and the admin token itself.
"""

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TextIO

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import generate_latest
from prometheus_client.process_collector import ProcessCollector

from regiongraph.settings import Settings
from regiongraph.store import Store

disable_created_metrics()  # the `_created` twin of every series is noise here
REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)

REQUESTS = Counter("regiongraph_http_requests", "HTTP requests answered, by route template "
                   "(never the raw path) and status.", ["method", "route", "status"],
                   registry=REGISTRY)
LATENCY = Histogram("regiongraph_http_request_duration_seconds", "Time to answer a request, "
                    "body included.", ["method", "route"], registry=REGISTRY,
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
SPARQL_QUERIES = Counter("regiongraph_sparql_queries", "SPARQL queries run, by outcome "
                         "(ok, timeout, error).", ["outcome"], registry=REGISTRY)
SPARQL_ROWS = Counter("regiongraph_sparql_rows", "Rows (or triples) returned by SPARQL "
                      "queries whose results were counted (capped and graph results).",
                      registry=REGISTRY)
HARVEST_RUNS = Counter("regiongraph_harvest_runs", "Harvests run in this process, by source "
                       "and status.", ["source", "status"], registry=REGISTRY)
HARVEST_RECORDS = Counter("regiongraph_harvest_records", "Records harvested, by source and "
                          "outcome (created, updated, unchanged, removed, skipped).",
                          ["source", "outcome"], registry=REGISTRY)
HARVEST_ERRORS = Counter("regiongraph_harvest_errors", "Record errors and warnings reported by "
                         "harvests, by source and severity.", ["source", "severity"],
                         registry=REGISTRY)

log = logging.getLogger("regiongraph.events")
access = logging.getLogger("regiongraph.access")


# -- events ---------------------------------------------------------------------------------


def request_done(method: str, route: str, status: int, seconds: float, path: str) -> None:
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(seconds)
    access.info("request", extra={"fields": {
        "method": method, "route": route, "path": path, "status": status,
        "seconds": round(seconds, 4)}})


def sparql_query(outcome: str, rows: int | None = None) -> None:
    SPARQL_QUERIES.labels(outcome).inc()
    if rows:
        SPARQL_ROWS.inc(rows)


def query_outcome(error: BaseException) -> str:
    from regiongraph.sparql.execute import QueryTimeout

    return "timeout" if isinstance(error, QueryTimeout) else "error"


def harvest_done(report) -> None:
    """Count one `HarvestReport` and log it as an event."""
    source = report.source
    HARVEST_RUNS.labels(source, report.status).inc()
    for outcome in ("created", "updated", "unchanged", "removed", "skipped"):
        HARVEST_RECORDS.labels(source, outcome).inc(getattr(report, outcome))
    severities = [error.severity for error in report.errors]
    for severity in ("error", "warning"):
        HARVEST_ERRORS.labels(source, severity).inc(severities.count(severity))
    log.info("harvest", extra={"fields": {
        "source": source, "status": report.status, "created": report.created,
        "updated": report.updated, "removed": report.removed,
        "errors": severities.count("error"), "seconds": report.seconds}})


# -- the store's state ----------------------------------------------------------------------


@dataclass
class Readiness:
    """Whether the store answers, and each derived view's lag behind the store version."""

    version: int = 0
    lags: dict[str, int] = field(default_factory=dict)
    problem: str | None = None

    @property
    def ready(self) -> bool:
        return self.problem is None and not any(self.lags.values())

    def as_json(self) -> dict:
        body: dict = {"status": "ready" if self.ready else "not ready",
                      "store_version": self.version, "view_lag": self.lags,
                      "lagging": sorted(name for name, lag in self.lags.items() if lag)}
        if self.problem:
            body["problem"] = self.problem
        return body


def readiness(store: Store, settings: Settings) -> Readiness:
    from regiongraph import journal
    from regiongraph.change import VIEWS, seen_version

    try:
        current = journal.version(store, settings)
        lags = {view.name: _lag(current, seen_version(store, settings, view))
                for view in VIEWS if not view.local}
    except Exception as error:  # noqa: BLE001 - any failure means "not ready", said why
        return Readiness(problem=f"the store did not answer: {type(error).__name__}: {error}")
    return Readiness(version=current, lags=lags)


def _lag(current: int, seen: int) -> int:
    """Changes a view has still to follow; a view ahead of a restored journal follows all."""
    return current - seen if seen <= current else max(current, 1)


def _store_quads(store: Store, settings: Settings) -> int:
    total = getattr(store, "total", None)
    return total() if total is not None else store.count(None) + sum(
        n for graph, n in store.graphs().items() if graph)


def _validation_results(store: Store, settings: Settings) -> dict[tuple[str, str], int]:
    from regiongraph.iri import Minter
    from regiongraph.namespaces import SH
    from regiongraph.rules.reports import CURRENT, shape_name

    graph = Minter(settings.base).graph(*CURRENT).value
    rows = store.query(f"""
SELECT ?shape ?severity (COUNT(?r) AS ?n) WHERE {{ GRAPH <{graph}> {{
  ?r <{SH.sourceShape.value}> ?shape ; <{SH.resultSeverity.value}> ?severity }} }}
GROUP BY ?shape ?severity""")
    return {(shape_name(row["shape"].value), row["severity"].value.rsplit("#", 1)[-1].lower()):
            int(row["n"].value) for row in rows}


def _caches():
    from regiongraph.change import VersionedCache

    return VersionedCache(_store_quads), VersionedCache(_validation_results)


QUADS, VALIDATION = _caches()


def store_families(store: Store, settings: Settings) -> Iterator[GaugeMetricFamily]:
    """The store's state as gauges; `regiongraph_store_up` 0 (and nothing else) when the
    store does not answer, so a scrape never fails because the store did."""
    from regiongraph.store import model_version

    state = readiness(store, settings)
    up = GaugeMetricFamily("regiongraph_store_up", "1 when the store answered this scrape.")
    up.add_metric([], 0 if state.problem else 1)
    yield up
    if state.problem:
        return
    yield _gauge("regiongraph_store_version", "The store version (journalled changes).",
                 state.version)
    yield _gauge("regiongraph_store_quads", "Quads in the store, every graph.",
                 QUADS.get(store, settings))
    yield _gauge("regiongraph_data_model_version", "The data model version the store holds.",
                 model_version(store))
    lag = GaugeMetricFamily("regiongraph_view_lag", "Store versions a derived view has still "
                            "to follow (0: caught up).", labels=["view"])
    for name, value in sorted(state.lags.items()):
        lag.add_metric([name], value)
    yield lag
    results = GaugeMetricFamily("regiongraph_validation_results", "Results of the current "
                                "validation report, by rule (shape) and severity.",
                                labels=["rule", "severity"])
    for (rule, severity), value in sorted(VALIDATION.get(store, settings).items()):
        results.add_metric([rule, severity], value)
    yield results


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation)
    family.add_metric([], value)
    return family


class _Scrape:
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store, self.settings = store, settings

    def collect(self) -> Iterable:
        yield from REGISTRY.collect()
        yield from store_families(self.store, self.settings)


def exposition(store: Store, settings: Settings) -> bytes:
    """The Prometheus text exposition of this process's counters and the store's state."""
    return generate_latest(_Scrape(store, settings))


# -- logs -----------------------------------------------------------------------------------

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id",
                                                                        default=None)
_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def request_id(given: str | None) -> str:
    """The client's id when it is a plain token (safe to echo and log), else a new one."""
    return given if given and _ID.match(given) else uuid.uuid4().hex


_SECRETS = [
    re.compile(r"(?i)\b(bearer|basic)\s+[^\s\"',;]+"),
    # key=value and key: value, for every name a credential travels under: tokens, API
    # keys (CKAN's `Authorization: <key>`, `X-CKAN-API-Key`), passwords, client secrets,
    # OIDC codes and verifiers, session and CSRF cookies
    re.compile(r"(?i)\b((?:access_|api_|auth_|id_|refresh_)?token|api_?key|x-ckan-api-key|"
               r"authorization|password|passwd|(?:client_)?secret|code_verifier|code|state|"
               r"nonce|cookie|set-cookie|rg_session|rg_csrf|csrf|session(?:_id)?)"
               r"([\"']?\s*[=:]\s*[\"']?)[^\s\"'&,;]+"),
    re.compile(r"\brgt_[a-z0-9]{12}_[A-Za-z0-9_-]+"),  # a personal API token anywhere
]


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, event, request id, fields."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
                    + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        rid = REQUEST_ID.get()
        if rid:
            line["request_id"] = rid
        line.update(getattr(record, "fields", {}))
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return self.scrub(json.dumps(line, default=str, ensure_ascii=False))

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        text = _SECRETS[0].sub(lambda m: f"{m.group(1)} [redacted]", text)
        text = _SECRETS[1].sub(lambda m: f"{m.group(1)}{m.group(2)}[redacted]", text)
        return _SECRETS[2].sub("[redacted]", text)


def configure_logging(settings: Settings, stream: TextIO | None = None) -> None:
    """JSON lines for every `regiongraph.*` logger, once per process (serve calls this)."""
    root = logging.getLogger("regiongraph")
    if any(getattr(h, "regiongraph_json", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter([settings.admin_token or "",
                                        settings.oidc_client_secret or ""]))
    handler.regiongraph_json = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def store_opened(store: Store, settings: Settings) -> None:
    """Log the store a server starts on, and warn when it needs `regiongraph migrate`."""
    from regiongraph.store import DATA_MODEL_VERSION, model_version

    held = model_version(store)
    log.info("store opened", extra={"fields": {"store": store.description,
                                               "data_model_version": held}})
    if held < DATA_MODEL_VERSION:
        log.warning("store holds an older data model", extra={"fields": {
            "store": store.description, "data_model_version": held,
            "current": DATA_MODEL_VERSION, "fix": "stop the server, run `regiongraph migrate`"}})
