"""Declarative validation of the ANN hyperparameters, as :func:`homeostasis.models.param` is for mechanisms.

A class lists the constraints of its constructor's parameters once, in
``_parameter_constraints`` (the name scikit-learn uses), and derives from :class:`Validated`.
Every call of its ``__init__`` is then checked against them before the body runs, so a bad
value fails where the object is made, with an :class:`InvalidParameterError` (a
``ValueError``) that names the class, the parameter, what was expected and what was given.
A class whose ``__init__`` takes a parameter without a declared constraint cannot be
defined, so no parameter goes unchecked. Functions take the same table through
:func:`validate_params`.

Random initialization follows scikit-learn's convention: a ``random_state`` parameter takes
``None`` (fresh entropy), an int seed or a ``numpy.random.Generator``, turned into a
generator by :func:`check_random_state`.

Examples
--------
>>> from numbers import Real
>>> class Decay(Validated):
...     _parameter_constraints = {"rate": Interval(Real, 0, 1, closed="right")}
...     def __init__(self, rate=0.1):
...         self.rate = rate
>>> Decay(rate=5.0)
Traceback (most recent call last):
...
homeostasis.ann.validation.InvalidParameterError: parameter 'rate' of Decay must be a real number in (0, 1], got 5.0
"""
from __future__ import annotations

import functools
import inspect
import math
from numbers import Integral, Real

import numpy as np

__all__ = ["InvalidParameterError", "Interval", "Options", "InstanceOf", "RandomState", "SequenceOf", "HasAttributes",
           "Validated", "validate_params", "check_random_state"]


class InvalidParameterError(ValueError, TypeError):
    """A hyperparameter of the wrong type or outside its range.

    A ``ValueError`` (what callers catch for bad input), and a ``TypeError`` as well so that
    code catching the type error a wrong type used to raise keeps working, as in scikit-learn.
    """


class Constraint:
    """What one parameter may be: ``accepts(value)`` and a phrase for the error message."""

    def accepts(self, value) -> bool:
        raise NotImplementedError

    def __str__(self) -> str:
        raise NotImplementedError


def _is_number(value, kind) -> bool:
    # bool is an int in Python, but True as a size or a rate is a mistake, not a number
    if isinstance(value, (bool, np.bool_)):
        return False
    if kind is Integral:
        return isinstance(value, (Integral, np.integer))
    return isinstance(value, (Real, np.integer, np.floating))


class Interval(Constraint):
    """A finite number of ``kind`` (``numbers.Integral`` or ``numbers.Real``) in an interval.

    Parameters
    ----------
    kind : numbers.Integral or numbers.Real
        Integral refuses floats (``2.0`` layers is a mistake); Real takes ints too.
    low, high : float or None
        Bounds; ``None`` for no bound on that side.
    closed : {"both", "left", "right", "neither"}, default "both"
        Which bounds belong to the interval.

    Examples
    --------
    >>> from numbers import Real
    >>> str(Interval(Real, 0, 1, closed="left")), Interval(Real, 0, 1, closed="left").accepts(1.0)
    ('a real number in [0, 1)', False)
    """

    def __init__(self, kind, low=None, high=None, closed: str = "both"):
        if kind not in (Integral, Real):
            raise ValueError(f"kind must be numbers.Integral or numbers.Real, got {kind!r}")
        if closed not in ("both", "left", "right", "neither"):
            raise ValueError(f"closed must be both, left, right or neither, got {closed!r}")
        self.kind, self.low, self.high, self.closed = kind, low, high, closed

    def accepts(self, value) -> bool:
        if not _is_number(value, self.kind) or not math.isfinite(value):
            return False
        if self.low is not None:
            if value < self.low or (value == self.low and self.closed in ("right", "neither")):
                return False
        if self.high is not None:
            if value > self.high or (value == self.high and self.closed in ("left", "neither")):
                return False
        return True

    def __str__(self) -> str:
        if self.low is None and self.high is None:
            return "a finite integer" if self.kind is Integral else "a finite real number"
        what = "an integer" if self.kind is Integral else "a real number"
        if self.high is None:
            return f"{what} {'>=' if self.closed in ('both', 'left') else '>'} {self.low}"
        if self.low is None:
            return f"{what} {'<=' if self.closed in ('both', 'right') else '<'} {self.high}"
        left = "[" if self.closed in ("both", "left") else "("
        right = "]" if self.closed in ("both", "right") else ")"
        return f"{what} in {left}{self.low}, {self.high}{right}"


class Options(Constraint):
    """One of a fixed set of values (strings such as method names)."""

    def __init__(self, options):
        self.options = tuple(options)

    def accepts(self, value) -> bool:
        try:
            return isinstance(value, str) and value in self.options
        except TypeError:
            return False

    def __str__(self) -> str:
        return "one of " + ", ".join(map(str, self.options))


class InstanceOf(Constraint):
    """An instance of ``cls``."""

    def __init__(self, cls, what: str | None = None):
        self.cls, self.what = cls, what

    def accepts(self, value) -> bool:
        return isinstance(value, self.cls)

    def __str__(self) -> str:
        return self.what or f"a {self.cls.__name__}"


class HasAttributes(Constraint):
    """An object with the attributes ``names`` (duck typing, as the optimizers need of a layer)."""

    def __init__(self, *names, what: str | None = None):
        self.names, self.what = names, what

    def accepts(self, value) -> bool:
        return all(hasattr(value, n) for n in self.names)

    def __str__(self) -> str:
        return self.what or "an object with " + " and ".join(self.names)


class RandomState(Constraint):
    """scikit-learn's ``random_state``: None, a non-negative int seed, or a numpy Generator."""

    def accepts(self, value) -> bool:
        return (value is None or isinstance(value, np.random.Generator)
                or (_is_number(value, Integral) and value >= 0))

    def __str__(self) -> str:
        return "None, a non-negative int seed or a numpy.random.Generator"


class SequenceOf(Constraint):
    """A list or tuple (or 1-D array) whose items all satisfy ``item``, of a given length."""

    def __init__(self, item: Constraint, length: int | None = None, min_length: int = 0, what: str | None = None):
        self.item, self.length, self.min_length, self.what = item, length, min_length, what

    def accepts(self, value) -> bool:
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple, np.ndarray)):
            return False
        items = list(value)
        if (self.length is not None and len(items) != self.length) or len(items) < self.min_length:
            return False
        return all(self.item.accepts(v) for v in items)

    def __str__(self) -> str:
        if self.what:
            return self.what
        size = f"{self.length} " if self.length is not None else (f"at least {self.min_length} " if self.min_length else "")
        return f"a sequence of {size}items, each {self.item}"


def _check(owner: str, constraints: dict, arguments: dict):
    for name, value in arguments.items():
        constraint = constraints[name]
        if constraint == "no_validation":
            continue
        options = constraint if isinstance(constraint, (list, tuple)) else [constraint]
        # None in a list of constraints allows None, as in scikit-learn's tables
        if not any(value is None if c is None else c.accepts(value) for c in options):
            expected = " or ".join(str(c) for c in options)
            raise InvalidParameterError(f"parameter {name!r} of {owner} must be {expected}, got {value!r}")


def _checked(func, owner: str, constraints: dict):
    """``func`` wrapped so that its arguments are checked against ``constraints`` first."""
    signature = inspect.signature(func)
    names = [n for n, p in signature.parameters.items()
             if n != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    passes_on = any(p.kind == p.VAR_KEYWORD for p in signature.parameters.values())
    missing = [n for n in names if n not in constraints]
    # with **kwargs, constraints may name what is passed on to the parent (checked there too)
    unknown = [] if passes_on else [n for n in constraints if n not in names]
    if missing or unknown:
        # at definition time: a parameter nobody checks is the bug this module exists to prevent
        raise TypeError(f"{owner}: constraints must cover exactly the parameters {names}; "
                        f"missing {missing}, unknown {unknown}")

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        arguments = {n: bound.arguments[n] for n in names}
        for kwargs_name in (n for n, p in signature.parameters.items() if p.kind == p.VAR_KEYWORD):
            arguments.update({n: v for n, v in bound.arguments[kwargs_name].items() if n in constraints})
        _check(owner, constraints, arguments)
        return func(*args, **kwargs)

    wrapper.parameter_constraints = dict(constraints)
    return wrapper


def validate_params(constraints: dict):
    """Decorator: check a function's arguments against ``constraints`` before it runs.

    ``constraints`` maps every parameter name to a :class:`Constraint`, a list of them (any
    one suffices; ``None`` in the list allows None) or the string ``"no_validation"``
    (checked in the body instead).

    Examples
    --------
    >>> from numbers import Integral
    >>> @validate_params({"steps": Interval(Integral, 1)})
    ... def run(steps=10):
    ...     return steps
    >>> run(steps=0)
    Traceback (most recent call last):
    ...
    homeostasis.ann.validation.InvalidParameterError: parameter 'steps' of run must be an integer >= 1, got 0
    """
    def decorate(func):
        return _checked(func, func.__name__, constraints)

    return decorate


class Validated:
    """Base class: ``__init__`` arguments are checked against ``_parameter_constraints``.

    A subclass that defines ``__init__`` must declare a constraint for each of its parameters
    (a ``TypeError`` at class definition otherwise). Subclasses without their own
    ``__init__`` inherit their parent's checks.
    """

    _parameter_constraints: dict = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is not None:
            cls.__init__ = _checked(init, cls.__name__, cls._parameter_constraints)

    @classmethod
    def parameter_names(cls) -> list:
        """The constructor's parameters, in order (those the constraints cover)."""
        return list(cls._parameter_constraints)


def check_random_state(random_state) -> np.random.Generator:
    """A ``numpy.random.Generator`` from ``random_state`` (None, an int seed or a Generator).

    A Generator is returned as is, so several layers built from one generator draw different
    weights, and the caller's generator advances (as with scikit-learn's ``RandomState``).

    Examples
    --------
    >>> float(check_random_state(3).normal()) == float(np.random.default_rng(3).normal())
    True
    """
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or (_is_number(random_state, Integral) and random_state >= 0):
        return np.random.default_rng(None if random_state is None else int(random_state))
    raise InvalidParameterError(f"random_state must be {RandomState()}, got {random_state!r}")
