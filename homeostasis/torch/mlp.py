"""The numpy engine's multilayer perceptron as a ``torch.nn.Module``, with the same initial weights.

For :func:`homeostasis.torch.trainer.train` and ``homeostasis compare --engine torch``: the same
architecture per method as :class:`homeostasis.ann.MLP`, built from a numpy ``MLP`` made with the
same ``random_state``, so that the two engines start from identical weights and differ only in
their arithmetic. Batch, layer and weight normalization are PyTorch's own modules.

Examples
--------
>>> import torch
>>> net = MLP([4, 8, 3], "ssn", random_state=0)
>>> [type(m).__name__ for m in net.layers]
['SynapticScalingLinear', 'ReLU', 'Linear']
>>> net.predict(torch.zeros(2, 4)).shape
torch.Size([2])
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import parametrizations

from .. import ann
from ..ann.mlp import MLP as _NumpyMLP
from ..ann.validation import Validated
from ._common import TORCH_FACTORY, Readouts
from .layer import DivisiveNorm
from .network import GlobalGain, GlobalHomeostasisNorm
from .neuron import IntrinsicPlasticityNorm1d
from .synapse import SynapticScalingLinear

__all__ = ["MLP"]


def _array(a, factory):
    return torch.as_tensor(a, **factory).clone()


class MLP(Readouts, Validated, nn.Module):
    """Fully connected network whose hidden blocks use one normalization method (torch engine).

    Parameters
    ----------
    sizes : sequence of int
        Input size, hidden sizes, number of classes.
    method : str, default "none"
        One of :data:`homeostasis.ann.METHODS`; the blocks are those of :class:`homeostasis.ann.MLP`.
    random_state : None, int or numpy.random.Generator, default None
        Draws the initial weights, exactly as the numpy ``MLP`` with the same value does.
    device, dtype : optional
        Where and in what type the network is made (default: torch's default type).

    Attributes
    ----------
    layers : torch.nn.Sequential
    shared : homeostasis.torch.GlobalGain or None
        The network's one gain for method ``global``.
    """

    _parameter_constraints = {k: _NumpyMLP._parameter_constraints[k] for k in ("sizes", "method", "random_state")} \
        | TORCH_FACTORY

    def __init__(self, sizes, method: str = "none", random_state=None, device=None, dtype=None):
        super().__init__()
        reference = _NumpyMLP(sizes, method, random_state=random_state)
        f = {"device": device, "dtype": dtype if dtype is not None else torch.get_default_dtype()}
        self.sizes, self.method = reference.sizes, method
        self.shared = GlobalGain(**f) if method == "global" else None
        modules, self._activations = [], []
        for layer in reference.layers:
            modules.append(self._convert(layer, f))
            if any(layer is a for a in reference.activations):
                self._activations.append(len(modules) - 1)
        self.layers = nn.Sequential(*modules)

    def _convert(self, layer, f):
        p = layer.params
        if isinstance(layer, ann.SynapticScalingNorm):
            m = SynapticScalingLinear(*p["w"].shape, target=layer.target, momentum=layer.momentum, eta=layer.eta,
                                      max_step=layer.max_step, **f)
            with torch.no_grad():
                m.weight.copy_(_array(p["w"].T, f))
                m.bias.copy_(_array(p["b"], f))
                m.gain.copy_(_array(layer.gain, f))
            return m
        if isinstance(layer, ann.WeightNormLinear):
            m = nn.Linear(*p["v"].shape, **f)
            with torch.no_grad():
                m.weight.copy_(_array(p["v"].T, f))
                m.bias.copy_(_array(p["b"], f))
            m = parametrizations.weight_norm(m, dim=0)
            with torch.no_grad():
                m.parametrizations.weight.original0.copy_(_array(p["g"], f).view(-1, 1))
            return m
        if isinstance(layer, ann.Linear):
            m = nn.Linear(*p["w"].shape, **f)
            with torch.no_grad():
                m.weight.copy_(_array(p["w"].T, f))
                m.bias.copy_(_array(p["b"], f))
            return m
        n = len(p["gamma"]) if "gamma" in p else None
        if isinstance(layer, ann.BatchNorm):
            return nn.BatchNorm1d(n, momentum=layer.momentum, eps=layer.eps, **f)
        if isinstance(layer, ann.LayerNorm):
            return nn.LayerNorm(n, eps=layer.eps, **f)
        if isinstance(layer, ann.IntrinsicPlasticityNorm):
            return IntrinsicPlasticityNorm1d(n, momentum=layer.momentum, eta=layer.eta, eps=layer.eps, **f)
        if isinstance(layer, ann.DivisiveNorm):
            return DivisiveNorm(n, sigma=layer.sigma, **f)
        if isinstance(layer, ann.GlobalHomeostasisNorm):
            return GlobalHomeostasisNorm(self.shared)
        if isinstance(layer, ann.ReLU):
            return nn.ReLU()
        if isinstance(layer, ann.SELU):
            return nn.SELU()
        raise TypeError(f"no torch module for the numpy layer {type(layer).__name__}")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)

    def _hidden(self, x: torch.Tensor):
        """The post-activation output of every hidden block: what ``hidden_activations`` returns."""
        for k, module in enumerate(self.layers):
            x = module(x)
            if k in self._activations:
                yield x

    def extra_repr(self) -> str:
        return f"sizes={self.sizes}, method={self.method!r}"
