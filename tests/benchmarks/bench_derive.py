"""Benchmarks (run on demand, never in the default test run).

    python tests/benchmarks/bench_derive.py          # prints a table
    python -m pytest tests/benchmarks -m benchmark   # same, as assertions on the targets

Each case runs ``cgsym derive`` end to end in a fresh subprocess (cold imports
included), as a user would, and reports wall time and peak memory.
"""
from __future__ import annotations

import resource
import subprocess
import sys
import time

CASES = [
    # (label, argv, target seconds)
    ("derive two-qubits-two-baths partial-secular --weak-internal",
     ["derive", "two-qubits-two-baths", "--regime", "partial-secular", "--weak-internal",
      "--format", "json"], 5.0),
    ("derive two-qubits-two-baths partial-secular",
     ["derive", "two-qubits-two-baths", "--regime", "partial-secular", "--format", "json"], 60.0),
    ("derive tunnelling-qubit partial-secular --weak-internal",
     ["derive", "tunnelling-qubit", "--regime", "partial-secular", "--weak-internal",
      "--format", "json"], None),
    ("derive tunnelling-qubit secular",
     ["derive", "tunnelling-qubit", "--regime", "secular", "--format", "json"], None),
]


def run_case(argv):
    t0 = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    proc = subprocess.run([sys.executable, "-m", "cgsym.cli", *argv], capture_output=True,
                          text=True)
    dt = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr)
    return dt, max(peak, before) / 1024.0


def main():
    print(f"{'case':66s} {'seconds':>8s} {'target':>7s} {'peak MiB':>9s}")
    for label, argv, target in CASES:
        dt, mib = run_case(argv)
        print(f"{label:66s} {dt:8.2f} {target if target else '-':>7} {mib:9.0f}")


if __name__ == "__main__":
    main()
