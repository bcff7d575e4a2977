"""Synapse scale: synaptic scaling normalization (SSN) as drop-ins for ``nn.Linear`` and ``nn.ConvNd``.

Examples
--------
>>> import torch
>>> layer = SynapticScalingLinear(4, 3)
>>> _ = layer(torch.randn(8, 4))  # a training-mode pass: the rule has seen one batch
>>> int(layer.num_batches_tracked), layer.gain.shape
(1, torch.Size([3]))
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..ann.bio import SynapticScalingNorm
from ..ann.layers import UNITS
from ..ann.validation import Options, Validated
from ._common import FLAG, TORCH_FACTORY, constraints_of, replace_buffer

__all__ = ["SynapticScalingLinear", "SynapticScalingConv1d", "SynapticScalingConv2d"]

_RULE = constraints_of(SynapticScalingNorm, "target", "momentum", "eta", "max_step")
_CONV = {"in_channels": UNITS, "out_channels": UNITS, "kernel_size": "no_validation", "stride": "no_validation",
         "padding": "no_validation", "dilation": "no_validation", "groups": UNITS, "bias": FLAG,
         "padding_mode": Options(("zeros", "reflect", "replicate", "circular")), **_RULE, **TORCH_FACTORY}
#: Floor under the mean square drive in the rule's division, as in the numpy layer.
_TINY = 1e-12


class _SynapticScaling:
    """The rule, shared by the linear and convolutional layers (the parent holds ``weight``).

    ``_channel_axis(z)`` names the axis of the output units; the drive is averaged over all others.
    """

    scale = "synapse"
    counterpart = "weight normalization"
    biology = "synaptic scaling"

    def _init_rule(self, target, momentum, eta, max_step):
        self.target, self.momentum, self.eta, self.max_step = target, momentum, eta, max_step
        self.adapt = True
        w = self.weight
        self.register_buffer("gain", self._direction_norm().detach().clone())
        self.register_buffer("activity", torch.zeros(w.shape[0], device=w.device, dtype=w.dtype))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long, device=w.device))

    def reset_parameters(self):
        """New initial weights (the parent's initialization), gains at their norms, the rule's memory cleared."""
        super().reset_parameters()
        if hasattr(self, "gain"):  # the parent's __init__ calls this before the buffers exist
            with torch.no_grad():
                self.gain.copy_(self._direction_norm())
                self.activity.zero_()
                self.num_batches_tracked.zero_()

    def _direction_norm(self) -> torch.Tensor:
        return torch.linalg.vector_norm(self.weight.flatten(1), dim=1)

    @property
    def effective_weight(self) -> torch.Tensor:
        """The weights the input actually sees, ``g_j w_j / ||w_j||`` (differentiable in ``weight``)."""
        scale = self.gain / self._direction_norm()
        return self.weight * scale.view(-1, *[1] * (self.weight.dim() - 1))

    def scaling_factor(self) -> torch.Tensor:
        """This step's multiplicative factor per unit (1 before any input has been seen)."""
        ratio = self.target / torch.sqrt(self.activity + _TINY)
        factor = torch.clamp(ratio ** self.eta, 1 - self.max_step, 1 + self.max_step)
        return torch.where(self.num_batches_tracked > 0, factor, torch.ones_like(factor))

    def _scaled(self, x, apply):
        """``apply(x, effective_weight)``, with the rule before (the gain) and after (the activity)."""
        adapting = self.training and self.adapt
        if adapting:
            with torch.no_grad():
                # an all-zero batch says nothing about the synapses: no scaling, no estimate (no host sync)
                informative = torch.any(x != 0)
                replace_buffer(self, "gain", torch.where(informative, self.gain * self.scaling_factor(), self.gain))
        z = apply(x, self.effective_weight)
        if adapting:
            with torch.no_grad():
                axis = self._channel_axis(z)
                others = [d for d in range(z.dim()) if d != axis]
                drive = z.detach() ** 2
                drive = drive.mean(dim=others) if others else drive
                moved = torch.where(self.num_batches_tracked > 0,
                                    self.activity + self.momentum * (drive - self.activity), drive)
                replace_buffer(self, "activity", torch.where(informative, moved, self.activity))
                self.num_batches_tracked = self.num_batches_tracked + informative.long()
        return z

    def _rule_repr(self) -> str:
        return f"target={self.target}, momentum={self.momentum}, eta={self.eta}, max_step={self.max_step}"


class SynapticScalingLinear(_SynapticScaling, Validated, nn.Linear):
    """SSN, a drop-in for ``nn.Linear``: one gain per output unit scales all its incoming weights.

    The layer of :class:`homeostasis.ann.SynapticScalingNorm`, as a PyTorch module (its
    docstring tells the biology and why the rule is built this way). The weights a unit's
    input sees are a gain ``g_j`` on the direction of the trained weights ``w_j``:

    .. math:: w^{eff}_j = g_j\\, \\frac{w_j}{\\lVert w_j \\rVert}, \\qquad z_j = x \\cdot w^{eff}_j + b_j .

    Autograd trains ``weight`` and ``bias`` with the gains held constant; the gains follow a
    local rule. Unit ``j`` keeps a running estimate (rate ``momentum``) of the mean square
    of its pre-activation over the batch,

    .. math:: s_j \\leftarrow s_j + \\rho\\,(\\overline{z_j^2} - s_j),

    and at the start of each training-mode forward pass multiplies its gain by

    .. math:: f_j = \\mathrm{clip}\\left((r_0 / \\sqrt{s_j})^{\\eta},\\ 1 - \\delta,\\ 1 + \\delta\\right).

    On the first batch ``f_j = 1`` and ``s_j`` starts at that batch's mean square. A batch
    whose input is all zero changes nothing. ``eval()`` freezes the gains, as does setting
    ``adapt = False``. The weights start as ``nn.Linear``'s and the gains at their norms, so
    the layer starts as the ``nn.Linear`` it replaces.

    Parameters
    ----------
    in_features, out_features : int
        Input and output units, at least 1.
    bias : bool, default True
        Learn an additive bias (not scaled: it is not a synapse).
    target : float, default 1.0
        Set-point RMS pre-activation ``r0``, > 0.
    momentum : float, default 0.05
        Rate ``rho`` of the running activity estimate, in (0, 1].
    eta : float, default 0.1
        Exponent of the scaling factor, > 0.
    max_step : float, default 0.01
        Largest relative change of a gain per step ``delta``, in (0, 1).
    device, dtype : optional
        Where and in what type the parameters and buffers are made, as in ``nn.Linear``.

    Attributes
    ----------
    gain : Tensor, shape (out_features,)
        Buffer: the length ``g`` of each unit's effective weight vector.
    activity : Tensor, shape (out_features,)
        Buffer: running mean square pre-activation ``s`` (meaningless while
        ``num_batches_tracked`` is 0).
    num_batches_tracked : Tensor
        Buffer: training batches the rule has seen.

    Examples
    --------
    >>> import torch
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> layer = SynapticScalingLinear(4, 2)
    >>> for _ in range(600):  # a tenfold input: the gains fall until the drive is back at 1
    ...     _ = layer(10 * torch.randn(32, 4))
    >>> rms = layer.eval()(10 * torch.randn(4000, 4)).pow(2).mean(0).sqrt()
    >>> bool(torch.allclose(rms, torch.ones(2), rtol=0.15)), bool(torch.all(layer.gain < 0.5))
    (True, True)
    """

    _parameter_constraints = {"in_features": UNITS, "out_features": UNITS, "bias": FLAG, **_RULE, **TORCH_FACTORY}

    def __init__(self, in_features: int, out_features: int, bias: bool = True, target: float = 1.0,
                 momentum: float = 0.05, eta: float = 0.1, max_step: float = 0.01, device=None, dtype=None):
        super().__init__(in_features, out_features, bias, device=device, dtype=dtype)
        self._init_rule(target, momentum, eta, max_step)

    def _channel_axis(self, z):
        return z.dim() - 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._scaled(x, lambda inp, w: F.linear(inp, w, self.bias))

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, {self._rule_repr()}"


class _SynapticScalingConv(_SynapticScaling):
    def _channel_axis(self, z):
        # (N, C, *spatial) or, unbatched, (C, *spatial)
        return z.dim() - len(self.kernel_size) - 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._scaled(x, lambda inp, w: self._conv_forward(inp, w, self.bias))

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, {self._rule_repr()}"


_CONV_DOC = """SSN, a drop-in for ``nn.{conv}``: one gain per output channel scales all its kernel's weights.

    The rule of :class:`SynapticScalingLinear` with a channel in the place of a unit: channel
    ``j``'s kernel ``w_j`` (all its input channels and taps) is a direction times a gain,
    ``w^{{eff}}_j = g_j w_j / ||w_j||``. The running mean square pre-activation of the
    channel, averaged over the batch and every position, is updated in each training-mode
    forward pass,

    .. math:: s_j \\leftarrow s_j + \\rho\\,(\\overline{{z_j^2}} - s_j),

    after the gain was multiplied, at the start of the pass, by

    .. math:: f_j = \\mathrm{{clip}}\\left((r_0 / \\sqrt{{s_j}})^{{\\eta}},\\ 1 - \\delta,\\ 1 + \\delta\\right).

    The convolution of each position is a ``Linear`` on its input patch, so this is the numpy
    :class:`homeostasis.ann.SynapticScalingNorm` applied to every patch. Arguments are those
    of ``nn.{conv}`` followed by the rule's (``target``, ``momentum``, ``eta``, ``max_step``,
    see :class:`SynapticScalingLinear`), then ``device`` and ``dtype``.

    Examples
    --------
    >>> import torch
    >>> layer = {cls}(3, 8, 3, padding=1)
    >>> layer(torch.randn({shape})).shape, layer.gain.shape
    (torch.Size([{out}]), torch.Size([8]))
    """


class SynapticScalingConv1d(_SynapticScalingConv, Validated, nn.Conv1d):
    __doc__ = _CONV_DOC.format(conv="Conv1d", cls="SynapticScalingConv1d", shape="2, 3, 10", out="2, 8, 10")
    _parameter_constraints = _CONV

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", target: float = 1.0,
                 momentum: float = 0.05, eta: float = 0.1, max_step: float = 0.01, device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device=device, dtype=dtype)
        self._init_rule(target, momentum, eta, max_step)


class SynapticScalingConv2d(_SynapticScalingConv, Validated, nn.Conv2d):
    __doc__ = _CONV_DOC.format(conv="Conv2d", cls="SynapticScalingConv2d", shape="2, 3, 6, 6", out="2, 8, 6, 6")
    _parameter_constraints = _CONV

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                 groups: int = 1, bias: bool = True, padding_mode: str = "zeros", target: float = 1.0,
                 momentum: float = 0.05, eta: float = 0.1, max_step: float = 0.01, device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, device=device, dtype=dtype)
        self._init_rule(target, momentum, eta, max_step)
