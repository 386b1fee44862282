# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA ?= var
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_EMAIL ?= demo@reelmint.local
DEMO_PASSWORD ?= reelmint-demo

.PHONY: demo test lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Runtime only: the demo needs no model extras.
$(VENV)/.installed-runtime: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

# Tests need the test tools and the model extras (torch is the CPU build on this machine's disk).
$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test,models]"
	touch $@ $(VENV)/.installed-runtime

demo: $(VENV)/.installed-runtime
	@mkdir -p $(DATA)
	@REELMINT_DATA_DIR=$(DATA) $(BIN)/reelmint migrate
	@REELMINT_DATA_DIR=$(DATA) $(BIN)/reelmint admin create-user $(DEMO_EMAIL) \
		--password $(DEMO_PASSWORD) --name Demo --exists-ok >/dev/null
	@echo
	@echo "  reelmint is starting on http://$(HOST):$(PORT)"
	@echo "  demo account: $(DEMO_EMAIL)  password: $(DEMO_PASSWORD)"
	@echo "  an API token: REELMINT_DATA_DIR=$(DATA) $(BIN)/reelmint admin create-token $(DEMO_EMAIL)"
	@echo "  (other admin commands that print links: add REELMINT_PUBLIC_URL=http://$(HOST):$(PORT))"
	@echo
	REELMINT_DATA_DIR=$(DATA) $(BIN)/reelmint up --host $(HOST) --port $(PORT) --workers 1

# The suite runs in PYTEST_WORKERS processes (pytest-xdist; 0: one process, for debugging).
# Two halve its time on a two-core machine; more helped no further there.
PYTEST_WORKERS ?= 2

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(VENV)/.installed-runtime
	$(BIN)/python bench/generate.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .ruff_cache
