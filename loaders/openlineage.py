"""OpenLineage run events (a JSON event, a JSON array of events, or NDJSON) → PROV-O.

Pipelines emit OpenLineage as they run; the planners want the same lineage as the
catalogs' `prov:wasDerivedFrom`. So a job becomes an `rg:Job` (a `prov:Activity`), each
run a `prov:Activity` part of it, inputs `prov:used`, outputs `prov:generated`, and every
output `prov:wasDerivedFrom` every input of the same run.

OpenLineage names datasets by (namespace, name) — `postgres://gis:5432`, `public.crashes`
— while the catalog names them by (community, identifier). The source's `datasets`
option maps one to the other:

```yaml
options:
  datasets:
    - {namespace: "postgres://saguaro-gis:5432", community: saguaro,
       strip_prefix: "public.", replace: {"_": "-"}}
    - {namespace: "s3://valley-water-lake", community: valley-water, identifier: "{name}"}
  match:            # exact pairs win over rules
    "s3://valley-water-lake/raw/meter_reads": valley-water/water-meter-readings
```

A dataset no rule maps is still recorded (as a `prov:Entity` under the source's
community, never a `dcat:Dataset`) and reported, so a steward can add the rule.

Events are validated against the OpenLineage 2-0-2 JSON Schema when it is available;
several events of one run (START, COMPLETE) make one record keyed by the run id.
"""

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pyoxigraph import Literal, NamedNode, Triple
from regiongraph.loaders.base import Fetched, Issue, LoadContext, Record, SourceError

from regiongraph.namespaces import DCT, PROV, RDF, RG, XSD

SCHEMA_RELATIVE = Path("openlineage-2-0-2/OpenLineage.json")
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
MAX_EVENTS = 1_000_000


def event_validator(explicit: str | None = None):
    from regiongraph.loaders.datajson import find_standard, record_validator

    path = find_standard(SCHEMA_RELATIVE, explicit)
    return record_validator(str(path)) if path is not None else None


def read_events(fetched: Fetched, max_depth: int) -> list[Any]:
    """One event, an array of events, or NDJSON (one event per line)."""
    fetched.check_depth(max_depth)  # NDJSON lines nest no deeper than the whole text
    try:
        text = fetched.content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SourceError(f"{fetched.location}: not UTF-8 text (byte {error.start})") from None
    stripped = text.strip()
    if not stripped:
        raise SourceError(f"{fetched.location}: empty; expected OpenLineage events")
    try:
        document = json.loads(stripped)
        return document if isinstance(document, list) else [document]
    except json.JSONDecodeError as whole:
        if stripped.startswith("[") or "\n" not in stripped:
            raise SourceError(f"{fetched.location}: invalid JSON at line {whole.lineno}, "
                              f"column {whole.colno}: {whole.msg}") from None
    events = []
    for number, line in enumerate(stripped.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError as error:
            raise SourceError(f"{fetched.location}: NDJSON line {number} is not JSON: "
                              f"{error.msg} (column {error.colno})") from None
    return events


class DatasetMatcher:
    """OpenLineage (namespace, name) → catalog dataset IRI, by the source's options."""

    def __init__(self, context: LoadContext) -> None:
        self.context = context
        self.rules = list(context.options.get("datasets") or [])
        self.exact = dict(context.options.get("match") or {})

    def __call__(self, namespace: str, name: str) -> tuple[NamedNode, bool]:
        minter = self.context.minter
        pair = self.exact.get(f"{namespace}/{name}") or self.exact.get(f"{namespace}::{name}")
        if pair and "/" in pair:
            community, identifier = pair.split("/", 1)
            return minter.iri("dataset", community, identifier), True
        for rule in self.rules:
            if not _namespace_matches(str(rule.get("namespace", "")), namespace):
                continue
            local = name
            prefix = rule.get("strip_prefix")
            if prefix and local.startswith(prefix):
                local = local[len(prefix):]
            suffix = rule.get("strip_suffix")
            if suffix and local.endswith(suffix):
                local = local[: -len(suffix)]
            for old, new in (rule.get("replace") or {}).items():
                local = local.replace(old, new)
            template = rule.get("identifier", "{name}")
            identifier = template.format(name=local, namespace=namespace)
            return minter.iri("dataset", rule.get("community", self.context.community),
                              identifier), True
        return minter.iri("dataset", self.context.community, "openlineage",
                          f"{namespace}/{name}"), False


def _namespace_matches(pattern: str, namespace: str) -> bool:
    if pattern.endswith("*"):
        return namespace.startswith(pattern[:-1])
    return pattern.rstrip("/") == namespace.rstrip("/")


class OpenLineageLoader:
    name = "openlineage"
    description = "OpenLineage 2-0-2 run events (JSON, JSON array, NDJSON)"

    def records(self, first: Fetched, context: LoadContext) -> Iterator[Record | Issue]:
        events = read_events(first, context.max_json_depth)
        if len(events) > MAX_EVENTS:
            raise SourceError(f"{first.location}: {len(events):,} events, over {MAX_EVENTS:,}")
        validator = None
        if context.options.get("validate", True):
            validator = event_validator(context.options.get("schema"))
            if validator is None:
                yield Issue("the OpenLineage 2-0-2 schema was not found; events were not "
                            "validated", severity="warning")
        runs: dict[str, list[tuple[int, dict]]] = {}
        for index, event in enumerate(events):
            label = f"event[{index}]"
            if not isinstance(event, dict):
                yield Record(key=label, skipped="not an object", issues=[Issue(
                    f"{label} is a {type(event).__name__}, not an object; skipped", label)])
                continue
            if validator is not None:
                errors = sorted(validator.iter_errors(event), key=lambda e: list(e.path))
                if errors:
                    from regiongraph.loaders.datajson import describe_schema_error

                    field, message = describe_schema_error(errors[0])
                    message = message.replace("data.gov schema", "OpenLineage schema")
                    yield Record(key=label, skipped="invalid event", issues=[Issue(
                        f"{message}; event skipped", label, field)])
                    continue
            run = event.get("run") if isinstance(event.get("run"), dict) else None
            job = event.get("job") if isinstance(event.get("job"), dict) else None
            if job is None or not job.get("name"):
                yield Record(key=label, skipped="no job", issues=[Issue(
                    "event has no job name; skipped", label, "job")])
                continue
            key = str(run.get("runId")) if run and run.get("runId") else \
                f"job:{job.get('namespace', '')}/{job['name']}"
            runs.setdefault(key, []).append((index, event))
        matcher = DatasetMatcher(context)
        for key, items in runs.items():
            yield self.run_record(key, [e for _, e in items], context, matcher)

    def run_record(self, key: str, events: list[dict], context: LoadContext,
                   matcher: DatasetMatcher) -> Record:
        minter = context.minter
        community = minter.iri("community", context.community)
        job_info = events[0]["job"]
        job_ns, job_name = str(job_info.get("namespace", "")), str(job_info["name"])
        job = minter.iri("job", context.community, f"{job_ns}/{job_name}")
        out: list[Triple] = [
            Triple(job, RDF.type, RG.Job),
            Triple(job, RDF.type, PROV.Activity),
            Triple(job, DCT.identifier, Literal(f"{job_ns}/{job_name}")),
            Triple(job, DCT.term("title"), Literal(job_name)),
            Triple(job, RG.runBy, community),
        ]
        issues: list[Issue] = []
        is_run = not key.startswith("job:")
        run = minter.iri("run", key) if is_run else None
        if run is not None:
            out += [Triple(run, RDF.type, PROV.Activity), Triple(run, DCT.identifier,
                                                                 Literal(key)),
                    Triple(run, DCT.isPartOf, job), Triple(run, PROV.wasAssociatedWith,
                                                           community)]
        inputs: dict[str, NamedNode] = {}
        outputs: dict[str, NamedNode] = {}
        started = ended = None
        state = None
        for event in sorted(events, key=lambda e: str(e.get("eventTime", ""))):
            when = str(event.get("eventTime", ""))
            kind = event.get("eventType")
            if TIMESTAMP.match(when):
                if kind == "START" or started is None:
                    started = when if kind == "START" or started is None else started
                if kind in ("COMPLETE", "FAIL", "ABORT"):
                    ended = when
            if kind:
                state = kind
            for side, bucket in (("inputs", inputs), ("outputs", outputs)):
                for item in event.get(side) or []:
                    if not isinstance(item, dict) or not item.get("name"):
                        continue
                    ns, name = str(item.get("namespace", "")), str(item["name"])
                    node, matched = matcher(ns, name)
                    if not matched and node.value not in bucket:
                        issues.append(Issue(f"OpenLineage dataset {ns}/{name} matches no "
                                            "catalog dataset (options.datasets)", key, side,
                                            "warning"))
                        out += [Triple(node, RDF.type, PROV.Entity),
                                Triple(node, DCT.identifier, Literal(f"{ns}/{name}"))]
                    bucket[node.value] = node
        activity = run or job
        if started and run is not None:
            out.append(Triple(run, PROV.startedAtTime, Literal(started, datatype=XSD.dateTime)))
        if ended and run is not None:
            out.append(Triple(run, PROV.endedAtTime, Literal(ended, datatype=XSD.dateTime)))
        if state and run is not None:
            out.append(Triple(run, RG.runState, Literal(state)))
        for node in inputs.values():
            out.append(Triple(activity, PROV.used, node))
            if run is not None:
                out.append(Triple(job, PROV.used, node))
        for node in outputs.values():
            out.append(Triple(activity, PROV.generated, node))
            out.append(Triple(node, PROV.wasGeneratedBy, activity))
            if run is not None:
                out.append(Triple(job, PROV.generated, node))
            if state in ("FAIL", "ABORT"):
                continue
            for source in inputs.values():
                if source != node:
                    out.append(Triple(node, PROV.wasDerivedFrom, source))
        if state in ("FAIL", "ABORT"):
            issues.append(Issue(f"run ended with {state}; no derivation recorded", key,
                                "eventType", "warning"))
        return Record(key=key, iri=run or job, triples=list(dict.fromkeys(out)),
                      issues=issues, identifier=key)
