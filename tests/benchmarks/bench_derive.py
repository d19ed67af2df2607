"""Cold ``cgsym derive`` benchmarks (a thin wrapper around bench_all.py's ``cli`` group).

    python tests/benchmarks/bench_derive.py          # prints a table
    python tests/benchmarks/bench_all.py             # the whole suite of issue 7
    python -m pytest tests/benchmarks -m benchmark   # the targets as assertions

Each case runs ``cgsym derive`` end to end in a fresh subprocess (cold imports
included), as a user would, and reports wall time and the peak memory of that
subprocess alone.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_all import CLI_CASES as CASES, CLI_LIMIT, run_cli  # noqa: E402


def run_case(argv, limit=CLI_LIMIT):
    """(wall seconds, peak MiB) of ``python -m cgsym.cli ARGV`` in a fresh subprocess."""
    r = run_cli(argv, limit)
    if r.timed_out:
        raise RuntimeError(f"cgsym {' '.join(argv)}: exceeded {limit:g} s")
    if r.rc != 0:
        raise RuntimeError(r.stderr)
    return r.wall, r.peak_mib


def main():
    print(f"{'case':66s} {'seconds':>8s} {'target':>7s} {'peak MiB':>9s}")
    for label, argv, target in CASES:
        dt, mib = run_case(argv)
        print(f"{label:66s} {dt:8.2f} {target if target else '-':>7} {mib:9.0f}")


if __name__ == "__main__":
    main()
