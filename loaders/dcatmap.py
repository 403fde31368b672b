"""One internal dataset description, mapped to DCAT 3 triples the same way for every format.

data.json, CKAN, Socrata, ArcGIS and spreadsheets all say the same things in different
words. Each loader translates its words into a `DatasetFields`; this module alone decides
which triples that becomes (ckanext-dcat's lesson: one model, one mapping). Checks that
apply whatever the format live here too: IRIs that are not IRIs, e-mails that are not
e-mails, dates that are not dates, absurdly long texts and keyword lists. Each check
keeps what is usable and reports the rest as an `Issue` on the record.

Every node gets an IRI minted from (community, identifier): a later harvest, the
exports and a browser must find the same distribution and contact again, and blank
nodes would make two harvests of the same input differ.
"""

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache

from pyoxigraph import Literal, NamedNode, Triple
from regiongraph.loaders.base import Issue, LoadContext, Record, Terms
from regiongraph.loaders.conformance import detect_conformance
from regiongraph.loaders.spatial import coverage

from regiongraph.geo.geometry import envelope_wkt
from regiongraph.iri import slug
from regiongraph.namespaces import DCAT, DCT, LOCN, RDF, RDFS, RG, RGC, SKOS, VCARD, XSD

DCAT, DCT, LOCN, RDF, RDFS, RG, RGC, SKOS, VCARD, XSD = (
    Terms(n) for n in (DCAT, DCT, LOCN, RDF, RDFS, RG, RGC, SKOS, VCARD, XSD))

MAX_TEXT = 100_000
"""Characters kept of a title or description; longer texts are cut with a warning."""
MAX_KEYWORDS = 1_000
"""Keywords kept per dataset; a list longer than this is a defect, reported and cut."""
MAX_DISTRIBUTIONS = 1_000

ACCESS_LEVELS = {
    "public": "public",
    "restricted public": "restricted",
    "restricted": "restricted",
    "non-public": "confidential",
    "confidential": "confidential",
    "internal": "internal",
}
"""data.json accessLevel (and the alliance's own words) → rgc:access/<concept>."""

EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
DATE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")
DATETIME = re.compile(
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?"
    r"(Z|[+-]([01]\d|2[0-3]):[0-5]\d)?$"
)
YEAR = re.compile(r"^\d{4}$")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
NOT_IN_IRI = re.compile(r"[\s<>\"{}|\\^`]")
WKT = NamedNode("http://www.opengis.net/ont/geosparql#wktLiteral")

FREQUENCIES = {
    "R/P1D": "daily", "R/PT1H": "hourly", "R/P1W": "weekly", "R/P1M": "monthly",
    "R/P3M": "quarterly", "R/P1Y": "annual", "R/P6M": "semiannual", "R/P2W": "biweekly",
    "R/P0.5M": "semimonthly", "R/P2M": "bimonthly", "R/P4M": "threeTimesAYear",
    "R/P2Y": "biennial", "R/P3Y": "triennial", "R/PT1S": "continuous",
    "irregular": "irregular", "daily": "daily", "weekly": "weekly", "monthly": "monthly",
    "quarterly": "quarterly", "annually": "annual", "annual": "annual", "yearly": "annual",
    "hourly": "hourly", "continuous": "continuous", "realtime": "continuous",
}
FREQ = "http://purl.org/cld/freq/"
IANA = "https://www.iana.org/assignments/media-types/"
PD = "https://w3id.org/dpv/pd#"


@dataclass
class Distribution:
    title: str | None = None
    description: str | None = None
    download_url: str | None = None
    access_url: str | None = None
    media_type: str | None = None
    format: str | None = None
    conforms_to: list[str] = field(default_factory=list)
    described_by: str | None = None


@dataclass
class DatasetFields:
    """A dataset as every loader can describe it; strings as the source gave them."""

    identifier: str | None
    title: str | None
    description: str | None = None
    keywords: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    modified: str | None = None
    issued: str | None = None
    publisher: str | None = None
    contact_name: str | None = None
    contact_email: str | None = None
    access_level: str | None = None
    license: str | None = None
    rights: str | None = None
    spatial: str | None = None
    temporal: str | None = None
    landing_page: str | None = None
    conforms_to: list[str] = field(default_factory=list)
    language: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    accrual_periodicity: str | None = None
    described_by: str | None = None
    source_iri: str | None = None
    """The record's own IRI at the source (its `@id`, its API URL): kept as evidence."""
    distributions: list[Distribution] = field(default_factory=list)
    personal_data: list[str] = field(default_factory=list)


def as_text(value: object) -> str | None:
    """A scalar as stripped text, None for null, empty, or a non-scalar."""
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value).strip()
    return text or None


def as_list(value: object) -> list[str]:
    """A string or a list of strings (sources use both) as a list of non-empty strings."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [t for t in (as_text(v) for v in items) if t]


class Mapper:
    """Maps `DatasetFields` of one source to a `Record`; holds the source's context."""

    def __init__(self, context: LoadContext, *, report_missing: bool = True) -> None:
        """`report_missing=False` when a schema already reported missing fields."""
        self.context = context
        self.report_missing = report_missing
        self.minter = context.minter
        self.community = context.community
        self.community_iri = context.minter.iri("community", context.community)
        self.catalog_iri = context.minter.iri("catalog", context.source_id)
        self.known_domains = domain_concepts()
        self.seen: dict[str, str] = {}

    def record(self, fields: DatasetFields, key: str | None = None) -> Record:
        """Check, then map one dataset. A record without identifier or title is skipped."""
        key = key or fields.identifier or ""
        label = fields.identifier or key or "(no identifier)"
        issues: list[Issue] = []
        if not fields.identifier:
            return Record(key=key or f"#{len(self.seen)}", skipped="no identifier",
                          issues=[Issue("record has no identifier; skipped", label, "identifier")])
        if not fields.title:
            return Record(key=key, skipped="no title", identifier=fields.identifier,
                          issues=[Issue("record has no title; skipped", label, "title")])
        broken = _not_text(fields)
        if broken is not None:
            shown = label.encode("utf-8", "backslashreplace").decode()
            return Record(key=key.encode("utf-8", "backslashreplace").decode(),
                          skipped="not text", issues=[Issue(
                              f"{broken} holds a lone UTF-16 surrogate, which is not text; "
                              "skipped", shown, broken)])
        dataset = self.context.dataset_iri(fields.identifier)
        if dataset.value in self.seen:
            first = self.seen[dataset.value]
            return Record(key=f"{key}#duplicate", skipped="duplicate identifier",
                          identifier=fields.identifier, issues=[Issue(
                              f"identifier {fields.identifier!r} already used by record "
                              f"{first!r} in this source; this later one is skipped",
                              label, "identifier")])
        self.seen[dataset.value] = label
        builder = _Builder(self, dataset, label, issues)
        builder.build(fields)
        source_iri = builder.iri(fields.source_iri, "@id") if fields.source_iri else None
        if source_iri is None and fields.identifier.startswith(("http://", "https://")):
            source_iri = builder.iri(fields.identifier, "identifier")
        return Record(key=key, iri=dataset, triples=builder.triples, issues=issues,
                      landing_page=builder.landing_page, identifier=fields.identifier,
                      source_iri=source_iri.value if source_iri is not None else None)


def _not_text(fields: DatasetFields) -> str | None:
    """The first field holding a string that cannot be encoded (a lone surrogate, which
    JSON's `\\ud800` escape can carry): no RDF literal or IRI can hold it."""
    def encodes(value: object) -> bool:
        try:
            json.dumps(value, ensure_ascii=False, default=vars).encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True

    if encodes(vars(fields)):  # the common case in one call, not one per field
        return None
    return next((name for name, value in vars(fields).items() if not encodes(value)), None)


class _Builder:
    def __init__(self, mapper: Mapper, dataset: NamedNode, label: str, issues: list[Issue]):
        self.m = mapper
        self.dataset = dataset
        self.label = label
        self.issues = issues
        self.triples: list[Triple] = []
        self.landing_page: str | None = None

    # helpers -------------------------------------------------------------

    def add(self, s, p, o) -> None:
        self.triples.append(Triple(s, p, o))

    def warn(self, field_name: str, message: str) -> None:
        """A defect in a record that still loads: always a warning (errors skip records)."""
        self.issues.append(Issue(message, self.label, field_name, "warning"))

    def iri(self, value: str | None, field_name: str) -> NamedNode | None:
        if not value:
            return None
        text = value.strip()
        if text.startswith("//") and not text.startswith("///"):
            text = "https:" + text
        if SCHEME.match(text) and not NOT_IN_IRI.search(text):
            try:
                return NamedNode(text)
            except ValueError:
                pass
        shown = text if len(text) <= 80 else text[:77] + "..."
        self.warn(field_name, f"not a valid URL: {shown!r}; left out")
        return None

    def text(self, value: str | None, field_name: str) -> Literal | None:
        if value is None:
            return None
        if len(value) > MAX_TEXT:
            self.warn(field_name, f"{field_name} is {len(value):,} characters long; "
                                  f"kept the first {MAX_TEXT:,}")
            value = value[:MAX_TEXT]
        return Literal(value)

    def date(self, value: str | None, field_name: str) -> Literal | None:
        if value is None:
            return None
        text = value.strip()
        if DATE.match(text):
            return Literal(text, datatype=XSD.date)
        if DATETIME.match(text):
            return Literal(text, datatype=XSD.dateTime)
        if text.startswith("R/P"):
            return Literal(text)
        if YEAR.match(text):
            return Literal(text, datatype=XSD.gYear)
        if re.match(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?$", text):
            return Literal(text.replace(" ", "T"), datatype=XSD.dateTime)
        self.warn(field_name, f"not an ISO 8601 date: {text[:60]!r}; kept as text")
        return Literal(text)

    def child(self, kind: str, *parts: str) -> NamedNode:
        return NamedNode(self.dataset.value + "/" + "/".join([kind, *[slug(p) for p in parts]]))

    # the mapping ---------------------------------------------------------

    def build(self, f: DatasetFields) -> None:
        d = self.dataset
        self.add(d, RDF.type, DCAT.Dataset)
        self.add(d, DCT.identifier, Literal(f.identifier))
        self.add(d, DCT.term("title"), self.text(f.title, "title"))
        self.add(self.m.catalog_iri, DCAT.dataset, d)
        self.add(d, DCT.publisher, self.m.community_iri)
        self.add(d, RG.community, self.m.community_iri)
        if f.description is not None:
            self.add(d, DCT.description, self.text(f.description, "description"))
        elif self.m.report_missing:
            self.warn("description", "no description")
        self.keywords(f.keywords)
        self.themes(f.themes)
        for name, value, prop in (("modified", f.modified, DCT.modified),
                                  ("issued", f.issued, DCT.issued)):
            literal = self.date(value, name)
            if literal is not None:
                self.add(d, prop, literal)
        if f.modified is None and self.m.report_missing:
            self.warn("modified", "modified is missing or null")
        self.contact(f)
        self.access(f.access_level)
        self.license(f)
        if f.rights:
            rights = self.child("rights")
            self.add(d, DCT.rights, rights)
            self.add(rights, RDF.type, DCT.RightsStatement)
            self.add(rights, RDFS.label, self.text(f.rights, "rights"))
        self.spatial(f.spatial)
        self.temporal(f.temporal)
        landing = self.iri(f.landing_page, "landingPage")
        if landing is not None:
            self.landing_page = landing.value
            self.add(d, DCAT.landingPage, landing)
        for value in f.conforms_to:
            standard = self.iri(value, "conformsTo")
            if standard is not None:
                self.add(d, DCT.conformsTo, standard)
        for value in f.language:
            self.add(d, DCT.language, Literal(value))
        for value in f.references:
            ref = self.iri(value, "references")
            if ref is not None:
                self.add(d, DCT.references, ref)
        described = self.iri(f.described_by, "describedBy")
        if described is not None:
            self.add(d, RDFS.seeAlso, described)
        self.frequency(f.accrual_periodicity)
        for category in f.personal_data:
            self.add(d, RG.personalDataCategory, personal_data_concept(category))
        self.distributions(f.distributions)
        for triple in detect_conformance(d, f, self.triples, self.m.context.standards):
            self.triples.append(triple)

    def keywords(self, keywords: list[str]) -> None:
        if len(keywords) > MAX_KEYWORDS:
            self.warn("keyword", f"keyword list has {len(keywords):,} entries; "
                                 f"kept the first {MAX_KEYWORDS:,}")
            keywords = keywords[:MAX_KEYWORDS]
        seen: set[str] = set()
        for keyword in keywords:
            if keyword not in seen:
                seen.add(keyword)
                self.add(self.dataset, DCAT.keyword, Literal(keyword[:500]))
        if not keywords and self.m.report_missing:
            self.warn("keyword", "no keywords")

    def themes(self, themes: list[str]) -> None:
        """Themes the alliance knows become rgc:domain concepts; others stay keywords."""
        for theme in themes[:MAX_KEYWORDS]:
            concept = self.m.known_domains.get(slug(theme))
            if concept is not None:
                self.add(self.dataset, DCAT.theme, NamedNode(concept))
            else:
                self.add(self.dataset, DCAT.keyword, Literal(theme[:500]))

    def contact(self, f: DatasetFields) -> None:
        if not (f.contact_name or f.contact_email):
            if self.m.report_missing:
                self.warn("contactPoint", "no contact point")
            return
        contact = self.child("contact")
        self.add(self.dataset, DCAT.contactPoint, contact)
        self.add(contact, RDF.type, VCARD.Kind)
        if f.contact_name:
            self.add(contact, VCARD.fn, Literal(f.contact_name))
        if f.contact_email:
            email = f.contact_email.strip()
            address = email[7:] if email.lower().startswith("mailto:") else email
            if EMAIL.match(address):
                self.add(contact, VCARD.hasEmail, NamedNode("mailto:" + address))
            else:
                self.warn("contactPoint.hasEmail", f"not an e-mail address: {email[:80]!r}; "
                                                   "left out")

    def access(self, level: str | None) -> None:
        if level is None:
            self.warn("accessLevel", "no access level; recorded as restricted until stated")
            level = "restricted"
        concept = ACCESS_LEVELS.get(level.strip().lower())
        if concept is None:
            self.warn("accessLevel", f"unknown access level {level!r} (expected public, "
                                     "restricted public or non-public); recorded as restricted")
            concept = "restricted"
        self.add(self.dataset, RG.accessLevel, RGC.term(f"access/{concept}"))

    def license(self, f: DatasetFields) -> None:
        if not f.license:
            return
        text = f.license.strip()
        looks_like_url = re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$", text) is not None
        if looks_like_url:
            iri = self.iri(text, "license")
            if iri is not None:
                self.add(self.dataset, DCT.license, iri)
            return
        shown = re.sub(r"<[^>]+>", " ", text)
        shown = re.sub(r"\s+", " ", shown).strip()
        self.warn("license", "license is not a URL but "
                  + ("an HTML fragment" if "<" in text else "text")
                  + f" ({len(text):,} characters: {shown[:60]!r}...); kept as a rights statement")
        rights = self.child("license-text")
        self.add(self.dataset, DCT.rights, rights)
        self.add(rights, RDF.type, DCT.RightsStatement)
        self.add(rights, RDFS.label, self.text(shown, "license"))

    def spatial(self, value: str | None) -> None:
        """A place: its geometry (bbox, WKT, GeoJSON) or a name (see `loaders.spatial`)."""
        if not value:
            return
        found = coverage(self.dataset, value, self.m.context.places)
        if found.problem:
            self.warn("spatial", found.problem)
            return
        place = self.child("spatial")
        self.add(self.dataset, DCT.spatial, place)
        self.add(place, RDF.type, DCT.Location)
        self.triples.extend(found.triples)
        geometry = found.spatial.geometry if found.spatial else None
        if geometry is not None:  # the geometry itself is the dataset's (geo:hasGeometry)
            self.add(place, DCAT.bbox, Literal(envelope_wkt(geometry), datatype=WKT))
        else:
            self.add(place, SKOS.prefLabel, self.text(value, "spatial"))
            self.add(place, LOCN.geographicName, Literal(value[:500]))

    def temporal(self, value: str | None) -> None:
        if not value:
            return
        start, _, end = value.partition("/")
        period = self.child("temporal")
        self.add(self.dataset, DCT.temporal, period)
        self.add(period, RDF.type, DCT.PeriodOfTime)
        for prop, part in ((DCAT.startDate, start), (DCAT.endDate, end)):
            if part and not part.startswith(("R", "P")):
                literal = self.date(part, "temporal")
                if literal is not None:
                    self.add(period, prop, literal)

    def frequency(self, value: str | None) -> None:
        if not value:
            return
        name = FREQUENCIES.get(value.strip()) or FREQUENCIES.get(value.strip().lower())
        if name is None and re.match(r"^R/PT\d+(\.\d+)?[MS]$", value.strip()):
            name = "continuous"
        if name:
            self.add(self.dataset, DCT.accrualPeriodicity, NamedNode(FREQ + name))
        else:
            self.warn("accrualPeriodicity", f"unknown frequency {value[:40]!r}; left out")

    def distributions(self, distributions: list[Distribution]) -> None:
        if len(distributions) > MAX_DISTRIBUTIONS:
            self.warn("distribution", f"{len(distributions):,} distributions; "
                                      f"kept the first {MAX_DISTRIBUTIONS:,}")
        for index, dist in enumerate(distributions[:MAX_DISTRIBUTIONS], start=1):
            node = self.child("distribution", str(index))
            where = f"distribution[{index - 1}]"
            self.add(self.dataset, DCAT.distribution, node)
            self.add(node, RDF.type, DCAT.Distribution)
            if dist.title:
                self.add(node, DCT.term("title"), self.text(dist.title, f"{where}.title"))
            if dist.description:
                self.add(node, DCT.description, self.text(dist.description, f"{where}.description"))
            download = self.iri(dist.download_url, f"{where}.downloadURL")
            access = self.iri(dist.access_url, f"{where}.accessURL")
            if download is not None:
                self.add(node, DCAT.downloadURL, download)
            if access is not None or download is not None:
                self.add(node, DCAT.accessURL, access or download)
            elif dist.download_url is None and dist.access_url is None:
                self.warn(f"{where}", "distribution has neither accessURL nor downloadURL")
            if dist.media_type:
                media = dist.media_type.strip().lower()
                if re.match(r"^[a-z0-9][\w.+-]*/[\w.+-]+$", media):
                    self.add(node, DCAT.mediaType, NamedNode(IANA + media))
                else:
                    self.warn(f"{where}.mediaType", f"not a media type: {media[:40]!r}")
            if dist.format:
                self.add(node, DCT.term("format"), Literal(dist.format[:100]))
            for value in dist.conforms_to:
                standard = self.iri(value, f"{where}.conformsTo")
                if standard is not None:
                    self.add(node, DCT.conformsTo, standard)
            described = self.iri(dist.described_by, f"{where}.describedBy")
            if described is not None:
                self.add(node, RDFS.seeAlso, described)


def personal_data_concept(category: str) -> NamedNode:
    """A DPV personal-data category from its IRI, `pd:Name`, or its bare name."""
    text = category.strip()
    if text.startswith(("http://", "https://")):
        return NamedNode(text)
    name = text.split(":", 1)[1] if ":" in text else text
    return NamedNode(PD + name[:1].upper() + name[1:])


@lru_cache(maxsize=1)
def domain_concepts() -> dict[str, str]:
    """slug of label or notation → rgc:domain concept IRI, read from the bundled concepts.

    Lets a catalog theme such as "Transportation" land on the alliance's concept. The
    ontology files are data, read once; a missing file just means no theme matches.
    """
    from pyoxigraph import RdfFormat, parse

    from regiongraph.paths import data_path

    found: dict[str, str] = {}
    prefix = RGC._namespace + "domain/"
    for path in sorted(data_path("ontology").glob("*.ttl")):
        try:
            with path.open("rb") as stream:
                for triple in parse(stream, RdfFormat.TURTLE):
                    subject = triple.subject
                    if not isinstance(subject, NamedNode) or not subject.value.startswith(prefix):
                        continue
                    found.setdefault(slug(subject.value[len(prefix):]), subject.value)
                    if triple.predicate in (SKOS.prefLabel, SKOS.altLabel, RDFS.label) and \
                            isinstance(triple.object, Literal):
                        found.setdefault(slug(triple.object.value), subject.value)
        except (OSError, SyntaxError):
            continue
    return found


__all__ = ["DatasetFields", "Distribution", "Mapper", "as_list", "as_text"]
