"""The same grid of quick points on one Dask worker and on two."""
import shutil
import tempfile
import time

from simulations.sweep import plan, run_sweep


def run(small=False):
    values = "0.1,0.15,0.2,0.25,0.3,0.35,0.4,0.45"
    grid = {"target_active_fraction": values.split(","), "n_neurons": ["30"], "duration": ["1.5*second"]}
    times = {}
    for workers in (1, 2):
        out = tempfile.mkdtemp(prefix="bench_sweep_")
        points = plan("lateral-inhibition", grid, seeds=1, quick=True, out=out)
        start = time.perf_counter()
        statuses = run_sweep(points, workers=workers, progress=False)
        times[workers] = time.perf_counter() - start
        assert all(s["status"] == "done" for s in statuses), statuses
        shutil.rmtree(out, ignore_errors=True)
    print(f"{len(points)} quick lateral-inhibition points: 1 worker {times[1]:.1f} s, 2 workers {times[2]:.1f} s, "
          f"speed-up {times[1] / times[2]:.2f}x (cluster start-up included)")
    return times
