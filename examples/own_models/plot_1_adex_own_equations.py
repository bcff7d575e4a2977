"""
An AdEx population that holds its set point
===========================================

Neuron and synapse scale, on a model the project does not ship: the adaptive exponential
integrate-and-fire neuron (Brette & Gerstner 2005), written as a Brian2 equation string.
:class:`~homeostasis.models.NeuronModel` says which variable an excitatory spike increments
(``g_e``, in siemens) and which parameter a mechanism may adapt (the threshold ``v_th``, which
takes the place of the exponential's threshold ``V_T``).

Twenty neurons get a tonic current spread threefold and the same Poisson input. With
:class:`~homeostasis.AdaptiveThreshold` (each neuron moves its threshold) and
:class:`~homeostasis.SynapticScaling` (each neuron scales its excitatory synapses) every
neuron ends near the 5 Hz set point; without them the rates follow the drive.
"""

import matplotlib.pyplot as plt
import numpy as np
from brian2 import Hz, SpikeMonitor, mV, ms, nS, pA, pF, prefs, second, seed, siemens, start_scope

from homeostasis import AdaptiveThreshold, SynapticScaling
from homeostasis.models import Circuit, NeuronModel, poisson_source

prefs.codegen.target = "numpy"

# %%
# The model, as you would write it for a NeuronGroup
# --------------------------------------------------
# The adaptation current is called ``w_a``: a synapse's weight is ``w``, and Brian2 refuses a
# synaptic variable with the name of a postsynaptic one.

adex = NeuronModel(
    """
    dv/dt = (g_L*(E_L - v) + g_L*Delta_T*exp((v - v_th)/Delta_T) + g_e*(E_e - v) - w_a + I_ext) / C : volt
    dw_a/dt = (a*(v - E_L) - w_a) / tau_w : amp
    dg_e/dt = -g_e / tau_e : siemens
    I_ext : amp
    """,
    threshold="v > v_th + 5*Delta_T", reset="v = V_reset; w_a += b",
    synapse_targets={"exc": ("g_e", siemens)}, adaptable={"v_th": -50.4 * mV},
    namespace=dict(C=281 * pF, g_L=30 * nS, E_L=-70.6 * mV, Delta_T=2 * mV, a=4 * nS, b=80.5 * pA,
                   tau_w=144 * ms, V_reset=-70.6 * mV, E_e=0 * mV, tau_e=5 * ms),
    initial={"v": -70.6 * mV}, method="euler", name="AdEx")

n_neurons, target, duration = 20, 5 * Hz, 20 * second


def simulate(mechanisms, name):
    start_scope()
    seed(1)
    c = Circuit(name)
    E = c.population("E", adex, n_neurons, mechanisms, I_ext="200*pA + 400*pA*i/(N - 1)")
    inp = c.add(poisson_source(200, 5 * Hz, name=f"{name}_input"))
    c.connect(inp, E, "exc", weight=0.5 * nS, p=0.2)
    spikes = c.add(SpikeMonitor(E, name=f"{name}_spikes"))
    c.network().run(duration)
    return c, np.asarray(spikes.t / second), np.asarray(spikes.i)


homeostatic = [AdaptiveThreshold(target_rate=target, eta_threshold=0.5 * mV, v_th_min=-65 * mV),
               SynapticScaling(target_rate=target, tau_scaling=2 * second)]
circuit, t_on, i_on = simulate(homeostatic, "ex_adex")
_, t_off, i_off = simulate([], "ex_adex_control")

# %%
# What was built
# --------------
# Every line the mechanisms added is tagged with its owner.
print(circuit.describe())

# %%
# Rates counted from spikes over the last five seconds
# ----------------------------------------------------


def rates(t, i, start, stop):
    window = (t >= start) & (t < stop)
    return np.bincount(i[window], minlength=n_neurons) / (stop - start)


late = float(duration / second) - 5
with_mechanisms, without = rates(t_on, i_on, late, late + 5), rates(t_off, i_off, late, late + 5)
error = abs(with_mechanisms.mean() / float(target / Hz) - 1)
print(f"with the mechanisms: mean {with_mechanisms.mean():.2f} Hz ({100 * error:.1f} % from the "
      f"{target / Hz:g} Hz set point), CV across neurons {with_mechanisms.std() / with_mechanisms.mean():.3f}")
print(f"without: mean {without.mean():.2f} Hz, CV across neurons {without.std() / without.mean():.3f}")

fig, (ax_t, ax_n) = plt.subplots(1, 2, figsize=(8, 3.2), layout="constrained")
edges = np.arange(0, float(duration / second) + 1e-9, 1.0)
for t, label in ((t_on, "with mechanisms"), (t_off, "without")):
    ax_t.plot(edges[:-1], np.histogram(t, edges)[0] / n_neurons, label=label)
ax_t.axhline(target / Hz, color="k", ls="--", lw=1, label="set point")
ax_t.set(xlabel="time (s)", ylabel="mean rate (Hz)")
ax_t.legend(frameon=False)
ax_n.plot(with_mechanisms, "o", label="with mechanisms")
ax_n.plot(without, "s", label="without")
ax_n.axhline(target / Hz, color="k", ls="--", lw=1)
ax_n.set(xlabel="neuron (tonic drive rises with index)", ylabel="rate, last 5 s (Hz)")
plt.show()
