"""A served demo region on a real on-disk store, and members with tokens."""

from email import message_from_bytes, policy

import httpx
import pytest
from aiosmtpd.controller import Controller

from regiongraph.accounts import issue_token
from regiongraph.iri import Minter
from regiongraph.settings import Settings
from regiongraph.store import open_store
from tests.support import free_port, serve_app

PEOPLE = {
    "analyst": "sofia-marquez",    # Mesquite data leader
    "executive": "robert-hale",    # Mesquite city manager
    "saguaro": "lena-park",        # Saguaro data leader
    "steward": "tom-reyes",        # Saguaro data steward
    "poster": "priya-natarajan",   # Saguaro GIS manager, for the rate limit
    "follower": "james-okafor",    # Saguaro chief data officer
    "mayor": "maria-delgado",      # Saguaro mayor
}


@pytest.fixture(scope="module")
def forum_site(tmp_path_factory):
    from regiongraph.api.app import create_app

    from regiongraph.pipeline import load_demo

    settings = Settings(store=str(tmp_path_factory.mktemp("forum") / "store"), index="memory",
                        admin_token="forum-admin", forum_posts_per_minute=1000,
                        notify_interval=0, harvest_allow_private=True,
                        webhook_retry_seconds=0.01, webhook_max_failures=4)
    store = open_store(settings)
    load_demo(store, settings)
    minter = Minter(settings.base)
    tokens = {role: issue_token(store, settings, minter.iri("person", who).value,
                                scope="write")[0] for role, who in PEOPLE.items()}
    tokens["reader"] = issue_token(store, settings, minter.iri("person", "sofia-marquez").value,
                                   scope="read")[0]
    with serve_app(create_app(settings, store=store)) as url:
        yield {"url": url, "store": store, "settings": settings, "tokens": tokens,
               "minter": minter}
    store.close()


@pytest.fixture
def client(forum_site):
    def make(role: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {forum_site['tokens'][role]}"} if role else {}
        return httpx.Client(base_url=forum_site["url"], headers=headers, timeout=30)
    return make


@pytest.fixture
def mailbox(forum_site):
    """A real SMTP server on loopback that the site mails through; yields what it got."""
    received: list = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append(message_from_bytes(envelope.content, policy=policy.default))
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    settings = forum_site["settings"]
    settings.smtp_host, settings.smtp_port = "127.0.0.1", port
    yield received
    settings.smtp_host = None
    controller.stop()
