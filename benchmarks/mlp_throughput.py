"""Training throughput of the numpy MLP per normalization method (default protocol, one thread).

Default protocol: 40-100-100-10 on mnist1d, batch 100, Adam (lr 1e-2). Prints steps per
second for every method and its ratio to ``none``, the cost of the normalization.
"""
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

from homeostasis.ann import METHODS, MLP, load  # noqa: E402
from homeostasis.ann.layers import softmax_cross_entropy  # noqa: E402
from homeostasis.ann.optim import Adam  # noqa: E402


def training_step(method, data, batch_size=100):
    """One full training step (forward, loss, backward, Adam) of the default protocol's MLP."""
    net = MLP([data.x_train.shape[1], 100, 100, data.n_classes], method, random_state=0)
    opt = Adam(net.layers, 1e-2)
    x, y = data.x_train[:batch_size], data.y_train[:batch_size]

    def step():
        _, d = softmax_cross_entropy(net.forward(x, training=True), y)
        net.backward(d)
        opt.step()

    return step


def steps_per_second(method, data, steps=200, batch_size=100, warmup=10):
    """Full training steps (forward, loss, backward, Adam) per second for one method."""
    return rate(training_step(method, data, batch_size), steps, warmup)


def rate(step, steps, warmup=10):
    """Calls of ``step`` per second, timed over ``steps`` calls after ``warmup`` untimed ones."""
    for _ in range(warmup):  # first calls pay for allocation and caches
        step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return steps / (time.perf_counter() - start)


def run(steps=200, small=False):
    """Print and return ``{method: steps/s}``; ``small`` cuts the steps to 50 for a quick look."""
    data = load("mnist1d")
    steps = 50 if small else steps
    rates = {m: steps_per_second(m, data, steps) for m in METHODS}
    print(f"{'method':10s} {'steps/s':>9s} {'vs none':>8s}   "
          f"(40-100-100-10, batch 100, Adam, one thread, {steps} steps)")
    for m, r in rates.items():
        print(f"{m:10s} {r:9.0f} {r / rates['none']:8.2f}")
    return rates


if __name__ == "__main__":
    run()
