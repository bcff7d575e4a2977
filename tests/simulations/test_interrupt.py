"""Ctrl+C aborts a run, and a simulation cut short is an error, never a result.

The command-line tests start real ``homeostasis`` processes in their own session and send
SIGINT to the whole process group, as a terminal does on Ctrl+C, while the simulation (or
the training loop) is running: they wait for the line Brian2's progress report prints when
a run starts, or for the first progress bar, before they press.
"""
import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from brian2 import Network, NeuronGroup, SpikeMonitor, ms, network_operation, second

from homeostasis.simulations import registry as reg
from homeostasis.simulations.backend import SimulationInterrupted, run_network, simulation
from homeostasis.simulations.output import _interrupts_held, run_experiment
from homeostasis.simulations.registry import Param, Result, experiment

PLUGINS = str(Path(__file__).resolve().parents[1] / "plugins")
STARTED = "Starting simulation"  # first line of Brian2's progress report


class Command:
    """A ``python -m homeostasis`` process whose standard error is read as it comes."""

    def __init__(self, *args, env=None):
        self.proc = subprocess.Popen([sys.executable, "-m", "homeostasis", *args], env=env, start_new_session=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.chunks = {"out": [], "err": []}
        self._readers = [threading.Thread(target=self._read, args=(stream, self.chunks[key]), daemon=True)
                         for stream, key in ((self.proc.stdout, "out"), (self.proc.stderr, "err"))]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _read(stream, chunks):
        # chunks, not lines: progress bars redraw with "\r" and end no line
        while chunk := os.read(stream.fileno(), 4096):
            chunks.append(chunk)

    @property
    def err(self) -> bytes:
        return b"".join(self.chunks["err"])

    @property
    def out(self) -> bytes:
        return b"".join(self.chunks["out"])

    def wait_for(self, text: str, timeout: float = 240):
        deadline = time.monotonic() + timeout
        while text.encode() not in self.err:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.proc.kill()
                pytest.fail(f"{text!r} never appeared (rc {self.proc.poll()}):\n{self.err.decode()[-3000:]}")
            time.sleep(0.05)

    def ctrl_c(self):
        os.killpg(self.proc.pid, signal.SIGINT)  # the whole group, as a terminal does

    def finish(self, timeout: float = 120) -> int:
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            raise
        for reader in self._readers:
            reader.join(10)
        return self.proc.returncode

    @property
    def message(self) -> str:
        lines = [line for line in self.err.decode().replace("\r", "\n").splitlines() if line.strip()]
        return lines[-1] if lines else ""


def _snapshot(root: Path) -> dict:
    """Every file and directory under ``root`` with the hash of its bytes."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(root.rglob("*"))}


def _earlier_result(out: Path, name: str) -> dict:
    """A stand-in for a good result of ``name`` already in ``out``; returns the snapshot."""
    (out / name).mkdir(parents=True)
    (out / name / "metrics.json").write_text(json.dumps({"earlier": True}) + "\n")
    (out / name / "data.npz").write_bytes(os.urandom(256))
    return _snapshot(out)


def test_ctrl_c_aborts_a_spiking_run_and_keeps_the_earlier_result(tmp_path):
    before = _earlier_result(tmp_path, "synaptic-scaling")
    # long phases: the run is still simulating when the test presses Ctrl+C
    run = Command("run", "synaptic-scaling", "--quick", "--set", "phase=200*second", "--set", "n_neurons=5",
                  "--out", str(tmp_path))
    run.wait_for(STARTED)
    time.sleep(1.0)
    run.ctrl_c()
    assert run.finish() == 130, run.err.decode()[-3000:]
    assert "interrupted" in run.message and "nothing was written" in run.message
    assert "Traceback" not in run.err.decode() and "stop requested" not in run.err.decode()
    assert _snapshot(tmp_path) == before  # nothing new, the earlier result byte for byte
    assert b"wrote" not in run.out


def test_ctrl_c_aborts_ann_training_and_writes_no_table(tmp_path):
    before = _earlier_result(tmp_path, "normalization-benchmark")
    run = Command("compare", "--quick", "--datasets", "digits", "--methods", "none", "batch", "--steps", "200000",
                  "--out", str(tmp_path))
    run.wait_for("benchmark (default)")  # the progress bar of the training loop
    time.sleep(1.0)
    run.ctrl_c()
    assert run.finish() == 130, run.err.decode()[-3000:]
    assert "interrupted" in run.message and "no table" in run.message
    assert "Traceback" not in run.err.decode()
    assert _snapshot(tmp_path) == before
    assert b"table" not in run.out


def test_the_status_is_130_when_the_interrupt_crossed_a_string_eval(tmp_path):
    # sympy and Brian2 evaluate strings; a Ctrl+C landing in one is rare in time but leaves
    # CPython set to end `python -m` by SIGINT (status -2). Here it lands there every time.
    (tmp_path / "interrupted_in_eval.py").write_text(
        "import sys\n"
        "from homeostasis.simulations import cli\n"
        "cli._list = lambda: eval('(_ for _ in ()).throw(KeyboardInterrupt)', {})\n"
        "sys.exit(cli.console())\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "interrupted_in_eval", "list"], env=env, capture_output=True,
                          timeout=120)
    assert done.returncode == 130, done.stderr.decode()[-3000:]
    assert "interrupted (Ctrl+C)" in done.stderr.decode()


# make test-all: in the default suite a Ctrl+C on a sweep is pressed during its compilation
# (status 130, one line, no report of make) and a killed sweep resumes without recomputing
# its finished points (test_sweep.py); this one presses it while points simulate (42 s of CPU)
@pytest.mark.slow
def test_ctrl_c_stops_a_sweep_keeps_finished_points_and_a_rerun_finishes_the_rest(tmp_path):
    env = dict(os.environ, HOMEOSTASIS_EXPERIMENTS="interrupt_toys",
               PYTHONPATH=PLUGINS + os.pathsep + os.environ.get("PYTHONPATH", ""))
    # 10 s of this toy take about 3.5 s on an idle core (3 s took 1.1 s, and a CI run once
    # finished the whole sweep in the second the test waits below before pressing)
    args = ["sweep", "toy-network", "--grid", "value=1,2,3,4,5", "--grid", "duration=10*second", "--grid", "n=50",
            "--workers", "2", "--no-progress", "--out", str(tmp_path)]
    points = tmp_path / "toy-network" / "points"
    sweep = Command(*args, env=env)
    deadline = time.monotonic() + 240
    while len(list(points.glob("*/seed-0/toy-network/metrics.json"))) < 2:
        assert time.monotonic() < deadline and sweep.proc.poll() is None, sweep.err.decode()[-3000:]
        time.sleep(0.1)
    time.sleep(1.0)  # the next two points are simulating now
    sweep.ctrl_c()
    assert sweep.finish() == 130, sweep.err.decode()[-3000:]
    assert "interrupted" in sweep.message and "rerun" in sweep.message
    assert "Traceback" not in sweep.err.decode()

    done = {p: p.stat().st_mtime_ns for p in points.glob("*/seed-0/toy-network/metrics.json")}
    assert 2 <= len(done) < 5
    for path in done:  # a point marked done is a complete result
        assert json.loads(path.read_text())["spike_count"] > 0
    assert not list(tmp_path.rglob("*.partial")) and not list(tmp_path.rglob("error.json"))
    assert not (tmp_path / "toy-network" / "summary.csv").exists()

    rerun = Command(*args, env=env)
    assert rerun.finish(timeout=300) == 0, rerun.err.decode()[-3000:]
    assert f"({len(done)} already done)" in rerun.out.decode()
    assert all(path.stat().st_mtime_ns == mtime for path, mtime in done.items())  # not recomputed
    assert len(list(points.glob("*/seed-0/toy-network/metrics.json"))) == 5


def _log_lost_connections(marker: str):
    """What a worker's Dask and tornado log when their scheduler is gone (run on a worker)."""
    import logging

    try:
        raise ConnectionError("Stream is closed")
    except ConnectionError:
        logging.getLogger("distributed.worker").warning("%s heartbeat failed", marker, exc_info=True)
        logging.getLogger("tornado.application").error("%s exception in callback", marker, exc_info=True)


def test_an_interrupted_sweep_leaves_its_workers_silent_about_the_closing_cluster(capfd):
    """A worker whose heartbeat meets the closed scheduler must not print its traceback.

    CI once saw that traceback on the interrupted sweep above: the worker logged it into the
    terminal the command shares with it. The race is rare, so this test logs what such a
    worker logs, before (the control) and after the interrupt reached it.
    """
    from dask.distributed import Client, LocalCluster

    from homeostasis.simulations.sweep import interrupt_points

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        client.run(_log_lost_connections, "before-interrupt")
        assert list(client.run(interrupt_points).values()) == [0]  # no point was running
        client.run(_log_lost_connections, "after-interrupt")
    err = capfd.readouterr().err
    assert err.count("before-interrupt") == 2 and "Traceback" in err  # a worker's log reaches the terminal
    assert "after-interrupt" not in err


def _group(pgid: int) -> list:
    """Processes alive in process group ``pgid`` (zombies excluded)."""
    alive = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                alive.append(int(entry.name))
    return alive


@pytest.mark.parametrize("to", ["group", "command"])
def test_ctrl_c_stops_figures_and_its_workers_without_partial_results(tmp_path, to):
    """``to``: SIGINT to the process group (a terminal's Ctrl+C) or to the command alone."""
    # synaptic-scaling is submitted last, so it cannot have started when the test presses
    before = _earlier_result(tmp_path, "synaptic-scaling")
    figures = Command("figures", "--quick", "--jobs", "2", "--no-progress", "--out", str(tmp_path))
    deadline = time.monotonic() + 120
    while len(_group(figures.proc.pid)) < 3:  # the command and its two workers
        assert time.monotonic() < deadline and figures.proc.poll() is None, figures.err.decode()[-3000:]
        time.sleep(0.1)
    time.sleep(5.0)
    if to == "group":
        figures.ctrl_c()
    else:  # the command must stop its workers itself
        os.kill(figures.proc.pid, signal.SIGINT)
    assert figures.finish() == 130, figures.err.decode()[-3000:]
    assert "interrupted" in figures.message and "Traceback" not in figures.err.decode()
    time.sleep(0.5)
    assert _group(figures.proc.pid) == []  # no worker left running
    after = _snapshot(tmp_path)
    assert {k: v for k, v in after.items() if k.startswith("synaptic-scaling")} == before
    # anything else is a complete result of an experiment that finished before the press
    finished = {k.split("/")[0] for k in after if not k.startswith("synaptic-scaling")}
    assert all(f"{name}/metrics.json" in after and name in figures.message for name in finished)
    assert not [k for k in after if ".partial" in k or ".old" in k]


# -- a simulation stopped by anything else than its end is an error -----------------------------


def _network(stop_at=None):
    g = NeuronGroup(20, "dv/dt = (1.2 - v) / (10*ms) : 1", threshold="v > 1", reset="v = 0", method="exact")
    spikes = SpikeMonitor(g)
    net = Network(g, spikes)
    if stop_at is not None:
        @network_operation(dt=1 * ms)
        def halt(t):
            if t >= stop_at:
                net.stop()
        net.add(halt)
    return net, spikes


def _compiling(pgid: int) -> bool:
    """Whether ``make`` or a compiler runs in process group ``pgid``."""
    for pid in _group(pgid):
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() in ("make", "cc1plus"):
                return True
        except OSError:
            continue
    return False


@pytest.mark.standalone
@pytest.mark.parametrize("command", ["run", "sweep"])
def test_ctrl_c_during_a_compilation_prints_one_line_and_no_report_of_make(tmp_path, command):
    """``make`` reports every job a Ctrl+C stopped, and Brian2 prints that report when a
    compilation fails: twenty lines around the command's one-line message."""
    env = dict(os.environ, HOMEOSTASIS_CACHE_DIR=str(tmp_path / "cache"))
    env.pop("HOMEOSTASIS_CACHE", None)
    env.pop("HOMEOSTASIS_STANDALONE_DIR", None)
    args = ["--quick", "--backend", "cpp_standalone", "--no-progress", "--out", str(tmp_path / "out")]
    if command == "run":
        proc = Command("run", "synaptic-scaling", *args, env=env)
    else:
        proc = Command("sweep", "synaptic-scaling", "--grid", "target_rate=3*Hz,6*Hz", "--workers", "2", *args, env=env)
    deadline = time.monotonic() + 240
    while not _compiling(proc.proc.pid):
        assert time.monotonic() < deadline and proc.proc.poll() is None, proc.err.decode()[-3000:]
        time.sleep(0.05)
    time.sleep(2.0)  # make has started its jobs
    proc.ctrl_c()
    assert proc.finish() == 130, proc.err.decode()[-3000:]
    lines = [line for line in proc.err.decode().splitlines() if line.strip()]
    assert len(lines) == 1 and "interrupted" in lines[0], lines[:30]
    deadline = time.monotonic() + 10  # terminated compilers take a moment to exit
    while _compiling(proc.proc.pid):
        assert time.monotonic() < deadline, "a compiler is left running"
        time.sleep(0.1)


def test_a_failed_compilations_output_is_printed_and_an_interrupted_ones_is_not(capfd):
    from homeostasis.simulations.backend import _compiler_output_held

    def compile_(failure):
        os.write(1, b"g++ -c main.cpp\n")
        os.write(2, b"make: *** [makefile:30: main.o] Interrupt\n")
        if failure is not None:
            raise failure

    for failure, shown in [(None, True), (RuntimeError("main.cpp:3: error: 'x' was not declared"), True),
                           (KeyboardInterrupt(), False),
                           # make killed by SIGINT: Brian2 reports its raw wait status
                           (RuntimeError(f"Project compilation failed (error code: {int(signal.SIGINT)})."), False)]:
        try:
            with _compiler_output_held():
                compile_(failure)
        except (RuntimeError, KeyboardInterrupt) as err:
            assert err is failure
        captured = capfd.readouterr()
        assert ("main.o] Interrupt" in captured.err) == shown, failure
        assert ("g++ -c main.cpp" in captured.out) == shown and "g++" not in captured.err  # each to its own stream


def test_run_network_raises_when_the_network_is_stopped_early():
    with simulation("numpy"):
        net, _ = _network(stop_at=30 * ms)
        with pytest.raises(SimulationInterrupted, match="stopped at t = 0.03"):
            run_network(net, 100 * ms, progress=False)
    with simulation("numpy"):  # the control: the same network, not stopped
        net, spikes = _network()
        run_network(net, 100 * ms, progress=False)
        assert abs(float(net.t / ms) - 100) < 1e-9 and spikes.num_spikes > 0


def test_run_network_raises_when_a_later_run_is_cut_short():
    with simulation("numpy"):
        net, _ = _network(stop_at=150 * ms)  # stops inside the second run
        run_network(net, 100 * ms, progress=False)
        with pytest.raises(SimulationInterrupted, match=r"stopped at t = 0\.15\d* s of 0\.2 s"):
            run_network(net, 100 * ms, progress=False)


# cython is in make test-all only (it compiled for 150-320 s in make test): its run loop is
# Network.run's Python loop, the one the numpy tests above stop early; the break-off of
# Brian2's time limit is checked here on cpp_standalone, where the loop is compiled
@pytest.mark.parametrize("backend", [
    pytest.param("cython", marks=[pytest.mark.compiled, pytest.mark.slow]),
    pytest.param("cpp_standalone", marks=pytest.mark.standalone)])
def test_run_network_raises_on_compiled_targets_when_the_run_breaks_off(backend):
    import brian2

    # Brian2's own time limit (the same break as a stop request) works on every target,
    # the standalone binary included; stop() needs Python and does not reach it
    with simulation(backend, project="interrupt_check"):
        brian2.get_device()._set_maximum_run_time(0.2 * second)
        try:
            net, _ = _network()
            with pytest.raises(SimulationInterrupted, match="stopped at"):
                run_network(net, 5000 * second, progress=False, namespace={})
        finally:
            brian2.get_device()._set_maximum_run_time(None)


@pytest.fixture
def stopping_toy():
    """A registered experiment whose simulation is stopped halfway by a network operation."""
    @experiment("toy-stopped", "Stops its own simulation (tests).", params=[
        Param("stop", True, None, "stop halfway")], figure=False, required_metrics=["spike_count"])
    def toy(p, ctx):
        with simulation(ctx.backend):
            net, spikes = _network(stop_at=50 * ms if p.stop else None)
            run_network(net, 100 * ms, progress=ctx.progress)
            return Result({"spike_count": int(spikes.num_spikes)})

    yield "toy-stopped"
    reg._REGISTRY.pop("toy-stopped", None)


def test_a_run_stopped_early_writes_nothing_and_keeps_the_earlier_result(stopping_toy, tmp_path):
    good = run_experiment(stopping_toy, {"stop": "false"}, out=tmp_path, progress=False)
    before = _snapshot(tmp_path)
    assert json.loads((good / "metrics.json").read_text())["spike_count"] > 0
    with pytest.raises(SimulationInterrupted):
        run_experiment(stopping_toy, {"stop": "true"}, out=tmp_path, progress=False)
    assert _snapshot(tmp_path) == before


def test_no_progress_silences_brians_report(capfd):
    with simulation("numpy"):
        run_network(_network()[0], 20 * ms, progress=False)
    assert capfd.readouterr().err == ""
    with simulation("numpy"):
        run_network(_network()[0], 20 * ms, progress=True)
    err = capfd.readouterr().err
    assert STARTED in err and "(100%)" in err and len(err.splitlines()) == 2


def test_a_ctrl_c_during_the_final_swap_is_held_until_the_result_is_in_place():
    # a process where Ctrl+C raises KeyboardInterrupt (one started in the background of a
    # shell script has SIGINT ignored instead)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            with _interrupts_held():
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.05)  # a signal is handled between bytecodes: it had its chance
                reached = True
        assert reached
    finally:
        signal.signal(signal.SIGINT, previous)


def test_a_held_ctrl_c_goes_past_brians_handler_when_sigint_was_ignored():
    """Brian2's handler calls the handler it found at import even when that is SIG_IGN."""
    class BrianLike:  # what brian2._InterruptHandler holds in a process started with SIGINT ignored
        previous_handler = signal.SIG_IGN

        def __call__(self, signum, frame):
            self.previous_handler(signum, frame)  # TypeError: 'Handlers' object is not callable

    previous = signal.signal(signal.SIGINT, BrianLike())
    try:
        with _interrupts_held():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
        # held, then ignored as the process asked: no TypeError, no KeyboardInterrupt
    finally:
        signal.signal(signal.SIGINT, previous)


def test_brians_graceful_stop_is_off_during_a_run_and_restored_after():
    import brian2

    seen = []
    with simulation("numpy"):
        net, _ = _network()

        @network_operation(dt=10 * ms)
        def look():
            seen.append(brian2.prefs.core.stop_on_keyboard_interrupt)
        net.add(look)
        run_network(net, 20 * ms, progress=False)
    assert seen and not any(seen)
    assert brian2.prefs.core.stop_on_keyboard_interrupt is True


def test_ctrl_c_while_the_figure_renders_leaves_no_archive_or_thread_behind(tmp_path, monkeypatch):
    # data.npz is compressed on a worker thread while the figure renders; an interrupt in the
    # renderer must still wait for that thread and leave nothing half-written
    import matplotlib.figure
    import numpy as np

    @experiment("toy-figure", "A result with a figure and a large archive (tests).", params=[],
                figure=True, required_metrics=[])
    def toy(p, ctx):
        fig = matplotlib.figure.Figure()
        fig.add_subplot().plot([0, 1], [1, 0])
        return Result({}, data={"x": np.random.default_rng(0).normal(size=(1000, 1000))}, figure=fig)

    try:
        good = run_experiment("toy-figure", out=tmp_path, progress=False)
        assert np.load(good / "data.npz")["x"].shape == (1000, 1000)
        before, threads = _snapshot(tmp_path), threading.active_count()

        def interrupted(self, fname, **kwargs):
            if str(fname).endswith(".pdf"):
                raise KeyboardInterrupt
            return original(self, fname, **kwargs)

        original = matplotlib.figure.Figure.savefig
        monkeypatch.setattr(matplotlib.figure.Figure, "savefig", interrupted)
        with pytest.raises(KeyboardInterrupt):
            run_experiment("toy-figure", out=tmp_path, progress=False)
        assert _snapshot(tmp_path) == before
        assert threading.active_count() == threads
    finally:
        reg._REGISTRY.pop("toy-figure", None)


@pytest.mark.parametrize("exiting", [False, True])
def test_after_a_ctrl_c_the_exiting_command_ignores_later_ones(exiting, tmp_path):
    # the console script (exiting=True) ends right after main: a second Ctrl+C during its
    # shutdown must not turn the status 130 into a death by SIGINT; an in-process caller
    # gets its own handler back
    from homeostasis.simulations.cli import main

    @experiment("toy-ctrl-c", "Presses Ctrl+C on itself (tests).", params=[], figure=False, required_metrics=[])
    def toy(p, ctx):
        signal.raise_signal(signal.SIGINT)
        time.sleep(0.05)  # handled between bytecodes
        return Result({})

    mine = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        assert main(["run", "toy-ctrl-c", "--out", str(tmp_path)], exiting=exiting) == 130
        expected = signal.SIG_IGN if exiting else signal.default_int_handler
        assert signal.getsignal(signal.SIGINT) == expected
        assert not (tmp_path / "toy-ctrl-c").exists()
    finally:
        signal.signal(signal.SIGINT, mine)
        reg._REGISTRY.pop("toy-ctrl-c", None)
