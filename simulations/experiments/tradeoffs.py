"""Trade-offs: every homeostatic configuration against every perturbation, on one E/I network.

One recurrent network of conductance-based LIF neurons (E and I, as in ``hebbian-stability``)
reads Poisson inputs that encode stimulus patterns: each trial (``trial`` long) shows one
of ``n_patterns`` patterns, in which half of the inputs fire at ``nu_high`` and the others at
``nu_low``. A *configuration* adds homeostatic mechanisms to the E neurons; each runs a
settling period and a baseline once, then every *perturbation* from that same state:

``blockade``
    every input rate times ``1 - blockade_fraction`` (TTX, Turrigiano et al. 1998);
``overdrive``
    every input rate times ``1 + overdrive_gain`` (bicuculline's disinhibition);
``lesion``
    a random ``lesion_fraction`` of the inputs silenced for good (deafferentation);
``correlation``
    every input rate multiplied by ``1 + correlation * x(t)``, with ``x`` one shared white
    signal in 10 ms steps: the inputs' mean is kept, their correlation raised;
``hebbian``
    triplet STDP switched on on E->E (rule and threshold of ``hebbian-stability``),
    learning rate times ``hebbian_gain``.

Perturbations are run-time variables of one structure: the input gain, a per-input
``alive`` flag, the shared signal's amplitude and the STDP gate, set after the stored
baseline state is restored. Metrics (:mod:`homeostasis.analysis.tradeoffs`) come from
sensors independent of the mechanisms: the E rate counted from spikes in bins of
``rate_bin``, a logistic-regression decoder of the pattern from each trial's E spike
counts, cross-validated on held-out trials of the baseline and of the last ``window`` of
the run, and the excitatory weights onto each E neuron read from the synapses (the
transmitted ones, ``w_eff``, where scaling multiplies them).
"""
from __future__ import annotations

import re

import numpy as np
from brian2 import (BrianLogger, Hz, NeuronGroup, SpikeMonitor, TimedArray, defaultclock, mV, ms, nS, pA,
                    second)
from tqdm import tqdm

from homeostasis import AdaptiveThreshold, GlobalHomeostasis, InhibitoryPool, InhibitorySTDP, SynapticScaling
from homeostasis.analysis import binned_rates, usage_cv, window_rates
from homeostasis.ann.battery import ANN_PERTURBATIONS, battery
from homeostasis.analysis.stability import population_rate
from homeostasis.analysis.tradeoffs import (active_fraction, decoder_accuracy, initial_deviation, overshoot,
                                            recovery_time, residual_error, spike_cost, weight_correlation)
from homeostasis.models import Circuit, ConductanceLIF
from homeostasis.models.hebbian import TripletSTDP

from ..backend import run_network, simulation
from ..registry import Param, Result, experiment
from ..style import figure

__all__ = ["CONFIGURATIONS", "PERTURBATIONS", "parse_configuration", "simulate_configuration",
           "perturbation_metrics", "table"]

#: Single mechanisms by name, each with the scale it acts at (pairs join two of different scales).
CONFIGURATIONS = {"none": None, "threshold": "neuron", "scaling": "synapse", "pool": "layer", "istdp": "network",
                  "global": "network"}
PERTURBATIONS = ("blockade", "overdrive", "lesion", "correlation", "hebbian")
#: Strength parameter of each perturbation and its allowed open/closed range.
STRENGTHS = {"blockade": ("blockade_fraction", 0.0, 1.0), "overdrive": ("overdrive_gain", 0.0, 10.0),
             "lesion": ("lesion_fraction", 0.0, 1.0), "correlation": ("correlation", 0.0, 2.0),
             "hebbian": ("hebbian_gain", 0.0, 20.0)}
#: The network (hebbian-stability's weights; 40 E and 10 I recurrent inputs per E neuron).
NETWORK = dict(w_ee=0.3 * nS, w_ei=1.0 * nS, w_ie=4.0 * nS, w_ii=3.0 * nS, I_drive=40 * pA, w_max=1.5 * nS,
               A2_minus=0.015 * nS, theta=1.25 * Hz)
_NAME = re.compile(r"[a-z]+(\+[a-z]+)?")


def parse_configuration(name: str) -> tuple:
    """The mechanism names of a configuration: ``"none"``, one name, or two of different scales joined by ``+``.

    Examples
    --------
    >>> parse_configuration("threshold+scaling")
    ('threshold', 'scaling')
    >>> parse_configuration("istdp+global")
    Traceback (most recent call last):
    ...
    ValueError: configuration 'istdp+global' joins two mechanisms of one scale (network): a pair joins different scales
    """
    text = str(name).strip()
    if text == "intrinsic":
        raise ValueError("configuration 'intrinsic': IntrinsicPlasticity (Triesch's rule) needs a sigmoid rate "
                         "neuron, not this conductance LIF network; 'threshold' is its spiking form")
    parts = tuple(text.split("+"))
    if not _NAME.fullmatch(text) or any(p not in CONFIGURATIONS for p in parts):
        raise ValueError(f"unknown configuration {name!r}: use one of {', '.join(CONFIGURATIONS)} or a pair "
                         f"like threshold+scaling")
    if len(parts) == 2:
        if "none" in parts or parts[0] == parts[1]:
            raise ValueError(f"configuration {name!r}: a pair joins two different mechanisms other than none")
        if CONFIGURATIONS[parts[0]] == CONFIGURATIONS[parts[1]]:
            raise ValueError(f"configuration {name!r} joins two mechanisms of one scale "
                             f"({CONFIGURATIONS[parts[0]]}): a pair joins different scales")
    return () if parts == ("none",) else parts


def _names(text: str, kind: str, check) -> list:
    names = [v.strip() for v in str(text).split(",") if v.strip()]
    if not names:
        raise ValueError(f"{kind} must name at least one")
    if len(set(names)) != len(names):
        raise ValueError(f"{kind} names one twice: {text!r}")
    for name in names:
        check(name)
    return names


def _check_perturbation(name: str):
    if name not in PERTURBATIONS:
        raise ValueError(f"unknown perturbation {name!r}: use {', '.join(PERTURBATIONS)}")


def check_strengths(strengths: dict):
    """Each perturbation strength within its range (a one-line ``ValueError`` otherwise)."""
    for key, lo, hi in STRENGTHS.values():
        value = float(strengths[key])
        if not (np.isfinite(value) and lo < value and (value < hi if key.endswith("fraction") else value <= hi)):
            closing = ")" if key.endswith("fraction") else "]"
            raise ValueError(f"{key} must lie in ({lo:g}, {hi:g}{closing}, got {value:g}")


def _mechanisms(parts, target_rate, tau_r, tau_scaling, eta_threshold, eta_istdp, tau_global,
                target_active_fraction) -> list:
    make = {
        "threshold": lambda: AdaptiveThreshold(target_rate=target_rate, eta_threshold=eta_threshold, tau_r=tau_r),
        "scaling": lambda: SynapticScaling(target_rate=target_rate, tau_scaling=tau_scaling, tau_r=tau_r),
        "pool": lambda: InhibitoryPool(target_active_fraction=target_active_fraction, w_in=1 * nS, w_out=0.5 * nS,
                                       active_rate=target_rate, tau_r=tau_r),
        "istdp": lambda: InhibitorySTDP(target_rate=target_rate, eta=eta_istdp),
        "global": lambda: GlobalHomeostasis(target_rate=target_rate, tau_global=tau_global, tau_r=tau_r),
    }
    return [make[p]() for p in parts]


def _input_schedule(n_in, n_patterns, trial, duration, nu_low, nu_high, rng):
    """Pattern labels per trial, the (trials, inputs) rate table (Hz) and the patterns."""
    n_trials = int(np.ceil(float(duration / trial))) + 1
    patterns = np.zeros((n_patterns, n_in))
    for k in range(n_patterns):
        patterns[k, rng.permutation(n_in)[: n_in // 2]] = 1.0
    # shuffled blocks of every pattern once: any window of whole blocks is balanced
    labels = np.concatenate([rng.permutation(n_patterns) for _ in range(n_trials // n_patterns + 1)])[:n_trials]
    rates = float(nu_low / Hz) + float((nu_high - nu_low) / Hz) * patterns[labels]
    return labels, rates, patterns


def simulate_configuration(configuration="none", perturbations=PERTURBATIONS, strengths=None, target_rate=5 * Hz,
                           tau_r=500 * ms, tau_scaling=1.5 * second, eta_threshold=1 * mV, eta_istdp=1.5 * nS,
                           tau_global=2 * second, target_active_fraction=0.4, n_e=200, n_i=50, n_in=200, p=0.2,
                           p_in=0.2, w_in=0.5 * nS, weight_spread=0.8, nu_low=4 * Hz, nu_high=16 * Hz, n_patterns=4,
                           trial=100 * ms, settle=4 * second, baseline=4 * second, perturb=10 * second,
                           dt=0.25 * ms, seed=0, backend="numpy", progress=False) -> dict:
    """Run one configuration: settle and baseline once, then each perturbation from the stored state.

    ``configuration`` is a name (:func:`parse_configuration`) or a sequence of mechanism
    objects of your own, composed with the E neurons as the named ones are.

    Returns
    -------
    dict
        ``t_perturb`` (s), ``labels`` (pattern of each trial), ``trial`` (s), and per
        perturbation name a dict with ``spike_t``, ``spike_i`` (E spikes over the whole
        run, baseline included), ``w_before``, ``w_after`` (excitatory weights onto E,
        transmitted, nS) and ``w_post`` (each weight's target neuron).
    """
    if backend == "cpp_standalone":
        raise ValueError("tradeoffs restores a stored state between perturbations: use the numpy or cython backend")
    if isinstance(configuration, str):
        parts, label = parse_configuration(configuration), configuration.replace("+", "_")
        components = _mechanisms(parts, target_rate, tau_r, tau_scaling, eta_threshold, eta_istdp, tau_global,
                                 target_active_fraction)
    else:  # the user's own mechanism objects
        components, label = list(configuration), "custom"
    for name in perturbations:
        _check_perturbation(name)
    strengths = {**default_strengths(), **(strengths or {})}
    check_strengths(strengths)
    rng = np.random.default_rng(seed)
    t_perturb = settle + baseline
    labels, table_hz, _ = _input_schedule(n_in, n_patterns, trial, t_perturb + perturb, nu_low, nu_high, rng)
    common = rng.standard_normal(int(np.ceil(float((t_perturb + perturb) / (10 * ms)))) + 1)
    lesioned = rng.permutation(n_in)[: int(round(strengths["lesion_fraction"] * n_in))]
    hebb = TripletSTDP.from_threshold(NETWORK["theta"], A2_minus=NETWORK["A2_minus"] * strengths["hebbian_gain"],
                                      w_max=NETWORK["w_max"], gate="hebbian_on")
    name = f"to_{label}"
    previous_dt = defaultclock.dt
    out = {"t_perturb": float(t_perturb / second), "labels": labels, "trial": float(trial / second)}
    with simulation(backend, seed=seed, project=name):
        defaultclock.dt = dt
        model = ConductanceLIF()
        c = Circuit(name)
        # Poisson inputs whose rates the perturbations change at run time: a common gain, a
        # per-input flag for the lesion, and the amplitude of one shared signal
        inp = c.add(NeuronGroup(n_in, """
                                gain : 1 (shared)
                                corr : 1 (shared)
                                alive : 1
                                """,
                                threshold="rand() < stim(t, i) * gain * alive * clip(1 + corr * common(t), 0, inf) * dt",
                                namespace={"stim": TimedArray(table_hz * Hz, dt=trial),
                                           "common": TimedArray(common, dt=10 * ms)}, name=f"{name}_inp"))
        inp.gain, inp.alive, inp.corr = 1.0, 1.0, 0.0
        v0 = "E_L + rand() * (V_th - E_L)"
        traces = list(hebb.traces)
        E = c.population("E", model, n_e, components, traces=traces, I_ext=NETWORK["I_drive"], v=v0)
        I = c.population("I", model, n_i, traces=[t for comp in components for t in getattr(comp, "traces", ())],
                         I_ext=0 * pA, v=v0)
        # lognormal input weights of mean w_in: relative weights the metrics can see kept or lost
        s = float(weight_spread)
        w_expr = f"w_in * exp({s} * randn() - {s * s / 2})"
        IN = c.connect(inp, E, "exc", w_expr, p=p_in, namespace={"w_in": w_in}, name=f"{name}_in_e")
        c.connect(inp, I, "exc", w_in, p=p_in)
        EE = c.connect(E, E, "exc", NETWORK["w_ee"], p=p, condition="i != j", plasticity=(hebb,),
                       model="hebbian_on : 1 (shared)", name=f"{name}_e_e")
        EE.hebbian_on = 0.0
        c.connect(E, I, "exc", NETWORK["w_ei"], p=p)
        c.connect(I, E, "inh", NETWORK["w_ie"], p=p)
        c.connect(I, I, "inh", NETWORK["w_ii"], p=p)
        spikes = c.add(SpikeMonitor(E, name=f"{name}_spikes"))
        net = c.network()
        BrianLogger.suppress_name("resolution_conflict")
        run_network(net, t_perturb, progress=False, namespace={})
        w_before = _weights(IN, EE)
        net.store("baseline")
        for pert in tqdm(perturbations, desc=f"tradeoffs {label}", disable=not progress, leave=False):
            net.restore("baseline")
            inp.gain = {"blockade": 1 - strengths["blockade_fraction"],
                        "overdrive": 1 + strengths["overdrive_gain"]}.get(pert, 1.0)
            alive = np.ones(n_in)
            if pert == "lesion":
                alive[lesioned] = 0.0
            inp.alive = alive
            inp.corr = strengths["correlation"] if pert == "correlation" else 0.0
            EE.hebbian_on = 1.0 if pert == "hebbian" else 0.0
            run_network(net, perturb, progress=False, namespace={})
            out[pert] = {"spike_t": np.asarray(spikes.t / second), "spike_i": np.asarray(spikes.i),
                         "w_before": w_before[0], "w_after": _weights(IN, EE)[0], "w_post": w_before[1]}
    defaultclock.dt = previous_dt
    out["T"] = float((t_perturb + perturb) / second)
    out["baseline_start"] = float(settle / second)
    out["n_e"] = n_e
    out["active_rate_hz"], out["tau_r"] = float(target_rate / Hz), float(tau_r / second)
    return out


def _weights(IN, EE) -> tuple:
    """Transmitted excitatory weights onto E (input and recurrent, nS) and each one's target neuron."""
    def eff(S):
        return np.asarray((S.w_eff[:] if "w_eff" in S.variables else S.w[:]) / nS)
    return (np.concatenate([eff(IN), eff(EE)]), np.concatenate([np.asarray(IN.j[:]), np.asarray(EE.j[:])]))


def default_strengths() -> dict:
    return {"blockade_fraction": 0.5, "overdrive_gain": 1.0, "lesion_fraction": 1 / 3, "correlation": 0.5,
            "hebbian_gain": 1.0}


def _trial_counts(spike_t, spike_i, n_e, trial, start, stop):
    """(trials, neurons) spike counts of the whole trials inside ``[start, stop)`` and their trial indices."""
    first, last = int(np.ceil(start / trial - 1e-9)), int(np.floor(stop / trial + 1e-9))
    k = np.floor(np.asarray(spike_t) / trial + 1e-12).astype(int)
    sel = (k >= first) & (k < last)
    counts = np.zeros((last - first, n_e))
    np.add.at(counts, (k[sel] - first, np.asarray(spike_i)[sel]), 1)
    return counts, np.arange(first, last)


def perturbation_metrics(sim: dict, name: str, rate_bin: float, window: float, tolerance: float = 0.1,
                         seed: int = 0) -> dict:
    """The battery's metrics of one perturbation run of :func:`simulate_configuration`."""
    run, n_e, tp, T, trial = sim[name], sim["n_e"], sim["t_perturb"], sim["T"], sim["trial"]
    starts, rate = population_rate(run["spike_t"], run["spike_i"], n_e, T, rate_bin)
    t = starts + rate_bin  # a bin's rate is known at its end
    base_sel = (starts >= tp - window - 1e-9) & (t <= tp + 1e-9)
    baseline = float(rate[base_sel].mean())
    after_t, after_r = t[t > tp + 1e-9], rate[t > tp + 1e-9]
    counts_b, idx_b = _trial_counts(run["spike_t"], run["spike_i"], n_e, trial, tp - window, tp)
    counts_a, idx_a = _trial_counts(run["spike_t"], run["spike_i"], n_e, trial, T - window, T)
    labels = sim["labels"]
    folds = int(min(5, np.bincount(labels[idx_b]).min(), np.bincount(labels[idx_a]).min()))
    rates_end = window_rates(run["spike_t"], run["spike_i"], n_e, T - window, T)
    out = {
        "baseline_rate_hz": baseline,
        "rate_final_hz": float(rates_end.mean()),
        "deviation_initial": None, "recovery_time_s": None, "residual_error": None, "overshoot": None, "spike_cost": None,
    }
    if baseline > 0:
        out.update(deviation_initial=initial_deviation(after_t, after_r, baseline, tp, window),
                   recovery_time_s=recovery_time(after_t, after_r, baseline, tp, tolerance),
                   residual_error=residual_error(after_t, after_r, baseline, window),
                   overshoot=overshoot(after_t, after_r, baseline, tp, window=window),
                   spike_cost=spike_cost(after_t, after_r, baseline, tp))
    out["discrimination_before"] = decoder_accuracy(counts_b, labels[idx_b], folds=max(folds, 2), seed=seed)
    out["discrimination_after"] = decoder_accuracy(counts_a, labels[idx_a], folds=max(folds, 2), seed=seed)
    out["weight_correlation"] = weight_correlation(run["w_before"], run["w_after"], groups=run["w_post"])
    out["usage_cv"] = float(usage_cv(rates_end[None, :]))
    # the pool's quantity, counted from spikes in bins of the rate trace's time constant
    width, level = sim.get("tau_r", 0.5), sim.get("active_rate_hz", 5.0)
    for key, start, stop in (("active_fraction_before", tp - window, tp), ("active_fraction_after", T - window, T)):
        out[key] = active_fraction(binned_rates(run["spike_t"], run["spike_i"], n_e, start, stop, width), level)
    return out


METRICS = ("recovery_time_s", "residual_error", "overshoot", "discrimination_before", "discrimination_after",
           "weight_correlation", "spike_cost", "usage_cv", "active_fraction_before", "active_fraction_after")


def table(metrics: dict, configurations, perturbations, chance: float) -> str:
    """The matrix as Markdown: one block of rows per perturbation, one column per metric."""
    head = "| configuration | " + " | ".join(METRICS) + " |"
    lines = []
    for pert in perturbations:
        lines += [f"\n### {pert}\n", head, "|" + "---|" * (len(METRICS) + 1)]
        for conf in configurations:
            m = metrics[conf][pert]
            cells = ["never" if (k == "recovery_time_s" and m[k] is None) else
                     ("-" if m[k] is None else f"{m[k]:.3g}") for k in METRICS]
            lines.append(f"| {conf} | " + " | ".join(cells) + " |")
    return (f"# tradeoffs: configurations x perturbations\n\nDecoder chance level: {chance:.3g}. "
            "recovery_time_s: seconds after the perturbation until the E rate stays within 10 % of its "
            "baseline; never = not by the end.\n" + "\n".join(lines) + "\n")


@experiment(
    "tradeoffs",
    "Every homeostatic configuration against every perturbation on one E/I network: recovery, coding, cost.",
    required_metrics=[f"{{configurations}}.{{perturbations}}.{k}" for k in METRICS],
    params=[
        Param("configurations", "none,threshold,scaling,pool,istdp,global,threshold+scaling,scaling+istdp,"
                                "scaling+global", None,
              "comma-separated: none, threshold, scaling, pool, istdp, global, or a pair of two scales (a+b)",
              quick="none,scaling"),
        Param("perturbations", ",".join(PERTURBATIONS), None, f"comma-separated, of {', '.join(PERTURBATIONS)}",
              quick="blockade,hebbian"),
        Param("blockade_fraction", 0.5, "1", "blockade: fraction of the input rate removed, in (0, 1)"),
        Param("overdrive_gain", 1.0, "1", "overdrive: input rates times 1 + this, in (0, 10]"),
        Param("lesion_fraction", 1 / 3, "1", "lesion: fraction of inputs silenced, in (0, 1)"),
        Param("correlation", 0.5, "1", "correlation: amplitude of the shared rate modulation, in (0, 2]"),
        Param("hebbian_gain", 1.0, "1", "hebbian: E->E triplet STDP learning rate times this, in (0, 20]"),
        Param("target_rate", 5 * Hz, "Hz", "set-point rate of every mechanism"),
        Param("tau_r", 500 * ms, "ms", "time constant of the rate trace every mechanism reads"),
        Param("tau_scaling", 1.5 * second, "second", "time constant of synaptic scaling"),
        Param("eta_threshold", 1 * mV, "mV", "threshold change per excess spike (AdaptiveThreshold)"),
        Param("eta", 1.5 * nS, "nS", "learning rate of inhibitory STDP"),
        Param("tau_global", 2 * second, "second", "time constant of the global inhibitory gain"),
        Param("target_active_fraction", 0.4, "1", "set point of InhibitoryPool's active fraction"),
        Param("n_e", 200, None, "excitatory neurons"),
        Param("n_i", 50, None, "inhibitory neurons"),
        Param("n_in", 200, None, "Poisson input units"),
        Param("settle", 4 * second, "second", "settling time before the baseline (not judged)", quick=1 * second),
        Param("baseline", 4 * second, "second", "baseline window (rate, decoder) before the perturbation",
              quick=2 * second),
        Param("perturb", 10 * second, "second", "time after the perturbation's onset", quick=3 * second),
        Param("rate_bin", 1 * second, "second", "bin of the counted population rate (and the time resolution of recovery)"),
        Param("dt", 0.25 * ms, "ms", "integration time step", quick=0.5 * ms),
        Param("ann_methods", "none,batch,layer,weight,selu,ssn,ip,divisive,global", None,
              "ANN counterpart: comma-separated methods of homeostasis.ann.METHODS, or 'skip'", quick="none,ssn"),
        Param("ann_steps", 1500, None, "training steps of each ANN before its inputs are perturbed", quick=300),
    ],
)
def tradeoffs(p, ctx) -> Result:
    configs = _names(p.configurations, "configurations", parse_configuration)
    perts = _names(p.perturbations, "perturbations", _check_perturbation)
    _ann_names(p.ann_methods)
    strengths = {key: float(p[key]) for key, _, _ in STRENGTHS.values()}
    check_strengths(strengths)
    if float(p.baseline / p.rate_bin) < 2 or p.perturb <= p.baseline:
        raise ValueError("baseline must hold at least two rate bins and perturb must be longer than baseline")
    common = dict(strengths=strengths, target_rate=p.target_rate, tau_r=p.tau_r, tau_scaling=p.tau_scaling,
                  eta_threshold=p.eta_threshold, eta_istdp=p.eta, tau_global=p.tau_global,
                  target_active_fraction=p.target_active_fraction, n_e=p.n_e, n_i=p.n_i, n_in=p.n_in,
                  settle=p.settle, baseline=p.baseline, perturb=p.perturb, dt=p.dt, seed=ctx.seed,
                  backend=ctx.backend)
    metrics, data = {}, {}
    rate_bin, window = float(p.rate_bin / second), float(p.baseline / second)
    for conf in tqdm(configs, desc="tradeoffs", disable=not ctx.progress):
        sim = simulate_configuration(conf, perts, **common)
        metrics[conf] = {pert: perturbation_metrics(sim, pert, rate_bin, window, seed=ctx.seed) for pert in perts}
        for pert in perts:
            t, r = population_rate(sim[pert]["spike_t"], sim[pert]["spike_i"], sim["n_e"], sim["T"], rate_bin)
            data[f"rate_{conf}_{pert}"] = r
        data["t"] = t
    ann = _ann_names(p.ann_methods)
    ann_perts = {q: strengths[STRENGTHS[q][0]] for q in perts if q in ANN_PERTURBATIONS}
    if ann and ann_perts:
        metrics["ann"] = {}
        for method in tqdm(ann, desc="tradeoffs ANN", disable=not ctx.progress):
            result = battery(method, ann_perts, steps=int(p.ann_steps), seed=ctx.seed)
            metrics["ann"][method] = {q: {k: v for k, v in r.items() if k not in ("steps", "activation")}
                                      for q, r in result.items()}
            for q, r in result.items():
                data[f"ann_activation_{method}_{q}"] = np.asarray(r["activation"])
    chance = 1.0 / 4
    metrics.update({"target_rate_hz": float(p.target_rate / Hz), "t_perturb_s": float((p.settle + p.baseline) / second),
                    "chance_accuracy": chance, "strengths": strengths})
    fig = _figure(metrics, configs, perts, data, float((p.settle + p.baseline) / second))
    text = table(metrics, configs, perts, chance)
    if "ann" in metrics:
        text += ann_table(metrics["ann"])
    return Result(metrics, data, fig, extra_files={"table.md": text})


def _ann_names(text: str) -> list:
    from homeostasis.ann import METHODS

    if str(text).strip() == "skip":
        return []

    def check(name):
        if name not in METHODS:
            raise ValueError(f"unknown ANN method {name!r}: use {', '.join(METHODS)} or 'skip'")
    return _names(text, "ann_methods", check)


ANN_METRICS = ("recovery_steps", "residual_error", "overshoot", "discrimination_before", "discrimination_after",
               "readout_accuracy_after", "spike_cost", "usage_cv")


def ann_table(ann: dict) -> str:
    """The ANN counterpart's matrix as Markdown."""
    head = "| method | " + " | ".join(ANN_METRICS) + " |"
    lines = ["\n## ANN counterpart (digits MLP; weights frozen, normalization state adapts)\n"]
    perts = list(next(iter(ann.values())))
    for pert in perts:
        lines += [f"\n### {pert}\n", head, "|" + "---|" * (len(ANN_METRICS) + 1)]
        for method, rows in ann.items():
            m = rows[pert]
            cells = ["never" if (k == "recovery_steps" and m[k] is None) else f"{m[k]:.3g}" for k in ANN_METRICS]
            lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _figure(metrics, configs, perts, data, t_perturb):
    shown = [("recovery_time_s", "recovery time (s; x = never)", "viridis_r"),
             ("residual_error", "residual error", "magma_r"),
             ("overshoot", "overshoot", "magma_r"),
             ("discrimination_after", "decoder accuracy after", "viridis"),
             ("weight_correlation", "weight correlation", "viridis"),
             ("spike_cost", "spike cost", "coolwarm")]
    fig, ax = figure(4, nrows=2, width=2.2 * len(perts) + 6, height=0.35 * len(configs) + 1.6,
                     title="tradeoffs: each configuration (rows) against each perturbation (columns)")
    for a, (key, label, cmap) in zip(ax, shown):
        values = np.array([[np.nan if metrics[c][q][key] is None else metrics[c][q][key] for q in perts]
                           for c in configs], float)
        im = a.imshow(values, cmap=cmap, aspect="auto")
        for i, c in enumerate(configs):
            for j, q in enumerate(perts):
                v = metrics[c][q][key]
                a.text(j, i, "x" if v is None else f"{v:.2g}", ha="center", va="center", fontsize=5)
        a.set_xticks(range(len(perts)), perts, rotation=45, fontsize=6)
        a.set_yticks(range(len(configs)), configs, fontsize=6)
        a.set_title(label, fontsize=7)
        fig.colorbar(im, ax=a, shrink=0.7)
    if "ann" in metrics:
        methods = list(metrics["ann"])
        ann_perts = list(metrics["ann"][methods[0]])
        values = np.array([[metrics["ann"][m][q]["residual_error"] for q in ann_perts] for m in methods])
        a = ax[len(shown)]
        im = a.imshow(values, cmap="magma_r", aspect="auto")
        for i in range(len(methods)):
            for j in range(len(ann_perts)):
                a.text(j, i, f"{values[i, j]:.2g}", ha="center", va="center", fontsize=5)
        a.set_xticks(range(len(ann_perts)), ann_perts, rotation=45, fontsize=6)
        a.set_yticks(range(len(methods)), methods, fontsize=6)
        a.set_title("ANN: residual error of mean activation", fontsize=7)
        fig.colorbar(im, ax=a, shrink=0.7)
    else:
        ax[len(shown)].set_axis_off()
    a = ax[-1]
    t = data["t"]
    for c in configs:
        a.plot(t, data[f"rate_{c}_{perts[0]}"], lw=0.8, label=c)
    a.axvline(t_perturb, color="k", ls=":", lw=0.8)
    a.set(xlabel="time (s)", ylabel="mean E rate (Hz)", title=f"rate under {perts[0]}")
    a.legend(frameon=False, fontsize=5)
    return fig


def aggregate(store) -> tuple:
    """Mean +- std over seeds of a ``homeostasis sweep tradeoffs`` store: ``(summary dict, Markdown table)``.

    ``store`` is the sweep's ``OUT/tradeoffs`` directory. Every point's ``metrics.json`` is
    read; a configuration run at several grid points with the same seed (another strength)
    is kept apart by its point's name. ``recovery_time_s`` averages the runs that recovered
    and counts those that did not (``never k/n``).
    """
    import json
    from pathlib import Path

    rows = {}
    for path in sorted(Path(store).glob("points/*/seed-*/tradeoffs/metrics.json")):
        m = json.loads(path.read_text())
        point = path.parents[2].name
        _rate_metrics_from_data(m, path.with_name("data.npz"))
        for conf, perts in m.items():
            if not isinstance(perts, dict) or conf == "ann" or conf == "strengths":
                continue
            for pert, values in perts.items():
                if not isinstance(values, dict) or "spike_cost" not in values:
                    continue
                key = (_grid_rest(point), conf, pert)
                for metric in METRICS:  # a store from before a metric existed has none of it
                    rows.setdefault(key, {}).setdefault(metric, []).append(values.get(metric))
    summary = {}
    for (rest, conf, pert), metrics in rows.items():
        entry = {}
        for metric in METRICS:
            values = metrics[metric]
            known = np.array([v for v in values if v is not None], float)
            entry[metric] = {"mean": float(known.mean()) if known.size else None,
                             "std": float(known.std()) if known.size else None, "n": len(values),
                             "missing": len(values) - int(known.size)}
        summary.setdefault(rest, {}).setdefault(conf, {})[pert] = entry
    lines = []
    for rest, confs in summary.items():
        perts = [q for q in PERTURBATIONS if any(q in v for v in confs.values())]
        lines.append(f"Point: `{rest}`; mean ± std over seeds (n = number of seeds).\n")
        for metric in METRICS:
            lines += [f"\n**{metric}**\n", "| configuration | " + " | ".join(perts) + " |",
                      "|---|" + "---|" * len(perts)]
            for conf, by_pert in sorted(confs.items(), key=lambda kv: _config_order(kv[0])):
                cells = []
                for q in perts:
                    e = by_pert.get(q, {}).get(metric)
                    if e is None:
                        cells.append("")
                        continue
                    text = f"{e['mean']:.3g} ± {e['std']:.2g}" if e["mean"] is not None else "-"
                    if metric == "recovery_time_s" and e["missing"]:
                        text = f"never {e['missing']}/{e['n']}" + (f"; {text}" if e["mean"] is not None else "")
                    cells.append(text + (f" (n={e['n']})" if metric == "residual_error" else ""))
                lines.append(f"| {conf} | " + " | ".join(cells) + " |")
    return summary, "\n".join(lines) + "\n"


def _rate_metrics_from_data(m: dict, data_file):
    """Recompute the rate metrics of a stored point from its binned rates (``data.npz``) with this code.

    A store written by an older version of the metrics is then read with the current ones;
    decoder, weight and usage metrics need the spikes and are kept as stored.
    """
    from pathlib import Path

    if not Path(data_file).exists():
        return
    data = np.load(data_file)
    tp = float(m["t_perturb_s"])
    width = float(str(m["params"]["rate_bin"]).split()[0])
    window = float(str(m["params"]["baseline"]).split()[0])
    t = data["t"] + width  # bin ends
    for key in data.files:
        match = re.fullmatch(r"rate_(.+)_(blockade|overdrive|lesion|correlation|hebbian)", key)
        if not match:
            continue
        conf = next((c for c in m if match.group(1) in (c, c.replace("+", "_"))), None)  # data keys keep the "+"
        if conf is None:
            continue
        rate = data[key]
        base = float(rate[(t - width >= tp - window - 1e-9) & (t <= tp + 1e-9)].mean())
        after = t > tp + 1e-9
        if base > 0:
            m[conf][match.group(2)].update(
                recovery_time_s=recovery_time(t[after], rate[after], base, tp),
                residual_error=residual_error(t[after], rate[after], base, window),
                overshoot=overshoot(t[after], rate[after], base, tp, window=window),
                spike_cost=spike_cost(t[after], rate[after], base, tp))


def _config_order(name: str) -> tuple:
    parts = name.split("+")
    return (len(parts), [list(CONFIGURATIONS).index(p) if p in CONFIGURATIONS else 99 for p in parts])


def _grid_rest(point: str) -> str:
    """The grid point's name without its configuration (several configurations make one matrix)."""
    parts = [p for p in point.split(",") if not p.startswith("configurations=")]
    return ",".join(parts) or "default"
