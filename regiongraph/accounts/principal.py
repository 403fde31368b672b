"""The principal a request acts as, derived from the registry's role assignments."""

from dataclasses import dataclass

from regiongraph.iri import ONTOLOGY_GRAPH, REGISTRY_GRAPH, Minter
from regiongraph.namespaces import ORG, RDF, RG
from regiongraph.settings import Settings
from regiongraph.store import Store


@dataclass(frozen=True, order=True)
class Membership:
    """One role a person holds in one community or partner (an `rg:RoleAssignment`)."""

    organization: str
    role: str
    executive: bool


@dataclass(frozen=True)
class Principal:
    """Who a request acts as. `person` is None for anonymous users; `alliance_steward` is
    the admin token's account (the steward role for the whole alliance); `scope` is what
    the credential allows: "read", or "write" (read and write)."""

    person: str | None
    memberships: tuple[Membership, ...] = ()
    alliance_steward: bool = False
    scope: str = "read"

    @property
    def is_anonymous(self) -> bool:
        return self.person is None and not self.alliance_steward

    @property
    def organizations(self) -> frozenset[str]:
        return frozenset(m.organization for m in self.memberships)

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(m.role for m in self.memberships)

    def executive_of(self, organization: str) -> bool:
        return any(m.executive and m.organization == organization for m in self.memberships)

    @property
    def may_write(self) -> bool:
        return self.scope == "write"


ANONYMOUS = Principal(person=None)


def alliance_steward(settings: Settings) -> Principal:
    """The admin token's principal: an account like any other, with the steward role for
    the whole alliance."""
    return Principal(person=Minter(settings.base).iri("person", "alliance-steward").value,
                     alliance_steward=True, scope="write")


def principal_for_person(store: Store, settings: Settings, person: str,
                         scope: str = "read") -> Principal:
    """The person's principal, their memberships read from the registry graph only (a
    harvested catalog must not be able to grant itself a role)."""
    minter = Minter(settings.base)
    registry = minter.graph(REGISTRY_GRAPH).value
    ontology = minter.graph(ONTOLOGY_GRAPH).value
    rows = store.query(f"""
SELECT ?org ?role ?executive WHERE {{
  GRAPH <{registry}> {{ ?a a {RG.RoleAssignment} ; {ORG.member} <{person}> ;
                         {ORG.organization} ?org ; {ORG.role} ?role }}
  BIND(EXISTS {{ GRAPH <{ontology}> {{ ?role {RDF.type} {RG.ExecutiveRole} }} }}
       AS ?executive)
}}""")
    memberships = tuple(sorted(
        Membership(row["org"].value, row["role"].value, row["executive"].value == "true")
        for row in rows))
    return Principal(person=person, memberships=memberships, scope=scope)
