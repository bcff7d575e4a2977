"""The ANN counterpart of the trade-offs battery: a normalization with state recovers, none does not."""
import numpy as np
import pytest

from homeostasis.ann.battery import battery, perturb_inputs

FAST = dict(steps=200, adapt_steps=100, record_every=10, hidden=(32,))


@pytest.fixture(scope="module")
def blockade():
    return {m: battery(m, {"blockade": 0.5, "lesion": 0.3}, seed=1, **FAST) for m in ("none", "batch", "layer")}


def test_without_normalization_activity_follows_the_blockade_and_stays_down(blockade):
    m = blockade["none"]["blockade"]
    assert m["recovery_steps"] is None
    # a ReLU network without biases' help: halving the input about halves the activity
    assert 0.3 < m["residual_error"] < 0.7
    assert m["spike_cost"] < 0.7


def test_batch_and_layer_normalization_undo_a_common_input_scale(blockade):
    # batch normalization by adapting its running statistics, layer normalization at once
    assert blockade["batch"]["blockade"]["residual_error"] < 0.05
    assert blockade["batch"]["blockade"]["recovery_steps"] is not None
    assert blockade["layer"]["blockade"]["recovery_steps"] == 0
    # a lesion is not a common scale: it changes the pattern, and the decoder sees it
    for method in ("none", "batch", "layer"):
        m = blockade[method]["lesion"]
        assert m["discrimination_after"] <= m["discrimination_before"] + 0.02


def test_same_seed_same_metrics():
    a = battery("ssn", {"overdrive": 1.0}, seed=2, **FAST)
    b = battery("ssn", {"overdrive": 1.0}, seed=2, **FAST)
    assert a == b


@pytest.mark.parametrize("name, strength, message", [("ttx", 0.5, "unknown perturbation"),
                                                     ("blockade", 1.0, "must lie in"),
                                                     ("overdrive", np.nan, "must lie in")])
def test_bad_perturbation_is_a_one_line_error_before_training(name, strength, message):
    with pytest.raises(ValueError, match=message):
        perturb_inputs(np.ones((2, 3)), name, strength, np.random.default_rng(0))
    with pytest.raises(ValueError, match=message):
        battery("none", {name: strength}, steps=10 ** 9)  # would take hours if it trained first
