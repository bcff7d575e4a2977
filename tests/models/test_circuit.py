"""The circuit builder reads as Brian2: subgroups, your own synapse model and delays, with components adding to them."""
import numpy as np
import pytest
from brian2 import Hz, ms, nA, pA, second, SpikeGeneratorGroup, SpikeMonitor, StateMonitor

from homeostasis import AdaptiveThreshold, SynapticScaling
from homeostasis.rate import rate_trace
from homeostasis.models import Circuit, Contribution, CurrentLIF, Regular, SpikeTrace, SynapseTerms


def _spikes(name, times_ms, n=1):
    times = np.asarray(times_ms, dtype=float)
    return SpikeGeneratorGroup(n, np.zeros(len(times), dtype=int), times * ms, name=name)


def test_connect_to_a_subgroup_with_own_model_and_delay_and_the_mechanisms_factor():
    c = Circuit("sub")
    E = c.population("E", CurrentLIF(), 4, [SynapticScaling(target_rate=5 * Hz)], I_ext=0 * nA)
    src = c.add(_spikes("sub_src", [1.0]))
    # your own synapse model: a spike counter u; transmission written by you with w_eff
    syn = c.connect(src, E[2:], "exc", weight=100 * pA, delay=3 * ms,
                    model="u : 1", on_pre="I_e_post += w_eff\nu += 1")
    E.g_scaling = [1.0, 1.0, 2.0, 3.0]  # the mechanism's per-neuron gain
    mon = c.add(StateMonitor(E, "I_e", record=True, dt=0.1 * ms, name="sub_mon"))
    c.network().run(6 * ms)
    assert list(syn.j[:]) == [0, 1]  # indices within the subgroup E[2:]
    np.testing.assert_array_equal(syn.u[:], [1, 1])
    t = np.asarray(mon.t / ms)
    I = np.asarray(mon.I_e / pA)
    arrival = int(np.argmax(I[3] > 0))
    assert abs(t[arrival] - 4.0) < 0.15  # spike at 1 ms plus the 3 ms delay
    assert np.all(I[:2] == 0)  # neurons outside the subgroup got nothing
    # the transmitted weight is w times the mechanism's gain of each target neuron
    np.testing.assert_allclose(I[2:, arrival], [200.0, 300.0], rtol=1e-5)  # g drifts 1e-6 in 4 ms


def test_on_pre_that_ignores_the_mechanisms_gain_is_refused():
    c = Circuit("gainless")
    E = c.population("E", CurrentLIF(), 2, [SynapticScaling()])
    with pytest.raises(ValueError, match="w_eff"):
        c.connect(_spikes("gainless_src", [1.0]), E, "exc", weight=1 * pA, on_pre="I_e_post += w")


def test_changes_after_the_network_is_built_raise():
    c = Circuit("closed")
    E = c.population("E", CurrentLIF(), 2)
    c.network()
    with pytest.raises(RuntimeError, match="already built"):
        c.add(SpikeMonitor(E))
    with pytest.raises(RuntimeError, match="already built"):
        c.connect(E, E, "exc", weight=1 * pA)
    with pytest.raises(RuntimeError, match="already built"):
        c.population("F", CurrentLIF(), 2)


def test_add_returns_what_it_was_given():
    c = Circuit("adds")
    E = c.population("E", CurrentLIF(), 2)
    one = c.add(SpikeMonitor(E, name="adds_a"))
    two = c.add(SpikeMonitor(E, name="adds_b"), StateMonitor(E, "v", record=0, name="adds_c"))
    assert isinstance(one, SpikeMonitor)
    assert [o.name for o in two] == ["adds_b", "adds_c"]


def test_a_required_contribution_is_added_once_and_its_update_runs_first():
    # two mechanisms read the rate trace: one trace, and its decay precedes both slow updates
    c = Circuit("shared")
    both = [AdaptiveThreshold(target_rate=5 * Hz, tau_r=200 * ms),
            SynapticScaling(target_rate=5 * Hz, tau_r=200 * ms)]
    E = c.population("E", CurrentLIF(), 3, both, I_ext=0.3 * nA)
    c.connect(E, E, "exc", weight=0 * pA)
    regular = [o for o in c.network().objects if o.name.startswith(E.name + "_regularly")]
    assert len(regular) == 1
    code = regular[0].abstract_code.splitlines()
    # the start values first (r from the set point at t = 0), then the decay, then both updates
    assert code[0].startswith("r = int(t == 0*second)") and code[1].startswith("r *=") and len(code) == 4
    with pytest.raises(ValueError, match="tau_r"):  # one name, one value in a population
        Circuit("clash").population("E", CurrentLIF(), 1, [AdaptiveThreshold(tau_r=200 * ms),
                                                           SynapticScaling(tau_r=300 * ms)])


def test_the_rate_trace_counts_spikes():
    """An independent sensor: the trace integrates to the spike count (r decays, each spike adds 1/tau_r)."""
    c = Circuit("trace")

    class Sensor:
        def contribution(self, model):
            return Contribution(requires=(rate_trace(10 * second),))

    E = c.population("E", CurrentLIF(), 5, [Sensor()], I_ext=np.linspace(0.2, 0.4, 5) * nA)
    spikes = c.add(SpikeMonitor(E, name="trace_spikes"))
    c.network().run(300 * ms)
    counts = np.bincount(spikes.i[:], minlength=5)
    assert counts.max() > 5
    # with tau_r = 10 s the decay over 300 ms is at most 3 %
    np.testing.assert_allclose(np.asarray(E.r / Hz) * 10, counts, rtol=0.035, atol=1e-9)


class _PostReader:
    """A toy rule: on each presynaptic spike, record the postsynaptic trace into ``seen``."""

    trace = SpikeTrace("y_test", "tau_y", 20 * ms)

    def synapse_terms(self, target_model):
        return SynapseTerms(model="seen : 1", on_pre=f"seen = {self.trace.postsynaptic}", post_traces=(self.trace,))


@pytest.mark.parametrize("kept", [True, False], ids=["kept_by_neurons", "kept_per_synapse"])
def test_a_postsynaptic_trace_reads_the_same_whether_neurons_keep_it_or_not(kept):
    c = Circuit(f"post_{kept}")
    post = c.population("P", CurrentLIF(tau_ref=0 * ms), 1, traces=[_PostReader.trace] if kept else [])
    drive = c.add(_spikes(f"post_{kept}_drive", [1.0, 5.0]))
    c.connect(drive, post, "exc", weight=5 * nA)  # each drive spike makes the neuron fire
    probe = c.add(_spikes(f"post_{kept}_probe", [12.0]))
    syn = c.connect(probe, post, "exc", weight=0 * pA, plasticity=[_PostReader()])
    fired = c.add(SpikeMonitor(post, name=f"post_{kept}_spikes"))
    c.network().run(15 * ms)
    assert ("lastupdate" in syn.variables) == (not kept)
    t_post = np.asarray(fired.t / ms)
    before = t_post[t_post < 12.0 - 0.05]  # a spike in the probe's own step is not yet counted
    assert len(before) >= 2
    expected = np.sum(np.exp(-(12.0 - before) / 20.0))
    # Euler decay of the neuron-kept trace (dt/tau = 0.005) against the exact event-driven one
    np.testing.assert_allclose(syn.seen[0], expected, rtol=2e-3)


def test_regular_blocks_of_a_connection_run_on_the_synapses():
    class Decay:
        def synapse_terms(self, target_model):
            return SynapseTerms(regular=(Regular("w *= 0.5", dt=1 * ms),))

    c = Circuit("synreg")
    E = c.population("E", CurrentLIF(), 2)
    syn = c.connect(E, E, "exc", weight=64 * pA, plasticity=[Decay()])
    c.network().run(3.05 * ms)
    np.testing.assert_allclose(syn.w[:] / pA, 64 * 0.5 ** 4)  # at 0, 1, 2 and 3 ms
