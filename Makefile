# make run  — set up .venv, migrate, load the offline demo, serve http://127.0.0.1:5000
# make test — set up .venv (+ Chromium for browser tests when it can be installed) and run the suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint bench chromium wrk clean

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

# The calendar-feed tests also parse the served feed with ical.js (Mozilla's parser) under node.
JS := tests/js
$(JS)/node_modules/.installed: $(JS)/package.json $(JS)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  cd $(JS) && npm ci --silent --no-audit --no-fund && touch node_modules/.installed; \
	else echo "npm not found: the ical.js feed test will be skipped (or fail under PLANNER_TEST_REQUIRE_SERVICES=1)"; fi

# bench/feed.py loads the app with wrk; installed here when missing (root or sudo needed).
wrk:
	@command -v wrk >/dev/null 2>&1 || $(SUDO) apt-get install -y --no-install-recommends wrk >/dev/null 2>&1 || \
	  { $(SUDO) apt-get update >/dev/null 2>&1 && $(SUDO) apt-get install -y --no-install-recommends wrk >/dev/null 2>&1; } || \
	  echo "could not install wrk: bench/feed.py needs it"

test: $(STAMP) chromium $(JS)/node_modules/.installed
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check planner scrapers tests bench worker.py
	$(BIN)/mypy

bench: $(STAMP) wrk
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/pages.py
	$(BIN)/python bench/contacts.py
	$(BIN)/python bench/eval_matcher.py
	$(BIN)/python bench/rank.py
	$(BIN)/python bench/feed.py
	$(BIN)/python bench/digest.py

clean:
	rm -rf $(VENV) instance .pytest_cache
