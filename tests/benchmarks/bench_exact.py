"""Benchmarks of issue 16 (opt-in): one HEOM point and the 7-point comparison sweep.

``python tests/benchmarks/bench_exact.py`` prints the figures; ``python -m pytest
tests/benchmarks/bench_exact.py -m benchmark`` asserts the targets (one HEOM point with its
refinement step <= 10 s; ``cgsym compare two-qubits-drude-lorentz --sweep
Omega=0.0003:0.3:7:log`` with every method <= 120 s).  Each is a fresh subprocess, so
imports (SymPy, QuTiP) are included, as a user sees them.
"""
import resource
import subprocess
import sys
import time

import pytest

POINT = ["omega_S=1", "lam=0.01", "gamma_c=2", "T_h=1", "T_c=0.5"]
CASES = {
    "heom_point": ([sys.executable, "-m", "cgsym.cli", "evaluate", "two-qubits-drude-lorentz",
                    "--regime", "heom", "--at", "Omega=0.0003", *POINT, "--format", "json"],
                   10.0),
    "sweep_7_points": ([sys.executable, "-m", "cgsym.cli", "compare",
                        "two-qubits-drude-lorentz", "--sweep", "Omega=0.0003:0.3:7:log",
                        "--at", *POINT, "--format", "json", "--no-progress"], 120.0),
}


def _children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(name):
    """(wall seconds, CPU seconds of the subprocess, target); on a machine shared with other
    work the CPU time is what an idle machine's wall time would be (single-threaded)."""
    argv, target = CASES[name]
    c = _children_cpu()
    t = time.perf_counter()
    p = subprocess.run(argv, capture_output=True, text=True)
    dt = time.perf_counter() - t
    assert p.returncode == 0, p.stderr
    return dt, _children_cpu() - c, target


@pytest.mark.benchmark
@pytest.mark.parametrize("name", list(CASES))
def test_exact_within_target(name):
    dt, cpu, target = run(name)
    assert dt <= target, f"{name}: {dt:.1f} s wall ({cpu:.1f} s CPU) > {target} s"


if __name__ == "__main__":
    for name in CASES:
        dt, cpu, target = run(name)
        print(f"{name}: {dt:.1f} s wall, {cpu:.1f} s CPU (target {target:g} s)")
