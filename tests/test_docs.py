"""Every setting is documented in the README, and the README starts with the two commands."""

from pathlib import Path

from regiongraph.settings import Settings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme():
    missing = [f"REGIONGRAPH_{name.upper()}" for name in Settings.model_fields
               if f"REGIONGRAPH_{name.upper()}" not in README]
    assert missing == []


def test_readme_opens_with_make_run_and_make_test():
    first_block = README.split("```sh", 1)[1].split("```", 1)[0]
    assert "make run" in first_block and "make test" in first_block


def test_ci_calls_the_readme_test_command():
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci
