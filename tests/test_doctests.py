"""Examples in kernel docstrings run (Oxigraph's lesson: docs that run stay true)."""

import doctest

import pytest

import regiongraph.geo.geometry
import regiongraph.iri
import regiongraph.limits
import regiongraph.sparql.guard
import regiongraph.sparql_results

MODULES = [regiongraph.geo.geometry, regiongraph.iri, regiongraph.limits, regiongraph.sparql.guard,
           regiongraph.sparql_results]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0
