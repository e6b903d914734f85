# Two commands for a newcomer: `make run` and `make test`. Both install what is missing first.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed

.PHONY: run test lint format openapi clients bench bench-scale bench-stream bench-flood clean

# The first install (a new .venv) shows pip's progress, package by package, as it takes a minute
# or two; later ones (pyproject.toml changed) only say what they do.
$(STAMP): pyproject.toml
	@if test -x $(BIN)/python; then echo "==> updating $(VENV) (pyproject.toml changed)"; \
	else echo "==> creating $(VENV) and installing connect-api with its dependencies" \
	  "(first time only: about 1-2 minutes)"; $(PYTHON) -m venv $(VENV) && touch $(VENV)/.new; fi
	@$(BIN)/python -m pip install --disable-pip-version-check --quiet --upgrade pip
	@$(BIN)/python -m pip install --disable-pip-version-check --progress-bar off \
	  $$(test -f $(VENV)/.new || echo --quiet) -e '.[dev]'
	@rm -f $(VENV)/.new
	@echo "==> $(VENV) is ready"
	@touch $(STAMP)

run: $(STAMP) ## start the service on http://127.0.0.1:8000 (embedded PostgreSQL unless DATABASE_URL)
	@echo "==> starting connect-api (docs at /docs once it is up; Ctrl-C stops it)"
	$(BIN)/connect-api serve

test: $(STAMP) ## install, lint, type-check, check the layers, and run the whole test suite
	$(BIN)/ruff check src tests migrations bench clients/generate.py
	$(BIN)/ruff format --check src tests migrations bench clients/generate.py
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest

openapi: $(STAMP) ## rewrite openapi/openapi.json from the code
	$(BIN)/connect-api openapi -o openapi/openapi.json

# The typed clients (Python and TypeScript) from openapi/openapi.json; the TypeScript one needs
# node and npm, and runs `npm ci` in clients/typescript the first time.
clients: $(STAMP) ## regenerate clients/python and clients/typescript from openapi/openapi.json
	$(BIN)/python clients/generate.py

format: $(STAMP)
	$(BIN)/ruff format src tests migrations bench clients/generate.py
	$(BIN)/ruff check --fix src tests migrations bench clients/generate.py

bench: $(STAMP) ## run the benchmarks (prints figures; not part of `make test`)
	$(BIN)/python -m bench
	$(BIN)/python -m bench.relationships
	$(BIN)/python -m bench.export

# The load harness (not part of `make test`): seeds or reuses a 100,000-member network in
# .bench-scale/, serves it with `connect-api serve --workers 2` and measures it over HTTP.
# About 15 minutes after the first seed; BENCH_SCALE_QUICK=1 (or ARGS=--quick) for 2 minutes.
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

$(VENV)/.bench-installed: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@touch $@

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
