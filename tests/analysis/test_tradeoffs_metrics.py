"""The trade-offs battery's metrics against hand-made traces with known answers."""
import numpy as np
import pytest

from homeostasis.analysis.tradeoffs import (decoder_accuracy, overshoot, recovery_time, residual_error, spike_cost,
                                            weight_correlation)


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
    assert weight_correlation(w, w * rng.uniform(0.2, 5, size=10)) == pytest.approx(1.0)
    # adding the same amount to every weight turns the vector toward the diagonal: for
    # [1, 0] + 1 the cosine is 1 / sqrt(5)
    assert weight_correlation([[1.0], [0.0]], [[2.0], [1.0]]) == pytest.approx(2 / np.sqrt(5))
    assert weight_correlation(w, w + 3 * w.mean()) < 0.9


@pytest.mark.parametrize("call, message", [
    (lambda: recovery_time([0, 1], [5.0, np.nan], 5.0, 0.5), "finite"),
    (lambda: recovery_time([0, 1], [5.0, 5.0], 0.0, 0.5), "baseline"),
    (lambda: recovery_time([0, 1], [5.0, 5.0], 5.0, 3.0), "no sample"),
    (lambda: residual_error([], [], 5.0, 1.0), "non-empty"),
    (lambda: decoder_accuracy(np.ones((4, 2)), [0, 0, 1, 1]), "at least folds"),
])
def test_bad_input_is_a_one_line_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
