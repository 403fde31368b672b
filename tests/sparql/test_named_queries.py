"""The named-query library: headers, OpenAPI routes, typed parameters, safe binding, CLI."""

import json
import subprocess
import sys

import httpx
import pytest
from pyoxigraph import Literal, NamedNode, Variable

from regiongraph.iri import Minter
from regiongraph.sparql.library import LibraryError, ParameterError, load_library, parse_query_file
from tests.sparql.conftest import ADMIN

INJECTION = 'x" } ; DROP ALL ; #'


@pytest.fixture(scope="module")
def library():
    return load_library()


def test_at_least_fifteen_queries_with_full_headers(library):
    assert len(library) >= 15
    for query in library.values():
        assert query.summary and query.name == query.path.stem
        for param in query.params:
            assert param.type and param.example is not None, (query.name, param.name)


def test_every_query_runs_over_http_with_its_examples(demo_service, library):
    """Each query, with every parameter at its example value, answers 200 with results."""
    answered = 0
    for query in library.values():
        params = {p.name: p.example for p in query.params}
        response = httpx.get(f"{demo_service.url}/queries/{query.name}", params=params,
                             headers=ADMIN, timeout=60)
        assert response.status_code == 200, (query.name, response.text)
        if query.form in ("SELECT", "ASK"):
            body = response.json()
            assert "head" in body
            answered += bool(body.get("results", {}).get("bindings"))
        else:
            answered += bool(response.text.strip())
    assert answered >= 12, "most example calls should find something in the demo"


def test_list_and_openapi_routes(demo_service, library):
    listing = httpx.get(f"{demo_service.url}/queries").json()
    assert listing["count"] == len(library)
    names = {item["name"] for item in listing["queries"]}
    assert names == set(library)
    spec = httpx.get(f"{demo_service.url}/openapi.json").json()
    for query in library.values():
        operation = spec["paths"][f"/queries/{query.name}"]["get"]
        assert operation["summary"] == query.summary
        documented = {p["name"]: p for p in operation["parameters"]}
        for param in query.params:
            assert param.name in documented
            assert documented[param.name]["schema"]["examples"] == [param.example] or \
                documented[param.name].get("examples")
    expiring = {p["name"]: p for p in
                spec["paths"]["/queries/approvals-expiring-soon"]["get"]["parameters"]}
    assert expiring["days"]["schema"]["anyOf"][0]["type"] == "integer"
    assert expiring["asOf"]["schema"]["anyOf"][0]["format"] == "date"


def test_injection_is_just_a_string(scratch_service):
    before = scratch_service.store.graphs()
    response = httpx.get(f"{scratch_service.url}/queries/dataset-search",
                         params={"text": INJECTION}, headers=ADMIN)
    assert response.status_code == 200
    assert response.json()["results"]["bindings"] == []
    assert scratch_service.store.graphs() == before
    title = httpx.get(f"{scratch_service.url}/queries/dataset-search",
                      params={"text": 'traffic'}, headers=ADMIN).json()["results"]["bindings"]
    assert title and title[0]["text"] == {"type": "literal", "value": "traffic"}


def test_values_become_typed_terms(library):
    minter = Minter("https://data.sonoranvalley.example/")
    bound = library["approvals-expiring-soon"].bind({"days": "30", "asOf": "2026-12-01"}, minter)
    assert bound[Variable("days")] == Literal("30", datatype=NamedNode(
        "http://www.w3.org/2001/XMLSchema#integer"))
    assert bound[Variable("asOf")] == Literal("2026-12-01", datatype=NamedNode(
        "http://www.w3.org/2001/XMLSchema#date"))
    community = library["datasets-by-community"].bind({"community": "valley-transit"}, minter)
    assert community[Variable("community")] == NamedNode(
        "https://data.sonoranvalley.example/communities/valley-transit")
    domain = library["datasets-by-domain"].bind({}, minter)
    assert domain == {Variable("domain"): NamedNode(
        "https://w3id.org/regiongraph/concepts/domain/transportation")}
    with pytest.raises(ParameterError, match="not a valid integer"):
        library["approvals-expiring-soon"].bind({"days": INJECTION}, minter)
    with pytest.raises(ParameterError, match="not a valid id/dataset"):
        library["lineage-upstream"].bind({"dataset": "http://x> } DROP ALL {"}, minter)
    slugged = library["lineage-upstream"].bind({"dataset": "<x> } DROP ALL {"}, minter)
    assert slugged[Variable("dataset")] == NamedNode(
        "https://data.sonoranvalley.example/datasets/x-drop-all")
    with pytest.raises(ParameterError, match="has no parameter"):
        library["datasets-by-domain"].bind({"nope": "1"}, minter)


def test_bad_parameter_values_answer_400(demo_service):
    response = httpx.get(f"{demo_service.url}/queries/approvals-expiring-soon",
                         params={"days": "soon"})
    assert response.status_code == 422  # FastAPI checks the declared integer type first
    response = httpx.get(f"{demo_service.url}/queries/lineage-upstream",
                         params={"dataset": "http://not an iri/"})
    assert response.status_code == 400
    assert "dataset" in response.text


def test_parameters_filter(demo_service):
    all_rows = httpx.get(f"{demo_service.url}/queries/community-members", headers=ADMIN).json()
    counties = httpx.get(f"{demo_service.url}/queries/community-members",
                         params={"kind": "county"}, headers=ADMIN).json()
    kinds = {b["kind"]["value"] for b in counties["results"]["bindings"]}
    assert kinds == {"https://w3id.org/regiongraph/concepts/community-kind/county"}
    assert 0 < len(counties["results"]["bindings"]) < len(all_rows["results"]["bindings"])


def test_header_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.rq"
    bad.write_text("#+ name: bad\n#+ summary: s\n#+ params:\n#+   x:\n#+     type: iri\n"
                   "SELECT ?y WHERE { ?y ?p ?x }\n", encoding="utf-8")
    with pytest.raises(LibraryError, match=r"bad\.rq: parameters x must be in the SELECT"):
        parse_query_file(bad)
    bad.write_text("#+ name: bad\n#+ summary: s\n#+ params:\n#+   x:\n#+     type: weird\n"
                   "SELECT ?x WHERE { ?x ?p ?o }\n", encoding="utf-8")
    with pytest.raises(LibraryError, match="has type 'weird'"):
        parse_query_file(bad)
    bad.write_text("#+ name: bad\n#+ summary: s\n#+ params:\n#+   x:\n#+     type: iri\n"
                   "SELECT ?x ?s WHERE { ?s ?p ?o FILTER(!BOUND(?x) || ?o = ?x) }\n",
                   encoding="utf-8")
    with pytest.raises(LibraryError, match=r"BOUND\(\?x\) is always false"):
        parse_query_file(bad)


def normalised(rows: list[dict]) -> list[dict]:
    """GROUP_CONCAT order is not defined by SPARQL: compare the concatenated parts as sets."""
    for row in rows:
        if "themes" in row:
            row["themes"]["value"] = sorted(row["themes"]["value"].split())
    return rows


def test_cli_runs_the_same_named_query(demo_service, tmp_path):
    dump = tmp_path / "demo.nq"
    with dump.open("wb") as output:
        demo_service.store.dump(output)
    store = tmp_path / "store"
    base = [sys.executable, "-m", "regiongraph", "--store", str(store)]
    restored = subprocess.run([*base, "restore", str(dump)], capture_output=True, text=True,
                              timeout=120, check=False)
    assert restored.returncode == 0, restored.stderr
    result = subprocess.run([*base, "query", "--name", "datasets-by-community", "--param",
                             "community=valley-transit", "--format", "json"],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    cli_rows = json.loads(result.stdout)["results"]["bindings"]
    api = httpx.get(f"{demo_service.url}/queries/datasets-by-community",
                    params={"community": "valley-transit"}, headers=ADMIN).json()
    assert normalised(cli_rows) == normalised(api["results"]["bindings"]) and cli_rows
    unknown = subprocess.run([*base, "query", "--name", "nope"], capture_output=True, text=True,
                             timeout=120, check=False)
    assert unknown.returncode == 2 and "known: " in unknown.stderr
    wrong = subprocess.run([*base, "query", "-n", "approvals-expiring-soon", "-p", "days=x"],
                           capture_output=True, text=True, timeout=120, check=False)
    assert wrong.returncode == 2 and "not a valid integer" in wrong.stderr


def _rows(store, query, values, minter):
    from regiongraph.sparql.execute import QueryJob, evaluate

    results = evaluate(store, QueryJob(query.text, substitutions=query.bind(values, minter)))
    names = [v.value for v in results.variables]
    return sorted(json.dumps({n: str(row[n]) for n in names if row[n] is not None},
                             sort_keys=True) for row in results)


def test_filter_parameters_select_a_subset(demo_store, demo_settings, library):
    """A parameter that filters (an IRI with no default) must give exactly the rows of the
    unfiltered query that carry its value. pyoxigraph substitutes the constant for the
    variable, so a parameter read only inside OPTIONAL, or through BOUND(), would not
    filter (it did, in an earlier community-members): this catches every such query."""
    minter = Minter(demo_settings.base)
    checked = 0
    for query in library.values():
        if query.form != "SELECT":
            continue
        for param in query.params:
            if param.default is not None or param.example is None or not (
                param.type == "iri" or param.type.startswith(("id/", "concept/"))
            ):
                continue
            term = param.to_term(param.example, minter)
            everything = _rows(demo_store, query, {}, minter)
            narrowed = _rows(demo_store, query, {param.name: param.example}, minter)
            expected = [row for row in everything
                        if json.loads(row).get(param.name) == str(term)]
            assert narrowed == sorted(expected), (query.name, param.name)
            checked += 1
    assert checked >= 10
