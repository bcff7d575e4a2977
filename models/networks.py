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
from brian2 import Hz, Network, NeuronGroup, PoissonInput, nS, pA

from .circuit import Circuit
from .neurons import ConductanceLIF, NeuronModel
from .parameters import check_quantity

__all__ = ["EINetwork", "ei_network"]

_PATHWAYS = ("EE", "EI", "IE", "II")


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
               p_pathway=None, in_degree=None, n_background: int = 0, rate_background=5 * Hz,
               w_background=0.3 * nS) -> EINetwork:
    """A sparse random recurrent network of excitatory and inhibitory LIF neurons.

    Defaults follow the conductance-based network of Vogels et al. (2011): every neuron is
    driven by a constant current ``I_ext`` and connected with probability ``p``; XY names
    the pathway from population X to Y (``w_ie`` is inhibitory onto excitatory).

    Parameters
    ----------
    n_e, n_i : int
        Population sizes (Vogels: 8000 and 2000 with p = 0.02).
    p : float
        Connection probability of every pathway not listed in ``p_pathway`` or ``in_degree``.
    model : NeuronModel
        Defaults to :class:`~homeostasis.models.ConductanceLIF`; weights must be in its synaptic unit.
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
    p_pathway : dict of str to float, optional
        Connection probabilities of particular pathways (``"EE"``, ``"EI"``, ``"IE"``,
        ``"II"``), in place of ``p``. Vogels et al. (2011) give each excitatory neuron 40
        inhibitory inputs on average (2000 inhibitory neurons, p = 0.02); a small network
        gets as many with ``{"IE": 40 / n_i}``.
    in_degree : dict of str to int, optional
        Pathways whose every target neuron receives exactly this many inputs, drawn without
        replacement from the source population, instead of each pair being connected at
        random: no neuron is left with the few inputs a binomial draw gives some of them.
    n_background : int
        Independent Poisson excitatory inputs of every neuron (``PoissonInput``, in
        generated code), each at ``rate_background`` with weight ``w_background``: they
        stand for the rest of the cortex (Brunel 2000) and keep a small network's neurons
        from firing in synchrony. None by default.
    rate_background, w_background : Quantity
        Rate and weight (in the unit of the model's excitatory synapses) of each
        background input.

    Examples
    --------
    >>> net = ei_network(200, 50, p=0.1, in_degree={"IE": 40})
    >>> int(net.synapses["IE"].N_incoming_post.min())
    40
    >>> net = ei_network(200, 50, p_pathway={"IE": 0.8}, n_background=100)
    """
    if not 0 < p <= 1:
        raise ValueError(f"connection probability p must lie in (0, 1], got {p!r}")
    check_quantity("ei_network", "I_ext", I_ext, pA, bounds=None)
    p_pathway, in_degree = dict(p_pathway or {}), dict(in_degree or {})
    sizes = {"E": n_e, "I": n_i}
    for label, given in (("p_pathway", p_pathway), ("in_degree", in_degree)):
        for pathway in given:
            if pathway not in _PATHWAYS:
                raise ValueError(f"{label} keys must be pathways among {', '.join(map(repr, _PATHWAYS))}, "
                                 f"got {pathway!r}")
    for pathway, prob in p_pathway.items():
        if not 0 < prob <= 1:
            raise ValueError(f"p_pathway[{pathway!r}] is a connection probability in (0, 1], got {prob!r}")
    for pathway, k in in_degree.items():
        if pathway in p_pathway:
            raise ValueError(f"pathway {pathway!r} is in both p_pathway and in_degree; give one of them")
        if not (isinstance(k, (int, np.integer)) and 0 < k <= sizes[pathway[0]]):
            raise ValueError(f"in_degree[{pathway!r}] must be an integer from 1 to the {pathway[0]} population's "
                             f"size {sizes[pathway[0]]}, got {k!r}")
    if not (isinstance(n_background, (int, np.integer)) and n_background >= 0):
        raise ValueError(f"n_background must be a non-negative integer, got {n_background!r}")
    check_quantity("ei_network", "rate_background", rate_background, Hz, bounds="nonnegative")
    model = model or ConductanceLIF()
    exc_var, exc_unit = model.synapse_targets["exc"]
    check_quantity("ei_network", "w_background", w_background, exc_unit, bounds="nonnegative")
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
        return {"p": p_pathway.get(pathway, p)}

    syn = {
        "EE": c.connect(E, E, "exc", w_ee, **wiring("EE")),
        "EI": c.connect(E, I, "exc", w_ei, **wiring("EI")),
        "IE": c.connect(I, E, "inh", w_ie, **wiring("IE")),
        "II": c.connect(I, I, "inh", w_ii, **wiring("II")),
    }
    if n_background:
        c.add(*[PoissonInput(group, exc_var, int(n_background), rate_background, w_background)
                for group in (E, I)])
    c.add(*extra)
    return EINetwork(c, E, I, syn, c.network())


