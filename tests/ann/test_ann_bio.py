"""The homeostatic rules of the bio-inspired normalizations: set points, bounds, locality.

Set points are measured with an independent sensor (the layer's output on fresh inputs in
evaluation mode), not with the running estimate the rule itself reads.
"""
import numpy as np
import pytest

import homeostasis
from homeostasis.analysis import pairs
from homeostasis.ann import (MLP, BatchNorm, DivisiveNorm, GlobalGain, GlobalHomeostasisNorm, IntrinsicPlasticityNorm,
                             SynapticScalingNorm)

#: Each bio layer and the class whose docstring writes its rule out (the network's one gain
#: is a separate object, so its rule is documented there).
BIO = {SynapticScalingNorm: SynapticScalingNorm, IntrinsicPlasticityNorm: IntrinsicPlasticityNorm,
       DivisiveNorm: DivisiveNorm, GlobalHomeostasisNorm: GlobalGain}


def test_one_bio_layer_per_scale_paired_with_the_design_table():
    """Against homeostasis.SCALES (the design's table), not a copy of the layers' own attributes."""
    assert {cls.scale for cls in BIO} == set(homeostasis.SCALES)
    table = pairs()
    for cls in BIO:
        assert cls.counterpart == homeostasis.SCALES[cls.scale]
        assert cls in table[cls.scale]["ann"]
        assert isinstance(cls.biology, str) and cls.biology


@pytest.mark.parametrize("cls", BIO, ids=lambda c: c.__name__)
def test_each_bio_rule_is_written_out_where_the_layer_points(cls):
    rule_owner = BIO[cls]
    assert ".. math::" in rule_owner.__doc__, rule_owner.__name__
    if rule_owner is not cls:
        assert f":class:`{rule_owner.__name__}`" in cls.__doc__  # and the layer says where


def _make(cls, n=4, rng=None):
    rng = rng or np.random.default_rng(0)
    if cls is SynapticScalingNorm:
        return SynapticScalingNorm(n, n, rng)
    if cls is GlobalHomeostasisNorm:
        return GlobalHomeostasisNorm(GlobalGain())
    return cls(n)


def _state(layer):
    if isinstance(layer, SynapticScalingNorm):
        return [layer.gain.copy(), layer.params["w"].copy(), None if layer.activity is None else layer.activity.copy()]
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


@pytest.mark.parametrize("cls", list(BIO) + [BatchNorm], ids=lambda c: c.__name__)
def test_training_output_of_a_sample_does_not_depend_on_its_batch(cls):
    """Online layers give a sample the same output alone or in a batch; batch norm (the control) does not."""
    rng = np.random.default_rng(2)
    layer = _make(cls)
    layer.forward(rng.normal(size=(8, 4)), training=True)
    if hasattr(layer, "adapt"):
        layer.adapt = False  # the slow state may move between the two calls; the pass itself must not pool samples
    x = rng.normal(size=(6, 4))
    batch, alone = layer.forward(x, training=True)[:1], layer.forward(x[:2], training=True)[:1]
    if cls is BatchNorm:
        assert not np.allclose(batch, alone)
    else:
        np.testing.assert_allclose(batch, alone)


def _rms_drive(layer, x):
    """Independent sensor: RMS pre-activation per unit on inputs, in evaluation mode."""
    return np.sqrt(np.mean(layer.forward(x, training=False) ** 2, axis=0))


def test_ssn_senses_a_dead_unit_by_its_drive_not_its_zero_output():
    """A dead unit (negative drive, zero ReLU output) is sensed by its drive, so its gain falls.

    A rule on the rectified output would read zero for it and raise its gain without bound.
    """
    rng = np.random.default_rng(0)
    layer = SynapticScalingNorm(5, 3, rng)
    w = layer.params["w"]
    w[:, 0] = -np.abs(w[:, 0])  # unit 0 driven below zero by positive input
    layer.gain[0] *= 3  # and strongly
    x = np.abs(rng.normal(size=(4, 5)))
    z = layer.forward(x, training=True)
    assert np.all(z[:, 0] < 0)
    drive = x @ (w * layer.gain / np.sqrt(np.sum(w ** 2, axis=0))) + layer.params["b"]
    np.testing.assert_allclose(layer.activity, np.mean(drive ** 2, axis=0))
    g0 = layer.gain.copy()
    layer.forward(x, training=True)
    assert layer.gain[0] < g0[0]


def test_ssn_does_not_blow_up_a_dead_unit_over_10000_steps():
    rng = np.random.default_rng(0)
    layer = SynapticScalingNorm(5, 3, rng)
    layer.params["w"][:, 0] = -np.abs(layer.params["w"][:, 0])  # unit 0 never fires on positive input
    g0 = layer.gain.copy()
    peak = g0.copy()
    for _ in range(10_000):
        z = layer.forward(np.abs(rng.normal(size=(4, 5))), training=True)
        assert np.all(z[:, 0] < 0)  # still dead: scaling keeps the sign of the drive
        peak = np.maximum(peak, layer.gain)
    assert np.all(np.isfinite(layer.gain))
    assert peak[0] <= g0[0] * (1 + 1e-12)  # the dead unit's gain only ever falls...
    assert layer.gain[0] > 0.05 * g0[0]  # ...to the set point, not to zero
    np.testing.assert_allclose(_rms_drive(layer, np.abs(rng.normal(size=(4000, 5)))), 1.0, rtol=0.1)


def test_ssn_scales_a_silent_unit_up_and_settles():
    rng = np.random.default_rng(3)
    layer = SynapticScalingNorm(10, 2, rng)
    layer.gain *= 1e-3  # nearly silent units
    fresh = rng.normal(size=(4000, 10))
    assert np.all(_rms_drive(layer, fresh) < 0.01)
    for _ in range(3000):
        layer.forward(rng.normal(size=(16, 10)), training=True)
    np.testing.assert_allclose(_rms_drive(layer, fresh), 1.0, rtol=0.1)
    gains = layer.gain.copy()
    for _ in range(1000):
        layer.forward(rng.normal(size=(16, 10)), training=True)
    np.testing.assert_allclose(layer.gain, gains, rtol=0.2)  # stays put
    np.testing.assert_allclose(_rms_drive(layer, fresh), 1.0, rtol=0.1)


def test_ssn_leaves_its_gains_alone_when_the_input_is_silent():
    layer = SynapticScalingNorm(4, 3, np.random.default_rng(0))
    g0 = layer.gain.copy()
    layer.forward(np.ones((2, 4)), training=True)
    layer.forward(np.ones((2, 4)), training=True)
    g = layer.gain.copy()
    assert not np.array_equal(g, g0)  # the rule did act on the informative batches
    for _ in range(10_000):
        layer.forward(np.zeros((1, 4)), training=True)
    np.testing.assert_array_equal(layer.gain, g)


def test_ssn_transmits_gain_times_direction_and_the_rule_moves_only_the_gain():
    """The spiking SynapticScaling's shape: ``w_eff = g w / ||w||``, one g per unit, ``w`` left to learning.

    It starts as the He-initialized Linear (g = ||w||). Each step's factor is bounded by
    ``max_step``: after 50 steps of a fivefold drive the gains have fallen, but by no more
    than ``(1 - max_step) ** 50``.
    """
    rng = np.random.default_rng(1)
    layer = SynapticScalingNorm(6, 4, rng, max_step=0.05)
    w0, b = layer.params["w"].copy(), layer.params["b"]
    x = rng.normal(size=(3, 6))
    np.testing.assert_allclose(layer.forward(x), x @ w0 + b)
    for _ in range(50):
        layer.forward(5 * rng.normal(size=(8, 6)), training=True)
    np.testing.assert_array_equal(layer.params["w"], w0)
    ratio = layer.gain / np.linalg.norm(w0, axis=0)
    assert np.all(ratio < 1) and np.all(ratio >= 0.95 ** 50 - 1e-12)
    np.testing.assert_allclose(layer.forward(x), x @ (w0 * ratio) + b)
    np.testing.assert_allclose(layer.effective_weight, w0 * ratio)


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


