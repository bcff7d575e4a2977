"""Intrinsic plasticity: rate form (Triesch) and spiking form (adaptive threshold)."""
import numpy as np
import pytest
from brian2 import Hz, mV, second

from simulations.experiments.intrinsic_plasticity import kl_to_exponential, simulate_rate_ip, simulate_spiking_ip


@pytest.mark.parametrize("target_mean", [0.1, 0.25])
def test_triesch_rule_makes_the_output_exponential_with_the_target_mean(target_mean):
    sim = simulate_rate_ip(target_mean, tau_ip=0.5 * second, n_units=4, duration=60 * second,
                           measure=20 * second, seed=1)
    y = sim["y"]
    means = y.mean(axis=0)
    cvs = y.std(axis=0) / means
    assert np.all(np.abs(means / target_mean - 1) < 0.10), means
    assert np.all(np.abs(cvs - 1) < 0.2), cvs
    assert kl_to_exponential(y, target_mean) < 0.1


def test_kl_to_exponential_is_zero_for_exponential_samples_and_large_for_uniform():
    rng = np.random.default_rng(0)
    y = rng.exponential(0.2, 200_000)
    y = y[y < 1]
    assert kl_to_exponential(y, 0.2) < 0.005
    assert kl_to_exponential(rng.uniform(0, 1, 100_000), 0.2) > 0.3


def test_adaptive_threshold_clusters_rates_at_target_despite_tenfold_drive_spread():
    off = simulate_spiking_ip(False, n_neurons=15, duration=10 * second, measure=3 * second)["rates"]
    on = simulate_spiking_ip(True, target_rate=5 * Hz, eta_threshold=1 * mV, n_neurons=15,
                             duration=10 * second, measure=3 * second)["rates"]
    cv_off, cv_on = off.std() / off.mean(), on.std() / on.mean()
    assert cv_on < cv_off / 4, (cv_on, cv_off)
    assert abs(on.mean() / 5.0 - 1) < 0.15, on.mean()
    assert off.mean() > 4 * 5.0  # the drive alone puts the population far from target
