"""Choose the Brian2 code-generation target for a block of simulation code, and run it.

Every simulation in :mod:`simulations.experiments` runs its network once with
:func:`run_network` inside :func:`simulation`, so the same function runs on the numpy and
cython runtime targets and on cpp_standalone (which compiles and runs the whole project at
``run`` and allows one run per build). Phases such as "block the drive, then boost it" are
schedules in TimedArrays rather than successive runs for that reason.

:func:`run_network` is the only way experiments run a network: it shows Brian2's progress
report and refuses a run that ended before its requested duration (a Ctrl+C, ``stop()``, a
standalone binary that stopped early), because the analysis of a truncated run looks like
a result and is not one.
"""
from __future__ import annotations

import gc
import os
import shutil
import sys
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

__all__ = ["BACKENDS", "simulation", "check_backend", "run_network", "SimulationInterrupted",
           "request_interrupt", "interrupt_requested", "clear_interrupt", "check_interrupt"]

BACKENDS = ("numpy", "cython", "cpp_standalone")


def check_backend(backend: str) -> str:
    """Return ``backend`` if Brian2 supports it here, else raise ``ValueError`` listing them."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    return backend


@contextmanager
def simulation(backend: str = "numpy", seed: int | None = None, directory: str | None = None,
               project: str | None = None):
    """Run the Brian2 code of the ``with`` block on ``backend``.

    Parameters
    ----------
    backend : {"numpy", "cython", "cpp_standalone"}
    seed : int, optional
        Seed of Brian2's random numbers (``rand()``, ``randn()``, Poisson inputs,
        probabilistic connections), set after the device so standalone code uses it too.
    directory : str, optional
        Build directory of a cpp_standalone project. By default a fresh temporary one,
        deleted afterwards, so several processes never share one. Cython caches per
        process in the same way (``HOMEOSTASIS_CYTHON_CACHE``).
    project : str, optional
        Name of the model structure the block builds (e.g. the circuit's name). When the
        environment variable ``HOMEOSTASIS_STANDALONE_DIR`` is set (a sweep sets one per
        worker process) and no ``directory`` is given, the project is built in
        ``$HOMEOSTASIS_STANDALONE_DIR/project`` and kept: Brian2 rewrites only the source
        files whose text changed and ``make`` recompiles only those, so the next point of
        a sweep with the same structure compiles only what its parameters touch.

    Examples
    --------
    >>> from brian2 import NeuronGroup, Network, ms
    >>> with simulation("numpy", seed=1):
    ...     g = NeuronGroup(1, "dv/dt = -v / (10*ms) : 1")
    ...     Network(g).run(1 * ms)
    """
    import brian2

    check_backend(backend)
    previous_target = brian2.prefs.codegen.target
    temporary = None
    if backend == "cpp_standalone":
        # Brian2 numbers automatic names (``..._codeobject_1``) past the objects still alive;
        # objects of an earlier run left in reference cycles would rename every code object
        # and defeat the incremental build, so collect them first
        gc.collect()
        cache = os.environ.get("HOMEOSTASIS_STANDALONE_DIR")
        if directory is None and cache and project:
            directory = str(Path(cache) / project)
        elif directory is None:
            directory = temporary = tempfile.mkdtemp(prefix="homeostasis_standalone_")
        brian2.set_device("cpp_standalone", directory=directory, build_on_run=True,
                          with_output=False)
        brian2.prefs.devices.cpp_standalone.openmp_threads = 0
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
            brian2.device.reinit()
            brian2.set_device("runtime")
            if temporary:  # results were read inside the block; the project is of no further use
                shutil.rmtree(temporary, ignore_errors=True)
        brian2.prefs.codegen.target = previous_target


class SimulationInterrupted(RuntimeError):
    """A Brian2 run ended before the time it was asked to simulate."""


#: Real time between two lines of Brian2's progress report.
REPORT_PERIOD_S = 10.0
#: Real time between two looks at an interrupt request during a run on a runtime target.
POLL_PERIOD_S = 0.25

# Signals reach only the main thread. Work running in other threads (the tasks of a Dask
# worker) is interrupted by a request, per thread, that run_network and the runner honour.
_interrupt_lock = threading.Lock()
_interrupted_threads: set = set()


def request_interrupt(ident: int):
    """Ask the work in thread ``ident`` to stop as a Ctrl+C would stop the main thread.

    A simulation running there (numpy or cython target) stops within ``POLL_PERIOD_S``,
    and :func:`run_network` and the runner then raise ``KeyboardInterrupt`` in that thread,
    so nothing is written. (A cpp_standalone binary runs to its end first.)
    """
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
    """Brian2's ``report`` callback on the runtime targets.

    Brian2 calls it every ``POLL_PERIOD_S`` of real time; it stops the network when this
    thread was asked to stop and, with ``progress``, prints Brian2's text report every
    ``REPORT_PERIOD_S`` (and at the start and the end) on standard error.
    """

    def __init__(self, net, progress: bool):
        from brian2.core.network import TextReport

        self.net, self.progress, self.text = net, progress, TextReport(sys.stderr)
        self.shown = None

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

    Brian2 ends a run early and returns normally when it is asked to stop: its own Ctrl+C
    handler ("Simulation stop requested"), ``stop()`` or ``Network.stop()``, a standalone
    binary that stops on SIGINT. The analysis of such a run would produce plausible but
    false numbers, so a short run is an error here. During the run Brian2's graceful stop
    on Ctrl+C is switched off (``prefs.core.stop_on_keyboard_interrupt``; in cpp_standalone
    this is compiled into the binary), so one Ctrl+C raises ``KeyboardInterrupt`` at once.

    Parameters
    ----------
    net : brian2.Network
        The network to run (one run per build on cpp_standalone).
    duration : Quantity
        Simulated time, in units of time.
    progress : bool, default True
        Print Brian2's progress report on standard error: a line when the run starts, one
        every ``REPORT_PERIOD_S`` seconds of real time, one at the end. Brian2 supports
        the report on every target, cpp_standalone included.
    **run_kwargs
        Passed to ``Network.run`` (``namespace``, ``profile``, ...).

    Raises
    ------
    SimulationInterrupted
        If a clock of the network stopped more than half a time step before
        ``t_start + duration`` (on cpp_standalone, the clocks are read back from the
        binary's results, not from the times Brian2 assumes before building).
    KeyboardInterrupt
        On Ctrl+C (SIGINT) during the run.

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
    from brian2.devices.device import RuntimeDevice, get_device
    from brian2.units.fundamentalunits import fail_for_dimension_mismatch

    for key in ("report", "report_period"):
        if key in run_kwargs:
            raise TypeError(f"run_network sets the report itself (progress=True or False), not {key}={run_kwargs[key]!r}")
    fail_for_dimension_mismatch(duration, second, "duration of run_network must be a time")
    if not float(duration) > 0:
        raise ValueError(f"duration of run_network must be positive, got {duration}")
    t_end = float(net.t_ + float(duration))
    run_kwargs.setdefault("level", 0)
    run_kwargs["level"] += 1
    check_interrupt()
    if isinstance(get_device(), RuntimeDevice):
        report = dict(report=_Report(net, progress), report_period=POLL_PERIOD_S * second)
    else:  # the standalone device takes a report only as text (C++ code or a stream name)
        report = dict(report="stderr", report_period=REPORT_PERIOD_S * second) if progress else {}
    prefs = brian2.prefs.core
    graceful = prefs.stop_on_keyboard_interrupt
    prefs.stop_on_keyboard_interrupt = False
    try:
        net.run(duration, **report, **run_kwargs)
    except Exception as err:
        if interrupt_requested() or _compiler_interrupted(err):
            raise KeyboardInterrupt from err
        raise
    except KeyboardInterrupt:
        # Brian2 leaves its "a run is active" flag set when the loop is left by an exception;
        # its own Ctrl+C handler would then take a later Ctrl+C for a stop request
        brian2.Network._globally_running = False
        raise
    finally:
        prefs.stop_on_keyboard_interrupt = graceful
    check_interrupt()
    # every clock must have reached the end; after a standalone build the clocks' times are
    # read from the results, whereas net.t was set to the requested end before the build
    short = [(clock.name, _value(clock, "t")) for clock in net._clocks
             if _value(clock, "t") < t_end - 0.5 * _value(clock, "dt")]
    if short:
        name, reached = min(short, key=lambda item: item[1])
        raise SimulationInterrupted(
            f"the simulation of network {net.name!r} stopped at t = {reached:.4g} s of {t_end:.4g} s "
            f"(clock {name!r}); a truncated run is not a result")


def _compiler_interrupted(err: Exception) -> bool:
    """Whether ``err`` is Brian2's report of a standalone ``make`` killed by SIGINT.

    Brian2 runs ``make`` with ``os.system``, which ignores SIGINT in this process while
    ``make`` runs: a Ctrl+C then reaches only ``make`` (the terminal's whole process group),
    and Brian2 raises "Project compilation failed (error code: N)" with N the raw wait
    status, which says whether a signal ended the command.
    """
    import re
    import signal

    found = re.search(r"compilation failed \(error code: (\d+)\)", str(err))
    if not (isinstance(err, RuntimeError) and found):
        return False
    status = int(found.group(1))
    return os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGINT


def _value(clock, name: str) -> float:
    """A clock's ``t`` or ``dt`` in seconds, as the device holds it (from disk in standalone)."""
    import numpy as np

    return float(np.asarray(clock.variables[name].get_value()).ravel()[0])
