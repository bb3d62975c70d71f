# Serverless Lab. `make run` serves the app with its lab cloud; `make test` runs every test.
PYTHON ?= $(shell command -v python3.12 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run serve test setup browser sandbox lint bench clean

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 12))' || \
		{ echo "Python 3.12+ is required (found $$($(PYTHON) --version))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

setup: $(VENV)/.installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py lab list > /dev/null
	$(PY) manage.py quiz load

run: setup
	$(PY) manage.py runserver $(HOST):$(PORT) --noreload

# A class server: the lab cloud, the task worker and the web app under granian (hosting/).
# Plain HTTP by default (SECURE_COOKIES=1 behind HTTPS); the secret key is generated into
# .lab/ at first start unless DJANGO_SECRET_KEY is set; DATABASE_URL for PostgreSQL;
# SHARDS=N runs the lab cloud as N shards.
serve: setup
	DJANGO_SETTINGS_MODULE=serverless_lab.settings.prod SECURE_COOKIES=$${SECURE_COOKIES:-0} \
		$(PY) manage.py serve --host $(HOST) --port $(PORT) $(if $(SHARDS),--shards $(SHARDS))

browser: $(VENV)/.installed
	@scripts/ensure-chromium.sh $(PY)

# Lambda handlers run inside bubblewrap; as root, Debian's package is installed if missing.
sandbox:
	@scripts/ensure-bubblewrap.sh

# Then what depends on the database again, against a throwaway PostgreSQL (skipped, saying
# why, where none can be started). TEST_WORKERS processes share the tests (pytest-xdist), a
# test file each at a time, so a module's once-deployed stack is deployed once.
TEST_WORKERS ?= 2
test: setup browser sandbox
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile
	scripts/with-postgres.sh $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile \
		$(wildcard tests/quizzes tests/accounts tests/hosting tests/classrooms tests/sandboxes \
		tests/lms tests/live) -m "not browser" -q

lint: $(VENV)/.installed
	$(PY) -m ruff check .

bench: setup
	$(PY) manage.py lab bench

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
