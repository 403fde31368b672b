"""The forum over the Web Annotation Protocol, on a served demo region, real HTTP."""

import json

import httpx
import jsonschema
import pytest
from pyld import jsonld
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from regiongraph.visibility import publishable_datasets
from tests.support import SHARED

STANDARD = SHARED / "standards" / "web-annotation"
PROJECT = "projects/saguaro-bike-share-expansion"
RESTRICTED = "datasets/saguaro/mds-trips"
MEDIA = 'application/ld+json; profile="http://www.w3.org/ns/anno.jsonld"'


def annotation(text: str, target: str, **extra) -> dict:
    return {"@context": "http://www.w3.org/ns/anno.jsonld", "type": "Annotation",
            "body": {"type": "TextualBody", "value": text}, "target": target, **extra}


def post(client, path: str, document: dict):
    return client.post(f"/annotations/on/{path}/", content=json.dumps(document),
                       headers={"Content-Type": MEDIA})


def container(client, path: str, **headers) -> dict:
    response = client.get(f"/annotations/on/{path}/", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def items(document: dict) -> list[dict]:
    return document.get("first", {}).get("items", []) if document["total"] else []


@pytest.fixture(scope="module")
def validator():
    registry = Registry()
    for path in (STANDARD / "definitions").glob("*.json"):
        registry = registry.with_resource(path.name, Resource.from_contents(
            json.loads(path.read_text()), default_specification=DRAFT4))

    def check(document: dict, definition: str) -> None:
        schema = {"$ref": f"annotations.json#/definitions/{definition}"}
        jsonschema.Draft4Validator(schema, registry=registry).validate(document)
    return check


def local_contexts(url, options=None):
    names = {"http://www.w3.org/ns/anno.jsonld": STANDARD / "anno.jsonld"}
    if url not in names:
        raise jsonld.JsonLdError(f"no network here: {url}", "loading document failed")
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
            "document": json.loads(names[url].read_text())}


def test_a_member_opens_a_thread_that_conforms_to_the_model(forum_site, client, validator):
    base = forum_site["minter"].base
    with client("analyst") as analyst:
        created = post(analyst, PROJECT, annotation(
            "Which counters feed the bike-share plan? @lena-park", base + PROJECT,
            title="Counter data", motivation="questioning"))
        assert created.status_code == 201, created.text
        assert created.headers["content-type"] == MEDIA
        assert created.headers["etag"] and created.headers["location"].startswith(
            forum_site["url"] + "/annotations/")
        body = created.json()
        validator(body, "annotationTypeValueFound")
        assert body["motivation"] == "questioning" and body["title"] == "Counter data"
        assert body["mentions"] == [forum_site["minter"].iri("person", "lena-park").value]
        fetched = analyst.get(created.headers["location"])
        assert fetched.json() == body and fetched.headers["etag"] == created.headers["etag"]
    expanded = jsonld.expand(body, {"documentLoader": local_contexts})[0]
    oa = "http://www.w3.org/ns/oa#"
    assert expanded["@type"] == [oa + "Annotation"]
    assert expanded[oa + "hasTarget"][0]["@id"] == base + PROJECT
    assert expanded[oa + "hasBody"][0]["http://www.w3.org/1999/02/22-rdf-syntax-ns#value"][
        0]["@value"].startswith("Which counters")
    assert expanded["https://w3id.org/regiongraph/ns#aboutResource"][0]["@id"] == base + PROJECT


def test_the_container_pages_and_honours_prefer(forum_site, client, validator):
    with client("saguaro") as member:
        document = container(member, PROJECT)
        assert {"BasicContainer", "AnnotationCollection"} <= set(document["type"])
        assert document["total"] == len(document["first"]["items"]) >= 1
        for item in document["first"]["items"]:
            validator(item, "annotationTypeValueFound")
        iris = container(member, PROJECT,
                         Prefer='return=representation;include="http://www.w3.org/ns/oa#'
                                'PreferContainedIRIs"')
        assert all(isinstance(i, str) for i in iris["first"]["items"])
        minimal = container(member, PROJECT, Prefer='return=representation;include="http://'
                                                    'www.w3.org/ns/ldp#PreferMinimalContainer"')
        assert minimal["first"].endswith("?page=0") and "items" not in minimal
        page = member.get(f"/annotations/on/{PROJECT}/", params={"page": 0}).json()
        assert page["type"] == "AnnotationPage" and page["startIndex"] == 0
        assert member.get(f"/annotations/on/{PROJECT}/", params={"page": 9}).status_code == 404
        options = member.options(f"/annotations/on/{PROJECT}/")
        assert "POST" in options.headers["allow"] and "anno.jsonld" in options.headers[
            "accept-post"]


def test_audiences_hold_for_every_reader(forum_site, client):
    base = forum_site["minter"].base
    with client("analyst") as analyst:
        inner = post(analyst, PROJECT, annotation("Mesquite only", base + PROJECT,
                                                  title="Internal", audience="community"))
        assert inner.status_code == 201, inner.text
        public = post(analyst, PROJECT, annotation("Open to all", base + PROJECT,
                                                   title="Public", audience="public"))
        assert public.status_code == 201, public.text
    inner_url, public_url = inner.headers["location"], public.headers["location"]
    with client() as anonymous, client("saguaro") as saguaro, client("executive") as mesquite:
        assert anonymous.get(public_url).status_code == 200
        assert anonymous.get(inner_url).status_code == 404
        assert saguaro.get(inner_url).status_code == 404
        assert mesquite.get(inner_url).status_code == 200
        seen = {i["id"] for i in items(container(anonymous, PROJECT))}
        assert public.json()["id"] in seen and inner.json()["id"] not in seen
        assert all(i["audience"].endswith("/public") for i in items(container(anonymous,
                                                                              PROJECT)))


def test_a_thread_on_data_nobody_else_may_see_stays_hidden(forum_site, client):
    base = forum_site["minter"].base
    store, settings = forum_site["store"], forum_site["settings"]
    assert base + RESTRICTED not in publishable_datasets(store, settings)
    with client("analyst") as analyst:
        refused = post(analyst, RESTRICTED, annotation("?", base + RESTRICTED, title="t"))
        assert refused.status_code == 404
    with client() as anonymous:
        assert anonymous.get(f"/annotations/on/{RESTRICTED}/").status_code == 404
        public_on_private = post(anonymous, RESTRICTED, annotation("x", base + RESTRICTED))
        assert public_on_private.status_code in (401, 404)


def test_replies_endorsements_hiding_and_closing(forum_site, client):
    base = forum_site["minter"].base
    with client("analyst") as analyst, client("saguaro") as saguaro, \
            client("steward") as steward, client("executive") as executive:
        thread = post(analyst, PROJECT, annotation("Shall we share docks?", base + PROJECT,
                                                   title="Docks")).json()
        answer = post(saguaro, PROJECT, annotation("Yes, via GBFS.", thread["id"],
                                                   motivation="replying"))
        assert answer.status_code == 201 and answer.json()["inThread"] == thread["id"]
        endorsed = post(executive, PROJECT, annotation(
            "We support this project", base + PROJECT, motivation="assessing",
            postedByOrganization=base + "communities/mesquite"))
        assert endorsed.status_code == 201, endorsed.text
        as_other = post(analyst, PROJECT, annotation(
            "x", base + PROJECT, motivation="assessing",
            postedByOrganization=base + "communities/saguaro"))
        assert as_other.status_code == 403
        assert post(analyst, PROJECT, annotation("hide", answer.json()["id"],
                                                 motivation="moderating")).status_code == 403
        hidden = post(steward, PROJECT, annotation("off-topic", answer.json()["id"],
                                                   motivation="moderating"))
        assert hidden.status_code == 201
        assert analyst.get(answer.headers["location"]).status_code == 404
        kept = steward.get(answer.headers["location"]).json()
        assert kept["hiddenBy"].endswith("/people/tom-reyes")
        closing = analyst.post(f"/annotations/{thread['id'].rsplit('/', 1)[1]}/close")
        assert closing.status_code == 200 and closing.json()["closedBy"].endswith(
            "/people/sofia-marquez")
        late = post(saguaro, PROJECT, annotation("late", thread["id"], motivation="replying"))
        assert late.status_code == 400 and "closed" in late.text
    from regiongraph.forum.posts import endorsement_counts

    counts = endorsement_counts(forum_site["store"], forum_site["settings"])
    assert counts[base + PROJECT] == 1


def test_editing_needs_the_current_etag_and_the_author(forum_site, client):
    base = forum_site["minter"].base
    with client("analyst") as analyst, client("saguaro") as other:
        created = post(analyst, PROJECT, annotation("draft", base + PROJECT, title="Edit me"))
        url, document = created.headers["location"], created.json()
        changed = dict(document, body={"type": "TextualBody", "value": "final"})
        content = {"content": json.dumps(changed), "headers": {"Content-Type": MEDIA}}
        assert analyst.put(url, **content).status_code == 428
        stale = analyst.put(url, content=content["content"],
                            headers={**content["headers"], "If-Match": 'W/"nope"'})
        assert stale.status_code == 412
        etag = created.headers["etag"]
        refused = other.put(url, content=content["content"],
                            headers={**content["headers"], "If-Match": etag})
        assert refused.status_code == 403
        done = analyst.put(url, content=content["content"],
                           headers={**content["headers"], "If-Match": etag})
        assert done.status_code == 200 and done.json()["body"]["value"] == "final"
        assert "modified" in done.json() and done.headers["etag"] != etag


def test_who_may_post_and_what_is_refused(forum_site, client):
    base = forum_site["minter"].base
    good = annotation("hello", base + PROJECT, title="Hi")
    with client() as anonymous:
        assert post(anonymous, PROJECT, good).status_code == 401
    with client("reader") as reader:
        assert post(reader, PROJECT, good).status_code == 403
    with client("executive") as analyst:
        url = f"/annotations/on/{PROJECT}/"
        assert analyst.post(url, content="{", headers={"Content-Type": MEDIA}).status_code == 400
        assert analyst.post(url, content=json.dumps(good),
                            headers={"Content-Type": "text/plain"}).status_code == 415
        deep = "[" * 5000 + "]" * 5000
        assert analyst.post(url, content=deep, headers={"Content-Type": MEDIA}).status_code == 400
        no_title = post(analyst, PROJECT, annotation("no title", base + PROJECT))
        assert no_title.status_code == 400 and "title" in no_title.text
        bad = post(analyst, PROJECT, dict(good, motivation="shouting"))
        assert bad.status_code == 400 and "motivation" in bad.text
    settings = forum_site["settings"]
    settings.forum_posts_per_minute = 3
    try:
        with client("poster") as poster:
            codes = [post(poster, PROJECT, annotation(f"n{i}", base + PROJECT, title=f"n{i}"))
                     .status_code for i in range(4)]
    finally:
        settings.forum_posts_per_minute = 1000
    assert codes == [201] * 3 + [429]


def test_a_thread_on_shared_confidential_data_shows_exactly_to_those_who_see_the_data(
        forum_site, client):
    """The member rule decides: every reader sees the thread iff they see the dataset."""
    from regiongraph.accounts import principal_for_token
    from regiongraph.membership import visible_datasets

    store, settings = forum_site["store"], forum_site["settings"]
    dataset = forum_site["minter"].iri("dataset", "saguaro", "shelter-intake").value
    path = "datasets/saguaro/shelter-intake"
    author = next(role for role in ("analyst", "steward", "saguaro") if dataset in (
        visible_datasets(store, settings, principal_for_token(
            store, settings, forum_site["tokens"][role])) or set()))
    with client(author) as writer:
        created = post(writer, path, annotation("Winter capacity?", dataset, title="Beds",
                                                audience="alliance"))
        assert created.status_code == 201, created.text
    readers = {role: dataset in (visible_datasets(store, settings, principal_for_token(
        store, settings, token)) or set()) for role, token in forum_site["tokens"].items()}
    assert set(readers.values()) == {True, False}, readers
    for role, sees in readers.items():
        with client(role) as reader:
            answer = reader.get(created.headers["location"])
            assert answer.status_code == (200 if sees else 404), (role, answer.text)
            listed = reader.get(f"/annotations/on/{path}/")
            assert listed.status_code == (200 if sees else 404), role
    with client() as anonymous:
        assert anonymous.get(created.headers["location"]).status_code == 404


def test_public_endorsements_are_evidence_in_the_reuse_ranking(forum_site, client):
    """A public endorsement of a dataset raises its score and is shown as a reason; a
    hidden one counts no more."""
    from regiongraph.analysis.region import load_region
    from regiongraph.analysis.reuse import reuse

    store, settings = forum_site["store"], forum_site["settings"]
    before = reuse(load_region(store, settings))
    item = before.items[0]
    path = item.dataset.split("/", 3)[3]
    with client("executive") as member:
        made = post(member, path, annotation("We use this dataset", item.dataset,
                                             motivation="assessing", audience="public"))
        assert made.status_code == 201, made.text
    after = reuse(load_region(store, settings))
    same = next(i for i in after.items if (i.dataset, i.for_project) ==
                (item.dataset, item.for_project))
    assert same.score == item.score + 0.5
    endorsed = next(r for r in same.reasons if r.kind == "endorsed")
    assert endorsed.evidence == [made.json()["id"]]
    with client("steward") as steward:
        assert post(steward, path, annotation("spam", made.json()["id"],
                                              motivation="moderating")).status_code == 201
    hidden = reuse(load_region(store, settings))
    again = next(i for i in hidden.items if (i.dataset, i.for_project) ==
                 (item.dataset, item.for_project))
    assert again.score == item.score and all(r.kind != "endorsed" for r in again.reasons)


def test_a_community_post_leaks_through_no_route(forum_site, client):
    """Adversarial probes for every tier: a Mesquite-only post never shows to Saguaro's
    members or anonymous users — container, item, discussion page and its JSON, discussion
    search, notifications, outboxes and SPARQL — and shows to Mesquite and the steward."""
    base = forum_site["minter"].base
    secret = "zanzibarquokka"
    with client("analyst") as analyst:
        made = post(analyst, PROJECT, annotation(f"Budget {secret}", base + PROJECT,
                                                 title=f"Inner {secret}",
                                                 audience="community"))
        assert made.status_code == 201, made.text
    url = made.headers["location"]
    routes = [url, f"/annotations/on/{PROJECT}/", f"/discussions?resource={base + PROJECT}",
              f"/discussions?resource={base + PROJECT}&format=json",
              f"/discussions/search?q={secret}&format=json", "/api/v1/notifications",
              "/outbox/communities/mesquite", "/outbox/communities/saguaro",
              "/outbox/people/lena-park"]
    sparql = {"query": f'ASK {{ GRAPH ?g {{ ?s ?p ?o FILTER(CONTAINS(STR(?o), "{secret}")) }} }}'}
    for role in (None, "saguaro", "follower", "steward"):  # steward: Saguaro's, not Mesquite's
        with client(role) as reader:
            for route in routes:
                answer = reader.get(route)
                assert f"Budget {secret}" not in answer.text, (role, route)
                assert f"Inner {secret}" not in answer.text, (role, route)
            asked = reader.post("/sparql", data=sparql,
                                headers={"Accept": "application/sparql-results+json"})
            assert asked.json()["boolean"] is False, role
    admin = httpx.Client(base_url=forum_site["url"], timeout=30,
                         headers={"Authorization": "Bearer forum-admin"})
    for reader in (client("executive"), admin):
        with reader:
            assert reader.get(url).status_code == 200
            found = reader.get(f"/discussions/search?q={secret}&format=json").json()
            assert found["count"] == 1
            page = reader.get(f"/discussions?resource={base + PROJECT}&format=json").text
            assert f"Inner {secret}" in page
