"""The notifications the workflow's steps cause, recorded in the same change as the step
(`records.write(events=...)`): a project proposed in a domain someone follows, an
engagement requested of a data leader, a request awaiting its deciders, and a decision on
one's request."""

from regiongraph.notify.events import Event, new_event
from regiongraph.notify.subscriptions import followers
from regiongraph.settings import Settings
from regiongraph.store import Store


def project_proposed(store: Store, settings: Settings, project: str, title: str,
                     domain: str, person: str) -> list[Event]:
    """People following the project's domain (a concept of rgc:domain) are told."""
    people = followers(store, settings, [domain])
    return [new_event(settings, "project-proposed", f"Project proposed: {title}", project,
                      people, actor=person, context=[project])] if people - {person} else []


def engagement_requested(settings: Settings, requests: list[tuple[str, str]], title: str,
                         person: str, project: str) -> list[Event]:
    """Each data leader asked to engage hears of their own request."""
    return [new_event(settings, "engagement-requested", f"Your engagement is asked: {title}",
                      request, [leader], actor=person, context=[project])
            for request, leader in requests]


def decision_awaited(settings: Settings, request: str, title: str, deciders: list[str],
                     person: str, project: str | None) -> Event:
    return new_event(settings, "decision-awaited", f"Awaiting your decision: {title}",
                     request, deciders, actor=person, context=[project] if project else [])


def decision_made(settings: Settings, request: str, title: str, outcome: str,
                  requester: str | None, person: str, project: str | None) -> list[Event]:
    if not requester:
        return []
    return [new_event(settings, "decision-made", f"{outcome.replace('-', ' ').capitalize()}:"
                      f" {title}", request, [requester], actor=person,
                      context=[project] if project else [])]
