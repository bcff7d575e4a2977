"""Network homeostasis: inhibitory STDP and the global gain on an E/I network."""
import numpy as np
from brian2 import Hz, nS, second

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
