"""Shared test settings: Brian2 on the numpy target, quiet logs, headless matplotlib."""
import os

os.environ.setdefault("MPLBACKEND", "Agg")
# compiled cpp_standalone projects go to a cache of this test run, not the user's
# (~/.cache/homeostasis): a test never reuses a binary it did not build in this run
if "HOMEOSTASIS_CACHE_DIR" not in os.environ:
    import tempfile

    os.environ["HOMEOSTASIS_CACHE_DIR"] = tempfile.mkdtemp(prefix="homeostasis_test_cache_")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _numpy_target():
    """Every test starts on the numpy runtime target unless it asks for another."""
    import brian2

    brian2.prefs.codegen.target = "numpy"
    brian2.BrianLogger.suppress_name("method_choice")
    yield
