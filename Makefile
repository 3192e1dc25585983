# Two commands on a fresh machine: `make demo` (the main job) and `make test`;
# `make lint` checks style and the import contracts.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# The CPU wheel of torch==2.13.0 lies in /opt/wheels on these machines; pip's
# config usually points there already, this makes it explicit when it exists.
FIND_LINKS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)
STAMP := $(VENV)/.installed
# pyproject.toml gives compatible ranges (what a user's pip resolves against
# their environment); this file pins the exact environment make and CI test.
CONSTRAINTS := requirements/constraints.txt
LOCK_VENV := .venv-lock

.PHONY: demo test lint typecheck lock bench clean

$(STAMP): pyproject.toml $(CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(FIND_LINKS) -c $(CONSTRAINTS) -e '.[all,dev]'
	$(BIN)/python -m pip check
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/pixsmote demo

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

# ruff, then the import contracts between packages ([tool.importlinter] in
# pyproject.toml, explained in docs/architecture.md).
lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

# Re-resolve pixsmote[all,dev] from the ranges in pyproject.toml into a scratch
# venv and write what it installed as the new constraints (header kept).
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/python -m pip install --quiet $(FIND_LINKS) -e '.[all,dev]'
	{ grep '^#' $(CONSTRAINTS); $(LOCK_VENV)/bin/python -m pip freeze \
		--exclude-editable | grep -vi '^pixsmote' | sed 's/+cpu$$//'; } > $(CONSTRAINTS).new
	mv $(CONSTRAINTS).new $(CONSTRAINTS)
	rm -rf $(LOCK_VENV)

clean:
	rm -rf $(VENV) $(LOCK_VENV) build *.egg-info src/*.egg-info
