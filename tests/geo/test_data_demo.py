"""The demo region's geometries: every community, partner service area and project has
one, and they fit together (cities inside their county, neighbours touching, never
overlapping). A broken geometry in the registry names its file and line."""

import itertools
import shutil

import pytest

from regiongraph.geo.geometry import AS_WKT, HAS_GEOMETRY, from_wkt_literal
from regiongraph.iri import Minter
from regiongraph.namespaces import RDF, RG, SDO
from regiongraph.paths import data_path
from regiongraph.registry import RegistryError, read_registry
from regiongraph.settings import DEFAULT_BASE

DEMO = data_path("demo")
MINTER = Minter(DEFAULT_BASE)
CITIES = ("saguaro", "mesquite", "palo-verde", "ocotillo", "cholla", "agave")


@pytest.fixture(scope="module")
def triples():
    return read_registry(DEMO / "registry", MINTER)


@pytest.fixture(scope="module")
def shapes(triples):
    """Feature IRI → shapely geometry, following geo:hasGeometry/geo:asWKT."""
    wkt = {t.subject: from_wkt_literal(t.object) for t in triples if t.predicate == AS_WKT}
    return {t.subject.value: wkt[t.object] for t in triples if t.predicate == HAS_GEOMETRY}


def community(shapes, ident):
    return shapes[MINTER.iri("community", ident).value]


def test_every_community_partner_area_and_project_has_a_geometry(triples, shapes):
    for cls in (RG.Community, RG.Project):
        typed = {t.subject.value for t in triples if t.predicate == RDF.type and t.object == cls}
        assert typed and typed <= set(shapes), cls
    areas = {t.subject.value: t.object.value for t in triples if t.predicate == SDO.areaServed}
    assert len(areas) == 4
    assert set(areas.values()) <= set(shapes)


def test_cities_lie_in_the_county_without_overlapping(shapes):
    county = community(shapes, "sonoran-county")
    for city in CITIES:
        assert county.contains(community(shapes, city)), city
    for one, other in itertools.combinations(CITIES, 2):
        overlap = community(shapes, one).intersection(community(shapes, other)).area
        assert overlap == 0, (one, other)
    saguaro = community(shapes, "saguaro")
    assert saguaro.touches(community(shapes, "mesquite"))
    assert saguaro.touches(community(shapes, "palo-verde"))


def test_counties_and_nation_border_each_other(shapes):
    sonoran, ridge, red_mesa = (community(shapes, c)
                                for c in ("sonoran-county", "ridge-county", "red-mesa"))
    assert sonoran.touches(ridge) and sonoran.touches(red_mesa)
    assert sonoran.intersection(red_mesa).area == 0
    state = community(shapes, "state-dot")
    assert all(state.contains(c) for c in (sonoran, ridge, red_mesa))


def test_area_as_community_list_is_their_union(shapes):
    study = shapes[MINTER.iri("project", "micromobility-equity-study").value]
    parts = [community(shapes, c) for c in ("mesquite", "saguaro", "palo-verde")]
    assert study.area == pytest.approx(sum(p.area for p in parts))
    assert all(study.contains(p) for p in parts)


@pytest.fixture
def registry_copy(tmp_path):
    shutil.copytree(DEMO / "registry", tmp_path / "registry")
    (tmp_path / "catalogs").symlink_to(DEMO / "catalogs", target_is_directory=True)
    return tmp_path / "registry"


@pytest.mark.parametrize("file, old, new, message", [
    ("communities.yaml", "boundary: POLYGON((-111.30 32.38,", "boundary: POLYGON((-111.30 92.38,",
     "boundary: WKT 'POLYGON"),
    ("projects.yaml", "area: [cholla]", "area: [cholla, atlantis]",
     "unknown community 'atlantis' in area"),
    ("partners.yaml", "service_area: [saguaro, palo-verde, mesquite]", "service_area: somewhere",
     "service_area must be WKT"),
    ("projects.yaml", "area: POLYGON((-110.98 32.20,", "area: POLYGON((-110.98 32.20 1,",
     "area: WKT"),
])
def test_broken_geometry_names_file_and_line(registry_copy, file, old, new, message):
    path = registry_copy / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    line = next(n for n, row in enumerate(path.read_text().splitlines(), 1) if new in row)
    with pytest.raises(RegistryError) as caught:
        read_registry(registry_copy, MINTER)
    assert f"{file}:{line}: " in str(caught.value)
    assert message in str(caught.value)
