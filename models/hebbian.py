"""Hebbian spike-timing rules for plastic synapses, as equation text.

These rules are learning, not homeostasis: they strengthen synapses whose pre- and
postsynaptic spikes are causally paired, which is what lets a network pick up structure
and also what makes it unstable on its own. They plug into :meth:`homeostasis.models.Circuit.connect`
through ``plasticity=(rule, ...)``: each rule returns the :class:`~homeostasis.models.SynapseTerms`
(model lines, ``on_pre``/``on_post`` statements, namespace) for one connection, and names
the spike traces it reads as :class:`~homeostasis.models.SpikeTrace` objects. A trace depends on one
neuron's spikes only, so a population created with ``traces=rule.traces`` keeps it once
per neuron; otherwise every synapse keeps its own copy (event-driven), with the same values.
"""
from __future__ import annotations

from dataclasses import dataclass

from brian2 import DimensionMismatchError, Hz, amp, get_dimensions, have_same_dimensions, ms, nS, siemens

from .contribution import SpikeTrace, SynapseTerms
from .parameters import ParameterSet, check_expression, check_quantity, param

__all__ = ["HebbianRule", "PairSTDP", "TripletSTDP"]


@dataclass(frozen=True)
class HebbianRule(ParameterSet):
    """Base of the Hebbian rules: parameters with units plus the synapse terms they write.

    Subclasses implement :meth:`synapse_terms` and the property :attr:`traces`.
    """

    def synapse_terms(self, target_model):
        """The :class:`~homeostasis.models.SynapseTerms` of this rule on synapses onto ``target_model`` neurons."""
        raise NotImplementedError

    @property
    def traces(self) -> tuple:
        """Every :class:`~homeostasis.models.SpikeTrace` the rule reads (give them to a population's ``traces``)."""
        return ()


def _weight_unit(rule, target_model):
    """The unit of the excitatory weights onto ``target_model``, checked against ``w_max``."""

    unit = target_model.synapse_targets["exc"][1]
    if not have_same_dimensions(rule.w_max, unit):
        raise DimensionMismatchError(
            f"parameter 'w_max' of {type(rule).__name__} must have the unit of the excitatory weights of "
            f"{getattr(target_model, 'label', type(target_model).__name__)} ({unit}), got {rule.w_max!r}",
            get_dimensions(rule.w_max), get_dimensions(unit))
    return unit


@dataclass(frozen=True)
class PairSTDP(HebbianRule):
    """Pair-based STDP with soft bounds, in the style of Diehl & Cook (2015).

    Each synapse reads an exponential trace of its presynaptic spikes and one of its
    postsynaptic spikes (every earlier spike counts: all-to-all pairing),

    .. math::
        \\tau_{pre} \\frac{dx_{pre}}{dt} = -x_{pre}, \\qquad
        \\tau_{post} \\frac{dx_{post}}{dt} = -x_{post}, \\qquad
        x \\leftarrow x + 1 \\text{ at a spike of its neuron},

    and changes its weight at each spike, by an amount that shrinks as the weight nears the
    bound it moves towards (soft bounds):

    .. math::
        \\text{post spike:}\\quad w \\leftarrow w + g \\, \\eta_{post} \\, x_{pre} \\,
            w_{max} \\left(1 - \\frac{w}{w_{max}}\\right)^{\\mu}, \\qquad
        \\text{pre spike:}\\quad w \\leftarrow w - g \\, \\eta_{pre} \\, x_{post} \\,
            w_{max} \\left(\\frac{w}{w_{max}}\\right)^{\\mu}

    and ``w`` is clipped to ``[0, w_max]`` (which only matters for ``mu < 1`` or large steps);
    a weight that something else moved above ``w_max`` is not potentiated (the distance
    ``1 - w / w_max`` is taken as 0, never negative: a negative base to a power ``mu < 1`` is
    not a number).
    With ``mu = 1`` the updates are multiplicative (van Rossum, Bi & Turrigiano 2000), with
    ``mu = 0`` additive. Diehl & Cook's network learns with a large potentiation and a small
    depression (``eta_post = 0.01``, ``eta_pre = 0.0001`` for weights up to 1); the
    weight-sum normalization of its neurons does the rest of the depression.

    ``g`` is the expression ``gate``: a learning-rate factor evaluated at every update. Any
    name it uses is looked up in the synapses' namespace, which includes the target
    population's: a :class:`~brian2.TimedArray` ``plastic`` given to the population and
    ``gate="plastic(t)"`` switches learning off (0) and on (1) on a schedule, in generated code.

    Parameters
    ----------
    eta_pre : float
        Depression per presynaptic spike, per unit of postsynaptic trace (0 turns it off).
    eta_post : float
        Potentiation per postsynaptic spike, per unit of presynaptic trace.
    tau_pre, tau_post : Quantity
        Time constants of the presynaptic and postsynaptic traces.
    w_max : Quantity
        Upper bound of the weights, in the unit of the target model's excitatory weights.
    mu : float
        Exponent of the weight dependence (1: multiplicative soft bounds, 0: additive).
    gate : str
        Brian2 expression multiplying every update (default ``"1"``: always learning).

    Examples
    --------
    >>> from brian2 import nS
    >>> from homeostasis.models import ConductanceLIF
    >>> rule = PairSTDP(w_max=10 * nS, gate="plastic(t)")
    >>> [t.name for t in rule.traces]
    ['apre', 'apost']
    >>> print(rule.synapse_terms(ConductanceLIF()).on_post)
    w = clip(w + (plastic(t)) * eta_post * apre_presynaptic * w_max * clip(1 - w / w_max, 0, 1)**mu, 0 * w_max, w_max)
    """

    eta_pre: object = param(1e-4, 1, "depression per presynaptic spike and unit of postsynaptic trace",
                            bounds="nonnegative")
    eta_post: object = param(1e-2, 1, "potentiation per postsynaptic spike and unit of presynaptic trace",
                             bounds="nonnegative")
    tau_pre: object = param(20 * ms, ms, "time constant of the presynaptic trace")
    tau_post: object = param(20 * ms, ms, "time constant of the postsynaptic trace")
    w_max: object = param(1 * nS, (amp, siemens), "upper bound of the weights")
    mu: object = param(1.0, 1, "exponent of the soft bounds (1: multiplicative, 0: additive)", bounds="nonnegative")
    gate: str = "1"

    def _check(self):
        check_expression(type(self).__name__, "gate", self.gate)

    @property
    def traces(self) -> tuple:
        return (SpikeTrace("apre", "tau_pre", self.tau_pre), SpikeTrace("apost", "tau_post", self.tau_post))

    def synapse_terms(self, target_model):
        _weight_unit(self, target_model)
        pre, post = self.traces
        g = "" if self.gate.strip() == "1" else f"({self.gate}) * "
        return SynapseTerms(
            on_pre=f"w = clip(w - {g}eta_pre * {post.postsynaptic} * w_max * (w / w_max)**mu, 0 * w_max, w_max)",
            # the distance to the bound is clipped at 0 before its power: another mechanism
            # (WeightSumNormalization's rescale) may leave w above w_max, and a negative base
            # to a power mu < 1 is NaN
            on_post=f"w = clip(w + {g}eta_post * {pre.presynaptic} * w_max * clip(1 - w / w_max, 0, 1)**mu, "
                    "0 * w_max, w_max)",
            # constants of the code: Brian2 reserves the suffixes _pre and _post for the
            # neurons' variables, so eta_pre and eta_post cannot be variables of the synapses
            # (TripletSTDP's parameters are run-time values)
            namespace={k: getattr(self, k) for k in ("eta_pre", "eta_post", "w_max", "mu")},
            pre_traces=(pre,),
            post_traces=(post,),
        )


@dataclass(frozen=True)
class TripletSTDP(HebbianRule):
    """Minimal triplet STDP (Pfister & Gerstner 2006), the rule of Zenke, Hennequin & Gerstner (2013).

    Three spike traces, each of one neuron's spikes (``x += 1`` at a spike, exponential
    decay): ``r1`` of the presynaptic neuron, ``o1`` and ``o2`` of the postsynaptic one,

    .. math::
        \\tau_+ \\frac{dr_1}{dt} = -r_1, \\qquad
        \\tau_- \\frac{do_1}{dt} = -o_1, \\qquad
        \\tau_y \\frac{do_2}{dt} = -o_2 .

    A presynaptic spike depresses the synapse by a pair term, a postsynaptic spike
    potentiates it by a triplet term (one presynaptic and two postsynaptic spikes), with
    ``o2`` read just before its own increment, so that it counts the earlier postsynaptic
    spikes only:

    .. math::
        \\text{pre spike:}\\quad w \\leftarrow \\mathrm{clip}(w - g A_2^- o_1,\\ 0,\\ w_{max}),
        \\qquad
        \\text{post spike:}\\quad w \\leftarrow \\mathrm{clip}(w + g A_3^+ r_1 o_2,\\ 0,\\ w_{max}) .

    This is the minimal all-to-all form of the triplet model (pair potentiation and triplet
    depression set to zero), which Pfister & Gerstner fit to visual cortex data (``A3_plus =
    6.5e-3``, ``A2_minus = 7.1e-3`` in units of the weight scale, ``tau_plus = 16.8 ms``,
    ``tau_minus = 33.7 ms``, ``tau_y = 114 ms``). For independent Poisson trains at rates
    ``rho_pre`` and ``rho_post`` the mean drift is

    .. math::
        \\frac{\\langle \\Delta w \\rangle}{\\Delta t} = \\rho_{pre} \\rho_{post}
        \\left(A_3^+ \\tau_+ \\tau_y \\rho_{post} - A_2^- \\tau_-\\right),

    zero at the postsynaptic rate :attr:`theta` ``= A2_minus tau_minus / (A3_plus tau_plus
    tau_y)``. Like the BCM rule, a neuron firing above ``theta`` strengthens its inputs and
    one firing below weakens them, but ``theta`` does not move: a stronger input makes the
    neuron fire more, which strengthens the input further. Zenke et al. (2013) let
    ``A2_minus`` follow a running estimate of the rate to stop this; here the threshold is
    fixed and homeostasis, if any, comes from the population's components.

    Every trace depends on one neuron's spikes only: populations created with
    ``traces=rule.traces`` keep them once per neuron (``r1`` on the source, ``o1`` and
    ``o2`` on the target); otherwise each synapse keeps its own copies, event-driven, with
    the same values.

    Parameters
    ----------
    A3_plus : Quantity
        Triplet potentiation per postsynaptic spike and unit of ``r1 * o2``, in the unit of
        the target model's excitatory weights.
    A2_minus : Quantity
        Pair depression per presynaptic spike and unit of ``o1``, in the same unit.
    tau_plus, tau_minus, tau_y : Quantity
        Time constants of ``r1``, ``o1`` and ``o2``.
    w_max : Quantity
        Upper bound of the weights (the lower bound is zero).
    gate : str
        Brian2 expression ``g`` multiplying every update (default ``"1"``); ``"0"`` freezes
        the weights, and a name in the target population's namespace (a
        :class:`~brian2.TimedArray` ``plastic``, as ``gate="plastic(t)"``) switches learning
        on a schedule.

    Examples
    --------
    >>> from brian2 import Hz, nS
    >>> from homeostasis.models import ConductanceLIF
    >>> rule = TripletSTDP.from_threshold(5 * Hz, A2_minus=0.01 * nS, w_max=2 * nS)
    >>> round(float(rule.theta / Hz), 6)
    5.0
    >>> [t.name for t in rule.traces]
    ['r1', 'o1', 'o2']
    >>> print(rule.synapse_terms(ConductanceLIF()).on_post)
    w = clip(w + (1) * A3_plus * r1_presynaptic * o2_postsynaptic, 0 * w_max, w_max)
    """

    A3_plus: object = param(6.5e-3 * nS, (amp, siemens), "triplet potentiation per postsynaptic spike",
                            bounds="nonnegative")
    A2_minus: object = param(7.1e-3 * nS, (amp, siemens), "pair depression per presynaptic spike",
                             bounds="nonnegative")
    tau_plus: object = param(16.8 * ms, ms, "time constant of the presynaptic trace r1")
    tau_minus: object = param(33.7 * ms, ms, "time constant of the postsynaptic trace o1")
    tau_y: object = param(114 * ms, ms, "time constant of the slow postsynaptic trace o2")
    w_max: object = param(1 * nS, (amp, siemens), "upper bound of the weights")
    gate: str = "1"

    def _check(self):
        check_expression(type(self).__name__, "gate", self.gate)
        for name in ("A3_plus", "A2_minus"):
            if not have_same_dimensions(getattr(self, name), self.w_max):
                raise DimensionMismatchError(
                    f"parameter {name!r} of TripletSTDP must have the unit of w_max ({self.w_max}), "
                    f"got {getattr(self, name)!r}", get_dimensions(getattr(self, name)), get_dimensions(self.w_max))

    @classmethod
    def from_threshold(cls, theta, A2_minus, **kwargs) -> "TripletSTDP":
        """The rule whose drift for independent Poisson spikes changes sign at the rate ``theta``.

        ``A3_plus = A2_minus tau_minus / (tau_plus tau_y theta)``; the other parameters are
        passed on (defaults as in the class).
        """
        check_quantity("TripletSTDP.from_threshold", "theta", theta, Hz)
        taus = {k: kwargs.get(k, f.default_factory()) for k, f in cls.__dataclass_fields__.items()
                if k in ("tau_plus", "tau_minus", "tau_y")}
        A3_plus = A2_minus * taus["tau_minus"] / (taus["tau_plus"] * taus["tau_y"] * theta)
        return cls(A3_plus=A3_plus, A2_minus=A2_minus, **kwargs)

    @property
    def theta(self):
        """Postsynaptic rate at which the mean drift for independent Poisson spikes is zero."""
        if float(self.A3_plus / self.w_max) == 0:
            return float("inf") * Hz
        return self.A2_minus * self.tau_minus / (self.A3_plus * self.tau_plus * self.tau_y)

    @property
    def traces(self) -> tuple:
        return (SpikeTrace("r1", "tau_plus", self.tau_plus), SpikeTrace("o1", "tau_minus", self.tau_minus),
                SpikeTrace("o2", "tau_y", self.tau_y))

    def synapse_terms(self, target_model):
        _weight_unit(self, target_model)
        r1, o1, o2 = self.traces
        g = f"({self.gate})"
        return SynapseTerms(
            on_pre=f"w = clip(w - {g} * A2_minus * {o1.postsynaptic}, 0 * w_max, w_max)",
            on_post=f"w = clip(w + {g} * A3_plus * {r1.presynaptic} * {o2.postsynaptic}, 0 * w_max, w_max)",
            # amplitudes and bound are run-time values of the synapses: a sweep over them on
            # cpp_standalone runs one compiled project (homeostasis.models.runtime)
            runtime={k: getattr(self, k) for k in ("A3_plus", "A2_minus", "w_max")},
            pre_traces=(r1,),
            post_traces=(o1, o2),
        )
