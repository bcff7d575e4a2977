"""Every mechanism runs unchanged on cpp_standalone and agrees with the runtime result.

Each test compiles one small C++ project (seconds to tens of seconds); the tolerances are the
ones the numpy tests use.
"""
import numpy as np
import pytest
from brian2 import Hz, mV, ms, nS, second

from simulations.experiments.intrinsic_plasticity import simulate_rate_ip, simulate_spiking_ip
from simulations.experiments.lateral_inhibition import simulate_divisive, simulate_pool
from simulations.experiments.network_homeostasis import simulate_network
from simulations.experiments.synaptic_scaling import fit_through_origin, simulate_scaling

pytestmark = pytest.mark.standalone
BACKEND = "cpp_standalone"


def test_rate_intrinsic_plasticity_on_standalone():
    y = simulate_rate_ip(0.2, 0.5 * second, n_units=3, duration=50 * second, measure=15 * second,
                         seed=1, backend=BACKEND)["y"]
    assert abs(y.mean() / 0.2 - 1) < 0.10
    assert abs((y.std(axis=0) / y.mean(axis=0)).mean() - 1) < 0.2


def test_adaptive_threshold_on_standalone_matches_numpy():
    kw = dict(target_rate=5 * Hz, eta_threshold=1 * mV, n_neurons=10, duration=8 * second, measure=2 * second)
    native = simulate_spiking_ip(True, backend=BACKEND, **kw)["rates"]
    runtime = simulate_spiking_ip(True, backend="numpy", **kw)["rates"]
    assert abs(native.mean() / 5.0 - 1) < 0.15
    # deterministic drive, no randomness: the two targets integrate the same equations
    np.testing.assert_allclose(native, runtime, atol=0.5)


def test_synaptic_scaling_on_standalone():
    sim = simulate_scaling(tau_scaling=1.5 * second, tau_r=300 * ms, n_neurons=10, n_inputs=80,
                           input_rates=(10 * Hz, 3 * Hz), phase=8 * second, seed=2, backend=BACKEND)
    T = sim["phase_s"]
    w1 = sim["w_pA"][:, int(np.argmin(np.abs(sim["w_t"] - T)))]
    w2 = sim["w_pA"][:, int(np.argmin(np.abs(sim["w_t"] - 2 * T)))]
    k, r2 = fit_through_origin(np.sort(w1), np.sort(w2))
    assert k > 1.5 and r2 > 0.98
    assert abs(sim["phase_rates"][1].mean() / 5.0 - 1) < 0.15


def test_divisive_normalization_on_standalone_matches_numpy():
    pattern = np.random.default_rng(0).uniform(0.1, 1.0, 20)
    native = simulate_divisive(pattern, 10.0, backend=BACKEND)
    np.testing.assert_allclose(native, simulate_divisive(pattern, 10.0), rtol=1e-6)


def test_inhibitory_pool_on_standalone():
    r = simulate_pool(2.0, 0.2, n_neurons=60, duration=4 * second, measure=1.5 * second, seed=3, backend=BACKEND)
    assert abs(r["active_fraction"] / 0.2 - 1) < 0.30


def test_network_mechanisms_on_standalone():
    g = simulate_network("global", 5 * Hz, n_e=200, n_i=50, learn=6 * second, perturb=0.25 * second,
                         drive_factor=1.0, seed=1, backend=BACKEND)
    assert abs(g["rate"][-8:].mean() / 5.0 - 1) < 0.10
    s = simulate_network("istdp", 5 * Hz, eta=0.4 * nS, n_e=200, n_i=50, learn=8 * second,
                         perturb=0.25 * second, drive_factor=1.0, seed=1, backend=BACKEND)
    assert s["rate"][:2].mean() > 10.0
    assert abs(s["rate"][-8:].mean() / 5.0 - 1) < 0.30


def test_kept_project_recompiles_only_what_a_new_parameter_touches(tmp_path, monkeypatch):
    """What a sweep worker does: the same structure twice, a new target the second time."""
    monkeypatch.setenv("HOMEOSTASIS_STANDALONE_DIR", str(tmp_path))
    kw = dict(eta_threshold=1 * mV, n_neurons=10, duration=8 * second, measure=2 * second, backend=BACKEND)
    first = simulate_spiking_ip(True, target_rate=5 * Hz, **kw)["rates"]
    objects = {p: p.stat().st_mtime_ns for p in (tmp_path / "ip_on").rglob("*.o")}
    retargeted = simulate_spiking_ip(True, target_rate=8 * Hz, **kw)["rates"]
    rebuilt = [p for p, t in objects.items() if p.stat().st_mtime_ns != t]
    # the new target reaches the binary: no stale result from the first build
    assert abs(first.mean() / 5.0 - 1) < 0.15 and abs(retargeted.mean() / 8.0 - 1) < 0.15
    assert len(objects) >= 10 and len(rebuilt) <= len(objects) // 2, (len(rebuilt), len(objects))
    # automatic names did not drift (``..._codeobject_1``), which would rebuild everything
    assert not list((tmp_path / "ip_on" / "code_objects").glob("*_codeobject_1.cpp"))
