"""Compose a neuron model with any set of mechanisms into Brian2 objects.

A *mechanism* (see :mod:`homeostasis`) is anything with two methods:

``contribution(model) -> Contribution``
    Equation text it adds to the neurons of a population and to the synapses onto them.
``objects(group, circuit) -> list``
    Extra Brian2 objects it needs once the group exists (an inhibitory pool, a controller
    that tracks the population's mean rate). May return an empty list.

A :class:`Circuit` collects populations and connections, merges each population's model
with the contributions of its mechanisms (checking that no two disagree on a parameter), and
hands back a :class:`~brian2.Network`. Everything is generated code: no Python callback runs
during a simulation, so the same circuit runs on the numpy, cython and cpp_standalone targets.

Examples
--------
>>> from brian2 import Hz, nA, pA, PoissonGroup
>>> from models import CurrentLIF
>>> c = Circuit()
>>> E = c.population("E", CurrentLIF(), 20, I_ext=0.15 * nA)
>>> inp = c.add(PoissonGroup(50, 10 * Hz, name="inp"))
>>> syn = c.connect(inp, E, role="exc", weight=50 * pA, p=0.2)
>>> net = c.network()
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from brian2 import (
    Clock,
    DimensionMismatchError,
    Network,
    NeuronGroup,
    Quantity,
    Synapses,
    defaultclock,
    get_dimensions,
    have_same_dimensions,
    ms,
)

__all__ = ["Contribution", "SynapseTerms", "SpikeTrace", "Circuit", "merge_namespaces", "presynaptic_traces",
           "RATE_TRACE"]

#: The firing-rate estimate every mechanism that needs one shares: an exponential trace of
#: the spike train whose mean is the rate (each spike adds 1/tau_r, which decays with tau_r).
#: The decay is slow, so it is applied exactly every ``RATE_DT`` by a ``run_regularly``
#: (``r *= exp(-RATE_DT/tau_r)``) rather than integrated at every time step; the trace
#: then costs nothing per step, and a spike's share of one interval's decay is off by at most
#: ``RATE_DT/tau_r`` (1 % for tau_r = 100 ms).
RATE_TRACE = "r : Hz"
RATE_DT = 1 * ms


@dataclass(frozen=True)
class SpikeTrace:
    """A neuron's exponentially decaying spike count: ``dx/dt = -x/tau``, ``x += 1`` per spike.

    Spike-timing rules read such traces of their pre- and postsynaptic neurons. A trace of
    one neuron is the same for every synapse it makes, so it lives on the neuron (one
    update per neuron and step) rather than on each synapse (an exponential per synapse and
    spike): the rule is unchanged, its cost is not.

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
        """The name synapse statements use for the presynaptic neuron's trace."""
        return f"{self.name}_presynaptic"


@dataclass
class SynapseTerms:
    """What a mechanism adds to the synapses of one role onto its population.

    Attributes
    ----------
    model : str
        Synapse equation lines (e.g. STDP traces).
    on_pre, on_post : str
        Statements appended to the presynaptic / postsynaptic pathway.
    weight_factor : str
        Expression multiplying ``w`` when a spike is transmitted: a gain of the
        postsynaptic neuron (``g_scaling_post``) or of the whole population. Synapses with
        factors have ``w_eff``, ``w`` times all of them: the weight a spike transmits.
    namespace : dict
        Constants the statements refer to.
    pre_traces : tuple of SpikeTrace
        Spike traces of the presynaptic neurons the statements read, by
        ``SpikeTrace.presynaptic``. Read from the source population when it keeps the trace
        (see ``traces`` of :meth:`Circuit.population`), else kept on each synapse
        (event-driven): the same values, at a higher cost.
    """

    model: str = ""
    on_pre: str = ""
    on_post: str = ""
    weight_factor: str = ""
    namespace: dict = field(default_factory=dict)
    pre_traces: tuple = ()


@dataclass
class Contribution:
    """What a mechanism adds to a population's neurons, and to synapses onto them.

    Attributes
    ----------
    equations : str
        Neuron equation lines.
    reset : str
        Statements appended to the reset (spiking models only).
    claims : tuple of str
        Adaptable model parameters this mechanism turns into state variables (it must then
        define them in ``equations``).
    rate_trace : bool
        Whether it reads the shared rate trace ``r`` (time constant ``tau_r`` in
        ``namespace``).
    traces : tuple of SpikeTrace
        Spike traces the population's neurons keep (a postsynaptic STDP trace).
    initial : dict
        Initial values of neuron variables.
    namespace : dict
        Constants the equations refer to.
    synapses : dict of str to SynapseTerms
        Terms for synapses of each role (``"exc"``, ``"inh"``) onto the population.
    every_rate_dt : tuple of str
        Slow updates of the neurons (one Euler step of a slow variable), run every
        ``rate_dt`` right after the rate trace's own update and in the same code block
        (needs ``rate_trace``; ``rate_dt`` is then in the namespace).
    """

    equations: str = ""
    reset: str = ""
    claims: tuple = ()
    rate_trace: bool = False
    traces: tuple = ()
    initial: dict = field(default_factory=dict)
    namespace: dict = field(default_factory=dict)
    synapses: dict = field(default_factory=dict)
    every_rate_dt: tuple = ()


def _same(a, b) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    try:
        return have_same_dimensions(a, b) and np.array_equal(np.asarray(a), np.asarray(b))
    except Exception:  # noqa: BLE001 - uncomparable values are different values
        return False


def merge_namespaces(parts) -> dict:
    """Merge ``(owner, namespace)`` pairs; the same name with two values is an error.

    One name means one thing in a population: if intrinsic plasticity and synaptic scaling
    both read ``target_rate``, they must agree on it.
    """
    merged, owners = {}, {}
    for owner, ns in parts:
        for key, value in ns.items():
            if key in merged and not _same(merged[key], value):
                raise ValueError(
                    f"{owners[key]} and {owner} disagree on {key!r}: {merged[key]!r} vs {value!r}; "
                    "mechanisms acting on one population must share parameters of the same name"
                )
            merged.setdefault(key, value)
            owners.setdefault(key, owner)
    return merged


def presynaptic_traces(model, mechanisms, role: str) -> tuple:
    """Spike traces that ``mechanisms`` on ``model`` neurons read from their ``role`` inputs.

    Give them as ``traces`` to the population that will be the source of those synapses
    (the inhibitory population for :class:`~homeostasis.InhibitorySTDP` on ``"inh"``).
    """
    found = []
    for m in mechanisms:
        terms = m.contribution(model).synapses.get(role)
        found += [t for t in (terms.pre_traces if terms else ()) if t not in found]
    return tuple(found)


def _merge_traces(parts) -> dict:
    traces: dict = {}
    for owner, trace in parts:
        if trace.name in traces and traces[trace.name][1] != trace:
            raise ValueError(f"{traces[trace.name][0]} and {owner} define the spike trace {trace.name!r} differently: "
                             f"{traces[trace.name][1]} vs {trace}")
        traces.setdefault(trace.name, (owner, trace))
    return {name: trace for name, (_, trace) in traces.items()}


def _name(obj) -> str:
    return type(obj).__name__


class _Population:
    def __init__(self, group, model, mechanisms, contributions, namespace, traces):
        self.group = group
        self.traces = traces
        self.model = model
        self.mechanisms = mechanisms
        self.contributions = contributions
        self.namespace = namespace
        self.roles_connected: set = set()


class Circuit:
    """A collection of populations, connections and mechanisms that builds a Network.

    Parameters
    ----------
    name : str
        Prefix of the Brian2 object names (keeps several circuits in one script apart).
    """

    def __init__(self, name: str = "circuit"):
        self.name = name
        self._populations: dict[str, _Population] = {}
        self._objects: list = []
        self._extra: list = []
        self._clocks: dict = {}
        self._built = False

    def _clock(self, dt) -> Clock:
        """One clock per interval of slow updates: with every extra clock, the runtime
        targets' Python loop does more work at every time step."""
        key = round(float(dt / ms), 9)
        if key not in self._clocks:
            self._clocks[key] = Clock(dt, name=f"{self.name}_clock_{len(self._clocks)}")
        return self._clocks[key]

    # -- populations ---------------------------------------------------------------------
    def population(self, name: str, model, n: int, mechanisms=(), dt=None, namespace=None, traces=(),
                   **initial) -> NeuronGroup:
        """Create ``n`` neurons of ``model`` with ``mechanisms`` acting on them.

        Parameters
        ----------
        name : str
            Population name (``circuit["E"]`` retrieves the group).
        model : models.NeuronModel
        n : int
        mechanisms : sequence
            Mechanisms acting on these neurons and on the synapses onto them.
        dt : Quantity, optional
            Integration time step of this population (defaults to ``defaultclock.dt``).
        namespace : dict, optional
            Further names the equations refer to (a :class:`~brian2.TimedArray` drive).
        traces : sequence of SpikeTrace
            Spike traces to keep for the mechanisms of the populations these neurons project
            to (see :func:`presynaptic_traces`); the population's own mechanisms add theirs.
        **initial
            Initial values of neuron variables (``v=-60*mV``, ``I_ext=0.2*nA``, arrays allowed).
        """
        if self._built:
            raise RuntimeError("the circuit's network was already built; create a new Circuit")
        if name in self._populations:
            raise ValueError(f"population {name!r} exists already")
        if not (isinstance(n, (int, np.integer)) and n > 0):
            raise ValueError(f"population size n must be a positive integer, got {n!r}")
        mechanisms = tuple(mechanisms)
        contributions = [m.contribution(model) for m in mechanisms]

        claimed: dict[str, str] = {}
        for m, c in zip(mechanisms, contributions):
            for var in c.claims:
                if var not in model.adaptable():
                    raise ValueError(f"{_name(m)} adapts {var!r}, which {_name(model)} does not expose")
                if var in claimed:
                    raise ValueError(f"{claimed[var]} and {_name(m)} both adapt {var!r} of {_name(model)}")
                claimed[var] = _name(m)

        lines = [model.equations()]
        adaptable = model.adaptable()
        for var, value in adaptable.items():
            if var not in claimed:
                lines.append(f"{var} : {_unit_string(value)}")
        needs_trace = any(c.rate_trace for c in contributions)
        for m, c in zip(mechanisms, contributions):
            if c.every_rate_dt and not c.rate_trace:
                raise ValueError(f"{_name(m)} has updates every rate_dt but does not ask for the rate trace")
        if needs_trace:
            if not model.spiking:
                raise ValueError(f"a rate trace needs a spiking model, not {_name(model)}")
            lines.append(RATE_TRACE)
        lines += [c.equations for c in contributions if c.equations]
        spike_traces = _merge_traces([(_name(m), t) for m, c in zip(mechanisms, contributions) for t in c.traces]
                                     + [(f"the traces of population {name!r}", t) for t in traces])
        if spike_traces and not model.spiking:
            raise ValueError(f"spike traces need a spiking model, not {_name(model)}")
        lines += [f"d{t.name}/dt = -{t.name} / {t.tau_name} : 1" for t in spike_traces.values()]

        namespace = merge_namespaces(
            [(_name(model), model.namespace())] + [(_name(m), c.namespace) for m, c in zip(mechanisms, contributions)]
            + [(f"the traces of population {name!r}", {t.tau_name: t.tau}) for t in spike_traces.values()]
            + [(f"the namespace of population {name!r}", dict(namespace or {}))]
        )
        if needs_trace and "tau_r" not in namespace:
            raise ValueError("a mechanism asked for the rate trace but no mechanism set 'tau_r'")
        if needs_trace:
            namespace["rate_dt"] = max(RATE_DT, defaultclock.dt if dt is None else dt)

        kwargs = dict(model="\n".join(lines), namespace=namespace, method=model.method,
                      name=f"{self.name}_{name}")
        if dt is not None:
            kwargs["dt"] = dt
        if model.spiking:
            reset = ([model.reset] + (["r += 1 / tau_r"] if needs_trace else [])
                     + [f"{t} += 1" for t in spike_traces] + [c.reset for c in contributions if c.reset])
            kwargs.update(threshold=model.threshold, reset="\n".join(reset),
                          refractory=getattr(model, "tau_ref", False))
        group = NeuronGroup(n, **kwargs)

        for var, value in adaptable.items():
            if var not in claimed:
                setattr(group, var, value)
        if model.spiking:
            group.v = getattr(model, "E_L")
        for c in contributions:
            for var, value in c.initial.items():
                setattr(group, var, value)
        for var, value in initial.items():
            if var not in group.variables:
                raise ValueError(f"population {name!r} has no variable {var!r}")
            setattr(group, var, value)
        if needs_trace:
            # the trace decays first, then the mechanisms' slow updates read it: one code
            # block on one shared clock, so one call per rate_dt however many mechanisms read
            # the trace (on the runtime targets every extra clock and code object costs
            # Python work at every step); order -2: before the other slow updates of the step
            code = "\n".join(["r *= exp(-rate_dt / tau_r)"] + [u for c in contributions for u in c.every_rate_dt])
            self._extra.append(group.run_regularly(code, clock=self._clock(namespace["rate_dt"]), order=-2,
                                                   name=f"{group.name}_rate_trace_regularly"))

        pop = _Population(group, model, mechanisms, contributions, namespace, spike_traces)
        self._populations[name] = pop
        self._objects.append(group)
        for m in mechanisms:
            self._extra.extend(m.objects(group, self) or [])
        return group

    def model_of(self, group) -> object:
        """The neuron model of a population of this circuit."""
        return self._population_of(group).model

    def __getitem__(self, name: str) -> NeuronGroup:
        return self._populations[name].group

    # -- connections ---------------------------------------------------------------------
    def connect(self, source, target: NeuronGroup, role: str, weight, p=None, i=None, j=None,
                condition=None, delay=None, name=None) -> Synapses:
        """Connect ``source`` to the population ``target`` with synapses of ``role``.

        The target population's mechanisms add their terms for ``role`` (plasticity,
        scaling, gains) to these synapses.

        Parameters
        ----------
        source : brian2 group
        target : NeuronGroup
            A population created by :meth:`population`.
        role : {"exc", "inh"}
        weight : Quantity or str
            Initial weight ``w`` in the unit the target model expects for this role, or a
            Brian2 expression for it.
        p, i, j, condition
            Passed to :meth:`brian2.Synapses.connect` (all-to-all if none is given).
        delay : Quantity, optional
        """
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

        terms = [(m, c.synapses[role]) for m, c in zip(pop.mechanisms, pop.contributions) if role in c.synapses]
        factors = [t.weight_factor for _, t in terms if t.weight_factor]
        # w_eff, the transmitted weight, is a subexpression: the factors cost one multiply
        # per transmitted spike, and no update of the weights themselves. Without factors
        # there is no w_eff (Brian2's cython target cannot compile a bare alias of w)
        unit_text = _unit_string(unit)
        lines = [f"w : {unit_text}"] + ([f"w_eff = w * {' * '.join(factors)} : {unit_text}"] if factors else [])
        trace_model, trace_pre, trace_ns = self._presynaptic_traces(source, [t for _, t in terms])
        model = "\n".join(lines + trace_model + [t.model for _, t in terms if t.model])
        transmit = f"{var}_post += {'w_eff' if factors else 'w'}"
        on_pre = "\n".join([transmit] + trace_pre + [t.on_pre for _, t in terms if t.on_pre])
        on_post = "\n".join(t.on_post for _, t in terms if t.on_post) or None
        namespace = merge_namespaces([(f"population {target.name}", pop.namespace)]
                                     + [(_name(m), t.namespace) for m, t in terms]
                                     + [("the presynaptic traces", trace_ns)])
        syn_name = name or f"{self.name}_{getattr(source, 'name', 'src')}_to_{target.name}_{role}"
        syn = Synapses(source, target, model=model, on_pre=on_pre, on_post=on_post,
                       namespace=namespace, delay=delay, method="euler", name=syn_name)
        kw = {k: v for k, v in dict(p=p, i=i, j=j, condition=condition).items() if v is not None}
        syn.connect(**kw) if kw else syn.connect()
        syn.w = weight
        pop.roles_connected.add(role)
        self._objects.append(syn)
        return syn

    def _presynaptic_traces(self, source, terms) -> tuple:
        """Synapse model lines, on_pre lines and namespace giving access to the source's traces."""
        source_pop = next((p for p in self._populations.values() if p.group is source), None)
        kept = source_pop.traces if source_pop else {}
        model, on_pre, namespace = [], [], {}
        needed = _merge_traces([("a mechanism", tr) for t in terms for tr in t.pre_traces])
        # Synapses run after the thresholds and before the resets, so a neuron's trace does
        # not yet count a spike of this time step; adding it (lastspike == t) gives the
        # trace a per-synapse trace would have, incremented first thing on the spike
        same_step = ("lastspike" in source.variables
                     and getattr(getattr(source, "clock", None), "name", None) == "defaultclock")
        for trace in needed.values():
            if kept.get(trace.name) == trace and same_step:  # read the presynaptic neuron's own trace
                model.append(f"{trace.presynaptic} = {trace.name}_pre + int(lastspike_pre == t) : 1")
            else:  # the source does not keep it: the same trace, on every synapse
                model.append(f"d{trace.presynaptic}/dt = -{trace.presynaptic} / {trace.tau_name} : 1 (event-driven)")
                on_pre.append(f"{trace.presynaptic} += 1")
                namespace[trace.tau_name] = trace.tau
        return model, on_pre, namespace

    def add(self, *objects):
        """Add Brian2 objects (inputs, monitors) to the network; returns the first one."""
        self._objects.extend(objects)
        return objects[0] if objects else None

    # -- network -------------------------------------------------------------------------
    def network(self) -> Network:
        """A Network of everything; checks every mechanism found the synapses it acts on."""
        for name, pop in self._populations.items():
            for m, c in zip(pop.mechanisms, pop.contributions):
                missing = set(c.synapses) - pop.roles_connected
                if missing:
                    raise ValueError(
                        f"{_name(m)} acts on {sorted(missing)} synapses onto population {name!r}, "
                        "but none were connected")
        self._built = True
        return Network(*self._objects, *self._extra)

    def _population_of(self, group) -> _Population:
        for pop in self._populations.values():
            if pop.group is group:
                return pop
        raise ValueError(f"{getattr(group, 'name', group)!r} is not a population of this circuit")


def _unit_string(value) -> str:
    """Brian2 unit text for a value or unit (``1`` for dimensionless)."""
    if isinstance(value, Quantity) and not value.is_dimensionless:
        from brian2 import get_unit

        return repr(get_unit(get_dimensions(value)))
    return "1"

