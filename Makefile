# Two commands for a newcomer: `make demo` and `make test`. Both build .venv from pyproject.toml first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# sqlfluff's dbt templater compiles the models against an empty scratch DuckDB file.
SQLFLUFF_ENV := CLICKSTREAM_WAREHOUSE_PATH=$(CURDIR)/$(VENV)/sqlfluff-scratch.duckdb

.PHONY: help venv demo test lint typecheck sqllint pytest pytest-fast bench clean

help:
	@echo "make demo   - run the whole pipeline on sample traffic (DuckDB, local folders)"
	@echo "make test   - ruff, mypy, sqlfluff and every pytest suite"
	@echo "make pytest-fast - the tests not marked slow"
	@echo "make bench  - the benchmarks under bench/"

# setup.py and the C sources: the install compiles the optional native modules (etl/native.py, clickstream/payload.py).
$(STAMP): pyproject.toml setup.py etl/_columns.c clickstream/_payload.c
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is required"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/clickstream demo

# ruff and the import contracts first (seconds); then mypy and sqlfluff run beside pytest, on the cores its
# workers leave idle while tests wait on servers, subprocesses and dbt.
test: lint
	@$(MAKE) --no-print-directory -j3 typecheck sqllint pytest

# lint-imports checks the import contracts in .importlinter (cli -> pipeline -> stages -> core, stages independent).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache .importlinter

typecheck: $(STAMP)
	$(BIN)/mypy

sqllint: $(STAMP)
	cd dbt_project && $(SQLFLUFF_ENV) ../$(BIN)/sqlfluff lint models

# Whole test files go to one worker each (module fixtures build a warehouse once); `pytest` alone runs serially.
pytest: $(STAMP)
	$(BIN)/pytest -n auto --dist loadfile --durations=20

pytest-fast: $(STAMP)
	$(BIN)/pytest -n auto --dist loadfile -m "not slow"

bench: $(STAMP)
	$(BIN)/python bench/pipeline_stages.py

clean:
	rm -rf $(VENV) .clickstream .clickstream-demo .mypy_cache .ruff_cache .pytest_cache dbt_project/target dbt_project/logs
