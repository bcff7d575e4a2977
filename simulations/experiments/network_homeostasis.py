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
from homeostasis.analysis import coincidence_rates, quantile_groups, window_rates
from homeostasis.models import ei_network

from ..backend import run_network, simulation
from ..registry import Param, Result, experiment
from ..style import COLORS, figure

__all__ = ["simulate_network"]


def simulate_network(mechanism: str = "istdp", target_rate=5 * Hz, eta=0.04 * nS, tau_global=2 * second,
                     n_e=400, n_i=100, p=0.1, inhibitory_inputs=40, w_ie=0.3 * nS, n_background=200,
                     learn=10 * second, perturb=10 * second, drive=200 * pA, drive_factor=2.0, seed=0,
                     backend="numpy", progress=False) -> dict:
    """Run ``learn`` at drive ``drive``, then ``perturb`` with the E drive times ``drive_factor``.

    ``mechanism`` is ``"istdp"`` (Vogels rule), ``"global"`` (shared gain) or ``"none"``.
    Each excitatory neuron receives ``inhibitory_inputs`` inhibitory synapses on average
    (connection probability ``inhibitory_inputs / n_i``, as Vogels et al. 2011 gave 40 per
    cell) and ``n_background`` independent Poisson inputs. Returns the excitatory population
    rate in 250 ms bins, the phase boundary, every spike of the excitatory population and,
    for ``"istdp"``, of the inhibitory one with the I->E connectivity.
    """
    mechanisms = {"istdp": [InhibitorySTDP(target_rate=target_rate, eta=eta)],
                  "global": [GlobalHomeostasis(target_rate=target_rate, tau_global=tau_global)],
                  "none": []}
    if mechanism not in mechanisms:
        raise ValueError(f"mechanism must be one of {sorted(mechanisms)}, got {mechanism!r}")
    if not drive_factor > 0:
        raise ValueError(f"drive_factor must be positive, got {drive_factor!r}")
    if not 0 < inhibitory_inputs <= n_i:
        raise ValueError(f"inhibitory_inputs must lie in (0, n_i = {n_i}], got {inhibitory_inputs!r}")
    schedule = TimedArray(np.array([1.0, float(drive_factor)]), dt=learn, name="drive_scale")
    name = f"net_{mechanism}"
    with simulation(backend, seed=seed, project=name):
        # a small network's neurons share most of their inhibitory inputs and the same
        # constant drive: without independent background inputs, once plasticity has
        # brought them all to threshold they fire in network-wide bursts
        net = ei_network(n_e, n_i, p=p, p_pathway={"IE": inhibitory_inputs / n_i}, w_ie=w_ie, I_ext=drive,
                         n_background=n_background, components_e=mechanisms[mechanism],
                         name=name, namespace={"drive_scale": schedule, "I_drive": drive})
        # the perturbation is a step of the external drive, in generated code (one run)
        # the external drive of the excitatory neurons is raised (raising the inhibitory
        # neurons' drive too would quieten an inhibition-stabilized network instead)
        step = [net.E.run_regularly("I_ext = I_drive * drive_scale(t)", dt=50 * ms, name=f"{net.E.name}_drive")]
        spikes = SpikeMonitor(net.E, name=f"{name}_spikes")
        net.network.add(spikes, *step)
        mon = inh_spikes = None
        if mechanism == "istdp":
            # a sample of I->E synapses; their number is unknown before a standalone run, so
            # take far fewer than the expected n_e * inhibitory_inputs
            n_rec = max(1, min(200, int(0.5 * n_e * inhibitory_inputs)))
            mon = StateMonitor(net.synapses["IE"], "w", record=np.arange(n_rec),
                               dt=250 * ms, name="net_istdp_w")
            inh_spikes = SpikeMonitor(net.I, name=f"{name}_inh_spikes")
            net.network.add(mon, inh_spikes)
        run_network(net.network, learn + perturb, progress=progress, namespace={})
        bins = np.arange(0, float((learn + perturb) / second) + 1e-9, 0.25)
        t_all, i_all = np.asarray(spikes.t / second), np.asarray(spikes.i)
        counts, _ = np.histogram(t_all, bins)
        shown = i_all < 60  # raster of the first 60 excitatory neurons
        ie_pre, ie_post = np.asarray(net.synapses["IE"].i[:]), np.asarray(net.synapses["IE"].j[:])
        out = {"t": bins[:-1], "rate": counts / 0.25 / n_e, "switch_s": float(learn / second),
               "raster_t": t_all[shown], "raster_i": i_all[shown], "spike_t": t_all, "spike_i": i_all,
               "indegree": np.bincount(ie_post, minlength=n_e), "n_e": n_e}
        if mon is not None:
            out["w_ie_nS"] = np.asarray(mon.w / nS).mean(axis=0)
            out.update(inh_spike_t=np.asarray(inh_spikes.t / second), inh_spike_i=np.asarray(inh_spikes.i),
                       ie_pre=ie_pre, ie_post=ie_post)
        return out


def neuron_rates(sim, start, stop) -> np.ndarray:
    """Rate of every excitatory neuron in ``[start, stop)`` seconds, counted from its spikes."""
    return window_rates(sim["spike_t"], sim["spike_i"], sim["n_e"], start, stop)


def coincidences(sim, start, stop, tau=20 * ms) -> tuple:
    """Coincidences of each excitatory neuron with its inhibitory inputs, and their chance level.

    :func:`homeostasis.analysis.coincidence_rates` on the I->E synapses of ``sim``.
    """
    return coincidence_rates(sim["spike_t"], sim["spike_i"], sim["inh_spike_t"], sim["inh_spike_i"],
                             sim["ie_pre"], sim["ie_post"], sim["n_e"], start, stop, float(tau / second))


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
        Param("eta", 0.04 * nS, "nS", "learning rate of inhibitory plasticity"),
        Param("tau_global", 2 * second, "second", "time constant of the global gain"),
        Param("n_e", 800, None, "excitatory neurons", quick=400),
        Param("n_i", 200, None, "inhibitory neurons", quick=100),
        Param("inhibitory_inputs", 40, None, "mean number of inhibitory inputs per excitatory neuron (Vogels: 40)"),
        Param("n_background", 200, None, "independent Poisson inputs (5 Hz, 0.3 nS) of every neuron"),
        Param("drive_factor", 1.5, "1", "factor on the excitatory neurons' external drive at the perturbation"),
        Param("learn", 20 * second, "second", "time before the perturbation", quick=3.5 * second),
        Param("perturb", 20 * second, "second", "time after the perturbation", quick=3.5 * second),
    ],
)
def network_homeostasis(p, ctx) -> Result:
    target = float(p.target_rate / Hz)
    if not (p.learn > 2.5 * second and p.perturb > 2.5 * second):
        raise ValueError(f"learn and perturb must be longer than 2.5 s (2 s of transient, then the "
                         f"measurement), got {p.learn} and {p.perturb}")
    sims = {m: simulate_network(m, p.target_rate, p.eta, p.tau_global, p.n_e, p.n_i,
                                inhibitory_inputs=p.inhibitory_inputs, n_background=p.n_background, learn=p.learn,
                                perturb=p.perturb, drive_factor=p.drive_factor, seed=ctx.seed, backend=ctx.backend,
                                progress=ctx.progress)
            for m in ("istdp", "global")}
    T = float(p.learn / second)
    end = T + float(p.perturb / second)
    # each phase is measured after its transient (the first 2 s), over at most 2 s
    w_final, w_recovered = min(2.0, T - 2.0), min(2.0, end - T - 2.0)
    s = sims["istdp"]
    g = sims["global"]
    final, recovered = neuron_rates(s, T - w_final, T), neuron_rates(s, end - w_recovered, end)
    # coincidences are rarer than spikes: counted over the last two thirds of learning
    observed, chance = coincidences(s, T / 3, T)
    with np.errstate(invalid="ignore", divide="ignore"):
        kappa = observed / chance
    indegree = s["indegree"]
    groups = quantile_groups(indegree)
    pooled_kappa = float(observed.sum() / chance.sum())
    metrics = {
        "target_rate_hz": target,
        # the first 0.5 s of each phase: plasticity brings the rate near the target within
        # about a second, so a longer window would average the response away
        "rate_initial_hz": _window(s, 0.0, 0.5),
        "rate_final_hz": _window(s, T - w_final, T),
        "rate_after_perturbation_hz": _window(s, T, T + 0.5),
        "rate_recovered_hz": _window(s, end - w_recovered, end),
        "istdp_bias": _window(s, T - w_final, T) / target - 1.0,
        "rate_final_median_hz": float(np.median(final)),
        "rate_recovered_median_hz": float(np.median(recovered)),
        "rate_final_max_hz": float(final.max()),
        "inhibitory_indegree": {"mean": float(indegree.mean()), "min": int(indegree.min()),
                                "max": int(indegree.max())},
        # mean rate of the neurons with that many inhibitory inputs: with few of them a
        # neuron is weakly controlled and its fixed point moves with the coincidence ratio
        "rate_by_inhibitory_indegree": {label: float(final[m].mean()) for label, m in groups},
        "rate_recovered_by_inhibitory_indegree": {label: float(recovered[m].mean()) for label, m in groups},
        "neurons_by_inhibitory_indegree": {label: int(m.sum()) for label, m in groups},
        "coincidence_ratio": pooled_kappa,
        "coincidence_ratio_by_inhibitory_indegree": {label: float(observed[m].sum() / chance[m].sum())
                                                     for label, m in groups},
        # where the rule's weight drift vanishes for the measured coincidences: rho_0 / kappa
        "rate_fixed_point_hz": target / pooled_kappa,
        "global": {
            "rate_initial_hz": _window(g, 0.0, 0.5),
            "rate_final_hz": _window(g, T - w_final, T),
            "rate_after_perturbation_hz": _window(g, T, T + 0.5),
            "rate_recovered_hz": _window(g, end - w_recovered, end),
        },
    }
    fig, ax = figure(5, width=13, title="Network homeostasis: the E/I network returns to its set point")
    for k, (start, label) in enumerate(((0.0, "first second"), (T - 1.0, "end of learning"))):
        keep = (s["raster_t"] >= start) & (s["raster_t"] < start + 1.0)
        ax[k].plot(s["raster_t"][keep], s["raster_i"][keep], "|", ms=2, color="k")
        ax[k].set(xlabel="time (s)", ylabel="E neuron", title=f"raster, {label}", xlim=(start, start + 1.0))
    for name, sim, color in (("inhibitory STDP", s, COLORS["with"]), ("global gain", g, COLORS["boost"])):
        ax[2].plot(sim["t"], sim["rate"], color=color, lw=1, label=name)
    ax[2].axhline(target, color=COLORS["target"], ls="--", lw=1, label="target")
    ax[2].axvline(T, color="k", lw=0.5)
    # the first bins (several times the target) run off the top, so the set point stays legible
    ax[2].set(xlabel="time (s)", ylabel="mean excitatory rate (Hz)", ylim=(0, 4 * target),
              title=f"E drive x{p.drive_factor:g} at t = {T:g} s")
    ax[2].legend(frameon=False)
    ax[3].plot(s["t"][: len(s["w_ie_nS"])], s["w_ie_nS"], color=COLORS["with"])
    ax[3].axvline(T, color="k", lw=0.5)
    ax[3].set(xlabel="time (s)", ylabel="mean I->E weight (nS)", title="inhibitory weights")
    jitter = ctx.rng.uniform(-0.3, 0.3, len(indegree))
    ax[4].plot(indegree + jitter, final, ".", ms=2, color=COLORS["without"], label="neurons (final)")
    centers = [float(indegree[m].mean()) for _, m in groups]
    ax[4].plot(centers, [final[m].mean() for _, m in groups], "o-", color=COLORS["with"], label="mean (final)")
    ax[4].plot(centers, [recovered[m].mean() for _, m in groups], "s--", color=COLORS["boost"],
               label="mean (recovered)")
    ax[4].axhline(target, color=COLORS["target"], ls="--", lw=1)
    ax[4].set(xlabel="inhibitory inputs", ylabel="rate (Hz)", title="rate by inhibitory in-degree",
              ylim=(0, max(2.5 * target, float(np.percentile(final, 99)))))
    ax[4].legend(frameon=False)
    data = {"t": s["t"], "rate_istdp": s["rate"], "rate_global": g["rate"], "w_ie_nS": s["w_ie_nS"],
            "inhibitory_indegree": indegree, "rate_final_per_neuron": final,
            "rate_recovered_per_neuron": recovered, "coincidence_ratio_per_neuron": kappa}
    return Result(metrics, data, fig)
