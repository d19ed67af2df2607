"""``MasterEquation.to_qutip``: the derived master equation at a point, in QuTiP (issue 17).

For every shipped model and regime (the fast symbolic cases; derivations are shared
with the other tests through ``conftest.derivation``), at odd points (two for the weak-internal cases, one otherwise,
to keep the default run short):

* the exported Liouvillian superoperator, and ``qutip.liouvillian(H, c_ops)`` built
  from the diagonal Lindblad form, agree with each other (1e-9) and preserve the trace;
* ``qutip.steadystate`` of both gives cgsym's closed-form steady state (1e-9), a
  positive unit-trace state, and the heat currents of cgsym (1e-9, with the rounding
  floor of ``assert_currents_close``) that sum to zero;
* ``qutip.mesolve`` started in that state stays there;
* where ``derive`` reports a gamma matrix that is not positive (the Ohmic V-type
  atom, partial secular), the jump operators are refused with one line and the
  Liouvillian alone still gives the steady state.
"""
from __future__ import annotations

import builtins

import numpy as np
import pytest

import cgsym
from cgsym import CgsymError

from conftest import (REGIMES, SHIPPED, assert_close, assert_currents_close, case_id,
                      case_marks, derivation, lambdified, point)

qutip = pytest.importorskip("qutip")

CASES = [pytest.param(m, r, w, marks=case_marks(m, r, w), id=case_id(m, r, w))
         for m in SHIPPED for r in REGIMES for w in (False, True)]


@pytest.mark.parametrize("name, regime, weak", CASES)
def test_qutip_reproduces_steady_state_and_currents(name, regime, weak):
    d = derivation(name, regime, weak)
    rho_f, J_f, L_f = lambdified(name, regime, weak)
    # a gamma matrix that derive reports not positive has no jump operators
    positive = all(g.positivity.status != "not positive" for g in d.rates.gammas)
    for k in ((0, 1) if weak else (0,)):         # the second point only where it is cheap
        values = point(d.model, k)
        L_sym = L_f(values)
        if not positive:
            with pytest.raises(CgsymError, match="not positive there"):
                d.master_equation.to_qutip(values)
            q = d.master_equation.to_qutip(values, jump_operators=False)
            assert q.c_ops == ()
            rho = qutip.steadystate(q.liouvillian)
            assert_close(q.liouvillian.full(), L_sym, what="Liouvillian")
            assert_close(rho.full(), rho_f(values), what=f"{name} steady state at point {k}")
            continue
        q = d.master_equation.to_qutip(values)
        assert_close(q.liouvillian.full(), L_sym, what="Liouvillian")
        L_jump = qutip.liouvillian(q.H, list(q.c_ops))
        assert_close(L_jump.full(), L_sym, what="Liouvillian from (H, c_ops)")
        d2 = d.model.dim
        trace_row = np.eye(d2).reshape(-1)            # vec(1): Tr rho = vec(1)^T vec(rho)
        assert np.max(np.abs(trace_row @ L_jump.full())) <= 1e-12 * np.max(np.abs(L_sym))
        if rho_f is None:
            continue                                   # no unique steady state: nothing to compare
        rho_ref = rho_f(values)
        for rho in (qutip.steadystate(q.liouvillian), qutip.steadystate(q.H, list(q.c_ops))):
            assert_close(rho.full(), rho_ref, what=f"{name} steady state at point {k}")
            ev = np.linalg.eigvalsh(rho.full())
            assert abs(rho.tr() - 1) < 1e-12 and ev.min() > -1e-12
            if J_f is not None:
                J = q.heat_currents(rho)
                J_ref = {p: float(np.real(f(values))) for p, f in J_f.items()}
                scale = max(np.linalg.norm(q.H.full(), 2) *
                            np.linalg.norm(q.dissipator(p).full(), 2) for p in J)
                assert_currents_close(J, J_ref, scale, what=f"{name} point {k}")
                assert abs(sum(J.values())) <= 1e-12 * scale


def test_mesolve_stays_in_the_steady_state():
    d = derivation("two-qubits-two-baths", "partial-secular", True)
    values = point(d.model, 0)
    q = d.master_equation.to_qutip(values)
    rho = qutip.steadystate(q.H, list(q.c_ops))
    res = qutip.mesolve(q.H, rho, [0.0, 5.0, 50.0], c_ops=list(q.c_ops),
                        options={"atol": 1e-12, "rtol": 1e-10})
    for state in res.states:
        assert_close(state.full(), rho.full(), rtol=1e-8, what="mesolve from rho_ss")
    # and the symbolic Liouvillian as a superoperator drives mesolve the same way
    res_L = qutip.mesolve(q.liouvillian, rho, [0.0, 50.0], options={"atol": 1e-12, "rtol": 1e-10})
    assert_close(res_L.states[-1].full(), rho.full(), rtol=1e-8, what="mesolve(L)")


def test_bad_points_and_missing_qutip(monkeypatch):
    d = derivation("two-qubits-two-baths", "partial-secular", True)
    values = point(d.model, 0)
    with pytest.raises(CgsymError, match="missing numeric value for parameter 'T_c'"):
        d.master_equation.to_qutip({k: v for k, v in values.items() if k != "T_c"})
    with pytest.raises(CgsymError, match="outside their domain"):
        d.master_equation.to_qutip({**values, "Omega": 2.0})
    real_import = builtins.__import__

    def no_qutip(name, *a, **kw):
        if name == "qutip" or name.startswith("qutip."):
            raise ImportError(name)
        return real_import(name, *a, **kw)

    monkeypatch.setattr(builtins, "__import__", no_qutip)
    with pytest.raises(CgsymError, match=r"^QuTiP is not installed: pip install 'cgsym\[qutip\]'$"):
        d.master_equation.to_qutip(values)
