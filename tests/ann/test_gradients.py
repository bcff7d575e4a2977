"""Every backward pass equals its finite-difference gradient (hypothesis over shapes and values)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from homeostasis.ann import (SELU, BatchNorm, DivisiveNorm, GlobalGain, GlobalHomeostasisNorm,
                             IntrinsicPlasticityNorm, LayerNorm, Linear, ReLU, SynapticScalingNorm,
                             WeightNormLinear, softmax_cross_entropy)

FACTORIES = {
    "linear": lambda n_in, n_out, rng: Linear(n_in, n_out, rng),
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
# batch normalization's training-mode gradient runs through the batch statistics; the
# homeostatic layers are checked with their homeostatic state held fixed (evaluation mode),
# because that state is set by a local rule, not by the gradient
TRAINING_MODE = {"batch_norm"}


def _perturb_params(layer, rng):
    """Non-trivial affine parameters and homeostatic state, so every term is exercised."""
    for key in ("gamma", "beta"):
        if key in layer.params:
            layer.params[key] += rng.normal(0, 0.3, layer.params[key].shape)
    if isinstance(layer, IntrinsicPlasticityNorm):
        layer.mean, layer.var = rng.normal(0, 1, layer.mean.shape), rng.uniform(0.5, 2, layer.var.shape)
    if isinstance(layer, GlobalHomeostasisNorm):
        layer.shared.gain = 1.7


def _check(name, n_in, n_out, batch, seed):
    rng = np.random.default_rng(seed)
    layer = FACTORIES[name](n_in, n_out, rng)
    _perturb_params(layer, rng)
    training = name in TRAINING_MODE
    x = rng.normal(0, 1, (batch, n_in))
    if name in ("relu", "selu"):
        x[np.abs(x) < 1e-3] = 0.5  # keep away from the kink of the rectifier
    y = layer.forward(x, training)
    proj = rng.normal(0, 1, y.shape)

    def loss():
        return float(np.sum(layer.forward(x, training) * proj))

    loss()
    dx = layer.backward(proj)
    np.testing.assert_allclose(dx, numeric_gradient(loss, x), rtol=1e-4, atol=1e-6)
    loss()
    layer.backward(proj)
    for key, p in layer.params.items():
        analytic = layer.grads[key].copy()
        np.testing.assert_allclose(analytic, numeric_gradient(loss, p), rtol=1e-4, atol=1e-6, err_msg=f"{name}.{key}")


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


@pytest.mark.parametrize("name", sorted(FACTORIES))
@settings(max_examples=12, deadline=None)
@given(n_in=st.integers(2, 6), n_out=st.integers(1, 5), batch=st.integers(2, 5), seed=st.integers(0, 10_000))
def test_backward_matches_finite_differences(name, n_in, n_out, batch, seed):
    _check(name, n_in, n_out, batch, seed)


@settings(max_examples=20, deadline=None)
@given(batch=st.integers(1, 6), classes=st.integers(2, 7), seed=st.integers(0, 10_000))
def test_cross_entropy_gradient_matches_finite_differences(batch, classes, seed):
    rng = np.random.default_rng(seed)
    logits = rng.normal(0, 2, (batch, classes))
    labels = rng.integers(0, classes, batch)
    _, grad = softmax_cross_entropy(logits, labels)
    num = numeric_gradient(lambda: softmax_cross_entropy(logits, labels)[0], logits)
    np.testing.assert_allclose(grad, num, rtol=1e-5, atol=1e-8)
