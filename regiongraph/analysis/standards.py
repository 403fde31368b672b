"""Standards adoption: who publishes to each standard, and who publishes without it.

A standard is worth more the more communities use it: a regional trip planner needs
every transit feed in GTFS. For each standard of the registry the adopters are the
communities with a dataset that conforms to it (as `regiongraph.conformance` reads it:
on the dataset or a distribution, by the standard's IRI or its homepage), and the gap is
the communities that publish data in the standard's domains (`rg:standardDomain`) with
no conforming dataset at all.
"""

from __future__ import annotations

from collections import defaultdict

from regiongraph.analysis.models import CommunityCount, StandardAdoption, StandardsResult
from regiongraph.analysis.region import Region


def standards_adoption(region: Region, *, visible: set[str] | None = None) -> StandardsResult:
    conforming: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    in_domain: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    domain_standards: dict[str, set[str]] = defaultdict(set)
    for s, domains in region.standard_domains.items():
        for d in domains:
            domain_standards[d].add(s)
    for iri, d in sorted(region.datasets.items()):
        if d.publisher is None or (visible is not None and iri not in visible):
            continue
        resolved = d.standards & region.standards.keys()
        for s in resolved:
            conforming[s][d.publisher].append(iri)
        for theme in d.themes:
            for s in domain_standards.get(theme, ()):
                if s not in resolved:
                    in_domain[s][d.publisher].append(iri)
    out = []
    for s in sorted(region.standards, key=lambda s: region.label(s).lower()):
        adopters = [
            CommunityCount(community=c, label=region.label(c), datasets=len(ds),
                           examples=ds[:3])
            for c, ds in sorted(conforming[s].items(), key=lambda i: (-len(i[1]), i[0]))
        ]
        gaps = [
            CommunityCount(community=c, label=region.label(c), datasets=len(sorted(set(ds))),
                           examples=sorted(set(ds))[:3])
            for c, ds in sorted(in_domain[s].items(), key=lambda i: (-len(i[1]), i[0]))
            if c not in conforming[s]
        ]
        name = region.label(s)
        if adopters and gaps:
            verb = "publish" if len(adopters) != 1 else "publishes"
            sentence = (f"{len(adopters)} communit{'ies' if len(adopters) != 1 else 'y'} "
                        f"{verb} {name}; {len(gaps)} more publish data in its domain without "
                        f"it (starting with {gaps[0].label}, {gaps[0].datasets} dataset(s)).")
        elif adopters:
            sentence = (f"Every community with data in its domain that publishes {name} "
                        f"conforms ({len(adopters)}).")
        elif gaps:
            sentence = (f"No community publishes {name} yet, though {len(gaps)} publish data "
                        "in its domain: a shared adoption effort would start from zero.")
        else:
            sentence = f"No data in the region conforms to {name} or falls in its domain."
        out.append(StandardAdoption(
            standard=s, label=name, domains=sorted(region.standard_domains.get(s, ())),
            adopters=adopters, gaps=gaps, sentence=sentence,
        ))
    return StandardsResult(standards=out)
