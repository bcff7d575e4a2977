"""The ``homeostasis`` command line (also ``python -m simulations``).

::

    homeostasis list
    homeostasis params NAME
    homeostasis run NAME [--quick] [--seed N] [--set key=value ...] [--out DIR] [--backend B]
    homeostasis figures [--quick] [--out DIR] [--backend B]
    homeostasis compare [--datasets ...] [--methods ...] [--seeds N] [--steps N] [--batch-size N]
    homeostasis sweep NAME --grid key=v1,v2 [...] [--seeds N] [--quick] [--workers N] [--scheduler ADDR]

Bad input (unknown experiment or key, a value in the wrong unit) is reported in one line
and exit status 2, before anything runs.
"""
from __future__ import annotations

import argparse
import sys
import time

from .backend import BACKENDS

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="homeostasis",
        description="Homeostatic plasticity in Brian2 next to normalization in deep learning.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sub.add_parser("list", help="list the experiments, one line each")
    show = sub.add_parser("params", help="the parameters of an experiment, with units and defaults")
    show.add_argument("name")

    def common(p, seed=True):
        p.add_argument("--quick", action="store_true", help="small sizes for demos and CI (same code path)")
        p.add_argument("--out", default="results", help="parent directory of the results (default: results)")
        p.add_argument("--backend", default="numpy", choices=BACKENDS, help="Brian2 code-generation target")
        p.add_argument("--no-progress", action="store_true", help="hide progress bars")
        if seed:
            p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")

    run = sub.add_parser("run", help="run one experiment and write OUT/NAME/")
    run.add_argument("name")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                     help="override a parameter, with its unit (--set target_rate=5*Hz)")
    common(run)

    figs = sub.add_parser("figures", help="run every figure experiment")
    common(figs)
    figs.add_argument("--jobs", type=int, default=None,
                      help="experiments run in parallel processes (default: one per core)")

    compare = sub.add_parser("compare", help="ANN normalization benchmark (table printed and written)")
    compare.add_argument("--datasets", nargs="+", default=None)
    compare.add_argument("--methods", nargs="+", default=None)
    compare.add_argument("--seeds", type=int, default=None)
    compare.add_argument("--steps", type=int, default=None)
    compare.add_argument("--batch-size", type=int, default=None)
    compare.add_argument("--quick", action="store_true")
    compare.add_argument("--deep", action="store_true", help="also run the deep protocol")
    compare.add_argument("--out", default="results")
    compare.add_argument("--no-progress", action="store_true")

    sweep = sub.add_parser("sweep", help="run a grid of parameter values and seeds on Dask")
    sweep.add_argument("name", help="a registered experiment (homeostasis list)")
    sweep.add_argument("--grid", action="append", default=[], metavar="KEY=V1,V2,...",
                       help="values of one parameter, with units (repeat for a product grid)")
    sweep.add_argument("--seeds", type=int, default=1, help="seeds per grid point (0..N-1)")
    sweep.add_argument("--quick", action="store_true", help="quick mode for every point")
    sweep.add_argument("--scheduler", default=None, help="address of a running Dask scheduler")
    sweep.add_argument("--workers", type=int, default=None, help="local worker processes (default: one per core)")
    sweep.add_argument("--out", default="sweeps", help="store directory; a rerun skips completed points")
    sweep.add_argument("--backend", default="numpy", choices=BACKENDS, help="Brian2 code-generation target")
    sweep.add_argument("--metric", default=None, help="metric to plot against the first grid key")
    sweep.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def _list() -> int:
    from .registry import registry

    for name, exp in registry().items():
        print(f"{name:26s} {exp.description}")
    return 0


def _params(name: str) -> int:
    from .registry import get

    exp = get(name)
    for p in exp.params:
        quick = "" if p.quick is None else f"  (quick: {p.quick})"
        print(f"{p.name:24s} {p.default!s:>14}{quick}  {p.help}")
    return 0


def _run(args) -> int:
    from .output import run_experiment
    from .params import parse_overrides

    path = run_experiment(args.name, parse_overrides(args.overrides), seed=args.seed, quick=args.quick,
                          out=args.out, backend=args.backend, progress=not args.no_progress)
    print(f"wrote {path}")
    return 0


def _figure_job(name, seed, quick, out, backend):
    """One experiment of ``homeostasis figures``, in a worker process."""
    from .output import run_experiment

    start = time.perf_counter()
    path = run_experiment(name, seed=seed, quick=quick, out=out, backend=backend, progress=False)
    return str(path), time.perf_counter() - start


def _figures(args) -> int:
    import os
    from concurrent.futures import ProcessPoolExecutor, as_completed

    from tqdm import tqdm

    from .output import check_out_dir
    from .registry import registry

    check_out_dir(args.out)
    names = [n for n, e in registry().items() if e.figure]
    jobs = args.jobs or os.cpu_count() or 1
    if jobs < 1:
        raise ValueError(f"--jobs must be at least 1, got {jobs}")
    failed = []
    # experiments are independent single-threaded processes: one per core halves the wall time
    with ProcessPoolExecutor(max_workers=min(jobs, len(names))) as pool:
        futures = {pool.submit(_figure_job, n, args.seed, args.quick, args.out, args.backend): n for n in names}
        with tqdm(total=len(names), desc="figures", unit="experiment", disable=args.no_progress) as bar:
            for fut in as_completed(futures):
                name = futures[fut]
                try:
                    path, seconds = fut.result()
                    tqdm.write(f"{name}: {path} ({seconds:.0f} s)")
                except Exception as err:  # noqa: BLE001 - report every failure, then fail overall
                    failed.append(name)
                    tqdm.write(f"FAILED {name}: {type(err).__name__}: {err}")
                bar.update()
    if failed:
        print(f"{len(failed)} of {len(names)} experiments failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def _compare(args) -> int:
    """The ANN benchmark: flags map onto the parameters of ``normalization-benchmark``."""
    from .output import run_experiment

    overrides = {}
    for flag, key in (("datasets", "datasets"), ("methods", "methods")):
        value = getattr(args, flag)
        if value:
            overrides[key] = ",".join(v for item in value for v in item.split(","))
    overrides["deep"] = bool(args.deep)
    for flag in ("seeds", "steps", "batch_size"):
        value = getattr(args, flag)
        if value is not None:
            overrides[flag] = int(value)
    path = run_experiment("normalization-benchmark", overrides, quick=args.quick, out=args.out,
                          progress=not args.no_progress)
    print((path / "table.md").read_text())
    print(f"wrote {path} (table: {path / 'table.md'})")
    return 0


def main(argv=None) -> int:
    """Entry point of the ``homeostasis`` console script."""
    from brian2 import DimensionMismatchError

    argv = list(sys.argv[1:] if argv is None else argv)
    if len(argv) >= 2 and argv[0] == "run" and not argv[1].startswith("-") and ("-h" in argv or "--help" in argv):
        # `homeostasis run NAME --help`: the options, then the experiment's own parameters
        print(f"usage: homeostasis run {argv[1]} [--quick] [--seed N] [--set KEY=VALUE ...] [--out DIR] "
              "[--backend {numpy,cython,cpp_standalone}]\n\nparameters (--set KEY=VALUE, with units):")
        try:
            return _params(argv[1])
        except KeyError as err:
            print(f"homeostasis run: error: {err.args[0]}", file=sys.stderr)
            return 2
    args = build_parser().parse_args(argv)
    try:
        if args.command == "list":
            return _list()
        if args.command == "params":
            return _params(args.name)
        if args.command == "run":
            return _run(args)
        if args.command == "figures":
            return _figures(args)
        if args.command == "compare":
            return _compare(args)
        if args.command == "sweep":
            from .sweep import main as sweep_main

            return sweep_main(args)
    except (KeyError, ValueError, DimensionMismatchError, OSError) as err:
        message = err.args[0] if isinstance(err, KeyError) and err.args else err
        print(f"homeostasis {args.command}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted; no partial result was written", file=sys.stderr)
        return 130
    return 0
