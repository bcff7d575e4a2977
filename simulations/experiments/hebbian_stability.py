"""Hebbian stability: STDP on recurrent excitation runs away unless homeostasis is fast enough.

A recurrent network of conductance-based excitatory (E) and inhibitory (I) LIF neurons,
driven by Poisson background and a constant current, has plastic E->E synapses with the
minimal triplet STDP rule of Pfister & Gerstner (2006) (:class:`homeostasis.models.hebbian.TripletSTDP`),
as in Zenke, Hennequin & Gerstner (2013). The rule's threshold rate ``theta`` lies below the
network's initial rate, so every active synapse grows, the rates grow with it, and the
network runs away until the weights reach ``w_max``. Each *variant* adds one homeostatic
mechanism to the E neurons and runs the same network from the same seed:

``none``
    No homeostasis: the control that runs away.
``scaling``, ``scaling_<T>``
    :class:`~homeostasis.SynapticScaling` with ``tau_scaling`` = the parameter
    ``tau_scaling`` (``scaling``) or ``T`` (``scaling_250ms``, ``scaling_4s``); rate sensor
    ``tau_r``.
``sensor_<T>``
    Synaptic scaling at ``tau_scaling`` with a rate sensor of time constant ``tau_r = T``:
    the sensor's speed varied separately from the scaling's.
``istdp``
    :class:`~homeostasis.InhibitorySTDP` on the I->E synapses (Vogels et al. 2011).
``global``
    :class:`~homeostasis.GlobalHomeostasis`: one gain on all inhibition onto E, set by the
    population's mean rate.

A variant is *stable* when the mean E rate, counted from spikes in 250 ms bins after the
first 500 ms, stays within a factor ``stability_factor`` of ``target_rate``; its runaway
time is the end of the first bin above the runaway bound ``stability_factor * target_rate``
(:mod:`homeostasis.analysis.stability`). ``critical_tau_scaling_s`` brackets the critical
time constant of scaling among the variants tried. Synaptic scaling here multiplies the
transmitted E->E weight by a per-neuron gain (``w_eff = g w``) while STDP changes ``w``;
the weights stay in ``[0, w_max]``, so a run that runs away ends in a saturated network,
never in an overflow.
"""
from __future__ import annotations

import re

import numpy as np
from brian2 import BrianLogger, Hz, PoissonInput, SpikeMonitor, StateMonitor, defaultclock, ms, nS, pA, second

from homeostasis import GlobalHomeostasis, InhibitorySTDP, SynapticScaling
from homeostasis.analysis import coefficient_of_variation, window_rates
from homeostasis.analysis.stability import critical_bracket, population_rate, rate_stability
from homeostasis.models import Circuit, ConductanceLIF
from homeostasis.models.hebbian import PairSTDP, TripletSTDP

from ..backend import run_network, simulation
from ..registry import Param, Result, experiment
from ..style import COLORS, figure

__all__ = ["simulate_variant", "parse_variant", "NETWORK"]

#: The network every variant runs: sizes and weights give each E neuron 40 E and 10 I inputs
#: (p = 0.1 of 400 and 100); with ``w_ee`` the E rate starts near 5 Hz and with all E->E
#: weights at ``w_max`` = 5 ``w_ee`` it would exceed 70 Hz.
NETWORK = dict(p=0.1, w_ei=1.0 * nS, w_ie=4.0 * nS, w_ii=3.0 * nS, I_drive=40 * pA, n_ext=100, nu_ext=5 * Hz,
               w_ext=0.5 * nS)
RATE_BIN = 0.25  # seconds: bins of the counted population rate
SETTLE = 0.5  # seconds: the network leaving its random initial state is not judged
_DURATION_NAME = r"(\d+)(ms|s)"
_VARIANT = re.compile(rf"(none|istdp|global|scaling|scaling_{_DURATION_NAME}|sensor_{_DURATION_NAME})")


def parse_variant(name: str) -> dict:
    """``{"kind": ..., "tau_scaling": ..., "tau_r": ...}`` of a variant name (``None``: the parameter's).

    Examples
    --------
    >>> parse_variant("scaling_250ms")
    {'kind': 'scaling', 'tau_scaling': 250. * msecond, 'tau_r': None}
    >>> parse_variant("sensor_4s")["tau_r"]
    4. * second
    """
    match = _VARIANT.fullmatch(name.strip())
    if not match:
        raise ValueError(f"unknown variant {name!r}: use none, istdp, global, scaling, scaling_<T> or sensor_<T> "
                         "with T like 250ms or 4s")
    kind = match.group(1).split("_")[0]
    spec = {"kind": kind, "tau_scaling": None, "tau_r": None}
    number, unit = (match.group(2), match.group(3)) if match.group(2) else (match.group(4), match.group(5))
    if number:
        value = int(number) * (ms if unit == "ms" else second)
        spec["tau_scaling" if kind == "scaling" else "tau_r"] = value
    return spec


def _variant_names(text: str) -> list:
    names = [v.strip() for v in str(text).split(",") if v.strip()]
    if not names:
        raise ValueError("variants must name at least one variant")
    if len(set(names)) != len(names):
        raise ValueError(f"variants names a variant twice: {text!r}")
    for name in names:
        parse_variant(name)
    return names


def _components(spec, target_rate, tau_scaling, tau_r, eta, tau_global) -> list:
    kind = spec["kind"]
    if kind == "none":
        return []
    if kind in ("scaling", "sensor"):
        return [SynapticScaling(target_rate=target_rate, tau_scaling=spec["tau_scaling"] or tau_scaling,
                                tau_r=spec["tau_r"] or tau_r)]
    if kind == "istdp":
        return [InhibitorySTDP(target_rate=target_rate, eta=eta)]
    return [GlobalHomeostasis(target_rate=target_rate, tau_global=tau_global)]


def hebbian_rule(rule: str, A2_minus, theta, w_max, target_rate):
    """The E->E rule: minimal triplet STDP, or additive pair STDP with the same drift at the target.

    The pair rule's potentiation per postsynaptic spike, ``A3_plus * target_rate * tau_y``
    per unit of presynaptic trace, equals the triplet term's for independent Poisson spikes
    at ``target_rate``: both rules drift alike there, and the triplet one grows faster above.
    """
    triplet = TripletSTDP.from_threshold(theta, A2_minus=A2_minus, w_max=w_max)
    if rule == "triplet":
        return triplet
    if rule == "pair":
        return PairSTDP(eta_pre=float(A2_minus / w_max), tau_post=triplet.tau_minus,
                        eta_post=float(triplet.A3_plus * target_rate * triplet.tau_y / w_max),
                        tau_pre=triplet.tau_plus, w_max=w_max, mu=0.0)
    raise ValueError(f"rule must be 'triplet' or 'pair', got {rule!r}")


def simulate_variant(variant: str = "none", target_rate=5 * Hz, tau_scaling=1 * second, tau_r=100 * ms,
                     eta=1.5 * nS, tau_global=2 * second, rule="triplet", A2_minus=0.015 * nS, theta=1.25 * Hz,
                     w_ee=0.3 * nS, w_max=1.5 * nS, n_e=400, n_i=100, duration=30 * second, dt=0.1 * ms,
                     seed=0, backend="numpy", progress=False, network=None) -> dict:
    """Run the plastic E/I network with the homeostasis of ``variant``; rates and weights.

    Returns
    -------
    dict
        ``t`` (bin starts, s) and ``rate`` (mean E rate per bin, Hz, counted from spikes),
        ``w`` and ``w_eff`` (final plastic and transmitted E->E
        weights, nS), ``w_mean_t`` (mean of a sample of E->E weights every second),
        ``rates_final`` (each E neuron's rate over the last quarter of the run).
    """
    spec = parse_variant(variant)
    net_params = {**NETWORK, **(network or {})}
    p = net_params["p"]
    components = _components(spec, target_rate, tau_scaling, tau_r, eta, tau_global)
    plastic = hebbian_rule(rule, A2_minus, theta, w_max, target_rate)
    name = f"hs_{variant}"
    previous_dt = defaultclock.dt
    with simulation(backend, seed=seed, project=name):
        defaultclock.dt = dt
        model = ConductanceLIF()
        c = Circuit(name)
        v0 = "E_L + rand() * (V_th - E_L)"
        # each population keeps the traces read from it: the STDP traces on E (pre and post
        # of E->E), the presynaptic trace of inhibitory STDP on I
        E = c.population("E", model, n_e, components, traces=plastic.traces, I_ext=net_params["I_drive"], v=v0)
        I = c.population("I", model, n_i, traces=[t for comp in components for t in getattr(comp, "traces", ())],
                         I_ext=0 * pA, v=v0)
        EE = c.connect(E, E, "exc", w_ee, p=p, condition="i != j", plasticity=(plastic,))
        c.connect(E, I, "exc", net_params["w_ei"], p=p)
        c.connect(I, E, "inh", net_params["w_ie"], p=p)
        c.connect(I, I, "inh", net_params["w_ii"], p=p)
        # background excitation is external input, not synapses of the circuit: scaling
        # acts on the recurrent E->E weights only
        for group in (E, I):
            c.add(PoissonInput(group, "g_e", net_params["n_ext"], net_params["nu_ext"], weight=net_params["w_ext"]))
        spikes_e = c.add(SpikeMonitor(E, name=f"{name}_spikes_e"))
        # a spread sample of E->E synapses; their number is known only after a standalone
        # run, so the indices stay well below the expected n_e (n_e - 1) p
        expected = n_e * (n_e - 1) * p
        sample = np.unique(np.linspace(0, 0.5 * expected, 200).astype(int))
        # (cpp_standalone cannot check these indices before the run and would warn about it)
        BrianLogger.suppress_name("cannot_check_statemonitor_indices")
        weights = c.add(StateMonitor(EE, "w", record=sample, dt=1 * second, name=f"{name}_w"))
        net = c.network()
        run_network(net, duration, progress=progress, namespace={})
        T = float(duration / second)
        t, rate = population_rate(spikes_e.t / second, spikes_e.i, n_e, T, RATE_BIN)
        w = np.asarray(EE.w[:] / nS)
        factor = np.ones_like(w)
        if "g_scaling" in E.variables:  # the transmitted weight: scaling's gain of the target neuron
            factor = np.asarray(E.g_scaling[:])[np.asarray(EE.j[:])]
        out = {
            "t": t, "rate": rate, "w": w, "w_eff": w * factor,
            "w_mean_t": np.asarray(weights.w / nS).mean(axis=0),
            "rates_final": window_rates(spikes_e.t / second, spikes_e.i, n_e, 0.75 * T, T),
        }
    defaultclock.dt = previous_dt
    return out


def summarize_variant(sim, target: float, factor: float, w_ee: float, w_max: float) -> dict:
    """The metrics of one variant's run (rates in Hz, weights in nS)."""
    verdict = rate_stability(sim["t"], sim["rate"], target, factor, RATE_BIN, settle=SETTLE)
    T = float(sim["t"][-1] + RATE_BIN)
    last = lambda frac: float(sim["rate"][sim["t"] >= (1 - frac) * T - 1e-9].mean())  # noqa: E731
    return {
        "stable": verdict["stable"],
        "runaway_time_s": verdict["runaway_time_s"],
        "silenced_time_s": verdict["silenced_time_s"],
        "rate_final_hz": last(0.25),
        "rate_last_half_hz": last(0.5),
        "rate_peak_hz": verdict["peak_factor"] * target,
        "rate_initial_hz": float(sim["rate"][sim["t"] < SETTLE].mean()),
        "rate_cv_final": float(coefficient_of_variation(sim["rates_final"])),
        "weight_mean_final": float(sim["w"].mean()),
        "weight_eff_mean_final": float(sim["w_eff"].mean()),
        "weight_at_max_fraction": float(np.mean(sim["w"] >= w_max * (1 - 1e-6))),
        "weight_growth": float(sim["w"].mean() / w_ee),
    }


def _seconds(q) -> float:
    return float(q / second)


@experiment(
    "hebbian-stability",
    "Triplet STDP on recurrent excitation runs away; homeostasis stops it only when fast enough.",
    required_metrics=[f"{{variants}}.{key}" for key in ("stable", "runaway_time_s", "rate_final_hz",
                                                          "weight_mean_final")] + ["critical_tau_scaling_s"],
    params=[
        Param("target_rate", 5 * Hz, "Hz", "set-point rate of the excitatory neurons"),
        Param("stability_factor", 2.0, "1",
              "a run is stable while the mean E rate stays within this factor of target_rate; "
              "stability_factor * target_rate is the runaway bound"),
        Param("variants", "none,scaling_250ms,scaling,scaling_4s,scaling_16s,scaling_64s,sensor_1s,sensor_4s,"
                          "sensor_16s,istdp,global",
              None, "comma-separated: none, scaling (at tau_scaling), scaling_<T>, sensor_<T> (tau_r = T), "
                    "istdp, global; T like 250ms or 4s",
              quick="none,scaling_250ms,scaling_16s,sensor_4s,istdp,global"),
        Param("tau_scaling", 1 * second, "second",
              "time constant of synaptic scaling of the 'scaling' and 'sensor_<T>' variants"),
        Param("tau_r", 100 * ms, "ms", "time constant of the rate sensor of the 'scaling' variants"),
        Param("eta", 1.5 * nS, "nS", "learning rate of inhibitory STDP (variant istdp)"),
        Param("tau_global", 2 * second, "second", "time constant of the global inhibitory gain (variant global)"),
        Param("rule", "triplet", None, "E->E plasticity: triplet (Pfister & Gerstner minimal) or pair (additive)"),
        Param("A2_minus", 0.015 * nS, "nS", "pair depression per presynaptic spike of the E->E rule"),
        Param("theta", 1.25 * Hz, "Hz", "rate at which the triplet rule's drift changes sign (sets A3_plus)"),
        Param("w_ee", 0.3 * nS, "nS", "initial E->E weight"),
        Param("w_max", 1.5 * nS, "nS", "upper bound of the E->E weights"),
        Param("n_e", 400, None, "excitatory neurons"),
        Param("n_i", 100, None, "inhibitory neurons"),
        Param("duration", 30 * second, "second", "simulated time of each variant", quick=4 * second),
        Param("dt", 0.1 * ms, "ms", "integration time step", quick=0.25 * ms),
    ],
)
def hebbian_stability(p, ctx) -> Result:
    names = _variant_names(p.variants)
    if not p.stability_factor > 1:
        raise ValueError(f"stability_factor must be larger than 1, got {p.stability_factor}")
    target = float(p.target_rate / Hz)
    common = dict(target_rate=p.target_rate, tau_scaling=p.tau_scaling, tau_r=p.tau_r, eta=p.eta,
                  tau_global=p.tau_global, rule=p.rule, A2_minus=p.A2_minus, theta=p.theta, w_ee=p.w_ee,
                  w_max=p.w_max, n_e=p.n_e, n_i=p.n_i, duration=p.duration, dt=p.dt, seed=ctx.seed,
                  backend=ctx.backend, progress=ctx.progress)
    sims = {name: simulate_variant(name, **common) for name in names}
    w_ee, w_max = float(p.w_ee / nS), float(p.w_max / nS)
    metrics = {name: summarize_variant(sim, target, p.stability_factor, w_ee, w_max) for name, sim in sims.items()}

    scaling = {name: _seconds(parse_variant(name)["tau_scaling"] or p.tau_scaling)
               for name in names if parse_variant(name)["kind"] == "scaling"}
    sensor = {name: _seconds(parse_variant(name)["tau_r"]) for name in names if parse_variant(name)["kind"] == "sensor"}
    bracket = (critical_bracket(list(scaling.values()), [metrics[n]["stable"] for n in scaling])
               if scaling else (None, None))
    metrics.update({
        "target_rate_hz": target,
        "stability_factor": float(p.stability_factor),
        "runaway_bound_hz": float(p.stability_factor) * target,
        "critical_tau_scaling_s": list(bracket),
        "tau_scaling_s": _seconds(p.tau_scaling),
        "tau_r_s": _seconds(p.tau_r),
        "theta_hz": float(hebbian_rule("triplet", p.A2_minus, p.theta, p.w_max, p.target_rate).theta / Hz),
    })

    # the sensor panel also shows the 'scaling' variant: the same tau_scaling, the fast sensor
    sensor_panel = {**({"scaling": _seconds(p.tau_r)} if "scaling" in names else {}), **sensor}
    fig = _figure(sims, metrics, scaling, sensor_panel, target, p)
    t = next(iter(sims.values()))["t"]
    data = {"t": t, "variants": np.array(names), "rate": np.array([s["rate"] for s in sims.values()]),
            "w_mean_t": np.array([s["w_mean_t"] for s in sims.values()]),
            "rates_final": np.array([s["rates_final"] for s in sims.values()])}
    for name, sim in sims.items():
        data[f"w_{name}"] = sim["w"]
        data[f"w_eff_{name}"] = sim["w_eff"]
    return Result(metrics, data, fig)


def _figure(sims, metrics, scaling, sensor, target, p):
    from matplotlib.ticker import ScalarFormatter

    factor = float(p.stability_factor)
    fig, ax = figure(4, width=12.5, height=3.0,
                     title="Hebbian stability: triplet STDP on E->E runs away unless homeostasis is fast enough")
    colors = _colors(list(sims))
    for name, sim in sims.items():
        ax[0].plot(sim["t"] + RATE_BIN / 2, np.maximum(sim["rate"], 1e-2), color=colors[name], lw=1, label=name)
    ax[0].axhline(target, color=COLORS["target"], ls="--", lw=1)
    ax[0].axhspan(target / factor, target * factor, color=COLORS["target"], alpha=0.08, lw=0)
    ax[0].set(yscale="log", xlabel="time (s)", ylabel="mean E rate (Hz)",
              title=f"mean E rate; band: x{factor:g} of target")
    ax[0].yaxis.set_major_formatter(ScalarFormatter())
    ax[0].yaxis.set_minor_formatter(ScalarFormatter())
    ax[0].legend(frameon=False, fontsize=5, ncol=2)

    panels = ((scaling, "tau_scaling", f"tau_scaling (s), tau_r = {_seconds(p.tau_r):g} s"),
              (sensor, "tau_r", f"tau_r (s), tau_scaling = {_seconds(p.tau_scaling):g} s"))
    for k, (group, key, label) in enumerate(panels):
        a = ax[1 + k]
        if group:
            order = sorted(group, key=group.get)
            x = [group[n] for n in order]
            peak = [metrics[n]["rate_peak_hz"] / target for n in order]
            a.plot(x, peak, color="k", lw=0.8)
            for xi, yi, n in zip(x, peak, order):
                a.plot(xi, yi, "o", color=colors[n], mfc=colors[n] if metrics[n]["stable"] else "white", ms=5)
        a.axhline(factor, color=COLORS["target"], ls="--", lw=1)
        a.set(xscale="log", yscale="log", xlabel=label, ylabel="peak E rate / target",
              title=f"{key}: filled = stable" if group else f"no {key} variants run")
        a.yaxis.set_major_formatter(ScalarFormatter())
        a.yaxis.set_minor_formatter(ScalarFormatter())
    lo, hi = metrics["critical_tau_scaling_s"]
    if lo is not None or hi is not None:
        ax[1].set_title(f"critical tau_scaling in ({lo if lo is not None else '-'}, {hi if hi is not None else '-'}) s")

    w_max = float(p.w_max / nS)
    bins = np.linspace(0, w_max, 31)
    for name, sim in sims.items():
        ax[3].hist(sim["w"], bins=bins, histtype="step", color=colors[name], lw=1, density=True, label=name)
    ax[3].axvline(float(p.w_ee / nS), color="k", lw=0.5, ls=":")
    ax[3].set(yscale="log", xlabel="E->E weight w (nS)", ylabel="density",
              title="final E->E weights (dotted: initial)")
    return fig


def _colors(names) -> dict:
    import matplotlib

    fixed = {"none": COLORS["without"], "istdp": COLORS["block"], "global": COLORS["boost"]}
    scaling = [n for n in names if n not in fixed and not n.startswith("sensor")]
    sensor = [n for n in names if n.startswith("sensor")]
    out = {n: fixed[n] for n in names if n in fixed}
    blues, purples = matplotlib.colormaps["Blues"], matplotlib.colormaps["Purples"]
    out.update({n: blues(0.45 + 0.5 * k / max(1, len(scaling) - 1)) for k, n in enumerate(scaling)})
    out.update({n: purples(0.45 + 0.5 * k / max(1, len(sensor) - 1)) for k, n in enumerate(sensor)})
    return out
