"""Lateral inhibition (layer scale): the layer's output is invariant to a common input gain.

Rate form: divisive normalization keeps the summed response of a layer nearly constant when
every input is multiplied by ten, and keeps the pattern across units. Spiking form: an
inhibitory pool with a homeostatic gain holds the fraction of active neurons near its set
point across input strengths.
"""
from __future__ import annotations

import numpy as np
from brian2 import Hz, Network, SpikeMonitor, StateMonitor, ms, nA, second

from homeostasis import DivisiveNormalization, InhibitoryPool
from homeostasis.analysis import gain_invariance, pattern_correlation, window_rates
from models import Circuit, CurrentLIF, RateNeuron

from ..backend import run_network, simulation
from ..registry import Param, Result, experiment
from ..style import COLORS, figure

__all__ = ["simulate_divisive", "simulate_pool"]


def simulate_divisive(pattern, input_gain=1.0, sigma=0.1, exponent=2.0, gamma=1.0, seed=0, backend="numpy",
                      return_raw=False):
    """Normalized responses of a rate layer to ``input_gain * pattern`` (after 100 ms).

    With ``return_raw`` also the unnormalized responses ``y`` (the layer without the pool).
    """
    pattern = np.asarray(pattern, dtype=float)
    if pattern.ndim != 1 or pattern.size < 2 or not np.all(np.isfinite(pattern)):
        raise ValueError("pattern must be a finite 1-D array of at least two inputs")
    name = "divisive"
    with simulation(backend, seed=seed, project=name):
        c = Circuit(name)
        L = c.population("L", RateNeuron(transfer="rectified", tau_u=5 * ms), pattern.size,
                         [DivisiveNormalization(gamma=gamma, sigma=sigma, exponent=exponent)],
                         I=input_gain * pattern)
        net = c.network()
        run_network(net, 100 * ms, progress=False, namespace={})  # a fraction of a second
        return (np.asarray(L.y_norm), np.asarray(L.y)) if return_raw else np.asarray(L.y_norm)


def simulate_pool(input_strength=1.0, target_active_fraction=0.2, tau_gain=100 * ms, n_neurons=100,
                  duration=5 * second, measure=2 * second, drive_min=0.1 * nA, drive_max=0.4 * nA,
                  seed=0, backend="numpy", progress=False) -> dict:
    """A spiking layer with heterogeneous drives times ``input_strength`` and an inhibitory pool.

    Returns the time-averaged active fraction seen by the mechanism over the last
    ``measure``, the fraction of neurons firing above ``active_rate`` in that window, the
    rates and the pool gain.
    """
    rng = np.random.default_rng(seed)
    base = rng.uniform(float(drive_min / nA), float(drive_max / nA), n_neurons) * nA
    pool = InhibitoryPool(target_active_fraction=target_active_fraction, tau_gain=tau_gain)
    name = "pool"
    with simulation(backend, seed=seed, project=name):
        c = Circuit(name)
        L = c.population("L", CurrentLIF(), n_neurons, [pool], I_ext=input_strength * base)
        spikes = SpikeMonitor(L, name="pool_layer_spikes")
        net = c.network()
        ctrl = net["pool_L_pool_gain"]
        gain = StateMonitor(ctrl, ["A", "log_g"], record=0, dt=10 * ms, name="pool_gain_mon")
        net.add(spikes, gain)
        run_network(net, duration, progress=progress, namespace={})
        t, i = np.asarray(spikes.t / second), np.asarray(spikes.i)
        start = float((duration - measure) / second)
        rates = window_rates(t, i, n_neurons, start, float(duration / second))
        gt = np.asarray(gain.t / second)
        return {"active_fraction": float(np.asarray(gain.A[0])[gt >= start].mean()),
                "active_fraction_counted": float(np.mean(rates > float(pool.active_rate / Hz))),
                "rates": rates, "drive_nA": np.asarray(base / nA), "t": gt, "A": np.asarray(gain.A[0]),
                "gain": np.exp(np.asarray(gain.log_g[0]))}


@experiment(
    "lateral-inhibition",
    "Layer scale: divisive normalization is invariant to a tenfold input gain; an inhibitory pool holds the active fraction.",
    required_metrics=["gain_invariance", "pattern_correlation", "target_active_fraction", "active_fraction"],
    params=[
        Param("n_units", 50, None, "units of the rate layer"),
        Param("sigma", 0.1, "1", "semi-saturation constant of divisive normalization"),
        Param("exponent", 2.0, "1", "exponent of the drive"),
        Param("input_gain", 10.0, "1", "common gain applied to the layer's input"),
        Param("target_active_fraction", 0.2, "1", "set point of the spiking layer's active fraction"),
        Param("tau_gain", 100 * ms, "ms", "time constant of the pool's homeostatic gain"),
        Param("n_neurons", 100, None, "neurons of the spiking layer", quick=60),
        Param("duration", 6 * second, "second", "simulated time per input strength", quick=4 * second),
    ],
)
def lateral_inhibition(p, ctx) -> Result:
    pattern = ctx.rng.uniform(0.1, 1.0, p.n_units)
    low = simulate_divisive(pattern, 1.0, p.sigma, p.exponent, seed=ctx.seed, backend=ctx.backend)
    high = simulate_divisive(pattern, p.input_gain, p.sigma, p.exponent, seed=ctx.seed, backend=ctx.backend)
    strengths = (1.0, 2.0, 4.0)
    pools = [simulate_pool(s, p.target_active_fraction, p.tau_gain, p.n_neurons, p.duration,
                           measure=p.duration / 3, seed=ctx.seed, backend=ctx.backend, progress=ctx.progress)
             for s in strengths]
    target = float(p.target_active_fraction)
    fractions = np.array([r["active_fraction"] for r in pools])
    metrics = {
        "gain_invariance": gain_invariance(low, high),
        "pattern_correlation": pattern_correlation(low, high),
        "summed_output_low": float(low.sum()),
        "summed_output_high": float(high.sum()),
        "target_active_fraction": target,
        "active_fraction": float(fractions.mean()),
        "active_fraction_max_rel_error": float(np.max(np.abs(fractions - target)) / target),
        "input_strengths": list(strengths),
        "active_fraction_per_strength": fractions.tolist(),
        "active_fraction_counted_per_strength": [r["active_fraction_counted"] for r in pools],
        "mean_rate_per_strength_hz": [float(r["rates"].mean()) for r in pools],
    }

    gains = np.geomspace(0.3, 30, 7)
    sweep = [simulate_divisive(pattern, g, p.sigma, p.exponent, seed=ctx.seed, backend=ctx.backend, return_raw=True)
             for g in gains]
    fig, ax = figure(4, width=11, title="Lateral inhibition: output invariant to a common input gain")
    ax[0].plot(gains, [n.sum() for n, _ in sweep], "o-", color=COLORS["with"], label="divisive normalization")
    ax[0].plot(gains, [r.sum() for _, r in sweep], "o-", color=COLORS["without"], label="without")
    ax[0].set(xscale="log", yscale="log", xlabel="input gain (x pattern)", ylabel="summed response (a.u.)",
              title="summed layer output")
    ax[0].legend(frameon=False)
    for unit in np.argsort(pattern)[:: max(1, p.n_units // 5)]:
        ax[1].plot(gains, [n[unit] for n, _ in sweep], "-", lw=1, color=COLORS["with"])
        ax[1].plot(gains, [r[unit] for _, r in sweep], "--", lw=0.8, color=COLORS["without"])
    ax[1].set(xscale="log", yscale="log", xlabel="input gain (x pattern)", ylabel="unit response (a.u.)",
              title="per unit (solid: normalized)")
    for s_, r in zip(strengths, pools):
        ax[2].plot(r["t"], r["A"], lw=0.8, label=f"input x{s_:g}")
    ax[2].axhline(target, color=COLORS["target"], ls="--", lw=1, label="target")
    ax[2].set(xlabel="time (s)", ylabel="active fraction", title="spiking layer with inhibitory pool")
    ax[2].legend(frameon=False)
    ax[3].plot(strengths, fractions, "o-", color=COLORS["with"], label="with pool (mechanism's A)")
    ax[3].plot(strengths, [r["active_fraction_counted"] for r in pools], "s--", color=COLORS["boost"],
               label="neurons above 5 Hz")
    ax[3].axhline(target, color=COLORS["target"], ls="--", lw=1, label="target")
    ax[3].set(xscale="log", xlabel="input strength (x drive)", ylabel="active fraction", ylim=(0, 1),
              title="active fraction vs input strength")
    ax[3].set_xticks(strengths, [f"{s_:g}" for s_ in strengths])
    ax[3].minorticks_off()
    ax[3].legend(frameon=False)
    data = {"pattern": pattern, "response_low": low, "response_high": high,
            "active_fraction_t": pools[0]["t"], **{f"active_fraction_x{s:g}": r["A"] for s, r in zip(strengths, pools)},
            **{f"rates_x{s:g}": r["rates"] for s, r in zip(strengths, pools)}}
    return Result(metrics, data, fig)
