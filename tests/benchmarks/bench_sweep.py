"""Benchmark of ``cgsym sweep`` (issue 17; run on demand).

    python tests/benchmarks/bench_sweep.py          # or: python -m pytest tests/benchmarks -m benchmark -k sweep

A 10^4-point (100 x 100) closed-form sweep of two-qubits-two-baths, partial secular,
weak internal: the whole command in a fresh subprocess (target <= 10 s: imports, the
derivation, lambdify, evaluation, CSV), and the evaluation alone in-process.  Three
rows are checked against ``cgsym evaluate`` (1e-13 relative).
Prints one line per measurement; exit status 1 if a target is missed.
"""
from __future__ import annotations

import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

TARGET_S = 10.0
ARGS = ["two-qubits-two-baths", "--regime", "partial-secular", "--weak-internal"]
AT = ["omega_S=1", "gamma_h=0.01", "gamma_c=0.02", "T_c=1"]
GRID = ["--grid", "Omega=0.001:0.1:100:log", "--grid", "T_h=1.5:3:100"]


def measure() -> dict:
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.csv"
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "cgsym.cli", "sweep", *ARGS, "--at", *AT, *GRID,
                        "--out", str(path)], check=True, capture_output=True)
        out["command_s"] = time.perf_counter() - t0
        rows = list(csv.DictReader(open(path)))
        out["points"] = len(rows)
        worst = 0.0
        for k in (0, 4321, 9999):
            r = rows[k]
            p = subprocess.run([sys.executable, "-m", "cgsym.cli", "evaluate", *ARGS, "--format",
                                "json", "--at", *AT, f"Omega={r['Omega']}", f"T_h={r['T_h']}"],
                               check=True, capture_output=True, text=True)
            J = json.loads(p.stdout)["heat_currents"]["h"]
            worst = max(worst, abs(J - float(r["J_h"])) / abs(J))
        out["max_rel_dev_vs_evaluate"] = worst
    from cgsym.sweep import Axis, sweep
    axes = [Axis.parse(GRID[1]), Axis.parse(GRID[3])]
    fixed = {a.split("=")[0]: float(a.split("=")[1]) for a in AT}
    sweep(ARGS[0], "partial-secular", fixed, axes, weak_internal=True)      # derive once (warm)
    t0 = time.perf_counter()
    sweep(ARGS[0], "partial-secular", fixed, axes, weak_internal=True)
    out["in_process_s"] = time.perf_counter() - t0
    return out


@pytest.mark.benchmark
def test_sweep_10k_points_in_seconds():
    m = measure()
    assert m["points"] == 10_000
    assert m["command_s"] <= TARGET_S, m
    assert m["max_rel_dev_vs_evaluate"] <= 1e-13, m


if __name__ == "__main__":
    m = measure()
    for k, v in m.items():
        print(f"{k}: {v:.3g}" if isinstance(v, float) else f"{k}: {v}")
    sys.exit(0 if m["command_s"] <= TARGET_S and m["max_rel_dev_vs_evaluate"] <= 1e-13 else 1)
