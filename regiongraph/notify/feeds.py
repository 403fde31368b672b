"""The same events as an ActivityStreams 2.0 `OrderedCollection` and as an Atom feed."""

import datetime as dt
from typing import Any
from xml.etree import ElementTree as ET

from regiongraph.clock import iso
from regiongraph.notify.events import Event

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
AS_MEDIA = "application/activity+json"
ATOM_MEDIA = "application/atom+xml"
ATOM = "http://www.w3.org/2005/Atom"


def activity(event: Event) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": event.iri, "type": event.activity, "summary": event.summary,
        "object": event.object, "published": iso(event.published),
        "to": list(event.recipients), "tag": [{"type": "Note", "name": event.kind}],
    }
    if event.actor:
        document["actor"] = event.actor
    if event.context:
        document["context"] = list(event.context)
    return document


def outbox(collection_id: str, name: str, events: list[Event]) -> dict[str, Any]:
    return {"@context": AS_CONTEXT, "id": collection_id, "type": "OrderedCollection",
            "name": name, "totalItems": len(events),
            "orderedItems": [activity(event) for event in events]}


def atom(feed_id: str, title: str, self_url: str, events: list[Event]) -> bytes:
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    updated = max((e.published for e in events), default=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    for tag, text in (("id", feed_id), ("title", title), ("updated", iso(updated))):
        ET.SubElement(feed, f"{{{ATOM}}}{tag}").text = text
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=self_url,
                  type=ATOM_MEDIA)
    ET.SubElement(ET.SubElement(feed, f"{{{ATOM}}}author"), f"{{{ATOM}}}name").text = (
        "regiongraph")
    for event in events:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}id").text = event.iri
        ET.SubElement(entry, f"{{{ATOM}}}title").text = event.summary
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = iso(event.published)
        ET.SubElement(entry, f"{{{ATOM}}}published").text = iso(event.published)
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="related", href=event.object)
        ET.SubElement(entry, f"{{{ATOM}}}category", term=event.kind)
        if event.actor:
            ET.SubElement(ET.SubElement(entry, f"{{{ATOM}}}author"),
                          f"{{{ATOM}}}uri").text = event.actor
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
