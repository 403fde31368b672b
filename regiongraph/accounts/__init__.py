"""Who is asking: accounts, personal API tokens and the principal a request acts as.

A person's roles are never stored twice: they are the registry's `rg:RoleAssignment`s
(`principal.principal_for_person`). What this package keeps is only what links a sign-in
to a person — token hashes (and, later, sessions and password hashes) — in the secret
`accounts` graph (`iri.SECRET_GRAPHS`), which lives in the store so that every server
process on one store sees the same accounts, and which no route ever shows.
"""

from regiongraph.accounts.principal import ANONYMOUS, Membership, Principal, principal_for_person
from regiongraph.accounts.tokens import (
    TokenInfo,
    issue_token,
    list_tokens,
    principal_for_token,
    revoke_token,
)

__all__ = ["ANONYMOUS", "Membership", "Principal", "TokenInfo", "issue_token", "list_tokens",
           "principal_for_person", "principal_for_token", "revoke_token"]
