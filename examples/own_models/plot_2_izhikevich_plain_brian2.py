"""
Izhikevich neurons in your own NeuronGroup, no Circuit
======================================================

The same two mechanisms on a model written the way Izhikevich (2007) writes it, in a
``NeuronGroup`` and ``Synapses`` made by hand. :func:`~homeostasis.models.assemble` composes the
model with the mechanisms and hands back what the Brian2 objects take: equations, threshold,
reset and namespace for the group; the model and ``on_pre`` code for the synapses; and the
extra objects (the mechanisms' ``run_regularly`` blocks) to put in the ``Network``.

In this form of the model the instantaneous threshold potential ``v_t`` is a parameter of the
quadratic term, so an adaptive threshold is a natural neuron-scale rule:
:class:`~homeostasis.AdaptiveThreshold` adapts it (named ``v_th`` in the equations), and
:class:`~homeostasis.SynapticScaling` scales the excitatory synapses.
"""

import matplotlib.pyplot as plt
import numpy as np
from brian2 import (Hz, Network, NeuronGroup, PoissonGroup, SpikeMonitor, Synapses, amp, mV, ms, nS, pA,
                    pF, prefs, second, seed, start_scope)

from homeostasis import AdaptiveThreshold, SynapticScaling
from homeostasis.models import NeuronModel, assemble

prefs.codegen.target = "numpy"
start_scope()
seed(2)

# %%
# The model: a regular-spiking cortical neuron
# --------------------------------------------
# ``C dv/dt = k (v - v_r)(v - v_t) - u + I``, ``du/dt = a (b (v - v_r) - u)``; at ``v >= v_peak``,
# ``v = c`` and ``u += d`` (Izhikevich 2007, chapter 8). Excitatory spikes increment a
# current ``I_syn``.

izhikevich = NeuronModel(
    """
    dv/dt = (k*(v - v_r)*(v - v_th) - u + I_syn + I_ext) / C : volt
    du/dt = a*(b*(v - v_r) - u) : amp
    dI_syn/dt = -I_syn / tau_syn : amp
    I_ext : amp
    """,
    threshold="v >= v_peak", reset="v = c; u += d",
    synapse_targets={"exc": ("I_syn", amp)}, adaptable={"v_th": -40 * mV},
    namespace=dict(C=100 * pF, k=0.7 * pA / mV**2, v_r=-60 * mV, a=0.03 / ms, b=-2 * nS, c=-50 * mV,
                   d=100 * pA, v_peak=35 * mV, tau_syn=5 * ms),
    initial={"v": -60 * mV}, method="euler", name="Izhikevich")

target = 5 * Hz
parts = assemble(izhikevich, [AdaptiveThreshold(target_rate=target, eta_threshold=0.5 * mV, v_th_min=-49 * mV),
                              SynapticScaling(target_rate=target, tau_scaling=2 * second)])

# %%
# Plain Brian2 objects
# --------------------
n_neurons = 20
G = NeuronGroup(n_neurons, parts.equations, threshold=parts.threshold, reset=parts.reset,
                refractory=parts.refractory, method=parts.method, namespace=parts.namespace,
                name="izhikevich")
extra = parts.setup(G)  # run-time parameters, initial values, the mechanisms' run_regularly blocks
G.I_ext = "100*pA * i / (N - 1)"  # a drive that differs from neuron to neuron

inp = PoissonGroup(200, 5 * Hz, name="izhikevich_input")
exc = parts.synapses("exc")  # w, w_eff = w * g_scaling_post, and on_pre I_syn_post += w_eff
S = Synapses(inp, G, exc.model, on_pre=exc.on_pre, namespace=exc.namespace, name="izhikevich_exc")
S.connect(p=0.2)
S.w = 20 * pA
extra += exc.setup(S)
spikes = SpikeMonitor(G, name="izhikevich_spikes")
net = Network(G, inp, S, spikes, *extra)
duration = 20 * second
net.run(duration)

# %%
# Rates counted from spikes
# -------------------------
t, i = np.asarray(spikes.t / second), np.asarray(spikes.i)
late = float(duration / second) - 5
rates = np.bincount(i[t >= late], minlength=n_neurons) / 5
error = abs(rates.mean() / float(target / Hz) - 1)
print(f"last 5 s: mean {rates.mean():.2f} Hz ({100 * error:.1f} % from the {target / Hz:g} Hz set point), "
      f"CV across neurons {rates.std() / rates.mean():.3f}")
print(f"thresholds moved to {np.min(G.v_th / mV):.1f}..{np.max(G.v_th / mV):.1f} mV, "
      f"scaling factors {np.min(G.g_scaling):.2f}..{np.max(G.g_scaling):.2f}")

fig, ax = plt.subplots(figsize=(5, 3.2), layout="constrained")
edges = np.arange(0, float(duration / second) + 1e-9, 1.0)
ax.plot(edges[:-1], np.histogram(t, edges)[0] / n_neurons)
ax.axhline(target / Hz, color="k", ls="--", lw=1, label="set point")
ax.set(xlabel="time (s)", ylabel="mean rate (Hz)")
ax.legend(frameon=False)
plt.show()
