# 深度学习知识库 — build and test. `make html` and `make test` work on a fresh machine:
# they create .venv, install the pinned requirements and the npm assets, then build/test.

PYTHON     ?= python3
VENV       := .venv
BIN        := $(VENV)/bin
BUILDDIR   := _build
# Sphinx writes pages with one process fewer than -j: its main process loads, resolves and
# indexes every page itself. So -j is one more than the cores, to keep them all busy while
# writing (1,000 synthetic articles on 2 cores, medians of 3: 39 s with -j 3, 42 s with -j 2).
JOBS       ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))
SPHINXOPTS ?= -W --keep-going -n -j $(JOBS)
SPHINXBUILD = $(BIN)/sphinx-build
PYTEST_ARGS ?=

# Stamps make a warm `make html` skip installs that are already in place.
BUILD_STAMP := $(VENV)/.build-requirements
DEV_STAMP   := $(VENV)/.dev-requirements
NPM_STAMP   := node_modules/.installed

.PHONY: html test test-fast test-pdf livehtml clean linkcheck deps dev-deps chromium pdf-tools help new lint lint-fix epub pdf bench

help:
	@echo "make html      build the site into $(BUILDDIR)/html"
	@echo "make test      run the whole test suite"
	@echo "make test-fast the suite without the browser tests (a quick loop; CI runs make test)"
	@echo "make test-pdf  build the PDF of the whole knowledge base and check it (minutes)"
	@echo "make livehtml  preview with live reload (sphinx-autobuild)"
	@echo "make lint      check Markdown structure and Chinese copywriting (make lint-fix repairs)"
	@echo "make epub      the whole knowledge base as one EPUB for offline reading"
	@echo "make pdf       the whole knowledge base as one PDF ($(BUILDDIR)/pdf/dl-knowledge-base.pdf)"
	@echo "make bench     benchmarks: ours vs plain Sphinx, rebuilds, 30/300/1000 articles vs MkDocs, Lighthouse"
	@echo "make linkcheck check external links"
	@echo "make new CATEGORY=large-model NAME=kv-cache TITLE=\"KV Cache\" [SUBTOPIC=训练与优化]  start an article"
	@echo "make clean     remove build output"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(BUILD_STAMP): requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(DEV_STAMP): requirements-dev.txt requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(BUILD_STAMP)

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

deps: $(BUILD_STAMP) $(NPM_STAMP)

dev-deps: $(DEV_STAMP) $(NPM_STAMP) chromium pdf-tools

# Browser tests drive Debian's Chromium; install it when missing (CI runs as root).
chromium:
	@if [ -n "$$KB_CHROMIUM" ] && [ -x "$$KB_CHROMIUM" ]; then exit 0; fi; \
	command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

# The PDF tests read the PDF's text as readers' tools do, with poppler's pdftotext.
pdf-tools:
	@command -v pdftotext >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq poppler-utils >/dev/null; }

# Doctrees (and the {plot} working folders under them) stay out of the published folder.
html: deps
	$(SPHINXBUILD) -b html $(SPHINXOPTS) -d $(BUILDDIR)/doctrees . $(BUILDDIR)/html

test: dev-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The quick loop: everything but the tests that drive Chromium (marker "browser", tests/conftest.py).
test-fast: dev-deps
	$(BIN)/python -m pytest -m "not browser" $(PYTEST_ARGS)

test-pdf: dev-deps
	$(BIN)/python -m pytest -m pdf -p no:xdist -o addopts=-ra tests/test_pdf.py $(PYTEST_ARGS)

epub: deps
	$(SPHINXBUILD) -b epub $(SPHINXOPTS) -d $(BUILDDIR)/doctrees-epub . $(BUILDDIR)/epub

# Sphinx's single-page HTML printed by Chromium (sphinx_kb/pdf.py; why not LaTeX: see there).
pdf: deps chromium
	$(BIN)/python -m sphinx_kb.pdf --builddir $(BUILDDIR) -j $(JOBS)

# Benchmarks (benchmarks/): every figure of the performance work, printed as medians.
# Their tools are not the site's: MkDocs Material in its own venv, Lighthouse in benchmarks/.
MKDOCS_STAMP := benchmarks/.venv-mkdocs/.installed
LIGHTHOUSE_STAMP := benchmarks/node_modules/.installed

$(MKDOCS_STAMP): benchmarks/requirements-mkdocs.txt
	$(PYTHON) -m venv benchmarks/.venv-mkdocs
	benchmarks/.venv-mkdocs/bin/pip install --quiet -r benchmarks/requirements-mkdocs.txt
	touch $@

$(LIGHTHOUSE_STAMP): benchmarks/package.json benchmarks/package-lock.json
	npm ci --prefix benchmarks --no-audit --no-fund --loglevel=error
	touch $@

BENCH_RUNS ?= 3
bench: dev-deps $(MKDOCS_STAMP) $(LIGHTHOUSE_STAMP) chromium
	$(BIN)/python benchmarks/bench_build.py --runs $(BENCH_RUNS)
	$(BIN)/python benchmarks/bench_scale.py --runs $(BENCH_RUNS) -j $(JOBS)
	$(SPHINXBUILD) -b html $(SPHINXOPTS) -d $(BUILDDIR)/doctrees . $(BUILDDIR)/html
	$(BIN)/python benchmarks/bench_pages.py --runs $(BENCH_RUNS)

livehtml: dev-deps
	$(BIN)/sphinx-autobuild -b html $(SPHINXOPTS) -D kb_live_errors=1 -d $(BUILDDIR)/doctrees --watch sphinx_kb . $(BUILDDIR)/html

linkcheck: deps
	$(SPHINXBUILD) -b linkcheck . $(BUILDDIR)/linkcheck

new: deps
	$(BIN)/python -m sphinx_kb.new_article "$(CATEGORY)" "$(NAME)" "$(TITLE)" --subtopic "$(SUBTOPIC)"

# Markdown structure (markdownlint-cli2, npm) and Chinese copywriting (AutoCorrect, PyPI).
PAGES := index.md glossary.md python large-model computer-vision
# the project's own Chinese text follows the same copywriting rules
SITE_TEXT := README.md CONTRIBUTING.md SECURITY.md sphinx_kb/templates/article.md
lint: $(NPM_STAMP) $(DEV_STAMP)
	node_modules/.bin/markdownlint-cli2
	$(BIN)/python -m sphinx_kb.copywriting $(PAGES) $(SITE_TEXT)

lint-fix: $(NPM_STAMP) $(DEV_STAMP)
	-node_modules/.bin/markdownlint-cli2 --fix
	$(BIN)/python -m sphinx_kb.copywriting --fix $(PAGES) $(SITE_TEXT)

clean:
	rm -rf $(BUILDDIR) tests/.fixture-build
