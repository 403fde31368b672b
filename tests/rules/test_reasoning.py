"""The fast reasoning path gives owlrl's entailments on the demo, for the rules it covers."""

import time

import pytest

from regiongraph.iri import INFERENCE_GRAPH, Minter
from regiongraph.namespaces import RDF, RG
from regiongraph.rules import reasoning
from regiongraph.settings import Settings
from regiongraph.store import open_store


@pytest.fixture(scope="module")
def demo_input(demo_store, demo_settings):
    graphs = reasoning.input_graphs(demo_store, demo_settings)
    return [q.triple for g in graphs for q in demo_store.quads(g)]


def test_fast_path_equals_owlrl_on_the_demo(demo_store, demo_settings, demo_input):
    axioms = reasoning.read_axioms(demo_store, demo_settings)
    started = time.perf_counter()
    inferred = reasoning.infer(demo_store, demo_settings, axioms)
    fast = time.perf_counter() - started
    started = time.perf_counter()
    closure = reasoning.owlrl_closure(demo_input)
    slow = time.perf_counter() - started
    expected = reasoning.entailments_under_rules(closure, axioms)
    got = reasoning.entailments_under_rules(
        [(t.subject, t.predicate, t.object) for t in [*demo_input, *inferred]], axioms)
    assert got == expected
    assert len(inferred) > 1000
    asserted = {(t.subject, t.predicate, t.object) for t in demo_input}
    assert not any((t.subject, t.predicate, t.object) in asserted for t in inferred)
    assert fast * 10 < slow, (fast, slow)


def test_rules_the_fast_path_applies(demo_store, demo_settings):
    inferred = {(str(t.subject), str(t.predicate), str(t.object))
                for t in reasoning.infer(demo_store, demo_settings)}
    base = demo_settings.base
    saguaro = f"<{base}communities/saguaro>"
    pilot = f"<{base}projects/saguaro-scooter-pilot>"
    trips = f"<{base}datasets/saguaro/mds-trips>"
    rdf_type = f"<{RDF.type.value}>"
    # cax-sco: a city is an org:Organization
    assert (saguaro, rdf_type, "<http://www.w3.org/ns/org#Organization>") in inferred
    # prp-spo1 twice: rg:leadCommunity ⊑ rg:participant ⊑ prov:wasAssociatedWith
    assert (pilot, "<http://www.w3.org/ns/prov#wasAssociatedWith>", saguaro) in inferred
    assert (pilot, "<http://www.w3.org/ns/prov#used>", trips) in inferred
    # prp-dom: rg:accessLevel has domain dcat:Resource
    assert (trips, rdf_type, "<http://www.w3.org/ns/dcat#Resource>") in inferred
    # prp-rng: rg:engagement has range rg:Engagement, a prov:Association
    assert any(p == rdf_type and o == "<http://www.w3.org/ns/prov#Association>"
               for _s, p, o in inferred)


def test_materialise_writes_the_inference_graph(tmp_path):
    from regiongraph.paths import data_path
    from regiongraph.pipeline import LoadSummary, load_ontology, load_registry

    settings = Settings(store=str(tmp_path / "store"))
    store = open_store(settings)
    try:
        minter = Minter(settings.base)
        load_ontology(store, minter, LoadSummary())
        load_registry(store, settings, data_path("demo") / "registry", LoadSummary())
        count, _seconds = reasoning.materialise(store, settings)
        graph = minter.graph(INFERENCE_GRAPH)
        assert count == store.count(graph) > 500
        assert bool(store.query(
            f"ASK {{ GRAPH <{graph.value}> {{ <{settings.base}partners/svu> "
            f"a <http://www.w3.org/ns/org#Organization> }} }}"))
        assert not bool(store.query(
            f"ASK {{ GRAPH <{graph.value}> {{ ?s <{RG.offersCapability.value}> ?o }} }}")), \
            "asserted triples are not repeated in the inference graph"
        again, _ = reasoning.materialise(store, settings)
        assert again == count
    finally:
        store.close()
