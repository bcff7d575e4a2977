"""Speed and stability metrics: read off recorded curves, and able to tell a steadied network apart."""
import copy

import numpy as np
import pytest

from homeostasis.analysis import activation_drift, binned_rates, steps_to_target
from homeostasis.ann import MLP, Dataset, load, train


def test_steps_to_target_is_the_first_recorded_step_at_or_above_target():
    steps = [50, 100, 150, 200, 250, 300]
    curve = [0.20, 0.55, 0.61, 0.58, 0.70, 0.72]  # crosses 0.6, dips below, crosses again
    assert steps_to_target(steps, curve, 0.60) == 150  # the first crossing, not a later one
    assert steps_to_target(steps, curve, 0.70) == 250  # reaching it exactly counts
    assert steps_to_target(steps, curve, 0.20) == 50
    assert steps_to_target(steps, curve, 0.73) is None  # never reached
    assert steps_to_target(steps, [np.nan, 0.1, 0.2, 0.3, 0.4, 0.9], 0.5) == 300  # NaN never counts as reached


@pytest.mark.parametrize("steps, curve", [([1, 2], [0.1]), ([2, 1], [0.1, 0.2]), ([], [])])
def test_steps_to_target_refuses_a_malformed_curve(steps, curve):
    with pytest.raises(ValueError):
        steps_to_target(steps, curve, 0.5)


def test_activation_drift_matches_a_hand_computation_and_ignores_scale():
    mean = np.array([[1.0, 0.0], [1.5, 0.0], [1.5, 0.0]])
    std = np.array([[1.0, 0.0], [1.0, 0.0], [0.5, 0.0]])  # unit 1 silent throughout
    size = np.hypot(mean, std).sum(axis=1)
    expected = np.mean([0.5 / ((size[0] + size[1]) / 2), 0.5 / ((size[1] + size[2]) / 2)])
    assert activation_drift(mean, std) == pytest.approx(expected)
    assert activation_drift(1000 * mean, 1000 * std) == pytest.approx(expected)
    assert activation_drift(np.zeros((3, 2)), np.zeros((3, 2))) == 0.0
    with pytest.raises(ValueError, match="measurements >= 2"):
        activation_drift(mean[:1], std[:1])


def _scaled(data: Dataset, factor: float) -> Dataset:
    return Dataset(data.name, factor * data.x_train, data.y_train, factor * data.x_test, data.y_test, data.n_classes)


def _drift(first, second) -> float:
    """activation_drift over both phases, averaged over the hidden layers."""
    return float(np.mean([activation_drift(np.vstack([m1, m2]), np.vstack([s1, s2])) for m1, m2, s1, s2
                          in zip(first.probe_mean, second.probe_mean, first.probe_std, second.probe_std)]))


def _drift_with_and_without_a_jump(method, factor=100.0):
    """Train, then train on with the input scale multiplied by ``factor`` (training, test and probe alike)."""
    data = load("digits")
    net = MLP([64, 32, 32, 10], method, random_state=0)
    first = train(net, data, steps=200, batch_size=50, eval_every=20, probe=data.x_test[:200], seed=0)
    out = []
    for f in (factor, 1.0):
        phase = _scaled(data, f)
        second = train(copy.deepcopy(net), phase, steps=200, batch_size=50, eval_every=20,
                       probe=phase.x_test[:200], seed=1)
        out.append(_drift(first, second))
    return out


def test_activation_drift_is_larger_without_normalization_when_the_input_scale_jumps_100_fold():
    """The jump puts about 2 * 99 / 101 into one of 19 intervals of the unnormalized network (+0.1).

    Batch normalization absorbs it within the 20 steps to the next evaluation (its running
    statistics move 10 % a step), so its drift stays at its no-jump level.
    """
    none_jump, none_steady = _drift_with_and_without_a_jump("none")
    batch_jump, batch_steady = _drift_with_and_without_a_jump("batch")
    assert none_jump > 1.5 * batch_jump, (none_jump, batch_jump)
    assert none_jump > 1.5 * none_steady, (none_jump, none_steady)  # the control: the jump is what drifts
    assert batch_jump < 1.2 * batch_steady, (batch_jump, batch_steady)


def test_probe_statistics_are_recorded_at_every_evaluation():
    data = load("digits")
    h = train(MLP([64, 16, 8, 10], "batch", random_state=0), data, steps=60, batch_size=30, eval_every=20,
              probe=data.x_test[:50])
    assert [m.shape for m in h.probe_mean] == [(3, 16), (3, 8)] and [s.shape for s in h.probe_std] == [(3, 16), (3, 8)]
    assert np.all(np.concatenate([s.ravel() for s in h.probe_std]) >= 0)
    with pytest.raises(ValueError, match="'probe'"):
        train(MLP([64, 16, 10]), data, steps=5, probe=data.x_test[:5, :10])


def test_activation_drift_applies_to_spiking_rate_statistics_over_time():
    """The same function on the spiking side: per-window mean and spread of binned rates.

    50 Poisson neurons at 20-40 Hz, ten windows of 10 s in 0.5 s bins. Sampling noise alone
    gives about 0.11 (seeds 0-9: 0.107 +- 0.003); doubling every rate halfway adds about
    0.055 (0.162 +- 0.003), so a margin of 0.025 is far outside the noise.
    """
    rng = np.random.default_rng(0)
    n, duration, windows = 50, 100.0, 10
    base = rng.uniform(20, 40, n)

    def drift(rate_at):
        t, i = [], []
        for unit in range(n):
            for start in np.arange(0, duration, 1.0):  # piecewise-constant Poisson trains, 1 s pieces
                k = rng.poisson(rate_at(start)[unit])
                t.extend(start + rng.uniform(0, 1, k))
                i.extend([unit] * k)
        edges = np.linspace(0, duration, windows + 1)
        rates = [binned_rates(t, i, n, a, b, width=0.5) for a, b in zip(edges[:-1], edges[1:])]
        return activation_drift([r.mean(axis=0) for r in rates], [r.std(axis=0) for r in rates])

    steady = drift(lambda s: base)
    doubling = drift(lambda s: base * (2.0 if s >= duration / 2 else 1.0))
    assert doubling > steady + 0.025, (steady, doubling)
