"""Lineage edges recorded by hand, with who, when and why, and an audit trail on delete.

Not every flow of data is in a catalog or an OpenLineage feed: a spreadsheet that a
department e-mails each month is lineage too. Stewards record such edges; they live in
their own named graph (`Minter.graph("manual")`), which no harvest ever replaces, so they
survive re-harvests.

Each edge is stated twice in PROV-O: the plain `target prov:wasDerivedFrom source`
(so every lineage query sees it without knowing it is manual), and a qualified
`prov:Derivation` that carries the evidence: `prov:entity` (the source),
`dct:subject` (the target), `prov:atTime`, `rdfs:comment` (why) and
`prov:wasAttributedTo` (who). Deleting an edge removes the plain statement and the
qualification link, and keeps the Derivation with `prov:invalidatedAtTime` and a
`prov:wasInvalidatedBy` activity naming who deleted it and why: the audit record.
"""

from __future__ import annotations

import hashlib

from pyoxigraph import Literal, NamedNode, Quad

from regiongraph.analysis.models import ManualEdge, ManualEdgeIn
from regiongraph.analysis.region import PREFIXES
from regiongraph.change import apply_change
from regiongraph.clock import iso, now
from regiongraph.errors import RegiongraphError
from regiongraph.iri import MANUAL_GRAPH, Minter
from regiongraph.namespaces import DCT, PROV, RDF, RDFS, XSD
from regiongraph.settings import Settings
from regiongraph.store import Store


class ManualEdgeError(RegiongraphError):
    """A manual edge cannot be recorded or deleted; the message says why."""


class EdgeNotFound(ManualEdgeError):
    pass


def _iri(value: str, what: str) -> NamedNode:
    try:
        node = NamedNode(value.strip())
    except ValueError:
        raise ManualEdgeError(f"{what} is not an IRI: {value!r}") from None
    if ":" not in node.value:
        raise ManualEdgeError(f"{what} is not an absolute IRI: {value!r}")
    return node


def agent_node(minter: Minter, agent: str) -> NamedNode:
    """An agent IRI as given, or a person IRI minted from a name."""
    text = agent.strip()
    if text.startswith(("http://", "https://", "urn:", "mailto:")):
        return _iri(text, "agent")
    return minter.iri("person", text)


def _is_dataset(store: Store, iri: NamedNode) -> bool:
    return bool(store.query(PREFIXES + f"ASK {{ {iri} a dcat:Dataset }}",
                            union_default_graph=True))


def add_manual_edge(store: Store, settings: Settings, edge: ManualEdgeIn, *,
                    at: str | None = None) -> ManualEdge:
    """Record that `edge.target` was derived from `edge.source`; both must be datasets.

    A write like any other: through the one change path, so lineage, governance, the
    region snapshot and every other view follow it."""
    minter = Minter(settings.base)
    source = _iri(edge.source, "source")
    target = _iri(edge.target, "target")
    if source == target:
        raise ManualEdgeError("a dataset cannot be derived from itself by a manual edge")
    for node, what in ((source, "source"), (target, "target")):
        if not _is_dataset(store, node):
            raise ManualEdgeError(f"{what} {node.value} is not a dataset in the store")
    when = at or iso(now())
    digest = hashlib.sha256(f"{source.value}|{target.value}|{when}".encode()).hexdigest()[:16]
    record = minter.iri("edge", "manual", digest)
    agent = agent_node(minter, edge.agent)
    graph = minter.graph(MANUAL_GRAPH)
    quads = [
        Quad(target, PROV.wasDerivedFrom, source, graph),
        Quad(target, PROV.qualifiedDerivation, record, graph),
        Quad(record, RDF.type, PROV.Derivation, graph),
        Quad(record, PROV.entity, source, graph),
        Quad(record, DCT.subject, target, graph),
        Quad(record, PROV.atTime, Literal(when, datatype=XSD.dateTime), graph),
        Quad(record, RDFS.comment, Literal(edge.reason), graph),
        Quad(record, PROV.wasAttributedTo, agent, graph),
        Quad(agent, RDF.type, PROV.Agent, graph),
    ]
    if agent.value != edge.agent.strip():
        quads.append(Quad(agent, RDFS.label, Literal(edge.agent.strip()), graph))
    def write() -> list[str]:
        store.add(quads)
        return [graph.value]

    apply_change(store, settings, "manual-edge", write,
                 subjects=[target.value, source.value, record.value])
    return ManualEdge(id=record.value, source=source.value, target=target.value,
                      reason=edge.reason, agent=agent.value, recorded_at=when)


LIST = """SELECT ?e ?source ?target ?when ?why ?agent ?deleted ?by ?byWhy WHERE {
  GRAPH %(graph)s {
    ?e a prov:Derivation ; prov:entity ?source ; dct:subject ?target ; prov:atTime ?when .
    OPTIONAL { ?e rdfs:comment ?why }
    OPTIONAL { ?e prov:wasAttributedTo ?agent }
    OPTIONAL { ?e prov:invalidatedAtTime ?deleted }
    OPTIONAL { ?e prov:wasInvalidatedBy ?act .
               OPTIONAL { ?act prov:wasAssociatedWith ?by }
               OPTIONAL { ?act rdfs:comment ?byWhy } }
  }
} ORDER BY ?when ?e"""


def list_manual_edges(store: Store, minter: Minter, *, include_deleted: bool = False
                      ) -> list[ManualEdge]:
    graph = minter.graph(MANUAL_GRAPH)
    found: dict[str, ManualEdge] = {}
    for row in store.query(PREFIXES + LIST % {"graph": graph}):
        def v(name, row=row):
            term = row[name]
            return None if term is None else term.value

        edge = ManualEdge(id=v("e"), source=v("source"), target=v("target"),
                          recorded_at=v("when"), reason=v("why") or "", agent=v("agent") or "",
                          deleted_at=v("deleted"), deleted_by=v("by"),
                          deletion_reason=v("byWhy"))
        found.setdefault(edge.id, edge)
    edges = list(found.values())
    return edges if include_deleted else [e for e in edges if e.deleted_at is None]


def delete_manual_edge(store: Store, settings: Settings, edge_id: str, *, agent: str,
                       reason: str, at: str | None = None) -> ManualEdge:
    """Withdraw a manual edge; the record stays, marked invalidated by whom and why."""
    minter = Minter(settings.base)
    live = {e.id: e for e in list_manual_edges(store, minter, include_deleted=True)}
    edge = live.get(edge_id)
    if edge is None:
        raise EdgeNotFound(f"no manual lineage edge {edge_id}")
    if edge.deleted_at is not None:
        raise ManualEdgeError(f"manual lineage edge {edge_id} was already deleted "
                              f"at {edge.deleted_at}")
    when = at or iso(now())
    graph = minter.graph(MANUAL_GRAPH)
    record, source, target = NamedNode(edge.id), NamedNode(edge.source), NamedNode(edge.target)
    deleter = agent_node(minter, agent)
    deletion = NamedNode(edge.id + "/deletion")
    others = [e for e in live.values() if e.deleted_at is None and e.id != edge.id
              and (e.source, e.target) == (edge.source, edge.target)]
    removed = [f"{target} {PROV.qualifiedDerivation} {record} ."]
    if not others:  # another live manual edge still states the same derivation
        removed.append(f"{target} {PROV.wasDerivedFrom} {source} .")
    added = [
        f"{record} {PROV.invalidatedAtTime} {Literal(when, datatype=XSD.dateTime)} .",
        f"{record} {PROV.wasInvalidatedBy} {deletion} .",
        f"{deletion} {RDF.type} {PROV.Activity} .",
        f"{deletion} {PROV.wasAssociatedWith} {deleter} .",
        f"{deletion} {PROV.endedAtTime} {Literal(when, datatype=XSD.dateTime)} .",
        f"{deletion} {RDFS.comment} {Literal(reason)} .",
        f"{deleter} {RDF.type} {PROV.Agent} .",
    ]
    if deleter.value != agent.strip():
        added.append(f"{deleter} {RDFS.label} {Literal(agent.strip())} .")
    update = (f"DELETE DATA {{ GRAPH {graph} {{ {' '.join(removed)} }} }} ;\n"
              f"INSERT DATA {{ GRAPH {graph} {{ {' '.join(added)} }} }}")
    def write() -> list[str]:
        store.update(update)
        return [graph.value]

    apply_change(store, settings, "manual-edge", write,
                 subjects=[target.value, source.value, record.value])
    return edge.model_copy(update={"deleted_at": when, "deleted_by": deleter.value,
                                   "deletion_reason": reason})


__all__ = ["EdgeNotFound", "ManualEdgeError", "add_manual_edge", "delete_manual_edge",
           "list_manual_edges"]
