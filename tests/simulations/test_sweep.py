"""Sweeps on Dask: a store that loses nothing, failed points recorded, explicit schedulers."""
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from homeostasis.simulations.sweep import parse_grid

PLUGINS = str(Path(__file__).resolve().parents[1] / "plugins")


def _env():
    env = dict(os.environ)
    env["HOMEOSTASIS_EXPERIMENTS"] = "sweep_toys"
    env["PYTHONPATH"] = PLUGINS + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _sweep(out, *extra, **kw):
    cmd = [sys.executable, "-m", "simulations", "sweep", "toy-sleep", "--out", str(out), "--no-progress", *extra]
    return subprocess.Popen(cmd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def _rows(out):
    with open(Path(out) / "toy-sleep" / "summary.csv") as fh:
        return list(csv.DictReader(fh))


def test_grid_parsing_rejects_malformed_items():
    assert parse_grid(["a=1,2", "b=x"]) == {"a": ["1", "2"], "b": ["x"]}
    for bad in (["a"], ["a="], ["=1"], ["a=1", "a=2"], []):
        with pytest.raises(ValueError):
            parse_grid(bad)


def test_killed_sweep_resumes_without_recomputing_completed_points(tmp_path):
    grid = ["--grid", "value=1,2,3,4,5,6,7,8", "--grid", "sleep=1.0", "--workers", "2"]
    proc = _sweep(tmp_path, *grid, start_new_session=True)
    points = tmp_path / "toy-sleep" / "points"
    deadline = time.time() + 120
    while time.time() < deadline and len(list(points.glob("*/seed-0/toy-sleep/metrics.json"))) < 2:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the whole process group: client, scheduler, workers
    proc.wait()
    done_before = {p: p.stat().st_mtime_ns for p in points.glob("*/seed-0/toy-sleep/metrics.json")}
    assert 2 <= len(done_before) < 8
    assert not list(points.glob("**/*.partial"))  # no half-written point
    rerun = _sweep(tmp_path, *grid)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err[-2000:]
    assert f"({len(done_before)} already done)" in out
    for path, mtime in done_before.items():
        assert path.stat().st_mtime_ns == mtime  # not recomputed
    rows = _rows(tmp_path)
    assert sorted(float(r["value"]) for r in rows) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert all(r["status"] == "done" for r in rows)


def test_failed_point_is_reported_and_the_others_complete(tmp_path):
    # Dask's usual dashboard port taken (by another sweep, say): this sweep must not warn about it
    with socket.socket() as busy:
        try:
            busy.bind(("", 8787))
            busy.listen()
        except OSError:
            pass  # taken already
        proc = _sweep(tmp_path, "--grid", "value=1,2,3", "--grid", "fail_at=2", "--grid", "sleep=0",
                      "--seeds", "2", "--workers", "2", "--metric", "value_times_seed")
        _, err = proc.communicate(timeout=300)
    assert proc.returncode == 1 and "toy failure at value 2.0" in err
    assert "already in use" not in err, err
    rows = _rows(tmp_path)
    assert len(rows) == 6
    failed = [r for r in rows if r["status"] == "failed"]
    assert len(failed) == 2 and all("toy failure" in r["error"] for r in failed)
    assert (tmp_path / "toy-sleep" / "summary.png").stat().st_size > 1000


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_sweep_on_an_explicit_scheduler_and_worker_on_loopback(tmp_path):
    dask = Path(sys.executable).with_name("dask")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = _env()
    scheduler = subprocess.Popen([str(dask), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                  "--no-dashboard"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = subprocess.Popen([str(dask), "worker", address, "--nworkers", "1", "--nthreads", "1",
                               "--no-dashboard"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        proc = _sweep(tmp_path, "--grid", "value=1,2,3", "--grid", "sleep=0", "--scheduler", address)
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-2000:]
        rows = _rows(tmp_path)
        assert sorted(float(r["value"]) for r in rows) == [1, 2, 3] and all(r["status"] == "done" for r in rows)
    finally:
        for p in (worker, scheduler):
            p.terminate()
            p.wait(timeout=30)


def test_points_write_figures_only_when_asked(tmp_path, monkeypatch):
    from homeostasis.simulations.sweep import plan, run_point

    monkeypatch.syspath_prepend(PLUGINS)
    import sweep_toys  # noqa: F401 - registers the toys in this process

    for figures in (False, True):
        out = tmp_path / str(figures)
        (point,) = plan("toy-plot", {"value": ["2"]}, 1, False, out, figures=figures)
        assert run_point(point)["status"] == "done"
        result = Path(point["dir"]) / "toy-plot"
        assert (result / "metrics.json").exists() and (result / "data.npz").exists()
        assert (result / "figure.png").exists() == figures and (result / "figure.pdf").exists() == figures
    assert (result / "figure.png").stat().st_size > 1000


def _collector_state():
    """In a worker: objects frozen out of the collector's way, and objects it still scans."""
    import gc

    return gc.get_freeze_count(), len(gc.get_objects())


@pytest.mark.standalone
def test_a_worker_freezes_what_it_holds_and_its_later_points_still_find_the_compiled_project(tmp_path, monkeypatch):
    """Each cpp_standalone point collects the garbage of the one before, which scans all a
    worker holds; a worker exempts that once, before its first point. Its points must still
    give Brian2's objects the names the compiled project was built with."""
    from dask.distributed import Client, LocalCluster

    from homeostasis.simulations.sweep import plan, run_point

    monkeypatch.setenv("HOMEOSTASIS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("HOMEOSTASIS_CACHE", raising=False)
    monkeypatch.delenv("HOMEOSTASIS_STANDALONE_DIR", raising=False)
    points = plan("synaptic-scaling", {"target_rate": ["3*Hz", "6*Hz", "9*Hz"], "n_neurons": ["4"]}, 1, True,
                  tmp_path / "out", backend="cpp_standalone")
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        statuses = [client.submit(run_point, p, pure=False).result() for p in points]
        ((frozen, scanned),) = client.run(_collector_state).values()
    assert [s["status"] for s in statuses] == ["done"] * 3, statuses
    metrics = [json.loads((Path(p["dir"]) / "synaptic-scaling" / "metrics.json").read_text()) for p in points]
    assert [m["standalone"]["cached"] for m in metrics] == [0, 1, 1]  # compiled once: the names did not drift
    rates = [m["rate_before_hz"] for m in metrics]
    assert rates[0] < rates[1] < rates[2]  # each point ran with its own set point
    # what the worker held before its first point is exempt: later collections scan a
    # fraction of the objects alive
    assert frozen > 3 * scanned, (frozen, scanned)
