"""Training speed of the stdp-digits network on the compiled targets, full model against STDP alone.

One epoch's learning network (100 excitatory neurons on the 64 digit pixels, the protocol of
``homeostasis run stdp-digits``) is built for the full model (spike-triggered threshold,
weight-sum normalization, one-to-one lateral inhibition) and for STDP alone, and timed over
the same images. The speed is simulated seconds per wall second of the run itself, without
code generation and compilation: on cython the network is run once for a step first, on
cpp_standalone the time is the one the binary measures (``last_run_info.txt``). The ratio
full / stdp_only is what the homeostatic mechanisms (and the inhibitory population) cost.
The machine is shared, so every run is repeated and the fastest kept.
"""
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from brian2 import ms, second

from homeostasis.simulations.backend import simulation
from homeostasis.simulations.experiments import stdp_digits as sd
from homeostasis.simulations.params import resolve
from homeostasis.simulations.registry import get

KINDS = ("full", "stdp_only")


def _images(n_images: int, p):
    images = sd.load_images("")
    return sd.split(images, 0, max_train=n_images)[0]


def time_cython(x, p, rounds: int) -> dict:
    """Fastest wall time of the run per kind (simulated time ``len(x)`` periods)."""
    duration = len(x) * (p["t_present"] + p["t_rest"])
    times = {k: [] for k in KINDS}
    for _ in range(rounds):
        for k in KINDS:
            with simulation("cython", seed=1), sd.time_step(p["dt"]):
                net, _ = sd.build_training(x, sd.VARIANTS[k], p, seed=1, name=f"bench_{k}")
                net.run(p["dt"], namespace={})  # compiles (or loads from the cache) every code object
                start = time.perf_counter()
                net.run(duration, namespace={})
                times[k].append(time.perf_counter() - start)
    return {k: min(v) for k, v in times.items()}


def _run_binary(directory: Path) -> float:
    subprocess.run(["./main"], cwd=directory, check=True, stdout=subprocess.DEVNULL)
    return float((directory / "results" / "last_run_info.txt").read_text().split()[0])


def time_standalone(x, p, rounds: int) -> dict:
    """As :func:`time_cython` on cpp_standalone: each project compiled once, its binary run ``rounds`` times."""
    duration = len(x) * (p["t_present"] + p["t_rest"])
    root = Path(tempfile.mkdtemp(prefix="bench_stdp_"))
    times = {k: [] for k in KINDS}
    try:
        for k in KINDS:
            with simulation("cpp_standalone", seed=1, directory=str(root / k)), sd.time_step(p["dt"]):
                net, _ = sd.build_training(x, sd.VARIANTS[k], p, seed=1, name=f"bench_{k}")
                net.run(duration, namespace={})
                times[k].append(_run_binary(root / k))  # the build's own run, as the binary timed it
        for _ in range(rounds - 1):
            for k in KINDS:
                times[k].append(_run_binary(root / k))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return {k: min(v) for k, v in times.items()}


def run(small=False):
    p = sd.with_input_scale(resolve(get("stdp-digits"), {}, quick=False), sd.load_images(""))[0]
    n_images, rounds = (20, 2) if small else (100, 3)
    x = _images(n_images, p)
    simulated = float(len(x) * (p["t_present"] + p["t_rest"]) / second)
    print(f"stdp-digits training network: {p['n_neurons']} excitatory neurons, {x.shape[1]} inputs, {n_images} images "
          f"({simulated:g} s of biological time, dt = {float(p['dt'] / ms):g} ms), fastest of {rounds} runs")
    print(f"{'target':15s} {'full (sim s/wall s)':>20s} {'stdp_only (sim s/wall s)':>25s} {'ratio full/stdp_only':>21s}")
    for backend, timer in (("cython", time_cython), ("cpp_standalone", time_standalone)):
        t = timer(x, p, rounds)
        print(f"{backend:15s} {simulated / t['full']:20.2f} {simulated / t['stdp_only']:25.2f} "
              f"{t['full'] / t['stdp_only']:21.2f}", flush=True)
