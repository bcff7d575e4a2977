"""Neuron scale: intrinsic plasticity, the biological counterpart of batch normalization.

A neuron tunes its own excitability so that its activity over time stays near a set point,
as batch normalization holds each unit's statistics over samples at a set point.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from brian2 import Hz, mV, ms, second

from models.circuit import Contribution
from models.parameters import param

from .mechanism import Mechanism

__all__ = ["AdaptiveThreshold"]


@dataclass(frozen=True)
class AdaptiveThreshold(Mechanism):
    """Spiking intrinsic plasticity: the threshold follows the rate error.

    .. math::
        \\frac{dv_{th}}{dt} = \\eta_{th} \\, (r - r_0), \\qquad
        \\frac{dr}{dt} = -\\frac{r}{\\tau_r}, \\quad r \\leftarrow r + 1/\\tau_r \\text{ at a spike}

    The trace ``r`` integrates to the spike count, so the threshold moves by
    ``eta_threshold`` per spike above the ``target_rate * t`` expected ones: it rises in a
    neuron that fires too much and falls in one that fires too little, until every neuron
    fires at ``target_rate`` whatever its drive (Desai et al. 1999).

    Parameters
    ----------
    target_rate : Quantity
        Set-point firing rate ``r_0``.
    eta_threshold : Quantity
        Threshold change per excess spike (volt).
    tau_r : Quantity
        Time constant of the rate trace.

    Examples
    --------
    >>> from brian2 import Hz, nA
    >>> from models import Circuit, CurrentLIF
    >>> c = Circuit()
    >>> E = c.population("E", CurrentLIF(), 10, [AdaptiveThreshold(target_rate=5 * Hz)], I_ext=0.3 * nA)
    """

    scale: ClassVar[str] = "neuron"
    counterpart: ClassVar[str] = "batch normalization"
    biology: ClassVar[str] = "intrinsic plasticity of the spike threshold (Desai et al. 1999)"

    target_rate: object = param(5 * Hz, Hz, "set-point firing rate")
    eta_threshold: object = param(0.5 * mV, mV, "threshold change per spike above the target count")
    tau_r: object = param(1 * second, ms, "time constant of the rate trace")

    def contribution(self, model) -> Contribution:
        if not model.spiking:
            raise ValueError(f"AdaptiveThreshold needs a spiking model, not {type(model).__name__}")
        return Contribution(
            equations="dv_th/dt = eta_threshold * (r - target_rate) : volt",
            claims=("v_th",),
            rate_trace=True,
            initial={"v_th": model.adaptable()["v_th"], "r": self.target_rate},
            namespace=self.namespace(),
        )
