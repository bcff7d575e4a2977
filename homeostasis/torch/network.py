"""Network scale: one gain shared by every normalized layer, set by the whole network's activity.

Examples
--------
>>> import torch
>>> shared = GlobalGain()
>>> net = torch.nn.Sequential(torch.nn.Linear(3, 5), GlobalHomeostasisNorm(shared), torch.nn.ReLU(),
...                           torch.nn.Linear(5, 5), GlobalHomeostasisNorm(shared))
>>> _ = net(torch.randn(4, 3))
>>> int(shared.num_batches_tracked)  # one report per normalized layer
2
"""
from __future__ import annotations

import torch
from torch import nn

from ..ann.bio import GlobalGain as _NumpyGlobalGain
from ..ann.validation import InstanceOf, Validated
from ._common import TORCH_FACTORY, constraints_of, replace_buffer

__all__ = ["GlobalGain", "GlobalHomeostasisNorm"]


class GlobalGain(Validated, nn.Module):
    """The network-wide slow variable shared by every :class:`GlobalHomeostasisNorm` of a network.

    :class:`homeostasis.ann.GlobalGain` as a module whose state is in buffers. Each
    normalized layer reports the mean square of its output in training-mode passes; each
    report updates the running estimate (which starts at the first report) and then the gain:

    .. math::

        e \\leftarrow e + \\rho\\,(\\overline{y^2} - e), \\qquad
        g \\leftarrow g\\cdot\\mathrm{clip}\\left((T / e)^{\\eta},\\ 1 - \\delta,\\ 1 + \\delta\\right).

    Parameters
    ----------
    target : float, default 1.0
        Set-point mean squared activity ``T``, > 0.
    momentum : float, default 0.05
        Rate ``rho`` of the running estimate, in (0, 1].
    eta : float, default 0.05
        Exponent: strength of the pull per report, > 0.
    max_step : float, default 0.01
        Largest relative change of the gain per report ``delta``, in (0, 1).
    device, dtype : optional
        Where and in what type the buffers are made.

    Attributes
    ----------
    gain, estimate : Tensor, shape ()
        Buffers: the shared gain ``g`` and the running estimate ``e``.
    num_batches_tracked : Tensor
        Buffer: reports received.

    Examples
    --------
    >>> import torch
    >>> g = GlobalGain(momentum=0.1, eta=0.5, max_step=0.05, dtype=torch.float64)
    >>> for _ in range(2000):
    ...     g.observe(9.0 * g.gain ** 2)  # the activity grows with the gain squared
    >>> round(float(g.gain), 2)
    0.33
    """

    _parameter_constraints = {**constraints_of(_NumpyGlobalGain, "target", "momentum", "eta", "max_step"),
                              **TORCH_FACTORY}

    def __init__(self, target: float = 1.0, momentum: float = 0.05, eta: float = 0.05, max_step: float = 0.01,
                 device=None, dtype=None):
        super().__init__()
        factory = {"device": device, "dtype": dtype}
        self.target, self.momentum, self.eta, self.max_step = target, momentum, eta, max_step
        self.register_buffer("gain", torch.ones((), **factory))
        self.register_buffer("estimate", torch.zeros((), **factory))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long, device=device))

    @torch.no_grad()
    def observe(self, mean_square: torch.Tensor):
        """Fold one layer's mean squared activity into the estimate and move the gain."""
        mean_square = torch.as_tensor(mean_square, dtype=self.estimate.dtype, device=self.estimate.device)
        if not bool(torch.isfinite(mean_square)):  # a diverged network: stop here rather than poison the gain
            raise FloatingPointError(f"GlobalGain observed a non-finite activity {float(mean_square)!r}")
        estimate = torch.where(self.num_batches_tracked > 0, self.estimate, mean_square)
        estimate = estimate + self.momentum * (mean_square - estimate)
        factor = torch.clamp((self.target / (estimate + 1e-12)) ** self.eta, 1 - self.max_step, 1 + self.max_step)
        replace_buffer(self, "estimate", estimate)
        replace_buffer(self, "gain", self.gain * factor)
        self.num_batches_tracked = self.num_batches_tracked + 1

    def extra_repr(self) -> str:
        return f"target={self.target}, momentum={self.momentum}, eta={self.eta}, max_step={self.max_step}"


class GlobalHomeostasisNorm(Validated, nn.Module):
    """Network homeostasis by global feedback: ``y = g x`` with one ``g`` for the whole network.

    The layer of :class:`homeostasis.ann.GlobalHomeostasisNorm` (whose docstring tells the
    biology). Every such layer of a network holds the *same* :class:`GlobalGain` (a shared
    submodule), reads its gain and, in a training-mode pass, reports the mean square of its
    output to it. Autograd sees ``g`` as a constant; ``eval()`` stops the reports.

    Parameters
    ----------
    shared : homeostasis.torch.GlobalGain
        The one gain of the network; pass the same object to every layer.

    Examples
    --------
    >>> import torch
    >>> shared = GlobalGain()
    >>> a, b = GlobalHomeostasisNorm(shared), GlobalHomeostasisNorm(shared)
    >>> _ = a(torch.full((1, 2), 3.0))
    >>> a.shared is b.shared and float(shared.gain) < 1.0
    True
    """

    scale = "network"
    counterpart = "self-normalization"
    biology = "network homeostasis by global feedback"
    _parameter_constraints = {"shared": InstanceOf(GlobalGain, "a GlobalGain (the one gain of the network)")}

    def __init__(self, shared: GlobalGain):
        super().__init__()
        self.shared = shared
        self.adapt = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.shared.gain * x
        if self.training and self.adapt:
            self.shared.observe((y.detach() ** 2).mean())
        return y
