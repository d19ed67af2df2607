"""cgsym's closed forms against committed QuTiP numbers (``tests/cases/golden_qutip.json``).

The numbers come from ``tests/cases/generate_golden.py`` (the QuTiP oracle of
``tests/qutip_oracle.py``), so this file needs no QuTiP at run time.  Every case is
paired with invariants of the golden data itself (unit trace, Hermitian, positive,
sum_p J_p = 0, heat from the hotter reservoir in the secular regime), so that a
corrupt or mislabelled golden file cannot pass silently.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import assert_close, case_marks, lambdified

GOLDEN = json.loads((Path(__file__).resolve().parent / "cases" / "golden_qutip.json").read_text())


def _cases():
    for c in GOLDEN["cases"]:
        key = (c["model"], c["regime"], c["weak_internal"])
        marks = case_marks(*key)
        pid = f"{c['model']}-{c['regime']}-{'weak' if c['weak_internal'] else 'full'}-" + \
              ",".join(f"{v:g}" for v in list(c["point"].values())[:2])
        yield pytest.param(c, marks=marks, id=pid)


def _golden(c):
    rho = (np.array(c["steady_state_real"], dtype=float)
           + 1j * np.array(c["steady_state_imag"], dtype=float))
    J = {p: float(v) for p, v in c["heat_currents"].items()}
    return rho, J


def test_golden_file_covers_every_shipped_model_and_regime():
    from conftest import REGIMES, SHIPPED
    keys = {(c["model"], c["regime"], c["weak_internal"]) for c in GOLDEN["cases"]}
    for name in SHIPPED:
        for regime in REGIMES:
            for weak in (False, True):
                assert (name, regime, weak) in keys


@pytest.mark.parametrize("c", list(_cases()))
def test_golden_data_is_physical(c):
    rho, J = _golden(c)
    assert abs(np.trace(rho) - 1) < 1e-10
    assert np.max(np.abs(rho - rho.conj().T)) < 1e-10
    assert np.linalg.eigvalsh((rho + rho.conj().T) / 2)[0] > -1e-10
    top = max(abs(v) for v in J.values()) or 1.0
    assert abs(sum(J.values())) <= 1e-8 * top + 1e-15
    if c["regime"] == "secular" and not c["weak_internal"] and len(J) == 2:
        import cgsym
        model = cgsym.load_model(c["model"])
        temps = {r.name: float(r.temperature.subs({q.symbol: c["point"][q.name]
                                                   for q in model.parameters}))
                 for r in model.reservoirs}
        hot = max(temps, key=temps.get)
        assert J[hot] > 0, "heat must flow out of the hotter reservoir"


@pytest.mark.parametrize("c", list(_cases()))
def test_closed_forms_match_golden_qutip(c):
    rho_f, J_f, _ = lambdified(c["model"], c["regime"], c["weak_internal"])
    rho_g, J_g = _golden(c)
    vals = c["point"]
    assert_close(np.asarray(rho_f(vals), dtype=complex), rho_g, 1e-8, "rho_ss vs QuTiP")
    top = max(abs(v) for v in J_g.values())
    for p, f in J_f.items():
        got = float(np.real(f(vals)))
        # QuTiP's iterative-free steadystate is accurate to ~1e-13 of rho; J is a
        # difference of terms ~ ||H|| ||D|| ~ 1e-2, so 1e-8 relative to max|J| + 1e-13
        assert abs(got - J_g[p]) <= 1e-8 * top + 1e-13, (p, got, J_g[p])
