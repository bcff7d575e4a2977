"""Synaptic scaling (synapse scale): block the drive, then boost it, and watch the weights.

LIF neurons receive Poisson excitation whose rate follows a schedule: baseline, then a
partial block (like TTX), then a boost (like bicuculline). Scaling multiplies every
excitatory weight of a neuron by one factor, so the weights after each phase are the weights
before it times a constant: the ranked-amplitude plot of Turrigiano et al. (1998) is a line
through the origin.
"""
from __future__ import annotations

import numpy as np
from brian2 import Hz, Network, SpikeMonitor, StateMonitor, TimedArray, ms, pA, second

from homeostasis import SynapticScaling
from homeostasis.analysis import binned_rates, multiplicativity, window_rates
from homeostasis.models import Circuit, CurrentLIF, poisson_source

from ..backend import run_network, simulation
from ..registry import Param, Result, experiment
from ..style import COLORS, figure

__all__ = ["simulate_scaling"]


def simulate_scaling(target_rate=5 * Hz, tau_scaling=2 * second, tau_r=300 * ms, n_neurons=20,
                     n_inputs=100, p_connect=0.3, input_rates=(10 * Hz, 3 * Hz, 25 * Hz),
                     phase=10 * second, w_min=20 * pA, w_max=80 * pA, seed=0, backend="numpy",
                     progress=False, with_scaling=True, weights=None) -> dict:
    """One run through the phases ``input_rates`` (each ``phase`` long), scaling on or off.

    Returns per-neuron rates in the last quarter of each phase (counted from spikes), the
    transmitted weights ``w_eff`` (synapse x sample) sampled every 0.25 s, and the
    synapse-to-neuron index. ``with_scaling=False`` is the control: the same circuit and
    input with fixed weights. ``weights`` (one per synapse, in amp) replaces the drawn
    weights, the connectivity staying that of ``seed``: a control can start from the
    weights a scaling run learned.
    """
    rates = np.array([float(r / Hz) for r in input_rates])
    schedule = TimedArray(rates * Hz, dt=phase, name="input_rate")
    name = "scaling" if with_scaling else "scaling_off"
    with simulation(backend, seed=seed, project=name):
        c = Circuit(name)
        mechanisms = [SynapticScaling(target_rate=target_rate, tau_scaling=tau_scaling, tau_r=tau_r)] if with_scaling else []
        E = c.population("E", CurrentLIF(), n_neurons, mechanisms)
        inp = c.add(poisson_source(n_inputs, "input_rate(t)", name="scaling_input",
                                   namespace={"input_rate": schedule}))
        # connectivity and weights drawn here: the synapse-to-neuron index maps each
        # neuron's scaling factor onto its synapses
        rng = np.random.default_rng(seed)
        pre, post = np.nonzero(rng.random((n_inputs, n_neurons)) < p_connect)
        w = rng.uniform(float(w_min / pA), float(w_max / pA), pre.size) * pA
        if weights is not None:
            if np.shape(weights) != (pre.size,):
                raise ValueError(f"weights must hold one value per synapse ({pre.size}), got shape {np.shape(weights)}")
            w = weights
        S = c.connect(inp, E, "exc", weight=w, i=pre, j=post)
        spikes = SpikeMonitor(E, name=f"{name}_spikes")
        # a spike transmits w_eff = g_scaling_post * w, and w does not change: the factor of
        # each neuron is recorded, and gives every transmitted weight (the control has no
        # factor; its monitor only keeps the sample times)
        factors = StateMonitor(E, "g_scaling" if with_scaling else "v", record=True, dt=0.25 * second,
                               name=f"{name}_factors")
        net = Network(c.network(), spikes, factors)
        run_network(net, len(rates) * phase, progress=progress, namespace={})
        t, i = np.asarray(spikes.t / second), np.asarray(spikes.i)
        T = float(phase / second)
        window = T / 4
        phase_rates = np.array([window_rates(t, i, n_neurons, (k + 1) * T - window, (k + 1) * T)
                                for k in range(len(rates))])
        g = np.asarray(factors.g_scaling) if with_scaling else np.ones((n_neurons, len(factors.t)))
        w_eff = np.asarray(S.w / pA)[:, None] * g[post]
        return {"phase_rates": phase_rates, "input_rates_hz": rates, "w_t": np.asarray(factors.t / second),
                "w_pA": w_eff, "post": post, "spike_t": t, "spike_i": i, "phase_s": T}


def _weights_at(sim, time_s):
    k = int(np.argmin(np.abs(sim["w_t"] - time_s)))
    return sim["w_pA"][:, k]


@experiment(
    "synaptic-scaling",
    "Synapse scale: after a block of the drive weights scale up, after a boost down, by one factor per neuron.",
    required_metrics=["target_rate_hz", "rate_before_hz", "rate_after_block_hz", "rate_after_boost_hz",
                      "scale_factor_block", "scale_factor_boost", "multiplicative_r2_block", "multiplicative_r2_boost"],
    params=[
        Param("target_rate", 5 * Hz, "Hz", "set-point firing rate"),
        Param("tau_scaling", 5 * second, "second", "time constant of scaling (hours in cortex, compressed)", quick=2 * second),
        Param("tau_r", 500 * ms, "ms", "time constant of the rate trace", quick=300 * ms),
        Param("n_neurons", 40, None, "LIF neurons", quick=15),
        Param("n_inputs", 200, None, "Poisson inputs", quick=100),
        Param("baseline_rate", 10 * Hz, "Hz", "input rate at baseline"),
        Param("block_rate", 3 * Hz, "Hz", "input rate during the block"),
        Param("boost_rate", 25 * Hz, "Hz", "input rate during the boost"),
        Param("phase", 25 * second, "second", "duration of each phase", quick=10 * second),
    ],
)
def synaptic_scaling(p, ctx) -> Result:
    sim = simulate_scaling(p.target_rate, p.tau_scaling, p.tau_r, p.n_neurons, p.n_inputs,
                           input_rates=(p.baseline_rate, p.block_rate, p.boost_rate), phase=p.phase,
                           seed=ctx.seed, backend=ctx.backend, progress=ctx.progress)
    T = sim["phase_s"]
    w_before, w_block, w_boost = (_weights_at(sim, T * k) for k in (1, 2, 3))
    # Turrigiano et al. (1998) rank the amplitudes before and after and fit a line through
    # the origin; the per-synapse fit is reported too (it also pools neurons whose factors
    # differ, so it is lower even though each neuron's weights scale exactly).
    ranked_block = multiplicativity(np.sort(w_before), np.sort(w_block))
    ranked_boost = multiplicativity(np.sort(w_block), np.sort(w_boost))
    k_block, r2_block = ranked_block["factor"], ranked_block["r2"]
    k_boost, r2_boost = ranked_boost["factor"], ranked_boost["r2"]
    per_neuron = [multiplicativity(w_before[sim["post"] == j], w_block[sim["post"] == j])["r2"]
                  for j in np.unique(sim["post"]) if np.sum(sim["post"] == j) > 2]
    rates = sim["phase_rates"].mean(axis=1)
    target = float(p.target_rate / Hz)
    metrics = {
        "target_rate_hz": target,
        "rate_before_hz": float(rates[0]),
        "rate_after_block_hz": float(rates[1]),
        "rate_after_boost_hz": float(rates[2]),
        "scale_factor_block": k_block,
        "scale_factor_boost": k_boost,
        "scale_factor_boost_vs_baseline": multiplicativity(w_before, w_boost)["factor"],
        "multiplicative_r2_block": r2_block,
        "multiplicative_r2_boost": r2_boost,
        "per_synapse_r2_block": multiplicativity(w_before, w_block)["r2"],
        "per_synapse_r2_boost": multiplicativity(w_block, w_boost)["r2"],
        "per_neuron_r2_block_min": float(np.min(per_neuron)),
    }

    fig, ax = figure(3, title="Synaptic scaling: one multiplicative factor per neuron")
    population = binned_rates(sim["spike_t"], sim["spike_i"], p.n_neurons, 0.0, 3 * T, width=0.5).mean(axis=1)
    ax[0].plot(np.arange(population.size) * 0.5, population, color=COLORS["with"])
    ax[0].axhline(target, color=COLORS["target"], ls="--", lw=1, label="target")
    for k, label in ((1, "block"), (2, "boost")):
        ax[0].axvspan(k * T, (k + 1) * T, color=COLORS[label], alpha=0.12, label=label)
    ax[0].set(xlabel="time (s)", ylabel="mean rate (Hz)", title="rate")
    ax[0].legend(frameon=False)
    ax[1].plot(sim["w_t"], sim["w_pA"].mean(axis=0), color=COLORS["with"])
    ax[1].set(xlabel="time (s)", ylabel="mean weight (pA)", title="excitatory weights")
    lim = max(w_block.max(), w_before.max())
    ax[2].set_xlim(0, lim)
    ax[2].set_ylim(0, max(w_block.max(), w_boost.max()) * 1.05)
    ax[2].plot(np.sort(w_before), np.sort(w_block), ".", ms=2, color=COLORS["block"], label=f"block, x{k_block:.2f}")
    ax[2].plot(np.sort(w_block), np.sort(w_boost), ".", ms=2, color=COLORS["boost"], label=f"boost, x{k_boost:.2f}")
    grid = np.array([0, lim])
    ax[2].plot(grid, k_block * grid, color=COLORS["block"], lw=0.8, label=f"fit through 0, R2 {r2_block:.3f}")
    ax[2].plot(grid, k_boost * grid, color=COLORS["boost"], lw=0.8, label=f"fit through 0, R2 {r2_boost:.3f}")
    ax[2].plot(grid, grid, color="k", lw=0.5, ls=":", label="identity")
    ax[2].set(xlabel="ranked weight before (pA)", ylabel="ranked weight after (pA)",
              title="ranked amplitudes (Turrigiano 1998)")
    ax[1].axvspan(T, 2 * T, color=COLORS["block"], alpha=0.12)
    ax[1].axvspan(2 * T, 3 * T, color=COLORS["boost"], alpha=0.12)
    ax[2].legend(frameon=False)
    data = {k: sim[k] for k in ("phase_rates", "input_rates_hz", "w_t", "w_pA", "post")}
    return Result(metrics, data, fig)
