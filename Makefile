# Two commands do all set-up on a fresh machine with Python 3.11+:
#   make run   - index the bundled policy and start tepai
#   make test  - the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: run test bench lock clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("tepai needs Python 3.11+") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)

# Runtime dependencies only.
$(VENV)/.installed-run: pyproject.toml requirements.lock | $(BIN)/python
	$(PIP) install -c requirements.lock -e .
	touch $@

# Runtime + sentence-transformers extra (CPU torch) + test tools.
$(VENV)/.installed-test: pyproject.toml requirements.lock | $(BIN)/python
	$(PIP) install -c requirements.lock -e '.[st,dev]'
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/tepai run

test: $(VENV)/.installed-test
	HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: $(VENV)/.installed-test
	HF_HUB_OFFLINE=1 $(BIN)/python benchmarks/retrieval.py
	HF_HUB_OFFLINE=1 $(BIN)/python benchmarks/scale.py

# Re-pin every transitive dependency after changing pyproject.toml.
lock: $(VENV)/.installed-test
	$(PIP) freeze --exclude-editable | grep -v '^-e' > requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache
