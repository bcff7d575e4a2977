"""The base every homeostatic mechanism derives from.

A mechanism is a frozen dataclass of parameters with units (validated on creation, see
:func:`homeostasis.models.param`) that contributes Brian2 equation text to a population through
:class:`homeostasis.models.Circuit`. It declares its spatial ``scale`` and its deep-learning
``counterpart``; :func:`all_mechanisms` lists every mechanism class, so the analysis layer
pairs the two sides from the code rather than from a hand-kept table.

Examples
--------
>>> from homeostasis import all_mechanisms
>>> sorted({m.scale for m in all_mechanisms()})
['layer', 'network', 'neuron', 'synapse']
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from homeostasis.models.contribution import Contribution
from homeostasis.models.parameters import ParameterSet

__all__ = ["Mechanism", "SCALES", "all_mechanisms"]

#: The four spatial scales, smallest first, with the deep-learning counterpart of each.
SCALES = {
    "neuron": "batch normalization",
    "synapse": "weight normalization",
    "layer": "layer normalization",
    "network": "self-normalization",
}

_CLASSES: list = []


@dataclass(frozen=True)
class Mechanism(ParameterSet):
    """A homeostatic mechanism: parameters with units plus the equations they enter.

    Subclasses set ``scale`` (one of :data:`SCALES`), ``counterpart`` (the deep-learning
    normalization it corresponds to), ``biology`` (one line: the rule and its source), and
    implement :meth:`contribution` (and :meth:`objects` if they need extra Brian2 objects).
    """

    scale: ClassVar[str] = ""
    counterpart: ClassVar[str] = ""
    biology: ClassVar[str] = ""

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if cls.scale:
            if cls.scale not in SCALES:
                raise TypeError(f"{cls.__name__}.scale must be one of {list(SCALES)}, got {cls.scale!r}")
            if cls.counterpart != SCALES[cls.scale]:
                raise TypeError(f"{cls.__name__} is a {cls.scale}-scale mechanism, so its counterpart "
                                f"is {SCALES[cls.scale]!r}, not {cls.counterpart!r}")
            _CLASSES.append(cls)

    def contribution(self, model) -> Contribution:
        """Equation text this mechanism adds to a population of ``model`` neurons."""
        raise NotImplementedError

    @property
    def traces(self) -> tuple:
        """Spike traces (:class:`homeostasis.models.SpikeTrace`) this mechanism reads from its synapses'
        presynaptic neurons: give them to the source population's ``traces`` so that its
        neurons keep them once, instead of every synapse keeping a copy."""
        return ()

    def objects(self, group, circuit) -> list:
        """Extra Brian2 objects needed once ``group`` exists (none by default)."""
        return []


def all_mechanisms() -> list:
    """Every mechanism class defined in :mod:`homeostasis`, in scale order."""
    import importlib

    for scale in SCALES:  # importing a scale's module defines its mechanisms
        importlib.import_module(f"homeostasis.{scale}")
    order = list(SCALES)
    return sorted(_CLASSES, key=lambda c: (order.index(c.scale), c.__name__))
