# Every target creates .venv itself, so each is a single command on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# One thread per process: the numpy MLP and Brian2 are faster without BLAS oversubscription on 2 cores.
export OMP_NUM_THREADS ?= 1
export OPENBLAS_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1
export MPLBACKEND ?= Agg

.PHONY: install figures test test-all bench docs clean

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,docs]'
	touch $(STAMP)

install: $(STAMP)

figures: $(STAMP)
	$(BIN)/homeostasis figures --quick --out results

test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --durations=15

test-all: $(STAMP)
	$(BIN)/python -m pytest -q -m ""

bench: $(STAMP)
	$(BIN)/python -m benchmarks

# Runs every script in examples/ (the gallery), then fails if any page loads from the network.
docs: $(STAMP)
	$(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html
	$(BIN)/python docs/_check_offline.py docs/_build/html

clean:
	rm -rf $(VENV) results docs/_build
