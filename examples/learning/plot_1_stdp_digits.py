"""
Unsupervised STDP learns digits when homeostasis balances the load
==================================================================

Diehl & Cook (2015) showed that a single layer of spiking neurons learns handwritten digits
without labels: Poisson inputs, one per pixel, reach excitatory neurons through synapses
that learn by spike-timing-dependent plasticity (:class:`~homeostasis.models.hebbian.PairSTDP`), and each
neuron comes to respond to one prototype. STDP alone does not get there. The network learns
only because three homeostatic mechanisms keep every neuron in use, one per scale:

- neuron: a threshold that every spike raises (:class:`~homeostasis.SpikeTriggeredThreshold`),
  the counterpart of batch normalization, which holds each unit's statistics over samples;
- synapse: each neuron's incoming weight sum held constant
  (:class:`~homeostasis.WeightSumNormalization`), as weight normalization fixes a weight
  vector's length and leaves its direction to learning;
- layer: lateral inhibition, each excitatory neuron exciting its own inhibitory neuron,
  which inhibits all the others (winner-take-all), a hard form of divisive normalization.

Here 20 neurons see 40 of scikit-learn's 8 x 8 digits once, and then a second network
with the learned weights and thresholds, frozen, labels the neurons and classifies held-out
digits. The same network without the adaptive threshold shows what that mechanism does. The
experiment ``stdp-digits`` (:doc:`/learning`) runs the full size and every ablation.
"""

import matplotlib.pyplot as plt
import numpy as np
from brian2 import (Hz, SpikeMonitor, TimedArray, defaultclock, mV, ms, nS, prefs, second, seed,
                    start_scope)

from homeostasis import SpikeTriggeredThreshold, WeightSumNormalization
from homeostasis.models import Circuit, poisson_source
from homeostasis.models.hebbian import PairSTDP
from homeostasis.simulations.experiments.stdp_digits import (E_MODEL, I_MODEL, assign_labels, classify, initial_weights,
                                                 load_images, readout_network, split)

prefs.codegen.target = "numpy"

# %%
# The digits, as Poisson rates
# ----------------------------
# :func:`~homeostasis.simulations.experiments.stdp_digits.load_images` scales the pixels to [0, 1]; a pixel
# at full intensity fires at 256 Hz. Each image is shown for 100 ms, followed by 50 ms of
# silence. The split is stratified and seeded.

images = load_images()
x_train, y_train, x_test, y_test = split(images, seed=0, max_train=40, max_test=40)
n_in, n_neurons, n_classes = x_train.shape[1], 20, len(images.classes)
dt = 0.5 * ms
timing = {"dt": dt, "t_present": 100 * ms, "t_rest": 50 * ms, "input_rate": 256 * Hz,
          "w_ei": 10.4 * nS, "w_ie": 17 * nS}  # the inhibition weights: E_k -> I_k, I_k -> other E
period = 300 * dt  # t_present + t_rest, exactly on the time grid
print(f"{len(x_train)} training and {len(x_test)} test images of {n_in} pixels, {n_classes} classes")

# %%
# The learning network
# --------------------
# A :class:`~homeostasis.models.circuit.Circuit` composes the excitatory neurons with the mechanisms
# given to their population; the STDP rule goes on the input synapses, and its spike traces
# live on the neurons (``traces=rule.traces``). The learning rate is high (``eta_post`` =
# 0.1, Diehl & Cook used 0.01), and so is the threshold step (1 mV, they used 0.05 mV), so that
# 40 images are enough to see receptive fields form.

rule = PairSTDP(eta_pre=1e-4, eta_post=0.1, tau_pre=20 * ms, tau_post=20 * ms, w_max=1.2 * nS, mu=1.0)
w_total = 19.5 * nS  # each neuron's input weight sum; the initial weights have it too


def train(label, mechanisms):
    """One epoch over ``x_train``: learned weights (inputs x neurons, nS) and thresholds (mV)."""
    start_scope()
    seed(0)  # the same input spike trains for every variant
    previous_dt, defaultclock.dt = defaultclock.dt, dt
    name = f"ex_digits_{label}"
    c = Circuit(name)
    # one row of rates per image and a silent last row; the image is on for t_present
    stimulus = TimedArray(np.vstack([x_train, np.zeros((1, n_in))]) * timing["input_rate"], dt=period,
                          name=f"{name}_stimulus")
    inp = c.add(poisson_source(n_in, "stimulus(t, i) * int((t % period) < t_present)", name=f"{name}_input",
                               namespace={"stimulus": stimulus, "period": period,
                                          "t_present": timing["t_present"]}))
    E = c.population("E", E_MODEL, n_neurons, mechanisms, traces=rule.traces)
    pre, post = np.repeat(np.arange(n_in), n_neurons), np.tile(np.arange(n_neurons), n_in)
    w0 = initial_weights(n_in, n_neurons, w_total, seed=0)[pre, post]
    S = c.connect(inp, E, "exc", w0 * nS, i=pre, j=post, plasticity=(rule,))
    I = c.population("I", I_MODEL, n_neurons)
    c.connect(E, I, "exc", timing["w_ei"], j="i")
    c.connect(I, E, "inh", timing["w_ie"], condition="i != j")
    spikes = c.add(SpikeMonitor(E, name=f"{name}_spikes"))
    # one step more: the weight-sum rescale due at the end of the last image runs too (and every
    # name the equations use is in a namespace of their own)
    c.network().run(len(x_train) * period + dt, namespace={})
    defaultclock.dt = previous_dt  # Brian2's global time step, left as it was found
    weights = np.zeros((n_in, n_neurons))
    weights[np.asarray(S.i), np.asarray(S.j)] = np.asarray(S.w / nS)
    wins = np.bincount(np.asarray(spikes.i), minlength=n_neurons)
    print(f"{label:>12}: while learning, {spikes.num_spikes / len(x_train):.1f} spikes per image, "
          f"{np.sum(wins > 0)} of {n_neurons} neurons fire, the busiest {wins.max()} of the {wins.sum()} spikes")
    return weights, np.asarray(E.v_th / mV)


variants = {
    "full": [SpikeTriggeredThreshold(theta_plus=1 * mV, tau_theta=1e7 * ms),
             WeightSumNormalization(w_total=w_total, interval=period)],
    "no_threshold": [WeightSumNormalization(w_total=w_total, interval=period)],
}
learned = {label: train(label, mechanisms) for label, mechanisms in variants.items()}

# %%
# Freeze, label, classify
# -----------------------
# :func:`~homeostasis.simulations.experiments.stdp_digits.readout_network` copies the learned weights and
# thresholds into networks with the same inhibition and no plasticity, side by side on the same
# input spikes. They see the training images again: each neuron is assigned the class it
# responds to most. Then each test image is classified as the class whose neurons fire most on
# average (an image that evokes no spike counts as wrong). Forty images are a demonstration, not
# a benchmark: the full experiment (100 neurons, one epoch of 1437 images shown for 350 ms each)
# reaches 86.5 % (mean of 3 seeds) with all three mechanisms and stays at chance without the
# threshold (:doc:`/learning`).

frozen = readout_network([(w, v_th, True) for w, v_th in learned.values()], np.vstack([x_train, x_test]),
                         timing, seed=0)
for label, f in zip(learned, frozen):
    assignment = assign_labels(f["counts"][:len(x_train)], y_train, n_classes)
    predicted = classify(f["counts"][len(x_train):], assignment, n_classes)
    print(f"{label:>12}: test accuracy {np.mean(predicted == y_test):.0%} (chance {1 / n_classes:.0%}); "
          f"{np.sum(assignment >= 0)} of {n_neurons} neurons respond, "
          f"{len(np.unique(assignment[assignment >= 0]))} classes covered")

# %%
# The learned receptive fields
# ----------------------------
# Each tile is one neuron's input weights, scaled to its largest. With the adaptive threshold
# every neuron gets to win some images and learns a prototype of its own; without it a few
# neurons win nearly every image, and the others keep their random initial weights.


def montage(weights, columns=5):
    """Receptive fields (inputs x neurons) as one image of 8 x 8 tiles with gaps."""
    side = images.shape[0]
    rows = -(-weights.shape[1] // columns)
    out = np.full((rows * (side + 1) - 1, columns * (side + 1) - 1), np.nan)
    for k in range(weights.shape[1]):
        r, c = divmod(k, columns)
        tile = weights[:, k].reshape(side, side)
        out[r * (side + 1):r * (side + 1) + side, c * (side + 1):c * (side + 1) + side] = tile / tile.max()
    return out


fig, axes = plt.subplots(1, 2, figsize=(7, 3.6), layout="constrained")
for ax, (label, (weights, _)) in zip(axes, learned.items()):
    ax.imshow(montage(weights), cmap="gray_r", interpolation="nearest")
    ax.set_title(label)
    ax.set_axis_off()
plt.show()
