"""
Synaptic scaling after a block of activity
==========================================

Synapse scale. When a neuron's activity is blocked (Turrigiano et al. 1998 used TTX), it
scales all its excitatory synapses up by one common factor until it fires near its set point
again, as weight normalization changes the length of a weight vector and keeps its direction.
:class:`~homeostasis.synapse.SynapticScaling` keeps that factor ``g`` once per neuron; a spike
transmits ``w_eff = g w``.

Fifteen LIF neurons receive Poisson excitation. After five seconds the input rate drops from
10 Hz to 3 Hz, a partial block of the drive.
"""

import matplotlib.pyplot as plt
import numpy as np
from brian2 import (Hz, SpikeMonitor, StateMonitor, TimedArray, ms, pA, prefs, second, seed,
                    start_scope)

from homeostasis import SynapticScaling
from homeostasis.analysis import multiplicativity
from homeostasis.models import Circuit, CurrentLIF, poisson_source

prefs.codegen.target = "numpy"
start_scope()
seed(1)  # the Poisson spike trains

# %%
# A population with scaling, fed by a Poisson source with a schedule
# ------------------------------------------------------------------
# The input rate is a ``TimedArray`` of time, so the block
# happens inside one run, in generated code.

n_neurons, n_inputs, phase = 15, 100, 5 * second
target = 5 * Hz
schedule = TimedArray([10, 3] * Hz, dt=phase, name="ex_scaling_schedule")
rng = np.random.default_rng(1)

c = Circuit("ex_scaling")
scaling = SynapticScaling(target_rate=target, tau_scaling=1 * second, tau_r=300 * ms)
E = c.population("E", CurrentLIF(), n_neurons, [scaling])
inp = c.add(poisson_source(n_inputs, "ex_scaling_schedule(t)", name="ex_scaling_input",
                           namespace={"ex_scaling_schedule": schedule}))
pre, post = np.nonzero(rng.random((n_inputs, n_neurons)) < 0.3)
S = c.connect(inp, E, "exc", weight=rng.uniform(20, 80, pre.size) * pA, i=pre, j=post)
spikes = c.add(SpikeMonitor(E, name="ex_scaling_spikes"))
gain = c.add(StateMonitor(E, "g_scaling", record=True, dt=100 * ms, name="ex_scaling_gain"))
c.network().run(2 * phase)

# %%
# The rate comes back, the weights scale up
# -----------------------------------------
# ``w`` never changes; the transmitted weight of a synapse is its ``w`` times the gain of its
# postsynaptic neuron, so the weights at any time follow from the recorded gains.

t_gain = np.asarray(gain.t / second)
w_eff = np.asarray(S.w / pA)[:, None] * np.asarray(gain.g_scaling)[post]  # (synapse, time)
before = w_eff[:, np.searchsorted(t_gain, float(phase / second)) - 1]
after = w_eff[:, -1]

edges = np.arange(0, float(2 * phase / second) + 1e-9, 0.5)
counts, _ = np.histogram(np.asarray(spikes.t / second), edges)
rate = counts / 0.5 / n_neurons
print(f"rate before the block {rate[8:10].mean():.1f} Hz, "
      f"just after {rate[10:12].mean():.1f} Hz, at the end {rate[-2:].mean():.1f} Hz "
      f"(target {target / Hz:g} Hz)")

# %%
# The ranked-amplitude plot
# -------------------------
# Turrigiano et al. ranked the amplitudes before and after and found a line through the origin.
# Within one neuron this holds by construction here (one gain per neuron); across the
# population each neuron has its own gain, so the pooled, ranked plot is the real test.
fit = multiplicativity(np.sort(before), np.sort(after))
print(f"ranked amplitudes: after = {fit['factor']:.2f} x before, R^2 = {fit['r2']:.3f}")

fig, (ax_rate, ax_rank) = plt.subplots(1, 2, figsize=(8, 3.2), layout="constrained")
ax_rate.plot(edges[:-1], rate)
ax_rate.axhline(target / Hz, color="k", ls="--", lw=1, label="target")
ax_rate.axvspan(phase / second, 2 * phase / second, color="C3", alpha=0.1,
                label="input blocked")
ax_rate.set(xlabel="time (s)", ylabel="mean rate (Hz)")
ax_rate.legend(frameon=False)
ax_rank.plot(np.sort(before), np.sort(after), ".", ms=3)
grid = np.array([0, before.max()])
ax_rank.plot(grid, fit["factor"] * grid, "k", lw=1, label=f"x{fit['factor']:.2f} through 0")
ax_rank.plot(grid, grid, "k:", lw=0.8, label="identity")
ax_rank.set(xlabel="ranked weight before (pA)", ylabel="ranked weight after (pA)")
ax_rank.legend(frameon=False)
plt.show()
