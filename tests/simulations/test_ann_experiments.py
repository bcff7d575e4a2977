"""The ANN experiments end to end (small settings) and the compare command."""
import json

import pytest

from homeostasis.simulations.cli import main
from homeostasis.simulations.output import run_experiment


def test_normalization_benchmark_small_run_has_the_contract_keys(tmp_path):
    path = run_experiment("normalization-benchmark", {"datasets": "digits", "methods": "none,batch,ssn", "seeds": 2,
                                                      "steps": 200, "deep": "false", "online_steps": 300},
                          out=tmp_path, progress=False)
    m = json.loads((path / "metrics.json").read_text())
    for method in ("none", "batch", "ssn"):
        entry = m["digits"][method]
        assert entry["n_seeds"] == 2 and 0.85 < entry["accuracy_mean"] <= 1.0
    assert m["online"]["batch"]["refused"] == 1 and m["online"]["ssn"]["accuracy"] > 0.5
    assert "| ssn |" in (path / "table.md").read_text()


def test_load_balancing_normalized_methods_use_units_more_evenly(tmp_path):
    path = run_experiment("load-balancing", {"dataset": "digits", "methods": "none,batch,layer", "steps": 400,
                                             "seeds": 1, "probe_samples": 500}, out=tmp_path, progress=False)
    m = json.loads((path / "metrics.json").read_text())
    for method in ("batch", "layer"):
        assert m[method]["usage_cv"] < m["none"]["usage_cv"]
        assert 0 <= m[method]["usage_entropy"] <= 1 and 0 <= m[method]["dead_fraction"] <= 1


def test_compare_rejects_unknown_methods_before_training(capsys, tmp_path):
    assert main(["compare", "--methods", "dropout", "--out", str(tmp_path)]) == 2
    assert "unknown methods" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())
