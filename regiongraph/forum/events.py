"""The events a forum post causes: a reply or a new thread for those who follow it, and a
mention for the person named. Only people who may read the post are told of it."""

from regiongraph.accounts import principal_for_person
from regiongraph.forum import audience
from regiongraph.forum.model import ENDORSING, MODERATING, REPLYING, Post
from regiongraph.notify.events import Event, new_event
from regiongraph.notify.subscriptions import followers
from regiongraph.settings import Settings
from regiongraph.store import Store


def _participants(store: Store, settings: Settings, thread: str) -> set[str]:
    rows = store.query(f"""
PREFIX dct: <http://purl.org/dc/terms/>
SELECT DISTINCT ?p WHERE {{ GRAPH ?g {{ ?a <https://w3id.org/regiongraph/ns#inThread> <{thread}> ;
                                         dct:creator ?p }} }}""")
    return {row["p"].value for row in rows}


def _may_read(store: Store, settings: Settings, people: set[str], post: Post) -> set[str]:
    return {person for person in people
            if audience.readable(store, settings, principal_for_person(store, settings, person),
                                 [post])}


def post_events(store: Store, settings: Settings, post: Post) -> list[Event]:
    """The events to record with `post`, in the same change."""
    if post.motivation in (MODERATING, ENDORSING):
        return []
    interested = followers(store, settings, [post.resource, post.thread])
    if post.motivation == REPLYING:
        interested |= _participants(store, settings, post.thread)
    kind = "thread-reply" if post.motivation == REPLYING else "new-post"
    title = post.title or post.text[:80]
    if post.motivation == REPLYING:
        from regiongraph.forum.posts import get_post

        thread = get_post(store, settings, post.thread)
        title = thread.title if thread and thread.title else title
    context = [post.resource, *filter(None, [post.audience_community])]
    events = []
    readers = _may_read(store, settings, interested - {post.creator}, post)
    if readers:
        summary = f"Reply in “{title}”" if kind == "thread-reply" else f"New post: {title}"
        events.append(new_event(settings, kind, summary, post.iri, readers,
                                actor=post.creator, context=context))
    named = _may_read(store, settings, set(post.mentions) - {post.creator}, post)
    if named:
        events.append(new_event(settings, "mentioned", f"You were mentioned: {title}",
                                post.iri, named, actor=post.creator, context=context))
    return events
