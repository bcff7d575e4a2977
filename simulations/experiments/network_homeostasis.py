"""Network homeostasis (network scale): the E/I network returns to its set point.

A recurrent conductance-based E/I network (Vogels et al. 2011 style) starts with weak
inhibition and fires several times faster than ``target_rate``. Inhibitory plasticity on the
I->E synapses brings the excitatory rate to the target; the external drive is then raised
and plasticity brings the rate back again. The global form (one slow variable tracking the
mean rate and setting a shared inhibitory gain) is run on the same network beside it.
"""
from __future__ import annotations

import numpy as np
from brian2 import Hz, SpikeMonitor, StateMonitor, TimedArray, ms, nS, pA, second

from homeostasis import GlobalHomeostasis, InhibitorySTDP
from models import ei_network

from ..backend import run_network, simulation
from ..registry import Param, Result, experiment
from ..style import COLORS, figure

__all__ = ["simulate_network"]


def simulate_network(mechanism: str = "istdp", target_rate=5 * Hz, eta=0.4 * nS, tau_global=2 * second,
                     n_e=400, n_i=100, p=0.1, w_ie=1 * nS, learn=10 * second, perturb=10 * second,
                     drive=200 * pA, drive_factor=2.0, seed=0, backend="numpy", progress=False) -> dict:
    """Run ``learn`` at drive ``drive``, then ``perturb`` with the E drive times ``drive_factor``.

    ``mechanism`` is ``"istdp"`` (Vogels rule), ``"global"`` (shared gain) or ``"none"``.
    Returns the excitatory population rate in 250 ms bins and the phase boundary.
    """
    mechanisms = {"istdp": [InhibitorySTDP(target_rate=target_rate, eta=eta)],
                  "global": [GlobalHomeostasis(target_rate=target_rate, tau_global=tau_global)],
                  "none": []}
    if mechanism not in mechanisms:
        raise ValueError(f"mechanism must be one of {sorted(mechanisms)}, got {mechanism!r}")
    if not drive_factor > 0:
        raise ValueError(f"drive_factor must be positive, got {drive_factor!r}")
    schedule = TimedArray(np.array([1.0, float(drive_factor)]), dt=learn, name="drive_scale")
    name = f"net_{mechanism}"
    with simulation(backend, seed=seed, project=name):
        net = ei_network(n_e, n_i, p=p, w_ie=w_ie, I_ext=drive, components_e=mechanisms[mechanism],
                         name=name, namespace={"drive_scale": schedule, "I_drive": drive})
        # the perturbation is a step of the external drive, in generated code (one run)
        # the external drive of the excitatory neurons is raised (raising the inhibitory
        # neurons' drive too would quieten an inhibition-stabilized network instead)
        step = [net.E.run_regularly("I_ext = I_drive * drive_scale(t)", dt=50 * ms, name=f"{net.E.name}_drive")]
        spikes = SpikeMonitor(net.E, name=f"{name}_spikes")
        net.network.add(spikes, *step)
        mon = None
        if mechanism == "istdp":
            # a sample of I->E synapses; their number is unknown before a standalone run, so
            # take far fewer than the expected n_i * n_e * p
            n_rec = max(1, min(200, int(0.5 * n_i * n_e * p)))
            mon = StateMonitor(net.synapses["IE"], "w", record=np.arange(n_rec),
                               dt=250 * ms, name="net_istdp_w")
            net.network.add(mon)
        run_network(net.network, learn + perturb, progress=progress, namespace={})
        bins = np.arange(0, float((learn + perturb) / second) + 1e-9, 0.25)
        counts, _ = np.histogram(np.asarray(spikes.t / second), bins)
        t_all, i_all = np.asarray(spikes.t / second), np.asarray(spikes.i)
        shown = i_all < 60  # raster of the first 60 excitatory neurons
        out = {"t": bins[:-1], "rate": counts / 0.25 / n_e, "switch_s": float(learn / second),
               "raster_t": t_all[shown], "raster_i": i_all[shown]}
        if mon is not None:
            out["w_ie_nS"] = np.asarray(mon.w / nS).mean(axis=0)
        return out


def _window(sim, start, stop) -> float:
    keep = (sim["t"] >= start) & (sim["t"] < stop)
    return float(sim["rate"][keep].mean())


@experiment(
    "network-homeostasis",
    "Network scale: inhibitory plasticity (Vogels 2011) and a global gain bring an E/I network back to its set point.",
    required_metrics=["target_rate_hz", "rate_initial_hz", "rate_final_hz", "rate_after_perturbation_hz",
                      "rate_recovered_hz"],
    params=[
        Param("target_rate", 5 * Hz, "Hz", "set-point rate of the excitatory neurons"),
        Param("eta", 0.4 * nS, "nS", "learning rate of inhibitory plasticity", quick=0.8 * nS),
        Param("tau_global", 2 * second, "second", "time constant of the global gain"),
        Param("n_e", 400, None, "excitatory neurons", quick=200),
        Param("n_i", 100, None, "inhibitory neurons", quick=50),
        Param("drive_factor", 1.5, "1", "factor on the excitatory neurons' external drive at the perturbation"),
        Param("learn", 20 * second, "second", "time before the perturbation", quick=6 * second),
        Param("perturb", 20 * second, "second", "time after the perturbation", quick=6 * second),
    ],
)
def network_homeostasis(p, ctx) -> Result:
    target = float(p.target_rate / Hz)
    sims = {m: simulate_network(m, p.target_rate, p.eta, p.tau_global, p.n_e, p.n_i, learn=p.learn,
                                perturb=p.perturb, drive_factor=p.drive_factor, seed=ctx.seed, backend=ctx.backend,
                                progress=ctx.progress)
            for m in ("istdp", "global")}
    T = float(p.learn / second)
    end = T + float(p.perturb / second)
    s = sims["istdp"]
    g = sims["global"]
    metrics = {
        "target_rate_hz": target,
        "rate_initial_hz": _window(s, 0.0, 1.0),
        "rate_final_hz": _window(s, T - 2.0, T),
        "rate_after_perturbation_hz": _window(s, T, T + 1.0),
        "rate_recovered_hz": _window(s, end - 2.0, end),
        "istdp_bias": _window(s, T - 2.0, T) / target - 1.0,
        "global": {
            "rate_initial_hz": _window(g, 0.0, 1.0),
            "rate_final_hz": _window(g, T - 2.0, T),
            "rate_after_perturbation_hz": _window(g, T, T + 1.0),
            "rate_recovered_hz": _window(g, end - 2.0, end),
        },
    }
    fig, ax = figure(4, width=11, title="Network homeostasis: the E/I network returns to its set point")
    for k, (start, label) in enumerate(((0.0, "before plasticity"), (T - 1.0, "after plasticity"))):
        keep = (s["raster_t"] >= start) & (s["raster_t"] < start + 1.0)
        ax[k].plot(s["raster_t"][keep], s["raster_i"][keep], "|", ms=2, color="k")
        ax[k].set(xlabel="time (s)", ylabel="E neuron", title=f"raster, {label}", xlim=(start, start + 1.0))
    for name, sim, color in (("inhibitory STDP", s, COLORS["with"]), ("global gain", g, COLORS["boost"])):
        ax[2].plot(sim["t"], sim["rate"], color=color, lw=1, label=name)
    ax[2].axhline(target, color=COLORS["target"], ls="--", lw=1, label="target")
    ax[2].axvline(T, color="k", lw=0.5)
    ax[2].set(xlabel="time (s)", ylabel="mean excitatory rate (Hz)", ylim=(0, None),
              title=f"E drive x{p.drive_factor:g} at t = {T:g} s")
    ax[2].legend(frameon=False)
    ax[3].plot(s["t"][: len(s["w_ie_nS"])], s["w_ie_nS"], color=COLORS["with"])
    ax[3].axvline(T, color="k", lw=0.5)
    ax[3].set(xlabel="time (s)", ylabel="mean I->E weight (nS)", title="inhibitory weights")
    data = {"t": s["t"], "rate_istdp": s["rate"], "rate_global": g["rate"], "w_ie_nS": s["w_ie_nS"]}
    return Result(metrics, data, fig)
