# make run  — set up .venv, migrate, load the offline demo, serve http://127.0.0.1:5000
# make test — set up .venv (+ Chromium for browser tests when it can be installed) and run the suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint bench chromium clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

run: $(STAMP)
	PLANNER_DEBUG=1 $(BIN)/planner db upgrade
	PLANNER_DEBUG=1 $(BIN)/planner demo load
	PLANNER_DEBUG=1 $(BIN)/planner serve

# Browser tests drive Debian's Chromium; installed here when missing (root or sudo needed).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Chromium for the browser tests"; \
	  $(SUDO) apt-get install -y --no-install-recommends chromium >/dev/null 2>&1 || \
	  { $(SUDO) apt-get update >/dev/null 2>&1 && $(SUDO) apt-get install -y --no-install-recommends chromium >/dev/null 2>&1; } || \
	  echo "could not install Chromium: browser tests will be skipped (or fail under PLANNER_TEST_REQUIRE_SERVICES=1)"; }

test: $(STAMP) chromium
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check planner scrapers tests bench worker.py
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/contacts.py

clean:
	rm -rf $(VENV) instance .pytest_cache
