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


# -- every mechanism on a model that is not one of the project's --------------------------
ADEX_EQS = """
dv/dt = (g_L*(E_L - v) + g_L*D_T*exp((v - v_T)/D_T) - u + I_ext + g_e*(E_e - v) + g_i*(E_i - v)) / C : volt (unless refractory)
du/dt = (a*(v - E_L) - u) / tau_u : amp
dg_e/dt = -g_e / tau_e : siemens
dg_i/dt = -g_i / tau_i : siemens
I_ext : amp
"""


def _adex():
    from brian2 import mV, ms, nS, pA, pF, siemens

    from homeostasis.models import NeuronModel

    return NeuronModel(ADEX_EQS, threshold="v > v_th", reset="v = V_reset\nu += b", refractory=2 * ms,
                       synapse_targets={"exc": ("g_e", siemens), "inh": ("g_i", siemens)},
                       adaptable={"v_th": -45 * mV},
                       namespace=dict(C=281 * pF, g_L=30 * nS, E_L=-70.6 * mV, D_T=2 * mV, v_T=-50.4 * mV, a=4 * nS,
                                      b=0 * pA, tau_u=144 * ms, tau_e=5 * ms, tau_i=10 * ms, E_e=0 * mV,
                                      E_i=-80 * mV, V_reset=-70.6 * mV),
                       initial={"v": -70.6 * mV}, name="AdEx")


def _user_model_kwargs(cls):
    from brian2 import nS, pA

    return {"InhibitoryPool": dict(w_in=0.1 * nS, w_out=1 * nS, n_pool=5, pool_drive=300 * pA),
            "WeightSumNormalization": dict(w_total=5 * nS)}.get(cls.__name__, {})


@pytest.mark.parametrize("cls", MECHANISMS, ids=lambda c: c.__name__)
def test_every_mechanism_builds_and_runs_on_a_user_equation_model(cls):
    """AdEx written as the user's own equation string, on the numpy target."""
    from brian2 import Hz, SpikeMonitor, ms, nS, pA

    from homeostasis.models import Circuit, poisson_source

    c = Circuit(f"user_{cls.__name__}")
    mechanism = cls(**_user_model_kwargs(cls))
    if cls.__name__ in ("IntrinsicPlasticity", "DivisiveNormalization"):  # rate forms: a clear refusal
        with pytest.raises(ValueError, match="AdEx"):
            c.population("E", _adex(), 4, [mechanism])
        return
    E = c.population("E", _adex(), 8, [mechanism], I_ext=700 * pA)
    src = c.add(poisson_source(20, 20 * Hz, name=f"user_{cls.__name__}_in"))
    c.connect(src, E, "exc", weight=1 * nS, p=0.5)
    c.connect(src, E, "inh", weight=1 * nS, p=0.5)
    spikes = c.add(SpikeMonitor(E, name=f"user_{cls.__name__}_spikes"))
    c.network().run(50 * ms)
    assert spikes.num_spikes > 0
    assert np.all(np.isfinite(np.asarray(E.v[:])))
