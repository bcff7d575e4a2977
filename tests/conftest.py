"""Shared test settings: Brian2 on the numpy target, quiet logs, headless matplotlib."""
import os

os.environ.setdefault("MPLBACKEND", "Agg")
# compiled cpp_standalone projects go to a cache of this test run, not the user's
# (~/.cache/homeostasis): a test never reuses a binary it did not build in this run
if "HOMEOSTASIS_CACHE_DIR" not in os.environ:
    import tempfile

    os.environ["HOMEOSTASIS_CACHE_DIR"] = tempfile.mkdtemp(prefix="homeostasis_test_cache_")

import pytest  # noqa: E402


def pytest_collection_modifyitems(config, items):
    # the longest tests start first: started last, one of them kept a worker busy minutes
    # after the other had finished
    items.sort(key=lambda item: item.get_closest_marker("first") is None)


@pytest.fixture(autouse=True)
def _numpy_target():
    """Every test starts on the numpy runtime target and Brian2's default time step (0.1 ms)."""
    import brian2

    brian2.prefs.codegen.target = "numpy"
    # the default clock is global: a test that sets its dt must not change the next test's
    # (the iSTDP reference test fails at 0.5 ms left by a learning test in the same worker)
    brian2.defaultclock.dt = 0.1 * brian2.ms
    brian2.BrianLogger.suppress_name("method_choice")
    yield
