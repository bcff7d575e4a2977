"""Intrinsic plasticity (neuron scale): each unit holds its own activity at a set point.

Rate form: sigmoid units with Triesch's gain/bias rule, driven by Gaussian input, end with an
approximately exponential output distribution of mean ``target_mean``. Spiking form: LIF
neurons whose constant drive spans a tenfold range end with rates clustered at
``target_rate`` when the threshold adapts, against a wide spread without it.
"""
from __future__ import annotations

import numpy as np
from brian2 import Hz, SpikeMonitor, StateMonitor, TimedArray, mV, ms, nA, pA, second

from homeostasis import AdaptiveThreshold, IntrinsicPlasticity
from homeostasis.analysis import (coefficient_of_variation, gamma_shape, kl_to_exponential, ks_to_exponential,
                                  window_rates)
from homeostasis.models import Circuit, CurrentLIF, RateNeuron, gaussian_drive, poisson_source

from ..backend import run_network, simulation
from ..registry import Param, Result, experiment
from ..style import COLORS, figure

__all__ = ["simulate_rate_ip", "simulate_spiking_ip"]


def simulate_rate_ip(target_mean=0.2, tau_ip=0.5 * second, n_units=10, duration=100 * second,
                     measure=20 * second, input_mean=0.0, input_sd=1.0, dt=1 * ms, seed=0,
                     backend="numpy", progress=False) -> dict:
    """Sigmoid units with Triesch's rule driven by i.i.d. Gaussian input, one sample per ``dt``.

    Returns the output samples of the last ``measure`` (every 10th step, shape (time,
    unit)) and the final gains and biases.
    """
    n_steps = int(round(float(duration / dt)))
    rng = np.random.default_rng(seed)
    stim = TimedArray(gaussian_drive(n_steps, n_units, input_mean, input_sd, rng), dt=dt, name="stim")
    name = "rate_ip"
    with simulation(backend, seed=seed, project=name):
        c = Circuit(name)
        U = c.population("U", RateNeuron(instantaneous=True, drive="stim(t, i)"), n_units,
                         [IntrinsicPlasticity(target_mean=target_mean, tau_ip=tau_ip)], dt=dt,
                         namespace={"stim": stim})
        mon = c.add(StateMonitor(U, ["y", "a", "b"], record=True, dt=10 * dt, name="rate_ip_mon"))
        net = c.network()
        run_network(net, duration, progress=progress, namespace={})
        t = np.asarray(mon.t / second)
        keep = t >= float((duration - measure) / second)
        return {"y": np.asarray(mon.y).T[keep], "t": t, "input_sample": stim.values[:20000].ravel(), "a_trace": np.asarray(mon.a).T,
                "b_trace": np.asarray(mon.b).T, "a": np.asarray(U.a), "b": np.asarray(U.b)}


def simulate_spiking_ip(with_ip=True, target_rate=5 * Hz, eta_threshold=1 * mV, tau_r=500 * ms,
                        n_neurons=50, drive_min=0.25 * nA, drive_max=2.5 * nA, duration=20 * second,
                        measure=5 * second, seed=0, backend="numpy", progress=False, v_th=None,
                        input_noise=0 * pA) -> dict:
    """LIF neurons with constant drives evenly spanning ``[drive_min, drive_max]``.

    Returns each neuron's rate over the last ``measure`` (counted from its spikes), the
    drives and the final thresholds. ``v_th`` sets the initial thresholds (with
    ``eta_threshold=0 * mV``, thresholds learned in an earlier run held fixed).

    ``input_noise`` is the weight of a balanced background each neuron receives on top of
    its drive: Poisson excitation at 1 kHz and inhibition at 1 kHz with half the weight
    (the inhibitory current lasts twice as long, so the two means cancel). With it the
    neurons are driven by fluctuations, as in cortex, and a run with another ``seed`` is
    the same population on held-out input. Without it (the default) the drive is constant
    and the adaptive threshold times every spike itself: it falls at
    ``eta_threshold * target_rate`` per second until the neuron fires and jumps by
    ``eta_threshold`` after the spike, so thresholds frozen at any moment do not hold the rate.
    """
    drive = np.linspace(float(drive_min / nA), float(drive_max / nA), n_neurons) * nA
    mechanisms = [AdaptiveThreshold(target_rate=target_rate, eta_threshold=eta_threshold, tau_r=tau_r)] if with_ip else []
    if v_th is not None and not with_ip:
        raise ValueError("v_th needs with_ip=True: without the mechanism the threshold is the model's constant")
    noisy = float(input_noise / pA) > 0
    name = ("ip_on" if with_ip else "ip_off") + ("_noisy" if noisy else "")
    with simulation(backend, seed=seed, project=name):
        c = Circuit(name)
        initial = {} if v_th is None else {"v_th": v_th}
        E = c.population("E", CurrentLIF(), n_neurons, mechanisms, I_ext=drive, **initial)
        if noisy:
            one_to_one = dict(i=np.arange(n_neurons), j=np.arange(n_neurons))
            for role, weight in (("exc", input_noise), ("inh", input_noise / 2)):
                background = c.add(poisson_source(n_neurons, 1000 * Hz, name=f"{name}_{role}_background"))
                c.connect(background, E, role, weight, **one_to_one)
        spikes = c.add(SpikeMonitor(E, name=f"{c.name}_spikes"))
        net = c.network()
        run_network(net, duration, progress=progress, namespace={})
        t, i = np.asarray(spikes.t / second), np.asarray(spikes.i)
        stop = float(duration / second)
        rates = window_rates(t, i, n_neurons, stop - float(measure / second), stop)
        return {"rates": rates, "drive_nA": np.asarray(drive / nA), "spike_t": t, "spike_i": i,
                "v_th_mV": np.asarray(E.v_th / mV)}


@experiment(
    "intrinsic-plasticity",
    "Neuron scale: Triesch's rule makes sigmoid outputs exponential; an adaptive threshold clusters LIF rates at a target.",
    required_metrics=["target_mean", "output_mean", "output_cv", "kl_to_exponential", "target_rate_hz",
                      "spiking_rate_mean_hz", "spiking_rate_cv_with_ip", "spiking_rate_cv_without_ip"],
    params=[
        Param("target_mean", 0.2, "1", "mean of the target exponential output (rate form)"),
        Param("tau_ip", 0.5 * second, "second", "learning time constant of gain and bias (dt / eta)"),
        Param("n_units", 10, None, "sigmoid units (rate form)", quick=5),
        Param("rate_duration", 150 * second, "second", "simulated time of the rate form", quick=60 * second),
        Param("target_rate", 5 * Hz, "Hz", "set-point firing rate (spiking form)"),
        Param("eta_threshold", 1 * mV, "mV", "threshold change per excess spike"),
        Param("tau_r", 500 * ms, "ms", "time constant of the rate trace"),
        Param("n_neurons", 50, None, "LIF neurons (spiking form)", quick=20),
        Param("spiking_duration", 30 * second, "second", "simulated time of the spiking form", quick=12 * second),
    ],
)
def intrinsic_plasticity(p, ctx) -> Result:
    rate = simulate_rate_ip(p.target_mean, p.tau_ip, p.n_units, p.rate_duration,
                            measure=min(20 * second, p.rate_duration / 3), seed=ctx.seed, backend=ctx.backend,
                            progress=ctx.progress)
    y = rate["y"]
    unit_means = y.mean(axis=0)
    unit_shapes = np.array([gamma_shape(y[:, u], upper=1.0) for u in range(y.shape[1])])  # a sigmoid stays below 1
    spiking = {}
    for with_ip in (False, True):
        spiking[with_ip] = simulate_spiking_ip(with_ip, p.target_rate, p.eta_threshold, p.tau_r, p.n_neurons,
                                               duration=p.spiking_duration, measure=p.spiking_duration / 4,
                                               seed=ctx.seed, backend=ctx.backend, progress=ctx.progress)
    on, off = spiking[True]["rates"], spiking[False]["rates"]
    metrics = {
        "target_mean": float(p.target_mean),
        "output_mean": float(unit_means.mean()),
        "output_cv": float(coefficient_of_variation(y, axis=0).mean()),
        "kl_to_exponential": kl_to_exponential(y, float(p.target_mean)),
        # the shape apart from the mean: 1 for an exponential, 1.2 for gamma(1.2), ~1.35 half-normal
        "output_gamma_shape": float(unit_shapes.mean()),
        "output_gamma_shape_min": float(unit_shapes.min()),
        "output_gamma_shape_max": float(unit_shapes.max()),
        "ks_to_exponential": float(np.mean([ks_to_exponential(y[:, u], float(p.target_mean), upper=1.0)
                                            for u in range(y.shape[1])])),
        "final_gain_mean": float(rate["a"].mean()),
        "final_bias_mean": float(rate["b"].mean()),
        "target_rate_hz": float(p.target_rate / Hz),
        "spiking_rate_mean_hz": float(on.mean()),
        "spiking_rate_mean_without_ip_hz": float(off.mean()),
        "spiking_rate_cv_with_ip": coefficient_of_variation(on),
        "spiking_rate_cv_without_ip": coefficient_of_variation(off),
    }

    fig, ax = figure(4, width=11, title="Intrinsic plasticity: each neuron holds its own activity at a set point")
    ax[0].hist(rate["input_sample"], bins=50, density=True, color=COLORS["without"])
    ax[0].set(xlabel="input u (dimensionless)", ylabel="density", title="input (Gaussian)")
    ax = ax[1:]
    mu = float(p.target_mean)
    ax[0].hist(y.ravel(), bins=40, range=(0, 1), density=True, color=COLORS["with"], alpha=0.8, label="output")
    grid = np.linspace(0, 1, 200)
    ax[0].plot(grid, np.exp(-grid / mu) / mu / (1 - np.exp(-1 / mu)), color=COLORS["target"], label=f"exponential, mean {mu:g}")
    ax[0].set(xlabel="output y", ylabel="density", title="rate form (Triesch 2005)")
    ax[0].legend(frameon=False)
    ax[1].plot(rate["t"], rate["a_trace"].mean(axis=1), label="gain a")
    ax[1].plot(rate["t"], rate["b_trace"].mean(axis=1), label="bias b")
    ax[1].set(xlabel="time (s)", ylabel="value (dimensionless)", title="gain and bias (mean over units)")
    ax[1].legend(frameon=False)
    drive = spiking[True]["drive_nA"]
    ax[2].plot(drive, off, "o", ms=3, color=COLORS["without"], label="without IP")
    ax[2].plot(drive, on, "o", ms=3, color=COLORS["with"], label="adaptive threshold")
    ax[2].axhline(float(p.target_rate / Hz), color=COLORS["target"], lw=1, ls="--", label="target")
    ax[2].set(xlabel="constant drive (nA)", ylabel="rate (Hz)", yscale="log", title="spiking form, LIF")
    ax[2].legend(frameon=False)
    data = {"rate_output": y, "rate_t": rate["t"], "gain_trace": rate["a_trace"], "bias_trace": rate["b_trace"],
            "drive_nA": drive, "rates_with_ip": on, "rates_without_ip": off}
    return Result(metrics, data, fig)
