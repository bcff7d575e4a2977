"""Cost of the homeostatic mechanisms in a Vogels-style E/I network, on the compiled targets.

The network with synaptic scaling, intrinsic plasticity (adaptive threshold) and inhibitory
plasticity is timed against the same network without them. With the learning rates at zero
both emit the same spikes, so the ratio is the pure cost of the extra equations (a network
that homeostasis quietens would be faster for the wrong reason); the learning-on timing is
printed beside it.

The machines are shared and their speed drifts over seconds (by 40 % and more when a
neighbour loads the memory bus), so every variant is built first and the variants then run in
turn, round after round. Two estimates of the ratio are printed: the fastest round of each
(noise only ever adds time) and the median over rounds of the ratio of the two runs made
one after the other in a round (a slow period tends to slow both). When they disagree, the
machine was noisy during the run.
"""
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import brian2
from brian2 import Hz, SpikeMonitor, mV, nS, ms, second

from homeostasis import AdaptiveThreshold, InhibitorySTDP, SynapticScaling
from homeostasis.models import ei_network
from homeostasis.simulations.backend import simulation

KINDS = ("none", "frozen", "learning", "scaling", "threshold", "istdp")


def _mechanisms(kind):
    """``none``, ``frozen`` (all three, zero learning rates), ``learning``, or one frozen mechanism."""
    if kind == "none":
        return []
    learning = kind == "learning"
    every = {
        "scaling": SynapticScaling(target_rate=5 * Hz, tau_scaling=(10 * second if learning else 1e12 * second)),
        "threshold": AdaptiveThreshold(target_rate=5 * Hz, eta_threshold=(0.1 * mV if learning else 0 * mV),
                                       tau_r=1 * second),
        "istdp": InhibitorySTDP(target_rate=5 * Hz, eta=(0.05 * nS if learning else 0 * nS)),
    }
    return [every[kind]] if kind in every else list(every.values())


def _build(kind, n_e, n_i, p):
    brian2.seed(1)  # the same connections and initial potentials for every kind
    net = ei_network(n_e, n_i, p=p, components_e=_mechanisms(kind), name=f"b_{kind}")
    mon = SpikeMonitor(net.E, name=f"b_{kind}_spikes")
    net.network.add(mon)
    return net.network, mon


def time_cython(kinds, n_e, n_i, p, duration, rounds):
    """Wall seconds per kind in each of ``rounds`` interleaved rounds, and first-run spike counts."""
    times, spikes = {k: [] for k in kinds}, {}
    with simulation("cython", seed=1):
        built = {k: _build(k, n_e, n_i, p) for k in kinds}
        for network, _ in built.values():
            network.run(1 * ms, namespace={})  # compile every code object first
        for r in range(rounds):
            for k, (network, mon) in built.items():
                before = int(mon.num_spikes)
                start = time.perf_counter()
                network.run(duration, namespace={})
                times[k].append(time.perf_counter() - start)
                if r == 0:
                    spikes[k] = int(mon.num_spikes) - before
    return times, spikes


def _run_binary(directory: Path) -> float:
    """Run a built cpp_standalone project again (from its initial state); its simulation time."""
    subprocess.run(["./main"], cwd=directory, check=True, stdout=subprocess.DEVNULL)
    return float((directory / "results" / "last_run_info.txt").read_text().split()[0])


def time_standalone(kinds, n_e, n_i, p, duration, rounds):
    """As :func:`time_cython` for cpp_standalone: every project compiled, then run in turn."""
    root = Path(tempfile.mkdtemp(prefix="bench_standalone_"))
    times, spikes = {k: [] for k in kinds}, {}
    try:
        for k in kinds:
            with simulation("cpp_standalone", seed=1, directory=str(root / k)):
                network, mon = _build(k, n_e, n_i, p)
                network.run(duration, namespace={})  # compiles and runs once
                spikes[k] = int(mon.num_spikes)
        for _ in range(rounds):
            for k in kinds:
                times[k].append(_run_binary(root / k))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return times, spikes


def run(small=False):
    n_e, n_i, p = (2000, 500, 0.04) if small else (8000, 2000, 0.02)
    duration, rounds = 1 * second, (3 if small else 7)
    kinds = KINDS[:3] if small else KINDS
    print(f"E/I network {n_e}+{n_i}, p={p}, {duration} of biological time, {rounds} interleaved rounds; "
          "mechanisms on E: SynapticScaling, AdaptiveThreshold, InhibitorySTDP")
    print(f"{'target':15s} {'none (s)':>9s} {'zero-rate (s)':>14s} {'ratio':>6s} {'paired':>7s} "
          f"{'same spikes':>12s} {'learning (s)':>13s} {'sim s / wall s':>15s}")
    for backend, timer in (("cython", time_cython), ("cpp_standalone", time_standalone)):
        times, spikes = timer(kinds, n_e, n_i, p, duration, rounds)
        t = {k: min(v) for k, v in times.items()}
        paired = {k: statistics.median(a / b for a, b in zip(times[k], times["none"])) for k in kinds}
        print(f"{backend:15s} {t['none']:9.2f} {t['frozen']:14.2f} {t['frozen'] / t['none']:6.2f} "
              f"{paired['frozen']:7.2f} {str(spikes['none'] == spikes['frozen']):>12s} {t['learning']:13.2f} "
              f"{float(duration / second) / t['frozen']:15.2f}", flush=True)
        if not small:
            print(f"{'':15s} each alone (zero rate) / none, fastest and paired: "
                  + ", ".join(f"{k} {t[k] / t['none']:.2f} {paired[k]:.2f}" for k in KINDS[3:]), flush=True)
