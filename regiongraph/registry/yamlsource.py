"""YAML that remembers where each entry came from.

Stewards edit the registry by hand; an error that says only "unknown community" sends
them searching. Mappings and lists loaded here carry the line of every entry and value,
so a problem can be reported as `projects.yaml:42: unknown community 'phx'`.
"""

from pathlib import Path
from typing import Any

import yaml


class YamlSyntaxError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class Node(dict):
    """A YAML mapping with `line` (where it starts) and `lines[key]` (where each value is)."""

    line: int = 0

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[str, int] = {}

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.line)


class Seq(list):
    """A YAML sequence with `line` and `lines[i]`, the line of each item."""

    line: int = 0

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[int] = []


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader (no object construction from tags) that keeps line numbers.

    libyaml's parser where PyYAML was built with it: the pure-Python one took 6 of a
    10k-dataset region load's 47 s on the registry's files; its nodes carry the same marks."""


def _mapping(loader: _Loader, node: yaml.MappingNode) -> Node:
    loader.flatten_mapping(node)
    result = Node()
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            # YAML 1.1 reads `on:` or `yes:` as booleans; report the word as written.
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key)
        if key in result:
            raise YamlSyntaxError(key_node.start_mark.line + 1, f"duplicate key {key!r}")
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = value_node.start_mark.line + 1
    return result


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> Seq:
    result = Seq()
    result.line = node.start_mark.line + 1
    for item in node.value:
        result.append(loader.construct_object(item, deep=True))
        result.lines.append(item.start_mark.line + 1)
    return result


def _timestamp(loader: _Loader, node: yaml.ScalarNode) -> str:
    """Keep dates as written: the reader parses them and reports an impossible one
    (2021-02-30) as a problem on its line instead of a crash inside the YAML parser."""
    return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


def load_yaml(path: Path) -> Any:
    """Parse one YAML file; syntax errors become YamlSyntaxError with the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise YamlSyntaxError(1, f"not UTF-8 text ({error.reason})") from None
    try:
        return yaml.load(text, Loader=_Loader)  # _Loader derives from (C)SafeLoader
    except YamlSyntaxError:
        raise
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlSyntaxError(line, f"YAML syntax error: {error.problem or error}") from None
    except yaml.YAMLError as error:
        raise YamlSyntaxError(1, f"YAML error: {error}") from None
