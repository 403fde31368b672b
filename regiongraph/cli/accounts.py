"""`regiongraph accounts set-password` and `regiongraph tokens create|list|revoke`: how
stewards and automation give people passwords and personal API tokens."""

import json
import sys
from typing import Annotated

import typer

from regiongraph.cli.app import app, console, out, state

accounts_app = typer.Typer(help="People's sign-in: local passwords.", no_args_is_help=True)
tokens_app = typer.Typer(help="Personal API tokens (hashed at rest, with scope and expiry).",
                         no_args_is_help=True)
app.add_typer(accounts_app, name="accounts")
app.add_typer(tokens_app, name="tokens")

PersonOption = Annotated[str, typer.Option(
    "--person", help="The person: their registry id (maria-delgado), IRI or email.")]


def _person(store, settings, given: str) -> str:
    """The person IRI `given` names; an error naming it when the registry has no such person."""
    from regiongraph.accounts.passwords import is_person, person_for_email
    from regiongraph.errors import RegiongraphError
    from regiongraph.iri import Minter

    if "@" in given and not given.startswith(("http://", "https://")):
        found = person_for_email(store, settings, given)
    else:
        iri = given if given.startswith(("http://", "https://")) else \
            Minter(settings.base).iri("person", given).value
        found = iri if is_person(store, settings, iri) else None
    if found is None:
        raise RegiongraphError(f"no person {given!r} in the registry (give a registry id, "
                               "IRI or email); nothing was changed")
    return found


@accounts_app.command("set-password")
def set_password_command(
    person: PersonOption,
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Read the password from standard input (automation).")] = False,
) -> None:
    """Set a person's password for browser sign-in (asked twice, never echoed)."""
    from regiongraph.accounts.passwords import set_password
    from regiongraph.errors import RegiongraphError

    current = state()
    store = current.store()
    iri = _person(store, current.settings, person)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        set_password(store, current.settings, iri, password)
    except ValueError as error:
        raise RegiongraphError(str(error)) from None
    console.print(f"password set for {iri}")


@tokens_app.command("create")
def create_token(
    person: PersonOption,
    scope: Annotated[str, typer.Option(help="read, or write (read and write).")] = "read",
    days: Annotated[int, typer.Option(help="Days until it expires (1-3660).")] = 90,
    label: Annotated[str, typer.Option(help="A name the owner will recognise.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Create a personal API token for a person; it is printed once, only its hash is kept."""
    from regiongraph.accounts import issue_token
    from regiongraph.errors import RegiongraphError

    current = state()
    store = current.store()
    iri = _person(store, current.settings, person)
    try:
        token, info = issue_token(store, current.settings, iri, scope=scope, days=days,
                                  label=label)
    except ValueError as error:
        raise RegiongraphError(str(error)) from None
    if as_json:
        out.print(json.dumps({"token": token, **_info(info)}))
        return
    out.print(token)
    console.print(f"token {info.id} for {iri}, scope {info.scope}, expires "
                  f"{info.expires.date()}: shown this once")


def _info(info) -> dict:
    return {"id": info.id, "owner": info.owner, "label": info.label, "scope": info.scope,
            "created": info.created.isoformat(), "expires": info.expires.isoformat(),
            "revoked": info.revoked}


@tokens_app.command("list")
def list_tokens_command(
    person: PersonOption,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """A person's tokens (never their secrets), newest first."""
    from regiongraph.accounts import list_tokens
    from regiongraph.clock import now

    current = state()
    store = current.store(read_only=True)
    found = list_tokens(store, current.settings, _person(store, current.settings, person))
    if as_json:
        out.print(json.dumps([_info(t) for t in found]))
        return
    for t in found:
        status = "revoked" if t.revoked else ("active" if t.active(now()) else "expired")
        out.print(f"{t.id}  {t.scope:5}  {status:7}  expires {t.expires.date()}  {t.label}")


@tokens_app.command("revoke")
def revoke_token_command(
    person: PersonOption,
    token_id: Annotated[str, typer.Argument(help="The token's id (from `tokens list`).")],
) -> None:
    """Revoke one of a person's tokens."""
    from regiongraph.accounts import revoke_token
    from regiongraph.errors import RegiongraphError

    current = state()
    store = current.store()
    if not revoke_token(store, current.settings, _person(store, current.settings, person),
                        token_id):
        raise RegiongraphError(f"{person} has no token {token_id}; nothing was changed")
    console.print(f"token {token_id} revoked")
