"""What every ANN layer and optimizer promises: checked hyperparameters, one interface, random_state.

The bad values below are written out per parameter name, independently of the constraints the
classes declare, so a constraint declared too loosely (``momentum`` allowed above 1) fails here.
"""
import inspect

import numpy as np
import pytest

import homeostasis
from homeostasis import ann
from homeostasis.ann import (MLP, SGD, Adam, BatchNorm, DivisiveNorm, GlobalGain, GlobalHomeostasisNorm,
                             IntrinsicPlasticityNorm, InvalidParameterError, LayerNorm, Linear, SynapticScalingNorm,
                             WeightNormLinear)
from homeostasis.ann.layers import Layer
from homeostasis.ann.validation import Validated

NAN, INF = float("nan"), float("inf")

#: Valid constructor arguments of every class with hyperparameters.
GOOD = {
    Linear: dict(n_in=3, n_out=2, random_state=0),
    WeightNormLinear: dict(n_in=3, n_out=2, random_state=0),
    SynapticScalingNorm: dict(n_in=3, n_out=2, random_state=0),
    BatchNorm: dict(n=3),
    LayerNorm: dict(n=3),
    IntrinsicPlasticityNorm: dict(n=3),
    DivisiveNorm: dict(n=3),
    GlobalGain: dict(),
    GlobalHomeostasisNorm: dict(shared=GlobalGain()),
    SGD: dict(layers=[]),
    Adam: dict(layers=[]),
    MLP: dict(sizes=[4, 5, 3], random_state=0),
}

SIZE = [0, -3, 2.5, 3.0, "3", None, True, NAN]
#: Rate of a running average: (0, 1].
AVERAGING = [0, -0.1, 1.5, 5.0, NAN, INF, "0.1", None, True]
POSITIVE = [0, -1.0, NAN, INF, "1", None]
#: Bad values per parameter name; (class, name) adds values bad for that class only.
BAD = {
    "n": SIZE, "n_in": SIZE, "n_out": SIZE,
    "momentum": AVERAGING, "eps": POSITIVE, "target": POSITIVE, "sigma": POSITIVE, "eta": POSITIVE,
    "max_step": [0, 1.0, 1.5, -0.1, NAN, "0.01", None],
    "random_state": [-1, 1.5, "0", np.random.RandomState(0), [1, 2]],
    "init": ["xavier", None, 3],
    "shared": [None, 1.0, "gain", GlobalHomeostasisNorm],
    "lr": [0, -0.1, NAN, INF, "0.01", None],
    "betas": [(0.9,), (0.9, 0.999, 0.5), (0.9, 1.0), (-0.1, 0.9), (0.9, NAN), "ab", 0.9, None],
    "layers": [[object()], 3, None, "layers"],
    "sizes": [[4], [4, 0, 3], [4, 2.5, 3], [4, -1], "43", 4, None],
    "method": ["dropout", None, 3],
    "seed": [-1, 1.5, "0"],
    (IntrinsicPlasticityNorm, "eta"): [1.5],  # a fraction of the way to the target per step
    (SGD, "momentum"): [1.0],  # heavy-ball coefficient: [0, 1), unlike the averaging rates
}
# SGD's momentum may be 0 (plain SGD), unlike an averaging rate
ALLOWED = {(SGD, "momentum"): [0]}

CLASSES = list(GOOD)


def _params(cls):
    return [n for n in inspect.signature(cls.__init__).parameters if n != "self"]


def _bad_values(cls, name):
    values = BAD[name] + BAD.get((cls, name), [])
    return [v for v in values if not any(v is a or v == a for a in ALLOWED.get((cls, name), []))]


def test_every_class_with_hyperparameters_is_covered():
    exported = [getattr(ann, n) for n in ann.__all__]
    validated = {c for c in exported if isinstance(c, type) and issubclass(c, Validated) and c.__dict__.get("__init__")
                 and _params(c)}
    assert validated == set(GOOD)
    for cls in CLASSES:
        assert set(cls.parameter_names()) == set(_params(cls)), cls
        for name in _params(cls):
            assert name in BAD, f"no bad values listed for {cls.__name__}.{name}"


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_defaults_and_good_values_construct(cls):
    cls(**GOOD[cls])


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_each_bad_value_is_a_value_error_naming_class_and_parameter(cls):
    for name in _params(cls):
        for value in _bad_values(cls, name):
            with pytest.raises(ValueError, match=rf"parameter '{name}' of {cls.__name__} must be") as err:
                cls(**{**GOOD[cls], name: value})
            assert f"got {value!r}" in str(err.value), (name, value)


@pytest.mark.parametrize("make, name", [
    (lambda: BatchNorm(2, momentum=5.0), "momentum"),
    (lambda: LayerNorm(3, eps=0), "eps"),
    (lambda: WeightNormLinear(0, 2, np.random.default_rng(0)), "n_in"),
    (lambda: DivisiveNorm(-3), "n"),
    (lambda: IntrinsicPlasticityNorm(3, momentum=NAN), "momentum"),
    (lambda: SynapticScalingNorm(3, 2, target=INF), "target"),
    (lambda: Adam([], lr="1e-3"), "lr"),
    (lambda: GlobalHomeostasisNorm(None), "shared"),
], ids=["bn-momentum", "ln-eps", "wn-zero-units", "divisive-negative", "ip-nan", "ssn-inf", "adam-str", "global"])
def test_the_reported_bad_hyperparameters(make, name):
    """The cases of issue 12: each used to be accepted or to fail deep inside numpy."""
    with pytest.raises(InvalidParameterError, match=f"'{name}'"):
        make()


def test_a_wrong_type_is_also_a_type_error_for_old_callers():
    with pytest.raises(TypeError, match="shared"):
        GlobalHomeostasisNorm(1.0)


def test_a_class_cannot_leave_a_parameter_unchecked():
    with pytest.raises(TypeError, match=r"missing \['width'\]"):
        class Sloppy(Layer):  # noqa: F841
            _parameter_constraints = {}

            def __init__(self, width):
                super().__init__()


RANDOM = [Linear, WeightNormLinear, SynapticScalingNorm, MLP]


def _weights(obj):
    layers = obj.layers if isinstance(obj, MLP) else [obj]
    return np.concatenate([p.ravel() for layer in layers for p in layer.params.values()])


@pytest.mark.parametrize("cls", RANDOM, ids=lambda c: c.__name__)
def test_random_state_follows_scikit_learn(cls):
    args = {k: v for k, v in GOOD[cls].items() if k != "random_state"}
    same = [_weights(cls(**args, random_state=7)) for _ in range(2)]
    np.testing.assert_array_equal(*same)
    from_generator = _weights(cls(**args, random_state=np.random.default_rng(7)))
    np.testing.assert_array_equal(from_generator, same[0])
    assert not np.array_equal(_weights(cls(**args, random_state=None)), _weights(cls(**args, random_state=None)))
    shared = np.random.default_rng(7)  # one generator, two layers: two different draws
    assert not np.array_equal(_weights(cls(**args, random_state=shared)), _weights(cls(**args, random_state=shared)))


def test_a_positional_generator_still_works():
    """Backward compatibility: ``Linear(n_in, n_out, rng)`` as before the rename."""
    np.testing.assert_array_equal(Linear(3, 2, np.random.default_rng(1)).params["w"],
                                  Linear(3, 2, random_state=1).params["w"])
    np.testing.assert_array_equal(_weights(MLP([4, 5, 3], seed=2)), _weights(MLP([4, 5, 3], random_state=2)))
    with pytest.raises(ValueError, match="not both"):
        MLP([4, 5, 3], random_state=1, seed=2)


def _layer(cls, n=4):
    if cls in GOOD:
        args = dict(GOOD[cls])
        for key in ("n", "n_in", "n_out"):
            if key in args:
                args[key] = n
        if cls is GlobalHomeostasisNorm:
            args["shared"] = GlobalGain()
        return cls(**args)
    return cls()


LAYERS = sorted({getattr(ann, n) for n in ann.__all__ if isinstance(getattr(ann, n), type)
                 and issubclass(getattr(ann, n), Layer)}, key=lambda c: c.__name__)


def test_every_layer_is_in_the_contract():
    assert {c.__name__ for c in LAYERS} == {"BatchNorm", "DivisiveNorm", "GlobalHomeostasisNorm",
                                            "IntrinsicPlasticityNorm", "LayerNorm", "Linear", "ReLU", "SELU",
                                            "SynapticScalingNorm", "WeightNormLinear"}


@pytest.mark.parametrize("cls", LAYERS, ids=lambda c: c.__name__)
def test_layer_interface_shapes_and_gradient_keys(cls):
    rng = np.random.default_rng(0)
    layer = _layer(cls)
    x = rng.normal(size=(5, 4))
    for training in (True, False):
        y = layer.forward(x, training)
        assert y.shape == (5, 4) and np.all(np.isfinite(y))
        dx = layer.backward(np.ones_like(y))
        assert dx.shape == x.shape
        assert set(layer.grads) == set(layer.params)
        for k, p in layer.params.items():
            assert layer.grads[k].shape == p.shape, (cls.__name__, k)


@pytest.mark.parametrize("cls", LAYERS, ids=lambda c: c.__name__)
def test_evaluation_changes_no_parameter(cls):
    rng = np.random.default_rng(1)
    layer = _layer(cls)
    layer.forward(rng.normal(size=(5, 4)), training=True)
    before = {k: p.copy() for k, p in layer.params.items()}
    layer.forward(3 + rng.normal(size=(5, 4)), training=False)
    for k, p in layer.params.items():
        np.testing.assert_array_equal(p, before[k])


@pytest.mark.parametrize("cls", LAYERS, ids=lambda c: c.__name__)
def test_normalization_layers_declare_the_design_table_pairing(cls):
    if cls.scale is None:
        assert cls.counterpart is None
        return
    assert cls.counterpart == homeostasis.SCALES[cls.scale]


@pytest.mark.parametrize("make", [lambda layers: SGD(layers, lr=0.1), lambda layers: Adam(layers, lr=0.1)],
                         ids=["SGD", "Adam"])
def test_optimizers_leave_parameters_alone_on_zero_gradients_and_move_them_otherwise(make):
    layers = [_layer(cls) for cls in LAYERS if _layer(cls).params]
    opt = make(layers)
    before = [{k: p.copy() for k, p in layer.params.items()} for layer in layers]
    for layer in layers:
        layer.grads = {k: np.zeros_like(p) for k, p in layer.params.items()}
    opt.step()
    for layer, b in zip(layers, before):
        for k, p in layer.params.items():
            np.testing.assert_array_equal(p, b[k])
    for layer in layers:
        layer.grads = {k: np.ones_like(p) for k, p in layer.params.items()}
    opt.step()
    for layer, b in zip(layers, before):
        for k, p in layer.params.items():
            assert np.all(p < b[k]), (type(layer).__name__, k)  # a descent step against a positive gradient
