# Two commands do all set-up on a fresh machine with Python 3.11+:
#   make run   - index the bundled policy and start tepai
#   make test  - the fast tests (everything but the heavy ones)
#   make test-heavy - only the heavy tests; make test-all - everything
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: run test test-heavy test-all bench lock clean

# Keep compiled bytecode (__pycache__, ignored by git) even where the environment turns it off:
# otherwise every test worker and every `tepai` subprocess compiles the whole project again.
unexport PYTHONDONTWRITEBYTECODE

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

TEST := HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 $(BIN)/python -m pytest -q

# Fast: no kill -9, no second process, no Chroma server, no sentence-transformers. Three
# workers on two cores: most tests wait on a bot's reply, not on the CPU (TEST_WORKERS=0: one process).
TEST_WORKERS ?= 3
test: $(VENV)/.installed-test
	$(TEST) -m "not heavy" -n $(TEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

test-heavy: $(VENV)/.installed-test
	$(TEST) -m heavy $(PYTEST_ARGS)

test-all: $(VENV)/.installed-test
	$(TEST) $(PYTEST_ARGS)

bench: $(VENV)/.installed-test
	HF_HUB_OFFLINE=1 $(BIN)/python benchmarks/retrieval.py
	HF_HUB_OFFLINE=1 $(BIN)/python benchmarks/scale.py

# Re-pin every transitive dependency after changing pyproject.toml.
lock: $(VENV)/.installed-test
	$(PIP) freeze --exclude-editable | grep -v '^-e' > requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache
