"""The short examples in the numpydoc docstrings run and print what they claim."""
import doctest
import importlib
import importlib.util
import pkgutil

import pytest

import homeostasis
import homeostasis.models
import homeostasis.simulations


def _modules():
    for package in (homeostasis, homeostasis.models, homeostasis.simulations):
        yield package.__name__
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            yield info.name


def _has_examples(name):
    if name.startswith("homeostasis.torch") and importlib.util.find_spec("torch") is None:
        return False  # the optional extra is not installed: tests/torch skips with its reason
    return any(test.examples for test in doctest.DocTestFinder().find(importlib.import_module(name)))


# ``__main__`` modules run the CLI on import
MODULES = [name for name in _modules() if not name.endswith("__main__") and _has_examples(name)]


def test_some_modules_have_examples():
    assert len(MODULES) >= 5, MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
