"""Learning with homeostasis: an unsupervised STDP network on digits, each mechanism ablated.

The network of Diehl & Cook (2015, Front. Comput. Neurosci. 9:99) on scikit-learn's 8 x 8
digits: the pixels drive Poisson inputs (rate proportional to intensity), which reach a
layer of excitatory conductance-based LIF neurons through synapses that learn by pair-based
STDP with soft bounds (:class:`homeostasis.models.hebbian.PairSTDP`). Nothing supervises them; the layer learns
only because three homeostatic mechanisms keep its load balanced:

- neuron scale: a threshold that every spike raises (:class:`~homeostasis.SpikeTriggeredThreshold`),
- synapse scale: each neuron's incoming weight sum held constant (:class:`~homeostasis.WeightSumNormalization`),
- layer scale: lateral inhibition, each excitatory neuron exciting its own inhibitory neuron,
  which inhibits all the other excitatory ones (winner-take-all).

Protocol: one epoch (or ``n_passes``) over the training part of a seeded stratified 80/20
split, each image shown for ``t_present`` and followed by ``t_rest`` of silence. The learned network is then frozen:
its weights (times any gain of a mechanism) and thresholds are copied into a second network
with the same neurons and inhibition and no plasticity, which is shown the training set again
(each neuron is assigned the class it responds to most) and then the test set (each image is
classified as the class whose neurons respond most; Diehl & Cook's readout, with their rule of
showing an image that evokes fewer than ``min_spikes`` spikes again at a higher rate). A logistic
regression on the test-phase spike counts, fitted on the training-phase ones, is the second
readout. Both simulations are generated code on every target; between them only the learned
arrays pass through Python.
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from brian2 import Hz, SpikeMonitor, defaultclock, mV, ms, nS, pF, second

from homeostasis import AdaptiveThreshold, SpikeTriggeredThreshold, SynapticScaling, WeightSumNormalization
from homeostasis.analysis import dead_fraction, linear_probe_accuracy, usage_cv, usage_entropy
from homeostasis.models import Circuit, ConductanceLIF, poisson_source
from homeostasis.models.hebbian import PairSTDP

from ..backend import run_network, simulation, standalone_history
from ..image_data import Images, load_images, split
from ..registry import Param, Result, experiment
from ..style import COLORS, figure

__all__ = ["VARIANTS", "input_scale", "with_input_scale", "baselines", "estimate_seconds", "presentation_order",
           "train_network", "readout_network", "boosted_readout", "assign_labels", "classify", "run_seed",
           "E_MODEL", "I_MODEL"]


#: Excitatory neurons of Diehl & Cook: membrane time constant 100 ms (C_m / g_L), rest and
#: reset at -65 mV, threshold -52 mV, inhibitory reversal at -100 mV, refractory 5 ms. With
#: g_L = 1 nS the weights in nS are Diehl & Cook's dimensionless ones.
E_MODEL = ConductanceLIF(C_m=100 * pF, g_L=1 * nS, E_L=-65 * mV, E_e=0 * mV, E_i=-100 * mV, V_th=-52 * mV,
                         V_reset=-65 * mV, tau_ref=5 * ms, tau_e=1 * ms, tau_i=2 * ms)
#: Their inhibitory neurons: 10 ms, rest -60 mV, threshold -40 mV, reset -45 mV, refractory 2 ms.
I_MODEL = ConductanceLIF(C_m=10 * pF, g_L=1 * nS, E_L=-60 * mV, E_e=0 * mV, E_i=-85 * mV, V_th=-40 * mV,
                         V_reset=-45 * mV, tau_ref=2 * ms, tau_e=1 * ms, tau_i=2 * ms)


@dataclass(frozen=True)
class Variant:
    """Which homeostatic mechanisms a network has (``None``: none at that scale)."""

    threshold: str | None      # "spike" (Diehl & Cook) or "target_rate" (AdaptiveThreshold)
    normalization: str | None  # "weight_sum" (Diehl & Cook) or "scaling" (SynapticScaling)
    inhibition: bool


VARIANTS = {
    "full": Variant("spike", "weight_sum", True),
    "no_threshold": Variant(None, "weight_sum", True),
    "no_normalization": Variant("spike", None, True),
    "no_inhibition": Variant("spike", "weight_sum", False),
    "stdp_only": Variant(None, None, False),
    # the project's forms in place of Diehl & Cook's
    "adaptive_threshold": Variant("target_rate", "weight_sum", True),
    "synaptic_scaling": Variant("spike", "scaling", True),
}


# -- parameters that scale with the input ---------------------------------------------------
#: Diehl & Cook's input on MNIST: 784 pixels of mean intensity 0.1307 (the training set's mean
#: of pixel / 255), 63.75 Hz at full intensity, a weight sum of 78 per neuron, weights up to 1.
REFERENCE_INPUT = {"n_inputs": 784, "mean_intensity": 0.1307, "input_rate": 63.75 * Hz, "w_total": 78 * nS,
                   "w_max": 1 * nS}
#: The parameters a value of 0 leaves to :func:`input_scale`.
SCALED = ("input_rate", "w_total", "w_max")


def input_scale(n_inputs: int, mean_intensity: float) -> dict:
    """``input_rate``, ``w_total`` and ``w_max`` for images of ``n_inputs`` pixels of this mean intensity.

    Diehl & Cook's values for MNIST (:data:`REFERENCE_INPUT`), carried to other images by
    holding two things:

    - the weight per lit input: ``w_total`` is proportional to the expected number of lit
      pixels, ``n_inputs * mean_intensity``, and ``w_max`` stays;
    - the total drive of a neuron whose weights sit on the lit pixels of an image,
      ``w_total * input_rate``: the rate falls as ``w_total`` grows. (With the weights still
      uniform, the drive ``w_total * mean_intensity * input_rate`` of a neuron then scales
      with the mean intensity.)

    Examples
    --------
    >>> from brian2 import Hz, nS
    >>> s = input_scale(784, 0.1307)
    >>> round(float(s["input_rate"] / Hz), 2), round(float(s["w_total"] / nS), 2), round(float(s["w_max"] / nS), 2)
    (63.75, 78.0, 1.0)
    >>> s = input_scale(64, 0.3053)
    >>> round(float(s["input_rate"] / Hz), 1), round(float(s["w_total"] / nS), 2)
    (334.3, 14.87)
    """
    if not (isinstance(n_inputs, (int, np.integer)) and n_inputs > 0):
        raise ValueError(f"n_inputs must be a positive integer, got {n_inputs!r}")
    if not (np.isfinite(mean_intensity) and mean_intensity > 0):
        raise ValueError(f"mean_intensity must be positive, got {mean_intensity!r}")
    ref = REFERENCE_INPUT
    lit = (n_inputs * mean_intensity) / (ref["n_inputs"] * ref["mean_intensity"])
    return {"input_rate": ref["input_rate"] / lit, "w_total": ref["w_total"] * lit, "w_max": ref["w_max"]}


def with_input_scale(p, images) -> tuple:
    """``p`` with every scaled parameter left at 0 derived from ``images``: ``(params, derived)``.

    A value the user gave (not 0) is kept; ``derived`` names the values that were filled in.
    """
    p = dict(p)
    scaled = input_scale(images.x.shape[1], images.mean_intensity)
    derived = {}
    for key in SCALED:
        if float(p[key]) == 0:
            p[key] = derived[key] = scaled[key]
    return p, derived


# -- the two networks --------------------------------------------------------------------------
def _period(p):
    """One image and its rest, on the grid of the time step.

    ``0.1 s + 0.05 s`` is not an exact multiple of ``0.5 ms`` in floating point, and Brian2
    warns about a TimedArray whose steps are off the simulation's grid.
    """
    return round(float((p["t_present"] + p["t_rest"]) / p["dt"])) * p["dt"]


def _schedule(pixels, p, name: str):
    """Poisson inputs showing the rows of ``pixels`` one by one: on for t_present, then rest."""
    from brian2 import TimedArray

    period = _period(p)
    # a last row of zeros: the input is silent in the step after the last image
    rows = np.vstack([np.asarray(pixels, float), np.zeros((1, pixels.shape[1]))])
    stimulus = TimedArray(rows * p["input_rate"], dt=period, name=f"{name}_stimulus")
    # (t % period) < t_present: the image is on for the first t_present of its period
    return poisson_source(pixels.shape[1], "stimulus(t, i) * int((t % period) < t_present)", name=f"{name}_input",
                          namespace={"stimulus": stimulus, "period": period, "t_present": p["t_present"]})


def _connect_inhibition(c, E, p):
    """Diehl & Cook's lateral inhibition: E_k excites I_k, which inhibits every E but E_k."""
    n = len(E)
    I = c.population("I", I_MODEL, n)
    c.connect(E, I, "exc", p["w_ei"], j="i")
    c.connect(I, E, "inh", p["w_ie"], condition="i != j")


def _mechanisms(variant: Variant, p) -> list:
    found = []
    if variant.threshold == "spike":
        found.append(SpikeTriggeredThreshold(theta_plus=p["theta_plus"], tau_theta=p["tau_theta"]))
    elif variant.threshold == "target_rate":
        found.append(AdaptiveThreshold(target_rate=p["target_rate"], eta_threshold=p["eta_threshold"],
                                       tau_r=p["tau_r"]))
    if variant.normalization == "weight_sum":
        # tracked: the sum follows the changes instead of being recomputed every step
        found.append(WeightSumNormalization(w_total=p["w_total"], interval=_period(p), tracked=p.get("tracked_sum", True)))
    elif variant.normalization == "scaling":
        found.append(SynapticScaling(target_rate=p["target_rate"], tau_scaling=p["tau_scaling"], tau_r=p["tau_r"]))
    return found


def _rule(p) -> PairSTDP:
    # the learning rate follows the schedule learning_rate(t) given to the neurons (see
    # _learning_rate): decaying over the epoch (the default: eta_post to a tenth of it,
    # chosen on seeds 10-12, see docs/learning.md), or constant as in Diehl & Cook (eta_anneal 1)
    return PairSTDP(eta_pre=p["eta_pre"], eta_post=p["eta_post"], tau_pre=p["tau_pre"], tau_post=p["tau_post"],
                    w_max=p["w_max"], mu=p["mu"], gate="learning_rate(t)")


def _learning_rate(n_samples: int, p, name: str):
    """Learning-rate factor per image: from 1 down to ``eta_anneal`` at the last, geometrically."""
    from brian2 import TimedArray

    factors = float(p["eta_anneal"]) ** (np.arange(n_samples + 1) / max(n_samples - 1, 1))
    return TimedArray(np.minimum(factors, 1.0), dt=_period(p), name=f"{name}_learning_rate")


def initial_weights(n_in: int, n: int, w_total, seed: int) -> np.ndarray:
    """Uniform random weights in nS, (inputs, neurons), each neuron's sum equal to ``w_total``.

    Every variant starts from the same sums, so the variants without normalization are not
    handicapped by a different initial scale.
    """
    w = np.random.default_rng(seed).uniform(0.01, 0.3, (n_in, n))
    return w / w.sum(axis=0) * float(w_total / nS)


def _pairs(n_in: int, n: int):
    """Synapse indices of all-to-all input connections, weight matrix entry (i, j) at k = i * n + j."""
    return np.repeat(np.arange(n_in), n), np.tile(np.arange(n), n_in)


def _counts(t, i, n_samples: int, n: int, period_s: float) -> np.ndarray:
    """Spike counts per presented sample (its presentation and the rest after it)."""
    k = np.floor(np.asarray(t) / period_s + 1e-9).astype(int)
    counts = np.zeros((n_samples, n))
    keep = k < n_samples
    np.add.at(counts, (k[keep], np.asarray(i)[keep]), 1)
    return counts


@contextmanager
def time_step(dt):
    """Set Brian2's default time step for the objects built inside; restore it afterwards."""
    previous = defaultclock.dt
    defaultclock.dt = dt
    try:
        yield
    finally:
        defaultclock.dt = previous


def presentation_order(n_samples: int, n_passes: int, seed: int = 0) -> np.ndarray:
    """Indices of the training images in the order they are shown: ``n_passes`` passes.

    The first pass keeps the given order; each later one is a permutation drawn from ``seed``,
    so every image is shown exactly ``n_passes`` times.

    Examples
    --------
    >>> order = presentation_order(4, 3, seed=0)
    >>> order[:4].tolist(), sorted(order.tolist())
    ([0, 1, 2, 3], [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3])
    """
    if not (isinstance(n_passes, (int, np.integer)) and n_passes > 0):
        raise ValueError(f"n_passes must be a positive integer, got {n_passes!r}")
    rng = np.random.default_rng([seed, 27])  # a stream of its own: the split and the weights use seed
    return np.concatenate([np.arange(n_samples)] + [rng.permutation(n_samples) for _ in range(n_passes - 1)])


def build_training(x_train, variant: Variant, p, seed: int = 0, name: str = "stdp_train"):
    """The learning network for the rows of ``x_train`` in order: ``(network, {"S", "E", "spikes"})``.

    Call inside :func:`~homeostasis.simulations.backend.simulation` and :func:`time_step`; run it for
    ``len(x_train) * (t_present + t_rest) + dt``. Several passes are rows repeated
    (:func:`presentation_order`).
    """
    n_in, n = x_train.shape[1], int(p["n_neurons"])
    i, j = _pairs(n_in, n)
    w0 = initial_weights(n_in, n, p["w_total"], seed)[i, j]
    c = Circuit(name)
    inp = c.add(_schedule(x_train, p, name))
    rule = _rule(p)
    E = c.population("E", E_MODEL, n, _mechanisms(variant, p), traces=rule.traces,
                     namespace={"learning_rate": _learning_rate(len(x_train), p, name)})
    S = c.connect(inp, E, "exc", w0 * nS, i=i, j=j, plasticity=(rule,), name=f"{name}_input_to_E")
    if variant.inhibition:
        _connect_inhibition(c, E, p)
    spikes = c.add(SpikeMonitor(E, name=f"{name}_spikes"))
    return c.network(), {"S": S, "E": E, "spikes": spikes}


def train_network(x_train, variant: Variant, p, seed: int = 0, backend: str = "numpy", directory=None,
                  progress: bool = False) -> dict:
    """Learn from ``x_train`` (``p["n_passes"]`` passes); the learned effective weights and thresholds.

    Returns a dict with ``weights`` (inputs x neurons, nS: what a spike transmits, so any
    per-neuron gain is included), ``v_th`` (mV), ``theta`` (mV, zeros without the
    spike-triggered threshold), ``weight_sums`` (nS, of ``w`` itself), the training-phase
    ``counts`` (presentations x neurons) and ``order``, the image shown at each presentation
    (:func:`presentation_order`; the learning rate decays over all of them).
    """
    n_in, n = x_train.shape[1], int(p["n_neurons"])
    period = _period(p)
    order = presentation_order(len(x_train), p.get("n_passes", 1), seed)
    shown = np.asarray(x_train)[order]
    with simulation(backend, seed=seed, directory=directory, project="stdp_train"), time_step(p["dt"]):
        net, objects = build_training(shown, variant, p, seed)
        S, E, spikes = objects["S"], objects["E"], objects["spikes"]
        # one step more than the images: the weight-sum rescale due at the end of the last
        # image runs (on silent input), so the learned weights leave with their sums on target
        run_network(net, len(shown) * period + p["dt"], progress=progress, namespace={})
        w = np.asarray(S.w / nS)
        si, sj = np.asarray(S.i), np.asarray(S.j)
        gain = np.asarray(E.g_scaling) if "g_scaling" in E.variables else np.ones(n)
        theta = np.asarray(E.theta / mV) if "theta" in E.variables else np.zeros(n)
        # v_th is a subexpression with the spike-triggered threshold: computed from theta
        v_th = float(E_MODEL.V_th / mV) + theta if "theta" in E.variables else np.asarray(E.v_th / mV)
        t, k = np.asarray(spikes.t / second), np.asarray(spikes.i)
    weights = np.zeros((n_in, n))
    weights[si, sj] = w * gain[sj]
    sums = np.zeros(n)
    np.add.at(sums, sj, w)
    return {"weights": weights, "v_th": v_th, "theta": theta, "weight_sums": sums, "order": order,
            "counts": _counts(t, k, len(shown), n, float(period / second))}


def readout_network(blocks, x, p, seed: int = 0, backend: str = "numpy", directory=None,
                    progress: bool = False, n_shown: int | None = None) -> list:
    """Frozen networks shown the rows of ``x``: spike counts, and weights and thresholds after.

    ``blocks`` is a list of ``(weights, v_th, inhibition)``: learned weights (inputs x
    neurons, nS), thresholds (mV) and whether the network has lateral inhibition. Each block
    is one frozen network: a population with these fixed thresholds, static input synapses
    with these weights, and its own inhibition if it had some. Nothing in it can change them,
    which ``weights_after`` and ``v_th_after`` (read back after the run) show. All blocks
    run side by side in one simulation and see the same input spike trains, so the variants
    are compared on identical inputs (and the runtime targets pay their per-step overhead once).
    With ``n_shown``, only the first ``n_shown`` rows are shown: the rest pad the schedule, so
    that a shorter re-presentation has the generated code of the full one but for the run's
    duration (on cpp_standalone a few files compile again, not the project).
    """
    n_in = blocks[0][0].shape[0]
    n_shown = len(x) if n_shown is None else int(n_shown)
    sizes = [b[0].shape[1] for b in blocks]
    offsets = np.cumsum([0] + sizes)
    total = int(offsets[-1])
    pre, post = np.concatenate([_pairs(n_in, n)[0] for n in sizes]), np.concatenate(
        [_pairs(n_in, n)[1] + o for n, o in zip(sizes, offsets)])
    weights = np.concatenate([np.asarray(w)[_pairs(n_in, n)] for (w, _, _), n in zip(blocks, sizes)])
    v_th = np.concatenate([np.asarray(v, float) for _, v, _ in blocks])
    period = _period(p)
    name = "stdp_readout"
    with simulation(backend, seed=seed, directory=directory, project=name), time_step(p["dt"]):
        c = Circuit(name)
        inp = c.add(_schedule(x, p, name))
        E = c.population("E", E_MODEL, total, v_th=v_th * mV)
        S = c.connect(inp, E, "exc", weights * nS, i=pre, j=post, name=f"{name}_input_to_E")
        inhibited = [(o, n) for (_, _, inh), o, n in zip(blocks, offsets, sizes) if inh]
        if inhibited:
            # E_k -> I_k, and I_k -> every other E of the same block
            I = c.population("I", I_MODEL, total)
            k = np.concatenate([np.arange(o, o + n) for o, n in inhibited])
            c.connect(E, I, "exc", p["w_ei"], i=k, j=k)
            src = np.concatenate([np.repeat(np.arange(o, o + n), n) for o, n in inhibited])
            dst = np.concatenate([np.tile(np.arange(o, o + n), n) for o, n in inhibited])
            keep = src != dst
            c.connect(I, E, "inh", p["w_ie"], i=src[keep], j=dst[keep])
        spikes = c.add(SpikeMonitor(E, name=f"{name}_spikes"))
        net = c.network()
        run_network(net, n_shown * period, progress=progress, namespace={})
        w_after, si, sj = np.asarray(S.w / nS), np.asarray(S.i), np.asarray(S.j)
        v_after = np.asarray(E.v_th / mV)
        t, k = np.asarray(spikes.t / second), np.asarray(spikes.i)
    counts = _counts(t, k, n_shown, total, float(period / second))
    out = []
    for b, (o, n) in enumerate(zip(offsets, sizes)):
        mask = (sj >= o) & (sj < o + n)
        after = np.zeros((n_in, n))
        after[si[mask], sj[mask] - o] = w_after[mask]
        out.append({"counts": counts[:, o:o + n], "weights_after": after, "v_th_after": v_after[o:o + n]})
    return out


def boosted_readout(blocks, x, p, seed: int = 0, backend: str = "numpy", directory=None,
                    progress: bool = False) -> list:
    """:func:`readout_network`, with each image that evokes too few spikes shown again, louder.

    Diehl & Cook's rule: a block (a network) that fires fewer than ``p["min_spikes"]`` spikes
    to an image is shown it again with the input rate raised by half the base rate, up to
    ``p["max_boosts"]`` times; its counts for that image are those of the last showing. The
    blocks stay side by side: an image is shown again to all of them while any needs it, and
    each block keeps the first showing at which it reached ``min_spikes``.
    """
    frozen = readout_network(blocks, x, p, seed, backend, directory, progress)
    counts = [f["counts"] for f in frozen]
    for boost in range(1, int(p.get("max_boosts", 0)) + 1):
        low = [c.sum(axis=1) < p["min_spikes"] for c in counts]
        again = np.flatnonzero(np.any(low, axis=0))
        if again.size == 0:
            break
        # the images to show again first, the rest of x as padding that is never shown
        order = np.concatenate([again, np.setdiff1d(np.arange(len(x)), again)])
        louder = dict(p, input_rate=p["input_rate"] * (1 + 0.5 * boost))
        shown = readout_network(blocks, np.asarray(x)[order], louder, seed + boost, backend, directory, progress,
                                n_shown=again.size)
        for c, needs, f in zip(counts, low, shown):
            keep = needs[again]
            c[again[keep]] = f["counts"][keep]
    for f, c in zip(frozen, counts):
        f["counts"] = c
    return frozen


# -- readouts ----------------------------------------------------------------------------------
def assign_labels(counts, labels, n_classes: int) -> np.ndarray:
    """Each neuron's class: the one it responds to most on average (-1 if it never fires)."""
    counts, labels = np.asarray(counts, float), np.asarray(labels)
    mean = np.array([counts[labels == c].mean(axis=0) if np.any(labels == c) else np.zeros(counts.shape[1])
                     for c in range(n_classes)])
    assignment = mean.argmax(axis=0)
    assignment[mean.max(axis=0) <= 0] = -1
    return assignment


def classify(counts, assignment, n_classes: int) -> np.ndarray:
    """Diehl & Cook's vote: the class whose assigned neurons fire most on average.

    A class without neurons never wins; a sample that evokes no spike gets class -1 (wrong).
    """
    counts = np.asarray(counts, float)
    score = np.full((counts.shape[0], n_classes), -np.inf)
    for c in range(n_classes):
        members = assignment == c
        if members.any():
            score[:, c] = counts[:, members].mean(axis=1)
    predicted = score.argmax(axis=1)
    predicted[counts.sum(axis=1) == 0] = -1
    return predicted


def _run_seconds(start: float, backend: str) -> float:
    """Seconds of the last simulation: the binary's own run time on cpp_standalone (no compilation)."""
    import time

    history = standalone_history()
    return float(history[-1]["run"]) if backend == "cpp_standalone" and history else time.perf_counter() - start


def estimate_seconds(variants, images: Images, p, n_seeds: int, backend: str = "numpy", n_images: int = 20) -> dict:
    """Expected wall time of a run, from a short calibration: ``{"seconds", "train_ms", "readout_ms"}``.

    The first variant learns from ``n_images`` training images and is read out on them, in the
    run's own network and backend; the time per image of each phase is then multiplied out
    (every variant trains alone; the readout runs all variants side by side, so its cost
    grows with their number). Compilation is not included; on cpp_standalone it is paid once
    per structure (:mod:`homeostasis.simulations.cache`). Neither are the readout's louder
    re-showings (:func:`boosted_readout`), which depend on what the network learns.
    """
    import time

    xtr, _, xte, _ = split(images, 0, max_train=p["max_train"], max_test=p["max_test"])
    x = xtr[:n_images]
    start = time.perf_counter()
    learned = train_network(x, VARIANTS[variants[0]], dict(p, n_passes=1), 0, backend)
    train = _run_seconds(start, backend) / len(x)
    start = time.perf_counter()
    readout_network([(learned["weights"], learned["v_th"], VARIANTS[variants[0]].inhibition)], x, p, 0, backend)
    readout = _run_seconds(start, backend) / len(x)
    per_seed = len(variants) * (p.get("n_passes", 1) * len(xtr) * train + (len(xtr) + len(xte)) * readout)
    parallel = max(1, min(int(p["jobs"]), n_seeds))
    return {"seconds": per_seed * math.ceil(n_seeds / parallel), "train_ms": 1e3 * train, "readout_ms": 1e3 * readout}


def run_seed(variants, images: Images, p, seed: int, backend: str = "numpy", directory=None,
             progress: bool = False) -> dict:
    """Train each variant with one seed, freeze them, assign and test: numbers and arrays per variant."""
    xtr, ytr, xte, yte = split(images, seed, max_train=p["max_train"], max_test=p["max_test"])
    n_classes = len(images.classes)
    where = (lambda sub: None) if directory is None else (lambda sub: str(Path(directory) / sub))
    learned = {v: train_network(xtr, VARIANTS[v], p, seed, backend, where(f"train_{v}"), progress) for v in variants}
    frozen = boosted_readout([(learned[v]["weights"], learned[v]["v_th"], VARIANTS[v].inhibition) for v in variants],
                             np.vstack([xtr, xte]), p, seed, backend, where("readout"), progress)
    out = {}
    for v, f in zip(variants, frozen):
        assign_counts, test_counts = f["counts"][: len(xtr)], f["counts"][len(xtr):]
        assignment = assign_labels(assign_counts, ytr, n_classes)
        predicted = classify(test_counts, assignment, n_classes)
        confusion = np.zeros((n_classes, n_classes), int)
        for true, guess in zip(yte, predicted):
            if guess >= 0:
                confusion[true, guess] += 1
        out[v] = {
            "test_accuracy": float(np.mean(predicted == yte)),
            "readout_accuracy": linear_probe_accuracy(assign_counts, ytr, test_counts, yte, seed=seed),
            "usage_cv": usage_cv(test_counts),
            "usage_entropy": usage_entropy(test_counts),
            "dead_fraction": dead_fraction(test_counts),
            "silent_test_fraction": float(np.mean(test_counts.sum(axis=1) == 0)),
            "spikes_per_sample": float(test_counts.sum(axis=1).mean()),
            "frozen_weights_changed": float(np.max(np.abs(f["weights_after"] - learned[v]["weights"]))),
            "frozen_thresholds_changed": float(np.max(np.abs(f["v_th_after"] - learned[v]["v_th"]))),
            "weights": learned[v]["weights"], "v_th": learned[v]["v_th"], "weight_sums": learned[v]["weight_sums"],
            "test_counts": test_counts, "assignment": assignment, "confusion": confusion,
            "usage": test_counts.mean(axis=0), "n_train": len(xtr), "n_test": len(xte),
        }
    return out


def baselines(x_train, y_train, x_test, y_test, n_clusters: int, seed: int = 0) -> dict:
    """Test accuracies of two references on the same split as the network.

    ``kmeans_accuracy``: k-means with as many clusters as the network has neurons, each
    cluster labelled with the class most of its training images have, a test image
    classified by its nearest centre (an unsupervised learner of prototypes, like the
    network). ``pixels_logistic_accuracy``: logistic regression on the standardized pixels.
    """
    from sklearn.cluster import KMeans

    km = KMeans(n_clusters=min(n_clusters, len(x_train)), n_init=1, random_state=seed).fit(x_train)
    n_classes = int(max(y_train.max(), y_test.max())) + 1
    votes = np.zeros((km.n_clusters, n_classes))
    np.add.at(votes, (km.labels_, y_train), 1)
    predicted = votes.argmax(axis=1)[km.predict(x_test)]
    return {"kmeans_accuracy": float(np.mean(predicted == y_test)),
            "pixels_logistic_accuracy": linear_probe_accuracy(x_train, y_train, x_test, y_test, seed=seed)}


# -- the experiment ----------------------------------------------------------------------------
METRICS = ("test_accuracy", "readout_accuracy", "usage_cv", "usage_entropy", "dead_fraction")


def _check(p, variants, scaled: bool = True):
    """Every bad value as one line, before any network is built.

    With ``scaled=False`` (before the data are read) the parameters that may be derived from
    the images (0) are checked for sign only; the mechanisms get them once they are known.
    """
    for key in SCALED:
        if not p[key] >= 0:
            raise ValueError(f"{key} must be positive (0: derived from the images), got {p[key]}")
    if not (isinstance(p["n_neurons"], int) and p["n_neurons"] > 0):
        raise ValueError(f"n_neurons must be a positive integer, got {p['n_neurons']!r}")
    for key in ("n_seeds", "jobs"):
        if not (isinstance(p[key], int) and p[key] > 0):
            raise ValueError(f"{key} must be a positive integer, got {p[key]!r}")
    if not (isinstance(p.get("n_passes", 1), int) and p.get("n_passes", 1) > 0):
        raise ValueError(f"n_passes must be a positive integer, got {p['n_passes']!r}")
    for key in ("max_train", "max_test", "min_spikes", "max_boosts"):
        if not (isinstance(p[key], int) and p[key] >= 0):
            raise ValueError(f"{key} must be a non-negative integer{' (0: all)' if key.startswith('max_t') else ''}, "
                             f"got {p[key]!r}")
    if not 0 < p["eta_anneal"] <= 1:
        raise ValueError(f"eta_anneal must lie in (0, 1], got {p['eta_anneal']!r}")
    for key in ("dt", "t_present", "t_rest"):
        if not p[key] > 0:
            raise ValueError(f"{key} must be positive, got {p[key]}")
    if p["dt"] > 1 * ms:
        raise ValueError(f"dt must be at most 1 ms (the conductances decay in 1-2 ms), got {p['dt']}")
    for key in ("t_present", "t_rest"):
        steps = float(p[key] / p["dt"])
        if abs(steps - round(steps)) > 1e-6:
            raise ValueError(f"{key} must be a multiple of the time step dt = {p['dt']}, got {p[key]}")
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown or not variants:
        raise ValueError(f"variants must be a comma-separated list of {', '.join(VARIANTS)}, got {p['variants']!r}")
    if not scaled:
        return
    for v in variants:  # mechanism and rule parameters are validated by their classes
        _mechanisms(VARIANTS[v], p)
    _rule(p)


@experiment(
    "stdp-digits",
    "Unsupervised STDP on digits (Diehl & Cook 2015): accuracy and load balance with each homeostatic mechanism ablated.",
    required_metrics=[f"{{variants}}.{key}" for key in METRICS],
    params=[
        Param("variants", ",".join(VARIANTS), None, "comma-separated variants to run"),
        Param("data", "", None, "images: empty for sklearn digits, mnist-5k (bundled real MNIST), a directory of "
              "the four MNIST IDX files (.gz or not), or an .npz with x_train, y_train, x_test, y_test or x, y"),
        Param("n_neurons", 100, None, "excitatory neurons", quick=20),
        Param("n_seeds", 3, None, "seeds per variant (seed, seed+1, ...)", quick=1),
        Param("jobs", 1, None, "seeds run in parallel processes"),
        Param("baselines", True, None, "k-means (as many clusters as neurons) and logistic regression on the pixels, "
              "on the same split"),
        Param("estimate", True, None, "first time 20 images and print the expected wall time", quick=False),
        Param("max_train", 0, None, "use at most this many training samples (0: all)", quick=50),
        Param("n_passes", 1, None, "passes over the training images, reshuffled after the first with the seed "
              "(the learning rate decays over all presentations)"),
        Param("min_spikes", 5, None, "readout: an image evoking fewer spikes is shown again with the input rate "
              "raised by half (Diehl & Cook's rule; 0: never)", quick=0),
        Param("max_boosts", 4, None, "readout: at most this many louder showings of an image"),
        Param("max_test", 0, None, "use at most this many test samples (0: all)", quick=40),
        Param("t_present", 350 * ms, "ms", "presentation time of one image", quick=100 * ms),
        Param("t_rest", 150 * ms, "ms", "silence after each image", quick=50 * ms),
        Param("dt", 0.5 * ms, "ms", "integration time step"),
        Param("eta_anneal", 0.1, "1", "learning-rate factor at the last image (geometric decay from 1; 1: constant)",
              quick=1.0),
        Param("input_rate", 0 * Hz, "Hz", "input rate of a pixel at full intensity (0: derived from the images)"),
        Param("w_total", 0 * nS, "nS", "weight sum of each neuron's inputs, WeightSumNormalization (0: derived)"),
        Param("w_max", 0 * nS, "nS", "upper bound of a plastic weight (0: derived)"),
        Param("eta_post", 0.03, "1", "potentiation per postsynaptic spike (PairSTDP), at the first image",
              quick=0.1),
        Param("eta_pre", 0.0001, "1", "depression per presynaptic spike (PairSTDP)"),
        Param("tau_pre", 20 * ms, "ms", "presynaptic trace time constant"),
        Param("tau_post", 20 * ms, "ms", "postsynaptic trace time constant"),
        Param("mu", 1.0, "1", "soft-bound exponent (1: multiplicative)"),
        Param("theta_plus", 0.05 * mV, "mV", "threshold increase per spike (SpikeTriggeredThreshold)", quick=1 * mV),
        Param("tau_theta", 1e7 * ms, "ms", "threshold decay time constant"),
        Param("target_rate", 0.8 * Hz, "Hz", "set-point rate of AdaptiveThreshold and SynapticScaling"),
        Param("eta_threshold", 0.05 * mV, "mV", "threshold change per excess spike (AdaptiveThreshold)"),
        Param("tau_r", 10 * second, "second", "rate-trace time constant of the project's forms"),
        Param("tau_scaling", 50 * second, "second", "time constant of SynapticScaling"),
        Param("w_ei", 10.4 * nS, "nS", "weight of E_k -> I_k"),
        Param("w_ie", 17 * nS, "nS", "weight of I_k -> every other E"),
    ],
)
def stdp_digits(p, ctx) -> Result:
    variants = [v.strip() for v in p.variants.split(",") if v.strip()]
    _check(dict(p), variants, scaled=False)
    images = load_images(p.data)
    params, derived = with_input_scale(p, images)
    _check(params, variants)
    units = {"input_rate": Hz, "w_total": nS, "w_max": nS}
    print(f"stdp-digits: {images.x.shape[1]} inputs of mean intensity {images.mean_intensity:.4f}: "
          + ", ".join(f"{k} = {float(params[k] / units[k]):.4g} {units[k]}" + (" (derived)" if k in derived else " (given)")
                      for k in SCALED))
    seeds = [ctx.seed + k for k in range(p.n_seeds)]
    runs = {v: [] for v in variants}
    from tqdm.auto import tqdm

    e = None
    if p.estimate:
        e = estimate_seconds(variants, images, params, p.n_seeds, ctx.backend)
        print(f"stdp-digits: expected wall time {e['seconds'] / 60:.1f} min without compilation ({e['train_ms']:.1f} ms "
              f"per training image, {e['readout_ms']:.1f} ms per readout image and variant, timed on 20 images)",
              flush=True)

    # on cpp_standalone every process builds in the kept directory of each structure
    # (homeostasis.simulations.cache): a later seed or run compiles nothing
    if p.jobs == 1:
        done = [run_seed(variants, images, params, s, ctx.backend, None, ctx.progress)
                for s in tqdm(seeds, desc="stdp-digits seeds", disable=not ctx.progress)]
    else:  # seeds in parallel processes (spawned: each its own Brian2 device and state)
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(p.jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = [pool.submit(run_seed, variants, images, params, s, ctx.backend, None, ctx.progress)
                       for s in seeds]
            done = [f.result() for f in futures]
    for one in done:
        for v in variants:
            runs[v].append(one[v])

    reference = {}
    if p.baselines:
        found = [baselines(*split(images, s, max_train=p.max_train, max_test=p.max_test), p.n_neurons, s) for s in seeds]
        for key in ("kmeans_accuracy", "pixels_logistic_accuracy"):
            values = np.array([b[key] for b in found])
            reference[key], reference[f"{key}_per_seed"] = float(values.mean()), values.tolist()
    first = runs[variants[0]][0]
    metrics = {"n_classes": len(images.classes), "chance_accuracy": 1 / len(images.classes), "seeds": seeds,
               "n_train": first["n_train"], "n_test": first["n_test"], "n_inputs": images.x.shape[1],
               "data": images.source, "split": "given" if images.given_split else "random stratified 80/20",
               "mean_intensity": images.mean_intensity,
               "input_scale": {k: float(params[k] / units[k]) for k in SCALED},
               "input_scale_units": {k: str(units[k]) for k in SCALED},
               "input_scale_derived": sorted(derived), "estimate": e,
               "baselines": reference}
    for v in variants:
        rows = runs[v]
        entry = {}
        for key in METRICS + ("silent_test_fraction", "spikes_per_sample"):
            values = np.array([r[key] for r in rows], float)
            entry[key] = float(values.mean())
            entry[f"{key}_std"] = float(values.std(ddof=1)) if len(values) > 1 else 0.0
            entry[f"{key}_per_seed"] = values.tolist()
        entry["frozen_weights_changed"] = max(r["frozen_weights_changed"] for r in rows)
        entry["frozen_thresholds_changed"] = max(r["frozen_thresholds_changed"] for r in rows)
        metrics[v] = entry

    data = {f"{v}_usage": np.array([r["usage"] for r in runs[v]]) for v in variants}
    data.update({f"{v}_weights": runs[v][0]["weights"] for v in variants})
    data.update({f"{v}_v_th": runs[v][0]["v_th"] for v in variants})
    data.update({f"{v}_confusion": np.sum([r["confusion"] for r in runs[v]], axis=0) for v in variants})
    return Result(metrics, data, _figure(runs, variants, images, metrics), {"table.md": _table(metrics, variants, p)})


def _montage(weights, shape, columns: int | None = None) -> np.ndarray:
    """Receptive fields (inputs x neurons) as one image of tiles, each normalized to its maximum."""
    n = weights.shape[1]
    columns = columns or math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    h, w = shape
    out = np.full((rows * (h + 1) - 1, columns * (w + 1) - 1), np.nan)
    for k in range(n):
        r, c = divmod(k, columns)
        tile = weights[:, k].reshape(h, w)
        out[r * (h + 1): r * (h + 1) + h, c * (w + 1): c * (w + 1) + w] = tile / max(tile.max(), 1e-12)
    return out


def _figure(runs, variants, images, metrics):
    fig, ax = figure(4, width=12, height=3.0)
    shown = "full" if "full" in runs else variants[0]
    ax[0].imshow(_montage(runs[shown][0]["weights"], images.shape), cmap="gray_r", interpolation="nearest")
    ax[0].set(title=f"receptive fields ({shown}, seed {metrics['seeds'][0]})")
    ax[0].set_axis_off()
    x = np.arange(len(variants))
    for offset, key, label, color in ((-0.2, "test_accuracy", "label assignment", COLORS["with"]),
                                      (0.2, "readout_accuracy", "logistic readout", COLORS["without"])):
        ax[1].bar(x + offset, [metrics[v][key] for v in variants], 0.4, yerr=[metrics[v][f"{key}_std"] for v in variants],
                  color=color, label=label, capsize=2)
    ax[1].axhline(metrics["chance_accuracy"], color=COLORS["target"], lw=0.8, ls="--", label="chance")
    ax[1].set_xticks(x, [v.replace("_", " ") for v in variants], fontsize=6, rotation=35, ha="right")
    ax[1].set(ylabel="test accuracy", ylim=(0, 1), title="accuracy per variant")
    ax[1].legend(frameon=False, fontsize=6)
    for v in variants:
        usage = np.mean([np.sort(r["usage"])[::-1] for r in runs[v]], axis=0)
        ax[2].plot(np.arange(1, usage.size + 1), usage, lw=1, label=v)
    ax[2].set(xlabel="neuron (sorted)", ylabel="mean spikes per test image", yscale="symlog", title="usage of the neurons")
    ax[2].legend(frameon=False, fontsize=6)
    confusion = np.sum([r["confusion"] for r in runs[shown]], axis=0)
    shares = confusion / np.maximum(confusion.sum(axis=1, keepdims=True), 1)
    ax[3].imshow(shares, cmap="Blues", vmin=0, vmax=1)
    ticks = np.arange(len(images.classes))
    ax[3].set_xticks(ticks, images.classes, fontsize=6)
    ax[3].set_yticks(ticks, images.classes, fontsize=6)
    ax[3].set(xlabel="predicted", ylabel="true", title=f"confusion ({shown}, all seeds)")
    return fig


def _table(metrics, variants, p) -> str:
    lines = [f"# stdp-digits: {metrics['n_train']} training and {metrics['n_test']} test images of "
             f"{metrics['data']}, {p.n_neurons} excitatory neurons, {len(metrics['seeds'])} seeds",
             "", "| variant | label assignment | logistic readout | usage CV | usage entropy | dead fraction |",
             "|---|---|---|---|---|---|"]
    for v in variants:
        m = metrics[v]
        cell = lambda key, pct: (f"{100 * m[key]:.1f} ± {100 * m[key + '_std']:.1f} %" if pct  # noqa: E731
                                 else f"{m[key]:.3f} ± {m[key + '_std']:.3f}")
        lines.append(f"| {v} | {cell('test_accuracy', True)} | {cell('readout_accuracy', True)} | "
                     f"{cell('usage_cv', False)} | {cell('usage_entropy', False)} | {cell('dead_fraction', False)} |")
    lines += ["", f"Chance: {100 * metrics['chance_accuracy']:.1f} %. Mean ± standard deviation over seeds "
              f"{metrics['seeds']}."]
    b = metrics.get("baselines") or {}
    if b:
        lines += ["", f"On the same splits: k-means with {p.n_neurons} clusters {100 * b['kmeans_accuracy']:.1f} %, "
                  f"logistic regression on the pixels {100 * b['pixels_logistic_accuracy']:.1f} % (means over the seeds)."]
    return "\n".join(lines) + "\n"
