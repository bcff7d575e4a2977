"""Neuron scale: intrinsic-plasticity normalization for 1-d (features, sequences) and 2-d (images) activity.

Examples
--------
>>> import torch
>>> norm = IntrinsicPlasticityNorm2d(4)
>>> norm(torch.randn(2, 4, 5, 5)).shape, norm.gain.shape
(torch.Size([2, 4, 5, 5]), torch.Size([4]))
"""
from __future__ import annotations

import torch
from torch import nn

from ..ann.bio import IntrinsicPlasticityNorm
from ..ann.layers import UNITS
from ..ann.validation import Validated
from ._common import FLAG, TORCH_FACTORY, constraints_of, replace_buffer

__all__ = ["IntrinsicPlasticityNorm1d", "IntrinsicPlasticityNorm2d"]

_CONSTRAINTS = {"num_features": UNITS, **constraints_of(IntrinsicPlasticityNorm, "momentum", "eta", "eps"),
                "affine": FLAG, **TORCH_FACTORY}


class _IntrinsicPlasticity(nn.Module):
    """The rule of both dimensionalities; subclasses name the input shapes they take."""

    scale = "neuron"
    counterpart = "batch normalization"
    biology = "intrinsic plasticity"
    _dims: tuple = ()

    def _setup(self, num_features, momentum, eta, eps, affine, device, dtype):
        factory = {"device": device, "dtype": dtype}
        self.num_features, self.momentum, self.eta, self.eps, self.affine = num_features, momentum, eta, eps, affine
        self.adapt = True
        if affine:
            self.weight = nn.Parameter(torch.ones(num_features, **factory))
            self.bias = nn.Parameter(torch.zeros(num_features, **factory))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.register_buffer("running_mean", torch.zeros(num_features, **factory))
        self.register_buffer("running_var", torch.ones(num_features, **factory))
        self.register_buffer("gain", torch.ones(num_features, **factory))
        self.register_buffer("threshold", torch.zeros(num_features, **factory))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long, device=device))

    def _check_input(self, x):
        if x.dim() not in self._dims:
            raise ValueError(f"{type(self).__name__} takes {' or '.join(f'{d}-D' for d in self._dims)} input "
                             f"(batch, {self.num_features} channels, ...), got {x.dim()}-D input of shape {tuple(x.shape)}")
        if x.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__} has {self.num_features} channels but the input has {x.shape[1]} "
                             f"(shape {tuple(x.shape)})")

    @property
    def bias_equivalent(self) -> torch.Tensor:
        """The bias ``-a theta`` of ``y = a x + b`` before the affine part (the numpy layer's ``bias``)."""
        return -self.gain * self.threshold

    def _adapt(self, x):
        axes = [0, *range(2, x.dim())]
        shape = (1, -1) + (1,) * (x.dim() - 2)
        x = x.to(self.running_mean.dtype)
        count = x.numel() // x.shape[1]
        first = self.num_batches_tracked == 0
        m = x.mean(dim=axes)
        # on the first batch the estimates start at its own statistics (variance 1 for one value)
        batch_var = x.var(dim=axes, unbiased=False) if count > 1 else torch.ones_like(m)
        mean = torch.where(first, m, self.running_mean + self.momentum * (m - self.running_mean))
        spread = ((x - mean.view(shape)) ** 2).mean(dim=axes)
        var = torch.where(first, batch_var, self.running_var + self.momentum * (spread - self.running_var))
        goal = 1.0 / torch.sqrt(var + self.eps)
        replace_buffer(self, "gain", torch.where(first, goal, self.gain + self.eta * (goal - self.gain)))
        replace_buffer(self, "threshold", torch.where(first, mean, self.threshold + self.eta * (mean - self.threshold)))
        replace_buffer(self, "running_mean", mean)
        replace_buffer(self, "running_var", var)
        self.num_batches_tracked = self.num_batches_tracked + 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check_input(x)
        if self.training and self.adapt:
            with torch.no_grad():
                self._adapt(x.detach())
        shape = (1, -1) + (1,) * (x.dim() - 2)
        h = self.gain.view(shape) * (x - self.threshold.view(shape))
        if self.weight is None:
            return h
        return self.weight.view(shape) * h + self.bias.view(shape)

    def extra_repr(self) -> str:
        return f"{self.num_features}, momentum={self.momentum}, eta={self.eta}, eps={self.eps}, affine={self.affine}"


_DOC = """Intrinsic-plasticity normalization of {what}: each channel tunes its own gain and threshold.

    The layer of :class:`homeostasis.ann.IntrinsicPlasticityNorm` (whose docstring tells the
    biology), per channel like ``nn.{bn}``, over {over}. Channel ``j`` keeps running
    estimates (rate ``momentum``) of the mean and variance of its input over time,
    ``m_j <- m_j + rho (x_j - m_j)`` and ``v_j <- v_j + rho ((x_j - m_j)^2 - v_j)``
    (averaged over the batch{pos}), and moves its gain ``a_j`` and threshold ``theta_j``
    toward the values that would give its output mean 0 and variance 1:

    .. math::

        a_j \\leftarrow a_j + \\eta\\,(1/\\sqrt{{v_j + \\epsilon}} - a_j), \\qquad
        \\theta_j \\leftarrow \\theta_j + \\eta\\,(m_j - \\theta_j), \\qquad
        y_j = \\gamma_j\\, a_j (x_j - \\theta_j) + \\beta_j.

    Unlike batch normalization the output of a sample does not depend on the rest of its
    batch, in training as in evaluation, so it trains with a batch of one. ``weight``
    (``gamma``) and ``bias`` (``beta``) are trained by autograd; the gain and threshold are
    buffers, moved only in training-mode forward passes and frozen by ``eval()`` (or by
    ``adapt = False``). On the first training batch the estimates, gain and threshold start
    at that batch's values (variance 1 if a channel has a single value).

    Parameters
    ----------
    num_features : int
        Channels ``C``, at least 1.
    momentum : float, default 0.01
        Rate ``rho`` of the running mean and variance, in (0, 1].
    eta : float, default 0.1
        Rate at which gain and threshold follow their targets, in (0, 1].
    eps : float, default 1e-5
        Added to the variance before the square root, > 0.
    affine : bool, default True
        Learn ``gamma`` and ``beta``, as in ``nn.{bn}``.
    device, dtype : optional
        Where and in what type parameters and buffers are made.

    Attributes
    ----------
    running_mean, running_var, gain, threshold : Tensor, shape (num_features,)
        Buffers: the rule's estimates and the channel's gain and threshold.
    num_batches_tracked : Tensor
        Buffer: training batches the rule has seen.

    Examples
    --------
    >>> import torch
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> norm = {cls}(2)
    >>> for _ in range(1000):
    ...     _ = norm(torch.randn({shape}) * torch.tensor({scale}) + 5.0)
    >>> [round(v, 1) for v in (norm.gain * torch.tensor([3.0, 0.1])).tolist()]  # gain ~ 1 / input std
    [1.0, 1.0]
    """


class IntrinsicPlasticityNorm1d(Validated, _IntrinsicPlasticity):
    __doc__ = _DOC.format(what="features or sequences", bn="BatchNorm1d", over="input (N, C) or (N, C, L)",
                          pos=" and every position", cls="IntrinsicPlasticityNorm1d", shape="16, 2",
                          scale="[3.0, 0.1]")
    _parameter_constraints = _CONSTRAINTS
    _dims = (2, 3)

    def __init__(self, num_features: int, momentum: float = 0.01, eta: float = 0.1, eps: float = 1e-5,
                 affine: bool = True, device=None, dtype=None):
        super().__init__()
        self._setup(num_features, momentum, eta, eps, affine, device, dtype)


class IntrinsicPlasticityNorm2d(Validated, _IntrinsicPlasticity):
    __doc__ = _DOC.format(what="images (per channel)", bn="BatchNorm2d", over="input (N, C, H, W)",
                          pos=" and every pixel", cls="IntrinsicPlasticityNorm2d", shape="4, 2, 2, 2",
                          scale="[3.0, 0.1]).view(1, 2, 1, 1")
    _parameter_constraints = _CONSTRAINTS
    _dims = (4,)

    def __init__(self, num_features: int, momentum: float = 0.01, eta: float = 0.1, eps: float = 1e-5,
                 affine: bool = True, device=None, dtype=None):
        super().__init__()
        self._setup(num_features, momentum, eta, eps, affine, device, dtype)
