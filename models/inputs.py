"""Input helpers: Poisson spike sources and time-varying drives as TimedArrays.

Examples
--------
>>> from brian2 import Hz, ms
>>> src = poisson_source(100, 10 * Hz, name="inp")
>>> drive = timed_drive([[0.0, 1.0], [0.5, 1.5]], dt=1 * ms)  # (time, unit)
"""
from __future__ import annotations

import numpy as np
from brian2 import Hz, PoissonGroup, Quantity, TimedArray, ms

from .parameters import check_quantity

__all__ = ["poisson_source", "timed_drive", "gaussian_drive"]


def poisson_source(n: int, rates, name: str = "poisson", dt=None, namespace=None) -> PoissonGroup:
    """``n`` independent Poisson spike trains.

    Parameters
    ----------
    n : int
    rates : Quantity or str
        Rate in Hz (scalar or one per source) or a Brian2 expression (e.g. ``"rate_in(t)"``).
    name : str
    namespace : dict, optional
        Names the rate expression refers to (a :class:`~brian2.TimedArray` schedule).
    """
    if not (isinstance(n, (int, np.integer)) and n > 0):
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if not isinstance(rates, str):
        check_quantity("poisson_source", "rates", rates, Hz, bounds="nonnegative")
    kw = {"dt": dt} if dt is not None else {}
    if namespace is not None:
        kw["namespace"] = dict(namespace)
    return PoissonGroup(n, rates, name=name, **kw)


def timed_drive(values, dt, name: str | None = None) -> TimedArray:
    """A TimedArray of shape (time steps, units) from plain values (or a quantity).

    Refer to it in equations as ``name(t, i)`` (2-D) or ``name(t)`` (1-D).
    """
    check_quantity("timed_drive", "dt", dt, ms)
    arr = np.asarray(values, dtype=float)
    if arr.ndim not in (1, 2) or arr.shape[0] == 0:
        raise ValueError(f"timed_drive needs a non-empty 1-D or 2-D array (time, units), got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("timed_drive values must be finite (found NaN or inf)")
    if isinstance(values, Quantity) and not values.is_dimensionless:
        from brian2 import get_unit

        unit = get_unit(values.dim)
        return TimedArray(np.asarray(values / unit) * unit, dt=dt, name=name)
    return TimedArray(arr, dt=dt, name=name)


def gaussian_drive(n_steps: int, n_units: int, mean=0.0, sd=1.0, rng=None) -> np.ndarray:
    """Independent Gaussian samples, shape (n_steps, n_units), for :func:`timed_drive`."""
    if n_steps <= 0 or n_units <= 0:
        raise ValueError(f"n_steps and n_units must be positive, got {n_steps}, {n_units}")
    if not (np.isfinite(mean) and np.isfinite(sd) and sd >= 0):
        raise ValueError(f"mean must be finite and sd non-negative, got {mean}, {sd}")
    rng = np.random.default_rng() if rng is None else rng
    return mean + sd * rng.standard_normal((n_steps, n_units))
