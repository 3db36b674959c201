# The README names two commands: `make demo` runs the product, `make test` runs every test.
# Both install what they need first, so they work on a fresh machine with only Python on it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export QBO_AGENT_TEST_PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export QBO_AGENT_CHROMIUM ?= /usr/bin/chromium

.PHONY: install demo test lint format typecheck bench system-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Debian's chromium for the browser tests; installed only when missing and only when we may (root).
system-deps:
	@if [ ! -x "$(QBO_AGENT_CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium for the browser tests"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null \
	      || echo "WARNING: chromium could not be installed; browser tests will be skipped"; \
	  else echo "WARNING: no chromium at $(QBO_AGENT_CHROMIUM); browser tests will be skipped"; fi; \
	fi

demo: install
	$(BIN)/qbo-agent serve --demo

test: install system-deps
	$(BIN)/python -m pytest -n 2 --dist loadgroup -p no:cacheprovider $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy domain integrations agent tools api cli demo

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
