"""Run an experiment and write its outputs atomically: all files or none.

Every run writes ``OUT/NAME/`` with ``metrics.json``, ``data.npz``, ``figure.png`` and
``figure.pdf``. The files are written into a hidden temporary directory beside the
destination and moved into place with one rename at the end, so an error or Ctrl+C never
leaves a half-written result, and a previous complete result is replaced only by a new
complete one. A Ctrl+C that arrives during that final swap is held until the swap is done.

A result must hold every metrics key its experiment declares (``required_metrics`` of
:func:`homeostasis.simulations.registry.experiment`); a run that lacks one is an error and writes
nothing, because other tools read those keys.
"""
from __future__ import annotations

import json
import math
import os
import platform
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .backend import check_backend, check_interrupt, standalone_history
from .params import resolve
from .registry import Result, RunContext, get

__all__ = ["run_experiment", "check_out_dir", "missing_metrics", "jsonable", "flatten"]


def jsonable(value):
    """Numbers, quantities and arrays as JSON values (non-finite numbers become null)."""
    from brian2 import Quantity

    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, Quantity):
        return str(value) if value.size == 1 else [str(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value


def flatten(metrics: dict, prefix: str = "") -> dict:
    """``{"a": {"b": 1}}`` to ``{"a.b": 1}``."""
    out = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        else:
            out[name] = value
    return out


def _git_commit() -> str | None:
    """The commit of the code that ran, ``+dirty`` if tracked files differ from it (None outside git)."""
    try:
        here = Path(__file__).resolve().parent
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True,
                                timeout=5).stdout.strip()
        if not commit:
            return None
        # a result from uncommitted code must not pass for one of the commit
        changed = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                                 capture_output=True, text=True, timeout=5).stdout.strip()
        return commit + ("+dirty" if changed else "")
    except (OSError, subprocess.SubprocessError):
        return None


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for pkg in ("homeostasis", "brian2", "numpy", "scipy", "matplotlib", "scikit-learn"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = None
    return out


def missing_metrics(exp, values: dict, metrics: dict) -> list:
    """The keys ``exp`` declares for a run with parameters ``values`` that ``metrics`` lacks.

    Examples
    --------
    >>> from homeostasis.simulations.registry import Experiment, Param
    >>> exp = Experiment("x", "", (Param("methods", "a,b"),), None, required_metrics=("{methods}.cv",))
    >>> missing_metrics(exp, {"methods": "a,b"}, {"a": {"cv": 0.1}})
    ['b.cv']
    """
    flat = flatten(metrics)
    return [key for key in exp.required_keys(values) if key not in flat]


@contextmanager
def _interrupts_held():
    """Hold a Ctrl+C (SIGINT) that arrives inside the block, and deliver it afterwards.

    Only the main thread receives signals in Python; elsewhere the block runs unchanged.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: held.append(frame))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if held:
            handler = previous
            # Brian2's handler (installed when it is imported) passes a Ctrl+C on to the handler
            # it found then, calling it even when that is SIG_IGN or SIG_DFL (a TypeError): in a
            # process started with SIGINT ignored, go to that handler directly
            inner = getattr(handler, "previous_handler", None)
            if inner is not None and not callable(inner):
                handler = inner
            if callable(handler):
                handler(signal.SIGINT, held[0])
            elif handler != signal.SIG_IGN:  # SIG_DFL or a handler installed outside Python
                signal.raise_signal(signal.SIGINT)


def check_out_dir(out) -> Path:
    """Create ``out`` if needed and check it is writable, before any work is done."""
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as err:
        raise ValueError(f"cannot write results to --out {str(out)!r}: {err.strerror or err}") from None
    return out


def run_experiment(name: str, overrides: dict | None = None, seed: int = 0, quick: bool = False,
                   out: str | os.PathLike = "results", backend: str = "numpy", progress: bool = True,
                   figures: bool = True) -> Path:
    """Run experiment ``name`` and write ``out/name/``; return that directory.

    Parameters
    ----------
    name : str
        A registered experiment (``homeostasis list``).
    overrides : dict
        Parameter values, as ``--set`` text (``"5*Hz"``) or as values.
    seed : int
    quick : bool
        Quick mode: smaller sizes, same code path.
    out : path
        Parent directory of the result.
    backend : {"numpy", "cython", "cpp_standalone"}
    progress : bool
        Show progress bars.
    figures : bool
        Write ``figure.png`` and ``figure.pdf``. A sweep point leaves them out by default
        (``homeostasis sweep --figures`` keeps them): rendering them takes longer than a
        cached cpp_standalone point simulates.

    Examples
    --------
    >>> run_experiment("synaptic-scaling", {"target_rate": "5*Hz"}, quick=True)  # doctest: +SKIP
    PosixPath('results/synaptic-scaling')
    """
    import brian2
    from .registry import Params

    exp = get(name)
    check_backend(backend)
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    values = resolve(exp, dict(overrides or {}), quick)  # validates before anything runs
    out = check_out_dir(out)
    brian2.seed(int(seed))
    np.random.seed(int(seed))
    ctx = RunContext(seed=int(seed), quick=quick, backend=backend, progress=progress)

    standalone_history(clear=True)
    start = time.perf_counter()
    result = exp.func(Params(values), ctx)
    wall = time.perf_counter() - start
    projects = standalone_history(clear=True)
    if not isinstance(result, Result):
        raise TypeError(f"experiment {name!r} returned {type(result).__name__}, not Result")
    missing = missing_metrics(exp, values, result.metrics)
    if missing:
        raise RuntimeError(f"experiment {name!r} did not produce the required metrics {missing}")

    metrics = dict(result.metrics)
    metrics.update(params=jsonable(values), seed=int(seed), quick=bool(quick), backend=backend,
                   versions=_versions(), git_commit=_git_commit(), wall_seconds=round(wall, 3))
    if projects:  # where the time of a cpp_standalone run went (compile is 0 on a cache hit)
        metrics["standalone"] = {
            "projects": len(projects), "cached": sum(bool(p["cached"]) for p in projects),
            "threads": projects[0]["threads"],
            **{f"{k}_seconds": round(sum(p.get(k, 0.0) for p in projects), 3) for k in ("generate", "compile", "run")}}
    final = out / name
    tmp = None
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".partial", dir=out))
        (tmp / "metrics.json").write_text(json.dumps(jsonable(metrics), indent=2, sort_keys=False) + "\n")
        arrays = {k: np.asarray(v) for k, v in result.data.items()}
        # zlib releases the GIL, so the archive compresses on another core while the figure
        # renders (a quarter of a second for the weight traces of synaptic-scaling); leaving
        # the block waits for it, also when rendering fails or is interrupted
        with ThreadPoolExecutor(max_workers=1) as pool:
            archive = pool.submit(np.savez_compressed, tmp / "data.npz", **arrays)
            if result.figure is not None and figures:
                result.figure.savefig(tmp / "figure.png", dpi=150)
                # the first draw solved the constrained layout; the PDF keeps those positions
                # instead of solving it again (a fifth of a cached sweep point's time)
                result.figure.set_layout_engine("none")
                result.figure.savefig(tmp / "figure.pdf")
            archive.result()
        if result.figure is not None:
            import matplotlib.pyplot as plt

            plt.close(result.figure)
        for fname, text in result.extra_files.items():
            (tmp / fname).write_text(text)
        # the swap is two renames; between them the old result is out of place, so a
        # Ctrl+C must not land there
        with _interrupts_held():
            check_interrupt()  # a worker thread asked to stop commits nothing
            old = None
            if final.exists():
                old = out / f".{name}.{os.getpid()}.old"
                os.replace(final, old)
            try:
                os.replace(tmp, final)
            except BaseException:
                if old is not None:
                    os.replace(old, final)
                raise
            tmp = None
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final
