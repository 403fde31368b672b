"""Each rule: a minimal world that keeps it, and one edit that breaks it. The fast path
(shapes compiled to SPARQL on Oxigraph) and pyshacl must find the same pairs every time."""

import pytest

from regiongraph.rules.shapes import load_shapes
from regiongraph.rules.validate import pyshacl_pairs, validate
from tests.rules.world import BREAKS, DAY, world_store

SHAPES = "https://w3id.org/regiongraph/shapes#"


def test_every_shape_has_message_and_severity():
    shapes = load_shapes()
    assert len(shapes.shape_iris) >= 40
    for check in shapes.checks:
        assert check.message, check.shape
        assert check.severity.rsplit("#")[-1] in ("Violation", "Warning", "Info"), check.shape
    governance = {s.removeprefix(SHAPES).split("-")[0] for s in shapes.shape_iris
                  if s.removeprefix(SHAPES).startswith("R")}
    assert governance == {"R1", "R2", "R3", "R4", "R5", "R6", "R7"}


def test_good_world_conforms_in_both_engines():
    store, settings = world_store()
    report = validate(store, settings, today=DAY)
    assert report.results == [], [(r.focus, r.shape) for r in report.results]
    assert report.conforms
    assert pyshacl_pairs(store, settings, today=DAY) == set()


@pytest.mark.parametrize("rule", sorted(BREAKS))
def test_each_break_is_found_by_both_engines(rule):
    remove, add, focus, shape = BREAKS[rule]
    store, settings = world_store(remove, add)
    report = validate(store, settings, today=DAY)
    assert (focus, SHAPES + shape) in report.pairs, report.pairs
    assert report.pairs == pyshacl_pairs(store, settings, today=DAY)
    result = next(r for r in report.results if r.shape == SHAPES + shape and r.focus == focus)
    assert result.message and "{?value}" not in result.message
    expected_severity = "Warning" if rule in ("R4c", "R5d", "R7") else "Violation"
    assert result.severity_name == expected_severity
    assert report.conforms is (expected_severity != "Violation" and all(
        r.severity_name != "Violation" for r in report.results))


def test_focus_limited_validation_matches_full():
    remove, add, _focus, _shape = BREAKS["R3"]
    store, settings = world_store(remove, add)
    full = validate(store, settings, today=DAY)
    project = "https://data.sonoranvalley.example/projects/p"
    partial = validate(store, settings, today=DAY, focus=[project])
    assert partial.pairs == {p for p in full.pairs if p[0] == project}
    assert partial.focus_checked == 1


def test_the_shapes_of_a_day_are_compiled_once():
    """A re-validation after each change asks for the day's shapes: the same compiled set
    is answered for the same day, another day gets its own dates."""
    import datetime as dt

    shapes = load_shapes()
    day = dt.date(2026, 11, 25)
    first = shapes.for_day(day)
    assert shapes.for_day(day) is first
    assert any("2026-11-25" in check.body for check in first.checks)
    later = shapes.for_day(day + dt.timedelta(days=1))
    assert later is not first and any("2026-11-26" in check.body for check in later.checks)
    assert not any("$today" in check.body for check in later.checks)
