"""Choose the Brian2 code-generation target for a block of simulation code, and run it.

Every simulation in :mod:`homeostasis.simulations.experiments` runs its network once with
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
from contextlib import contextmanager, nullcontext
from pathlib import Path

__all__ = ["BACKENDS", "simulation", "check_backend", "run_network", "rerun_network", "SimulationInterrupted",
           "threads_setting", "standalone_timings", "standalone_history",
           "request_interrupt", "interrupt_requested", "clear_interrupt", "check_interrupt"]

BACKENDS = ("numpy", "cython", "cpp_standalone")


def check_backend(backend: str) -> str:
    """Return ``backend`` if Brian2 supports it here, else raise ``ValueError`` listing them."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    return backend


def threads_setting() -> int:
    """OpenMP threads of cpp_standalone projects: ``HOMEOSTASIS_THREADS`` (set by ``--threads``).

    0 (the default) compiles without OpenMP; N >= 1 runs the project on N threads.
    """
    text = os.environ.get("HOMEOSTASIS_THREADS", "0").strip() or "0"
    try:
        threads = int(text)
    except ValueError:
        raise ValueError(f"HOMEOSTASIS_THREADS must be a non-negative integer, got {text!r}") from None
    if threads < 0:
        raise ValueError(f"HOMEOSTASIS_THREADS must be a non-negative integer, got {threads}")
    return threads


class _Project:
    """The cpp_standalone project of the active :func:`simulation` block."""

    def __init__(self, directory: str, use_cache: bool, threads: int):
        self.directory, self.use_cache, self.threads = directory, use_cache, threads
        self.key = None          # cache key once built
        self.cached = None       # whether the binary came from the cache
        self.timings = {}        # seconds: generate, compile, run
        self.t_end = None        # end time of the run, in seconds


#: Rounds an OpenMP thread of a cpp_standalone binary spins at a barrier before it sleeps
#: (GCC's ``GOMP_SPINCOUNT``; tens of microseconds), unless the environment sets it or
#: ``OMP_WAIT_POLICY``.
OMP_SPINCOUNT = 20000

#: The project of the active simulation block on cpp_standalone (one at a time per process,
#: as Brian2 has one device).
_project: _Project | None = None
#: Timings of the cpp_standalone projects finished in this process (see standalone_history).
_history: list = []


@contextmanager
def simulation(backend: str = "numpy", seed: int | None = None, directory: str | None = None,
               project: str | None = None, threads: int | None = None):
    """Run the Brian2 code of the ``with`` block on ``backend``.

    Parameters
    ----------
    backend : {"numpy", "cython", "cpp_standalone"}
    seed : int, optional
        Seed of Brian2's random numbers (``rand()``, ``randn()``, Poisson inputs,
        probabilistic connections), set after the device so standalone code uses it too.
        On cpp_standalone the binary reads it when it starts (from ``HOMEOSTASIS_SEED``,
        set for it), so one compiled project serves every seed whose model has the same
        sizes (a connectivity drawn in Python with the seed can have another number of
        synapses, a size compiled into the code); the random numbers are those of
        ``brian2.seed(seed)``.
    directory : str, optional
        Build directory of a cpp_standalone project, compiled in place by ``make`` (which
        recompiles only the files whose text changed). By default a fresh temporary
        directory, deleted afterwards, whose binary comes from the compiled-project cache
        (:mod:`homeostasis.simulations.cache`) when a project with the same code was compiled before,
        and is stored there otherwise. Cython caches per process in the same way
        (``HOMEOSTASIS_CYTHON_CACHE``). On every backend, the exact integration of linear
        equations comes from the integration cache (:func:`homeostasis.simulations.cache.cached_integration`).
    project : str, optional
        Name of the model structure the block builds (e.g. the circuit's name). When the
        environment variable ``HOMEOSTASIS_STANDALONE_DIR`` is set and no ``directory`` is
        given, the project is built in ``$HOMEOSTASIS_STANDALONE_DIR/project`` and kept,
        instead of using the cache.
    threads : int, optional
        OpenMP threads of a cpp_standalone project (default: :func:`threads_setting`).

    Notes
    -----
    On cpp_standalone the block must run its network with :func:`run_network` (which
    builds, compiles or takes the binary from the cache, and runs), and may run the built
    project again with new run-time parameters with :func:`rerun_network`.

    Examples
    --------
    >>> from brian2 import NeuronGroup, Network, ms
    >>> with simulation("numpy", seed=1):
    ...     g = NeuronGroup(1, "dv/dt = -v / (10*ms) : 1")
    ...     Network(g).run(1 * ms)
    """
    global _project
    import brian2

    from .cache import cache_enabled, cached_integration, cached_templates, remembered_compiler_flags

    check_backend(backend)
    threads = threads_setting() if threads is None else int(threads)
    if threads < 0:
        raise ValueError(f"threads must be a non-negative integer, got {threads}")
    previous_target = brian2.prefs.codegen.target
    temporary = None
    if backend == "cpp_standalone":
        # Brian2 numbers automatic names (``..._codeobject_1``) past the objects still alive;
        # objects of an earlier run left in reference cycles, or in the keys of Brian2's
        # memoized parsing, would rename code objects and functions and defeat both the
        # cache and the incremental build, so release and collect them first
        _release_brian2_memos()
        if _earlier_objects_alive():  # a full collection is a tenth of a second; skip it when idle
            gc.collect()
        kept = os.environ.get("HOMEOSTASIS_STANDALONE_DIR")
        use_cache = False
        if directory is None and kept and project:
            directory = str(Path(kept) / project)
        elif directory is None:
            directory = temporary = tempfile.mkdtemp(prefix="homeostasis_standalone_")
            use_cache = cache_enabled()
        # built by run_network, which compiles only on a cache miss
        brian2.set_device("cpp_standalone", directory=directory, build_on_run=False, with_output=False)
        brian2.prefs.devices.cpp_standalone.openmp_threads = threads
        if threads > 1 and not {"OMP_WAIT_POLICY", "GOMP_SPINCOUNT"} & set(os.environ):
            # Brian2 meets several OpenMP barriers per time step. A thread that sleeps there at
            # once (OMP_WAIT_POLICY=PASSIVE) is woken too late: 3 s of a 2500-neuron network
            # took 75 s on two idle cores instead of 2.3 s. One that spins without bound (GCC's
            # default spins for 300000 rounds) keeps its partner off a core that other
            # processes hold: 8.7 s instead of 4.7 s on one thread with both cores busy. A short
            # spin, then sleep, is as fast as spinning on idle cores (2.1 s) and as one thread
            # on two busy ones (4.7 s); with one core busy no policy makes two threads pay
            # (docs/cli.md)
            brian2.device.run_environment_variables["GOMP_SPINCOUNT"] = str(OMP_SPINCOUNT)
        _project = _Project(directory, use_cache, threads)
    else:
        brian2.prefs.codegen.target = backend
        if backend == "cython" and os.environ.get("HOMEOSTASIS_CYTHON_CACHE"):
            brian2.prefs.codegen.runtime.cython.cache_dir = os.environ["HOMEOSTASIS_CYTHON_CACHE"]
    if seed is not None and backend == "cpp_standalone":
        _seed_at_run_time(brian2.device, int(seed), threads)
    elif seed is not None:
        brian2.seed(int(seed))
    try:
        # the exact integration of the linear neurons costs seconds of sympy in every new
        # process, jinja2's compilation of Brian2's templates and the compiler flag checks of
        # the compiled targets a sixth and a fifth of a second;
        # a cached structure's second run would spend more time there than running
        with (cached_integration(), cached_templates(),
              remembered_compiler_flags() if backend != "numpy" else nullcontext()):
            yield
    finally:
        if backend == "cpp_standalone":
            if _project is not None and _project.timings:
                _history.append(dict(_project.timings, cached=_project.cached, threads=_project.threads))
            _project = None
            brian2.device.reinit()
            brian2.set_device("runtime")
            brian2.prefs.devices.cpp_standalone.openmp_threads = 0
            if temporary:  # results were read inside the block; the project is of no further use
                shutil.rmtree(temporary, ignore_errors=True)
        brian2.prefs.codegen.target = previous_target


def _earlier_objects_alive() -> bool:
    """Whether any named Brian2 object is alive (or waits in a reference cycle) other than
    the device's default clock and the magic network, which exist from the import on."""
    from brian2.core.names import Nameable

    return any(obj is not None and getattr(obj, "name", None) not in ("defaultclock", "magicnetwork")
               for obj in (ref() for ref in Nameable.__instances__()))


def _release_brian2_memos():
    """Empty Brian2's in-memory memos whose keys hold the variables of earlier models.

    Brian2 memoizes parsing, integration and statement generation
    (``brian2.utils.caching.cached``) with the resolved variables in the keys, and so keeps
    objects of every earlier model alive, among them the binomial function of each
    ``PoissonInput``. The next model's function is then named ``poissoninput_binomial_1``
    instead of ``poissoninput_binomial``: other code for the same structure, so a second
    point of a sweep in one worker compiled again. The expensive memo, the exact
    integration, is on disk (:func:`homeostasis.simulations.cache.cached_integration`).
    """
    from brian2.codegen import translation
    from brian2.parsing import sympytools
    from brian2.stateupdaters.base import StateUpdateMethod
    from brian2.stateupdaters.exact import LinearStateUpdater

    for func in (StateUpdateMethod.apply_stateupdater, LinearStateUpdater.__call__, sympytools.str_to_sympy,
                 translation.make_statements):
        memo = getattr(func, "_cache", None)
        if isinstance(memo, dict):
            memo.clear()


def _seed_at_run_time(device, seed: int, threads: int):
    """Seed the standalone random generators from ``HOMEOSTASIS_SEED`` when the binary starts.

    ``brian2.seed(seed)`` writes the seed into ``main.cpp``, so every seed of a sweep would be
    another project to compile. This writes the same statements (one generator per thread,
    seeded ``seed + i``, as Brian2 does) reading the seed from the environment, which the
    device sets for every run of the binary.
    """
    n = max(int(threads), 1)
    device.insert_code("main", "\n".join([
        "{",
        '    const char* _seed_text = getenv("HOMEOSTASIS_SEED");',
        '    if (_seed_text == NULL) { std::cerr << "HOMEOSTASIS_SEED is not set" << std::endl; exit(2); }',
        "    const long _seed = strtol(_seed_text, NULL, 10);",
        f"    for (int _i=0; _i<{n}; _i++)",
        "        brian::_random_generators[_i].seed(_seed + _i);",
        "}"]))
    device.run_environment_variables["HOMEOSTASIS_SEED"] = str(seed)


def standalone_history(clear: bool = False) -> list:
    """Timings (:func:`standalone_timings`) of every cpp_standalone project finished in this
    process, oldest first; ``clear=True`` forgets them after returning them."""
    out = list(_history)
    if clear:
        _history.clear()
    return out


def standalone_timings() -> dict:
    """Seconds spent by the active cpp_standalone project: ``generate`` (writing the C++
    code), ``compile`` (0 on a cache hit; the wait, on a hit after another process compiled
    the project), ``run`` (the binary), and ``cached``."""
    if _project is None:
        return {}
    return dict(_project.timings, cached=_project.cached)


def _build_and_run(device, run_args=None):
    """Write the project, take its binary from the cache or compile it, and run it."""
    import time

    from brian2.codegen.cpp_prefs import get_compiler_and_args

    from . import cache

    project = _project
    _canonical_main_queue(device)
    start = time.perf_counter()
    with _compiler_output_held():
        device.build(directory=project.directory, compile=not project.use_cache, run=False, with_output=False)
    project.timings["generate"] = time.perf_counter() - start
    if not project.use_cache:  # compiled in place by build
        project.timings["compile"] = device.timers["compile"]["make"] or 0.0
        project.cached = False
        _run_binary(device, project, run_args)
        return
    project.key = cache.project_key(project.directory, project.threads)
    binary = Path(project.directory) / "main"
    compiler = get_compiler_and_args()[0]
    for attempt in (0, 1):
        entry = cache.lookup(project.key, binary) if attempt == 0 else None
        start = time.perf_counter()
        if entry is None:
            # another process compiling the same code (a sweep's other worker) is waited for
            with cache.compiling(project.key, check_interrupt):
                entry = cache.lookup(project.key, binary) if attempt == 0 else None
                if entry is None:
                    with _compiler_output_held():
                        device.compile_source(project.directory, compiler, False, False)
                    try:
                        cache.publish(project.key, binary, project.threads)
                    except OSError as err:  # an unwritable cache costs the next run a compilation, no more
                        import warnings

                        warnings.warn(f"could not store the compiled project in {cache.cache_dir()}: {err}",
                                      stacklevel=2)
        project.cached = entry is not None
        project.timings["compile"] = time.perf_counter() - start
        try:
            _run_binary(device, project, run_args)
            return
        except RuntimeError as err:
            if not (project.cached and "Project run failed" in str(err)) or interrupt_requested():
                raise
            # a cached binary that fails is not trusted again: compile this project and retry
            cache.evict(project.key)
            binary.unlink(missing_ok=True)


def _canonical_main_queue(device):
    """Sort each run of consecutive single-value assignments by array name.

    Brian2 starts the clocks of a run by iterating over a set, so the order of their
    ``t = 0`` lines in ``main.cpp`` changes from process to process; the same model would
    then have another cache key each time. Assignments of constants to distinct arrays
    commute, and the sort is stable, so those to one array (a clock's ``dt`` set twice)
    keep their order: sorting changes nothing but the text.
    """
    queue, out, i = device.main_queue, [], 0
    while i < len(queue):
        j = i
        while j < len(queue) and queue[j][0] == "set_by_single_value":
            j += 1
        if j == i:
            out.append(queue[i])
            i += 1
            continue
        out.extend(sorted(queue[i:j], key=lambda item: item[1][0]))  # stable
        i = j
    queue[:] = out


def _run_binary(device, project, run_args):
    import time

    start = time.perf_counter()
    device.run(directory=project.directory, with_output=False, run_args=run_args)
    project.timings["run"] = time.perf_counter() - start
    # every value is read from this run's results from now on (see rerun_network)
    for var in list(device.array_cache):
        device.array_cache[var] = None


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
    from homeostasis.models.runtime import standalone_device

    device = standalone_device()
    run_args = run_kwargs.pop("run_args", None)
    if run_args is not None and device is None:
        raise TypeError("run_args apply to cpp_standalone only; on the runtime targets set the values before the run")
    try:
        net.run(duration, **report, **run_kwargs)
        if device is not None and not device.build_on_run:
            if _project is None:
                raise RuntimeError("run a network on cpp_standalone inside homeostasis.simulations.backend.simulation()")
            _build_and_run(device, run_args)
    except Exception as err:
        if _is_interrupt(err):
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
    if device is not None and _project is not None:
        _project.t_end = t_end
    _check_complete(net, t_end)


def rerun_network(net, parameters=None, run_args=None):
    """Run the compiled cpp_standalone project of ``net`` again, with new run-time values.

    Nothing is generated or compiled: the binary of the last :func:`run_network` in this
    :func:`simulation` block runs again from the start (same structure, same seed) and its
    results replace the previous ones, so read the monitors after this call.

    Parameters
    ----------
    net : brian2.Network
        The network run by :func:`run_network` in the active block.
    parameters : dict, optional
        ``{group: {name: value}}``: run-time parameters (:mod:`homeostasis.models.runtime`) of groups,
        e.g. ``{E: {"target_rate": 8 * Hz}}``. Read by the binary before any initial value
        that is computed from them.
    run_args : dict, optional
        Brian2's ``run_args`` (``{group.var: value}``, ``{timed_array: values}``), applied
        just before the network runs.

    Raises
    ------
    RuntimeError
        If the device is not cpp_standalone or the project has not been run yet.
    """
    import time

    from homeostasis.models.runtime import set_parameter, standalone_device

    device = standalone_device()
    if device is None or _project is None or not device.has_been_run:
        raise RuntimeError("rerun_network runs a cpp_standalone project again: call run_network first, "
                           "inside simulation('cpp_standalone')")
    for group, values in (parameters or {}).items():
        for name, value in values.items():
            set_parameter(group, name, value)
    check_interrupt()
    start = time.perf_counter()
    _run_binary(device, _project, run_args)
    _project.timings["run"] = time.perf_counter() - start
    check_interrupt()
    _check_complete(net, _project.t_end)


def _check_complete(net, t_end: float):
    """Raise SimulationInterrupted unless every clock of ``net`` reached ``t_end``."""
    # every clock must have reached the end; after a standalone build the clocks' times are
    # read from the results, whereas net.t was set to the requested end before the build
    short = [(clock.name, _value(clock, "t")) for clock in net._clocks
             if _value(clock, "t") < t_end - 0.5 * _value(clock, "dt")]
    if short:
        name, reached = min(short, key=lambda item: item[1])
        raise SimulationInterrupted(
            f"the simulation of network {net.name!r} stopped at t = {reached:.4g} s of {t_end:.4g} s "
            f"(clock {name!r}); a truncated run is not a result")


@contextmanager
def _compiler_output_held():
    """Hold what the block prints to standard output and error (at the file descriptors) until
    it ends; print it then, unless the block was interrupted.

    Brian2 prints everything ``make`` wrote when a compilation fails, which is what a user
    needs when the code does not compile. A Ctrl+C (or a sweep's interrupt) also fails the
    compilation, and ``make`` then reports every job it stopped: twenty lines around the
    command's one-line message. Those are dropped; a real failure's output is printed.
    """
    streams = {1: sys.stdout, 2: sys.stderr}
    for stream in streams.values():
        stream.flush()
    saved = {fd: os.dup(fd) for fd in streams}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        held = {1: out, 2: err}
        interrupted = False
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
            if not interrupted:  # each stream's output to its own stream
                for fd, stream in streams.items():
                    held[fd].seek(0)
                    if text := held[fd].read().decode(errors="replace"):
                        stream.write(text)
                        stream.flush()


def _is_interrupt(error: BaseException) -> bool:
    """Whether ``error`` ended a simulation or compilation because of a Ctrl+C or a sweep's
    interrupt request, not because something failed."""
    return (isinstance(error, KeyboardInterrupt) or interrupt_requested()
            or (isinstance(error, Exception) and _compiler_interrupted(error)))


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
