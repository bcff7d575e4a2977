"""Lateral inhibition: divisive normalization and the inhibitory pool."""
import numpy as np
import pytest
from brian2 import second

from simulations.experiments.lateral_inhibition import simulate_divisive, simulate_pool


def test_divisive_normalization_is_invariant_to_a_tenfold_input_gain():
    pattern = np.random.default_rng(0).uniform(0.1, 1.0, 40)
    low = simulate_divisive(pattern, 1.0)
    high = simulate_divisive(pattern, 10.0)
    assert abs(high.sum() - low.sum()) / low.sum() < 0.10
    assert np.corrcoef(low, high)[0, 1] > 0.99
    # without a pool the summed output would have grown a hundredfold (exponent 2)
    assert high.sum() / low.sum() < 1.1


def test_divisive_normalization_rejects_a_bad_pattern():
    with pytest.raises(ValueError, match="pattern"):
        simulate_divisive(np.array([1.0, np.nan]))


def test_inhibitory_pool_holds_the_active_fraction_across_a_fourfold_input_range():
    fractions = [simulate_pool(s, 0.2, n_neurons=60, duration=4 * second, measure=1.5 * second,
                               seed=3)["active_fraction"] for s in (1.0, 2.0, 4.0)]
    assert np.all(np.abs(np.array(fractions) / 0.2 - 1) < 0.30), fractions
