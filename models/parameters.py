"""Parameters with units, validated when the object is made.

Models and components are frozen dataclasses whose fields are declared with :func:`param`:
a default, the Brian2 unit the value must have, and the range it must lie in. Validation runs
in ``__post_init__``, so a wrong unit or a non-positive time constant fails where the object is
created, before any Brian2 object exists or any simulation runs.

Examples
--------
>>> from dataclasses import dataclass
>>> from brian2 import Hz, ms
>>> @dataclass(frozen=True)
... class Trace(ParameterSet):
...     tau_r: object = param(1000 * ms, ms, "time constant of a trace")
>>> Trace(tau_r=5 * Hz)  # doctest: +IGNORE_EXCEPTION_DETAIL
Traceback (most recent call last):
DimensionMismatchError: parameter 'tau_r' of Trace must have the unit of ms ...
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
from brian2 import DimensionMismatchError, Quantity, get_dimensions, have_same_dimensions

__all__ = ["param", "ParameterSet", "check_quantity", "check_expression"]

#: Allowed range checks: name -> (predicate, phrase used in the error).
_BOUNDS = {
    "positive": (lambda x: np.all(x > 0), "must be positive"),
    "nonnegative": (lambda x: np.all(x >= 0), "must not be negative"),
    "fraction": (lambda x: np.all((x > 0) & (x < 1)), "must lie strictly between 0 and 1"),
    None: (lambda x: True, ""),
}


def param(default, unit=1, help: str = "", bounds: str | None = "positive", optional: bool = False):
    """Declare a dataclass field that holds a quantity.

    Parameters
    ----------
    default : Quantity or float
        Default value (copied per instance, as quantities are arrays).
    unit : brian2 Unit, 1, or tuple of them
        The value must have the dimensions of this unit (of one of them, for a tuple, as a
        synaptic weight may be a current or a conductance); ``1`` for dimensionless.
    help : str
        What the parameter means, for error messages and docs.
    bounds : {"positive", "nonnegative", "fraction", None}
        Range check applied at construction.
    optional : bool
        ``None`` is accepted too (a value the owner derives, e.g. from the model it is
        composed with).
    """
    if bounds not in _BOUNDS:
        raise ValueError(f"unknown bounds {bounds!r}; use one of {list(_BOUNDS)}")
    return field(
        default_factory=lambda: default,
        metadata={"unit": unit, "help": help, "bounds": bounds, "optional": optional},
    )


def check_expression(owner: str, name: str, value):
    """Check that ``value`` is a non-empty Brian2 expression (a string); raise a clear error naming it."""
    if not (isinstance(value, str) and value.strip()):
        raise ValueError(f"{name} of {owner} must be a non-empty Brian2 expression, got {value!r}")


def check_quantity(owner: str, name: str, value, unit=1, bounds: str | None = "positive"):
    """Check one value's dimensions, finiteness and range; raise a clear error naming it."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"parameter {name!r} of {owner} must be a number, got {value!r}")
    units = unit if isinstance(unit, tuple) else (unit,)
    if not any(have_same_dimensions(value, u) for u in units):
        raise DimensionMismatchError(
            f"parameter {name!r} of {owner} must have the unit of {_unit_name(unit)}, got {value!r}",
            get_dimensions(value),
            get_dimensions(units[0]),
        )
    raw = np.asarray(value, dtype=float)
    if raw.size == 0 or not np.all(np.isfinite(raw)):
        raise ValueError(f"parameter {name!r} of {owner} must be finite, got {value!r}")
    ok, phrase = _BOUNDS[bounds]
    if not ok(raw):
        hint = (" (a parameter where zero is meaningful is declared with param(..., bounds='nonnegative'), "
                "or bounds=None for any sign)") if bounds == "positive" and np.all(raw >= 0) else ""
        raise ValueError(f"parameter {name!r} of {owner} {phrase}, got {value!r}{hint}")


def _unit_name(unit) -> str:
    if isinstance(unit, tuple):
        return " or ".join(_unit_name(u) for u in unit)
    return "1 (dimensionless)" if not isinstance(unit, Quantity) else str(unit)


@dataclass(frozen=True)
class ParameterSet:
    """Base for models and components: fields declared with :func:`param` are validated."""

    def __post_init__(self):
        owner = type(self).__name__
        for f in dataclasses.fields(self):
            if "unit" in f.metadata and not (f.metadata.get("optional") and getattr(self, f.name) is None):
                check_quantity(owner, f.name, getattr(self, f.name), f.metadata["unit"], f.metadata["bounds"])
        self._check()

    def _check(self):
        """Cross-parameter checks of a subclass (e.g. reset below threshold)."""

    def parameters(self) -> dict:
        """The declared parameters, name -> value."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if "unit" in f.metadata}

    def namespace(self) -> dict:
        """Names the equations refer to; by default every declared parameter."""
        return self.parameters()

    def replace(self, **changes):
        """A copy with some parameters changed (validated again)."""
        return dataclasses.replace(self, **changes)
