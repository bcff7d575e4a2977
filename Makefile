# Every target creates .venv itself, so each is a single command on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DOCS_STAMP := $(VENV)/.installed-docs
# One thread per process: the numpy MLP and Brian2 are faster without BLAS oversubscription on 2 cores.
export OMP_NUM_THREADS ?= 1
export OPENBLAS_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1
export MPLBACKEND ?= Agg

.PHONY: install figures test test-all test-slow test-py313 versions bench docs clean

# The newest Python CI tests: pyenv's 3.13 if there is one, else python3.13 on the PATH.
PYTHON313 ?= $(firstword $(wildcard $(HOME)/.pyenv/versions/3.13*/bin/python) $(shell command -v python3.13 2>/dev/null))
VENV313   := .venv-3.13
STAMP313  := $(VENV313)/.installed
# What a run tested, printed first: the interpreter and the Brian2 and numpy it resolved.
SHOW_VERSIONS := -c "import sys, brian2, numpy; print(f'Python {sys.version.split()[0]}, Brian2 {brian2.__version__}, numpy {numpy.__version__} ({sys.executable})')"

# PyTorch for homeostasis.torch, its tests and its gallery example: pinned to the release whose
# CPU wheel (+cpu, Python 3.11) these machines hold, so pip never pulls a multi-GB CUDA build.
# About 30 s of make install. TORCH= (empty) leaves it out: the torch tests then skip.
TORCH ?= torch==2.13.0

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]' $(if $(TORCH),'$(TORCH)')
	touch $(STAMP)

# Sphinx, its theme and the gallery: only `make docs` needs them, so `make test` skips their install.
$(DOCS_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[docs]'
	touch $(DOCS_STAMP)

install: $(STAMP)

figures: $(STAMP)
	$(BIN)/homeostasis figures --quick --out results

versions: $(STAMP)
	@$(BIN)/python $(SHOW_VERSIONS)

# The fast suite (slow tests excluded by setup.cfg's addopts).
test: $(STAMP)
	@$(BIN)/python $(SHOW_VERSIONS)
	$(BIN)/python -m pytest -q -n 2 --durations=15

# Everything, the slow science checks included.
test-all: $(STAMP)
	@$(BIN)/python $(SHOW_VERSIONS)
	$(BIN)/python -m pytest -q -n 2 --durations=15 -m ""

# Only the slow tests: with `make test`, what `make test-all` runs (.ci/run runs the two).
test-slow: $(STAMP)
	@$(BIN)/python $(SHOW_VERSIONS)
	$(BIN)/python -m pytest -q -n 2 --durations=15 -m slow

$(STAMP313): setup.cfg pyproject.toml
	@if [ -z "$(PYTHON313)" ] || ! [ -x "$(PYTHON313)" ]; then \
	  echo "make test-py313: no Python 3.13 found (looked in $(HOME)/.pyenv/versions/3.13*/ and for python3.13 on PATH);" \
	       "install one (pyenv install 3.13) or pass PYTHON313=/path/to/python3.13" >&2; exit 1; fi
	$(PYTHON313) -m venv $(VENV313)
	$(VENV313)/bin/python -m pip install --quiet --upgrade pip
	$(VENV313)/bin/python -m pip install --quiet -e '.[test]'
	touch $(STAMP313)

# On the newest Python, with the Brian2 and numpy it resolves, in its own venv: the tests of
# what differs between Brian2 releases (models and mechanisms on numpy, the cpp_standalone path
# and its compatibility module, Ctrl+C, imports, docstrings) and the numpy-only ANN engine.
# The long science checks run on Python 3.11 (make test), to keep .ci/run within 30 minutes.
PY313_TESTS ?= tests/models tests/simulations/test_standalone_cache.py tests/simulations/test_backends.py \
	tests/simulations/test_interrupt.py tests/test_brian2_private_names.py tests/test_docstring_examples.py \
	tests/docs tests/ann tests/packaging tests/torch \
	--ignore=tests/models/test_hebbian.py --ignore=tests/models/test_hebbian_triplet.py
test-py313: $(STAMP313)
	@$(VENV313)/bin/python $(SHOW_VERSIONS)
	$(VENV313)/bin/python -m pytest -q -n 2 --durations=15 -m "not slow and not compiled" $(PY313_TESTS)

bench: $(STAMP)
	$(BIN)/python -m benchmarks

# Runs every script in examples/ (the gallery), then fails if any page loads from the network.
docs: $(DOCS_STAMP)
	$(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html
	$(BIN)/python docs/_check_offline.py docs/_build/html

clean:
	rm -rf $(VENV) $(VENV313) results docs/_build
