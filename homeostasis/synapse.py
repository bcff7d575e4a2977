"""Synapse scale: synaptic scaling, the biological counterpart of weight normalization.

All excitatory inputs of a neuron are multiplied by one factor set by the neuron's activity
error, so their relative strengths (the direction of the incoming weight vector) are kept
and only the overall length changes, as in weight normalization ``w = g v / ||v||``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from brian2 import DimensionMismatchError, Hz, amp, get_dimensions, get_unit, have_same_dimensions, ms, nS, second, siemens

from homeostasis.models.contribution import Contribution, Regular, SynapseTerms
from homeostasis.models.parameters import check_expression, param

from .mechanism import Mechanism
from .rate import RATE_DT, every_rate_dt, rate_trace

__all__ = ["SynapticScaling", "WeightSumNormalization"]


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

    ``target_rate``, ``tau_scaling`` and ``tau_r`` are run-time parameters
    (:mod:`homeostasis.models.runtime`): shared constant variables of the population (``E.target_rate``),
    so a compiled cpp_standalone project runs with new values without compiling again.

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
    connections : tuple of str, optional
        Names of the excitatory connections it scales (``Circuit.connect(..., name=)``);
        default: all of them.
    name : str, optional
        Suffix of its variables (``g_scaling_<name>``, ``target_rate_<name>``, its rate
        trace ``r_<name>``): with it, it may have its own set point beside another mechanism.

    ``target_rate`` may be an array with one value per neuron: it is then a per-neuron
    ``(constant)`` variable of the population, each neuron scaled toward its own set point.

    Examples
    --------
    >>> from brian2 import Hz, pA, second
    >>> from homeostasis.models import Circuit, CurrentLIF, poisson_source
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
    connections: tuple | None = None

    def _check(self):
        super()._check()
        _check_connections(self)
        if np.size(self.tau_scaling) != 1:
            raise ValueError("tau_scaling of SynapticScaling must be one value (only target_rate may be per neuron)")
        if self.tau_scaling < 100 * RATE_DT:
            raise ValueError(f"tau_scaling ({self.tau_scaling}) of SynapticScaling must be at least "
                             f"{100 * RATE_DT}: the factor takes one Euler step per {RATE_DT}")

    def contribution(self, model) -> Contribution:
        if not model.spiking:
            raise ValueError(f"SynapticScaling needs a spiking model, not {getattr(model, 'label', type(model).__name__)}")
        return Contribution(
            equations="g_scaling : 1",
            requires=(rate_trace(self.tau_r),),
            # the rate trace starts at the set point, read from the parameter so that it
            # follows a new value of a run-time parameter
            initial={"r": "target_rate", "g_scaling": 1.0},
            # set point and time constants are run-time values: a sweep over them on
            # cpp_standalone runs one compiled project (homeostasis.models.runtime)
            runtime=self.namespace(),
            regular=every_rate_dt("g_scaling *= 1 + rate_dt * (target_rate - r) / (tau_scaling * target_rate)"),
            synapses={"exc": SynapseTerms(weight_factor="g_scaling_post", connections=self.connections)},
        )


@dataclass(frozen=True)
class WeightSumNormalization(Mechanism):
    """Each neuron's summed excitatory weight held at a constant (Diehl & Cook 2015).

    .. math::
        W_j = \\sum_i w_{ij}, \\qquad
        w_{ij} \\leftarrow w_{ij} \\left[1 + g \\left(\\frac{W_{total}}{W_j} - 1\\right)\\right]
        \\text{ every } \\Delta t

    A neuron's inputs compete for a fixed total: when STDP strengthens some, the rescale
    weakens all the others in proportion (heterosynaptic depression, with the total weight
    conserved as Royer & Paré 2003 observed), so a neuron cannot grow strong on everything,
    and its weight vector keeps its direction and gets a fixed length, as in weight
    normalization. ``W_j`` is a Brian2 summed variable of the synapses onto the neuron
    (neuron variable ``w_sum``), the rescale a ``run_regularly`` on those synapses: both
    generated code; the rescale runs after the sum of its time step is computed (in the
    ``after_groups`` slot, before the synapses' own updates of that step), so right after
    it every neuron's sum is ``W_total`` up to rounding.

    ``g`` is the expression ``gate`` (in the population's namespace); 0 freezes the weights'
    length, e.g. ``gate="plastic(t)"`` with a :class:`~brian2.TimedArray` ``plastic``.

    Parameters
    ----------
    w_total : Quantity
        Sum of the excitatory weights onto each neuron, in the model's synaptic unit (Diehl
        & Cook: 78 for 784 inputs, in units of the leak conductance).
    interval : Quantity
        Time between two rescales (Diehl & Cook: once per image).
    gate : str
        Brian2 expression multiplying each rescale's change (default ``"1"``).
    connections : tuple of str, optional
        Names of the excitatory connections whose weights it normalizes
        (``Circuit.connect(..., name=)``); default: the one excitatory connection onto the
        population. Over several, each neuron's *total* over all of them is held at
        ``w_total`` (a summed variable ``w_sum_<name>`` per connection and their sum
        ``w_sum``); the connections not named are left alone.
    tracked : bool
        Keep ``w_sum`` by adding every change the Hebbian rules make to ``w`` (at each pre- and
        postsynaptic spike) and the rescale's factor, instead of summing all the weights at
        every time step. The same sums to rounding, at a cost per spike instead of per
        synapse and step (the summed variable was most of the time of a Diehl & Cook network
        on MNIST). It needs the initial weights of every neuron to sum to ``w_total`` (the
        neurons' ``w_sum`` starts there), no other change of ``w`` between rescales, and one
        connection.

    Examples
    --------
    >>> from brian2 import nS, ms
    >>> from homeostasis.models import Circuit, ConductanceLIF, poisson_source
    >>> c = Circuit()
    >>> E = c.population("E", ConductanceLIF(), 5, [WeightSumNormalization(w_total=10 * nS, interval=100 * ms)])
    >>> inp = c.add(poisson_source(20, 5 * Hz))
    >>> S = c.connect(inp, E, "exc", weight="rand() * nS")
    >>> net = c.network()
    >>> net.run(1 * ms)
    >>> [round(float(x), 9) for x in E.w_sum / nS]
    [10.0, 10.0, 10.0, 10.0, 10.0]
    """

    scale: ClassVar[str] = "synapse"
    counterpart: ClassVar[str] = "weight normalization"
    biology: ClassVar[str] = "conservation of a neuron's total excitatory weight (Royer & Paré 2003; Diehl & Cook 2015)"

    w_total: object = param(78 * nS, (amp, siemens), "sum of the excitatory weights onto each neuron")
    interval: object = param(500 * ms, ms, "time between two rescales")
    gate: str = "1"
    connections: tuple | None = None
    tracked: bool = False

    def _check(self):
        super()._check()
        _check_connections(self)
        check_expression(type(self).__name__, "gate", self.gate)
        if not isinstance(self.tracked, (bool, np.bool_)):
            raise TypeError(f"tracked of WeightSumNormalization must be True or False, got {self.tracked!r}")
        if self.tracked and self.connections is not None and len(self.connections) > 1:
            raise ValueError("WeightSumNormalization(tracked=True) acts on one connection, got "
                             f"{self.connections!r}")

    def contribution(self, model) -> Contribution:
        if not model.spiking:
            raise ValueError(f"WeightSumNormalization needs a spiking model, not {getattr(model, 'label', type(model).__name__)}")
        unit = model.synapse_targets["exc"][1]
        if not have_same_dimensions(self.w_total, unit):
            raise DimensionMismatchError(
                f"parameter 'w_total' of WeightSumNormalization must have the unit of {unit} for "
                f"{getattr(model, 'label', type(model).__name__)}, got {self.w_total!r}", get_dimensions(self.w_total), get_dimensions(unit))
        unit_text = repr(get_unit(get_dimensions(unit)))
        # the clip only keeps a neuron whose weights are all zero at zero (instead of 0 * inf)
        g = "" if self.gate.strip() == "1" else f"({self.gate}) * "
        rescale = f"w = w * (1 + {g}(w_total / clip(w_sum_post, 1e-12 * w_total, 1e12 * w_total) - 1))"
        if self.tracked:
            return self._tracked(rescale, g, unit_text)
        many = self.connections is not None and len(self.connections) > 1
        # Brian2 cannot sum two Synapses into one variable (its issue 766): over several
        # connections each sums into its own w_sum_<connection>, and w_sum, their total, is
        # what every connection's rescale reads, so that the total over all is w_total
        equations = (("\n".join(f"w_sum_{c} : {unit_text}" for c in self.connections)
                      + f"\nw_sum = {' + '.join(f'w_sum_{c}' for c in self.connections)} : {unit_text}")
                     if many else f"w_sum : {unit_text}")
        # (a name= renames w_sum_<connection> to w_sum_<connection>_<name>; the template follows)
        summed = ("w_sum_{connection}" + (f"_{self.name}" if self.name else "") + "_post") if many else "w_sum_post"
        return Contribution(
            equations=equations,
            namespace={"w_total": self.w_total},
            # the total is a run-time value of the synapses (homeostasis.models.runtime)
            synapses={"exc": SynapseTerms(model=f"{summed} = w : {unit_text} (summed)",
                                          regular=(Regular(rescale, self.interval, when="after_groups"),),
                                          runtime={"w_total": self.w_total}, connections=self.connections)},
        )


    def _tracked(self, rescale, g, unit_text) -> Contribution:
        # w_sum follows every change: the rules' (w after them minus w before, a temporary of
        # the pathway's code) and the rescale's (the same factor, on the neurons right after)
        factor = f"(1 + {g}(w_total / clip(w_sum, 1e-12 * w_total, 1e12 * w_total) - 1))"
        before, after = "w_sum_before_rules = w", "w_sum_post += w - w_sum_before_rules"
        return Contribution(
            equations=f"w_sum : {unit_text}", initial={"w_sum": self.w_total},
            namespace={"w_total": self.w_total},
            regular=(Regular(f"w_sum = w_sum * {factor}", self.interval, order=1, when="after_groups"),),
            synapses={"exc": SynapseTerms(on_pre=before, on_post=before, on_pre_last=after, on_post_last=after,
                                          regular=(Regular(rescale, self.interval, when="after_groups"),),
                                          runtime={"w_total": self.w_total}, connections=self.connections)},
        )


def _check_connections(mechanism):
    connections = mechanism.connections
    if connections is None:
        return
    if isinstance(connections, str):
        raise TypeError(f"connections of {type(mechanism).__name__} must be a tuple of connection names, "
                        f"e.g. ({connections!r},), not a string")
    names = tuple(connections)
    if not names or not all(isinstance(c, str) and c.isidentifier() for c in names) or len(set(names)) < len(names):
        raise ValueError(f"connections of {type(mechanism).__name__} must be distinct connection names "
                         f"(the name= given to Circuit.connect), got {connections!r}")
    object.__setattr__(mechanism, "connections", names)
