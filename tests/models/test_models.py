"""Neuron models, inputs and the circuit builder."""
import numpy as np
import pytest
from brian2 import DimensionMismatchError, Hz, SpikeMonitor, mV, ms, nA, nS, pA, second

from homeostasis import AdaptiveThreshold, InhibitorySTDP, SynapticScaling
from homeostasis.models import Circuit, ConductanceLIF, CurrentLIF, RateNeuron, ei_network, poisson_source, timed_drive


def lif_rate(I, m=CurrentLIF()):
    """Analytic rate of a current-driven LIF neuron (time to threshold plus refractoriness)."""
    v_inf = m.E_L + m.R_m * I
    return 1 / (m.tau_ref + m.tau_m * np.log((v_inf - m.V_reset) / (v_inf - m.V_th)))


def test_current_lif_rate_matches_the_analytic_f_i_curve():
    drives = np.array([0.25, 0.3, 0.4]) * nA
    c = Circuit("fi")
    E = c.population("E", CurrentLIF(), 3, I_ext=drives)
    mon = SpikeMonitor(E)
    net = c.network()
    net.add(mon)
    net.run(2 * second, namespace={})
    measured = np.bincount(mon.i, minlength=3) / 2.0
    expected = np.array([float(lif_rate(I) / Hz) for I in drives])
    np.testing.assert_allclose(measured, expected, rtol=0.03)


def test_conductance_lif_rests_at_leak_reversal_without_input():
    c = Circuit("rest")
    E = c.population("E", ConductanceLIF(), 2, I_ext=0 * pA, v=-55 * mV)
    c.network().run(200 * ms, namespace={})
    np.testing.assert_allclose(np.asarray(E.v / mV), -60.0, atol=0.05)


def test_rate_neuron_rectified_output_follows_gain_and_bias():
    c = Circuit("rate")
    U = c.population("U", RateNeuron(transfer="rectified", tau_u=1 * ms, gain=2.0, bias=-0.5), 3,
                     I=np.array([0.0, 0.5, 1.0]))
    c.network().run(30 * ms, namespace={})
    np.testing.assert_allclose(np.asarray(U.y), [0.0, 0.5, 1.5], atol=1e-6)


def test_model_parameter_in_wrong_unit_names_the_parameter():
    with pytest.raises(DimensionMismatchError, match="tau_m"):
        CurrentLIF(tau_m=20 * mV)
    with pytest.raises(ValueError, match="V_reset"):
        CurrentLIF(V_reset=-40 * mV)
    with pytest.raises(ValueError, match="transfer"):
        RateNeuron(transfer="tanh")


def test_weight_in_wrong_unit_is_refused_before_running():
    c = Circuit("w")
    E = c.population("E", CurrentLIF(), 2)
    src = c.add(poisson_source(3, 5 * Hz, name="src_w"))
    with pytest.raises(DimensionMismatchError, match="weight"):
        c.connect(src, E, "exc", weight=1 * nS)
    with pytest.raises(ValueError, match="role"):
        c.connect(src, E, "modulatory", weight=1 * pA)


def test_mechanisms_that_disagree_on_a_shared_parameter_are_refused():
    c = Circuit("clash")
    with pytest.raises(ValueError, match="target_rate"):
        c.population("E", CurrentLIF(), 2, [AdaptiveThreshold(target_rate=5 * Hz),
                                            SynapticScaling(target_rate=8 * Hz)])


def test_mechanism_without_its_synapses_is_reported():
    c = Circuit("nosyn")
    c.population("E", CurrentLIF(), 2, [SynapticScaling()])
    with pytest.raises(ValueError, match="exc"):
        c.network()


def test_istdp_learning_rate_must_match_the_model_weight_unit():
    with pytest.raises(DimensionMismatchError, match="eta"):
        Circuit("u").population("E", CurrentLIF(), 2, [InhibitorySTDP(eta=0.1 * nS)])


def test_inputs_validate_their_arguments():
    with pytest.raises(DimensionMismatchError, match="rates"):
        poisson_source(3, 5 * mV)
    with pytest.raises(ValueError, match="finite"):
        timed_drive([[0.0, np.nan]], dt=1 * ms)
    with pytest.raises(ValueError, match="n must be"):
        poisson_source(0, 5 * Hz)


def test_ei_network_has_the_requested_sizes_and_connectivity():
    net = ei_network(80, 20, p=0.2, name="small")
    assert len(net.E) == 80 and len(net.I) == 20
    n_ee = len(net.synapses["EE"])
    assert abs(n_ee - 0.2 * 80 * 80) < 4 * np.sqrt(0.2 * 0.8 * 80 * 80)
    with pytest.raises(ValueError, match="probability"):
        ei_network(10, 5, p=1.5)
