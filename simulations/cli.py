"""The ``homeostasis`` command line (also ``python -m homeostasis``).

The commands and their options are those of :func:`build_parser` (``homeostasis --help``,
``homeostasis COMMAND --help``, ``homeostasis run NAME --help`` for an experiment's
parameters).

Exit status: 0 on success; 2 for bad input (unknown experiment or key, a value in the wrong
unit, an unwritable ``--out``), reported in one line before anything runs; 1 when a run
fails or a simulation ends before its duration; 130 on Ctrl+C. One Ctrl+C aborts: the run
stops, temporary files are removed, nothing is written, and a result already in ``--out``
is kept as it was (finished experiments of ``figures`` and points of ``sweep`` are kept).
"""
from __future__ import annotations

import argparse
import gc
import os
import signal
import sys
import threading
import time

from .backend import BACKENDS

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="homeostasis",
        description="Homeostatic plasticity in Brian2 next to normalization in deep learning.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("list", help="list the experiments, one line each")
    show = sub.add_parser("params", help="the parameters of an experiment, with units and defaults")
    show.add_argument("name")

    def common(p, seed=True):
        p.add_argument("--quick", action="store_true", help="small sizes for demos and CI (same code path)")
        p.add_argument("--out", default="results", help="parent directory of the results (default: results)")
        p.add_argument("--backend", default="numpy", choices=BACKENDS, help="Brian2 code-generation target")
        p.add_argument("--no-progress", action="store_true",
                       help="hide progress bars and Brian2's progress report of long simulations")
        if seed:
            p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
        _threads_option(p)

    run = sub.add_parser("run", help="run one experiment and write OUT/NAME/")
    run.add_argument("name", help="a registered experiment (homeostasis list)")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                     help="override a parameter, with its unit (--set target_rate=5*Hz)")
    common(run)

    figs = sub.add_parser("figures", help="run every figure experiment")
    common(figs)
    figs.add_argument("--jobs", type=int, default=None,
                      help="experiments run in parallel processes (default: one per core)")

    compare = sub.add_parser("compare", help="ANN normalization benchmark (table printed and written)")
    compare.add_argument("--datasets", nargs="+", default=None)
    compare.add_argument("--methods", nargs="+", default=None)
    compare.add_argument("--seeds", type=int, default=None)
    compare.add_argument("--steps", type=int, default=None)
    compare.add_argument("--batch-size", type=int, default=None)
    compare.add_argument("--quick", action="store_true")
    compare.add_argument("--deep", action="store_true", help="also run the deep protocol")
    compare.add_argument("--engine", choices=("numpy", "torch"), default=None,
                         help="train with the numpy engine (default) or PyTorch (extra [torch])")
    compare.add_argument("--out", default="results")
    compare.add_argument("--no-progress", action="store_true", help="hide progress bars")

    sweep = sub.add_parser("sweep", help="run a grid of parameter values and seeds on Dask")
    sweep.add_argument("name", help="a registered experiment (homeostasis list)")
    sweep.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2,...",
                       help="values of one parameter, with units (repeat for a product grid)")
    sweep.add_argument("--seeds", type=int, default=1, help="seeds per grid point (0..N-1)")
    sweep.add_argument("--quick", action="store_true", help="quick mode for every point")
    sweep.add_argument("--scheduler", default=None, help="address of a running Dask scheduler")
    sweep.add_argument("--workers", type=int, default=None, help="local worker processes (default: one per core)")
    sweep.add_argument("--out", default="sweeps", help="store directory; a rerun skips completed points")
    sweep.add_argument("--backend", default="numpy", choices=BACKENDS, help="Brian2 code-generation target")
    sweep.add_argument("--metric", default=None, help="metric to plot against the first grid key")
    sweep.add_argument("--no-progress", action="store_true", help="no progress bar")
    sweep.add_argument("--figures", action="store_true",
                       help="write every point's figure.png and figure.pdf too (default: metrics and data only)")
    _threads_option(sweep)

    cache = sub.add_parser("cache", help="the cache of compiled cpp_standalone projects")
    cache.add_argument("action", choices=("info", "clear"),
                       help="info: where it is and what it holds; clear: remove every entry")
    parser.commands = sub.choices  # the subparsers by name, for `run NAME --help`
    return parser


def _threads_option(p):
    p.add_argument("--threads", type=int, default=None, metavar="N",
                   help="OpenMP threads of each cpp_standalone simulation (default: one, without OpenMP)")


def _apply_threads(args):
    """Check ``--threads`` and hand it to the simulations (and to worker processes) by environment."""
    threads = getattr(args, "threads", None)
    if threads is None:
        return
    if threads < 1:
        raise ValueError(f"--threads must be a positive integer, got {threads}")
    if getattr(args, "backend", None) != "cpp_standalone":
        raise ValueError("--threads applies to --backend cpp_standalone (the runtime targets run on one thread)")
    os.environ["HOMEOSTASIS_THREADS"] = str(threads)


def _cache(args) -> int:
    from . import cache

    root = cache.cache_dir()
    if args.action == "clear":
        n = cache.clear()
        print(f"removed {n} build director{'ies' if n != 1 else 'y'} and the kept integration code from {root}")
        return 0
    found = cache.entries()
    size = sum(e["size"] for e in found)
    state = "" if cache.cache_enabled() else f" (not used: HOMEOSTASIS_CACHE={os.environ['HOMEOSTASIS_CACHE']})"
    kept = len(list((root / "integration").glob("*.txt")))
    print(f"{root}: {len(found)} build director{'ies' if len(found) != 1 else 'y'}, {size / 1e6:.1f} MB, "
          f"exact integration of {kept} set{'s' if kept != 1 else ''} of equations{state}")
    for e in found:
        print(f"  {e['name']}  {e['size'] / 1e6:.1f} MB{'' if e['compiled'] else ', not compiled'}"
              f"{', in use' if e['in_use'] else ''}")
    return 0


def _list() -> int:
    from .registry import registry

    for name, exp in registry().items():
        print(f"{name:26s} {exp.description}")
    return 0


def _params(name: str) -> int:
    from .registry import get

    exp = get(name)
    for p in exp.params:
        quick = "" if p.quick is None else f"  (quick: {p.quick})"
        print(f"{p.name:24s} {p.default!s:>14}{quick}  {p.help}")
    return 0


def _interrupt_once(signum, frame):
    """SIGINT handler: the first Ctrl+C raises ``KeyboardInterrupt``, later ones are ignored.

    Ignoring the later ones keeps a second, impatient Ctrl+C from cutting short the clean-up
    of the first (removing temporary directories, stopping worker processes), which is
    bounded in time. It also replaces Brian2's handler, which would only ask a running
    simulation to stop and let the program go on with a truncated run.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def _run(args) -> int:
    from .output import run_experiment
    from .params import parse_overrides

    path = run_experiment(args.name, parse_overrides(args.overrides), seed=args.seed, quick=args.quick,
                          out=args.out, backend=args.backend, progress=not args.no_progress)
    print(f"wrote {path}")
    return 0


#: Whether this ``figures`` worker process is running an experiment (see _figure_worker_interrupted).
_FIGURE_JOB_RUNNING = False

#: Seconds the ``figures`` command waits for interrupted workers to clean up before killing them.
WORKER_CLEANUP_S = 30.0


def _figure_worker_init():
    """Set up a ``figures`` worker process: its own Ctrl+C handling."""
    import brian2  # noqa: F401 - imported first: Brian2 installs its SIGINT handler at import

    signal.signal(signal.SIGINT, _figure_worker_interrupted)


def _figure_worker_interrupted(signum, frame):
    """SIGINT in a ``figures`` worker (from the terminal, or forwarded by the parent).

    A busy worker raises ``KeyboardInterrupt`` in its experiment, whose runner removes its
    temporary directory; :func:`_figure_job` then ends the process. An idle worker has
    nothing to clean up and exits at once (a ``KeyboardInterrupt`` in the pool's queue would
    print a traceback).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if _FIGURE_JOB_RUNNING:
        raise KeyboardInterrupt
    os._exit(130)


def _figure_job(name, seed, quick, out, backend):
    """One experiment of ``homeostasis figures``, in a worker process."""
    global _FIGURE_JOB_RUNNING
    from .output import run_experiment

    start = time.perf_counter()
    _FIGURE_JOB_RUNNING = True
    try:
        path = run_experiment(name, seed=seed, quick=quick, out=out, backend=backend, progress=False)
    except KeyboardInterrupt:
        # nothing left to clean up; leave now rather than take the pool's next experiment
        os._exit(130)
    finally:
        _FIGURE_JOB_RUNNING = False
    return str(path), time.perf_counter() - start


def _stop_workers(pool, timeout: float = WORKER_CLEANUP_S):
    """Interrupt every worker of ``pool`` and wait for them to clean up; kill the stragglers.

    A terminal's Ctrl+C reaches the workers by itself (they share its process group); a
    SIGINT sent to this process alone does not, hence the forwarding.
    """
    processes = list((getattr(pool, "_processes", None) or {}).values())  # private, stable since 3.2
    for proc in processes:
        if proc.is_alive():
            try:
                os.kill(proc.pid, signal.SIGINT)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + timeout
    for proc in processes:
        proc.join(max(0.0, deadline - time.monotonic()))
        if proc.is_alive():  # stuck in a long C call (a compiler, a standalone binary)
            proc.kill()
            proc.join(5)


def _figures(args) -> int:
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from tqdm import tqdm

    from .output import check_out_dir
    from .registry import registry

    check_out_dir(args.out)
    names = [n for n, e in registry().items() if e.figure]
    jobs = args.jobs or os.cpu_count() or 1
    if jobs < 1:
        raise ValueError(f"--jobs must be at least 1, got {jobs}")
    failed, done = [], []
    # experiments are independent single-threaded processes: one per core halves the wall time
    pool = ProcessPoolExecutor(max_workers=min(jobs, len(names)), initializer=_figure_worker_init)
    try:
        futures = {pool.submit(_figure_job, n, args.seed, args.quick, args.out, args.backend): n for n in names}
        with tqdm(total=len(names), desc="figures", unit="experiment", disable=args.no_progress) as bar:
            for fut in as_completed(futures):
                name = futures[fut]
                try:
                    path, seconds = fut.result()
                    done.append(name)
                    tqdm.write(f"{name}: {path} ({seconds:.0f} s)")
                except Exception as err:  # noqa: BLE001 - report every failure, then fail overall
                    failed.append(name)
                    tqdm.write(f"FAILED {name}: {type(err).__name__}: {err}")
                bar.update()
    except KeyboardInterrupt:
        _stop_workers(pool)
        pool.shutdown(wait=True, cancel_futures=True)
        kept = f"the {len(done)} finished ({', '.join(done)}) are kept" if done else "none had finished"
        raise KeyboardInterrupt(f"the running experiments wrote nothing; {kept}") from None
    pool.shutdown(wait=True)
    if failed:
        print(f"{len(failed)} of {len(names)} experiments failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def _compare(args) -> int:
    """The ANN benchmark: flags map onto the parameters of ``normalization-benchmark``."""
    from .output import run_experiment

    overrides = {}
    for flag, key in (("datasets", "datasets"), ("methods", "methods")):
        value = getattr(args, flag)
        if value:
            overrides[key] = ",".join(v for item in value for v in item.split(","))
    overrides["deep"] = bool(args.deep)
    if args.engine is not None:
        overrides["engine"] = args.engine
    for flag in ("seeds", "steps", "batch_size"):
        value = getattr(args, flag)
        if value is not None:
            overrides[flag] = int(value)
    path = run_experiment("normalization-benchmark", overrides, quick=args.quick, out=args.out,
                          progress=not args.no_progress)
    print((path / "table.md").read_text())
    print(f"wrote {path} (table: {path / 'table.md'})")
    return 0


#: What a Ctrl+C leaves behind, per command (the runner writes nothing unfinished).
_INTERRUPTED = {
    "run": "nothing was written; an earlier result is kept",
    "compare": "no table was written; an earlier result is kept",
    "figures": "the running experiments wrote nothing",
    "sweep": "finished points are kept; rerun the same command to finish the rest",
}


def console() -> int:
    """The ``homeostasis`` command (console script and ``python -m homeostasis``): :func:`main`,
    in a process that ends right after it.

    At shutdown Python collects every object it still tracks; after Brian2 and sympy are
    loaded that took 0.45 s of every command, a tenth of a cached cpp_standalone run. The
    process is about to end, so its objects are frozen out of that collection instead.

    After a Ctrl+C the status is 130 under ``python -m homeostasis`` too, not a death by
    SIGINT: CPython's ``-m`` runner re-raises SIGINT at exit when a KeyboardInterrupt passed
    through a string ``eval``/``exec`` on its way, even a caught one.
    """
    code = main(exiting=True)
    gc.freeze()
    if code == 130:
        # A KeyboardInterrupt that crossed a string eval/exec (sympy and Brian2 parse with them)
        # leaves CPython flagged to end ``python -m`` by SIGINT, whatever the exit status; a
        # string eval clears that flag (CPython 3.11-3.13).
        eval("None", {})
    return code


def main(argv=None, *, exiting: bool = False) -> int:
    """Run the ``homeostasis`` command line with ``argv`` (default: ``sys.argv[1:]``); returns
    the exit status.

    ``exiting``: the process ends when this returns (:func:`console`). After a Ctrl+C, later
    ones are then ignored up to the exit, so that one arriving during the shutdown cannot
    turn the exit status 130 into a death by signal; otherwise the SIGINT handler the
    caller had is restored."""
    from brian2 import DimensionMismatchError

    from .backend import SimulationInterrupted

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if len(argv) >= 2 and argv[0] == "run" and not argv[1].startswith("-") and ("-h" in argv or "--help" in argv):
        # `homeostasis run NAME --help`: argparse's help of `run`, then the experiment's parameters
        try:
            from .registry import get

            get(argv[1])
        except KeyError as err:
            print(f"homeostasis run: error: {err.args[0]}", file=sys.stderr)
            return 2
        print(parser.commands["run"].format_help())
        print(f"parameters of {argv[1]} (--set KEY=VALUE, with units):")
        return _params(argv[1])
    args = parser.parse_args(argv)
    previous = None
    if args.command in _INTERRUPTED and threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGINT, _interrupt_once)
    threads_before = os.environ.get("HOMEOSTASIS_THREADS")
    try:
        _apply_threads(args)
        if args.command == "cache":
            return _cache(args)
        if args.command == "list":
            return _list()
        if args.command == "params":
            return _params(args.name)
        if args.command == "run":
            return _run(args)
        if args.command == "figures":
            return _figures(args)
        if args.command == "compare":
            return _compare(args)
        if args.command == "sweep":
            from .sweep import main as sweep_main

            return sweep_main(args)
    except (KeyError, ValueError, DimensionMismatchError, OSError) as err:
        message = err.args[0] if isinstance(err, KeyError) and err.args else err
        # an error raised without text (a bare TimeoutError from Dask's client) still says what it was
        message = message if str(message) else type(err).__name__
        print(f"homeostasis {args.command}: error: {message}", file=sys.stderr)
        return 2
    except SimulationInterrupted as err:
        print(f"homeostasis {args.command}: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as err:
        detail = err.args[0] if err.args else _INTERRUPTED.get(args.command, "")
        print(f"homeostasis {args.command}: interrupted (Ctrl+C); {detail}", file=sys.stderr)
        return 130
    finally:
        if previous is not None and not (exiting and signal.getsignal(signal.SIGINT) == signal.SIG_IGN):
            signal.signal(signal.SIGINT, previous)
        if threads_before is None:  # main() may be called again in this process (tests)
            os.environ.pop("HOMEOSTASIS_THREADS", None)
        else:
            os.environ["HOMEOSTASIS_THREADS"] = threads_before
    return 0
