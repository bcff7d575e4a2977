"""Choose the Brian2 code-generation target for a block of simulation code, and run it.

Every experiment runs its network with :func:`run_network` inside :func:`simulation`, so the
same code runs on the numpy and cython runtime targets and on cpp_standalone. On
cpp_standalone a project is built once per model structure in a kept build directory
(:mod:`homeostasis.simulations.cache`) and run with Brian2's ``run_args``: run-time parameters
(:mod:`homeostasis.models.runtime`) and the seed reach the binary when it starts, so a new set
point or seed compiles nothing. :func:`run_network` refuses a run that ended early (Ctrl+C,
``stop()``): the analysis of a truncated run looks like a result and is not one.
"""
from __future__ import annotations

import gc
import os
import shutil
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

__all__ = ["BACKENDS", "simulation", "check_backend", "run_network", "rerun_network", "SimulationInterrupted",
           "threads_setting", "standalone_timings", "standalone_history",
           "request_interrupt", "interrupt_requested", "clear_interrupt", "check_interrupt"]

BACKENDS = ("numpy", "cython", "cpp_standalone")
#: GCC's OpenMP spin count at barriers for several threads: a short spin, then sleep, is the
#: fastest on idle and on busy cores (docs/cli.md); unless the environment sets one.
OMP_SPINCOUNT = 20000
SEED_VARIABLE = "HOMEOSTASIS_SEED"  # the standalone binary reads its seed from it


def check_backend(backend: str) -> str:
    """Return ``backend`` if Brian2 supports it here, else raise ``ValueError`` listing them."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    return backend


def threads_setting() -> int:
    """OpenMP threads of cpp_standalone projects: ``HOMEOSTASIS_THREADS`` (``--threads``); 0 is no OpenMP."""
    text = os.environ.get("HOMEOSTASIS_THREADS", "0").strip() or "0"
    if not text.isdigit():
        raise ValueError(f"HOMEOSTASIS_THREADS must be a non-negative integer, got {text!r}")
    return int(text)


class _Project:
    """The cpp_standalone project of the active :func:`simulation` block."""

    def __init__(self, directory, name, threads):
        self.directory, self.name, self.threads, self.timings = directory, name, threads, {}
        self.lock = self.temporary = self.t_end = self.cached = None


active_project: _Project | None = None  # one at a time per process: Brian2 has one device
_history: list = []


@contextmanager
def simulation(backend: str = "numpy", seed: int | None = None, directory: str | None = None,
               project: str | None = None, threads: int | None = None):
    """Run the Brian2 code of the ``with`` block on ``backend``.

    ``seed`` gives the numbers of ``brian2.seed(seed)``; on cpp_standalone the binary reads it
    when it starts, so one build serves every seed. ``directory`` is a cpp_standalone build
    directory, kept and locked while in use (default: one per structure in the cache,
    :mod:`homeostasis.simulations.cache`, named after ``project``; a temporary one with
    ``HOMEOSTASIS_CACHE=off``). ``threads``: OpenMP threads (default :func:`threads_setting`).

    Examples
    --------
    >>> from brian2 import NeuronGroup, Network, ms
    >>> with simulation("numpy", seed=1):
    ...     g = NeuronGroup(1, "dv/dt = -v / (10*ms) : 1")
    ...     Network(g).run(1 * ms)
    """
    global active_project
    import brian2

    from homeostasis.models import brian2_compat, runtime

    check_backend(backend)
    if (threads := threads_setting() if threads is None else int(threads)) < 0:
        raise ValueError(f"threads must be a non-negative integer, got {threads}")
    previous_target = brian2.prefs.codegen.target
    if backend == "cpp_standalone":
        gc.collect()  # objects of an earlier model left alive would rename this model's code objects
        brian2.set_device("cpp_standalone", build_on_run=False, with_output=False)
        brian2.prefs.devices.cpp_standalone.openmp_threads = threads
        if threads > 1 and not {"OMP_WAIT_POLICY", "GOMP_SPINCOUNT"} & set(os.environ):
            brian2.device.run_environment_variables["GOMP_SPINCOUNT"] = str(OMP_SPINCOUNT)
        code = brian2_compat.seed_code(threads, SEED_VARIABLE) if seed is not None else None
        if code is not None:  # the binary reads the seed when it starts
            brian2.device.insert_code("main", code)
            brian2.device.run_environment_variables[SEED_VARIABLE] = str(int(seed))
        elif seed is not None:
            brian2.seed(int(seed))
        active_project = _Project(directory, project, threads)
    else:
        brian2.prefs.codegen.target = backend
        if backend == "cython" and os.environ.get("HOMEOSTASIS_CYTHON_CACHE"):
            brian2.prefs.codegen.runtime.cython.cache_dir = os.environ["HOMEOSTASIS_CYTHON_CACHE"]
        if seed is not None:
            brian2.seed(int(seed))
    try:
        yield
    finally:
        if backend == "cpp_standalone":
            project, active_project = active_project, None
            if project.timings:
                _history.append(standalone_timings(project))
            project.lock and project.lock.release()
            if project.temporary:
                shutil.rmtree(project.temporary, ignore_errors=True)
            runtime.forget()
            brian2.device.reinit()
            brian2.set_device("runtime")
            brian2.prefs.devices.cpp_standalone.openmp_threads = 0
        brian2.prefs.codegen.target = previous_target


def standalone_history(clear: bool = False) -> list:
    """Timings (:func:`standalone_timings`) of every cpp_standalone project finished in this
    process, oldest first; ``clear=True`` forgets them after returning them."""
    out = list(_history)
    if clear:
        _history.clear()
    return out


def standalone_timings(project=None) -> dict:
    """Seconds of the active cpp_standalone project: ``generate`` (the C++ code), ``compile``
    (``make``; next to nothing when the structure was built before), ``run``; ``cached`` (the
    binary was not rebuilt), ``threads`` and the build ``directory``."""
    project = project or active_project
    return {} if project is None else dict(project.timings, cached=project.cached, threads=project.threads,
                                           directory=project.directory)


def _build(device, net):
    """Build the project in its kept (or temporary) directory; make compiles what changed."""
    from homeostasis.models import brian2_compat

    from . import cache

    project = active_project
    if project.directory is not None:
        directory = Path(project.directory)
        project.lock = cache.BuildLock(directory.with_name(directory.name + ".lock")).wait(check_interrupt)
    elif cache.cache_enabled():
        name = project.name or net.name
        directory, project.lock = cache.claim(name, cache.structure_key(net, project.threads), project.threads,
                                              check_interrupt)
    else:
        directory = project.temporary = Path(tempfile.mkdtemp(prefix="homeostasis_standalone_"))
    project.directory = str(directory)
    binary = directory / "main"
    before = binary.stat().st_mtime_ns if binary.exists() else None
    start = time.perf_counter()
    brian2_compat.stable_main_queue(device)
    with _compiler_output_held():
        device.build(directory=str(directory), compile=True, run=False, with_output=False)
    make = device.timers["compile"].get("make") or 0.0
    project.timings.update(generate=time.perf_counter() - start - make, compile=make)
    project.cached = before is not None and binary.stat().st_mtime_ns == before


def _run(device, net, run_args=None):
    """Run the built binary with every recorded run-time parameter and ``run_args``."""
    from homeostasis.models import runtime

    from .cache import objects

    args = {**runtime.run_args(objects(net)), **(run_args or {})}
    start = time.perf_counter()
    device.run(directory=active_project.directory, with_output=False, run_args=args)
    active_project.timings["run"] = time.perf_counter() - start


class SimulationInterrupted(RuntimeError):
    """A Brian2 run ended before the time it was asked to simulate."""


REPORT_PERIOD_S = 10.0  # real time between two lines of Brian2's progress report
POLL_PERIOD_S = 0.25  # real time between two looks at an interrupt request (runtime targets)

# Signals reach only the main thread; work in other threads (a Dask worker's tasks) is
# interrupted by a request per thread, honoured by run_network and the runner.
_interrupt_lock = threading.Lock()
_interrupted_threads: set = set()


def request_interrupt(ident: int):
    """Ask the work in thread ``ident`` to stop as a Ctrl+C would stop the main thread: a run on a
    runtime target stops within ``POLL_PERIOD_S`` and raises ``KeyboardInterrupt`` there."""
    with _interrupt_lock:
        _interrupted_threads.add(ident)


def interrupt_requested(ident: int | None = None) -> bool:
    """Whether :func:`request_interrupt` was called for ``ident`` (default: this thread)."""
    with _interrupt_lock:
        return (threading.get_ident() if ident is None else ident) in _interrupted_threads


def clear_interrupt(ident: int | None = None):
    """Forget an interrupt request for ``ident`` (default: this thread)."""
    with _interrupt_lock:
        _interrupted_threads.discard(threading.get_ident() if ident is None else ident)


def check_interrupt():
    """Raise ``KeyboardInterrupt`` if this thread was asked to stop."""
    if interrupt_requested():
        raise KeyboardInterrupt


class _Report:
    """Brian2's ``report`` on the runtime targets: stops the network on an interrupt request and,
    with ``progress``, prints Brian2's text report every ``REPORT_PERIOD_S``."""

    def __init__(self, net, progress: bool):
        from brian2.core.network import TextReport

        self.net, self.progress, self.text, self.shown = net, progress, TextReport(sys.stderr), None

    def __call__(self, elapsed, completed, start, duration):
        if interrupt_requested():
            self.net.stop()
        seconds = float(elapsed)
        if self.progress and (completed == 0.0 or completed >= 1.0 or self.shown is None
                              or seconds - self.shown >= REPORT_PERIOD_S):
            self.shown = seconds
            self.text(elapsed, completed, start, duration)


def run_network(net, duration, progress: bool = True, **run_kwargs):
    """Run ``net`` for ``duration`` and check that the whole duration was simulated.

    On cpp_standalone this builds the project (compiling only what changed since this
    structure was last built) and runs it with the recorded run-time parameters and
    ``run_args``. Brian2's graceful stop on Ctrl+C is switched off for the run, so one Ctrl+C
    raises ``KeyboardInterrupt`` at once.

    ``progress`` prints Brian2's report on standard error. ``run_kwargs`` go to ``Network.run``
    (``namespace``, ...), and ``run_args`` (cpp_standalone only) to ``device.run``. Raises
    ``SimulationInterrupted`` if a clock stopped more than half a step before the end, and
    ``KeyboardInterrupt`` on Ctrl+C or an interrupt request (run or compilation).

    Examples
    --------
    >>> from brian2 import NeuronGroup, Network, ms
    >>> with simulation("numpy"):
    ...     net = Network(NeuronGroup(1, "dv/dt = -v / (10*ms) : 1"))
    ...     run_network(net, 5 * ms, progress=False)
    >>> run_network(net, 5 * ms, progress=False, report="text")
    Traceback (most recent call last):
    ...
    TypeError: run_network sets the report itself (progress=True or False), not report='text'
    """
    import brian2
    from brian2 import second
    from brian2.units.fundamentalunits import fail_for_dimension_mismatch

    from homeostasis.models import brian2_compat
    from homeostasis.models.runtime import standalone_device

    for key in ("report", "report_period"):
        if key in run_kwargs:
            raise TypeError(f"run_network sets the report itself (progress=True or False), not {key}={run_kwargs[key]!r}")
    fail_for_dimension_mismatch(duration, second, "duration of run_network must be a time")
    if not float(duration) > 0:
        raise ValueError(f"duration of run_network must be positive, got {duration}")
    device = standalone_device()
    run_args = run_kwargs.pop("run_args", None)
    if run_args is not None and device is None:
        raise TypeError("run_args apply to cpp_standalone only; on the runtime targets set the values before the run")
    if device is not None and active_project is None:
        raise RuntimeError("run a network on cpp_standalone inside homeostasis.simulations.backend.simulation()")
    t_end = float(net.t_ + float(duration))
    run_kwargs["level"] = run_kwargs.get("level", 0) + 1
    check_interrupt()
    if device is None:
        report = dict(report=_Report(net, progress), report_period=POLL_PERIOD_S * second)
    else:  # the standalone device takes a report only as text
        report = dict(report="stderr", report_period=REPORT_PERIOD_S * second) if progress else {}
    key = "core.stop_on_keyboard_interrupt"  # a preference of Brian2 2.9 and later
    graceful = brian2.prefs.get(key)
    if graceful is not None:
        brian2.prefs[key] = False
    try:
        net.run(duration, **report, **run_kwargs)
        if device is not None:
            _build(device, net)
            check_interrupt()
            _run(device, net, run_args)
    except Exception as err:
        if _is_interrupt(err):
            raise KeyboardInterrupt from err
        raise
    except KeyboardInterrupt:
        brian2_compat.clear_running_flag()
        raise
    finally:
        if graceful is not None:
            brian2.prefs[key] = graceful
    check_interrupt()
    if active_project is not None:
        active_project.t_end = t_end
    _check_complete(net, t_end)


def rerun_network(net, parameters=None, run_args=None):
    """Run the built cpp_standalone project of ``net`` again with new run-time values; nothing
    is generated or compiled. Read the monitors after this call: the results are replaced.

    ``parameters`` is ``{group: {name: value}}`` of run-time parameters
    (:func:`homeostasis.models.runtime.set_parameter`); ``run_args`` Brian2's (``{group.var: value}``).
    """
    from homeostasis.models.runtime import set_parameter, standalone_device

    device = standalone_device()
    if device is None or active_project is None or not device.has_been_run:
        raise RuntimeError("rerun_network runs a cpp_standalone project again: call run_network first, "
                           "inside simulation('cpp_standalone')")
    for group, name, value in ((g, n, v) for g, values in (parameters or {}).items() for n, v in values.items()):
        set_parameter(group, name, value)
    check_interrupt()
    _run(device, net, run_args)
    check_interrupt()
    _check_complete(net, active_project.t_end)


def _check_complete(net, t_end: float):
    """Raise SimulationInterrupted unless every clock of ``net`` reached ``t_end``."""
    import numpy as np

    from .cache import objects

    clocks = {obj.clock.name: [float(np.asarray(obj.clock.variables[v].get_value()).ravel()[0]) for v in ("t", "dt")]
              for obj in objects(net)}  # read from the results on cpp_standalone
    short = sorted((t, name) for name, (t, dt) in clocks.items() if t < t_end - 0.5 * dt)
    if short:
        reached, name = short[0]
        raise SimulationInterrupted(
            f"the simulation of network {net.name!r} stopped at t = {reached:.4g} s of {t_end:.4g} s "
            f"(clock {name!r}); a truncated run is not a result")


@contextmanager
def _compiler_output_held():
    """Hold the block's standard output and error (file descriptors) and print them afterwards,
    unless it was interrupted: an interrupted ``make`` reports every job it stopped."""
    streams = {1: sys.stdout, 2: sys.stderr}
    for stream in streams.values():
        stream.flush()
    saved = {fd: os.dup(fd) for fd in streams}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        held, interrupted = {1: out, 2: err}, False
        try:
            for fd, file in held.items():
                os.dup2(file.fileno(), fd)
            yield
        except BaseException as error:
            interrupted = _is_interrupt(error)
            raise
        finally:
            for fd, stream in streams.items():
                stream.flush()
                os.dup2(saved[fd], fd)
                os.close(saved[fd])
            for fd, stream in streams.items() if not interrupted else ():
                held[fd].seek(0)
                if text := held[fd].read().decode(errors="replace"):
                    stream.write(text)
                    stream.flush()


def _is_interrupt(error: BaseException) -> bool:
    """Whether ``error`` ended a run or compilation because of Ctrl+C or an interrupt request."""
    from homeostasis.models import brian2_compat

    return isinstance(error, KeyboardInterrupt) or interrupt_requested() or brian2_compat.compile_interrupted(error)
