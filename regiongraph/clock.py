"""Moments as the graph keeps them: UTC, written as `xsd:dateTime` ending in `Z`.

One module, so every record (sessions, tokens, posts, events, decisions, audit, lineage
edges, harvest reports) compares with every other: a `FILTER(?at > ...)` between two
records written by different parts would silently misorder if one wrote `+00:00` and the
other `Z`, or one kept microseconds and the other did not.
"""

import datetime as dt

from pyoxigraph import Literal

from regiongraph.namespaces import XSD


def now(*, precise: bool = False) -> dt.datetime:
    """Whole seconds unless `precise`: records shown to people need no more, while
    "unread" marks compare events written within the same second."""
    moment = dt.datetime.now(dt.UTC)
    return moment if precise else moment.replace(microsecond=0)


def iso(moment: dt.datetime) -> str:
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.isoformat().replace("+00:00", "Z")


def stamp(moment: dt.datetime) -> Literal:
    return Literal(iso(moment), datatype=XSD.dateTime)


def parse_stamp(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)
