"""The same grid of quick points on one Dask worker and on two.

Prints the wall time of the grid on a running local cluster (what grows with the grid) and the
cluster's start-up beside it (paid once per sweep), for one and for two worker processes.
"""
import shutil
import tempfile
import time

from homeostasis.simulations.sweep import plan, run_sweep


def _grid_seconds(workers, grid):
    from dask.distributed import Client, LocalCluster

    out = tempfile.mkdtemp(prefix="bench_sweep_")
    start = time.perf_counter()
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    client.wait_for_workers(workers)
    startup = time.perf_counter() - start
    try:
        points = plan("lateral-inhibition", grid, seeds=1, quick=True, out=out)
        start = time.perf_counter()
        statuses = run_sweep(points, scheduler=cluster.scheduler_address, progress=False)
        seconds = time.perf_counter() - start
        assert all(s["status"] == "done" for s in statuses), statuses
    finally:
        client.close()
        cluster.close()
        shutil.rmtree(out, ignore_errors=True)
    return len(points), seconds, startup


def run(small=False):
    values = "0.1,0.15,0.2,0.25" if small else "0.1,0.15,0.2,0.25,0.3,0.35,0.4,0.45"
    grid = {"target_active_fraction": values.split(","), "n_neurons": ["30"], "duration": ["1.5*second"]}
    res = {w: _grid_seconds(w, grid) for w in (1, 2)}
    n = res[1][0]
    one, two = res[1][1], res[2][1]
    total1, total2 = one + res[1][2], two + res[2][2]
    print(f"{n} quick lateral-inhibition points on a running cluster: 1 worker {one:.1f} s, 2 workers {two:.1f} s, "
          f"speed-up {one / two:.2f}x; cluster start-up 1 worker {res[1][2]:.1f} s, 2 workers {res[2][2]:.1f} s; "
          f"with start-up {total1 / total2:.2f}x")
    return res
