"""CNN benchmark: batch-free and batch normalizations against the bio-inspired modules on images.

The seed's claim is about the networks ML readers use: convolutional ones, where batch
normalization is per channel and group normalization the usual batch-free alternative. A
small CNN (:class:`homeostasis.torch.cnn.CNN`: two conv-norm-ReLU-pool blocks, 8 and 16
channels, and a linear read-out) is trained with each normalization on scikit-learn's 8 x 8
digits as 2-d images, on MNIST-1D with 1-d convolutions, or on a user's ``.npz`` of images,
with Adam, over several seeds. Scored as the MLP benchmark is (docs/metrics.md): final and
early accuracy, steps to the unnormalized network's final accuracy minus 1 point, activation
drift of the blocks' outputs on a fixed probe batch, and the usage CV of the channels (the
spread of their mean activity on the probe). Needs the extra ``[torch]``.
"""
from __future__ import annotations

import math
import time

import numpy as np
from tqdm.auto import tqdm

from homeostasis.analysis import usage_cv

from ..registry import Param, Result, experiment
from ..style import figure
from .normalization_benchmark import PROBE_SAMPLES, _accuracy_and_speed, _pct, parse_list, record_run, summarize

__all__ = ["cnn_benchmark_runs", "format_cnn_table"]

METHODS = ("none", "batch", "layer", "group", "weight", "ssn", "ip", "divisive", "global")


def _torch_parts():
    try:
        from homeostasis.torch.cnn import CNN, CNN_METHODS, load_images
        from homeostasis.torch.trainer import fit
    except ImportError as err:
        raise ValueError(f"cnn-benchmark needs PyTorch: {err}") from err
    assert tuple(CNN_METHODS) == METHODS
    return CNN, load_images, fit


def _channel_usage(model, probe):
    """Usage CV of each block's channels (mean activity over positions per sample), averaged over blocks."""
    return float(np.mean([usage_cv(h.flatten(2).mean(dim=2).cpu().numpy()) for h in model.hidden_activations(probe)]))


def cnn_benchmark_runs(datasets, methods, seeds=5, steps=2000, batch_size=64, lr=3e-3, records=20,
                       progress=False) -> dict:
    """Train every (dataset, method, seed); the per-run numbers :func:`summarize` and the table read."""
    import torch

    CNN, load_images, fit = _torch_parts()
    out = {}
    jobs = [(d, m, s) for d in datasets for m in methods for s in range(seeds)]
    loaded = {d: load_images(d) for d in datasets}  # bad names and files fail before any training
    for d, m, s in tqdm(jobs, desc="cnn benchmark", disable=not progress):
        data = loaded[d]
        entry = out.setdefault(d, {}).setdefault(m, {"accuracy": [], "train_accuracy": [], "curves": [],
                                                     "accuracy_early": [], "activation_drift": [], "usage_cv": [],
                                                     "seconds": [], "diverged": 0})
        model = CNN(data.x_train.shape[1:], data.n_classes, m, random_state=s)
        start = time.perf_counter()
        try:
            h = fit(model, data, steps, batch_size, "adam", lr, seed=s, eval_every=max(1, steps // records),
                    probe=data.x_test[:PROBE_SAMPLES])
        except FloatingPointError:
            record_run(entry, None, steps)
            continue
        entry["seconds"].append(time.perf_counter() - start)
        record_run(entry, h, steps)
        probe = torch.as_tensor(data.x_test[:PROBE_SAMPLES], dtype=next(model.parameters()).dtype)
        entry["usage_cv"].append(_channel_usage(model, probe))
    return out


def _summary(results) -> dict:
    metrics = summarize(results)
    for d, per in results.items():
        for m, r in per.items():
            for key in ("usage_cv", "seconds"):
                v = np.asarray(r[key], float)
                v = v[np.isfinite(v)]
                metrics[d][m][key] = float(v.mean()) if v.size else None
                metrics[d][m][key + "_std"] = float(v.std()) if v.size else None
    return metrics


def format_cnn_table(summary: dict, title: str) -> str:
    """Markdown: one table per data set, one row per method (mean +- std over seeds)."""
    parts = [f"### {title}", ""]
    for d, per in summary.items():
        target = next(iter(per.values()))["target_accuracy"]
        aim = "no target (none was not run)" if target is None else f"target {100 * target:.1f} %"
        parts += [f"#### {d} ({aim})", "",
                  "| method | accuracy (%) | steps to target | accuracy at 10 % (%) | activation drift | "
                  "channel usage CV | s per run |", "|---|---|---|---|---|---|---|"]
        for m, s in per.items():
            acc, speed = _accuracy_and_speed(s, target)

            def num(key, fmt):
                return "n/a" if s[key] is None else f"{s[key]:{fmt}} +- {s[key + '_std']:{fmt}}"

            parts.append(f"| {m} | {acc} | {speed} | {_pct(s['accuracy_early'], s['accuracy_early_std'])} | "
                         f"{num('activation_drift', '.3f')} | {num('usage_cv', '.2f')} | {num('seconds', '.1f')} |")
        parts.append("")
    return "\n".join(parts)


_KEYS = ("accuracy_mean", "accuracy_std", "n_seeds", "steps_to_target", "accuracy_early", "activation_drift",
         "usage_cv")


@experiment(
    "cnn-benchmark",
    "ANN (PyTorch): a small CNN on digits 8x8 and MNIST-1D (or your .npz) with none, batch, layer, group and weight "
    "normalization against SSN and the other bio-inspired modules.",
    required_metrics=[f"{{datasets}}.{{methods}}.{key}" for key in _KEYS],
    params=[
        Param("datasets", "digits,mnist1d", None, "comma-separated: digits, mnist1d or paths of .npz files"),
        Param("methods", ",".join(METHODS), None, "comma-separated methods"),
        Param("seeds", 5, None, "seeds per dataset and method", quick=1),
        Param("steps", 2000, None, "training steps", quick=200),
        Param("batch_size", 64, None, "samples per step"),
        Param("lr", 3e-3, None, "Adam learning rate"),
        Param("records", 20, None, "records of the learning curve and the probe statistics per run", quick=10),
    ],
    figure=False,  # needs the extra [torch]: not part of `homeostasis figures`
)
def cnn_benchmark(p, ctx) -> Result:
    datasets = [t.strip() for t in str(p.datasets).split(",") if t.strip()]
    if not datasets:
        raise ValueError("no datasets given")
    methods = parse_list(p.methods, METHODS, "methods")
    for name, value, low in (("seeds", p.seeds, 1), ("steps", p.steps, 1), ("batch_size", p.batch_size, 1),
                             ("records", p.records, 1)):
        if int(value) != value or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if not (isinstance(p.lr, (int, float)) and math.isfinite(p.lr) and p.lr > 0):
        raise ValueError(f"lr must be a positive number, got {p.lr!r}")
    import torch

    torch.manual_seed(ctx.seed)
    results = cnn_benchmark_runs(datasets, methods, int(p.seeds), int(p.steps), int(p.batch_size), float(p.lr),
                                 int(p.records), progress=ctx.progress)
    metrics = _summary(results)
    table = format_cnn_table(metrics, f"CNN, {p.steps} steps, batch {p.batch_size}, Adam {p.lr}, {p.seeds} seeds")

    fig, ax = figure(len(results) + 1, width=10.0)
    for k, (d, per) in enumerate(metrics.items()):
        means = [100 * (per[m]["accuracy_mean"] or 0.0) for m in methods]
        stds = [100 * (per[m]["accuracy_std"] or 0.0) for m in methods]
        ax[k].bar(range(len(methods)), means, yerr=stds, capsize=2)
        ax[k].set_xticks(range(len(methods)), methods, rotation=45)
        ax[k].set(ylabel="test accuracy (%)", title=f"CNN, {d}", ylim=(max(0, min(means) - 10), 100))
    first = next(iter(results))
    for m in methods:
        runs = [c for c in results[first][m]["curves"] if c]
        if runs:
            ax[-1].plot(runs[0][0], 100 * np.mean([c[1] for c in runs], axis=0), lw=1, label=m)
    ax[-1].set(xlabel="step", ylabel="test accuracy (%)", title=f"learning curves, {first} (mean)")
    ax[-1].legend(frameon=False, ncol=2, fontsize=6)
    data_out = {f"{d}_{m}_{key}": np.asarray(r[key], float) for d, per in results.items() for m, r in per.items()
                for key in ("accuracy", "accuracy_early", "activation_drift", "usage_cv", "seconds")}
    return Result(metrics, data_out, fig, extra_files={"table.md": table})
