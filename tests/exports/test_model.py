"""The export model's own promises: versions that follow changes and the calendar, the
profile registry, the EU vocabulary maps (doctests), and paging arithmetic."""

import datetime as dt
import doctest

import pytest

from regiongraph.exports import UnknownProfileError, dcat_ap3, get_profile, model, vocab
from regiongraph.exports.serializer import ExportError, Paging, rdf_syntax


@pytest.mark.parametrize("module", [vocab, model, dcat_ap3])
def test_docstring_examples_run(module):
    failures, tried = doctest.testmod(module)
    assert tried and not failures


def test_profiles_are_found_by_name_and_alias():
    assert get_profile("dcat").NAME == get_profile("dcat-ap-3").NAME == "dcat-ap-3"
    assert get_profile("datajson").NAME == "dcat-us-1.1"
    assert get_profile("schemaorg").NAME == "schema.org"
    with pytest.raises(UnknownProfileError) as error:
        get_profile("ckan")
    assert "ckan" in str(error.value) and "dcat-us-1.1" in str(error.value)
    with pytest.raises(ExportError):
        rdf_syntax("yaml")


def test_paging_arithmetic():
    assert Paging.check(1, 100, 0).last == 1
    assert Paging.check(3, 100, 250).offset == 200
    with pytest.raises(ExportError):
        Paging.check(4, 100, 250)
    with pytest.raises(ExportError):
        Paging.check(1, 1001, 250)


def test_a_pipeline_change_and_a_new_day_change_the_version(demo_settings):
    """ETags and the cached index follow every change, and approvals that start or end."""
    from pathlib import Path

    from regiongraph.change import apply_change
    from regiongraph.iri import Minter
    from regiongraph.paths import data_path
    from regiongraph.pipeline import LoadSummary, load_ontology, load_registry
    from regiongraph.store import open_store

    # The registry and ontology are enough: what is checked is the version, not the data.
    store = open_store(demo_settings)
    summary = LoadSummary()
    load_ontology(store, Minter(demo_settings.base), summary)
    load_registry(store, demo_settings, Path(data_path("demo")) / "registry", summary)
    today = dt.date(2026, 11, 25)
    version, changed = model.store_version(store, demo_settings, today)
    assert model.store_version(store, demo_settings, today)[0] == version
    tomorrow = model.store_version(store, demo_settings, today + dt.timedelta(days=1))
    assert tomorrow[0] != version and tomorrow[1] > changed
    index = model.catalog_index(store, demo_settings)
    registry = Minter(demo_settings.base).graph("registry")
    apply_change(store, demo_settings, "test", lambda: (store.update(
        f"DELETE WHERE {{ GRAPH <{registry.value}> {{ ?s a <urn:nothing> }} }}"), [registry.value])[1])
    assert model.store_version(store, demo_settings, today)[0] != version
    assert model.catalog_index(store, demo_settings) is not index, "the cache followed"
    store.close()


def test_most_restrictive_access_level_wins():
    assert model._most_restrictive(["public", "confidential"]) == "confidential"
    assert model._most_restrictive(["public"]) == "public"
    assert model._most_restrictive([]) is None



def test_a_change_naming_its_subjects_follows_the_index(demo_store, demo_settings, monkeypatch):
    """A record-by-record change (it names the datasets it wrote) brings the catalog index
    up to date without building it whole, and the result equals a whole build."""
    from regiongraph.change import apply_change
    from regiongraph.namespaces import RGC
    from regiongraph.settings import Settings
    from regiongraph.store import open_store

    settings = Settings(store="memory", base=demo_settings.base)
    store = open_store(settings)
    store.add(demo_store.quads())
    first = model.catalog_index(store, settings)
    d = first.entries[0].iri
    g = next(row["g"].value for row in store.query(
        f"SELECT ?g WHERE {{ GRAPH ?g {{ <{d}> a <http://www.w3.org/ns/dcat#Dataset> }} }}"))
    build = model.build_index
    builds: list[str] = []

    def counted_build(*args, **kwargs):
        builds.append(args[2])
        return build(*args, **kwargs)

    monkeypatch.setattr(model, "build_index", counted_build)
    changes = [
        (f"<{d}> <http://purl.org/dc/terms/modified> ?m", "<http://purl.org/dc/terms/modified>",
         '"2031-01-02T03:04:05Z"^^<http://www.w3.org/2001/XMLSchema#dateTime>'),
        (f"<{d}> <https://w3id.org/regiongraph/ns#accessLevel> ?m",
         "<https://w3id.org/regiongraph/ns#accessLevel>", f"<{RGC}access/restricted>"),
    ]
    for pattern, predicate, value in changes:
        def write(pattern=pattern, predicate=predicate, value=value) -> list[str]:
            store.update(f"DELETE {{ GRAPH <{g}> {{ {pattern} }} }} INSERT {{ GRAPH <{g}> "
                         f"{{ <{d}> {predicate} {value} }} }} WHERE {{ OPTIONAL {{ GRAPH <{g}> "
                         f"{{ {pattern} }} }} }}")
            return [g]

        assert apply_change(store, settings, "harvest", write, subjects=[d]).failures == {}
        followed = model.catalog_index(store, settings)
        assert builds == []  # followed, not built whole
        whole = build(store, settings, followed.version, followed.last_modified)
        assert followed.entries == whole.entries and followed.twins == whole.twins
        assert followed.communities == whole.communities
        listed = {e.iri: e for e in followed.entries}
        if "modified" in predicate:
            assert listed[d].modified is not None and listed[d].modified.year == 2031
        else:
            assert d not in listed  # restricted: no longer listed
    store.close()


def test_the_index_follows_a_change_before_the_next_page_asks(demo_store, demo_settings,
                                                                monkeypatch):
    """The catalog view brings a kept index up to date in a thread after the change's other
    views: the first page after a change finds it followed (a process that never listed the
    catalog builds nothing)."""
    import threading

    from regiongraph import journal
    from regiongraph.change import apply_change
    from regiongraph.settings import Settings
    from regiongraph.store import open_store

    settings = Settings(store="memory", base=demo_settings.base)
    store = open_store(settings)
    store.add(demo_store.quads())
    follow = model.follow_index
    followed: list[str] = []

    def counted(*args, **kwargs):
        followed.append(threading.current_thread().name)
        return follow(*args, **kwargs)

    monkeypatch.setattr(model, "follow_index", counted)
    d = model.catalog_index(store, settings).entries[0].iri
    g = next(row["g"].value for row in store.query(
        f"SELECT ?g WHERE {{ GRAPH ?g {{ <{d}> a <http://www.w3.org/ns/dcat#Dataset> }} }}"))

    def write() -> list[str]:
        store.update(f"INSERT DATA {{ GRAPH <{g}> {{ <{d}> <http://purl.org/dc/terms/modified> "
                     '"2032-01-02T03:04:05Z"^^<http://www.w3.org/2001/XMLSchema#dateTime> } }')
        return [g]

    assert apply_change(store, settings, "harvest", write, subjects=[d]).failures == {}
    for thread in threading.enumerate():
        if thread.name == "catalog-index":
            thread.join(timeout=60)
    assert followed == ["catalog-index"]
    index = model.catalog_index(store, settings)
    assert followed == ["catalog-index"], "the page found the index followed"
    assert model.seen_version(store, settings) == journal.version(store, settings)
    whole = model.build_index(store, settings, index.version, index.last_modified)
    assert index.entries == whole.entries
    assert {e.iri: e for e in index.entries}[d].modified.year == 2032
    store.close()
