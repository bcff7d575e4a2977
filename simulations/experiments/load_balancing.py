"""Load balancing, the paper's central demonstration: normalized networks use units evenly.

For each method an MLP is trained on MNIST-1D with the default protocol; on the test set the
mean activation of every hidden unit is measured, and from it the CV across units, the
normalized usage entropy and the fraction of dead units, plus the three benefits the paper
attributes to balanced usage: coding capacity (entropy of the binarized hidden code),
discrimination (linear probe accuracy on each hidden layer) and regularization (train-test gap).
"""
from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from homeostasis.analysis import code_entropy, dead_fraction, linear_probe_accuracy, usage_cv, usage_entropy
from homeostasis.ann import METHODS, MLP, load, train

from ..registry import Param, Result, experiment
from ..style import figure
from .normalization_benchmark import parse_list

__all__ = ["hidden_usage"]


def hidden_usage(model, x) -> list:
    """Per-layer activity matrices (samples, units), rectified so 'active' means positive.

    SELU units are negative when off; rectifying puts every method on the same footing.
    """
    return [np.maximum(a, 0.0) for a in model.hidden_activations(x)]


@experiment(
    "load-balancing",
    "ANN: normalized MLPs use their hidden units more evenly (lower usage CV, higher entropy, fewer dead units).",
    # {methods}: each method run (--set methods=... narrows the list and the keys)
    required_metrics=[f"{{methods}}.{key}" for key in ("usage_cv", "usage_entropy", "dead_fraction", "test_accuracy")],
    params=[
        Param("dataset", "mnist1d", None, "dataset"),
        Param("methods", ",".join(METHODS), None, "comma-separated methods"),
        Param("steps", 6000, None, "training steps", quick=1500),
        Param("seeds", 3, None, "seeds per method (metrics are averaged)", quick=1),
        Param("probe_samples", 2000, None, "training samples for the linear probes", quick=1000),
    ],
)
def load_balancing(p, ctx) -> Result:
    methods = parse_list(p.methods, METHODS, "methods")
    data = load(p.dataset)
    metrics, usage = {}, {}
    for m in tqdm(methods, desc="load balancing", disable=not ctx.progress):
        rows = []
        for s in range(p.seeds):
            net = MLP([data.x_train.shape[1], 100, 100, data.n_classes], m, seed=s)
            h = train(net, data, steps=p.steps, batch_size=100, seed=s)
            test_layers = hidden_usage(net, data.x_test)
            train_layers = hidden_usage(net, data.x_train[: p.probe_samples])
            rows.append({
                "usage_cv": np.mean([usage_cv(a) for a in test_layers]),
                "usage_entropy": np.mean([usage_entropy(a) for a in test_layers]),
                "dead_fraction": np.mean([dead_fraction(a) for a in test_layers]),
                "test_accuracy": h.final_test_accuracy,
                "code_entropy_bits": np.mean([code_entropy(a) for a in test_layers]),
                "probe_accuracy": np.mean([linear_probe_accuracy(tr, data.y_train[: p.probe_samples], te, data.y_test)
                                           for tr, te in zip(train_layers, test_layers)]),
                "generalization_gap": h.final_train_accuracy - h.final_test_accuracy,
            })
            if s == 0:
                usage[m] = np.concatenate([a.mean(axis=0) for a in test_layers])
        metrics[m] = {k: float(np.mean([r[k] for r in rows])) for k in rows[0]}
        metrics[m]["n_seeds"] = p.seeds
    normalized = [m for m in methods if m != "none"]
    if "none" in methods:
        metrics["methods_with_lower_usage_cv_than_none"] = [m for m in normalized
                                                            if metrics[m]["usage_cv"] < metrics["none"]["usage_cv"]]

    fig, ax = figure(2, width=8)
    ax[0].boxplot([usage[m] / max(usage[m].mean(), 1e-12) for m in methods], showfliers=False)
    ax[0].set_xticks(range(1, len(methods) + 1), methods)
    ax[0].set(ylabel="unit mean activation / layer mean", title=f"hidden-unit usage, {p.dataset}")
    ax[0].tick_params(axis="x", rotation=45)
    ax[1].bar(range(len(methods)), [metrics[m]["usage_cv"] for m in methods], color="#1f77b4")
    ax[1].set_xticks(range(len(methods)), methods, rotation=45)
    ax[1].set(ylabel="usage CV across units", title="load balancing (lower is more even)")
    return Result(metrics, {f"usage_{m}": u for m, u in usage.items()}, fig)
