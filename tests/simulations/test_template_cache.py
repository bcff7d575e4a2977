"""Brian2's code templates, compiled by jinja2 once and read from the cache directory after.

The sensor is jinja2's own compiler (``Environment.compile``), counted: with the templates on
disk a new process must not call it, yet Brian2 must write the same code from them.
"""
import jinja2
import numpy as np
import pytest
from brian2 import Network, NeuronGroup, StateMonitor, ms

from homeostasis.simulations import cache
from homeostasis.simulations.backend import simulation


@pytest.fixture
def compilations(tmp_path, monkeypatch):
    """A cache directory of its own, and the templates jinja2 compiles."""
    monkeypatch.setenv("HOMEOSTASIS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("HOMEOSTASIS_CACHE", raising=False)
    names = []
    real = jinja2.Environment.compile

    def counting(self, source, name=None, filename=None, *args, **kwargs):
        names.append(name)
        return real(self, source, name, filename, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "compile", counting)
    _forget_templates()
    yield names
    _forget_templates()


def _forget_templates():
    """Drop the templates Brian2 and jinja2 hold in memory, as a new process starts without them."""
    for templater in cache._templaters():
        templater.templates._templates.clear()
        if templater.env.cache is not None:
            templater.env.cache.clear()


def _run():
    """A small model on numpy: its generated code and its membrane potentials."""
    with simulation("numpy", seed=1):
        g = NeuronGroup(3, "dv/dt = (1.2 - v) / (10*ms) : 1", threshold="v > 1", reset="v = 0",
                        method="exact", name="g")
        g.v = "rand()"
        mon = StateMonitor(g, "v", record=True, name="mon")
        Network(g, mon).run(20 * ms)
        code = {obj.name: str(obj.codeobj.code) for obj in (g.state_updater, g.thresholder["spike"], mon)}
        return code, mon.v[:].copy()


def test_templates_are_compiled_once_and_give_the_same_code(compilations, tmp_path):
    code, v = _run()
    first = list(compilations)
    assert len(first) >= 3  # state update, threshold, reset, monitor, ...
    files = list((tmp_path / "cache" / "templates").rglob("*.cache"))
    assert len(files) == len(first)

    _forget_templates()
    compilations.clear()
    again, v_again = _run()
    assert compilations == []  # every template came from the disk
    assert again == code
    np.testing.assert_array_equal(v_again, v)

    assert cache.entries() == []  # the templates are not compiled projects
    cache.clear()
    assert not (tmp_path / "cache" / "templates").exists()


def test_a_damaged_template_file_is_compiled_again(compilations, tmp_path):
    code, v = _run()
    for path in (tmp_path / "cache" / "templates").rglob("*.cache"):
        path.write_bytes(b"j2\x00garbage")
    _forget_templates()
    compilations.clear()
    again, v_again = _run()
    assert len(compilations) >= 3
    assert again == code
    np.testing.assert_array_equal(v_again, v)


def test_nothing_is_kept_with_the_cache_off(compilations, tmp_path, monkeypatch):
    monkeypatch.setenv("HOMEOSTASIS_CACHE", "off")
    _run()
    assert compilations and not (tmp_path / "cache").exists()


def test_a_cache_that_cannot_be_written_or_read_costs_a_compilation_not_the_run(compilations, tmp_path,
                                                                               monkeypatch):
    import jinja2.bccache

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    code, v = _run()  # written
    _forget_templates()
    compilations.clear()
    monkeypatch.setattr(jinja2.bccache, "open", full_disk, raising=False)  # reading fails
    monkeypatch.setattr(jinja2.bccache.tempfile, "NamedTemporaryFile", full_disk)  # and writing
    again, v_again = _run()
    assert len(compilations) >= 3 and again == code
    np.testing.assert_array_equal(v_again, v)
