# Two commands for a newcomer: `make run` and `make test`. Both install what is missing first.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
# What serving needs (the package, and the `seed` extra's progress bar for the first hour's
# `connect-api seed`), and what testing adds (the `test` extra).
STAMP      = $(VENV)/.installed
TEST_STAMP = $(VENV)/.installed-test
DOCS_STAMP = $(VENV)/.installed-docs
PIP        = $(BIN)/python -m pip install --disable-pip-version-check

.PHONY: run test docs format openapi clients bench bench-scale bench-stream bench-flood clean

# The first install (a new .venv) shows pip's progress, package by package, as it takes a minute
# or two; later ones (pyproject.toml changed) only say what they do.
$(STAMP): pyproject.toml
	@if test -x $(BIN)/python; then echo "==> updating $(VENV) (pyproject.toml changed)"; \
	else echo "==> creating $(VENV) and installing connect-api with its dependencies" \
	  "(first time only: about 1-2 minutes)"; $(PYTHON) -m venv $(VENV) && touch $(VENV)/.new; fi
	@$(PIP) --quiet --upgrade pip
	@$(PIP) --progress-bar off $$(test -f $(VENV)/.new || echo --quiet) -e '.[seed]'
	@rm -f $(VENV)/.new
	@echo "==> $(VENV) is ready to serve"
	@touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	@echo "==> installing what the tests need into $(VENV) (the test extra)"
	@$(PIP) --progress-bar off --quiet -e '.[test]'
	@touch $(TEST_STAMP)

$(DOCS_STAMP): $(STAMP)
	@$(PIP) --quiet -e '.[docs]'
	@touch $(DOCS_STAMP)

run: $(STAMP) ## start the service on http://127.0.0.1:8000 (embedded PostgreSQL unless DATABASE_URL)
	@echo "==> starting connect-api on http://127.0.0.1:$${CONNECT_API_PORT:-8000} (docs at /docs once it is up; Ctrl-C stops it)"
	$(BIN)/connect-api serve

test: $(TEST_STAMP) ## install, lint, type-check, check the layers, and run the whole test suite (docs build included)
	$(BIN)/ruff check src tests migrations bench clients/generate.py clients/python/live.py docs/hooks.py
	$(BIN)/ruff format --check src tests migrations bench clients/generate.py clients/python/live.py docs/hooks.py
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest

docs: $(DOCS_STAMP) ## serve the documentation site on http://127.0.0.1:8001 (MkDocs)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --dev-addr 127.0.0.1:$${DOCS_PORT:-8001}

openapi: $(STAMP) ## rewrite openapi/openapi.json from the code
	$(BIN)/connect-api openapi -o openapi/openapi.json

# The typed clients (Python and TypeScript) from openapi/openapi.json; the TypeScript one needs
# node and npm, and runs `npm ci` in clients/typescript the first time.
clients: $(TEST_STAMP) ## regenerate clients/python and clients/typescript from openapi/openapi.json
	$(BIN)/python clients/generate.py

format: $(TEST_STAMP)
	$(BIN)/ruff format src tests migrations bench clients/generate.py clients/python/live.py docs/hooks.py
	$(BIN)/ruff check --fix src tests migrations bench clients/generate.py clients/python/live.py docs/hooks.py

bench: $(TEST_STAMP) ## run the benchmarks (prints figures; not part of `make test`)
	$(BIN)/python -m bench
	$(BIN)/python -m bench.relationships
	$(BIN)/python -m bench.export

# The load harness (not part of `make test`): seeds or reuses a 100,000-member network in
# .bench-scale/, serves it with `connect-api serve --workers 2` and measures it over HTTP.
# About 20 minutes after the first seed; BENCH_SCALE_QUICK=1 (or ARGS=--quick) for 2 minutes.
bench-scale: $(VENV)/.bench-installed
	$(BIN)/python -m bench.scale $(ARGS)

# Live streams (not part of `make test`): one `connect-api serve` on the network of bench-scale
# (seeded or reused in .bench-scale/), 10,000 streams held by another process, invitations to
# their members at 200/s, send + accept with and without them. About 5 minutes after the seed;
# ARGS=--quick for 300 streams on the quick network (1.5 minutes).
bench-stream: $(VENV)/.bench-installed
	$(BIN)/python -m bench.stream $(ARGS)

# A quiet member's latency while another floods, with the per-caller rate limits off and on
# (one `serve` process on the quick network of bench-scale; about a minute).
bench-flood: $(VENV)/.bench-installed
	$(BIN)/python -m bench.flood $(ARGS)

$(VENV)/.bench-installed: $(TEST_STAMP)
	$(PIP) --quiet -e '.[test,bench]'
	@touch $@

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
