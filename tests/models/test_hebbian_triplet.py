"""TripletSTDP against the rule written out in numpy, on the spike trains the network produced.

The reference below sums exponentials over each synapse's own list of spike times (no trace
variables), so it shares no code or state with the Brian2 equations it checks.
"""
import numpy as np
import pytest
from brian2 import Hz, SpikeGeneratorGroup, SpikeMonitor, StateMonitor, defaultclock, ms, nA, pA, second, seed

from homeostasis.models import Circuit, CurrentLIF
from homeostasis.models.hebbian import TripletSTDP

# Brian2 and the reference both work in float64 and CurrentLIF is integrated exactly, so the
# only differences are rounding: relative error well below 1e-9 of the weight scale
TOLERANCE = 1e-9


def reference_weights(pre_steps, post_steps, pairs, w0, rule, dt):
    """Weight of every synapse after the spikes, by the rule's definition.

    At a presynaptic spike at step ``n``: ``w -= A2_minus * sum_{post u < n} exp(-(n-u) dt / tau_minus)``.
    At a postsynaptic spike at ``n``: ``w += A3_plus * sum_{pre t <= n} exp(-(n-t) dt / tau_plus)
    * sum_{post u < n} exp(-(n-u) dt / tau_y)``. Both clipped to ``[0, w_max]``; a presynaptic
    spike at the same step as a postsynaptic one is processed first (and counts in ``r1``).
    """
    unit = rule.w_max
    A2, A3, w_max = float(rule.A2_minus / unit), float(rule.A3_plus / unit), 1.0
    tp, tm, ty = (float(rule.tau_plus / dt), float(rule.tau_minus / dt), float(rule.tau_y / dt))
    out = []
    for (i, j), w in zip(pairs, w0 / unit):
        pre, post = np.asarray(pre_steps[i]), np.asarray(post_steps[j])
        events = sorted([(n, 0) for n in pre] + [(n, 1) for n in post])  # pre (0) before post (1)
        for n, kind in events:
            earlier_post = post[post < n]
            if kind == 0:
                w -= A2 * np.exp(-(n - earlier_post) / tm).sum()
            else:
                r1 = np.exp(-(n - pre[pre <= n]) / tp).sum()
                w += A3 * r1 * np.exp(-(n - earlier_post) / ty).sum()
            w = min(max(w, 0.0), w_max)
        out.append(w)
    return np.array(out) * unit


def _run(kept: bool, source_kind: str, w_max=60 * pA, step=1.0, duration=0.5 * second):
    """Drive ``n_pre`` and ``n_post`` neurons with given spike trains; one plastic connection."""
    defaultclock.dt = 0.1 * ms
    seed(3)
    rng = np.random.default_rng(11)
    n_pre, n_post = 4, 3
    # small steps against the weights' range: most weights stay inside the bounds, so the
    # comparison sees the updates themselves and not only the clipping
    rule = TripletSTDP(A3_plus=0.1 * step * pA, A2_minus=0.3 * step * pA, w_max=w_max)
    model = CurrentLIF()
    c = Circuit(f"triplet_{int(kept)}_{source_kind}")
    traces = rule.traces if kept else ()

    def given_trains(n, rate, name):
        # every neuron its own Poisson train; a 3 nA pulse makes a neuron fire within a step
        # or two (the reference uses the spikes the neurons really fired)
        n_steps = int(duration / defaultclock.dt) - 50
        idx, steps = np.nonzero(rng.random((n, n_steps)) < float(rate * defaultclock.dt))
        return SpikeGeneratorGroup(n, idx, steps * defaultclock.dt, name=name)

    if source_kind == "population":
        pre = c.population("pre", model, n_pre, traces=traces)
        c.connect(c.add(given_trains(n_pre, 30 * Hz, f"{c.name}_drive_pre")), pre, "exc", 3 * nA, j="i")
    else:  # the source is not a population: the presynaptic trace lives on each synapse
        pre = c.add(given_trains(n_pre, 30 * Hz, f"{c.name}_pre"))
    post = c.population("post", model, n_post, traces=traces)
    c.connect(c.add(given_trains(n_post, 30 * Hz, f"{c.name}_drive_post")), post, "exc", 3 * nA, j="i")
    w0 = rng.uniform(0.3, 0.7, n_pre * n_post) * w_max
    syn = c.connect(pre, post, "exc", 0 * pA, plasticity=(rule,), name=f"{c.name}_plastic")
    syn.w = w0[: len(syn)]
    pre_spikes, post_spikes = c.add(SpikeMonitor(pre)), c.add(SpikeMonitor(post))
    weights = c.add(StateMonitor(syn, "w", record=True, dt=duration / 4))
    c.network().run(duration)
    dt = defaultclock.dt
    steps = lambda mon, n: [np.round(np.asarray(mon.t[mon.i == k] / dt)).astype(int) for k in range(n)]  # noqa: E731
    pairs = list(zip(np.asarray(syn.i), np.asarray(syn.j)))
    expected = reference_weights(steps(pre_spikes, n_pre), steps(post_spikes, n_post), pairs, w0[: len(syn)],
                                 rule, dt)
    return np.asarray(syn.w[:] / pA), np.asarray(expected / pA), np.asarray(weights.w / pA), rule, pre_spikes, post_spikes


@pytest.mark.parametrize("kept", [True, False], ids=["traces_on_neurons", "traces_on_synapses"])
def test_triplet_rule_matches_numpy_on_population_spikes(kept):
    got, expected, history, rule, pre_spikes, post_spikes = _run(kept, "population")
    assert pre_spikes.num_spikes > 40 and post_spikes.num_spikes > 30
    # the weights moved, and none reached a bound: the comparison is of the updates
    assert np.median(np.abs(got - history[:, 0])) > 0.5, got - history[:, 0]
    assert np.all((got > 0) & (got < float(rule.w_max / pA)))
    np.testing.assert_allclose(got, expected, rtol=0, atol=TOLERANCE * float(rule.w_max / pA))


def test_triplet_rule_matches_numpy_from_a_spike_generator_with_weights_at_the_bounds():
    # large steps: some weights reach a bound and stay clipped there
    got, expected, _, rule, _, _ = _run(False, "generator", w_max=8 * pA, step=5.0)
    assert (np.isclose(got, 0) | np.isclose(got, float(rule.w_max / pA))).any(), got
    np.testing.assert_allclose(got, expected, rtol=0, atol=TOLERANCE * float(rule.w_max / pA))
