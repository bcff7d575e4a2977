"""
Synaptic scaling normalization versus batch normalization on digits
===================================================================

The paper's proof of concept (Shen, Wang & Navlakha 2021): a normalization for deep networks
copied from synaptic scaling. Each hidden unit of
:class:`~homeostasis.ann.bio.SynapticScalingNorm` (SSN) multiplies all its incoming weights by
one factor set by its own activity error, by a local rule rather than by the gradient. It
needs no batch statistics, so, unlike batch normalization, it can learn online from one sample
at a time.

Multilayer perceptrons on scikit-learn's 8x8 digits (bundled with scikit-learn, nothing is
downloaded), trained with Adam in numpy.
"""

import matplotlib.pyplot as plt

from homeostasis.ann import MLP, load, train

data = load("digits")
sizes = [data.x_train.shape[1], 100, 100, data.n_classes]

# %%
# Minibatches of 50: batch normalization, SSN and no normalization
# ----------------------------------------------------------------

curves = {}
for method in ("none", "batch", "ssn"):
    net = MLP(sizes, method, random_state=0)
    curves[method] = train(net, data, steps=600, batch_size=50, lr=1e-2, eval_every=50)
    accuracy = curves[method].final_test_accuracy
    print(f"{method:>5}, batch of 50: test accuracy {accuracy:.3f}")

# %%
# Online: one sample per step
# ---------------------------
# Batch normalization has no batch statistics with a batch of one, and ``train`` refuses it
# before the first step. SSN's state is a running estimate over steps, so it trains.

try:
    train(MLP(sizes, "batch", random_state=0), data, steps=10, batch_size=1)
except ValueError as err:
    print(f"batch, batch of 1: ValueError: {err}")

online = train(MLP(sizes, "ssn", random_state=0), data, steps=3000, batch_size=1, lr=1e-3,
               eval_every=250)
print(f"  ssn, batch of 1: test accuracy {online.final_test_accuracy:.3f}")

# %%
# Test accuracy during training
# -----------------------------
# The minibatch runs see 50 samples per step and the online run one, so the online curve is
# plotted against samples seen.

fig, ax = plt.subplots(figsize=(5, 3.2), layout="constrained")
for method, h in curves.items():
    ax.plot(h.steps * 50, h.test_accuracy, "o-", ms=3, label=f"{method}, batch of 50")
ax.plot(online.steps, online.test_accuracy, "s--", ms=3, color="C2",
        label="ssn, batch of 1")
ax.set(xlabel="training samples seen", ylabel="test accuracy", ylim=(0.5, 1))
ax.legend(frameon=False)
plt.show()
