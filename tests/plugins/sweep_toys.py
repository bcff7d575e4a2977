"""Tiny experiments for sweep tests, loaded through HOMEOSTASIS_EXPERIMENTS in every worker."""
import time

from homeostasis.simulations.registry import Param, Result, experiment


@experiment("toy-sleep", "Sleeps, then reports its value (sweep tests).", params=[
    Param("value", 1.0, None, "reported value"), Param("sleep", 0.5, None, "seconds to sleep"),
    Param("fail_at", -1.0, None, "raise when value equals this")], figure=False)
def toy_sleep(p, ctx):
    time.sleep(p.sleep)
    if p.value == p.fail_at:
        raise RuntimeError(f"toy failure at value {p.value}")
    return Result({"value": p.value, "value_times_seed": p.value * ctx.seed})


@experiment("toy-plot", "Reports its value and plots it (sweep tests).", params=[
    Param("value", 1.0, None, "reported value")])
def toy_plot(p, ctx):
    from homeostasis.simulations.style import figure

    fig, (ax,) = figure(1, width=2.0)
    ax.plot([0, 1], [0, p.value])
    return Result({"value": p.value}, figure=fig)
