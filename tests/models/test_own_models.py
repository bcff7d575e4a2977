"""Homeostasis for the user's own Brian2 model: own equations, own groups, named connections, describe()."""
import warnings

import numpy as np
import pytest
from brian2 import (Equations, Hz, defaultclock, Network, NeuronGroup, SpikeMonitor, StateMonitor, Synapses, mV, ms, nS, pA, pF,
                    second, siemens, volt)

from homeostasis import AdaptiveThreshold, SynapticScaling, WeightSumNormalization
from homeostasis.models import Circuit, ConductanceLIF, CurrentLIF, NeuronModel, assemble, param, poisson_source

ADEX_EQS = """
dv/dt = (g_L*(E_L - v) + g_L*D_T*exp((v - v_T)/D_T) - u + I_ext + g_e*(E_e - v) + g_i*(E_i - v)) / C : volt (unless refractory)
du/dt = (a*(v - E_L) - u) / tau_u : amp
dg_e/dt = -g_e / tau_e : siemens
dg_i/dt = -g_i / tau_i : siemens
I_ext : amp
"""


def adex(**changes):
    """AdEx (Brette & Gerstner 2005) as a user writes it: an equation string, b = 0 pA (no adaptation jump)."""
    ns = dict(C=281 * pF, g_L=30 * nS, E_L=-70.6 * mV, D_T=2 * mV, v_T=-50.4 * mV, a=4 * nS, b=0 * pA,
              tau_u=144 * ms, tau_e=5 * ms, tau_i=10 * ms, E_e=0 * mV, E_i=-80 * mV, V_reset=-70.6 * mV)
    ns.update(changes)
    return NeuronModel(ADEX_EQS, threshold="v > v_th", reset="v = V_reset\nu += b", refractory=2 * ms,
                       synapse_targets={"exc": ("g_e", siemens), "inh": ("g_i", siemens)},
                       adaptable={"v_th": -45 * mV}, namespace=ns, initial={"v": -70.6 * mV}, name="AdEx")


def izhikevich():
    """Izhikevich (2003) regular spiking: no E_L, no V_reset attribute; v starts where Brian2 puts it unless given."""
    from brian2 import Mohm, amp
    return NeuronModel("""
        dv/dt = (0.04*v**2/mV + 5*v + 140*mV - u + R*I_e) / ms : volt
        du/dt = a*(b*v - u) / ms : volt
        dI_e/dt = -I_e / (5*ms) : amp
        """, threshold="v > 30*mV", reset="v = c\nu += d", synapse_targets={"exc": ("I_e", amp)},
        namespace=dict(a=0.02, b=0.2, c=-65 * mV, d=8 * mV, R=1 * Mohm), name="Izhikevich")


def test_a_user_equation_model_needs_no_attribute_it_does_not_have():
    c = Circuit("izh")
    E = c.population("E", izhikevich(), 3, v=-65 * mV)
    src = c.add(poisson_source(20, 50 * Hz, name="izh_in"))
    c.connect(src, E, "exc", weight=2000 * pA, p=1.0)
    spikes = c.add(SpikeMonitor(E, name="izh_spikes"))
    c.network().run(200 * ms)
    assert spikes.num_spikes > 0
    # nothing set v to a resting potential the model does not have
    c2 = Circuit("izh2")
    F = c2.population("E", izhikevich(), 2)
    assert np.all(F.v[:] == 0 * mV)


def test_zero_is_accepted_where_it_is_meaningful():
    assert adex(b=0 * pA).namespace()["b"] == 0 * pA
    with pytest.raises(ValueError, match="bounds"):  # a param() declared positive says how to allow zero
        from dataclasses import dataclass

        from homeostasis.models.parameters import ParameterSet

        @dataclass(frozen=True)
        class Own(ParameterSet):
            b: object = param(0.1 * pA, pA, "adaptation jump")

        Own(b=0 * pA)


def test_bare_equations_or_a_declared_adaptable_variable_are_refused_clearly():
    with pytest.raises(TypeError, match="NeuronModel"):
        Circuit("bare").population("E", ADEX_EQS, 2)
    with pytest.raises(ValueError, match="adaptable"):
        NeuronModel("dv/dt = -v/(10*ms) : volt\nv_th : volt", threshold="v > v_th", adaptable={"v_th": 1 * mV})
    with pytest.raises(ValueError, match="synapse_targets"):
        NeuronModel("dv/dt = -v/(10*ms) : volt", threshold="v > 1*mV", synapse_targets={"exc": ("g", siemens)})


def test_adaptive_threshold_without_a_reset_potential_asks_for_a_floor():
    model = NeuronModel("dv/dt = -v/(10*ms) : volt", threshold="v > v_th", reset="v = 0*mV",
                        adaptable={"v_th": 10 * mV}, name="Mine")
    with pytest.raises(ValueError, match="v_th_min"):
        Circuit("floor").population("E", model, 2, [AdaptiveThreshold()])
    E = Circuit("floor2").population("E", model, 2, [AdaptiveThreshold(v_th_min=1 * mV)])
    assert float(E.v_th_min / mV) == 1.0


def test_adex_with_adaptive_threshold_and_scaling_on_the_numpy_target():
    c = Circuit("adex")
    E = c.population("E", adex(), 4, [AdaptiveThreshold(target_rate=5 * Hz, v_th_min=-60 * mV),
                                     SynapticScaling(target_rate=5 * Hz)], I_ext=600 * pA)
    src = c.add(poisson_source(20, 10 * Hz, name="adex_in"))
    c.connect(src, E, "exc", weight=1 * nS, p=0.5)
    c.network().run(50 * ms)
    assert np.all(np.isfinite(E.v_th[:])) and E.r.shape == (4,)


# -- connections chosen per mechanism ------------------------------------------------------
def _two_inputs(circuit_name, mechanism, grow=True):
    """Two excitatory connections 'a' and 'b' onto E; every transmitted spike grows its weight by 10 %."""
    rng = np.random.default_rng(3)
    c = Circuit(circuit_name)
    E = c.population("E", ConductanceLIF(), 5, [mechanism], I_ext=150 * pA)
    on_pre = "g_e_post += w\nw *= 1.1" if grow else None
    syn = {}
    for name in ("a", "b"):
        src = c.add(poisson_source(20, 20 * Hz, name=f"{circuit_name}_{name}_in"))
        syn[name] = c.connect(src, E, "exc", weight=rng.uniform(0.1, 1, 100) * nS, i=np.repeat(np.arange(20), 5),
                              j=np.tile(np.arange(5), 20), on_pre=on_pre, name=f"{circuit_name}_{name}")
    return c, E, syn


def test_weight_sum_over_two_connections_holds_each_neurons_total_after_every_rescale():
    names = ("wsn2_a", "wsn2_b")
    c, E, syn = _two_inputs("wsn2", WeightSumNormalization(w_total=10 * nS, interval=20 * ms, connections=names))
    # record right after the rescales (order 0 of the after_groups slot) and just before them
    after = {k: StateMonitor(s, "w", record=True, dt=20 * ms, when="after_groups", order=10, name=f"after_{k}")
             for k, s in syn.items()}
    before = {k: StateMonitor(s, "w", record=True, dt=20 * ms, when="after_groups", order=-10, name=f"before_{k}")
              for k, s in syn.items()}
    net = Network(c.network(), *after.values(), *before.values())
    net.run(200 * ms)

    def totals(mons):
        return sum(np.array([np.bincount(syn[k].j[:], weights=mons[k].w[:, t] / nS, minlength=5)
                             for t in range(mons[k].w.shape[1])]) for k in syn)

    np.testing.assert_allclose(totals(after), 10.0, rtol=1e-9)
    assert np.abs(totals(before)[1:] - 10).max() > 0.5  # the weights grew between rescales: a real test
    assert np.ptp(syn["a"].w[:] / nS) > 0 and np.ptp(syn["b"].w[:] / nS) > 0
    np.testing.assert_allclose(np.asarray(E.w_sum / nS), np.asarray(E.w_sum_wsn2_a / nS + E.w_sum_wsn2_b / nS))


def test_weight_sum_over_one_named_connection_leaves_the_other_untouched():
    c, E, syn = _two_inputs("wsn1", WeightSumNormalization(w_total=10 * nS, interval=20 * ms,
                                                           connections=("wsn1_a",)), grow=False)
    w_b = np.array(syn["b"].w[:] / nS)
    c.network().run(50 * ms)
    np.testing.assert_array_equal(syn["b"].w[:] / nS, w_b)
    total_a = np.bincount(syn["a"].j[:], weights=syn["a"].w[:] / nS, minlength=5)
    np.testing.assert_allclose(total_a, 10.0, rtol=1e-9)


def test_a_named_weight_sum_over_two_connections_keeps_its_suffix():
    names = ("wsnn_a", "wsnn_b")
    c, E, syn = _two_inputs("wsnn", WeightSumNormalization(w_total=10 * nS, interval=1 * ms, connections=names,
                                                           name="wn"), grow=False)
    c.network().run(2 * ms)
    total = sum(np.bincount(s.j[:], weights=s.w[:] / nS, minlength=5) for s in syn.values())
    np.testing.assert_allclose(total, 10.0, rtol=1e-9)
    assert "w_sum_wn" in E.variables and "w_sum_wsnn_a_wn" in E.variables


def test_two_unnamed_connections_summing_into_one_variable_are_refused_saying_how():
    c = Circuit("wsn0")
    E = c.population("E", ConductanceLIF(), 2, [WeightSumNormalization(w_total=1 * nS)])
    c.connect(c.add(poisson_source(2, 5 * Hz, name="wsn0_a")), E, "exc", weight=1 * nS)
    with pytest.raises(ValueError, match="connections="):
        c.connect(c.add(poisson_source(2, 5 * Hz, name="wsn0_b")), E, "exc", weight=1 * nS)


def test_a_named_connection_that_was_never_made_is_reported():
    c = Circuit("wsnx")
    E = c.population("E", ConductanceLIF(), 2, [WeightSumNormalization(w_total=1 * nS, connections=("input",))])
    c.connect(c.add(poisson_source(2, 5 * Hz, name="wsnx_a")), E, "exc", weight=1 * nS, name="inputs")
    with pytest.raises(ValueError, match="input"):
        c.network()


# -- mechanism state that does not collide -------------------------------------------------
def test_two_mechanisms_with_their_own_set_points_each_read_their_own():
    c = Circuit("two")
    E = c.population("E", CurrentLIF(), 3, [AdaptiveThreshold(target_rate=5 * Hz, tau_r=200 * ms),
                                            SynapticScaling(target_rate=8 * Hz, tau_r=500 * ms, name="ss")])
    c.connect(c.add(poisson_source(3, 1 * Hz, name="two_in")), E, "exc", weight=1 * pA)
    assert float(E.target_rate / Hz) == 5 and float(E.target_rate_ss / Hz) == 8
    c.network().run(0.1 * ms)
    # each rate trace started at its own mechanism's set point (decayed by one 1 ms step)
    np.testing.assert_allclose(E.r[:] / Hz, 5 * np.exp(-1 / 200), rtol=1e-6)
    np.testing.assert_allclose(E.r_ss[:] / Hz, 8 * np.exp(-1 / 500), rtol=1e-6)
    code = "\n".join(o.abstract_code for o in c.network().objects if o.name.startswith(E.name + "_regularly"))
    assert "g_scaling_ss *= 1 + rate_dt_ss * (target_rate_ss - r_ss)" in code
    assert "eta_threshold * (r - target_rate)" in code


def test_a_user_variable_named_like_a_mechanisms_names_the_owner():
    model = NeuronModel("dv/dt = -v/(10*ms) : volt\nr : Hz", threshold="v > 1*mV", reset="v = 0*mV",
                        synapse_targets={"exc": ("v", volt)}, name="Mine")
    with pytest.raises(ValueError, match="SynapticScaling"):
        Circuit("own_r").population("E", model, 2, [SynapticScaling()])
    E = Circuit("own_r2").population("E", model, 2, [SynapticScaling(name="ss")])  # renamed: no clash
    assert "r_ss" in E.variables and "r" in E.variables


def test_a_name_on_a_mechanism_with_a_controller_is_refused():
    from homeostasis import GlobalHomeostasis

    with pytest.raises(ValueError, match="GlobalHomeostasis"):
        GlobalHomeostasis(name="g")
    with pytest.raises(ValueError, match="identifier"):
        SynapticScaling(name="two words")


def test_a_per_neuron_set_point_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match="3 values for 2 neurons"):
        Circuit("len").population("E", CurrentLIF(), 2, [SynapticScaling(target_rate=[4, 5, 6] * Hz)])


def test_an_array_given_to_a_shared_set_point_after_building_says_how_to_make_it_per_neuron():
    E = Circuit("shared_sp").population("E", CurrentLIF(), 3, [SynapticScaling()])
    E.target_rate = 7 * Hz  # one value: fine
    with pytest.raises(ValueError, match="array when building"):
        E.target_rate = [4, 5, 6] * Hz


def test_per_neuron_set_points_of_synaptic_scaling_counted_from_spikes():
    targets = np.array([6, 6, 10, 10, 15, 15]) * Hz
    defaultclock.dt = 0.5 * ms  # 16 s of simulated time; the suite's fixture puts 0.1 ms back
    rng = np.random.default_rng(5)
    n_in = 200
    c = Circuit("perneuron")
    E = c.population("E", CurrentLIF(), len(targets),
                     [SynapticScaling(target_rate=targets, tau_scaling=1 * second, tau_r=1 * second)])
    assert not E.variables["target_rate"].scalar
    src = c.add(poisson_source(n_in, 20 * Hz, name="perneuron_in"))
    i, j = np.nonzero(rng.random((n_in, len(targets))) < 0.5)
    c.connect(src, E, "exc", weight=rng.uniform(10, 30, i.size) * pA, i=i, j=j)
    spikes = SpikeMonitor(E, name="perneuron_spikes")
    net = Network(c.network(), spikes)
    net.run(16 * second)
    t, idx = np.asarray(spikes.t / second), np.asarray(spikes.i)
    rates = np.bincount(idx[t >= 8], minlength=len(targets)) / 8.0
    np.testing.assert_allclose(rates, targets / Hz, rtol=0.15)


# -- describe() ----------------------------------------------------------------------------
def test_describe_shows_every_mechanisms_lines_tagged_and_the_equations_are_valid_brian2():
    c = Circuit("desc")
    E = c.population("E", ConductanceLIF(), 4, [AdaptiveThreshold(target_rate=5 * Hz),
                                                SynapticScaling(target_rate=5 * Hz),
                                                WeightSumNormalization(w_total=5 * nS)])
    c.connect(c.add(poisson_source(4, 5 * Hz, name="desc_in")), E, "exc", weight=1 * nS, name="desc_input")
    text = c.describe()
    for tag in ("# ConductanceLIF", "# AdaptiveThreshold", "# SynapticScaling", "# WeightSumNormalization"):
        assert tag in text, tag
    assert "g_scaling *= 1 + rate_dt * (target_rate - r)" in text and "w_sum_post = w" in text
    assert "g_e_post += w_eff" in text and "'tau_m'" not in text and "'C_m': 200. * pfarad" in text
    eqs = text.split("eqs_E = '''\n")[1].split("'''")[0]
    assert Equations(eqs) == E.user_equations
    for line in eqs.splitlines():
        assert "  # " in line  # every line says who wrote it


# -- mechanisms on plain Brian2 objects ----------------------------------------------------
def test_mechanisms_on_a_plain_neurongroup_and_synapses_without_circuit():
    parts = assemble(adex(), [SynapticScaling(target_rate=5 * Hz, tau_scaling=1 * second)])
    G = NeuronGroup(3, parts.equations, threshold=parts.threshold, reset=parts.reset, refractory=parts.refractory,
                    method=parts.method, namespace=parts.namespace)
    extra = parts.setup(G)
    inp = poisson_source(30, 20 * Hz, name="plain_in")
    syn = parts.synapses("exc")
    S = Synapses(inp, G, syn.model, on_pre=syn.on_pre, namespace=syn.namespace)
    S.connect()
    extra += syn.setup(S)
    S.w = 1 * nS
    assert "g_e_post += w_eff" in syn.on_pre
    Network(G, inp, S, *extra).run(100 * ms)
    assert float(G.v[0] / mV) != -70.6 and np.all(G.g_scaling[:] != 1)  # scaling ran, in generated code


# -- traps ---------------------------------------------------------------------------------
def test_a_connection_whose_return_value_is_not_kept_is_in_the_run():
    def build():
        c = Circuit("unkept")
        E = c.population("E", CurrentLIF(), 5)
        src = c.add(poisson_source(50, 20 * Hz, name="unkept_in"))
        c.connect(src, E, "exc", weight=500 * pA, p=0.5)  # not kept
        return c, c.add(SpikeMonitor(E, name="unkept_spikes"))

    c, spikes = build()
    import gc
    gc.collect()
    c.network().run(100 * ms)
    assert spikes.num_spikes > 10


def test_replacing_a_built_mechanism_warns_how_to_change_the_value():
    mech = SynapticScaling(target_rate=5 * Hz)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mech.replace(target_rate=6 * Hz)  # not built yet: no warning
    Circuit("repl").population("E", CurrentLIF(), 2, [mech])
    with pytest.warns(UserWarning, match="target_rate = "):
        mech.replace(target_rate=8 * Hz)


def test_restore_keeps_a_new_set_point_and_the_rate_trace_starts_at_it():
    c = Circuit("restore")
    E = c.population("E", CurrentLIF(), 3, [SynapticScaling(target_rate=5 * Hz, tau_r=1 * second)])
    c.connect(c.add(poisson_source(3, 1 * Hz, name="restore_in")), E, "exc", weight=1 * pA)
    net = c.network()
    net.store()
    net.run(10 * ms)
    E.target_rate = 9 * Hz
    net.restore()
    assert float(E.target_rate / Hz) == 9
    net.run(0.1 * ms)
    np.testing.assert_allclose(E.r[:] / Hz, 9 * np.exp(-1e-3), rtol=1e-6)


@pytest.mark.standalone
def test_weight_sum_over_two_connections_on_cpp_standalone(tmp_path):
    import brian2

    brian2.set_device("cpp_standalone", directory=str(tmp_path / "wsn"), build_on_run=True, with_output=False)
    try:
        names = ("wsnc_a", "wsnc_b")
        c, E, syn = _two_inputs("wsnc", WeightSumNormalization(w_total=10 * nS, interval=20 * ms, connections=names))
        after = {k: StateMonitor(s, "w", record=True, dt=20 * ms, when="after_groups", order=10, name=f"c_after_{k}")
                 for k, s in syn.items()}
        Network(c.network(), *after.values()).run(100 * ms)
        totals = sum(np.array([np.bincount(syn[k].j[:], weights=after[k].w[:, t] / nS, minlength=5)
                               for t in range(after[k].w.shape[1])]) for k in syn)
        np.testing.assert_allclose(totals, 10.0, rtol=1e-9)
        assert np.ptp(syn["a"].w[:] / nS) > 0
    finally:
        brian2.device.reinit()
        brian2.set_device("runtime")


@pytest.mark.standalone
def test_adex_with_adaptive_threshold_and_scaling_on_cpp_standalone_matches_numpy(tmp_path):
    import brian2

    def run(target):
        if target == "cpp_standalone":
            brian2.set_device("cpp_standalone", directory=str(tmp_path / "adex"), build_on_run=True, with_output=False)
        try:
            rng = np.random.default_rng(1)
            c = Circuit(f"adexsa_{target}")
            E = c.population("E", adex(), 6, [AdaptiveThreshold(target_rate=5 * Hz, v_th_min=-60 * mV, tau_r=200 * ms),
                                             SynapticScaling(target_rate=8 * Hz, tau_scaling=1 * second, name="ss")],
                             I_ext=rng.uniform(400, 800, 6) * pA)
            i, j = np.nonzero(rng.random((6, 6)) < 0.5)
            c.connect(E, E, "exc", weight=0.5 * nS, i=i, j=j)  # recurrent, drawn here: the same on both targets
            spikes = c.add(SpikeMonitor(E, name=f"adexsa_{target}_spikes"))
            c.network().run(300 * ms, namespace={})
            return np.asarray(spikes.count[:]), np.asarray(E.v_th / mV), np.asarray(E.g_scaling_ss[:])
        finally:
            if target == "cpp_standalone":
                brian2.device.reinit()
                brian2.set_device("runtime")

    native, numpy_ = run("cpp_standalone"), run("numpy")
    assert native[0].sum() > 10
    np.testing.assert_array_equal(native[0], numpy_[0])
    np.testing.assert_allclose(native[1], numpy_[1], rtol=1e-6)
    np.testing.assert_allclose(native[2], numpy_[2], rtol=1e-6)
