"""Cost of the homeostatic mechanisms in a Vogels-style E/I network, on the compiled targets.

The network with synaptic scaling, intrinsic plasticity (adaptive threshold) and inhibitory
plasticity is timed against the same network without them. With the learning rates at zero
both emit the same spikes, so the ratio is the pure cost of the extra equations (a network
that homeostasis quietens would be faster for the wrong reason); the learning-on timing is
printed beside it.
"""
import shutil
import tempfile
import time

import brian2
from brian2 import Hz, SpikeMonitor, mV, ms, nS, second

from homeostasis import AdaptiveThreshold, InhibitorySTDP, SynapticScaling
from models import ei_network
from simulations.backend import simulation


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


def time_network(kind, backend, n_e, n_i, p, duration, repeats=3):
    """Wall seconds of ``duration`` of simulation (compilation excluded) and the spike count.

    The time is the fastest of ``repeats`` runs (the noise of a shared machine only ever adds
    time); the spike count is that of the first run, which starts from the same state for
    every ``kind``.
    """
    directory = tempfile.mkdtemp(prefix="bench_")
    with simulation(backend, seed=1, directory=directory):
        net = ei_network(n_e, n_i, p=p, mechanisms_e=_mechanisms(kind), name=f"b_{kind}")
        mon = SpikeMonitor(net.E, name=f"b_{kind}_spikes")
        net.network.add(mon)
        if backend == "cpp_standalone":
            net.network.run(duration, namespace={})  # compiles and runs once
            spikes = int(mon.num_spikes)
            times = [brian2.device._last_run_time]
            for _ in range(repeats - 1):  # the same binary again, from the same initial state
                brian2.device.run(directory=directory, with_output=False)
                times.append(brian2.device._last_run_time)
        else:
            net.network.run(1 * ms, namespace={})  # compile every code object first
            times = []
            for i in range(repeats):
                start = time.perf_counter()
                net.network.run(duration, namespace={})
                times.append(time.perf_counter() - start)
                if i == 0:
                    spikes = int(mon.num_spikes)
    shutil.rmtree(directory, ignore_errors=True)
    return min(times), spikes


def run(small=False):
    n_e, n_i, p = (2000, 500, 0.04) if small else (8000, 2000, 0.02)
    duration = 1 * second
    print(f"E/I network {n_e}+{n_i}, p={p}, {duration} of biological time (fastest of 3 runs); mechanisms on E: "
          "SynapticScaling, AdaptiveThreshold, InhibitorySTDP")
    print(f"{'target':15s} {'none (s)':>9s} {'zero-rate (s)':>14s} {'ratio':>6s} {'same spikes':>12s} "
          f"{'learning (s)':>13s} {'sim s / wall s':>15s}")
    for backend in ("cython", "cpp_standalone"):
        base, spikes_base = time_network("none", backend, n_e, n_i, p, duration)
        frozen, spikes_frozen = time_network("frozen", backend, n_e, n_i, p, duration)
        learning, _ = time_network("learning", backend, n_e, n_i, p, duration)
        print(f"{backend:15s} {base:9.2f} {frozen:14.2f} {frozen / base:6.2f} {str(spikes_base == spikes_frozen):>12s} "
              f"{learning:13.2f} {float(duration / second) / frozen:15.2f}", flush=True)
        if not small:
            alone = {k: time_network(k, backend, n_e, n_i, p, duration)[0] / base for k in ("scaling", "threshold", "istdp")}
            print(f"{'':15s} each alone (zero rate) / none: " + ", ".join(f"{k} {v:.2f}" for k, v in alone.items()),
                  flush=True)
