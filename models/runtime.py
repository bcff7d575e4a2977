"""Parameters as values a compiled cpp_standalone project reads at run time.

A component lists the parameters a user may change from one run to the next (set points,
time constants) in its contribution's ``runtime``; the circuit declares each as a
``(shared, constant)`` variable of the population, and :func:`set_parameter` gives it its
value. The equations read the same (``target_rate`` is a name either way) and the results on
numpy and cython are those of a constant in the namespace.

On cpp_standalone the value is not written into the generated C++ code: it is a data file
of the project (``static_arrays/``), copied into the variable in ``main`` where Python set it,
before any initial value computed from it (``r = target_rate``) and before the run. So the
code of a model is the same for every value of its parameters, one compiled binary serves
them all (:mod:`homeostasis.simulations.backend` keeps such binaries in a cache), and a project that was
built and run can run again with a new value by rewriting the file (a later call of
:func:`set_parameter`). Brian2's own ``run_args`` set variables just before the network
runs, after the initial values computed from them, which is why they are not used here.

``RUNTIME_PARAMETERS = False`` (module attribute) turns the feature off: the parameters are
then constants of the namespace again, as before, e.g. to compare the two.

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

from pathlib import Path

import numpy as np
from brian2 import DimensionMismatchError, get_dimensions, get_unit

__all__ = ["RUNTIME_PARAMETERS", "set_parameter", "parameter_file", "standalone_device", "declaration", "active"]

#: Whether contributions' ``runtime`` parameters become shared variables (True) or stay
#: constants of the namespace (False).
RUNTIME_PARAMETERS = True


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


def parameter_file(group, name: str) -> str | None:
    """Name of the data file (in the project's ``static_arrays/``) holding parameter ``name``
    of ``group`` on cpp_standalone, or ``None`` if it was not set by :func:`set_parameter`."""
    return group.__dict__.get("_runtime_files", {}).get(name)


def set_parameter(group, name: str, value):
    """Give the run-time parameter ``name`` of ``group`` the value ``value``.

    Parameters
    ----------
    group : NeuronGroup or Synapses
        Owner of ``name``, a ``(shared, constant)`` variable.
    name : str
    value : Quantity or float
        A scalar in the variable's unit.

    On the runtime targets this is ``group.name = value``. On cpp_standalone, before the
    project is built, the value becomes a data file read by ``main`` at this point of the
    script; after it was built (and run), the file is rewritten, so the next
    ``device.run`` uses the new value without compiling.

    Raises
    ------
    ValueError
        If ``name`` is not a shared constant variable of ``group`` or ``value`` is not one
        finite number.
    DimensionMismatchError
        If ``value`` has another unit than the variable.
    """
    if name not in group.variables:
        raise ValueError(f"{group.name} has no variable {name!r}")
    var = group.variables[name]
    if not (getattr(var, "scalar", False) and getattr(var, "constant", False)):
        raise ValueError(f"{group.name}.{name} is not a run-time parameter (a shared, constant variable)")
    if get_dimensions(value) is not var.dim:
        raise DimensionMismatchError(f"parameter {name!r} of {group.name} must have the unit of {var.unit!r}, "
                                     f"got {value!r}", get_dimensions(value), var.dim)
    number = np.asarray(value, dtype=float)
    if number.size != 1 or not np.isfinite(number).all():
        raise ValueError(f"parameter {name!r} of {group.name} must be one finite number, got {value!r}")
    device = standalone_device()
    if device is None:
        setattr(group, name, value)
        return
    data = np.array([number.item()], dtype=var.dtype)
    files = group.__dict__.setdefault("_runtime_files", {})
    if device.project_dir is not None and name in files:
        # built already: the binary reads the file when it starts
        data.tofile(Path(device.project_dir) / "static_arrays" / files[name])
    else:
        array_name = device.get_array_name(var, access_data=False)
        # a file rather than a line of main.cpp (what `group.name = value` would write), so
        # that the generated code does not depend on the value
        static = device.static_array(array_name, data)
        device.main_queue.append(("set_by_array", (array_name, static, False)))
        files[name] = static
    device.array_cache[var] = data.copy()
