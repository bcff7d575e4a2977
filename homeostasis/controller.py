"""A population-level controller: one slow variable fed by, and fed back to, a whole group.

Layer and network homeostasis act on a population as a whole: an inhibitory gain set by the
fraction of active neurons, or by the mean rate of the whole network. In generated code
(no Python callbacks) this is two sets of synapses around a one-neuron group:

- *gather*: every neuron of the population writes into a ``(summed)`` variable of the
  controller (``A_post = int(r_pre > theta) / N_incoming`` is the active fraction);
- the controller integrates its own equations (``dlog_g/dt = (A - A0) / tau``);
- *broadcast*: a ``(summed)`` variable copies the controller's output into every neuron of
  the population, where synapses read it as a weight factor.
"""
from __future__ import annotations

from brian2 import Equations, NeuronGroup, Synapses

from homeostasis.models import runtime as runtime_module

__all__ = ["population_controller", "controller_group"]


def controller_group(equations: str, namespace: dict, runtime: dict | None = None, **kwargs) -> NeuronGroup:
    """The one-neuron group of a controller, with ``runtime`` as run-time parameters.

    Each entry of ``runtime`` becomes a ``(shared, constant)`` variable of the group with that
    value (:func:`homeostasis.models.runtime.set_parameter`), so the controller's code is the same for
    every value and a compiled cpp_standalone project serves them all; with
    ``homeostasis.models.runtime.RUNTIME_PARAMETERS`` off they are constants of the namespace instead.
    ``kwargs`` go to :class:`~brian2.NeuronGroup`.

    Examples
    --------
    >>> from brian2 import Hz, second
    >>> ctrl = controller_group("R : Hz\\ndlog_g/dt = (R - target_rate) / (target_rate * tau) : 1",
    ...                         {"target_rate": 5 * Hz, "tau": 2 * second}, runtime={"target_rate": 5 * Hz})
    >>> ctrl.variables["target_rate"].constant, float(ctrl.target_rate / Hz)
    (True, 5.0)
    """
    runtime = runtime_module.active(runtime or {})
    eqs = Equations(equations)
    for var, value in runtime.items():
        eqs += Equations(runtime_module.declaration(var, value))
    constants = {k: v for k, v in namespace.items() if k not in runtime}
    ctrl = NeuronGroup(1, eqs, namespace=constants, method="euler", **kwargs)
    for var, value in runtime.items():
        runtime_module.set_parameter(ctrl, var, value)
    return ctrl


def population_controller(group, name: str, equations: str, gather: str, broadcast: str,
                          namespace: dict, initial: dict | None = None, runtime=()) -> list:
    """Brian2 objects of a controller acting on every neuron of ``group``.

    Parameters
    ----------
    group : NeuronGroup
        The population; it must declare the broadcast target variable (``g : 1``).
    name : str
        Name of the controller group (its synapses get suffixes).
    equations : str
        Controller equations, including the gathered variable as a plain parameter.
    gather : str
        Summed-variable line on the group-to-controller synapses, e.g.
        ``"R_post = r_pre / N_incoming : Hz (summed)"``.
    broadcast : str
        Summed-variable line on the controller-to-group synapses, e.g.
        ``"g_post = g_pre : 1 (summed)"``.
    namespace : dict
        Constants of the controller equations.
    initial : dict, optional
        Initial values of controller variables.
    runtime : iterable of str, optional
        Names of ``namespace`` (set points, time constants) the controller group reads as
        run-time parameters (:func:`controller_group`).

    Returns
    -------
    list
        The controller group and its two synapse objects, ready for a Network.
    """
    ctrl = controller_group(equations, namespace, {k: namespace[k] for k in runtime}, name=name)
    for var, value in (initial or {}).items():
        setattr(ctrl, var, value)
    up = Synapses(group, ctrl, model=gather, namespace=namespace, name=f"{name}_gather")
    up.connect()
    down = Synapses(ctrl, group, model=broadcast, namespace=namespace, name=f"{name}_broadcast")
    down.connect()
    return [ctrl, up, down]
