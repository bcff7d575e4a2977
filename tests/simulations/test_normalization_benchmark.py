"""The benchmark's speed numbers are read off the recorded curves: checked on hand-made ones."""
import numpy as np
import pytest

from homeostasis.simulations.experiments.normalization_benchmark import _early, format_table, summarize

STEPS = np.array([100, 200, 300, 400, 500])


def _entry(curves, drift=(0.1, 0.1)):
    return {"accuracy": [c[-1] for c in curves], "train_accuracy": [1.0] * len(curves),
            "curves": [(STEPS, np.asarray(c)) for c in curves], "accuracy_early": [c[0] for c in curves],
            "activation_drift": list(drift), "diverged": 0}


def test_steps_to_target_comes_from_each_recorded_curve_and_the_reference_final_accuracy():
    results = {"toy": {
        "none": _entry([[0.2, 0.4, 0.6, 0.7, 0.80], [0.2, 0.3, 0.5, 0.7, 0.78]]),  # final mean 0.79
        "batch": _entry([[0.5, 0.78, 0.8, 0.8, 0.8], [0.6, 0.7, 0.79, 0.6, 0.81]]),
        "ssn": _entry([[0.5, 0.6, 0.7, 0.7, 0.7], [0.7, 0.7, 0.7, 0.77, 0.79]]),
    }}
    s = summarize(results)["toy"]
    assert s["none"]["target_accuracy"] == pytest.approx(0.79 - 0.01)
    # none: first >= 0.78 at 500 in both runs (0.78 counts as reached)
    assert (s["none"]["steps_to_target"], s["none"]["n_reached"]) == (500, 2)
    # batch: 200 and 300 (the later dip does not matter): mean 250, std 50
    assert (s["batch"]["steps_to_target"], s["batch"]["steps_to_target_std"]) == (250, 50)
    # ssn: one run never reaches 0.78, the other at 500: averaged over the run that did
    assert (s["ssn"]["steps_to_target"], s["ssn"]["n_reached"], s["ssn"]["n_seeds"]) == (500, 1, 2)
    table = format_table(summarize(results), "toy")
    assert "| batch | 80.5 +- 0.5 (n=2) | 250 +- 50 |" in table and "(1/2 reached)" in table


def test_without_the_unnormalized_reference_there_is_no_target():
    s = summarize({"toy": {"batch": _entry([[0.5, 0.8, 0.8, 0.8, 0.8]], drift=(0.1,))}})["toy"]["batch"]
    assert s["target_accuracy"] is None and s["steps_to_target"] is None and s["n_reached"] == 0


def test_accuracy_early_is_the_first_record_at_or_after_ten_percent_of_the_steps():
    acc = np.array([0.1, 0.2, 0.3, 0.4, 0.5])
    assert _early(STEPS, acc, 2000) == 0.2  # 10 % of 2000 = 200
    assert _early(STEPS, acc, 2500) == 0.3  # 250 falls between records: the next one
    assert _early(STEPS, acc, 10_000) == 0.5  # past the last record: the last one


def test_a_diverged_run_is_counted_and_leaves_nan_in_every_number_of_its_entry(monkeypatch):
    from types import SimpleNamespace

    from homeostasis.simulations.experiments import normalization_benchmark as nb

    def fit(model, data, steps, seed, **kwargs):
        if seed == 1:
            raise FloatingPointError("overflow")
        return SimpleNamespace(final_test_accuracy=0.8, final_train_accuracy=0.9, steps=STEPS,
                               test_accuracy=np.array([0.5, 0.6, 0.7, 0.8, 0.8]),
                               probe_mean=[np.zeros((2, 3))], probe_std=[np.ones((2, 3))])

    monkeypatch.setattr(nb, "engine", lambda name: (lambda sizes, method, random_state: None, fit))
    entry = nb.benchmark(["digits"], ["none"], seeds=3, steps=500)["digits"]["none"]
    assert entry["diverged"] == 1 and entry["curves"][1] is None
    for key in ("accuracy", "train_accuracy", "accuracy_early", "activation_drift"):
        assert len(entry[key]) == 3 and np.isnan(entry[key][1]) and not np.isnan(entry[key][0]), key
    assert summarize({"digits": {"none": entry}})["digits"]["none"]["n_diverged"] == 1
