"""What a forum post is, independent of how it is stored or served."""

import datetime as dt
from dataclasses import dataclass, field

# Web Annotation motivations the forum uses, by what a member does.
STARTING = ("commenting", "questioning")
REPLYING = "replying"
ENDORSING = "assessing"
MODERATING = "moderating"
MOTIVATIONS = (*STARTING, REPLYING, ENDORSING, MODERATING)

AUDIENCES = ("public", "alliance", "community")


@dataclass(frozen=True)
class Post:
    """One annotation: a thread's opening post, a reply, an endorsement or a moderation."""

    iri: str
    target: str
    """The resource discussed, or the post replied to."""
    motivation: str
    text: str
    creator: str
    created: dt.datetime
    audience: str
    thread: str
    """The thread's opening post (itself for an opening post)."""
    resource: str
    """The resource the thread is about (a reply's target is a post; this is the resource)."""
    audience_community: str | None = None
    posted_by_organization: str | None = None
    title: str | None = None
    mentions: tuple[str, ...] = ()
    hidden_by: str | None = None
    closed_by: str | None = None
    closed_at: dt.datetime | None = None
    modified: dt.datetime | None = None
    replies: list["Post"] = field(default_factory=list, compare=False)

    @property
    def opens_thread(self) -> bool:
        return self.iri == self.thread and self.motivation in STARTING
