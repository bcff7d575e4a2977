"""Training, online learning, the homeostatic rules and bad input."""
import numpy as np
import pytest

from homeostasis.ann import (BIO_METHODS, METHODS, MLP, Adam, Dataset, GlobalGain, IntrinsicPlasticityNorm,
                             Linear, SynapticScalingNorm, load, train)


@pytest.fixture(scope="module")
def digits():
    return load("digits")


def test_adam_and_sgd_minimize_a_quadratic():
    from homeostasis.ann import SGD

    for make in (lambda l: Adam(l, lr=0.1), lambda l: SGD(l, lr=0.1, momentum=0.9)):
        layer = Linear(3, 1, np.random.default_rng(0))
        target = np.array([[1.0], [-2.0], [0.5]])
        opt = make([layer])
        for _ in range(300):
            layer.grads = {"w": 2 * (layer.params["w"] - target), "b": 2 * layer.params["b"]}
            opt.step()
        np.testing.assert_allclose(layer.params["w"], target, atol=1e-2)


@pytest.mark.parametrize("method", METHODS)
def test_every_method_learns_digits(method, digits):
    h = train(MLP([64, 64, 10], method, seed=0), digits, steps=300, batch_size=50)
    assert h.final_test_accuracy > 0.90, h.final_test_accuracy


@pytest.mark.parametrize("method", BIO_METHODS)
def test_bio_methods_train_online_with_a_batch_of_one(method, digits):
    h = train(MLP([64, 64, 10], method, seed=0), digits, steps=1500, batch_size=1, lr=2e-3)
    assert h.final_test_accuracy > 0.70, h.final_test_accuracy  # chance is 0.10


def test_batch_normalization_refuses_a_batch_of_one_before_training(digits):
    with pytest.raises(ValueError, match="batch of one"):
        train(MLP([64, 32, 10], "batch"), digits, steps=10, batch_size=1)


def test_ssn_does_not_blow_up_a_dead_unit():
    rng = np.random.default_rng(0)
    layer = SynapticScalingNorm(5, 3, rng)
    layer.params["w"][:, 0] = -np.abs(layer.params["w"][:, 0])  # unit 0 never fires on positive input
    norms = []
    for _ in range(10_000):
        x = np.abs(rng.normal(size=(4, 5)))
        z = layer.forward(x, training=True)
        norms.append(np.linalg.norm(layer.params["w"], axis=0))
    assert np.all(z[:, 0] < 0)
    norms = np.array(norms)
    assert np.all(np.isfinite(norms)) and norms[-1].max() < 10 * norms[0].max()
    # every unit's drive is pulled to the set point, the dead one included
    np.testing.assert_allclose(np.sqrt(layer.activity), 1.0, rtol=0.1)


def test_ssn_keeps_the_direction_of_each_weight_vector():
    rng = np.random.default_rng(1)
    layer = SynapticScalingNorm(6, 4, rng, max_step=0.05)
    w0 = layer.params["w"].copy()
    for _ in range(50):
        layer.forward(5 * rng.normal(size=(8, 6)), training=True)
    cos = np.sum(w0 * layer.params["w"], axis=0) / (np.linalg.norm(w0, axis=0) * np.linalg.norm(layer.params["w"], axis=0))
    np.testing.assert_allclose(cos, 1.0, atol=1e-12)
    assert np.all(np.linalg.norm(layer.params["w"], axis=0) < np.linalg.norm(w0, axis=0))


def test_intrinsic_plasticity_norm_holds_unit_statistics_without_batches():
    rng = np.random.default_rng(2)
    layer = IntrinsicPlasticityNorm(3, rate=0.01)
    scale, shift = np.array([0.1, 3.0, 10.0]), np.array([-5.0, 0.0, 4.0])
    for _ in range(5000):
        layer.forward(shift + scale * rng.normal(size=(1, 3)), training=True)
    y = layer.forward(shift + scale * rng.normal(size=(5000, 3)), training=False)
    np.testing.assert_allclose(y.mean(axis=0), 0.0, atol=0.15)
    np.testing.assert_allclose(y.std(axis=0), 1.0, atol=0.15)


def test_global_gain_brings_network_activity_to_its_set_point():
    g = GlobalGain(target=1.0, rate=0.1, eta=0.5, max_step=0.05)
    for _ in range(2000):
        g.observe(9.0 * g.gain ** 2)  # activity scales with the gain squared
    assert abs(9.0 * g.gain ** 2 - 1.0) < 0.05


def test_same_seed_same_result(digits):
    a = train(MLP([64, 32, 10], "ssn", seed=3), digits, steps=100, batch_size=20, seed=5)
    b = train(MLP([64, 32, 10], "ssn", seed=3), digits, steps=100, batch_size=20, seed=5)
    assert a.test_accuracy == b.test_accuracy and a.loss == b.loss


def _data(x, y, x_test=None, y_test=None, n_classes=3):
    return Dataset("toy", x, y, x if x_test is None else x_test, y if y_test is None else y_test, n_classes)


@pytest.mark.parametrize("bad, message", [
    (lambda: _data(np.zeros((0, 4)), np.zeros(0, int)), "non-empty"),
    (lambda: _data(np.array([[np.nan, 1, 2, 3]]), np.array([0])), "NaN"),
    (lambda: _data(np.ones((2, 4)), np.array([0, 5])), r"labels must lie in \[0, 3\)"),
    (lambda: _data(np.ones((3, 4)), np.array([0, 1])), "labels of shape"),
    (lambda: _data(np.ones((3, 5)), np.array([0, 1, 2])), "takes 4 inputs"),
])
def test_bad_input_is_refused_before_training(bad, message):
    with pytest.raises(ValueError, match=message):
        train(MLP([4, 8, 3]), bad(), steps=5, batch_size=1)


def test_unknown_method_or_dataset_lists_the_choices():
    with pytest.raises(ValueError, match="ssn"):
        MLP([4, 3], "dropout")
    with pytest.raises(ValueError, match="mnist1d"):
        load("cifar")


def test_mnist1d_is_generated_locally_with_the_expected_shape():
    d = load("mnist1d")
    assert d.x_train.shape == (4000, 40) and d.x_test.shape == (1000, 40) and d.n_classes == 10
