"""DCAT-US 1.1 `data.json` catalogs, and legacy Project Open Data 1.0 (a top-level array).

Socrata, ArcGIS Hub, CKAN and many cities publish this format. Each record is checked
against the schema data.gov's harvester 2.0 uses for non-federal datasets
(`non-federal_dataset.json`, draft 2020-12, with format checks), and every failure is
reported on the record. The record still loads when it has an identifier and a
title: stewards need the dataset in the graph *and* the list of what to fix.

The schema is a reference file of the standard, found (in order) at the source's
`schema` option, `$REGIONGRAPH_STANDARDS/dcat-us-1.1/...`, or `../shared/standards/`
beside the checkout. When none is there, records load unchecked and the report says so.
"""

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from regiongraph.loaders.base import Fetched, Issue, LoadContext, Record, SourceError
from regiongraph.loaders.dcatmap import DatasetFields, Distribution, Mapper, as_list, as_text
from regiongraph.loaders.spatial import spatial_text

SCHEMA_RELATIVE = Path("dcat-us-1.1/datagov-harvester/non-federal_dataset.json")


def standards_dirs() -> list[Path]:
    """Where the standards' reference files may be, most specific first."""
    from regiongraph.settings import Settings

    found = []
    configured = Settings().standards
    if configured:
        found.append(Path(configured))
    root = Path(__file__).resolve().parent.parent
    found.append(root.parent / "shared" / "standards")
    return found


def find_standard(relative: Path, explicit: str | None = None) -> Path | None:
    if explicit:
        return Path(explicit)
    for folder in standards_dirs():
        if (folder / relative).is_file():
            return folder / relative
    return None


def _is_uri(value: object) -> bool:
    """An absolute ASCII URI, checked by Oxigraph's IRI parser (Rust): the same verdict as
    rfc3987's URI rule on what catalogs contain, at a fraction of the cost."""
    if not isinstance(value, str):
        return True
    if not value.isascii() or ":" not in value:
        return False
    from pyoxigraph import NamedNode

    try:
        NamedNode(value)
    except ValueError:
        return False
    return True


class RecordValidator:
    """All schema errors of a record, at the speed of a compiled check.

    jsonschema reports every error with its path but costs ~2 ms a record (a 100k
    catalog would spend minutes there). fastjsonschema compiles the schema to Python and
    answers valid/invalid ~10x faster, with the same format checks (the formats are
    jsonschema's own checkers). Valid records — most of a healthy catalog — stop there;
    only invalid ones go through jsonschema for the full list of what is wrong. It is
    compiled at the first record (0.35 s, once per process: `record_validator` keeps it),
    which costs what jsonschema spends on some 80 records.
    """

    def __init__(self, schema: dict) -> None:
        from jsonschema import Draft202012Validator

        self.schema = schema
        self.checker = Draft202012Validator.FORMAT_CHECKER
        self.full = Draft202012Validator(schema, format_checker=self.checker)
        self.fast = None
        self.compiled = False

    def _compile(self) -> None:
        schema, checker = self.schema, self.checker
        try:
            import fastjsonschema

            # fastjsonschema knows drafts 4-7; the schemas use nothing later than draft 7
            # besides the `$defs` name, which `$ref` pointers reach all the same.
            draft7 = {**schema, "$schema": "http://json-schema.org/draft-07/schema#"}
            formats = {name: (lambda value, name=name: checker.conforms(value, name))
                       for name in checker.checkers}
            formats["uri"] = _is_uri
            self.fast = fastjsonschema.compile(draft7, formats=formats)
            self._invalid = fastjsonschema.JsonSchemaException
        except Exception:  # noqa: BLE001 - the full validator still answers, only slower
            self.fast = None

    def iter_errors(self, instance):
        if not self.compiled:
            self.compiled = True
            self._compile()
        if self.fast is not None:
            try:
                self.fast(instance)
                return iter(())
            except self._invalid:
                pass
        return self.full.iter_errors(instance)


@lru_cache(maxsize=8)
def record_validator(path: str) -> RecordValidator:
    """One compiled validator per schema file (compiling per record would dominate)."""
    import json

    return RecordValidator(json.loads(Path(path).read_text(encoding="utf-8")))


def describe_schema_error(error) -> tuple[str, str]:
    """(field path, readable message) for one jsonschema error.

    An `anyOf` failure says only "not valid under any of the given schemas"; the
    branch that explains it (a failed format or pattern, deepest first) is more use.
    """
    from jsonschema.exceptions import best_match

    while error.context:
        informative = [e for e in error.context if e.validator not in ("type", "const")]
        error = best_match(informative or error.context)
    path = ".".join(str(p) for p in error.absolute_path) or "(record)"
    if error.instance is None:
        return path, f"data.gov schema: {path} is null"
    shown = repr(error.instance)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    if error.validator == "format":
        return path, f"data.gov schema: {shown} is not a valid {error.validator_value}"
    if error.validator == "pattern":
        return path, f"data.gov schema: {shown} does not match {error.validator_value!r}"
    message = error.message
    if len(message) > 200:
        message = message[:197] + "..."
    return path, f"data.gov schema: {message}"


_SPACE = re.compile(r"[ \t\n\r]*")


def stream_datasets(fetched: Fetched, max_depth: int) -> tuple[Iterator[Any], bool]:
    """The records of a catalog, decoded one at a time, and whether it is POD 1.0.

    `json.loads` of a 100k-dataset catalog builds over a gigabyte of Python objects
    before the first record is looked at; decoding record by record from the text keeps
    one record's objects alive at a time. The whole document is still checked: a
    truncated file or trailing garbage is an error, found before anything is written
    (the harvest writes only after the last record). The depth is checked first, over
    the whole document: one record too deep to decode refuses the source, which keeps
    its previous graph.
    """
    fetched.check_depth(max_depth)
    try:
        text = fetched.content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SourceError(f"{fetched.location}: not UTF-8 text (byte {error.start}: "
                          f"{fetched.content[error.start:error.start + 1]!r})") from None
    start = _SPACE.match(text, 0).end()
    opening = text[start:start + 1]
    if opening == "[":
        return _stream(text, start, fetched.location, closing=None), True
    if opening != "{":
        document = fetched.json(max_depth)
        raise SourceError(f"{fetched.location}: a data.json catalog is an object with a "
                          f"'dataset' list (or a POD 1.0 array), not a {type(document).__name__}")
    return _stream(text, start, fetched.location, closing="}"), False


def _stream(text: str, start: int, location: str, closing: str | None) -> Iterator[Any]:
    decoder = json.JSONDecoder()

    def fail(position: int, message: str) -> SourceError:
        line = text.count("\n", 0, position) + 1
        column = position - (text.rfind("\n", 0, position) + 1) + 1
        return SourceError(f"{location}: invalid JSON at line {line}, column {column}: {message}")

    def value(position: int) -> tuple[Any, int]:
        try:
            return decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise SourceError(f"{location}: invalid JSON at line {error.lineno}, column "
                              f"{error.colno}: {error.msg}") from None

    def skip(position: int) -> int:
        return _SPACE.match(text, position).end()

    def array(position: int) -> Iterator[Any]:
        position = skip(position + 1)
        if text.startswith("]", position):
            return position + 1
        while True:
            item, position = value(position)
            yield item
            position = skip(position)
            mark = text[position:position + 1]
            if mark == ",":
                position = skip(position + 1)
            elif mark == "]":
                return position + 1
            else:
                raise fail(position, "expected ',' or ']' in the dataset list")

    if closing is None:
        end = yield from array(start)
        if skip(end) != len(text):
            raise fail(skip(end), "extra data after the catalog")
        return
    position = skip(start + 1)
    found = False
    keys: list[str] = []
    while not text.startswith("}", position):
        key, position = value(position)
        if not isinstance(key, str):
            raise fail(position, "expected a key")
        keys.append(key)
        position = skip(position)
        if not text.startswith(":", position):
            raise fail(position, "expected ':'")
        position = skip(position + 1)
        if key == "dataset" and not found:
            found = True
            if not text.startswith("[", position):
                kind, _ = value(position)
                raise SourceError(f"{location}: 'dataset' is a {type(kind).__name__}, not a list")
            position = yield from array(position)
        else:
            _, position = value(position)
        position = skip(position)
        if text.startswith(",", position):
            position = skip(position + 1)
        elif not text.startswith("}", position):
            raise fail(position, "expected ',' or '}'")
    if skip(position + 1) != len(text):
        raise fail(skip(position + 1), "extra data after the catalog")
    if not found:
        raise SourceError(f"{location}: the catalog object has no 'dataset' list "
                          f"(keys: {', '.join(sorted(keys)[:10]) or 'none'})")


def raw_digest(raw: dict, salt: str) -> str:
    """A record's digest from its own JSON (keys sorted) and the harvest's configuration.

    Comparing it with the stored one tells an unchanged record before it is validated or
    mapped — the costly part of a re-harvest — while any change to the record, to the
    source's options or to the mapping (its version is in `salt`) still shows.
    """
    import hashlib

    canonical = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((salt + "\0" + canonical).encode("utf-8", "surrogatepass")).hexdigest()


class DataJsonLoader:
    name = "datajson"
    description = "DCAT-US 1.1 data.json (and Project Open Data 1.0 arrays)"

    def records(self, first: Fetched, context: LoadContext) -> Iterator[Record | Issue]:
        datasets, legacy = stream_datasets(first, context.max_json_depth)
        validator = None
        if not legacy and context.options.get("validate", True):
            schema = find_standard(SCHEMA_RELATIVE, context.options.get("schema"))
            if schema is not None:
                validator = record_validator(str(schema))
        mapper = Mapper(context, report_missing=validator is None)
        if validator is None and not legacy:
            yield Issue("the data.gov DCAT-US 1.1 schema was not found; records were not "
                        "validated", severity="warning")
        for index, raw in enumerate(datasets):
            if not isinstance(raw, dict):
                label = f"dataset[{index}]"
                yield Record(key=label, skipped="not an object", issues=[Issue(
                    f"dataset[{index}] is a {type(raw).__name__}, not an object; skipped", label)])
                continue
            schema_issues: list[Issue] = []
            label = as_text(raw.get("identifier")) or f"dataset[{index}]"
            digest = raw_digest(raw, context.salt)
            known = context.known.get(label)
            if known is not None and known == digest and as_text(raw.get("title")):
                iri = context.dataset_iri(label)
                if iri.value not in mapper.seen:
                    mapper.seen[iri.value] = label
                    yield Record(key=label, iri=iri, unchanged=True, identifier=label,
                                 landing_page=as_text(raw.get("landingPage")), _digest=digest)
                    continue
            if validator is not None:
                for error in validator.iter_errors(raw):
                    field, message = describe_schema_error(error)
                    schema_issues.append(Issue(message, label, field, "warning"))
            record = mapper.record(self.fields(raw, legacy))
            if record.skipped and not record.identifier:
                record.key = label
                record.issues = [replace(i, record=label) for i in record.issues]
            record.issues[:0] = schema_issues
            if not record.skipped:
                record._digest = digest
            yield record

    @staticmethod
    def fields(raw: dict, legacy: bool = False) -> DatasetFields:
        contact = raw.get("contactPoint")
        if isinstance(contact, dict):
            contact_name = as_text(contact.get("fn"))
            contact_email = as_text(contact.get("hasEmail"))
        else:
            contact_name = as_text(contact)
            contact_email = as_text(raw.get("mbox"))
        publisher = raw.get("publisher")
        publisher_name = as_text(publisher.get("name")) if isinstance(publisher, dict) \
            else as_text(publisher)
        distributions = []
        raw_distributions = raw.get("distribution")
        if isinstance(raw_distributions, dict):
            raw_distributions = [raw_distributions]
        for item in raw_distributions if isinstance(raw_distributions, list) else []:
            if not isinstance(item, dict):
                continue
            distributions.append(Distribution(
                title=as_text(item.get("title")),
                description=as_text(item.get("description")),
                download_url=as_text(item.get("downloadURL")),
                access_url=as_text(item.get("accessURL")),
                media_type=as_text(item.get("mediaType")),
                format=as_text(item.get("format")),
                conforms_to=as_list(item.get("conformsTo")),
                described_by=as_text(item.get("describedBy")),
            ))
        if legacy and not distributions and (raw.get("accessURL") or raw.get("webService")):
            distributions.append(Distribution(
                access_url=as_text(raw.get("accessURL")) or as_text(raw.get("webService")),
                format=as_text(raw.get("format"))))
        return DatasetFields(
            identifier=as_text(raw.get("identifier")),
            title=as_text(raw.get("title")),
            description=as_text(raw.get("description")),
            keywords=as_list(raw.get("keyword")),
            themes=as_list(raw.get("theme")),
            modified=as_text(raw.get("modified")),
            issued=as_text(raw.get("issued")),
            publisher=publisher_name,
            contact_name=contact_name,
            contact_email=contact_email,
            access_level=as_text(raw.get("accessLevel")),
            license=as_text(raw.get("license")),
            rights=as_text(raw.get("rights")),
            spatial=spatial_text(raw.get("spatial")),
            temporal=as_text(raw.get("temporal")),
            landing_page=as_text(raw.get("landingPage")),
            conforms_to=as_list(raw.get("conformsTo")),
            language=as_list(raw.get("language")),
            references=as_list(raw.get("references")),
            accrual_periodicity=as_text(raw.get("accrualPeriodicity")),
            described_by=as_text(raw.get("describedBy")),
            source_iri=as_text(raw.get("@id")),
            distributions=distributions,
            personal_data=as_list(raw.get("personalData") or raw.get("rg:personalData")),
        )
