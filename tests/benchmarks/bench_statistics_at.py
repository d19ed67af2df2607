"""Cold timing of ``cgsym statistics MODEL ... --at`` for models with large closed forms.

Each case is one fresh ``cgsym`` process with ``--no-cache`` (import, derivation, noise
solve, exact evaluation at the point, numeric third cumulant): ``python
tests/benchmarks/bench_statistics_at.py``.  Target (issue 15, helper c): <= 20 s cold.
Prints the wall time and the child's CPU time (user + system: on a loaded machine the wall
time grows with the others' load, the CPU time does not).
"""
from __future__ import annotations

import os
import resource
import subprocess
import sys
import time

TARGET_S = 20.0
HERE = os.path.dirname(os.path.abspath(__file__))
THREE = os.path.join(HERE, "..", "cases", "three-baths-v.toml")
CASES = [
    ("v-type-three-level secular weak-internal", "v-type-three-level", "secular",
     ["omega_S=1.1341", "Delta=0.04321", "gamma=0.0123", "omega_c=3.3", "T=0.7"]),
    ("three-baths-v partial-secular weak-internal", THREE, "partial-secular",
     ["w=1.1341", "Delta=0.04321", "gh=0.0123", "gc=0.0271", "gm=0.0097", "Th=2.3", "Tc=0.7",
      "Tm=1.4321"]),
]


def run_case(model, regime, at, extra=()):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    exe = os.path.join(os.path.dirname(sys.executable), "cgsym")
    subprocess.run([exe, "statistics", model, "--regime", regime, "--weak-internal",
                    "--no-cache", "--timeout", "600", *extra, "--at", *at],
                   capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main():
    for label, model, regime, at in CASES:
        wall, cpu = run_case(model, regime, at)
        print(f"{label} --at: {wall:.2f} s cold, {cpu:.2f} s CPU (target <= {TARGET_S:.0f} s: "
              f"{'met' if wall <= TARGET_S else 'NOT met'})")
        wall, cpu = run_case(model, regime, at, ["--numeric"])
        print(f"{label} --numeric --at: {wall:.2f} s, {cpu:.2f} s CPU")


if __name__ == "__main__":
    main()
