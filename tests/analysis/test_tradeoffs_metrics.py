"""The trade-offs battery's metrics against hand-made traces with known answers."""
import numpy as np
import pytest

from homeostasis.analysis import direction_cosine
from homeostasis.analysis.tradeoffs import (active_fraction, decoder_accuracy, overshoot, recovery_time,
                                            residual_error, spike_cost, weight_correlation)


def _exponential_recovery(tau, depth=0.5, t_perturb=2.0, dt=0.01, end=20.0):
    t = np.arange(dt, end, dt)
    rate = np.where(t < t_perturb, 5.0, 5.0 * (1 - depth * np.exp(-(t - t_perturb) / tau)))
    return t, rate


@pytest.mark.parametrize("tau", [0.5, 1.0, 3.0])
def test_recovery_time_of_an_exponential_is_tau_ln_depth_over_tolerance(tau):
    t, rate = _exponential_recovery(tau)
    # 0.5 exp(-T / tau) = 0.1  ->  T = tau ln 5
    assert recovery_time(t, rate, 5.0, 2.0) == pytest.approx(tau * np.log(5), abs=0.011)
    assert recovery_time(t, rate, 5.0, 2.0, tolerance=0.05) == pytest.approx(tau * np.log(10), abs=0.011)


def test_recovery_time_is_none_when_the_rate_stays_off_and_ignores_a_transient_pass():
    t = np.arange(0.5, 10, 0.5)
    stuck = np.where(t < 2, 5.0, 3.0)
    assert recovery_time(t, stuck, 5.0, 2.0) is None
    # the rate passes through the band at t = 3 and leaves it again: recovery is only at t = 6
    rate = np.where(t < 2, 5.0, 2.0)
    rate[t == 3.0] = 5.0
    rate[t >= 6.0] = 5.2
    assert recovery_time(t, rate, 5.0, 2.0) == pytest.approx(4.0)
    # a rate that never left the band recovered at once
    assert recovery_time(t, np.full_like(t, 5.1), 5.0, 2.0) == 0.0


def test_residual_error_and_spike_cost_of_a_step():
    t = np.arange(0.5, 10.01, 0.5)
    rate = np.where(t <= 2, 5.0, 4.0)
    assert residual_error(t, rate, 5.0, window=2.0) == pytest.approx(0.2)
    # 16 samples after t = 2 at 4 Hz
    assert spike_cost(t, rate, 5.0, 2.25) == pytest.approx(0.8)


def test_overshoot_of_a_damped_oscillation():
    tau, w = 2.0, np.pi / 2
    t = np.linspace(0, 20, 20001)
    rate = 5.0 * (1 - 0.5 * np.exp(-t / tau) * np.cos(w * t))
    phi = np.arctan(1 / (w * tau))
    expected = 0.5 * np.exp(-(np.pi - phi) / (w * tau)) * np.cos(phi)
    # the push is down (the rate starts at half the baseline), found from the first second
    assert overshoot(t, rate, 5.0, 0.0, window=1.0) == pytest.approx(expected, rel=1e-3)
    # an exponential return never crosses: no overshoot
    t2, r2 = _exponential_recovery(1.0)
    assert overshoot(t2, r2, 5.0, 2.0) == 0.0
    # a push up that comes back 30 % below
    t3 = np.arange(0, 10, 0.5)
    r3 = np.where(t3 < 2, 5.0, np.where(t3 < 4, 10.0, 3.5))
    assert overshoot(t3, r3, 5.0, 2.0, window=1.0) == pytest.approx(0.3)


def test_decoder_accuracy_is_held_out_chance_on_noise_and_perfect_on_separable_counts():
    rng = np.random.default_rng(1)
    labels = np.repeat(np.arange(4), 25)
    noise = rng.poisson(3.0, size=(100, 50))
    # a decoder scored on the trials it was fit on would beat chance on noise (50 features, 100 trials)
    assert decoder_accuracy(noise, labels) < 0.4
    signal = rng.poisson(3.0 + 6.0 * (np.arange(50)[None, :] % 4 == labels[:, None]))
    assert decoder_accuracy(signal, labels) > 0.95


def test_weight_correlation_keeps_scaling_and_sees_an_additive_shift():
    rng = np.random.default_rng(2)
    w = rng.lognormal(0.0, 0.8, size=(40, 10))
    # a pure scaling, one factor per neuron: every ratio kept
    assert weight_correlation(w, w * rng.uniform(0.2, 5, size=10)) == pytest.approx(1.0)
    # a pure additive shift: [1, 4] + 2 = [3, 6] halves the log-ratio, as the power a = 1/2,
    # whose score is 2 a / (1 + a^2) = 0.8
    assert weight_correlation([[1.0], [4.0]], [[3.0], [6.0]]) == pytest.approx(0.8)
    assert weight_correlation(w, w ** 0.5) == pytest.approx(0.8)
    # shifts of half, one and three mean weights erase more and more of the ratios ...
    shifted = [weight_correlation(w, w + k * w.mean()) for k in (0.5, 1, 3)]
    assert shifted[0] < 0.9 and shifted[2] < 0.5 and np.all(np.diff(shifted) < 0)
    # ... where the cosine of the vectors saturates (above 0.85 even at three mean weights)
    assert np.mean(direction_cosine(w, w + 3 * w.mean())) > 0.85
    # a random reshuffle of each neuron's weights keeps nothing
    shuffled = np.stack([rng.permutation(col) for col in w.T], axis=1)
    assert abs(weight_correlation(w, shuffled)) < 0.25


def test_weight_correlation_of_a_silenced_synapse_and_the_flat_layout():
    w = np.array([1.0, 2.0, 4.0, 8.0])
    # a synapse silenced counts as floor x the mean: lost, and the score stays scale-invariant
    silenced = w * [0, 1, 1, 1]
    assert weight_correlation(w[:, None], silenced[:, None]) < 0.7  # 0.58 at floor 0.01
    assert weight_correlation(w[:, None], 3 * silenced[:, None]) == pytest.approx(
        weight_correlation(w[:, None], silenced[:, None]))
    # the Brian2 layout (flat weights and each one's target) gives the matrix layout's answer
    m = np.array([[1.0, 3.0], [2.0, 1.0], [4.0, 2.0]])
    after = m + 1.0
    flat = weight_correlation(m.ravel(), after.ravel(), groups=np.tile([0, 1], 3))
    assert flat == pytest.approx(weight_correlation(m, after))
    # equal weights that stay equal keep their (unit) ratios
    assert weight_correlation(np.ones((5, 2)), 2 * np.ones((5, 2))) == 1.0


def test_active_fraction_counts_units_above_the_rate_in_each_bin():
    rates = np.array([[0.0, 6.0, 8.0, 1.0, 5.0], [6.0, 6.0, 0.0, 0.0, 5.0]])
    assert active_fraction(rates, 5.0) == pytest.approx(0.4)  # 2 of 5 in each bin; 5.0 is not above
    rng = np.random.default_rng(3)
    poisson = rng.poisson(2.5, size=(200, 1000)) / 0.5  # 0.5 s bins of 5 Hz Poisson neurons
    from scipy.stats import poisson as dist
    assert active_fraction(poisson, 5.0) == pytest.approx(dist.sf(2, 2.5), abs=0.01)


@pytest.mark.parametrize("call, message", [
    (lambda: recovery_time([0, 1], [5.0, np.nan], 5.0, 0.5), "finite"),
    (lambda: recovery_time([0, 1], [5.0, 5.0], 0.0, 0.5), "baseline"),
    (lambda: recovery_time([0, 1], [5.0, 5.0], 5.0, 3.0), "no sample"),
    (lambda: residual_error([], [], 5.0, 1.0), "non-empty"),
    (lambda: decoder_accuracy(np.ones((4, 2)), [0, 0, 1, 1]), "at least folds"),
    (lambda: weight_correlation([[1.0], [-1.0]], [[1.0], [1.0]]), "non-negative"),
    (lambda: weight_correlation([[1.0], [np.nan]], [[1.0], [1.0]]), "finite"),
    (lambda: weight_correlation([[0.0], [0.0]], [[1.0], [1.0]]), "all-zero"),
    (lambda: active_fraction(np.ones((2, 3)), 0.0), "active_rate"),
])
def test_bad_input_is_a_one_line_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
