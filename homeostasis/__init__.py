"""Homeostatic mechanisms at four spatial scales, their deep-learning counterparts, analysis.

=========  ==============================  ======================
scale      biological mechanism            deep-learning analogue
=========  ==============================  ======================
neuron     intrinsic plasticity            batch normalization
synapse    synaptic scaling                weight normalization
layer      lateral inhibition              layer normalization
network    network homeostasis             self-normalization
=========  ==============================  ======================
"""
from . import layer, network, neuron, synapse  # noqa: F401 - defines every mechanism
from .layer import *  # noqa: F401,F403
from .mechanism import SCALES, Mechanism, all_mechanisms
from .network import *  # noqa: F401,F403
from .neuron import *  # noqa: F401,F403
from .synapse import *  # noqa: F401,F403
