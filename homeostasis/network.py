"""Network scale: network homeostasis, the biological counterpart of self-normalization.

Inhibition is tuned so that the whole network's activity returns to a set point after any
perturbation, as a self-normalizing network (SELU) holds the mean and variance of activity
at a fixed point through every layer.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from brian2 import DimensionMismatchError, Hz, amp, get_dimensions, have_same_dimensions, ms, nS, second, siemens

from homeostasis.models.contribution import Contribution, SpikeTrace, SynapseTerms
from homeostasis.models.parameters import param

from .controller import population_controller
from .mechanism import Mechanism
from .rate import rate_trace

__all__ = ["InhibitorySTDP", "GlobalHomeostasis"]


def _check_weight_unit(owner, model, role, **values):
    unit = model.synapse_targets[role][1]
    for name, value in values.items():
        if not have_same_dimensions(value, unit):
            raise DimensionMismatchError(
                f"parameter {name!r} of {owner} must have the unit of the {role!r} weights of "
                f"{getattr(model, 'label', type(model).__name__)} ({unit}), got {value!r}",
                get_dimensions(value), get_dimensions(unit))


@dataclass(frozen=True)
class InhibitorySTDP(Mechanism):
    """Inhibitory spike-timing plasticity on the inhibitory synapses onto a population.

    The symmetric rule of Vogels et al. (2011): with traces ``x_pre`` and ``x_post``
    (incremented by 1 per spike, decaying with ``tau_stdp``),

    .. math::
        \\text{pre spike: } w \\leftarrow w + \\eta (x_{post} - \\alpha), \\qquad
        \\text{post spike: } w \\leftarrow w + \\eta \\, x_{pre}, \\qquad
        \\alpha = 2 \\rho_0 \\tau_{STDP}

    Near-coincident spikes potentiate and every presynaptic spike depresses by ``eta *
    alpha``, so inhibition grows while the postsynaptic neuron fires above ``rho_0`` and
    shrinks below it. Averaged over time the weight drifts at
    ``2 eta tau_stdp rho_pre (kappa rho_post - rho_0)``, where ``kappa`` is the rate of
    near-coincidences (pairs weighted by ``exp(-|dt| / tau_stdp)``) over its value for
    independent spike trains: the fixed point is ``rho_post = rho_0 / kappa``, exactly
    ``rho_0`` only for uncorrelated pre and post spikes. Each inhibitory spike delays the
    next postsynaptic one (``kappa < 1``, the rate settles above ``rho_0``) the more, the
    larger the synapse's share of the neuron's inhibition; with tens of inputs per neuron,
    as in Vogels et al. (40), ``kappa`` is within a few percent of one. The drift is also
    proportional to ``rho_pre``: a neuron whose few inputs are nearly silent barely learns.

    Each trace depends on one neuron's spikes only, so it is kept by the neuron (``x_stdp``):
    the postsynaptic trace by this population, the presynaptic one by the inhibitory
    population when it is created with ``traces=rule.traces``, as
    :func:`~homeostasis.models.ei_network` does; from any other source (a ``PoissonGroup``) each synapse
    keeps it, event-driven. The rule is the same either way.

    Parameters
    ----------
    target_rate : Quantity
        Set-point rate ``rho_0`` of the postsynaptic neurons.
    tau_stdp : Quantity
        Time constant of both traces.
    eta : Quantity
        Learning rate, in the unit of the inhibitory weights (siemens for
        :class:`~homeostasis.models.ConductanceLIF`, amp for :class:`~homeostasis.models.CurrentLIF`); zero freezes
        the weights (the rule's cost without its effect).
    w_max : Quantity
        Upper bound of the weights (the lower bound is zero).

    Examples
    --------
    >>> from brian2 import Hz, nS
    >>> from homeostasis.models import ei_network
    >>> rule = InhibitorySTDP(target_rate=5 * Hz, eta=0.04 * nS)
    >>> net = ei_network(400, 100, p_pathway={"IE": 0.4}, components_e=[rule])  # 40 inputs per E neuron
    >>> round(rule.alpha, 3)
    0.2
    """

    scale: ClassVar[str] = "network"
    counterpart: ClassVar[str] = "self-normalization"
    biology: ClassVar[str] = "inhibitory spike-timing plasticity balancing excitation (Vogels et al. 2011)"

    target_rate: object = param(5 * Hz, Hz, "set-point rate rho_0 of the postsynaptic neurons")
    tau_stdp: object = param(20 * ms, ms, "time constant of the pre- and postsynaptic traces")
    eta: object = param(0.2 * nS, (amp, siemens), "learning rate in the unit of the weights", bounds="nonnegative")
    w_max: object = param(100 * nS, (amp, siemens), "upper bound of the inhibitory weights")

    @property
    def alpha(self) -> float:
        """Depression per presynaptic spike, ``2 * target_rate * tau_stdp``."""
        return float(2 * self.target_rate * self.tau_stdp)

    @property
    def traces(self) -> tuple:
        """The spike trace ``x_stdp`` both sides of the rule read."""
        return (SpikeTrace("x_stdp", "tau_stdp", self.tau_stdp),)

    def contribution(self, model) -> Contribution:
        if not model.spiking:
            raise ValueError(f"InhibitorySTDP needs a spiking model, not {getattr(model, 'label', type(model).__name__)}")
        _check_weight_unit("InhibitorySTDP", model, "inh", eta=self.eta, w_max=self.w_max)
        # both traces depend on one neuron's spikes only, so they live on the neurons: the
        # postsynaptic one on this population, the presynaptic one on the inhibitory source
        # when it keeps it (traces=rule.traces), else on each synapse
        (trace,) = self.traces
        terms = SynapseTerms(
            on_pre="w = clip(w + eta * (x_stdp_post - alpha), 0 * w_max, w_max)",
            on_post=f"w = clip(w + eta * {trace.presynaptic}, 0 * w_max, w_max)",
            namespace={"tau_stdp": self.tau_stdp, "w_max": self.w_max},
            # the learning rate and the depression alpha (from the set point) are run-time
            # values of the synapses: a sweep over target_rate or eta on cpp_standalone runs
            # one compiled project (homeostasis.models.runtime)
            runtime={"eta": self.eta, "alpha": self.alpha},
            pre_traces=(trace,),
        )
        return Contribution(namespace={"target_rate": self.target_rate}, traces=(trace,), synapses={"inh": terms})


@dataclass(frozen=True)
class GlobalHomeostasis(Mechanism):
    """One slow variable tracks the population's mean rate and sets a shared inhibitory gain.

    .. math::
        R = \\frac{1}{N} \\sum_i r_i, \\qquad
        \\frac{d \\log g}{dt} = \\frac{R - \\rho_0}{\\rho_0 \\, \\tau_{global}}

    and every inhibitory synapse onto the population transmits ``g w``. Integral control
    makes ``R = rho_0`` the only steady state whatever the drive, as long as inhibition can
    reach it; the logarithm keeps the gain positive.

    Parameters
    ----------
    target_rate : Quantity
        Set point ``rho_0`` of the mean rate.
    tau_global : Quantity
        Time constant of the gain.
    tau_r : Quantity
        Time constant of each neuron's rate trace.

    Examples
    --------
    >>> from brian2 import Hz
    >>> from homeostasis.models import ei_network
    >>> net = ei_network(400, 100, components_e=[GlobalHomeostasis(target_rate=5 * Hz)])
    """

    scale: ClassVar[str] = "network"
    counterpart: ClassVar[str] = "self-normalization"
    biology: ClassVar[str] = "global homeostatic feedback on the whole circuit's inhibition"

    target_rate: object = param(5 * Hz, Hz, "set point of the population's mean rate")
    tau_global: object = param(2 * second, ms, "time constant of the shared inhibitory gain")
    tau_r: object = param(100 * ms, ms, "time constant of the rate trace")

    def contribution(self, model) -> Contribution:
        if not model.spiking:
            raise ValueError(f"GlobalHomeostasis needs a spiking model, not {getattr(model, 'label', type(model).__name__)}")
        return Contribution(
            equations="g_global : 1",
            requires=(rate_trace(self.tau_r),),
            # the rate traces start at the set point, read from the run-time parameter
            initial={"g_global": 1.0, "r": "target_rate"},
            runtime={"target_rate": self.target_rate},
            synapses={"inh": SynapseTerms(weight_factor="g_global_post")},
        )

    def objects(self, group, circuit) -> list:
        return population_controller(
            group, f"{group.name}_global_gain",
            equations="""
            R : Hz
            dlog_g/dt = (R - target_rate) / (target_rate * tau_global) : 1
            """,
            gather="R_post = r_pre / N_incoming : Hz (summed)",
            broadcast="g_global_post = exp(log_g_pre) : 1 (summed)",
            namespace={"target_rate": self.target_rate, "tau_global": self.tau_global},
            # a sweep over the set point or the time constant on cpp_standalone runs one
            # compiled project (homeostasis.models.runtime)
            runtime=("target_rate", "tau_global"),
        )
