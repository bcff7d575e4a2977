"""Synapse scale: synaptic scaling, the biological counterpart of weight normalization.

All excitatory inputs of a neuron are multiplied by one factor set by the neuron's activity
error, so their relative strengths (the direction of the incoming weight vector) are kept
and only the overall length changes, as in weight normalization ``w = g v / ||v||``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from brian2 import Hz, ms, second

from models.contribution import Contribution, SynapseTerms
from models.parameters import param

from .mechanism import Mechanism
from .rate import RATE_DT, every_rate_dt, rate_trace

__all__ = ["SynapticScaling"]


@dataclass(frozen=True)
class SynapticScaling(Mechanism):
    """Multiplicative scaling of every excitatory synapse onto a neuron.

    .. math::
        w_{eff} = g \\, w, \\qquad
        \\frac{dg}{dt} = \\frac{g \\, (r_0 - r_{post})}{\\tau_{scaling} \\, r_0}

    with ``r_post`` the postsynaptic rate trace (Turrigiano et al. 1998; van Rossum, Bi &
    Turrigiano 2000). Scaling multiplies all excitatory weights of a neuron by the same
    factor, so it is kept once per neuron, as the gain ``g`` of weight normalization
    (``w = g v / ||v||``): a spike transmits ``w_eff = g_scaling_post * w``, and ``w``
    keeps the relative strengths. Read ``w_eff`` of the synapses for the scaled weights
    (to follow them in time, record ``g_scaling`` of the neurons: Brian2 cannot monitor a
    synaptic expression of postsynaptic variables). ``g`` is slow, so it takes one Euler
    step per ``rate_dt`` (1 ms), with the rate trace; the relative error per step is about
    ``(rate_dt |r_0 - r| / (tau_scaling r_0))^2 / 2``.

    Parameters
    ----------
    target_rate : Quantity
        Set-point firing rate ``r_0``.
    tau_scaling : Quantity
        Time constant of scaling (hours in cortex; seconds here to compress time). At
        least 100 ms, so that one step cannot flip the factor's sign below a rate of
        ``100 r_0``.
    tau_r : Quantity
        Time constant of the postsynaptic rate trace.

    Examples
    --------
    >>> from brian2 import Hz, pA, second
    >>> from models import Circuit, CurrentLIF, poisson_source
    >>> c = Circuit()
    >>> E = c.population("E", CurrentLIF(), 10, [SynapticScaling(target_rate=5 * Hz, tau_scaling=10 * second)])
    >>> inp = c.add(poisson_source(100, 10 * Hz))
    >>> S = c.connect(inp, E, "exc", weight=40 * pA, p=0.5)
    >>> float(S.w_eff[0] / pA)  # the factor starts at 1
    40.0
    """

    scale: ClassVar[str] = "synapse"
    counterpart: ClassVar[str] = "weight normalization"
    biology: ClassVar[str] = "synaptic scaling of excitatory inputs (Turrigiano et al. 1998)"

    target_rate: object = param(5 * Hz, Hz, "set-point firing rate")
    tau_scaling: object = param(10 * second, ms, "time constant of multiplicative scaling")
    tau_r: object = param(1 * second, ms, "time constant of the rate trace")

    def _check(self):
        if self.tau_scaling < 100 * RATE_DT:
            raise ValueError(f"tau_scaling ({self.tau_scaling}) of SynapticScaling must be at least "
                             f"{100 * RATE_DT}: the factor takes one Euler step per {RATE_DT}")

    def contribution(self, model) -> Contribution:
        if not model.spiking:
            raise ValueError(f"SynapticScaling needs a spiking model, not {type(model).__name__}")
        return Contribution(
            equations="g_scaling : 1",
            requires=(rate_trace(self.tau_r),),
            initial={"r": self.target_rate, "g_scaling": 1.0},
            namespace=self.namespace(),
            regular=every_rate_dt("g_scaling *= 1 + rate_dt * (target_rate - r) / (tau_scaling * target_rate)"),
            synapses={"exc": SynapseTerms(weight_factor="g_scaling_post")},
        )
