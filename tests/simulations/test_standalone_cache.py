"""Compile once, run many on cpp_standalone: kept build directories, run-time parameters, seeds.

Two structures are compiled once per test session (session-scoped fixtures) into the session's
cache directory (tests/conftest.py): a small circuit with synaptic scaling and a toy group.
Every other run reuses those builds, and the tests check with numbers that it did.
"""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from brian2 import Hz, Network, NeuronGroup, SpikeMonitor, ms, pA, second

from homeostasis import SynapticScaling
from homeostasis.models import Circuit, CurrentLIF, brian2_compat, poisson_source
from homeostasis.models.runtime import set_parameter
from homeostasis.simulations import cache
from homeostasis.simulations.backend import (rerun_network, run_network, simulation, standalone_history,
                                             standalone_timings)

pytestmark = pytest.mark.standalone
N = 20


def run_scaling(target_hz: float, rerun_hz: float | None = None) -> dict:
    """Spikes of 8 LIF neurons with synaptic scaling at ``target_hz`` (and rerun at ``rerun_hz``)."""
    standalone_history(clear=True)
    with simulation("cpp_standalone", seed=1):
        c = Circuit("cachetest")
        E = c.population("E", CurrentLIF(), 8, [SynapticScaling(target_rate=target_hz * Hz, tau_scaling=0.5 * second,
                                                                tau_r=200 * ms)])
        c.connect(c.add(poisson_source(40, 12 * Hz, name="cachetest_input")), E, "exc", weight=40 * pA, p=0.3)
        spikes = SpikeMonitor(E, name="cachetest_spikes")
        net = Network(c.network(), spikes)
        run_network(net, 2 * second, progress=False, namespace={})
        out = {"first": np.array(spikes.i)}
        if rerun_hz is not None:
            rerun_network(net, {E: {"target_rate": rerun_hz * Hz}})
            out["rerun"] = np.array(spikes.i)
    out["history"] = standalone_history(clear=True)
    return out


def rate_hz(spike_indices) -> float:
    return len(spike_indices) / 8 / 2.0  # counted from the spikes of the last 2 s run


TOY = """dv/dt = (drive - v) / (10*ms) + 0.3 * xi / sqrt(10*ms) : 1
drive : 1 (shared, constant)
v_th : 1 (constant)"""


def run_toy(drive=1.2, v_th=1.0, seed=1, directory=None, rerun=None, constants=False) -> dict:
    """Spike counts per neuron of a noisy toy group with run-time ``drive`` (shared) and ``v_th``
    (per neuron), 0.5 s; ``rerun`` is another drive for a second run of the same binary.
    ``constants``: both written into the code instead (``drive`` a namespace constant)."""
    standalone_history(clear=True)
    with simulation("cpp_standalone", seed=seed, directory=directory, project="toy"):
        eqs = TOY.replace("drive : 1 (shared, constant)\n", "") if constants else TOY
        g = NeuronGroup(N, eqs, threshold="v > v_th", reset="v = 0", method="euler", name="toy_g",
                        namespace={"drive": drive} if constants else None)
        if constants:
            g.v_th = v_th
        else:
            set_parameter(g, "drive", drive)
            set_parameter(g, "v_th", v_th)
        spikes = SpikeMonitor(g, name="toy_spikes")
        net = Network(g, spikes, name="toy_net")
        run_network(net, 500 * ms, progress=False)
        out = {"counts": np.bincount(np.asarray(spikes.i), minlength=N), "timings": standalone_timings()}
        if rerun is not None:
            rerun_network(net, {g: {"drive": rerun}})
            out["rerun"] = np.bincount(np.asarray(spikes.i), minlength=N)
    return out


def binary_mtime(timings) -> int:
    return (Path(timings["directory"]) / "main").stat().st_mtime_ns


@pytest.fixture(scope="session")
def scaling_runs():
    """The scaling circuit compiled once at 4 Hz, then run again (new block) at 8 Hz and rerun at 2 Hz."""
    first = run_scaling(4.0)
    mtime = binary_mtime(first["history"][0])
    return first, run_scaling(8.0, rerun_hz=2.0), mtime


@pytest.fixture(scope="session")
def toy_build():
    """The toy compiled once; its build directory, the binary's time and the first counts."""
    first = run_toy()
    return first, binary_mtime(first["timings"])


def test_a_new_set_point_compiles_nothing_and_the_rate_follows_it(scaling_runs):
    first, second_, mtime = scaling_runs
    assert first["history"][0]["compile"] > 1.0  # the first build compiled
    (again,) = second_["history"]
    assert again["cached"] and again["compile"] < 0.5 and again["directory"] == first["history"][0]["directory"]
    assert binary_mtime(again) == mtime  # make rebuilt nothing
    # counted from spikes, each run follows its own set point, the rerun too (2 s is too short
    # to settle fully: about 3, 5.5 and 2 Hz for set points 4, 8 and 2 Hz)
    low, mid, high = rate_hz(second_["rerun"]), rate_hz(first["first"]), rate_hz(second_["first"])
    assert high > 1.5 * mid and mid > 1.15 * low and abs(mid / 4 - 1) < 0.3


def test_shared_and_per_neuron_values_reach_the_same_binary(toy_build):
    (first, mtime), mid = toy_build, N // 2
    assert first["counts"].sum() > 50
    v_th = np.where(np.arange(N) < mid, 0.9, 5.0)  # per neuron: the upper half cannot fire
    split = run_toy(v_th=v_th, rerun=1.5)
    assert split["timings"]["cached"] and binary_mtime(split["timings"]) == mtime
    assert split["counts"][:mid].sum() > 50 and split["counts"][mid:].sum() == 0
    assert split["rerun"][:mid].sum() > 1.2 * split["counts"][:mid].sum()  # the rerun's larger drive
    assert split["rerun"][mid:].sum() == 0  # the per-neuron values stay for the rerun
    same = run_toy()  # back to the first values: the first result exactly
    np.testing.assert_array_equal(same["counts"], first["counts"])


def test_run_time_values_give_the_spikes_of_constants_in_the_code(toy_build, tmp_path):
    first, _ = toy_build
    constants = run_toy(constants=True, directory=tmp_path / "constants")
    assert not constants["timings"]["cached"]  # another project, compiled
    np.testing.assert_array_equal(constants["counts"], first["counts"])


def test_one_binary_serves_every_seed_with_brians_random_numbers(toy_build, tmp_path, monkeypatch):
    (first, mtime) = toy_build
    other = run_toy(seed=2)
    assert other["timings"]["cached"] and binary_mtime(other["timings"]) == mtime
    assert not np.array_equal(other["counts"], first["counts"])
    # the numbers of brian2.seed(1) compiled into the code, as before run-time seeds
    monkeypatch.setattr(brian2_compat, "seed_code", lambda *a, **k: None)
    compiled = run_toy(directory=tmp_path / "seeded")
    np.testing.assert_array_equal(compiled["counts"], first["counts"])


WORKER = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, {tests!r})
    from test_standalone_cache import run_toy
    out = run_toy(drive=float(sys.argv[1]), directory=sys.argv[2])
    print(json.dumps({{"counts": out["counts"].tolist(), "cached": out["timings"]["cached"]}}))
""")


def test_two_processes_on_one_build_directory_both_get_their_results(toy_build):
    first, _ = toy_build
    directory = first["timings"]["directory"]
    script = WORKER.format(tests=str(Path(__file__).parent))
    procs = [subprocess.Popen([sys.executable, "-c", script, str(d), directory], stdout=subprocess.PIPE, text=True)
             for d in (1.2, 1.6)]
    outs = [json.loads(p.communicate(timeout=300)[0].strip().splitlines()[-1]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert outs[0]["counts"] == first["counts"].tolist()  # the lock kept the other process out
    assert sum(outs[1]["counts"]) > 1.2 * sum(outs[0]["counts"])
    assert all(o["cached"] for o in outs)


def test_a_busy_build_directory_sends_a_second_process_to_the_next_slot(tmp_path, monkeypatch):
    monkeypatch.setenv("HOMEOSTASIS_CACHE_DIR", str(tmp_path))
    first, lock = cache.claim("net", "abc", 0)
    second_, lock2 = cache.claim("net", "abc", 0)
    assert first != second_ and first.name.endswith("-0") and second_.name.endswith("-1")
    lock.release()
    again, lock3 = cache.claim("net", "abc", 0)
    assert again == first
    lock2.release(), lock3.release()


def test_a_lock_is_released_when_its_process_dies_and_waiting_can_be_interrupted(tmp_path):
    path = tmp_path / "dir.lock"
    holder = subprocess.Popen([sys.executable, "-c", "import fcntl, os, sys, time\n"
                               f"fd = os.open({str(path)!r}, os.O_RDWR | os.O_CREAT)\n"
                               "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    calls = []

    def interrupt():
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cache.BuildLock(path).wait(interrupt)
    holder.kill()
    holder.wait()
    lock = cache.BuildLock(path).wait()
    assert lock.fd is not None
    lock.release()


def test_cache_info_lists_build_directories_and_clear_removes_unused_ones(tmp_path, monkeypatch, capsys):
    from homeostasis.simulations.cli import main

    monkeypatch.setenv("HOMEOSTASIS_CACHE_DIR", str(tmp_path))
    free, lock = cache.claim("free", "k1", 0)
    lock.release()
    (free / "main").write_bytes(b"x" * 1000)
    busy, held = cache.claim("busy", "k2", 0)
    (tmp_path / "integration").mkdir()
    (tmp_path / "integration" / "a.txt").write_text("v = v")
    assert main(["cache", "info"]) == 0
    out = capsys.readouterr().out
    assert "2 build directories" in out and f"{busy.name}  0.0 MB, not compiled, in use" in out
    assert "exact integration of 1 set of equations" in out
    assert main(["cache", "clear"]) == 0
    assert "removed 1 build directory" in capsys.readouterr().out
    assert not free.exists() and busy.exists()  # a directory in use is left alone
    assert not (tmp_path / "integration").exists()
    held.release()


@pytest.mark.parametrize("argv", [["--threads", "0", "--backend", "cpp_standalone"], ["--threads", "2"]])
def test_threads_is_checked_before_anything_runs(argv, capsys):
    from homeostasis.simulations.cli import main

    assert main(["run", "synaptic-scaling", "--quick", *argv]) == 2
    assert "--threads" in capsys.readouterr().err
    assert "HOMEOSTASIS_THREADS" not in os.environ


def test_openmp_threads_spin_briefly_at_barriers_unless_the_user_chose(monkeypatch):
    """A short spin at OpenMP barriers is set for several threads (docs/cli.md), and a user's own
    OpenMP setting is left alone."""
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
        assert "GOMP_SPINCOUNT" not in brian2.device.run_environment_variables
