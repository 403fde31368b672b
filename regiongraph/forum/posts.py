"""Forum posts in the store: written through the one change path, read back as `Post`s.

A post is never deleted: an edit keeps the annotation and moves `dct:modified`; a steward
hides a post by a moderating annotation that targets it (the post stays, readable by
moderators); closing a thread records who closed it and when.
"""

import datetime as dt
import re
import uuid

from pyoxigraph import Literal, NamedNode, Quad

from regiongraph.accounts import Principal
from regiongraph.change import apply_change
from regiongraph.clock import now, stamp
from regiongraph.errors import RegiongraphError
from regiongraph.forum import audience as rule
from regiongraph.forum.events import post_events
from regiongraph.forum.model import (
    AUDIENCES,
    ENDORSING,
    MODERATING,
    REPLYING,
    STARTING,
    Post,
)
from regiongraph.iri import FORUM_GRAPH, Minter
from regiongraph.namespaces import DCT, OA, RDF, RG, RGC
from regiongraph.notify.events import event_quads
from regiongraph.settings import Settings
from regiongraph.store import Store

MAX_TEXT = 20_000
MAX_TITLE = 300
MENTION = re.compile(r"(?<![\w@])@([a-z0-9][a-z0-9._-]*[a-z0-9])", re.IGNORECASE)


class ForumError(RegiongraphError):
    """A post cannot be written as asked; the message says why (a 400)."""


class NotAllowed(ForumError):
    """The principal may not do this (a 403, or 401 when anonymous)."""


class PostNotFound(ForumError):
    """No such post, or none the principal may read (a 404)."""


class TooManyPosts(ForumError):
    """The principal posted too often in the last minute (a 429)."""


def forum_graph(settings: Settings) -> NamedNode:
    return Minter(settings.base).graph(FORUM_GRAPH)


def _audience_concept(name: str) -> NamedNode:
    return RGC.term(f"audience/{name}")


# --- writing ---------------------------------------------------------------------------


def _require_author(store: Store, settings: Settings, principal: Principal) -> str:
    if principal.person is None:
        raise NotAllowed("posting needs a signed-in member")
    if not principal.may_write:
        raise NotAllowed("this credential may only read: posting needs a write token or a "
                         "signed-in session")
    limit = settings.forum_posts_per_minute
    since = stamp(now() - dt.timedelta(minutes=1))
    rows = store.query(f"""
SELECT (COUNT(?a) AS ?n) WHERE {{ GRAPH {forum_graph(settings)} {{
  ?a {DCT.creator} <{principal.person}> ; {DCT.created} ?at FILTER(?at > {since}) }} }}""")
    if int(next(iter(rows))["n"].value) >= limit:
        raise TooManyPosts(f"at most {limit} posts a minute; try again shortly")
    return principal.person


def _check_text(text: str, title: str | None = None) -> None:
    if not text.strip():
        raise ForumError("a post needs a text")
    if len(text) > MAX_TEXT:
        raise ForumError(f"a post is at most {MAX_TEXT} characters")
    if title is not None and not 0 < len(title.strip()) <= MAX_TITLE:
        raise ForumError(f"a thread needs a title of 1 to {MAX_TITLE} characters")


def _mentions(store: Store, settings: Settings, text: str) -> list[NamedNode]:
    """`@maria-delgado` names the person minted from that id, when the registry has them."""
    minter = Minter(settings.base)
    people = [minter.iri("person", name) for name in dict.fromkeys(MENTION.findall(text))]
    if not people:
        return []
    values = " ".join(str(p) for p in people)
    rows = store.query(f"SELECT ?p WHERE {{ VALUES ?p {{ {values} }} ?p a ?type }}",
                       union_default_graph=True)
    known = {row["p"].value for row in rows}
    return [p for p in people if p.value in known]


def _write(store: Store, settings: Settings, quads: list[Quad], subject: NamedNode) -> None:
    """One change: the post and the events it causes."""

    def write() -> list[NamedNode]:
        store.add(quads)
        return list({quad.graph_name for quad in quads})

    apply_change(store, settings, "forum", write, subjects=[subject.value])


def _annotation(store: Store, settings: Settings, principal: Principal, *, target: str,
                motivation: str, text: str, audience: str, thread: str | None,
                resource: str, community: str | None, as_organization: str | None,
                title: str | None = None) -> Post:
    _check_text(text, title)
    author = _require_author(store, settings, principal)
    if as_organization and not rule.may_speak_for(principal, as_organization):
        raise NotAllowed(f"you may not post in the name of {as_organization}")
    minter, graph = Minter(settings.base), forum_graph(settings)
    node = minter.iri("annotation", uuid.uuid4().hex)
    body = NamedNode(node.value + "#body")
    created = now()
    quads = [Quad(node, RDF.type, OA.Annotation, graph),
             Quad(node, OA.motivatedBy, OA.term(motivation), graph),
             Quad(node, OA.hasTarget, NamedNode(target), graph),
             Quad(node, OA.hasBody, body, graph),
             Quad(body, RDF.type, OA.TextualBody, graph),
             Quad(body, RDF.value, Literal(text), graph),
             Quad(body, DCT.format, Literal("text/plain"), graph),
             Quad(node, DCT.creator, NamedNode(author), graph),
             Quad(node, DCT.created, stamp(created), graph),
             Quad(node, RG.audience, _audience_concept(audience), graph),
             Quad(node, RG.inThread, NamedNode(thread or node.value), graph),
             Quad(node, RG.aboutResource, NamedNode(resource), graph)]
    if community:
        quads.append(Quad(node, RG.audienceCommunity, NamedNode(community), graph))
    if as_organization:
        quads.append(Quad(node, RG.postedByOrganization, NamedNode(as_organization), graph))
    if title:
        quads.append(Quad(node, DCT.title, Literal(title.strip()), graph))
    mentioned = _mentions(store, settings, text)
    quads += [Quad(node, RG.mentions, person, graph) for person in mentioned]
    post = Post(iri=node.value, target=target, motivation=motivation, text=text,
                creator=author, created=created, audience=audience,
                thread=thread or node.value, resource=resource,
                audience_community=community, posted_by_organization=as_organization,
                title=title.strip() if title else None,
                mentions=tuple(p.value for p in mentioned))
    for event in post_events(store, settings, post):
        quads += event_quads(settings, event)
    _write(store, settings, quads, node)
    return post


def _audience(principal: Principal, resource_public: bool, audience: str,
              community: str | None) -> tuple[str, str | None]:
    if audience not in AUDIENCES:
        raise ForumError(f"audience must be one of {', '.join(AUDIENCES)}")
    if audience == "public" and not resource_public:
        raise ForumError("a public post needs a public resource: choose the alliance or a "
                         "community as its audience")
    if audience != "community":
        return audience, None
    chosen = community or next(iter(sorted(principal.organizations)), None)
    if chosen is None or not (principal.alliance_steward or chosen in principal.organizations):
        raise NotAllowed("a community audience must be a community you belong to")
    return audience, chosen


def _visible_resource(store: Store, settings: Settings, principal: Principal,
                      resource: str) -> bool:
    if not rule.resource_visible(store, settings, principal, resource):
        raise PostNotFound(f"no resource {resource} that you may see")
    return rule.resource_visible(store, settings, Principal(person=None), resource)


def start_thread(store: Store, settings: Settings, principal: Principal, *, resource: str,
                 title: str, text: str, motivation: str = "commenting",
                 audience: str = "alliance", community: str | None = None,
                 as_organization: str | None = None) -> Post:
    """Open a thread about `resource`: a commenting or questioning annotation with a title."""
    if motivation not in STARTING:
        raise ForumError(f"a thread starts with one of {', '.join(STARTING)}")
    public = _visible_resource(store, settings, principal, resource)
    audience, community = _audience(principal, public, audience, community)
    return _annotation(store, settings, principal, target=resource, motivation=motivation,
                       text=text, audience=audience, thread=None, resource=resource,
                       community=community, as_organization=as_organization, title=title)


def reply(store: Store, settings: Settings, principal: Principal, *, to: str, text: str,
          as_organization: str | None = None) -> Post:
    """Answer a post; the reply joins its thread and its audience."""
    parent = readable_post(store, settings, principal, to)
    thread = readable_post(store, settings, principal, parent.thread)
    if thread.closed_by:
        raise ForumError("the thread is closed")
    return _annotation(store, settings, principal, target=parent.iri, motivation=REPLYING,
                       text=text, audience=thread.audience, thread=thread.iri,
                       resource=thread.resource, community=thread.audience_community,
                       as_organization=as_organization)


def endorse(store: Store, settings: Settings, principal: Principal, *, resource: str,
            text: str, audience: str = "alliance", community: str | None = None,
            as_organization: str | None = None) -> Post:
    """"We use this dataset", "we support this project": an assessing annotation."""
    public = _visible_resource(store, settings, principal, resource)
    audience, community = _audience(principal, public, audience, community)
    return _annotation(store, settings, principal, target=resource, motivation=ENDORSING,
                       text=text, audience=audience, thread=None, resource=resource,
                       community=community, as_organization=as_organization)


def hide(store: Store, settings: Settings, principal: Principal, *, post: str,
         reason: str) -> Post:
    """A steward hides a post: a moderating annotation on it; the post stays in history."""
    if not rule.may_moderate(principal):
        raise NotAllowed("only stewards moderate posts")
    hidden = readable_post(store, settings, principal, post)
    return _annotation(store, settings, principal, target=hidden.iri, motivation=MODERATING,
                       text=reason, audience=hidden.audience, thread=hidden.thread,
                       resource=hidden.resource, community=hidden.audience_community,
                       as_organization=None)


def close(store: Store, settings: Settings, principal: Principal, *, thread: str) -> Post:
    """Close a thread (its author or a steward); who closed it and when are recorded."""
    opening = readable_post(store, settings, principal, thread)
    if not opening.opens_thread:
        raise ForumError("only a thread's opening post can be closed")
    if principal.person != opening.creator and not rule.may_moderate(principal):
        raise NotAllowed("only the thread's author or a steward may close it")
    if opening.closed_by:
        return opening
    graph, node = forum_graph(settings), NamedNode(opening.iri)
    _write(store, settings, [Quad(node, RG.closedBy, NamedNode(principal.person or ""), graph),
                             Quad(node, RG.closedAt, stamp(now()), graph)], node)
    return readable_post(store, settings, principal, thread)


def edit(store: Store, settings: Settings, principal: Principal, *, post: str,
         text: str) -> Post:
    """The author changes a post's text; `dct:modified` records when."""
    current = readable_post(store, settings, principal, post)
    if principal.person != current.creator:
        raise NotAllowed("only its author may edit a post")
    _check_text(text)
    graph, node = forum_graph(settings), NamedNode(current.iri)
    body = NamedNode(current.iri + "#body")

    def write() -> list[NamedNode]:
        store.update(f"""
DELETE {{ GRAPH {graph} {{ {body} {RDF.value} ?text . {node} {DCT.modified} ?m }} }}
INSERT {{ GRAPH {graph} {{ {body} {RDF.value} {Literal(text)} .
                          {node} {DCT.modified} {stamp(now())} }} }}
WHERE {{ GRAPH {graph} {{ {body} {RDF.value} ?text OPTIONAL {{ {node} {DCT.modified} ?m }} }} }}""")
        return [graph]

    apply_change(store, settings, "forum", write, subjects=[node.value])
    return readable_post(store, settings, principal, post)


# --- reading ---------------------------------------------------------------------------

_SELECT = """
SELECT ?a ?target ?motivation ?text ?creator ?created ?audience ?thread ?resource ?community
       ?org ?title ?hiddenBy ?closedBy ?closedAt ?modified
       (GROUP_CONCAT(DISTINCT STR(?mention); separator=" ") AS ?mentions)
WHERE {{ GRAPH {graph} {{
  {where}
  ?a a oa:Annotation ; oa:hasTarget ?target ; oa:motivatedBy ?motivation ;
     oa:hasBody/rdf:value ?text ; dct:creator ?creator ; dct:created ?created ;
     rg:audience ?audience ; rg:inThread ?thread ; rg:aboutResource ?resource .
  OPTIONAL {{ ?a rg:audienceCommunity ?community }}
  OPTIONAL {{ ?a rg:postedByOrganization ?org }}
  OPTIONAL {{ ?a dct:title ?title }}
  OPTIONAL {{ ?a rg:closedBy ?closedBy ; rg:closedAt ?closedAt }}
  OPTIONAL {{ ?a dct:modified ?modified }}
  OPTIONAL {{ ?a rg:mentions ?mention }}
  OPTIONAL {{ ?m oa:hasTarget ?a ; oa:motivatedBy oa:moderating ; dct:creator ?hiddenBy }}
}} }}
GROUP BY ?a ?target ?motivation ?text ?creator ?created ?audience ?thread ?resource ?community
         ?org ?title ?hiddenBy ?closedBy ?closedAt ?modified
ORDER BY ?created ?a"""


def _value(row, name: str) -> str | None:
    term = row[name]
    return term.value if term is not None else None


def _moment(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def _posts(store: Store, settings: Settings, where: str) -> list[Post]:
    from regiongraph.namespaces import sparql_prefixes

    rows = store.query(sparql_prefixes(["oa", "rdf", "dct", "rg"]) + _SELECT.format(
        graph=forum_graph(settings), where=where))
    audience_prefix = RGC.term("audience/").value
    oa_prefix = str.__str__(OA)
    found: dict[str, Post] = {}
    for row in rows:
        iri = row["a"].value
        if iri in found:
            continue
        found[iri] = Post(
            iri=iri, target=row["target"].value,
            motivation=row["motivation"].value.removeprefix(oa_prefix),
            text=row["text"].value, creator=row["creator"].value,
            created=_moment(row["created"].value),
            audience=row["audience"].value.removeprefix(audience_prefix),
            thread=row["thread"].value, resource=row["resource"].value,
            audience_community=_value(row, "community"),
            posted_by_organization=_value(row, "org"), title=_value(row, "title"),
            mentions=tuple((_value(row, "mentions") or "").split()),
            hidden_by=_value(row, "hiddenBy"), closed_by=_value(row, "closedBy"),
            closed_at=_moment(_value(row, "closedAt")),
            modified=_moment(_value(row, "modified")))
    return list(found.values())


def get_post(store: Store, settings: Settings, iri: str) -> Post | None:
    """The post `iri`, whoever may read it (callers apply the audience rule)."""
    if not iri.startswith(Minter(settings.base).base) or "<" in iri or ">" in iri:
        return None
    return next(iter(_posts(store, settings, f"VALUES ?a {{ <{iri}> }}")), None)


def readable_post(store: Store, settings: Settings, principal: Principal, iri: str) -> Post:
    """The post `iri` if `principal` may read it; otherwise as if it did not exist."""
    post = get_post(store, settings, iri)
    if post is None or not rule.readable(store, settings, principal, [post]):
        raise PostNotFound(f"no post {iri}")
    return post


def posts_about(store: Store, settings: Settings, resource: str) -> list[Post]:
    """Every post about `resource` (threads, replies, endorsements, moderation), oldest
    first; callers apply the audience rule."""
    if "<" in resource or ">" in resource:
        return []
    return _posts(store, settings, f"?a rg:aboutResource <{resource}> .")


def posts_by_thread(posts: list[Post]) -> list[Post]:
    """Opening posts with their replies attached (each reply under the post it answers)."""
    by_iri = {post.iri: post for post in posts}
    roots = []
    for post in posts:
        if post.motivation == REPLYING and post.target in by_iri:
            by_iri[post.target].replies.append(post)
        elif post.opens_thread:
            roots.append(post)
    return roots


def endorsement_counts(store: Store, settings: Settings) -> dict[str, int]:
    """Resource → endorsements not hidden by a steward: the evidence the reuse ranking
    reads."""
    rows = store.query(f"""
PREFIX oa: <{str.__str__(OA)}>
SELECT ?resource (COUNT(DISTINCT ?a) AS ?n) WHERE {{ GRAPH {forum_graph(settings)} {{
  ?a oa:motivatedBy oa:assessing ; oa:hasTarget ?resource .
  FILTER NOT EXISTS {{ ?m oa:hasTarget ?a ; oa:motivatedBy oa:moderating }}
}} }} GROUP BY ?resource""")
    return {row["resource"].value: int(row["n"].value) for row in rows}


def search_posts(store: Store, settings: Settings, words: list[str]) -> list[Post]:
    """Posts whose title or text holds every word (case-insensitive), newest first;
    callers apply the audience rule, so a reader finds only what they may read."""
    tests = " && ".join(
        f"CONTAINS(LCASE(CONCAT(COALESCE(?t, ''), ' ', ?body)), {Literal(w)})"
        for w in words)
    where = (f"?a oa:hasBody/rdf:value ?body . OPTIONAL {{ ?a dct:title ?t }} "
             f"FILTER({tests})")
    return sorted(_posts(store, settings, where), key=lambda p: p.created, reverse=True)
