"""Homeostatic mechanisms at four spatial scales, their deep-learning counterparts, analysis.

=========  ==============================  ======================
scale      biological mechanism            deep-learning analogue
=========  ==============================  ======================
neuron     intrinsic plasticity            batch normalization
synapse    synaptic scaling                weight normalization
layer      lateral inhibition              layer normalization
network    network homeostasis             self-normalization
=========  ==============================  ======================

The mechanisms (Brian2) load on first use, so that ``import homeostasis.ann`` (numpy only)
imports no Brian2. The neuron models and the circuit builder are :mod:`homeostasis.models`,
the experiments and the command line :mod:`homeostasis.simulations`.
"""
from __future__ import annotations

import importlib

#: Public name -> module of this package that defines it.
_LAZY = {
    "IntrinsicPlasticity": "neuron", "AdaptiveThreshold": "neuron", "SpikeTriggeredThreshold": "neuron",
    "SynapticScaling": "synapse", "WeightSumNormalization": "synapse",
    "DivisiveNormalization": "layer", "InhibitoryPool": "layer",
    "InhibitorySTDP": "network", "GlobalHomeostasis": "network",
    "Mechanism": "mechanism", "SCALES": "mechanism", "all_mechanisms": "mechanism",
}

__all__ = list(_LAZY)


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *__all__])
