# Two commands on a fresh clone: `make run` and `make test` (each installs what it needs first).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run test check lint typecheck bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python run_bot.py

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check bot tests bench tools run_bot.py
	$(BIN)/ruff format --check bot tests bench tools run_bot.py

typecheck: $(STAMP)
	$(BIN)/mypy bot

check: lint typecheck test

bench: $(STAMP)
	$(BIN)/python bench/bench_match.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
