"""The named-query library: `queries/*.rq`, each with a small header of decorators.

A header is a block of `#+ ` comment lines at the top of the file, read as YAML:

    #+ name: datasets-by-domain
    #+ summary: Datasets used or produced by projects of one domain
    #+ params:
    #+   domain:
    #+     type: concept/domain
    #+     default: transportation
    #+     example: street-lighting
    #+     description: a concept of rgc:domain, by its last path segment or full IRI

Why parameters are bound as RDF terms through pyoxigraph's `substitutions` and never
spliced into text: the anti-pattern of grlc (STYLE.md) is a string replace in bare
quotes, where `x" } ; DROP ALL ; #` becomes SPARQL. Here every value is turned into a
typed term (`xsd:integer`, `xsd:date`, an IRI checked by pyoxigraph, ...) and handed to
the evaluator as the value of a variable; the query text never changes.

pyoxigraph requires a substituted variable to be in the SELECT projection (NOTES.md §1),
so every SELECT query projects its parameters; the loader checks this when it reads the
library, not when a user first calls the query.

How pyoxigraph 0.5 substitutes (measured): the value stands in for the variable wherever
it occurs, and the output column shows it. So a parameter filters only where the query
*matches* it: inside OPTIONAL alone it filters nothing (every row comes back, labelled
with the value), and `BOUND(?param)` is false even when a value is given. The loader
refuses `BOUND(?param)`; the tests check that every filtering parameter gives exactly the
matching subset of the unfiltered rows. A parameter that is absent stays a free
variable, which the queries use as "any". Substitution is also evaluated after planning,
so it can be slower than a constant in the text (measured up to 25x on small queries);
that is the price of never turning a value into query text.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml
from pyoxigraph import Literal, NamedNode, Variable

from regiongraph.errors import RegiongraphError
from regiongraph.iri import KINDS, Minter, slug
from regiongraph.namespaces import RGC, XSD
from regiongraph.paths import data_path
from regiongraph.sparql.guard import check_query, tokens

NAME = re.compile(r"^[a-z][a-z0-9-]*$")
SIMPLE_TYPES = ("string", "integer", "decimal", "boolean", "date", "iri")
TYPE_HELP = (
    "string, integer, decimal, boolean, date, iri, concept/<scheme> (a concept of "
    "rgc:<scheme>), or id/<kind> (an identifier minted under the base, e.g. id/community)"
)


class LibraryError(RegiongraphError):
    """A query file of the library is malformed; the message names the file."""


class ParameterError(RegiongraphError, ValueError):
    """A value given for a parameter does not fit its type."""


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    default: str | None = None
    example: str | None = None
    description: str = ""

    @property
    def required(self) -> bool:
        return False

    def python_type(self) -> type:
        """The type shown in the OpenAPI description."""
        return {"integer": int, "decimal": float, "boolean": bool, "date": date}.get(
            self.type, str
        )

    def to_term(self, value: str, minter: Minter) -> Literal | NamedNode:
        """Turn a request value into a typed RDF term, or raise ParameterError."""
        value = value.strip()
        kind = self.type
        try:
            if kind == "string":
                return Literal(value)
            if kind == "integer":
                return Literal(str(int(value)), datatype=XSD.integer)
            if kind == "decimal":
                return Literal(str(float(value)), datatype=XSD.decimal)
            if kind == "boolean":
                if value.lower() not in ("true", "false", "1", "0"):
                    raise ValueError(value)
                return Literal(str(value.lower() in ("true", "1")).lower(), datatype=XSD.boolean)
            if kind == "date":
                return Literal(date.fromisoformat(value).isoformat(), datatype=XSD.date)
            if kind == "iri":
                return _absolute_iri(value)
            if kind.startswith("concept/"):
                if "://" in value:
                    return _absolute_iri(value)
                return NamedNode(f"{RGC}{kind.split('/', 1)[1]}/{slug(value)}")
            if kind.startswith("id/"):
                if "://" in value:
                    return _absolute_iri(value)
                return minter.iri(kind.split("/", 1)[1], *value.split("/"))
        except (ValueError, KeyError) as error:
            raise ParameterError(
                f"parameter {self.name!r}: {value!r} is not a valid {kind} ({error})"
            ) from None
        raise ParameterError(f"parameter {self.name!r} has unknown type {kind!r}")


def _absolute_iri(value: str) -> NamedNode:
    if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", value):
        raise ValueError("not an absolute IRI")
    return NamedNode(value)


@dataclass
class NamedQuery:
    name: str
    summary: str
    text: str
    path: Path
    description: str = ""
    params: list[Parameter] = field(default_factory=list)

    @property
    def form(self) -> str:
        return check_query(self.text).form

    def bind(self, values: dict[str, str | None], minter: Minter) -> dict[Variable, object]:
        """Substitutions for the given values; defaults fill the gaps.

        A parameter with neither a value nor a default stays a free variable, which the
        queries use as "any": `?community` unbound lists every community.
        """
        unknown = set(values) - {p.name for p in self.params}
        if unknown:
            known = ", ".join(p.name for p in self.params) or "none"
            raise ParameterError(
                f"query {self.name!r} has no parameter {', '.join(sorted(unknown))}; "
                f"its parameters: {known}"
            )
        bound: dict[Variable, object] = {}
        for param in self.params:
            value = values.get(param.name)
            if value is None or value == "":
                value = param.default
            if value is None or value == "":
                continue
            bound[Variable(param.name)] = param.to_term(str(value), minter)
        return bound

    def describe(self) -> dict:
        return {
            "name": self.name, "summary": self.summary, "description": self.description,
            "form": self.form,
            "params": [
                {"name": p.name, "type": p.type, "default": p.default, "example": p.example,
                 "description": p.description}
                for p in self.params
            ],
        }


def parse_query_file(path: Path) -> NamedQuery:
    """Read one .rq file: its `#+` YAML header and the query below it."""
    text = path.read_text(encoding="utf-8")
    header_lines = []
    for line in text.splitlines():
        if line.startswith("#+"):
            header_lines.append(line[3:] if line.startswith("#+ ") else line[2:])
        elif line.strip() and not line.startswith("#"):
            break
    try:
        header = yaml.safe_load("\n".join(header_lines)) or {}
    except yaml.YAMLError as error:
        raise LibraryError(f"{path.name}: the #+ header is not YAML: {error}") from None
    if not isinstance(header, dict):
        raise LibraryError(f"{path.name}: the #+ header must be a mapping (name:, summary:, ...)")
    name = str(header.get("name") or path.stem)
    if not NAME.match(name):
        raise LibraryError(f"{path.name}: name {name!r} must be lower-case words joined by -")
    if not header.get("summary"):
        raise LibraryError(f"{path.name}: the header needs a summary")
    params = []
    for pname, spec in (header.get("params") or {}).items():
        spec = spec or {}
        ptype = str(spec.get("type", "string"))
        if not (ptype in SIMPLE_TYPES or ptype.startswith("concept/")
                or (ptype.startswith("id/") and ptype[3:] in KINDS)):
            raise LibraryError(
                f"{path.name}: parameter {pname!r} has type {ptype!r}; use {TYPE_HELP}")
        params.append(Parameter(
            name=str(pname), type=ptype,
            default=None if spec.get("default") is None else str(spec["default"]),
            example=None if spec.get("example") is None else str(spec["example"]),
            description=str(spec.get("description", "")),
        ))
    query = NamedQuery(name=name, summary=str(header["summary"]).strip(), text=text, path=path,
                       description=str(header.get("description", "")).strip(), params=params)
    _check_projection(query)
    return query


def _check_projection(query: NamedQuery) -> None:
    """pyoxigraph substitutes only projected variables: check it once, at load time."""
    info = check_query(query.text)
    if info.form != "SELECT" or not query.params:
        return
    projected: set[str] = set()
    star = False
    seen_select = False
    for token in tokens(query.text):
        if token.keyword == "SELECT" and not seen_select:
            seen_select = True
            continue
        if not seen_select:
            continue
        if token.keyword == "WHERE" or token.text == "{":
            break
        if token.text == "*":
            star = True
        if token.kind == "var":
            projected.add(token.text[1:])
    everywhere = tokens(query.text)
    for index, token in enumerate(everywhere[:-2]):
        if token.keyword == "BOUND" and everywhere[index + 2].kind == "var":
            name = everywhere[index + 2].text[1:]
            if name in {p.name for p in query.params}:
                raise LibraryError(
                    f"{query.path.name}: BOUND(?{name}) is always false for a parameter "
                    "(pyoxigraph substitutes the value for the variable); match it instead")
    missing = [p.name for p in query.params if not star and p.name not in projected]
    if missing:
        raise LibraryError(
            f"{query.path.name}: parameters {', '.join(missing)} must be in the SELECT "
            "projection (pyoxigraph binds only projected variables)"
        )


@lru_cache(maxsize=4)
def _load(folder: str, stamp: tuple) -> dict[str, NamedQuery]:
    queries: dict[str, NamedQuery] = {}
    for path in sorted(Path(folder).glob("*.rq")):
        query = parse_query_file(path)
        if query.name in queries:
            raise LibraryError(f"{path.name}: name {query.name!r} is also used by "
                               f"{queries[query.name].path.name}")
        queries[query.name] = query
    return queries


def load_library(folder: Path | None = None) -> dict[str, NamedQuery]:
    """Every named query by name; re-read when a file changes (keyed on mtimes)."""
    folder = folder or data_path("queries")
    stamp = tuple((p.name, p.stat().st_mtime_ns) for p in sorted(folder.glob("*.rq")))
    return _load(str(folder), stamp)


def get_query(name: str, folder: Path | None = None) -> NamedQuery:
    library = load_library(folder)
    if name not in library:
        raise LibraryError(f"no named query {name!r}; known: {', '.join(sorted(library))}")
    return library[name]


def parse_param_options(options: list[str]) -> dict[str, str]:
    """`--param k=v` options of the CLI as a dict; a malformed one is an error naming it."""
    values: dict[str, str] = {}
    for option in options:
        key, sep, value = option.partition("=")
        if not sep or not key.strip():
            raise ParameterError(f"--param {option!r}: write it as name=value")
        values[key.strip()] = value
    return values


def named_query_text(name: str, options: list[str], base: str) -> tuple[str, dict]:
    """(query text, substitutions) for `regiongraph query --name NAME --param k=v ...`."""
    query = get_query(name)
    return query.text, query.bind(parse_param_options(options), Minter(base))
