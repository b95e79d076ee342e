# FITS Service Desk. `make help` lists the verbs.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

# The first Python 3.11+ on PATH; choose another with `make run PYTHON=/path/to/python3.12`.
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.11; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
STAMP := $(VENV)/.installed
PORT ?= 8000
# Extra pytest arguments, e.g. `make test ARGS="-k incidents -x"`.
ARGS ?=
# On another port, links in e-mails should point there too (unless FITS_BASE_URL says otherwise).
RUN_ENV := $(if $(filter-out 8000,$(PORT)),$(if $(FITS_BASE_URL),,FITS_BASE_URL=http://127.0.0.1:$(PORT)))

# `make run` loads the demo when the database has nobody in it yet: that is "the first time",
# wherever FITS_VAR_DIR or DATABASE_URL point, and it never adds demo logins to a database
# that already has people.
DATABASE_IS_EMPTY := import sys; from django.contrib.auth import get_user_model; \
	sys.exit(0 if get_user_model().objects.exists() else 10)

.DEFAULT_GOAL := help

help: ## List the verbs
	@grep -E '^[a-z0-9-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is needed: install it, or run make PYTHON=/path/to/python3.11"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "$(PYTHON) is older than 3.11: run make PYTHON=/path/to/python3.11 (or newer)"; exit 1; }
	@if [ ! -x $(BIN)/python ]; then \
		$(PYTHON) -c 'import ensurepip' 2>/dev/null \
			|| { echo "$(PYTHON) cannot create a virtualenv (no ensurepip): on Debian or Ubuntu, apt-get install python3-venv"; exit 1; }; \
		echo "Creating $(VENV) with $$($(PYTHON) --version)"; \
		$(PYTHON) -m venv --clear $(VENV) || { rm -rf $(VENV); exit 1; }; \
	fi
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP) ## Create or update .venv (instant when pyproject.toml has not changed)
	@:

run: install ## Migrate, load the demo the first time, serve http://127.0.0.1:8000 with a worker and beat
	$(MANAGE) migrate --no-input -v0
	$(MANAGE) setup_schedules
	@status=0; $(MANAGE) shell -v0 -c "$(DATABASE_IS_EMPTY)" || status=$$?; \
	if [ $$status -eq 10 ]; then echo "First start: loading the demo (manage.py seed_demo)"; $(MANAGE) seed_demo; \
	elif [ $$status -ne 0 ]; then exit $$status; fi
	@$(MANAGE) demo_banner --port $(PORT)
	PORT=$(PORT) $(RUN_ENV) $(BIN)/honcho -f Procfile.dev -e /dev/null start

demo: install ## Load the demo data now (idempotent; resets the demo logins' passwords)
	$(MANAGE) migrate --no-input -v0
	$(MANAGE) seed_demo

test: install ## Run the whole suite (PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set)
	$(BIN)/pytest -n 2 --dist loadgroup -m "not perf" $(ARGS)

test-e2e: install ## Run only the browser tests (Debian chromium)
	$(BIN)/pytest -m e2e $(ARGS)

fuzz: install ## Fuzz the whole API with schemathesis, longer than the suite does (FITS_FUZZ_EXAMPLES, default 25)
	FITS_FUZZ_EXAMPLES=$${FITS_FUZZ_EXAMPLES:-25} $(BIN)/pytest tests/security/test_api_fuzz.py -p no:xdist $(ARGS)

bench: install ## Run the benchmarks in tests/perf (on demand; FITS_SCALE_DB=<db> for a seed_scale database)
	$(BIN)/pytest tests/perf -m perf -p no:xdist -s $(ARGS)

load: install ## Mixed load against gunicorn: 40 users, 90 % reads, 2 minutes (USERS=, MINUTES=; DATABASE_URL)
	$(BIN)/python -m tests.perf.load --users $${USERS:-40} --minutes $${MINUTES:-2} $(ARGS)

soak: install ## The 30-minute soak: error rate, memory growth, latency drift (USERS=, MINUTES=; DATABASE_URL)
	$(BIN)/python -m tests.perf.load --soak --users $${USERS:-40} --minutes $${MINUTES:-30} $(ARGS)

lint: install ## ruff check and ruff format --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install ## Reformat the code with ruff
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

check: install ## Django system checks, the missing-migrations check and the compose file's schema
	$(MANAGE) check
	$(MANAGE) makemigrations --check --dry-run
	$(BIN)/check-jsonschema --builtin-schema vendor.compose-spec docker-compose.yml

clean: ## Remove .venv and the local database, broker and uploads (var/)
	rm -rf $(VENV) var

.PHONY: help install run demo test test-e2e bench fuzz load soak lint format check clean
