"""Bio-inspired normalizations, one per scale, each updated by a local homeostatic rule.

The gradient trains the weights as usual; the homeostatic state (a scaling of the weights,
a gain and bias, a shared gain) is updated during training forward passes by a rule that
uses only the unit's (or the network's) own running activity, never the loss, exactly like
the biology each copies. None needs batch statistics, so all train with a batch of one.
"""
from __future__ import annotations

import numpy as np

from .layers import Layer, Linear

__all__ = ["SynapticScalingNorm", "IntrinsicPlasticityNorm", "DivisiveNorm", "GlobalGain",
           "GlobalHomeostasisNorm"]


class SynapticScalingNorm(Linear):
    """SSN, synapse scale: every unit scales all its incoming weights by one factor.

    Biology: synaptic scaling (Turrigiano et al. 1998), ``dw/dt = w (r0 - r) / (tau r0)``.
    Here each unit ``j`` keeps a running estimate of its activity,
    ``s_j <- s_j + rho (mean(z_j^2) - s_j)`` with ``z_j`` its summed input, and before each
    training step multiplies its incoming weight vector ``W[:, j]`` by

    .. math:: f_j = \\mathrm{clip}\\left((r_0 / \\sqrt{s_j})^{\\eta}, 1 - \\delta, 1 + \\delta\\right)

    The activity measure is the root-mean-square drive, not the mean rectified output: a
    dead unit (all inputs negative) has zero rectified output, and a rule on that output
    would scale its weights up forever; its drive is large, so it is scaled down and the
    weights stay bounded. The per-step factor is clipped to ``1 +- delta`` for the same
    reason. The bias is not scaled (it is not a synapse).

    Parameters
    ----------
    n_in, n_out : int
    rng : numpy.random.Generator
    target : float
        Set-point RMS drive ``r0``.
    rate : float
        Running-average rate ``rho`` of the activity estimate.
    eta : float
        Exponent of the scaling factor (strength of the homeostatic pull per step).
    max_step : float
        Largest relative weight change per step ``delta``.
    """

    scale = "synapse"
    counterpart = "weight normalization"

    def __init__(self, n_in, n_out, rng, target=1.0, rate=0.05, eta=0.1, max_step=0.01):
        super().__init__(n_in, n_out, rng)
        if not (target > 0 and 0 < rate <= 1 and eta > 0 and 0 < max_step < 1):
            raise ValueError("SynapticScalingNorm needs target > 0, 0 < rate <= 1, eta > 0, 0 < max_step < 1")
        self.target, self.rate, self.eta, self.max_step = target, rate, eta, max_step
        self.activity = None

    def scaling_factor(self):
        """This step's factor per unit, from the running activity (1 before any input)."""
        if self.activity is None:
            return np.ones(self.params["w"].shape[1])
        ratio = self.target / np.sqrt(self.activity + 1e-12)
        return np.clip(ratio ** self.eta, 1 - self.max_step, 1 + self.max_step)

    def forward(self, x, training=False):
        if training:
            self.params["w"] *= self.scaling_factor()
        z = super().forward(x, training)
        if training:
            drive = np.mean(z ** 2, axis=0)
            self.activity = drive if self.activity is None else self.activity + self.rate * (drive - self.activity)
        return z


class IntrinsicPlasticityNorm(Layer):
    """Neuron scale: each unit tunes its own gain and bias from its running statistics.

    Biology: intrinsic plasticity (Triesch 2005; Desai et al. 1999): a neuron adjusts its
    excitability so its firing over time stays at a set point. Unit ``j`` keeps running
    estimates of the mean and variance of its input over time,
    ``m_j <- m_j + rho (x_j - m_j)``, ``v_j <- v_j + rho ((x_j - m_j)^2 - v_j)``, and sets
    its gain ``a_j = 1 / sqrt(v_j + eps)`` and bias ``b_j = -a_j m_j``:

    .. math:: y_j = \\gamma_j (a_j x_j + b_j) + \\beta_j

    Like batch normalization it holds each unit's statistics at a set point, but over time
    rather than over a batch, so it works online. ``gamma`` and ``beta`` are trained by
    the gradient; ``a`` and ``b`` are not.
    """

    scale = "neuron"
    counterpart = "batch normalization"

    def __init__(self, n, rate=0.01, eps=1e-5):
        super().__init__()
        if not 0 < rate <= 1:
            raise ValueError(f"rate must lie in (0, 1], got {rate}")
        self.params = {"gamma": np.ones(n), "beta": np.zeros(n)}
        self.grads = {k: np.zeros(n) for k in self.params}
        self.rate, self.eps = rate, eps
        self.mean, self.var = np.zeros(n), np.ones(n)
        self._seen = False

    @property
    def gain(self):
        return 1.0 / np.sqrt(self.var + self.eps)

    def forward(self, x, training=False):
        if training:
            m = x.mean(axis=0)
            if not self._seen:
                self.mean, self.var, self._seen = m, x.var(axis=0) if x.shape[0] > 1 else np.ones_like(m), True
            self.mean = self.mean + self.rate * (m - self.mean)
            self.var = self.var + self.rate * (np.mean((x - self.mean) ** 2, axis=0) - self.var)
        self._a = self.gain
        self._h = self._a * (x - self.mean)
        return self.params["gamma"] * self._h + self.params["beta"]

    def backward(self, dy):
        self.grads["gamma"] = np.sum(dy * self._h, axis=0)
        self.grads["beta"] = dy.sum(axis=0)
        return dy * self.params["gamma"] * self._a


class DivisiveNorm(Layer):
    """Layer scale: each unit divided by the pooled activity of its layer for the same input.

    Biology: divisive normalization by lateral inhibition (Carandini & Heeger 2012),

    .. math:: y_i = \\gamma_i \\frac{x_i}{\\sqrt{\\sigma^2 + \\frac{1}{N}\\sum_j x_j^2}} + \\beta_i

    The pool is computed per sample across the layer, as layer normalization does, and the
    output is invariant to a common rescaling of the input when the pool dominates sigma.
    """

    scale = "layer"
    counterpart = "layer normalization"

    def __init__(self, n, sigma=1e-2):
        super().__init__()
        if not sigma > 0:
            raise ValueError(f"sigma must be positive, got {sigma}")
        self.params = {"gamma": np.ones(n), "beta": np.zeros(n)}
        self.grads = {k: np.zeros(n) for k in self.params}
        self.sigma = sigma

    def forward(self, x, training=False):
        self._x = x
        self._d = np.sqrt(self.sigma ** 2 + np.mean(x ** 2, axis=1, keepdims=True))
        return self.params["gamma"] * x / self._d + self.params["beta"]

    def backward(self, dy):
        x, d, g = self._x, self._d, self.params["gamma"]
        self.grads["gamma"] = np.sum(dy * x / d, axis=0)
        self.grads["beta"] = dy.sum(axis=0)
        dyg = dy * g
        n = x.shape[1]
        return dyg / d - x * np.sum(dyg * x, axis=1, keepdims=True) / (n * d ** 3)


class GlobalGain:
    """The network-wide slow variable of :class:`GlobalHomeostasisNorm` (one per network).

    ``estimate <- estimate + rate (mean(y^2) - estimate)`` over every layer that reports,
    and ``g <- g * clip((target / estimate)^(eta / 2), 1 - delta, 1 + delta)``.
    """

    def __init__(self, target=1.0, rate=0.05, eta=0.1, max_step=0.01):
        if not (target > 0 and 0 < rate <= 1 and eta > 0 and 0 < max_step < 1):
            raise ValueError("GlobalGain needs target > 0, 0 < rate <= 1, eta > 0, 0 < max_step < 1")
        self.target, self.rate, self.eta, self.max_step = target, rate, eta, max_step
        self.gain, self.estimate = 1.0, None

    def observe(self, mean_square: float):
        if self.estimate is None:
            self.estimate = mean_square
        self.estimate += self.rate * (mean_square - self.estimate)
        factor = (self.target / (self.estimate + 1e-12)) ** (self.eta / 2)
        self.gain *= float(np.clip(factor, 1 - self.max_step, 1 + self.max_step))


class GlobalHomeostasisNorm(Layer):
    """Network scale: one shared gain, set by a slow estimate of the whole network's activity.

    Biology: network homeostasis by global feedback (Vogels et al. 2011; global inhibitory
    control of a circuit): ``y = g x`` with the same ``g`` in every layer, adapted by
    :class:`GlobalGain` so the network's mean squared activity stays at a set point, as a
    self-normalizing network holds its statistics at a fixed point.
    """

    scale = "network"
    counterpart = "self-normalization"

    def __init__(self, shared: GlobalGain):
        super().__init__()
        self.shared = shared

    def forward(self, x, training=False):
        self._g = self.shared.gain
        y = self._g * x
        if training:
            self.shared.observe(float(np.mean(y ** 2)))
        return y

    def backward(self, dy):
        return self._g * dy
