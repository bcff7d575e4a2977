"""Every spiking mechanism runs unchanged on cpp_standalone and agrees with the numpy target.

The circuit is the one of the cython test (``conftest.py``); each experiment's own runs on
cpp_standalone are tested with the experiments (``test_backends.py``). Compiling the C++
project takes tens of seconds.
"""
import pytest

pytestmark = pytest.mark.standalone


def test_every_spiking_mechanism_runs_on_cpp_standalone_and_matches_numpy(every_spiking_mechanism, same_learning,
                                                                         tmp_path):
    native = every_spiking_mechanism("cpp_standalone", directory=tmp_path / "every")
    assert (tmp_path / "every" / "main").exists()  # a compiled binary ran, not the runtime
    same_learning(native, every_spiking_mechanism("numpy"))
