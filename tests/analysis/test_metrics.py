"""Metrics of homeostasis.analysis, each checked against an independent computation."""
import numpy as np
import pytest

from homeostasis.analysis import (binned_rates, code_entropy, coefficient_of_variation, dead_fraction,
                                  direction_cosine, dispersion, gamma_shape, gini, kl_to_exponential,
                                  ks_to_exponential, linear_probe_accuracy, load_balance, multiplicativity,
                                  relative_deviation, usage_cv, usage_entropy, window_rates)


def test_even_usage_has_zero_cv_and_full_entropy():
    a = np.ones((50, 8))
    assert usage_cv(a) == 0.0 and usage_entropy(a) == pytest.approx(1.0)
    assert dead_fraction(a) == 0.0


def test_one_dominant_unit_has_high_cv_low_entropy():
    a = np.zeros((10, 10))
    a[:, 0] = 1.0
    assert usage_cv(a) == pytest.approx(3.0)  # std/mean of [1, 0 x 9]
    assert usage_entropy(a) == pytest.approx(0.0)
    assert dead_fraction(a) == pytest.approx(0.9)


def test_coefficient_of_variation_is_population_std_over_mean_along_an_axis():
    x = np.random.default_rng(0).gamma(2.0, 1.0, (200, 3))
    by_hand = [np.sqrt(np.mean((c - c.mean()) ** 2)) / c.mean() for c in x.T]
    np.testing.assert_allclose(coefficient_of_variation(x, axis=0), by_hand, rtol=1e-12)
    assert coefficient_of_variation(x[:, 0]) == pytest.approx(by_hand[0])
    assert coefficient_of_variation([0.0, 0.0]) == np.inf  # no activity: no defined spread
    with pytest.raises(ValueError):
        coefficient_of_variation([])


def test_gini_and_dispersion():
    assert gini(np.ones((5, 4))) == pytest.approx(0.0)
    one = np.zeros((5, 4))
    one[:, 0] = 1
    assert gini(one) == pytest.approx(0.75)
    d = dispersion(np.array([[1.0, 2.0], [3.0, 6.0]]))
    assert d["mean_dispersion"] == pytest.approx(1 / 3) and d["spread_dispersion"] == pytest.approx(1 / 3)


def test_code_entropy_counts_distinct_binary_patterns():
    a = np.array([[1, 0], [0, 1], [1, 1], [0, 0]] * 5, dtype=float)
    assert code_entropy(a) == pytest.approx(2.0)
    assert code_entropy(np.ones((20, 3))) == pytest.approx(0.0)


def test_window_rates_count_spikes_in_the_window_only():
    t = np.array([0.05, 0.2, 0.2, 0.99, 1.0, 1.7])
    i = np.array([0, 0, 2, 2, 0, 1])
    np.testing.assert_allclose(window_rates(t, i, 3, 0.1, 1.0), [1 / 0.9, 0.0, 2 / 0.9])  # [start, stop)
    # the binned form with one bin spanning the window gives the same numbers
    np.testing.assert_allclose(binned_rates(t, i, 3, 0.1, 1.0, width=0.9)[0], window_rates(t, i, 3, 0.1, 1.0))
    with pytest.raises(ValueError):
        window_rates(t, i, 3, 1.0, 1.0)


def test_multiplicativity_finds_the_factor_and_rejects_an_offset():
    x = np.random.default_rng(0).uniform(1, 2, 100)
    out = multiplicativity(x, 1.7 * x)
    assert out["factor"] == pytest.approx(1.7) and out["r2"] == pytest.approx(1.0)
    # an additive change is not a scaling: the line through the origin fits badly
    assert multiplicativity(x, x + 5.0)["r2"] < 0.0
    assert relative_deviation([4.5, 5.5], 5.0) == pytest.approx(0.1)


def test_direction_cosine_is_one_for_scaling_and_the_cosine_of_the_angle_for_a_rotation():
    rng = np.random.default_rng(1)
    w = rng.uniform(0.5, 1.5, (30, 4))
    np.testing.assert_allclose(direction_cosine(w, w * [0.2, 1.0, 3.0, 9.0]), 1.0)
    # rotate unit 0's weights by a known angle in the plane of w and an orthogonal vector
    e1 = w[:, 0] / np.linalg.norm(w[:, 0])
    e2 = rng.normal(size=30)
    e2 -= (e2 @ e1) * e1
    e2 /= np.linalg.norm(e2)
    turned = w.copy()
    turned[:, 0] = 2.0 * np.linalg.norm(w[:, 0]) * (np.cos(0.3) * e1 + np.sin(0.3) * e2)
    cos = direction_cosine(w, turned)
    assert cos[0] == pytest.approx(np.cos(0.3)) and np.allclose(cos[1:], 1.0)
    # the flat per-synapse layout with postsynaptic indices gives the same per-unit cosines
    post = np.repeat(np.arange(4), 30)
    np.testing.assert_allclose(direction_cosine(w.T.ravel(), turned.T.ravel(), groups=post), cos)


def test_metrics_refuse_bad_activity():
    for bad in (np.zeros((0, 3)), np.array([[np.nan, 1.0]]), -np.ones((3, 3))):
        with pytest.raises(ValueError):
            load_balance(bad)


def _same_mean_samples(rng, mean=0.2, n=2000):
    """Samples of one mean below 1 (a sigmoid's range), of the size the IP experiment measures."""
    clip = lambda x: x[x < 1][:n]  # noqa: E731
    return {"exponential": clip(rng.exponential(mean, 2 * n)),
            "gamma(1.2)": clip(rng.gamma(1.2, mean / 1.2, 2 * n)),
            "half-normal": clip(np.abs(rng.normal(0.0, mean * np.sqrt(np.pi / 2), 2 * n)))}


def test_gamma_shape_accepts_exponential_and_rejects_gamma_1_2_and_half_normal_of_the_same_mean():
    shapes = {name: [] for name in ("exponential", "gamma(1.2)", "half-normal")}
    for seed in range(20):
        for name, y in _same_mean_samples(np.random.default_rng(seed)).items():
            shapes[name].append(gamma_shape(y, upper=1.0))
    assert np.all(np.abs(np.array(shapes["exponential"]) - 1) < 0.1), shapes["exponential"]
    assert np.all(np.array(shapes["gamma(1.2)"]) > 1.1), shapes["gamma(1.2)"]
    assert np.all(np.array(shapes["half-normal"]) > 1.1), shapes["half-normal"]
    # the shape is fitted, not assumed: a gamma sample's own shape comes back for any scale
    rng = np.random.default_rng(0)
    for k in (0.5, 2.0, 5.0):
        assert gamma_shape(rng.gamma(k, 7.0, 20_000)) == pytest.approx(k, rel=0.05)
    with pytest.raises(ValueError, match="positive"):
        gamma_shape([0.0, 1.0, 2.0])
    with pytest.raises(ValueError, match="upper"):
        gamma_shape([0.5, 1.5], upper=1.0)


def test_truncated_gamma_fit_removes_the_bias_of_a_cut_tail():
    y = np.random.default_rng(4).exponential(0.25, 40_000)
    y = y[y < 1]  # about 2 % of an exponential of mean 0.25 lies above 1, as a sigmoid cannot reach
    assert gamma_shape(y) > 1.03  # the plain fit reads the missing tail as a larger shape
    assert gamma_shape(y, upper=1.0) == pytest.approx(1.0, abs=0.02)


def test_kl_and_ks_accept_an_exponential_but_kl_is_too_weak_to_reject_gamma_1_2():
    y = _same_mean_samples(np.random.default_rng(3))
    assert kl_to_exponential(y["exponential"], 0.2) < 0.02
    assert ks_to_exponential(y["exponential"], 0.2, upper=1.0) < 0.03
    # why the shape is tested with gamma_shape: the old check (KL below 0.1) passes gamma(1.2)
    assert kl_to_exponential(y["gamma(1.2)"], 0.2) < 0.1
    assert ks_to_exponential(y["half-normal"], 0.2, upper=1.0) > 0.05
    big = np.random.default_rng(0)
    assert kl_to_exponential(big.uniform(0, 1, 100_000), 0.2) > 0.3
    assert ks_to_exponential(big.exponential(0.3, 10_000), 0.2) > 0.1  # a wrong mean


def test_linear_probe_reads_a_trained_hidden_code_and_not_shuffled_labels():
    from homeostasis.ann import MLP, load, train

    d = load("digits")
    net = MLP([64, 32, 32, 10], "none", seed=0)
    train(net, d, steps=200, batch_size=50)
    for h_train, h_test in zip(net.hidden_activations(d.x_train), net.hidden_activations(d.x_test)):
        assert linear_probe_accuracy(h_train, d.y_train, h_test, d.y_test) > 0.85
        shuffled = np.random.default_rng(0).permutation(d.y_train)
        assert linear_probe_accuracy(h_train, shuffled, h_test, d.y_test) < 0.3  # labels the code cannot predict
