"""Parameter sweeps on Dask distributed, with a results store that loses nothing.

``homeostasis sweep NAME --grid key=v1,v2 [--grid ...] --seeds N`` runs every grid point and
seed as one task. With no ``--scheduler`` it starts a local cluster (one single-threaded worker
process per core); with ``--scheduler tcp://host:8786`` it submits to a running cluster, so the
same command scales to many machines, and with dask-jobqueue (``pip install -e '.[dist]'``) to
an HPC batch system: start e.g. ``SLURMCluster(cores=1, processes=1, memory="4GB")``, scale
it, and pass its ``scheduler_address``.

Store layout, under ``OUT/NAME/``::

    points/<key=value,...>/seed-<s>/NAME/metrics.json   one atomic result per point and seed
    points/<key=value,...>/seed-<s>/NAME/data.npz       its arrays
    points/<key=value,...>/seed-<s>/error.json          the error of a failed point
    summary.csv, summary.png                            rebuilt from the store at the end

A point writes no figure unless ``--figures`` is given: the sweep's figure is
``summary.png``, and rendering a point's PNG and PDF (0.6-1.1 s) takes longer than a point
whose structure was built before simulates. ``homeostasis run NAME --set ...`` with a point's values
draws its figure (on cpp_standalone with the sweep's build).

A rerun skips every point whose ``metrics.json`` exists and redoes missing or failed ones. A
failed point is recorded with its error and does not stop the others. Ctrl+C stops the sweep:
the points running then are interrupted inside their workers (their runner removes its
temporary files and they are neither marked done nor failed), the points finished before are
kept, and the command exits with status 130; running it again finishes the rest. A killed
worker leaves no half-written point either, because each result directory appears with one
rename (a stale temporary directory is removed when its point runs again).

Compiled targets: every worker process has its own cython cache. On cpp_standalone every
point builds in the kept build directory of its structure (:mod:`homeostasis.simulations.cache`),
whose code does not depend on run-time parameters (:mod:`homeostasis.models.runtime`) or the
seed: a grid over ``target_rate``, ``tau_scaling`` or ``tau_r`` of ``synaptic-scaling`` compiles its
structure once (once per worker at most, when several workers run it at the same time) and every
point runs the same binary with its own values as ``run_args``. A parameter that changes the
structure (a size, a duration) makes another structure, compiled once too. ``--threads N`` runs
each point's project on N OpenMP threads.
"""
from __future__ import annotations

import csv
import io
import itertools
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
from contextlib import contextmanager
from pathlib import Path

import numpy as np

__all__ = ["Point", "parse_grid", "plan", "run_point", "run_sweep", "summarize", "main"]


class Point(dict):
    """One task: ``{"name", "overrides", "seed", "quick", "backend", "dir", "threads", "figures"}``."""


def parse_grid(items) -> dict:
    """``["target_rate=3*Hz,5*Hz", "n=1,2"]`` to ``{"target_rate": ["3*Hz", "5*Hz"], "n": ["1", "2"]}``."""
    grid = {}
    for item in items or ():
        key, sep, values = item.partition("=")
        key = key.strip()
        vals = [v.strip() for v in values.split(",") if v.strip()]
        if not sep or not key or not vals:
            raise ValueError(f"--grid expects key=v1,v2,..., got {item!r}")
        if key in grid:
            raise ValueError(f"--grid {key} given twice")
        grid[key] = vals
    if not grid:
        raise ValueError("give at least one --grid key=v1,v2,...")
    return grid


def _slug(overrides: dict) -> str:
    text = ",".join(f"{k}={v}" for k, v in overrides.items())
    return re.sub(r"[^A-Za-z0-9=,._+-]", "_", text)


def plan(name: str, grid: dict, seeds: int, quick: bool, out, backend: str = "numpy", threads: int | None = None,
         figures: bool = False) -> list:
    """Every (grid point, seed) task; all values are validated here, before anything runs.

    ``figures=True`` makes every point write its experiment's figure too.
    """
    from .params import resolve
    from .registry import get

    exp = get(name)
    if seeds < 1:
        raise ValueError(f"--seeds must be at least 1, got {seeds}")
    root = Path(out) / name / "points"
    points = []
    for combo in itertools.product(*grid.values()):
        overrides = dict(zip(grid, combo))
        resolve(exp, overrides, quick)  # unknown key, bad unit or malformed value: error now
        for seed in range(seeds):
            points.append(Point(name=name, overrides=overrides, seed=seed, quick=quick, backend=backend,
                                dir=str(root / _slug(overrides) / f"seed-{seed}"), threads=threads,
                                figures=bool(figures)))
    return points


def is_done(point) -> bool:
    return (Path(point["dir"]) / point["name"] / "metrics.json").exists()


def _write_atomic(path: Path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def _import_brian2_in_worker_thread():
    """Import Brian2 where tasks run: a Dask worker thread, not the main thread.

    Brian2 installs a SIGINT handler at import, which Python allows only in the main thread;
    the worker process's own signal handling is kept, so skipping that one call is safe.
    """
    import signal
    import threading

    if "brian2" in sys.modules or threading.current_thread() is threading.main_thread():
        return
    original = signal.signal
    signal.signal = lambda *args, **kwargs: None
    try:
        import brian2  # noqa: F401
    finally:
        signal.signal = original


_FREEZE_TRIED = False


def freeze_long_lived() -> bool:
    """Before a worker's first point: collect, then exempt what is alive from later collections.

    On cpp_standalone every point collects the garbage of the one before
    (:func:`homeostasis.simulations.backend.simulation`, so that Brian2 gives the next point's objects
    the same names and the compiled project is found again): a full collection of every
    object the worker holds, Brian2, sympy, matplotlib, the experiments and Dask, a tenth of
    a second per point. That is all long-lived, so ``gc.freeze`` moves it out of the
    collector's way, and later collections scan only what points create. Done once per
    process, before any model exists: with a Brian2 object alive (a caller that built a
    model in this process) nothing is frozen, since a frozen object left in a reference
    cycle is never collected and could rename the next point's objects for good. Returns
    whether anything is frozen. :func:`run_point` calls it in Dask workers only, never in
    a process of the user's that runs a point itself.
    """
    import gc

    from brian2 import BrianObject

    from .registry import registry

    global _FREEZE_TRIED
    if not _FREEZE_TRIED:
        _FREEZE_TRIED = True
        registry()  # import every experiment first: its modules are long-lived too
        gc.collect()
        if not any(isinstance(obj, BrianObject) for obj in gc.get_objects()):
            gc.freeze()
    return gc.get_freeze_count() > 0


def _in_dask_worker() -> bool:
    from distributed import get_worker

    try:
        get_worker()
    except ValueError:
        return False
    return True


#: Threads of this worker process running a point, by thread id (see interrupt_points).
_RUNNING = {}
TERMINATE_FOR_S = 5.0  # at most this long, an interrupted worker terminates what its points start
_RUNNING_LOCK = threading.Lock()

#: Seconds to wait for interrupted points to clean up before the local cluster is closed.
INTERRUPT_WAIT_S = 10.0


def interrupt_points() -> int:
    """Interrupt every point running in this worker process; returns how many.

    Run on each worker (``client.run``) when the sweep is interrupted. Dask runs tasks in
    worker threads, which no signal reaches, so each gets an interrupt request
    (:func:`homeostasis.simulations.backend.request_interrupt`): its Brian2 simulation stops within a
    fraction of a second and raises ``KeyboardInterrupt``, its runner removes its temporary
    directory and refuses to write a result, and :func:`run_point` reports it as
    interrupted. Compilers and cpp_standalone binaries the points started are terminated
    (the workers ignore SIGINT, and so do the programs they start). Code that does not
    look at the request (an ANN training loop) runs on until the local cluster is closed,
    or, on a cluster of your own, to its end, and its result is then discarded.
    """
    from .backend import request_interrupt

    _quiet_shutdown_logging()  # this worker's heartbeat may now fail against a closing scheduler
    with _RUNNING_LOCK:
        threads = list(_RUNNING)
        for ident in threads:
            request_interrupt(ident)
    # a point between two steps may start make after one pass: terminate until the points end
    deadline = time.monotonic() + TERMINATE_FOR_S
    while threads and time.monotonic() < deadline:
        _terminate_children()
        with _RUNNING_LOCK:
            if not any(ident in _RUNNING for ident in threads):
                break
        time.sleep(0.1)
    return len(threads)


def _quiet_shutdown_logging():
    """Silence Dask's and tornado's loggers in this process for the rest of its life.

    Once a sweep is interrupted its local cluster is closed, and a worker or nanny still
    running then logs the lost connections (a failed heartbeat, with its traceback) to the
    terminal the command shares with them. The command reports the interrupt in one line
    instead. Run in the client and, through :func:`interrupt_points`, in every worker.
    """
    import logging

    # children with a level of their own (distributed.client, tornado.application) do not
    # take their parent's; loggers made later inherit it
    names = [name for name in list(logging.root.manager.loggerDict) if name.split(".")[0] in ("distributed", "tornado")]
    for name in {"distributed", "tornado", *names}:
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)


def _terminate_children():
    """Terminate the programs this worker process started (``make``, compilers, binaries)."""
    import psutil  # a dependency of distributed

    for child in psutil.Process().children(recursive=True):
        try:
            if "multiprocessing" not in " ".join(child.cmdline()):  # not Python's own helpers
                child.terminate()
        except psutil.Error:  # already gone
            pass


def _remove_partial(pdir: Path, name: str):
    """Temporary directories left in a point by a worker that was killed while writing."""
    for tmp in Path(pdir).glob(f".{name}.*.partial"):
        shutil.rmtree(tmp, ignore_errors=True)


def run_point(point) -> dict:
    """Run one task (in a worker); returns its status, never raises for an experiment error.

    The status is ``"done"``, ``"failed"`` (recorded in ``error.json``) or ``"interrupted"``
    (by :func:`interrupt_points`; nothing is recorded, so a rerun runs the point again).
    """
    _import_brian2_in_worker_thread()
    from .backend import clear_interrupt, interrupt_requested
    from .output import run_experiment

    # compiled targets must not share build directories between worker processes
    os.environ.setdefault("HOMEOSTASIS_CYTHON_CACHE", str(Path(tempfile.gettempdir()) / f"homeostasis-cython-{os.getpid()}"))
    # cpp_standalone: kept build directories, locked per process (homeostasis.simulations.cache)
    if point.get("threads") is not None:
        os.environ["HOMEOSTASIS_THREADS"] = str(point["threads"])
    pdir = Path(point["dir"])
    error_file = pdir / "error.json"
    _remove_partial(pdir, point["name"])  # this task owns the point directory now
    start = time.perf_counter()
    ident = threading.get_ident()
    clear_interrupt()
    if _in_dask_worker():
        freeze_long_lived()
    try:
        with _RUNNING_LOCK:
            _RUNNING[ident] = str(pdir)
        try:
            run_experiment(point["name"], point["overrides"], seed=point["seed"], quick=point["quick"], out=pdir,
                           backend=point["backend"], progress=False, figures=point.get("figures", False))
        finally:
            with _RUNNING_LOCK:
                _RUNNING.pop(ident, None)
    except KeyboardInterrupt:
        return {"dir": str(pdir), "status": "interrupted"}
    except Exception as err:  # noqa: BLE001 - a failed point is recorded, the sweep goes on
        if interrupt_requested():  # failed because it was interrupted: not a result, not an error
            return {"dir": str(pdir), "status": "interrupted"}
        record = {"error": f"{type(err).__name__}: {err}", "traceback": traceback.format_exc(),
                  "overrides": point["overrides"], "seed": point["seed"]}
        _write_atomic(error_file, json.dumps(record, indent=2))
        return {"dir": str(pdir), "status": "failed", "error": record["error"]}
    if error_file.exists():
        error_file.unlink()
    return {"dir": str(pdir), "status": "done", "seconds": time.perf_counter() - start}


@contextmanager
def _sigint_ignored():
    """Ignore SIGINT while local worker processes start, so that they inherit it ignored.

    A terminal's Ctrl+C reaches every process of its group; the workers must not react on
    their own (each would print tracebacks and die with its point half-done): the client
    interrupts their points (:func:`interrupt_points`) and then closes them.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _client(scheduler, workers):
    from dask.distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler), None
    n = workers or os.cpu_count() or 1
    with _sigint_ignored():
        # port 0: the scheduler's HTTP server (always started) takes a free port, so a second
        # sweep on this machine prints no warning about a busy 8787; no dashboard is served
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0",
                               scheduler_kwargs={"dashboard": False})
    return Client(cluster), cluster


def run_sweep(points, scheduler=None, workers=None, progress=True) -> list:
    """Run the points not yet done on Dask; returns the statuses of the points run now.

    On ``KeyboardInterrupt`` the running points are interrupted in their workers and waited
    for (at most ``INTERRUPT_WAIT_S``), then the interrupt propagates.
    """
    from dask.distributed import as_completed
    from tqdm.auto import tqdm

    todo = [p for p in points if not is_done(p)]
    if not todo:
        return []
    client, cluster = _client(scheduler, workers)
    statuses = []
    try:
        # Hand out one point per worker thread and the next when one finishes. Submitting the
        # whole grid at once lets the scheduler queue it unevenly before it knows how long a
        # point takes (8 points on 2 workers ran as 5 + 3), and work stealing does not undo it.
        # The slots are counted again after every point, so workers that join a running
        # cluster (e.g. jobs of dask-jobqueue starting late) get work too.
        client.wait_for_workers(1)
        queue = list(todo)
        running = as_completed()
        submitted = []

        def top_up():
            while queue and running.count() < max(1, sum(client.nthreads().values())):
                submitted.append(client.submit(run_point, queue.pop(0), pure=False))
                running.add(submitted[-1])

        try:
            top_up()
            with tqdm(total=len(todo), desc="sweep", disable=not progress) as bar:
                for fut in running:
                    statuses.append(fut.result())
                    bar.update()
                    top_up()
        except KeyboardInterrupt:
            _interrupt(client, [f for f in submitted if not f.done()])
            raise
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
            # the local workers are gone: a point killed while writing leaves no temporary directory
            for p in todo:
                _remove_partial(Path(p["dir"]), p["name"])
    return statuses


def _interrupt(client, unfinished):
    """Interrupt the running points and wait until they have cleaned up (or time is up)."""
    from dask.distributed import wait

    _quiet_shutdown_logging()
    try:
        client.run(interrupt_points)
        wait(unfinished, timeout=INTERRUPT_WAIT_S)
    except Exception:  # noqa: BLE001 - a worker gone or too slow: the local cluster is closed anyway
        pass
    client.cancel(unfinished)


def summarize(name: str, points, out, metric: str | None = None) -> Path:
    """Rebuild ``summary.csv`` (one row per point and seed) and a plot, from the store alone."""
    from .output import flatten

    rows = []
    for p in points:
        row = {**p["overrides"], "seed": p["seed"], "status": "missing", "error": ""}
        metrics_file = Path(p["dir"]) / name / "metrics.json"
        error_file = Path(p["dir"]) / "error.json"
        if metrics_file.exists():
            m = json.loads(metrics_file.read_text())
            for key in ("params", "versions"):
                m.pop(key, None)
            row["status"] = "done"
            reserved = set(row)  # grid keys, seed, status: a metric of the same name gets a prefix
            row.update({(f"metrics.{k}" if k in reserved else k): v for k, v in flatten(m).items()
                        if isinstance(v, (int, float, str, bool)) or v is None})
        elif error_file.exists():
            row.update(status="failed", error=json.loads(error_file.read_text())["error"])
        rows.append(row)
    columns = list(dict.fromkeys(k for r in rows for k in r))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    root = Path(out) / name
    _write_atomic(root / "summary.csv", buf.getvalue())
    if metric and points:
        _plot(root, rows, list(points[0]["overrides"])[0], metric)
    return root / "summary.csv"


def _plot(root: Path, rows, key: str, metric: str):
    from .style import figure

    done = [r for r in rows if r["status"] == "done" and isinstance(r.get(metric), (int, float))]
    if not done:
        raise ValueError(f"no completed point has a numeric metric {metric!r}")
    levels = list(dict.fromkeys(r[key] for r in done))
    values = [[r[metric] for r in done if r[key] == level] for level in levels]
    fig, ax = figure(1, width=3.5)
    ax[0].errorbar(range(len(levels)), [np.mean(v) for v in values], yerr=[np.std(v) for v in values],
                   fmt="o-", capsize=3)
    ax[0].set_xticks(range(len(levels)), levels)
    ax[0].set(xlabel=key, ylabel=metric, title=f"{metric} (mean +- std over seeds)")
    fig.savefig(root / ".summary.png.partial.png")
    os.replace(root / ".summary.png.partial.png", root / "summary.png")


def main(args) -> int:
    """``homeostasis sweep`` (see :mod:`homeostasis.simulations.cli`)."""
    from .output import check_out_dir

    grid = parse_grid(args.grid)
    check_out_dir(args.out)
    points = plan(args.name, grid, args.seeds, args.quick, args.out, args.backend, getattr(args, "threads", None),
                  getattr(args, "figures", False))
    done_before = sum(is_done(p) for p in points)
    print(f"{len(points)} points ({done_before} already done)", flush=True)
    try:
        statuses = run_sweep(points, args.scheduler, args.workers, progress=not getattr(args, "no_progress", False))
    except KeyboardInterrupt:
        done = sum(is_done(p) for p in points)
        raise KeyboardInterrupt(f"{done} of {len(points)} points are done and kept ({done - done_before} new), "
                                "no interrupted point is marked done; rerun the same command to finish "
                                "the rest") from None
    failed = [s for s in statuses if s["status"] == "failed"]
    path = summarize(args.name, points, args.out, args.metric)
    for s in failed:
        print(f"FAILED {s['dir']}: {s['error']}", file=sys.stderr)
    print(f"wrote {path} ({len(points) - len(failed)} of {len(points)} points done)")
    return 1 if failed else 0
