"""The exact integration kept on disk: the same code as Brian2's, derived once per equations."""
import numpy as np
import pytest
from brian2 import Equations, Mohm, Network, NeuronGroup, TimedArray, linear, ms, mV, start_scope

from homeostasis.models import Circuit, CurrentLIF, assemble
from homeostasis.models.integration import cached_exact

# Two coupled linear equations (a current that decays into the membrane): sympy's exact solution.
EQS_TEXT = """dv/dt = (E - v + R * I) / tau_m : volt
              dI/dt = -I / tau_s : amp"""
EQS = Equations(EQS_TEXT)
NAMESPACE = dict(E=-70 * mV, R=100 * Mohm, tau_m=10 * ms, tau_s=5 * ms)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("HOMEOSTASIS_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("HOMEOSTASIS_CACHE", raising=False)
    return tmp_path / "integration"


def _variables(eqs, namespace=NAMESPACE):
    start_scope()
    G = NeuronGroup(1, eqs, namespace=namespace, method="exact")
    return G.resolve_all(set(eqs.identifiers) | set(eqs.names) | {"dt"}, namespace)


def test_same_code_as_brian2_and_written_once(cache):
    variables = _variables(EQS)
    code = cached_exact(EQS, variables)
    assert code == linear(EQS, variables)
    files = list(cache.iterdir())
    assert len(files) == 1 and files[0].read_text() == code
    # The second call reads the file: a marker written into it comes back.
    files[0].write_text(code + "\n# read from disk")
    assert cached_exact(EQS, variables).endswith("# read from disk")


def test_a_different_equation_or_kind_of_name_is_another_entry(cache):
    variables = _variables(EQS)
    cached_exact(EQS, variables)
    other = Equations("dv/dt = (E - v) / tau_m : volt")
    assert cached_exact(other, _variables(other)) == linear(other, _variables(other))
    # the same equations with tau_s a per-neuron variable instead of a namespace constant
    per_neuron = Equations(EQS_TEXT + "\ntau_s : second (constant)")
    variables = _variables(per_neuron, {k: v for k, v in NAMESPACE.items() if k != "tau_s"})
    assert cached_exact(EQS, variables) == linear(EQS, variables)
    assert len(list(cache.iterdir())) == 3


def test_user_function_and_cache_off_keep_nothing(cache, monkeypatch):
    drive = TimedArray(np.zeros(3) * mV, dt=1 * ms)
    eqs = Equations("dv/dt = (drive(t) - v) / tau_m : volt")
    variables = _variables(eqs, dict(drive=drive, tau_m=10 * ms))
    assert cached_exact(eqs, variables) == linear(eqs, variables)
    monkeypatch.setenv("HOMEOSTASIS_CACHE", "off")
    cached_exact(EQS, _variables(EQS))
    assert not cache.exists()


def test_population_with_exact_model_runs_from_the_kept_code(cache):
    """A circuit's exact model integrates through the kept code and gives plain Brian2's result."""
    start_scope()
    circuit = Circuit("kept")
    kept = circuit.population("E", CurrentLIF(), 3, v=[-50, -55, -60] * mV)
    circuit.network().run(5 * ms)
    assert len(list(cache.iterdir())) == 1

    start_scope()
    parts = assemble(CurrentLIF())
    plain = NeuronGroup(3, parts.equations, threshold=parts.threshold, reset=parts.reset,
                        refractory=parts.refractory, method="exact", namespace=parts.namespace)
    blocks = parts.setup(plain)
    plain.v = [-50, -55, -60] * mV
    Network(plain, *blocks).run(5 * ms)
    assert np.allclose(kept.v / mV, plain.v / mV, rtol=0, atol=1e-9)
    assert np.ptp(kept.v / mV) > 1  # the three neurons did not all collapse onto one value
