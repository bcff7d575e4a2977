"""cpp_standalone sweep: N parameter points with one compilation against N compilations.

Two measurements, side by side in one run:

1. ``run_args``: Brian2 (2.6 and later) runs a compiled standalone project again with new
   initial values of state variables (``device.run(run_args={group.var: value})``), so a
   sweep over a parameter held as a state variable compiles exactly once. Here the external
   drive ``I_ext`` of an E/I network with global homeostasis is swept.
2. The path of ``homeostasis run`` and ``sweep``: a kept build directory per model structure
   (:mod:`homeostasis.simulations.cache`), where a new target rate compiles nothing, against a
   fresh build per point (``HOMEOSTASIS_CACHE=off``).
"""
import json
import os
import shutil
import tempfile
import time

import brian2
from brian2 import Hz, SpikeMonitor, pA, second

from homeostasis import GlobalHomeostasis
from homeostasis.models import ei_network


def _build(directory, drive):
    brian2.set_device("cpp_standalone", directory=directory, build_on_run=False, with_output=False)
    brian2.seed(1)  # the same connectivity and Poisson draws in every build, so results can be compared
    net = ei_network(400, 100, p=0.1, I_ext=drive, components_e=[GlobalHomeostasis(target_rate=5 * Hz)], name="sw")
    mon = SpikeMonitor(net.E, name="sw_spikes")
    net.network.add(mon)
    net.network.run(0.5 * second, namespace={})
    return net, mon


def _reset():
    brian2.device.reinit()
    brian2.set_device("runtime")


def _experiment_points(rates, kept):
    """Seconds to run ``synaptic-scaling --quick`` at each target rate on cpp_standalone."""
    from homeostasis.simulations.output import run_experiment

    out = tempfile.mkdtemp(prefix="bench_sa_exp_")
    cache = tempfile.mkdtemp(prefix="bench_sa_kept_")
    os.environ["HOMEOSTASIS_CACHE_DIR"] = cache
    os.environ["HOMEOSTASIS_CACHE"] = "on" if kept else "off"
    start = time.perf_counter()
    try:
        results = []
        for r in rates:
            point = run_experiment("synaptic-scaling", {"target_rate": f"{r}*Hz"}, seed=0, quick=True,
                                   out=os.path.join(out, str(r)), backend="cpp_standalone", progress=False)
            metrics = json.loads((point / "metrics.json").read_text())
            results.append({k: v for k, v in metrics.items() if k.endswith(("_hz", "_r2_block", "_boost"))})
    finally:
        os.environ.pop("HOMEOSTASIS_CACHE_DIR", None)
        os.environ.pop("HOMEOSTASIS_CACHE", None)
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)
    return time.perf_counter() - start, results


def run(small=False):
    drives = [150, 200, 250, 300] if small else [150, 175, 200, 225, 250, 275, 300, 325]
    rates_once, rates_each = [], []
    # one compilation, N runs with run_args
    d = tempfile.mkdtemp(prefix="bench_sa_once_")
    start = time.perf_counter()
    net, mon = _build(d, drives[0] * pA)
    brian2.device.build(directory=d, compile=True, run=False, with_output=False)
    for drive in drives:
        brian2.device.run(directory=d, with_output=False, run_args={net.E.I_ext: drive * pA, net.I.I_ext: drive * pA})
        rates_once.append(mon.num_spikes / 400 / 0.5)
    once = time.perf_counter() - start
    _reset()
    shutil.rmtree(d, ignore_errors=True)
    # one compilation per point
    start = time.perf_counter()
    for drive in drives:
        d = tempfile.mkdtemp(prefix="bench_sa_each_")
        net, mon = _build(d, drive * pA)
        brian2.device.build(directory=d, compile=True, run=True, with_output=False)
        rates_each.append(mon.num_spikes / 400 / 0.5)
        _reset()
        shutil.rmtree(d, ignore_errors=True)
    each = time.perf_counter() - start
    same = all(abs(a - b) < 1e-9 for a, b in zip(rates_once, rates_each))
    print(f"run_args: {len(drives)} points of a 500-neuron E/I network, 0.5 s each: one compilation "
          f"{once:.1f} s, one per point {each:.1f} s, ratio {each / once:.2f}x; identical results: {same}")

    targets = [3, 5, 8] if small else [3, 4, 5, 6, 7, 8, 9, 10]
    fresh_s, fresh = _experiment_points(targets, kept=False)
    kept_s, kept = _experiment_points(targets, kept=True)
    same = all(a == b for a, b in zip(fresh, kept))
    print(f"sweep path: {len(targets)} target rates of synaptic-scaling --quick: kept build directory "
          f"{kept_s:.1f} s, fresh build per point {fresh_s:.1f} s, ratio {fresh_s / kept_s:.2f}x; "
          f"identical metrics: {same}")
    return {"run_args": (once, each), "sweep_path": (kept_s, fresh_s)}
