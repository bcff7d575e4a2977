"""A small Brian2 experiment for interrupt tests, loaded through HOMEOSTASIS_EXPERIMENTS."""
from brian2 import Network, NeuronGroup, SpikeMonitor, ms, second

from homeostasis.simulations.backend import run_network, simulation
from homeostasis.simulations.registry import Param, Result, experiment


@experiment("toy-network", "Leaky neurons driven above threshold for a while (interrupt tests).", params=[
    Param("value", 1.0, None, "reported value, to make grid points"),
    Param("duration", 1 * second, "second", "simulated time"),
    Param("n", 200, None, "neurons")], figure=False, required_metrics=["value", "spike_count"])
def toy_network(p, ctx):
    with simulation(ctx.backend, seed=ctx.seed, project="toy_network"):
        g = NeuronGroup(p.n, "dv/dt = (1.2 - v) / (10*ms) : 1", threshold="v > 1", reset="v = 0",
                        method="exact", name="toy_g")
        spikes = SpikeMonitor(g, name="toy_spikes")
        run_network(Network(g, spikes), p.duration, progress=ctx.progress, namespace={})
        return Result({"value": p.value, "spike_count": int(spikes.num_spikes)})
