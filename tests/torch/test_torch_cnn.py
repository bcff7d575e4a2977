"""The CNN protocol: the network per method, the image data sets (a user's .npz included), the
cnn-benchmark experiment end to end, and compare's torch engine."""
import json

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="PyTorch is not installed (pip install 'homeostasis[torch]')")

from homeostasis.torch.cnn import CNN, CNN_METHODS, load_images  # noqa: E402
from homeostasis.torch import GlobalHomeostasisNorm, IntrinsicPlasticityNorm1d, SynapticScalingConv2d  # noqa: E402


@pytest.mark.parametrize("method", CNN_METHODS)
@pytest.mark.parametrize("shape", [(1, 8, 8), (2, 12)], ids=["2d", "1d"])
def test_the_cnn_of_each_method_holds_its_normalization_and_maps_samples_to_logits(method, shape):
    net = CNN(shape, 5, method, random_state=0)
    out = net(torch.randn(3, *shape))
    assert out.shape == (3, 5)
    kinds = {type(m).__name__ for m in net.modules()}
    expected = {"none": set(), "batch": {"BatchNorm2d" if len(shape) == 3 else "BatchNorm1d"}, "layer": {"GroupNorm"},
                "group": {"GroupNorm"}, "weight": {"ParametrizedConv2d" if len(shape) == 3 else "ParametrizedConv1d"},
                "ssn": {"SynapticScalingConv2d" if len(shape) == 3 else "SynapticScalingConv1d"},
                "ip": {"IntrinsicPlasticityNorm2d" if len(shape) == 3 else "IntrinsicPlasticityNorm1d"},
                "divisive": {"DivisiveNorm"}, "global": {"GlobalHomeostasisNorm"}}[method]
    assert expected <= kinds, kinds
    groups = [m.num_groups for m in net.modules() if isinstance(m, torch.nn.GroupNorm)]
    assert groups == {"layer": [1, 1], "group": [4, 4]}.get(method, [])


def test_the_same_random_state_gives_the_same_network_and_leaves_torchs_generator_alone():
    torch.manual_seed(5)
    before = torch.random.get_rng_state()
    a, b = CNN((1, 8, 8), 10, "ssn", random_state=3), CNN((1, 8, 8), 10, "ssn", random_state=3)
    assert torch.equal(torch.random.get_rng_state(), before)
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))
    c = CNN((1, 8, 8), 10, "ssn", random_state=4)
    assert not torch.equal(a.readout.weight, c.readout.weight)


@pytest.mark.parametrize("kwargs,message", [
    ({"input_shape": (1, 3, 8)}, "each spatial size must be at least 4"),
    ({"input_shape": (1, 8, 8, 8)}, "input_shape must be (channels, length) or (channels, height, width)"),
    ({"method": "instance"}, "parameter 'method' of CNN must be one of none, batch"),
    ({"method": "group", "channels": (6, 8)}, "channels must be multiples of 4"),
    ({"n_classes": 1}, "parameter 'n_classes' of CNN must be an integer >= 2, got 1"),
])
def test_bad_cnn_arguments_are_one_line_errors(kwargs, message):
    with pytest.raises(ValueError) as err:
        CNN(**{"input_shape": (1, 8, 8), "n_classes": 10, **kwargs})
    assert message in str(err.value) and "\n" not in str(err.value)


def test_packaged_image_data_sets_come_shaped_for_convolutions():
    digits = load_images("digits")
    assert digits.x_train.shape[1:] == (1, 8, 8) and digits.n_classes == 10
    assert len(digits.x_train) == len(digits.y_train) and np.isfinite(digits.x_train).all()


def _npz(path, **arrays):
    rng = np.random.default_rng(0)
    parts = {"x_train": rng.normal(size=(40, 6, 6)), "y_train": rng.integers(0, 3, 40),
             "x_test": rng.normal(size=(20, 6, 6)), "y_test": rng.integers(0, 3, 20)} | arrays
    np.savez(path, **{k: v for k, v in parts.items() if v is not None})
    return str(path)


def test_a_users_npz_of_grey_images_sequences_or_channels_loads(tmp_path):
    grey = load_images(_npz(tmp_path / "grey.npz"))
    assert grey.x_train.shape == (40, 1, 6, 6) and grey.n_classes == 3 and grey.name == "grey"
    seq = load_images(_npz(tmp_path / "seq.npz", x_train=np.zeros((40, 9)), x_test=np.zeros((20, 9))))
    assert seq.x_train.shape == (40, 1, 9)
    rgb = load_images(_npz(tmp_path / "rgb.npz", x_train=np.zeros((40, 3, 5, 5)), x_test=np.zeros((20, 3, 5, 5))))
    assert rgb.x_test.shape == (20, 3, 5, 5)


@pytest.mark.parametrize("change,message", [
    ({"y_test": None}, "missing arrays ['y_test']"),
    ({"x_train": np.full((40, 6, 6), np.nan)}, "x_train must be finite real numbers"),
    ({"x_test": np.zeros((20, 5, 5))}, "train samples of shape (1, 6, 6) but test samples of shape (1, 5, 5)"),
    ({"y_train": np.full(40, 0.5)}, "y_train must be one integer label per sample"),
    ({"y_train": np.arange(-1, 39)}, "y_train must lie in [0, 39), found -1..38"),
])
def test_a_bad_npz_is_a_one_line_error_naming_what_is_wrong(tmp_path, change, message):
    with pytest.raises(ValueError) as err:
        load_images(_npz(tmp_path / "bad.npz", **change))
    assert message in str(err.value) and "\n" not in str(err.value)


def test_a_file_that_is_not_an_npz_or_absent_is_refused(tmp_path):
    (tmp_path / "text.npz").write_text("not a zip")
    with pytest.raises(ValueError, match="not a readable .npz"):
        load_images(str(tmp_path / "text.npz"))
    with pytest.raises(ValueError, match="no such file"):
        load_images(str(tmp_path / "absent.npz"))
    with pytest.raises(ValueError, match="unknown image data set 'cifar'"):
        load_images("cifar")


def test_cnn_benchmark_runs_end_to_end_on_a_users_npz(tmp_path):
    """Learnable 3-class images (a bright quadrant per class): every method beats chance."""
    from homeostasis.simulations.output import run_experiment

    rng = np.random.default_rng(1)

    def images(n):
        y = rng.integers(0, 3, n)
        x = rng.normal(0.0, 0.3, (n, 8, 8))
        for k, (r, c) in enumerate([(0, 0), (0, 4), (4, 0)]):
            x[y == k, r:r + 4, c:c + 4] += 1.5
        return x, y

    (x_train, y_train), (x_test, y_test) = images(300), images(100)
    path = tmp_path / "quadrants.npz"
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    out = run_experiment("cnn-benchmark", {"datasets": str(path), "methods": "none,ssn,ip", "seeds": 1,
                                           "steps": 30, "records": 4, "batch_size": 16, "lr": 1e-2},
                         out=tmp_path / "res", progress=False)
    metrics = json.loads((out / "metrics.json").read_text())[str(path)]
    for method in ("none", "ssn", "ip"):
        m = metrics[method]
        assert m["accuracy_mean"] > 0.6, (method, m["accuracy_mean"])  # chance is 1/3
        assert m["usage_cv"] >= 0 and m["activation_drift"] >= 0 and m["n_seeds"] == 1
    table = (out / "table.md").read_text()
    assert "| ssn |" in table and "channel usage CV" in table


def test_compare_engine_torch_writes_the_same_keys_and_refuses_an_unknown_engine():
    from homeostasis.simulations.experiments.normalization_benchmark import benchmark, engine, summarize

    kwargs = {"seeds": 1, "steps": 30, "records": 3}
    numpy_run = summarize(benchmark(["digits"], ["none", "ssn"], **kwargs))
    torch_run = summarize(benchmark(["digits"], ["none", "ssn"], engine_name="torch", **kwargs))
    assert numpy_run["digits"].keys() == torch_run["digits"].keys()
    for method in ("none", "ssn"):
        assert numpy_run["digits"][method].keys() == torch_run["digits"][method].keys()
        # float32 against float64 from the same weights and batches: the same run, to rounding
        assert abs(torch_run["digits"][method]["accuracy_mean"] - numpy_run["digits"][method]["accuracy_mean"]) < 0.02
    with pytest.raises(ValueError, match="unknown engine 'jax'; choose one of numpy, torch"):
        engine("jax")


def test_the_modules_are_exported_where_the_scale_table_says():
    import homeostasis.torch as ht

    assert ht.SynapticScalingConv2d is SynapticScalingConv2d and ht.IntrinsicPlasticityNorm1d is IntrinsicPlasticityNorm1d
    assert {cls.__module__.rsplit(".", 1)[1] for cls in (ht.SynapticScalingLinear, ht.IntrinsicPlasticityNorm2d,
                                                         ht.DivisiveNorm, GlobalHomeostasisNorm)} == \
        {"synapse", "neuron", "layer", "network"}
    for cls in (ht.SynapticScalingLinear, ht.IntrinsicPlasticityNorm2d, ht.DivisiveNorm, GlobalHomeostasisNorm):
        assert cls.__module__.rsplit(".", 1)[1] == cls.scale
