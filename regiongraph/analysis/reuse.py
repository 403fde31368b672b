"""Reuse across the region: data one community publishes that another's projects could use.

A planner starting a project should first learn that a neighbour already has the data.
For each project, datasets published by communities outside the project are scored on
evidence a planner can check, each piece kept as a reason with the IRIs it rests on:

| evidence                                                    | points |
|-------------------------------------------------------------|--------|
| a theme of the dataset is the project's domain              | 3.0    |
| conforms to a standard the project's data or domain uses    | 2.0    |
| a project in another community already uses it             | 1.5    |
| its coverage overlaps the project's area                    | 1.0    |
| shared keywords with the project's data (0.5 each, max 2)   | ≤ 2.0  |

The project's area is its own geometry (`geo:hasGeometry`), else the coverage of the
data it uses and produces; a dataset's coverage is what the spatial index reads
(`regiongraph.geo.index.COVERAGE`). The overlap is measured with shapely, bounding boxes
first so most candidates never reach it, and kept in the reason with the IRIs the area
rests on.

Only datasets with at least one of the first three (the strong reasons) and a score of
at least `min_score` are recommended; keywords and area refine the ranking, they never
recommend on their own.

Candidates come from pools (datasets by theme, by standard, and those used by projects
in the same domain), each kept in one region-wide order of usefulness (used by more
projects first, then conforming to more standards). A project scores only the first
`pool_size` eligible datasets of each of its pools, so the cost grows with the number of
projects, i.e. linearly with the region, not with projects × datasets; the price is that
when more than `pool_size` datasets tie on a pool, the ones further down are not scored.
Reasons (pydantic objects) are built only for the winners.

Near-duplicates are datasets with nearly the same title (Jaccard similarity of title
words, community names left out) and a common theme, kept separately by two or more
communities: candidates to maintain once, to one standard.
"""

from __future__ import annotations

import gc
import heapq
import re
from collections import defaultdict

import shapely
from shapely.geometry.base import BaseGeometry

from regiongraph.analysis.models import NearDuplicateGroup, Reason, Ref, ReuseItem, ReuseResult
from regiongraph.analysis.region import Region, local_name
from regiongraph.geo.functions import GeometryError, overlap, read_geometry, shares

POINTS = {"domain": 3.0, "standard": 2.0, "used-elsewhere": 1.5, "spatial": 1.0,
          "keyword": 0.5, "keywords-max": 2.0, "endorsement": 0.5, "endorsements-max": 1.5}
STRONG = {"domain", "standard", "used-elsewhere"}
POOL = 200
"""Candidates a project takes from the head of each pool (per domain, standard, use)."""
STOPWORDS = {
    "a", "an", "and", "the", "of", "for", "in", "on", "at", "to", "by", "with", "from", "per",
    "data", "dataset", "datasets", "city", "county", "town", "all", "annual", "monthly",
    "daily", "weekly", "public",
}


def reuse(region: Region, **options) -> ReuseResult:
    """Ranked cross-community recommendations (see `rank`), with Python's cyclic garbage
    collector paused meanwhile.

    Why: the ranking allocates millions of short-lived tuples and sets beside a snapshot of
    millions of long-lived objects, and every full collection walks that whole snapshot;
    measured at 100k datasets, ranking took 9.8 s with the collector paused and 14.7-36 s
    with it running. Nothing made here forms reference cycles (tuples, sets, pydantic
    models), so reference counting frees it all the same; the collector's previous state
    is restored on the way out.
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        return rank(region, **options)
    finally:
        if paused:
            gc.enable()


def rank(region: Region, *, community: str | None = None, visible: set[str] | None = None,
          per_project: int = 10, min_score: float = 3.0, duplicates: bool = True,
          pool_size: int = POOL) -> ReuseResult:
    """Ranked cross-community recommendations, optionally only for one community's projects."""
    allowed = (lambda d: d in visible) if visible is not None else (lambda d: True)
    standard_names = {name: s for s, names in region.standards.items() for name in names}
    users: dict[str, set[str]] = defaultdict(set)
    for p in region.projects.values():
        for d in p.uses:
            users[d].add(p.iri)
    dataset_standards: dict[str, set[str]] = {
        iri: {standard_names.get(s, s) for s in d.standards}
        for iri, d in region.datasets.items() if allowed(iri) and d.publisher is not None
    }
    # Candidate pools in one global order of usefulness (already used by more projects, then
    # conforming to more standards), so a project looks at the head of each pool only.
    prior = sorted(dataset_standards, key=lambda i: (-len(users.get(i, ())),
                                                     -len(dataset_standards[i]), i))
    rank = {iri: n for n, iri in enumerate(prior)}
    by_theme: dict[str, list[str]] = defaultdict(list)
    by_standard: dict[str, list[str]] = defaultdict(list)
    for iri in prior:
        for theme in region.datasets[iri].themes:
            by_theme[theme].append(iri)
        for standard in dataset_standards[iri]:
            by_standard[standard].append(iri)
    datasets = region.datasets
    user_leads: dict[str, set[str | None]] = defaultdict(set)
    for p in region.projects.values():
        for d in p.uses:
            user_leads[d].add(p.lead)
    used_in_domain: dict[str, set[str]] = defaultdict(set)
    for p in region.projects.values():
        for domain in p.domains:
            used_in_domain[domain].update(d for d in p.uses if d in rank)
    used_pool = {k: sorted(v, key=rank.__getitem__) for k, v in used_in_domain.items()}

    items: list[ReuseItem] = []
    coverage_of = coverage_reader(region)
    for project in sorted(region.projects.values(), key=lambda p: p.iri):
        if community is not None and project.lead != community:
            continue
        insiders = set(project.participants) | ({project.lead} if project.lead else set())
        own = project.uses | project.produces
        # Evidence may only come from data the asker may see (own is still excluded whole).
        seen = {d for d in own if allowed(d)}
        own_standards = set().union(*(dataset_standards.get(d, set()) for d in seen)) if seen \
            else set()
        for s, domains in region.standard_domains.items():
            if domains & project.domains:
                own_standards.add(s)
        own_keywords = set().union(*(region.datasets[d].keywords for d in seen
                                     if d in region.datasets)) if seen else set()
        area, area_from = project_area(region, project, seen, coverage_of)
        area_box = area.bounds if area is not None else None

        def take(pool: list[str], own=own, insiders=insiders) -> list[str]:
            out = []
            for iri in pool:
                if iri not in own and region.datasets[iri].publisher not in insiders:
                    out.append(iri)
                    if len(out) >= pool_size:
                        break
            return out

        candidates: set[str] = set()
        for theme in sorted(project.domains):
            candidates.update(take(by_theme.get(theme, [])))
            candidates.update(take(used_pool.get(theme, [])))
        for standard in sorted(own_standards):
            candidates.update(take(by_standard.get(standard, [])))

        scored = []
        domains, lead = project.domains, project.lead
        p_domain, p_standard = POINTS["domain"], POINTS["standard"]
        p_used, p_spatial = POINTS["used-elsewhere"], POINTS["spatial"]
        p_keyword, p_keywords = POINTS["keyword"], POINTS["keywords-max"]
        for iri in candidates:
            d = datasets[iri]
            score = 0.0
            if not d.themes.isdisjoint(domains):
                score += p_domain
            if not dataset_standards[iri].isdisjoint(own_standards):
                score += p_standard
            # The project's own uses are not candidates, so any user here is another project.
            others = user_leads.get(iri)
            if others and others - {None, lead, d.publisher}:
                score += p_used
            if score == 0.0:
                continue  # no strong reason: keywords and area never recommend alone
            if area_box is not None and d.bboxes and any(_overlap(b, area_box)
                                                         for b in d.bboxes):
                covered = coverage_of(iri)
                if covered is not None and covered.intersects(area):
                    score += p_spatial
            if own_keywords and d.keywords:
                shared = len(d.keywords & own_keywords)
                if shared:
                    score += min(p_keywords, p_keyword * shared)
            endorsed = len(region.endorsements.get(iri, ()))
            if endorsed:
                score += min(POINTS["endorsements-max"], POINTS["endorsement"] * endorsed)
            if score >= min_score - 1e-9:
                scored.append((round(score, 2), iri))
        for score, iri in heapq.nlargest(per_project, scored):
            d = region.datasets[iri]
            reasons = _reasons(region, project, d, dataset_standards[iri], own_standards,
                               own_keywords, (area, area_from), coverage_of, users)
            items.append(ReuseItem(
                dataset=iri, dataset_label=region.label(iri), publisher=d.publisher,
                publisher_label=region.label(d.publisher), for_community=project.lead,
                for_community_label=region.label(project.lead) if project.lead else None,
                for_project=project.iri, for_project_label=region.label(project.iri),
                score=score, reasons=reasons,
            ))
    items.sort(key=lambda i: (-i.score, i.for_project, i.dataset))
    groups = near_duplicates(region, visible=visible) if duplicates else []
    if community is not None:
        groups = [g for g in groups if community in g.communities]
    return ReuseResult(items=items, near_duplicates=groups, community=community)


def _reasons(region, project, d, standards, own_standards, own_keywords, spatial, coverage_of,
             users):
    reasons: list[Reason] = []
    themes = sorted(d.themes & project.domains)
    if themes:
        names = ", ".join(region.label(t) for t in themes)
        reasons.append(Reason(kind="domain", points=POINTS["domain"], evidence=themes,
                              text=f"its theme {names} is the project's domain"))
    shared = sorted(standards & own_standards)
    if shared:
        names = ", ".join(region.label(s) for s in shared)
        reasons.append(Reason(kind="standard", points=POINTS["standard"], evidence=shared,
                              text=f"conforms to {names}, which the project's data or domain "
                                   "uses"))
    elsewhere = sorted(
        p for p in users.get(d.iri, ()) if p != project.iri
        and region.projects[p].lead not in (project.lead, None)
        and region.projects[p].lead != d.publisher
    )
    if elsewhere:
        names = ", ".join(f"{region.label(p)} ({region.label(region.projects[p].lead)})"
                          for p in elsewhere[:3])
        reasons.append(Reason(kind="used-elsewhere", points=POINTS["used-elsewhere"],
                              evidence=elsewhere,
                              text=f"already used by {names}"))
    area, area_from = spatial
    covered = coverage_of(d.iri) if area is not None else None
    if covered is not None and covered.intersects(area):
        in_area, in_coverage = shares(covered, area)
        whose = "the project's area" if area_from == [project.iri] else \
            "the area of the project's data"
        reasons.append(Reason(
            kind="spatial", points=POINTS["spatial"], evidence=area_from,
            overlap=overlap(covered, area),
            text=f"its coverage overlaps {whose}: it covers {in_area:.0%} of that area, "
                 f"and {in_coverage:.0%} of its coverage lies inside it"))
    endorsed = region.endorsements.get(d.iri, [])
    if endorsed:
        reasons.append(Reason(
            kind="endorsed", evidence=endorsed,
            points=min(POINTS["endorsements-max"], POINTS["endorsement"] * len(endorsed)),
            text=f"endorsed in the forum {len(endorsed)} time{'s' * (len(endorsed) > 1)}"))
    words = sorted(d.keywords & own_keywords)
    if words:
        points = min(POINTS["keywords-max"], POINTS["keyword"] * len(words))
        reasons.append(Reason(kind="keywords", points=points, evidence=words[:10],
                              text="shares keywords with the project's data: "
                                   + ", ".join(words[:5])))
    return reasons


def project_area(region: Region, project, seen: set[str], coverage_of
                 ) -> tuple[BaseGeometry | None, list[str]]:
    """The project's area and the IRIs it rests on: the project's own geometry, else the
    union of the coverage of the data it uses and produces (that the asker may see)."""
    shapes = []
    for text in project.areas:
        try:
            shapes.append(read_geometry(text))
        except GeometryError:
            continue
    if shapes:
        return shapely.union_all(shapes), [project.iri]
    own = sorted(d for d in seen if coverage_of(d) is not None)
    if not own:
        return None, []
    return shapely.union_all([coverage_of(d) for d in own]), own


def coverage_reader(region: Region):
    """dataset IRI → its coverage geometry (None without one), each parsed once per ranking."""
    cache: dict[str, BaseGeometry | None] = {}

    def coverage_of(iri: str) -> BaseGeometry | None:
        if iri not in cache:
            shapes = []
            d = region.datasets.get(iri)
            for text in d.coverage if d else ():
                try:
                    shapes.append(read_geometry(text))
                except GeometryError:
                    continue
            cache[iri] = (shapes[0] if len(shapes) == 1 else shapely.union_all(shapes)) \
                if shapes else None
        return cache[iri]

    return coverage_of


def _overlap(a, b) -> bool:
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def title_terms(title: str, noise: set[str]) -> frozenset[str]:
    words = re.findall(r"[a-z0-9]+", title.lower())
    return frozenset(w for w in words if len(w) > 2 and w not in STOPWORDS and w not in noise
                     and not w.isdigit())


def near_duplicates(region: Region, *, visible: set[str] | None = None, threshold: float = 0.6,
                    max_df: int = 200) -> list[NearDuplicateGroup]:
    """Groups of datasets several communities maintain separately (see the module doc)."""
    terms: dict[str, frozenset[str]] = {}
    for iri, d in region.datasets.items():
        if d.publisher is None or (visible is not None and iri not in visible):
            continue
        noise = title_terms(region.label(d.publisher), set())
        found = title_terms(region.label(iri), set(noise))
        if len(found) >= 2:
            terms[iri] = found
    index: dict[str, list[str]] = defaultdict(list)
    for iri, words in terms.items():
        for w in words:
            index[w].append(iri)
    parent: dict[str, str] = {}

    def find(x):
        while parent.get(x, x) != x:
            parent[x] = parent.get(parent[x], parent[x])
            x = parent[x]
        return x

    similarity: dict[str, list[float]] = defaultdict(list)
    publisher = {iri: region.datasets[iri].publisher for iri in terms}

    # 1. Same title words: one hash group each, linear however common the title is.
    by_signature: dict[frozenset[str], list[str]] = defaultdict(list)
    for iri, words in terms.items():
        by_signature[words].append(iri)
    for members in by_signature.values():
        if len({publisher[m] for m in members}) < 2:
            continue
        for m in members[1:]:
            parent[find(m)] = find(members[0])
        for m in members:
            similarity[m].append(1.0)

    # 2. Nearly the same: block on each dataset's two rarest words (a near-duplicate shares
    # most words, so it almost always shares one of these); blocks larger than max_df are
    # too common to say anything and are skipped, which keeps the pairs linear in the region.
    blocks: dict[str, list[str]] = defaultdict(list)
    for iri, words in terms.items():
        for w in sorted(words, key=lambda w: (len(index[w]), w))[:2]:
            if len(index[w]) <= max_df:
                blocks[w].append(iri)
    checked: set[tuple[str, str]] = set()
    for members in blocks.values():
        for i, a_iri in enumerate(members):
            for b_iri in members[i + 1:]:
                pair = (a_iri, b_iri) if a_iri < b_iri else (b_iri, a_iri)
                if pair in checked or publisher[a_iri] == publisher[b_iri]:
                    continue
                checked.add(pair)
                if terms[a_iri] == terms[b_iri]:
                    continue  # already grouped above
                a, b = region.datasets[a_iri], region.datasets[b_iri]
                if a.themes and b.themes and not (a.themes & b.themes):
                    continue
                jaccard = len(terms[a_iri] & terms[b_iri]) / len(terms[a_iri] | terms[b_iri])
                if jaccard >= threshold:
                    parent[find(a_iri)] = find(b_iri)
                    similarity[a_iri].append(jaccard)
                    similarity[b_iri].append(jaccard)
    clusters: dict[str, list[str]] = defaultdict(list)
    for iri in similarity:
        clusters[find(iri)].append(iri)
    standard_names = {name: s for s, names in region.standards.items() for name in names}
    groups = []
    for members in clusters.values():
        members.sort()
        communities = sorted({region.datasets[m].publisher for m in members})
        if len(communities) < 2:
            continue
        shared = frozenset.intersection(*(terms[m] for m in members))
        scores = [s for m in members for s in similarity[m]]
        used = {standard_names.get(s, s) for m in members for s in region.datasets[m].standards}
        themes = set().union(*(region.datasets[m].themes for m in members))
        suggested = sorted(s for s in used if s in region.standards) or sorted(
            s for s, domains in region.standard_domains.items() if domains & themes)
        names = [region.label(c) for c in communities]
        title = region.label(members[0])
        standard_text = (
            f"; maintained once to {region.label(suggested[0])}" if suggested else
            "; maintained once"
        )
        groups.append(NearDuplicateGroup(
            datasets=[Ref(id=m, label=region.label(m)) for m in members],
            communities=communities,
            similarity=round(sum(scores) / len(scores), 2),
            shared_terms=sorted(shared),
            suggested_standards=[Ref(id=s, label=region.label(s)) for s in suggested[:3]],
            sentence=(f"{len(communities)} communities ({', '.join(names)}) each keep their "
                      f"own version of \u201c{title}\u201d{standard_text}, it would be "
                      "comparable across the region and cost one team instead of "
                      f"{len(communities)}."),
        ))
    groups.sort(key=lambda g: (-len(g.communities), -g.similarity, g.datasets[0].id))
    return groups


def community_label(region: Region, iri: str | None) -> str:
    return region.label(iri) if iri else local_name(iri)
