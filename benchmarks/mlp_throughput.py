"""Training throughput of the numpy MLP per normalization method (default protocol, one thread)."""
import time

from homeostasis.ann import METHODS, MLP, load
from homeostasis.ann.layers import softmax_cross_entropy
from homeostasis.ann.optim import Adam


def steps_per_second(method, data, steps=300, batch_size=100):
    net = MLP([data.x_train.shape[1], 100, 100, data.n_classes], method, seed=0)
    opt = Adam(net.layers, 1e-2)
    x, y = data.x_train[:batch_size], data.y_train[:batch_size]
    start = time.perf_counter()
    for _ in range(steps):
        _, d = softmax_cross_entropy(net.forward(x, training=True), y)
        net.backward(d)
        opt.step()
    return steps / (time.perf_counter() - start)


def run(small=False):
    data = load("mnist1d")
    steps = 100 if small else 500
    rates = {m: steps_per_second(m, data, steps) for m in METHODS}
    print(f"{'method':10s} {'steps/s':>9s} {'vs none':>8s}   (40-100-100-10, batch 100, Adam, one thread)")
    for m, r in rates.items():
        print(f"{m:10s} {r:9.0f} {r / rates['none']:8.2f}")
    return rates
