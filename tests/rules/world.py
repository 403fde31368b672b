"""A tiny region that keeps every rule, and edits that break exactly one rule each."""

import datetime as dt

from pyoxigraph import Quad, RdfFormat, parse

from regiongraph.iri import ONTOLOGY_GRAPH, REGISTRY_GRAPH, Minter
from regiongraph.paths import data_path
from regiongraph.settings import Settings
from regiongraph.store import open_store

DAY = dt.date(2026, 11, 25)
BASE = "https://data.sonoranvalley.example/"
PREFIXES = f"""
@prefix : <{BASE}> .
@prefix rg: <https://w3id.org/regiongraph/ns#> .
@prefix rgc: <https://w3id.org/regiongraph/concepts/> .
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix odrl: <http://www.w3.org/ns/odrl/2/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix vcard: <http://www.w3.org/2006/vcard/ns#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix pd: <https://w3id.org/dpv/pd#> .
"""

# Concept IRIs with a slash are written in full: Turtle local names cannot hold "/".
C = "https://w3id.org/regiongraph/concepts/"
GOOD = PREFIXES + f"""
:communities\\/a a rg:Community , rg:City ; foaf:name "A" .
:communities\\/b a rg:Community , rg:City ; foaf:name "B" .
:roles\\/ea a rg:RoleAssignment ; org:member :people\\/ea ; org:organization :communities\\/a ;
    org:role <{C}role/mayor> .
:roles\\/eb a rg:RoleAssignment ; org:member :people\\/eb ; org:organization :communities\\/b ;
    org:role <{C}role/mayor> .
:roles\\/la a rg:RoleAssignment ; org:member :people\\/la ; org:organization :communities\\/a ;
    org:role <{C}role/data-leader> .

:datasets\\/a\\/open a dcat:Dataset ; dct:title "Open" ; dct:description "Open data." ;
    dct:publisher :communities\\/a ; dcat:contactPoint :contacts\\/a ;
    dct:modified "2026-01-01"^^xsd:date ; rg:accessLevel <{C}access/public> ;
    dcat:keyword "roads" ; dct:license <https://creativecommons.org/publicdomain/zero/1.0/> ;
    dcat:distribution :distributions\\/a-open .
:distributions\\/a-open a dcat:Distribution ; dcat:accessURL <https://a.example/open.csv> ;
    dcat:mediaType <https://www.iana.org/assignments/media-types/text/csv> .
:datasets\\/b\\/trips a dcat:Dataset ; dct:title "Trips" ; dct:description "Trips." ;
    dct:publisher :communities\\/b ; dcat:contactPoint :contacts\\/b ;
    dct:modified "2026-01-01"^^xsd:date ; rg:accessLevel <{C}access/restricted> ;
    rg:personalDataCategory pd:Location ; dcat:theme <{C}domain/micromobility> .

:approvals\\/a-open a rg:Approval ; rg:status <{C}status/approved> ;
    rg:action <{C}action/publish> ; rg:scope <{C}scope/public> ;
    rg:validFrom "2020-01-01"^^xsd:date ; rg:approvedBy :people\\/ea ;
    rg:dataOwner :communities\\/a ; rg:coversDataset :datasets\\/a\\/open ; rg:legalBasis "Policy" .
:agreements\\/b-a a rg:DataSharingAgreement ; odrl:assigner :communities\\/b ;
    odrl:assignee :communities\\/a ; rg:coversDataset :datasets\\/b\\/trips ;
    rg:status <{C}status/approved> ; rg:validFrom "2020-01-01"^^xsd:date ;
    rg:validUntil "2030-01-01"^^xsd:date ; odrl:permission :agreements\\/b-a\\/p1 .

:projects\\/p a rg:Project ; dct:title "P" ; rg:domain <{C}domain/transportation> ;
    rg:phase <{C}phase/pilot> ; rg:leadCommunity :communities\\/a ;
    rg:usesDataset :datasets\\/a\\/open , :datasets\\/b\\/trips ;
    rg:dataStrategy :strategies\\/p ; rg:engagement :engagements\\/p .
:strategies\\/p a rg:DataStrategy ; rg:approvedBy :people\\/ea .
:engagements\\/p a rg:Engagement ; prov:agent :people\\/la ; rg:engagedAtPhase <{C}phase/design> .

:standards\\/gtfs a dct:Standard ; dct:title "GTFS" ; foaf:homepage <https://gtfs.org/> ;
    owl:versionInfo "2024" ; rg:expectedMediaType "application/zip" .
"""

S = BASE
# rule → (edit to the good world as (remove, add) N-Triples-ish Turtle snippets, focus, shape)
BREAKS = {
    "R1": ([(f"<{S}approvals/a-open>", "rg:approvedBy", f"<{S}people/ea>")],
           [(f"<{S}approvals/a-open>", "rg:approvedBy", f"<{S}people/la>")],
           f"{S}datasets/a/open", "R1-PublicDatasetApproved"),
    "R2a": ([], [(f"<{S}datasets/a/open>", "rg:personalDataCategory", "pd:Name")],
            f"{S}datasets/a/open", "R2-SensitiveNeverPublic"),
    "R2b": ([(f"<{S}agreements/b-a>", "rg:status", f"<{C}status/approved>")],
            [(f"<{S}agreements/b-a>", "rg:status", f"<{C}status/revoked>")],
            f"{S}datasets/b/trips", "R2-SensitiveSharedUnderAgreement"),
    "R3": ([(f"<{S}agreements/b-a>", "odrl:assignee", f"<{S}communities/a>")],
           [(f"<{S}agreements/b-a>", "odrl:assignee", f"<{S}communities/b>")],
           f"{S}projects/p", "R3-CrossCommunityUseCovered"),
    "R4a": ([(f"<{S}strategies/p>", "rg:approvedBy", f"<{S}people/ea>")],
            [(f"<{S}strategies/p>", "rg:approvedBy", f"<{S}people/eb>")],
            f"{S}projects/p", "R4-StrategyApproved"),
    "R4b": ([(f"<{S}projects/p>", "rg:engagement", f"<{S}engagements/p>")], [],
            f"{S}projects/p", "R4-DataLeaderEngaged"),
    "R4c": ([(f"<{S}engagements/p>", "rg:engagedAtPhase", f"<{C}phase/design>")],
            [(f"<{S}engagements/p>", "rg:engagedAtPhase", f"<{C}phase/production>")],
            f"{S}projects/p", "R4-DataLeaderEngagedEarly"),
    # the alliance requires engagement before design; p's leader came only at design
    "R4d": ([], [(f"<{S}graph/registry>", "rg:requiresEngagementBeforeDesign", "true")],
            f"{S}projects/p", "R4-LeadEngagedBeforeDesign"),
    "R5a": ([], [(f"<{S}agreements/b-a>", "rg:validFrom", '"2031-01-01"^^xsd:date')],
            f"{S}agreements/b-a", "R5-ValidityCoherent"),
    "R5b": ([(f"<{S}approvals/a-open>", "rg:approvedBy", f"<{S}people/ea>")],
            [(f"<{S}approvals/a-open>", "rg:approvedBy", f"<{S}people/eb>")],
            f"{S}approvals/a-open", "R5-ApproverIsExecutive"),
    "R5c": ([], [(f"<{S}approvals/a-open>", "rg:coversDataset", f"<{S}datasets/b/trips>")],
            f"{S}approvals/a-open", "R5-OwnerPublishesData"),
    "R5d": ([], [(f"<{S}approvals/a-open>", "rg:validUntil", '"2026-11-01"^^xsd:date')],
            f"{S}approvals/a-open", "R5-StatusMatchesDates"),
    "R6a": ([], [(f"<{S}datasets/a/open>", "dct:conformsTo", "<https://example.org/nope>")],
            f"{S}datasets/a/open", "R6-ClaimedStandardRegistered"),
    "R6b": ([], [(f"<{S}datasets/a/open>", "dct:conformsTo", f"<{S}standards/gtfs>")],
            f"{S}datasets/a/open", "R6-DistributionFitsStandard"),
    "R7": ([(f"<{S}agreements/b-a>", "rg:validUntil", '"2030-01-01"^^xsd:date')],
           [(f"<{S}agreements/b-a>", "rg:validUntil", '"2026-12-05"^^xsd:date')],
           f"{S}agreements/b-a", "R7-EndingSoon"),
    "title": ([(f"<{S}datasets/a/open>", "dct:title", '"Open"')], [],
              f"{S}datasets/a/open", "DatasetTitle"),
    "keywords": ([(f"<{S}datasets/a/open>", "dcat:keyword", '"roads"')], [],
                 f"{S}datasets/a/open", "DatasetKeywordsOrThemes"),
    "license": ([(f"<{S}datasets/a/open>", "dct:license",
                  "<https://creativecommons.org/publicdomain/zero/1.0/>")], [],
                f"{S}datasets/a/open", "PublicDatasetLicense"),
    "format": ([(f"<{S}distributions/a-open>", "dcat:mediaType",
                 "<https://www.iana.org/assignments/media-types/text/csv>")], [],
               f"{S}distributions/a-open", "DistributionFormat"),
    "access": ([], [(f"<{S}datasets/a/open>", "rg:accessLevel", f"<{C}access/secret>")],
               f"{S}datasets/a/open", "DatasetAccessLevel"),
    "lead-class": ([], [(f"<{S}projects/p>", "rg:leadCommunity", f"<{S}people/ea>")],
                   f"{S}projects/p", "ProjectLead"),
}


def world_turtle(remove=(), add=()) -> str:
    """The good world with triples removed and added (each given as Turtle terms)."""
    from pyoxigraph import Store

    store = Store()
    store.load(GOOD.encode(), RdfFormat.TURTLE)
    for s, p, o in remove:
        store.update(PREFIXES.replace("@prefix", "PREFIX").replace(" .\n", "\n")
                     + f"DELETE DATA {{ {s} {p} {o} }}")
    for s, p, o in add:
        store.update(PREFIXES.replace("@prefix", "PREFIX").replace(" .\n", "\n")
                     + f"INSERT DATA {{ {s} {p} {o} }}")
    return "".join(f"{q.subject} {q.predicate} {q.object} .\n" for q in store)


def world_store(remove=(), add=()):
    settings = Settings(store="memory", base=BASE)
    store = open_store(settings)
    minter = Minter(BASE)
    ontology = minter.graph(ONTOLOGY_GRAPH)
    for path in sorted(data_path("ontology").glob("*.ttl")):
        with path.open("rb") as stream:
            store.add(Quad(t.subject, t.predicate, t.object, ontology)
                      for t in parse(stream, RdfFormat.TURTLE))
    registry = minter.graph(REGISTRY_GRAPH)
    text = world_turtle(remove, add)
    store.add(Quad(t.subject, t.predicate, t.object, registry)
              for t in parse(text.encode(), RdfFormat.N_TRIPLES))
    return store, settings
