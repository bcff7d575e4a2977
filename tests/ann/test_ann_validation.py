"""Bad input is refused at the boundary, before training, with a message that says what is wrong."""
import numpy as np
import pytest

from homeostasis.ann import MLP, Dataset, load, softmax_cross_entropy, train, validate_data


def _data(x, y, x_test=None, y_test=None, n_classes=3):
    return Dataset("toy", x, y, x if x_test is None else x_test, y if y_test is None else y_test, n_classes)


GOOD_X, GOOD_Y = np.ones((6, 4)), np.array([0, 1, 2, 0, 1, 2])


@pytest.mark.parametrize("bad, message", [
    (lambda: _data(np.zeros((0, 4)), np.zeros(0, int)), "non-empty"),
    (lambda: _data(np.array([[np.nan, 1, 2, 3]]), np.array([0])), "NaN or infinite"),
    (lambda: _data(np.array([[np.inf, 1, 2, 3]]), np.array([0])), "NaN or infinite"),
    (lambda: _data(np.ones((2, 4)), np.array([0, 5])), r"labels must lie in \[0, 3\), found 0..5"),
    (lambda: _data(np.ones((2, 4)), np.array([-1, 0])), r"labels must lie in \[0, 3\)"),
    (lambda: _data(np.ones((2, 4)), np.array([0.0, 1.0])), "labels must be integers"),
    (lambda: _data(np.ones((3, 4)), np.array([0, 1])), "3 samples but labels of shape"),
    (lambda: _data(np.ones((3, 5)), np.array([0, 1, 2])), "takes 4 inputs"),
    (lambda: _data(GOOD_X, GOOD_Y, np.ones((2, 5)), np.array([0, 1])), "takes 4 inputs"),
    (lambda: _data(GOOD_X, GOOD_Y, np.full((1, 4), np.nan), np.array([0])), "test data: .*NaN"),
    (lambda: _data(GOOD_X, GOOD_Y, n_classes=4), "4 classes"),
    (lambda: (1, 2), "must be a Dataset"),
])
def test_bad_data_is_refused_before_training(bad, message):
    net = MLP([4, 8, 3], "ssn", seed=0)
    w0 = net.layers[0].params["w"].copy()
    with pytest.raises(ValueError, match=message):
        train(net, bad(), steps=5, batch_size=1)
    np.testing.assert_array_equal(net.layers[0].params["w"], w0)


@pytest.mark.parametrize("kwargs, message", [
    (dict(batch_size=0), "parameter 'batch_size' of train must be an integer >= 1, got 0"),
    (dict(batch_size=2.5), "parameter 'batch_size' of train must be an integer >= 1, got 2.5"),
    (dict(batch_size=7), "exceeds the 6 training samples"),
    (dict(steps=0), "parameter 'steps' of train must be an integer >= 1"),
    (dict(eval_every=-1), "eval_every"),
    (dict(optimizer="rmsprop"), "adam, sgd"),
    (dict(lr=-1.0), "parameter 'lr' of train must be a real number > 0"),
    (dict(lr=float("nan")), "parameter 'lr'"),
    (dict(momentum=1.0), "parameter 'momentum'"),
    (dict(progress="yes"), "parameter 'progress'"),
    (dict(model=object()), "parameter 'model' of train must be an MLP"),
])
def test_bad_training_arguments_are_refused(kwargs, message):
    args = {"model": MLP([4, 8, 3], "none"), "data": _data(GOOD_X, GOOD_Y), "steps": 5, "batch_size": 2, **kwargs}
    with pytest.raises(ValueError, match=message):
        train(**args)


def test_batch_size_one_refused_for_batch_norm_only():
    with pytest.raises(ValueError, match="batch normalization cannot train with a batch of one"):
        train(MLP([4, 8, 3], "batch"), _data(GOOD_X, GOOD_Y), steps=5, batch_size=1)
    for method in ("ssn", "ip", "divisive", "global", "layer", "none"):
        assert np.isfinite(train(MLP([4, 8, 3], method), _data(GOOD_X, GOOD_Y), steps=5, batch_size=1).loss).all()


def test_model_errors_list_the_choices():
    # every other hyperparameter of every class: tests/ann/test_ann_contract.py
    with pytest.raises(ValueError, match="none, batch, layer, weight, selu, ssn, ip, divisive, global"):
        MLP([4, 3], "dropout")
    with pytest.raises(ValueError, match="at least an input and an output size"):
        MLP([4])


def test_model_input_width_is_checked_at_forward():
    with pytest.raises(ValueError, match=r"takes \(samples, 4\) inputs, got shape \(2, 5\)"):
        MLP([4, 3]).forward(np.ones((2, 5)))
    assert MLP([4, 3]).predict(np.zeros((0, 4))).shape == (0,)


def test_unknown_dataset_lists_the_choices():
    with pytest.raises(ValueError, match="mnist1d, digits"):
        load("cifar")


def test_validate_data_accepts_good_data_and_names_the_part():
    validate_data(GOOD_X, GOOD_Y, 3)
    with pytest.raises(ValueError, match="^my split: "):
        validate_data(GOOD_X, GOOD_Y + 5, 3, what="my split")
    with pytest.raises(ValueError, match="n_classes"):
        validate_data(GOOD_X, GOOD_Y, 1)


def test_cross_entropy_checks_its_labels():
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match="one label per row"):
        softmax_cross_entropy(np.zeros((2, 3)), np.array([0]))
