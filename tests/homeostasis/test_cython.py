"""The mechanisms compile on Brian2's cython target and compute what the numpy target computes.

One small E/I circuit with every spiking mechanism learning (``conftest.py``), built with
explicit connectivity and initial values (the targets draw random connections differently),
runs on both targets. Compiling takes tens of seconds the first time; the cache makes later
runs fast.
"""
import pytest

pytestmark = pytest.mark.compiled


@pytest.mark.first
def test_every_spiking_mechanism_compiles_on_cython_and_matches_numpy(every_spiking_mechanism, same_learning):
    # iSTDP writes w where the global gain's w_eff reads it (the I->E pathway): cython once
    # compiled that code object on numpy instead, and its spikes differed from the numpy target's
    runtime = every_spiking_mechanism("numpy")
    compiled = every_spiking_mechanism("cython")
    assert runtime["codeobjects"] == {"NumpyCodeObject"} and compiled["codeobjects"] == {"CythonCodeObject"}
    same_learning(compiled, runtime)
