"""Events derived from other roads: a failed harvest and an approval about to end."""

import datetime as dt
from pathlib import Path

from regiongraph.harvest.config import SourceConfig
from regiongraph.harvest.engine import harvest_source
from regiongraph.notify import derived
from regiongraph.notify.events import find_events
from regiongraph.pipeline import harvest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "harvest"


def kinds_for(site, who: str, kind: str):
    person = site["minter"].iri("person", who).value
    return [e for e in find_events(site["store"], site["settings"], recipient=person)
            if e.kind == kind]


def test_a_failed_harvest_tells_the_communitys_data_leader_once(forum_site):
    store, settings = forum_site["store"], forum_site["settings"]
    source = SourceConfig(id="mesquite-broken", community="mesquite", type="datajson",
                          path=FIXTURES / "truncated.json")
    reports = harvest(store, settings, lambda: [harvest_source(store, settings, source)])
    assert reports[0].status == "failed"
    told = kinds_for(forum_site, "sofia-marquez", "harvest-failed")
    assert len(told) == 1 and "mesquite-broken" in told[0].summary
    assert told[0].object == reports[0].report_iri
    assert kinds_for(forum_site, "lena-park", "harvest-failed") == []
    derived.follow(store, settings, [forum_site["minter"].graph("harvest-log")])
    assert len(kinds_for(forum_site, "sofia-marquez", "harvest-failed")) == 1


def test_an_approval_entering_its_last_30_days_is_announced_once(forum_site):
    store, settings = forum_site["store"], forum_site["settings"]
    registry = forum_site["minter"].graph("registry")
    rows = store.query(f"SELECT ?x ?until WHERE {{ GRAPH {registry} {{ ?x "
                       f"<https://w3id.org/regiongraph/ns#validUntil> ?until }} }} "
                       f"ORDER BY ?until")
    thing, until = next((r["x"].value, dt.date.fromisoformat(r["until"].value)) for r in rows)
    assert derived.ending_soon(store, settings, until - dt.timedelta(days=31)) == [] or all(
        e.object != thing for e in derived.ending_soon(store, settings,
                                                       until - dt.timedelta(days=31)))
    derived.follow_calendar(store, settings, until - dt.timedelta(days=10))
    events = [e for e in find_events(store, settings) if e.kind == "ending-soon"
              and e.object == thing]
    assert len(events) == 1 and events[0].recipients
    assert until.isoformat() in events[0].summary
    derived.follow_calendar(store, settings, until - dt.timedelta(days=9))
    again = [e for e in find_events(store, settings) if e.kind == "ending-soon"
             and e.object == thing]
    assert len(again) == 1


def test_a_saved_search_announces_new_matches_only(forum_site, client):
    store, settings = forum_site["store"], forum_site["settings"]
    with client("analyst") as analyst:
        saved = analyst.post("/api/v1/saved-searches", json={"q": "Dataset"})
        assert saved.status_code == 201, saved.text
        assert analyst.post("/api/v1/saved-searches", json={"q": "word " * 5000}
                            ).status_code == 400
        assert [s["q"] for s in analyst.get("/api/v1/saved-searches").json()] == ["Dataset"]
    before = kinds_for(forum_site, "sofia-marquez", "saved-search-match")
    source = SourceConfig(id="mesquite-new", community="mesquite", type="datajson",
                          path=FIXTURES / "catalog-v1.json")
    reports = harvest(store, settings, lambda: [harvest_source(store, settings, source)])
    assert reports[0].created == 5
    after = kinds_for(forum_site, "sofia-marquez", "saved-search-match")
    fresh = {e.object for e in after} - {e.object for e in before}
    assert len(fresh) == 5 and all("/datasets/mesquite/" in iri for iri in fresh)
    derived.follow(store, settings, [forum_site["minter"].graph("source", "mesquite-new")])
    assert len(kinds_for(forum_site, "sofia-marquez", "saved-search-match")) == len(after)
    assert kinds_for(forum_site, "lena-park", "saved-search-match") == []
    with client("analyst") as analyst:
        local = saved.json()["id"]
        assert analyst.delete(f"/api/v1/saved-searches/{local}").status_code == 204
        assert analyst.get("/api/v1/saved-searches").json() == []


def test_a_violation_a_change_causes_tells_the_communitys_data_leader(forum_site):
    from regiongraph.sparql.update import apply_update

    store, settings = forum_site["store"], forum_site["settings"]
    mesquite = forum_site["minter"].iri("community", "mesquite").value
    row = next(iter(store.query(f"""
        SELECT ?d ?g ?t WHERE {{ GRAPH ?g {{ ?d a <http://www.w3.org/ns/dcat#Dataset> ;
          <http://purl.org/dc/terms/publisher> <{mesquite}> ;
          <http://purl.org/dc/terms/title> ?t }}
          FILTER(STRSTARTS(STR(?g), "{forum_site['minter'].base}graph/source/")) }} LIMIT 1""")))
    dataset, graph = row["d"].value, row["g"].value
    before = [e for e in kinds_for(forum_site, "sofia-marquez", "new-violation")
              if e.object == dataset]
    apply_update(store, settings, f"DELETE WHERE {{ GRAPH <{graph}> {{ <{dataset}> "
                                  f"<http://purl.org/dc/terms/title> ?t }} }}")
    told = [e for e in kinds_for(forum_site, "sofia-marquez", "new-violation")
            if e.object == dataset]
    assert len(told) > len(before) and mesquite in told[0].context
    assert [e for e in kinds_for(forum_site, "lena-park", "new-violation")
            if e.object == dataset] == []


def _violation_events_about(site, node: str) -> int:
    rows = site["store"].query(f"""SELECT (COUNT(?e) AS ?n) WHERE {{ GRAPH ?g {{
        ?e <https://w3id.org/regiongraph/ns#eventKind>
           <https://w3id.org/regiongraph/concepts/event/new-violation> ;
           <https://www.w3.org/ns/activitystreams#object> <{node}> }} }}""")
    return int(next(iter(rows))["n"].value)


def test_a_full_runs_violations_are_no_news_and_each_run_is_told_once(forum_site):
    """Only what a re-validation after a change found is news: a later change does not
    announce what a full run found before it, and following the view again tells nobody
    twice (each run is looked at once)."""
    from regiongraph.rules.incremental import revalidate
    from regiongraph.sparql.update import apply_update

    store, settings = forum_site["store"], forum_site["settings"]
    rows = [r for r in store.query(f"""
        SELECT ?d ?g WHERE {{ GRAPH ?g {{ ?d a <http://www.w3.org/ns/dcat#Dataset> ;
          <http://purl.org/dc/terms/title> ?t }}
          FILTER(STRSTARTS(STR(?g), "{forum_site['minter'].base}graph/source/")) }}
        ORDER BY DESC(?d)""") if _violation_events_about(forum_site, r["d"].value) == 0]
    (quiet, graph), (changed, _) = [(r["d"].value, r["g"].value) for r in rows[:2]]
    # a title lost outside the change path, found by a full run: no news
    store.update(f"DELETE WHERE {{ GRAPH <{graph}> {{ <{quiet}> "
                 f"<http://purl.org/dc/terms/title> ?t }} }}")
    assert any(r.focus == quiet for r in revalidate(store, settings, [], full=True).checked.results)
    # a later change elsewhere re-validates incrementally: still no news about `quiet`
    apply_update(store, settings, f"INSERT DATA {{ GRAPH <{graph}> {{ <{changed}> "
                                  f"<http://www.w3.org/ns/dcat#keyword> \"re-checked\" }} }}")
    assert _violation_events_about(forum_site, quiet) == 0
    # a title lost through the change path is news, told once however often the view runs
    apply_update(store, settings, f"DELETE WHERE {{ GRAPH <{graph}> {{ <{changed}> "
                                  f"<http://purl.org/dc/terms/title> ?t }} }}")
    told = _violation_events_about(forum_site, changed)
    assert told >= 1
    derived.follow(store, settings, [forum_site["minter"].graph("registry")])
    assert _violation_events_about(forum_site, changed) == told
    assert _violation_events_about(forum_site, quiet) == 0
