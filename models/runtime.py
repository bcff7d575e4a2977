"""Parameters as values a compiled cpp_standalone project reads at run time.

A component lists the parameters a user may change from one run to the next (set points,
time constants) in its contribution's ``runtime``; the circuit declares each as a constant
variable of the population (``(shared, constant)``, or per neuron ``(constant)``) and
:func:`set_parameter` gives it its value. The equations read the same (``target_rate`` is a
name either way), and on numpy and cython the results are those of a namespace constant.

On cpp_standalone the value is not written into the generated code, so the code of a model is
the same for every value and one compiled project serves them all (with ``build_on_run=False``;
Brian2's own ``build_on_run=True`` gets ``setattr``): it is recorded, and
:mod:`homeostasis.simulations.backend` passes every recorded value to each run as Brian2's
``run_args``. Brian2 applies them just before the network runs; initial values computed from
them (``r = target_rate``) are computed again at t = 0 by the circuit.

``RUNTIME_PARAMETERS = False`` (module attribute) keeps the parameters constants of the
namespace instead, e.g. to compare the two.

Examples
--------
>>> from brian2 import NeuronGroup, Hz
>>> g = NeuronGroup(3, "r : Hz\\ntarget_rate : Hz (shared, constant)")
>>> set_parameter(g, "target_rate", 5 * Hz)
>>> g.r = "target_rate"
>>> [float(x) for x in g.r / Hz]
[5.0, 5.0, 5.0]
"""
from __future__ import annotations

import weakref

import numpy as np
from brian2 import DimensionMismatchError, Subgroup, get_dimensions, get_unit

__all__ = ["RUNTIME_PARAMETERS", "set_parameter", "run_args", "forget", "standalone_device", "declaration", "active"]

#: Whether contributions' ``runtime`` parameters become constant variables (True) or stay
#: constants of the namespace (False).
RUNTIME_PARAMETERS = True

#: Values recorded on cpp_standalone: {group: {name: value}}, passed to every run of the project.
_pending = weakref.WeakKeyDictionary()


def declaration(name: str, value) -> str:
    """The equation line declaring run-time parameter ``name`` with the unit of ``value``.

    Examples
    --------
    >>> from brian2 import Hz
    >>> declaration("target_rate", 5 * Hz)
    'target_rate : hertz (shared, constant)'
    >>> declaration("A0", 0.1)
    'A0 : 1 (shared, constant)'
    """
    dim = get_dimensions(value)
    unit = "1" if dim is get_dimensions(1) else repr(get_unit(dim))
    return f"{name} : {unit} (shared, constant)"


def active(values: dict) -> dict:
    """``values`` as run-time parameters: itself, or empty when ``RUNTIME_PARAMETERS`` is off
    (the names then stay constants of the namespace)."""
    return dict(values) if RUNTIME_PARAMETERS else {}


def standalone_device():
    """The active Brian2 device if it is cpp_standalone, else ``None``."""
    from brian2.devices.cpp_standalone.device import CPPStandaloneDevice
    from brian2.devices.device import get_device

    device = get_device()
    return device if isinstance(device, CPPStandaloneDevice) else None


def set_parameter(group, name: str, value):
    """Give the run-time parameter ``name`` of ``group`` the value ``value``.

    On the runtime targets this is ``setattr(group, name, value)``, and so on cpp_standalone with
    ``build_on_run=True`` (Brian2 builds and runs once at ``run``). With ``build_on_run=False`` the
    value is recorded, not written into the code: pass :func:`run_args` to ``device.run`` (the
    runner, :mod:`homeostasis.simulations.backend`, does), before or after the build.

    Parameters
    ----------
    group : NeuronGroup or Synapses
        Owner of ``name``, a constant variable: shared (one value) or per neuron.
    name : str
    value : Quantity or float
        In the variable's unit: a scalar, or for a per-neuron variable one value per neuron.

    Raises
    ------
    ValueError
        If ``name`` is not a constant variable of ``group``, or ``value`` is not finite or has
        the wrong number of values.
    DimensionMismatchError
        If ``value`` has another unit than the variable.
    """
    if name not in group.variables:
        raise ValueError(f"{group.name} has no variable {name!r}")
    var = group.variables[name]
    if not getattr(var, "constant", False) or getattr(var, "dynamic", False):
        raise ValueError(f"{group.name}.{name} is not a run-time parameter (a constant variable)")
    if get_dimensions(value) is not var.dim:
        raise DimensionMismatchError(f"parameter {name!r} of {group.name} must have the unit of {var.unit!r}, "
                                     f"got {value!r}", get_dimensions(value), var.dim)
    number = np.asarray(value, dtype=float)
    size = 1 if var.scalar else var.size
    if number.size not in (1, size) or number.ndim > 1 or not np.isfinite(number).all():
        raise ValueError(f"parameter {name!r} of {group.name} must be one finite number"
                         f"{'' if var.scalar else f' or {size} of them'}, got {value!r}")
    device = standalone_device()
    if device is None or device.build_on_run:  # a runtime target, or Brian2 builds at the run itself
        setattr(group, name, value)
    elif isinstance(group, Subgroup):  # run_args name whole groups
        raise ValueError(f"on cpp_standalone set {name!r} on the population, not on its subgroup {group.name}")
    else:
        _pending.setdefault(group, {})[name] = value


def run_args(groups=None) -> dict:
    """The recorded values as Brian2 ``run_args`` (``{group.name_view: value}``), of ``groups``
    or of every group still alive."""
    chosen = list(_pending) if groups is None else [g for g in groups if g in _pending]
    return {getattr(group, name): value for group in chosen for name, value in _pending[group].items()}


def forget():
    """Drop every recorded value (the device was reset)."""
    _pending.clear()
