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

from brian2 import Mohm, amp, mV, ms, nS, pF, siemens

from .parameters import ParameterSet, param

__all__ = ["NeuronModel", "RateNeuron", "CurrentLIF", "ConductanceLIF"]


@dataclass(frozen=True)
class NeuronModel(ParameterSet):
    """Interface every neuron model implements.

    Attributes
    ----------
    spiking : bool
        Whether the model emits spikes (has ``threshold`` and ``reset``).
    synapse_targets : dict
        Synaptic role (``"exc"``, ``"inh"``) -> (variable incremented on a presynaptic
        spike, unit of the weight).
    """

    spiking: ClassVar[bool] = True
    synapse_targets: ClassVar[dict] = {}
    threshold: ClassVar[str | None] = None
    reset: ClassVar[str | None] = None
    #: Integration method, named so that Brian2 spends no time choosing one (and prints no
    #: line about it): ``"exact"`` where the equations are linear, else ``"euler"``.
    method: ClassVar[str] = "euler"

    def equations(self) -> str:
        """Model equations, without the adaptable parameters (the builder declares those)."""
        raise NotImplementedError

    def adaptable(self) -> dict:
        """Per-neuron parameters a component may make dynamic: name -> initial value."""
        return {}


@dataclass(frozen=True)
class RateNeuron(NeuronModel):
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

    spiking: ClassVar[bool] = False
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
class CurrentLIF(NeuronModel):
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
class ConductanceLIF(NeuronModel):
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

