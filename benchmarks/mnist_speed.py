"""Time per MNIST image of the stdp-digits network on cpp_standalone, one thread, beside BindsNET.

The learning network of ``homeostasis run stdp-digits --set data=mnist-5k`` (the full model:
784 Poisson inputs, excitatory neurons with the spike-triggered threshold and weight-sum
normalization, one-to-one lateral inhibition; 350 ms per image and 150 ms of rest at
dt = 0.5 ms, the input scale derived from the images) is built for 100 and 400 excitatory
neurons and run over the first training images of the bundled subset; the frozen readout
network (plasticity compiled out) is run over the same images. The time is the binary's own
run, without code generation and compilation, the fastest of a few runs (the machine is
shared). At 100 neurons, the same network with the weight sums recomputed every time step
(``WeightSumNormalization(tracked=False)``, the form before the tracked sums) is timed beside it.

The reference: BindsNET's README gives about one hour per 60,000-image MNIST epoch of its
Diehl & Cook example on a desktop CPU, 60 ms per image (its network of 100 neurons).
"""
from pathlib import Path

from homeostasis.simulations.backend import run_network, simulation, standalone_history
from homeostasis.simulations.experiments import stdp_digits as sd
from homeostasis.simulations.params import resolve
from homeostasis.simulations.registry import get

#: BindsNET's figure: 1 h per 60,000 images (README of BindsNET, its Diehl & Cook 2015 example).
BINDSNET_MS_PER_IMAGE = 3600e3 / 60000


def _binary_seconds() -> float:
    """The run time the last cpp_standalone binary measured itself (``results/last_run_info.txt``)."""
    directory = Path(standalone_history()[-1]["directory"])
    return float((directory / "results" / "last_run_info.txt").read_text().split()[0])


def _train(x, q, n_runs: int) -> float:
    """Fastest of ``n_runs`` runs of the learning network (built once: later runs compile nothing)."""
    times = []
    for _ in range(n_runs):
        with simulation("cpp_standalone", seed=1, threads=0), sd.time_step(q["dt"]):
            net, _ = sd.build_training(x, sd.VARIANTS["full"], q, seed=1, name="bench_mnist")
            run_network(net, len(x) * sd._period(q) + q["dt"], namespace={})
        times.append(_binary_seconds())  # recorded when the simulation block ends
    return min(times)


def _readout(x, q, n_runs: int) -> float:
    """Fastest of ``n_runs`` runs of the frozen network of one variant (initial weights)."""
    n = q["n_neurons"]
    w = sd.initial_weights(x.shape[1], n, q["w_total"], 1)
    times = []
    for _ in range(n_runs):
        sd.readout_network([(w, [-52.0] * n, True)], x, q, 1, "cpp_standalone")
        times.append(_binary_seconds())
    return min(times)


def run(small=False):
    images = sd.load_images("mnist-5k")
    p, _ = sd.with_input_scale(resolve(get("stdp-digits"), {}, quick=False), images)
    n_images, rounds = (10, 1) if small else (40, 3)
    x = sd.split(images, 0, max_train=n_images)[0]
    print(f"stdp-digits on MNIST (bundled subset): 784 inputs, {n_images} images of 350 ms + 150 ms rest at "
          f"dt = 0.5 ms, cpp_standalone, one thread, fastest of {rounds} runs of the binary")
    print(f"{'network':44s} {'ms per image':>13s} {'60,000 images':>14s} {'vs BindsNET 60 ms':>18s}")
    rows = [(100, True, "train"), (100, False, "train"), (100, True, "readout"), (400, True, "train"),
            (400, True, "readout")]
    for n, tracked, phase in rows:
        q = dict(p, n_neurons=n, tracked_sum=tracked)
        seconds = _train(x, q, rounds) if phase == "train" else _readout(x, q, rounds)
        label = f"{n} neurons, " + ("learning" + ("" if tracked else " (sum every step)") if phase == "train"
                                     else "frozen readout")
        ms = 1e3 * seconds / n_images
        print(f"{label:44s} {ms:13.1f} {ms * 60000 / 3.6e6:12.2f} h {BINDSNET_MS_PER_IMAGE / ms:17.2f}x", flush=True)
    print("(x: how many times faster than BindsNET's 1 h per 60,000 images, from its README; the machine's load "
          "is shared, see uptime)")
