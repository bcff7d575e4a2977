"""What a component adds to the Brian2 objects a :class:`~homeostasis.models.Circuit` builds.

A *component* is anything that extends a population or a connection with equations of its
own: a homeostatic component (see the :mod:`homeostasis` package) on the neurons of a
population and on the synapses onto them, or a Hebbian rule (:mod:`homeostasis.models.hebbian`) on one
connection. It says what it adds with the plain value objects of this module, and the
circuit merges them into ``Equations``, reset statements, ``on_pre``/``on_post`` code,
namespaces and ``run_regularly`` blocks, checking that no two components disagree.

Examples
--------
>>> from brian2 import ms
>>> decay = Regular("x *= exp(-1*ms / tau_x)", dt=1 * ms)
>>> part = Contribution(equations="x : 1", reset="x += 1", regular=(decay,),
...                     namespace={"tau_x": 100 * ms})
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
from brian2 import Equations, Quantity, have_same_dimensions
from brian2.utils.stringtools import word_substitute

__all__ = ["SpikeTrace", "Regular", "SynapseTerms", "Contribution", "merge_namespaces", "merge_traces", "renamed",
           "declared_names"]


@dataclass(frozen=True)
class SpikeTrace:
    """A neuron's exponentially decaying spike count: ``dx/dt = -x/tau``, ``x += 1`` per spike.

    Spike-timing rules read such traces of their pre- and postsynaptic neurons. A trace of
    one neuron is the same for every synapse it makes, so it can live on the neuron (one
    update per neuron and step) rather than on each synapse (an exponential per synapse and
    spike): the rule is unchanged, its cost is not. A population keeps the traces given to
    it as ``traces=``; a connection whose source or target does not keep one gives each
    synapse its own copy, event-driven.

    Attributes
    ----------
    name : str
        Neuron variable of the trace (``x_stdp``).
    tau_name : str
        Name of its time constant in the namespace (``tau_stdp``).
    tau : Quantity
        The time constant.
    """

    name: str
    tau_name: str
    tau: Quantity

    @property
    def presynaptic(self) -> str:
        """The name synapse statements use for the presynaptic neuron's trace.

        It counts a presynaptic spike of the current time step (``on_pre`` sees its own spike).
        """
        return f"{self.name}_presynaptic"

    @property
    def postsynaptic(self) -> str:
        """The name synapse statements use for the postsynaptic neuron's trace.

        It does not yet count a postsynaptic spike of the current time step: ``on_post``
        reads the value just before its own spike, as the triplet rule needs.
        """
        return f"{self.name}_postsynaptic"


@dataclass(frozen=True)
class Regular:
    """A block of code run every ``dt`` on a group (a Brian2 ``run_regularly``).

    Blocks of one group with the same ``dt``, ``when`` and ``order`` are joined, in the order the
    components were given, into one code object: one call per interval however many
    components update slow variables (on the runtime targets every code object costs Python
    work at every one of its steps).

    Attributes
    ----------
    code : str
        Statements, as for :meth:`brian2.Group.run_regularly`.
    dt : Quantity
        Interval.
    order : int
        Brian2 scheduling order within the ``when`` slot.
    when : str
        Brian2 scheduling slot (``"start"``: before the neurons are updated). A block that
        reads a summed variable runs ``"after_groups"``, once the sum of this time step
        has been computed (Brian2 computes summed variables in the ``groups`` slot).
    """

    code: str
    dt: Quantity
    order: int = 0
    when: str = "start"


@dataclass
class SynapseTerms:
    """What a component adds to synapses (of one role onto a population, or of one connection).

    Attributes
    ----------
    model : str
        Synapse equation lines (weights' own variables, summed variables onto the target).
    on_pre, on_post : str
        Statements appended to the presynaptic / postsynaptic pathway.
    on_pre_last, on_post_last : str
        Statements appended after every Hebbian rule's: they see the rules' changes of ``w``.
    weight_factor : str
        Expression multiplying ``w`` when a spike is transmitted: a gain of the
        postsynaptic neuron (``g_scaling_post``) or of the whole population. Synapses with
        factors have ``w_eff``, ``w`` times all of them: the weight a spike transmits.
    namespace : dict
        Constants the statements refer to.
    pre_traces, post_traces : tuple of SpikeTrace
        Spike traces of the pre- and postsynaptic neurons the statements read, by
        ``SpikeTrace.presynaptic`` and ``SpikeTrace.postsynaptic``. Read from the neurons
        when their population keeps the trace, else kept on each synapse (event-driven):
        the same values, at a higher cost.
    regular : tuple of Regular
        Blocks run regularly on the synapses (a rescaling of the weights).
    runtime : dict
        Constants the statements refer to that a user may change from run to run (learning
        rates, bounds, set points): ``(shared, constant)`` variables of the synapses given
        their values when built (:mod:`homeostasis.models.runtime`), so that on cpp_standalone one
        compiled project serves every value. With ``homeostasis.models.runtime.RUNTIME_PARAMETERS``
        off they are constants of the namespace, like ``namespace``.
    """

    model: str = ""
    on_pre: str = ""
    on_post: str = ""
    on_pre_last: str = ""
    on_post_last: str = ""
    weight_factor: str = ""
    namespace: dict = field(default_factory=dict)
    pre_traces: tuple = ()
    post_traces: tuple = ()
    regular: tuple = ()
    runtime: dict = field(default_factory=dict)
    #: Names of the connections (``Circuit.connect(..., name=)``) these terms act on;
    #: ``None``: every connection of the role. ``{connection}`` in the text stands for the name.
    connections: tuple | None = None

    def for_connection(self, name: str) -> "SynapseTerms":
        """These terms on the connection ``name``: ``{connection}`` in the text replaced by it."""
        if self.connections is None:
            return self
        sub = (lambda text: text.replace("{connection}", name))
        return replace(self, model=sub(self.model), on_pre=sub(self.on_pre), on_post=sub(self.on_post),
                       on_pre_last=sub(self.on_pre_last), on_post_last=sub(self.on_post_last),
                       regular=tuple(replace(b, code=sub(b.code)) for b in self.regular))


@dataclass
class Contribution:
    """What a component adds to a population's neurons, and to the synapses onto them.

    Attributes
    ----------
    equations : str
        Neuron equation lines.
    reset : str
        Statements appended to the reset (spiking models only).
    claims : tuple of str
        Adaptable model parameters this component turns into state variables (it must then
        define them in ``equations``).
    traces : tuple of SpikeTrace
        Spike traces the population's neurons keep (a postsynaptic STDP trace).
    initial : dict
        Initial values of neuron variables.
    namespace : dict
        Constants the equations refer to.
    runtime : dict
        Parameters the equations refer to that may change from one run to the next (set
        points, time constants): each becomes a ``(shared, constant)`` variable of the
        population, with its unit, instead of a constant of the namespace. The equations
        read the same; on cpp_standalone the value is data the built project reads when it
        starts (see :func:`homeostasis.models.runtime.set_parameter`), so a new value needs no compilation.
    synapses : dict of str to SynapseTerms
        Terms for synapses of each role (``"exc"``, ``"inh"``) onto the population.
    regular : tuple of Regular
        Blocks run regularly on the neurons (one Euler step of a slow variable).
    requires : tuple of Contribution
        Contributions this one builds on (a shared rate estimate). Each is added once per
        population however many components require it, before the components that do, so
        its regular blocks run first.
    """

    equations: str = ""
    reset: str = ""
    claims: tuple = ()
    traces: tuple = ()
    initial: dict = field(default_factory=dict)
    namespace: dict = field(default_factory=dict)
    runtime: dict = field(default_factory=dict)
    synapses: dict = field(default_factory=dict)
    regular: tuple = ()
    requires: tuple = ()


def _same(a, b) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    if a is b:
        return True
    try:
        return (isinstance(a, (Quantity, int, float, np.ndarray, np.number)) and have_same_dimensions(a, b)
                and np.array_equal(np.asarray(a), np.asarray(b)))
    except Exception:  # noqa: BLE001 - uncomparable values are different values
        return False


def merge_namespaces(parts) -> dict:
    """Merge ``(owner, namespace)`` pairs; the same name with two values is an error.

    One name means one thing in a population: if two components both read ``target_rate``,
    they must agree on it.
    """
    merged, owners = {}, {}
    for owner, ns in parts:
        for key, value in ns.items():
            if key in merged and not _same(merged[key], value):
                raise ValueError(
                    f"{owners[key]} and {owner} disagree on {key!r}: {merged[key]!r} vs {value!r}; "
                    "components acting on one population must share parameters of the same name; give one "
                    "of them its own name (e.g. SynapticScaling(..., name='scaling')) to keep its variables "
                    "and parameters apart"
                )
            merged.setdefault(key, value)
            owners.setdefault(key, owner)
    return merged


def merge_traces(parts) -> dict:
    """Merge ``(owner, SpikeTrace)`` pairs by name; one name defined two ways is an error."""
    traces: dict = {}
    for owner, trace in parts:
        if trace.name in traces and traces[trace.name][1] != trace:
            raise ValueError(f"{traces[trace.name][0]} and {owner} define the spike trace {trace.name!r} differently: "
                             f"{traces[trace.name][1]} vs {trace}")
        traces.setdefault(trace.name, (owner, trace))
    return {name: trace for name, (_, trace) in traces.items()}


def declared_names(equations: str) -> set:
    """Variables declared by equation text (``set()`` for none)."""
    return set(Equations(equations).names) if equations.strip() else set()


def renamed(contribution: Contribution, suffix: str) -> Contribution:
    """``contribution`` with its own variables and parameters renamed ``X -> X_<suffix>``.

    What it declares (its equations, except the model parameters it ``claims``), its
    namespace and run-time parameters, and the same for the contributions it ``requires``
    (its rate trace ``r`` becomes ``r_<suffix>``), so two mechanisms of one kind, or with
    different set points, live side by side on one population. Model variables (``v``,
    ``v_th``, ``w``) keep their names.

    Examples
    --------
    >>> from brian2 import Hz, ms
    >>> part = Contribution(equations="g : 1", regular=(Regular("g += r - target_rate", 1 * ms),),
    ...                     runtime={"target_rate": 5 * Hz})
    >>> renamed(part, "fast").regular[0].code
    'g_fast += r - target_rate_fast'
    """
    subs = {}
    for name in _own_names(contribution):
        new = f"{name}_{suffix}"
        subs.update({name: new, f"{name}_post": f"{new}_post", f"{name}_pre": f"{new}_pre", f"d{name}": f"d{new}"})

    return _substituted(contribution, subs)


def _own_names(contribution: Contribution) -> set:
    """Names a contribution and those it requires declare or define (not the claimed model parameters)."""
    names = (declared_names(contribution.equations) - set(contribution.claims)) | set(contribution.namespace) \
        | set(contribution.runtime)
    for terms in contribution.synapses.values():
        names |= set(terms.namespace) | set(terms.runtime)
    for required in contribution.requires:
        names |= _own_names(required)
    return names


def _substituted(contribution: Contribution, subs: dict) -> Contribution:
    def sub(text):
        return word_substitute(text, subs) if text else text

    def keys(d):
        return {subs.get(k, k): (sub(v) if isinstance(v, str) else v) for k, v in d.items()}

    def regular(blocks):
        return tuple(replace(b, code=sub(b.code)) for b in blocks)

    synapses = {role: replace(t, model=sub(t.model), on_pre=sub(t.on_pre), on_post=sub(t.on_post),
                              weight_factor=sub(t.weight_factor), namespace=keys(t.namespace),
                              runtime=keys(t.runtime), regular=regular(t.regular))
                for role, t in contribution.synapses.items()}
    return replace(contribution, equations=sub(contribution.equations), reset=sub(contribution.reset),
                   initial=keys(contribution.initial), namespace=keys(contribution.namespace),
                   runtime=keys(contribution.runtime), synapses=synapses, regular=regular(contribution.regular),
                   requires=tuple(_substituted(r, subs) for r in contribution.requires))
