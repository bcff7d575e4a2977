"""The integration cache: Brian2's exact integration of linear equations, derived once on disk.

The sensor is Brian2's own ``exact`` integrator, called directly, against the code read from
the cache; and a second process whose run must not derive anything (the cached file is left
untouched) yet simulate the same membrane potentials.
"""
import gc
import json
import os
import subprocess
import sys

import numpy as np
import pytest
from brian2 import NeuronGroup, TimedArray, mV, ms, pA
from brian2.stateupdaters.exact import linear
from brian2.utils.logger import catch_logs

from homeostasis.models import CurrentLIF
from homeostasis.simulations import cache


class Counting:
    """Brian2's ``exact`` integrator, counting its calls."""

    def __init__(self):
        self.calls = 0

    def can_integrate(self, *args):
        return True

    def __call__(self, equations, variables=None, method_options=None):
        self.calls += 1
        return linear(equations, variables, method_options)


def problem(lif: CurrentLIF, extra: str = "", namespace: dict | None = None):
    """The equations and resolved variables Brian2 hands an integrator for a CurrentLIF group."""
    g = NeuronGroup(3, lif.equations() + "\nv_th : volt\n" + extra, threshold=lif.threshold, reset=lif.reset,
                    refractory=lif.tau_ref, namespace={**lif.namespace(), **(namespace or {})}, method="exact")
    names = g.equations.names | g.equations.identifiers | {"dt", "not_refractory"}
    return g.equations, g.resolve_all(names, run_namespace={}, user_identifiers=set())


@pytest.fixture
def cache_root(tmp_path, monkeypatch):
    monkeypatch.setenv("HOMEOSTASIS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("HOMEOSTASIS_CACHE", raising=False)
    with catch_logs():  # the groups are built only to be asked for their variables, never run
        yield tmp_path / "cache"


def test_cached_code_is_brians_and_is_derived_once(cache_root):
    eqs, variables = problem(CurrentLIF())
    method = Counting()
    first = cache._CachedIntegration(method)(eqs, variables)
    second = cache._CachedIntegration(method)(eqs, variables)  # a new wrapper: only the disk remembers
    assert method.calls == 1
    assert first == second == linear(eqs, variables)
    assert "exp(-dt/tau_e)" in first  # the exact solution, not an Euler step
    assert len(list((cache_root / "integration").glob("*.txt"))) == 1


def test_another_problem_has_another_key(cache_root):
    base = cache._integration_key(*problem(CurrentLIF()), None)
    assert base == cache._integration_key(*problem(CurrentLIF()), None)
    # a constant's value, an equation, an option: each can change the derived code
    assert cache._integration_key(*problem(CurrentLIF(tau_m=10 * ms)), None) != base
    assert cache._integration_key(*problem(CurrentLIF(), "w : 1"), None) != base
    assert cache._integration_key(*problem(CurrentLIF()), {"simplify": False}) != base
    # a TimedArray's data decide whether it is constant over a step: never cached
    drive = TimedArray(np.zeros(3) * pA, dt=1 * ms)
    lif = CurrentLIF()
    g = NeuronGroup(1, "dv/dt = (E_L - v + R_m * drive(t)) / tau_m : volt", namespace={**lif.namespace(), "drive": drive})
    variables = g.resolve_all(g.equations.identifiers | g.equations.names | {"dt"}, run_namespace={},
                              user_identifiers=set())
    assert cache._integration_key(g.equations, variables, None) is None
    del g, variables
    gc.collect()  # inside the fixture's log capture


def test_a_damaged_file_is_derived_again(cache_root):
    eqs, variables = problem(CurrentLIF())
    method = Counting()
    good = cache._CachedIntegration(method)(eqs, variables)
    (path,) = (cache_root / "integration").glob("*.txt")
    # same checksum line, other code: a file that reads but is not what was written
    digest = path.read_text().partition("\n")[0]
    path.write_text(digest + "\n" + good.replace("exp", "sin"))
    assert cache._CachedIntegration(method)(eqs, variables) == good
    assert method.calls == 2
    path.write_bytes(b"\xff\xfe not text")
    assert cache._CachedIntegration(method)(eqs, variables) == good
    assert method.calls == 3
    assert cache._CachedIntegration(method)(eqs, variables) == good  # rewritten whole
    assert method.calls == 3


def test_the_cache_setting_turns_the_integration_cache_off_and_on(cache_root, monkeypatch):
    from brian2.stateupdaters.base import StateUpdateMethod

    monkeypatch.setenv("HOMEOSTASIS_CACHE", "off")
    with cache.cached_integration():
        assert StateUpdateMethod.stateupdaters["exact"] is linear
    monkeypatch.setenv("HOMEOSTASIS_CACHE", "integration")
    with cache.cached_integration():
        assert isinstance(StateUpdateMethod.stateupdaters["exact"], cache._CachedIntegration)
    monkeypatch.setenv("HOMEOSTASIS_CACHE", "integration")  # projects compiled afresh, integration cached
    assert not cache.cache_enabled()
    monkeypatch.delenv("HOMEOSTASIS_CACHE")
    with cache.cached_integration():
        assert isinstance(StateUpdateMethod.stateupdaters["exact"], cache._CachedIntegration)
    assert StateUpdateMethod.stateupdaters["exact"] is linear  # restored


SCRIPT = """
import json, sys
import numpy as np
from brian2 import Network, NeuronGroup, StateMonitor, mV, ms, pA
from homeostasis.models import CurrentLIF
from homeostasis.simulations.backend import run_network, simulation

lif = CurrentLIF()
with simulation("numpy", seed=0):
    g = NeuronGroup(2, lif.equations() + "\\nv_th : volt", threshold=lif.threshold, reset=lif.reset,
                    refractory=lif.tau_ref, namespace=lif.namespace(), method=lif.method)
    g.v = lif.E_L
    g.v_th = lif.V_th
    g.I_ext = [150, 250] * pA
    g.I_e = 100 * pA
    mon = StateMonitor(g, "v", record=True)
    net = Network(g, mon)
    run_network(net, 60 * ms, progress=False)
    print(json.dumps((mon.v / mV).tolist()))
"""


def test_a_second_process_reads_the_cache_and_simulates_the_same(cache_root):
    env = dict(os.environ, HOMEOSTASIS_CACHE_DIR=str(cache_root))
    run = lambda: json.loads(subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True,
                                            check=True).stdout)
    first = np.array(run())
    (path,) = (cache_root / "integration").glob("*.txt")
    before = path.stat()
    second = np.array(run())
    after = path.stat()
    assert (before.st_ino, before.st_mtime_ns) == (after.st_ino, after.st_mtime_ns)  # read, not derived again
    np.testing.assert_array_equal(first, second)
    assert first.max() > -55 and first.min() >= -70.001  # the neurons integrate their input and spike
    # and the same as Brian2 deriving it afresh
    env["HOMEOSTASIS_CACHE"] = "off"
    np.testing.assert_array_equal(first, np.array(run()))
