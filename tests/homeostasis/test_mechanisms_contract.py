"""What every mechanism promises: a scale, a counterpart, validated parameters."""
import dataclasses

import numpy as np
import pytest
from brian2 import DimensionMismatchError, Quantity, kilogram

from homeostasis import SCALES, all_mechanisms
from homeostasis.mechanism import Mechanism

MECHANISMS = all_mechanisms()


def test_every_scale_has_a_mechanism_and_counterparts_follow_the_table():
    assert {m.scale for m in MECHANISMS} == set(SCALES)
    for m in MECHANISMS:
        assert m.counterpart == SCALES[m.scale]
        assert m.biology


def test_a_mechanism_with_a_wrong_counterpart_cannot_be_defined():
    with pytest.raises(TypeError, match="counterpart"):
        @dataclasses.dataclass(frozen=True)
        class Wrong(Mechanism):  # noqa: F841
            scale = "synapse"
            counterpart = "batch normalization"


def _unit_fields(cls):
    return [f for f in dataclasses.fields(cls) if "unit" in f.metadata]


@pytest.mark.parametrize("cls", MECHANISMS, ids=lambda c: c.__name__)
def test_wrong_unit_raises_dimension_mismatch_naming_the_parameter(cls):
    for f in _unit_fields(cls):
        with pytest.raises(DimensionMismatchError, match=f.name):
            cls(**{f.name: 3 * kilogram})


@pytest.mark.parametrize("cls", MECHANISMS, ids=lambda c: c.__name__)
def test_zero_negative_or_nan_targets_raise_value_error_saying_why(cls):
    for f in _unit_fields(cls):
        if f.metadata["bounds"] is None:
            continue
        default = f.default_factory()
        bad = [-1 * default, np.nan * default] + ([0 * default] if f.metadata["bounds"] != "nonnegative" else [])
        for value in bad:
            with pytest.raises(ValueError, match=f.name) as err:
                cls(**{f.name: value})
            assert any(word in str(err.value) for word in ("positive", "negative", "finite", "between"))


def test_defaults_are_quantities_or_numbers():
    for cls in MECHANISMS:
        optional = {f.name for f in _unit_fields(cls) if f.metadata.get("optional")}
        for name, value in cls().parameters().items():
            # an optional parameter's None is a value its mechanism derives from the model
            assert isinstance(value, (Quantity, float, int)) or (value is None and name in optional), (cls, name)
