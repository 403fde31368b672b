"""The README's Python examples run against the demo served on loopback."""

import re
from pathlib import Path

import pytest
from regiongraph.api.app import create_app

from tests.support import serve_app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
EXAMPLES = dict(re.findall(r"```python\n# example: (\S+)\n(.*?)```", README, flags=re.DOTALL))


@pytest.fixture(scope="module")
def base(demo_store, demo_settings):
    with serve_app(create_app(demo_settings, store=demo_store)) as url:
        yield url


def run_example(name: str, base: str, capsys) -> str:
    exec(compile(EXAMPLES[name], f"README.md example {name}", "exec"), {"BASE": base})  # noqa: S102 - the README examples are the test
    return capsys.readouterr().out


def test_examples_are_found():
    assert set(EXAMPLES) >= {"sparqlwrapper", "harvester"}


def test_sparqlwrapper_example(base, capsys):
    printed = run_example("sparqlwrapper", base, capsys)
    titles = eval(printed)
    assert len(titles) == 5 and titles == sorted(titles)


def test_harvester_example(base, capsys, demo_store, demo_settings):
    from regiongraph.visibility import publishable_datasets

    printed = run_example("harvester", base, capsys)
    count, state = printed.strip().split(" datasets; ")
    assert int(count) == len(publishable_datasets(demo_store, demo_settings))
    assert state == "unchanged"
