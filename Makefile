# The two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wham

.PHONY: run test bench bench-quick load load-quick translations clean

# Translations: texts are pulled from code and templates into wham/translations/<lang>/.../messages.po
# by `make translations`; the compiled .mo files are built from the .po files and not kept in git.
CATALOGS := $(patsubst %.po,%.mo,$(wildcard wham/translations/*/LC_MESSAGES/messages.po))
BABEL_KEYWORDS := -k _l -k lazy_gettext -k lazy_ngettext:1,2

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "WHAM needs Python 3.11 or newer (found: $$($(PYTHON) --version))"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the dependency list changes, so a second `make run` starts at once.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

%/LC_MESSAGES/messages.mo: %/LC_MESSAGES/messages.po | $(VENV)/.installed
	$(BIN)/pybabel compile --statistics -i $< -o $@

# After adding or changing texts: update the catalogs, then translate the new entries in the .po.
translations: $(VENV)/.installed
	@pot=$$(mktemp --suffix=.pot); \
	$(BIN)/pybabel -q extract -F babel.cfg $(BABEL_KEYWORDS) --add-location=file --sort-by-file \
		--ignore-dirs=".*" \
		--no-wrap --project=WHAM -o $$pot . && \
	$(BIN)/pybabel update -i $$pot -d wham/translations --no-wrap --ignore-obsolete --ignore-pot-creation-date; \
	status=$$?; rm -f $$pot; exit $$status

run: $(VENV)/.installed $(CATALOGS)
	$(FLASK) db upgrade
	$(FLASK) demo
	@echo "WHAM is starting at http://127.0.0.1:5000  (Ctrl+C to stop)"
	@echo "Text messages are printed here by the scheduler (SMS_BACKEND=console)."
	@# The scheduler runs beside the web server and is stopped when the server stops.
	@SMS_BACKEND=console $(FLASK) scheduler & scheduler=$$!; \
	trap 'kill $$scheduler 2>/dev/null; wait $$scheduler 2>/dev/null' EXIT INT TERM; \
	SMS_BACKEND=console $(FLASK) run --host 127.0.0.1 --port 5000

test: $(VENV)/.installed-test $(CATALOGS)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Page speed at county scale on the local PostgreSQL (see bench/README.md); needs wrk.
bench: $(VENV)/.installed-test $(CATALOGS)
	$(BIN)/python bench/pages.py $(BENCH_ARGS)

bench-quick: $(VENV)/.installed-test $(CATALOGS)
	$(BIN)/python bench/pages.py --quick $(BENCH_ARGS)

# Check-ins and facilitator dashboards together for 5 minutes on gunicorn with 4 workers; fails
# on any error or lost check-in (see bench/README.md). Its own database, wham_load.
load: $(VENV)/.installed-test $(CATALOGS)
	$(BIN)/python bench/load.py $(LOAD_ARGS)

load-quick: $(VENV)/.installed-test $(CATALOGS)
	$(BIN)/python bench/load.py --quick $(LOAD_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
