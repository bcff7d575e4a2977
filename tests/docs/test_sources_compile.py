"""Every project source compiles with warnings as errors (Python 3.12+ warns on invalid escapes)."""
import pathlib
import warnings

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
FOLDERS = ("homeostasis", "models", "simulations", "examples", "benchmarks", "tests", "docs")
SOURCES = sorted(p for folder in FOLDERS for p in (ROOT / folder).rglob("*.py") if "_build" not in p.parts)


def test_the_project_has_sources_to_check():
    # a moved tree must not turn the parametrized test below into zero tests
    assert len(SOURCES) > 80


def _compile_strict(path):
    with warnings.catch_warnings():
        # SyntaxWarning on 3.12+, DeprecationWarning on 3.11 for the same invalid escape
        warnings.simplefilter("error")
        compile(path.read_text(encoding="utf-8"), str(path), "exec")


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_source_compiles_without_warnings(path):
    _compile_strict(path)


def test_an_invalid_escape_in_a_docstring_is_caught(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text('def f():\n    """a_j \\leftarrow b_j"""\n', encoding="utf-8")
    with pytest.raises(SyntaxError):
        _compile_strict(bad)
