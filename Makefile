# salesops: two commands on a fresh clone: `make report` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DB := data/salesops.duckdb
LOCK := requirements.lock

.PHONY: report test test-fast lab lint format demo bench serve clean lock

# The virtualenv installs the exact versions in requirements.lock (every dependency, for
# every platform), then salesops itself without resolving anything again. It is rebuilt
# only when the lock file or pyproject.toml changes: a second run is a no-op.
$(STAMP): pyproject.toml $(LOCK)
	scripts/system-packages.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip 2> >(grep -v '^WARNING: Location' >&2)
	$(BIN)/python -m pip install --quiet -r $(LOCK) 2> >(grep -v '^WARNING: Location' >&2)
	$(BIN)/python -m pip install --quiet --no-deps -e . 2> >(grep -v '^WARNING: Location' >&2)
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 > /dev/null
	touch $(STAMP)

$(DB): $(STAMP)
	$(BIN)/salesops demo --if-missing

demo: $(DB)

## The main job on the demo data: the monthly report plan for the latest period.
report: $(DB)
	$(BIN)/salesops summary
	$(BIN)/salesops run parameters/monthly.yml --period latest

## The whole test suite, after ruff and mypy (installs PostgreSQL's server binaries first if
## they are missing), on a worker per core (pytest-xdist). A file's tests run on one worker,
## in order (`--dist loadfile`): a notebook's cells (nbval) stay in one kernel, and a test
## module's fixtures are made once.
test: $(DB)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -n auto --dist loadfile

## Both write bytecode even where the environment says not to (PYTHONDONTWRITEBYTECODE):
## each test process would otherwise rewrite every test module's asserts again, 2-3 s.
test test-fast: export PYTHONDONTWRITEBYTECODE =

## The edit-test loop: every test but those that run notebooks, drive Chromium, start
## PostgreSQL or are slow (each slow one has a faster twin here), on a worker per core.
## Without the nbval plugin (and its --nbval-lax), which costs each process seconds of
## imports (nbformat's jsonschema compiles its URI grammars) for notebooks it does not run.
test-fast: $(DB)
	$(BIN)/python -m pytest tests -q -n auto --dist loadfile -p no:nbval \
		-o addopts="-ra --strict-markers" \
		-m "not notebook and not browser and not postgres and not slow"

## JupyterLab on notebooks/ with the project's kernel, for analysts.
lab: $(DB)
	$(BIN)/jupyter lab --notebook-dir=notebooks

## The manager dashboard on http://127.0.0.1:8866/ (Voila).
serve: $(DB)
	$(BIN)/salesops serve

## Style and types: ruff, then mypy on the package (configured in pyproject.toml).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Upgrade: resolve pyproject.toml's dependencies again, to their newest versions, into the lock file.
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet uv 2> >(grep -v '^WARNING: Location' >&2)
	$(BIN)/uv pip compile pyproject.toml --extra test --universal --python-version 3.11 \
		--upgrade --custom-compile-command "make lock" --quiet -o $(LOCK)

bench: $(DB)
	$(BIN)/python benchmarks/data_layer.py

clean:
	rm -rf $(VENV) data .pytest_cache
