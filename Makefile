# Fresh-machine entry points: `make demo` (set up, then brief the example article) and
# `make test` (set up, then run the test suite). Both create .venv on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
TORCH ?= 2.13.0
# Elsewhere, TORCH_INDEX=https://download.pytorch.org/whl/cpu keeps pip off the CUDA build.
TORCH_INDEX ?=
ARTICLE ?= examples/paris-coalition-meeting.txt
LANG_OUT ?= fr

.PHONY: setup demo test test-threads lint bench clean constraints

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	@# Without a GPU, install the CPU build of torch first: a loose requirement would pull CUDA.
	@if ! command -v nvidia-smi >/dev/null 2>&1 && ! $(BIN)/python -c "import torch" 2>/dev/null; then \
		$(BIN)/pip install -q torch==$(TORCH) $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX)); fi
	@# constraints.txt pins every package to the version the suite passed with.
	$(BIN)/pip install -q -c constraints.txt -e '.[test]'
	@touch $@

demo: setup
	$(BIN)/briefer summarize $(ARTICLE) --lang $(LANG_OUT)

test: setup
	$(BIN)/python -m pytest

# `make test` runs one thread; this reruns every test that compares model outputs with two, to
# prove no comparison depends on how a matrix product is split between threads.
test-threads: setup
	BRIEFER_TEST_THREADS=2 $(BIN)/python -m pytest -q -m differential

lint: setup
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports

bench: setup
	$(BIN)/python benchmarks/run.py

# Rewrite constraints.txt from the current venv (run after the suite passes on new dependencies).
constraints: setup
	@{ sed -n '1,3p' constraints.txt; $(BIN)/pip freeze --exclude-editable | grep -iv '^torch==\|^nvidia\|^triton'; } > constraints.txt.new
	mv constraints.txt.new constraints.txt

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache
