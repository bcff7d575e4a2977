"""The mechanisms compile on Brian2's cython target and compute what the numpy target computes.

One small E/I circuit with every spiking mechanism learning, built with explicit connectivity
and initial values (the targets draw random connections differently), runs on both targets.
Compiling takes tens of seconds the first time; the cache makes later runs fast.
"""
import numpy as np
import pytest
from brian2 import Hz, SpikeMonitor, mV, ms, nS, pA, second

from homeostasis import AdaptiveThreshold, InhibitorySTDP, SynapticScaling
from models import Circuit, ConductanceLIF
from simulations.backend import simulation

pytestmark = pytest.mark.compiled


def _run(backend):
    rng = np.random.default_rng(7)
    model = ConductanceLIF()
    mechanisms = [SynapticScaling(target_rate=5 * Hz, tau_scaling=1 * second, tau_r=200 * ms),
                  AdaptiveThreshold(target_rate=5 * Hz, eta_threshold=0.5 * mV, tau_r=200 * ms),
                  InhibitorySTDP(target_rate=5 * Hz, eta=0.5 * nS)]
    n_e, n_i = 40, 10
    with simulation(backend, seed=1):
        c = Circuit(f"cy_{backend}")
        E = c.population("E", model, n_e, mechanisms, I_ext=rng.uniform(150, 300, n_e) * pA,
                         v=rng.uniform(-60, -50, n_e) * mV)
        I = c.population("I", model, n_i, I_ext=rng.uniform(150, 300, n_i) * pA, v=rng.uniform(-60, -50, n_i) * mV,
                         traces=[t for m in mechanisms for t in m.traces])
        syn = {}
        for name, (src, tgt, role, w) in {"EE": (E, E, "exc", 1 * nS), "EI": (E, I, "exc", 1 * nS),
                                          "IE": (I, E, "inh", 3 * nS), "II": (I, I, "inh", 3 * nS)}.items():
            i, j = np.nonzero(rng.random((len(src), len(tgt))) < 0.3)
            syn[name] = c.connect(src, tgt, role, w, i=i, j=j)
        spikes = SpikeMonitor(E, name=f"cy_{backend}_spikes")
        net = c.network()
        net.add(spikes)
        net.run(400 * ms, namespace={})
        return {"spikes": np.asarray(spikes.count[:]), "v_th": np.asarray(E.v_th / mV),
                "g_scaling": np.asarray(E.g_scaling[:]), "w_ie": np.asarray(syn["IE"].w / nS),
                "codeobjects": {type(o.codeobj).__name__ for o in net.objects if getattr(o, "codeobj", None)}}


def test_every_spiking_mechanism_compiles_on_cython_and_matches_numpy():
    runtime, compiled = _run("numpy"), _run("cython")
    assert compiled["codeobjects"] == {"CythonCodeObject"}
    assert runtime["spikes"].sum() > 100  # enough activity for every rule to act
    assert np.ptp(compiled["w_ie"]) > 0.05 and np.ptp(compiled["g_scaling"]) > 0.01  # they did act
    np.testing.assert_array_equal(compiled["spikes"], runtime["spikes"])
    for key in ("v_th", "g_scaling", "w_ie"):
        np.testing.assert_allclose(compiled[key], runtime[key], rtol=1e-6, atol=1e-9, err_msg=key)
