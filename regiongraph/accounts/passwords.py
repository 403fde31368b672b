"""Local passwords for small deployments: argon2id hashes in the accounts graph.

A person signs in with the email the registry gives them (`foaf:mbox`), so the registry
stays the one place that says who is who; the accounts graph only links a password hash
to the person IRI. Stewards set passwords with `regiongraph accounts set-password`.
"""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pyoxigraph import Literal, NamedNode, Quad

from regiongraph.accounts.records import accounts_graph, digest, record_iri
from regiongraph.change import apply_change
from regiongraph.iri import REGISTRY_GRAPH, Minter
from regiongraph.namespaces import FOAF, RDF, RG
from regiongraph.settings import Settings
from regiongraph.store import Store

MIN_LENGTH = 12
HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verified against when the account is unknown, so an unknown email costs the same time.
_DECOY = HASHER.hash("decoy password, never matches")


def person_for_email(store: Store, settings: Settings, email: str) -> str | None:
    """The registry person whose `foaf:mbox` is this address (case-insensitive), if one."""
    registry = Minter(settings.base).graph(REGISTRY_GRAPH)
    address = "mailto:" + email.strip().lower()
    rows = store.query(f"""
SELECT ?person WHERE {{ GRAPH {registry} {{ ?person a {FOAF.Person} ; {FOAF.mbox} ?box .
  FILTER(LCASE(STR(?box)) = {Literal(address)}) }} }} LIMIT 2""")
    found = [row["person"].value for row in rows]
    return found[0] if len(found) == 1 else None


def is_person(store: Store, settings: Settings, person: str) -> bool:
    registry = Minter(settings.base).graph(REGISTRY_GRAPH)
    return bool(store.query(f"ASK {{ GRAPH {registry} {{ {NamedNode(person)} a {FOAF.Person} }} }}"))


def _credential(person: str) -> NamedNode:
    return record_iri("password", digest(person)[:32])


def set_password(store: Store, settings: Settings, person: str, password: str) -> None:
    """Set (or replace) the person's password; only its argon2 hash is kept."""
    if len(password) < MIN_LENGTH:
        raise ValueError(f"a password has at least {MIN_LENGTH} characters; nothing was set")
    if not is_person(store, settings, person):
        raise ValueError(f"{person} is not a person of the registry; nothing was set")
    graph, node = accounts_graph(settings), _credential(person)
    quads = [Quad(node, RDF.type, RG.PasswordCredential, graph),
             Quad(node, RG.credentialOf, NamedNode(person), graph),
             Quad(node, RG.passwordHash, Literal(HASHER.hash(password)), graph)]

    def write() -> list[NamedNode]:
        store.update(f"DELETE WHERE {{ GRAPH {graph} {{ {node} ?p ?o }} }}")
        store.add(quads)
        return [graph]

    apply_change(store, settings, "accounts", write)


def check_password(store: Store, settings: Settings, email: str, password: str) -> str | None:
    """The person signing in, or None when the email or the password is wrong."""
    person = person_for_email(store, settings, email)
    stored = _stored_hash(store, settings, person) if person else None
    try:
        HASHER.verify(stored or _DECOY, password)
    except (VerificationError, InvalidHashError):
        return None
    return person if stored else None


def _stored_hash(store: Store, settings: Settings, person: str) -> str | None:
    rows = list(store.query(f"""
SELECT ?hash WHERE {{ GRAPH {accounts_graph(settings)} {{
  {_credential(person)} {RG.credentialOf} {NamedNode(person)} ; {RG.passwordHash} ?hash }} }}"""))
    return rows[0]["hash"].value if rows else None
