# salesops: two commands on a fresh clone: `make report` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DB := data/salesops.duckdb

.PHONY: report test lint format demo bench serve clean

# The virtualenv is rebuilt only when pyproject.toml changes: a second run is a no-op.
$(STAMP): pyproject.toml
	scripts/system-packages.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip 2> >(grep -v '^WARNING: Location' >&2)
	$(BIN)/python -m pip install --quiet -e '.[test]' 2> >(grep -v '^WARNING: Location' >&2)
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 > /dev/null
	touch $(STAMP)

$(DB): $(STAMP)
	$(BIN)/salesops demo --if-missing

demo: $(DB)

## The main job on the demo data: the monthly report plan for the latest period.
report: $(DB)
	$(BIN)/salesops summary
	$(BIN)/salesops run parameters/monthly.yml --period latest

## The whole test suite; installs PostgreSQL's server binaries first if they are missing.
test: $(DB)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

## The manager dashboard on http://127.0.0.1:8866/ (Voila).
serve: $(DB)
	$(BIN)/salesops serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(DB)
	$(BIN)/python benchmarks/data_layer.py

clean:
	rm -rf $(VENV) data .pytest_cache
