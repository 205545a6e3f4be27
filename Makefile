# The single entry point: `make docs` builds the site, `make test` runs the whole suite.
#
#   make docs      create .venv, install the docs extra, render diagrams, build site/
#   make publish VERSION=x.y  build that version with mike into the gh-pages branch, alias
#                  latest moved to it (SITE_URL=the address, FORCE=1 replaces, PUSH=1 pushes)
#   make serve     live preview on http://127.0.0.1:8000/gated-ref/ (re-renders what changed)
#   make test      install the test extra, Chromium and TeX Live, build the site, run every test
#   make latex     only install pdflatex, bibtex and biblatex (Debian's TeX Live) for tests/test_latex_exports.py
#   make test-quick  the inner loop: no site build, no browser
#   make test-a11y   axe-core on every page (make test checks a sample of each template); CI runs it
#   make screenshots  full-page screenshots of every page, light and dark, into screenshots/
#   make diagrams  only render out-of-date diagrams/*.py into docs/generated/
#   make mathjax   only install the site's MathJax (offline: MATHJAX_DIR, see sitebuild/vendor.py)
#   make lint      ruff check + ruff format --check
#   make bench     generated kernels vs torch CPU vs a NumPy loop, lowering times, explorer load
#                  and step times, Lighthouse scores of five pages
#   make axe-counts  serious/critical axe-core violations of site/ by rule, width and scheme
#                  (SITE=another/build counts an older build, for a before/after)
#   make bench-record  re-measure data/kernel_times.json (the timings the site shows)
#   make bench-scaling re-measure data/kernel_scaling.json (the scaling table against torch)
#   make experiments   run the LSTM vs GRU grid, write data/experiments.json (SCHEDULER=tcp://...
#                      sends the runs to an existing Dask cluster instead of local processes)
#   make clean     remove build outputs and caches; keeps .venv
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export NO_MKDOCS_2_WARNING := 1
# The date of every dated artefact (sitemap, gzip headers): the same as sitebuild.SOURCE_DATE_EPOCH.
export SOURCE_DATE_EPOCH := 1767225600
export PYTHONHASHSEED := 0

.PHONY: axe-counts test-a11y docs publish serve test test-quick screenshots lint bench bench-record bench-scaling experiments clean venv deps-docs deps-test browser latex node diagrams mathjax lighthouse

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
deps-docs: $(VENV)/.docs-installed node
deps-test: $(VENV)/.test-installed node browser latex

# npm fetches the site's own MathJax from the npm registry (sitebuild/vendor.py).
node:
	@command -v npm >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq npm >/dev/null; }

# Headless Chromium for the browser tests: Debian's package (Playwright's download does not work here).
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; }

# Lighthouse for `make bench`, pinned (13 needs Node 22; this machine has Node 20), installed once
# into .cache/npm/ with npm (bench/lighthouse_scores.py installs it too when it is missing).
lighthouse: node browser
	@test -f .cache/npm/lighthouse-12.2.3/node_modules/lighthouse/cli/index.js || npm install --prefix .cache/npm/lighthouse-12.2.3 lighthouse@12.2.3 --no-audit --no-fund

# pdflatex, bibtex and biblatex for the LaTeX export tests (tests/test_latex_exports.py): Debian's TeX Live.
latex:
	@{ command -v pdflatex && kpsewhich biblatex.sty; } >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq texlive-latex-base texlive-latex-recommended texlive-fonts-recommended texlive-bibtex-extra >/dev/null; }

# The same runner the MkDocs hook calls: unchanged scripts are skipped, both cores are used.
diagrams: deps-docs
	$(PY) -m sitebuild diagrams

# The site's own MathJax first: offline with no cached tarball, `make docs` stops here at once
# and says what to fetch (or set MATHJAX_DIR: sitebuild/vendor.py).
mathjax: deps-docs
	$(PY) -m sitebuild mathjax

docs: mathjax diagrams
	$(PY) -m mkdocs build --strict

# Versioned publishing (sitebuild/publish.py, mkdocs.publish.yml): VERSION must be
# gated_ref.__version__'s major.minor; a version already on gh-pages needs FORCE=1. The checks
# come first; then mike's build renders the diagrams and MathJax as `make docs` does.
publish: deps-docs
	@test -n "$(VERSION)" || { echo "error: VERSION is missing: make publish VERSION=x.y" >&2; exit 2; }
	$(PY) -m sitebuild publish $(VERSION) $(if $(SITE_URL),--site-url "$(SITE_URL)") $(if $(FORCE),--force) $(if $(PUSH),--push)

serve: deps-docs
	$(PY) -m mkdocs serve

# The browser and reproducibility tests build site/ themselves (tests/conftest.py).
test: deps-test
	$(PY) -m pytest

# axe-core on every page of the sitemap, light and dark, 1280 and 390 px (about ten minutes):
# `make test` checks one page of each template; CI runs this after it (.ci/run).
test-a11y: deps-test
	GATED_REF_A11Y_ALL=1 $(PY) -m pytest -q tests/test_accessibility.py

screenshots: deps-test
	GATED_REF_FULL_SCREENSHOTS=1 $(PY) -m pytest -q tests/test_browser.py -k every_page

# The inner loop: everything except the site build, the browser and the Dask cluster.
test-quick: deps-test
	GATED_REF_QUICK=1 $(PY) -m pytest -q -x -k "not dask and not identical_across_runs"

lint: deps-test
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# Prints, in one run: generated kernels vs torch CPU vs a NumPy loop, where the kernels' time
# goes (GEMM, elementwise, copies: bench/profile_kernels.py), every cell against lstm,
# lowering times, and the explorer page's time to interactive (speed is measured here, never in
# timed unit tests). Each contender runs in a worker process of its own (bench/harness.py); on a
# busy machine the ratios are withheld, and the output says so.
bench: deps-test docs lighthouse
	$(PY) bench/bench_kernels.py
	$(PY) bench/profile_kernels.py
	$(PY) bench/bench_zoo.py
	$(PY) bench/lowering_times.py
	$(PY) bench/explorer_load.py
	$(PY) bench/lighthouse_scores.py

# Counts what the accessibility test fails on, on every page of a build: by rule, at 1280 and
# 390 px, light and dark (bench/axe_counts.py). SITE defaults to the fresh `make docs` output.
axe-counts: deps-test $(if $(SITE),,docs)
	$(PY) bench/axe_counts.py --site $(if $(SITE),$(SITE),site)

# The measured kernel times the site's tables show: a committed record, so builds stay
# byte-identical. Re-run on a quiet machine and commit the result.
bench-record: deps-test
	$(PY) bench/record_kernel_times.py --out data/kernel_times.json

# The scaling table on the LSTM vs GRU page (T x B x H, LSTM and GRU, float32, against torch,
# with the share of time in GEMMs): a committed record, like bench-record. Takes a while.
bench-scaling: deps-test
	$(PY) bench/record_scaling.py --out data/kernel_scaling.json

# The committed record the LSTM vs GRU page reads: step times (each contender alone), then the
# grid on both cores (or on the Dask cluster at SCHEDULER). `make docs` refuses a stale record.
experiments: deps-test
	$(PY) -m gated_ref.experiments $(if $(SCHEDULER),--scheduler $(SCHEDULER))

clean:
	rm -rf site .cache docs/generated screenshots .pytest_cache .ruff_cache .hypothesis
	find . -path ./.venv -prune -o -name __pycache__ -type d -exec rm -rf {} +
