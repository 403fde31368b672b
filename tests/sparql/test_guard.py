"""The lexical guard: keywords count only outside strings, IRIs and comments."""

import pytest

from regiongraph.sparql.guard import (
    DatasetConflict,
    OperationRefused,
    check_query,
    check_update,
    with_using,
)


@pytest.mark.parametrize("text", [
    "SELECT * { SERVICE <http://x/> { ?s ?p ?o } }",
    "select * { service silent <http://x/> { ?s ?p ?o } }",
    "SELECT * { \\u0053ERVICE <http://x/> { ?s ?p ?o } }",
    "SELECT * { \\U00000053ERVICE <http://x/> { ?s ?p ?o } }",
    'SELECT * { BIND("\\u0022" AS ?x) SERVICE <http://x/> { ?s ?p ?o } }',
    "PREFIX : <http://x/>\nSELECT * {\n# }\nSERVICE :q { ?s ?p ?o } }",
])
def test_service_is_found(text):
    with pytest.raises(OperationRefused, match="SERVICE"):
        check_query(text)


@pytest.mark.parametrize("text", [
    'SELECT * { ?s ?p "SERVICE <http://x/>" }',
    "SELECT * { ?s ?p '''multi\nSERVICE line''' }",
    "SELECT * { ?s <http://example.org/SERVICE> ?o }",
    "SELECT * { ?s ex:SERVICE ?o }",
    "SELECT ?service { ?service ?p ?o } # SERVICE <http://x/>",
    "SELECT * { ?s ?p ?o FILTER(?o < 3 && ?s > 2) }",
])
def test_harmless_uses_pass(text):
    assert check_query(text).form == "SELECT"


def test_form_and_dataset():
    assert check_query("PREFIX a: <http://x/select>\nASK {}").form == "ASK"
    assert check_query("CONSTRUCT WHERE { ?s ?p ?o }").is_graph
    assert check_query("describe <http://x/>").form == "DESCRIBE"
    assert check_query("SELECT * FROM <http://g> { ?s ?p ?o }").has_dataset
    assert not check_query('SELECT * { ?s ?p "FROM" }').has_dataset


def test_load_is_refused_in_updates():
    with pytest.raises(OperationRefused, match="LOAD"):
        check_update("load <http://x/data.ttl>")
    assert check_update('INSERT DATA { <http://x/a> <http://x/p> "LOAD" }').where_offsets == []


def test_using_parameters_go_before_each_top_level_where():
    update = ("INSERT { ?s a <http://x/C> } WHERE { ?s ?p ?o { SELECT ?s WHERE { ?s ?q ?r } } } ;\n"
              "DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }")
    rewritten = with_using(update, ["http://x/g"], ["http://x/n"])
    assert rewritten.count("USING <http://x/g> USING NAMED <http://x/n> WHERE") == 2
    assert "SELECT ?s WHERE" in rewritten
    with pytest.raises(DatasetConflict, match="one way only"):
        with_using("WITH <http://x/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", ["http://x/h"], [])
    with pytest.raises(DatasetConflict, match="DELETE WHERE"):
        with_using("DELETE WHERE { ?s ?p ?o }", ["http://x/h"], [])
    with pytest.raises(ValueError):
        with_using("INSERT { ?s ?p ?o } WHERE { ?s ?p ?o }", ["http://x/> } ; DROP ALL ; <"], [])
