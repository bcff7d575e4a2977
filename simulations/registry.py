"""The experiment registry: what an experiment declares and how the CLI finds it.

An experiment is a plain function decorated with :func:`experiment`. It declares its
parameters once (name, default, unit, help, quick-mode default), receives them validated
and with units attached, and returns a :class:`Result` (metrics, arrays, a figure). Writing
files, seeding, timing and versions are the runner's job (:mod:`homeostasis.simulations.output`), so
every experiment obeys the same output contract.

An experiment also declares the metrics keys it promises (``required_metrics``): other
tools read them, so the runner refuses to write a result that lacks one.

Experiments live in :mod:`homeostasis.simulations.experiments`, one module each; importing
:func:`registry` imports them all, so adding an experiment is adding a module.

Examples
--------
>>> from brian2 import Hz
>>> @experiment("demo", "A demonstration.", params=[
...     Param("target_rate", 5 * Hz, "Hz", "rate the mechanism holds", quick=5 * Hz)],
...     required_metrics=["target_rate_hz"], figure=False)
... def demo(p, ctx):
...     return Result(metrics={"target_rate_hz": float(p.target_rate / Hz)})
>>> _ = _REGISTRY.pop("demo")
"""
from __future__ import annotations

import importlib
import itertools
import pkgutil
import re
import string
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Mapping

import numpy as np

__all__ = ["Param", "Params", "RunContext", "Result", "Experiment", "experiment", "registry", "get"]


@dataclass(frozen=True)
class Param:
    """One documented experiment parameter.

    Parameters
    ----------
    name : str
        Name used on the command line (``--set name=value``) and in ``metrics.json``.
        Use the mechanism's own parameter name (``target_rate``, ``tau_scaling``, ...).
    default : object
        Value for a full run: a Brian2 quantity when ``unit`` is given, else int, float,
        bool or str.
    unit : str or None
        Brian2 unit expression the value must have (``"Hz"``, ``"ms"``, ``"mV"``, ``"1"``
        for a dimensionless float). ``None`` for plain Python values.
    help : str
        One line shown by ``homeostasis run NAME --help``.
    quick : object, optional
        Value used with ``--quick`` (defaults to ``default``). ``--set`` overrides both.
    """

    name: str
    default: Any
    unit: str | None = None
    help: str = ""
    quick: Any = None

    def value(self, quick: bool) -> Any:
        return self.quick if (quick and self.quick is not None) else self.default


class Params(Mapping):
    """Read-only resolved parameters, by attribute or by key (``p.target_rate``)."""

    def __init__(self, values: Mapping[str, Any]):
        self._values = MappingProxyType(dict(values))

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"no parameter {name!r}; known: {', '.join(self._values)}") from None

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self):
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Params({dict(self._values)!r})"


@dataclass
class RunContext:
    """What the runner hands an experiment besides its parameters.

    Attributes
    ----------
    seed : int
        Seed for this run; the runner has already called ``brian2.seed(seed)`` and
        ``numpy.random.seed(seed)``. Use ``ctx.rng`` for any other numpy randomness.
    quick : bool
        Quick mode: same code path, smaller sizes, under a minute on two cores.
    backend : str
        Brian2 code-generation target: ``"numpy"``, ``"cython"`` or ``"cpp_standalone"``.
    progress : bool
        Whether long loops should show a progress bar (``tqdm(..., disable=not ctx.progress)``).
    """

    seed: int = 0
    quick: bool = False
    backend: str = "numpy"
    progress: bool = True
    rng: np.random.Generator = field(init=False)

    def __post_init__(self):
        self.rng = np.random.default_rng(self.seed)


@dataclass
class Result:
    """What an experiment returns.

    Attributes
    ----------
    metrics : dict
        Numbers, nested by dotted key (``{"batch": {"usage_cv": 0.4}}``). The DESIGN keys
        of the experiment must be present.
    data : dict of str to ndarray
        Arrays written to ``data.npz``.
    figure : matplotlib.figure.Figure or None
        Written as ``figure.png`` and ``figure.pdf``.
    extra_files : dict of str to str
        Further text files to write beside the metrics (e.g. ``{"table.md": "..."}``).
    """

    metrics: dict
    data: dict = field(default_factory=dict)
    figure: Any = None
    extra_files: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Experiment:
    """A registered experiment: name, one-line description, parameters, metrics and function."""

    name: str
    description: str
    params: tuple
    func: Callable[[Params, RunContext], Result]
    figure: bool = True  # part of `homeostasis figures`
    required_metrics: tuple = ()

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def defaults(self, quick: bool) -> dict:
        return {p.name: p.value(quick) for p in self.params}

    def required_keys(self, values: Mapping[str, Any]) -> list:
        """The flattened metrics keys a run with parameter ``values`` must produce.

        A ``{param}`` field in a declared key stands for each comma-separated value of that
        parameter, so a run narrowed to some datasets or methods (``--set methods=none,ssn``)
        is held to the keys of exactly those.

        Examples
        --------
        >>> exp = Experiment("x", "", (Param("methods", "a,b"),), None,
        ...                  required_metrics=("{methods}.cv", "mean"))
        >>> exp.required_keys({"methods": "b, c"})
        ['b.cv', 'c.cv', 'mean']
        """
        keys = []
        for template in self.required_metrics:
            fields = _fields(template)
            choices = [[v.strip() for v in str(values[f]).split(",") if v.strip()] for f in fields]
            for combo in itertools.product(*choices):
                keys.append(template.format(**dict(zip(fields, combo))))
        return list(dict.fromkeys(keys))


_REGISTRY: dict[str, Experiment] = {}


def _fields(template: str) -> list:
    """Parameter names in ``template`` (``"{datasets}.{methods}.x"`` -> datasets, methods)."""
    return list(dict.fromkeys(f for _, f, _, _ in string.Formatter().parse(template) if f is not None))


def experiment(name: str, description: str, params=(), figure: bool = True, required_metrics=()):
    """Register ``func(params, ctx) -> Result`` as the experiment ``name``.

    Parameters
    ----------
    name : str
        Name on the command line and of the result directory.
    description : str
        One line for ``homeostasis list``.
    params : sequence of Param
    figure : bool, default True
        Whether ``homeostasis figures`` runs it.
    required_metrics : sequence of str
        Flattened metrics keys (``"batch.usage_cv"``) that other tools read; a run that
        does not produce all of them is an error and writes nothing. ``{param}`` in a key
        expands to each comma-separated value of that parameter
        (``"{methods}.usage_cv"``), so narrowing a list parameter narrows the check.
    """
    if isinstance(required_metrics, str):
        raise TypeError(f"required_metrics of experiment {name!r} must be a list of keys, not one string")
    required_metrics = tuple(required_metrics)
    names = [p.name for p in params]
    if len(set(names)) != len(names):
        raise ValueError(f"experiment {name!r} declares a parameter twice: {names}")
    for key in required_metrics:
        if not isinstance(key, str) or not re.fullmatch(r"[^\s]+", key):
            raise ValueError(f"required_metrics of experiment {name!r}: {key!r} is not a metrics key")
        unknown = [f for f in _fields(key) if f not in names]
        if unknown:
            raise ValueError(f"required_metrics of experiment {name!r}: {key!r} refers to "
                             f"{', '.join(unknown)}, not a parameter ({', '.join(names) or 'none'})")

    def decorate(func):
        if name in _REGISTRY and _REGISTRY[name].func is not func:
            raise ValueError(f"experiment {name!r} registered twice")
        _REGISTRY[name] = Experiment(name, description, tuple(params), func, figure, required_metrics)
        return func

    return decorate


def registry() -> dict[str, Experiment]:
    """All experiments, importing every module of :mod:`homeostasis.simulations.experiments` once."""
    import os

    from homeostasis.simulations import experiments

    # plug-in experiments: HOMEOSTASIS_EXPERIMENTS="pkg.module,other.module" (also seen by
    # Dask workers, which inherit the environment)
    for module in filter(None, os.environ.get("HOMEOSTASIS_EXPERIMENTS", "").split(",")):
        importlib.import_module(module.strip())

    for mod in pkgutil.iter_modules(experiments.__path__):
        importlib.import_module(f"{experiments.__name__}.{mod.name}")
    return dict(sorted(_REGISTRY.items()))


def get(name: str) -> Experiment:
    """The experiment called ``name``; ``KeyError`` listing the known names otherwise."""
    known = registry()
    if name not in known:
        raise KeyError(f"unknown experiment {name!r}; known: {', '.join(known)}")
    return known[name]
