"""The firing-rate estimate the homeostatic mechanisms read: a trace of each neuron's spikes.

.. math::
    \\frac{dr}{dt} = -\\frac{r}{\\tau_r}, \\qquad r \\leftarrow r + \\frac{1}{\\tau_r} \\text{ at a spike}

so that the mean of ``r`` is the neuron's rate. The decay is slow, so it is applied exactly
every ``RATE_DT`` by a regular update (``r *= exp(-RATE_DT/tau_r)``) rather than integrated at
every time step: the trace then costs nothing per step, and a spike's share of one
interval's decay is off by at most ``RATE_DT/tau_r`` (1 % for ``tau_r`` = 100 ms).

A mechanism that reads the trace lists ``rate_trace(tau_r)`` in its contribution's
``requires`` and puts its own slow updates in ``Regular(code, RATE_DT, order=RATE_ORDER)``:
the circuit adds the trace once per population and joins the updates into the trace's own
code block, after its decay, so the slow variables see the decayed trace.

Examples
--------
>>> from brian2 import second
>>> trace = rate_trace(1 * second)
>>> trace.equations
'r : Hz'
"""
from __future__ import annotations

from brian2 import ms

from homeostasis.models.contribution import Contribution, Regular

__all__ = ["RATE_DT", "RATE_ORDER", "rate_trace"]

#: Interval of the slow updates of the rate trace and of the variables that read it.
RATE_DT = 1 * ms
#: Their scheduling order: before the other regular updates of a step.
RATE_ORDER = -2


def rate_trace(tau_r) -> Contribution:
    """The rate trace ``r`` (Hz) with time constant ``tau_r``, as a contribution to a population."""
    return Contribution(
        equations="r : Hz",
        reset="r += 1 / tau_r",
        regular=(Regular("r *= exp(-rate_dt / tau_r)", RATE_DT, RATE_ORDER),),
        namespace={"tau_r": tau_r, "rate_dt": RATE_DT},
    )


def every_rate_dt(*code: str) -> tuple:
    """Slow updates run every ``RATE_DT`` right after the rate trace's decay, in one block."""
    return tuple(Regular(c, RATE_DT, RATE_ORDER) for c in code)
