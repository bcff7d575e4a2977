"""Lateral inhibition (layer scale): the layer's output is invariant to a common input gain.

Rate form: divisive normalization keeps the summed response of a layer nearly constant when
every input is multiplied by ten, and keeps the pattern across units. Spiking form: an
inhibitory pool with a homeostatic gain holds the fraction of active neurons near its set
point across input strengths.
"""
from __future__ import annotations

import numpy as np
from brian2 import Hz, SpikeMonitor, StateMonitor, ms, nA, second

from homeostasis import DivisiveNormalization, InhibitoryPool
from homeostasis.analysis import gain_invariance, pattern_correlation, window_rates
from homeostasis.models import Circuit, CurrentLIF, RateNeuron

from ..backend import run_network, simulation
from ..registry import Param, Result, experiment
from ..style import COLORS, figure

__all__ = ["simulate_divisive", "simulate_pool", "simulate_layer_alone"]


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


def _layer_drives(n_neurons, drive_min, drive_max, seed):
    rng = np.random.default_rng(seed)
    return rng.uniform(float(drive_min / nA), float(drive_max / nA), n_neurons) * nA


def simulate_pool(input_strength=1.0, target_active_fraction=0.2, tau_gain=300 * ms, n_neurons=200,
                  duration=5 * second, measure=2 * second, drive_min=0.1 * nA, drive_max=0.4 * nA,
                  seed=0, backend="numpy", progress=False) -> dict:
    """A spiking layer with heterogeneous drives times ``input_strength`` and an inhibitory pool.

    Returns, over the last ``measure``, the active fraction counted from spikes (neurons whose
    spike count exceeds ``active_rate * measure``) and, apart, the time average of the
    mechanism's own sensor ``A`` (rate traces above ``active_rate``); the rates, the traces
    of ``A`` and of the pool gain.
    """
    base = _layer_drives(n_neurons, drive_min, drive_max, seed)
    pool = InhibitoryPool(target_active_fraction=target_active_fraction, tau_gain=tau_gain)
    name = "pool"
    with simulation(backend, seed=seed, project=name):
        c = Circuit(name)
        L = c.population("L", CurrentLIF(), n_neurons, [pool], I_ext=input_strength * base)
        spikes = c.add(SpikeMonitor(L, name="pool_layer_spikes"))
        net = c.network()
        # the pool's controller is made by the mechanism; it is found by name in the network
        gain = StateMonitor(net["pool_L_pool_gain"], ["A", "log_g"], record=0, dt=10 * ms, name="pool_gain_mon")
        net.add(gain)
        run_network(net, duration, progress=progress, namespace={})
        t, i = np.asarray(spikes.t / second), np.asarray(spikes.i)
        start = float((duration - measure) / second)
        rates = window_rates(t, i, n_neurons, start, float(duration / second))
        gt = np.asarray(gain.t / second)
        return {"active_fraction_counted": float(np.mean(rates > float(pool.active_rate / Hz))),
                "active_fraction_sensor": float(np.asarray(gain.A[0])[gt >= start].mean()),
                "rates": rates, "drive_nA": np.asarray(base / nA), "t": gt, "A": np.asarray(gain.A[0]),
                "gain": np.exp(np.asarray(gain.log_g[0]))}


def simulate_layer_alone(input_strengths=(1.0, 2.0, 4.0), n_neurons=200, duration=1.5 * second, measure=1 * second,
                         active_rate=5 * Hz, drive_min=0.1 * nA, drive_max=0.4 * nA, seed=0,
                         backend="numpy") -> list:
    """The control: the same layers without the pool; the counted active fraction per strength.

    The layers do not interact, so all strengths run as blocks of one population.
    """
    base = _layer_drives(n_neurons, drive_min, drive_max, seed)
    k = len(input_strengths)
    name = "layer_alone"
    with simulation(backend, seed=seed, project=name):
        c = Circuit(name)
        L = c.population("L", CurrentLIF(), k * n_neurons,
                         I_ext=np.concatenate([s * np.asarray(base / nA) for s in input_strengths]) * nA)
        spikes = c.add(SpikeMonitor(L, name="layer_alone_spikes"))
        net = c.network()
        run_network(net, duration, progress=False, namespace={})
        rates = window_rates(spikes.t / second, spikes.i, k * n_neurons, float((duration - measure) / second),
                             float(duration / second))
    return [float(np.mean(block > float(active_rate / Hz))) for block in rates.reshape(k, n_neurons)]


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
        Param("tau_gain", 300 * ms, "ms", "time constant of the pool's homeostatic gain"),
        Param("n_neurons", 400, None, "neurons of the spiking layer", quick=200),
        Param("duration", 8 * second, "second", "simulated time per input strength", quick=5 * second),
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
    # without the pool nothing adapts: a short run shows the fractions the pool has to undo
    alone = simulate_layer_alone(strengths, p.n_neurons, duration=0.6 * second, measure=0.5 * second,
                                 seed=ctx.seed, backend=ctx.backend)
    target = float(p.target_active_fraction)
    # the set point is checked with a sensor of our own, counted from spikes, not the mechanism's A
    fractions = np.array([r["active_fraction_counted"] for r in pools])
    sensor = np.array([r["active_fraction_sensor"] for r in pools])
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
        "active_fraction_sensor": float(sensor.mean()),
        "active_fraction_sensor_per_strength": sensor.tolist(),
        "active_fraction_without_pool_per_strength": alone,
        "mean_rate_per_strength_hz": [float(r["rates"].mean()) for r in pools],
        "pool_gain_per_strength": [float(r["gain"][-1]) for r in pools],
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
    ax[2].set(xlabel="time (s)", ylabel="active fraction (A)", title="spiking layer with inhibitory pool")
    ax[2].legend(frameon=False)
    ax[3].plot(strengths, fractions, "o-", color=COLORS["with"], label="with pool (counted from spikes)")
    ax[3].plot(strengths, sensor, "s:", color=COLORS["boost"], label="with pool (mechanism's A)")
    ax[3].plot(strengths, alone, "o-", color=COLORS["without"], label="without pool")
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
