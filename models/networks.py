"""Recurrent excitatory/inhibitory networks (Vogels et al. 2011 style, sizes as parameters).

Examples
--------
>>> from brian2 import ms
>>> net = ei_network(n_e=400, n_i=100, p=0.1)
>>> net.network.run(50 * ms)  # doctest: +SKIP
"""
from __future__ import annotations

from dataclasses import dataclass

from brian2 import Network, NeuronGroup, nS, pA

from .circuit import Circuit, presynaptic_traces
from .neurons import ConductanceLIF, NeuronModel
from .parameters import check_quantity

__all__ = ["EINetwork", "ei_network"]


@dataclass
class EINetwork:
    """The pieces of a built E/I network."""

    circuit: Circuit
    E: NeuronGroup
    I: NeuronGroup
    synapses: dict  # "EE", "EI", "IE", "II" -> Synapses
    network: Network


def ei_network(n_e: int = 800, n_i: int = 200, p: float = 0.1, model: NeuronModel | None = None,
               w_ee=0.3 * nS, w_ei=0.3 * nS, w_ie=3 * nS, w_ii=3 * nS, I_ext=200 * pA,
               mechanisms_e=(), mechanisms_i=(), name: str = "ei", extra=(), namespace=None) -> EINetwork:
    """A sparse random recurrent network of excitatory and inhibitory LIF neurons.

    Defaults follow the conductance-based network of Vogels et al. (2011): every neuron is
    driven by a constant current ``I_ext`` and connected with probability ``p``; XY names
    the pathway from population X to Y (``w_ie`` is inhibitory onto excitatory).

    Parameters
    ----------
    n_e, n_i : int
        Population sizes (Vogels: 8000 and 2000 with p = 0.02).
    p : float
        Connection probability of every pathway.
    model : NeuronModel
        Defaults to :class:`~models.ConductanceLIF`; weights must be in its synaptic unit.
    w_ee, w_ei, w_ie, w_ii : Quantity
        Initial weights.
    I_ext : Quantity
        Constant drive current to every neuron.
    mechanisms_e, mechanisms_i : sequence
        Mechanisms acting on the E (resp. I) neurons and on the synapses onto them.
    extra : sequence
        Further Brian2 objects (monitors) to include in the network.
    namespace : dict, optional
        Further names the neurons' equations and updates refer to (a drive schedule).
    """
    if not 0 < p <= 1:
        raise ValueError(f"connection probability p must lie in (0, 1], got {p!r}")
    check_quantity("ei_network", "I_ext", I_ext, pA, bounds=None)
    model = model or ConductanceLIF()
    c = Circuit(name)
    v0 = "E_L + rand() * (V_th - E_L)"
    # each population keeps the spike traces the other's mechanisms read from it (the
    # presynaptic trace of inhibitory STDP lives on the inhibitory neurons)
    E = c.population("E", model, n_e, mechanisms_e, namespace=namespace, I_ext=I_ext, v=v0,
                     traces=presynaptic_traces(model, mechanisms_i, "exc"))
    I = c.population("I", model, n_i, mechanisms_i, namespace=namespace, I_ext=I_ext, v=v0,
                     traces=presynaptic_traces(model, [*mechanisms_e, *mechanisms_i], "inh"))
    syn = {
        "EE": c.connect(E, E, "exc", w_ee, p=p),
        "EI": c.connect(E, I, "exc", w_ei, p=p),
        "IE": c.connect(I, E, "inh", w_ie, p=p),
        "II": c.connect(I, I, "inh", w_ii, p=p),
    }
    c.add(*extra)
    return EINetwork(c, E, I, syn, c.network())


