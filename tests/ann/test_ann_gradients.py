"""Every backward pass equals its finite-difference gradient (hypothesis over shapes and values).

The homeostatic layers are checked with their homeostatic state frozen (``adapt = False``
in a training pass, and in evaluation mode): that state is set by a local rule, not by the
gradient, so the gradient is defined with it held constant.
"""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from homeostasis.ann import (SELU, BatchNorm, DivisiveNorm, GlobalGain, GlobalHomeostasisNorm,
                             IntrinsicPlasticityNorm, LayerNorm, Linear, ReLU, SynapticScalingNorm,
                             WeightNormLinear, softmax_cross_entropy)

FACTORIES = {
    "linear": lambda n_in, n_out, rng: Linear(n_in, n_out, rng),
    "linear_lecun": lambda n_in, n_out, rng: Linear(n_in, n_out, rng, init="lecun"),
    "weight_norm": lambda n_in, n_out, rng: WeightNormLinear(n_in, n_out, rng),
    "ssn": lambda n_in, n_out, rng: SynapticScalingNorm(n_in, n_out, rng),
    "batch_norm": lambda n_in, n_out, rng: BatchNorm(n_in),
    "layer_norm": lambda n_in, n_out, rng: LayerNorm(n_in),
    "ip": lambda n_in, n_out, rng: IntrinsicPlasticityNorm(n_in),
    "divisive": lambda n_in, n_out, rng: DivisiveNorm(n_in),
    "global": lambda n_in, n_out, rng: GlobalHomeostasisNorm(GlobalGain()),
    "relu": lambda n_in, n_out, rng: ReLU(),
    "selu": lambda n_in, n_out, rng: SELU(),
}


def _perturb_state(layer, rng):
    """Non-trivial affine parameters and homeostatic state, so that every term is exercised."""
    for key in ("gamma", "beta", "g"):
        if key in layer.params:
            layer.params[key] += rng.normal(0, 0.3, layer.params[key].shape)
    if isinstance(layer, IntrinsicPlasticityNorm):
        layer.gain, layer.threshold = rng.uniform(0.5, 2, layer.gain.shape), rng.normal(0, 1, layer.threshold.shape)
    if isinstance(layer, SynapticScalingNorm):
        layer.gain = rng.uniform(0.5, 2, layer.gain.shape)
    if isinstance(layer, GlobalHomeostasisNorm):
        layer.shared.gain = 1.7
    if isinstance(layer, BatchNorm):
        layer.running_mean = rng.normal(0, 1, layer.running_mean.shape)
        layer.running_var = rng.uniform(0.5, 2, layer.running_var.shape)
    if hasattr(layer, "adapt"):
        layer.adapt = False


def numeric_gradient(f, array, eps=1e-6):
    """Central differences of the scalar ``f()`` with respect to ``array`` (changed in place, restored)."""
    grad = np.zeros_like(array)
    for idx in np.ndindex(array.shape):
        old = array[idx]
        array[idx] = old + eps
        up = f()
        array[idx] = old - eps
        down = f()
        array[idx] = old
        grad[idx] = (up - down) / (2 * eps)
    return grad


def _check(name, n_in, n_out, batch, seed, training):
    rng = np.random.default_rng(seed)
    layer = FACTORIES[name](n_in, n_out, rng)
    _perturb_state(layer, rng)
    x = rng.normal(0, 1, (batch, n_in))
    if name in ("relu", "selu"):
        x[np.abs(x) < 1e-3] = 0.5  # keep away from the kink, where the derivative jumps
    proj = rng.normal(0, 1, layer.forward(x, training).shape)

    def loss():
        return float(np.sum(layer.forward(x, training) * proj))

    state_before = {k: v.copy() for k, v in layer.params.items()}
    loss()
    dx = layer.backward(proj)
    np.testing.assert_allclose(dx, numeric_gradient(loss, x), rtol=1e-4, atol=1e-6, err_msg=f"{name}: input")
    loss()
    layer.backward(proj)
    for key, p in layer.params.items():
        analytic = layer.grads[key].copy()
        assert analytic.shape == p.shape
        np.testing.assert_allclose(analytic, numeric_gradient(loss, p), rtol=1e-4, atol=1e-6, err_msg=f"{name}.{key}")
    # a frozen homeostatic state leaves the parameters as they were
    for key, p in layer.params.items():
        np.testing.assert_allclose(p, state_before[key], err_msg=f"{name}.{key} changed")


@pytest.mark.parametrize("training", [True, False], ids=["training", "eval"])
@pytest.mark.parametrize("name", sorted(FACTORIES))
@settings(max_examples=8, deadline=None)
@given(n_in=st.integers(2, 6), n_out=st.integers(1, 5), batch=st.integers(2, 5), seed=st.integers(0, 10_000))
def test_backward_matches_finite_differences(name, training, n_in, n_out, batch, seed):
    _check(name, n_in, n_out, batch, seed, training)


@pytest.mark.parametrize("name", ["ssn", "ip", "divisive", "global", "layer_norm", "linear"])
@settings(max_examples=5, deadline=None)
@given(n_in=st.integers(2, 6), n_out=st.integers(1, 5), seed=st.integers(0, 10_000))
def test_online_layers_have_correct_gradients_for_a_batch_of_one(name, n_in, n_out, seed):
    _check(name, n_in, n_out, 1, seed, training=True)


@settings(max_examples=20, deadline=None)
@given(batch=st.integers(1, 6), classes=st.integers(2, 7), seed=st.integers(0, 10_000),
       scale=st.floats(0.1, 20.0))
def test_cross_entropy_gradient_matches_finite_differences(batch, classes, seed, scale):
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, scale, (batch, classes))
    labels = rng.integers(0, classes, batch)
    loss, grad = softmax_cross_entropy(logits, labels)
    assert np.isfinite(loss) and loss >= 0
    num = numeric_gradient(lambda: softmax_cross_entropy(logits, labels)[0], logits)
    np.testing.assert_allclose(grad, num, rtol=1e-4, atol=1e-7)


def test_cross_entropy_of_uniform_logits_is_log_classes():
    loss, _ = softmax_cross_entropy(np.zeros((3, 5)), np.array([0, 2, 4]))
    assert loss == pytest.approx(np.log(5))


def test_cross_entropy_survives_huge_logits():
    loss, grad = softmax_cross_entropy(np.array([[1e4, 0.0, -1e4]]), np.array([1]))
    assert loss == pytest.approx(1e4) and np.all(np.isfinite(grad))
