# One command per habit (CONVENTIONS 12). CI runs the same targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install chromium run demo test test-postgres lint format bench clean

$(BIN)/aftersales: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	@# --no-cache-dir: installing writes nothing in the home directory (pip's cache) either.
	$(BIN)/pip install --quiet --no-cache-dir --upgrade pip
	$(BIN)/pip install --quiet --no-cache-dir -e '.[test]'
	@# Train the assistant's intent model from the shipped corpus now, not on first use.
	$(BIN)/aftersales assistant train
	touch $@

install: $(BIN)/aftersales

# Browser tests drive Debian's chromium (never a downloaded browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }

## Install, migrate a SQLite database under ./var, load the demo marketplace (once) and serve.
## Everything it writes at run time stays in ./var (database, photos, gunicorn's socket).
run: install
	@echo "== Migrating the SQLite database in ./var"
	@$(BIN)/aftersales migrate --verbosity 0
	@test -f var/.demo-loaded || { \
	  echo "== Loading the demo marketplace (first run only): its accounts and API tokens follow"; \
	  $(BIN)/aftersales demo && touch var/.demo-loaded; }
	@echo "== Serving; stop with Ctrl-C (the data in ./var is kept for the next run)"
	@# Demo mode: the sign-in page lists the demo accounts and the development key is allowed.
	@AFTERSALES_DEMO=1 $(BIN)/aftersales serve --host $(HOST) --port $(PORT)

## The whole suite on SQLite.
test: install chromium
	$(BIN)/pytest -q -p no:cacheprovider

## The whole suite on PostgreSQL (DATABASE_URL must point at a server; pytest-django
## creates and drops its own test database).
test-postgres: install chromium
	$(BIN)/pytest -q -p no:cacheprovider

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: install
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: install
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
