# Solidarity: `make run` serves the demo on http://127.0.0.1:8000, `make test` runs the suite.
#
# make test runs ruff, then pytest on SQLite, then, when TEST_DATABASE_URL or DATABASE_URL
# names a PostgreSQL database, pytest again on it. Each pytest pass gets a fresh temporary
# SOLIDARITY_DATA_DIR and the cheap test KDF. REQUIRE_ALL=1 (CI) also fails when the
# PostgreSQL pass cannot run. Every step runs even if an earlier one fails; the exit status is
# non-zero if any failed. PYTEST_ARGS passes options through, e.g. PYTEST_ARGS="-x -k vault".

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
TEST_KDF := fast-insecure-for-tests
# Hides the password of a database URL in what we print.
MASK_URL := sed -E 's|(://[^:/@]*):[^@]*@|\1:***@|'

.PHONY: help venv install messages run lint test test-sqlite test-postgres lock clean

help:
	@echo "make run      install, create the demo organisation in ./data, serve on http://$(HOST):$(PORT)"
	@echo "make test     ruff, pytest on SQLite, then on PostgreSQL if DATABASE_URL is set"
	@echo "make install  create $(VENV) from requirements.lock (also: make venv)"
	@echo "make lock     regenerate requirements.lock (needs uv: pip install uv)"
	@echo "make clean    remove $(VENV) and caches (keeps ./data)"

venv: install

install: $(STAMP) messages node_modules/.package-lock.json

# axe-core for the browser tests' accessibility checks, as package-lock.json pins it. Re-runs
# only when the lock changes. Without npm those checks skip (and fail under REQUIRE_ALL=1).
node_modules/.package-lock.json: package.json package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --no-audit --no-fund; \
	else \
		echo "npm not found (apt-get install npm): the axe-core checks in solidarity/e2e will skip"; \
	fi

# Re-runs only when the lock or the project metadata change.
$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/pip install --disable-pip-version-check --no-deps -e .
	touch $@

# The .mo files are committed, so a machine without gettext still works. Django skips .po files
# whose .mo is newer. A throwaway data dir keeps the settings from creating ./data.
messages: $(STAMP)
	@if command -v msgfmt >/dev/null; then \
		d=$$(mktemp -d); trap 'rm -rf "$$d"' EXIT; \
		SOLIDARITY_DATA_DIR="$$d" $(BIN)/python -m solidarity compilemessages --ignore=$(VENV); \
	else \
		echo "msgfmt not found (apt-get install gettext): using the committed .mo files"; \
	fi

# `demo` migrates, creates the demo organisation once and prints the demo logins.
run: install
	$(BIN)/solidarity demo
	$(BIN)/solidarity serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: install
	@failed=""; \
	$(MAKE) --no-print-directory lint || failed="$$failed lint"; \
	$(MAKE) --no-print-directory test-sqlite || failed="$$failed pytest-sqlite"; \
	if [ -n "$${TEST_DATABASE_URL:-$${DATABASE_URL:-}}" ]; then \
		$(MAKE) --no-print-directory test-postgres || failed="$$failed pytest-postgresql"; \
	elif [ "$${REQUIRE_ALL:-}" = 1 ]; then \
		echo "REQUIRE_ALL=1 but neither TEST_DATABASE_URL nor DATABASE_URL is set"; \
		failed="$$failed pytest-postgresql(not-run)"; \
	else \
		echo "==> PostgreSQL pass skipped: set DATABASE_URL=postgresql://... to run it"; \
	fi; \
	if [ -n "$$failed" ]; then echo "==> make test FAILED:$$failed"; exit 1; fi; \
	echo "==> make test passed"

# SQLite: DATABASE_URL is removed; tests that need PostgreSQL are left to the next pass.
test-sqlite: $(STAMP)
	@d=$$(mktemp -d -t solidarity-test.XXXXXX); trap 'rm -rf "$$d"' EXIT; \
	echo "==> pytest pass: SQLite (in-memory test database), SOLIDARITY_DATA_DIR=$$d"; \
	env -u DATABASE_URL -u TEST_DATABASE_URL SOLIDARITY_TEST_DB=sqlite \
		SOLIDARITY_DATA_DIR="$$d" SOLIDARITY_KDF=$(TEST_KDF) $(BIN)/pytest $(PYTEST_ARGS)

# PostgreSQL: TEST_DATABASE_URL wins over DATABASE_URL; pytest-django creates test_<name>.
test-postgres: $(STAMP)
	@url="$${TEST_DATABASE_URL:-$${DATABASE_URL:-}}"; \
	if [ -z "$$url" ]; then echo "set TEST_DATABASE_URL or DATABASE_URL"; exit 2; fi; \
	d=$$(mktemp -d -t solidarity-test.XXXXXX); trap 'rm -rf "$$d"' EXIT; \
	echo "==> pytest pass: PostgreSQL $$(echo "$$url" | $(MASK_URL)), SOLIDARITY_DATA_DIR=$$d"; \
	env -u TEST_DATABASE_URL DATABASE_URL="$$url" SOLIDARITY_TEST_DB=postgresql \
		SOLIDARITY_DATA_DIR="$$d" SOLIDARITY_KDF=$(TEST_KDF) $(BIN)/pytest $(PYTEST_ARGS)

# Needs uv (pip install uv). LOCK_ARGS passes options through, e.g. LOCK_ARGS=--upgrade.
lock:
	@command -v uv >/dev/null || { echo "make lock needs uv: pip install uv"; exit 1; }
	uv pip compile pyproject.toml --extra test --generate-hashes --python-version 3.11 \
		-o requirements.lock $(LOCK_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .hypothesis artifacts node_modules
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
