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
from models import Circuit, CurrentLIF, poisson_source

from ..backend import simulation
from ..registry import Param, Result, experiment
from ..style import COLORS, figure

__all__ = ["simulate_scaling", "fit_through_origin"]


def fit_through_origin(x, y) -> tuple[float, float]:
    """Slope ``k`` of ``y = k x`` by least squares and its R^2 (about the mean of ``y``)."""
    x, y = np.asarray(x, float).ravel(), np.asarray(y, float).ravel()
    if x.size < 2:
        raise ValueError("need at least two points to fit a line")
    k = float(x @ y / (x @ x))
    ss_res = float(np.sum((y - k * x) ** 2))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    return k, (1.0 - ss_res / ss_tot) if ss_tot > 0 else float("nan")


def simulate_scaling(target_rate=5 * Hz, tau_scaling=2 * second, tau_r=300 * ms, n_neurons=20,
                     n_inputs=100, p_connect=0.3, input_rates=(10 * Hz, 3 * Hz, 25 * Hz),
                     phase=10 * second, w_min=20 * pA, w_max=80 * pA, seed=0, backend="numpy") -> dict:
    """One run through the phases ``input_rates`` (each ``phase`` long) with scaling on.

    Returns per-neuron rates in the last quarter of each phase, the transmitted weights
    ``w_eff`` (synapse x sample) sampled every 0.25 s, and the synapse-to-neuron index.
    """
    rates = np.array([float(r / Hz) for r in input_rates])
    schedule = TimedArray(rates * Hz, dt=phase, name="input_rate")
    name = "scaling"
    with simulation(backend, seed=seed, project=name):
        c = Circuit(name)
        E = c.population("E", CurrentLIF(), n_neurons,
                         [SynapticScaling(target_rate=target_rate, tau_scaling=tau_scaling, tau_r=tau_r)])
        inp = c.add(poisson_source(n_inputs, "input_rate(t)", name="scaling_input",
                                   namespace={"input_rate": schedule}))
        # connectivity and weights drawn here: the synapse-to-neuron index maps each
        # neuron's scaling factor onto its synapses
        rng = np.random.default_rng(seed)
        pre, post = np.nonzero(rng.random((n_inputs, n_neurons)) < p_connect)
        S = c.connect(inp, E, "exc", weight=rng.uniform(float(w_min / pA), float(w_max / pA), pre.size) * pA,
                      i=pre, j=post)
        spikes = SpikeMonitor(E, name="scaling_spikes")
        # a spike transmits w_eff = g_scaling_post * w, and w does not change: the factor of
        # each neuron is recorded, and gives every transmitted weight
        factors = StateMonitor(E, "g_scaling", record=True, dt=0.25 * second, name="scaling_factors")
        net = Network(c.network(), spikes, factors)
        net.run(len(rates) * phase, namespace={})
        t, i = np.asarray(spikes.t / second), np.asarray(spikes.i)
        T = float(phase / second)
        window = T / 4
        phase_rates = np.array([
            np.bincount(i[(t >= (k + 1) * T - window) & (t < (k + 1) * T)], minlength=n_neurons) / window
            for k in range(len(rates))])
        w_eff = np.asarray(S.w / pA)[:, None] * np.asarray(factors.g_scaling)[post]
        return {"phase_rates": phase_rates, "input_rates_hz": rates, "w_t": np.asarray(factors.t / second),
                "w_pA": w_eff, "post": post, "spike_t": t, "spike_i": i, "phase_s": T}


def _weights_at(sim, time_s):
    k = int(np.argmin(np.abs(sim["w_t"] - time_s)))
    return sim["w_pA"][:, k]


@experiment(
    "synaptic-scaling",
    "Synapse scale: after a block of the drive weights scale up, after a boost down, by one factor per neuron.",
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
                           seed=ctx.seed, backend=ctx.backend)
    T = sim["phase_s"]
    w_before, w_block, w_boost = (_weights_at(sim, T * k) for k in (1, 2, 3))
    # Turrigiano et al. (1998) rank the amplitudes before and after and fit a line through
    # the origin; the per-synapse fit is reported too (it also pools neurons whose factors
    # differ, so it is lower even though each neuron's weights scale exactly).
    k_block, r2_block = fit_through_origin(np.sort(w_before), np.sort(w_block))
    k_boost, r2_boost = fit_through_origin(np.sort(w_block), np.sort(w_boost))
    per_neuron = [fit_through_origin(w_before[sim["post"] == j], w_block[sim["post"] == j])[1]
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
        "scale_factor_boost_vs_baseline": fit_through_origin(w_before, w_boost)[0],
        "multiplicative_r2_block": r2_block,
        "multiplicative_r2_boost": r2_boost,
        "per_synapse_r2_block": fit_through_origin(w_before, w_block)[1],
        "per_synapse_r2_boost": fit_through_origin(w_block, w_boost)[1],
        "per_neuron_r2_block_min": float(np.min(per_neuron)),
    }

    fig, ax = figure(3, title="Synaptic scaling: one multiplicative factor per neuron")
    t_bins = np.arange(0, 3 * T + 1e-9, 0.5)
    counts, _ = np.histogram(sim["spike_t"], t_bins)
    ax[0].plot(t_bins[:-1], counts / 0.5 / p.n_neurons, color=COLORS["with"])
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
