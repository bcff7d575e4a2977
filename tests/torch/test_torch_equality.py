"""Each torch module computes what its numpy layer computes: float64, 1e-10, over 100 training steps.

Every step compares the forward output, the gradients (autograd against the numpy backward,
for the input and every trained parameter) and the homeostatic state; the weights then take
the same gradient step on both sides, so the state is compared along a real trajectory.
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install 'homeostasis[torch]')")
F = torch.nn.functional

from homeostasis import ann  # noqa: E402
from homeostasis import torch as ht  # noqa: E402

TOL = 1e-10
STEPS = 100
LR = 0.05


def _t(a):
    return torch.tensor(np.asarray(a), dtype=torch.float64)


def _close(torch_value, numpy_value, what):
    got = torch_value.detach().numpy() if isinstance(torch_value, torch.Tensor) else np.asarray(torch_value)
    np.testing.assert_allclose(got, numpy_value, rtol=0, atol=TOL * max(1.0, float(np.max(np.abs(numpy_value)))),
                               err_msg=what)


def _batches(rng, shape, zero_at=()):
    """Inputs with an offset and spread per unit, an all-zero batch at the steps ``zero_at``."""
    scale = rng.uniform(0.5, 3.0, shape[1:])
    offset = rng.normal(0.0, 2.0, shape[1:])
    for step in range(STEPS):
        yield np.zeros(shape) if step in zero_at else offset + scale * rng.normal(size=shape)


def test_ssn_linear_equals_the_numpy_layer():
    rng = np.random.default_rng(0)
    ref = ann.SynapticScalingNorm(6, 4, random_state=rng, eta=0.5, max_step=0.05)
    mod = ht.SynapticScalingLinear(6, 4, eta=0.5, max_step=0.05, dtype=torch.float64)
    with torch.no_grad():
        mod.weight.copy_(_t(ref.params["w"].T))
        mod.bias.copy_(_t(rng.normal(size=4)))
        mod.gain.copy_(_t(ref.gain))  # the gains start at the norms of the weights they came with
    ref.params["b"] = mod.bias.detach().numpy().copy()
    _close(mod.gain, ref.gain, "initial gain")
    for step, x in enumerate(_batches(rng, (8, 6), zero_at=(0, 40))):
        xt = _t(x).requires_grad_(True)
        z_ref, z = ref.forward(x, training=True), mod(xt)
        _close(z, z_ref, f"output, step {step}")
        dy = rng.normal(size=z_ref.shape)
        dx_ref = ref.backward(dy)
        mod.zero_grad()
        z.backward(_t(dy))
        _close(xt.grad, dx_ref, f"input gradient, step {step}")
        _close(mod.weight.grad.T, ref.grads["w"], f"weight gradient, step {step}")
        _close(mod.bias.grad, ref.grads["b"], f"bias gradient, step {step}")
        _close(mod.gain, ref.gain, f"gain, step {step}")
        with torch.no_grad():
            mod.weight -= LR * mod.weight.grad
            mod.bias -= LR * mod.bias.grad
        ref.params["w"] = ref.params["w"] - LR * ref.grads["w"]
        ref.params["b"] = ref.params["b"] - LR * ref.grads["b"]
    _close(mod.activity, ref.activity, "running activity after 100 steps")
    # the rule moved the gains by far more than the tolerance: the comparison has something to see
    assert np.max(np.abs(ref.gain / np.linalg.norm(ref.params["w"], axis=0) - 1)) > 0.1
    assert int(mod.num_batches_tracked) == STEPS - 2  # the two all-zero batches were skipped


def _patches(x, kernel, padding):
    """(N, C, H, W) to the rows a Linear sees: one (C * kh * kw) patch per output position."""
    cols = F.unfold(x, kernel, padding=padding)  # (N, C*kh*kw, L)
    return cols.transpose(1, 2).reshape(-1, cols.shape[1])


@pytest.mark.parametrize("dims", [1, 2])
def test_ssn_conv_equals_the_numpy_layer_on_every_patch(dims):
    """A convolution is a Linear on each input patch: the numpy SSN on the patches is the reference."""
    rng = np.random.default_rng(1)
    c_in, c_out, k = 3, 5, 3
    shape = (4, c_in, 7) if dims == 1 else (4, c_in, 5, 5)
    kernel = (1, k) if dims == 1 else (k, k)
    ref = ann.SynapticScalingNorm(c_in * k ** dims, c_out, random_state=rng, eta=0.5, max_step=0.05)
    cls = ht.SynapticScalingConv1d if dims == 1 else ht.SynapticScalingConv2d
    mod = cls(c_in, c_out, k, padding=1, eta=0.5, max_step=0.05, dtype=torch.float64)
    with torch.no_grad():
        mod.weight.copy_(_t(ref.params["w"].T).reshape(mod.weight.shape))
        mod.bias.zero_()
        mod.gain.copy_(_t(ref.gain))
    padding = (0, 1) if dims == 1 else (1, 1)
    for step, x in enumerate(_batches(rng, shape)):
        xt = _t(x).requires_grad_(True)
        x4 = xt.unsqueeze(2) if dims == 1 else xt
        rows = _patches(x4.detach(), kernel, padding).requires_grad_(True)
        z_ref, z = ref.forward(rows.detach().numpy(), training=True), mod(xt)
        z_rows = z.reshape(shape[0], c_out, -1).transpose(1, 2).reshape(-1, c_out)
        _close(z_rows, z_ref, f"output, step {step}")
        dy = rng.normal(size=z.shape)
        dy_rows = _t(dy).reshape(shape[0], c_out, -1).transpose(1, 2).reshape(-1, c_out).numpy()
        drows_ref = ref.backward(dy_rows)
        mod.zero_grad()
        z.backward(_t(dy))
        # the input gradient: the patch gradients summed back onto the pixels they came from
        spatial = x4.shape[2:]
        dx_ref = F.fold(_t(drows_ref).reshape(shape[0], -1, rows.shape[1]).transpose(1, 2), spatial, kernel,
                        padding=padding).reshape(shape)
        _close(xt.grad, dx_ref.numpy(), f"input gradient, step {step}")
        _close(mod.weight.grad.reshape(c_out, -1).T, ref.grads["w"], f"weight gradient, step {step}")
        _close(mod.bias.grad, ref.grads["b"], f"bias gradient, step {step}")
        with torch.no_grad():
            mod.weight -= LR * mod.weight.grad
        ref.params["w"] = ref.params["w"] - LR * ref.grads["w"]
        ref.params["b"] = ref.params["b"] - LR * ref.grads["b"]
        with torch.no_grad():
            mod.bias -= LR * mod.bias.grad
    _close(mod.gain, ref.gain, "gain after 100 steps")
    _close(mod.activity, ref.activity, "running activity after 100 steps")
    assert np.max(np.abs(ref.gain / np.linalg.norm(ref.params["w"], axis=0) - 1)) > 0.1


def _ip_pair(dims, batch):
    rng = np.random.default_rng(2 + dims + batch)
    c = 4
    shape = {1: (batch, c), 3: (batch, c, 6), 4: (batch, c, 3, 3)}[dims]
    ref = ann.IntrinsicPlasticityNorm(c, momentum=0.05, eta=0.2)
    cls = ht.IntrinsicPlasticityNorm2d if dims == 4 else ht.IntrinsicPlasticityNorm1d
    mod = cls(c, momentum=0.05, eta=0.2, dtype=torch.float64)
    with torch.no_grad():
        mod.weight.copy_(_t(rng.uniform(0.5, 2.0, c)))
        mod.bias.copy_(_t(rng.normal(size=c)))
    ref.params = {"gamma": mod.weight.detach().numpy().copy(), "beta": mod.bias.detach().numpy().copy()}
    return rng, shape, ref, mod


def _rows(a):
    """(N, C, *positions) to (N * positions, C): every value of a channel a sample of that unit."""
    a = np.asarray(a)
    return np.moveaxis(a, 1, -1).reshape(-1, a.shape[1])


@pytest.mark.parametrize("dims,batch", [(1, 8), (1, 1), (3, 2), (4, 3)], ids=["1d", "1d-batch-of-one", "1d-seq", "2d"])
def test_intrinsic_plasticity_norm_equals_the_numpy_layer(dims, batch):
    rng, shape, ref, mod = _ip_pair(dims, batch)
    for step, x in enumerate(_batches(rng, shape)):
        xt = _t(x).requires_grad_(True)
        y_ref, y = ref.forward(_rows(x), training=True), mod(xt)
        _close(_t(_rows(y.detach())), y_ref, f"output, step {step}")
        dy = rng.normal(size=shape)
        dx_ref = ref.backward(_rows(dy))
        mod.zero_grad()
        y.backward(_t(dy))
        _close(_t(_rows(xt.grad)), dx_ref, f"input gradient, step {step}")
        _close(mod.weight.grad, ref.grads["gamma"], f"gamma gradient, step {step}")
        _close(mod.bias.grad, ref.grads["beta"], f"beta gradient, step {step}")
        with torch.no_grad():
            mod.weight -= LR * mod.weight.grad
            mod.bias -= LR * mod.bias.grad
        ref.params = {k: ref.params[k] - LR * ref.grads[k] for k in ref.params}
    for name, value in (("running_mean", ref.mean), ("running_var", ref.var), ("gain", ref.gain),
                        ("threshold", ref.threshold)):
        _close(getattr(mod, name), value, f"{name} after 100 steps")
    _close(mod.bias_equivalent, ref.bias, "equivalent bias")
    assert np.max(np.abs(ref.gain - 1)) > 0.1  # inputs of spread 0.5..3: the gains left 1


@pytest.mark.parametrize("dims", [2, 4])
def test_divisive_norm_equals_the_numpy_layer(dims):
    """On (N, C) directly; on images against the numpy layer on the flattened image, gamma repeated per pixel."""
    rng = np.random.default_rng(3)
    c = 3
    shape = (5, c) if dims == 2 else (5, c, 2, 2)
    per_channel = int(np.prod(shape[2:]))
    ref = ann.DivisiveNorm(c * per_channel, sigma=0.3)
    mod = ht.DivisiveNorm(c, sigma=0.3, dtype=torch.float64)
    with torch.no_grad():
        mod.weight.copy_(_t(rng.uniform(0.5, 2.0, c)))
        mod.bias.copy_(_t(rng.normal(size=c)))
    for step, x in enumerate(_batches(rng, shape)):
        ref.params = {"gamma": np.repeat(mod.weight.detach().numpy(), per_channel),
                      "beta": np.repeat(mod.bias.detach().numpy(), per_channel)}
        xt = _t(x).requires_grad_(True)
        y_ref, y = ref.forward(x.reshape(len(x), -1), training=True), mod(xt)
        _close(y.reshape(len(x), -1), y_ref, f"output, step {step}")
        dy = rng.normal(size=shape)
        dx_ref = ref.backward(dy.reshape(len(x), -1))
        mod.zero_grad()
        y.backward(_t(dy))
        _close(xt.grad.reshape(len(x), -1), dx_ref, f"input gradient, step {step}")
        _close(mod.weight.grad, ref.grads["gamma"].reshape(c, -1).sum(axis=1), f"gamma gradient, step {step}")
        _close(mod.bias.grad, ref.grads["beta"].reshape(c, -1).sum(axis=1), f"beta gradient, step {step}")
        with torch.no_grad():
            mod.weight -= LR * mod.weight.grad
            mod.bias -= LR * mod.bias.grad


def test_global_homeostasis_norm_equals_the_numpy_layers_with_one_shared_gain():
    """Two normalized layers around a fixed mixing matrix, the gain reported to twice per pass."""
    rng = np.random.default_rng(4)
    mix = rng.normal(size=(5, 5))
    shared_ref = ann.GlobalGain(eta=0.5, max_step=0.05)
    a_ref, b_ref = ann.GlobalHomeostasisNorm(shared_ref), ann.GlobalHomeostasisNorm(shared_ref)
    shared = ht.GlobalGain(eta=0.5, max_step=0.05, dtype=torch.float64)
    a, b = ht.GlobalHomeostasisNorm(shared), ht.GlobalHomeostasisNorm(shared)
    for step, x in enumerate(_batches(rng, (6, 5))):
        xt = _t(x).requires_grad_(True)
        y_ref = b_ref.forward(a_ref.forward(x, training=True) @ mix, training=True)
        y = b(a(xt) @ _t(mix))
        _close(y, y_ref, f"output, step {step}")
        dy = rng.normal(size=y_ref.shape)
        dx_ref = a_ref.backward(b_ref.backward(dy) @ mix.T)
        y.backward(_t(dy))
        _close(xt.grad, dx_ref, f"input gradient, step {step}")
        _close(shared.gain, shared_ref.gain, f"gain, step {step}")
    _close(shared.estimate, shared_ref.estimate, "estimate after 100 steps")
    assert int(shared.num_batches_tracked) == 2 * STEPS
    assert abs(shared_ref.gain - 1) > 0.1
