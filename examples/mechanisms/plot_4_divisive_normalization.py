"""
Divisive normalization: a layer that ignores a common gain
==========================================================

Layer scale. Each unit of a layer is divided by the pooled activity of the whole layer
(Carandini & Heeger 2012), as layer normalization divides each unit by statistics across the
layer. :class:`~homeostasis.layer.DivisiveNormalization` computes

.. math:: y^{norm}_i = \\gamma \\frac{y_i^n}{\\sigma^n + \\frac{1}{N}\\sum_j y_j^n}

with the pool a Brian2 summed variable over synapses within the layer. When every input is
multiplied by the same gain, the summed output barely moves. The pattern across units is kept
too, but that holds by construction (every unit is divided by the same pool); the summed
output is what the mechanism has to earn, and only once the pool is well above ``sigma**n``.
"""

import matplotlib.pyplot as plt
import numpy as np
from brian2 import ms, prefs, start_scope

from homeostasis import DivisiveNormalization
from homeostasis.analysis import gain_invariance, pattern_correlation
from homeostasis.models import Circuit, RateNeuron

prefs.codegen.target = "numpy"
start_scope()

# %%
# One layer, driven at several gains
# ----------------------------------
# The network is built once; between runs only the input ``I`` changes. ``y`` is each unit's
# own response, ``y_norm`` the normalized one, so the layer is its own control.

n_units = 30
pattern = np.random.default_rng(0).uniform(0.1, 1.0, n_units)
c = Circuit("ex_divisive")
L = c.population("L", RateNeuron(transfer="rectified", tau_u=5 * ms), n_units,
                 [DivisiveNormalization(gamma=1.0, sigma=0.1, exponent=2.0)])
net = c.network()

gains = np.geomspace(0.3, 30, 7)
normalized, raw = [], []
for g in gains:
    L.I = g * pattern
    net.run(60 * ms)  # 12 input time constants: the responses have settled
    normalized.append(np.array(L.y_norm))
    raw.append(np.array(L.y))
normalized, raw = np.array(normalized), np.array(raw)

k1, k10 = np.argmin(abs(gains - 1)), np.argmin(abs(gains - 10))
with_norm = gain_invariance(normalized[k1], normalized[k10])
without = gain_invariance(raw[k1], raw[k10])
print(f"tenfold input gain: summed output changes by {with_norm:.1%} with normalization, "
      f"by {without:.0%} without")
kept = pattern_correlation(normalized[k1], normalized[k10])
print(f"pattern correlation between the two gains: {kept:.4f}")

# %%
# Summed output and single units against the input gain
# ------------------------------------------------------

fig, (ax_sum, ax_unit) = plt.subplots(1, 2, figsize=(8, 3.2), layout="constrained")
ax_sum.plot(gains, raw.sum(axis=1), "o-", label="without")
ax_sum.plot(gains, normalized.sum(axis=1), "o-", label="divisive normalization")
ax_sum.set(xscale="log", yscale="log", xlabel="common input gain",
           ylabel="summed layer output")
ax_sum.legend(frameon=False)
for unit in np.argsort(pattern)[::6]:
    ax_unit.plot(gains, normalized[:, unit], "-", color="C1", lw=1)
    ax_unit.plot(gains, raw[:, unit], "--", color="C0", lw=0.8)
ax_unit.set(xscale="log", yscale="log", xlabel="common input gain",
            ylabel="unit output", title="solid: normalized, dashed: without")
plt.show()
