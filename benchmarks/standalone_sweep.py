"""cpp_standalone sweep: N parameter points with one compilation against N compilations.

Brian2 (2.6 and later) can run a compiled standalone project again with new initial values of
state variables (``device.run(run_args={group.var: value})``), so a sweep over a parameter held
as a state variable compiles once per worker. Here the external drive ``I_ext`` of an E/I
network with global homeostasis is swept.
"""
import shutil
import tempfile
import time

import brian2
from brian2 import Hz, SpikeMonitor, pA, second

from homeostasis import GlobalHomeostasis
from models import ei_network


def _build(directory, drive):
    brian2.set_device("cpp_standalone", directory=directory, build_on_run=False, with_output=False)
    net = ei_network(400, 100, p=0.1, I_ext=drive, mechanisms_e=[GlobalHomeostasis(target_rate=5 * Hz)], name="sw")
    mon = SpikeMonitor(net.E, name="sw_spikes")
    net.network.add(mon)
    net.network.run(0.5 * second, namespace={})
    return net, mon


def _reset():
    brian2.device.reinit()
    brian2.set_device("runtime")


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
    print(f"{len(drives)} points of a 500-neuron E/I network, 0.5 s each: one compilation {once:.1f} s, "
          f"one per point {each:.1f} s, ratio {each / once:.2f}x; identical results: {same}")
    return once, each
