"""What a harvest did, as one pydantic model for the CLI's `--json`, the API and the log.

Every report is also kept in the harvest-log graph (`{base}graph/harvest-log`) as a
`rg:HarvestReport` activity with its times, counts and the whole report as JSON, so a
steward can see a source's history and a later unchanged harvest can repeat the
errors the content still has without re-reading it.
"""

from datetime import UTC, datetime
from typing import Literal as Lit

from pydantic import BaseModel, Field, field_validator
from pyoxigraph import Literal, NamedNode, Quad

from regiongraph.clock import stamp
from regiongraph.iri import Minter
from regiongraph.namespaces import PROV, RDF, RG
from regiongraph.store import Store

HARVEST_LOG_GRAPH = "harvest-log"
MAX_ERRORS = 10_000
"""Errors kept per report; a source with more gets a final line saying how many were cut."""

Status = Lit["ok", "unchanged", "not-modified", "failed"]


class RecordError(BaseModel):
    record: str | None = None
    field: str | None = None
    message: str
    severity: Lit["error", "warning"] = "error"

    @field_validator("record", "field", "message")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        """A record's key or value may quote what is not text (a lone surrogate from a
        `\\ud800` escape); it is shown escaped, so the report can be stored and sent."""
        return value.encode("utf-8", "backslashreplace").decode() if value else value


class DuplicateLink(BaseModel):
    record: str
    dataset: str
    same_as: str
    matched_by: Lit["identifier", "landingPage"]


class HarvestReport(BaseModel):
    """One harvest of one source. `status` failed means nothing changed in the store."""

    source: str
    community: str | None = None
    type: str
    location: str
    status: Status
    message: str | None = None
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: int = 0
    errors: list[RecordError] = Field(default_factory=list)
    removed_records: list[str] = Field(default_factory=list)
    duplicates: list[DuplicateLink] = Field(default_factory=list)
    written_graphs: dict[str, int] = Field(default_factory=dict)
    """Graph IRI → quads written; empty when nothing changed (for after-change hooks)."""
    changed_subjects: list[str] | None = Field(default=None, exclude=True)
    """The datasets an incremental write replaced, created or removed (journalled as the
    change's subjects, so views can follow record by record); None when the whole graph
    was written."""
    http_status: int | None = None
    requests: int = 0
    started: datetime
    finished: datetime | None = None
    seconds: float = 0.0
    report_iri: str | None = None
    previous_report: str | None = None

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    def add_error(self, error: RecordError) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(error)
        elif len(self.errors) == MAX_ERRORS:
            self.errors.append(RecordError(message=f"more than {MAX_ERRORS:,} errors; the rest "
                                                   "are not listed", severity="warning"))

    def add_issues(self, item) -> None:
        """Report a loader's Issue, or every issue carried by a Record."""
        issues = item.issues if hasattr(item, "issues") else [item]
        for issue in issues:
            record = issue.record or getattr(item, "key", None)
            self.add_error(RecordError(record=record, field=issue.field,
                                       message=issue.message, severity=issue.severity))

    def summary(self) -> str:
        if self.status == "failed":
            return f"{self.source}: FAILED, nothing changed: {self.message}"
        counts = (f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
                  f"{self.removed} removed, {self.skipped} skipped")
        problems = sum(1 for e in self.errors if e.severity == "error")
        warnings = len(self.errors) - problems
        return f"{self.source}: {self.status}: {counts}; {problems} errors, {warnings} warnings"


def utcnow() -> datetime:
    return datetime.now(UTC)


def report_iri(minter: Minter, report: HarvestReport) -> NamedNode:
    stamp = report.started.strftime("%Y%m%dT%H%M%S.%fZ")
    return minter.iri("report", "harvest", report.source, stamp)


def store_report(store: Store, minter: Minter, report: HarvestReport) -> NamedNode:
    """Append the report to the harvest-log graph; returns its IRI."""
    iri = report_iri(minter, report)
    report.report_iri = iri.value
    graph = minter.graph(HARVEST_LOG_GRAPH)
    catalog = minter.iri("catalog", report.source)

    quads = [
        Quad(iri, RDF.type, RG.HarvestReport, graph),
        Quad(iri, RG.harvestedCatalog, catalog, graph),
        Quad(iri, RG.harvestStatus, Literal(report.status), graph),
        Quad(iri, PROV.startedAtTime, stamp(report.started), graph),
        Quad(iri, PROV.endedAtTime, stamp(report.finished or report.started), graph),
        Quad(iri, RG.recordsCreated, Literal(report.created), graph),
        Quad(iri, RG.recordsUpdated, Literal(report.updated), graph),
        Quad(iri, RG.recordsUnchanged, Literal(report.unchanged), graph),
        Quad(iri, RG.recordsRemoved, Literal(report.removed), graph),
        Quad(iri, RG.recordsSkipped, Literal(report.skipped), graph),
        Quad(iri, RG.reportJson, Literal(report.model_dump_json(),
                                         datatype=RDF.JSON), graph),
    ]
    store.add(quads)
    return iri


def last_report(store: Store, minter: Minter, source_id: str, *,
                status: tuple[str, ...] = ("ok",)) -> HarvestReport | None:
    """The most recent stored report of a source with one of `status`, or None.

    The IRIs in the query text are minted (slugged) constants, never request text.
    """
    rows = store.query(
        f"SELECT ?json ?status WHERE {{ GRAPH {_n(minter.graph(HARVEST_LOG_GRAPH))} {{ "
        f"?r {_n(RG.harvestedCatalog)} {_n(minter.iri('catalog', source_id))} ; "
        f"{_n(RG.harvestStatus)} ?status ; {_n(PROV.endedAtTime)} ?t ; "
        f"{_n(RG.reportJson)} ?json }} }} ORDER BY DESC(?t) LIMIT 50")
    for row in rows:
        if row["status"].value in status:
            return HarvestReport.model_validate_json(row["json"].value)
    return None


def history(store: Store, minter: Minter, source_id: str | None = None,
            limit: int = 50) -> list[HarvestReport]:
    """Stored reports, newest first, of one source or all."""
    catalog = _n(minter.iri("catalog", source_id)) if source_id is not None else "?catalog"
    rows = store.query(
        f"SELECT ?json WHERE {{ GRAPH {_n(minter.graph(HARVEST_LOG_GRAPH))} {{ "
        f"?r {_n(RG.harvestedCatalog)} {catalog} ; {_n(PROV.endedAtTime)} ?t ; "
        f"{_n(RG.reportJson)} ?json }} }} ORDER BY DESC(?t) LIMIT {int(limit)}")
    return [HarvestReport.model_validate_json(row["json"].value) for row in rows]


def _n(node: NamedNode) -> str:
    return f"<{node.value}>"
