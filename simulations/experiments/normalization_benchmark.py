"""Normalization benchmark: every method on MNIST-1D, digits and multiscale, plus online learning.

Default protocol (DESIGN section 4): a 40-100-100-10 ReLU MLP (input size by dataset), Adam,
learning rate 1e-2, batch 100, 6000 steps, mean and standard deviation over seeds. The online
run trains with a batch of one, where batch normalization is refused and the bio-inspired
methods train.

Besides the final accuracy, each run is scored for what normalization is for in deep
learning (docs/metrics.md defines each number):

- speed: ``steps_to_target``, the first recorded step at which test accuracy reaches the
  unnormalized network's final accuracy (mean over seeds) minus 1 point, and
  ``accuracy_early``, the test accuracy after 10 % of the steps;
- stability: ``activation_drift``, how far the hidden units' mean and spread on a fixed probe
  batch of held-out inputs move between successive records, relative to their size.

The curve is recorded ``records`` times per run (50: ``steps_to_target`` has a resolution of
2 % of the steps; 20 in quick mode, where a record costs as much as a tenth of the steps). ``multiscale`` (raw features on scales over three orders of magnitude) is the data
set on which normalization is expected to matter for speed.
"""
from __future__ import annotations

import math

import numpy as np
from tqdm.auto import tqdm

from homeostasis.analysis import activation_drift, steps_to_target
from homeostasis.ann import BIO_METHODS, DATASETS, METHODS, MLP, load, train

from ..registry import Param, Result, experiment
from ..style import figure

__all__ = ["benchmark", "summarize", "format_table", "parse_list", "EARLY", "TARGET_MARGIN"]

PROTOCOLS = {
    "default": {"optimizer": "adam", "lr": 1e-2, "depth": 2},
    "deep": {"optimizer": "sgd", "lr": 0.05, "depth": 6},
}
#: ``accuracy_early`` is read at this fraction of the steps.
EARLY = 0.1
#: ``steps_to_target`` aims at the unnormalized network's final accuracy minus this (1 point).
TARGET_MARGIN = 0.01
#: Held-out inputs on which the hidden units' statistics are recorded (the first of the test set).
PROBE_SAMPLES = 500


def parse_list(text: str, valid, what: str) -> list:
    """``"a,b"`` to ``["a", "b"]``, each checked against ``valid``."""
    items = [t.strip() for t in str(text).split(",") if t.strip()]
    if not items:
        raise ValueError(f"no {what} given")
    unknown = [t for t in items if t not in valid]
    if unknown:
        raise ValueError(f"unknown {what} {unknown}; choose from {', '.join(valid)}")
    return items


def _early(steps, accuracy, total_steps) -> float:
    """Test accuracy at the first record at or after ``EARLY * total_steps``."""
    k = int(np.searchsorted(steps, math.ceil(EARLY * total_steps)))
    return float(accuracy[min(k, len(accuracy) - 1)])


#: Engines that train the MLP: the numpy reference and PyTorch (the extra ``[torch]``).
ENGINES = ("numpy", "torch")


def engine(name: str):
    """``(MLP class, train function)`` of engine ``name``; torch is imported only when asked for."""
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
    if name == "numpy":
        return MLP, train
    try:
        from homeostasis.torch.mlp import MLP as TorchMLP
        from homeostasis.torch.trainer import train as torch_train
    except ImportError as err:
        raise ValueError(f"engine 'torch' needs PyTorch: {err}") from err
    return TorchMLP, torch_train


def benchmark(datasets, methods, seeds=5, steps=6000, batch_size=100, protocol="default", hidden=100,
              records=50, progress=False, engine_name="numpy") -> dict:
    """Train every (dataset, method, seed); returns per-run accuracies, curves, early accuracy and drift."""
    model_class, fit = engine(engine_name)
    if protocol not in PROTOCOLS:
        raise ValueError(f"unknown protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}")
    if seeds < 1:
        raise ValueError(f"seeds must be at least 1, got {seeds}")
    proto = PROTOCOLS[protocol]
    jobs = [(d, m, s) for d in datasets for m in methods for s in range(seeds)]
    out = {}
    for d, m, s in tqdm(jobs, desc=f"benchmark ({protocol})", disable=not progress):
        data = load(d)
        sizes = [data.x_train.shape[1]] + [hidden] * proto["depth"] + [data.n_classes]
        entry = out.setdefault(d, {}).setdefault(m, {"accuracy": [], "train_accuracy": [], "curves": [],
                                                     "accuracy_early": [], "activation_drift": [], "diverged": 0})
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                h = fit(model_class(sizes, m, random_state=s), data, steps=steps, batch_size=batch_size,
                          optimizer=proto["optimizer"], lr=proto["lr"], seed=s, eval_every=max(1, steps // records),
                          probe=data.x_test[:PROBE_SAMPLES])
        except FloatingPointError:
            h = None
        record_run(entry, h, steps)
    return out


def record_run(entry: dict, h, steps: int):
    """Append one run's accuracies, curve, early accuracy and drift from its history ``h``.

    ``h`` is None for a diverged run: a result (counted, and NaN in every list the entry
    holds), not a crash of the benchmark.
    """
    if h is None:
        entry["diverged"] += 1
        for key, values in entry.items():
            if key not in ("diverged", "curves"):
                values.append(float("nan"))
        entry["curves"].append(None)
        return
    entry["accuracy"].append(h.final_test_accuracy)
    entry["train_accuracy"].append(h.final_train_accuracy)
    entry["curves"].append((h.steps, h.test_accuracy))
    entry["accuracy_early"].append(_early(h.steps, h.test_accuracy, steps))
    # one number per run: the drift of each hidden layer, averaged over the layers
    entry["activation_drift"].append(float(np.mean([activation_drift(mu, sd)
                                                    for mu, sd in zip(h.probe_mean, h.probe_std)])))


def _mean_std(values):
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    return (float(v.mean()), float(v.std())) if v.size else (None, None)


def summarize(results: dict) -> dict:
    """Mean and std over seeds per dataset and method, with the speed target read from ``none``.

    Diverged seeds are counted, not averaged. ``steps_to_target`` is averaged over the seeds
    that reached the target (``n_reached`` of ``n_seeds``); it is None when none did or when
    ``none`` was not run (no reference, ``target_accuracy`` None).
    """
    out = {}
    for d, per in results.items():
        reference = per.get("none")
        ref_acc = _mean_std(reference["accuracy"])[0] if reference else None
        target = None if ref_acc is None else ref_acc - TARGET_MARGIN
        out[d] = {}
        for m, r in per.items():
            acc_mean, acc_std = _mean_std(r["accuracy"])
            reached = [] if target is None else [steps_to_target(c[0], c[1], target) for c in r["curves"] if c]
            reached = [s for s in reached if s is not None]
            stt_mean, stt_std = _mean_std(reached)
            early_mean, early_std = _mean_std(r["accuracy_early"])
            drift_mean, drift_std = _mean_std(r["activation_drift"])
            n_ok = int(np.sum(np.isfinite(np.asarray(r["accuracy"], float))))
            out[d][m] = {
                "accuracy_mean": acc_mean, "accuracy_std": acc_std, "n_seeds": n_ok, "n_diverged": int(r["diverged"]),
                "train_accuracy_mean": _mean_std(r["train_accuracy"])[0],
                "target_accuracy": target, "steps_to_target": stt_mean, "steps_to_target_std": stt_std,
                "n_reached": len(reached), "accuracy_early": early_mean, "accuracy_early_std": early_std,
                "activation_drift": drift_mean, "activation_drift_std": drift_std,
            }
    return out


def _pct(mean, std):
    return "n/a" if mean is None else f"{100 * mean:.1f} +- {100 * std:.1f}"


def _accuracy_and_speed(s: dict, target) -> tuple:
    """The accuracy and steps-to-target cells of one method's row (``s``: its summary)."""
    acc = _pct(s["accuracy_mean"], s["accuracy_std"]) + f" (n={s['n_seeds']}" + \
        (f", {s['n_diverged']} diverged" if s["n_diverged"] else "") + ")"
    if s["steps_to_target"] is None:
        return acc, ("not reached" if target is not None else "n/a")
    speed = f"{s['steps_to_target']:.0f} +- {s['steps_to_target_std']:.0f}"
    if s["n_reached"] < s["n_seeds"]:
        speed += f" ({s['n_reached']}/{s['n_seeds']} reached)"
    return acc, speed


def format_table(summary: dict, title: str) -> str:
    """Markdown: one table per dataset, one row per method (mean +- std over seeds)."""
    parts = [f"### {title}", ""]
    for d, per in summary.items():
        target = next(iter(per.values()))["target_accuracy"]
        aim = "no target (none was not run)" if target is None else \
            f"target {100 * target:.1f} % = none's final accuracy - {100 * TARGET_MARGIN:.0f} point"
        parts += [f"#### {d} ({aim})", "",
                  "| method | accuracy (%) | steps to target | accuracy at 10 % (%) | activation drift |",
                  "|---|---|---|---|---|"]
        for m, s in per.items():
            acc, speed = _accuracy_and_speed(s, target)
            drift = "n/a" if s["activation_drift"] is None else \
                f"{s['activation_drift']:.3f} +- {s['activation_drift_std']:.3f}"
            parts.append(f"| {m} | {acc} | {speed} | {_pct(s['accuracy_early'], s['accuracy_early_std'])} | {drift} |")
        parts.append("")
    return "\n".join(parts)


def _plot(ax, results, summary, datasets, methods, steps):
    colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728"]
    for k, d in enumerate(datasets):
        means = [100 * (summary[d][m]["accuracy_mean"] or 0.0) for m in methods]
        stds = [100 * (summary[d][m]["accuracy_std"] or 0.0) for m in methods]
        ax[k].bar(range(len(methods)), means, yerr=stds, color="#1f77b4", capsize=2)
        ax[k].set_xticks(range(len(methods)), methods, rotation=45)
        ax[k].set(ylabel="test accuracy (%)", title=d, ylim=(max(0, min(means) - 10), 100))
    curves = ax[len(datasets)]
    for m in methods:
        runs = [c for c in results[datasets[0]][m]["curves"] if c]
        if runs:
            curves.plot(runs[0][0], 100 * np.mean([c[1] for c in runs], axis=0), lw=1, label=m)
    target = summary[datasets[0]][methods[0]]["target_accuracy"]
    if target is not None:
        curves.axhline(100 * target, color="0.5", lw=0.8, ls="--")
    curves.set(xlabel="step", ylabel="test accuracy (%)", title=f"learning curves, {datasets[0]} (mean)")
    curves.legend(frameon=False, ncol=2)
    width = 0.8 / len(datasets)
    speed, drift = ax[len(datasets) + 1], ax[len(datasets) + 2]
    for k, d in enumerate(datasets):
        x = np.arange(len(methods)) + (k - (len(datasets) - 1) / 2) * width
        stt = [summary[d][m]["steps_to_target"] for m in methods]
        reached = np.array([s is not None for s in stt])
        frac = np.array([100 * s / steps if s is not None else 100.0 for s in stt])
        err = np.array([100 * (summary[d][m]["steps_to_target_std"] or 0.0) / steps for m in methods])
        speed.bar(x[reached], frac[reached], width, yerr=err[reached], color=colors[k % 4], capsize=1, label=d)
        speed.scatter(x[~reached], np.full((~reached).sum(), 100.0), marker="x", color=colors[k % 4], s=12)
        drift.bar(x, [summary[d][m]["activation_drift"] or 0.0 for m in methods], width,
                  yerr=[summary[d][m]["activation_drift_std"] or 0.0 for m in methods], color=colors[k % 4],
                  capsize=1, label=d)
    speed.set_xticks(range(len(methods)), methods, rotation=45)
    speed.set(ylabel="steps to target (% of run)", title="speed (x: not reached)", ylim=(0, 105))
    speed.legend(frameon=False, fontsize=6)
    drift.set_xticks(range(len(methods)), methods, rotation=45)
    drift.set(ylabel="activation drift", title="stability of hidden units (lower: steadier)")


_KEYS = ("accuracy_mean", "accuracy_std", "n_seeds", "steps_to_target", "accuracy_early", "activation_drift")


@experiment(
    "normalization-benchmark",
    "ANN: accuracy, speed and hidden-unit stability of every normalization on MNIST-1D, digits and multiscale, "
    "and online learning with a batch of one.",
    # {datasets}.{methods}: each dataset and method run (--set narrows both lists and the keys)
    required_metrics=[f"{{datasets}}.{{methods}}.{key}" for key in _KEYS],
    params=[
        Param("datasets", ",".join(DATASETS), None, "comma-separated datasets"),
        Param("methods", ",".join(METHODS), None, "comma-separated methods"),
        Param("seeds", 5, None, "seeds per dataset and method", quick=1),
        Param("steps", 6000, None, "training steps", quick=600),
        Param("batch_size", 100, None, "samples per step"),
        Param("protocol", "default", None, "default (2 x 100, Adam 1e-2) or deep (6 x 100, SGD momentum 0.05)"),
        Param("deep", True, None, "also run the deep protocol", quick=False),
        Param("online_steps", 4000, None, "steps of the online run (batch of one)", quick=1000),
        Param("records", 50, None, "records of the learning curve and the probe statistics per run", quick=20),
        Param("engine", "numpy", None, "numpy (the reference) or torch (homeostasis.torch, float32)"),
    ],
    figure=True,
)
def normalization_benchmark(p, ctx) -> Result:
    datasets = parse_list(p.datasets, DATASETS, "datasets")
    methods = parse_list(p.methods, METHODS, "methods")
    model_class, fit = engine(p.engine)
    results = benchmark(datasets, methods, p.seeds, p.steps, p.batch_size, p.protocol, records=p.records,
                        progress=ctx.progress, engine_name=p.engine)
    metrics = summarize(results)
    tables = format_table(metrics, f"{p.protocol} protocol, {p.steps} steps, batch {p.batch_size}, {p.engine} engine")
    if p.deep and p.protocol != "deep":
        deep = summarize(benchmark(datasets, methods, p.seeds, p.steps, p.batch_size, "deep", records=p.records,
                                   progress=ctx.progress, engine_name=p.engine))
        metrics["deep"] = deep
        tables += "\n" + format_table(deep, f"deep protocol (6 x 100, SGD momentum 0.9, lr 0.05), {p.steps} steps")

    online = {}
    data = load(datasets[0])
    # "none" is the reference: what a plain network learns from one sample at a time
    for m in [m for m in methods if m in BIO_METHODS or m in ("none", "batch")]:
        sizes = [data.x_train.shape[1], 100, 100, data.n_classes]
        try:
            h = fit(model_class(sizes, m, random_state=ctx.seed), data, steps=p.online_steps, batch_size=1, lr=1e-3,
                    seed=ctx.seed)
            online[m] = {"accuracy": h.final_test_accuracy, "refused": 0}
        except ValueError as err:  # batch normalization has no statistics for one sample
            online[m] = {"accuracy": None, "refused": 1, "reason": str(err)}
    metrics["online"] = {"dataset": datasets[0], "steps": p.online_steps, **online}
    rows = [f"| {m} | " + ("refused" if r["refused"] else f"{100 * r['accuracy']:.1f}") + " |" for m, r in online.items()]
    tables += f"\n### online (batch of one), {datasets[0]}\n\n| method | accuracy |\n|---|---|\n" + "\n".join(rows) + "\n"

    n_panels = len(datasets) + 3
    fig, ax = figure(3, nrows=math.ceil(n_panels / 3), width=10.0)
    _plot(ax, results, metrics, datasets, methods, p.steps)
    for extra in ax[n_panels:]:
        extra.set_visible(False)
    data_out = {}
    for d, per in results.items():
        for m, r in per.items():
            for key in ("accuracy", "accuracy_early", "activation_drift"):
                data_out[f"{d}_{m}_{key}"] = np.asarray(r[key], float)
    return Result(metrics, data_out, fig, extra_files={"table.md": tables})
