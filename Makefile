# The two everyday commands:
#   make run   install everything, create the database with demo data, serve on 127.0.0.1:5000
#   make test  install everything and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export FLASK_APP := app

.PHONY: run test install install-test translations lint browser-deps bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .
	$(MAKE) --no-print-directory translations

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	$(MAKE) --no-print-directory translations

translations:
	$(BIN)/pybabel compile --statistics -d app/translations 2>&1 | tail -n 3

run: install
	$(BIN)/python tools/instance_config.py instance/config.py
	FLASK_ENVIRONMENT=development $(BIN)/flask --app app init-db
	FLASK_ENVIRONMENT=development $(BIN)/flask --app app seed-demo
	FLASK_ENVIRONMENT=development $(BIN)/flask --app app run --host 127.0.0.1 --port 5000

test: install-test
	$(BIN)/python -m pytest -q -n 2

# Every benchmark (tests/benchmarks), then one table of their figures, baselines and targets.
bench: install-test
	$(BIN)/python tools/bench.py

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Extract new strings into the catalogue template and merge them into each language.
messages:
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -w 100 -o app/translations/messages.pot .
	$(BIN)/pybabel update -w 100 -i app/translations/messages.pot -d app/translations
