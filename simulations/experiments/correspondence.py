"""The four-scale correspondence measured side by side, with the same metric names on both sides.

At each scale one perturbation is applied to the biological mechanism (Brian2) and to its
deep-learning counterpart (numpy), and the shared invariant is measured the same way:

========  ===================================  =========================================
scale     perturbation                         metrics (``SCALE.bio.*`` = ``SCALE.ann.*``)
========  ===================================  =========================================
neuron    tenfold spread of unit drives        ``mean_dispersion_{without,with}``, ``spread_dispersion_{without,with}``
synapse   input activity cut to a third        ``direction_cosine``, ``length_ratio``, ``activity_recovery``
layer     common tenfold input gain            ``gain_invariance``, ``pattern_correlation``
network   drive step (bio) / input x3 (ann)    ``deviation_at_perturbation``, ``setpoint_error``
========  ===================================  =========================================

The bio side is spiking or rate Brian2 simulations from the other experiments; the ANN side
is batch normalization, synaptic scaling normalization (the bio-inspired synapse-scale ANN
method; weight normalization shares its invariant by construction, direction and length
being separate parameters), layer normalization, and a SELU network.
"""
from __future__ import annotations

import numpy as np
from brian2 import Hz, mV, ms, second

from homeostasis.analysis import binned_rates, dispersion, gain_invariance, multiplicativity, pairs, pattern_correlation
from homeostasis.ann import SELU, BatchNorm, LayerNorm, Linear, ReLU, SynapticScalingNorm

from ..registry import Param, Result, experiment
from ..style import COLORS, figure
from .intrinsic_plasticity import simulate_spiking_ip
from .lateral_inhibition import simulate_divisive
from .network_homeostasis import simulate_network
from .synaptic_scaling import simulate_scaling

__all__ = ["ann_neuron", "ann_synapse", "ann_layer", "ann_network"]


def _cosines(a, b):
    return np.sum(a * b, axis=0) / (np.linalg.norm(a, axis=0) * np.linalg.norm(b, axis=0))


def _before_after(without, with_) -> dict:
    a, b = dispersion(without), dispersion(with_)
    return {"mean_dispersion_without": a["mean_dispersion"], "mean_dispersion_with": b["mean_dispersion"],
            "spread_dispersion_without": a["spread_dispersion"], "spread_dispersion_with": b["spread_dispersion"]}


def ann_neuron(rng, n_units=50, n_samples=2000) -> dict:
    """Units with a tenfold spread of input scale, through ReLU with and without batch norm."""
    scale = np.linspace(0.2, 2.0, n_units)
    x = scale * (0.5 + rng.normal(size=(n_samples, n_units)))
    without = ReLU().forward(x)
    with_bn = ReLU().forward(BatchNorm(n_units).forward(x, training=True))
    return _before_after(without, with_bn)


def _binned(sim, start, stop, n_units) -> np.ndarray:
    return binned_rates(sim["spike_t"], sim["spike_i"], n_units, start, stop, width=0.5)


def ann_synapse(rng, n_in=100, n_out=20, steps=3000) -> dict:
    """An SSN layer at its set point, then its input activity cut to a third."""
    layer = SynapticScalingNorm(n_in, n_out, rng, max_step=0.01)
    layer.params["w"] = np.abs(layer.params["w"])  # excitatory inputs, as in the biology
    drive = lambda factor: factor * np.abs(rng.normal(1.0, 0.5, (20, n_in)))  # noqa: E731
    for _ in range(steps):
        layer.forward(drive(1.0), training=True)
    before_w, before_act = layer.params["w"].copy(), np.sqrt(layer.activity).mean()
    for _ in range(steps):
        layer.forward(drive(1 / 3), training=True)
    after_w = layer.params["w"]
    return {"direction_cosine": float(_cosines(before_w, after_w).mean()),
            "length_ratio": float(multiplicativity(np.sort(before_w.ravel()), np.sort(after_w.ravel()))["factor"]),
            "activity_recovery": float(np.sqrt(layer.activity).mean() / before_act)}


def ann_layer(rng, n_units=50) -> dict:
    """Layer norm + ReLU on one input pattern and on ten times that pattern."""
    pattern = rng.uniform(0.1, 1.0, (1, n_units))
    ln = LayerNorm(n_units)
    low, high = ReLU().forward(ln.forward(pattern)), ReLU().forward(ln.forward(10 * pattern))
    return {"gain_invariance": gain_invariance(low, high), "pattern_correlation": pattern_correlation(low, high)}


def ann_network(rng, width=200, depth=12, n_samples=1000, input_scale=3.0) -> dict:
    """A SELU network (LeCun init): activity std after a threefold input perturbation.

    The deviation at the perturbation is measured in the first layer, the set-point error in
    the last: the fixed point (std 1) is restored through depth as the biology restores its
    rate through time.
    """
    x = input_scale * rng.normal(size=(n_samples, width))
    stds = []
    for _ in range(depth):
        x = SELU().forward(Linear(width, width, rng, init="lecun").forward(x))
        stds.append(x.std())
    return {"deviation_at_perturbation": float(abs(stds[0] - 1)), "setpoint_error": float(abs(stds[-1] - 1)),
            "std_by_layer": [float(s) for s in stds]}


@experiment(
    "correspondence",
    "The four scales side by side: each biological mechanism and its deep-learning counterpart under one perturbation.",
    params=[
        Param("target_rate", 5 * Hz, "Hz", "set-point rate of the spiking mechanisms"),
        Param("n_neurons", 30, None, "neurons of the neuron-scale simulation", quick=15),
        Param("duration", 16 * second, "second", "simulated time of the neuron and network scales", quick=8 * second),
    ],
)
def correspondence(p, ctx) -> Result:
    target = float(p.target_rate / Hz)
    rng = ctx.rng
    m = {}
    # neuron
    dur = float(p.duration / second)
    off = simulate_spiking_ip(False, n_neurons=p.n_neurons, duration=p.duration / 2, measure=p.duration / 8,
                              seed=ctx.seed, backend=ctx.backend)
    on = simulate_spiking_ip(True, p.target_rate, 1 * mV, n_neurons=p.n_neurons, duration=p.duration,
                             measure=p.duration / 4, seed=ctx.seed, backend=ctx.backend)
    m["neuron"] = {"bio": _before_after(_binned(off, dur / 2 - dur / 8, dur / 2, p.n_neurons),
                                        _binned(on, dur - dur / 4, dur, p.n_neurons)),
                   "ann": ann_neuron(rng)}
    # synapse
    sim = simulate_scaling(p.target_rate, 1.5 * second, 300 * ms, n_neurons=10, n_inputs=80,
                           input_rates=(10 * Hz, 10 * Hz / 3), phase=p.duration / 2, seed=ctx.seed, backend=ctx.backend)
    T = sim["phase_s"]
    w = [sim["w_pA"][:, int(np.argmin(np.abs(sim["w_t"] - T * k)))] for k in (1, 2)]
    cos = [float(w[0][sim["post"] == j] @ w[1][sim["post"] == j]
                 / (np.linalg.norm(w[0][sim["post"] == j]) * np.linalg.norm(w[1][sim["post"] == j])))
           for j in np.unique(sim["post"])]
    rates = sim["phase_rates"].mean(axis=1)
    m["synapse"] = {"bio": {"direction_cosine": float(np.mean(cos)),
                            "length_ratio": multiplicativity(np.sort(w[0]), np.sort(w[1]))["factor"],
                            "activity_recovery": float(rates[1] / rates[0])},
                    "ann": ann_synapse(rng)}
    # layer
    pattern = rng.uniform(0.1, 1.0, 50)
    low, high = simulate_divisive(pattern, 1.0, backend=ctx.backend), simulate_divisive(pattern, 10.0, backend=ctx.backend)
    m["layer"] = {"bio": {"gain_invariance": gain_invariance(low, high),
                          "pattern_correlation": pattern_correlation(low, high)},
                  "ann": ann_layer(rng)}
    # network
    net = simulate_network("global", p.target_rate, n_e=200, n_i=50, learn=p.duration / 2, perturb=p.duration,
                           drive_factor=1.5, seed=ctx.seed, backend=ctx.backend)
    after = net["t"] >= net["switch_s"]
    m["network"] = {"bio": {"deviation_at_perturbation": float(abs(net["rate"][after][:4].mean() / target - 1)),
                            "setpoint_error": float(abs(net["rate"][-8:].mean() / target - 1))},
                    "ann": {k: v for k, v in ann_network(rng).items() if k != "std_by_layer"}}

    table = pairs()
    lines = ["| scale | metric | bio | ANN | biological mechanisms | deep-learning layers |", "|---|---|---|---|---|---|"]
    for scale in ("neuron", "synapse", "layer", "network"):
        bio_names = ", ".join(c.__name__ for c in table[scale]["bio"])
        ann_names = ", ".join(c.__name__ for c in table[scale]["ann"])
        for k, name in enumerate(m[scale]["bio"]):
            lines.append(f"| {scale if k == 0 else ''} | {name} | {m[scale]['bio'][name]:.3g} | "
                         f"{m[scale]['ann'][name]:.3g} | {bio_names if k == 0 else ''} | {ann_names if k == 0 else ''} |")
    checks = {
        "neuron": ("dispersion of per-unit means falls", lambda d: d["mean_dispersion_with"] < d["mean_dispersion_without"]),
        "synapse": ("direction kept (cosine > 0.99)", lambda d: d["direction_cosine"] > 0.99),
        "layer": ("gain invariance under 0.1", lambda d: d["gain_invariance"] < 0.1),
        "network": ("set-point distance falls", lambda d: d["setpoint_error"] < d["deviation_at_perturbation"]),
    }
    lines += ["", "| scale | shared invariant | bio | ANN |", "|---|---|---|---|"]
    for scale, (text, holds) in checks.items():
        m[scale]["invariant_holds"] = {side: bool(holds(m[scale][side])) for side in ("bio", "ann")}
        lines.append(f"| {scale} | {text} | {'yes' if m[scale]['invariant_holds']['bio'] else 'NO'} | "
                     f"{'yes' if m[scale]['invariant_holds']['ann'] else 'NO'} |")
    table_md = "\n".join(lines) + "\n"

    fig, ax = figure(4, width=10, height=2.4, title="Same invariant, two substrates (bio | ANN)")
    for k, scale in enumerate(("neuron", "synapse", "layer", "network")):
        names = list(m[scale]["bio"])
        x = np.arange(len(names))
        ax[k].bar(x - 0.2, [m[scale]["bio"][n] for n in names], 0.4, color=COLORS["with"], label="bio")
        ax[k].bar(x + 0.2, [m[scale]["ann"][n] for n in names], 0.4, color=COLORS["boost"], label="ANN")
        ax[k].set_xticks(x, [n.replace("_", "\n") for n in names], fontsize=6)
        ax[k].set_title(scale)
    ax[0].legend(frameon=False)
    data = {"network_distance_over_time": np.abs(net["rate"] / target - 1), "network_t": net["t"],
            "selu_distance_over_depth": np.abs(np.asarray(ann_network(np.random.default_rng(ctx.seed))["std_by_layer"]) - 1)}
    return Result(m, data, fig, extra_files={"table.md": table_md})
