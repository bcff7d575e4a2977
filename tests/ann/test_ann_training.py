"""Optimizers, the MLP, training offline and online, reproducibility."""
import numpy as np
import pytest

from homeostasis.ann import (BIO_METHODS, METHODS, MLP, SGD, Adam, BatchNorm, GlobalHomeostasisNorm, Linear, load,
                             train)


@pytest.fixture(scope="module")
def digits():
    return load("digits")


@pytest.mark.parametrize("make", [lambda l: Adam(l, lr=0.1), lambda l: SGD(l, lr=0.05, momentum=0.9),
                                  lambda l: SGD(l, lr=0.1, momentum=0.0)], ids=["adam", "sgd-momentum", "sgd"])
def test_optimizers_minimize_a_quadratic(make):
    layer = Linear(3, 1, np.random.default_rng(0))
    target = np.array([[1.0], [-2.0], [0.5]])
    opt = make([layer])

    def loss():
        return float(np.sum((layer.params["w"] - target) ** 2) + np.sum(layer.params["b"] ** 2))

    start = loss()
    for _ in range(300):
        layer.grads = {"w": 2 * (layer.params["w"] - target), "b": 2 * layer.params["b"]}
        opt.step()
    assert loss() < 1e-4 * start
    np.testing.assert_allclose(layer.params["w"], target, atol=1e-2)


def test_mlp_blocks_per_method():
    expected = {
        "none": ["Linear", "ReLU"], "batch": ["Linear", "BatchNorm", "ReLU"], "layer": ["Linear", "LayerNorm", "ReLU"],
        "weight": ["WeightNormLinear", "ReLU"], "selu": ["Linear", "SELU"], "ssn": ["SynapticScalingNorm", "ReLU"],
        "ip": ["Linear", "IntrinsicPlasticityNorm", "ReLU"], "divisive": ["Linear", "DivisiveNorm", "ReLU"],
        "global": ["Linear", "GlobalHomeostasisNorm", "ReLU"],
    }
    assert set(expected) == set(METHODS)
    for method, block in expected.items():
        net = MLP([5, 7, 6, 3], method, seed=0)
        assert [type(layer).__name__ for layer in net.layers] == 2 * block + ["Linear"], method
        assert net.layers[-1].params["w"].shape == (6, 3)
        assert [a.shape for a in net.hidden_activations(np.ones((4, 5)))] == [(4, 7), (4, 6)]


def test_selu_network_uses_lecun_init_and_global_shares_one_gain():
    net = MLP([400, 300, 10], "selu", seed=0)
    assert net.layers[0].params["w"].std() == pytest.approx(np.sqrt(1 / 400), rel=0.02)
    assert MLP([400, 300, 10], "none", seed=0).layers[0].params["w"].std() == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    g = MLP([5, 4, 4, 2], "global", seed=0)
    norms = [layer for layer in g.layers if isinstance(layer, GlobalHomeostasisNorm)]
    assert len(norms) == 2 and norms[0].shared is norms[1].shared is g.shared


def test_mlp_on_digits_beats_90_percent(digits):
    h = train(MLP([64, 64, 10], "none", seed=0), digits, steps=300, batch_size=50, eval_every=50)
    assert h.final_test_accuracy > 0.90, h.final_test_accuracy
    assert h.loss[-1] < h.loss[0]
    assert len(h.steps) == len(h.loss) == len(h.test_accuracy) and h.steps[-1] == 300


@pytest.mark.parametrize("method", [m for m in METHODS if m != "none"])
def test_every_method_learns_digits(method, digits):
    h = train(MLP([64, 64, 10], method, seed=0), digits, steps=300, batch_size=50)
    assert h.final_test_accuracy > 0.88, h.final_test_accuracy


@pytest.mark.parametrize("method", BIO_METHODS)
def test_bio_methods_train_online_with_a_batch_of_one(method, digits):
    h = train(MLP([64, 64, 10], method, seed=0), digits, steps=2000, batch_size=1, lr=2e-3)
    assert h.final_test_accuracy > 0.70, h.final_test_accuracy  # chance is 0.10


def test_batch_normalization_refuses_a_batch_of_one_before_training(digits):
    net = MLP([64, 32, 10], "batch", seed=0)
    w0 = net.layers[0].params["w"].copy()
    with pytest.raises(ValueError, match="batch of one"):
        train(net, digits, steps=10, batch_size=1)
    np.testing.assert_array_equal(net.layers[0].params["w"], w0)  # refused before any step
    with pytest.raises(ValueError, match="batch normalization needs a batch of at least 2"):
        BatchNorm(3).forward(np.ones((1, 3)), training=True)
    assert BatchNorm(3).forward(np.ones((1, 3)), training=False).shape == (1, 3)  # evaluation is fine


@pytest.mark.parametrize("method", ["ssn", "batch", "global"])
def test_same_seed_same_result(method, digits):
    a = train(MLP([64, 32, 10], method, seed=3), digits, steps=100, batch_size=20, seed=5, eval_every=25)
    b = train(MLP([64, 32, 10], method, seed=3), digits, steps=100, batch_size=20, seed=5, eval_every=25)
    np.testing.assert_array_equal(a.test_accuracy, b.test_accuracy)
    np.testing.assert_array_equal(a.loss, b.loss)
    c = train(MLP([64, 32, 10], method, seed=4), digits, steps=100, batch_size=20, seed=6, eval_every=25)
    assert not np.array_equal(a.loss, c.loss)


def test_progress_bar_does_not_change_the_result(digits, capsys):
    a = train(MLP([64, 16, 10], "none", seed=0), digits, steps=30, batch_size=10, eval_every=5, progress=True)
    b = train(MLP([64, 16, 10], "none", seed=0), digits, steps=30, batch_size=10, eval_every=5, progress=False)
    # the whole curve, not only the final accuracy (which a few steps on digits rarely moves)
    np.testing.assert_array_equal(a.loss, b.loss)
    np.testing.assert_array_equal(a.test_accuracy, b.test_accuracy)
    assert "train none" in capsys.readouterr().err  # the bar was shown


def test_sgd_trains_too(digits):
    h = train(MLP([64, 64, 10], "none", seed=0), digits, steps=300, batch_size=50, optimizer="sgd", lr=0.05)
    assert h.final_test_accuracy > 0.90, h.final_test_accuracy


def test_mnist1d_is_generated_locally_with_the_expected_shape():
    d = load("mnist1d")
    assert d.x_train.shape == (4000, 40) and d.x_test.shape == (1000, 40) and d.n_classes == 10
    assert set(np.unique(d.y_train)) == set(range(10))
    d.x_train[:] = 0  # the cache hands out copies
    assert np.any(load("mnist1d").x_train != 0)


def test_digits_split_is_stratified_standardized_and_seeded():
    d = load("digits")
    assert len(d.x_train) + len(d.x_test) == 1797 and len(d.x_test) == pytest.approx(0.25 * 1797, abs=1)
    np.testing.assert_allclose(d.x_train.mean(axis=0), 0, atol=1e-9)
    share = np.bincount(d.y_test) / len(d.y_test)
    np.testing.assert_allclose(share, np.bincount(d.y_train) / len(d.y_train), atol=0.01)
    np.testing.assert_array_equal(load("digits", seed=0).y_test, d.y_test)
    assert not np.array_equal(load("digits", seed=1).y_test, d.y_test)
