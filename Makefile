# Two commands for a newcomer: `make run` (the whole stack with demo data) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: run serve load test browser eval bench audit backup restore install install-test migrate seed messages check clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements-test.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -r requirements-test.txt
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py load_seeds

## make run: install, migrate, load the demo pledges, create the demo login, start web + worker + beat.
run: seed
	$(PY) manage.py ensure_demo_user
	@echo
	@echo "  Open  http://127.0.0.1:8000/  (pages)  and  /admin/  (record progress);  log in as  demo / demo-pledges-2026"
	@echo
	$(PY) manage.py runstack

## make serve: production serving on one host: migrations applied, static files collected (whitenoise serves them),
## then gunicorn (WEB_CONCURRENCY workers, default 2 x cores + 1, on TRACKER_ADDR, default 127.0.0.1:8000), a Celery
## worker and beat, DEBUG off; Ctrl-C stops them in order. README.md "Running in production" for the rest.
serve: install
	DEBUG=0 $(PY) manage.py migrate --noinput
	DEBUG=0 WHITENOISE_USE_FINDERS=0 $(PY) manage.py collectstatic --noinput -v0
	DEBUG=0 WHITENOISE_USE_FINDERS=0 CONN_MAX_AGE=$${CONN_MAX_AGE:-60} $(PY) manage.py runstack --production --no-initial-sweep

## make load: many users at once against make serve on 127.0.0.1 (locust, headless, bounded); bench/README.md.
load: install-test
	$(PY) bench/load.py $(LOAD_ARGS)

## make test: install the test dependencies and run the whole suite (SQLite unless DATABASE_URL is set).
test: install-test browser
	$(PY) -m pytest $(PYTEST_ARGS)

## The browser tests drive Debian's Chromium (Playwright cannot download its own here); CJK font for screenshots and
## the bulletins; Pango for WeasyPrint's PDF, poppler-utils (pdftotext, pdftoppm) to read and render it.
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null; } \
		|| echo "Could not install chromium (needs root and Debian's packages): the browser tests will be skipped."
	@# The bulletins' PDF (WeasyPrint needs Pango) and the tests that read it back and render pages (poppler-utils).
	@{ dpkg -s libpango-1.0-0 libpangoft2-1.0-0 poppler-utils fonts-wqy-zenhei >/dev/null 2>&1; } || { apt-get update -qq && \
		apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 poppler-utils fonts-wqy-zenhei >/dev/null; } \
		|| echo "Could not install Pango and poppler-utils: the bulletins' PDF cannot be made."

## make eval: precision, recall and F1 of the pledge extractor on the labelled seed documents, and its speed.
eval: install
	$(PY) bench/eval_extraction.py

## make bench: the benchmarks at scale (PostgreSQL at DATABASE_URL, default the local one; see bench/README.md).
bench: install-test
	$(PY) bench/run.py $(BENCH_ARGS)

## make mutate: mutation testing of the status engine (commitments/status.py) against its own tests, with mutmut; fails
## below 90% of the mutants detected (killed or timed out). Not part of `make test`: a run takes minutes. docs/mutation.md.
.PHONY: mutate
mutate: install-test
	rm -rf mutants
	$(VENV)/bin/mutmut run
	$(VENV)/bin/mutmut export-cicd-stats
	$(PY) -c 'import json, sys; s = json.load(open("mutants/mutmut-cicd-stats.json")); t = s["total"]; \
		d = s["killed"] + s["timeout"]; print("mutation score: %d of %d mutants detected (%.1f%%)" % (d, t, 100 * d / t)); \
		sys.exit(d < 0.9 * t)'

## make audit: the packages requirements.txt installs, checked by pip-audit against published advisories
## (pip-audit lives in its own virtualenv so that its own dependencies are not audited as ours).
AUDIT_VENV := .venv-audit
$(AUDIT_VENV)/bin/pip-audit:
	$(PYTHON) -m venv $(AUDIT_VENV)
	$(AUDIT_VENV)/bin/python -m pip install --quiet pip-audit==2.10.1

audit: install $(AUDIT_VENV)/bin/pip-audit
	$(PY) .ci/audit.py --pip-audit $(AUDIT_VENV)/bin/pip-audit

## make backup: every table and uploaded file to var/backups/tracker-<time>.tar.gz; make restore FILE=…: put one back.
backup: install
	$(PY) manage.py backup

restore: install
	@test -n "$(FILE)" || { echo "usage: make restore FILE=var/backups/tracker-….tar.gz"; exit 2; }
	$(PY) manage.py restore "$(FILE)"

## make messages: refresh and compile the translation catalogues (needs GNU gettext).
messages: install
	$(PY) manage.py makemessages --locale zh_Hans --ignore ".venv/*" --no-obsolete
	$(PY) manage.py compilemessages --locale zh_Hans --ignore ".venv/*"

check: install
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) $(AUDIT_VENV) var .pytest_cache .hypothesis mutants
