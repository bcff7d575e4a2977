"""Neuron models as Brian2 equations.

Each model is a frozen dataclass of parameters with units (validated on creation) that writes
its equations as text. A model names the parameters a component may turn into
state (``adaptable``: the threshold of a spiking neuron, the gain and bias of a rate unit) and
the synaptic variables incoming spikes increment (``synapse_targets``), so a component can be
composed with it without editing the model (see :mod:`homeostasis.models.circuit`).

Examples
--------
>>> from brian2 import NeuronGroup, mV
>>> lif = CurrentLIF(V_th=-52 * mV)
>>> group = NeuronGroup(10, lif.equations() + "\\nv_th : volt", threshold=lif.threshold,
...                     reset=lif.reset, refractory=lif.tau_ref, namespace=lif.namespace(),
...                     method="exact")
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from brian2 import Equations, Mohm, amp, mV, ms, nS, pF, second, siemens

from .parameters import ParameterSet, check_quantity, param

__all__ = ["NeuronModel", "RateNeuron", "CurrentLIF", "ConductanceLIF"]


class NeuronModel:
    """A neuron model: Brian2 equations and the variables synapses and mechanisms act on.

    This is the one way to give the circuit (and the mechanisms) a neuron: write your own
    equations as for a :class:`~brian2.NeuronGroup`, and say which variable an excitatory or
    inhibitory spike increments and which parameters a mechanism may make dynamic. The
    project's :class:`CurrentLIF`, :class:`ConductanceLIF` and :class:`RateNeuron` are
    subclasses that write these from parameters validated with units.

    Parameters
    ----------
    equations : str or Equations
        The model, as for ``NeuronGroup`` (without the ``adaptable`` variables: they are
        declared for you, or by the mechanism that adapts them).
    threshold, reset : str, optional
        Spike condition and reset statements; a model without ``threshold`` is a rate model.
    refractory : Quantity, str or False
        As for ``NeuronGroup``.
    synapse_targets : dict, optional
        Synaptic role -> ``(variable, unit)``: the variable a presynaptic spike of that role
        increments and the unit of the weight, e.g. ``{"exc": ("g_e", siemens)}``.
    adaptable : dict, optional
        Per-neuron parameters a mechanism may turn into state variables, name -> initial
        value: ``{"v_th": -50 * mV}`` (:class:`~homeostasis.AdaptiveThreshold` adapts
        ``v_th``; write the threshold as ``"v > v_th"``).
    namespace : dict, optional
        Constants the equations refer to, with units.
    method : str
        Integration method (named, so that Brian2 spends no time choosing one).
    initial : dict, optional
        Initial values of variables (``{"v": -70 * mV}``); nothing is set otherwise.
    name : str
        Name used in messages and in :meth:`~homeostasis.models.Circuit.describe`.

    Examples
    --------
    An adaptive exponential integrate-and-fire neuron (Brette & Gerstner 2005):

    >>> from brian2 import mV, ms, nS, pA, pF, siemens
    >>> adex = NeuronModel(
    ...     '''
    ...     dv/dt = (g_L*(E_L - v) + g_L*D_T*exp((v - v_T)/D_T) - u + I_ext + g_e*(0*mV - v)) / C : volt
    ...     du/dt = (a*(v - E_L) - u) / tau_u : amp
    ...     dg_e/dt = -g_e / tau_e : siemens
    ...     I_ext : amp
    ...     ''',
    ...     threshold="v > v_th", reset="v = V_reset; u += b", refractory=2 * ms,
    ...     synapse_targets={"exc": ("g_e", siemens)}, adaptable={"v_th": -40 * mV},
    ...     namespace=dict(C=281 * pF, g_L=30 * nS, E_L=-70.6 * mV, D_T=2 * mV, v_T=-50.4 * mV,
    ...                    a=4 * nS, b=0 * pA, tau_u=144 * ms, tau_e=5 * ms, V_reset=-70.6 * mV),
    ...     initial={"v": -70.6 * mV}, name="AdEx")
    >>> adex.spiking, adex.synapse_targets["exc"][0]
    (True, 'g_e')
    """

    #: Defaults of the subclasses that write their equations from parameters.
    threshold = None
    reset = None
    method = "euler"
    synapse_targets: dict = {}

    def __init__(self, equations, threshold=None, reset=None, refractory=False, synapse_targets=None,
                 adaptable=None, namespace=None, method="euler", initial=None, name="NeuronModel"):
        self.name = str(name)
        if not isinstance(equations, (str, Equations)):
            raise TypeError(f"equations of {self.name} must be a Brian2 equation string or Equations, "
                            f"got {type(equations).__name__}")
        self._equations = str(equations) if isinstance(equations, str) else _equations_text(equations)
        try:
            declared = Equations(self._equations).names
        except Exception as err:  # noqa: BLE001 - Brian2's parse error, named for the model
            raise ValueError(f"equations of {self.name} are not valid Brian2 equations: {err}") from err
        if reset is not None and threshold is None:
            raise ValueError(f"{self.name} has a reset but no threshold")
        for what, text in (("threshold", threshold), ("reset", reset), ("method", method)):
            if text is not None and not (isinstance(text, str) and text.strip()):
                raise ValueError(f"{what} of {self.name} must be a non-empty string, got {text!r}")
        self.threshold, self.reset, self.method = threshold, reset, method
        if not (refractory is False or isinstance(refractory, str)):
            check_quantity(self.name, "refractory", refractory, second, "nonnegative")
        self._refractory = refractory
        self.synapse_targets = {}
        for role, target in dict(synapse_targets or {}).items():
            if not (isinstance(target, tuple) and len(target) == 2 and isinstance(target[0], str)):
                raise ValueError(f"synapse_targets[{role!r}] of {self.name} must be (variable, unit), "
                                 f"e.g. ('g_e', siemens), got {target!r}")
            if target[0] not in declared:
                raise ValueError(f"synapse_targets[{role!r}] of {self.name} names {target[0]!r}, "
                                 f"which its equations do not declare")
            self.synapse_targets[role] = target
        self._adaptable = dict(adaptable or {})
        for var in self._adaptable:
            if var in declared:
                raise ValueError(f"{var!r} of {self.name} is adaptable, so it is declared for you (or by the "
                                 f"mechanism that adapts it): remove it from the equations")
        self._namespace = dict(namespace or {})
        self._initial = dict(initial or {})

    @property
    def spiking(self) -> bool:
        """Whether the model emits spikes (has a ``threshold``)."""
        return self.threshold is not None

    @property
    def refractory(self):
        """Refractoriness, as for ``NeuronGroup`` (``False``: none)."""
        return self._refractory

    @property
    def label(self) -> str:
        """The model's name in messages."""
        return self.__dict__.get("name") or type(self).__name__

    def equations(self) -> str:
        """Model equations, without the adaptable parameters (the builder declares those)."""
        return self._equations

    def adaptable(self) -> dict:
        """Per-neuron parameters a component may make dynamic: name -> initial value."""
        return dict(self._adaptable)

    def namespace(self) -> dict:
        """Constants the equations refer to."""
        return dict(self._namespace)

    def initial(self) -> dict:
        """Initial values of variables set when a population is built."""
        return dict(self._initial)

    def replace(self, **namespace):
        """A copy with some constants of the namespace changed (``adex.replace(b=60 * pA)``)."""
        unknown = sorted(set(namespace) - set(self._namespace))
        if unknown:
            raise ValueError(f"{self.name} has no constants {unknown}; it has {sorted(self._namespace)}")
        return NeuronModel(self._equations, self.threshold, self.reset, self._refractory, self.synapse_targets,
                           self._adaptable, {**self._namespace, **namespace}, self.method, self._initial, self.name)

    def __repr__(self):
        return f"NeuronModel(name={self.name!r}, threshold={self.threshold!r}, reset={self.reset!r})"


def _equations_text(eqs: Equations) -> str:
    """Brian2 text of ``eqs`` that parses back to the same equations."""
    lines = []
    for eq in eqs.values():
        unit = {"boolean": "boolean", "integer": "integer"}.get(eq.var_type, None) or _unit_text(eq.dim)
        flags = f" ({', '.join(eq.flags)})" if eq.flags else ""
        if eq.type == "differential equation":
            lines.append(f"d{eq.varname}/dt = {eq.expr} : {unit}{flags}")
        elif eq.type == "subexpression":
            lines.append(f"{eq.varname} = {eq.expr} : {unit}{flags}")
        else:
            lines.append(f"{eq.varname} : {unit}{flags}")
    return "\n".join(lines)


def _unit_text(dim) -> str:
    from brian2 import DIMENSIONLESS, get_unit

    return "1" if dim is DIMENSIONLESS else repr(get_unit(dim))


class _Builtin(ParameterSet, NeuronModel):
    """The project's models: a :class:`NeuronModel` written from parameters validated with units."""

    @property
    def refractory(self):
        return getattr(self, "tau_ref", False)

    def equations(self) -> str:
        raise NotImplementedError

    def adaptable(self) -> dict:
        return {}

    def namespace(self) -> dict:
        return self.parameters()

    def initial(self) -> dict:
        # a spiking model starts at rest
        return {"v": self.E_L} if self.spiking else {}


@dataclass(frozen=True)
class RateNeuron(_Builtin):
    """A firing-rate unit: leaky input integration and a static transfer function.

    .. math:: \\tau_u \\frac{du}{dt} = I - u, \\qquad y = f(a u + b)

    with ``f`` the logistic sigmoid (output in (0, 1), as in Triesch 2005) or the rectifier
    ``max(0, .)``. The gain ``a`` and bias ``b`` are adaptable per unit.

    Parameters
    ----------
    transfer : {"sigmoid", "rectified"}
    tau_u : Quantity
        Input time constant; with ``instantaneous=True`` the unit follows its input at once.
    gain, bias : float
        Initial gain ``a`` and bias ``b``.
    drive : str or None
        Brian2 expression for the input ``I`` (e.g. ``"stimulus(t, i)"`` for a
        :class:`~brian2.TimedArray` named ``stimulus``); ``None`` makes ``I`` a settable
        per-unit parameter.
    instantaneous : bool
        If true, ``u = I`` with no integration (the form Triesch's rule is written for).
    """

    transfer: str = "sigmoid"
    tau_u: object = param(10 * ms, ms, "input integration time constant")
    gain: object = param(1.0, 1, "initial gain a of the transfer function")
    bias: object = param(0.0, 1, "initial bias b of the transfer function", bounds=None)
    drive: str | None = None
    instantaneous: bool = False

    def _check(self):
        if self.transfer not in ("sigmoid", "rectified"):
            raise ValueError(f"transfer of RateNeuron must be 'sigmoid' or 'rectified', got {self.transfer!r}")

    def equations(self) -> str:
        f = {"sigmoid": "1 / (1 + exp(-(a*u + b)))", "rectified": "clip(a*u + b, 0, inf)"}[self.transfer]
        drive = "I : 1" if self.drive is None else f"I = {self.drive} : 1"
        integrate = "u = I : 1" if self.instantaneous else "du/dt = (I - u) / tau_u : 1"
        return "\n".join([drive, integrate, f"y = {f} : 1"])

    def adaptable(self) -> dict:
        return {"a": float(self.gain), "b": float(self.bias)}

    def namespace(self) -> dict:
        return {"tau_u": self.tau_u}


@dataclass(frozen=True)
class CurrentLIF(_Builtin):
    """Leaky integrate-and-fire neuron with current-based exponential synapses.

    .. math::
        \\tau_m \\frac{dv}{dt} = E_L - v + R_m (I_e - I_i + I_{ext}), \\quad
        \\tau_e \\frac{dI_e}{dt} = -I_e, \\quad \\tau_i \\frac{dI_i}{dt} = -I_i

    A spike when ``v > v_th``; ``v`` is reset to ``V_reset`` and clamped for ``tau_ref``.
    ``v_th`` is adaptable (per neuron, initially ``V_th``); ``I_ext`` is a per-neuron
    constant drive. Excitatory spikes increment ``I_e`` and inhibitory ones ``I_i`` by the
    synaptic weight (in amp, positive for both).
    """

    synapse_targets: ClassVar[dict] = {"exc": ("I_e", amp), "inh": ("I_i", amp)}
    threshold: ClassVar[str] = "v > v_th"
    reset: ClassVar[str] = "v = V_reset"
    method: ClassVar[str] = "exact"  # linear: integrated exactly, and so are the spike traces components add

    tau_m: object = param(20 * ms, ms, "membrane time constant")
    R_m: object = param(100 * Mohm, Mohm, "membrane resistance")
    E_L: object = param(-70 * mV, mV, "resting potential", bounds=None)
    V_th: object = param(-50 * mV, mV, "initial spike threshold", bounds=None)
    V_reset: object = param(-65 * mV, mV, "reset potential", bounds=None)
    tau_ref: object = param(2 * ms, ms, "refractory period", bounds="nonnegative")
    tau_e: object = param(5 * ms, ms, "excitatory synaptic time constant")
    tau_i: object = param(10 * ms, ms, "inhibitory synaptic time constant")

    def _check(self):
        if not self.V_reset < self.V_th:
            raise ValueError(f"V_reset ({self.V_reset}) of {type(self).__name__} must lie below V_th ({self.V_th})")

    def equations(self) -> str:
        return """
        dv/dt = (E_L - v + R_m*(I_e - I_i + I_ext)) / tau_m : volt (unless refractory)
        dI_e/dt = -I_e / tau_e : amp
        dI_i/dt = -I_i / tau_i : amp
        I_ext : amp
        """

    def adaptable(self) -> dict:
        return {"v_th": self.V_th}


@dataclass(frozen=True)
class ConductanceLIF(_Builtin):
    """Leaky integrate-and-fire neuron with conductance-based exponential synapses.

    Defaults follow Vogels et al. (2011), Science 334:1569.

    .. math::
        C_m \\frac{dv}{dt} = g_L (E_L - v) + g_e (E_e - v) + g_i (E_i - v) + I_{ext}

    with ``g_e`` and ``g_i`` decaying with ``tau_e`` and ``tau_i`` and incremented by
    excitatory and inhibitory spikes (weights in siemens). ``v_th`` is adaptable.
    """

    synapse_targets: ClassVar[dict] = {"exc": ("g_e", siemens), "inh": ("g_i", siemens)}
    threshold: ClassVar[str] = "v > v_th"
    reset: ClassVar[str] = "v = V_reset"
    method: ClassVar[str] = "euler"  # g_e (E_e - v) is a product of two state variables: not linear

    C_m: object = param(200 * pF, pF, "membrane capacitance")
    g_L: object = param(10 * nS, nS, "leak conductance")
    E_L: object = param(-60 * mV, mV, "leak reversal potential", bounds=None)
    E_e: object = param(0 * mV, mV, "excitatory reversal potential", bounds=None)
    E_i: object = param(-80 * mV, mV, "inhibitory reversal potential", bounds=None)
    V_th: object = param(-50 * mV, mV, "initial spike threshold", bounds=None)
    V_reset: object = param(-60 * mV, mV, "reset potential", bounds=None)
    tau_ref: object = param(5 * ms, ms, "refractory period", bounds="nonnegative")
    tau_e: object = param(5 * ms, ms, "excitatory (AMPA) time constant")
    tau_i: object = param(10 * ms, ms, "inhibitory (GABA) time constant")

    def _check(self):
        if not self.V_reset < self.V_th:
            raise ValueError(f"V_reset ({self.V_reset}) of {type(self).__name__} must lie below V_th ({self.V_th})")
        if not self.E_i < self.V_reset:
            raise ValueError(f"E_i ({self.E_i}) of ConductanceLIF must lie below V_reset ({self.V_reset})")

    def equations(self) -> str:
        return """
        dv/dt = (g_L*(E_L - v) + g_e*(E_e - v) + g_i*(E_i - v) + I_ext) / C_m : volt (unless refractory)
        dg_e/dt = -g_e / tau_e : siemens
        dg_i/dt = -g_i / tau_i : siemens
        I_ext : amp
        """

    def adaptable(self) -> dict:
        return {"v_th": self.V_th}

