# Bofast: `make run` (demo on SQLite at http://127.0.0.1:5000) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := webapp

.PHONY: run test install lint bench soak translations lock

# Installs exactly the versions in requirements.lock (what CI tested), never "the newest".
$(BIN)/flask: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e '.[test]'
	touch $(BIN)/flask

install: $(BIN)/flask

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo
	BOFAST_INSECURE_COOKIES=1 BOFAST_BASE_URL=http://127.0.0.1:5000 \
	  $(BIN)/flask run --host 127.0.0.1 --port 5000

test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# Upgrading a dependency is a deliberate commit: edit pyproject.toml if needed, run `make lock`
# (re-resolves every pin; `make lock UPGRADE="-P flask"` upgrades one package), then `make test`.
lock:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --extra test --strip-extras --no-emit-index-url \
	  --no-emit-find-links --no-header $(UPGRADE) --output-file requirements.lock pyproject.toml

lint: install
	$(BIN)/ruff check .

# Swedish is the msgid; re-extract, merge into the English catalog, compile. Then translate the
# new (empty or fuzzy) entries in webapp/translations/en/LC_MESSAGES/messages.po and run it again.
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l --project=Bofast -w 100 \
	  -o webapp/translations/messages.pot .
	$(BIN)/pybabel update -i webapp/translations/messages.pot -d webapp/translations -w 100 \
	  --ignore-obsolete
	$(BIN)/pybabel compile -d webapp/translations --statistics

# Every benchmark against the bench PostgreSQL database (seed it first: bench/seed_bench.py).
bench: install
	$(BIN)/python bench/all.py
