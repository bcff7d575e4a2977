"""The ANN halves of the correspondence, each against its control, and verdicts that can fail."""
import numpy as np
import pytest

from homeostasis.simulations.experiments.correspondence import VERDICTS, ann_layer, ann_network, ann_neuron, ann_synapse


def test_batch_norm_equalizes_unit_activity_on_held_out_inputs():
    out = ann_neuron(np.random.default_rng(0))
    # measured on samples the running statistics never saw, so not zero by construction
    assert out["mean_dispersion_with"] < out["mean_dispersion_without"] / 4
    assert out["spread_dispersion_with"] < out["spread_dispersion_without"] / 4
    assert out["mean_dispersion_with"] > 1e-3


def test_ssn_recovers_activity_after_a_block_and_the_frozen_control_does_not():
    out = ann_synapse(np.random.default_rng(0), steps=1500)
    assert abs(out["activity_recovery"] - 1) < 0.1
    assert out["activity_recovery_control"] == pytest.approx(1 / 3, abs=0.05)  # input cut to a third, weights fixed
    assert 2.0 < out["length_ratio"] < 4.0  # weights up about threefold
    assert out["direction_cosine"] > 0.9999  # one factor per unit: by construction, reported only


def test_layer_norm_is_invariant_to_input_gain_and_the_bare_layer_is_not():
    out = ann_layer(np.random.default_rng(0))
    assert out["gain_invariance"] < 0.01 and out["pattern_correlation"] > 0.999
    assert out["gain_invariance_control"] == pytest.approx(9.0)  # ReLU alone passes the tenfold gain on


def test_selu_network_returns_to_its_fixed_point_through_depth_and_relu_does_not():
    out = ann_network(np.random.default_rng(0))
    assert out["deviation_at_perturbation"] > 0.5
    assert out["setpoint_error"] < 0.15
    assert out["setpoint_error_control"] > 0.3


def test_each_verdict_fails_when_the_mechanism_does_no_better_than_its_control():
    """Feed each verdict the numbers of a side without the mechanism: it must say no."""
    no_mechanism = {
        "neuron": {"mean_dispersion_with": 0.45, "mean_dispersion_without": 0.48},
        "synapse": {"activity_recovery": 0.34, "activity_recovery_control": 0.33},
        "layer": {"gain_invariance": 9.0, "gain_invariance_control": 9.0},
        "network": {"setpoint_error": 0.8, "setpoint_error_control": 0.8},
    }
    # and a mechanism that works, but in a circuit that would have recovered by itself
    no_control_contrast = {
        "synapse": {"activity_recovery": 1.0, "activity_recovery_control": 0.95},
        "layer": {"gain_invariance": 0.01, "gain_invariance_control": 0.05},
        "network": {"setpoint_error": 0.05, "setpoint_error_control": 0.1},
    }
    working = {
        "neuron": {"mean_dispersion_with": 0.04, "mean_dispersion_without": 0.48},
        "synapse": {"activity_recovery": 1.02, "activity_recovery_control": 0.33},
        "layer": {"gain_invariance": 0.01, "gain_invariance_control": 9.0},
        "network": {"setpoint_error": 0.05, "setpoint_error_control": 0.8},
    }
    for scale, (_, holds, fails_if) in VERDICTS.items():
        assert fails_if  # table.md says what would have made it fail
        assert holds(working[scale]), scale
        assert not holds(no_mechanism[scale]), scale
        if scale in no_control_contrast:
            assert not holds(no_control_contrast[scale]), scale
