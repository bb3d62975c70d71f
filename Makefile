# Serverless Lab. `make run` serves the app with its lab cloud; `make test` runs every test.
PYTHON ?= $(shell command -v python3.12 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup browser lint bench clean

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

browser: $(VENV)/.installed
	@scripts/ensure-chromium.sh $(PY)

test: setup browser
	$(PY) -m pytest

lint: $(VENV)/.installed
	$(PY) -m ruff check .

bench: setup
	$(PY) manage.py lab bench

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
