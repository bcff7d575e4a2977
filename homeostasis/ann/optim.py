"""Optimizers over the ``params``/``grads`` dicts of a list of layers."""
from __future__ import annotations

import numpy as np

__all__ = ["SGD", "Adam", "make_optimizer"]


class SGD:
    """Stochastic gradient descent with (heavy-ball) momentum."""

    def __init__(self, layers, lr=0.05, momentum=0.9):
        if not lr > 0 or not 0 <= momentum < 1:
            raise ValueError(f"SGD needs lr > 0 and 0 <= momentum < 1, got {lr}, {momentum}")
        self.layers, self.lr, self.momentum = list(layers), lr, momentum
        self.velocity = [{k: np.zeros_like(v) for k, v in layer.params.items()} for layer in self.layers]

    def step(self):
        for layer, vel in zip(self.layers, self.velocity):
            for k, p in layer.params.items():
                vel[k] = self.momentum * vel[k] - self.lr * layer.grads[k]
                p += vel[k]


class Adam:
    """Adam (Kingma & Ba 2015) with bias correction."""

    def __init__(self, layers, lr=1e-2, beta1=0.9, beta2=0.999, eps=1e-8):
        if not lr > 0:
            raise ValueError(f"Adam needs lr > 0, got {lr}")
        self.layers, self.lr, self.b1, self.b2, self.eps = list(layers), lr, beta1, beta2, eps
        self.m = [{k: np.zeros_like(v) for k, v in layer.params.items()} for layer in self.layers]
        self.v = [{k: np.zeros_like(v) for k, v in layer.params.items()} for layer in self.layers]
        self.t = 0

    def step(self):
        self.t += 1
        c1, c2 = 1 - self.b1 ** self.t, 1 - self.b2 ** self.t
        for layer, m, v in zip(self.layers, self.m, self.v):
            for k, p in layer.params.items():
                g = layer.grads[k]
                m[k] = self.b1 * m[k] + (1 - self.b1) * g
                v[k] = self.b2 * v[k] + (1 - self.b2) * g * g
                p -= self.lr * (m[k] / c1) / (np.sqrt(v[k] / c2) + self.eps)


def make_optimizer(name, layers, lr, momentum=0.9):
    """``"adam"`` or ``"sgd"`` over ``layers``."""
    if name == "adam":
        return Adam(layers, lr)
    if name == "sgd":
        return SGD(layers, lr, momentum)
    raise ValueError(f"unknown optimizer {name!r}; choose adam or sgd")
