"""Load balancing on the biological side: the paper's ANN claim tested in a spiking layer.

A layer of LIF neurons receives Poisson excitation whose strength differs tenfold across
neurons, plus Poisson inhibition. Each mechanism is switched on alone and the same usage
metrics as for the ANN hidden units (CV across units, normalized usage entropy, dead
fraction, Gini) are measured on the binned spike counts.
"""
from __future__ import annotations

import numpy as np
from brian2 import Hz, SpikeMonitor, mV, ms, pA, second

from homeostasis import AdaptiveThreshold, GlobalHomeostasis, InhibitoryPool, InhibitorySTDP, SynapticScaling
from homeostasis.analysis import binned_rates, load_balance
from homeostasis.models import Circuit, CurrentLIF, poisson_source

from ..backend import run_network, simulation
from ..registry import Param, Result, experiment
from ..style import COLORS, figure

__all__ = ["simulate_layer", "MECHANISMS"]

MECHANISMS = ("none", "adaptive_threshold", "synaptic_scaling", "inhibitory_pool", "inhibitory_stdp", "global")


def _mechanism(name, target_rate):
    return {
        "none": [],
        "adaptive_threshold": [AdaptiveThreshold(target_rate=target_rate, eta_threshold=1 * mV, tau_r=500 * ms)],
        "synaptic_scaling": [SynapticScaling(target_rate=target_rate, tau_scaling=1.5 * second, tau_r=300 * ms)],
        "inhibitory_pool": [InhibitoryPool(target_active_fraction=0.5)],
        "inhibitory_stdp": [InhibitorySTDP(target_rate=target_rate, eta=5 * pA, w_max=2000 * pA)],
        "global": [GlobalHomeostasis(target_rate=target_rate, tau_global=1 * second)],
    }[name]


def simulate_layer(mechanism="none", target_rate=5 * Hz, n_neurons=40, n_exc=100, n_inh=50, duration=8 * second,
                   measure=2 * second, seed=0, backend="numpy", progress=False) -> dict:
    """Binned rates (bins, units) of the last ``measure`` of a heterogeneous spiking layer."""
    if mechanism not in MECHANISMS:
        raise ValueError(f"unknown mechanism {mechanism!r}; choose one of {', '.join(MECHANISMS)}")
    rng = np.random.default_rng(seed)
    strength = np.geomspace(0.3, 3.0, n_neurons)  # tenfold spread of excitatory drive
    pre, post = np.nonzero(rng.random((n_exc, n_neurons)) < 0.2)
    w_exc = rng.uniform(100, 300, pre.size) * strength[post] * pA
    name = f"lb_{mechanism}"
    with simulation(backend, seed=seed, project=name):
        c = Circuit(name)
        L = c.population("L", CurrentLIF(), n_neurons, _mechanism(mechanism, target_rate))
        exc = c.add(poisson_source(n_exc, 10 * Hz, name=f"{name}_exc"))
        inh = c.add(poisson_source(n_inh, 10 * Hz, name=f"{name}_inh"))
        c.connect(exc, L, "exc", weight=w_exc, i=pre, j=post)
        c.connect(inh, L, "inh", weight=30 * pA, p=0.3)
        spikes = c.add(SpikeMonitor(L, name=f"{name}_spikes"))
        net = c.network()
        run_network(net, duration, progress=progress, namespace={})
        t, i = np.asarray(spikes.t / second), np.asarray(spikes.i)
    stop = float(duration / second)
    return {"rates": binned_rates(t, i, n_neurons, stop - float(measure / second), stop), "strength": strength}


@experiment(
    "spiking-load-balancing",
    "Bio side of load balancing: usage CV, entropy and dead units of a heterogeneous spiking layer, each mechanism on and off.",
    required_metrics=[f"{m}.{key}" for m in MECHANISMS for key in ("usage_cv", "usage_entropy", "dead_fraction",
                                                                   "mean_rate_hz")],
    params=[
        Param("target_rate", 5 * Hz, "Hz", "set-point rate of the mechanisms"),
        Param("n_neurons", 40, None, "neurons of the layer", quick=30),
        Param("duration", 12 * second, "second", "simulated time per mechanism", quick=5 * second),
    ],
)
def spiking_load_balancing(p, ctx) -> Result:
    metrics, rates = {}, {}
    for name in MECHANISMS:
        sim = simulate_layer(name, p.target_rate, p.n_neurons, duration=p.duration, measure=p.duration / 4,
                             seed=ctx.seed, backend=ctx.backend, progress=ctx.progress)
        lb = load_balance(sim["rates"])
        lb.pop("code_entropy")
        metrics[name] = {**lb, "mean_rate_hz": float(sim["rates"].mean())}
        rates[name] = sim["rates"].mean(axis=0)
    metrics["mechanisms_with_lower_usage_cv_than_none"] = [
        m for m in MECHANISMS[1:] if metrics[m]["usage_cv"] < metrics["none"]["usage_cv"]]

    fig, ax = figure(2, width=8)
    strength = sim["strength"]
    for name in MECHANISMS:
        ax[0].plot(strength, rates[name], ".-", lw=0.8, ms=3, label=name)
    ax[0].set(xscale="log", xlabel="relative excitatory drive", ylabel="rate (Hz)", title="rate by drive")
    ax[0].set_xticks([0.3, 1, 3], ["0.3", "1", "3"])
    ax[0].minorticks_off()
    ax[0].legend(frameon=False, fontsize=6)
    ax[1].bar(range(len(MECHANISMS)), [metrics[m]["usage_cv"] for m in MECHANISMS], color=COLORS["with"])
    ax[1].set_xticks(range(len(MECHANISMS)), [m.replace("_", "\n") for m in MECHANISMS], fontsize=6)
    ax[1].set(ylabel="usage CV across neurons", title="load balancing (lower is more even)")
    return Result(metrics, {f"rates_{m}": r for m, r in rates.items()}, fig)
