"""The homeostatic rules of the bio-inspired normalizations: set points, bounds, locality."""
import numpy as np
import pytest

from homeostasis.ann import (MLP, DivisiveNorm, GlobalGain, GlobalHomeostasisNorm, IntrinsicPlasticityNorm,
                             SynapticScalingNorm)

BIO = {
    SynapticScalingNorm: ("synapse", "weight normalization"),
    IntrinsicPlasticityNorm: ("neuron", "batch normalization"),
    DivisiveNorm: ("layer", "layer normalization"),
    GlobalHomeostasisNorm: ("network", "self-normalization"),
}


@pytest.mark.parametrize("cls", BIO, ids=lambda c: c.__name__)
def test_each_bio_layer_declares_its_scale_counterpart_and_biology(cls):
    assert (cls.scale, cls.counterpart) == BIO[cls]
    assert isinstance(cls.biology, str) and cls.biology
    assert "math::" in cls.__doc__ or "math::" in GlobalGain.__doc__  # the rule is written out


def _make(cls, n=4, rng=None):
    rng = rng or np.random.default_rng(0)
    if cls is SynapticScalingNorm:
        return SynapticScalingNorm(n, n, rng)
    if cls is GlobalHomeostasisNorm:
        return GlobalHomeostasisNorm(GlobalGain())
    return cls(n)


def _state(layer):
    if isinstance(layer, SynapticScalingNorm):
        return [layer.params["w"].copy(), None if layer.activity is None else layer.activity.copy()]
    if isinstance(layer, IntrinsicPlasticityNorm):
        return [layer.mean.copy(), layer.var.copy(), layer.gain.copy(), layer.threshold.copy()]
    if isinstance(layer, GlobalHomeostasisNorm):
        return [layer.shared.gain, layer.shared.estimate]
    return [p.copy() for p in layer.params.values()]


@pytest.mark.parametrize("cls", BIO, ids=lambda c: c.__name__)
def test_homeostatic_state_changes_in_training_only(cls):
    rng = np.random.default_rng(1)
    layer = _make(cls)
    layer.forward(5 + 3 * rng.normal(size=(1, 4)), training=True)  # a batch of one is enough
    before = _state(layer)
    for _ in range(20):
        layer.forward(5 + 3 * rng.normal(size=(1, 4)), training=False)
    for a, b in zip(before, _state(layer)):
        np.testing.assert_array_equal(a, b)
    if cls is not DivisiveNorm:  # divisive normalization acts within the pass and has no slow state
        for _ in range(20):
            layer.forward(5 + 3 * rng.normal(size=(1, 4)), training=True)
        assert any(not np.array_equal(a, b) for a, b in zip(before, _state(layer)))
        layer.adapt = False
        frozen = _state(layer)
        layer.forward(5 + 3 * rng.normal(size=(1, 4)), training=True)
        for a, b in zip(frozen, _state(layer)):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("cls", BIO, ids=lambda c: c.__name__)
def test_evaluation_output_of_a_sample_does_not_depend_on_its_batch(cls):
    rng = np.random.default_rng(2)
    layer = _make(cls)
    layer.forward(rng.normal(size=(8, 4)), training=True)
    x = rng.normal(size=(6, 4))
    np.testing.assert_allclose(layer.forward(x, training=False)[:1], layer.forward(x[:1], training=False))


def test_ssn_does_not_blow_up_a_dead_unit_over_10000_steps():
    rng = np.random.default_rng(0)
    layer = SynapticScalingNorm(5, 3, rng)
    layer.params["w"][:, 0] = -np.abs(layer.params["w"][:, 0])  # unit 0 never fires on positive input
    norm0 = np.linalg.norm(layer.params["w"], axis=0)
    peak = norm0.copy()
    for _ in range(10_000):
        z = layer.forward(np.abs(rng.normal(size=(4, 5))), training=True)
        assert np.all(z[:, 0] < 0)  # still dead: scaling keeps the sign of the drive
        peak = np.maximum(peak, np.linalg.norm(layer.params["w"], axis=0))
    assert np.all(np.isfinite(layer.params["w"]))
    assert peak[0] <= norm0[0] * (1 + 1e-12)  # the dead unit's weights only ever shrink...
    assert np.linalg.norm(layer.params["w"][:, 0]) > 0.05 * norm0[0]  # ...to the set point, not to zero
    np.testing.assert_allclose(np.sqrt(layer.activity), 1.0, rtol=0.1)  # every unit at its set point


def test_ssn_naive_rule_on_rectified_output_would_diverge_on_the_same_dead_unit():
    """The contrast that motivates the RMS-drive measure: mean rectified output of a dead unit is 0."""
    rng = np.random.default_rng(0)
    w = -np.abs(rng.normal(size=5))
    for _ in range(10_000):
        rectified = np.maximum(np.abs(rng.normal(size=(4, 5))) @ w, 0).mean()
        w = w * (1 + 0.01) if rectified < 1.0 else w  # unbounded in count, each step +1%
    assert np.linalg.norm(w) > 1e40


def test_ssn_scales_a_silent_unit_up_and_settles():
    rng = np.random.default_rng(3)
    layer = SynapticScalingNorm(10, 2, rng)
    layer.params["w"] *= 1e-3  # nearly silent units
    for _ in range(3000):
        layer.forward(rng.normal(size=(16, 10)), training=True)
    np.testing.assert_allclose(np.sqrt(layer.activity), 1.0, rtol=0.1)
    norms = np.linalg.norm(layer.params["w"], axis=0)
    for _ in range(1000):
        layer.forward(rng.normal(size=(16, 10)), training=True)
    np.testing.assert_allclose(np.linalg.norm(layer.params["w"], axis=0), norms, rtol=0.2)  # stays put


def test_ssn_leaves_weights_alone_when_the_input_is_silent():
    layer = SynapticScalingNorm(4, 3, np.random.default_rng(0))
    layer.forward(np.ones((2, 4)), training=True)
    w = layer.params["w"].copy()
    for _ in range(10_000):
        layer.forward(np.zeros((1, 4)), training=True)
    np.testing.assert_array_equal(layer.params["w"], w)


def test_ssn_keeps_the_direction_of_each_weight_vector():
    rng = np.random.default_rng(1)
    layer = SynapticScalingNorm(6, 4, rng, max_step=0.05)
    w0 = layer.params["w"].copy()
    for _ in range(50):
        layer.forward(5 * rng.normal(size=(8, 6)), training=True)
    w = layer.params["w"]
    cos = np.sum(w0 * w, axis=0) / (np.linalg.norm(w0, axis=0) * np.linalg.norm(w, axis=0))
    np.testing.assert_allclose(cos, 1.0, atol=1e-12)
    ratio = np.linalg.norm(w, axis=0) / np.linalg.norm(w0, axis=0)
    assert np.all(ratio < 1) and np.all(ratio >= 0.95 ** 50 - 1e-12)  # shrunk, by at most max_step a step


def test_intrinsic_plasticity_norm_holds_unit_statistics_with_a_batch_of_one():
    rng = np.random.default_rng(2)
    layer = IntrinsicPlasticityNorm(3, momentum=0.01)
    scale, shift = np.array([0.1, 3.0, 10.0]), np.array([-5.0, 0.0, 4.0])
    layer.forward(np.zeros((1, 3)), training=True)  # a misleading first sample
    for _ in range(5000):
        layer.forward(shift + scale * rng.normal(size=(1, 3)), training=True)
    y = layer.forward(shift + scale * rng.normal(size=(5000, 3)), training=False)
    # the tolerance covers the noise of a running estimate with momentum 0.01 (about 0.07 here)
    np.testing.assert_allclose(y.mean(axis=0), 0.0, atol=0.2)
    np.testing.assert_allclose(y.std(axis=0), 1.0, atol=0.2)


def test_divisive_norm_is_invariant_to_the_input_level_and_keeps_the_pattern():
    layer = DivisiveNorm(5)
    x = np.random.default_rng(4).uniform(0.5, 2.0, (3, 5))
    low, high = layer.forward(x), layer.forward(100 * x)
    np.testing.assert_allclose(low, high, rtol=1e-3)
    np.testing.assert_allclose(np.mean(high ** 2, axis=1), 1.0, rtol=1e-3)
    np.testing.assert_allclose(high / high[:, :1], x / x[:, :1])


def test_global_gain_brings_network_activity_to_its_set_point():
    g = GlobalGain(target=1.0, momentum=0.1, eta=0.5, max_step=0.05)
    for _ in range(2000):
        g.observe(9.0 * g.gain ** 2)  # activity scales with the gain squared
    assert abs(9.0 * g.gain ** 2 - 1.0) < 0.05


def test_global_gain_in_a_network_is_one_slow_variable():
    rng = np.random.default_rng(5)
    net = MLP([10, 20, 20, 3], "global", seed=0)
    x = 10 * rng.normal(size=(32, 10))  # far too strong a drive
    for _ in range(3000):
        net.forward(x, training=True)
    assert net.shared.gain < 0.5
    # the quantity the rule holds: mean squared output of the normalized layers, pooled
    outputs, h = [], x
    for layer in net.layers:
        h = layer.forward(h, False)
        if isinstance(layer, GlobalHomeostasisNorm):
            outputs.append(np.mean(h ** 2))
    assert np.mean(outputs) == pytest.approx(net.shared.target, rel=0.15)


@pytest.mark.parametrize("kwargs", [dict(momentum=0), dict(momentum=1.5), dict(eta=0), dict(max_step=1.0),
                                    dict(target=-1)])
def test_bad_homeostatic_rates_are_refused(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        SynapticScalingNorm(3, 2, np.random.default_rng(0), **kwargs)
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        GlobalGain(**kwargs)
