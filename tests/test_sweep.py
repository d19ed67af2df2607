"""``cgsym sweep`` and :func:`cgsym.sweep.sweep` (issue 17).

* the closed-form sweep (vectorised) gives the numbers of ``cgsym evaluate`` at grid
  points, obeys the first law on the whole grid, and has heat flowing from hot to cold;
* a per-point sweep on a 2-worker Dask LocalCluster gives exactly (bitwise) the
  numbers of the serial run.  The default run reaches a cluster of thread workers
  by its address (``--scheduler``; ``processes=False``: 1.4 s against 8 s for process
  workers on the loaded 2-core machine, measured); process workers, as ``--workers N``
  starts them, are tested under ``-m slow``;
* progress is shown on stderr; bad grids get one line.

The 10^4-point timing is in ``tests/benchmarks/bench_sweep.py``.
"""
from __future__ import annotations

import csv
import io
import json
from contextlib import redirect_stdout

import numpy as np
import pytest

from cgsym import CgsymError
from cgsym.cli import main
from cgsym.sweep import Axis, sweep, write_table

MODEL = "two-qubits-two-baths"
FIXED = dict(omega_S=1.1341, gamma_h=0.0217, gamma_c=0.0123, T_c=0.4321)
AXES = [Axis.parse("Omega=0.001:0.1:20:log"), Axis.parse("T_h=0.5:2.5:20")]


def evaluate(values, *extra):
    argv = ["evaluate", MODEL, "--regime", "partial-secular", "--weak-internal", "--format",
            "json", "--at"] + [f"{k}={v!r}" for k, v in values.items()] + list(extra)
    buf = io.StringIO()
    with redirect_stdout(buf):
        assert main(argv) == 0
    return json.loads(buf.getvalue())


def test_axis_parsing():
    assert Axis.parse("Omega=1:3:3").values == (1.0, 2.0, 3.0)
    assert np.allclose(Axis.parse("T=0.01:1:3:log").values, (0.01, 0.1, 1.0), rtol=1e-15)
    for bad, msg in [("Omega", "expects NAME=START"), ("Omega=1:2", "START:STOP:COUNT"),
                     ("Omega=1:2:x", "not an integer"), ("Omega=0:1:3", "every parameter is positive"),
                     ("Omega=1:2:0", "at least 1"), ("Omega=1:inf:3", "finite"),
                     ("Omega=1:2:3:cubic", "START:STOP:COUNT")]:
        with pytest.raises(CgsymError, match=msg):
            Axis.parse(bad)


def test_closed_form_matches_evaluate(tmp_path):
    t = sweep(MODEL, "partial-secular", FIXED, AXES, weak_internal=True)
    assert len(t) == 400 and t.columns[:4] == ("Omega", "T_h", "J_h", "J_c")
    J_h, J_c = t["J_h"], t["J_c"]
    assert np.max(np.abs(J_h + J_c)) <= 1e-15 * np.max(np.abs(J_h))       # first law
    hot = t["T_h"] > FIXED["T_c"]
    assert np.all(J_h[hot] > 0) and np.all(J_h[~hot] < 0)                    # hot -> cold
    trace = sum(t[f"rho_re[{a};{a}]"] for a in ("e,e", "e,g", "g,e", "g,g"))
    assert np.max(np.abs(trace - 1)) < 1e-13
    for k in (137, 399):
        row = dict(FIXED, Omega=float(t["Omega"][k]), T_h=float(t["T_h"][k]))
        doc = evaluate(row)
        assert abs(doc["heat_currents"]["h"] - J_h[k]) <= 1e-13 * abs(J_h[k])
        re = np.array(doc["steady_state"]["real"])
        assert abs(re[1, 2] - t["rho_re[e,g;g,e]"][k]) <= 1e-13
        assert abs(doc["steady_state"]["imag"][1][2] - t["rho_im[e,g;g,e]"][k]) <= 1e-13
    # the CSV reads back to the same numbers
    path = write_table(t, str(tmp_path / "t.csv"))
    rows = list(csv.reader(open(path)))
    assert tuple(rows[0]) == t.columns and len(rows) == 401
    assert np.array_equal(np.array([float(r[2]) for r in rows[1:]]), J_h)


def test_dask_local_cluster_gives_the_serial_numbers(capsys):
    axes = [Axis.parse("Omega=0.01:0.1:3:log"), Axis.parse("T_h=0.6:1.2:2")]
    serial = sweep(MODEL, "partial-secular", FIXED, axes, weak_internal=True, method="numeric",
                   progress=True)
    assert "6/6" in capsys.readouterr().err                      # the progress bar
    distributed = pytest.importorskip("dask.distributed")
    # a running 2-worker cluster, reached by its address (--scheduler); thread workers
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=":0") as cluster:
        par = sweep(MODEL, "partial-secular", FIXED, axes, weak_internal=True,
                    method="numeric", scheduler=cluster.scheduler_address)
        assert len(cluster.scheduler.workers) == 2
    assert par.columns == serial.columns
    for a, b in zip(par.data, serial.data):
        assert np.array_equal(a, b)
    # and the numeric pipeline agrees with the closed forms (an independent route)
    cf = sweep(MODEL, "partial-secular", FIXED, axes, weak_internal=True)
    assert np.allclose(serial["J_h"], cf["J_h"], rtol=1e-9, atol=0)


@pytest.mark.slow
def test_dask_process_workers_give_the_serial_numbers():
    axes = [Axis.parse("Omega=0.01:0.1:4:log")]
    serial = sweep(MODEL, "secular", dict(FIXED, T_h=0.9876), axes, method="numeric")
    par = sweep(MODEL, "secular", dict(FIXED, T_h=0.9876), axes, method="numeric", workers=2)
    for a, b in zip(par.data, serial.data):
        assert np.array_equal(a, b)


@pytest.mark.slow
def test_coarse_grained_sweep_matches_evaluate():
    fixed = dict(omega_S=1, gamma=0.01, T_l=1, T_r=0.5, omega_c=10)
    t = sweep("tunnelling-qubit-ohmic", "coarse-grained", fixed, [Axis.parse("Omega=0.01:0.02:2")],
              dt=5.0)
    argv = ["evaluate", "tunnelling-qubit-ohmic", "--regime", "coarse-grained", "--dt", "5",
            "--format", "json", "--at", "omega_S=1", "gamma=0.01", "T_l=1", "T_r=0.5",
            "omega_c=10", "Omega=0.02"]
    buf = io.StringIO()
    with redirect_stdout(buf):
        assert main(argv) == 0
    assert json.loads(buf.getvalue())["heat_currents"]["l"] == t["J_l"][1]


@pytest.mark.parametrize("extra, message", [
    (["--grid", "Omega=0.01:0.1:3", "--at", "omega_S=1", "gamma_h=0.01", "gamma_c=0.02",
      "T_c=1"], "--at is missing parameter(s): T_h"),
    (["--grid", "Omega=0.01:0.1:3", "--grid", "T_h=1:2:2", "--at", "omega_S=1", "gamma_h=0.01",
      "gamma_c=0.02", "T_c=1", "T_h=2"], "'T_h' is both swept (--grid) and fixed (--at)"),
    (["--grid", "Omega=0.01:0.1:3", "--grid", "Omega=1:2:2", "--at", "omega_S=1",
      "gamma_h=0.01", "gamma_c=0.02", "T_c=1", "T_h=2"], "--grid gives 'Omega' twice"),
    (["--grid", "kappa=1:2:2", "--at", "omega_S=1"], "has no parameter 'kappa'"),
    (["--grid", "Omega=0.01:0.1:3", "--at", "omega_S=1", "gamma_h=0.01", "gamma_c=0.02",
      "T_c=1", "T_h=2", "--workers", "2"], "the closed-form sweep is vectorised"),
    (["--grid", "Omega=0.5:3:3", "--at", "omega_S=1", "gamma_h=0.01", "gamma_c=0.02", "T_c=1",
      "T_h=2"], "outside their domain"),
    (["--grid", "Omega=0.01:0.1:3", "--at", "omega_S=1", "gamma_h=0.01", "gamma_c=0.02",
      "T_c=1", "T_h=2", "--method", "numeric", "--dt", "3"], "--dt is only meaningful"),
])
def test_bad_sweeps_are_one_line(extra, message, tmp_path, capsys):
    argv = ["sweep", MODEL, "--regime", "partial-secular", "--weak-internal", "--no-progress",
            "--out", str(tmp_path / "t.csv")] + extra
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err
    assert not (tmp_path / "t.csv").exists()


def test_out_suffix_and_parquet(tmp_path, capsys):
    argv = ["sweep", MODEL, "--regime", "secular", "--grid", "Omega=0.01:0.1:3", "--at",
            "omega_S=1", "gamma_h=0.01", "gamma_c=0.02", "T_c=1", "T_h=2"]
    assert main(argv + ["--out", str(tmp_path / "t.txt")]) == 2
    assert "--out must end in .csv or .parquet" in capsys.readouterr().err
    try:
        import pyarrow.parquet as pq
    except ImportError:
        assert main(argv + ["--out", str(tmp_path / "t.parquet")]) == 2
        assert "needs pyarrow" in capsys.readouterr().err
        return
    assert main(argv + ["--out", str(tmp_path / "t.parquet")]) == 0
    t = pq.read_table(tmp_path / "t.parquet")
    assert t.num_rows == 3 and t.schema.metadata[b"model"] == MODEL.encode()


def test_sweeps_have_no_time_limit_unless_asked():
    from cgsym.cli import build_parser
    base = ["sweep", MODEL, "--regime", "secular", "--grid", "Omega=0.01:0.1:3", "--out", "t.csv"]
    assert build_parser().parse_args(base).timeout is None        # no supervisor, no limit
    assert build_parser().parse_args(base + ["--timeout", "60"]).timeout == 60


def test_a_sweep_warns_where_the_regime_leaves_its_window(tmp_path, capsys):
    """As `evaluate` warns at its point, a sweep warns (once per failed ordering, with how
    many checked grid points fail and the first) where the regime is outside its window:
    the secular regime at Omega below the rates. Inside the window it is quiet."""
    import warnings
    from cgsym.errors import CgsymWarning
    fixed = dict(omega_S=1.1341, gamma_h=0.0217, gamma_c=0.0123, T_h=2.3, T_c=0.4321)
    axes = [Axis.parse("Omega=0.0001:0.1:30:log")]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sweep(MODEL, "secular", fixed, axes, weak_internal=True)
    msgs = [str(w.message) for w in caught if issubclass(w.category, CgsymWarning)]
    assert len(msgs) == 1 and "first: Omega=0.0001" in msgs[0] and "tau_S fails" in msgs[0]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sweep(MODEL, "partial-secular", fixed, [Axis.parse("Omega=0.0001:0.01:5:log")],
              weak_internal=True)
        sweep(MODEL, "secular", fixed, axes, weak_internal=True, check=False)
    assert not [w for w in caught if issubclass(w.category, CgsymWarning)]
    rc = main(["sweep", MODEL, "--regime", "secular", "--weak-internal", "--grid",
               "Omega=0.0001:0.1:30:log", "--out", str(tmp_path / "t.csv"), "--at"]
              + [f"{k}={v}" for k, v in fixed.items()])
    assert rc == 0 and "cgsym: WARNING: at " in capsys.readouterr().err


@pytest.mark.slow
def test_a_timed_out_dask_sweep_says_sweep_and_leaves_nothing_behind():
    """The supervisor stops the command's whole process group: one line naming the
    sweep, no leaked-semaphore warning from an orphaned resource tracker, no worker left."""
    import subprocess
    import sys
    p = subprocess.run([sys.executable, "-m", "cgsym.cli", "sweep", MODEL, "--regime",
                        "partial-secular", "--method", "numeric", "--workers", "2",
                        "--timeout", "3", "--no-progress", "--grid", "Omega=0.0001:0.01:5000",
                        "--out", "/dev/null.csv", "--at", "omega_S=1", "gamma_h=0.01",
                        "gamma_c=0.01", "T_h=2", "T_c=1"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 2
    assert p.stderr == "cgsym: error: the sweep exceeded the time limit of 3 s (raise it " \
                       "with --timeout)\n", p.stderr
