"""Parse ``--set key=value`` overrides safely, with units.

Values are Python expressions restricted to numbers, Brian2 unit names and arithmetic
(``5*Hz``, ``0.5 * second``, ``1e-3``, ``-70*mV``): parsed with :mod:`ast` and evaluated
node by node, never with ``eval``.

Examples
--------
>>> from homeostasis.simulations.registry import Param
>>> from brian2 import Hz
>>> parse_value(Param("target_rate", 5 * Hz, "Hz"), "10*Hz")
10. * hertz
"""
from __future__ import annotations

import ast
import operator

import numpy as np

from brian2 import DimensionMismatchError, Quantity, get_dimensions, have_same_dimensions
from brian2.units.allunits import all_units

__all__ = ["parse_value", "parse_overrides", "resolve"]

_UNITS = {str(u): u for u in all_units}
_UNITS.update({name: getattr(__import__("brian2"), name) for name in ("Hz", "kHz", "ms", "second", "mV", "nA", "pA", "nS", "pF", "Mohm", "um")})
_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.Div: operator.truediv, ast.Pow: operator.pow}


def _evaluate(node):
    if isinstance(node, ast.Expression):
        return _evaluate(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.Name):
        if node.id in _UNITS:
            return _UNITS[node.id]
        raise ValueError(f"unknown name {node.id!r} (only numbers and Brian2 units are allowed)")
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _evaluate(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_evaluate(node.left), _evaluate(node.right))
    raise ValueError("only numbers, Brian2 units and + - * / ** are allowed")


def _expression(text: str):
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        raise ValueError(f"cannot parse {text!r}: {err.msg}") from None
    return _evaluate(tree)


def parse_value(param, text: str):
    """The value of ``param`` written as ``text``, checked against its unit and type."""
    where = f"--set {param.name}={text}"
    if param.unit is None:
        kind = type(param.default)
        if kind is bool:
            lowered = text.strip().lower()
            if lowered not in ("true", "false", "1", "0", "yes", "no"):
                raise ValueError(f"{where}: expected true or false")
            return lowered in ("true", "1", "yes")
        if kind is str:
            return text
        try:
            value = _expression(text)
        except ValueError as err:
            raise ValueError(f"{where}: {err}") from None
        if isinstance(value, Quantity) and not value.is_dimensionless:
            raise ValueError(f"{where}: {param.name} takes a plain number, not a quantity")
        value = float(value)
        if kind is int:
            if value != int(value):
                raise ValueError(f"{where}: {param.name} must be an integer")
            return int(value)
        return value
    try:
        value = _expression(text)
    except ValueError as err:
        raise ValueError(f"{where}: {err}") from None
    unit = _expression(param.unit) if param.unit != "1" else 1
    if not have_same_dimensions(value, unit):
        raise DimensionMismatchError(
            f"{where}: {param.name} must have the unit of {param.unit} (default {param.default!s})",
            get_dimensions(value), get_dimensions(unit))
    if param.unit == "1":
        value = float(value)
    if not np.all(np.isfinite(np.asarray(value, dtype=float))):
        raise ValueError(f"{where}: value must be finite")
    return value


def parse_overrides(items) -> dict:
    """``["k=v", ...]`` to ``{"k": "v"}``; a malformed item or a repeated key is an error."""
    out = {}
    for item in items or ():
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key or not value.strip():
            raise ValueError(f"--set expects key=value, got {item!r}")
        if key in out:
            raise ValueError(f"--set {key} given twice")
        out[key] = value
    return out


def resolve(exp, overrides: dict, quick: bool) -> dict:
    """Defaults of ``exp`` for ``quick`` with ``overrides`` (text or values) applied."""
    values = exp.defaults(quick)
    valid = [p.name for p in exp.params]
    for key, raw in overrides.items():
        if key not in values:
            raise KeyError(f"unknown parameter {key!r} of experiment {exp.name!r}; valid keys: {', '.join(valid)}")
        param = exp.param(key)
        values[key] = parse_value(param, raw) if isinstance(raw, str) else raw
    return values
