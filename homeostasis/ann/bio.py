"""Bio-inspired normalizations, one per scale, each updated by a local homeostatic rule.

The gradient trains the weights as usual; the homeostatic state (a scaling of the weights,
a gain and bias, a shared gain) is updated during *training* forward passes by a rule that
uses only the unit's (or the network's) own running activity, never the loss, as the
biology each copies does. Evaluation passes leave the state alone, and setting a layer's
``adapt`` attribute to ``False`` freezes it in training as well (for ablations and for
gradient checks). None needs batch statistics, so all of them train with a batch of one.

Every class declares ``scale`` (where in the nervous system its rule acts), ``counterpart``
(the deep-learning normalization that acts at the same scale) and ``biology`` (the
mechanism it copies); :func:`homeostasis.analysis.pairs` reads these attributes.

Examples
--------
>>> import numpy as np
>>> layer = IntrinsicPlasticityNorm(3)
>>> y = layer.forward(np.random.default_rng(0).normal(5.0, 2.0, (1, 3)), training=True)
>>> y.shape
(1, 3)
"""
from __future__ import annotations

from numbers import Real

import numpy as np

from .layers import AVERAGING_RATE, EPS, UNITS, Layer, Linear, affine_parameters
from .validation import InstanceOf, Interval, Options, RandomState, Validated

__all__ = ["SynapticScalingNorm", "IntrinsicPlasticityNorm", "DivisiveNorm", "GlobalGain",
           "GlobalHomeostasisNorm"]


#: Constraints of the homeostatic rules; one name means one thing in every class.
POSITIVE = Interval(Real, 0, None, closed="neither")
#: Largest relative change per step of a multiplicative rule: 1 or more could flip or zero a weight.
MAX_STEP = Interval(Real, 0, 1, closed="neither")


class SynapticScalingNorm(Linear):
    """SSN, synapse scale: one gain per unit multiplies all its incoming weights.

    Biology: synaptic scaling (Turrigiano et al. 1998). A neuron whose firing stays away
    from its set point scales the strengths of all its excitatory synapses by a common
    factor, which keeps their relative sizes (the stored pattern) and changes only the
    overall gain. As in the spiking :class:`homeostasis.SynapticScaling`, the factor is kept
    once per unit, a gain ``g_j`` on the direction of the weights ``w_j`` that learning sets:

    .. math:: w^{eff}_j = g_j\\, \\frac{w_j}{\\lVert w_j \\rVert}, \\qquad z_j = x \\cdot w^{eff}_j + b_j .

    The gradient trains ``w`` and ``b`` with the gains held constant (only the direction of
    ``w`` matters, so its gradient is orthogonal to it, as in weight normalization); the
    gains follow a local rule. Unit ``j`` keeps a running estimate (exponential moving
    average, rate ``momentum``) of the mean square of its pre-activation,

    .. math:: s_j \\leftarrow s_j + \\rho\\,(\\overline{z_j^2} - s_j),

    and before each training step multiplies its gain by

    .. math:: f_j = \\mathrm{clip}\\left((r_0 / \\sqrt{s_j})^{\\eta},\\ 1 - \\delta,\\ 1 + \\delta\\right).

    This is weight normalization's split of a weight vector into a direction and a length
    (``w = g v / ||v||``, Salimans & Kingma 2016), with the length ``g_j`` set by the unit's
    activity instead of by the loss. That the rule keeps each unit's direction holds by
    construction (it only ever touches ``g``); the direction changes by learning alone. The
    gains start at the norms of the initial weights, so the layer starts as a ``Linear``.
    (A gain on the raw ``w``, without dividing by its norm, trained about 2 points worse on
    MNIST-1D: 66.9 against 69.4 %, 3 seeds, default protocol.)

    Two choices keep the rule from diverging. The activity measure is the root-mean-square
    *pre-activation*, not the mean rectified output: a dead unit (all inputs negative) has
    zero rectified output, and a rule on that output would raise its gain forever, whereas
    its drive is large and defined, so its gain falls and stays bounded. The per-step factor
    is clipped to ``[1 - delta, 1 + delta]``. A batch whose input is all zero carries no
    information about the synapses, so it neither scales the gains nor updates the estimate.
    The bias is not scaled (it is not a synapse).

    Place it before the ReLU, in place of a ``Linear`` layer.

    Parameters
    ----------
    n_in, n_out : int
        Input and output units, at least 1.
    random_state : None, int or numpy.random.Generator, default None
        Draws the initial weights (see :class:`~homeostasis.ann.Linear`).
    target : float, default 1.0
        Set-point RMS pre-activation ``r0``, > 0.
    momentum : float, default 0.05
        Rate ``rho`` of the running activity estimate, in (0, 1].
    eta : float, default 0.1
        Exponent of the scaling factor, > 0: strength of the homeostatic pull per step.
    max_step : float, default 0.01
        Largest relative change of a gain per step ``delta``, in (0, 1).
    init : {"he", "lecun"}, default "he"
        Initialization of ``w`` (see :class:`~homeostasis.ann.Linear`).

    Attributes
    ----------
    gain : ndarray, shape (n_out,)
        The length ``g`` of each unit's effective weight vector (not a trained parameter).
    activity : ndarray or None
        Running mean square pre-activation ``s`` per unit; None before the first batch.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> layer = SynapticScalingNorm(4, 2, random_state=rng)
    >>> x = 10 * rng.normal(size=(4000, 4))
    >>> for k in range(2000):  # a tenfold input: the gains fall until the drive is back at 1
    ...     _ = layer.forward(x[2 * k:2 * k + 8], training=True)
    >>> rms = np.sqrt(np.mean(layer.forward(x, training=False) ** 2, axis=0))
    >>> bool(np.allclose(rms, 1.0, rtol=0.15)), bool(np.all(layer.gain < 0.5))
    (True, True)
    """

    scale = "synapse"
    counterpart = "weight normalization"
    biology = "synaptic scaling"
    _parameter_constraints = {"n_in": UNITS, "n_out": UNITS, "random_state": RandomState(), "target": POSITIVE,
                              "momentum": AVERAGING_RATE, "eta": POSITIVE, "max_step": MAX_STEP,
                              "init": Options(Linear.INITS)}

    def __init__(self, n_in: int, n_out: int, random_state=None, target: float = 1.0, momentum: float = 0.05,
                 eta: float = 0.1, max_step: float = 0.01, init: str = "he"):
        super().__init__(n_in, n_out, random_state, init=init)
        self.target, self.momentum, self.eta, self.max_step = target, momentum, eta, max_step
        self.gain = np.linalg.norm(self.params["w"], axis=0)
        self.activity = None  # running mean square pre-activation per unit; None until the first batch
        self.adapt = True

    @property
    def effective_weight(self) -> np.ndarray:
        """The weights a unit's input actually sees, ``g_j w_j / ||w_j||`` (the spiking side's ``w_eff``)."""
        w = self.params["w"]
        return w * (self.gain / np.linalg.norm(w, axis=0))

    def scaling_factor(self) -> np.ndarray:
        """This step's multiplicative factor per unit (1 before any input has been seen)."""
        if self.activity is None:
            return np.ones(self.params["w"].shape[1])
        # the tiny floor only guards the division: a unit with exactly zero drive has zero
        # weights or zero input, and scaling cannot change either
        ratio = self.target / np.sqrt(self.activity + 1e-12)
        return np.clip(ratio ** self.eta, 1 - self.max_step, 1 + self.max_step)

    def forward(self, x, training: bool = False):
        adapting = training and self.adapt and np.any(x)
        if adapting:
            self.gain = self.gain * self.scaling_factor()
        # keep this pass's gain and direction: backward must use them even if a later pass adapts
        w = self.params["w"]
        self._x, self._g, self._norm = x, self.gain, np.linalg.norm(w, axis=0)
        self._w = w * (self._g / self._norm)
        z = x @ self._w + self.params["b"]
        if adapting:
            drive = np.mean(z ** 2, axis=0)
            self.activity = drive if self.activity is None else self.activity + self.momentum * (drive - self.activity)
        return z

    def backward(self, dy):
        dw_eff = self._x.T @ dy
        u = self.params["w"] / self._norm
        # through the normalization: only the part of the gradient orthogonal to w survives
        self.grads["w"] = (self._g / self._norm) * (dw_eff - u * np.sum(dw_eff * u, axis=0))
        self.grads["b"] = dy.sum(axis=0)
        return dy @ self._w.T


class IntrinsicPlasticityNorm(Layer):
    """Neuron scale: each unit tunes its own gain and bias from its running statistics.

    Biology: intrinsic plasticity (Desai et al. 1999; Triesch 2005). A neuron adjusts its
    excitability (its gain and threshold, through its ion channels) so that its output
    over time stays in a set range, whatever the scale and offset of its input.

    Unit ``j`` keeps running estimates (rate ``momentum``) of the mean and variance of its
    input over time, ``m_j <- m_j + rho (x_j - m_j)`` and
    ``v_j <- v_j + rho ((x_j - m_j)^2 - v_j)`` (averaged over the batch, which may be one
    sample), and moves its gain ``a_j`` and threshold ``theta_j`` toward the values that
    would give its output mean 0 and variance 1:

    .. math::

        a_j \\leftarrow a_j + \\eta\\,(1/\\sqrt{v_j + \\epsilon} - a_j), \\qquad
        \\theta_j \\leftarrow \\theta_j + \\eta\\,(m_j - \\theta_j), \\qquad
        y_j = \\gamma_j\\, a_j (x_j - \\theta_j) + \\beta_j.

    This is ``y = a x + b`` with bias ``b_j = -a_j theta_j`` (the attribute ``bias``). The
    threshold form is used because the bias must follow the gain exactly: with a separate
    bias, a unit whose input has a large offset turns every small fluctuation of its gain
    into a large error of its output mean.

    Like batch normalization it holds each unit's statistics at a set point, but over time
    rather than over a batch, so it works online. ``gamma`` and ``beta`` are trained by the
    gradient; ``a`` and ``theta`` are not, and the backward pass treats them as constants.
    On the first training batch the estimates, gain and threshold start at that batch's
    values (variance 1 if the batch is a single sample), so the layer starts near its set
    point.

    Parameters
    ----------
    n : int
        Units.
    momentum : float, default 0.01
        Rate ``rho`` of the running mean and variance, in (0, 1].
    eta : float, default 0.1
        Rate at which gain and bias follow their targets, in (0, 1].
    eps : float, default 1e-5
        Added to the variance before the square root.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> layer = IntrinsicPlasticityNorm(2)
    >>> for _ in range(3000):
    ...     _ = layer.forward(rng.normal([5.0, -1.0], [3.0, 0.1], (1, 2)), training=True)
    >>> np.round(layer.gain * [3.0, 0.1], 1).tolist()  # gain ~ 1 / input std
    [1.0, 1.0]
    """

    scale = "neuron"
    counterpart = "batch normalization"
    biology = "intrinsic plasticity"

    # here eta is the fraction of the way to the target moved per step, so above 1 overshoots
    _parameter_constraints = {"n": UNITS, "momentum": AVERAGING_RATE, "eta": AVERAGING_RATE, "eps": EPS}

    def __init__(self, n: int, momentum: float = 0.01, eta: float = 0.1, eps: float = 1e-5):
        super().__init__()
        self.params, self.grads = affine_parameters(n)
        self.momentum, self.eta, self.eps = momentum, eta, eps
        self.mean, self.var = np.zeros(n), np.ones(n)
        self.gain, self.threshold = np.ones(n), np.zeros(n)
        self.adapt = True
        self._seen = False

    @property
    def bias(self) -> np.ndarray:
        """The equivalent bias ``b = -a theta`` of ``y = a x + b`` (before gamma and beta)."""
        return -self.gain * self.threshold

    def _adapt(self, x):
        m = x.mean(axis=0)
        if not self._seen:
            self.mean = m
            self.var = x.var(axis=0) if x.shape[0] > 1 else np.ones_like(m)
            self.gain = 1.0 / np.sqrt(self.var + self.eps)
            self.threshold = self.mean.copy()
            self._seen = True
            return
        self.mean = self.mean + self.momentum * (m - self.mean)
        self.var = self.var + self.momentum * (np.mean((x - self.mean) ** 2, axis=0) - self.var)
        self.gain = self.gain + self.eta * (1.0 / np.sqrt(self.var + self.eps) - self.gain)
        self.threshold = self.threshold + self.eta * (self.mean - self.threshold)

    def forward(self, x, training: bool = False):
        if training and self.adapt:
            self._adapt(x)
        # keep this pass's gain: backward must use it even if a later pass adapts it
        self._a = self.gain
        self._h = self._a * (x - self.threshold)
        return self.params["gamma"] * self._h + self.params["beta"]

    def backward(self, dy):
        self.grads["gamma"] = np.sum(dy * self._h, axis=0)
        self.grads["beta"] = dy.sum(axis=0)
        return dy * self.params["gamma"] * self._a


class DivisiveNorm(Layer):
    """Layer scale: each unit divided by the pooled activity of its layer for the same input.

    Biology: divisive normalization by lateral inhibition (Heeger 1992; Carandini & Heeger
    2012). A pool of inhibitory interneurons sums the activity of the layer and divides
    every neuron's response by it, so the pattern is kept and the overall level is not:

    .. math:: y_i = \\gamma_i \\frac{x_i}{\\sqrt{\\sigma^2 + \\frac{1}{N}\\sum_j x_j^2}} + \\beta_i

    In deep-learning terms this is RMSNorm (Zhang & Sennrich 2019) plus a bias: each sample
    divided by the root mean square of its layer, with ``sigma ** 2`` in the place of
    RMSNorm's ``eps``, then a trained per-unit gain ``gamma`` and bias ``beta``. It is layer
    normalization without the subtraction of the layer mean, so the level of a sample is
    divided out but its offset across units is kept. The pool is computed per sample, so it
    needs no batch. It has no slow state: the inhibition acts within the pass, and the
    gradient runs through the pool in full.

    Parameters
    ----------
    n : int
        Units, at least 1.
    sigma : float, default 1e-2
        Semi-saturation constant, > 0: below it the pool no longer divides.

    Examples
    --------
    >>> import numpy as np
    >>> layer = DivisiveNorm(3)
    >>> x = np.array([[1.0, 2.0, 2.0]])
    >>> bool(np.allclose(layer.forward(x), layer.forward(10 * x), atol=1e-3))
    True
    """

    scale = "layer"
    counterpart = "layer normalization"
    biology = "divisive normalization by lateral inhibition"

    _parameter_constraints = {"n": UNITS, "sigma": POSITIVE}

    def __init__(self, n: int, sigma: float = 1e-2):
        super().__init__()
        self.params, self.grads = affine_parameters(n)
        self.sigma = sigma

    def forward(self, x, training: bool = False):
        self._x = x
        self._d = np.sqrt(self.sigma ** 2 + np.mean(x ** 2, axis=1, keepdims=True))
        return self.params["gamma"] * x / self._d + self.params["beta"]

    def backward(self, dy):
        x, d, g = self._x, self._d, self.params["gamma"]
        self.grads["gamma"] = np.sum(dy * x / d, axis=0)
        self.grads["beta"] = dy.sum(axis=0)
        dyg = dy * g
        n = x.shape[1]
        # d(x_i / d)/dx_k = delta_ik / d - x_i x_k / (n d^3): the pool couples every unit
        return dyg / d - x * np.sum(dyg * x, axis=1, keepdims=True) / (n * d ** 3)


class GlobalGain(Validated):
    """The network-wide slow variable shared by every :class:`GlobalHomeostasisNorm` of a network.

    Each layer reports the mean square of its output; each report updates the running
    estimate and then the gain:

    .. math::

        e \\leftarrow e + \\rho\\,(\\overline{y^2} - e), \\qquad
        g \\leftarrow g\\cdot\\mathrm{clip}\\left((T / e)^{\\eta},\\ 1 - \\delta,\\ 1 + \\delta\\right).

    With ``L`` normalized layers the gain is updated ``L`` times per forward pass.

    Parameters
    ----------
    target : float, default 1.0
        Set-point mean squared activity ``T``.
    momentum : float, default 0.05
        Rate ``rho`` of the running estimate, in (0, 1].
    eta : float, default 0.05
        Exponent: strength of the pull per report.
    max_step : float, default 0.01
        Largest relative change of the gain per report ``delta``, in (0, 1).

    Examples
    --------
    >>> g = GlobalGain(momentum=0.1, eta=0.5, max_step=0.05)
    >>> for _ in range(2000):
    ...     g.observe(9.0 * g.gain ** 2)  # the activity grows with the gain squared
    >>> round(g.gain, 2)
    0.33
    """

    _parameter_constraints = {"target": POSITIVE, "momentum": AVERAGING_RATE, "eta": POSITIVE, "max_step": MAX_STEP}

    def __init__(self, target: float = 1.0, momentum: float = 0.05, eta: float = 0.05, max_step: float = 0.01):
        self.target, self.momentum, self.eta, self.max_step = target, momentum, eta, max_step
        self.gain, self.estimate = 1.0, None

    def observe(self, mean_square: float):
        """Fold one layer's mean squared activity into the estimate and move the gain."""
        if not np.isfinite(mean_square):
            raise FloatingPointError(f"GlobalGain observed a non-finite activity {mean_square!r}")
        if self.estimate is None:
            self.estimate = mean_square
        self.estimate += self.momentum * (mean_square - self.estimate)
        factor = (self.target / (self.estimate + 1e-12)) ** self.eta
        self.gain *= float(np.clip(factor, 1 - self.max_step, 1 + self.max_step))

    def __repr__(self):
        return f"GlobalGain(gain={self.gain:.4g}, estimate={self.estimate})"


class GlobalHomeostasisNorm(Layer):
    """Network scale: one shared gain, set by a slow estimate of the whole network's activity.

    Biology: network homeostasis by global feedback: a slow, network-wide signal (global
    inhibitory tone, neuromodulation, or the shared extracellular environment) that holds
    the activity of the whole circuit at a set point (Vogels et al. 2011; Maffei &
    Fontanini 2009). Every hidden layer computes ``y = g x`` with the *same* ``g``, held by
    a :class:`GlobalGain`, which pulls the network's mean squared activity toward its
    target (see that class for the rule). Self-normalizing networks hold their statistics
    at a fixed point of the whole network as well, hence the counterpart.

    The gradient sees ``g`` as a constant.

    Parameters
    ----------
    shared : homeostasis.ann.GlobalGain
        The one gain of the network; pass the same object to every layer.

    Examples
    --------
    >>> import numpy as np
    >>> shared = GlobalGain()
    >>> a, b = GlobalHomeostasisNorm(shared), GlobalHomeostasisNorm(shared)
    >>> _ = a.forward(np.full((1, 2), 3.0), training=True)
    >>> a.shared is b.shared and shared.gain < 1.0
    True
    """

    scale = "network"
    counterpart = "self-normalization"
    biology = "network homeostasis by global feedback"

    _parameter_constraints = {"shared": InstanceOf(GlobalGain, "a GlobalGain (the one gain of the network)")}

    def __init__(self, shared: GlobalGain):
        super().__init__()
        self.shared = shared
        self.adapt = True

    def forward(self, x, training: bool = False):
        self._g = self.shared.gain
        y = self._g * x
        if training and self.adapt:
            self.shared.observe(float(np.mean(y ** 2)))
        return y

    def backward(self, dy):
        return self._g * dy
