# Civis Data — the two set-up commands are `make demo` and `make test`.
# Both create .venv with Python >= 3.12 and install the project from the pinned constraints.

SHELL := /bin/bash
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.civis-installed
CONSTRAINTS := requirements/constraints.txt
# The first interpreter found that is Python 3.12 or newer.
PYTHON ?= $(shell for p in python3.12 python3.13 python3.14 python3 python; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' \
	2>/dev/null && { echo $$p; break; }; done)

.PHONY: venv demo test lint bench clean

$(STAMP): pyproject.toml $(CONSTRAINTS)
	@if [ -z "$(PYTHON)" ]; then echo "Civis Data needs Python 3.12 or newer (python3.12 not found)." >&2; exit 1; fi
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c $(CONSTRAINTS) -e ".[dev]"
	@touch $@

venv: $(STAMP)

demo: venv
	@mkdir -p var
	CIVIS_DEBUG=1 $(BIN)/python manage.py migrate --noinput -v 0
	CIVIS_DEBUG=1 $(BIN)/python manage.py civis_demo
	CIVIS_DEBUG=1 $(BIN)/python manage.py civis_reindex
	@# What fell due while the demo was stopped; the worker below does the rest at its time.
	CIVIS_DEBUG=1 $(BIN)/python manage.py civis_publish_scheduled
	@echo ""
	@echo "Civis Data tourne sur http://127.0.0.1:$(PORT)/  (administration : http://127.0.0.1:$(PORT)/admin/)"
	@echo "Tâches de fond (extraction du texte, index, mises en ligne programmées et fins d'affichage) : var/worker.log. Arrêt : Ctrl+C"
	@CIVIS_DEBUG=1 $(BIN)/python manage.py db_worker --backend civis --no-startup-delay \
		> var/worker.log 2>&1 & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	CIVIS_DEBUG=1 $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# Two test processes (pytest-xdist), a test file each at a time: CI runs the suite twice (SQLite,
# then PostgreSQL) on 2 cores. TEST_WORKERS=0 runs everything in this process.
TEST_WORKERS ?= 2

test: venv
	@if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then \
		(cd tests/oidc && npm ci --no-audit --no-fund --loglevel=error); \
		(cd tests/browser/axe && npm ci --no-audit --no-fund --loglevel=error); \
	else echo "node/npm not found: the OIDC and axe-core tests will be skipped" >&2; fi
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# Search latency on SQLite and PostgreSQL against a naive baseline (BENCH_DOCS=20000 for a
# quick run; BENCH_DATABASES=sqlite without a PostgreSQL server). Writes bench/results.json.
bench: venv
	$(BIN)/python bench/run.py

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	CIVIS_DEBUG=1 $(BIN)/mypy civis core audit identity documents search opendata procedures elections bench
	$(BIN)/lint-imports
	CIVIS_DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
