# The single entry point: `make docs` builds the site, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export NO_MKDOCS_2_WARNING := 1
export SOURCE_DATE_EPOCH := 1767225600
export PYTHONHASHSEED := 0

.PHONY: docs serve test lint bench clean venv deps-docs deps-test browser

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Installs are stamped so that an unchanged pyproject.toml installs nothing.
$(VENV)/.docs-installed: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e ".[docs]"
	touch $@

$(VENV)/.test-installed: pyproject.toml $(VENV)/.docs-installed
	$(PY) -m pip install --quiet -e ".[docs,test]"
	touch $@

venv: $(VENV)/.docs-installed
deps-docs: $(VENV)/.docs-installed
deps-test: $(VENV)/.test-installed browser

# Headless Chromium for the browser tests: Debian's package (Playwright's download does not work here).
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; }

docs: deps-docs
	$(PY) -m mkdocs build --strict

serve: deps-docs
	$(PY) -m mkdocs serve

test: deps-test
	$(PY) -m pytest

lint: deps-test
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

bench: deps-test
	$(PY) bench/bench_kernels.py

clean:
	rm -rf site .cache docs/generated screenshots .pytest_cache .ruff_cache .hypothesis
	find . -path ./.venv -prune -o -name __pycache__ -type d -exec rm -rf {} +
