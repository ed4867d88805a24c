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

.PHONY: venv demo serve test lint bench bench-scale polling-eval clean

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

# Production-like on the embedded default (SQLite, local files, database search), debug off:
# gunicorn (gunicorn.conf.py; WEB_CONCURRENCY workers, default 2 x cores + 1), the background
# worker and the scheduled-publication scheduler, all stopped by Ctrl+C. Serves what the
# database holds: DEMO=1 loads the demo first. The secret key and the field-encryption key are
# the environment's, else generated once into $(SERVE_VAR)/ (mode 600, never committed; a real
# deployment gives its own: without them the settings refuse to start).
SERVE_VAR := $(or $(CIVIS_VAR_DIR),var)
SERVE_ENV = CIVIS_DEBUG=0 \
	CIVIS_SECRET_KEY="$${CIVIS_SECRET_KEY:-$$(cat $(SERVE_VAR)/secret-key)}" \
	CIVIS_FIELD_ENCRYPTION_KEY="$${CIVIS_FIELD_ENCRYPTION_KEY:-$$(cat $(SERVE_VAR)/field-encryption-key)}" \
	CIVIS_ALLOWED_HOSTS="$${CIVIS_ALLOWED_HOSTS:-127.0.0.1,localhost,[::1]}" \
	CIVIS_BASE_URL="$${CIVIS_BASE_URL:-http://127.0.0.1:$(PORT)}" \
	CIVIS_SECURE_SSL_REDIRECT="$${CIVIS_SECURE_SSL_REDIRECT:-0}" \
	CIVIS_SECURE_COOKIES="$${CIVIS_SECURE_COOKIES:-0}" PORT=$(PORT)

serve: venv
	@mkdir -p $(SERVE_VAR)
	@umask 077; \
	if [ -z "$${CIVIS_SECRET_KEY:-}" ] && [ ! -s $(SERVE_VAR)/secret-key ]; then \
		$(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))' > $(SERVE_VAR)/secret-key; \
		echo "Clé secrète locale générée : $(SERVE_VAR)/secret-key (pour make serve seulement)"; fi; \
	if [ -z "$${CIVIS_FIELD_ENCRYPTION_KEY:-}" ] && [ ! -s $(SERVE_VAR)/field-encryption-key ]; then \
		$(BIN)/python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())' \
			> $(SERVE_VAR)/field-encryption-key; \
		echo "Clé de chiffrement locale générée : $(SERVE_VAR)/field-encryption-key (pour make serve seulement)"; fi
	@export $(SERVE_ENV); $(BIN)/python manage.py migrate --noinput -v 0
	@export $(SERVE_ENV); $(BIN)/python manage.py collectstatic --noinput -v 0
	@if [ -n "$(DEMO)" ]; then export $(SERVE_ENV); \
		$(BIN)/python manage.py civis_demo && $(BIN)/python manage.py civis_reindex; fi
	@echo ""
	@echo "Civis Data (production locale, debug désactivé) : http://127.0.0.1:$(PORT)/  santé : http://127.0.0.1:$(PORT)/sante/"
	@echo "Données : celles de la base (DATABASE_URL, sinon $(SERVE_VAR)/civis.sqlite3) ; make serve DEMO=1 charge d'abord la démo."
	@echo "Worker : $(SERVE_VAR)/worker.log, planificateur : $(SERVE_VAR)/scheduler.log. Arrêt : Ctrl+C"
	@export $(SERVE_ENV); \
	$(BIN)/python manage.py db_worker --backend civis --no-startup-delay > $(SERVE_VAR)/worker.log 2>&1 & worker=$$!; \
	$(BIN)/python manage.py civis_scheduler > $(SERVE_VAR)/scheduler.log 2>&1 & scheduler=$$!; \
	trap 'kill $$worker $$scheduler 2>/dev/null; wait $$worker $$scheduler 2>/dev/null' EXIT; \
	trap 'exit 130' INT TERM; \
	$(BIN)/gunicorn --config gunicorn.conf.py civis.wsgi

# Two test processes (pytest-xdist), a test file each at a time: CI runs the suite twice (SQLite,
# then PostgreSQL) on 2 cores. TEST_WORKERS=0 runs everything in this process.
TEST_WORKERS ?= 2

test: venv
	@if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then \
		(cd tests/oidc && npm ci --no-audit --no-fund --loglevel=error); \
		(cd tests/browser/axe && npm ci --no-audit --no-fund --loglevel=error); \
	else echo "node/npm not found: the OIDC and axe-core tests will be skipped" >&2; fi
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# Every suite (bench/run.py): search per persona on SQLite and PostgreSQL with its peers
# (the untrimmed limit, Wagtail's search, django-guardian), the HTTP load, election night,
# « Où voter ? », relevance. BENCH_DOCS=20000 for a quick run; BENCH_DATABASES=sqlite
# without a PostgreSQL server. Writes bench/results.json and prints the tables.
bench: venv
	$(BIN)/python bench/run.py

# A million documents on PostgreSQL (its own database, beside the 100k one): search per
# persona, index build, size per document, then the HTTP load and the processes' memory; the
# growth over the 100k figures of bench/results.json is printed (naive way and peers off:
# they take minutes a query at that size). About 16 minutes on 2 cores.
bench-scale: venv
	BENCH_DOCS=1000000 BENCH_SUITES=search,http BENCH_DATABASES=postgresql BENCH_PEERS=0 \
	BENCH_NAIVE_REPEAT=0 BENCH_PG_URL=$${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/civis_bench_1m} \
	$(BIN)/python bench/run.py

# « Où voter ? » alone: accuracy and latency of the polling-station lookup on the shared
# Val-de-Marne ground truth (bench/polling_eval.py, SQLite). Writes bench/results.json.
polling-eval: venv
	BENCH_SUITES=polling $(BIN)/python bench/run.py

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	CIVIS_DEBUG=1 $(BIN)/mypy civis core audit identity documents search opendata procedures elections polling bench
	$(BIN)/lint-imports
	CIVIS_DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
