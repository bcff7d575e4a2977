"""Shared test settings: Brian2 on the numpy target, quiet logs, headless matplotlib."""
import os

os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _numpy_target():
    """Every test starts on the numpy runtime target unless it asks for another."""
    import brian2

    brian2.prefs.codegen.target = "numpy"
    brian2.BrianLogger.suppress_name("method_choice")
    yield
