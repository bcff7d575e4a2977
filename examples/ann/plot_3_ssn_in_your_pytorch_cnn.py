"""
Synaptic scaling in your own PyTorch CNN, next to batch normalization
=====================================================================

:mod:`homeostasis.torch` holds the bio-inspired normalizations as ``torch.nn`` modules (the
extra ``[torch]``). :class:`~homeostasis.torch.SynapticScalingConv2d` is a drop-in for
``nn.Conv2d``: each output channel keeps one gain on its kernel, moved by a local rule toward
a set-point activity in training-mode forward passes, never by the gradient. Here it replaces
the convolutions of a small ``nn.Sequential`` CNN, trained by ``torch.optim.Adam`` on
scikit-learn's 8 x 8 digits (bundled, nothing is downloaded), next to the same network with
``nn.BatchNorm2d`` and with no normalization.
"""

import matplotlib.pyplot as plt
import torch
from torch import nn

from homeostasis.torch import SynapticScalingConv2d
from homeostasis.torch.cnn import load_images

torch.set_num_threads(1)
data = load_images("digits")  # (samples, 1, 8, 8), standardized
x_train, x_test = (torch.as_tensor(a, dtype=torch.float32) for a in (data.x_train, data.x_test))
y_train, y_test = torch.as_tensor(data.y_train), torch.as_tensor(data.y_test)


def network(kind):
    """Conv(1->8)-ReLU-pool, Conv(8->16)-ReLU-pool, Linear: with SSN convolutions, batch norm, or neither."""
    torch.manual_seed(0)  # the same initial weights for the three
    conv = SynapticScalingConv2d if kind == "ssn" else nn.Conv2d
    norm = (lambda c: nn.BatchNorm2d(c)) if kind == "batch" else (lambda c: nn.Identity())
    return nn.Sequential(conv(1, 8, 3, padding=1), norm(8), nn.ReLU(), nn.MaxPool2d(2),
                         conv(8, 16, 3, padding=1), norm(16), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(16 * 2 * 2, 10))


# %%
# Train each for 200 steps of 32 images
# -------------------------------------

curves, gains = {}, []
for kind in ("none", "batch", "ssn"):
    net = network(kind)
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    generator = torch.Generator().manual_seed(0)
    curves[kind] = []
    for step in range(1, 201):
        net.train()
        idx = torch.randint(0, len(x_train), (32,), generator=generator)
        loss = nn.functional.cross_entropy(net(x_train[idx]), y_train[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if kind == "ssn":
            gains.append(net[0].gain.clone())
        if step % 25 == 0:
            net.eval()  # evaluation freezes the gains
            with torch.no_grad():
                curves[kind].append((step, (net(x_test).argmax(1) == y_test).float().mean().item()))
    print(f"{kind:>5}: test accuracy {curves[kind][-1][1]:.3f} after 200 steps")

# %%
# The homeostatic state is part of the model: ``state_dict`` carries the gains, and
# ``eval()`` stops the rule.

print(sorted(k for k in net.state_dict() if k.startswith("0.")))

# %%
# Test accuracy, and the gains of the first layer's channels
# ----------------------------------------------------------
# The gains start at the norms of the initial kernels and are pulled until each channel's
# root-mean-square drive is near its set point (1 by default).

fig, (ax, bx) = plt.subplots(1, 2, figsize=(8, 3.2), layout="constrained")
for kind, curve in curves.items():
    steps, accuracy = zip(*curve)
    ax.plot(steps, accuracy, "o-", ms=3, label=kind)
ax.set(xlabel="step", ylabel="test accuracy", ylim=(0.5, 1), title="8 x 8 digits, small CNN")
ax.legend(frameon=False)
bx.plot(torch.stack(gains).numpy(), lw=1)
bx.set(xlabel="step", ylabel="gain $g_j$", title="SSN gains, first convolution (8 channels)")
plt.show()
