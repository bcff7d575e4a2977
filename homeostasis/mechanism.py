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

import warnings
from dataclasses import dataclass, field
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

    Every mechanism takes the keyword ``name``: its variables and parameters then carry the
    suffix ``_<name>`` (``target_rate_fast``, its rate trace ``r_fast``), so that two
    mechanisms on one population keep their own set points and time constants.
    """

    scale: ClassVar[str] = ""
    counterpart: ClassVar[str] = ""
    biology: ClassVar[str] = ""

    name: str = field(default="", kw_only=True)

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if cls.scale:
            if cls.scale not in SCALES:
                raise TypeError(f"{cls.__name__}.scale must be one of {list(SCALES)}, got {cls.scale!r}")
            if cls.counterpart != SCALES[cls.scale]:
                raise TypeError(f"{cls.__name__} is a {cls.scale}-scale mechanism, so its counterpart "
                                f"is {SCALES[cls.scale]!r}, not {cls.counterpart!r}")
            _CLASSES.append(cls)

    def _check(self):
        if not (isinstance(self.name, str) and (self.name == "" or self.name.isidentifier())):
            raise ValueError(f"name of {type(self).__name__} must be a Python identifier (it suffixes the "
                             f"mechanism's variables), got {self.name!r}")
        if self.name and type(self).objects is not Mechanism.objects:
            # its extra objects (controllers, pools) read the population's variables by their names
            raise ValueError(f"{type(self).__name__} does not take a name: its controller reads the "
                             f"population's variables by fixed names")

    @property
    def variable_suffix(self) -> str:
        """Suffix of this mechanism's variables (``name``; empty: none)."""
        return self.name

    def contribution(self, model) -> Contribution:
        """Equation text this mechanism adds to a population of ``model`` neurons."""
        raise NotImplementedError

    def mark_built_into(self, group_name: str):
        """Record that the group ``group_name`` was built with this mechanism (for :meth:`replace`)."""
        object.__setattr__(self, "_built_into", getattr(self, "_built_into", ()) + (group_name,))

    def replace(self, **changes):
        """A copy with some parameters changed (validated again).

        A copy does not change a population already built with this mechanism: it warns so,
        since the values there are variables of the group (``E.target_rate = 8 * Hz``).
        """
        built = getattr(self, "_built_into", ())
        if built:
            warnings.warn(f"{type(self).__name__}.replace() makes a new mechanism; {', '.join(built)} built with "
                          f"this one keep their values. To change a run-time parameter there, set it on the "
                          f"group, e.g. group.{next(iter(changes), 'target_rate')} = ... (before the run)",
                          stacklevel=2)
        return super().replace(**changes)

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
