"""Who may read, post and moderate in the forum: the audience on top of the target's view.

A post is read only by someone who can see the resource its thread is about — in their
own view of the region (the public view for anonymous users) — and who is in the post's
audience: everyone (public, allowed only on public resources), the alliance's members, or
one community's members. A hidden post is read by moderators only; it stays in the history.
So a thread on a confidential dataset never shows to someone who cannot see the dataset,
whatever audience its author chose.
"""

from regiongraph.accounts import Principal
from regiongraph.forum.model import Post
from regiongraph.namespaces import RGC
from regiongraph.settings import Settings
from regiongraph.store import Store

# Roles whose holders speak for their organisation and moderate its discussions.
SPEAKING_ROLES = frozenset({RGC.term("role/data-leader").value,
                            RGC.term("role/data-steward").value})
MODERATING_ROLE = RGC.term("role/data-steward").value


def view_of(store: Store, settings: Settings, principal: Principal) -> Store:
    """The store as `principal` sees it (`regiongraph.sparql.member.view_for`): all of it
    for the alliance steward, their member tier's view, else the public view."""
    from regiongraph.sparql.member import view_for

    return view_for(store, settings, principal)


def resource_visible(store: Store, settings: Settings, principal: Principal, iri: str) -> bool:
    """Whether `iri` is a subject in the principal's view of the region."""
    if "<" in iri or ">" in iri or " " in iri:
        return False
    return bool(view_of(store, settings, principal).query(
        f"ASK {{ {{ <{iri}> ?p ?o }} UNION {{ GRAPH ?g {{ <{iri}> ?p ?o }} }} }}"))


def is_member(principal: Principal) -> bool:
    return principal.alliance_steward or bool(principal.memberships)


def may_moderate(principal: Principal) -> bool:
    return principal.alliance_steward or MODERATING_ROLE in principal.roles


def may_speak_for(principal: Principal, organization: str) -> bool:
    """Whether the principal may post in `organization`'s name (uData's
    `posted_by_organization`): its executives, data leaders and data stewards."""
    return principal.alliance_steward or any(
        m.organization == organization and (m.executive or m.role in SPEAKING_ROLES)
        for m in principal.memberships)


def in_audience(principal: Principal, post: Post) -> bool:
    if post.hidden_by and not may_moderate(principal):
        return False
    if principal.alliance_steward or post.audience == "public":
        return True
    if post.audience == "alliance":
        return is_member(principal)
    return post.audience_community in principal.organizations


def readable(store: Store, settings: Settings, principal: Principal,
             posts: list[Post]) -> list[Post]:
    """The posts `principal` may read, each resource's visibility asked once."""
    seen: dict[str, bool] = {}

    def visible(resource: str) -> bool:
        if resource not in seen:
            seen[resource] = resource_visible(store, settings, principal, resource)
        return seen[resource]

    return [post for post in posts if in_audience(principal, post) and visible(post.resource)]
