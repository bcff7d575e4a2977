"""
Load-balancing metrics on your own activity matrix
==================================================

The paper's central quantity is how evenly a layer uses its units. :mod:`homeostasis.analysis`
measures it on any non-negative matrix of activity, samples by units: test inputs by hidden
units for a deep network, time bins by neurons for a spiking population. One name means one
thing on both sides:

- ``usage_cv``: coefficient of variation across units of each unit's mean activity
  (0 when every unit is used equally);
- ``usage_entropy``: entropy of the units' shares of the total activity over ``log(n_units)``
  (1 when every unit is used equally);
- ``dead_fraction``: fraction of units never active.

:func:`~homeostasis.analysis.metrics.load_balance` returns these and two more (``gini``,
``code_entropy``) in one dictionary.

First on matrices whose answer is known, then on a trained MLP.
"""

import matplotlib.pyplot as plt
import numpy as np

from homeostasis.analysis import binned_rates, load_balance
from homeostasis.ann import MLP, load, train

rng = np.random.default_rng(0)
n_samples, n_units = 500, 50

# %%
# Three layers whose answer is known
# ----------------------------------
# An even layer (every unit the same mean), a skewed one (means from a heavy-tailed
# distribution) and one where 20 % of the units never fire.

even = rng.exponential(1.0, (n_samples, n_units))
skewed = even * rng.lognormal(0.0, 1.5, n_units)
dead = even.copy()
dead[:, :10] = 0.0

for name, activity in (("even", even), ("skewed", skewed), ("20% dead", dead)):
    m = load_balance(activity)
    print(f"{name:>9}: usage_cv {m['usage_cv']:.2f}, "
          f"usage_entropy {m['usage_entropy']:.3f}, dead_fraction {m['dead_fraction']:.2f}")

# %%
# Spike trains become the same matrix
# -----------------------------------
# :func:`~homeostasis.analysis.metrics.binned_rates` turns spike times and neuron indices (a
# Brian2 ``SpikeMonitor``'s ``t`` and ``i``) into rates per time bin, samples by units.
# Here: Poisson spike trains of 50 neurons whose rates span 1 to 20 Hz.

rates_hz = np.linspace(1, 20, n_units)
counts = rng.poisson(rates_hz * 10.0)  # spikes in 10 s
spike_i = np.repeat(np.arange(n_units), counts)
spike_t = rng.uniform(0, 10, spike_i.size)
binned = binned_rates(spike_t, spike_i, n_units, start=0.0, stop=10.0, width=0.25)
print(f"spiking layer, {binned.shape[0]} bins x {binned.shape[1]} neurons: "
      f"usage_cv {load_balance(binned)['usage_cv']:.2f} "
      f"(rates alone: {rates_hz.std() / rates_hz.mean():.2f})")

# %%
# Hidden units of a trained MLP, with and without normalization
# --------------------------------------------------------------
# Rectified hidden activations on the test set: the matrix the ``load-balancing`` experiment
# measures for every method. A short training run, so the numbers are indicative only.

data = load("digits")
usage = {}
for method in ("none", "batch", "ssn"):
    net = MLP([data.x_train.shape[1], 100, 100, data.n_classes], method, random_state=0)
    train(net, data, steps=300, batch_size=50)
    layers = [np.maximum(a, 0) for a in net.hidden_activations(data.x_test)]
    usage[method] = np.concatenate([a.mean(axis=0) for a in layers])
    m = [load_balance(a) for a in layers]
    print(f"{method:>5}: usage_cv {np.mean([x['usage_cv'] for x in m]):.2f}, "
          f"dead_fraction {np.mean([x['dead_fraction'] for x in m]):.2f}")

fig, (ax_known, ax_mlp) = plt.subplots(1, 2, figsize=(8, 3.2), layout="constrained")
for name, activity in (("even", even), ("skewed", skewed), ("20% dead", dead)):
    u = np.sort(activity.mean(axis=0))[::-1]
    ax_known.plot(u / u.mean(), label=name)
ax_known.set(xlabel="unit, by rank", ylabel="mean activity / layer mean", yscale="symlog")
ax_known.legend(frameon=False)
ax_mlp.boxplot([u / u.mean() for u in usage.values()], showfliers=False)
ax_mlp.set_xticks(range(1, len(usage) + 1), list(usage))
ax_mlp.set(ylabel="mean activation / layer mean", title="hidden units, digits test set")
plt.show()
