"""The stewards' registry: hand-edited YAML files that describe the region.

`read_registry(folder, minter)` checks every file and returns the registry's triples, or
raises `RegistryError` (`projects.yaml:42: unknown community 'phx'`) before anything is
written. See `regiongraph.registry.reader` for the file formats.
"""

from regiongraph.registry.reader import Problem, RegistryError, read_registry

__all__ = ["Problem", "RegistryError", "read_registry"]
