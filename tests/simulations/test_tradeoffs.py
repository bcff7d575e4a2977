"""The trade-offs battery on the spiking network: the control fails, scaling keeps relative weights, seeds repeat.

Small and short (numpy target, 0.5 ms steps) to keep the default suite fast; the full matrix
is the experiment's, read in docs/tradeoffs.md.
"""
import numpy as np
import pytest
from brian2 import Hz, ms, nS, second

from homeostasis import SynapticScaling
from homeostasis.models.contribution import Contribution, Regular, SynapseTerms
from homeostasis.rate import rate_trace
from homeostasis.simulations.experiments.tradeoffs import (check_strengths, default_strengths, parse_configuration,
                                                           perturbation_metrics, simulate_configuration)

SMALL = dict(n_e=100, n_i=25, n_in=100, settle=1 * second, baseline=2 * second, dt=0.5 * ms)


class AdditiveScaling:
    """A test-only homeostatic rule: every excitatory weight onto a neuron moves by one *amount* set by its rate error."""

    def __init__(self, target_rate=5 * Hz, eta_add=1 * nS):
        self.target_rate, self.eta_add = target_rate, eta_add

    def contribution(self, model):
        update = Regular("w = clip(w + eta_add * (target_rate_post - r_post) / target_rate_post * (10*ms) / second, "
                         "0 * nS, 10 * nS)", 10 * ms)
        return Contribution(equations="target_rate : Hz (shared, constant)", requires=(rate_trace(500 * ms),),
                            initial={"r": "target_rate", "target_rate": self.target_rate},
                            synapses={"exc": SynapseTerms(regular=(update,), namespace={"eta_add": self.eta_add})})


# a deep blockade: recovering needs several times the drive, so an additive rule must add much
# more than the mean weight, which turns the weight vectors measurably
DEEP = {**default_strengths(), "blockade_fraction": 0.8}


def _blockade(conf):
    sim = simulate_configuration(conf, ["blockade"], DEEP, perturb=5 * second, seed=3, **SMALL)
    return perturbation_metrics(sim, "blockade", 0.5, 2.0, seed=3)


@pytest.fixture(scope="module")
def control():
    return _blockade("none")


def test_without_homeostasis_the_rate_does_not_recover_from_blockade(control):
    assert control["recovery_time_s"] is None
    assert control["residual_error"] > 0.3  # the rate stays far below its baseline
    assert control["spike_cost"] < 0.7


@pytest.mark.slow  # three runs of 100 E neurons; the fast version below runs a smaller network
def test_scaling_recovers_and_keeps_relative_weights_where_an_additive_rule_does_not(control):
    scaling = _blockade([SynapticScaling(target_rate=5 * Hz, tau_scaling=1.5 * second, tau_r=500 * ms)])
    additive = _blockade([AdditiveScaling()])
    assert scaling["residual_error"] < 0.25
    # both rules bring the rate up from the control's
    assert scaling["spike_cost"] > control["spike_cost"] + 0.2
    assert additive["spike_cost"] > control["spike_cost"] + 0.2
    # scaling multiplies each neuron's weights by one factor: every ratio w_i / w_j is kept
    assert scaling["weight_correlation"] > 0.95
    # the additive rule moves every weight by one amount: the small weights gain most in
    # ratio, and the relative weights are partly erased (0.77 here; 0.59-0.89 at seeds 3, 4,
    # 5, 11 and blockades of 0.5-0.8, docs/tradeoffs.md)
    assert additive["weight_correlation"] < 0.9


def test_fast_scaling_keeps_relative_weights_where_an_additive_rule_does_not():
    """The slow test above on a smaller, shorter network (the default suite's version)."""
    tiny = dict(n_e=40, n_i=10, n_in=60, settle=0.5 * second, baseline=1 * second, perturb=2 * second,
                dt=0.5 * ms, seed=3)
    out = {}
    for name, conf in (("scaling", [SynapticScaling(target_rate=5 * Hz, tau_scaling=1.5 * second, tau_r=500 * ms)]),
                       ("additive", [AdditiveScaling()])):
        sim = simulate_configuration(conf, ["blockade"], DEEP, **tiny)
        out[name] = perturbation_metrics(sim, "blockade", 0.5, 1.0, seed=3)
    for m in out.values():  # each rule lifts the rate from where the blockade put it
        assert m["rate_final_hz"] > m["baseline_rate_hz"] * (1 + m["deviation_initial"]) + 0.5
    assert out["scaling"]["weight_correlation"] > 0.95
    assert out["additive"]["weight_correlation"] < 0.9


def test_the_same_seed_gives_the_same_metrics():
    kw = dict(SMALL, settle=0.5 * second, baseline=1 * second, perturb=1.5 * second)
    a = simulate_configuration("none", ["lesion"], seed=5, **kw)
    b = simulate_configuration("none", ["lesion"], seed=5, **kw)
    c = simulate_configuration("none", ["lesion"], seed=6, **kw)
    np.testing.assert_array_equal(a["lesion"]["spike_t"], b["lesion"]["spike_t"])
    assert perturbation_metrics(a, "lesion", 0.5, 1.0) == perturbation_metrics(b, "lesion", 0.5, 1.0)
    assert not np.array_equal(a["lesion"]["spike_i"][:50], c["lesion"]["spike_i"][:50])


@pytest.mark.parametrize("name, message", [
    ("bogus", "unknown configuration"), ("istdp+global", "different scales"), ("none+scaling", "other than none"),
    ("intrinsic", "sigmoid rate neuron"),
])
def test_bad_configuration_names_are_one_line_errors(name, message):
    with pytest.raises(ValueError, match=message):
        parse_configuration(name)


@pytest.mark.parametrize("key, value", [("blockade_fraction", 1.0), ("lesion_fraction", 0.0),
                                        ("overdrive_gain", -1.0), ("correlation", np.nan), ("hebbian_gain", 50.0)])
def test_strength_out_of_range_is_a_one_line_error(key, value):
    with pytest.raises(ValueError, match=key):
        check_strengths({**default_strengths(), key: value})


def test_cli_refuses_bad_names_and_strengths_and_writes_nothing(tmp_path):
    from homeostasis.simulations.output import run_experiment

    for overrides in ({"configurations": "none,bogus"}, {"perturbations": "blockade,ttx"},
                      {"blockade_fraction": "1.5"}):
        with pytest.raises(ValueError) as err:
            run_experiment("tradeoffs", overrides, quick=True, out=tmp_path)
        assert "\n" not in str(err.value)
    assert list(tmp_path.iterdir()) == []


def test_aggregate_recomputes_the_rate_metrics_of_a_pair_from_its_binned_rates(tmp_path):
    import json

    from homeostasis.simulations.experiments.tradeoffs import METRICS, aggregate

    stale = {k: 99.0 for k in METRICS}  # what an older metric code stored
    for seed, dip in ((0, 2.0), (1, 3.0)):
        point = tmp_path / "points" / "configurations=threshold+scaling,dt=0.5_ms" / f"seed-{seed}" / "tradeoffs"
        point.mkdir(parents=True)
        (point / "metrics.json").write_text(json.dumps({"params": {"rate_bin": "1. s", "baseline": "3. s"},
                                                        "t_perturb_s": 3.0, "threshold+scaling": {"blockade": stale}}))
        # baseline 5 Hz, down to `dip` in the first second after the onset, back to 5 Hz at t = 5 s
        rate = np.array([5.0, 5.0, 5.0, dip, 4.0, 5.0, 5.0, 5.0, 5.0])
        np.savez(point / "data.npz", t=np.arange(9.0), **{"rate_threshold+scaling_blockade": rate})
    summary, text = aggregate(tmp_path)
    entry = summary["dt=0.5_ms"]["threshold+scaling"]["blockade"]
    assert entry["residual_error"]["mean"] == 0.0
    assert entry["recovery_time_s"]["mean"] == 3.0  # bins end at 4 (dip) and 5 (4 Hz, 20 % off), back from 6 s
    assert entry["spike_cost"]["mean"] == pytest.approx(np.mean([(2 + 4 + 20) / 30, (3 + 4 + 20) / 30]), abs=1e-4)
    assert entry["discrimination_after"]["mean"] == 99.0  # needs the spikes: kept as stored
    assert "| threshold+scaling |" in text
