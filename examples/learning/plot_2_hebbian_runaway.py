"""
Hebbian runaway, and synaptic scaling that stops it
===================================================

Hebbian plasticity is a positive feedback loop: a stronger excitatory synapse makes its target
fire more, and more firing strengthens the synapse further. Zenke, Hennequin & Gerstner (2013)
showed with triplet STDP in recurrent spiking networks that homeostasis can hold such a network
only if it reacts within seconds, far faster than synaptic scaling is measured to act in cortex.

Here the recurrent E->E synapses of a small E/I network of conductance-based neurons learn by
the minimal triplet rule of Pfister & Gerstner (2006), :class:`~homeostasis.models.hebbian.TripletSTDP`:

.. math::
    \\text{pre spike: } w \\leftarrow w - A_2^- \\, o_1, \\qquad
    \\text{post spike: } w \\leftarrow w + A_3^+ \\, r_1 \\, o_2

with ``r1`` an exponential trace of the presynaptic spikes, ``o1`` and ``o2`` two of the
postsynaptic ones, and ``w`` kept in ``[0, w_max]``. For
independent Poisson spikes its drift changes sign at the postsynaptic rate ``theta``; with
``theta`` below the network's rate every active synapse grows. The same network runs twice:
without homeostasis, and with :class:`~homeostasis.SynapticScaling` on the excitatory
neurons, a fast one (``tau_scaling`` = 250 ms), for 3 s each. The experiment
``hebbian-stability`` (:doc:`/stability`) runs this network for 30 s with slower scaling and
other mechanisms too, and finds the critical time constant of scaling: 2-4 s.
"""

import matplotlib.pyplot as plt
import numpy as np
from brian2 import (Hz, PoissonInput, SpikeMonitor, defaultclock, ms, nS, pA, prefs, psiemens, second,
                    seed, start_scope)
from matplotlib.ticker import ScalarFormatter

from homeostasis import SynapticScaling
from homeostasis.analysis import window_rates
from homeostasis.analysis.stability import population_rate, rate_stability
from homeostasis.models import Circuit, ConductanceLIF
from homeostasis.models.hebbian import TripletSTDP

prefs.codegen.target = "numpy"

# %%
# One network, with or without scaling
# ------------------------------------
# 400 excitatory and 100 inhibitory neurons (:class:`~homeostasis.models.neurons.ConductanceLIF`
# defaults), random connections with ``p = 0.1``, a constant current into E and
# 100 Poisson inputs at 5 Hz onto every neuron. The triplet rule's traces live on E
# (``traces=rule.traces``): one update per neuron and spike, not one per synapse. The
# background is a ``PoissonInput`` on ``g_e``, not synapses of the circuit, so scaling acts
# on the recurrent E->E weights only.

target = 5 * Hz
rule = TripletSTDP.from_threshold(1.25 * Hz, A2_minus=0.015 * nS, w_max=1.5 * nS)
print(f"triplet rule: A3_plus = {rule.A3_plus / psiemens:.0f} pS, drift zero at theta = "
      f"{rule.theta / Hz:.2f} Hz, below the target of {target / Hz:g} Hz")

duration, width = 3 * second, 0.25  # simulated time; bins of the counted rate (s)


def run(label, mechanisms):
    """The plastic network with ``mechanisms`` on E: its E spikes and E->E weights at the end."""
    start_scope()
    seed(0)  # the same connections, initial voltages and background in both runs
    previous_dt, defaultclock.dt = defaultclock.dt, 0.25 * ms  # as hebbian-stability --quick
    name = f"ex_runaway_{label}"
    c = Circuit(name)
    model = ConductanceLIF()
    v0 = "E_L + rand() * (V_th - E_L)"
    E = c.population("E", model, 400, mechanisms, traces=rule.traces, I_ext=40 * pA, v=v0)
    I = c.population("I", model, 100, I_ext=0 * pA, v=v0)
    EE = c.connect(E, E, "exc", 0.3 * nS, p=0.1, condition="i != j", plasticity=(rule,))
    c.connect(E, I, "exc", 1 * nS, p=0.1)
    c.connect(I, E, "inh", 4 * nS, p=0.1)
    c.connect(I, I, "inh", 3 * nS, p=0.1)
    for group in (E, I):
        c.add(PoissonInput(group, "g_e", 100, 5 * Hz, weight=0.5 * nS))
    spikes = c.add(SpikeMonitor(E, name=f"{name}_spikes"))
    c.network().run(duration, namespace={})  # every name the equations use is in a namespace of theirs
    defaultclock.dt = previous_dt  # Brian2's global time step, left as it was found
    w = np.asarray(EE.w / nS)
    # scaling leaves w to STDP and multiplies what a spike transmits by the gain g of its target
    gain = np.asarray(E.g_scaling)[np.asarray(EE.j)] if "g_scaling" in E.variables else np.ones_like(w)
    return {"t": np.asarray(spikes.t / second), "i": np.asarray(spikes.i), "w": w, "w_eff": gain * w}


scaling = SynapticScaling(target_rate=target, tau_scaling=250 * ms, tau_r=100 * ms)
runs = {"none": run("none", []), "scaling": run("scaling", [scaling])}

# %%
# Runaway times and final rates
# -----------------------------
# The mean E rate is counted from spikes in 250 ms bins. A run *runs away* when a bin after
# the first 500 ms exceeds twice the target
# (:func:`~homeostasis.analysis.stability.rate_stability`).

T = float(duration / second)
for label, r in runs.items():
    r["bins"], r["rate"] = population_rate(r["t"], r["i"], 400, T, width)
    verdict = rate_stability(r["bins"], r["rate"], float(target / Hz), 2.0, width, settle=0.5)
    when = (f"runs away at {verdict['runaway_time_s']:.2f} s" if verdict["runaway_time_s"] is not None
            else "stays within a factor 2 of the target")
    print(f"{label:>8}: {when}")
    print(f"{'':>8}  mean E rate {r['rate'][r['bins'] < 0.5].mean():.1f} Hz in the first 500 ms, "
          f"peak {verdict['peak_factor'] * target / Hz:.1f} Hz, "
          f"{r['rate'][r['bins'] >= T - 1 - 1e-9].mean():.1f} Hz in the last second")

# %%
# Who carries the rate
# --------------------
# The mean weight is not what runs away. Without homeostasis the synapses onto the neurons
# that happen to fire most grow fastest, those neurons recruit inhibition that silences the
# rest, and the load ends on a minority. Scaling holds each neuron's own rate: the plastic
# weights grow on every neuron alike, and each neuron's gain ``g`` takes back what its
# rate does not need.

for label, r in runs.items():
    rates = window_rates(r["t"], r["i"], 400, T - 1, T)
    print(f"{label:>8}: last second, {np.mean(rates > 20):.0%} of E neurons above 20 Hz, "
          f"{np.mean(rates < 0.5):.0%} below 0.5 Hz")
    print(f"{'':>8}  E->E weight w 0.30 -> {r['w'].mean():.2f} nS on average "
          f"({np.mean(r['w'] >= 1.5 * (1 - 1e-6)):.1%} at w_max), transmitted g w {r['w_eff'].mean():.2f} nS")

# %%
# The mean rate over time
# -----------------------

names = {"none": "no homeostasis", "scaling": "synaptic scaling, 250 ms"}
fig, ax = plt.subplots(figsize=(6, 3.2), layout="constrained")
for (label, r), color in zip(runs.items(), ("C3", "C0")):
    ax.plot(r["bins"] + width / 2, r["rate"], color=color, marker=".", label=names[label])
ax.axhline(target / Hz, color="k", ls="--", lw=1, label="target")
ax.axhspan(target / Hz / 2, 2 * target / Hz, color="k", alpha=0.06, lw=0, label="within x2 of target")
ax.set(xlabel="time (s)", ylabel="mean E rate (Hz), 250 ms bins", yscale="log")
ax.yaxis.set_major_formatter(ScalarFormatter())
ax.yaxis.set_minor_formatter(ScalarFormatter())
ax.legend(frameon=False)
plt.show()
