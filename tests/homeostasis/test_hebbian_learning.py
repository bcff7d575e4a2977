"""Diehl & Cook's homeostatic forms on small learning circuits.

The weight sum of each neuron held at its target while STDP changes the weights, the spike-
triggered threshold equal to its definition summed over the spikes a monitor counted, and
both frozen by their gate; each against a control that shows the check could fail.
"""
import numpy as np
import pytest
from brian2 import DimensionMismatchError, SpikeMonitor, StateMonitor, TimedArray, defaultclock, mV, ms, nS, pA, \
    pF, second, seed

from homeostasis import SpikeTriggeredThreshold, WeightSumNormalization
from homeostasis.analysis import window_rates
from homeostasis.models import Circuit, ConductanceLIF, CurrentLIF, poisson_source
from homeostasis.models.hebbian import PairSTDP

#: Diehl & Cook's excitatory neuron (tau_m = C_m / g_L = 100 ms), weights in units of g_L.
MODEL = ConductanceLIF(C_m=100 * pF, g_L=1 * nS, E_L=-65 * mV, E_i=-100 * mV, V_th=-52 * mV, V_reset=-65 * mV,
                       tau_ref=5 * ms, tau_e=1 * ms, tau_i=2 * ms)


def _learning_layer(components, duration=1.5 * second, n_in=40, n=6, w_total=12 * nS, learn_until=None,
                    interval=100 * ms, name="learn"):
    """Poisson inputs onto a few neurons through PairSTDP synapses, with ``components`` on the neurons.

    With ``learn_until``, a TimedArray ``plastic`` is 1 before and 0 after it, and the rule
    (and any component given ``gate="plastic(t)"``) is switched off then.
    """
    defaultclock.dt = 0.5 * ms
    seed(4)
    rng = np.random.default_rng(4)
    namespace = None
    gate = "1"
    if learn_until is not None:
        namespace = {"plastic": TimedArray([1.0, 0.0], dt=learn_until)}
        gate = "plastic(t)"
    rule = PairSTDP(eta_pre=0.002, eta_post=0.05, w_max=2 * nS, gate=gate)
    c = Circuit(name)
    src = c.add(poisson_source(n_in, rng.uniform(5, 60, n_in) * 1e0 * (1 / second), name=f"{name}_input"))
    E = c.population("E", MODEL, n, components, traces=rule.traces, namespace=namespace)
    w0 = rng.uniform(0.2, 1.0, (n_in, n))
    w0 *= float(w_total / nS) / w0.sum(axis=0)  # every neuron starts at the target sum
    i, j = np.nonzero(np.ones((n_in, n)))
    S = c.connect(src, E, "exc", w0[i, j] * nS, i=i, j=j, plasticity=(rule,))
    spikes = c.add(SpikeMonitor(E))
    weights = c.add(StateMonitor(S, "w", record=True, dt=interval / 4))
    c.network().run(duration, namespace={})
    w = np.asarray(S.w / nS)
    sums = np.bincount(np.asarray(S.j), weights=w, minlength=n)
    return {"S": S, "E": E, "w0": w0[i, j], "w": w, "sums": sums, "spikes": spikes,
            "history": np.asarray(weights.w / nS), "t": np.asarray(weights.t / second)}


def test_weight_sum_held_at_target_after_learning():
    # STDP learns for 1.2 s; the last rescale after it (at 1.2 s) sets every sum exactly
    norm = WeightSumNormalization(w_total=12 * nS, interval=100 * ms)
    r = _learning_layer([norm], learn_until=1200 * ms, duration=1.5 * second)
    assert r["spikes"].num_spikes > 100
    # the weights were rearranged, not merely kept
    assert np.median(np.abs(r["w"] - r["w0"])) > 0.01
    # the sensor is a sum computed here from the synapses' own weights, not the summed variable
    np.testing.assert_allclose(r["sums"], 12.0, rtol=1e-6)
    # and it is held during learning too: right after each rescale, every sum is on target
    np.testing.assert_allclose(np.asarray(r["E"].w_sum / nS), 12.0, rtol=1e-6)


def test_without_normalization_the_same_learning_moves_the_sums():
    # the control: the same circuit and rule without the mechanism drifts far from the target
    r = _learning_layer([], learn_until=1200 * ms, duration=1.5 * second, name="learn_control")
    assert r["spikes"].num_spikes > 100
    assert np.max(np.abs(r["sums"] / 12.0 - 1)) > 0.05


def test_rescale_keeps_each_neurons_weight_direction():
    # one rescale with no learning: every weight of a neuron multiplied by the same factor
    norm = WeightSumNormalization(w_total=6 * nS, interval=100 * ms)
    r = _learning_layer([norm], learn_until=0.5 * ms, duration=50 * ms, name="learn_direction")
    j = np.asarray(r["S"].j)
    for k in range(6):
        ratio = r["w"][j == k] / r["w0"][j == k]
        np.testing.assert_allclose(ratio, 0.5, rtol=1e-9)


def _threshold_layer(component, duration=1 * second, n=8, name="theta", namespace=None):
    defaultclock.dt = 0.1 * ms
    c = Circuit(name)
    # a tenfold spread of constant drive, every neuron firing without the mechanism
    drive = np.geomspace(250, 2500, n) * pA  # all above the rheobase of 200 pA
    E = c.population("E", CurrentLIF(), n, [component] if component else [], I_ext=drive, namespace=namespace)
    spikes = c.add(SpikeMonitor(E))
    theta = c.add(StateMonitor(E, "theta", record=True, dt=10 * ms)) if component else None
    c.network().run(duration, namespace={})
    return E, spikes, theta


def _theta_by_definition(spikes, n, theta_plus, tau_theta, decay_dt, duration, gate=lambda t: 1.0):
    """theta at the end: each spike adds g theta_plus, then decays by exp(-g dt/tau) at every later tick.

    Ticks of the decay are at multiples of ``decay_dt`` and run at the start of their time
    step, so a spike at time s is decayed by the ticks at times strictly after s.
    """
    ticks = np.arange(0, duration, decay_dt)
    factors = np.exp(-np.array([gate(t) for t in ticks]) * decay_dt / tau_theta)
    theta = np.zeros(n)
    t, i = np.asarray(spikes.t / second), np.asarray(spikes.i)
    for s, k in zip(t, i):
        theta[k] += gate(s) * theta_plus * np.prod(factors[ticks > s + 1e-9])
    return theta


def test_spike_triggered_threshold_is_the_sum_over_counted_spikes():
    mech = SpikeTriggeredThreshold(theta_plus=0.4 * mV, tau_theta=300 * ms, decay_dt=1 * ms)
    E, spikes, _ = _threshold_layer(mech)
    assert spikes.num_spikes > 50
    expected = _theta_by_definition(spikes, 8, 0.4, 0.3, 0.001, 1.0)
    np.testing.assert_allclose(np.asarray(E.theta / mV), expected, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(np.asarray(E.v_th / mV), -50 + expected, rtol=1e-12)


def test_spike_triggered_threshold_settles_at_theta_plus_rate_tau_and_lowers_every_rate():
    # no set-point rate: each neuron settles where its mean theta equals theta_plus * rate *
    # tau_theta (the mean of a shot noise), with the rate counted from the spikes
    mech = SpikeTriggeredThreshold(theta_plus=1 * mV, tau_theta=200 * ms, decay_dt=1 * ms)
    _, with_it, theta = _threshold_layer(mech, duration=3 * second, name="theta_on")
    without = _threshold_layer(None, duration=3 * second, name="theta_off")[1]
    rates = lambda m: window_rates(m.t / second, m.i, 8, 1.0, 3.0)  # noqa: E731
    late = np.asarray(theta.t / second) >= 1.0
    mean_theta = np.asarray(theta.theta / mV)[:, late].mean(axis=1)
    np.testing.assert_allclose(mean_theta, 1.0 * rates(with_it) * 0.2, rtol=0.1)
    # the feedback lowers every neuron's rate (against the same layer without it); it does
    # not even out independent neurons (their CV stays about the same): it spreads the load
    # only where neurons compete, as in a winner-take-all layer
    assert np.all(rates(with_it) < 0.6 * rates(without))


def test_gate_freezes_threshold_and_weights():
    switch = 400 * ms
    namespace = {"plastic": TimedArray([1.0, 0.0], dt=switch)}
    mech = SpikeTriggeredThreshold(theta_plus=0.4 * mV, tau_theta=300 * ms, decay_dt=1 * ms, gate="plastic(t)")
    E, spikes, theta = _threshold_layer(mech, name="theta_gated", namespace=namespace)
    t = np.asarray(theta.t / second)
    late = np.asarray(theta.theta / mV)[:, t >= 0.41]
    assert np.sum(np.asarray(spikes.t / second) > 0.41) > 20  # the neurons kept firing
    assert np.array_equal(late, np.repeat(late[:, :1], late.shape[1], axis=1))  # theta did not move
    expected = _theta_by_definition(spikes, 8, 0.4, 0.3, 0.001, 1.0, gate=lambda s: 1.0 if s < 0.4 - 1e-9 else 0.0)
    np.testing.assert_allclose(np.asarray(E.theta / mV), expected, rtol=1e-9, atol=1e-9)

    norm = WeightSumNormalization(w_total=12 * nS, interval=100 * ms, gate="plastic(t)")
    r = _learning_layer([norm], learn_until=switch, duration=800 * ms, name="learn_gated")
    late = r["history"][:, r["t"] >= 0.401]
    assert np.ptp(r["history"][:, r["t"] < 0.4], axis=1).max() > 0.01  # it learned first
    assert np.array_equal(late, np.repeat(late[:, :1], late.shape[1], axis=1))


@pytest.mark.parametrize("cls, bad", [(SpikeTriggeredThreshold, dict(theta_plus=-1 * mV)),
                                      (SpikeTriggeredThreshold, dict(gate="  ")),
                                      (WeightSumNormalization, dict(interval=0 * ms)),
                                      (WeightSumNormalization, dict(gate=""))])
def test_bad_values_are_refused_naming_the_parameter(cls, bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        cls(**bad)


def test_weight_sum_in_the_wrong_unit_for_the_model_is_refused():
    with pytest.raises(DimensionMismatchError, match="w_total"):
        WeightSumNormalization(w_total=10 * nS).contribution(CurrentLIF())
    assert "w_sum" in WeightSumNormalization(w_total=10 * pA).contribution(CurrentLIF()).equations
