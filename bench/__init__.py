"""regiongraph's benchmarks: `python -m bench.run` (see README.md in this folder)."""
