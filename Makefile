# Two commands do all the set-up: `make run` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
SYSTEM_PYTHON ?= python3

.PHONY: run test soak bench install install-test web lint clean

$(VENV)/bin/python:
	$(SYSTEM_PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.installed: $(VENV)/bin/python pyproject.toml setup.py
	$(PIP) install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install -q -e '.[test,bench]'
	touch $@

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test
web: node_modules/.package-lock.json

## Load the demo region into the embedded store (./data/store or $REGIONGRAPH_STORE) and serve it.
run: install web
	$(VENV)/bin/regiongraph demo
	$(VENV)/bin/regiongraph serve

## Run the whole test suite (the soak suite aside).
test: install-test web
	$(PY) -m pytest -q -p no:cacheprovider -m "not soak" -n 2 --dist loadfile

## The reliability suite: kills, load, bad input, SSRF, injection, auth (long; figures printed).
soak: install-test web
	$(PY) -m pytest -q -p no:cacheprovider -m soak tests/soak

## Benchmarks (smallest sizes; see bench/README.md for the large ones).
bench: install-test
	$(PY) -m bench.run --quick

lint: install-test
	$(VENV)/bin/ruff check regiongraph loaders api tests bench

clean:
	rm -rf $(VENV) node_modules data build dist *.egg-info
