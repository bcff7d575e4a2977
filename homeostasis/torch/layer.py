"""Layer scale: divisive normalization, each sample divided by the pooled activity of its layer.

Examples
--------
>>> import torch
>>> norm = DivisiveNorm(3)
>>> x = torch.tensor([[1.0, 2.0, 2.0]])
>>> bool(torch.allclose(norm(x), norm(10 * x), atol=1e-3))
True
"""
from __future__ import annotations

import torch
from torch import nn

from ..ann.bio import DivisiveNorm as _NumpyDivisiveNorm
from ..ann.layers import UNITS
from ..ann.validation import Validated
from ._common import FLAG, TORCH_FACTORY, constraints_of

__all__ = ["DivisiveNorm"]


class DivisiveNorm(Validated, nn.Module):
    """Divisive normalization by lateral inhibition: each unit divided by its layer's pooled activity.

    The layer of :class:`homeostasis.ann.DivisiveNorm` (whose docstring tells the biology).
    For each sample, the pool is the mean square over the whole layer (every channel, and
    every position of a sequence or image):

    .. math:: y_i = \\gamma_i \\frac{x_i}{\\sqrt{\\sigma^2 + \\frac{1}{N}\\sum_j x_j^2}} + \\beta_i

    with ``gamma`` and ``beta`` per channel. This is RMSNorm with ``sigma ** 2`` for its
    ``eps`` plus a bias, or layer normalization without the subtraction of the mean. It has
    no slow state (the inhibition acts within the pass, so training and evaluation compute
    the same) and the gradient runs through the pool in full.

    Parameters
    ----------
    num_features : int
        Channels ``C`` of the input (N, C, ...), at least 1.
    sigma : float, default 1e-2
        Semi-saturation constant, > 0: below it the pool no longer divides.
    affine : bool, default True
        Learn ``gamma`` and ``beta``.
    device, dtype : optional
        Where and in what type the parameters are made.

    Examples
    --------
    >>> import torch
    >>> DivisiveNorm(4)(torch.randn(2, 4, 5, 5)).shape
    torch.Size([2, 4, 5, 5])
    """

    scale = "layer"
    counterpart = "layer normalization"
    biology = "divisive normalization by lateral inhibition"
    _parameter_constraints = {"num_features": UNITS, **constraints_of(_NumpyDivisiveNorm, "sigma"), "affine": FLAG,
                              **TORCH_FACTORY}

    def __init__(self, num_features: int, sigma: float = 1e-2, affine: bool = True, device=None, dtype=None):
        super().__init__()
        factory = {"device": device, "dtype": dtype}
        self.num_features, self.sigma, self.affine = num_features, sigma, affine
        if affine:
            self.weight = nn.Parameter(torch.ones(num_features, **factory))
            self.bias = nn.Parameter(torch.zeros(num_features, **factory))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() < 2 or x.shape[1] != self.num_features:
            raise ValueError(f"DivisiveNorm takes input (batch, {self.num_features} channels, ...), "
                             f"got shape {tuple(x.shape)}")
        pool = torch.sqrt(self.sigma ** 2 + (x ** 2).mean(dim=tuple(range(1, x.dim())), keepdim=True))
        if self.weight is None:
            return x / pool
        shape = (1, -1) + (1,) * (x.dim() - 2)
        return self.weight.view(shape) * x / pool + self.bias.view(shape)

    def extra_repr(self) -> str:
        return f"{self.num_features}, sigma={self.sigma}, affine={self.affine}"
