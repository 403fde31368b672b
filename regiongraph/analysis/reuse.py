"""Reuse across the region: data one community publishes that another's projects could use.

A planner starting a project should first learn that a neighbour already has the data.
For each project, datasets published by communities outside the project are scored on
evidence a planner can check, each piece kept as a reason with the IRIs it rests on:

| evidence                                                    | points |
|-------------------------------------------------------------|--------|
| a theme of the dataset is the project's domain              | 3.0    |
| conforms to a standard the project's data or domain uses    | 2.0    |
| a project in another community already uses it             | 1.5    |
| its area overlaps the area of the project's data            | 1.0    |
| shared keywords with the project's data (0.5 each, max 2)   | ≤ 2.0  |

Only datasets with at least one of the first three (the strong reasons) and a score of
at least `min_score` are recommended; keywords and area refine the ranking, they never
recommend on their own. Candidates come from indexes (by theme, by standard, by use),
so the cost grows with the number of matches, not projects × datasets.

Near-duplicates are datasets with nearly the same title (Jaccard similarity of title
words, community names left out) and a common theme, kept separately by two or more
communities: candidates to maintain once, to one standard.
"""

from __future__ import annotations

import heapq
import re
from collections import defaultdict

from regiongraph.analysis.models import NearDuplicateGroup, Reason, Ref, ReuseItem, ReuseResult
from regiongraph.analysis.region import Region, local_name

POINTS = {"domain": 3.0, "standard": 2.0, "used-elsewhere": 1.5, "spatial": 1.0,
          "keyword": 0.5, "keywords-max": 2.0}
STRONG = {"domain", "standard", "used-elsewhere"}
STOPWORDS = {
    "a", "an", "and", "the", "of", "for", "in", "on", "at", "to", "by", "with", "from", "per",
    "data", "dataset", "datasets", "city", "county", "town", "all", "annual", "monthly",
    "daily", "weekly", "public",
}


def reuse(region: Region, *, community: str | None = None, visible: set[str] | None = None,
          per_project: int = 10, min_score: float = 3.0, duplicates: bool = True) -> ReuseResult:
    """Ranked cross-community recommendations, optionally only for one community's projects."""
    allowed = (lambda d: d in visible) if visible is not None else (lambda d: True)
    by_theme: dict[str, list[str]] = defaultdict(list)
    by_standard: dict[str, list[str]] = defaultdict(list)
    standard_names = {name: s for s, names in region.standards.items() for name in names}
    dataset_standards: dict[str, set[str]] = {}
    for iri, d in region.datasets.items():
        if not allowed(iri) or d.publisher is None:
            continue
        for theme in d.themes:
            by_theme[theme].append(iri)
        resolved = {standard_names.get(s, s) for s in d.standards}
        dataset_standards[iri] = resolved
        for s in resolved:
            by_standard[s].append(iri)
    users: dict[str, set[str]] = defaultdict(set)
    for p in region.projects.values():
        for d in p.uses:
            users[d].add(p.iri)

    items: list[ReuseItem] = []
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
        own_boxes = [b for d in seen if d in region.datasets for b in region.datasets[d].bboxes]

        candidates: set[str] = set()
        for theme in project.domains:
            candidates.update(by_theme.get(theme, ()))
        for s in own_standards:
            candidates.update(by_standard.get(s, ()))
        for other in region.projects.values():
            if other.iri != project.iri and other.domains & project.domains:
                candidates.update(d for d in other.uses if allowed(d))

        scored = []
        for iri in candidates - own:
            d = region.datasets.get(iri)
            if d is None or d.publisher is None or d.publisher in insiders:
                continue
            reasons = _reasons(region, project, d, dataset_standards.get(iri, set()),
                               own_standards, own_keywords, own_boxes, users)
            kinds = {r.kind for r in reasons}
            score = round(sum(r.points for r in reasons), 2)
            if kinds & STRONG and score >= min_score:
                scored.append((score, iri, reasons))
        for score, iri, reasons in heapq.nlargest(per_project, scored,
                                                  key=lambda s: (s[0], s[1])):
            d = region.datasets[iri]
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


def _reasons(region, project, d, standards, own_standards, own_keywords, own_boxes, users):
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
    if own_boxes and any(_overlap(a, b) for a in d.bboxes for b in own_boxes):
        reasons.append(Reason(kind="spatial", points=POINTS["spatial"], evidence=[],
                              text="covers an area that overlaps the project's data"))
    words = sorted(d.keywords & own_keywords)
    if words:
        points = min(POINTS["keywords-max"], POINTS["keyword"] * len(words))
        reasons.append(Reason(kind="keywords", points=points, evidence=words[:10],
                              text="shares keywords with the project's data: "
                                   + ", ".join(words[:5])))
    return reasons


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
    checked: set[tuple[str, str]] = set()
    for iri, words in terms.items():
        # Block on the dataset's rarest term: a near-duplicate shares most terms, so it
        # shares this one unless the similarity is low anyway.
        rare = sorted(words, key=lambda w: (len(index[w]), w))[:2]
        for w in rare:
            if len(index[w]) > max_df:
                continue
            for other in index[w]:
                if other <= iri or (iri, other) in checked:
                    continue
                checked.add((iri, other))
                a, b = region.datasets[iri], region.datasets[other]
                if a.publisher == b.publisher:
                    continue
                if a.themes and b.themes and not (a.themes & b.themes):
                    continue
                jaccard = len(words & terms[other]) / len(words | terms[other])
                if jaccard >= threshold:
                    parent[find(iri)] = find(other)
                    similarity[iri].append(jaccard)
                    similarity[other].append(jaccard)
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
