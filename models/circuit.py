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

import numpy as np
from brian2 import (
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
from brian2.groups.subgroup import Subgroup

from . import runtime as runtime_module
from .contribution import Contribution, Regular, SynapseTerms, merge_namespaces, merge_traces

__all__ = ["Circuit"]


def _name(obj) -> str:
    return type(obj).__name__


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


class _Population:
    def __init__(self, group, model, components, contributions, namespace, traces):
        self.group = group
        self.model = model
        self.components = components
        self.contributions = contributions  # (owner, Contribution), requirements included
        self.namespace = namespace
        self.traces = traces
        self.roles_connected: set = set()


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

    def _regular(self, group, blocks, label: str) -> list:
        """``run_regularly`` objects for ``blocks``, joined per (dt, when, order) in the given order."""
        joined: dict = {}
        for block in blocks:
            key = (round(float(block.dt / ms), 9), block.when, block.order)
            joined.setdefault(key, (block.dt, []))[1].append(block.code)
        return [group.run_regularly("\n".join(codes), clock=self._clock(dt), when=when, order=order,
                                    name=f"{group.name}_{label}_{k}")
                for k, ((_, when, order), (dt, codes)) in enumerate(joined.items())]

    # -- populations ---------------------------------------------------------------------
    def population(self, name: str, model, n: int, components=(), dt=None, namespace=None, traces=(),
                   method=None, **initial) -> NeuronGroup:
        """Create ``n`` neurons of ``model`` with ``components`` acting on them.

        Parameters
        ----------
        name : str
            Population name (``circuit["E"]`` retrieves the group).
        model : homeostasis.models.NeuronModel
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
        components = tuple(components)
        parts, seen = [], set()
        for comp in components:
            _flatten(_name(comp), comp.contribution(model), seen, parts)

        adaptable = model.adaptable()
        claimed: dict[str, str] = {}
        for owner, c in parts:
            for var in c.claims:
                if var not in adaptable:
                    raise ValueError(f"{owner} adapts {var!r}, which {_name(model)} does not expose")
                if var in claimed:
                    raise ValueError(f"{claimed[var]} and {owner} both adapt {var!r} of {_name(model)}")
                claimed[var] = owner

        spike_traces = merge_traces([(owner, t) for owner, c in parts for t in c.traces]
                                    + [(f"the traces of population {name!r}", t) for t in traces])
        if not model.spiking:
            for owner, c in parts:
                if c.reset:
                    raise ValueError(f"{owner} adds a reset, which {_name(model)} (not spiking) has not")
            if spike_traces:
                raise ValueError(f"spike traces need a spiking model, not {_name(model)}")

        # run-time parameters are checked against the constants like any name (one name, one
        # value), and the synapses onto the population still read them as constants
        runtime = runtime_module.active(merge_namespaces([(owner, c.runtime) for owner, c in parts]))
        namespace = merge_namespaces(
            [(_name(model), model.namespace())] + [(owner, c.namespace) for owner, c in parts]
            + [(owner, c.runtime) for owner, c in parts]
            + [(f"the traces of population {name!r}", {t.tau_name: t.tau}) for t in spike_traces.values()]
            + [(f"the namespace of population {name!r}", dict(namespace or {}))]
        )
        eqs = Equations(model.equations())
        for var, value in runtime.items():
            eqs += Equations(runtime_module.declaration(var, value))
        for var, value in adaptable.items():
            if var not in claimed:
                eqs += Equations(f"{var} : {_unit_string(value)}")
        for _, c in parts:
            if c.equations.strip():
                eqs += Equations(c.equations)
        for t in spike_traces.values():
            eqs += Equations(f"d{t.name}/dt = -{t.name} / {t.tau_name} : 1")

        group_namespace = {key: value for key, value in namespace.items() if key not in runtime}
        kwargs = dict(model=eqs, namespace=group_namespace, method=method or model.method, name=f"{self.name}_{name}")
        if dt is not None:
            kwargs["dt"] = dt
        if model.spiking:
            reset = ([model.reset] + [c.reset for _, c in parts if c.reset] + [f"{t} += 1" for t in spike_traces])
            kwargs.update(threshold=model.threshold, reset="\n".join(reset),
                          refractory=getattr(model, "tau_ref", False))
        group = NeuronGroup(n, **kwargs)
        for var, value in runtime.items():  # first: initial values may be computed from them
            runtime_module.set_parameter(group, var, value)

        for var, value in adaptable.items():
            if var not in claimed:
                setattr(group, var, value)
        if model.spiking:
            group.v = getattr(model, "E_L")
        # initial values written as expressions (r = target_rate) are computed again in
        # generated code when the run starts: a run-time parameter given later (after
        # building, after restore(), or as run_args of a compiled project) then takes effect
        start = {}
        for _, c in parts:
            for var, value in c.initial.items():
                setattr(group, var, value)
                if isinstance(value, str):
                    start[var] = value
        for var, value in initial.items():
            if var not in group.variables:
                raise ValueError(f"population {name!r} has no variable {var!r}")
            setattr(group, var, value)

        pop = _Population(group, model, components, parts, namespace, spike_traces)
        self._populations[name] = pop
        self._objects.append(group)
        blocks = [b for _, c in parts for b in c.regular]
        if start:
            blocks.insert(0, _at_start(start, blocks))
        self._objects.extend(self._regular(group, blocks, "regularly"))
        for comp in components:
            self._objects.extend(getattr(comp, "objects", lambda g, c: [])(group, self) or [])
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
        scaling, gains) to these synapses, and so do the rules in ``plasticity``.

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

        terms = [(owner, c.synapses[role]) for owner, c in pop.contributions if role in c.synapses]
        for rule in plasticity:
            rule_terms = rule.synapse_terms(pop.model)
            if not isinstance(rule_terms, SynapseTerms):
                raise TypeError(f"{_name(rule)}.synapse_terms must return SynapseTerms, got {_name(rule_terms)}")
            terms.append((_name(rule), rule_terms))
        factors = [t.weight_factor for _, t in terms if t.weight_factor]

        unit_text = _unit_string(unit)
        eqs = Equations(str(model)) if model is not None else Equations("")
        if "w" not in eqs.names:
            eqs += Equations(f"w : {unit_text}")
        # w_eff, the transmitted weight, is a subexpression: the factors cost one multiply per
        # transmitted spike and no update of the weights themselves. Without factors there is
        # no w_eff (Brian2's cython target cannot compile a bare alias of w)
        if factors:
            eqs += Equations(f"w_eff = w * {' * '.join(factors)} : {unit_text}")
        pre_model, pre_on, post_model, post_on, trace_ns = self._traces(source, pop, target, terms)
        for line in pre_model + post_model:
            eqs += Equations(line)
        for _, t in terms:
            if t.model.strip():
                eqs += Equations(t.model)

        transmit = on_pre if on_pre is not None else f"{var}_post += {'w_eff' if factors else 'w'}"
        if on_pre is not None and factors and "w_eff" not in on_pre:
            raise ValueError(f"the components of population {target.name} scale the transmitted weight "
                             f"({', '.join(factors)}): write w_eff, not w, in on_pre")
        # a presynaptic trace kept per synapse counts its own spike first; a postsynaptic one
        # counts it last, after the rules read the value before the spike
        pre_code = "\n".join(s for s in [transmit] + pre_on + [t.on_pre for _, t in terms] if s.strip())
        post_code = "\n".join(s for s in [on_post or ""] + [t.on_post for _, t in terms] + post_on if s.strip())
        # run-time parameters of the synapses are checked against the constants like any name
        runtime = runtime_module.active(merge_namespaces([(owner, t.runtime) for owner, t in terms]))
        ns = merge_namespaces([(f"population {target.name}", pop.namespace)]
                              + [(owner, t.namespace) for owner, t in terms]
                              + [(owner, t.runtime) for owner, t in terms]
                              + [("the spike traces", trace_ns),
                                 (f"the namespace of the connection onto {target.name}", dict(namespace or {}))])
        for var, value in runtime.items():
            eqs += Equations(runtime_module.declaration(var, value))
        syn_name = name or f"{self.name}_{getattr(source, 'name', 'src')}_to_{target.name}_{role}"
        syn = Synapses(source, target, model=eqs, on_pre=pre_code, on_post=post_code or None,
                       namespace={k: v for k, v in ns.items() if k not in runtime}, delay=delay, method=method,
                       name=syn_name)
        kw = {k: v for k, v in dict(p=p, i=i, j=j, condition=condition).items() if v is not None}
        syn.connect(**kw) if kw else syn.connect()
        for var, value in runtime.items():  # Brian2 sets synapse variables once connected
            runtime_module.set_parameter(syn, var, value)
        syn.w = weight
        pop.roles_connected.add(role)
        self._objects.append(syn)
        self._objects.extend(self._regular(syn, [b for _, t in terms for b in t.regular], "regularly"))
        return syn

    def _traces(self, source, pop, target, terms) -> tuple:
        """Synapse lines and statements giving access to the pre- and postsynaptic traces."""
        source_pop = self._find(source)
        kept_pre = source_pop.traces if source_pop else {}
        pre_needed = merge_traces([(owner, tr) for owner, t in terms for tr in t.pre_traces])
        post_needed = merge_traces([(owner, tr) for owner, t in terms for tr in t.post_traces])
        pre_model, pre_on, post_model, post_on, namespace = [], [], [], [], {}
        # Synapses run after the thresholds and before the resets, so a neuron's trace does
        # not yet count a spike of this time step; adding it (lastspike == t) gives the value
        # a per-synapse trace has, incremented first thing on the presynaptic spike
        same_step = ("lastspike" in source.variables
                     and getattr(getattr(source, "clock", None), "name", None) == "defaultclock")
        for trace in pre_needed.values():
            if kept_pre.get(trace.name) == trace and same_step:
                pre_model.append(f"{trace.presynaptic} = {trace.name}_pre + int(lastspike_pre == t) : 1")
            else:
                pre_model.append(f"d{trace.presynaptic}/dt = -{trace.presynaptic} / {trace.tau_name} : 1 (event-driven)")
                pre_on.append(f"{trace.presynaptic} += 1")
                namespace[trace.tau_name] = trace.tau
        for trace in post_needed.values():
            if pop.traces.get(trace.name) == trace:  # the reset has not yet counted this step's spike
                post_model.append(f"{trace.postsynaptic} = {trace.name}_post : 1")
            else:
                post_model.append(
                    f"d{trace.postsynaptic}/dt = -{trace.postsynaptic} / {trace.tau_name} : 1 (event-driven)")
                post_on.append(f"{trace.postsynaptic} += 1")
                namespace[trace.tau_name] = trace.tau
        return pre_model, pre_on, post_model, post_on, namespace

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
        self._network = Network(*self._objects)
        return self._network

    def _find(self, group):
        if isinstance(group, Subgroup):  # its source is a weak proxy: compare by name
            return next((p for p in self._populations.values() if p.group.name == group.source.name), None)
        return next((p for p in self._populations.values() if p.group is group), None)

    def _population_of(self, group) -> _Population:
        pop = self._find(group)
        if pop is None:
            raise ValueError(f"{getattr(group, 'name', group)!r} is not a population of this circuit "
                             "(nor a subgroup of one)")
        return pop


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
