"""The torch modules as PyTorch users expect them: train/eval, no gradient through the rule,
state_dict, device and dtype, training by torch.optim, and the numpy layers' argument checks."""
import copy
import re
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install 'homeostasis[torch]')")
nn = torch.nn

from homeostasis import ann  # noqa: E402
from homeostasis import torch as ht  # noqa: E402


def _make(name, dtype=torch.float32, device=None):
    """Each stateful module, a matching input maker, and the buffers its rule moves."""
    f = {"dtype": dtype, "device": device}
    if name == "ssn-linear":
        return ht.SynapticScalingLinear(6, 4, eta=0.5, max_step=0.05, **f), (5, 6), ["gain", "activity"]
    if name == "ssn-conv1d":
        return ht.SynapticScalingConv1d(3, 4, 3, eta=0.5, max_step=0.05, **f), (5, 3, 9), ["gain", "activity"]
    if name == "ssn-conv2d":
        return ht.SynapticScalingConv2d(3, 4, 3, eta=0.5, max_step=0.05, **f), (5, 3, 6, 6), ["gain", "activity"]
    if name == "ip1d":
        return ht.IntrinsicPlasticityNorm1d(4, momentum=0.2, **f), (5, 4), ["running_mean", "running_var", "gain",
                                                                              "threshold"]
    if name == "ip2d":
        return ht.IntrinsicPlasticityNorm2d(4, momentum=0.2, **f), (5, 4, 3, 3), ["running_mean", "running_var",
                                                                                    "gain", "threshold"]
    if name == "global":
        return ht.GlobalHomeostasisNorm(ht.GlobalGain(eta=0.5, max_step=0.05, **f)), (5, 4), ["shared.gain",
                                                                                                "shared.estimate"]
    raise KeyError(name)


STATEFUL = ["ssn-linear", "ssn-conv1d", "ssn-conv2d", "ip1d", "ip2d", "global"]


def _input(shape, seed, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    return 3.0 * torch.randn(shape, generator=g, dtype=dtype) + 2.0


def _buffers(module, names):
    return {n: module.get_buffer(n).clone() for n in names}


@pytest.mark.parametrize("name", STATEFUL)
def test_state_moves_in_training_passes_only_and_never_carries_a_gradient(name):
    module, shape, names = _make(name)
    for k in range(3):
        module(_input(shape, k))
    before = _buffers(module, names)
    y = module(_input(shape, 9).requires_grad_(True))
    moved = [n for n in names if not torch.equal(module.get_buffer(n), before[n])]
    assert moved == names, f"a training pass left {set(names) - set(moved)} unchanged"
    y.sum().backward()  # the backward pass does not touch the state either
    for n in names:
        buffer = module.get_buffer(n)
        assert not buffer.requires_grad and buffer.grad_fn is None and buffer.grad is None, n
    module.eval()
    frozen = _buffers(module, names)
    out = [module(_input(shape, 20 + k)) for k in range(3)]
    for n in names:
        assert torch.equal(module.get_buffer(n), frozen[n]), f"{n} moved in eval mode"
    assert not torch.equal(out[0], out[1])  # the eval passes did run on different inputs
    module.train()
    module.adapt = False  # the ablation switch freezes in training as well
    module(_input(shape, 30))
    for n in names:
        assert torch.equal(module.get_buffer(n), frozen[n]), f"{n} moved with adapt=False"


@pytest.mark.parametrize("name", STATEFUL)
def test_state_dict_round_trip_carries_the_whole_homeostatic_state(name):
    trained, shape, names = _make(name)
    for k in range(10):
        trained(_input(shape, k))
    fresh, _, _ = _make(name)
    assert not all(torch.equal(fresh.get_buffer(n), trained.get_buffer(n)) for n in names)
    state = trained.state_dict()
    assert {n for n in names} <= set(state) and any(k.endswith("num_batches_tracked") for k in state)
    fresh.load_state_dict(state)
    for n in names:
        assert torch.equal(fresh.get_buffer(n), trained.get_buffer(n)), n
    # and the rule goes on from there identically, in training as in evaluation
    x = _input(shape, 99)
    assert torch.equal(fresh(x), trained(x))
    for n in names:
        assert torch.equal(fresh.get_buffer(n), trained.get_buffer(n)), f"{n} after one more step"
    assert torch.equal(fresh.eval()(x), trained.eval()(x))


@pytest.mark.parametrize("name", STATEFUL + ["divisive"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["float32", "float64"])
def test_dtype_and_device_arguments_place_parameters_buffers_and_outputs(name, dtype):
    if name == "divisive":
        module, shape, names = ht.DivisiveNorm(4, dtype=dtype), (5, 4, 3), []
    else:
        module, shape, names = _make(name, dtype)
    tensors = dict(module.named_parameters()) | {n: b for n, b in module.named_buffers()
                                                 if not n.endswith("num_batches_tracked")}
    assert tensors and all(t.dtype == dtype for t in tensors.values()), {n: t.dtype for n, t in tensors.items()}
    y = module(_input(shape, 0, dtype))
    assert y.dtype == dtype and torch.isfinite(y).all()
    assert all(module.get_buffer(n).dtype == dtype for n in names)  # the rule keeps the buffers' type
    # nothing assumes the CPU: on the meta device (shapes only), every tensor is made there
    if name != "global":  # its non-finite check reads a value, which meta tensors have not
        meta = _make(name, dtype, device="meta")[0] if name != "divisive" else ht.DivisiveNorm(4, device="meta")
        assert all(t.device.type == "meta" for t in [*meta.parameters(), *meta.buffers()])
        assert meta(torch.empty(shape, device="meta", dtype=meta.weight.dtype)).device.type == "meta"


def test_module_to_moves_and_casts_the_state():
    module = ht.IntrinsicPlasticityNorm2d(3).to(torch.float64)
    assert module.gain.dtype == torch.float64 and module.running_var.dtype == torch.float64
    module(torch.randn(2, 3, 4, 4, dtype=torch.float64))
    assert module.gain.dtype == torch.float64


def test_ssn_starts_as_the_layer_it_replaces_and_reset_parameters_resets_the_rule():
    torch.manual_seed(0)
    plain = nn.Conv2d(2, 3, 3)
    torch.manual_seed(0)
    ssn = ht.SynapticScalingConv2d(2, 3, 3)
    x = torch.randn(4, 2, 5, 5)
    torch.testing.assert_close(ssn.eval()(x), plain(x))
    ssn.train()
    for _ in range(5):
        ssn(10 * x)
    assert int(ssn.num_batches_tracked) == 5 and not torch.allclose(ssn.gain, ssn._direction_norm())
    ssn.reset_parameters()
    assert int(ssn.num_batches_tracked) == 0 and torch.equal(ssn.activity, torch.zeros(3))
    torch.testing.assert_close(ssn.gain, ssn._direction_norm())


def _digits(images: bool):
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = torch.tensor(x / 16.0, dtype=torch.float32)
    x = x.view(-1, 1, 8, 8) if images else x
    return x[:1400], torch.tensor(y[:1400]), x[1400:], torch.tensor(y[1400:])


@pytest.mark.parametrize("kind", [pytest.param("cnn", marks=pytest.mark.slow), "mlp"])  # convolutions: test_torch_cnn
def test_sequential_with_every_module_trains_by_a_torch_optimizer(kind):
    """A user's nn.Sequential with all the modules, trained by Adam on the 8 x 8 digits."""
    torch.manual_seed(0)
    x_train, y_train, x_test, y_test = _digits(images=kind == "cnn")
    shared = ht.GlobalGain()
    if kind == "cnn":
        net = nn.Sequential(ht.SynapticScalingConv2d(1, 4, 3, padding=1), nn.ReLU(), ht.IntrinsicPlasticityNorm2d(4),
                            nn.Conv2d(4, 4, 3, padding=1), ht.DivisiveNorm(4), nn.ReLU(), nn.MaxPool2d(2),
                            nn.Flatten(), nn.Linear(64, 32), ht.GlobalHomeostasisNorm(shared), nn.ReLU(),
                            nn.Linear(32, 10))
    else:
        net = nn.Sequential(ht.SynapticScalingLinear(64, 32), nn.ReLU(), nn.Linear(32, 32),
                            ht.IntrinsicPlasticityNorm1d(32), nn.ReLU(), nn.Linear(32, 32), ht.DivisiveNorm(32),
                            nn.ReLU(), nn.Linear(32, 32), ht.GlobalHomeostasisNorm(shared), nn.ReLU(),
                            nn.Linear(32, 10))
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    g = torch.Generator().manual_seed(0)
    for _ in range(150):
        idx = torch.randint(0, len(x_train), (32,), generator=g)
        loss = nn.functional.cross_entropy(net(x_train[idx]), y_train[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    with torch.no_grad():
        accuracy = (net(x_test).argmax(1) == y_test).float().mean().item()
    assert accuracy > 0.85, accuracy
    assert int(shared.num_batches_tracked) == 150  # the shared gain heard its one layer every step


# ---------------------------------------------------------------------------------------------
# Arguments: the numpy layers' constraints, so the numpy layers' messages.

#: torch class, numpy class, the torch name of each numpy argument, the required arguments
PAIRS = [
    (ht.SynapticScalingLinear, ann.SynapticScalingNorm, {"n_in": "in_features", "n_out": "out_features"},
     {"in_features": 3, "out_features": 2}, {"n_in": 3, "n_out": 2}),
    (ht.SynapticScalingConv2d, ann.SynapticScalingNorm, {"n_in": "in_channels", "n_out": "out_channels"},
     {"in_channels": 3, "out_channels": 2, "kernel_size": 3}, {"n_in": 3, "n_out": 2}),
    (ht.SynapticScalingConv1d, ann.SynapticScalingNorm, {"n_in": "in_channels", "n_out": "out_channels"},
     {"in_channels": 3, "out_channels": 2, "kernel_size": 3}, {"n_in": 3, "n_out": 2}),
    (ht.IntrinsicPlasticityNorm1d, ann.IntrinsicPlasticityNorm, {"n": "num_features"}, {"num_features": 3}, {"n": 3}),
    (ht.IntrinsicPlasticityNorm2d, ann.IntrinsicPlasticityNorm, {"n": "num_features"}, {"num_features": 3}, {"n": 3}),
    (ht.DivisiveNorm, ann.DivisiveNorm, {"n": "num_features"}, {"num_features": 3}, {"n": 3}),
    (ht.GlobalGain, ann.GlobalGain, {}, {}, {}),
]
BAD = [0, -1, 2.5, float("nan"), float("inf"), 1.0, True, "x", None]


def _error(cls, kwargs):
    try:
        cls(**kwargs)
    except ValueError as err:
        return str(err)
    return None


@pytest.mark.parametrize("torch_cls,numpy_cls,rename,required,numpy_required", PAIRS, ids=lambda v: getattr(v, "__name__", ""))
def test_bad_arguments_are_refused_with_the_numpy_layers_messages(torch_cls, numpy_cls, rename, required,
                                                                 numpy_required):
    checked = 0
    for numpy_name in numpy_cls.parameter_names():
        torch_name = rename.get(numpy_name, numpy_name)
        if torch_name not in torch_cls.parameter_names():
            continue  # numpy-only (random_state, init): torch's own initialization is used
        for value in BAD:
            numpy_message = _error(numpy_cls, {**numpy_required, numpy_name: value})
            torch_message = _error(torch_cls, {**required, torch_name: value})
            if numpy_message is None:
                assert torch_message is None, (torch_name, value, torch_message)
                continue
            expected = re.sub(rf"'{numpy_name}' of {numpy_cls.__name__}\b", f"'{torch_name}' of {torch_cls.__name__}",
                              numpy_message)
            assert torch_message == expected
            checked += 1
    assert checked >= 2 * len(BAD) // 2, checked


@pytest.mark.parametrize("cls,kwargs,message", [
    (ht.SynapticScalingLinear, {"in_features": 3, "out_features": 2, "bias": 1},
     "parameter 'bias' of SynapticScalingLinear must be True or False, got 1"),
    (ht.IntrinsicPlasticityNorm2d, {"num_features": 3, "affine": "yes"},
     "parameter 'affine' of IntrinsicPlasticityNorm2d must be True or False, got 'yes'"),
    (ht.SynapticScalingConv2d, {"in_channels": 3, "out_channels": 2, "kernel_size": 3, "padding_mode": "mirror"},
     "parameter 'padding_mode' of SynapticScalingConv2d must be one of zeros, reflect, replicate, circular, "
     "got 'mirror'"),
    (ht.GlobalHomeostasisNorm, {"shared": ann.GlobalGain()},
     "parameter 'shared' of GlobalHomeostasisNorm must be a GlobalGain (the one gain of the network), got "
     "GlobalGain(gain=1, estimate=None)"),
])
def test_torch_only_arguments_are_checked_too(cls, kwargs, message):
    with pytest.raises(ann.InvalidParameterError) as err:
        cls(**kwargs)
    assert str(err.value) == message


@pytest.mark.parametrize("module,shape,message", [
    (lambda: ht.IntrinsicPlasticityNorm2d(3), (2, 3, 4), "IntrinsicPlasticityNorm2d takes 4-D input"),
    (lambda: ht.IntrinsicPlasticityNorm1d(3), (2, 4), "IntrinsicPlasticityNorm1d has 3 channels but the input has 4"),
    (lambda: ht.DivisiveNorm(3), (2, 5), "DivisiveNorm takes input (batch, 3 channels, ...), got shape (2, 5)"),
])
def test_input_of_the_wrong_shape_is_a_one_line_error(module, shape, message):
    with pytest.raises(ValueError) as err:
        module()(torch.zeros(shape))
    assert message in str(err.value) and "\n" not in str(err.value)


def test_a_non_finite_activity_stops_the_global_gain_before_it_is_poisoned():
    shared = ht.GlobalGain()
    norm = ht.GlobalHomeostasisNorm(shared)
    with pytest.raises(FloatingPointError, match="non-finite activity"):
        norm(torch.tensor([[float("nan"), 1.0]]))
    assert float(shared.gain) == 1.0 and int(shared.num_batches_tracked) == 0


def test_importing_homeostasis_torch_imports_no_brian2():
    # the same check as tests/ann/test_ann_import.py, whose control shows it sees Brian2 when imported
    code = "import sys, homeostasis.torch; assert 'torch' in sys.modules; assert 'brian2' not in sys.modules, 'brian2'"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_without_torch_the_import_error_says_how_to_install_it():
    code = ("import sys; sys.modules['torch'] = None\n"
            "try:\n    import homeostasis.torch\nexcept ImportError as e:\n    print(e)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "pip install 'homeostasis[torch]'" in done.stdout, done.stdout + done.stderr


def test_every_numpy_rule_equation_is_in_the_torch_docstring():
    """One set of equations: the math of each numpy layer appears verbatim in its torch module."""
    def blocks(doc):
        one_line = re.findall(r"\.\. math::[ \t]*(\S[^\n]*)", doc)
        indented = re.findall(r"\.\. math::[ \t]*\n\n((?:[ \t]{8}[^\n]*\n)+)", doc)
        return [b.strip() for b in one_line + indented]

    for numpy_cls, torch_classes in ((ann.SynapticScalingNorm, [ht.SynapticScalingLinear]),
                                     (ann.IntrinsicPlasticityNorm, [ht.IntrinsicPlasticityNorm1d,
                                                                    ht.IntrinsicPlasticityNorm2d]),
                                     (ann.DivisiveNorm, [ht.DivisiveNorm]), (ann.GlobalGain, [ht.GlobalGain])):
        expected = blocks(numpy_cls.__doc__)
        assert expected, numpy_cls
        for torch_cls in torch_classes:
            for block in expected:
                assert " ".join(block.split()) in " ".join(torch_cls.__doc__.split()), (torch_cls.__name__, block)
    conv = " ".join(ht.SynapticScalingConv2d.__doc__.split())
    rule = [b for b in blocks(ann.SynapticScalingNorm.__doc__) if "clip" in b or "leftarrow" in b]
    assert len(rule) == 2 and all(" ".join(b.split()) in conv for b in rule)
