"""Normalization benchmark: every method on MNIST-1D and digits, plus online learning.

Default protocol (DESIGN section 4): a 40-100-100-10 ReLU MLP (input size by dataset), Adam,
learning rate 1e-2, batch 100, 6000 steps, mean and standard deviation over seeds. The online
run trains with a batch of one, where batch normalization is refused and the bio-inspired
methods train.
"""
from __future__ import annotations

import numpy as np
from tqdm.auto import tqdm

from homeostasis.ann import BIO_METHODS, DATASETS, METHODS, MLP, load, train

from ..registry import Param, Result, experiment
from ..style import figure

__all__ = ["benchmark", "format_table", "parse_list"]

PROTOCOLS = {
    "default": {"optimizer": "adam", "lr": 1e-2, "depth": 2},
    "deep": {"optimizer": "sgd", "lr": 0.05, "depth": 6},
}


def parse_list(text: str, valid, what: str) -> list:
    """``"a,b"`` to ``["a", "b"]``, each checked against ``valid``."""
    items = [t.strip() for t in str(text).split(",") if t.strip()]
    if not items:
        raise ValueError(f"no {what} given")
    unknown = [t for t in items if t not in valid]
    if unknown:
        raise ValueError(f"unknown {what} {unknown}; choose from {', '.join(valid)}")
    return items


def benchmark(datasets, methods, seeds=5, steps=6000, batch_size=100, protocol="default", hidden=100,
              progress=False) -> dict:
    """Train every (dataset, method, seed); returns accuracies and learning curves."""
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
        entry = out.setdefault(d, {}).setdefault(m, {"accuracy": [], "train_accuracy": [], "curves": [], "diverged": 0})
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                h = train(MLP(sizes, m, seed=s), data, steps=steps, batch_size=batch_size,
                          optimizer=proto["optimizer"], lr=proto["lr"], seed=s, eval_every=max(1, steps // 20))
        except FloatingPointError:
            # a diverged run is a result (reported, counted), not a crash of the benchmark
            entry["diverged"] += 1
            entry["accuracy"].append(float("nan"))
            entry["train_accuracy"].append(float("nan"))
            continue
        entry["accuracy"].append(h.final_test_accuracy)
        entry["train_accuracy"].append(h.final_train_accuracy)
        entry["curves"].append((h.steps, h.test_accuracy))
    return out


def _summary(results) -> dict:
    """Mean and std over the seeds that trained; diverged seeds are counted, not averaged."""
    def stats(r):
        acc = np.asarray(r["accuracy"], float)
        ok = acc[np.isfinite(acc)]
        train_acc = np.asarray(r["train_accuracy"], float)
        return {"accuracy_mean": float(ok.mean()) if ok.size else float("nan"),
                "accuracy_std": float(ok.std()) if ok.size else float("nan"), "n_seeds": int(ok.size),
                "n_diverged": int(r["diverged"]),
                "train_accuracy_mean": float(np.nanmean(train_acc)) if ok.size else float("nan")}

    return {d: {m: stats(r) for m, r in per.items()} for d, per in results.items()}


def format_table(summary: dict, title: str) -> str:
    """A Markdown table of test accuracy (mean +- std over seeds), one row per method."""
    datasets = list(summary)
    methods = list(next(iter(summary.values())))
    lines = [f"### {title}", "", "| method | " + " | ".join(datasets) + " |", "|---" * (len(datasets) + 1) + "|"]
    for m in methods:
        cells = [f"{100 * summary[d][m]['accuracy_mean']:.1f} +- {100 * summary[d][m]['accuracy_std']:.1f} "
                 f"(n={summary[d][m]['n_seeds']}" + (f", {summary[d][m]['n_diverged']} diverged" if summary[d][m]['n_diverged']
                                                    else "") + ")" for d in datasets]
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


@experiment(
    "normalization-benchmark",
    "ANN: test accuracy of every normalization on MNIST-1D and digits, and online learning with a batch of one.",
    # {datasets}, {methods}: each dataset and method run (compare --datasets/--methods narrow them)
    required_metrics=[f"{{datasets}}.{{methods}}.{key}" for key in ("accuracy_mean", "accuracy_std", "n_seeds")],
    params=[
        Param("datasets", "mnist1d,digits", None, "comma-separated datasets"),
        Param("methods", ",".join(METHODS), None, "comma-separated methods"),
        Param("seeds", 5, None, "seeds per dataset and method", quick=1),
        Param("steps", 6000, None, "training steps", quick=1000),
        Param("batch_size", 100, None, "samples per step"),
        Param("protocol", "default", None, "default (2 x 100, Adam 1e-2) or deep (6 x 100, SGD momentum 0.05)"),
        Param("deep", True, None, "also run the deep protocol", quick=False),
        Param("online_steps", 4000, None, "steps of the online run (batch of one)", quick=1000),
    ],
    figure=True,
)
def normalization_benchmark(p, ctx) -> Result:
    datasets = parse_list(p.datasets, DATASETS, "datasets")
    methods = parse_list(p.methods, METHODS, "methods")
    results = benchmark(datasets, methods, p.seeds, p.steps, p.batch_size, p.protocol, progress=ctx.progress)
    metrics = _summary(results)
    tables = format_table(metrics, f"{p.protocol} protocol, {p.steps} steps, batch {p.batch_size}")
    if p.deep and p.protocol != "deep":
        deep = _summary(benchmark(datasets, methods, p.seeds, p.steps, p.batch_size, "deep", progress=ctx.progress))
        metrics["deep"] = deep
        tables += "\n" + format_table(deep, f"deep protocol (6 x 100, SGD momentum 0.9, lr 0.05), {p.steps} steps")

    online = {}
    data = load(datasets[0])
    # "none" is the reference: what a plain network learns from one sample at a time
    for m in [m for m in methods if m in BIO_METHODS or m in ("none", "batch")]:
        sizes = [data.x_train.shape[1], 100, 100, data.n_classes]
        try:
            h = train(MLP(sizes, m, seed=ctx.seed), data, steps=p.online_steps, batch_size=1, lr=1e-3, seed=ctx.seed)
            online[m] = {"accuracy": h.final_test_accuracy, "refused": 0}
        except ValueError as err:  # batch normalization has no statistics for one sample
            online[m] = {"accuracy": None, "refused": 1, "reason": str(err)}
    metrics["online"] = {"dataset": datasets[0], "steps": p.online_steps, **online}
    rows = [f"| {m} | " + ("refused" if r["refused"] else f"{100 * r['accuracy']:.1f}") + " |" for m, r in online.items()]
    tables += f"\n### online (batch of one), {datasets[0]}\n\n| method | accuracy |\n|---|---|\n" + "\n".join(rows) + "\n"

    fig, ax = figure(len(datasets) + 1, width=3.2 * (len(datasets) + 1))
    for k, d in enumerate(datasets):
        means = [100 * np.nan_to_num(metrics[d][m]["accuracy_mean"]) for m in methods]
        stds = [100 * metrics[d][m]["accuracy_std"] for m in methods]
        ax[k].bar(range(len(methods)), means, yerr=stds, color="#1f77b4", capsize=2)
        ax[k].set_xticks(range(len(methods)), methods, rotation=45)
        ax[k].set(ylabel="test accuracy (%)", title=d, ylim=(min(means) - 10, 100))
    for m in methods:
        if results[datasets[0]][m]["curves"]:
            steps, acc = results[datasets[0]][m]["curves"][0]
            ax[-1].plot(steps, 100 * np.asarray(acc), lw=1, label=m)
    ax[-1].set(xlabel="step", ylabel="test accuracy (%)", title=f"learning curves, {datasets[0]}")
    ax[-1].legend(frameon=False, ncol=2)
    data_out = {f"{d}_{m}_accuracy": np.asarray(r["accuracy"]) for d, per in results.items() for m, r in per.items()}
    return Result(metrics, data_out, fig, extra_files={"table.md": tables})
