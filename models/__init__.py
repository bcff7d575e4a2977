"""Neuron models as Brian2 equations, input helpers, and the circuit builder.

Nothing here knows about homeostasis: mechanisms plug into :class:`Circuit` through the
small protocol described in :mod:`models.circuit`.
"""
from .circuit import RATE_TRACE, Circuit, Contribution, SpikeTrace, SynapseTerms, merge_namespaces, presynaptic_traces
from .inputs import gaussian_drive, poisson_source, timed_drive
from .networks import EINetwork, ei_network
from .neurons import ConductanceLIF, CurrentLIF, NeuronModel, RateNeuron
from .parameters import ParameterSet, check_quantity, param

__all__ = [
    "RATE_TRACE", "Circuit", "Contribution", "SpikeTrace", "SynapseTerms", "merge_namespaces", "presynaptic_traces",
    "gaussian_drive", "poisson_source", "timed_drive", "EINetwork", "ei_network",
    "ConductanceLIF", "CurrentLIF", "NeuronModel", "RateNeuron",
    "ParameterSet", "check_quantity", "param",
]
