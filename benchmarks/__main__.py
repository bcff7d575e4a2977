"""``python -m benchmarks [NAME ...]``: run the benchmarks and print their ratios."""
import argparse
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

from . import (mechanism_overhead, mlp_throughput, mnist_speed, standalone_cache, standalone_sweep,  # noqa: E402
               stdp_training, sweep_scaling, torch_engine)

BENCHMARKS = {"mlp": mlp_throughput.run, "mechanisms": mechanism_overhead.run, "sweep": sweep_scaling.run,
              "standalone-sweep": standalone_sweep.run, "standalone-cache": standalone_cache.run,
              "standalone-threads": standalone_cache.run_threads,
              "stdp-training": stdp_training.run, "torch-engine": torch_engine.run, "mnist-speed": mnist_speed.run}

parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
parser.add_argument("names", nargs="*", metavar="NAME", help=f"benchmarks to run: {', '.join(BENCHMARKS)} (default: all)")
parser.add_argument("--small", action="store_true", help="smaller sizes, for a quick look")
args = parser.parse_args()
unknown = [n for n in args.names if n not in BENCHMARKS]
if unknown:
    parser.error(f"unknown benchmarks {unknown}; choose from {', '.join(BENCHMARKS)}")
for name in args.names or BENCHMARKS:
    print(f"\n=== {name} ===", flush=True)
    BENCHMARKS[name](small=args.small)
