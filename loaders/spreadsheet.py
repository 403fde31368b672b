"""Spreadsheets of datasets (CSV or XLSX), one row per dataset.

Many members keep their inventory in a spreadsheet long before they run a portal. The
columns are mapped to dataset fields by the source's `columns` option (field → column
header); without it the headers of `demo/templates/datasets.csv` are expected:

    identifier, title, description, keywords, themes, modified, issued, publisher,
    contact_name, contact_email, access_level, license, landing_page, spatial, temporal,
    conforms_to, accrual_periodicity, personal_data, download_url, access_url,
    media_type, format

Lists (keywords, themes, conforms_to, personal_data) are split on `;` (option
`list_separator`). An XLSX file is read from its first sheet (option `sheet`). A CSV
that is not UTF-8 is refused unless `encoding` names its encoding. Row numbers in
errors are the spreadsheet's own (the header is row 1).
"""

import csv
import io
from collections.abc import Iterator

from regiongraph.loaders.base import Fetched, Issue, LoadContext, Record, SourceError
from regiongraph.loaders.dcatmap import DatasetFields, Distribution, Mapper

FIELDS = (
    "identifier", "title", "description", "keywords", "themes", "modified", "issued",
    "publisher", "contact_name", "contact_email", "access_level", "license", "landing_page",
    "spatial", "temporal", "conforms_to", "accrual_periodicity", "personal_data",
    "download_url", "access_url", "media_type", "format",
)
LISTS = {"keywords", "themes", "conforms_to", "personal_data"}
DISTRIBUTION = {"download_url", "access_url", "media_type", "format"}
MAX_ROWS = 1_000_000


class SpreadsheetLoader:
    name = "spreadsheet"
    description = "CSV or XLSX inventory of datasets, with a column mapping"

    def records(self, first: Fetched, context: LoadContext) -> Iterator[Record | Issue]:
        options = context.options
        rows = self.rows(first, options)
        try:
            header = next(rows)
        except StopIteration:
            raise SourceError(f"{first.location}: empty spreadsheet") from None
        header = [str(h).strip() if h is not None else "" for h in header]
        columns = {**{f: f for f in FIELDS}, **(options.get("columns") or {})}
        unknown = set(options.get("columns") or {}) - set(FIELDS)
        if unknown:
            raise SourceError(f"options.columns names unknown field(s) {', '.join(sorted(unknown))}"
                              f"; fields are {', '.join(FIELDS)}")
        position = {field: header.index(col) for field, col in columns.items() if col in header}
        for needed in ("identifier", "title"):
            if needed not in position:
                raise SourceError(f"{first.location}: no column {columns[needed]!r} for "
                                  f"{needed} (header: {', '.join(h for h in header if h)}); "
                                  "map it with options.columns")
        separator = str(options.get("list_separator", ";"))
        mapper = Mapper(context)
        for number, row in enumerate(rows, start=2):
            if number > MAX_ROWS:
                raise SourceError(f"{first.location}: more than {MAX_ROWS:,} rows")
            values = {f: _cell(row, i) for f, i in position.items()}
            if not any(values.values()):
                continue
            fields = DatasetFields(identifier=values.get("identifier"),
                                   title=values.get("title"))
            for name, value in values.items():
                if name in ("identifier", "title") or name in DISTRIBUTION or value is None:
                    continue
                target = {"contact_name": "contact_name", "landing_page": "landing_page",
                          "access_level": "access_level"}.get(name, name)
                if name in LISTS:
                    value = [v.strip() for v in value.split(separator) if v.strip()]
                setattr(fields, target, value)
            if any(values.get(k) for k in DISTRIBUTION):
                fields.distributions.append(Distribution(
                    download_url=values.get("download_url"), access_url=values.get("access_url"),
                    media_type=values.get("media_type"), format=values.get("format")))
            record = mapper.record(fields, key=fields.identifier)
            for issue in record.issues:
                if issue.record is not None:
                    object.__setattr__(issue, "record", f"row {number} ({issue.record})")
            if record.skipped and not fields.identifier:
                record.key = f"row {number}"
                record.issues = [Issue(f"row {number} has no {columns['identifier']!r}; skipped",
                                       f"row {number}", columns["identifier"])]
            yield record

    @staticmethod
    def rows(first: Fetched, options: dict) -> Iterator[list]:
        is_xlsx = first.content[:2] == b"PK" or first.location.lower().endswith((".xlsx", ".xlsm"))
        if is_xlsx:
            return _xlsx_rows(first, options.get("sheet"))
        encoding = options.get("encoding", "utf-8-sig")
        try:
            text = first.content.decode(encoding)
        except UnicodeDecodeError as error:
            line = first.content[:error.start].count(b"\n") + 1
            raise SourceError(f"{first.location}: line {line}: not {encoding} text (byte "
                              f"{first.content[error.start:error.start + 1]!r}); set "
                              "options.encoding (e.g. cp1252)") from None
        except LookupError:
            raise SourceError(f"unknown encoding {encoding!r}") from None
        delimiter = options.get("delimiter")
        if delimiter is None:
            sample = text[:4096]
            delimiter = max((",", ";", "\t"), key=sample.split("\n")[0].count)
        return _csv_rows(first.location, csv.reader(io.StringIO(text, newline=""),
                                                    delimiter=delimiter))


def _csv_rows(location: str, reader) -> Iterator[list]:
    """The rows of `reader`; a row the csv module refuses (a field over its 131,072-character
    limit, a NUL byte) fails the source with the line, not the process with a traceback."""
    try:
        yield from reader
    except csv.Error as error:
        raise SourceError(f"{location}: line {reader.line_num}: not readable CSV ({error}); "
                          "the previous harvest is kept") from None


def _xlsx_rows(first: Fetched, sheet: str | None) -> Iterator[list]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(first.content), read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError) as error:
        raise SourceError(f"{first.location}: not a readable XLSX workbook: {error}") from None
    if sheet is not None and sheet not in book.sheetnames:
        raise SourceError(f"{first.location}: no sheet {sheet!r} (sheets: "
                          f"{', '.join(book.sheetnames)})")
    worksheet = book[sheet] if sheet else book.worksheets[0]

    def generate():
        try:
            for row in worksheet.iter_rows(values_only=True):
                yield list(row)
        finally:
            book.close()

    return generate()


def _cell(row: list, index: int) -> str | None:
    if index >= len(row) or row[index] is None:
        return None
    value = row[index]
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    text = str(value).strip()
    return text or None
