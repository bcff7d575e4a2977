"""Network homeostasis: inhibitory STDP and the global gain on an E/I network."""
import numpy as np
import pytest
from brian2 import Hz, SpikeMonitor, defaultclock, nS, second, seed

from simulations.experiments.network_homeostasis import simulate_network


def _late(sim, seconds=2.0):
    return sim["rate"][sim["t"] >= sim["t"][-1] + 0.25 - seconds].mean()


def test_global_gain_holds_the_mean_rate_within_ten_percent():
    sim = simulate_network("global", 5 * Hz, n_e=200, n_i=50, learn=8 * second, perturb=0.25 * second,
                           drive_factor=1.0, seed=1)
    assert sim["rate"][:4].mean() > 2 * 5.0  # starts far above target
    assert abs(_late(sim) / 5.0 - 1) < 0.10


def test_inhibitory_stdp_brings_rates_near_target_and_follows_the_target():
    finals, initials = {}, {}
    for rho in (5, 10):
        sim = simulate_network("istdp", rho * Hz, eta=0.4 * nS, n_e=200, n_i=50, learn=8 * second,
                               perturb=0 * second + 0.25 * second, drive_factor=1.0, seed=1)
        finals[rho] = _late(sim)
        initials[rho] = sim["rate"][:2].mean()
    assert initials[5] > 2 * 5.0
    for rho, rate in finals.items():
        assert abs(rate / rho - 1) < 0.30, finals
    assert finals[10] / finals[5] > 1.5, finals


def test_without_homeostasis_the_rate_stays_far_from_target():
    sim = simulate_network("none", n_e=200, n_i=50, learn=2 * second, perturb=0.25 * second, seed=1)
    assert _late(sim, 1.0) > 2 * 5.0


def _vogels_reference(source, target, syn, eta, alpha, tau_stdp, w_max):
    """The rule as Vogels et al. write it, traces on every synapse, on the same connections."""
    from brian2 import Synapses

    ref = Synapses(source, target, """
        w : siemens
        dApre/dt = -Apre / tau_stdp : 1 (event-driven)
        dApost/dt = -Apost / tau_stdp : 1 (event-driven)
        """, on_pre="""
        Apre += 1
        w = clip(w + eta * (Apost - alpha), 0 * w_max, w_max)
        """, on_post="""
        Apost += 1
        w = clip(w + eta * Apre, 0 * w_max, w_max)
        """, namespace=dict(eta=eta, alpha=alpha, tau_stdp=tau_stdp, w_max=w_max), name=f"{syn.name}_reference")
    ref.connect(i=syn.i[:], j=syn.j[:])
    ref.w = syn.w[:]
    return ref


@pytest.mark.parametrize("source_kind", ["population", "poisson"])
def test_inhibitory_stdp_with_neuron_traces_equals_the_per_synapse_rule(source_kind):
    # traces kept by the neurons (ei_network's inhibitory population) or, for a source that
    # cannot keep them, by each synapse: both must give the weights of the textbook rule
    from brian2 import Network, ms, pA, start_scope

    from homeostasis import InhibitorySTDP
    from models import Circuit, ConductanceLIF, poisson_source

    start_scope()
    seed(3)
    rule = InhibitorySTDP(target_rate=5 * Hz, eta=0.5 * nS)
    model = ConductanceLIF()
    c = Circuit("vt")
    E = c.population("E", model, 30, [rule], I_ext=np.linspace(150, 400, 30) * pA)
    if source_kind == "population":
        src = c.population("I", model, 20, traces=rule.traces,
                           I_ext=np.linspace(250, 450, 20) * pA)
        assert "x_stdp" in src.variables
    else:
        src = c.add(poisson_source(20, 20 * Hz, name="vt_inh"))
    syn = c.connect(src, E, "inh", weight=1 * nS, p=0.5)
    # the presynaptic trace is the source's own when it keeps one, else each synapse's
    assert ("lastupdate" in syn.variables) == (source_kind == "poisson")
    ref = _vogels_reference(src, E, syn, rule.eta, rule.alpha, rule.tau_stdp, rule.w_max)
    pre_spikes, post_spikes = SpikeMonitor(src, name="vt_pre"), SpikeMonitor(E, name="vt_post")
    Network(c.network(), ref, pre_spikes, post_spikes).run(1 * second, namespace={})
    w, w_ref = np.asarray(syn.w / nS), np.asarray(ref.w / nS)
    assert np.abs(w_ref - 1).max() > 0.5  # the rule moved the weights a lot
    assert w_ref.min() > 0 and w_ref.max() < float(rule.w_max / nS)  # no clipping below
    # spikes of pre and post in one time step count once, as in the reference (the case a
    # trace read from the neurons must handle: their resets run after the synapses)
    steps = lambda mon, k: set(np.round(np.asarray(mon.t[mon.i == k] / defaultclock.dt)).astype(int))
    pre, post = [steps(pre_spikes, k) for k in range(len(src))], [steps(post_spikes, k) for k in range(len(E))]
    same_step = np.array([len(pre[i] & post[j]) for i, j in zip(syn.i[:], syn.j[:])])
    assert same_step.sum() > 5
    # the neuron traces decay by Euler steps (dt/tau = 0.005), the reference's exactly
    np.testing.assert_allclose(w, w_ref, rtol=0.015, atol=0.03)
