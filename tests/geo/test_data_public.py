"""Geometries in the anonymous view follow their features: the registry's (communities,
service areas, projects) and publishable datasets' are public, a hidden dataset's never."""

import pytest

from regiongraph.geo.geometry import AS_WKT, HAS_GEOMETRY
from regiongraph.visibility import public_quads, publishable_datasets


@pytest.fixture(scope="module")
def public(demo_store, demo_settings):
    return [q.triple for q in public_quads(demo_store, demo_settings)]


def wkt_subjects(triples) -> set[str]:
    return {t.subject.value for t in triples if t.predicate == AS_WKT}


def test_registry_geometries_are_public(public, demo_settings):
    shown = wkt_subjects(public)
    base = demo_settings.base
    for feature in ("communities/saguaro", "projects/smart-streetlights",
                    "partners/svu/service-area"):
        assert f"{base}{feature}/geometry" in shown, feature
    served = {t.object.value for t in public if t.predicate.value == "https://schema.org/areaServed"}
    assert f"{base}partners/svu/service-area" in served


def test_only_publishable_datasets_show_their_coverage(public, demo_store, demo_settings):
    publishable = publishable_datasets(demo_store, demo_settings)
    owned = {row["d"].value: row["g"].value for row in demo_store.query(
        "SELECT ?d ?g WHERE { ?d a <http://www.w3.org/ns/dcat#Dataset> ; "
        "<http://www.opengis.net/ont/geosparql#hasGeometry> ?g }", union_default_graph=True)}
    hidden = {d for d in owned if d not in publishable}
    assert hidden and publishable
    shown_links = {t.subject.value for t in public if t.predicate == HAS_GEOMETRY}
    assert shown_links & set(owned) == set(owned) & publishable
    shown = wkt_subjects(public)
    for dataset in hidden:
        if owned[dataset].startswith(dataset + "/"):  # its own coverage, not a place's
            assert owned[dataset] not in shown, dataset
    for dataset in set(owned) & publishable:
        assert owned[dataset] in shown, dataset
