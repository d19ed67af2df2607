"""Benchmarks of the finite coarse-graining time layer (issue 4; run on demand).

    python tests/benchmarks/bench_finite_dt.py

(a) the full gamma_mn(dt) matrices of the Ohmic tunnelling qubit (both reservoirs, 6 x 6
    each) at one dt to 15 digits -- target <= 2 s; the digits achieved are checked against
    a 25-digit computation;
(b) a 40-point J(dt) curve of the same model -- target <= 60 s: in-process (the sweep
    alone) and end to end (``cgsym plot ... --what current-vs-dt --points 40`` in a fresh
    subprocess, imports, plateaus and the PNG included).

Prints one line per measurement; exit status 1 if a target is missed.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODEL = "tunnelling-qubit-ohmic"
POINT = dict(omega_S=1.0, Omega=0.01, gamma=0.001, T_l=1.0, T_r=0.5, omega_c=10.0)
DT = 5.0


def gamma_matrices(dps):
    import numpy as np
    from cgsym import coarse_graining as cg
    from cgsym import numerics as nu
    from cgsym.finite_dt import _rate_callable
    from cgsym.model import load_model
    m = load_model(str(MODEL))
    nm = nu.evaluate_model(m, POINT)
    H = np.asarray(nm.hamiltonian)
    out = {}
    t0 = time.perf_counter()
    for r in m.reservoirs:
        freqs, _, _ = nu.eigenoperators(H, np.asarray(nm.couplings[r.name]))
        rate = _rate_callable(m, r, POINT)
        out[r.name] = cg.gamma_matrix_dt([float(w) for w in freqs], rate,
                                         nm.temperatures[r.name], DT, dps)
    return time.perf_counter() - t0, out


def digits(a, b):
    import mpmath
    worst = mpmath.inf
    for name in a:
        A, B = a[name], b[name]
        scale = max(abs(B[i, i]) for i in range(B.rows))
        for i in range(A.rows):
            for j in range(A.cols):
                err = abs(A[i, j] - B[i, j])
                ref = abs(B[i, j]) if i == j else scale
                if err:
                    worst = min(worst, -mpmath.log10(err / ref))
    return float(worst)


def curve_in_process(points=40):
    from cgsym.model import load_model
    from cgsym.plot import sweep_current_vs_dt
    m = load_model(str(MODEL))
    t0 = time.perf_counter()
    sweep_current_vs_dt(m, POINT, points=points)
    return time.perf_counter() - t0


def curve_end_to_end(points=40):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "j.png")
        argv = [sys.executable, "-m", "cgsym.cli", "plot", str(MODEL), "--what", "current-vs-dt",
                "--points", str(points), "--out", out, "--at",
                *[f"{k}={v:g}" for k, v in POINT.items()]]
        t0 = time.perf_counter()
        proc = subprocess.run(argv, capture_output=True, text=True)
        dt = time.perf_counter() - t0
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr)
        return dt, os.path.getsize(out)


def main():
    ok = True
    gamma_matrices(6)  # warm-up: imports, quadrature rules
    t15, g15 = gamma_matrices(15)
    _, g25 = gamma_matrices(25)
    got = digits(g15, g25)
    met = t15 <= 2.0 and got >= 14
    ok &= met
    print(f"(a) gamma(dt={DT:g}) both reservoirs, dps=15: {t15:6.2f} s (target 2 s), "
          f"{got:.1f} digits vs dps=25  {'ok' if met else 'MISSED'}")
    t = curve_in_process()
    met = t <= 60
    ok &= met
    print(f"(b) J(dt) 40 points, in-process sweep:      {t:6.2f} s (target 60 s)  "
          f"{'ok' if met else 'MISSED'}")
    t, size = curve_end_to_end()
    met = t <= 60
    ok &= met
    print(f"(b') cgsym plot --what current-vs-dt --points 40 (subprocess): {t:6.2f} s "
          f"(target 60 s), PNG {size} bytes  {'ok' if met else 'MISSED'}")
    try:
        load = os.getloadavg()[0]
        print(f"    load average {load:.2f} on {os.cpu_count()} cores")
    except OSError:
        pass
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
