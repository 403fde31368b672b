"""Limits on how deep and how long an input may be, checked before anything parses it.

Why: pyoxigraph's SPARQL parser and evaluator and its JSON-LD parser recurse once per
nesting level or chained operator on the thread's stack. Past a few thousand levels the
stack overflows and the whole server dies with SIGSEGV, cutting off every user (measured
on pyoxigraph 0.5.13, 8 MiB thread stacks: `{` nested 3,000 deep, `STR(` or NOT EXISTS
1,000 deep, 10,000 `||`, `!` or UNIONs, 3,000 BINDs, 20,000 triple patterns, JSON-LD
objects 5,000 deep). Python's `json` recurses too (RecursionError, a 500). A signal cannot
be caught, so the input is measured first by scanners that do not recurse, and refused
with a `LimitExceeded` that names the limit and the setting that raises it.

The SPARQL scanner lives beside the other lexical checks (`regiongraph.sparql.guard`);
this module holds the limits, the error and the JSON scanner that every JSON and JSON-LD
body passes through (API routes, Graph Store uploads, harvested documents).
"""

import json
import re
from array import array
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from regiongraph.errors import RegiongraphError

DEFAULT_MAX_QUERY_DEPTH = 100
"""Real queries nest under 30 deep; the shallowest crash measured was 1,000 (`STR(`)."""
DEFAULT_MAX_QUERY_TOKENS = 2_000
"""The largest real query here (a governance rule) has 569 tokens; the smallest crash
measured was 10,000 `!` (and 1,000 triple patterns already take minutes to plan)."""
DEFAULT_MAX_JSON_DEPTH = 100
"""data.json and JSON-LD nest under 20 deep; JSON-LD crashed pyoxigraph at 5,000."""


class LimitExceeded(RegiongraphError, ValueError):
    """An input is deeper or longer than a limit allows; nothing was parsed or changed."""


@dataclass(frozen=True)
class Limits:
    """The limits in force, from the settings (`Settings.limits`)."""

    query_depth: int = DEFAULT_MAX_QUERY_DEPTH
    query_tokens: int = DEFAULT_MAX_QUERY_TOKENS
    json_depth: int = DEFAULT_MAX_JSON_DEPTH


def exceeded(what: str, limit: int, setting: str, where: str = "") -> LimitExceeded:
    """The one wording of every limit error: what, the limit, where, the setting."""
    return LimitExceeded(f"{what} exceeds the limit of {limit:,}{where} ({setting})")


_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))


def json_depth(data: bytes | str) -> int:
    """The deepest nesting of `[` and `{` outside strings, without parsing (or recursing).

    Escapes go first (`\\\\` pairs, then `\\"`, left to right as a parser reads them), so
    every quote left delimits a string and every other piece between quotes is outside
    one; of those, every byte but brackets goes, and brackets become +1 / -1 steps whose
    running sum is the depth. All of it runs in C (0.2 s for a 50 MB catalog, a tenth of
    `json.loads`). Text that is not JSON still gets a number; the parser rejects it after.

    >>> json_depth(b'{"a": [1, {"b": "[[[["}]}')
    3
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    outside = b"".join(raw.replace(b"\\\\", b"").replace(b'\\"', b"").split(b'"')[::2])
    structure = outside.translate(_STEPS, _NOT_BRACKETS)
    return max(accumulate(array("b", structure)), default=0)


def check_json_depth(data: bytes | str, limit: int, where: str) -> None:
    """Refuse JSON (or JSON-LD) nested deeper than `limit`, naming `where` it came from."""
    depth = json_depth(data)
    if depth > limit:
        raise exceeded(f"{where}: JSON nesting depth {depth:,}", limit,
                       "REGIONGRAPH_MAX_JSON_DEPTH")


def load_json(data: bytes | str, limit: int, where: str) -> Any:
    """`json.loads` after the depth check: the one way JSON input is read."""
    check_json_depth(data, limit, where)
    value = json.loads(data)
    if _MAY_HOLD_SURROGATE.search(data if isinstance(data, str) else data.decode("latin-1")):
        check_text(value, where)
    return value


def lone_surrogate(data: bytes, where: str) -> str | None:
    """Why JSON `data` is refused for a lone surrogate in a string, or None (also for
    text that is not JSON: its reader says what is wrong with it)."""
    if not _MAY_HOLD_SURROGATE.search(data.decode("latin-1")):
        return None
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        return None
    try:
        check_text(value, where)
    except ValueError as error:
        return str(error)
    return None


_MAY_HOLD_SURROGATE = re.compile("\\\\u[dD][89a-fA-F]|[\ud800-\udfff]")


def check_text(value: Any, where: str) -> None:
    """Refuse JSON whose strings hold a lone UTF-16 surrogate (`"\\ud800"`): valid JSON
    syntax, but not text. It cannot be encoded, so the store, the index and every answer
    would fail on it later (a 500); refused here, it is a 400 naming it."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError(f"{where}: a string holds a lone UTF-16 surrogate "
                         f"({error.object[error.start:error.end]!r}), which is not text") from None
