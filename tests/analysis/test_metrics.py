"""Load-balancing and multiplicativity metrics, and the ANN halves of the correspondence."""
import numpy as np
import pytest

from homeostasis.analysis import (code_entropy, dead_fraction, linear_probe_accuracy, load_balance, multiplicativity,
                                  relative_deviation,
                                  usage_cv, usage_entropy)
from simulations.experiments.correspondence import ann_layer, ann_network, ann_neuron, ann_synapse


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


def test_gini_and_dispersion():
    from homeostasis.analysis import dispersion, gini

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


def test_multiplicativity_finds_the_factor():
    x = np.random.default_rng(0).uniform(1, 2, 100)
    out = multiplicativity(x, 1.7 * x)
    assert out["factor"] == pytest.approx(1.7) and out["r2"] == pytest.approx(1.0)
    assert relative_deviation([4.5, 5.5], 5.0) == pytest.approx(0.1)


def test_metrics_refuse_bad_activity():
    for bad in (np.zeros((0, 3)), np.array([[np.nan, 1.0]]), -np.ones((3, 3))):
        with pytest.raises(ValueError):
            load_balance(bad)


def test_batch_norm_equalizes_unit_activity_like_intrinsic_plasticity():
    out = ann_neuron(np.random.default_rng(0))
    assert out["mean_dispersion_with"] < out["mean_dispersion_without"] / 4
    assert out["spread_dispersion_with"] < out["spread_dispersion_without"] / 4


def test_ssn_scales_length_and_keeps_direction_after_a_block():
    out = ann_synapse(np.random.default_rng(0), steps=1500)
    assert out["direction_cosine"] > 0.9999
    assert 2.0 < out["length_ratio"] < 4.0  # input cut to a third -> weights up about threefold
    assert abs(out["activity_recovery"] - 1) < 0.1


def test_layer_norm_is_invariant_to_input_gain():
    out = ann_layer(np.random.default_rng(0))
    assert out["gain_invariance"] < 0.01 and out["pattern_correlation"] > 0.999


def test_selu_network_returns_to_its_fixed_point_through_depth():
    out = ann_network(np.random.default_rng(0))
    assert out["deviation_at_perturbation"] > 0.5
    assert out["setpoint_error"] < 0.15


def test_linear_probe_reads_a_trained_hidden_code_and_not_shuffled_labels():
    from homeostasis.ann import MLP, load, train

    d = load("digits")
    net = MLP([64, 32, 32, 10], "none", seed=0)
    train(net, d, steps=200, batch_size=50)
    for h_train, h_test in zip(net.hidden_activations(d.x_train), net.hidden_activations(d.x_test)):
        assert linear_probe_accuracy(h_train, d.y_train, h_test, d.y_test) > 0.85
        shuffled = np.random.default_rng(0).permutation(d.y_train)
        assert linear_probe_accuracy(h_train, shuffled, h_test, d.y_test) < 0.3  # labels the code cannot predict
