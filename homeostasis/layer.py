"""Layer scale: lateral inhibition, the biological counterpart of layer normalization.

Each unit is divided by (rate form) or inhibited in proportion to (spiking form) the pooled
activity of its layer for the same input, as layer normalization divides each unit by
statistics across the layer: the output is invariant to a common rescaling of the input and
the total activity is bounded.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from brian2 import DimensionMismatchError, Hz, Synapses, amp, get_dimensions, have_same_dimensions, ms, pA, second, siemens

from models.contribution import Contribution, SynapseTerms
from models.parameters import param

from .controller import population_controller
from .mechanism import Mechanism
from .rate import rate_trace

__all__ = ["DivisiveNormalization", "InhibitoryPool"]


@dataclass(frozen=True)
class DivisiveNormalization(Mechanism):
    """Rate divisive normalization over a layer (Carandini & Heeger 2012).

    .. math::
        y^{norm}_i = \\gamma \\, \\frac{y_i^n}{\\sigma^n + \\frac{1}{N} \\sum_j y_j^n}

    with ``y_i`` the unit's own (unnormalized) response. The pool ``mean_j y_j^n`` is a
    Brian2 summed variable over all-to-all synapses within the layer, so it is recomputed
    in generated code at every step. For a pooled drive well above ``sigma**n`` a common
    gain on the input cancels: the summed output approaches ``gamma * N`` while the ratios
    between units are kept.

    Parameters
    ----------
    gamma : float
        Maximal response per unit.
    sigma : float
        Semi-saturation constant (same unit as ``y``).
    exponent : float
        Exponent ``n`` of the drive.

    Examples
    --------
    >>> from models import Circuit, RateNeuron
    >>> c = Circuit()
    >>> L = c.population("L", RateNeuron(transfer="rectified"), 20, [DivisiveNormalization(sigma=0.1)])
    """

    scale: ClassVar[str] = "layer"
    counterpart: ClassVar[str] = "layer normalization"
    biology: ClassVar[str] = "divisive normalization by lateral inhibition (Carandini & Heeger 2012)"

    gamma: object = param(1.0, 1, "maximal response of a unit")
    sigma: object = param(0.1, 1, "semi-saturation constant")
    exponent: object = param(2.0, 1, "exponent n of the drive")

    def contribution(self, model) -> Contribution:
        if model.spiking:
            raise ValueError(f"DivisiveNormalization is the rate form; use InhibitoryPool for a "
                             f"spiking layer, got {type(model).__name__}")
        return Contribution(
            equations="""
            pool : 1
            y_norm = gamma * y**exponent / (sigma**exponent + pool) : 1
            """,
            namespace=self.namespace(),
        )

    def objects(self, group, circuit) -> list:
        syn = Synapses(group, group, model="pool_post = y_pre**exponent / N_incoming : 1 (summed)",
                       namespace=self.namespace(), name=f"{group.name}_divisive_pool")
        syn.connect()
        return [syn]


@dataclass(frozen=True)
class InhibitoryPool(Mechanism):
    """Spiking lateral inhibition: a pool fed by the whole layer, with a homeostatic gain.

    An inhibitory pool of ``n_pool`` neurons (like the fly's APL neuron) receives from every
    neuron of the layer and inhibits every one of them back. The efficacy of its output is
    multiplied by one gain ``g`` shared by the layer, adapted slowly so that the fraction of
    active neurons ``A`` (rate trace above ``active_rate``) is held near its set point:

    .. math::
        \\frac{d \\log g}{dt} = \\frac{A - A_0}{\\tau_{gain}}

    Integral control in the logarithm keeps ``g`` positive and makes the active fraction,
    not the input strength, set the steady state: stronger input raises the pool's activity
    and then the gain, until again about ``A_0 N`` neurons fire.

    Parameters
    ----------
    target_active_fraction : float
        Set point ``A_0`` of the fraction of active neurons.
    active_rate : Quantity
        A neuron counts as active while its rate trace exceeds this.
    tau_gain : Quantity
        Time constant of the gain.
    tau_r : Quantity
        Time constant of the rate trace.
    n_pool : int
        Number of pool neurons (same model as the layer).
    w_in, w_out : Quantity
        Weights of the layer-to-pool and pool-to-layer synapses, in the model's synaptic
        unit (amp for :class:`~models.CurrentLIF`, siemens for :class:`~models.ConductanceLIF`).

    Examples
    --------
    >>> from brian2 import nA
    >>> from models import Circuit, CurrentLIF
    >>> c = Circuit()
    >>> L = c.population("L", CurrentLIF(), 50, [InhibitoryPool(target_active_fraction=0.2)], I_ext=0.3 * nA)
    """

    scale: ClassVar[str] = "layer"
    counterpart: ClassVar[str] = "layer normalization"
    biology: ClassVar[str] = "global feedback inhibition keeping a sparse fraction active (fly APL neuron)"

    target_active_fraction: object = param(0.2, 1, "set point of the fraction of active neurons",
                                           bounds="fraction")
    active_rate: object = param(5 * Hz, Hz, "rate-trace level above which a neuron counts as active")
    tau_gain: object = param(100 * ms, ms, "time constant of the pool's homeostatic gain")
    tau_r: object = param(500 * ms, ms, "time constant of the rate trace")
    n_pool: int = 10
    w_in: object = param(150 * pA, (amp, siemens), "weight of layer-to-pool synapses")
    w_out: object = param(100 * pA, (amp, siemens), "weight of pool-to-layer synapses before the gain")

    def _check(self):
        if not (isinstance(self.n_pool, int) and self.n_pool > 0):
            raise ValueError(f"n_pool of InhibitoryPool must be a positive integer, got {self.n_pool!r}")

    def contribution(self, model) -> Contribution:
        if not model.spiking:
            raise ValueError(f"InhibitoryPool needs a spiking model; use DivisiveNormalization for "
                             f"rate units, got {type(model).__name__}")
        for name, role in (("w_in", "exc"), ("w_out", "inh")):
            unit = model.synapse_targets[role][1]
            if not have_same_dimensions(getattr(self, name), unit):
                raise DimensionMismatchError(
                    f"parameter {name!r} of InhibitoryPool must have the unit of {unit} for "
                    f"{type(model).__name__}, got {getattr(self, name)!r}",
                    get_dimensions(getattr(self, name)), get_dimensions(unit))
        return Contribution(
            equations="g_pool : 1",
            requires=(rate_trace(self.tau_r),),
            initial={"g_pool": 1.0},
            synapses={"inh": SynapseTerms(weight_factor="g_pool_post")},
        )

    def objects(self, group, circuit) -> list:
        model = circuit.model_of(group)
        # the pool is driven by the layer alone
        pool = circuit.population(f"{group.name}_pool", model, self.n_pool, I_ext=0 * amp)
        circuit.connect(group, pool, "exc", self.w_in)
        circuit.connect(pool, group, "inh", self.w_out)
        namespace = {"target_active_fraction": self.target_active_fraction,
                     "active_rate": self.active_rate, "tau_gain": self.tau_gain}
        return population_controller(
            group, f"{group.name}_pool_gain",
            equations="""
            A : 1
            dlog_g/dt = (A - target_active_fraction) / tau_gain : 1
            """,
            gather="A_post = int(r_pre > active_rate) / N_incoming : 1 (summed)",
            broadcast="g_pool_post = exp(log_g_pre) : 1 (summed)",
            namespace=namespace,
        )
