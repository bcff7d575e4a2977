"""Hebbian spike-timing rules for plastic synapses, as equation text.

These rules are learning, not homeostasis: they strengthen synapses whose pre- and
postsynaptic spikes are causally paired, which is what lets a network pick up structure
and also what makes it unstable on its own. They plug into :meth:`models.Circuit.connect`
through ``plasticity=(rule, ...)``: each rule returns the :class:`~models.SynapseTerms`
(model lines, ``on_pre``/``on_post`` statements, namespace) for one connection, and names
the spike traces it reads as :class:`~models.SpikeTrace` objects. A trace depends on one
neuron's spikes only, so a population created with ``traces=rule.traces`` keeps it once
per neuron; otherwise every synapse keeps its own copy (event-driven), with the same values.
"""
from __future__ import annotations

from dataclasses import dataclass

from .parameters import ParameterSet

__all__ = ["HebbianRule"]


@dataclass(frozen=True)
class HebbianRule(ParameterSet):
    """Base of the Hebbian rules: parameters with units plus the synapse terms they write.

    Subclasses implement :meth:`synapse_terms` and the property :attr:`traces`.
    """

    def synapse_terms(self, target_model):
        """The :class:`~models.SynapseTerms` of this rule on synapses onto ``target_model`` neurons."""
        raise NotImplementedError

    @property
    def traces(self) -> tuple:
        """Every :class:`~models.SpikeTrace` the rule reads (give them to a population's ``traces``)."""
        return ()
