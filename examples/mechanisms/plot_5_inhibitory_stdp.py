"""
Inhibitory STDP balances a small E/I network
============================================

Network scale. Vogels et al. (2011) showed that a symmetric spike-timing rule on inhibitory
synapses tunes inhibition until excitatory neurons fire at a target rate ``rho_0``:

.. math::
    \\text{pre spike: } w \\leftarrow w + \\eta (x_{post} - \\alpha), \\qquad
    \\text{post spike: } w \\leftarrow w + \\eta \\, x_{pre}, \\qquad
    \\alpha = 2 \\rho_0 \\tau_{STDP}

The whole network's activity returns to a set point, as a self-normalizing network holds its
activity statistics at a fixed point through depth. Here a recurrent network of 200
excitatory and 50 inhibitory conductance-based neurons starts with inhibition too weak to hold
it.
"""

import matplotlib.pyplot as plt
import numpy as np
from brian2 import Hz, SpikeMonitor, StateMonitor, ms, nS, prefs, second, seed, start_scope

from homeostasis import InhibitorySTDP
from homeostasis.models import ei_network

prefs.codegen.target = "numpy"
start_scope()
seed(3)  # the random connectivity and initial voltages

# %%
# The network, with the rule on the inhibitory synapses onto E
# ------------------------------------------------------------
# :func:`~homeostasis.models.networks.ei_network` builds the populations and the four pathways with a
# :class:`~homeostasis.models.circuit.Circuit`; the mechanism given for the excitatory neurons adds its terms to
# the I->E synapses. The rule's fixed point is exact only for uncorrelated pre- and
# postsynaptic spikes: a neuron with the handful of inhibitory inputs that ``p=0.1`` gives
# some of them settles well above it. So every excitatory neuron gets exactly ten
# (``in_degree``), each weak at first. (Vogels et al. used 40 of 2000; with 40 of these 50
# the shared inhibition synchronizes the network into bursts.)

target = 5 * Hz
net = ei_network(200, 50, p=0.1, w_ie=0.1 * nS, in_degree={"IE": 10}, name="ex_istdp",
                 components_e=[InhibitorySTDP(target_rate=target, eta=0.1 * nS)])
spikes = SpikeMonitor(net.E, name="ex_istdp_spikes")
weights = StateMonitor(net.synapses["IE"], "w", record=np.arange(400), dt=100 * ms,
                       name="ex_istdp_w")
net.network.add(spikes, weights)
duration = 4 * second
net.network.run(duration)

# %%
# The excitatory rate, counted from spikes
# ----------------------------------------

edges = np.arange(0, float(duration / second) + 1e-9, 0.1)
counts, _ = np.histogram(np.asarray(spikes.t / second), edges)
rate = counts / 0.1 / len(net.E)
print(f"excitatory rate: {rate[:2].mean():.1f} Hz in the first 200 ms, "
      f"{rate[-10:].mean():.1f} Hz in the last second (target {target / Hz:g} Hz)")

# %%
# Rate and inhibitory weights over time
# -------------------------------------

fig, (ax_rate, ax_w) = plt.subplots(1, 2, figsize=(8, 3.2), layout="constrained")
ax_rate.plot(edges[:-1], rate)
ax_rate.axhline(target / Hz, color="k", ls="--", lw=1, label="target")
ax_rate.set(xlabel="time (s)", ylabel="mean E rate (Hz), 100 ms bins", yscale="log")
ax_rate.legend(frameon=False)
ax_w.plot(np.asarray(weights.t / second), np.asarray(weights.w / nS).mean(axis=0))
ax_w.set(xlabel="time (s)", ylabel="mean I->E weight (nS)")
plt.show()
