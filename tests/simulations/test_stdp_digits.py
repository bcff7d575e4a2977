"""stdp-digits: learning above chance, frozen readout, weight sums on target, bad input refused."""
import json

import numpy as np
import pytest
from brian2 import mV, ms

from homeostasis.simulations.cli import main
from homeostasis.simulations.experiments import stdp_digits as sd
from homeostasis.simulations.output import run_experiment
from homeostasis.simulations.params import resolve
from homeostasis.simulations.registry import get

#: A small protocol (the quick mode's): 100 ms images, 50 ms rest, and learning fast enough
#: for an epoch of tens of images. No louder re-showing in the readout: the same accuracies
#: here at 15 s less CPU (the re-showing has a test of its own).
SMALL = {"n_neurons": 20, "t_present": 100 * ms, "t_rest": 50 * ms, "theta_plus": 1 * mV, "eta_post": 0.1,
         "min_spikes": 0}


def _params(images, **changes):
    """The quick mode's parameters with SMALL and ``changes``, the input scale derived from ``images``."""
    p = resolve(get("stdp-digits"), {}, quick=True)
    p.update(SMALL)
    p.update(changes)
    return sd.with_input_scale(p, images)[0]


@pytest.fixture(scope="module")
def three_digits(tmp_path_factory):
    """Digits 0, 1 and 2 of scikit-learn as a user's .npz (the user-data path)."""
    from sklearn.datasets import load_digits

    d = load_digits()
    keep = d.target < 3
    path = tmp_path_factory.mktemp("data") / "three.npz"
    np.savez(path, x=d.data[keep], y=d.target[keep])
    return path


@pytest.fixture(scope="module")
def learned(three_digits):
    """20 neurons, one epoch over 60 images of three classes, then the frozen readout."""
    images = sd.load_images(str(three_digits))
    p = _params(images, max_train=60, max_test=60)
    return sd.run_seed(["full", "stdp_only"], images, p, seed=1), p


def test_a_small_network_learns_three_digit_classes_well_above_chance(learned):
    out, _ = learned
    # chance is 1/3; the stated bar for 60 training images is 70 %, and STDP alone (the
    # control) stays far below it
    assert out["full"]["test_accuracy"] >= 0.70, out["full"]["test_accuracy"]
    assert out["full"]["readout_accuracy"] >= 0.70, out["full"]["readout_accuracy"]
    assert out["stdp_only"]["test_accuracy"] < out["full"]["test_accuracy"] - 0.2


def test_weights_and_thresholds_identical_before_and_after_the_frozen_phases(learned):
    out, _ = learned
    for v in ("full", "stdp_only"):
        assert out[v]["frozen_weights_changed"] == 0.0
        assert out[v]["frozen_thresholds_changed"] == 0.0
    # they were learned, though: thresholds rose and the weights left their initial values
    assert out["full"]["v_th"].min() > -52 + 0.1


def test_weight_sums_on_target_after_learning(learned):
    out, p = learned
    target = float(p["w_total"] / sd.nS)
    np.testing.assert_allclose(out["full"]["weight_sums"], target, rtol=1e-6)
    # the control: the same epoch without normalization leaves the sums elsewhere
    assert np.max(np.abs(out["stdp_only"]["weight_sums"] / target - 1)) > 0.05


def test_same_seed_gives_the_same_metrics(tmp_path):
    args = {"variants": "full,no_inhibition", "n_neurons": "6", "max_train": "8", "max_test": "6", "n_seeds": "1"}
    first = json.loads((run_experiment("stdp-digits", args, seed=3, quick=True, out=tmp_path / "a",
                                       progress=False) / "metrics.json").read_text())
    again = json.loads((run_experiment("stdp-digits", args, seed=3, quick=True, out=tmp_path / "b",
                                       progress=False) / "metrics.json").read_text())
    skip = {"wall_seconds", "versions", "git_commit"}
    assert {k: v for k, v in first.items() if k not in skip} == {k: v for k, v in again.items() if k not in skip}
    for key in sd.METRICS:
        assert isinstance(first["full"][key], float)


def _npz(tmp_path, name, **arrays):
    path = tmp_path / name
    np.savez(path, **arrays)
    return str(path)


def _bad_inputs(tmp_path):
    x, y = np.ones((30, 4)), np.arange(30) % 3
    return {
        "no y": (["data=" + _npz(tmp_path, "a.npz", x=x)], "'x' and 'y'"),
        "no x": (["data=" + _npz(tmp_path, "b.npz", y=y)], "'x' and 'y'"),
        "lengths": (["data=" + _npz(tmp_path, "c.npz", x=x, y=y[:-1])], "30 samples but y has 29"),
        "negative": (["data=" + _npz(tmp_path, "d.npz", x=-x, y=y)], "negative"),
        "nan": (["data=" + _npz(tmp_path, "e.npz", x=np.where(x > 0, np.nan, x), y=y)], "NaN"),
        "inf": (["data=" + _npz(tmp_path, "f.npz", x=x * np.inf, y=y)], "infinite"),
        "one class": (["data=" + _npz(tmp_path, "g.npz", x=x, y=np.zeros(30, int))], "two classes"),
        "missing file": (["data=" + str(tmp_path / "nowhere.npz")], "no such file"),
        "not an npz": (["data=" + str(tmp_path / "a.npz").replace("a.npz", "text.txt")], "cannot read"),
        "neurons": (["n_neurons=0"], "n_neurons"),
        "present": (["t_present=0*ms"], "t_present"),
        "rest": (["t_rest=-1*ms"], "t_rest"),
        "seeds": (["n_seeds=0"], "n_seeds"),
        "passes": (["n_passes=0"], "n_passes"),
        "variant": (["variants=full,nonsense"], "variants"),
    }


def test_bad_input_is_one_line_before_anything_is_built_and_nothing_is_written(tmp_path, capsys, monkeypatch):
    (tmp_path / "text.txt").write_text("not an archive")
    built = []
    monkeypatch.setattr(sd, "train_network", lambda *a, **k: built.append(1))  # must never be reached
    for case, (sets, phrase) in _bad_inputs(tmp_path).items():
        out = tmp_path / "out" / case.replace(" ", "_")
        argv = ["run", "stdp-digits", "--quick", "--no-progress", "--out", str(out)]
        for item in sets:
            argv += ["--set", item]
        assert main(argv) == 2, case
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and phrase in err, (case, err)
        assert not (out / "stdp-digits").exists(), case
    assert not built


def test_readout_functions_on_known_counts():
    counts = np.array([[5, 0, 1], [4, 1, 0], [0, 6, 0], [1, 5, 0], [0, 0, 0]], float)
    labels = np.array([0, 0, 1, 1, 2])
    assignment = sd.assign_labels(counts, labels, 3)
    # neuron 2 fires for class 0 only; no neuron prefers class 2 (its only image is silent)
    np.testing.assert_array_equal(assignment, [0, 1, 0])
    predicted = sd.classify(np.array([[3, 0, 0], [0, 2, 0], [0, 0, 0]], float), assignment, 3)
    np.testing.assert_array_equal(predicted, [0, 1, -1])


def test_passes_show_every_image_n_passes_times_reshuffled_after_the_first():
    order = sd.presentation_order(50, 3, seed=4)
    assert order.shape == (150,)
    np.testing.assert_array_equal(order[:50], np.arange(50))  # the first pass: the given order
    np.testing.assert_array_equal(np.bincount(order), np.full(50, 3))
    assert not np.array_equal(order[50:100], order[100:])  # each later pass its own permutation
    assert not np.array_equal(order[50:100], np.arange(50))
    np.testing.assert_array_equal(order, sd.presentation_order(50, 3, seed=4))  # reproducible
    assert not np.array_equal(order, sd.presentation_order(50, 3, seed=5))
    np.testing.assert_array_equal(sd.presentation_order(7, 1), np.arange(7))
    for bad in (0, -1, 1.5):
        with pytest.raises(ValueError, match="n_passes must be a positive integer"):
            sd.presentation_order(5, bad)


def test_training_network_is_shown_the_presentations_in_order(monkeypatch):
    x = np.arange(12, dtype=float).reshape(4, 3)
    shown = []

    class Stop(Exception):
        pass

    def build(rows, *args, **kwargs):
        shown.append(rows)
        raise Stop  # before any simulation

    monkeypatch.setattr(sd, "build_training", build)
    p = {**SMALL, "n_passes": 2, "dt": 0.5 * ms}
    with pytest.raises(Stop):
        sd.train_network(x, sd.VARIANTS["full"], p, seed=2)
    np.testing.assert_array_equal(shown[0], x[sd.presentation_order(4, 2, seed=2)])


def test_images_with_too_few_spikes_are_shown_again_louder_per_block(monkeypatch):
    """Diehl & Cook's rule on a stand-in network whose spike count grows with the input rate."""
    from brian2 import Hz

    x = np.array([[1.0], [0.1], [0.3], [0.05]])  # image brightness: spikes = 10 * brightness * rate / base
    calls = []

    def readout(blocks, rows, p, seed, backend, directory, progress, n_shown=None):
        n_shown = len(rows) if n_shown is None else n_shown
        calls.append((n_shown, float(p["input_rate"] / Hz), rows[:n_shown, 0].tolist()))
        gain = [b for b, _, _ in blocks]  # block b fires gain * 10 * brightness * rate / 10 Hz spikes
        counts = [np.floor(g * 10 * rows[:n_shown] * float(p["input_rate"] / (10 * Hz))) for g in gain]
        return [{"counts": c} for c in counts]

    monkeypatch.setattr(sd, "readout_network", readout)
    p = {"input_rate": 10 * Hz, "min_spikes": 5, "max_boosts": 2}
    out = sd.boosted_readout([(1.0, None, True), (2.0, None, True)], x, p)
    # first all four at 10 Hz; then the images below 5 spikes in either block (0.1, 0.3 and
    # 0.05 for block 1; 0.1 and 0.05 for block 2) at 15 Hz; then those still below at 20 Hz
    assert [c[:2] for c in calls] == [(4, 10.0), (3, 15.0), (3, 20.0)]
    assert calls[1][2] == [0.1, 0.3, 0.05] and calls[2][2] == [0.1, 0.3, 0.05]
    # block 1: 10; 0.1 -> 1, 1, 2 (the last showing); 0.3 -> 3, 4, 6; 0.05 -> 0, 0, 1
    np.testing.assert_array_equal(out[0]["counts"][:, 0], [10, 2, 6, 1])
    # block 2 reached 6 spikes on 0.3 at 10 Hz and keeps that; 0.1 -> 2, 3, 4; 0.05 -> 1, 1, 2
    np.testing.assert_array_equal(out[1]["counts"][:, 0], [20, 4, 6, 2])
    calls.clear()
    sd.boosted_readout([(1.0, None, True)], x, dict(p, min_spikes=0))
    assert len(calls) == 1  # min_spikes 0: never shown again


def test_a_louder_showing_of_a_real_frozen_network_replaces_the_counts():
    """The re-showing in generated code: images below min_spikes come back at a higher rate."""
    images = sd.load_images("")  # scikit-learn's digits
    x = images.x[:6]
    p = _params(images, n_neurons=5, max_boosts=1)
    blocks = [(sd.initial_weights(64, 5, p["w_total"], seed=0), np.full(5, -52.0), True)]
    plain = sd.readout_network(blocks, x, p, seed=0)[0]["counts"]
    assert sd.boosted_readout(blocks, x, dict(p, min_spikes=0), seed=0)[0]["counts"].tolist() == plain.tolist()
    # min_spikes above any count: every image is shown once more, at 1.5 times the rate
    louder = sd.boosted_readout(blocks, x, dict(p, min_spikes=10_000), seed=0)[0]["counts"]
    assert not np.array_equal(louder, plain)
    assert louder.sum() > 1.2 * plain.sum() > 0, (louder.sum(), plain.sum())
