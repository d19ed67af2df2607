"""Compact forms of models whose spectrum has radicals (issue 12): count_ops and CPU.

    python tests/benchmarks/bench_radicals.py [MODEL ...]     # one JSON line per case

For each case: ``cgsym.derive`` and then ``Derivation.compact(max_nodes=None)``; the
compact count_ops of each current and of rho (abbreviations counted once), the radicals'
names, and the CPU seconds of both (the machine is shared: CPU is the steadier figure).
Cases: the detuned qubits, the complex test model "sy-in-hamiltonian"
(tests/test_complex_models.py) and the V-type three-level model, both regimes, with and
without the weak-internal limit.  Results: tests/benchmarks/RESULTS.md.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

CASES = [(m, r, w) for m in ("detuned-qubits", "sy-in-hamiltonian", "v-type-three-level")
         for r in ("secular", "partial-secular") for w in (True, False)]


def measure(name, regime, weak) -> dict:
    import cgsym
    if name == "sy-in-hamiltonian":
        from test_complex_models import _model
        model = _model(name)
    else:
        model = cgsym.load_model(name)
    c0 = time.process_time()
    d = cgsym.derive(model, regime, weak)
    c1 = time.process_time()
    c = d.compact(max_nodes=None)
    c2 = time.process_time()
    return {"case": f"{name} {regime} {'weak' if weak else 'no-weak'}",
            "counts": dict(c.counts),
            "radicals": [a.name for a in c.abbreviations if a.kind == "radical"],
            "derive_cpu": round(c1 - c0, 2), "compact_cpu": round(c2 - c1, 2),
            "note": c.note[:100]}


def main(argv=None):
    only = argv if argv is not None else sys.argv[1:]
    for name, regime, weak in CASES:
        if not only or name in only:
            print(json.dumps(measure(name, regime, weak)), flush=True)


if __name__ == "__main__":
    main()
