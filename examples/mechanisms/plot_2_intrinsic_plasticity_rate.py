"""
Intrinsic plasticity of a rate unit: an exponential output
==========================================================

Neuron scale, rate form. Triesch (2005) derived a local rule for the gain ``a`` and bias
``b`` of a sigmoid unit ``y = 1 / (1 + exp(-(a u + b)))`` that drives the distribution of its
output towards an exponential of a chosen mean: the maximum-entropy distribution for a fixed
mean firing rate. Each unit normalizes its own output statistics over time, as batch
normalization does over samples.

Five units receive independent Gaussian input, one sample per millisecond, fed through a
``TimedArray``.
"""

import matplotlib.pyplot as plt
import numpy as np
from brian2 import StateMonitor, ms, prefs, second, start_scope

from homeostasis import IntrinsicPlasticity
from homeostasis.models import Circuit, RateNeuron, gaussian_drive, timed_drive

prefs.codegen.target = "numpy"
start_scope()

# %%
# Sigmoid units with Triesch's rule
# ---------------------------------
# ``drive="stim(t, i)"`` makes each unit's input read column ``i`` of the TimedArray;
# ``instantaneous=True`` makes ``u`` follow the input at once, the form the rule is derived for.

n_units, dt, duration = 5, 1 * ms, 40 * second
target_mean = 0.2
rng = np.random.default_rng(0)
samples = gaussian_drive(int(duration / dt), n_units, mean=0.0, sd=1.0, rng=rng)
stim = timed_drive(samples, dt, name="stim")

c = Circuit("ex_triesch")
U = c.population("U", RateNeuron(instantaneous=True, drive="stim(t, i)"), n_units,
                 [IntrinsicPlasticity(target_mean=target_mean, tau_ip=0.25 * second)],
                 dt=dt, namespace={"stim": stim})
mon = c.add(StateMonitor(U, ["y", "a", "b"], record=True, dt=10 * dt,
                         name="ex_triesch_mon"))
c.network().run(duration)

# %%
# The output distribution in the last ten seconds
# -----------------------------------------------
# An exponential has a coefficient of variation of 1; the rule should bring each unit's mean
# to ``target_mean`` and its CV near 1, from the same Gaussian input.

t = np.asarray(mon.t / second)
late = np.asarray(mon.y)[:, t >= float(duration / second) - 10]
print(f"output mean per unit: {np.round(late.mean(axis=1), 3)} (target {target_mean})")
cv = late.std(axis=1) / late.mean(axis=1)
print(f"output CV per unit:   {np.round(cv, 2)} (exponential: 1)")

fig, (ax_hist, ax_ab) = plt.subplots(1, 2, figsize=(8, 3.2), layout="constrained")
ax_hist.hist(late.ravel(), bins=40, range=(0, 1), density=True, alpha=0.7,
             label="output y, last 10 s")
y = np.linspace(0, 1, 200)
density = np.exp(-y / target_mean) / target_mean / (1 - np.exp(-1 / target_mean))
ax_hist.plot(y, density, "k", lw=1, label=f"exponential, mean {target_mean}")
ax_hist.set(xlabel="output y", ylabel="density")
ax_hist.legend(frameon=False)
ax_ab.plot(t, np.asarray(mon.a).mean(axis=0), label="gain a")
ax_ab.plot(t, np.asarray(mon.b).mean(axis=0), label="bias b")
ax_ab.set(xlabel="time (s)", ylabel="mean over units")
ax_ab.legend(frameon=False)
plt.show()
