# FITS Service Desk. `make help` lists the verbs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000

.DEFAULT_GOAL := help

help: ## List the verbs
	@grep -E '^[a-z-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11 or newer is needed"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP) ## Create or update .venv (quick when nothing changed)

run: install ## Migrate, load the demo the first time, and serve on http://127.0.0.1:8000 with a worker and beat
	$(BIN)/python manage.py migrate --no-input -v0
	$(BIN)/python manage.py setup_schedules
	@test -f var/.demo-loaded || { $(BIN)/python manage.py seed_demo && touch var/.demo-loaded; }
	@$(BIN)/python manage.py demo_banner --port $(PORT)
	PORT=$(PORT) $(BIN)/honcho -f Procfile.dev start

test: install ## Run the whole suite (PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set)
	$(BIN)/pytest -n 2 --dist loadfile

test-e2e: install ## Run only the browser tests (Debian chromium)
	$(BIN)/pytest -m e2e

bench: install ## Run the benchmarks in tests/perf (on demand, not part of `make test`)
	$(BIN)/pytest tests/perf -m perf -p no:xdist

lint: install ## ruff check and ruff format --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install ## Reformat the code with ruff
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: install ## Django system checks and the missing-migrations check
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

clean: ## Remove .venv and the local database (var/)
	rm -rf $(VENV) var

.PHONY: help install run test test-e2e bench lint format check clean
