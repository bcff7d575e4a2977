"""
Adaptive threshold: every neuron finds the same rate
====================================================

Neuron scale. Intrinsic plasticity lets each neuron tune its own excitability so that its
firing stays near a set point (Desai et al. 1999), as batch normalization holds each unit's
statistics at a set point. :class:`~homeostasis.neuron.AdaptiveThreshold` moves the spike
threshold of every neuron by ``eta_threshold`` for each spike above the ``target_rate * t``
expected ones.

Twenty leaky integrate-and-fire neurons get constant currents spanning a tenfold range. One
population has the mechanism, an identical one does not; both run in the same network.
"""

import matplotlib.pyplot as plt
import numpy as np
from brian2 import Hz, SpikeMonitor, mV, ms, nA, prefs, second, start_scope

from homeostasis import AdaptiveThreshold
from homeostasis.models import Circuit, CurrentLIF

prefs.codegen.target = "numpy"  # a small network: no compiler needed
start_scope()

# %%
# Two populations, one with the mechanism
# ---------------------------------------
# The mechanism is a value object with units; the circuit composes it with the neuron model
# into the equations of one ``NeuronGroup``. A parameter in the wrong unit fails here, before
# anything runs.

n = 20
drive = np.linspace(0.25, 2.5, n) * nA
target = 5 * Hz
threshold = AdaptiveThreshold(target_rate=target, eta_threshold=2 * mV, tau_r=300 * ms)

c = Circuit("ex_threshold")
adaptive = c.population("adaptive", CurrentLIF(), n, [threshold], I_ext=drive)
fixed = c.population("fixed", CurrentLIF(), n, I_ext=drive)
spikes_adaptive = c.add(SpikeMonitor(adaptive, name="ex_threshold_spikes_adaptive"))
spikes_fixed = c.add(SpikeMonitor(fixed, name="ex_threshold_spikes_fixed"))

duration, measure = 4 * second, 1 * second
c.network().run(duration)

# %%
# Count spikes in the last second
# -------------------------------
# The rate is measured by counting spikes, not read from the mechanism's own rate trace, so
# the check does not trust the controller it checks.


def late_rates(monitor):
    t, i = np.asarray(monitor.t / second), np.asarray(monitor.i)
    late = t >= float((duration - measure) / second)
    return np.bincount(i[late], minlength=n) / float(measure / second)


rates_adaptive, rates_fixed = late_rates(spikes_adaptive), late_rates(spikes_fixed)
for name, r in (("fixed threshold", rates_fixed), ("adaptive threshold", rates_adaptive)):
    print(f"{name:>18}: {r.min():5.1f} to {r.max():5.1f} Hz, "
          f"CV across neurons {r.std() / r.mean():.2f}")

# %%
# Rates and thresholds against drive
# ----------------------------------
# Without the mechanism the rate follows the drive. With it every neuron ends near the
# target: the threshold, not the rate, now carries the drive. (The strongest drives here are
# ten times the rheobase, so their thresholds end far above any real neuron's.)

fig, (ax_rate, ax_th) = plt.subplots(1, 2, figsize=(8, 3.2), layout="constrained")
ax_rate.plot(drive / nA, rates_fixed, "o", ms=4, label="fixed threshold")
ax_rate.plot(drive / nA, rates_adaptive, "o", ms=4, label="adaptive threshold")
ax_rate.axhline(target / Hz, color="k", ls="--", lw=1, label="target")
ax_rate.set(xlabel="constant drive (nA)", ylabel="rate, last second (Hz)", yscale="log")
ax_rate.legend(frameon=False)
ax_th.plot(drive / nA, adaptive.v_th / mV, "o", ms=4, color="C1")
ax_th.axhline(CurrentLIF().V_th / mV, color="C0", lw=1, label="fixed threshold")
ax_th.set(xlabel="constant drive (nA)", ylabel="spike threshold (mV)")
ax_th.legend(frameon=False)
plt.show()
