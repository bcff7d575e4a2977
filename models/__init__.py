"""Neuron models as Brian2 equations, input helpers, Hebbian rules, and the circuit builder.

Nothing here knows about homeostasis: the :mod:`homeostasis` package plugs into
:class:`Circuit` as components, through the value objects of
:mod:`homeostasis.models.contribution`.
"""
from .circuit import Assembly, Circuit, SynapseParts, assemble, describe
from .contribution import Contribution, Regular, SpikeTrace, SynapseTerms, merge_namespaces
from .hebbian import HebbianRule
from .inputs import gaussian_drive, poisson_source, timed_drive
from .networks import EINetwork, ei_network
from .neurons import ConductanceLIF, CurrentLIF, NeuronModel, RateNeuron
from .parameters import ParameterSet, check_quantity, param

__all__ = [
    "Circuit", "Assembly", "SynapseParts", "assemble", "describe", "Contribution", "Regular", "SpikeTrace", "SynapseTerms", "merge_namespaces", "HebbianRule",
    "gaussian_drive", "poisson_source", "timed_drive", "EINetwork", "ei_network",
    "ConductanceLIF", "CurrentLIF", "NeuronModel", "RateNeuron",
    "ParameterSet", "check_quantity", "param",
]
