"""Personal API tokens on a real on-disk store with the demo registry."""

import datetime as dt

import pytest

from regiongraph.accounts import issue_token, list_tokens, principal_for_token, revoke_token
from regiongraph.iri import Minter


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from regiongraph.pipeline import load_demo
    from regiongraph.settings import Settings
    from regiongraph.store import open_store

    settings = Settings(store=str(tmp_path_factory.mktemp("s") / "store"), index="memory")
    store = open_store(settings)
    load_demo(store, settings)
    yield store, settings
    store.close()


def test_a_token_acts_as_its_person_with_registry_roles(demo):
    store, settings = demo
    person = Minter(settings.base).iri("person", "sofia-marquez").value
    token, info = issue_token(store, settings, person, scope="write", label="laptop")
    principal = principal_for_token(store, settings, token)
    assert principal is not None and principal.person == person and principal.may_write
    assert any(m.organization.endswith("/communities/mesquite") for m in principal.memberships)
    assert all(not m.executive for m in principal.memberships)
    assert token not in str(list(store.query("SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } }")))
    mentions = store.query(f"SELECT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} "
                           f"FILTER(CONTAINS(STR(?s), '{info.id}') || CONTAINS(STR(?o), '{info.id}')) }}")
    assert {row["g"].value for row in mentions} == {Minter(settings.base).graph("accounts").value}
    assert next(t.id for t in list_tokens(store, settings, person)) == info.id


def test_revoked_expired_and_forged_tokens_are_refused(demo):
    store, settings = demo
    person = Minter(settings.base).iri("person", "robert-hale").value
    token, info = issue_token(store, settings, person, days=1)
    executive = principal_for_token(store, settings, token)
    assert executive is not None and any(m.executive for m in executive.memberships)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
    assert principal_for_token(store, settings, token, now=later) is None
    assert principal_for_token(store, settings, token[:-2] + "xx") is None
    assert principal_for_token(store, settings, "not-a-token") is None
    other = Minter(settings.base).iri("person", "sofia-marquez").value
    assert revoke_token(store, settings, other, info.id) is False
    assert revoke_token(store, settings, person, info.id) is True
    assert principal_for_token(store, settings, token) is None
