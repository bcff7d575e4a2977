"""Neuron scale: intrinsic plasticity, the biological counterpart of batch normalization.

A neuron tunes its own excitability so that its activity over time stays near a set point,
as batch normalization holds each unit's statistics over samples at a set point.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from brian2 import Hz, mV, ms, second

from homeostasis.models.contribution import Contribution, Regular
from homeostasis.models.parameters import check_expression, param

from .mechanism import Mechanism
from .rate import every_rate_dt, rate_trace

__all__ = ["IntrinsicPlasticity", "AdaptiveThreshold", "SpikeTriggeredThreshold"]


def _label(model) -> str:
    return getattr(model, "label", type(model).__name__)


@dataclass(frozen=True)
class IntrinsicPlasticity(Mechanism):
    """Rate intrinsic plasticity: Triesch's (2005) gain and bias rule for a sigmoid unit.

    For ``y = 1 / (1 + exp(-(a u + b)))`` the rule that minimizes the Kullback-Leibler
    divergence of the output distribution from an exponential of mean ``mu`` is, written in
    continuous time with learning time constant ``tau_ip``,

    .. math::
        \\tau_{ip} \\frac{db}{dt} = 1 - \\left(2 + \\frac{1}{\\mu}\\right) y + \\frac{y^2}{\\mu},
        \\qquad
        \\tau_{ip} \\frac{da}{dt} = \\frac{1}{a} + u \\left[1 - \\left(2 + \\frac{1}{\\mu}\\right) y
        + \\frac{y^2}{\\mu}\\right]

    Each unit holds the statistics of its own output over time at a set point (mean ``mu``,
    maximal entropy), as batch normalization holds each unit's statistics over samples.
    The discrete rule's learning rate is ``eta = dt / tau_ip``.

    Parameters
    ----------
    target_mean : float
        Mean ``mu`` of the target exponential output distribution, in (0, 1).
    tau_ip : Quantity
        Learning time constant (``dt / eta``).

    Examples
    --------
    >>> from brian2 import second
    >>> from homeostasis.models import Circuit, RateNeuron
    >>> c = Circuit()
    >>> U = c.population("U", RateNeuron(instantaneous=True), 5,
    ...                  [IntrinsicPlasticity(target_mean=0.2, tau_ip=1 * second)])
    """

    scale: ClassVar[str] = "neuron"
    counterpart: ClassVar[str] = "batch normalization"
    biology: ClassVar[str] = "intrinsic plasticity of gain and bias (Triesch 2005)"

    target_mean: object = param(0.2, 1, "mean of the target exponential output distribution", bounds="fraction")
    tau_ip: object = param(1 * second, ms, "learning time constant of gain and bias (dt / eta)")

    def contribution(self, model) -> Contribution:
        if model.spiking or getattr(model, "transfer", None) != "sigmoid":
            raise ValueError("IntrinsicPlasticity (Triesch's rule) needs a RateNeuron with a sigmoid "
                             f"transfer; use AdaptiveThreshold for spiking models, got {getattr(model, 'label', type(model).__name__)}")
        adaptable = model.adaptable()
        return Contribution(
            equations="""
            ip_error = 1 - (2 + 1 / target_mean) * y + y**2 / target_mean : 1
            db/dt = ip_error / tau_ip : 1
            da/dt = (1 / a + u * ip_error) / tau_ip : 1
            """,
            claims=("a", "b"),
            initial={"a": adaptable["a"], "b": adaptable["b"]},
            # run-time values: a sweep over them on cpp_standalone runs one compiled project
            runtime=self.namespace(),
        )


@dataclass(frozen=True)
class AdaptiveThreshold(Mechanism):
    """Spiking intrinsic plasticity: the threshold follows the rate error.

    .. math::
        \\frac{dv_{th}}{dt} = \\eta_{th} \\, (r - r_0), \\qquad
        \\frac{dr}{dt} = -\\frac{r}{\\tau_r}, \\quad r \\leftarrow r + 1/\\tau_r \\text{ at a spike}

    Both are slow, so both are updated every ``rate_dt`` (1 ms; see
    :mod:`homeostasis.rate`) rather than every time step, the threshold by one Euler
    step. The trace ``r`` integrates to the spike count, so the threshold moves by
    ``eta_threshold`` per spike above the ``target_rate * t`` expected ones: it rises in a
    neuron that fires too much and falls in one that fires too little, until every neuron
    fires at ``target_rate`` whatever its drive (Desai et al. 1999).

    The threshold has a floor, ``v_th >= v_th_min``. Without it, a neuron too weakly driven
    to reach ``target_rate`` (or silenced altogether) lowers its threshold by
    ``eta_threshold * target_rate`` per second without bound: once the threshold is below
    ``V_reset`` the neuron fires again at the end of every refractory period, the reset no
    longer resets anything, and once it is below the resting potential the neuron fires
    with no input at all. The floor must therefore lie above the model's ``V_reset``; a
    neuron held at the floor is one the mechanism cannot bring to its target.

    Parameters
    ----------
    target_rate : Quantity
        Set-point firing rate ``r_0``.
    eta_threshold : Quantity
        Threshold change per excess spike (volt).
    tau_r : Quantity
        Time constant of the rate trace.
    v_th_min : Quantity, optional
        Lowest threshold (volt). It must lie above the ``V_reset`` of the model the
        mechanism is composed with and not above its initial threshold ``V_th`` (checked
        when the population is built). By default 1 mV above that ``V_reset``: the floor
        only has to keep the threshold above the reset, and every millivolt more leaves
        weakly driven neurons below their target (in ``spiking-load-balancing --quick``, a
        floor at -55 mV left 17 % of the neurons silent and the mean rate at 3.1 Hz for a
        5 Hz target; 1 mV above the reset, 3 % and 4.8 Hz).

    Examples
    --------
    >>> from brian2 import Hz, mV, nA
    >>> from homeostasis.models import Circuit, CurrentLIF
    >>> c = Circuit()
    >>> E = c.population("E", CurrentLIF(), 10, [AdaptiveThreshold(target_rate=5 * Hz, v_th_min=-58 * mV)],
    ...                  I_ext=0.3 * nA)
    >>> AdaptiveThreshold(v_th_min=-70 * mV).contribution(CurrentLIF())  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ValueError: parameter 'v_th_min' of AdaptiveThreshold (-70. mV) must lie above V_reset ...
    """

    scale: ClassVar[str] = "neuron"
    counterpart: ClassVar[str] = "batch normalization"
    biology: ClassVar[str] = "intrinsic plasticity of the spike threshold (Desai et al. 1999)"

    target_rate: object = param(5 * Hz, Hz, "set-point firing rate")
    eta_threshold: object = param(0.5 * mV, mV, "threshold change per spike above the target count (0 freezes it)",
                                  bounds="nonnegative")
    tau_r: object = param(1 * second, ms, "time constant of the rate trace")
    v_th_min: object = param(None, mV, "lowest threshold; must lie above the model's V_reset (default: 1 mV above it)",
                             bounds=None, optional=True)

    def floor(self, model):
        """The lowest threshold with ``model``: ``v_th_min``, or 1 mV above the model's ``V_reset``."""
        if self.v_th_min is not None:
            return self.v_th_min
        v_reset = model.namespace().get("V_reset")
        if v_reset is None:
            raise ValueError(f"AdaptiveThreshold needs a floor for the threshold of {_label(model)}, which has no "
                             f"constant V_reset: give v_th_min=... (a threshold the neuron cannot fire again at "
                             f"right after its reset)")
        return v_reset + 1 * mV

    def contribution(self, model) -> Contribution:
        if not model.spiking:
            raise ValueError(f"AdaptiveThreshold needs a spiking model, not {_label(model)}")
        v_th = model.adaptable().get("v_th")
        if v_th is None:
            raise ValueError(f"AdaptiveThreshold adapts the threshold v_th: give {_label(model)} "
                             f"adaptable={{'v_th': initial threshold}} and the threshold 'v > v_th'")
        floor, v_reset = self.floor(model), model.namespace().get("V_reset")
        if not ((v_reset is None or v_reset < floor) and floor <= v_th):
            raise ValueError(
                f"parameter 'v_th_min' of AdaptiveThreshold ({floor}) must lie above V_reset ({v_reset}) "
                f"of {_label(model)}, or the neuron can fire again right after each reset, and not above "
                f"its initial threshold V_th ({v_th})")
        return Contribution(
            # the threshold moves slowly: one Euler step of dv_th/dt = eta (r - r0) per
            # rate_dt (with the rate trace) instead of an equation integrated every time step,
            # clipped at the floor
            equations="v_th : volt",
            regular=every_rate_dt("v_th = clip(v_th + eta_threshold * (r - target_rate) * rate_dt, v_th_min, inf * volt)"),
            claims=("v_th",),
            requires=(rate_trace(self.tau_r),),
            # the rate trace starts at the set point, read from the parameter so that it
            # follows a new run-time value
            initial={"v_th": v_th, "r": "target_rate"},
            # set point, gain, time constant and floor are run-time values: a sweep over them
            # on cpp_standalone runs one compiled project (homeostasis.models.runtime)
            runtime={**self.namespace(), "v_th_min": floor},
        )


@dataclass(frozen=True)
class SpikeTriggeredThreshold(Mechanism):
    """Diehl & Cook's adaptive threshold: every spike raises it, and it relaxes slowly.

    .. math::
        v_{th} = V_{th} + \\theta, \\qquad
        \\theta \\leftarrow \\theta + g \\, \\theta_+ \\text{ at a spike}, \\qquad
        \\frac{d\\theta}{dt} = -g \\, \\frac{\\theta}{\\tau_\\theta}

    A neuron that fires a lot becomes harder to fire, so in a winner-take-all layer the
    neurons that have won often leave the next inputs to the others: the load is spread,
    as batch normalization spreads it by holding each unit's statistics over samples. Unlike
    :class:`AdaptiveThreshold`, there is no set-point rate: the threshold integrates the spike
    count (Diehl & Cook's ``tau_theta`` of 10^7 ms makes the decay negligible during
    learning), and a neuron settles where its mean ``theta`` is ``theta_plus * rate *
    tau_theta``. For neurons that do not compete this only lowers every rate (across a
    tenfold spread of drive the rates keep about the same spread); it balances the load
    through competition.
    The decay is slow, so it is applied exactly, ``theta *= exp(-g decay_dt / tau_theta)``,
    every ``decay_dt`` rather than integrated at every time step.

    ``g`` is the expression ``gate``, evaluated in the population's namespace: a
    :class:`~brian2.TimedArray` ``plastic`` given to the population and ``gate="plastic(t)"``
    freezes the threshold (no increments, no decay) where it is 0.

    Parameters
    ----------
    theta_plus : Quantity
        Threshold increase per spike (Diehl & Cook: 0.05 mV).
    tau_theta : Quantity
        Time constant of the decay of ``theta`` (Diehl & Cook: 10^7 ms).
    decay_dt : Quantity
        Interval of the decay updates.
    gate : str
        Brian2 expression multiplying every change of ``theta`` (default ``"1"``).

    Examples
    --------
    >>> from brian2 import mV
    >>> from homeostasis.models import Circuit, ConductanceLIF
    >>> c = Circuit()
    >>> E = c.population("E", ConductanceLIF(), 10, [SpikeTriggeredThreshold(theta_plus=0.1 * mV)])
    >>> float(E.theta[0] / mV), float(E.v_th[0] / mV)
    (0.0, -50.0)
    """

    scale: ClassVar[str] = "neuron"
    counterpart: ClassVar[str] = "batch normalization"
    biology: ClassVar[str] = "spike-triggered threshold adaptation (Diehl & Cook 2015; Benda & Herz 2003)"

    theta_plus: object = param(0.05 * mV, mV, "threshold increase per spike")
    tau_theta: object = param(1e7 * ms, ms, "time constant of the threshold's decay")
    decay_dt: object = param(10 * ms, ms, "interval of the decay updates")
    gate: str = "1"

    def _check(self):
        super()._check()
        check_expression(type(self).__name__, "gate", self.gate)

    def contribution(self, model) -> Contribution:
        if not model.spiking or "v_th" not in model.adaptable():
            raise ValueError(f"SpikeTriggeredThreshold needs a spiking model with a threshold v_th, "
                             f"not {getattr(model, 'label', type(model).__name__)}")
        g = "" if self.gate.strip() == "1" else f"({self.gate}) * "
        return Contribution(
            # the threshold stays the model's V_th plus theta, so the model's own V_th is the
            # resting threshold and theta alone carries the neuron's history
            equations="""
            theta : volt
            v_th = V_th + theta : volt
            """,
            reset=f"theta += {g}theta_plus",
            claims=("v_th",),
            initial={"theta": 0 * mV},
            # the increment and the decay's time constant are run-time values; decay_dt is
            # the interval of a code block, part of the compiled structure
            runtime={"theta_plus": self.theta_plus, "tau_theta": self.tau_theta},
            namespace={"decay_dt": self.decay_dt, "V_th": model.adaptable()["v_th"]},
            regular=(Regular(f"theta *= exp(-{g}decay_dt / tau_theta)", self.decay_dt),),
        )
