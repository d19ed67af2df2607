"""Cold timing of the closed-form counting statistics (issue 15's target).

Each case runs in a fresh Python process (imports, derivation and the noise solve all
counted): ``python tests/benchmarks/bench_statistics.py``.  Target: the closed-form
noise of two-qubits-two-baths, partial secular, weak internal, in <= 5 s.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time

TARGET_S = 5.0
CASES = [
    # (label, model, regime, weak, count, target seconds or None)
    ("two-qubits-two-baths partial-secular weak-internal quanta", "two-qubits-two-baths",
     "partial-secular", True, "quanta", TARGET_S),
    ("two-qubits-two-baths partial-secular weak-internal energy", "two-qubits-two-baths",
     "partial-secular", True, "energy", TARGET_S),
    ("two-qubits-two-baths secular quanta", "two-qubits-two-baths", "secular", False,
     "quanta", None),
    ("v-type-three-level partial-secular quanta", "v-type-three-level", "partial-secular",
     False, "quanta", None),
]

SCRIPT = """
import json, sys, time
t0 = time.perf_counter()
import cgsym
from cgsym.statistics import counting_statistics
d = cgsym.derive(sys.argv[1], sys.argv[2], sys.argv[3] == "1")
t1 = time.perf_counter()
s = counting_statistics(d, sys.argv[4])
t2 = time.perf_counter()
print(json.dumps({"derive": t1 - t0, "statistics": t2 - t1,
                  "noise_ops": sum(int(__import__('sympy').count_ops(e)) for _, e in s.noise)}))
"""


def run_case(model, regime, weak, count):
    """(wall seconds, details); details["cpu"] is the child's user + system CPU time, which
    equals the wall time on an idle machine and does not grow with the load of others."""
    import resource
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", SCRIPT, model, regime, "1" if weak else "0",
                          count], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    r = json.loads(out.stdout.strip().splitlines()[-1])
    r["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, r


def main():
    for label, model, regime, weak, count, target in CASES:
        wall, r = run_case(model, regime, weak, count)
        verdict = "" if target is None else (" (target <= %.0f s: %s)"
                                             % (target, "met" if wall <= target else "NOT met"))
        print(f"{label}: {wall:.2f} s cold, {r['cpu']:.2f} s CPU (derive {r['derive']:.2f} s incl. import, "
              f"statistics {r['statistics']:.2f} s; noise {r['noise_ops']} ops){verdict}")


if __name__ == "__main__":
    main()
