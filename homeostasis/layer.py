"""Layer scale: lateral inhibition, the biological counterpart of layer normalization.

Each unit is divided by (rate form) or inhibited in proportion to (spiking form) the pooled
activity of its layer for the same input, as layer normalization divides each unit by
statistics across the layer: the output is invariant to a common rescaling of the input and
the total activity is bounded.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from brian2 import (DimensionMismatchError, Hz, Synapses, amp, get_dimensions, have_same_dimensions,
                    linked_var, ms, pA, siemens)

from homeostasis.models.contribution import Contribution, Regular
from homeostasis.models.parameters import param

from .controller import controller_group
from .mechanism import Mechanism
from .rate import RATE_DT, rate_trace

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
    >>> from homeostasis.models import Circuit, RateNeuron
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
                             f"spiking layer, got {getattr(model, 'label', type(model).__name__)}")
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
    """Spiking lateral inhibition: an inhibitory pool whose drive a homeostatic gain sets from the layer's activity.

    A pool of ``n_pool`` inhibitory neurons (the role of the fly's APL neuron) inhibits every
    neuron of the layer through ordinary ``"inh"`` synapses of weight ``w_out``. The drive of
    pool neuron ``k`` is a tonic part plus the mean current that synapses of weight ``w_in``
    from every layer neuron would carry (read from the layer's rate traces ``r_j``), both
    multiplied by one gain ``g``:

    .. math::
        I_k = c_k \\, g \\left(I_{pool} + w_{in} \\, \\tau_e \\sum_j r_j\\right), \\qquad
        \\frac{d \\log g}{dt} = \\frac{A - A_0}{\\tau_{gain}}

    ``A`` is the fraction of layer neurons whose rate trace exceeds ``active_rate``; ``c_k``
    spreads the pool neurons' sensitivities evenly over ``1 +- spread`` so that they fire at
    different rates, out of step, and the inhibition they sum to is nearly tonic. The gain
    integrates the error in the logarithm (``g`` stays positive and spans any range of
    input strengths): it rises while too many neurons are active and falls while too few
    are, until ``A = A_0`` whatever the input strength. A layer neuron is then active when
    its own drive exceeds the common inhibition, so the active ones are those with the
    strongest drive.

    The tonic part lets the pool inhibit a layer that is almost silent, so the set point can
    be low. The part proportional to the layer's activity reacts within ``tau_r`` to a
    change of input (before the slow gain has moved), and curbs the burst of a layer that
    starts unopposed, whose slowly decaying rate traces would otherwise make the gain
    overshoot. It is kept small on purpose: when it carries most of the inhibition of a
    sparse layer (set points near 0.05), the layer falls into synchronous volleys at about
    the pool's release time, its neurons fire near ``active_rate`` and the sensor ``A`` no
    longer agrees with the rates counted from spikes (see ``docs/scales/layer.md``).

    Parameters
    ----------
    target_active_fraction : float
        Set point ``A_0`` of the fraction of active neurons, in (0, 1).
    active_rate : Quantity
        A neuron counts as active while its rate trace exceeds this.
    tau_gain : Quantity
        Time constant of the gain (``log g`` moves by ``(A - A_0) t / tau_gain``).
    tau_r : Quantity
        Time constant of the rate trace (the sensor, and the smoothing of the pool's input).
    n_pool : int
        Number of pool neurons (same model as the layer). Many small inhibitory synapses
        give smoother inhibition than a few strong ones.
    pool_drive : Quantity
        Tonic drive ``I_pool`` of a pool neuron at gain 1 (amp).
    w_in : Quantity
        Weight of the (mean-field) layer-to-pool synapses, in the model's excitatory unit
        (amp for :class:`~homeostasis.models.CurrentLIF`; siemens for :class:`~homeostasis.models.ConductanceLIF`, the
        mean conductance then driving the pool neuron toward ``E_e``). 0 leaves the tonic part alone.
    w_out : Quantity
        Weight of the pool-to-layer synapses, in the model's inhibitory unit. The pool's
        strongest inhibition, all its neurons firing at ``1 / tau_ref``, is about
        ``n_pool * w_out * tau_i / tau_ref`` (5 nA with the defaults and :class:`~homeostasis.models.CurrentLIF`).
    spread : float
        Relative spread of the pool neurons' sensitivities ``c_k``, in [0, 1).

    Examples
    --------
    >>> from brian2 import nA
    >>> from homeostasis.models import Circuit, CurrentLIF
    >>> c = Circuit()
    >>> L = c.population("L", CurrentLIF(), 50, [InhibitoryPool(target_active_fraction=0.2)], I_ext=0.3 * nA)
    >>> net = c.network()
    >>> float(net["circuit_L_pool_gain"].log_g[0])  # the gain starts at 1
    0.0
    """

    scale: ClassVar[str] = "layer"
    counterpart: ClassVar[str] = "layer normalization"
    biology: ClassVar[str] = "global feedback inhibition keeping a sparse fraction active (fly APL neuron)"

    target_active_fraction: object = param(0.2, 1, "set point of the fraction of active neurons",
                                           bounds="fraction")
    active_rate: object = param(5 * Hz, Hz, "rate-trace level above which a neuron counts as active")
    tau_gain: object = param(300 * ms, ms, "time constant of the pool's homeostatic gain")
    tau_r: object = param(500 * ms, ms, "time constant of the rate trace")
    n_pool: int = 100
    pool_drive: object = param(200 * pA, amp, "tonic drive of a pool neuron at gain 1")
    w_in: object = param(30 * pA, (amp, siemens), "weight of the mean-field layer-to-pool synapses",
                         bounds="nonnegative")
    w_out: object = param(10 * pA, (amp, siemens), "weight of pool-to-layer synapses")
    spread: object = param(0.5, 1, "relative spread of the pool neurons' sensitivities", bounds="nonnegative")

    def _check(self):
        super()._check()
        if not (isinstance(self.n_pool, int) and not isinstance(self.n_pool, bool) and self.n_pool > 0):
            raise ValueError(f"n_pool of InhibitoryPool must be a positive integer, got {self.n_pool!r}")
        if not self.spread < 1:
            raise ValueError(f"parameter 'spread' of InhibitoryPool must lie in [0, 1), got {self.spread!r}")

    def _drive(self, model) -> tuple:
        """Statement setting the pool neurons' drive current, and the model constants it reads."""
        conductance = have_same_dimensions(model.synapse_targets["exc"][1], siemens)
        names = ("tau_e", "E_e") if conductance else ("tau_e",)
        constants = model.namespace()
        missing = [n for n in names if n not in constants]
        if missing or "I_ext" not in model.equations():
            raise ValueError(f"InhibitoryPool drives its pool through I_ext with the mean current of synapses "
                             f"decaying with tau_e; {getattr(model, 'label', type(model).__name__)} lacks {missing or ['I_ext']}")
        feedback = "w_in * tau_e * R_layer" + (" * (E_e - v)" if conductance else "")
        code = f"I_ext = sensitivity * exp(log_g_layer) * (pool_drive + {feedback})"
        return code, {"w_in": self.w_in, "pool_drive": self.pool_drive, **{n: constants[n] for n in names}}

    def contribution(self, model) -> Contribution:
        if not model.spiking:
            raise ValueError(f"InhibitoryPool needs a spiking model; use DivisiveNormalization for "
                             f"rate units, got {getattr(model, 'label', type(model).__name__)}")
        for name, role in (("w_in", "exc"), ("w_out", "inh")):
            unit = model.synapse_targets[role][1]
            if not have_same_dimensions(getattr(self, name), unit):
                raise DimensionMismatchError(
                    f"parameter {name!r} of InhibitoryPool must have the unit of {unit} for "
                    f"{getattr(model, 'label', type(model).__name__)}, got {getattr(self, name)!r}",
                    get_dimensions(getattr(self, name)), get_dimensions(unit))
        self._drive(model)
        return Contribution(requires=(rate_trace(self.tau_r),))

    def objects(self, group, circuit) -> list:
        if circuit is None:
            raise ValueError("InhibitoryPool makes a pool population and its synapses: build the layer with "
                             "homeostasis.models.Circuit (Assembly.setup(group, circuit=...))")
        model = circuit.model_of(group)
        drive, constants = self._drive(model)
        namespace = {"target_active_fraction": self.target_active_fraction, "active_rate": self.active_rate,
                     "tau_gain": self.tau_gain}
        name = f"{group.name}_pool_gain"
        # the controller reads slow traces: it and its gathering synapses run every RATE_DT
        # set point and time constant are run-time values of the controller (homeostasis.models.runtime);
        # the threshold of "active" is read by the gathering synapses, from the controller
        ctrl = controller_group("""
                                A : 1
                                R : Hz
                                dlog_g/dt = (A - target_active_fraction) / tau_gain : 1
                                """, namespace, runtime=namespace, dt=RATE_DT, name=name)
        active = "active_rate_post" if "active_rate" in ctrl.variables else "active_rate"
        gather = Synapses(group, ctrl, model=f"""
                          A_post = int(r_pre > {active}) / N_incoming : 1 (summed)
                          R_post = r_pre : Hz (summed)
                          """, namespace={k: v for k, v in namespace.items() if k not in ctrl.variables},
                          dt=RATE_DT, name=f"{name}_gather")
        gather.connect()
        # the pool reads the controller's summed rate and gain through linked variables and sets
        # its drive every RATE_DT (a summed variable would be recomputed at every step of the pool)
        sensitivity = 1 + self.spread * (np.linspace(-1, 1, self.n_pool) if self.n_pool > 1 else np.zeros(1))
        pool = circuit.population(f"{group.name}_pool", model, self.n_pool, [_PoolDrive(drive, constants)],
                                  I_ext=0 * amp, sensitivity=sensitivity)
        index = np.zeros(self.n_pool, dtype=int)
        pool.R_layer = linked_var(ctrl, "R", index=index)
        pool.log_g_layer = linked_var(ctrl, "log_g", index=index)
        circuit.connect(pool, group, "inh", self.w_out)
        return [ctrl, gather]


@dataclass(frozen=True)
class _PoolDrive:
    """The pool neurons' side of :class:`InhibitoryPool`: their drive, set every ``RATE_DT``."""

    code: str
    namespace: dict

    def contribution(self, model) -> Contribution:
        return Contribution(equations="""
                            sensitivity : 1
                            R_layer : Hz (linked)
                            log_g_layer : 1 (linked)
                            """,
                            regular=(Regular(self.code, RATE_DT),), namespace=self.namespace)
