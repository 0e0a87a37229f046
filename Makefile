# Two entry points for a fresh machine: `make demo` and `make test`. Both build .venv first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint-code setup pg15 bench clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# PostgreSQL 15 server binaries (Debian's postgresql-15) so lock behaviour is checked on a second
# major. Best effort: skipped without apt or root; tests then say PG 15 is skipped and why.
pg15:
	@if [ -x /usr/lib/postgresql/15/bin/postgres ]; then echo "PostgreSQL 15 binaries present"; \
	elif command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 >/dev/null \
	   && echo "installed postgresql-15") || echo "could not install postgresql-15: PG 15 tests will be skipped"; \
	else echo "no PostgreSQL 15 binaries and no apt as root: PG 15 tests will be skipped"; fi

demo: $(STAMP)
	$(BIN)/pgwarden demo

test: $(STAMP) pg15
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy --strict src/pgwarden
	$(BIN)/pytest -n 2 -q

bench: $(STAMP)
	$(BIN)/python bench/lint_corpus.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
