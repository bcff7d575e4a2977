"""Build Brian2 populations and connections that components add equations to.

A :class:`Circuit` reads as Brian2: :meth:`~Circuit.population` makes a ``NeuronGroup``
from a neuron model, :meth:`~Circuit.connect` makes ``Synapses`` (with your own synapse
model, ``on_pre``/``on_post`` code and delays if you give them, onto a whole population or a
subgroup), :meth:`~Circuit.add` takes any other Brian2 object (inputs, monitors) and
:meth:`~Circuit.network` hands back a ``Network`` of everything. What is not plain Brian2 is
that *components* add to these objects (see :mod:`homeostasis.models.contribution`):

- a population's components (those of the :mod:`homeostasis` package, for example)
  add neuron equations, reset statements and regular updates, and add terms to every
  synapse of a given role (``"exc"``, ``"inh"``) onto the population;
- a connection's ``plasticity`` (Hebbian rules, :mod:`homeostasis.models.hebbian`) adds terms to that
  connection only.

A component object has ``contribution(model) -> Contribution`` and, if it needs extra Brian2
objects once the group exists (an inhibitory pool, a controller), ``objects(group, circuit)``.

The circuit is built on :func:`assemble`, which gives the same parts for your own
``NeuronGroup`` and ``Synapses`` (see :class:`Assembly`); :meth:`Circuit.describe` prints
what was assembled as Brian2 code, each line tagged with the model or mechanism that wrote it.
Everything is generated code: no Python callback runs during a simulation, so a circuit runs
unchanged on the numpy, cython and cpp_standalone targets.

Examples
--------
>>> from brian2 import Hz, nA, pA, ms, PoissonGroup, SpikeMonitor
>>> from homeostasis.models import CurrentLIF
>>> c = Circuit()
>>> E = c.population("E", CurrentLIF(), 20, I_ext=0.15 * nA)
>>> inp = c.add(PoissonGroup(50, 10 * Hz, name="inp"))
>>> syn = c.connect(inp, E[:10], "exc", weight=50 * pA, p=0.2, delay=1 * ms)
>>> spikes = c.add(SpikeMonitor(E))
>>> net = c.network()
"""
from __future__ import annotations

import re

import numpy as np
from brian2 import (
    Subgroup,
    Clock,
    DimensionMismatchError,
    Equations,
    Network,
    NeuronGroup,
    Quantity,
    Synapses,
    get_dimensions,
    get_unit,
    have_same_dimensions,
    ms,
)

from . import brian2_compat
from . import runtime as runtime_module
from .integration import cached_exact
from .contribution import (Contribution, Regular, SynapseTerms, declared_names, merge_namespaces, merge_traces,
                           renamed)

__all__ = ["Circuit", "Assembly", "SynapseParts", "assemble", "describe", "contribution_of"]


def _name(obj) -> str:
    return getattr(obj, "label", None) or type(obj).__name__


def _key(contribution: Contribution) -> str:
    """Identity of a contribution's content (a required contribution is added once)."""
    return repr(contribution)


def _flatten(owner: str, contribution: Contribution, seen: set, out: list):
    """Required contributions first (each once), then the contribution itself."""
    for required in contribution.requires:
        _flatten(f"{owner} (required)", required, seen, out)
    key = _key(contribution)
    if key not in seen:
        seen.add(key)
        out.append((owner, contribution))


def contribution_of(component, model) -> Contribution:
    """What ``component`` adds to neurons of ``model``; its variables renamed if it has a ``name``."""
    contribution = component.contribution(model)
    suffix = getattr(component, "variable_suffix", "")
    return renamed(contribution, suffix) if suffix else contribution


def _owner(component) -> str:
    suffix = getattr(component, "variable_suffix", "")
    return f"{_name(component)}[{suffix}]" if suffix else _name(component)


class Assembly:
    """A neuron model with its components, assembled into what a ``NeuronGroup`` takes.

    This is what :meth:`Circuit.population` builds on, for your own ``NeuronGroup`` and
    ``Synapses``: the equations, threshold, reset and namespace to create the group with,
    then :meth:`setup` for its run-time parameters, initial values and the extra objects
    (``run_regularly`` blocks, controllers) to add to the network, and :meth:`synapses` for
    what the components add to synapses onto the group.

    Parameters
    ----------
    model : NeuronModel
    components : sequence
        Mechanisms (objects with ``contribution(model)``).
    traces : sequence of SpikeTrace
        Spike traces the neurons keep for synapses that read them.
    namespace : dict, optional
        Further names the equations refer to.
    label : str
        Name of the population in messages.

    Examples
    --------
    >>> from brian2 import Hz, NeuronGroup, Network, PoissonGroup, Synapses, nA, pA
    >>> from homeostasis import SynapticScaling
    >>> from homeostasis.models import CurrentLIF
    >>> parts = assemble(CurrentLIF(), [SynapticScaling(target_rate=5 * Hz)])
    >>> G = NeuronGroup(10, parts.equations, threshold=parts.threshold, reset=parts.reset,
    ...                 refractory=parts.refractory, method=parts.method, namespace=parts.namespace)
    >>> extra = parts.setup(G)  # run-time parameters, initial values, run_regularly blocks
    >>> inp = PoissonGroup(20, 10 * Hz)
    >>> syn = parts.synapses("exc")
    >>> S = Synapses(inp, G, syn.model, on_pre=syn.on_pre, namespace=syn.namespace)
    >>> S.connect(p=0.5)
    >>> extra += syn.setup(S); S.w = 50 * pA
    >>> net = Network(G, inp, S, *extra)
    """

    def __init__(self, model, components=(), traces=(), namespace=None, label="population"):
        if isinstance(model, (str, Equations)):
            raise TypeError("give the neuron model as homeostasis.models.NeuronModel(equations, threshold=..., "
                            "reset=..., synapse_targets=..., adaptable=...), not bare equations")
        self.model, self.components, self.label = model, tuple(components), label
        parts, seen = [], set()
        for comp in self.components:
            _flatten(_owner(comp), contribution_of(comp, model), seen, parts)
        self.contributions = parts

        adaptable = model.adaptable()
        claimed: dict[str, str] = {}
        for owner, c in parts:
            for var in c.claims:
                if var not in adaptable:
                    raise ValueError(f"{owner} adapts {var!r}, which {_name(model)} does not expose "
                                     f"(give the model adaptable={{{var!r}: initial value}})")
                if var in claimed:
                    raise ValueError(f"{claimed[var]} and {owner} both adapt {var!r} of {_name(model)}")
                claimed[var] = owner

        self.traces = merge_traces([(owner, t) for owner, c in parts for t in c.traces]
                                   + [(f"the traces of population {label!r}", t) for t in traces])
        if not model.spiking:
            for owner, c in parts:
                if c.reset:
                    raise ValueError(f"{owner} adds a reset, which {_name(model)} (not spiking) has not")
            if self.traces:
                raise ValueError(f"spike traces need a spiking model, not {_name(model)}")

        # run-time parameters are checked against the constants like any name (one name, one
        # value), and the synapses onto the population still read them as constants
        runtime_owner = {k: owner for owner, c in parts for k in c.runtime}
        self.runtime = runtime_module.active(merge_namespaces([(owner, c.runtime) for owner, c in parts]))
        merged = merge_namespaces(
            [(_name(model), model.namespace())] + [(owner, c.namespace) for owner, c in parts]
            + [(owner, c.runtime) for owner, c in parts]
            + [(f"the traces of population {label!r}", {t.tau_name: t.tau}) for t in self.traces.values()]
            + [(f"the namespace of population {label!r}", dict(namespace or {}))]
        )
        self.full_namespace = merged
        self._check_names(parts, adaptable, namespace)
        #: The namespace of the ``NeuronGroup`` (run-time parameters are variables of the group).
        self.namespace = {key: value for key, value in merged.items() if key not in self.runtime}

        # equation chunks tagged by their owner, for describe()
        self.lines: list = [(model.equations(), _name(model))]
        for var, value in self.runtime.items():
            self.lines.append((_declaration(var, value), runtime_owner.get(var, "")))
        for var, value in adaptable.items():
            if var not in claimed:
                self.lines.append((f"{var} : {_unit_string(value)}", f"{_name(model)} (adaptable)"))
        for owner, c in parts:
            if c.equations.strip():
                self.lines.append((c.equations, owner))
        for t in self.traces.values():
            self.lines.append((f"d{t.name}/dt = -{t.name} / {t.tau_name} : 1", "spike trace"))
        self.equations = Equations("")
        for text, _ in self.lines:
            self.equations += Equations(text)

        self.method = model.method
        self.threshold = model.threshold if model.spiking else None
        self.refractory = model.refractory if model.spiking else False
        self.reset_lines = []
        if model.spiking:
            self.reset_lines = ([(model.reset, _name(model))] if model.reset else []) \
                + [(c.reset, owner) for owner, c in parts if c.reset] \
                + [(f"{t} += 1", "spike trace") for t in self.traces]
        self.reset = "\n".join(code for code, _ in self.reset_lines) if model.spiking else None
        self.adaptable = {var: value for var, value in adaptable.items() if var not in claimed}
        self.regular = [(owner, b) for owner, c in parts for b in c.regular]
        self.connections: list = []  # SynapseParts of the synapses onto the group, for describe()

    def _check_names(self, parts, adaptable, namespace):
        """A mechanism's variable must not be one of the model's or another mechanism's."""
        model_names = set(Equations(self.model.equations()).names) | set(adaptable) | set(namespace or {})
        owners: dict = {}
        for owner, c in parts:
            for var in declared_names(c.equations) - set(c.claims):
                if var in model_names:
                    raise ValueError(f"{var!r} is a variable of {owner}, and {_name(self.model)} (or the namespace "
                                     f"of population {self.label!r}) defines it too: rename yours, or give the "
                                     f"mechanism a name (name='...') so that its variables get a suffix")
                if var in owners:
                    raise ValueError(f"{owners[var]} and {owner} both define {var!r} on population {self.label!r}: "
                                     f"give one of them a name (name='...') so that its variables get a suffix")
                owners[var] = owner

    def setup(self, group, initial=None, clock=None, circuit=None) -> list:
        """Give ``group`` (made from this assembly) its parameters and initial values.

        Parameters
        ----------
        group : NeuronGroup
        initial : dict, optional
            Your initial values, set last.
        clock : callable, optional
            ``dt -> Clock`` for the regular blocks (a clock per interval); by default each
            block gets its ``dt``.
        circuit : Circuit, optional
            Passed to components' ``objects`` (those that make populations need one).

        Returns
        -------
        list
            The ``run_regularly`` objects and the components' extra objects, for the Network.
        """
        n = len(group)
        for var, value in self.runtime.items():  # first: initial values may be computed from them
            if np.size(value) > 1:
                if np.size(value) != n:
                    raise ValueError(f"per-neuron parameter {var!r} has {np.size(value)} values for "
                                     f"{n} neurons of {group.name}")
            runtime_module.set_parameter(group, var, value)
        for var, value in self.adaptable.items():
            setattr(group, var, value)
        for var, value in self.model.initial().items():
            setattr(group, var, value)
        # initial values written as expressions (r = target_rate) are computed again in
        # generated code when the run starts: a run-time parameter given later (after
        # building, after restore(), or as run_args of a compiled project) then takes effect
        start = {}
        for _, c in self.contributions:
            for var, value in c.initial.items():
                setattr(group, var, value)
                if isinstance(value, str):
                    start[var] = value
        for var, value in (initial or {}).items():
            if var not in group.variables:
                raise ValueError(f"population {self.label!r} has no variable {var!r}")
            setattr(group, var, value)
        regular = list(self.regular)
        if start:
            regular.insert(0, ("initial values at t = 0", _at_start(start, [b for _, b in regular])))
        self.regular = regular
        objects = _run_regularly(group, [b for _, b in regular], "regularly", clock)
        for comp in self.components:
            objects.extend(getattr(comp, "objects", lambda g, c: [])(group, circuit) or [])
        return objects

    def synapses(self, role, connection=None, model=None, on_pre=None, on_post=None, plasticity=(),
                 namespace=None, source_traces=None, source=None) -> "SynapseParts":
        """What synapses of ``role`` onto the group take: model, ``on_pre``/``on_post``, namespace.

        Parameters
        ----------
        role : str
            A role of the model's ``synapse_targets``.
        connection : str, optional
            Name of the ``Synapses``: mechanisms acting on named connections only add to those.
        model, on_pre, on_post : str, optional
            Your own synapse model and statements (see :meth:`Circuit.connect`).
        plasticity : sequence
            Hebbian rules of this connection.
        namespace : dict, optional
        source_traces : dict, optional
            Spike traces the source neurons keep (name -> SpikeTrace); others are kept per synapse.
        source : group, optional
            The presynaptic group (its clock decides how its traces are read).
        """
        targets = self.model.synapse_targets
        if role not in targets:
            raise ValueError(f"role must be one of {sorted(targets)} for {_name(self.model)}, got {role!r}")
        terms = []
        for owner, c in self.contributions:
            t = c.synapses.get(role)
            if t is not None and (t.connections is None or connection in t.connections):
                terms.append((owner, t.for_connection(connection)))
        for rule in plasticity:
            rule_terms = rule.synapse_terms(self.model)
            if not isinstance(rule_terms, SynapseTerms):
                raise TypeError(f"{_name(rule)}.synapse_terms must return SynapseTerms, got {_name(rule_terms)}")
            terms.append((_name(rule), rule_terms))
        parts = SynapseParts(self, role, terms, model, on_pre, on_post, namespace, source_traces or {}, source)
        parts.name = connection or f"S{len(self.connections)}"
        self.connections.append(parts)  # for describe()
        return parts


class SynapseParts:
    """What synapses of one role onto an :class:`Assembly`'s group take (see :meth:`Assembly.synapses`).

    Attributes
    ----------
    model : Equations
        Synapse equations: ``w`` (unless yours declares it), ``w_eff`` when mechanisms scale
        the transmitted weight, and the mechanisms' lines.
    on_pre, on_post : str or None
    namespace : dict
    terms : list of (owner, SynapseTerms)
    """

    def __init__(self, assembly, role, terms, model, on_pre, on_post, namespace, source_traces, source):
        var, unit = assembly.model.synapse_targets[role]
        self.unit, self.terms, self.role = unit, terms, role
        self.source_name = getattr(source, "name", "source")
        factors = [t.weight_factor for _, t in terms if t.weight_factor]
        unit_text = _unit_string(unit)
        self.lines = [(str(model), "your synapse model")] if model is not None else []
        if model is None or "w" not in Equations(str(model)).names:
            self.lines.append((f"w : {unit_text}", "weight"))
        # w_eff, the transmitted weight, is a subexpression: the factors cost one multiply per
        # transmitted spike and no update of the weights themselves. Without factors there is
        # no w_eff (Brian2's cython target cannot compile a bare alias of w)
        if factors:
            owners = ", ".join(owner for owner, t in terms if t.weight_factor)
            self.lines.append((f"w_eff = w * {' * '.join(factors)} : {unit_text}", owners))
        pre_model, pre_on, post_model, post_on, trace_ns = _traces(source, assembly, source_traces, terms)
        self.lines += [(line, "spike trace") for line in pre_model + post_model]
        self.lines += [(t.model, owner) for owner, t in terms if t.model.strip()]

        transmit = on_pre if on_pre is not None else f"{var}_post += {'w_eff' if factors else 'w'}"
        if on_pre is not None and factors and "w_eff" not in on_pre:
            raise ValueError(f"the components of population {assembly.label} scale the transmitted weight "
                             f"({', '.join(factors)}): write w_eff, not w, in on_pre")
        spike_code = "\n".join([on_pre or ""] + [t.on_pre + "\n" + t.on_pre_last for _, t in terms])
        if factors and re.search(r"^\s*w\s*[-+*/]?=[^=]", spike_code, re.M):
            # w_eff written out where a rule also writes w on the spike: Brian2's cython target
            # leaves w undeclared there (a compile error, then numpy in its place)
            transmit = re.sub(r"\bw_eff\b", f"(w * {' * '.join(factors)})", transmit)
        # a presynaptic trace kept per synapse counts its own spike first; a postsynaptic one
        # counts it last, after the rules read the value before the spike
        self.pre_lines = [(s, o) for s, o in [(transmit, "transmission" if on_pre is None else "your on_pre")]
                          + [(p, "spike trace") for p in pre_on] + [(t.on_pre, owner) for owner, t in terms]
                          + [(t.on_pre_last, owner) for owner, t in terms] if s.strip()]
        self.post_lines = [(s, o) for s, o in [(on_post or "", "your on_post")]
                           + [(t.on_post, owner) for owner, t in terms] + [(t.on_post_last, owner) for owner, t in terms]
                           + [(p, "spike trace") for p in post_on] if s.strip()]
        self.on_pre = "\n".join(s for s, _ in self.pre_lines)
        self.on_post = "\n".join(s for s, _ in self.post_lines) or None
        # run-time parameters of the synapses are checked against the constants like any name
        runtime_owner = {k: owner for owner, t in terms for k in t.runtime}
        self.runtime = runtime_module.active(merge_namespaces([(owner, t.runtime) for owner, t in terms]))
        ns = merge_namespaces([(f"population {assembly.label}", assembly.full_namespace)]
                              + [(owner, t.namespace) for owner, t in terms]
                              + [(owner, t.runtime) for owner, t in terms]
                              + [("the spike traces", trace_ns),
                                 (f"the namespace of the connection onto {assembly.label}", dict(namespace or {}))])
        self.lines += [(_declaration(v, value), runtime_owner.get(v, "")) for v, value in self.runtime.items()]
        self.model = Equations("")
        for text, _ in self.lines:
            self.model += Equations(text)
        self.namespace = {k: v for k, v in ns.items() if k not in self.runtime}
        self.regular = [(owner, b) for owner, t in terms for b in t.regular]
        self.summed = {line.split("=")[0].strip()[:-len("_post")]: owner for owner, t in terms
                       for line in t.model.splitlines() if "(summed)" in line and "_post" in line.split("=")[0]}

    def setup(self, syn, clock=None) -> list:
        """Give the connected ``syn`` its run-time parameters; returns its ``run_regularly`` objects."""
        for var, value in self.runtime.items():  # Brian2 sets synapse variables once connected
            runtime_module.set_parameter(syn, var, value)
        return _run_regularly(syn, [b for _, b in self.regular], "regularly", clock)


def assemble(model, components=(), traces=(), namespace=None, label="population") -> Assembly:
    """Assemble ``model`` with ``components`` for your own ``NeuronGroup`` (see :class:`Assembly`)."""
    return Assembly(model, components, traces, namespace, label)


def _run_regularly(group, blocks, label, clock=None) -> list:
    """``run_regularly`` objects for ``blocks``, joined per (dt, when, order) in the given order.

    Blocks of one group with the same ``dt``, ``when`` and ``order`` make one code object: one
    call per interval however many components update slow variables.
    """
    joined: dict = {}
    for block in blocks:
        key = (round(float(block.dt / ms), 9), block.when, block.order)
        joined.setdefault(key, (block.dt, []))[1].append(block.code)
    objects = []
    for k, ((_, when, order), (dt, codes)) in enumerate(joined.items()):
        timing = dict(clock=clock(dt)) if clock is not None else dict(dt=dt)
        objects.append(group.run_regularly("\n".join(codes), when=when, order=order,
                                           name=f"{group.name}_{label}_{k}", **timing))
    return objects


def _traces(source, assembly, kept_pre, terms) -> tuple:
    """Synapse lines and statements giving access to the pre- and postsynaptic traces."""
    pre_needed = merge_traces([(owner, tr) for owner, t in terms for tr in t.pre_traces])
    post_needed = merge_traces([(owner, tr) for owner, t in terms for tr in t.post_traces])
    pre_model, pre_on, post_model, post_on, namespace = [], [], [], [], {}
    # Synapses run after the thresholds and before the resets, so a neuron's trace does
    # not yet count a spike of this time step; adding it (lastspike == t) gives the value
    # a per-synapse trace has, incremented first thing on the presynaptic spike
    same_step = (source is not None and "lastspike" in source.variables
                 and getattr(getattr(source, "clock", None), "name", None) == "defaultclock")
    for trace in pre_needed.values():
        if kept_pre.get(trace.name) == trace and same_step:
            pre_model.append(f"{trace.presynaptic} = {trace.name}_pre + int(lastspike_pre == t) : 1")
        else:
            pre_model.append(f"d{trace.presynaptic}/dt = -{trace.presynaptic} / {trace.tau_name} : 1 (event-driven)")
            pre_on.append(f"{trace.presynaptic} += 1")
            namespace[trace.tau_name] = trace.tau
    for trace in post_needed.values():
        if assembly.traces.get(trace.name) == trace:  # the reset has not yet counted this step's spike
            post_model.append(f"{trace.postsynaptic} = {trace.name}_post : 1")
        else:
            post_model.append(
                f"d{trace.postsynaptic}/dt = -{trace.postsynaptic} / {trace.tau_name} : 1 (event-driven)")
            post_on.append(f"{trace.postsynaptic} += 1")
            namespace[trace.tau_name] = trace.tau
    return pre_model, pre_on, post_model, post_on, namespace


def _declaration(var, value) -> str:
    """A run-time parameter: shared for one value, per neuron for an array of values."""
    if np.size(value) > 1:
        return f"{var} : {_unit_string(value)} (constant)"
    return runtime_module.declaration(var, value)


class _Group(brian2_compat.KeepOnRestore, NeuronGroup):
    """A ``NeuronGroup`` whose run-time parameters are parameters, not state.

    ``Network.restore()`` puts the state variables back and keeps the parameters' current
    values: a set point given between ``store()`` and ``restore()`` is the one the run uses
    (and the rate trace starts at it, computed again at t = 0).
    """

    def __init__(self, n, parameters=(), **kwargs):
        self._parameters = frozenset(parameters)
        super().__init__(n, **kwargs)

    def __setattr__(self, name, value, level=0):
        parameters = self.__dict__.get("_parameters", ())
        if name in parameters and not isinstance(value, str) and np.size(value) > 1 \
                and self.variables[name].scalar:
            raise ValueError(f"{name} of {self.name} is one value for the whole population; for one value per "
                             f"neuron give the mechanism an array when building it (e.g. "
                             f"SynapticScaling(target_rate=rates) with one rate per neuron)")
        super().__setattr__(name, value, level=level + 1)


class _Population:
    def __init__(self, group, assembly):
        self.group = group
        self.assembly = assembly
        self.model = assembly.model
        self.components = assembly.components
        self.contributions = assembly.contributions  # (owner, Contribution), requirements included
        self.namespace = assembly.full_namespace
        self.traces = assembly.traces
        self.roles_connected: set = set()
        self.connection_names: set = set()
        self.summed: dict = {}  # neuron variable -> (connection, owner) of the summed variable writing it

class Circuit:
    """Populations, connections and their components, built into one Brian2 ``Network``.

    Parameters
    ----------
    name : str
        Prefix of the Brian2 object names (keeps several circuits in one script apart).
    """

    def __init__(self, name: str = "circuit"):
        self.name = name
        self._populations: dict[str, _Population] = {}
        self._objects: list = []
        self._clocks: dict = {}
        self._network: Network | None = None

    def _check_open(self, what: str):
        if self._network is not None:
            raise RuntimeError(f"cannot {what}: the circuit's network was already built by network(); "
                               "add everything before, or add to the returned Network with its own add()")

    def _clock(self, dt) -> Clock:
        """One clock per interval of regular updates: with every extra clock, the runtime
        targets' Python loop does more work at every time step."""
        key = round(float(dt / ms), 9)
        if key not in self._clocks:
            self._clocks[key] = Clock(dt, name=f"{self.name}_clock_{len(self._clocks)}")
        return self._clocks[key]

    # -- populations ---------------------------------------------------------------------
    def population(self, name: str, model, n: int, components=(), dt=None, namespace=None, traces=(),
                   method=None, **initial) -> NeuronGroup:
        """Create ``n`` neurons of ``model`` with ``components`` acting on them.

        Parameters
        ----------
        name : str
            Population name (``circuit["E"]`` retrieves the group).
        model : homeostasis.models.NeuronModel
            The project's models or your own equations (``NeuronModel(eqs, threshold=...)``).
        n : int
        components : sequence
            Objects with ``contribution(model)`` acting on these neurons and on the synapses
            onto them (those of the :mod:`homeostasis` package).
        dt : Quantity, optional
            Integration time step of this population (defaults to ``defaultclock.dt``).
        namespace : dict, optional
            Further names the equations refer to (a :class:`~brian2.TimedArray` drive).
        traces : sequence of SpikeTrace
            Spike traces these neurons keep for the synapses that read them (the ``traces``
            of a Hebbian rule or other component on connections from or to this population);
            the components' own traces are added.
        method : str, optional
            Integration method; defaults to the model's (named, so Brian2 spends no time
            choosing one).
        **initial
            Initial values of neuron variables (``v=-60*mV``, ``I_ext=0.2*nA``, arrays allowed).
        """
        self._check_open("add a population")
        if name in self._populations:
            raise ValueError(f"population {name!r} exists already")
        if not (isinstance(n, (int, np.integer)) and n > 0):
            raise ValueError(f"population size n must be a positive integer, got {n!r}")
        parts = Assembly(model, components, traces, namespace, label=name)
        method = method or parts.method
        kwargs = dict(model=parts.equations, namespace=parts.namespace, name=f"{self.name}_{name}",
                      method=cached_exact if method == "exact" else method)
        if dt is not None:
            kwargs["dt"] = dt
        if parts.threshold is not None:
            kwargs.update(threshold=parts.threshold, reset=parts.reset, refractory=parts.refractory)
        group = _Group(n, parameters=parts.runtime, **kwargs)
        pop = _Population(group, parts)
        self._populations[name] = pop
        self._objects.append(group)
        self._objects.extend(parts.setup(group, initial, clock=self._clock, circuit=self))
        for comp in parts.components:  # a changed copy of a built mechanism changes nothing here
            if hasattr(comp, "mark_built_into"):
                comp.mark_built_into(group.name)
        return group

    def model_of(self, group) -> object:
        """The neuron model of a population (or subgroup of one) of this circuit."""
        return self._population_of(group).model

    def __getitem__(self, name: str) -> NeuronGroup:
        return self._populations[name].group

    # -- connections ---------------------------------------------------------------------
    def connect(self, source, target, role: str, weight, p=None, i=None, j=None, condition=None, delay=None,
                model=None, on_pre=None, on_post=None, plasticity=(), method="euler", namespace=None,
                name=None) -> Synapses:
        """Connect ``source`` to ``target`` with synapses of ``role``.

        The target population's components add their terms for ``role`` (plasticity,
        scaling, gains) to these synapses, and so do the rules in ``plasticity``. The
        synapses are part of :meth:`network` whether or not you keep the returned object.

        Parameters
        ----------
        source : brian2 group
            Any group with spikes (a population of this circuit, a subgroup, a
            ``PoissonGroup``, a ``SpikeGeneratorGroup``).
        target : NeuronGroup or Subgroup
            A population created by :meth:`population`, or a slice of one (``E[:10]``).
        role : {"exc", "inh"}
            Which synaptic variable of the target model a spike increments (the model's
            ``synapse_targets``) and which components' terms apply.
        weight : Quantity or str
            Initial weight ``w`` in the unit the target model expects for this role, or a
            Brian2 expression for it.
        p, i, j, condition
            Passed to :meth:`brian2.Synapses.connect` (all-to-all if none is given).
        delay : Quantity, optional
            Transmission delay (a scalar, or per synapse after creation).
        model : str or Equations, optional
            Your own synapse equations; ``w`` is declared for you unless you declare it.
        on_pre : str, optional
            Replaces the default transmission ``X_post += w`` (or ``w_eff`` when the
            target's components scale the transmitted weight; then use ``w_eff``).
            Components' statements are appended.
        on_post : str, optional
            Your postsynaptic statements; components' statements are appended.
        plasticity : sequence
            Hebbian rules (:mod:`homeostasis.models.hebbian`) of this connection: objects with
            ``synapse_terms(target_model) -> SynapseTerms``.
        method : str
            Integration method of the synapse equations.
        namespace : dict, optional
            Further names your statements refer to.
        name : str, optional
            Name of the ``Synapses``; mechanisms given ``connections=(name, ...)`` act on
            the connections of those names only.
        """
        self._check_open("connect")
        pop = self._population_of(target)
        targets = pop.model.synapse_targets
        if role not in targets:
            raise ValueError(f"role must be one of {sorted(targets)} for {_name(pop.model)}, got {role!r}")
        var, unit = targets[role]
        if not isinstance(weight, str):
            if not have_same_dimensions(weight, unit):
                raise DimensionMismatchError(
                    f"weight of the {role!r} synapses onto {target.name} must have the unit of {unit}, got {weight!r}",
                    get_dimensions(weight), get_dimensions(unit))
            if not np.all(np.isfinite(np.asarray(weight))) or np.any(np.asarray(weight) < 0):
                raise ValueError(f"weight of the {role!r} synapses must be finite and non-negative, got {weight!r}")
        syn_name = name or f"{self.name}_{getattr(source, 'name', 'src')}_to_{target.name}_{role}"
        source_pop = self._find(source)
        parts = pop.assembly.synapses(role, connection=syn_name, model=model, on_pre=on_pre, on_post=on_post,
                                      plasticity=plasticity, namespace=namespace,
                                      source_traces=source_pop.traces if source_pop else {}, source=source)
        # Brian2 cannot have two summed variables onto one target variable (its issue 766)
        for summed, owner in parts.summed.items():
            if summed in pop.summed:
                pop.assembly.connections.remove(parts)
                raise ValueError(
                    f"{owner} sums over the {role!r} connections onto {pop.assembly.label!r} into {summed!r}, which "
                    f"connection {pop.summed[summed]!r} already writes: name the connections it acts on "
                    f"(connections=({pop.summed[summed]!r}, {syn_name!r}) and connect(..., name=...)), so that "
                    f"each has its own sum")
        syn = Synapses(source, target, model=parts.model, on_pre=parts.on_pre, on_post=parts.on_post,
                       namespace=parts.namespace, delay=delay, method=method, name=syn_name)
        kw = {k: v for k, v in dict(p=p, i=i, j=j, condition=condition).items() if v is not None}
        syn.connect(**kw) if kw else syn.connect()
        regular = parts.setup(syn, clock=self._clock)
        syn.w = weight
        pop.roles_connected.add(role)
        pop.connection_names.add(syn_name)
        pop.summed.update({s: syn_name for s in parts.summed})
        self._objects.append(syn)
        self._objects.extend(regular)
        return syn

    def add(self, *objects):
        """Add Brian2 objects (inputs, monitors) to the network; returns them (one: itself)."""
        self._check_open("add objects")
        self._objects.extend(objects)
        return objects[0] if len(objects) == 1 else objects

    # -- network -------------------------------------------------------------------------
    def network(self) -> Network:
        """The Network of everything; checks that every component found the synapses it acts on.

        Called once: the circuit is then closed (later changes raise ``RuntimeError``); add
        further objects to the returned Network itself.
        """
        if self._network is not None:
            return self._network
        for name, pop in self._populations.items():
            for owner, c in pop.contributions:
                missing = set(c.synapses) - pop.roles_connected
                if missing:
                    raise ValueError(f"{owner} acts on {sorted(missing)} synapses onto population {name!r}, "
                                     "but none were connected")
                for role, terms in c.synapses.items():
                    absent = sorted(set(terms.connections or ()) - pop.connection_names)
                    if absent:
                        raise ValueError(f"{owner} acts on the connections {absent} onto population {name!r}, "
                                         f"but none of that name was made; connections onto it: "
                                         f"{sorted(pop.connection_names)}")
        self._network = Network(*self._objects)
        return self._network

    def describe(self, population: str | None = None) -> str:
        """The assembled Brian2 model as Brian2 code, each line tagged with its owner.

        Parameters
        ----------
        population : str, optional
            One population (default: all, with the synapses onto them).

        Returns
        -------
        str
            For each population its equations (valid Brian2: ``Equations`` parses them back
            to the group's), threshold, reset, ``run_regularly`` code and namespace, then
            the synapses onto it with their model and ``on_pre``/``on_post`` code.
        """
        names = [population] if population is not None else list(self._populations)
        return "\n\n".join(describe_assembly(self._populations[n].assembly, self._populations[n].group, n)
                           for n in names)

    def _find(self, group):
        if isinstance(group, Subgroup):  # its source is a weak proxy: compare by name
            return next((p for p in self._populations.values() if p.group.name == group.source.name), None)
        return next((p for p in self._populations.values() if p.group is group), None)

    def _population_of(self, group) -> _Population:
        pop = self._find(group)
        if pop is None:
            raise ValueError(f"{getattr(group, 'name', group)!r} is not a population of this circuit "
                             "(nor a subgroup of one); for your own NeuronGroup use "
                             "homeostasis.models.assemble(model, mechanisms)")
        return pop


def _tagged(text: str, owner: str, indent: str = "") -> list:
    lines = [line.strip() for line in text.replace(";", "\n").splitlines() if line.strip()]
    # Brian2 equations may carry comments: keep the owner's tag after the line
    return [f"{indent}{line}  # {owner}" if owner else f"{indent}{line}" for line in lines]


def _block(name: str, lines) -> list:
    """``name = '''`` with ``(code, owner)`` lines tagged, then the closing quotes."""
    return [f"{name} = '''", *(tagged for code, owner in lines for tagged in _tagged(code, owner)), "'''"]


def _value_text(value) -> str:
    if isinstance(value, Quantity):
        return repr(value)
    return repr(value)


def describe_assembly(assembly: Assembly, group=None, label: str = "G") -> str:
    """Brian2 code of ``assembly`` (and the synapses recorded onto it), lines tagged by owner.

    Examples
    --------
    >>> from brian2 import Hz
    >>> from homeostasis import AdaptiveThreshold
    >>> from homeostasis.models import CurrentLIF
    >>> text = describe_assembly(assemble(CurrentLIF(), [AdaptiveThreshold(target_rate=5 * Hz)]))
    >>> "# AdaptiveThreshold" in text
    True
    """
    n = len(group) if group is not None else "N"
    out = [f"# ---- population {label!r}" + (f" (NeuronGroup {group.name!r})" if group is not None else "")]
    out += _block(f"eqs_{label}", [(_eq_text(text), owner) for text, owner in assembly.lines])
    if assembly.reset_lines:
        out += _block(f"reset_{label}", assembly.reset_lines)
    out.append(f"namespace_{label} = {{")
    owners = {}
    for owner, c in assembly.contributions:
        owners.update({k: owner for k in c.namespace})
        owners.update({k: owner for k in c.runtime})
    model_ns = assembly.model.namespace()
    for key, value in assembly.namespace.items():
        where = owners.get(key, _name(assembly.model) if key in model_ns else "")
        out.append(f"    {key!r}: {_value_text(value)},  # {where}")
    out.append("}")
    spiking = assembly.threshold is not None
    args = (f", threshold={assembly.threshold!r}, reset=reset_{label}, refractory={assembly.refractory!r}"
            if spiking else "")
    out.append(f"{label} = NeuronGroup({n}, eqs_{label}{args}, method={assembly.method!r}, "
               f"namespace=namespace_{label})")
    for key, value in assembly.runtime.items():  # (shared, constant) variables, set once built
        out.append(f"{label}.{key} = {_value_text(value)}  # {owners.get(key, '')} (run-time parameter)")
    for var, value in assembly.adaptable.items():
        out.append(f"{label}.{var} = {_value_text(value)}  # {_name(assembly.model)} (adaptable)")
    for var, value in assembly.model.initial().items():
        out.append(f"{label}.{var} = {_value_text(value)}  # {_name(assembly.model)}")
    for owner, c in assembly.contributions:
        for var, value in c.initial.items():
            out.append(f"{label}.{var} = {_value_text(value)}  # {owner}")
    out += _regular_text(label, assembly.regular)
    for parts in assembly.connections:
        syn = getattr(parts, "name", "S")
        out.append(f"# ---- synapses {syn!r} ({parts.role}) onto {label!r}")
        out += _block(f"model_{syn}", [(_eq_text(text), owner) for text, owner in parts.lines])
        out += _block(f"on_pre_{syn}", parts.pre_lines)
        if parts.post_lines:
            out += _block(f"on_post_{syn}", parts.post_lines)
        extra = {k: v for k, v in parts.namespace.items() if k not in assembly.full_namespace}
        namespace = f"{{**namespace_{label}, **{extra!r}}}" if extra else f"namespace_{label}"
        post = f", on_post=on_post_{syn}" if parts.post_lines else ""
        out.append(f"{syn} = Synapses({parts.source_name}, {label}, model_{syn}, on_pre=on_pre_{syn}{post}, "
                   f"namespace={namespace})")
        for key, value in parts.runtime.items():
            owner = next((o for o, t in parts.terms if key in t.runtime), "")
            out.append(f"{syn}.{key} = {_value_text(value)}  # {owner} (run-time parameter)")
        out += _regular_text(syn, parts.regular)
    return "\n".join(out)


def _regular_text(label, regular) -> list:
    """``run_regularly`` calls as built: blocks of one (dt, when, order) joined into one."""
    joined: dict = {}
    for owner, block in regular:
        key = (round(float(block.dt / ms), 9), block.when, block.order)
        joined.setdefault(key, (block, []))[1].append((block.code, owner))
    out = []
    for block, codes in joined.values():
        out.append(f"{label}.run_regularly('''")
        for code, owner in codes:
            out += _tagged(code, owner, "    ")
        out.append(f"''', dt={block.dt!r}, when={block.when!r}, order={block.order})")
    return out


def describe(obj, population: str | None = None) -> str:
    """``obj.describe()`` for a :class:`Circuit`; the Brian2 code of an :class:`Assembly`."""
    if isinstance(obj, Circuit):
        return obj.describe(population)
    if isinstance(obj, Assembly):
        return describe_assembly(obj)
    raise TypeError(f"describe() takes a Circuit or an Assembly, got {type(obj).__name__}")


def _eq_text(text: str) -> str:
    """Equation text one line per equation (multi-line strings dedented)."""
    return "\n".join(line.strip() for line in str(text).splitlines() if line.strip())


def _at_start(values: dict, blocks: list) -> Regular:
    """A block that sets ``values`` (expressions) at t = 0 and leaves them alone afterwards.

    It joins the earliest regular block of the population, so it costs no code object of
    its own; the expression is exact at every step (``x`` times 1, plus 0).
    """
    first = min((b for b in blocks if b.when == "start"), key=lambda b: b.order, default=None)
    code = "\n".join(f"{var} = int(t == 0*second) * ({value}) + int(t > 0*second) * {var}"
                      for var, value in values.items())
    if first is None:
        return Regular(code, 1 * ms, order=-1000)
    return Regular(code, first.dt, order=first.order, when="start")


def _unit_string(value) -> str:
    """Brian2 unit text for a value or unit (``1`` for dimensionless)."""
    if isinstance(value, Quantity) and not value.is_dimensionless:
        return repr(get_unit(get_dimensions(value)))
    return "1"
