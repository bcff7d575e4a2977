"""Synapse scale: synaptic scaling, the biological counterpart of weight normalization.

All excitatory inputs of a neuron are multiplied by one factor set by the neuron's activity
error, so their relative strengths (the direction of the incoming weight vector) are kept
and only the overall length changes, as in weight normalization ``w = g v / ||v||``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from brian2 import Hz, ms, second

from models.circuit import Contribution, SynapseTerms
from models.parameters import param

from .mechanism import Mechanism

__all__ = ["SynapticScaling"]


@dataclass(frozen=True)
class SynapticScaling(Mechanism):
    """Multiplicative scaling of every excitatory synapse onto a neuron.

    .. math::
        \\frac{dw}{dt} = \\frac{w \\, (r_0 - r_{post})}{\\tau_{scaling} \\, r_0}

    with ``r_post`` the postsynaptic rate trace (Turrigiano et al. 1998; van Rossum, Bi &
    Turrigiano 2000). Scaling is slow, so the equation is integrated exactly over steps of
    ``scaling_dt`` by a ``run_regularly`` update, ``w *= exp(scaling_dt (r_0 - r) /
    (tau_scaling r_0))``: one factor per neuron per step, weights stay positive, and the
    cost does not grow with the simulation time step.

    Parameters
    ----------
    target_rate : Quantity
        Set-point firing rate ``r_0``.
    tau_scaling : Quantity
        Time constant of scaling (hours in cortex; seconds here to compress time).
    tau_r : Quantity
        Time constant of the postsynaptic rate trace.
    scaling_dt : Quantity
        Interval between scaling updates.

    Examples
    --------
    >>> from brian2 import Hz, pA, second
    >>> from models import Circuit, CurrentLIF, poisson_source
    >>> c = Circuit()
    >>> E = c.population("E", CurrentLIF(), 10, [SynapticScaling(target_rate=5 * Hz, tau_scaling=10 * second)])
    >>> inp = c.add(poisson_source(100, 10 * Hz))
    >>> S = c.connect(inp, E, "exc", weight=40 * pA, p=0.5)
    """

    scale: ClassVar[str] = "synapse"
    counterpart: ClassVar[str] = "weight normalization"
    biology: ClassVar[str] = "synaptic scaling of excitatory inputs (Turrigiano et al. 1998)"

    target_rate: object = param(5 * Hz, Hz, "set-point firing rate")
    tau_scaling: object = param(10 * second, ms, "time constant of multiplicative scaling")
    tau_r: object = param(1 * second, ms, "time constant of the rate trace")
    scaling_dt: object = param(50 * ms, ms, "interval between scaling updates")

    def _check(self):
        if self.scaling_dt > self.tau_scaling:
            raise ValueError(f"scaling_dt ({self.scaling_dt}) of SynapticScaling must not exceed "
                             f"tau_scaling ({self.tau_scaling}); the update would overshoot")

    def contribution(self, model) -> Contribution:
        if not model.spiking:
            raise ValueError(f"SynapticScaling needs a spiking model, not {type(model).__name__}")
        # the factor depends only on the neuron, so each neuron computes it once per update
        # and its synapses multiply by it: one exp per neuron, not one per synapse
        factor = "scaling_factor = exp(scaling_dt * (target_rate - r) / (tau_scaling * target_rate))"
        return Contribution(
            equations="scaling_factor : 1",
            rate_trace=True,
            initial={"r": self.target_rate, "scaling_factor": 1.0},
            namespace=self.namespace(),
            run_regularly=[(factor, self.scaling_dt)],
            synapses={"exc": SynapseTerms(run_regularly=[("w *= scaling_factor_post", self.scaling_dt)])},
        )
