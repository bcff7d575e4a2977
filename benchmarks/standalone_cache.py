"""cpp_standalone, compile once and run many: the compiled-project cache and OpenMP threads.

Three measurements, each side by side in one run (every one with a cache directory of its own,
so nothing compiled before the benchmark counts):

1. ``homeostasis run synaptic-scaling --backend cpp_standalone``, twice as separate
   processes: cold (compiles) and with a new ``target_rate`` (the binary comes from the cache).
   Printed: the process wall times, the experiment's wall time, and the simulation time (the
   binary's run); the issue's bound for the second run is 1.5 x simulation + 3 s.
2. An 8-point ``synaptic-scaling --quick`` sweep over ``target_rate`` as a sweep worker runs
   it (:func:`homeostasis.simulations.output.run_experiment` point after point in a new process, without
   the per-point figures a sweep leaves out by default): with the cache (one compilation)
   against ``HOMEOSTASIS_CACHE=off`` (one compilation per point), with the metrics of every
   point compared; both with empty caches (a first sweep: the compiled-once side derives the
   model's exact integration once, the other side, with everything off, at every point) and
   with the integration, templates and compiler flags cached, as after any earlier run
   (``HOMEOSTASIS_CACHE=integration`` for one compilation per point); and compiled once
   with ``--figures``, for what the figures cost.
   Then two processes that start the same structure at once on an empty cache, as a
   sweep's two workers do: with the compilation lock (one compiles, the other waits for
   its binary) against both compiling, as before the lock.
3. ``standalone-threads``: the learning E/I network of ``network-homeostasis`` (inhibitory
   STDP, Vogels et al. 2011 size: 8000 + 2000 neurons) on 1 and on 2 OpenMP threads: the
   binary's run time (compiled first into the user's cache, outside the timing), and the
   rates of both. Meaningful only on otherwise idle cores.
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
            cmd = [sys.executable, "-m", "simulations", "run", "synaptic-scaling", "--backend", "cpp_standalone",
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


def _sweep(targets, setting: str, figures: bool = False, integration: Path | None = None, keep: bool = False):
    """Run the points one after the other in a new process, as one sweep worker runs them.

    ``setting`` is ``HOMEOSTASIS_CACHE``: ``on`` compiles once, ``off`` or ``integration``
    once per point (``integration`` keeps the integration cache, the templates and the
    compiler flags). The cache directory is new; ``integration``, if given, is a directory of
    what a run derives besides compiled projects (integrations, templates, compiler flags)
    copied into it first, as a machine has them after any earlier run of the experiment. A
    process of its own per side, so that neither inherits the other's imports and Brian2's
    in-memory caches; the time is measured inside it, from the first point on. Returns wall
    and CPU seconds, the metrics of every point, and with ``keep`` a copy of what the run
    derived (a temporary directory the caller removes), else None.
    """
    code = f"""
import json, sys
from benchmarks.standalone_cache import _points
print(json.dumps(_points({list(targets)!r}, {figures!r})))
"""
    work = Path(tempfile.mkdtemp(prefix="bench_cache_sweep_"))
    kept = Path(tempfile.mkdtemp(prefix="bench_cache_derived_")) / "derived" if keep else None
    try:
        if integration is not None:
            shutil.copytree(integration, work / "cache")
        with _env(HOMEOSTASIS_CACHE_DIR=work / "cache", HOMEOSTASIS_CACHE=setting,
                  HOMEOSTASIS_STANDALONE_DIR=None, HOMEOSTASIS_SWEEP_OUT=work / "out"):
            proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        if keep:  # what any run leaves besides compiled projects
            from homeostasis.simulations.cache import _DERIVED

            kept.mkdir()
            for name in _DERIVED:
                source = work / "cache" / name
                if source.is_dir():
                    shutil.copytree(source, kept / name)
                elif source.is_file():
                    shutil.copyfile(source, kept / name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    seconds, cpu, metrics = json.loads(proc.stdout.splitlines()[-1])
    return seconds, cpu, metrics, kept


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
    """Measurement 2: the sweep compiled once against one compilation per point."""
    targets = [3, 5, 8] if small else [3, 4, 5, 6, 7, 8, 9, 10]
    n = len(targets)
    # a first sweep on a machine that never ran the model: both sides derive its integration
    once_s, once_cpu, once, integration = _sweep(targets, "on", keep=True)
    each_s, each_cpu, each, _ = _sweep(targets, "off")
    # the usual case: the integration, templates and compiler flags are cached from an
    # earlier run of the experiment
    warm_s, warm_cpu, warm, _ = _sweep(targets, "on", integration=integration)
    warm_each_s, warm_each_cpu, warm_each, _ = _sweep(targets, "integration", integration=integration)
    fig_s, fig_cpu, _, _ = _sweep(targets, "on", figures=True, integration=integration)
    shutil.rmtree(integration.parent, ignore_errors=True)
    same = once == each == warm == warm_each
    # wall time is what a user waits for; on a shared machine it also measures the other
    # jobs, so the CPU time (compilers included) is printed beside it
    print(f"sweep: {n} target rates of synaptic-scaling --quick on cpp_standalone, one worker process each, "
          f"no per-point figures (the sweep's default); identical metrics on every side: {same}")
    print(f"  caches empty (compiled once derives the model's integration once, the other side at every point): "
          f"compiled once {once_s:.1f} s, "
          f"one compilation per point {each_s:.1f} s, ratio {each_s / once_s:.2f}x "
          f"(CPU {once_cpu:.1f} s vs {each_cpu:.1f} s, {each_cpu / once_cpu:.2f}x)")
    print(f"  integration, templates and flags cached (after any earlier run of the experiment): compiled once {warm_s:.1f} s, "
          f"one compilation per point {warm_each_s:.1f} s, ratio {warm_each_s / warm_s:.2f}x "
          f"(CPU {warm_cpu:.1f} s vs {warm_each_cpu:.1f} s, {warm_each_cpu / warm_cpu:.2f}x)")
    print(f"  with --figures (every point also renders figure.png and figure.pdf), integration cached: "
          f"compiled once {fig_s:.1f} s (CPU {fig_cpu:.1f} s), {(fig_s - warm_s) / n:.2f} s more per point")
    if not same:
        for other in (each, warm, warm_each):
            diff = [(k, a[k], b.get(k)) for a, b in zip(once, other) for k in a if a[k] != b.get(k)]
            print(f"  differing metrics: {diff[:5]}")
    return {"once": once_s, "each": each_s, "once_cpu": once_cpu, "each_cpu": each_cpu, "identical": same,
            "warm_once": warm_s, "warm_each": warm_each_s, "once_figures": fig_s}


def _two_workers(lock: bool):
    """Two processes start one structure at once on an empty cache (a sweep's two workers).

    ``lock=False`` replaces :func:`homeostasis.simulations.cache.compiling` in both by a block that
    waits for nobody, as before the lock: both compile. Returns the wall time until both
    finished, each one's compile seconds and their metrics.
    """
    code = f"""
import json, os, sys
from contextlib import contextmanager
from pathlib import Path
import homeostasis.simulations.cache
if not {lock!r}:
    @contextmanager
    def compiling(key, check_interrupt=None):
        yield
    homeostasis.simulations.cache.compiling = compiling
from homeostasis.simulations.output import run_experiment
path = run_experiment("synaptic-scaling", {{"target_rate": sys.argv[1] + "*Hz"}}, seed=0, quick=True,
                      out=Path(os.environ["HOMEOSTASIS_SWEEP_OUT"]) / sys.argv[1], backend="cpp_standalone",
                      progress=False, figures=False)
print(json.dumps(json.loads((path / "metrics.json").read_text())))
"""
    work = Path(tempfile.mkdtemp(prefix="bench_cache_pair_"))
    try:
        with _env(HOMEOSTASIS_CACHE_DIR=work / "cache", HOMEOSTASIS_CACHE=None, HOMEOSTASIS_STANDALONE_DIR=None,
                  HOMEOSTASIS_SWEEP_OUT=work / "out"):
            start = time.perf_counter()
            procs = [subprocess.Popen([sys.executable, "-c", code, str(t)], stdout=subprocess.PIPE, text=True)
                     for t in (4, 7)]
            outs = [p.communicate()[0] for p in procs]
            wall = time.perf_counter() - start
        assert all(p.returncode == 0 for p in procs), "a worker failed"
    finally:
        shutil.rmtree(work, ignore_errors=True)
    metrics = [json.loads(o.strip().splitlines()[-1]) for o in outs]
    return wall, [m["standalone"]["compile_seconds"] for m in metrics], [
        {k: v for k, v in m.items() if k not in IGNORED} for m in metrics]


def two_workers():
    """Measurement 2b: a sweep's two workers missing the empty cache at once, with and without the lock."""
    locked_s, locked_compile, locked = _two_workers(lock=True)
    both_s, both_compile, both = _two_workers(lock=False)
    print(f"two workers start synaptic-scaling --quick at once on an empty cache (target 4 and 7 Hz): "
          f"with the compilation lock {locked_s:.1f} s (compile/wait {locked_compile[0]:.1f} s, "
          f"{locked_compile[1]:.1f} s), both compiling {both_s:.1f} s ({both_compile[0]:.1f} s, "
          f"{both_compile[1]:.1f} s); ratio {both_s / locked_s:.2f}x; identical metrics: {locked == both}")
    return {"locked": locked_s, "both_compile": both_s, "identical": locked == both}


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
    with _env(HOMEOSTASIS_CACHE=None, HOMEOSTASIS_STANDALONE_DIR=None):
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
    """Measurements 1 and 2 (``python -m benchmarks standalone-cache``)."""
    return {"cli": cli_rerun(quick=small), "sweep": sweep(small), "two_workers": two_workers()}


def run_threads(small=False):
    """Measurement 3 (``python -m benchmarks standalone-threads``)."""
    return threads(small)
