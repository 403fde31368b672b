"""Faults the outside probe found in harvests: each is now a clean, reported failure."""

import time

from regiongraph.harvest import FetchPolicy


def test_a_trickling_source_is_stopped_at_its_overall_deadline(harvest, portal):
    """1 byte a second (8 s in all) never trips a 5 s read timeout; a 2 s deadline stops it."""
    harvest(portal.url + "/files/catalog-v1.json")
    before = harvest.snapshot()
    policy = FetchPolicy(read_timeout=5, retries=0, deadline=2)
    started = time.monotonic()
    report = harvest(portal.url + "/trickle?seconds=8", policy=policy)
    took = time.monotonic() - started
    assert report.status == "failed"
    assert "overall deadline of 2 s (options.deadline)" in report.message
    assert took < 5, took
    assert harvest.snapshot() == before


def test_deadline_is_a_source_option():
    assert FetchPolicy.from_options({"deadline": 42}).deadline == 42.0


def test_a_lone_surrogate_skips_its_record_and_the_rest_load(harvest, tmp_path):
    catalog = tmp_path / "surrogates.json"
    catalog.write_text('{"dataset": ['
                       '{"identifier": "good", "title": "Fine", "accessLevel": "public"},'
                       '{"identifier": "t", "title": "bad \\ud800 title", "accessLevel": "public"},'
                       '{"identifier": "id\\udfff", "title": "Bad id", "accessLevel": "public"}]}')
    report = harvest(catalog, validate=False)
    assert report.status == "ok", report
    assert report.created == 1 and report.skipped == 2
    messages = {(e.record, e.field): e.message for e in report.errors if e.record}
    assert "lone UTF-16 surrogate" in messages[("t", "title")]
    assert "lone UTF-16 surrogate" in messages[("id\\udfff", "identifier")]
    assert b"Fine" in harvest.snapshot() and b"Bad id" not in harvest.snapshot()


def test_a_csv_field_over_the_csv_limit_fails_the_source_with_its_line(harvest, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("identifier,title\na,Alpha\n")
    assert harvest(good, "spreadsheet").status == "ok"
    before = harvest.snapshot()
    huge = tmp_path / "huge.csv"
    huge.write_text("identifier,title\na,Alpha\nb," + "x" * 140_000 + "\n")
    report = harvest(huge, "spreadsheet")
    assert report.status == "failed"
    assert "line 3: not readable CSV (field larger than field limit (131072))" in report.message
    assert harvest.snapshot() == before


def test_an_invalid_url_fails_the_source_instead_of_raising(harvest):
    """httpx refuses `0177.0.0.1` (octal loopback) with InvalidURL, which escaped the harvest."""
    report = harvest("http://0177.0.0.1:8/data.json")
    assert report.status == "failed"
    assert "not a valid URL (Invalid IPv4 address: '0177.0.0.1'); refused" in report.message
