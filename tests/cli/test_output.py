"""What the CLI prints, read as a user reads it: real commands on the demo on disk."""

import json
import re

BASE = "https://data.sonoranvalley.example/"


def header(text: str) -> list[list[str]]:
    """The header row of each rich table in `text`, as lists of cell texts."""
    return [_cells(line) for line in text.splitlines() if line.startswith("┃")]


def body(text: str) -> list[list[str]]:
    """Every body line of the rich tables in `text` (a wrapped cell continues on the next)."""
    return [_cells(line) for line in text.splitlines() if line.startswith("│")]


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in re.split("[┃│]", line.strip())[1:-1]]


def test_governance_names_the_sending_and_receiving_community(demo_cli):
    done = demo_cli("governance")
    assert done.returncode == 0, done.stderr
    assert header(done.stdout)[0] == ["covered", "kind", "data", "from", "to", "flows into",
                                      "covered by / notes"]
    flows = [row for row in body(done.stdout) if row[0] in ("yes", "NO")]
    assert ["NO", "usage", "Building Permits", "Town of Ocotillo", "Sonoran County",
            "Permit data standard"] in [row[:6] for row in flows]
    for row in flows:  # cross-community flows: two named communities, never an IRI
        assert row[3] and row[4] and row[3] != row[4], row
        assert "://" not in row[3] + row[4], row


def test_impact_tables_have_headers(demo_cli):
    done = demo_cli("impact", "saguaro/high-injury-network")
    assert done.returncode == 0, done.stderr
    assert header(done.stdout) == [["depth", "dataset", "id"], ["project", "id", "via datasets"],
                                   ["community", "id"],
                                   ["type", "record", "status", "valid until"]]
    assert ["0", "High Injury Network", BASE + "datasets/saguaro/high-injury-network"] \
        in body(done.stdout)


def test_quality_for_one_community_prints_its_row_once(demo_cli):
    done = demo_cli("quality", "--community", "saguaro")
    assert done.returncode == 0, done.stderr
    rows = body(done.stdout)
    scored = json.loads(demo_cli("quality", "--community", "saguaro", "--json").stdout)
    assert [row[:2] for row in rows] == [["saguaro", str(scored["region"]["datasets"])]]


def test_query_table_uses_the_query_prefixes(demo_cli):
    done = demo_cli("query", "-q", f"""
        PREFIX dcat: <http://www.w3.org/ns/dcat#>
        PREFIX sag: <{BASE}datasets/saguaro/>
        SELECT ?d ?class ?publisher WHERE {{
          VALUES ?d {{ sag:high-injury-network }}
          ?d a ?class ; <http://purl.org/dc/terms/publisher> ?publisher }}""")
    assert done.returncode == 0, done.stderr
    # IRIs under a declared prefix are shortened; one under none stays whole.
    assert sorted(body(done.stdout)) == [
        ["sag:high-injury-network", "dcat:Dataset", BASE + "communities/saguaro"],
        ["sag:high-injury-network", "dcat:Resource", BASE + "communities/saguaro"]]


def test_stats_hides_bookkeeping_graphs_unless_all(demo_cli):
    state, journal = BASE + "graph/rules-state/", BASE + "graph/journal"
    listed = demo_cli("stats")
    assert listed.returncode == 0, listed.stderr
    assert state not in listed.stdout and journal not in listed.stdout
    assert BASE + "graph/source/saguaro-datajson" in listed.stdout
    counted = json.loads(demo_cli("stats", "--json").stdout)
    hidden = counted["internal"]["graphs"]
    assert hidden > 0 and not [g for g in counted["graphs"] if g.startswith((state, journal))]
    assert counted["triples"] == sum(counted["graphs"].values()) + counted["internal"]["triples"]
    assert [f"({hidden} bookkeeping graphs; --all lists them)",
            str(counted["internal"]["triples"])] in body(listed.stdout)
    everything = demo_cli("stats", "--all")
    shown = [row[0] for row in body(everything.stdout) if row[0].startswith(BASE + "graph/")]
    assert sum(1 for g in shown if g.startswith(state)) > 0 and journal in shown
    assert len(shown) == len(counted["graphs"]) + hidden
    every = json.loads(demo_cli("stats", "--json", "--all").stdout)
    assert len(every["graphs"]) == len(counted["graphs"]) + hidden


def test_reuse_for_an_unknown_community_is_an_error(demo_cli):
    done = demo_cli("reuse", "--community", "atlantis")
    assert done.returncode == 2
    assert done.stdout == ""
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("error: unknown community 'atlantis'; known: agave, cholla,")
    assert "saguaro" in line
    known = demo_cli("reuse", "--community", "saguaro", "--json")
    assert known.returncode == 0 and json.loads(known.stdout)["items"]
