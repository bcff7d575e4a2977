"""Compile once, run many: run-time parameters and the compiled-project cache on cpp_standalone.

One small model (8 LIF neurons with synaptic scaling, 40 Poisson inputs, 2 s) is compiled a few
times into a cache directory of the test's own. Each compilation takes tens of seconds;
the simulations take a fraction of a second.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from brian2 import Hz, Network, SpikeMonitor, mV, ms, nS, pA, second

import homeostasis.models.runtime
from homeostasis import AdaptiveThreshold, SynapticScaling
from homeostasis.models import Circuit, CurrentLIF, poisson_source
from homeostasis.simulations import cache
from homeostasis.simulations.backend import rerun_network, run_network, simulation, standalone_history

pytestmark = pytest.mark.standalone


def run_model(target_hz: float, rerun_hz: float | None = None, scale: str = "synapse") -> dict:
    """Spikes of a small model at ``target_hz`` (and, rerun in the same project, at ``rerun_hz``).

    ``scale`` picks the mechanism whose set point ``target_rate`` is: synaptic scaling
    (synapse scale) or an adaptive threshold (neuron scale), with a drive that suits it.
    """
    if scale == "synapse":
        name, weight, prob, seed = "cachetest", 40 * pA, 0.3, 1
        mechanism = SynapticScaling(target_rate=target_hz * Hz, tau_scaling=0.5 * second, tau_r=200 * ms)
    else:
        name, weight, prob, seed = "cachethr", 150 * pA, 0.5, 2
        mechanism = AdaptiveThreshold(target_rate=target_hz * Hz, tau_r=200 * ms, eta_threshold=2 * mV)
    standalone_history(clear=True)
    with simulation("cpp_standalone", seed=seed):
        c = Circuit(name)
        E = c.population("E", CurrentLIF(), 8, [mechanism])
        inp = c.add(poisson_source(40, 12 * Hz, name=f"{name}_input"))
        c.connect(inp, E, "exc", weight=weight, p=prob)
        spikes = SpikeMonitor(E, name=f"{name}_spikes")
        net = Network(c.network(), spikes)
        run_network(net, 2 * second, progress=False, namespace={})
        out = {"first": np.array(spikes.i).tolist()}
        if rerun_hz is not None:
            rerun_network(net, {E: {"target_rate": rerun_hz * Hz}})
            out["rerun"] = np.array(spikes.i).tolist()
    out["cached"] = [bool(p["cached"]) for p in standalone_history(clear=True)]
    return out


def rate_hz(spike_indices) -> float:
    return len(spike_indices) / 8 / 2.0


@pytest.fixture(scope="module")
def cache_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("standalone_cache")
    mp = pytest.MonkeyPatch()
    mp.setenv("HOMEOSTASIS_CACHE_DIR", str(root))
    mp.delenv("HOMEOSTASIS_CACHE", raising=False)
    mp.delenv("HOMEOSTASIS_STANDALONE_DIR", raising=False)
    mp.delenv("HOMEOSTASIS_THREADS", raising=False)
    yield root
    mp.undo()


@pytest.fixture(scope="module")
def reference(cache_root):
    """The model at 4 Hz compiled into the cache, then run again there at 9 Hz."""
    return run_model(4.0, rerun_hz=9.0)


def test_run_time_values_give_the_results_of_a_build_with_those_constants(cache_root, reference, monkeypatch):
    assert reference["cached"] == [False]
    # the new value reaches the binary: the rate follows the set point (2 s is too short
    # to settle fully; about 3 Hz and 7 Hz)
    assert rate_hz(reference["rerun"]) > 1.8 * rate_hz(reference["first"])
    hit = run_model(9.0)  # a new process-level run: the binary comes from the cache
    assert hit["cached"] == [True]
    # a fresh project with 9 Hz written into the code as a constant, not cached
    monkeypatch.setattr(homeostasis.models.runtime, "RUNTIME_PARAMETERS", False)
    monkeypatch.setenv("HOMEOSTASIS_CACHE", "off")
    constant = run_model(9.0)
    assert constant["cached"] == [False]
    assert hit["first"] == constant["first"]
    assert reference["rerun"] == constant["first"]



def test_a_neuron_scale_set_point_is_a_run_time_value_too(cache_root, tmp_path, monkeypatch):
    """AdaptiveThreshold's set point changes without compiling: the rate follows it, and the
    project compiled for 3 Hz and run at 9 Hz spikes as the one compiled for 9 Hz does."""
    # a cache of its own: the corrupted-entry tests expect the module's cache to hold one entry
    monkeypatch.setenv("HOMEOSTASIS_CACHE_DIR", str(tmp_path / "cache"))
    low = run_model(3.0, rerun_hz=9.0, scale="neuron")
    assert rate_hz(low["rerun"]) > 1.8 * rate_hz(low["first"])
    high = run_model(9.0, rerun_hz=3.0, scale="neuron")  # same structure: from the cache
    assert high["cached"] == [True]
    assert high["first"] == low["rerun"] and low["first"] == high["rerun"]

def test_a_network_scale_set_point_and_learning_rate_are_run_time_values(tmp_path, monkeypatch):
    """InhibitorySTDP's eta and alpha (from target_rate) are read by the I->E synapses from
    the postsynaptic population: another set point runs the same binary, with the spikes of
    a fresh build that holds it as a constant."""
    from homeostasis.simulations.experiments.network_homeostasis import simulate_network

    monkeypatch.setenv("HOMEOSTASIS_CACHE_DIR", str(tmp_path / "cache"))
    for name in ("HOMEOSTASIS_CACHE", "HOMEOSTASIS_STANDALONE_DIR", "HOMEOSTASIS_THREADS"):
        monkeypatch.delenv(name, raising=False)

    def run(hz, eta_ns=0.04):
        standalone_history(clear=True)
        sim = simulate_network("istdp", target_rate=hz * Hz, eta=eta_ns * nS, n_e=160, n_i=40, inhibitory_inputs=20,
                               n_background=100, learn=0.6 * second, perturb=0.4 * second, seed=2,
                               backend="cpp_standalone")
        (t,) = standalone_history(clear=True)
        return sim, t["cached"]

    low, cached = run(3.0)
    assert not cached
    high, cached = run(12.0)
    assert cached  # a new set point: no compilation
    slow, cached = run(12.0, eta_ns=0.004)
    assert cached  # a new learning rate: no compilation either
    # the set point moves the inhibitory weights: less inhibition for a higher set point
    assert high["w_ie_nS"][-1] < low["w_ie_nS"][-1]
    # and the learning rate sets the speed: a tenth of the rate, a fraction of the first change
    first_step = lambda sim: abs(sim["w_ie_nS"][1] - sim["w_ie_nS"][0])  # noqa: E731 - after 250 ms
    assert first_step(high) > 4 * first_step(slow), (first_step(high), first_step(slow))
    monkeypatch.setattr(homeostasis.models.runtime, "RUNTIME_PARAMETERS", False)
    constant, cached = run(12.0)
    assert not cached  # another structure: the values are constants of its code
    np.testing.assert_array_equal(constant["spike_i"], high["spike_i"])
    np.testing.assert_array_equal(constant["spike_t"], high["spike_t"])
    np.testing.assert_array_equal(constant["w_ie_nS"], high["w_ie_nS"])


def test_controller_and_synapse_parameters_are_run_time_values(tmp_path, monkeypatch):
    """A network-scale controller's set point and time constant (GlobalHomeostasis), a
    synapse-scale total (WeightSumNormalization) and a Hebbian rule's amplitudes and bound
    (TripletSTDP) are run-time values: new ones run the same binary, with the spikes and
    weights of a fresh build that holds them as constants."""
    from homeostasis import GlobalHomeostasis, WeightSumNormalization
    from homeostasis.models.hebbian import TripletSTDP

    monkeypatch.setenv("HOMEOSTASIS_CACHE_DIR", str(tmp_path / "cache"))
    for name in ("HOMEOSTASIS_CACHE", "HOMEOSTASIS_STANDALONE_DIR", "HOMEOSTASIS_THREADS"):
        monkeypatch.delenv(name, raising=False)

    def run(target_hz, tau_s, total_pa, a3_pa):
        standalone_history(clear=True)
        with simulation("cpp_standalone", seed=4):
            c = Circuit("rtctl")
            E = c.population("E", CurrentLIF(), 10, [
                GlobalHomeostasis(target_rate=target_hz * Hz, tau_global=tau_s * second, tau_r=100 * ms),
                WeightSumNormalization(w_total=total_pa * pA, interval=100 * ms)])
            exc = c.add(poisson_source(40, 15 * Hz, name="rtctl_exc"))
            inh = c.add(poisson_source(20, 20 * Hz, name="rtctl_inh"))
            S = c.connect(exc, E, "exc", weight="rand() * 40 * pA",
                          plasticity=[TripletSTDP(A3_plus=a3_pa * pA, A2_minus=0.5 * pA, w_max=80 * pA)])
            c.connect(inh, E, "inh", weight=30 * pA, p=0.5)
            spikes = SpikeMonitor(E, name="rtctl_spikes")
            net = Network(c.network(), spikes)
            run_network(net, 1.5 * second, progress=False, namespace={})
            out = {"i": np.array(spikes.i), "t": np.array(spikes.t / ms), "w": np.array(S.w / pA),
                   "g": np.array(E.g_global)}
        (history,) = standalone_history(clear=True)
        return out, history["cached"]

    first, cached = run(5.0, 1.0, 300.0, 2.0)
    assert not cached
    new, cached = run(12.0, 0.5, 500.0, 6.0)
    assert cached  # every value new: no compilation
    # the values reached the binary: each neuron's inputs sum to the new total (up to the
    # plasticity since the last rescale), and the gain moved otherwise
    assert first["w"].sum() == pytest.approx(10 * 300.0, rel=0.05)
    assert new["w"].sum() == pytest.approx(10 * 500.0, rel=0.05)
    assert not np.array_equal(first["g"], new["g"])
    monkeypatch.setattr(homeostasis.models.runtime, "RUNTIME_PARAMETERS", False)
    constant, cached = run(12.0, 0.5, 500.0, 6.0)
    assert not cached  # another structure: the values are constants of its code
    for key in ("i", "t", "w", "g"):
        np.testing.assert_array_equal(constant[key], new[key])


#: What the cache directory holds besides compiled projects.
DERIVED = ("integration", "templates", "compiler-flags.json", "locks")


def _entry(cache_root) -> Path:
    entries = [p for p in cache_root.iterdir() if not p.name.startswith(".") and p.name not in DERIVED]
    assert len(entries) == 1, entries
    return entries[0]


@pytest.mark.parametrize("damage", ["flipped byte", "binary that fails"])
def test_a_corrupted_cache_entry_is_detected_and_rebuilt(cache_root, reference, damage):
    entry = _entry(cache_root)
    binary = entry / "main"
    if damage == "flipped byte":  # the checksum no longer matches
        data = bytearray(binary.read_bytes())
        data[len(data) // 2] ^= 0xFF
        binary.write_bytes(bytes(data))
    else:  # consistent checksum, but the binary fails when it runs
        binary.write_text("#!/bin/sh\nexit 3\n")
        meta = json.loads((entry / "entry.json").read_text())
        meta["sha256"] = cache._sha256(binary)
        (entry / "entry.json").write_text(json.dumps(meta))
    again = run_model(4.0)
    assert again["first"] == reference["first"]  # compiled again: the same result
    assert again["cached"] == [False]
    rebuilt = _entry(cache_root)
    assert cache._sha256(rebuilt / "main") == json.loads((rebuilt / "entry.json").read_text())["sha256"]
    assert run_model(4.0)["cached"] == [True]  # and the new entry serves the next run


def _start(hz, cache_dir):
    env = dict(os.environ, HOMEOSTASIS_CACHE_DIR=str(cache_dir))
    code = ("import json, sys; sys.path.insert(0, {here!r}); from test_standalone_cache import run_model; "
            "print(json.dumps(run_model({hz})))")
    return subprocess.Popen([sys.executable, "-c", code.format(here=str(Path(__file__).parent), hz=hz)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _result(proc) -> dict:
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err[-2000:]
    return json.loads(out.strip().splitlines()[-1])


def test_two_processes_using_the_cache_at_once_both_get_correct_results(tmp_path):
    """Both miss an empty cache at once: one compiles, the other waits for it and takes its
    binary from the cache.

    Correct means what a process alone, with a cache of its own, computes. (The reference is
    a fresh process, not this one: in one CI run the pytest worker, after many other tests,
    drew other spike trains from the same seed than fresh processes did; not reproduced since.)
    """
    alone = [_result(p) for p in [_start(hz, tmp_path / f"alone_{hz}") for hz in (4.0, 9.0)]]
    assert alone[0]["first"] != alone[1]["first"]  # the two parameter values give different runs
    results = [_result(p) for p in [_start(hz, tmp_path / "cache") for hz in (4.0, 9.0)]]
    assert results[0]["first"] == alone[0]["first"]
    assert results[1]["first"] == alone[1]["first"]
    # compiled once: the same code is not compiled twice on the same cores at the same time
    assert sorted(r["cached"] for r in results) == [[False], [True]]
    entries = [p for p in (tmp_path / "cache").iterdir() if p.name not in DERIVED]
    assert [p.name.startswith(".") for p in entries] == [False]  # one complete entry, no leftovers
    assert _check_entry(entries[0])
    # both wrote the compiler flags they checked: one whole file
    assert json.loads((tmp_path / "cache" / "compiler-flags.json").read_text())
    # both derived the neurons' integration and wrote it there: one whole file, no leftovers
    assert [p.suffix for p in (tmp_path / "cache" / "integration").iterdir()] == [".txt"]


def test_a_process_waits_for_the_compilation_of_its_key_and_an_interrupt_stops_the_wait(tmp_path, monkeypatch):
    monkeypatch.setenv("HOMEOSTASIS_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(cache, "LOCK_POLL_S", 0.01)
    polls = []

    def interrupt_on_the_third_poll():
        polls.append(1)
        if len(polls) == 3:
            raise KeyboardInterrupt

    with cache.compiling("k" * 32):  # another compilation of the key holds it (a lock of its own)
        with cache.compiling("j" * 32, lambda: pytest.fail("waited for another key")):
            pass
        with pytest.raises(KeyboardInterrupt), cache.compiling("k" * 32, interrupt_on_the_third_poll):
            pytest.fail("entered while the key was being compiled")
    assert len(polls) == 3
    with cache.compiling("k" * 32, lambda: pytest.fail("waited for a released lock")):
        pass


def test_a_compilation_lock_is_released_when_its_process_dies(tmp_path, monkeypatch):
    monkeypatch.setenv("HOMEOSTASIS_CACHE_DIR", str(tmp_path))
    code = ("import sys, time; from homeostasis.simulations import cache\n"
            "with cache.compiling(sys.argv[1]):\n    print('held', flush=True); time.sleep(600)")
    holder = subprocess.Popen([sys.executable, "-c", code, "k" * 32], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        polls = []

        def give_up():
            polls.append(1)
            if len(polls) > 5:
                raise TimeoutError

        with pytest.raises(TimeoutError), cache.compiling("k" * 32, give_up):
            pass  # held by the living process
        holder.kill()  # a compiler's process killed, as by the out-of-memory killer
        holder.wait(timeout=30)
        with cache.compiling("k" * 32, lambda: pytest.fail("waited for a dead process")):
            pass
    finally:
        holder.kill()
        holder.stdout.close()


def _check_entry(entry: Path) -> bool:
    return cache._sha256(entry / "main") == json.loads((entry / "entry.json").read_text())["sha256"]


def test_cache_info_lists_entries_and_clear_removes_them(tmp_path, monkeypatch, capsys):
    from homeostasis.simulations.cli import main

    monkeypatch.setenv("HOMEOSTASIS_CACHE_DIR", str(tmp_path))
    binary = tmp_path / "main"
    binary.write_bytes(b"\x7fELF not really")
    assert cache.publish("a" * 32, binary, threads=0) and cache.publish("b" * 32, binary, threads=2)
    assert not cache.publish("a" * 32, binary, threads=0)  # the first one stays
    (tmp_path / ".leftover.partial").mkdir()  # an interrupted publication
    (tmp_path / "integration").mkdir()  # the integration cache (test_integration_cache.py)
    for name in ("c1.txt", "c2.txt"):
        (tmp_path / "integration" / name).write_text("checksum\ncode")
    (tmp_path / "templates" / "brian2-x").mkdir(parents=True)  # test_template_cache.py
    (tmp_path / "templates" / "brian2-x" / "__jinja2_0.cache").write_bytes(b"j2")
    (tmp_path / "compiler-flags.json").write_text("{}")  # test_compiler_flags.py
    with cache.compiling("c" * 32):  # a compilation's lock
        pass
    assert (tmp_path / "locks" / ("c" * 32)).exists()
    assert main(["cache", "info"]) == 0
    out = capsys.readouterr().out
    assert "2 compiled projects" in out and "a" * 32 in out and "threads 2" in out
    listed = out.split("\n", 1)[1]
    assert "2 integrations" in out and not any(name in listed for name in DERIVED)  # not listed as projects
    assert main(["cache", "clear"]) == 0
    assert "removed 2 compiled projects and 2 integrations" in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == ["main"]


@pytest.mark.parametrize("argv", [["--threads", "0", "--backend", "cpp_standalone"], ["--threads", "2"]])
def test_threads_is_checked_before_anything_runs(argv, capsys):
    from homeostasis.simulations.cli import main

    assert main(["run", "synaptic-scaling", "--quick", *argv]) == 2
    assert "--threads" in capsys.readouterr().err
    assert "HOMEOSTASIS_THREADS" not in os.environ


def test_openmp_threads_spin_briefly_at_barriers_unless_the_user_chose(monkeypatch):
    """OMP_WAIT_POLICY=PASSIVE made two threads 30x slower than one on idle cores; an unbounded
    spin starves a partner thread on busy ones (measured in docs/cli.md): a short spin is set,
    and a user's own OpenMP setting is left alone."""
    import brian2

    for name in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT"):
        monkeypatch.delenv(name, raising=False)
    with simulation("cpp_standalone", threads=2):
        env = dict(brian2.device.run_environment_variables)
    assert env.get("GOMP_SPINCOUNT") == "20000" and "OMP_WAIT_POLICY" not in env
    with simulation("cpp_standalone", threads=1):  # one thread meets no partner at a barrier
        assert "GOMP_SPINCOUNT" not in brian2.device.run_environment_variables
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    with simulation("cpp_standalone", threads=2):
        env = dict(brian2.device.run_environment_variables)
    assert "GOMP_SPINCOUNT" not in env and "OMP_WAIT_POLICY" not in env  # inherited from the user's environment
