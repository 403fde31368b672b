"""Fixtures of the accounts tests: a copy of the demo served on loopback, with accounts."""

import pytest
from regiongraph.api.app import create_app

from regiongraph.settings import Settings
from tests.sparql.conftest import TOKEN, Service, copy_of
from tests.support import serve_app


@pytest.fixture(scope="module")
def accounts_service(demo_store):
    """A copy of the demo (its own memory store) served by uvicorn on loopback."""
    settings = Settings(store="memory", admin_token=TOKEN, index="memory")
    store = copy_of(demo_store, settings)
    with serve_app(create_app(settings, store=store)) as url:
        yield Service(url, store, settings)
    store.close()


OIDC_CLIENT = ("regiongraph-test", "client-secret-for-tests-3b1d")
OIDC_USERS = {"smarquez@mesquite-az.example": "idp-sofia",
              "stranger@elsewhere.example": "idp-stranger"}


@pytest.fixture(scope="module")
def oidc_service(demo_store):
    """A copy of the demo whose settings name a test identity provider (Authlib's server
    components, on loopback), both served by uvicorn."""
    from tests.accounts.oidc_provider import Client, Provider

    provider = Provider(Client(*OIDC_CLIENT, redirect_uri=""), OIDC_USERS)
    with serve_app(provider.app) as issuer:
        provider.issuer = issuer
        settings = Settings(store="memory", admin_token=TOKEN, index="memory",
                            oidc_issuer=issuer, oidc_client_id=OIDC_CLIENT[0],
                            oidc_client_secret=OIDC_CLIENT[1], oidc_name="Test provider")
        store = copy_of(demo_store, settings)
        with serve_app(create_app(settings, store=store)) as url:
            provider.client.redirect_uri = url + "/sign-in/oidc/callback"
            yield Service(url, store, settings), provider
        store.close()
