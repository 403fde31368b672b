"""The secret graphs (`iri.SECRET_GRAPHS`: sign-in secrets) kept out of every answer.

Stewards and the admin token query the whole store, but not the accounts graph: password
hashes, token hashes and session ids must not leave the server through any route, even to
a holder of the admin token (a leaked admin token must not hand out everyone's sessions).

Queries: `without_secrets(store)` is the store as a steward sees it. Every query on it runs
on an explicit dataset that leaves the secret graphs out, so no form of query — `GRAPH ?g`,
`FROM NAMED`, DESCRIBE, a union default graph, protocol `named-graph-uri` — can reach them:
what the query or the request names is kept, minus the secret graphs. pyoxigraph's dataset
arguments override a query's own FROM clauses, so the FROM clauses are read here (their
IRIs resolved against the query's PREFIX and BASE declarations) and passed on filtered.

Updates (`check_update_secrecy`): an update can read as well as write, so one that reaches
graphs it does not name could copy secrets into a visible graph or wipe them. The choice:
refuse, with a message, any update that names a secret graph, that uses `ALL`/`NAMED`
(DROP ALL, CLEAR ALL: they would wipe the accounts), that writes to a variable graph
(`INSERT { GRAPH ?g ...}`: `?g` could be built with `IRI()`), or that reads `GRAPH ?g`
without `USING NAMED` (or the protocol's `using-named-graph-uri`) naming the graphs it may
range over — rather than rewrite it. Stewards name the graphs they change.
"""

from collections.abc import Iterator
from itertools import pairwise
from urllib.parse import urljoin

from pyoxigraph import DefaultGraph, NamedNode, Quad

from regiongraph.iri import SECRET_GRAPHS, Minter
from regiongraph.settings import Settings
from regiongraph.sparql.guard import OperationRefused, Token, tokens
from regiongraph.store import Store
from regiongraph.store.base import GraphCounts


def secret_graph_iris(base: str) -> frozenset[str]:
    minter = Minter(base)
    return frozenset(minter.graph(name).value for name in SECRET_GRAPHS)


def is_secret(base: str, graph: str) -> bool:
    """Whether `graph` is a secret graph, or a graph under one (`.../graph/accounts/x`)."""
    return any(graph == iri or graph.startswith(iri + "/") for iri in secret_graph_iris(base))


def dataset_iris(text: str) -> tuple[list[str], list[str]] | None:
    """The IRIs of a query's `FROM` and `FROM NAMED` clauses, resolved against its PREFIX
    and BASE declarations; None when it has no FROM clause."""
    stream = tokens(text)
    resolved = list(_resolved_iris(stream))
    default: list[str] = []
    named: list[str] = []
    found = False
    for index, token in enumerate(stream):
        if token.keyword != "FROM":
            continue
        found = True
        is_named = index + 1 < len(stream) and stream[index + 1].keyword == "NAMED"
        at = index + (2 if is_named else 1)
        iri = resolved[at] if at < len(stream) else None
        if iri is not None:
            (named if is_named else default).append(iri)
    return (default, named) if found else None


def _resolved_iris(stream: list[Token]) -> Iterator[str | None]:
    """For each token, the absolute IRI it denotes (an IRI or a prefixed name), else None."""
    base, prefixes = "", {}
    previous: list[Token] = []
    for token in stream:
        iri: str | None = None
        if token.kind == "iri":
            iri = urljoin(base, _unescape(token.text[1:-1])) if base else _unescape(token.text[1:-1])
        elif token.kind == "word" and ":" in token.text:
            prefix, local = token.text.split(":", 1)
            if prefix in prefixes:
                iri = prefixes[prefix] + local.replace("\\", "")
        if len(previous) >= 2 and previous[-2].keyword == "PREFIX" and iri is not None:
            prefixes[previous[-1].text[:-1]] = iri
        elif previous and previous[-1].keyword == "BASE" and iri is not None:
            base = iri
        yield iri
        previous = [*previous[-1:], token]


def _unescape(text: str) -> str:
    from regiongraph.sparql.guard import _unescaped

    return _unescaped(text)


def check_update_secrecy(update: str, settings: Settings) -> None:
    """Refuse an update that could read, write or wipe a secret graph (see module doc).

    The text is checked as written and with its \\u escapes decoded (the way
    `guard.check_update` reads keywords), so an escape cannot hide a keyword or an IRI."""
    _check_update_text(update, settings)
    if "\\u" in update or "\\U" in update:
        _check_update_text(_unescape(update), settings)


def _check_update_text(update: str, settings: Settings) -> None:
    stream = tokens(update)
    for iri in _resolved_iris(stream):
        if iri is not None and is_secret(settings.base, iri):
            raise OperationRefused(f"the update names {iri}, a graph no route may read or "
                                   "change; nothing was changed")
    for operation in _operations(stream):
        _check_operation(operation)


def _operations(stream: list[Token]) -> Iterator[list[Token]]:
    """The operations of an update: its tokens split at the top-level `;`."""
    current: list[Token] = []
    for token in stream:
        if token.text == ";" and token.depth == 0:
            yield current
            current = []
        else:
            current.append(token)
    yield current


def _check_operation(operation: list[Token]) -> None:
    """A variable graph is refused in a template (it could name a graph built with IRI())
    and in a WHERE clause unless `USING NAMED` limits the graphs it ranges over."""
    using_named = any(a.keyword == "USING" and b.keyword == "NAMED"
                      for a, b in pairwise(operation))
    in_pattern = False
    for index, token in enumerate(operation):
        following = operation[index + 1] if index + 1 < len(operation) else None
        if token.keyword == "WHERE" and token.depth == 0:
            in_pattern = index == 0 or operation[index - 1].keyword != "DELETE"
        if token.keyword == "GRAPH" and following is not None and following.kind == "var" \
                and not (in_pattern and using_named):
            raise OperationRefused(
                f"the update uses GRAPH {following.text}{'' if in_pattern else ' in a template'}"
                ": updates here name the graphs they write (GRAPH <iri>) and read "
                "(or limit them with USING NAMED), so that none reaches the accounts graph; "
                "nothing was changed")
        if token.keyword in ("ALL", "NAMED") and _graph_operation_before(operation, token):
            raise OperationRefused(
                f"the update uses {token.text.upper()}, which would also wipe the accounts "
                "graph: drop or clear each graph by name (DROP GRAPH <iri>); nothing was "
                "changed")


def _graph_operation_before(stream: list[Token], token: Token) -> bool:
    index = stream.index(token)
    return index > 0 and stream[index - 1].keyword in (
        "DROP", "CLEAR", "SILENT", "ADD", "MOVE", "COPY", "TO", "CREATE", "LOAD", "INTO")


def _graph_names(store: Store) -> list[str]:
    """The store's named graphs, cheaply: every query on the view names them (counting
    their quads, as `Store.graphs` does, would scan the store each time)."""
    from regiongraph.store.embedded import EmbeddedStore
    from regiongraph.store.remote import RemoteStore

    if isinstance(store, EmbeddedStore):
        return [g.value for g in store.oxigraph.named_graphs()
                if isinstance(g, NamedNode)]
    if isinstance(store, RemoteStore):
        return store.graph_names()  # the listing its own union queries use
    return [g for g in store.graphs() if g]


class WithoutSecrets:
    """A store as a steward sees it: every read leaves the secret graphs out; writes are
    not offered (they go through the one change path on the real store)."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store, self.base = store, settings.base

    def _visible(self) -> list[NamedNode]:
        return [NamedNode(g) for g in _graph_names(self.store) if not is_secret(self.base, g)]

    def _keep(self, graphs: list) -> list:
        return [g for g in graphs if isinstance(g, DefaultGraph)
                or not is_secret(self.base, g.value)]

    def _default_graph(self) -> list | None:
        """The store's own default graph, as a dataset entry; None for a remote store,
        which cannot name it (it stays the server's default graph, which holds no
        secret: the accounts graph is a named graph)."""
        from regiongraph.store.embedded import EmbeddedStore

        return [DefaultGraph()] if isinstance(self.store, EmbeddedStore) else None

    def query(self, sparql: str, *, substitutions=None, default_graph=None, named_graphs=None,
              union_default_graph: bool = False):
        visible = self._visible()
        from_clauses = dataset_iris(sparql) if default_graph is None and named_graphs is None \
            else None
        default: list | None
        if from_clauses is not None:
            default = self._keep([NamedNode(g) for g in from_clauses[0]])
            named = self._keep([NamedNode(g) for g in from_clauses[1]])
        elif default_graph is not None:
            default = self._keep(default_graph)
            named = self._keep(named_graphs) if named_graphs is not None else visible
        elif union_default_graph:
            default = [*visible, *(self._default_graph() or [])]
            named = self._keep(named_graphs) if named_graphs is not None else visible
        else:
            default = self._default_graph()
            named = self._keep(named_graphs) if named_graphs is not None else visible
        return self.store.query(sparql, substitutions=substitutions,
                                default_graph=_or_nothing(default) if default is not None
                                else None, named_graphs=_or_nothing(named))

    def graphs(self) -> GraphCounts:
        return {g: n for g, n in self.store.graphs().items() if not is_secret(self.base, g)}

    def count(self, graph: NamedNode | None = None) -> int:
        if graph is not None and is_secret(self.base, graph.value):
            return 0
        if graph is None:
            return self.store.count(None)
        return self.store.count(graph)

    def quads(self, graph: NamedNode | None = None) -> Iterator[Quad]:
        return (q for q in self.store.quads(graph)
                if isinstance(q.graph_name, DefaultGraph)
                or not is_secret(self.base, q.graph_name.value))


NO_GRAPH = NamedNode("urn:regiongraph:no-graph")
"""Names an empty dataset part: an empty list would mean "not given" to a remote server,
which would then take the query's own FROM clauses (and they may name a secret graph)."""


def _or_nothing(graphs: list) -> list:
    return graphs or [NO_GRAPH]


def without_secrets(store: Store, settings: Settings) -> WithoutSecrets:
    return WithoutSecrets(store, settings)
