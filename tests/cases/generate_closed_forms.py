"""Generate ``closed_forms/*.json.gz``: the closed forms of every shipped model (issue 13).

    python tests/cases/generate_closed_forms.py            # every case of tests/conftest.py
    python tests/cases/generate_closed_forms.py --fast     # only the default-run cases

For each shipped model, regime and weak-internal limit (the cases of
``tests/conftest.py`` except FORM_EVALUATED_CASES, whose SymPy trees are not built), the steady state rho_ss and every heat
current J_p are written as ``sympy.srepr`` strings.  They were generated from main
*before* the exact common-denominator representation (``cgsym.arith.rational_form``) was
introduced; ``tests/test_rational_form.py`` proves that today's derivation gives the
same expressions (exact difference zero), so the refactoring changed no result.
Each case runs in its own process with a time limit, so one slow case cannot stall
the generator.
"""
from __future__ import annotations

import argparse
import gzip
import json
import multiprocessing as mp
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "closed_forms"
sys.path.insert(0, str(HERE.parent))


def _one(name, regime, weak, q):
    import sympy as sp
    import cgsym
    d = cgsym.derive(name, regime, weak)
    ss = d.steady_state
    doc = {"model": name, "regime": regime, "weak_internal": weak,
           "kernel_dimension": ss.kernel_dimension,
           "matrix": ([[sp.srepr(x) for x in ss.matrix.row(i)] for i in range(ss.matrix.rows)]
                      if ss.unique else None),
           "currents": ({p: sp.srepr(J) for p, J in d.heat_currents.currents}
                        if d.heat_currents is not None else None)}
    q.put(doc)


def main() -> None:
    from conftest import FORM_EVALUATED_CASES, REGIMES, SHIPPED, SLOW_CASES, case_id
    ap = argparse.ArgumentParser()
    ap.add_argument("--fast", action="store_true")
    ap.add_argument("--only-slow", action="store_true")
    ap.add_argument("--limit", type=float, default=600.0)
    args = ap.parse_args()
    OUT.mkdir(exist_ok=True)
    for name in SHIPPED:
        for regime in REGIMES:
            for weak in (False, True):
                key = (name, regime, weak)
                if key in FORM_EVALUATED_CASES or (args.fast and key in SLOW_CASES) \
                        or (args.only_slow and key not in SLOW_CASES):
                    continue
                q = mp.Queue()
                p = mp.Process(target=_one, args=(name, regime, weak, q))
                p.start()
                try:
                    doc = q.get(timeout=args.limit)
                except Exception:  # noqa: BLE001
                    p.kill()
                    print(f"{case_id(*key)}: did not finish in {args.limit:g} s", flush=True)
                    continue
                p.join()
                path = OUT / f"{case_id(*key)}.json.gz"
                # mtime 0: the same closed forms give the same bytes
                path.write_bytes(gzip.compress((json.dumps(doc, indent=0) + "\n").encode(), mtime=0))
                print(f"{case_id(*key)}: {path.stat().st_size} bytes", flush=True)


if __name__ == "__main__":
    main()
