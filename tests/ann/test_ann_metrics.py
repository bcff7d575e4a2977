"""Usage statistics and probes of hidden codes, and the docstring examples of homeostasis.ann."""
import doctest
import importlib

import numpy as np
import pytest

from homeostasis.ann import (MLP, code_entropy, dead_fraction, linear_probe_accuracy, load, train, usage_cv,
                             usage_entropy, usage_stats)


def test_usage_statistics_of_a_known_code():
    layer1 = np.array([[0.0, 1.0, 3.0], [0.0, 3.0, 1.0]])  # unit 0 dead, units 1 and 2 used alike
    layer2 = np.array([[2.0], [2.0]])
    acts = [layer1, layer2]
    np.testing.assert_array_equal(usage_stats(acts)[0], [0.0, 2.0, 2.0])
    assert dead_fraction(acts) == 0.25
    u = np.array([0.0, 2.0, 2.0, 2.0])
    assert usage_cv(acts) == pytest.approx(u.std() / u.mean())
    assert usage_entropy(acts) == pytest.approx(np.log(3) / np.log(4))


def test_code_entropy_counts_distinct_binary_patterns():
    same = np.array([[0.0, 1.0, 3.0], [0.0, 3.0, 1.0]])  # both samples: pattern 011
    assert code_entropy([same]) == 0.0
    four = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float)
    assert code_entropy([four]) == pytest.approx(2.0)
    assert code_entropy([four, four]) == pytest.approx(4.0)  # layers add


def test_even_and_uneven_usage_bound_the_scores():
    even = [np.ones((5, 8))]
    one_unit = [np.hstack([np.ones((5, 1)), np.zeros((5, 7))])]
    assert usage_cv(even) == 0.0 and usage_entropy(even) == pytest.approx(1.0)
    assert usage_entropy(one_unit) == 0.0 and dead_fraction(one_unit) == pytest.approx(7 / 8)
    assert usage_cv(one_unit) == pytest.approx(np.sqrt(7))
    assert usage_cv([np.zeros((3, 4))]) == float("inf")


@pytest.mark.parametrize("bad, message", [
    ([], "at least one"), ([np.zeros((0, 3))], "non-empty"), ([np.array([[np.nan]])], "NaN"),
    ([np.array([[-1.0]])], "non-negative"), ([np.ones((2, 3)), np.ones((3, 3))], "same samples"),
])
def test_bad_activations_are_refused(bad, message):
    with pytest.raises(ValueError, match=message):
        usage_cv(bad)


def test_linear_probe_on_a_trained_network_beats_chance_per_layer():
    d = load("digits")
    net = MLP([64, 32, 32, 10], "none", seed=0)
    train(net, d, steps=200, batch_size=50)
    scores = linear_probe_accuracy(net.hidden_activations(d.x_train), d.y_train,
                                   net.hidden_activations(d.x_test), d.y_test)
    assert len(scores) == 2 and min(scores) > 0.85
    shuffled = linear_probe_accuracy(net.hidden_activations(d.x_train), np.random.default_rng(0).permutation(d.y_train),
                                     net.hidden_activations(d.x_test), d.y_test)
    assert max(shuffled) < 0.3  # labels the code cannot predict


MODULES = ["bio", "datasets", "layers", "metrics", "mlp", "optim", "trainer"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(f"homeostasis.ann.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
