"""Nothing unpublishable leaks: not in the catalog, data.json, the pages or the CLI files.

The rule itself is `regiongraph.visibility`'s; these tests check that every export asks
it, and that nothing reaches a file by another road (a lineage link, a sub-node, a label).
"""

import httpx
import pytest
import rdflib

from regiongraph import visibility


@pytest.fixture(scope="module")
def hidden(all_datasets, demo_index):
    """Datasets in the store that the catalog must not show (restricted, unapproved...)."""
    found = {iri for iri in all_datasets if not demo_index.contains(iri)}
    assert found, "the demo has restricted, confidential or unapproved datasets"
    return found


@pytest.fixture(scope="module")
def client(served):
    with httpx.Client(base_url=served, timeout=60) as session:
        yield session


def test_the_catalog_publishes_exactly_what_visibility_allows(demo_store, demo_settings,
                                                              demo_index):
    listed = {e.iri for e in demo_index.entries}
    publishable = visibility.publishable_datasets(demo_store, demo_settings)
    assert listed | set(demo_index.twins) == publishable
    assert not listed & set(demo_index.twins), "a dataset offered twice is listed once"


def everything_served(client, demo_index) -> bytes:
    pages = -(-len(demo_index.entries) // 1000)
    chunks = [client.get(f"/catalog.nt?page={n}&page_size=1000").content
              for n in range(1, pages + 1)]
    chunks += [client.get(f"/communities/{c}/catalog.ttl?page_size=1000").content
               for c in demo_index.community_ids()]
    chunks.append(client.get("/data.json").content)
    chunks.append(client.get("/catalog", headers={"Accept": "text/html"}).content)
    return b"\n".join(chunks)


def test_no_hidden_dataset_appears_anywhere(client, hidden, demo_index, demo_settings,
                                            demo_store):
    served = everything_served(client, demo_index)
    for iri in hidden:
        assert iri.encode() not in served, f"{iri} leaked into an export"
    # data.json carries no IRIs: compare what it does carry for each hidden dataset.
    from regiongraph.exports.model import read_records

    records = client.get("/data.json").json()["dataset"]
    shown = {(r["identifier"], r["title"], r["publisher"]["name"]) for r in records}
    for record in read_records(demo_store, sorted(hidden), base=demo_index.base):
        publisher = record.publisher.name if record.publisher else None
        assert (record.identifier, record.title, publisher) not in shown, record.iri


def test_hidden_dataset_pages_are_404_unless_admin(client, hidden, demo_settings):
    token = {"Authorization": f"Bearer {demo_settings.admin_token}"}
    for iri in sorted(hidden):
        path = "/datasets/" + iri[len(demo_settings.base + "datasets/"):]
        for accept in ("text/html", "text/turtle"):
            response = client.get(path, headers={"Accept": accept})
            assert response.status_code == 404, (iri, accept)
            assert iri.split("/")[-1] not in response.text
        assert client.get(path + ".ttl").status_code == 404
    readable = 0
    for iri in sorted(hidden)[:10]:
        path = "/datasets/" + iri[len(demo_settings.base + "datasets/"):]
        response = client.get(path, headers={"Accept": "text/html", **token})
        readable += response.status_code == 200
        assert response.headers.get("cache-control") == "private, no-store" or \
            response.status_code == 404
    assert readable, "a steward with the admin token reads restricted datasets"


def test_public_pages_do_not_name_hidden_datasets(client, hidden, demo_index, demo_settings):
    for entry in demo_index.entries:
        path = "/datasets/" + entry.iri[len(demo_settings.base + "datasets/"):]
        html = client.get(path, headers={"Accept": "text/html"}).text
        for iri in hidden:
            assert iri not in html and iri[len(demo_settings.base):] not in html, \
                f"{entry.iri} names {iri}"


def test_every_alliance_iri_in_the_catalog_is_public(client, demo_store, demo_settings,
                                                     demo_index):
    """Each IRI minted under the base that the catalog mentions is one visibility calls
    public, a node owned by a published dataset, or a catalog the export itself mints."""
    nodes = visibility.public_nodes(demo_store, demo_settings)
    published = {e.iri for e in demo_index.entries}
    catalogs = demo_settings.base + "catalogs/"
    pages = -(-len(demo_index.entries) // 1000)
    for n in range(1, pages + 1):
        graph = rdflib.Graph().parse(
            data=client.get(f"/catalog.nt?page={n}&page_size=1000").content, format="nt")
        terms = {t for triple in graph for t in triple if isinstance(t, rdflib.URIRef)}
        for term in terms:
            iri = str(term)
            if not iri.startswith(demo_settings.base) or iri == demo_settings.base:
                continue
            owner = iri.split("/")
            owned = any(iri.startswith(p + "/") for p in ("/".join(owner[:k])
                                                          for k in range(5, len(owner)))
                        if p in published)
            assert iri in nodes.public or owned or iri.startswith(catalogs), iri


def test_approval_shown_without_the_approver_unless_admin(client, demo_store, demo_settings,
                                                          demo_index):
    """People are never public: the page names the approval, a steward also sees who."""
    rows = demo_store.query(
        "SELECT ?a ?name WHERE { ?a <https://w3id.org/regiongraph/ns#approvedBy> ?p . "
        "?p <http://xmlns.com/foaf/0.1/name> ?name }", union_default_graph=True)
    approver = {row["a"].value: row["name"].value for row in rows}
    token = {"Authorization": f"Bearer {demo_settings.admin_token}"}
    checked = 0
    for entry in demo_index.entries[::15]:
        names = {approver[a] for a in demo_index.approvals.get(entry.iri, ()) if a in approver}
        if not names:
            continue
        path = "/datasets/" + entry.iri[len(demo_settings.base + "datasets/"):]
        public = client.get(path, headers={"Accept": "text/html"}).text
        section = public.split("<h2>Approval to publish</h2>")[1]
        assert '<ul class="approvals">' in section
        assert not any(name in section for name in names), entry.iri
        steward = client.get(path, headers={"Accept": "text/html", **token}).text
        assert all(name in steward for name in names)
        checked += 1
    assert checked, "no public dataset with a named approver was checked"
