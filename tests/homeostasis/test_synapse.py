"""Synaptic scaling: block and boost of the drive, multiplicative weight changes."""
import numpy as np
from brian2 import Hz, ms, second

from simulations.experiments.synaptic_scaling import fit_through_origin, simulate_scaling


def test_fit_through_origin_recovers_a_pure_scaling_and_rejects_an_offset():
    x = np.linspace(1, 10, 50)
    k, r2 = fit_through_origin(x, 2.5 * x)
    assert abs(k - 2.5) < 1e-12 and r2 > 0.999999
    _, r2_offset = fit_through_origin(x, x + 20)
    assert r2_offset < 0.5


def test_scaling_up_after_block_down_after_boost_rate_back_near_target():
    sim = simulate_scaling(target_rate=5 * Hz, tau_scaling=1.5 * second, tau_r=300 * ms, n_neurons=10,
                           n_inputs=80, input_rates=(10 * Hz, 3 * Hz, 25 * Hz), phase=8 * second, seed=2)
    T = sim["phase_s"]
    w = {k: sim["w_pA"][:, int(np.argmin(np.abs(sim["w_t"] - T * k)))] for k in (1, 2, 3)}
    k_block, r2_block = fit_through_origin(np.sort(w[1]), np.sort(w[2]))
    k_boost, r2_boost = fit_through_origin(np.sort(w[2]), np.sort(w[3]))
    assert k_block > 1.5 and k_boost < 0.6, (k_block, k_boost)
    assert r2_block > 0.98 and r2_boost > 0.98, (r2_block, r2_boost)
    rates = sim["phase_rates"].mean(axis=1)
    assert np.all(np.abs(rates[1:] / 5.0 - 1) < 0.15), rates
    # each neuron's weights change by exactly one factor
    post = sim["post"]
    for j in np.unique(post)[:5]:
        ratio = w[2][post == j] / w[1][post == j]
        assert np.ptp(ratio) < 1e-6 * ratio.mean()


def test_scaling_factor_integrates_the_rate_error_and_scales_the_transmitted_weight():
    """g follows dg/dt = g (r0 - r) / (tau r0) for the rate trace r it saw; w_eff = g w."""
    from brian2 import Network, StateMonitor, nA, pA

    from homeostasis import SynapticScaling
    from models import Circuit, CurrentLIF, poisson_source

    r0, tau = 5 * Hz, 1 * second
    c = Circuit("scaling_factor")
    # constant drives from silent to fast, so the factor grows in some neurons and shrinks in others
    E = c.population("E", CurrentLIF(), 5, [SynapticScaling(target_rate=r0, tau_scaling=tau, tau_r=200 * ms)],
                     I_ext=np.array([0.15, 0.21, 0.23, 0.26, 0.35]) * nA)
    src = c.add(poisson_source(4, 1 * Hz, name="scaling_factor_src"))
    S = c.connect(src, E, "exc", weight=np.arange(1, 21) * pA, i=np.repeat(np.arange(4), 5), j=np.tile(np.arange(5), 4))
    rate = StateMonitor(E, "r", record=True, name="scaling_factor_r")
    Network(c.network(), rate).run(2 * second)

    g = np.asarray(E.g_scaling[:])
    # the exact solution for the recorded trace: log g = integral of (r0 - r) / (tau r0)
    log_g = np.sum((float(r0 / Hz) - rate.r / Hz) * float(0.1 * ms / second), axis=1) / float(tau / second) / 5.0
    assert np.min(log_g) < -0.5 and np.max(log_g) > 0.3, log_g  # both directions, by a lot
    np.testing.assert_allclose(np.log(g), log_g, rtol=0.01, atol=2e-3)
    # the weights keep their values; a spike transmits w times its neuron's factor
    np.testing.assert_allclose(S.w[:] / pA, np.arange(1, 21))
    np.testing.assert_allclose(S.w_eff[:] / pA, np.arange(1, 21) * g[np.tile(np.arange(5), 4)], rtol=1e-12)
