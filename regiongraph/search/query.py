"""The search language people type, parsed without ever failing on what they type.

    bike share              both words, anywhere (title matches rank first)
    "street lighting"       a phrase
    transpor*               a prefix
    -parking  NOT parking   exclude a word
    gtfs OR gbfs            either
    community:saguaro       a facet filter inside the query (same names as `fq`)

A search box is not a compiler: an unbalanced quote closes at the end of the text, a
stray `*`, `-` or `:` is punctuation. Only what cannot be honoured is refused, as a
`SearchInputError` (the API turns it into a 400): a query too long to be a question, an
unknown facet, a sort or a page that does not exist.
"""

import re
from dataclasses import dataclass, field

from regiongraph.errors import RegiongraphError
from regiongraph.search.schema import FACETS

MAX_QUERY_CHARS = 1_000
"""Longer text is not a search but a paste; refused with a 400 rather than run."""
MAX_CLAUSES = 40
MAX_ROWS = 100
MAX_FILTER_VALUES = 50
MAX_OFFSET = 100_000
"""Deep paging past this is refused: nobody reads page 5,000; harvesters use the catalog."""

SORTS = {
    "relevance": ("relevance", None),
    "title": ("title_sort", "asc"), "title asc": ("title_sort", "asc"),
    "title desc": ("title_sort", "desc"), "-title": ("title_sort", "desc"),
    "modified": ("modified_at", "desc"), "modified desc": ("modified_at", "desc"),
    "-modified": ("modified_at", "desc"), "modified asc": ("modified_at", "asc"),
    "name": ("name", "asc"), "name asc": ("name", "asc"), "name desc": ("name", "desc"),
}
"""Accepted `sort` spellings → (field, direction)."""

FACET_ALIASES = {
    "type": "kind", "organization": "community", "org": "community", "groups": "theme",
    "group": "theme", "domain": "theme", "tags": "keyword", "tag": "keyword",
    "res_format": "format", "conformsto": "standard", "access_level": "access",
    "year": "modified", "metadata_modified": "modified",
}
"""Other names people (and CKAN clients) use for the facets."""


TEXT_KEYS = frozenset({"title", "notes", "text", "description", "name"})
"""Field names CKAN clients put before words (`title:parking`); searched as plain words."""


class SearchInputError(RegiongraphError):
    """The request cannot be honoured as asked; the message says what to change."""


@dataclass
class Clause:
    """One thing to match: a word, a phrase or a prefix; `negate` excludes it."""

    kind: str
    text: str
    negate: bool = False


@dataclass
class ParsedQuery:
    groups: list[list[Clause]] = field(default_factory=list)
    """Every group must match; the clauses inside a group are alternatives (OR)."""
    excluded: list[Clause] = field(default_factory=list)
    filters: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.groups and not self.excluded


_TOKEN = re.compile(r'\s*(?:(?P<neg>[-+!]?)(?:(?P<key>[A-Za-z_][\w.]*):)?'
                    r'(?:"(?P<phrase>[^"]*)(?P<close>"?)|(?P<word>[^\s"]+)))')


def facet_name(name: str) -> str | None:
    """The canonical facet for a name or alias, None if unknown."""
    key = name.strip().lower()
    key = FACET_ALIASES.get(key, key)
    return key if key in FACETS else None


def parse_query(text: str | None) -> ParsedQuery:
    """Parse what someone typed; see the module docstring for the language."""
    parsed = ParsedQuery()
    if text is None:
        return parsed
    if len(text) > MAX_QUERY_CHARS:
        raise SearchInputError(
            f"the query is {len(text):,} characters long; at most {MAX_QUERY_CHARS:,} are "
            "searched — shorten it or use facets")
    text = text.replace("\u201c", '"').replace("\u201d", '"')
    if text.strip() in ("*", "*:*"):
        return parsed
    pending_or = False
    negate_next = False
    position = 0
    clauses = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            break
        position = match.end()
        neg, key, phrase, word = (match.group("neg"), match.group("key"),
                                  match.group("phrase"), match.group("word"))
        if phrase is not None and not match.group("close"):
            parsed.notes.append("a quote was not closed; the phrase runs to the end")
        if word is not None and phrase is None and key is None:
            if word == "OR":
                pending_or = bool(parsed.groups)
                continue
            if word in ("AND", "&&"):
                continue
            if word == "NOT":
                negate_next = True
                continue
        negate = neg in ("-", "!") or negate_next
        negate_next = False
        if key is not None:
            facet = facet_name(key)
            value = phrase if phrase is not None else word
            if facet is not None and value and value != "*":
                parsed.filters.setdefault(facet, []).append(value)
                continue
            if key.lower() in TEXT_KEYS and value:
                # Solr/CKAN field syntax (title:parking): the words are what matter
                if phrase is None:
                    word = value
            else:
                # not a facet: the key is just another word ("GTFS:schedule")
                word = f"{key} {value}" if value else key
                phrase = None
        if phrase is not None:
            if not phrase.strip():
                continue
            clause = Clause("phrase", phrase, negate)
        elif word.endswith("*") and len(word.rstrip("*")) >= 2:
            clause = Clause("prefix", word.rstrip("*"), negate)
        else:
            stripped = word.strip("*")
            if not stripped:
                continue
            clause = Clause("word", stripped, negate)
        clauses += 1
        if clauses > MAX_CLAUSES:
            raise SearchInputError(f"the query has more than {MAX_CLAUSES} terms; use fewer")
        if clause.negate:
            parsed.excluded.append(clause)
        elif pending_or and parsed.groups:
            parsed.groups[-1].append(clause)
        else:
            parsed.groups.append([clause])
        pending_or = False
    return parsed


def parse_filters(items: list[str] | None) -> dict[str, list[str]]:
    """`fq` values (`community:saguaro`, `format=CSV`) → facet → values.

    Several values of one facet mean either (OR); different facets must all hold (AND).
    An unknown facet is an error naming the valid ones, never silently ignored: a typo in
    a filter would otherwise widen the results without anyone noticing.
    """
    found: dict[str, list[str]] = {}
    for item in items or []:
        if not item or not item.strip():
            continue
        if len(item) > MAX_QUERY_CHARS:
            raise SearchInputError(f"a filter is {len(item):,} characters long; at most "
                                   f"{MAX_QUERY_CHARS:,}")
        name, sep, value = _split_filter(item)
        if not sep:
            raise SearchInputError(f"filter {item[:60]!r} is not name:value "
                                   f"(facets: {', '.join(FACETS)})")
        facet = facet_name(name)
        if facet is None:
            raise SearchInputError(f"unknown facet {name[:40]!r}; facets: {', '.join(FACETS)}")
        value = value.strip().strip('"').strip()
        if not value:
            raise SearchInputError(f"filter {item[:60]!r} has no value")
        values = found.setdefault(facet, [])
        if value not in values:
            values.append(value)
        if len(values) > MAX_FILTER_VALUES:
            raise SearchInputError(f"more than {MAX_FILTER_VALUES} values for facet {facet!r}")
    return found


def _split_filter(item: str) -> tuple[str, str, str]:
    colon, equals = item.find(":"), item.find("=")
    candidates = [i for i in (colon, equals) if i > 0]
    if not candidates:
        return item, "", ""
    at = min(candidates)
    return item[:at], item[at], item[at + 1:]


def year_range(value: str) -> tuple[int | None, int | None]:
    """`2024` → (2024, 2024); `2022..2024`, `..2023`, `2021..` → bounds (inclusive)."""
    text = value.strip()
    match = re.fullmatch(r"(\d{4})?\s*(?:\.\.|to|TO|-)\s*(\d{4})?", text)
    if re.fullmatch(r"\d{4}", text):
        return int(text), int(text)
    if match and (match.group(1) or match.group(2)):
        low = int(match.group(1)) if match.group(1) else None
        high = int(match.group(2)) if match.group(2) else None
        if low is not None and high is not None and low > high:
            raise SearchInputError(f"modified range {value!r} ends before it starts")
        return low, high
    raise SearchInputError(f"modified filter {value[:40]!r}: give a year (2024) or a range "
                           "(2022..2024, ..2023, 2021..)")


def sort_spec(value: str | None) -> tuple[str, str | None]:
    # "score desc, metadata_modified desc": the first key decides, the rest break ties
    key = " ".join((value or "relevance").lower().split(",")[0].split())
    if key in ("score desc", "score", "relevance desc"):
        key = "relevance"
    if key not in SORTS:
        raise SearchInputError(f"unknown sort {value[:40]!r}; use one of: relevance, title asc, "
                               "title desc, modified desc, modified asc, name asc, name desc")
    return SORTS[key]


def clamp_rows(rows: int | None, default: int = 20, maximum: int = MAX_ROWS) -> int:
    """Rows per page: at least 1, at most `maximum` (asking for ten million is not an error,
    it just gets the maximum)."""
    if rows is None:
        return default
    return max(1, min(int(rows), maximum))
