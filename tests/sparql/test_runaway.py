"""A runaway query is stopped at its time limit and its CPU freed, whoever sends it; the
server keeps answering, and each principal's query process reads that principal's view.

pyoxigraph cannot cancel a query computing its first row, so every query on a pyoxigraph
store runs in a killable process (`regiongraph.sparql.workers`), forked from a helper that
holds the views `member.view_of` gives. A real server on loopback, a copy of the demo on
disk, a member token from `issue_token`.
"""

import io
import threading
import time

import httpx
import psutil
import pytest
from pyoxigraph import Literal, NamedNode, Quad
from regiongraph.api.app import create_app

from regiongraph.accounts import issue_token
from regiongraph.iri import Minter
from regiongraph.settings import Settings
from regiongraph.store import open_store
from tests.members.conftest import REFERENCE_DAY
from tests.members.test_member_routes import GRANTED, HMIS, PROBES, SHELTER
from tests.sparql.conftest import TOKEN
from tests.support import serve_app

TIMEOUT = 1.0
# No row until the count is done: ~30k quads cubed never finishes.
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
NORMAL = "SELECT ?s WHERE { ?s a <http://www.w3.org/ns/dcat#Dataset> } ORDER BY ?s LIMIT 5"
MEMBER = "sofia-marquez"
"""Mesquite's data leader: sees Saguaro's shelter intake and the county's HMIS enrollments
through agreements (tests/members/test_member_routes.py)."""
ALL = "all"
"""The admin token (the alliance steward): every probe."""


@pytest.fixture(scope="module")
def service(demo_store, tmp_path_factory):
    settings = Settings(store=str(tmp_path_factory.mktemp("runaway") / "store"), index="memory",
                        admin_token=TOKEN, query_timeout=TIMEOUT, today=REFERENCE_DAY)
    dump = io.BytesIO()
    demo_store.dump(dump)
    dump.seek(0)
    store = open_store(settings)
    store.restore(dump)
    minter = Minter(settings.base)
    tokens = {name: issue_token(store, settings, minter.iri("person", name).value,
                                label="runaway tests")[0] for name in (MEMBER, "kevin-cho")}
    headers = {None: {}, ALL: {"Authorization": f"Bearer {TOKEN}"},
               **{name: {"Authorization": f"Bearer {token}"} for name, token in tokens.items()}}
    with serve_app(create_app(settings, store=store)) as url:
        yield url + "/sparql", headers, minter.base + "datasets/"
    store.close()


def cpu_seconds() -> float:
    """CPU used so far by this process (the server runs in it) and every live descendant."""
    processes = [psutil.Process(), *psutil.Process().children(recursive=True)]
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def warm_up(sparql: str, headers: dict) -> None:
    """One normal query answered: the helper holds this store version and this reader's
    view, so the runaway's time is its own, not the view's preparation."""
    for _ in range(20):
        if httpx.get(sparql, params={"query": NORMAL}, headers=headers,
                     timeout=30).status_code == 200:
            return
    raise AssertionError("no normal query was answered in 20 tries")


def query_processes() -> set[int]:
    """Running processes forked for queries: the helper's children (it is the server's)."""
    found = set()
    for helper in psutil.Process().children():
        try:
            found |= {p.pid for p in helper.children() if p.status() != psutil.STATUS_ZOMBIE}
        except psutil.NoSuchProcess:
            continue
    return found


@pytest.mark.parametrize("who", [None, MEMBER, ALL], ids=["anonymous", "member", "admin"])
def test_a_runaway_gets_its_503_and_its_process_and_cpu_are_freed(service, who):
    sparql, headers, _ = service
    warm_up(sparql, headers[who])
    seen: set[int] = set()
    answer: dict = {}

    def ask() -> None:
        answer["response"] = httpx.get(sparql, params={"query": RUNAWAY}, headers=headers[who],
                                       timeout=30)
        answer["at"] = time.monotonic()

    asking = threading.Thread(target=ask)
    started = time.monotonic()
    asking.start()
    while asking.is_alive():
        seen |= query_processes()
        time.sleep(0.05)
    response = answer["response"]
    assert response.status_code == 503, response.text
    assert "time limit of 1 s" in response.text
    assert answer["at"] - started < TIMEOUT + 3
    assert seen, "the query ran in a process of its own"
    # No grace: the 503 is sent once the killed process has exited.
    assert not seen & query_processes(), "a query process still runs after the 503"
    first = cpu_seconds()
    time.sleep(1.0)
    assert cpu_seconds() - first < 0.3, "something still computes after the 503"


def shown(response: httpx.Response, datasets: str) -> set[str]:
    assert response.status_code == 200, response.text
    return {row["d"]["value"][len(datasets):] for row in response.json()["results"]["bindings"]}


@pytest.mark.parametrize("who", [None, MEMBER, "kevin-cho", ALL])
def test_each_query_process_reads_its_principals_view(service, who):
    """The member rule's answers (as tests/members expects them), given by a query process:
    a member sees their tier's data and nothing else, through the default graph and
    `GRAPH ?g` alike; anonymous users the public view; the admin token every probe."""
    sparql, headers, datasets = service
    warm_up(sparql, headers[who])  # the helper builds the tier's view first (1 s limit here)
    values = " ".join(f"<{datasets}{probe}>" for probe in PROBES)
    expected = set(PROBES) if who == ALL else GRANTED[who]
    for query in (f"SELECT ?d WHERE {{ VALUES ?d {{ {values} }} ?d a ?t }}",
                  f"SELECT DISTINCT ?d WHERE {{ GRAPH ?g {{ ?d ?p ?o }} VALUES ?d {{ {values} }} }}"):
        response = httpx.post(sparql, data={"query": query}, timeout=60, headers={
            **headers[who], "Accept": "application/sparql-results+json"})
        assert shown(response, datasets) == expected
        assert "fork;dur=" in response.headers["server-timing"], "not run in a query process"
    assert GRANTED[MEMBER] == {SHELTER, HMIS}


def test_normal_queries_are_answered_while_runaways_run(service):
    """Anonymous clients, a member and the admin send runaways back to back while one
    client asks 8 ordinary queries: every one is answered in full, none cut off at the time
    limit (a 503). How fast is the benchmark's business (bench/RESULTS.md "Runaway"), not a
    timed assertion's: a loaded machine may make a client wait for a core."""
    sparql, headers, _ = service
    for who in (None, MEMBER, ALL):
        warm_up(sparql, headers[who])
    done = threading.Event()
    runaway_statuses: list[int] = []

    def runaways(who) -> None:
        with httpx.Client(timeout=30) as client:
            while not done.is_set():
                runaway_statuses.append(client.get(sparql, params={"query": RUNAWAY},
                                                   headers=headers[who]).status_code)

    clients = [threading.Thread(target=runaways, args=(who,))
               for who in (None, None, None, None, MEMBER, MEMBER, ALL, ALL)]
    for client in clients:
        client.start()
    time.sleep(1.5)  # the first runaways are past their limit
    try:
        with httpx.Client(timeout=30) as client:
            for _ in range(8):
                response = client.get(sparql, params={"query": NORMAL}, headers={
                    **headers["kevin-cho"], "Accept": "application/sparql-results+json"})
                assert response.status_code == 200, response.text
                assert len(response.json()["results"]["bindings"]) == 5
                time.sleep(0.2)
    finally:
        done.set()
        for client in clients:
            client.join(timeout=30)
    assert set(runaway_statuses) == {503}
    assert len(runaway_statuses) >= 8


def test_one_client_holds_at_most_its_share_of_query_processes(service):
    """8 runaways at once from one anonymous client address: at most
    `query_workers_per_client` (4) processes run for them, the others wait without a
    process and get their 503 at the limit too."""
    sparql = service[0]
    warm_up(sparql, {})
    statuses: list[int] = []
    most = 0

    def ask() -> None:
        statuses.append(httpx.get(sparql, params={"query": RUNAWAY}, timeout=30).status_code)

    asking = [threading.Thread(target=ask) for _ in range(8)]
    for thread in asking:
        thread.start()
    while any(thread.is_alive() for thread in asking):
        most = max(most, len(query_processes()))
        time.sleep(0.02)
    assert statuses == [503] * 8
    assert 1 <= most <= Settings().query_workers_per_client == 4, most


def test_the_helper_hands_its_views_over_to_each_new_version(demo_store):
    """The helper reopens its data at each new version; the public and tier views it built
    follow the journal into the new copy (`public.hand_over`, `member.hand_over`) instead
    of being built whole, and hold what a view built whole holds."""
    from pyoxigraph import Literal, NamedNode, Quad

    from regiongraph.accounts.principal import principal_for_person
    from regiongraph.change import apply_change
    from regiongraph.membership import Tier, tier_of
    from regiongraph.sparql import member, public
    from tests.sparql.conftest import copy_of

    settings = Settings(store="memory", admin_token=TOKEN, today=REFERENCE_DAY)
    first = copy_of(demo_store, settings)
    tier = tier_of(principal_for_person(
        first, settings, Minter(settings.base).iri("person", MEMBER).value))
    assert tier.pairs
    kept_public = member.view_of(first, settings, Tier(frozenset()))
    kept_tier = member.view_of(first, settings, tier)
    second = copy_of(first, settings)
    graph = NamedNode("https://example.org/graphs/later")

    def write() -> list[NamedNode]:
        second.add([Quad(NamedNode("https://example.org/later"),
                         NamedNode("https://example.org/p"), Literal("later"), graph)])
        return [graph]

    apply_change(second, settings, "test", write)
    public.hand_over(first, second)
    member.hand_over(first, second)
    assert member.view_of(second, settings, Tier(frozenset())) is kept_public, "built whole"
    assert member.view_of(second, settings, tier) is kept_tier, "built whole"
    assert sorted(map(str, kept_public.quads())) == sorted(
        map(str, public.build_public_store(second, settings).quads()))
    member._views.pop(second)
    rebuilt = member.view_of(second, settings, tier)
    assert rebuilt is not kept_tier
    assert sorted(map(str, kept_tier.quads())) == sorted(map(str, rebuilt.quads()))
    for store in (first, second):
        store.close()


def test_the_helper_prepares_its_public_view_before_the_first_query(demo_store, tmp_path,
                                                                     monkeypatch):
    """After a change, the `queries` view has the helper bring its public view to the new
    version (a prepare ticket, no query); the next query opens the data again (the views
    after `queries` wrote meanwhile) and finds the view already at its version: neither
    built nor caught up then, and equal to a view built whole."""
    from regiongraph import journal
    from regiongraph.change import apply_change, cache_key
    from regiongraph.membership import Tier
    from regiongraph.sparql import public
    from regiongraph.sparql.member import STEWARD
    from regiongraph.sparql.workers import Ticket, _Data
    from tests.sparql.conftest import copy_of

    settings = Settings(store=str(tmp_path / "store"), today=REFERENCE_DAY)
    store = copy_of(demo_store, settings)
    store.flush()
    anyone = Tier(frozenset())
    data = _Data(settings.model_copy())
    data.prepare(Ticket(cache_key(store, settings), anyone, REFERENCE_DAY, prepare=True))
    assert data.store is None  # a helper that never answered a query builds nothing ahead
    data.target(Ticket(cache_key(store, settings), STEWARD, REFERENCE_DAY))
    data.prepare(Ticket(cache_key(store, settings), anyone, REFERENCE_DAY, prepare=True))
    assert not public.holds_view(data.store)  # nor one that served only the steward
    first = data.target(Ticket(cache_key(store, settings), anyone, REFERENCE_DAY))
    dataset = next(iter(first.query("SELECT ?d WHERE { GRAPH ?g { ?d a "
                                    "<http://www.w3.org/ns/dcat#Dataset> } } LIMIT 1")))[0]
    graph = NamedNode("https://example.org/graphs/later")

    def write() -> list[NamedNode]:
        store.add([Quad(dataset, NamedNode("http://purl.org/dc/terms/title"),
                        Literal("Prepared ahead"), graph)])
        return [graph]

    apply_change(store, settings, "test", write)
    store.flush()
    key = cache_key(store, settings)
    data.prepare(Ticket(key, anyone, REFERENCE_DAY, prepare=True))
    prepared = public._views[data.store]
    assert prepared.key == key and data.provisional
    followed: list[str] = []
    for name in ("catch_up", "_build"):
        original = getattr(public, name)
        monkeypatch.setattr(public, name, lambda *a, _n=name, _o=original, **k: (
            followed.append(_n), _o(*a, **k))[1])
    # every view followed: the helper opens its data again now (`settle`), so the next
    # query forks from it at once
    provisional = data.store
    data.prepare(Ticket(key, anyone, REFERENCE_DAY, prepare=True, settled=True))
    assert data.store is not provisional and not data.provisional
    settled = data.store
    view = data.target(Ticket(key, anyone, REFERENCE_DAY))
    assert data.store is settled, "the first query after the change opened the data again"
    assert view is prepared.view and followed == [] and not data.provisional
    assert key[0] == journal.version(data.store, settings)
    assert sorted(map(str, view.quads())) == sorted(
        map(str, public.build_public_store(store, settings).quads()))
    assert any(q.object.value == "Prepared ahead" for q in view.quads())
    data.store.close()
    store.close()


def test_query_slots_per_client_and_a_cancelled_waiter_leaks_none():
    """`Slots`: a client past its share waits while another client passes; a waiter whose
    request is cancelled (the client went away) leaves no slot taken."""
    import asyncio

    from regiongraph.sparql.workers import Slots

    async def scenario() -> None:
        slots = Slots(total=2, per_client=1)
        assert await slots.acquire("a", 1)
        waiting = asyncio.create_task(slots.acquire("a", 10))
        await asyncio.sleep(0.01)
        assert await slots.acquire("b", 1), "a's waiter must not hold b back"
        assert not await slots.acquire(None, 0.05), "both slots are taken"
        waiting.cancel()
        await asyncio.sleep(0.01)
        slots.release("a")
        slots.release("b")
        assert (slots.running, len(slots.waiting), dict(slots.by_client)) == (0, 0, {})
        assert await slots.acquire("a", 0.05) and await slots.acquire("a", 0.05) is False

    asyncio.run(scenario())


def test_a_change_answers_once_the_helper_has_opened_its_data(demo_store, tmp_path):
    """The `queries-settled` view waits for the helper to say it opened the changed data
    (`QueryProcesses.prepare(wait=)`), so the first query after a change's request forks
    from data already open. Seen from outside: a write made right after the change without
    the change path (no journal entry, so no reopening) stays out of the steward's next
    query, which reads the data the helper opened during the change."""
    from regiongraph.change import apply_change
    from regiongraph.sparql.workers import _processes

    settings = Settings(store=str(tmp_path / "store"), index="memory", admin_token=TOKEN,
                        today=REFERENCE_DAY)
    dump = io.BytesIO()
    demo_store.dump(dump)
    dump.seek(0)
    store = open_store(settings)
    store.restore(dump)
    admin = {"Authorization": f"Bearer {TOKEN}"}
    later, graph = NamedNode("https://example.org/later"), NamedNode("https://example.org/g")
    with serve_app(create_app(settings, store=store)) as url:
        sparql = url + "/sparql"
        warm_up(sparql, {})  # the helper holds a public view: it prepares for each change
        warm_up(sparql, admin)

        def write() -> list[NamedNode]:
            store.add([Quad(later, NamedNode("https://example.org/p"), Literal("journalled"),
                            graph)])
            return [graph.value]

        assert apply_change(store, settings, "test", write).failures == {}
        store.update(f"INSERT DATA {{ GRAPH {graph} {{ {later} <https://example.org/p> "
                     '"behind the journal" } }')

        def asked(value: str) -> bool:
            answer = httpx.get(sparql, headers={**admin, "Accept": "application/json"},
                               params={"query": f'ASK {{ GRAPH ?g {{ {later} ?p "{value}" }} }}'},
                               timeout=30)
            assert answer.status_code == 200, answer.text
            return answer.json()["boolean"]

        assert asked("journalled")
        assert not asked("behind the journal"), "the helper opened its data after the change"
        [processes] = _processes.get(store, {}).values()
        assert processes.prepare(settled=True, wait=5.0) is True  # the helper said so
    store.close()


def test_a_starting_server_has_its_helper_build_the_public_view(demo_store, tmp_path):
    """At start (`workers.prime`) the query helper is started and told to build the public
    view, so the first anonymous query forks from a view already built instead of waiting
    for a whole-region read. A `build` ticket builds the view in a helper that holds none
    (a plain prepare ticket does not: the test above), the next query finds it; a served
    disk store's helper runs before any query is asked, and answers from that view."""
    from regiongraph.change import cache_key
    from regiongraph.membership import Tier
    from regiongraph.sparql import public
    from regiongraph.sparql.workers import Ticket, _Data, _processes
    from tests.sparql.conftest import copy_of

    settings = Settings(store=str(tmp_path / "store"), index="memory", admin_token=TOKEN,
                        today=REFERENCE_DAY)
    store = copy_of(demo_store, settings)
    store.flush()
    anyone = Tier(frozenset())
    data = _Data(settings.model_copy())
    data.prepare(Ticket(cache_key(store, settings), anyone, REFERENCE_DAY, prepare=True,
                        build=True))
    assert public.holds_view(data.store)
    built = public._views[data.store]
    assert set(built.view.quads()) == set(public.build_public_store(store, settings).quads())
    assert data.target(Ticket(cache_key(store, settings), anyone, REFERENCE_DAY)) is built.view
    named = sum(1 for q in built.view.quads() if isinstance(q.graph_name, NamedNode))
    data.store.close()
    with serve_app(create_app(settings, store=store)) as url:
        processes = _processes[store][id(settings)]
        assert processes._zygote is not None and processes._zygote.poll() is None, \
            "the helper did not start with the server"
        assert processes.prepare(wait=60), "the helper never finished its first tickets"
        answer = httpx.get(url + "/sparql", params={
            "query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"},
            headers={"Accept": "application/sparql-results+json"}, timeout=60)
        assert answer.status_code == 200, answer.text
        assert int(answer.json()["results"]["bindings"][0]["n"]["value"]) == named
    store.close()
