"""Training throughput of the torch engine against the numpy engine, side by side (one thread).

Default MLP protocol: 40-100-100-10 on mnist1d, batch 100, Adam (lr 1e-2), from the same
initial weights. For each method the two engines are timed in alternation, ``rounds`` times
each, and the best round of each is kept, so a burst of load on a shared machine falls on
both alike. Prints steps per second of each and the ratio torch / numpy (above 1: torch faster).
"""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

from homeostasis.ann import METHODS, load  # noqa: E402

from .mlp_throughput import rate, training_step  # noqa: E402


def _torch_step(method, data, batch_size, dtype):
    import torch

    from homeostasis.torch.mlp import MLP as TorchMLP

    net = TorchMLP([data.x_train.shape[1], 100, 100, data.n_classes], method, random_state=0, dtype=dtype)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    x = torch.as_tensor(data.x_train[:batch_size], dtype=dtype)
    y = torch.as_tensor(data.y_train[:batch_size])

    def step():
        loss = torch.nn.functional.cross_entropy(net(x), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


def run(steps=200, rounds=3, small=False):
    """Print and return ``{method: (numpy steps/s, torch float32 steps/s)}``."""
    try:
        import torch
    except ImportError:
        print("skipped: PyTorch is not installed (pip install 'homeostasis[torch]')")
        return {}
    torch.set_num_threads(1)
    data = load("mnist1d")
    steps, rounds = (50, 1) if small else (steps, rounds)
    rates = {}
    for m in METHODS:
        numpy_step, torch_step = training_step(m, data, 100), _torch_step(m, data, 100, torch.float32)
        best_numpy = best_torch = 0.0
        for _ in range(rounds):
            best_numpy = max(best_numpy, rate(numpy_step, steps))
            best_torch = max(best_torch, rate(torch_step, steps))
        rates[m] = (best_numpy, best_torch)
    print(f"{'method':10s} {'numpy/s':>9s} {'torch/s':>9s} {'torch/numpy':>12s}   "
          f"(40-100-100-10, batch 100, Adam, one thread, torch float32, best of {rounds} x {steps} steps)")
    for m, (n, t) in rates.items():
        print(f"{m:10s} {n:9.0f} {t:9.0f} {t / n:12.2f}")
    return rates


if __name__ == "__main__":
    run()
