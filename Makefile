# The two commands of the README. Both set up everything they need on a fresh machine (a virtualenv in .venv).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)

.PHONY: run serve test lint bench

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-* && touch $@

# Run the whole service on the embedded default (SQLite file + embedded broker) with the demo data set.
run: $(STAMP)
	$(BIN)/sanctrack demo

# Serve on whatever SANCTRACK_DATABASE_URL / SANCTRACK_REDIS_URL say, without demo data.
serve: $(STAMP)
	$(BIN)/sanctrack serve

# The test suite: needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 (.ci/run starts them).
test: $(STAMP)
	$(BIN)/pytest -n 2 --dist loadgroup -q

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check app workers tests bench

bench: $(STAMP)
	$(BIN)/pip install --quiet -e ".[dev,bench]"
	$(BIN)/python bench/ingest.py && $(BIN)/python bench/matching.py && $(BIN)/python bench/webhooks.py
