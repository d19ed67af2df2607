"""Generate ``golden_qutip.json``: QuTiP's numbers for every shipped model (issue 3).

    python tests/cases/generate_golden.py      # rewrites tests/cases/golden_qutip.json

For each shipped model, regime (secular, partial-secular), weak-internal limit
(off, on) and odd point of ``tests/conftest.py``, the QuTiP oracle
(``tests/qutip_oracle.py``: its own eigen-decomposition, its own slow-cluster
method, ``qutip.steadystate``) gives the steady state and the heat currents.  The
tests (``tests/test_golden.py``) compare cgsym's *closed forms* with these numbers,
so they need neither QuTiP nor a network at run time, and the numbers cannot
silently change with a QuTiP release.  Cases with a non-unique steady state or a
zero-frequency component (outside the oracle) are skipped and listed.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import qutip  # noqa: E402

import cgsym  # noqa: E402
from conftest import POINTS, REGIMES, SHIPPED, point  # noqa: E402
from qutip_oracle import oracle  # noqa: E402

OUT = HERE / "golden_qutip.json"


def main() -> None:
    cases, skipped = [], []
    for name in SHIPPED:
        model = cgsym.load_model(name)
        for regime in REGIMES:
            for weak in (False, True):
                for k in range(len(POINTS)):
                    vals = point(model, k)
                    try:
                        res = oracle(model, vals, regime, weak)
                    except NotImplementedError as e:
                        skipped.append(f"{name} {regime} weak={weak} point {k}: {e}")
                        continue
                    rho = np.asarray(res.steady_state)
                    cases.append({
                        "model": name, "regime": regime, "weak_internal": weak, "point": vals,
                        "heat_currents": {p: repr(float(v)) for p, v in res.heat_currents.items()},
                        "steady_state_real": [[repr(float(x)) for x in row] for row in rho.real],
                        "steady_state_imag": [[repr(float(x)) for x in row] for row in rho.imag],
                    })
    doc = {"generator": "tests/cases/generate_golden.py", "qutip": qutip.__version__,
           "cases": cases, "skipped": skipped}
    OUT.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {OUT}: {len(cases)} cases, {len(skipped)} skipped")


if __name__ == "__main__":
    main()
