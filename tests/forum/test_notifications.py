"""Notifications on every channel, from real forum posts on a served demo region."""

import datetime as dt
import json
import threading
import typing
from http.server import BaseHTTPRequestHandler, HTTPServer

import feedparser
import pytest

from regiongraph.notify import subscriptions, webhooks
from regiongraph.notify.deliver import deliver_pending
from tests.forum.test_annotations import annotation, post

OTHER_PROJECT = "projects/saguaro-scooter-pilot"


def person(site, who: str) -> str:
    return site["minter"].iri("person", who).value


def centre(client) -> dict:
    response = client.get("/api/v1/notifications")
    assert response.status_code == 200, response.text
    return response.json()


def test_followers_see_a_new_thread_and_replies_in_their_centre(forum_site, client):
    base = forum_site["minter"].base
    with client("follower") as follower, client("analyst") as analyst, \
            client("mayor") as mayor:
        assert follower.post("/api/v1/follows", json={"resource": base + OTHER_PROJECT}
                             ).status_code == 201
        assert base + OTHER_PROJECT in follower.get("/api/v1/follows").json()
        assert follower.post("/api/v1/notifications/read").status_code == 204
        before = centre(follower)["unread"]
        thread = post(analyst, OTHER_PROJECT, annotation(
            "Pilot data: who holds it? cc @maria-delgado", base + OTHER_PROJECT,
            title="Pilot data")).json()
        after = centre(follower)
        assert after["unread"] == before + 1
        assert after["items"][0]["summary"] == "New post: Pilot data"
        assert after["items"][0]["object"] == thread["id"]
        mentioned = centre(mayor)["items"]
        assert mentioned[0]["tag"][0]["name"] == "mentioned"
        post(mayor, OTHER_PROJECT, annotation("Saguaro does.", thread["id"],
                                              motivation="replying"))
        kinds = [i["tag"][0]["name"] for i in centre(analyst)["items"]]
        assert kinds[0] == "thread-reply"
        assert follower.post("/api/v1/notifications/read").status_code == 204
        assert centre(follower)["unread"] == 0
        page = follower.get("/notifications")
        assert page.status_code == 200 and "Pilot data" in page.text


def test_a_post_some_followers_may_not_read_is_not_announced_to_them(forum_site, client):
    base = forum_site["minter"].base
    with client("follower") as follower, client("analyst") as analyst:
        follower.post("/api/v1/notifications/read")
        post(analyst, OTHER_PROJECT, annotation("Mesquite only", base + OTHER_PROJECT,
                                                title="Inner", audience="community"))
        assert centre(follower)["unread"] == 0


def test_outbox_and_atom_feed_carry_the_same_events(forum_site, client):
    with client("follower") as follower, client("analyst") as analyst, client() as anonymous:
        url = "/outbox/people/james-okafor"
        outbox = follower.get(url)
        assert outbox.status_code == 200
        assert outbox.headers["content-type"].startswith("application/activity+json")
        document = outbox.json()
        assert document["type"] == "OrderedCollection"
        assert document["totalItems"] == len(document["orderedItems"]) >= 1
        assert analyst.get(url).status_code == 403
        assert anonymous.get(url).status_code == 401
        feed = follower.get(url, headers={"Accept": "application/atom+xml"})
        assert feed.headers["content-type"].startswith("application/atom+xml")
        parsed = feedparser.parse(feed.content)
        assert not parsed.bozo, parsed.bozo_exception
        assert [e.id for e in parsed.entries] == [i["id"] for i in document["orderedItems"]]
        assert parsed.entries[0].title == document["orderedItems"][0]["summary"]
        community = follower.get("/outbox/communities/saguaro.atom")
        assert community.status_code == 200 and feedparser.parse(community.content).feed.title


class Receiver(BaseHTTPRequestHandler):
    """A webhook receiver written from the README only: verify the signature, dedupe by
    the delivery id, answer 500 the first `fail` times."""

    secret = ""
    fail = 0
    seen: typing.ClassVar[list] = []

    def do_POST(self):
        import hashlib
        import hmac

        body = self.rfile.read(int(self.headers["Content-Length"]))
        stamp = self.headers["X-Regiongraph-Timestamp"]
        expected = "sha256=" + hmac.new(Receiver.secret.encode(), stamp.encode() + b"." + body,
                                        hashlib.sha256).hexdigest()
        valid = hmac.compare_digest(expected, self.headers["X-Regiongraph-Signature"])
        Receiver.seen.append((self.headers["X-Regiongraph-Delivery"], valid, json.loads(body)))
        status = 500 if Receiver.fail > 0 else 200
        Receiver.fail -= 1
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Receiver.seen = []
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()


def _rounds(site, times: int) -> list:
    attempts = []
    at = dt.datetime.now(dt.UTC)
    for step in range(times):
        attempts += deliver_pending(site["store"], site["settings"],
                                    at=at + dt.timedelta(seconds=step + 1))
    return attempts


def test_a_webhook_is_signed_retried_and_logged(forum_site, client, receiver):
    base = forum_site["minter"].base
    with client("follower") as follower, client("analyst") as analyst:
        follower.post("/api/v1/follows", json={"resource": base + OTHER_PROJECT})
        made = follower.post("/api/v1/webhooks", json={"url": receiver})
        assert made.status_code == 201, made.text
        hook = made.json()
        Receiver.secret, Receiver.fail = hook["secret"], 3
        assert "secret" not in json.dumps(follower.get("/api/v1/webhooks").json()[0]) or \
            follower.get("/api/v1/webhooks").json()[0]["secret"] is None
        event = post(analyst, OTHER_PROJECT, annotation("Hook me", base + OTHER_PROJECT,
                                                        title="Hooked")).json()
        _rounds(forum_site, 5)
        deliveries = [s for s in Receiver.seen if s[2]["object"] == event["id"]]
        assert len(deliveries) == 4 and all(valid for _, valid, _ in deliveries)
        assert len({key for key, _, _ in deliveries}) == 1
        log = follower.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json()
        mine = [entry for entry in log if entry["state"] == "delivered"]
        assert mine and mine[0]["attempts"] == 4 and mine[0]["result"] == "HTTP 200"
        assert analyst.get(f"/api/v1/webhooks/{hook['id']}/deliveries").status_code == 404
        assert follower.delete(f"/api/v1/webhooks/{hook['id']}").status_code == 204


def test_a_failing_webhook_is_disabled_and_mail_still_goes(forum_site, client, receiver,
                                                          mailbox):
    base = forum_site["minter"].base
    received = mailbox
    settings = forum_site["settings"]
    with client("follower") as follower, client("analyst") as analyst:
        follower.post("/api/v1/follows", json={"resource": base + OTHER_PROJECT})
        hook = follower.post("/api/v1/webhooks", json={"url": receiver}).json()
        Receiver.secret, Receiver.fail = hook["secret"], 100
        post(analyst, OTHER_PROJECT, annotation("Mail me", base + OTHER_PROJECT,
                                                title="Mailed"))
        _rounds(forum_site, 5)
        listed = {h["id"]: h for h in follower.get("/api/v1/webhooks").json()}
        assert listed[hook["id"]]["active"] is False
        assert listed[hook["id"]]["consecutive_failures"] == 4
        subjects = [m["Subject"] for m in received]
        assert "New post: Mailed" in subjects
        to = [m["To"] for m in received if m["Subject"] == "New post: Mailed"]
        assert "jokafor@saguaro-az.example" in to and len(to) == len(set(to))
        subscriptions.set_mail(forum_site["store"], settings, person(forum_site, "james-okafor"),
                               "daily")
        received.clear()
        with client("executive") as other:
            for title in ("One", "Two"):
                assert post(other, OTHER_PROJECT, annotation(
                    title, base + OTHER_PROJECT, title=title)).status_code == 201
        _rounds(forum_site, 2)
        mine = [m for m in received if m["To"] == "jokafor@saguaro-az.example"]
        assert mine == []  # a digest went out today already (the instant mail)
        deliver_pending(forum_site["store"], settings,
                        at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=25))
        mine = [m for m in received if m["To"] == "jokafor@saguaro-az.example"]
        assert len(mine) == 1 and "notifications" in mine[0]["Subject"]
        text = mine[0].get_content()
        assert "New post: One" in text and "New post: Two" in text


def test_webhook_addresses_obey_the_harvest_rule(forum_site):
    store, settings = forum_site["store"], forum_site["settings"]
    owner = person(forum_site, "james-okafor")
    closed = settings.model_copy(update={"harvest_allow_private": False})
    for url in ("http://127.0.0.1:9/x", "http://localhost/x", "http://[::1]/x",
                "http://10.0.0.5/x", "file:///etc/passwd", "gopher://example.org/x"):
        with pytest.raises(webhooks.WebhookError):
            webhooks.register(store, closed, owner, url)
    with pytest.raises(webhooks.WebhookError):
        webhooks.register(store, settings, owner, "http://169.254.169.254/latest")

