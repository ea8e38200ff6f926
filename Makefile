# The README's quick start: `make run` and `make test`. Both create .venv themselves.
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
	2>/dev/null && echo $$p && break; done)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint schema bench install install-dev clean

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "pricing-graph needs Python 3.11 or newer on PATH" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install  ## migrate the database, load the demo catalog, serve http://127.0.0.1:8000/graphql
	$(BIN)/pricing-graph migrate
	$(BIN)/pricing-graph seed-demo
	$(BIN)/pricing-graph serve

# pytest-xdist: one worker process per core; a test file stays on one worker, so its
# module-scoped servers start once. `python -m pytest tests/x.py` still runs without it.
test: install-dev  ## the whole suite, SQLite and PostgreSQL
	$(BIN)/python -m pytest -n auto --dist loadfile

lint: install-dev
	$(BIN)/ruff check src tests benchmarks migrations
	$(BIN)/ruff format --check src tests benchmarks migrations
	$(BIN)/mypy
	$(BIN)/lint-imports

schema: install  ## re-export schema.graphql from the code
	$(BIN)/pricing-graph export-schema --output schema.graphql --possible-types frontend-contract/possibleTypes.json

bench: install-dev  ## print benchmark figures (not part of the test suite)
	@for script in benchmarks/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) pricing-graph.db pricing-graph.db-wal pricing-graph.db-shm
