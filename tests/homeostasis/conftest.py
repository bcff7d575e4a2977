"""A small circuit with every spiking mechanism learning, for the code-generation target tests."""
import numpy as np
import pytest
from brian2 import Hz, SpikeMonitor, mV, ms, nS, pA, second


def _every_spiking_mechanism(target, directory=None):
    """Run the circuit on ``target`` and return what the mechanisms changed.

    Connectivity and initial values are drawn here with numpy, and the drive is constant, so
    nothing depends on the target's own random numbers and every target must agree.
    """
    import brian2

    from homeostasis import AdaptiveThreshold, GlobalHomeostasis, InhibitorySTDP, SynapticScaling
    from homeostasis.models import Circuit, ConductanceLIF

    rng = np.random.default_rng(7)
    model = ConductanceLIF()
    mechanisms = [SynapticScaling(target_rate=5 * Hz, tau_scaling=1 * second, tau_r=200 * ms),
                  AdaptiveThreshold(target_rate=5 * Hz, eta_threshold=0.5 * mV, tau_r=200 * ms),
                  InhibitorySTDP(target_rate=5 * Hz, eta=0.5 * nS),
                  GlobalHomeostasis(target_rate=5 * Hz, tau_global=1 * second, tau_r=200 * ms)]
    n_e, n_i = 40, 10
    flags = list(brian2.prefs.codegen.cpp.extra_compile_args_gcc)
    if target == "cpp_standalone":
        brian2.set_device("cpp_standalone", directory=str(directory), build_on_run=True, with_output=False)
    else:
        brian2.prefs.codegen.target = target  # the suite's fixture puts numpy back after the test
    if target == "cython":
        # the generated code is what is tested; its 24 extension modules compile in well under
        # half the time at -O0 than at Brian2's -O3, and a new user's suite has no cache
        brian2.prefs.codegen.cpp.extra_compile_args_gcc = ["-O0" if f.startswith("-O") else f for f in flags]
    try:
        brian2.seed(1)
        c = Circuit(f"every_{target}")
        E = c.population("E", model, n_e, mechanisms, I_ext=rng.uniform(150, 300, n_e) * pA,
                         v=rng.uniform(-60, -50, n_e) * mV)
        I = c.population("I", model, n_i, I_ext=rng.uniform(150, 300, n_i) * pA, v=rng.uniform(-60, -50, n_i) * mV,
                         traces=[t for m in mechanisms for t in m.traces])
        syn = {}
        # the two pathways the mechanisms act on (scaling E->E, iSTDP I->E): every code
        # object is compiled on the compiled targets, and each pathway adds several
        for name, (src, tgt, role, w) in {"EE": (E, E, "exc", 1 * nS), "IE": (I, E, "inh", 3 * nS)}.items():
            i, j = np.nonzero(rng.random((len(src), len(tgt))) < 0.3)
            syn[name] = c.connect(src, tgt, role, w, i=i, j=j)
        spikes = SpikeMonitor(E, name=f"every_{target}_spikes")
        net = c.network()
        net.add(spikes)
        net.run(400 * ms, namespace={})
        return {"spikes": np.asarray(spikes.count[:]), "v_th": np.asarray(E.v_th / mV),
                "g_scaling": np.asarray(E.g_scaling[:]), "w_ie": np.asarray(syn["IE"].w / nS),
                "g_global": np.asarray(E.g_global[:]),
                "codeobjects": {type(o.codeobj).__name__ for o in net.objects if getattr(o, "codeobj", None)}}
    finally:
        brian2.prefs.codegen.cpp.extra_compile_args_gcc = flags
        if target == "cpp_standalone":
            brian2.device.reinit()
            brian2.set_device("runtime")


@pytest.fixture
def every_spiking_mechanism():
    """``run(target, directory=None) -> dict``: the circuit above on a Brian2 target."""
    return _every_spiking_mechanism


def assert_same_learning(compiled, runtime):
    """Both targets spiked alike and every rule moved its variable to the same values."""
    assert runtime["spikes"].sum() > 100  # enough activity for every rule to act
    assert np.ptp(compiled["w_ie"]) > 0.05 and np.ptp(compiled["g_scaling"]) > 0.01  # they did act
    assert np.ptp(compiled["v_th"]) > 0.5
    assert abs(compiled["g_global"][0] - 1) > 0.01
    np.testing.assert_array_equal(compiled["spikes"], runtime["spikes"])
    for key in ("v_th", "g_scaling", "w_ie", "g_global"):
        np.testing.assert_allclose(compiled[key], runtime[key], rtol=1e-6, atol=1e-9, err_msg=key)


@pytest.fixture
def same_learning():
    return assert_same_learning
