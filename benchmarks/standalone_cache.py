"""cpp_standalone, compile once and run many: kept build directories and OpenMP threads.

Each measurement side by side in one run, every one with a cache directory of its own (nothing
compiled before the benchmark counts):

1. ``homeostasis run synaptic-scaling --backend cpp_standalone``, twice as separate processes:
   cold (compiles) and with a new ``target_rate`` (same build directory, nothing compiled).
   Printed: process and experiment wall times and the simulation time (the binary's run); the
   issue's bound for the second run is 1.5 x simulation + 3 s.
2. An 8-point ``synaptic-scaling --quick`` sweep over ``target_rate`` as a sweep worker runs it
   (:func:`homeostasis.simulations.output.run_experiment` point after point in a new process,
   without figures): built once (``HOMEOSTASIS_CACHE`` on) against one compilation per point
   (``HOMEOSTASIS_CACHE=off``), with the metrics of every point compared.
3. ``standalone-threads``: the learning E/I network of ``network-homeostasis`` (8000 + 2000
   neurons) on 1 and on 2 OpenMP threads; meaningful only on otherwise idle cores.
"""
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

IGNORED = ("wall_seconds", "standalone", "versions", "git_commit")


@contextmanager
def _env(**values):
    old = {k: os.environ.get(k) for k in values}
    os.environ.update({k: str(v) for k, v in values.items() if v is not None})
    for k, v in values.items():
        if v is None:
            os.environ.pop(k, None)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def cli_rerun(quick: bool):
    """Measurement 1: a cold ``homeostasis run`` and a second one with a new target rate."""
    work = Path(tempfile.mkdtemp(prefix="bench_cache_cli_"))
    rows = []
    try:
        for target in (5, 6):
            cmd = [sys.executable, "-m", "homeostasis", "run", "synaptic-scaling", "--backend", "cpp_standalone",
                   "--set", f"target_rate={target}*Hz", "--out", str(work / str(target)), "--no-progress"]
            cmd += ["--quick"] if quick else []
            start = time.perf_counter()
            with _env(HOMEOSTASIS_CACHE_DIR=work / "cache", HOMEOSTASIS_CACHE=None):
                subprocess.run(cmd, check=True, capture_output=True)
            wall = time.perf_counter() - start
            m = json.loads((work / str(target) / "synaptic-scaling" / "metrics.json").read_text())
            rows.append((wall, m["wall_seconds"], m["standalone"]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    (cold, cold_exp, _), (warm, warm_exp, s) = rows
    bound = 1.5 * s["run_seconds"] + 3
    print(f"new parameter on a cached structure: homeostasis run synaptic-scaling{' --quick' if quick else ''}: "
          f"cold {cold:.1f} s (experiment {cold_exp:.1f} s), cached {warm:.1f} s (experiment {warm_exp:.1f} s, "
          f"simulation {s['run_seconds']:.2f} s, code generation {s['generate_seconds']:.2f} s, "
          f"cached={bool(s['cached'])}); ratio {cold / warm:.2f}x; bound 1.5 x simulation + 3 s = {bound:.1f} s: "
          f"experiment {'within' if warm_exp <= bound else 'ABOVE'}, whole process {'within' if warm <= bound else 'above'}")
    return {"cold": cold, "cached": warm, "cached_experiment": warm_exp, "simulation": s["run_seconds"]}


def _sweep(targets, setting: str, figures: bool = False):
    """Run the points one after the other in a new process, as one sweep worker runs them.

    ``setting`` is ``HOMEOSTASIS_CACHE``: ``on`` builds once in a kept build directory,
    ``off`` compiles every point in a temporary one. The cache directory is new, and each side
    has a process of its own (neither inherits the other's imports); the time is measured inside
    it, from the first point on. Returns wall and CPU seconds and the metrics of every point.
    """
    code = f"""
import json, sys
from benchmarks.standalone_cache import _points
print(json.dumps(_points({list(targets)!r}, {figures!r})))
"""
    work = Path(tempfile.mkdtemp(prefix="bench_cache_sweep_"))
    try:
        with _env(HOMEOSTASIS_CACHE_DIR=work / "cache", HOMEOSTASIS_CACHE=setting, HOMEOSTASIS_SWEEP_OUT=work / "out"):
            proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return json.loads(proc.stdout.splitlines()[-1])


def _points(targets, figures: bool):
    """In the sweep's process: run the points, return wall and CPU seconds and their metrics."""
    from homeostasis.simulations.output import run_experiment
    from homeostasis.simulations.sweep import freeze_long_lived

    out = Path(os.environ["HOMEOSTASIS_SWEEP_OUT"])
    metrics = []
    start, cpu_start = time.perf_counter(), _cpu_seconds()
    freeze_long_lived()  # as run_point does before a worker's first point
    for t in targets:
        path = run_experiment("synaptic-scaling", {"target_rate": f"{t}*Hz"}, seed=0, quick=True,
                              out=out / str(t), backend="cpp_standalone", progress=False, figures=figures)
        m = json.loads((path / "metrics.json").read_text())
        metrics.append({k: v for k, v in m.items() if k not in IGNORED})
    return time.perf_counter() - start, _cpu_seconds() - cpu_start, metrics


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (compilers, binaries)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def sweep(small: bool):
    """Measurement 2: the sweep built once against one compilation per point."""
    targets = [3, 5, 8] if small else [3, 4, 5, 6, 7, 8, 9, 10]
    once_s, once_cpu, once = _sweep(targets, "on")
    each_s, each_cpu, each = _sweep(targets, "off")
    same = once == each
    # wall time is what a user waits for; on a shared machine it also measures the other
    # jobs, so the CPU time (compilers included) is printed beside it
    print(f"sweep: {len(targets)} target rates of synaptic-scaling --quick on cpp_standalone, one worker process "
          f"each, no per-point figures: built once {once_s:.1f} s, one compilation per point {each_s:.1f} s, "
          f"ratio {each_s / once_s:.2f}x (CPU {once_cpu:.1f} s vs {each_cpu:.1f} s, {each_cpu / once_cpu:.2f}x); "
          f"identical metrics: {same}")
    if not same:
        diff = [(k, a[k], b.get(k)) for a, b in zip(once, each) for k in a if a[k] != b.get(k)]
        print(f"  differing metrics: {diff[:5]}")
    return {"once": once_s, "each": each_s, "once_cpu": once_cpu, "each_cpu": each_cpu, "identical": same}


def _network_run(threads: int, n_e: int, n_i: int, learn, perturb):
    from homeostasis.simulations.backend import standalone_history
    from homeostasis.simulations.experiments.network_homeostasis import simulate_network

    with _env(HOMEOSTASIS_THREADS=threads):
        standalone_history(clear=True)
        sim = simulate_network("istdp", n_e=n_e, n_i=n_i, learn=learn, perturb=perturb, seed=1,
                               backend="cpp_standalone")
        (t,) = standalone_history(clear=True)
    return t, sim


def threads(small: bool):
    """Measurement 3: 1 against 2 OpenMP threads on the learning E/I network."""
    import numpy as np
    from brian2 import second

    n_e, n_i = (2000, 500) if small else (8000, 2000)
    learn, perturb = (2 * second, 1 * second) if small else (5 * second, 5 * second)
    out = {}
    # the user's cache: the two projects take minutes to compile, once
    with _env(HOMEOSTASIS_CACHE=None):
        for n in (1, 2):
            t, sim = _network_run(n, n_e, n_i, learn, perturb)
            if not t["cached"]:  # compiled now: time a second run
                t, sim = _network_run(n, n_e, n_i, learn, perturb)
            out[n] = (t["run"], sim["rate"])
    (one, r1), (two, r2) = out[1], out[2]
    print(f"threads: learning E/I network (istdp, {n_e} + {n_i} neurons, {float((learn + perturb) / second):g} s "
          f"simulated): 1 thread {one:.2f} s, 2 threads {two:.2f} s, speed-up {one / two:.2f}x; "
          f"final rate {np.mean(r1[-8:]):.2f} Hz vs {np.mean(r2[-8:]):.2f} Hz (two threads draw other random numbers)")
    return {"1": one, "2": two}


def run(small=False):
    """Measurements 1 and 2 (``python -m benchmarks standalone-cache``), side by side."""
    return {"cli": cli_rerun(quick=small), "sweep": sweep(small)}


def run_threads(small=False):
    """Measurement 3 (``python -m benchmarks standalone-threads``)."""
    return threads(small)
