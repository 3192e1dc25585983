# Two commands on a fresh machine: `make demo` (the main job) and `make test`;
# `make lint` checks style and the import contracts.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# The CPU wheel of torch==2.13.0 lies in /opt/wheels on these machines; pip's
# config usually points there already, this makes it explicit when it exists.
FIND_LINKS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(FIND_LINKS) -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/pixsmote demo

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

# ruff, then the import contracts between packages ([tool.importlinter] in
# pyproject.toml, explained in docs/architecture.md).
lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info
