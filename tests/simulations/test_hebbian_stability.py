"""hebbian-stability: triplet STDP on E->E runs away alone and is held by fast synaptic scaling.

A half-size network (200 E, 50 I, connection probability doubled so every neuron keeps its
40 E and 10 I inputs) for 3 s at the quick time step: seconds per run.
"""
import json

import numpy as np
import pytest
from brian2 import Hz, ms, nS, second

from homeostasis.simulations.experiments.hebbian_stability import parse_variant, simulate_variant, summarize_variant

TARGET = 5.0
SMALL = dict(n_e=200, n_i=50, network={"p": 0.2}, duration=3 * second, dt=0.25 * ms, target_rate=TARGET * Hz)


def _metrics(variant, seed=1, **kw):
    sim = simulate_variant(variant, seed=seed, **{**SMALL, **kw})
    return sim, summarize_variant(sim, TARGET, 2.0, 0.3, 1.5)


def test_without_homeostasis_the_rate_runs_away_and_fast_scaling_holds_it_at_target():
    none_sim, none = _metrics("none")
    initial = none["rate_initial_hz"]
    assert 0.6 * TARGET < initial < 1.4 * TARGET  # the network starts near the set point
    # the run away: above the runaway bound (2 x target) within the run and still above it
    # at the end, with the E->E weights grown (the instability is Hebbian)
    assert none["runaway_time_s"] is not None and not none["stable"]
    assert none["rate_final_hz"] > 2 * TARGET, none
    assert none["weight_mean_final"] > 1.2 * 0.3
    assert np.all(np.isfinite(none_sim["rate"])) and np.all(np.isfinite(none_sim["w"]))
    assert none_sim["w"].max() <= 1.5 + 1e-12  # saturated at w_max, no overflow

    _, fast = _metrics("scaling_250ms")
    assert fast["stable"] and fast["runaway_time_s"] is None
    assert abs(fast["rate_last_half_hz"] / TARGET - 1) < 0.25, fast
    # Hebbian growth went on under scaling: the plastic weights grew, the gain took it back
    assert fast["weight_mean_final"] > 1.2 * 0.3 and fast["weight_eff_mean_final"] < fast["weight_mean_final"] * 1.5


def test_the_same_seed_gives_the_same_metrics_and_another_seed_does_not():
    kw = dict(duration=1 * second)
    _, a = _metrics("scaling_250ms", seed=3, **kw)
    _, b = _metrics("scaling_250ms", seed=3, **kw)
    _, c = _metrics("scaling_250ms", seed=4, **kw)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert a["rate_final_hz"] != c["rate_final_hz"] or a["weight_mean_final"] != c["weight_mean_final"]


@pytest.mark.parametrize("name, kind, tau_scaling, tau_r", [
    ("none", "none", None, None),
    ("scaling", "scaling", None, None),
    ("scaling_250ms", "scaling", 250 * ms, None),
    ("scaling_16s", "scaling", 16 * second, None),
    ("sensor_4s", "sensor", None, 4 * second),
    ("istdp", "istdp", None, None),
])
def test_variant_names_carry_their_time_constants(name, kind, tau_scaling, tau_r):
    assert parse_variant(name) == {"kind": kind, "tau_scaling": tau_scaling, "tau_r": tau_r}


@pytest.mark.parametrize("name", ["scaling_0.5s", "sensor", "scaling_4", "bogus", "scaling_4min"])
def test_unknown_variant_names_are_refused_with_the_valid_forms(name):
    with pytest.raises(ValueError, match="scaling_<T>"):
        parse_variant(name)


def test_run_writes_the_declared_metrics_with_null_for_no_runaway(tmp_path):
    from homeostasis.simulations.output import run_experiment

    overrides = {"variants": "none,scaling_250ms", "n_e": "100", "n_i": "25", "duration": "1*second"}
    path = run_experiment("hebbian-stability", overrides, seed=0, quick=True, out=tmp_path, progress=False)
    m = json.loads((path / "metrics.json").read_text())
    for variant in ("none", "scaling_250ms"):
        assert set(m[variant]) >= {"stable", "runaway_time_s", "rate_final_hz", "weight_mean_final"}
    assert m["scaling_250ms"]["runaway_time_s"] is None  # JSON null, not NaN
    lo, hi = m["critical_tau_scaling_s"]
    assert (lo, hi) in ((0.25, None), (None, 0.25))
    assert m["runaway_bound_hz"] == pytest.approx(2.0 * m["target_rate_hz"])
    assert (path / "figure.png").exists()
