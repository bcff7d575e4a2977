"""Run-time parameters (homeostasis.models.runtime) give the results of constants, for every mechanism that has them.

A mechanism's ``runtime`` parameters become shared constant variables of its population, so
that one compiled cpp_standalone project serves every value (tests/simulations/
test_standalone_cache.py checks the cache and the binary). Here, on numpy, the same model is
run with the feature on and off: the spikes (or the adapted gains) must be identical, and
with the feature on the values must sit in the population's variables, not in the code.
"""
import numpy as np
import pytest
from brian2 import Hz, SpikeMonitor, mV, ms, nS, pA, second, seed, start_scope

import homeostasis.models.runtime
from homeostasis import AdaptiveThreshold, IntrinsicPlasticity, SpikeTriggeredThreshold, SynapticScaling
from homeostasis.models import Circuit, ConductanceLIF, CurrentLIF, RateNeuron, poisson_source

CASES = {
    "AdaptiveThreshold": (lambda: AdaptiveThreshold(target_rate=4 * Hz, tau_r=200 * ms, eta_threshold=1 * mV),
                          CurrentLIF, ("target_rate", "eta_threshold", "tau_r", "v_th_min")),
    "SpikeTriggeredThreshold": (lambda: SpikeTriggeredThreshold(theta_plus=0.5 * mV, tau_theta=300 * ms),
                                ConductanceLIF, ("theta_plus", "tau_theta")),
    "SynapticScaling": (lambda: SynapticScaling(target_rate=4 * Hz, tau_scaling=500 * ms, tau_r=200 * ms),
                        CurrentLIF, ("target_rate", "tau_scaling", "tau_r")),
    "IntrinsicPlasticity": (lambda: IntrinsicPlasticity(target_mean=0.1, tau_ip=50 * ms),
                            lambda: RateNeuron(instantaneous=True, drive="sin(2 * pi * 7 * Hz * t + i)"),
                            ("target_mean", "tau_ip")),
}


def simulate(case: str, runtime: bool, monkeypatch):
    monkeypatch.setattr(homeostasis.models.runtime, "RUNTIME_PARAMETERS", runtime)
    make_mechanism, make_model, _ = CASES[case]
    start_scope()
    seed(3)
    c = Circuit("rt")
    model = make_model()
    E = c.population("E", model, 6, [make_mechanism()])
    if not model.spiking:
        c.network().run(300 * ms)
        return E, (np.asarray(E.a), np.asarray(E.b))
    inp = c.add(poisson_source(30, 15 * Hz, name="rt_input"))
    c.connect(inp, E, "exc", weight=200 * pA if isinstance(model, CurrentLIF) else 3 * nS, p=0.5)
    spikes = c.add(SpikeMonitor(E, name="rt_spikes"))
    c.network().run(1 * second)
    return E, (np.asarray(spikes.i), np.asarray(spikes.t / ms))


@pytest.mark.parametrize("case", sorted(CASES))
def test_run_time_parameters_give_the_results_of_constants(case, monkeypatch):
    E_on, on = simulate(case, True, monkeypatch)
    for name in CASES[case][2]:  # a variable of the population, one value shared by all neurons
        var = E_on.variables[name]
        assert var.scalar and var.constant, name
    E_off, off = simulate(case, False, monkeypatch)
    assert not any(name in E_off.variables for name in CASES[case][2])
    if E_on.variables.get("y") is None:
        assert on[0].size > 10  # spikes: the mechanism had something to act on
    else:
        assert np.abs(on[0] - 1).min() > 0.1  # gains: every unit adapted from a = 1
    for a, b in zip(on, off):
        np.testing.assert_array_equal(a, b)


def test_a_new_run_time_value_changes_the_result(monkeypatch):
    """Control: the comparison above can fail; a changed parameter value changes the spikes."""
    _, base = simulate("SpikeTriggeredThreshold", True, monkeypatch)
    monkeypatch.setitem(CASES, "SpikeTriggeredThreshold",
                        (lambda: SpikeTriggeredThreshold(theta_plus=2 * mV, tau_theta=300 * ms), ConductanceLIF,
                         ("theta_plus", "tau_theta")))
    _, other = simulate("SpikeTriggeredThreshold", True, monkeypatch)
    assert other[0].size < 0.8 * base[0].size  # a larger increment per spike: fewer spikes


def test_a_layer_controller_reads_its_set_point_at_run_time(monkeypatch):
    """The controller group of InhibitoryPool (layer scale) holds its set point, time
    constant and activity threshold as run-time values, with the spikes of constants."""
    from brian2 import nA

    from homeostasis import InhibitoryPool

    def run(runtime: bool):
        monkeypatch.setattr(homeostasis.models.runtime, "RUNTIME_PARAMETERS", runtime)
        start_scope()
        seed(5)
        c = Circuit("rtpool")
        L = c.population("L", CurrentLIF(), 40, [InhibitoryPool(target_active_fraction=0.3, tau_gain=200 * ms)],
                         I_ext=np.linspace(0.2, 0.8, 40) * nA)
        spikes = c.add(SpikeMonitor(L, name="rtpool_spikes"))
        net = c.network()
        net.run(0.8 * second, namespace={})
        return net["rtpool_L_pool_gain"], np.asarray(spikes.i), np.asarray(spikes.t / ms)

    ctrl, *on = run(True)
    for name in ("target_active_fraction", "tau_gain", "active_rate"):
        assert ctrl.variables[name].scalar and ctrl.variables[name].constant, name
    ctrl, *off = run(False)
    assert "target_active_fraction" not in ctrl.variables
    assert on[0].size > 50 and len(set(on[0])) < 40  # spikes, and the pool silenced some neurons
    for a, b in zip(on, off):
        np.testing.assert_array_equal(a, b)


def test_set_parameter_is_setattr_on_the_runtime_targets_for_shared_and_per_neuron_values():
    from brian2 import NeuronGroup

    from homeostasis.models.runtime import set_parameter

    g = NeuronGroup(4, "rate : Hz (shared, constant)\nset_point : Hz (constant)")
    set_parameter(g, "rate", 5 * Hz)
    set_parameter(g, "set_point", 3 * Hz)  # a scalar broadcast
    assert float(g.rate / Hz) == 5.0 and list(g.set_point / Hz) == [3.0] * 4
    set_parameter(g, "set_point", np.arange(4) * Hz)  # one value per neuron
    assert list(g.set_point / Hz) == [0.0, 1.0, 2.0, 3.0]


@pytest.mark.parametrize("name, value, error", [
    ("rate", 5 * mV, "DimensionMismatchError"), ("rate", np.ones(4) * Hz, "ValueError"),
    ("set_point", np.ones(3) * Hz, "ValueError"), ("set_point", np.nan * Hz, "ValueError"),
    ("v", 1.0, "ValueError"), ("nothing", 1.0, "ValueError")])
def test_set_parameter_refuses_what_is_not_a_run_time_value(name, value, error):
    from brian2 import NeuronGroup

    from homeostasis.models.runtime import set_parameter

    g = NeuronGroup(4, "rate : Hz (shared, constant)\nset_point : Hz (constant)\nv : 1")
    with pytest.raises(Exception) as info:
        set_parameter(g, name, value)
    assert type(info.value).__name__ == error


def test_on_cpp_standalone_a_value_is_a_run_arg_not_code():
    """Recorded for the runner's run_args (tests/simulations/test_standalone_cache.py runs them)."""
    import brian2
    from brian2 import NeuronGroup

    from homeostasis.models import runtime

    brian2.set_device("cpp_standalone", build_on_run=False)
    try:
        g = NeuronGroup(4, "rate : Hz (shared, constant)\nset_point : Hz (constant)", name="rt_standalone")
        runtime.set_parameter(g, "rate", 5 * Hz)
        runtime.set_parameter(g, "set_point", np.arange(4) * Hz)
        runtime.set_parameter(g, "rate", 6 * Hz)  # the last value counts
        args = {f"{view.group_name}.{view.name}": value for view, value in runtime.run_args([g]).items()}
        assert args.keys() == {"rt_standalone.rate", "rt_standalone.set_point"}
        assert float(args["rt_standalone.rate"] / Hz) == 6.0
        assert not any("rt_standalone" in str(item) for item in brian2.device.main_queue)  # no code for them
        with pytest.raises(ValueError, match="on the population"):  # run_args name whole groups
            runtime.set_parameter(g[:2], "set_point", 1 * Hz)
        runtime.forget()
        assert runtime.run_args() == {}
    finally:
        brian2.device.reinit()
        brian2.set_device("runtime")
