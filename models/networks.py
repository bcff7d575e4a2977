"""Recurrent excitatory/inhibitory networks (Vogels et al. 2011 style, sizes as parameters).

Examples
--------
>>> from brian2 import ms
>>> net = ei_network(n_e=400, n_i=100, p=0.1)
>>> net.network.run(50 * ms)  # doctest: +SKIP
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from brian2 import Network, NeuronGroup, nS, pA

from .circuit import Circuit
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
               components_e=(), components_i=(), name: str = "ei", extra=(), namespace=None,
               in_degree=None) -> EINetwork:
    """A sparse random recurrent network of excitatory and inhibitory LIF neurons.

    Defaults follow the conductance-based network of Vogels et al. (2011): every neuron is
    driven by a constant current ``I_ext`` and connected with probability ``p``; XY names
    the pathway from population X to Y (``w_ie`` is inhibitory onto excitatory).

    Parameters
    ----------
    n_e, n_i : int
        Population sizes (Vogels: 8000 and 2000 with p = 0.02).
    p : float
        Connection probability of every pathway not listed in ``in_degree``.
    model : NeuronModel
        Defaults to :class:`~models.ConductanceLIF`; weights must be in its synaptic unit.
    w_ee, w_ei, w_ie, w_ii : Quantity
        Initial weights.
    I_ext : Quantity
        Constant drive current to every neuron.
    components_e, components_i : sequence
        Components acting on the E (resp. I) neurons and on the synapses onto them (the
        components of the :mod:`homeostasis` package).
    extra : sequence
        Further Brian2 objects (monitors) to include in the network.
    namespace : dict, optional
        Further names the neurons' equations and updates refer to (a drive schedule).
    in_degree : dict of str to int, optional
        Pathways (``"EE"``, ``"EI"``, ``"IE"``, ``"II"``) whose every target neuron receives
        exactly this many inputs, drawn without replacement from the source population,
        instead of each pair being connected with probability ``p``. Vogels et al. (2011)
        give each excitatory neuron 40 inhibitory inputs: with ``{"IE": 40}`` no neuron is
        left with the few inputs a binomial draw of a small network gives some of them.

    Examples
    --------
    >>> net = ei_network(200, 50, p=0.1, in_degree={"IE": 40})
    >>> int(net.synapses["IE"].N_incoming_post.min())
    40
    """
    if not 0 < p <= 1:
        raise ValueError(f"connection probability p must lie in (0, 1], got {p!r}")
    check_quantity("ei_network", "I_ext", I_ext, pA, bounds=None)
    in_degree = dict(in_degree or {})
    sizes = {"E": n_e, "I": n_i}
    for pathway, k in in_degree.items():
        if pathway not in ("EE", "EI", "IE", "II"):
            raise ValueError(f"in_degree keys must be pathways among 'EE', 'EI', 'IE', 'II', got {pathway!r}")
        if not (isinstance(k, (int, np.integer)) and 0 < k <= sizes[pathway[0]]):
            raise ValueError(f"in_degree[{pathway!r}] must be an integer from 1 to the {pathway[0]} population's "
                             f"size {sizes[pathway[0]]}, got {k!r}")
    model = model or ConductanceLIF()
    c = Circuit(name)
    v0 = "E_L + rand() * (V_th - E_L)"
    # both populations keep every spike trace a component of the network reads, so each
    # synapse reads its neurons' traces (the presynaptic trace of inhibitory STDP lives on
    # the inhibitory neurons) instead of keeping copies
    traces = [t for comp in (*components_e, *components_i) for t in getattr(comp, "traces", ())]
    E = c.population("E", model, n_e, components_e, namespace=namespace, I_ext=I_ext, v=v0, traces=traces)
    I = c.population("I", model, n_i, components_i, namespace=namespace, I_ext=I_ext, v=v0, traces=traces)
    def wiring(pathway):
        if pathway in in_degree:  # a fixed number of inputs per target neuron, in generated code
            return {"i": f"k for k in sample(N_pre, size={int(in_degree[pathway])})"}
        return {"p": p}

    syn = {
        "EE": c.connect(E, E, "exc", w_ee, **wiring("EE")),
        "EI": c.connect(E, I, "exc", w_ei, **wiring("EI")),
        "IE": c.connect(I, E, "inh", w_ie, **wiring("IE")),
        "II": c.connect(I, I, "inh", w_ii, **wiring("II")),
    }
    c.add(*extra)
    return EINetwork(c, E, I, syn, c.network())


