"""Bad bodies a member may send to the members' write routes: a 400 or 404 naming the
fault, never a 500, and nothing written. Found by the soak suite's bad-input round."""

import json

import httpx
import pytest

from regiongraph.accounts import issue_token

SURROGATE = b'{"q": "\\ud800", "delivery": "\\ud800"}'


def quads(members) -> int:
    return sum(1 for _ in members.store.quads())


@pytest.mark.parametrize(("method", "path", "body", "status", "said"), [
    # pydantic accepts a lone surrogate: it failed in the store (saved search) or in the
    # 422 that echoed it back (mail); refused for every route by api/body.py now
    ("POST", "/api/v1/saved-searches", SURROGATE, 400, "lone UTF-16 surrogate"),
    ("PUT", "/api/v1/notifications/mail", SURROGATE, 400, "lone UTF-16 surrogate"),
    # the workflow read its JSON with request.json(): a JSONDecodeError or RecursionError
    ("POST", "/workflow/access", b"{", 400, "the body is not a JSON object"),
    ("POST", "/workflow/proposals", b"[" * 5000 + b"]" * 5000, 400, "JSON nesting depth"),
    # a dataset was spliced into SPARQL as <...>: a syntax error, and a way to inject
    ("POST", "/workflow/access", json.dumps({"dataset": "x> ?p ?o } UNION { ?s ?p ?o",
                                             "reason": "r"}).encode(), 404, "not an IRI"),
])
def test_a_bad_body_is_refused_and_changes_nothing(members, method, path, body, status, said):
    token, _ = issue_token(members.store, members.settings, members.person("sofia-marquez"),
                           scope="write", label="bad bodies")
    before = quads(members)
    answer = httpx.request(method, members.url + path, content=body, timeout=60, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert answer.status_code == status, answer.text
    assert said in answer.text
    assert quads(members) == before
