"""Lexical checks on SPARQL text, done before anything reaches the store.

Why: pyoxigraph's `Store.query` fetches `SERVICE` URLs over HTTP and has no switch to
stop it (DESIGN.md, security model), so a public endpoint must refuse `SERVICE` (and
`LOAD` in updates) itself. A regular expression over the raw text is not enough: the
word may sit harmlessly inside a string, an IRI or a comment (and must then pass), or
hide behind lower case (and must then be caught). So the text is split into SPARQL
tokens the way the grammar does (strings, IRIs, comments, variables, prefixed names,
keywords) and only bare keywords count.

The same token stream answers the other questions the protocol layer has before it runs
anything: which query form this is (to negotiate a result format before evaluating),
whether the query names its own dataset (`FROM`, which a union default graph would
otherwise override), and where an update's `WHERE` clauses are (to apply the protocol's
`using-graph-uri` parameters, which pyoxigraph's `update` does not take). And whether
the text is too deep or too long for pyoxigraph to parse without overflowing its stack
(`check_size`, see `regiongraph.limits`).
"""

import re
from dataclasses import dataclass, field

from pyoxigraph import NamedNode

from regiongraph.errors import RegiongraphError
from regiongraph.limits import LimitExceeded, Limits, exceeded

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>\#[^\n\r]*)
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<string>'''(?:[^'\\]|\\.|'(?!''))*'''
              |\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
              |'(?:[^'\\\n\r]|\\.)*'
              |"(?:[^"\\\n\r]|\\.)*")
  | (?P<var>[?$][\w\u00B7\u00C0-\uFFFF]+)
  | (?P<lang>@[A-Za-z]+(?:-[A-Za-z0-9]+)*)
  | (?P<word>(?:[A-Za-z_\u00C0-\uFFFF][\w.\-\u00B7\u00C0-\uFFFF]*)?
             :(?:[\w.\-:%\u00B7\u00C0-\uFFFF]|\\.)*
            |[A-Za-z_\u00C0-\uFFFF][\w\-\u00B7\u00C0-\uFFFF]*)
  | (?P<number>[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)
  | (?P<punct>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_UNICODE_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")

QUERY_FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")
REFUSED_IN_QUERIES = {
    "SERVICE": "SERVICE is refused here: it would make the server fetch other URLs. "
               "Query the other endpoint yourself and combine the results.",
}
REFUSED_IN_UPDATES = {
    **REFUSED_IN_QUERIES,
    "LOAD": "LOAD is refused here: it would make the server fetch a URL. Download the data "
            "and send it with the Graph Store Protocol (PUT or POST /store?graph=...).",
}


class OperationRefused(RegiongraphError):
    """The text uses a feature this endpoint refuses (SERVICE, LOAD)."""


class DatasetConflict(RegiongraphError):
    """Protocol dataset parameters given for an update that names its own dataset."""


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int
    end: int
    depth: int
    """Curly-brace nesting depth at the token (0 = outside every group)."""

    @property
    def keyword(self) -> str | None:
        """The upper-cased keyword, for a bare word (no colon) only."""
        if self.kind == "word" and ":" not in self.text:
            return self.text.upper()
        return None


def tokens(text: str) -> list[Token]:
    """SPARQL tokens of `text`, whitespace and comments dropped, with brace depth.

    >>> [t.keyword for t in tokens('SELECT * { ?s <x> "SERVICE" } # service')]
    ['SELECT', None, None, None, None, None, None]
    """
    found: list[Token] = []
    depth = 0
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "punct"
        if kind in ("ws", "comment"):
            continue
        value = match.group()
        if value == "}":
            depth = max(0, depth - 1)
        found.append(Token(kind, value, match.start(), match.end(), depth))
        if value == "{":
            depth += 1
    return found


_OPENERS = {"{", "(", "["}
_CLOSERS = {"}", ")", "]"}
_DATA_BLOCK_KEYWORDS = {"VALUES", "DATA"}


def check_size(text: str, limits: Limits, *, update: bool = False) -> None:
    """Refuse text too deep or too long for pyoxigraph to parse without crashing.

    Nesting counts `{ ( [` and reified triples `<< >>` together. Tokens inside a VALUES
    block or an INSERT/DELETE DATA block do not count: pyoxigraph keeps those as flat
    lists (100,000 values or triples were measured harmless), while every other token may
    add a level to its algebra tree. In an update each operation (between top-level `;`)
    counts on its own: a sequence of operations is a flat list too. The scan stops at
    the first excess, so refusing a 10 MB body costs no more than its first few kB.

    >>> check_size("SELECT * { { { ?s ?p ?o } } }", Limits(query_depth=2))
    Traceback (most recent call last):
    regiongraph.limits.LimitExceeded: query nesting depth exceeds the limit of 2 at line 1, \
column 14 (REGIONGRAPH_MAX_QUERY_DEPTH)
    """
    what = "update" if update else "query"
    depth = count = 0
    data_from: int | None = None  # the depth a VALUES or DATA block opened at
    data_next = False
    previous, end = "", -1
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind in ("ws", "comment"):
            continue
        value = match.group()
        reified = value in ("<", ">") and previous == value and match.start() == end
        previous, end = value, match.end()
        if value in _OPENERS or (reified and value == "<"):
            depth += 1
            if depth > limits.query_depth:
                raise _excess(text, match.start(), f"{what} nesting depth", limits.query_depth,
                              "REGIONGRAPH_MAX_QUERY_DEPTH")
            if value == "{" and data_next:
                data_from, data_next = depth, False
        elif value in _CLOSERS or (reified and value == ">"):
            if data_from is not None and value == "}" and depth == data_from:
                data_from = None
            depth = max(0, depth - 1)
        if kind == "word" and value.upper() in _DATA_BLOCK_KEYWORDS:
            data_next = True
        if update and value == ";" and depth == 0:
            count = 0
        elif data_from is None:
            count += 1
            if count > limits.query_tokens:
                per = " (one operation)" if update else ""
                raise _excess(text, match.start(), f"{what} length{per} in tokens",
                              limits.query_tokens, "REGIONGRAPH_MAX_QUERY_TOKENS; VALUES and "
                              "DATA blocks do not count")


def _excess(text: str, offset: int, what: str, limit: int, setting: str) -> LimitExceeded:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return exceeded(what, limit, setting, f" at line {line}, column {column}")


def _unescaped(text: str) -> str:
    def replace(match: re.Match) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF else ""

    return _UNICODE_ESCAPE.sub(replace, text)


def _keywords(text: str) -> set[str]:
    """Bare keywords of the text as written, and of the text with \\u escapes decoded.

    SPARQL 1.1 allows \\u escapes anywhere; pyoxigraph decodes them only inside strings
    and IRIs, but a checker must not depend on that, so both readings are checked.
    """
    words = {t.keyword for t in tokens(text) if t.keyword}
    if "\\u" in text or "\\U" in text:
        words |= {t.keyword for t in tokens(_unescaped(text)) if t.keyword}
    return words


@dataclass
class QueryInfo:
    form: str
    """SELECT, CONSTRUCT, DESCRIBE or ASK (from the first form keyword)."""
    has_dataset: bool
    """The query has FROM / FROM NAMED clauses of its own."""

    @property
    def is_graph(self) -> bool:
        return self.form in ("CONSTRUCT", "DESCRIBE")


def check_query(text: str, limits: Limits | None = None) -> QueryInfo:
    """Refuse SERVICE (and, given `limits`, text too deep or long); tell the query form
    and whether it names its own dataset.

    Syntax errors are left to the real parser: this only looks at keywords. A text with
    no form keyword is reported as SELECT so that the parser gives the precise error.
    """
    if limits is not None:
        check_size(text, limits)
    words = _keywords(text)
    for word, message in REFUSED_IN_QUERIES.items():
        if word in words:
            raise OperationRefused(message)
    form = "SELECT"
    for token in tokens(text):
        if token.keyword in QUERY_FORMS:
            form = token.keyword
            break
    return QueryInfo(form=form, has_dataset="FROM" in words)


@dataclass
class UpdateInfo:
    names_dataset: bool
    """USING, USING NAMED or WITH appear: the update names its own dataset."""
    where_offsets: list[int] = field(default_factory=list)
    """Offsets of the top-level WHERE keywords of DELETE/INSERT ... WHERE operations."""
    delete_where: bool = False
    """A `DELETE WHERE { }` short form is present (it cannot take USING)."""


def check_update(text: str, limits: Limits | None = None) -> UpdateInfo:
    """Refuse LOAD and SERVICE (and, given `limits`, text too deep or long); find what the
    dataset parameters need."""
    if limits is not None:
        check_size(text, limits, update=True)
    words = _keywords(text)
    for word, message in REFUSED_IN_UPDATES.items():
        if word in words:
            raise OperationRefused(message)
    info = UpdateInfo(names_dataset=bool(words & {"USING", "WITH"}))
    previous: Token | None = None
    for token in tokens(text):
        if token.keyword == "WHERE" and token.depth == 0:
            if previous is not None and previous.keyword == "DELETE":
                info.delete_where = True
            else:
                info.where_offsets.append(token.start)
        previous = token
    return info


def with_using(text: str, using: list[str], using_named: list[str]) -> str:
    """Apply the protocol's `using-graph-uri` / `using-named-graph-uri` to an update.

    The protocol says these act as USING / USING NAMED clauses on every operation; they
    are inserted before each top-level WHERE. Graph names are checked as IRIs by
    pyoxigraph and written in its N-Triples form, so they cannot change the update's
    structure. An update that names its own dataset conflicts (W3C test
    bad_update_dataset_conflict).
    """
    if not using and not using_named:
        return text
    info = check_update(text)
    if info.names_dataset:
        raise DatasetConflict(
            "the update has USING or WITH clauses and the request has using-graph-uri or "
            "using-named-graph-uri parameters; give the dataset one way only"
        )
    if info.delete_where:
        raise DatasetConflict(
            "a DELETE WHERE { } short form cannot take using-graph-uri parameters; write "
            "DELETE { ... } WHERE { ... } instead"
        )
    clause = " ".join(
        [f"USING {NamedNode(g)}" for g in using]
        + [f"USING NAMED {NamedNode(g)}" for g in using_named]
    ) + " "
    pieces, last = [], 0
    for offset in info.where_offsets:
        pieces.append(text[last:offset])
        pieces.append(clause)
        last = offset
    pieces.append(text[last:])
    return "".join(pieces)


def declared_prefixes(text: str) -> dict[str, str]:
    """The `PREFIX name: <namespace>` declarations of a query, name → namespace.

    For shortening result IRIs the way the query writer wrote them (`query --format table`).

    >>> declared_prefixes('PREFIX dcat: <http://www.w3.org/ns/dcat#> SELECT * { ?s ?p "PREFIX x: <y>" }')
    {'dcat': 'http://www.w3.org/ns/dcat#'}
    """
    found: dict[str, str] = {}
    stream = tokens(text)
    for keyword, name, iri in zip(stream, stream[1:], stream[2:]):
        if (keyword.keyword == "PREFIX" and name.kind == "word" and name.text.endswith(":")
                and name.text.count(":") == 1 and iri.kind == "iri"):
            found[name.text[:-1]] = iri.text[1:-1]
    return found
