"""Member views (issue 15): a member's SPARQL query mix against the same mix anonymously.

The generated region is loaded the project's way (`bench_changes.load_region`), then one
child step opens the store and picks a data leader from the registry (the generated region
gives every community one). Both views are built first and timed apart (a view is built
once per tier and then follows the journal: that cost is paid once, not per query); then
the mix of `bench_sparql` (named queries with example values, as the peers get them) runs
`ROUNDS` times on each view in turn, query by query, through the kernel the routes use
(`sparql.member.view_for` for the member, `sparql.public.public_store` anonymously).
Goal: the member's mix within 1.5× of the anonymous one.
"""

from __future__ import annotations

import time
from pathlib import Path

from bench.harness import Context, Section, fmt_ratio, fmt_seconds

TITLE = "Member SPARQL mix vs anonymous (issue 15)"
ROUNDS = 5
GOAL = 1.5
DATA_LEADER = "https://w3id.org/regiongraph/concepts/role/data-leader"


def _data_leader(store) -> str:
    rows = store.query(f"""SELECT ?p WHERE {{ GRAPH ?g {{ ?a <http://www.w3.org/ns/org#member> ?p ;
        <http://www.w3.org/ns/org#role> <{DATA_LEADER}> }} }} ORDER BY ?p LIMIT 1""")
    return next(iter(rows))["p"].value


def mix(region: str, store_dir: str) -> dict:
    """Build both views, then run the mix on each; times per view (child step)."""
    from bench.bench_sparql import _mix
    from regiongraph.accounts import principal_for_person
    from regiongraph.membership import granted, tier_of
    from regiongraph.settings import Settings
    from regiongraph.sparql.member import view_for
    from regiongraph.sparql.public import public_store
    from regiongraph.store import open_store

    settings = Settings(store=store_dir, index="memory")
    store = open_store(settings)
    person = _data_leader(store)
    member = principal_for_person(store, settings, person)
    started = time.perf_counter()
    anonymous_view = public_store(store, settings)
    public_build = time.perf_counter() - started
    started = time.perf_counter()
    member_view = view_for(store, settings, member)
    member_build = time.perf_counter() - started
    queries = [q["text"] for q in _mix(settings.base, Path(region), store_dir)]
    spent = {"anonymous": 0.0, "member": 0.0}
    rows = {"anonymous": 0, "member": 0}
    for _ in range(ROUNDS):
        for text in queries:
            for name, view in (("anonymous", anonymous_view), ("member", member_view)):
                started = time.perf_counter()
                rows[name] += len(list(view.query(text, union_default_graph=True)))
                spent[name] += time.perf_counter() - started
    result = {"person": person, "granted": len(granted(store, settings, tier_of(member))),
              "queries": len(queries), "public_build": public_build,
              "member_build": member_build, **{f"{k}_seconds": v for k, v in spent.items()},
              **{f"{k}_rows": v for k, v in rows.items()}}
    store.close()
    return result


def run(ctx: Context) -> Section:
    rows: list[list[str]] = []
    notes: list[str] = []
    for size in ([1_000] if ctx.quick else [10_000]):
        store_dir = ctx.scratch(f"members-store-{size}")
        ctx.measure("load", "bench.bench_changes:load_region", ctx.region(size), store_dir,
                    repeat=1)
        m = ctx.measure("member mix", "bench.bench_members:mix", ctx.region(size), store_dir,
                        repeat=1)
        r = m.result
        ratio = r["member_seconds"] / r["anonymous_seconds"]
        rows.append([f"{size:,}", f"{r['queries']} queries × {ROUNDS}",
                     fmt_seconds(r["anonymous_seconds"]), fmt_seconds(r["member_seconds"]),
                     fmt_ratio(ratio), f"≤ {GOAL:g}× {'met' if ratio <= GOAL else 'missed'}",
                     f"{m.peak_mb:.0f}"])
        notes.append(f"{size:,}: a data leader ({r['granted']} datasets granted beyond the "
                     f"public ones; rows {r['member_rows']:,} vs {r['anonymous_rows']:,}); "
                     f"views built once: public {r['public_build']:.1f} s, member "
                     f"{r['member_build']:.1f} s (from a copy of the public view)")
    return Section(area="members", title=TITLE, command=ctx.command,
                   headers=["datasets", "mix", "anonymous s", "member s", "ratio", "goal",
                            "peak MB"], rows=rows, notes=notes)
