"""The dissipator superoperator built entry by entry (master_equation._superop) is
structurally identical to the dense Kronecker-product construction of Eq. (44), and
trace preserving (the physical invariant)."""
import pytest
import sympy as sp

from cgsym.master_equation import _superop, derive_master_equation
from cgsym.model import load_model
from cgsym.operators import ImmutableMatrix, adjoint, kron


def _dense(terms, d, real):
    S = sp.zeros(d * d, d * d)
    Id = sp.eye(d)
    for t in terms:
        Xm = sp.Matrix(t.X_m)
        XnH = sp.Matrix(adjoint(t.X_n, real))
        A = XnH * Xm
        S += t.rate * (sp.Matrix(kron(XnH.T, Xm))
                       - (sp.Matrix(kron(Id, A)) + sp.Matrix(kron(A.T, Id))) / 2)
    return ImmutableMatrix(S.applyfunc(sp.expand))


@pytest.mark.parametrize("name, regime, weak", [
    ("tunnelling-qubit", "partial-secular", True),
    pytest.param("detuned-qubits", "partial-secular", True,   # nested radicals: 4 s
                 marks=pytest.mark.slow),
])
def test_sparse_superoperator_is_the_dense_one(name, regime, weak):
    m = load_model(name)
    me = derive_master_equation(m, regime, weak)
    S = _superop(me.terms, me.dim, m.adjoint_mode)
    D = _dense(me.terms, me.dim, m.adjoint_mode)
    assert [sp.srepr(x) for x in S] == [sp.srepr(x) for x in D]   # structurally, entry by entry
    assert not any(x.has(sp.Float) for x in S)                     # exact numbers only
    d = me.dim
    trace_row = sp.Matrix(1, d * d, lambda i, k: 1 if k % (d + 1) == 0 else 0)
    row = trace_row * S                                              # trace preservation
    odd = {x: sp.Rational(11341 + 977 * k, 10000) for k, x in
           enumerate(sorted(S.free_symbols, key=lambda x: x.name))}
    assert max(abs(complex(sp.N(e.xreplace(odd), 30))) for e in row) < 1e-25


def test_dissipate_is_the_dense_sum():
    m = load_model("tunnelling-qubit")
    me = derive_master_equation(m, "partial-secular", False)
    d = me.dim
    rho = sp.Matrix(d, d, lambda i, j: sp.Symbol(f"r{i}{j}") if i <= j
                    else sp.conjugate(sp.Symbol(f"r{j}{i}")))
    for res in (None, "l"):
        out = sp.zeros(d, d)
        terms = me.terms if res is None else me.reservoir_terms(res)
        for t in terms:
            Xm, XnH = sp.Matrix(t.X_m), sp.Matrix(adjoint(t.X_n, m.adjoint_mode))
            out += t.rate * (Xm * rho * XnH - (XnH * Xm * rho + rho * XnH * Xm) / 2)
        dense = out.applyfunc(sp.expand)
        assert [sp.srepr(x) for x in me.dissipate(rho, res)] == [sp.srepr(x) for x in dense]
    assert sp.expand(me.dissipate(rho).trace()) == 0                 # trace preserving
