"""Read the stewards' registry (YAML files a person edits) into RDF triples.

The registry is how stewards describe the region: communities, partners, memberships,
people and their roles, projects, data strategies, approvals, agreements, standards,
capabilities, dataset classifications and declared lineage. One file per kind, each a list
of entries (`region.yaml` is one mapping):

    region.yaml  communities.yaml  partners.yaml  memberships.yaml  people.yaml
    standards.yaml  capabilities.yaml  projects.yaml  strategies.yaml  approvals.yaml
    agreements.yaml  classifications.yaml  lineage.yaml   (+ any *.ttl, added as is)

Everything is checked before anything is returned, so a bad registry never reaches the
store: unknown fields, missing required fields, unknown ids (communities, people,
projects, standards, offers), values that are not concepts of the ontology, malformed
dates and URLs, and dataset references ("community/identifier", globs allowed) that name
no record in the community's catalog. Every problem is reported as
`file:line: problem`, the line being where the offending entry or value is written.

Governance mistakes (an approval that ends before it starts, a public dataset without an
approval, an approver who is not an executive) are *not* refused here: they are legal
registry content, and the rules (shapes/) report them with a fix message.
"""

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyoxigraph import BlankNode, Literal, NamedNode, RdfFormat, Triple, parse
from shapely import union_all
from shapely.geometry.base import BaseGeometry

from regiongraph.errors import RegiongraphError
from regiongraph.geo.geometry import GeometryError, geometry_triples, parse_spatial
from regiongraph.iri import Minter
from regiongraph.namespaces import (
    DCAT,
    DCT,
    FOAF,
    ODRL,
    ORG,
    OWL,
    PROV,
    RDF,
    RDFS,
    RG,
    RGC,
    SDO,
    SKOS,
    XSD,
)
from regiongraph.registry.catalogs import CatalogIndex
from regiongraph.registry.concepts import concept_schemes
from regiongraph.registry.yamlsource import Node, Seq, YamlSyntaxError, load_yaml

PD = "https://w3id.org/dpv/pd#"

COMMUNITY_CLASSES = {
    "city": RG.City, "county": RG.County, "tribal-nation": RG.TribalNation,
    "state-agency": RG.StateAgency, "transit-agency": RG.TransitAgency,
    "special-district": RG.SpecialDistrict,
}
PARTNER_CLASSES = {
    "university": RG.University, "private-company": RG.PrivateCompany,
    "non-profit": RG.NonProfit, "research-institution": RG.ResearchInstitution,
}
ODRL_ACTIONS = {"use": ODRL.use, "share": ODRL.distribute}
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
MEDIA_TYPE = re.compile(r"^[a-z]+/[A-Za-z0-9.+-]+$")

# Processing order matters only for error order; references are resolved after all ids
# are known, so files may refer to each other in any direction.
FILES = (
    "region", "communities", "partners", "memberships", "people", "standards",
    "capabilities", "projects", "strategies", "approvals", "agreements",
    "classifications", "lineage", "requests", "decisions",
)
REQUIRED_FILES = ("region", "communities")


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class RegistryError(RegiongraphError):
    """The registry is wrong; `problems` says where. Nothing was written anywhere."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems), key=lambda p: (FILE_ORDER.get(p.file, 99),
                                                               p.file, p.line, p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


FILE_ORDER = {f"{name}.yaml": i for i, name in enumerate(FILES)}


@dataclass
class Ids:
    """Every id declared in the registry, per kind, with where it was declared."""

    region: str | None = None
    communities: dict[str, int] = field(default_factory=dict)
    partners: dict[str, int] = field(default_factory=dict)
    people: dict[str, int] = field(default_factory=dict)
    projects: dict[str, int] = field(default_factory=dict)
    standards: dict[str, int] = field(default_factory=dict)
    offers: dict[str, int] = field(default_factory=dict)
    strategies: dict[str, int] = field(default_factory=dict)
    approvals: dict[str, int] = field(default_factory=dict)
    agreements: dict[str, int] = field(default_factory=dict)
    jobs: dict[str, int] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)
    decisions: dict[str, int] = field(default_factory=dict)


class _Reader:
    def __init__(self, folder: Path, minter: Minter) -> None:
        self.folder = folder
        self.m = minter
        self.problems: list[Problem] = []
        self.triples: list[Triple] = []
        self.ids = Ids()
        self.concepts = concept_schemes()
        self.catalogs = CatalogIndex(folder.parent / "catalogs")
        self.file = ""
        self.boundaries: dict[str, BaseGeometry] = {}
        """Communities' boundaries by id, for areas given as lists of communities."""

    # --- reporting -------------------------------------------------------------------

    def problem(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.file, max(line, 1), message))

    def add(self, s: NamedNode | BlankNode, p: NamedNode, o: Any) -> None:
        self.triples.append(Triple(s, p, o))

    # --- field access ----------------------------------------------------------------

    def fields(self, entry: Any, line: int, required: Iterable[str], optional: Iterable[str],
               what: str) -> Node | None:
        """Check that `entry` is a mapping with the required fields and no unknown ones."""
        if not isinstance(entry, Node):
            self.problem(line, f"each {what} must be a mapping of fields, not {_kind(entry)}")
            return None
        allowed = set(required) | set(optional)
        for key in entry:
            if key not in allowed:
                self.problem(entry.line_of(key), f"unknown field {key!r} in {what} "
                             f"(expected: {', '.join(sorted(allowed))})")
        ok = True
        for key in required:
            if entry.get(key) in (None, "", []):
                label = f" {entry['id']!r}" if isinstance(entry.get("id"), str) else ""
                self.problem(entry.line, f"{what}{label} has no {key!r}")
                ok = False
        return entry if ok else None

    def text(self, entry: Node, key: str) -> str | None:
        value = entry.get(key)
        if value is None:
            return None
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            text = str(value).strip()
            return text or None
        self.problem(entry.line_of(key), f"{key!r} must be text, not {_kind(value)}")
        return None

    def identifier(self, entry: Node, key: str = "id") -> str | None:
        value = self.text(entry, key)
        if value is not None and not ID.match(value):
            self.problem(entry.line_of(key), f"{key} {value!r} must be lower-case letters, "
                         "digits, '.', '_' or '-'")
            return None
        return value

    def items(self, entry: Node, key: str) -> list[tuple[Any, int]]:
        """A field that may hold one value or a list, as (value, line) pairs."""
        value = entry.get(key)
        if value is None:
            return []
        if isinstance(value, Seq):
            return list(zip(value, value.lines, strict=True))
        return [(value, entry.line_of(key))]

    def date(self, entry: Node, key: str) -> dt.date | None:
        value = entry.get(key)
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.problem(entry.line_of(key), f"{key} {value!r} is not a date (YYYY-MM-DD)")
            return None

    def url(self, entry: Node, key: str) -> NamedNode | None:
        value = self.text(entry, key)
        if value is None:
            return None
        if not URL.match(value):
            self.problem(entry.line_of(key), f"{key} {value!r} is not an http(s) URL")
            return None
        return NamedNode(value)

    def concept(self, scheme: str, value: Any, line: int, what: str) -> NamedNode | None:
        known = self.concepts.get(scheme, {})
        word = str(value).strip() if isinstance(value, (str, int)) else None
        if word is not None and scheme == "personal-data":
            word = word.removeprefix("pd:").removeprefix(PD)
        if word in known:
            return known[word]
        self.problem(line, f"unknown {what} {value!r} (expected one of: "
                     f"{', '.join(sorted(known))})")
        return None

    def ref(self, kind: str, value: Any, line: int, *, ids: dict[str, int] | None = None,
            what: str | None = None) -> NamedNode | None:
        """An id of a declared community/partner/person/... → its IRI, or a problem."""
        what = what or kind
        if kind == "organisation":
            if value in self.ids.communities:
                return self.m.iri("community", value)
            if value in self.ids.partners:
                return self.m.iri("partner", value)
            if value == self.ids.region:
                return self.m.iri("region", value)
            self.problem(line, f"unknown community or partner {value!r}")
            return None
        table = ids if ids is not None else getattr(self.ids, _PLURAL[kind])
        if isinstance(value, str) and value in table:
            return self.m.iri(kind, value)
        self.problem(line, f"unknown {what} {value!r}")
        return None

    def datasets(self, value: Any, line: int) -> list[NamedNode]:
        """'community/identifier' (glob allowed) → dataset IRIs, checked against catalogs."""
        if not isinstance(value, str) or "/" not in value:
            self.problem(line, f"dataset reference {value!r} must be 'community/identifier'")
            return []
        community, _, identifier = value.partition("/")
        community, identifier = community.strip(), identifier.strip()
        if community not in self.ids.communities:
            self.problem(line, f"unknown community {community!r} in dataset reference {value!r}")
            return []
        if not identifier:
            self.problem(line, f"dataset reference {value!r} has no identifier")
            return []
        if not self.catalogs.checkable:
            if any(ch in identifier for ch in "*?["):
                self.problem(line, f"dataset pattern {value!r} needs the catalogs folder "
                             f"{self.catalogs.folder or self.folder.parent / 'catalogs'}")
                return []
            return [self.m.iri("dataset", community, identifier)]
        if not self.catalogs.has_catalog(community):
            self.problem(line, f"community {community!r} has no catalog to find {value!r} in")
            return []
        found = self.catalogs.expand(community, identifier)
        if not found:
            self.problem(line, f"unknown dataset {value!r} (no record with that identifier "
                         f"in {community}'s catalog)")
        return [self.m.iri("dataset", community, i) for i in found]

    def dataset_list(self, entry: Node, key: str) -> list[NamedNode]:
        out: list[NamedNode] = []
        for value, line in self.items(entry, key):
            for iri in self.datasets(value, line):
                if iri not in out:
                    out.append(iri)
        return out

    # --- common triples --------------------------------------------------------------

    def named(self, node: NamedNode, entry: Node, name_key: str, ident: str) -> None:
        name = self.text(entry, name_key)
        if name:
            self.add(node, RDFS.label, Literal(name, language="en"))
        self.add(node, DCT.identifier, Literal(ident))
        description = self.text(entry, "description")
        if description:
            self.add(node, DCT.description, Literal(description, language="en"))

    def date_triple(self, node: NamedNode, predicate: NamedNode, entry: Node, key: str) -> None:
        value = self.date(entry, key)
        if value is not None:
            self.add(node, predicate, Literal(value.isoformat(), datatype=XSD.date))

    def area(self, entry: Node, key: str) -> BaseGeometry | None:
        """A geometry (WKT, bbox, GeoJSON) or a list of community ids (their union)."""
        value = entry.get(key)
        if value is None:
            return None
        line = entry.line_of(key)
        if isinstance(value, Seq):
            parts = []
            for ident, ident_line in zip(value, value.lines, strict=True):
                if ident in self.boundaries:
                    parts.append(self.boundaries[ident])
                elif ident in self.ids.communities:
                    self.problem(ident_line, f"community {ident!r} in {key} has no boundary")
                else:
                    self.problem(ident_line, f"unknown community {ident!r} in {key}")
            return union_all(parts) if parts and len(parts) == len(value) else None
        try:
            found = parse_spatial(value if isinstance(value, Node) else str(value))
        except GeometryError as error:
            self.problem(line, f"{key}: {error}")
            return None
        if found is None or found.geometry is None:
            self.problem(line, f"{key} must be WKT, a bbox W,S,E,N, GeoJSON or a list of "
                               "community ids")
            return None
        return found.geometry

    def feature_geometry(self, feature: NamedNode, geometry: BaseGeometry | None) -> None:
        if geometry is not None:
            self.triples.extend(geometry_triples(feature, geometry))

    # --- files -----------------------------------------------------------------------

    def load_files(self) -> dict[str, Any]:
        loaded: dict[str, Any] = {}
        if not self.folder.is_dir():
            raise RegistryError([Problem(str(self.folder), 1, "registry folder not found")])
        names = {p.name for p in self.folder.iterdir()}
        for path in sorted(self.folder.iterdir()):
            if path.suffix not in (".yaml", ".yml"):
                continue
            self.file = path.name
            if path.stem not in FILES:
                self.problem(1, f"unknown registry file (expected one of: "
                             f"{', '.join(f + '.yaml' for f in FILES)})")
                continue
            try:
                data = load_yaml(path)
            except YamlSyntaxError as error:
                self.problem(error.line, error.message)
                continue
            if path.stem == "region":
                if not isinstance(data, Node):
                    self.problem(1, "region.yaml must be one mapping (id, name, ...)")
                    continue
            elif data is None:
                data = Seq()
            elif not isinstance(data, Seq):
                self.problem(getattr(data, "line", 1),
                             f"{path.name} must be a list of entries, not {_kind(data)}")
                continue
            loaded[path.stem] = data
        for required in REQUIRED_FILES:
            if f"{required}.yaml" not in names and f"{required}.yml" not in names:
                self.file = f"{required}.yaml"
                self.problem(1, "required registry file is missing")
        return loaded

    def collect_ids(self, loaded: dict[str, Any]) -> None:
        tables = {
            "communities": self.ids.communities, "partners": self.ids.partners,
            "people": self.ids.people, "projects": self.ids.projects,
            "standards": self.ids.standards, "capabilities": self.ids.offers,
            "strategies": self.ids.strategies, "approvals": self.ids.approvals,
            "agreements": self.ids.agreements, "lineage": self.ids.jobs,
            "requests": self.ids.requests, "decisions": self.ids.decisions,
        }
        region = loaded.get("region")
        if isinstance(region, Node) and isinstance(region.get("id"), str):
            self.ids.region = region["id"]
        organisations: dict[str, tuple[str, int]] = {}
        for name, table in tables.items():
            self.file = f"{name}.yaml"
            for entry, line in zip(loaded.get(name, []), loaded.get(name, Seq()).lines,
                                   strict=True):
                if not isinstance(entry, Node) or not isinstance(entry.get("id"), str):
                    continue
                ident = entry["id"]
                if ident in table:
                    self.problem(entry.line_of("id"), f"duplicate id {ident!r} (first on line "
                                 f"{table[ident]})")
                    continue
                table[ident] = line
                if name in ("communities", "partners"):
                    if ident in organisations:
                        other, first = organisations[ident]
                        self.problem(entry.line_of("id"), f"id {ident!r} is already used in "
                                     f"{other}:{first}")
                    organisations[ident] = (self.file, line)

    def each(self, loaded: dict[str, Any], name: str) -> Iterable[tuple[Any, int]]:
        self.file = f"{name}.yaml"
        data = loaded.get(name, Seq())
        return list(zip(data, data.lines, strict=True))

    def read(self) -> list[Triple]:
        loaded = self.load_files()
        self.collect_ids(loaded)
        steps: list[tuple[str, Callable[[Any, int], None]]] = [
            ("communities", self.community), ("partners", self.partner),
            ("memberships", self.membership), ("people", self.person),
            ("standards", self.standard), ("capabilities", self.offer),
            ("projects", self.project), ("strategies", self.strategy),
            ("approvals", self.approval), ("agreements", self.agreement),
            ("classifications", self.classification), ("lineage", self.job),
            ("requests", self.request), ("decisions", self.decision),
        ]
        if "region" in loaded:
            self.file = "region.yaml"
            self.region(loaded["region"])
        for name, step in steps:
            for entry, line in self.each(loaded, name):
                step(entry, line)
        for path in sorted(self.folder.glob("*.ttl")):
            self.file = path.name
            try:
                with path.open("rb") as stream:
                    self.triples.extend(parse(stream, RdfFormat.TURTLE, base_iri=path.resolve().as_uri()))
            except SyntaxError as error:
                self.problem(_syntax_line(error), f"Turtle syntax error: {error}")
        if self.problems:
            raise RegistryError(self.problems)
        return _unique(self.triples)

    # --- one method per kind of entry ------------------------------------------------

    def region(self, entry: Node) -> None:
        entry = self.fields(entry, entry.line, ("id", "name"),
                            ("homepage", "description", "founded",
                             "requires_engagement_before_design"), "region")
        if entry is None:
            return
        ident = self.identifier(entry)
        if ident is None:
            return
        node = self.m.iri("region", ident)
        self.add(node, RDF.type, RG.Region)
        self.add(node, RDF.type, ORG.FormalOrganization)
        self.add(node, FOAF.name, Literal(self.text(entry, "name") or ident, language="en"))
        self.named(node, entry, "name", ident)
        homepage = self.url(entry, "homepage")
        if homepage:
            self.add(node, FOAF.homepage, homepage)
        self.date_triple(node, DCT.created, entry, "founded")
        policy = entry.get("requires_engagement_before_design")
        if policy is not None:
            if not isinstance(policy, bool):
                self.problem(entry.line_of("requires_engagement_before_design"),
                             "requires_engagement_before_design must be true or false")
            else:  # the workflow's mirror of the setting, on the registry graph's node
                self.add(self.m.graph("registry"), RG.requiresEngagementBeforeDesign,
                         Literal(str(policy).lower(), datatype=XSD.boolean))

    def _organisation(self, entry: Any, line: int, what: str, kinds: dict[str, NamedNode],
                      scheme: str, base_class: NamedNode, iri_kind: str,
                      area_key: str) -> NamedNode | None:
        entry = self.fields(entry, line, ("id", "name", "kind"),
                            ("homepage", "description", "acronym", area_key), what)
        if entry is None:
            return None
        ident = self.identifier(entry)
        kind = self.concept(scheme, entry["kind"], entry.line_of("kind"), f"{what} kind")
        if ident is None or kind is None:
            return None
        node = self.m.iri(iri_kind, ident)
        self.add(node, RDF.type, base_class)
        self.add(node, RDF.type, kinds[kind.value.rsplit("/", 1)[-1]])
        self.add(node, ORG.classification, kind)
        self.add(node, FOAF.name, Literal(self.text(entry, "name") or ident, language="en"))
        self.named(node, entry, "name", ident)
        acronym = self.text(entry, "acronym")
        if acronym:
            self.add(node, SKOS.altLabel, Literal(acronym, language="en"))
        homepage = self.url(entry, "homepage")
        if homepage:
            self.add(node, FOAF.homepage, homepage)
        return node

    def community(self, entry: Any, line: int) -> None:
        node = self._organisation(entry, line, "community", COMMUNITY_CLASSES, "community-kind",
                                  RG.Community, "community", "boundary")
        if node is None:
            return
        boundary = self.area(entry, "boundary")
        if boundary is not None:
            self.boundaries[entry["id"]] = boundary
        self.feature_geometry(node, boundary)

    def partner(self, entry: Any, line: int) -> None:
        """A partner's service area is a `schema:areaServed` place with the geometry."""
        node = self._organisation(entry, line, "partner", PARTNER_CLASSES, "partner-kind",
                                  RG.Partner, "partner", "service_area")
        area = self.area(entry, "service_area") if node is not None else None
        if node is None or area is None:
            return
        place = NamedNode(node.value + "/service-area")
        self.add(node, SDO.areaServed, place)
        self.add(place, RDF.type, DCT.Location)
        name = self.text(entry, "name") or entry["id"]
        self.add(place, RDFS.label, Literal(f"{name} service area", language="en"))
        self.feature_geometry(place, area)

    def membership(self, entry: Any, line: int) -> None:
        entry = self.fields(entry, line, ("member",), ("since", "note"), "membership")
        if entry is None or self.ids.region is None:
            return
        member = self.ref("organisation", entry["member"], entry.line_of("member"))
        if member is None:
            return
        region = self.m.iri("region", self.ids.region)
        node = self.m.iri("membership", str(entry["member"]))
        self.add(node, RDF.type, RG.AllianceMembership)
        self.add(node, ORG.member, member)
        self.add(node, ORG.organization, region)
        self.add(member, ORG.memberOf, region)
        self.add(region, ORG.hasMember, member)
        self.date_triple(node, RG.memberSince, entry, "since")
        note = self.text(entry, "note")
        if note:
            self.add(node, RDFS.comment, Literal(note, language="en"))

    def person(self, entry: Any, line: int) -> None:
        entry = self.fields(entry, line, ("id", "name"), ("email", "roles", "title"), "person")
        if entry is None:
            return
        ident = self.identifier(entry)
        if ident is None:
            return
        node = self.m.iri("person", ident)
        self.add(node, RDF.type, FOAF.Person)
        self.add(node, RDF.type, PROV.Person)
        self.add(node, FOAF.name, Literal(self.text(entry, "name") or ident))
        self.add(node, RDFS.label, Literal(self.text(entry, "name") or ident))
        self.add(node, DCT.identifier, Literal(ident))
        title = self.text(entry, "title")
        if title:
            self.add(node, FOAF.term("title"), Literal(title, language="en"))
        email = self.text(entry, "email")
        if email:
            if re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
                self.add(node, FOAF.mbox, NamedNode(f"mailto:{email}"))
            else:
                self.problem(entry.line_of("email"), f"email {email!r} is not an address")
        for role_entry, role_line in self.items(entry, "roles"):
            role_entry = self.fields(role_entry, role_line, ("organization", "role"), ("since",),
                                     "role")
            if role_entry is None:
                continue
            org = self.ref("organisation", role_entry["organization"],
                           role_entry.line_of("organization"))
            role = self.concept("role", role_entry["role"], role_entry.line_of("role"), "role")
            if org is None or role is None:
                continue
            assignment = self.m.iri("role", ident, str(role_entry["organization"]),
                                    str(role_entry["role"]))
            self.add(assignment, RDF.type, RG.RoleAssignment)
            self.add(assignment, ORG.member, node)
            self.add(assignment, ORG.organization, org)
            self.add(assignment, ORG.role, role)
            self.add(node, ORG.memberOf, org)
            self.date_triple(assignment, RG.memberSince, role_entry, "since")

    def standard(self, entry: Any, line: int) -> None:
        entry = self.fields(entry, line, ("id", "title", "version", "homepage"),
                            ("publisher", "media_types", "domains", "description", "known_as"),
                            "standard")
        if entry is None:
            return
        ident = self.identifier(entry)
        if ident is None:
            return
        node = self.m.iri("standard", ident)
        self.add(node, RDF.type, DCT.Standard)
        title = self.text(entry, "title") or ident
        self.add(node, DCT.term("title"), Literal(title, language="en"))
        self.named(node, entry, "title", ident)
        version = self.text(entry, "version")
        if version:
            self.add(node, OWL.versionInfo, Literal(version))
            self.add(node, DCAT.version, Literal(version))
        homepage = self.url(entry, "homepage")
        if homepage:
            self.add(node, FOAF.homepage, homepage)
        publisher = self.text(entry, "publisher")
        if publisher:
            self.add(node, DCT.creator, Literal(publisher))
        for value, value_line in self.items(entry, "known_as"):
            if isinstance(value, str) and URL.match(value):
                self.add(node, RG.knownAs, NamedNode(value))
            else:
                self.problem(value_line, f"known_as {value!r} is not an http(s) URL")
        for value, value_line in self.items(entry, "media_types"):
            if isinstance(value, str) and MEDIA_TYPE.match(value):
                self.add(node, RG.expectedMediaType, Literal(value))
            else:
                self.problem(value_line, f"media type {value!r} is not type/subtype")
        for value, value_line in self.items(entry, "domains"):
            domain = self.concept("domain", value, value_line, "domain")
            if domain:
                self.add(node, RG.standardDomain, domain)

    def offer(self, entry: Any, line: int) -> None:
        entry = self.fields(entry, line, ("id", "by", "kind", "title"),
                            ("domains", "description"), "capability")
        if entry is None:
            return
        ident = self.identifier(entry)
        by = self.ref("organisation", entry["by"], entry.line_of("by"))
        kind = self.concept("capability", entry["kind"], entry.line_of("kind"), "capability kind")
        if ident is None or by is None or kind is None:
            return
        node = self.m.iri("offer", ident)
        self.add(node, RDF.type, RG.CapabilityOffer)
        self.add(node, DCT.term("title"), Literal(self.text(entry, "title") or ident, language="en"))
        self.named(node, entry, "title", ident)
        self.add(node, RG.offeredBy, by)
        self.add(by, RG.offersCapability, node)
        self.add(node, RG.capabilityKind, kind)
        for value, value_line in self.items(entry, "domains"):
            domain = self.concept("domain", value, value_line, "domain")
            if domain:
                self.add(node, RG.capabilityDomain, domain)

    def project(self, entry: Any, line: int) -> None:
        entry = self.fields(entry, line, ("id", "title", "domain", "phase", "lead"),
                            ("description", "participants", "start", "uses", "produces",
                             "needs", "data_leaders", "area", "proposed_by", "created",
                             "state", "submitted_on"), "project")
        if entry is None:
            return
        ident = self.identifier(entry)
        if ident is None:
            return
        node = self.m.iri("project", ident)
        self.add(node, RDF.type, RG.Project)
        self.add(node, DCT.term("title"), Literal(self.text(entry, "title") or ident, language="en"))
        self.named(node, entry, "title", ident)
        domains = []
        for value, value_line in self.items(entry, "domain"):
            domain = self.concept("domain", value, value_line, "domain")
            if domain:
                domains.append(domain)
                self.add(node, RG.domain, domain)
        phase = self.concept("phase", entry["phase"], entry.line_of("phase"), "phase")
        if phase:
            self.add(node, RG.phase, phase)
        lead = entry["lead"]
        if lead in self.ids.communities:
            lead_iri = self.m.iri("community", lead)
            self.add(node, RG.leadCommunity, lead_iri)
            self.add(node, RG.participant, lead_iri)
        else:
            self.problem(entry.line_of("lead"), f"unknown community {lead!r}")
        for value, value_line in self.items(entry, "participants"):
            participant = self.ref("organisation", value, value_line)
            if participant:
                self.add(node, RG.participant, participant)
        self.date_triple(node, RG.startDate, entry, "start")
        self.feature_geometry(node, self.area(entry, "area"))
        self.proposal(node, entry)
        for dataset in self.dataset_list(entry, "uses"):
            self.add(node, RG.usesDataset, dataset)
        for dataset in self.dataset_list(entry, "produces"):
            self.add(node, RG.producesDataset, dataset)
        for index, (need, need_line) in enumerate(self.items(entry, "needs"), start=1):
            need = self.fields(need, need_line, ("kind", "description"), ("met_by", "domain"),
                               "capability need")
            if need is None:
                continue
            kind = self.concept("capability", need["kind"], need.line_of("kind"),
                                "capability kind")
            if kind is None:
                continue
            need_node = self.m.iri("need", ident, str(index))
            self.add(need_node, RDF.type, RG.CapabilityNeed)
            self.add(need_node, RG.capabilityKind, kind)
            self.add(need_node, DCT.description,
                     Literal(self.text(need, "description") or "", language="en"))
            self.add(node, RG.needsCapability, need_node)
            need_domains = [self.concept("domain", v, ln, "domain")
                            for v, ln in self.items(need, "domain")] or domains
            for domain in need_domains:
                if domain:
                    self.add(need_node, RG.capabilityDomain, domain)
            if need.get("met_by") is not None:
                offer = self.ref("offer", need["met_by"], need.line_of("met_by"),
                                 what="capability offer")
                if offer:
                    self.add(need_node, RG.metBy, offer)
        for index, (leader, leader_line) in enumerate(self.items(entry, "data_leaders"), 1):
            leader = self.fields(leader, leader_line, ("person", "phase"), ("engaged_on",), "data leader")
            if leader is None:
                continue
            person = self.ref("person", leader["person"], leader.line_of("person"))
            at = self.concept("phase", leader["phase"], leader.line_of("phase"), "phase")
            if person is None or at is None:
                continue
            engagement = self.m.iri("engagement", ident, str(leader["person"]))
            self.add(engagement, RDF.type, RG.Engagement)
            self.add(engagement, PROV.agent, person)
            self.add(engagement, PROV.hadRole, RGC.term("role/data-leader"))
            self.add(engagement, RG.engagedAtPhase, at)
            self.date_triple(engagement, RG.engagedOn, leader, "engaged_on")
            self.add(node, RG.engagement, engagement)
            self.add(node, PROV.wasAssociatedWith, person)

    def proposal(self, node: NamedNode, entry: Node) -> None:
        """What the workflow records of a project proposed in the service."""
        if entry.get("proposed_by") is not None:
            person = self.ref("person", entry["proposed_by"], entry.line_of("proposed_by"))
            if person:
                self.add(node, DCT.creator, person)
        self.date_triple(node, DCT.created, entry, "created")
        self.date_triple(node, RG.submittedOn, entry, "submitted_on")
        state = self.text(entry, "state")
        if state is not None:
            if state not in ("draft", "submitted"):
                self.problem(entry.line_of("state"), f"state {state!r} is not draft or submitted")
            else:
                self.add(node, RG.proposalState, Literal(state))

    def strategy(self, entry: Any, line: int) -> None:
        entry = self.fields(entry, line, ("id", "project", "title"),
                            ("approved_by", "approved_on", "description", "url"), "strategy")
        if entry is None:
            return
        ident = self.identifier(entry)
        project = self.ref("project", entry["project"], entry.line_of("project"))
        if ident is None or project is None:
            return
        node = self.m.iri("strategy", ident)
        self.add(node, RDF.type, RG.DataStrategy)
        self.add(node, RDF.type, PROV.Plan)
        self.add(node, DCT.term("title"), Literal(self.text(entry, "title") or ident, language="en"))
        self.named(node, entry, "title", ident)
        self.add(project, RG.dataStrategy, node)
        if entry.get("approved_by") is not None:
            approver = self.ref("person", entry["approved_by"], entry.line_of("approved_by"))
            if approver:
                self.add(node, RG.approvedBy, approver)
        self.date_triple(node, RG.approvedOn, entry, "approved_on")
        url = self.url(entry, "url")
        if url:
            self.add(node, FOAF.page, url)

    def _validity(self, node: NamedNode, entry: Node) -> None:
        status = self.concept("status", entry["status"], entry.line_of("status"), "status")
        if status:
            self.add(node, RG.status, status)
        self.date_triple(node, RG.validFrom, entry, "valid_from")
        self.date_triple(node, RG.validUntil, entry, "valid_until")
        legal = self.text(entry, "legal_basis")
        if legal:
            self.add(node, RG.legalBasis, Literal(legal))
        reference = self.url(entry, "legal_reference")
        if reference:
            self.add(node, RG.legalReference, reference)

    def approval(self, entry: Any, line: int) -> None:
        entry = self.fields(
            entry, line, ("id", "title", "owner", "actions", "scope", "status", "valid_from"),
            ("approver", "requested_by", "datasets", "categories", "project", "communities",
             "valid_until", "approved_on", "legal_basis", "legal_reference", "description",
             "grantee"), "approval")
        if entry is None:
            return
        ident = self.identifier(entry)
        if ident is None:
            return
        node = self.m.iri("approval", ident)
        self.add(node, RDF.type, RG.Approval)
        self.add(node, DCT.term("title"), Literal(self.text(entry, "title") or ident, language="en"))
        self.named(node, entry, "title", ident)
        owner = self.ref("organisation", entry["owner"], entry.line_of("owner"))
        if owner:
            self.add(node, RG.dataOwner, owner)
        if entry.get("approver") is not None:
            approver = self.ref("person", entry["approver"], entry.line_of("approver"))
            if approver:
                self.add(node, RG.approvedBy, approver)
        if entry.get("requested_by") is not None:
            value = entry["requested_by"]
            requester = (self.m.iri("person", value) if value in self.ids.people
                         else self.ref("organisation", value, entry.line_of("requested_by")))
            if requester:
                self.add(node, RG.requestedBy, requester)
        for value, value_line in self.items(entry, "actions"):
            action = self.concept("action", value, value_line, "action")
            if action:
                self.add(node, RG.action, action)
        datasets = self.dataset_list(entry, "datasets")
        for dataset in datasets:
            self.add(node, RG.coversDataset, dataset)
        categories = self.items(entry, "categories")
        for value, value_line in categories:
            category = self.category(value, value_line)
            if category:
                self.add(node, RG.coversCategory, category)
        if not datasets and not categories:
            self.problem(entry.line, f"approval {ident!r} covers no datasets and no categories")
        scope_word = entry["scope"]
        scope = self.concept("scope", scope_word, entry.line_of("scope"), "scope")
        if scope:
            self.add(node, RG.scope, scope)
        if entry.get("project") is not None:
            project = self.ref("project", entry["project"], entry.line_of("project"))
            if project:
                self.add(node, RG.scopeProject, project)
        elif scope_word == "project":
            self.problem(entry.line_of("scope"), "scope 'project' needs a 'project'")
        communities = self.items(entry, "communities")
        for value, value_line in communities:
            community = self.ref("organisation", value, value_line)
            if community:
                self.add(node, RG.scopeCommunity, community)
        if scope_word == "communities" and not communities:
            self.problem(entry.line_of("scope"), "scope 'communities' needs 'communities'")
        self.date_triple(node, RG.approvedOn, entry, "approved_on")
        if entry.get("grantee") is not None:
            grantee = self.ref("person", entry["grantee"], entry.line_of("grantee"))
            if grantee:
                self.add(node, RG.grantee, grantee)
        self._validity(node, entry)

    def category(self, value: Any, line: int) -> NamedNode | None:
        """'pd:Location' / 'Location' (a DPV category) or 'domain/transportation'."""
        if isinstance(value, str) and value.startswith("domain/"):
            return self.concept("domain", value.removeprefix("domain/"), line, "domain")
        return self.concept("personal-data", value, line, "data category")

    def agreement(self, entry: Any, line: int) -> None:
        entry = self.fields(
            entry, line, ("id", "title", "assigner", "assignees", "datasets", "actions",
                          "status", "valid_from"),
            ("valid_until", "legal_basis", "legal_reference", "signed_on", "description",
             "approved_by", "approved_on"), "agreement")
        if entry is None:
            return
        ident = self.identifier(entry)
        if ident is None:
            return
        node = self.m.iri("agreement", ident)
        self.add(node, RDF.type, RG.DataSharingAgreement)
        self.add(node, RDF.type, ODRL.Agreement)
        self.add(node, ODRL.uid, node)
        self.add(node, DCT.term("title"), Literal(self.text(entry, "title") or ident, language="en"))
        self.named(node, entry, "title", ident)
        assigner = self.ref("organisation", entry["assigner"], entry.line_of("assigner"))
        assignees = [a for a in (self.ref("organisation", v, ln)
                                 for v, ln in self.items(entry, "assignees")) if a]
        if assigner:
            self.add(node, ODRL.assigner, assigner)
        for assignee in assignees:
            self.add(node, ODRL.assignee, assignee)
        actions = []
        for value, value_line in self.items(entry, "actions"):
            if value in ODRL_ACTIONS:
                actions.append(ODRL_ACTIONS[value])
            else:
                self.problem(value_line, f"agreements allow {', '.join(ODRL_ACTIONS)}, "
                             f"not {value!r}")
        for index, dataset in enumerate(self.dataset_list(entry, "datasets"), start=1):
            self.add(node, RG.coversDataset, dataset)
            permission = self.m.iri("agreement", ident, "permission", str(index))
            self.add(node, ODRL.permission, permission)
            self.add(permission, RDF.type, ODRL.Permission)
            self.add(permission, ODRL.target, dataset)
            for action in actions:
                self.add(permission, ODRL.action, action)
            if assigner:
                self.add(permission, ODRL.assigner, assigner)
            for assignee in assignees:
                self.add(permission, ODRL.assignee, assignee)
            self._date_constraints(permission, entry)
        self.date_triple(node, DCT.dateAccepted, entry, "signed_on")
        if entry.get("approved_by") is not None:
            approver = self.ref("person", entry["approved_by"], entry.line_of("approved_by"))
            if approver:
                self.add(node, RG.approvedBy, approver)
        self.date_triple(node, RG.approvedOn, entry, "approved_on")
        self._validity(node, entry)

    def _date_constraints(self, permission: NamedNode, entry: Node) -> None:
        """The agreement's validity on each permission, as ODRL says it: `odrl:dateTime`
        `gteq` its first day, `lteq` its last (`regiongraph.membership` reads both)."""
        self.triples += date_constraint_triples(permission, self.date(entry, "valid_from"),
                                                self.date(entry, "valid_until"))

    def classification(self, entry: Any, line: int) -> None:
        entry = self.fields(entry, line, ("dataset",),
                            ("access", "personal_data", "personal_data_roles", "conforms_to",
                             "note"), "classification")
        if entry is None:
            return
        targets = self.datasets(entry["dataset"], entry.line_of("dataset"))
        access = None
        if entry.get("access") is not None:
            access = self.concept("access", entry["access"], entry.line_of("access"),
                                  "access level")
        categories = [c for c in (self.concept("personal-data", v, ln, "personal-data category")
                                  for v, ln in self.items(entry, "personal_data")) if c]
        standards = [s for s in (self.ref("standard", v, ln)
                                 for v, ln in self.items(entry, "conforms_to")) if s]
        roles = [r for r in (self.concept("role", v, ln, "role")
                             for v, ln in self.items(entry, "personal_data_roles")) if r]
        if access is None and not categories and not standards and entry.get("access") is None:
            self.problem(entry.line, "classification says nothing: give access, personal_data "
                         "or conforms_to")
        for dataset in targets:
            if access:
                self.add(dataset, RG.accessLevel, access)
            for category in categories:
                self.add(dataset, RG.personalDataCategory, category)
            for standard in standards:
                self.add(dataset, DCT.conformsTo, standard)
            for role in roles:
                self.add(dataset, RG.personalDataRole, role)

    def job(self, entry: Any, line: int) -> None:
        entry = self.fields(entry, line, ("id", "title", "run_by", "inputs", "outputs"),
                            ("description",), "lineage job")
        if entry is None:
            return
        ident = self.identifier(entry)
        runner = self.ref("organisation", entry["run_by"], entry.line_of("run_by"))
        inputs = self.dataset_list(entry, "inputs")
        outputs = self.dataset_list(entry, "outputs")
        if ident is None or runner is None:
            return
        node = self.m.iri("job", ident)
        self.add(node, RDF.type, RG.Job)
        self.add(node, RDF.type, PROV.Activity)
        self.add(node, DCT.term("title"), Literal(self.text(entry, "title") or ident, language="en"))
        self.named(node, entry, "title", ident)
        self.add(node, RG.runBy, runner)
        self.add(node, PROV.wasAssociatedWith, runner)
        for dataset in inputs:
            self.add(node, PROV.used, dataset)
        for output in outputs:
            self.add(node, PROV.generated, output)
            self.add(output, PROV.wasGeneratedBy, node)
            for dataset in inputs:
                if dataset != output:
                    self.add(output, PROV.wasDerivedFrom, dataset)

    # --- the workflow's records (regiongraph/workflow): requests and decisions ---------

    def record_ref(self, value: Any, line: int) -> NamedNode | None:
        """`approvals/<id>`, `agreements/<id>`, `strategies/<id>` or
        `engagements/<project>/<person>`: a record a request asks for or a decision made."""
        kinds = {"approvals": "approval", "agreements": "agreement",
                 "strategies": "strategy", "engagements": "engagement"}
        kind, _, rest = str(value).partition("/")
        if kind not in kinds or not rest or not all(ID.match(p) for p in rest.split("/")):
            self.problem(line, f"record {value!r} must be approvals/<id>, agreements/<id>, "
                         "strategies/<id> or engagements/<project>/<person>")
            return None
        table = {"approval": self.ids.approvals, "agreement": self.ids.agreements,
                 "strategy": self.ids.strategies}.get(kinds[kind])
        if table is not None and rest not in table:
            self.problem(line, f"unknown {kinds[kind]} {rest!r}")
            return None
        return self.m.iri(kinds[kind], *rest.split("/"))

    def request(self, entry: Any, line: int) -> None:
        entry = self.fields(entry, line, ("id", "kind", "state", "title", "created", "due"),
                            ("requested_by", "project", "addressed_to", "asked_of",
                             "receiver", "datasets", "record", "at_phase"), "request")
        if entry is None:
            return
        ident = self.identifier(entry)
        if ident is None:
            return
        node = self.m.iri("request", ident)
        self.add(node, RDF.type, RG.WorkflowRequest)
        for key, predicate in (("kind", RG.requestKind), ("state", RG.workflowState),
                               ("title", DCT.term("title"))):
            self.add(node, predicate, Literal(self.text(entry, key) or ""))
        self.date_triple(node, DCT.created, entry, "created")
        self.date_triple(node, RG.dueDate, entry, "due")
        if entry.get("requested_by") is not None:
            person = self.ref("person", entry["requested_by"], entry.line_of("requested_by"))
            if person:
                self.add(node, DCT.creator, person)
        if entry.get("project") is not None:
            project = self.ref("project", entry["project"], entry.line_of("project"))
            if project:
                self.add(node, RG.forProject, project)
        for value, value_line in self.items(entry, "addressed_to"):
            person = self.ref("person", value, value_line)
            if person:
                self.add(node, RG.addressedTo, person)
        for key, predicate in (("asked_of", RG.askedOf), ("receiver", RG.receiver)):
            if entry.get(key) is not None:
                org = self.ref("organisation", entry[key], entry.line_of(key))
                if org:
                    self.add(node, predicate, org)
        for dataset in self.dataset_list(entry, "datasets"):
            self.add(node, RG.requestsDataset, dataset)
        if entry.get("record") is not None:
            record = self.record_ref(entry["record"], entry.line_of("record"))
            if record:
                self.add(node, RG.requestRecord, record)
        if entry.get("at_phase") is not None:
            phase = self.concept("phase", entry["at_phase"], entry.line_of("at_phase"), "phase")
            if phase:
                self.add(node, RG.atPhase, phase)

    def decision(self, entry: Any, line: int) -> None:
        entry = self.fields(entry, line, ("id", "request", "outcome", "person", "at", "reason"),
                            ("conditions", "generated"), "decision")
        if entry is None:
            return
        ident = self.identifier(entry)
        request = self.ref("request", entry["request"], entry.line_of("request"))
        person = self.ref("person", entry["person"], entry.line_of("person"))
        if ident is None or request is None or person is None:
            return
        at = str(entry["at"]).strip()
        try:
            dt.datetime.fromisoformat(at)
        except ValueError:
            self.problem(entry.line_of("at"), f"at {at!r} is not a date and time")
            return
        node = self.m.iri("decision", ident)
        moment = Literal(at, datatype=XSD.dateTime)
        self.add(node, RDF.type, RG.Decision)
        self.add(node, RDF.type, PROV.Activity)
        self.add(node, RG.outcome, Literal(self.text(entry, "outcome") or ""))
        self.add(node, PROV.used, request)
        self.add(node, PROV.wasAssociatedWith, person)
        self.add(node, PROV.startedAtTime, moment)
        self.add(node, PROV.endedAtTime, moment)
        self.add(node, RG.reason, Literal(self.text(entry, "reason") or ""))
        conditions = self.text(entry, "conditions")
        if conditions:
            self.add(node, RG.conditions, Literal(conditions))
        if entry.get("generated") is not None:
            record = self.record_ref(entry["generated"], entry.line_of("generated"))
            if record:
                self.add(node, PROV.generated, record)


def date_constraint_triples(permission: NamedNode, valid_from: dt.date | None,
                            valid_until: dt.date | None) -> list[Triple]:
    """`<permission>/valid-from` (`gteq`) and `/valid-until` (`lteq`) on `odrl:dateTime`:
    one shape for agreements read from YAML and made by the workflow."""
    triples = []
    for key, operator, day in (("valid-from", ODRL.gteq, valid_from),
                               ("valid-until", ODRL.lteq, valid_until)):
        if day is None:
            continue
        constraint = NamedNode(f"{permission.value}/{key}")
        triples += [Triple(permission, ODRL.constraint, constraint),
                    Triple(constraint, RDF.type, ODRL.Constraint),
                    Triple(constraint, ODRL.leftOperand, ODRL.dateTime),
                    Triple(constraint, ODRL.operator, operator),
                    Triple(constraint, ODRL.rightOperand,
                           Literal(day.isoformat(), datatype=XSD.date))]
    return triples


_PLURAL = {"person": "people", "project": "projects", "standard": "standards",
           "offer": "offers", "community": "communities", "partner": "partners",
           "request": "requests"}


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"


def _syntax_line(error: SyntaxError) -> int:
    match = re.search(r"line (\d+)", str(error))
    if match:
        return int(match.group(1))
    return getattr(error, "lineno", None) or 1


def _unique(triples: list[Triple]) -> list[Triple]:
    return list(dict.fromkeys(triples))


def read_registry(folder: Path, minter: Minter) -> list[Triple]:
    """Read and check every registry file in `folder`; return its triples.

    Raises RegistryError (str: one `file:line: problem` per line) before returning
    anything when any file is wrong, so callers can load the result atomically or not
    at all.
    """
    return _Reader(Path(folder), minter).read()
