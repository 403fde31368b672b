"""The search language: what people type is parsed, never refused, unless it cannot be
honoured (too long, an unknown facet or sort), and then the error says what to change."""

import pytest

from regiongraph.search.query import (
    MAX_QUERY_CHARS,
    SearchInputError,
    clamp_rows,
    parse_filters,
    parse_query,
    sort_spec,
    year_range,
)


def texts(parsed):
    return [[(c.kind, c.text) for c in group] for group in parsed.groups]


def test_words_phrases_prefixes_and_exclusions():
    parsed = parse_query('bike "street lighting" transpor* -parking NOT scooter')
    assert texts(parsed) == [[("word", "bike")], [("phrase", "street lighting")],
                             [("prefix", "transpor")]]
    assert [(c.kind, c.text) for c in parsed.excluded] == [("word", "parking"),
                                                           ("word", "scooter")]
    assert parsed.notes == []


def test_or_joins_neighbours_into_one_group():
    parsed = parse_query("gtfs OR gbfs water")
    assert texts(parsed) == [[("word", "gtfs"), ("word", "gbfs")], [("word", "water")]]


def test_an_unbalanced_quote_runs_to_the_end_with_a_note():
    parsed = parse_query('traffic "counts by hour')
    assert texts(parsed) == [[("word", "traffic")], [("phrase", "counts by hour")]]
    assert parsed.notes and "quote" in parsed.notes[0]


@pytest.mark.parametrize("text", ['"', '""', "*", "*:*", "-", ":", "   ", "OR", '"" OR ""'])
def test_punctuation_alone_is_an_empty_query_not_an_error(text):
    parsed = parse_query(text)
    assert all(c.text.strip() for g in parsed.groups for c in g)


def test_facets_inside_the_query_become_filters():
    parsed = parse_query('organization:saguaro tags:"bike share" res_format:CSV lights')
    assert parsed.filters == {"community": ["saguaro"], "keyword": ["bike share"],
                              "format": ["CSV"]}
    assert texts(parsed) == [[("word", "lights")]]


def test_an_unknown_key_is_just_words():
    parsed = parse_query("GTFS:schedule")
    assert parsed.filters == {}
    assert texts(parsed) == [[("word", "GTFS schedule")]]


def test_a_query_too_long_is_refused_with_its_length():
    with pytest.raises(SearchInputError, match="10,000 characters"):
        parse_query("x" * 10_000)
    assert parse_query("y" * MAX_QUERY_CHARS).groups


def test_filters_parse_and_refuse_unknown_facets():
    assert parse_filters(["community:saguaro", "format=CSV", "format:JSON", "tags:bike"]) == {
        "community": ["saguaro"], "format": ["CSV", "JSON"], "keyword": ["bike"]}
    with pytest.raises(SearchInputError, match="unknown facet 'colour'"):
        parse_filters(["colour:red"])
    with pytest.raises(SearchInputError, match="not name:value"):
        parse_filters(["saguaro"])
    with pytest.raises(SearchInputError, match="no value"):
        parse_filters(["community:"])


def test_year_ranges():
    assert year_range("2024") == (2024, 2024)
    assert year_range("2022..2024") == (2022, 2024)
    assert year_range("..2023") == (None, 2023)
    assert year_range("2021..") == (2021, None)
    with pytest.raises(SearchInputError, match="ends before it starts"):
        year_range("2025..2020")
    with pytest.raises(SearchInputError, match="give a year"):
        year_range("last week")


def test_sorts_and_rows():
    assert sort_spec(None) == ("relevance", None)
    assert sort_spec("score desc, metadata_modified desc") == ("relevance", None)
    assert sort_spec("Modified  DESC") == ("modified_at", "desc")
    assert sort_spec("title asc") == ("title_sort", "asc")
    with pytest.raises(SearchInputError, match="unknown sort"):
        sort_spec("colour")
    assert clamp_rows(10_000_000) == 100
    assert clamp_rows(0) == 1
    assert clamp_rows(None) == 20


def test_ckan_text_fields_are_plain_words():
    assert texts(parse_query('title:parking notes:"bike lanes"')) == [
        [("word", "parking")], [("phrase", "bike lanes")]]
