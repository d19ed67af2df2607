"""The diagonal Lindblad form of every reservoir's dissipator (issue 2, item 5).

Each channel set must reproduce the dissipator of Eq. (44) exactly, checked at odd
points at 30 digits (the LDL pivots of a nearly rank-one partial-secular block are
tiny, so double precision loses digits; see ``JumpOperator``).  Independent checks:
for ``eigen`` channels the rates are numpy's eigenvalues of the gamma block, for
``ldl`` channels the pivots multiply to the block's determinant; rates of a
positive gamma matrix are >= 0; and the weak-internal partial-secular form of
two-qubits-two-baths is the local master equation (corrected Eq. 116).
"""
from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp

import cgsym
from cgsym.errors import CgsymError
from cgsym.master_equation import DissipatorTerm, _ldl, _superop, derive_master_equation
from cgsym.operators import kron, ketbra_matrix

from conftest import REGIMES, SHIPPED, point

CASES = [(name, regime, weak) for name in SHIPPED for regime in REGIMES for weak in (False, True)]


def _at(expr, model, k, digits=30):
    sub = {p.symbol: sp.Float(str(point(model, k)[p.name]), digits) for p in model.parameters}
    return np.array(sp.Matrix(expr).xreplace(sub).evalf(digits), dtype=complex)


def _channel_superop(channels, reservoir, me):
    terms = [DissipatorTerm(reservoir, 0, 0, c.rate, c.operator, c.operator)
             for c in channels if c.reservoir == reservoir]
    return _superop(terms, me.dim, me.model.adjoint_mode)


def _channel_superop_at(channels, reservoir, model, k):
    """sum_k rate_k D[L_k] in numpy, rates and operators evaluated at 30 digits first
    (a symbolic superoperator would expand products of the 2x2 radicals)."""
    d = model.dim
    S = np.zeros((d * d, d * d), dtype=complex)
    for c in channels:
        if c.reservoir != reservoir:
            continue
        rate = complex(_at(sp.Matrix([[c.rate]]), model, k)[0, 0])
        L = _at(c.operator, model, k)
        A = L.conj().T @ L
        S += rate * (np.kron(L.conj(), L)
                     - (np.kron(np.eye(d), A) + np.kron(A.T, np.eye(d))) / 2)
    return S


@pytest.fixture(scope="module")
def forms():
    cache = {}

    def get(name, regime, weak):
        key = (name, regime, weak)
        if key not in cache:
            me = derive_master_equation(cgsym.load_model(name), regime, weak)
            cache[key] = (me, me.lindblad_form())
        return cache[key]
    return get


@pytest.mark.parametrize("name,regime,weak", CASES)
def test_channels_reproduce_each_dissipator(forms, name, regime, weak):
    me, channels = forms(name, regime, weak)
    model = me.model
    assert channels and {c.reservoir for c in channels} == {r.name for r in model.reservoirs}
    for r in model.reservoirs:
        D = me.dissipator(r.name)
        for k in (0, 1):
            a, b = _channel_superop_at(channels, r.name, model, k), _at(D, model, k)
            assert np.abs(a - b).max() <= 1e-13 * np.abs(b).max(), (r.name, k)


@pytest.mark.parametrize("name,regime,weak", CASES)
def test_channel_operators_and_rates_against_the_gamma_blocks(forms, name, regime, weak):
    me, channels = forms(name, regime, weak)
    model = me.model
    spec = me.spectrum
    for g in me.rates.gammas:
        ops = {e.index: sp.Matrix(e.matrix) for e in spec.operators(g.reservoir)}
        mine = [c for c in channels if c.reservoir == g.reservoir]
        for c in mine:   # L = sum_m c_m X_m, as stated
            assert sp.Matrix(c.operator) - sum((k * ops[m] for m, k in c.combination),
                                               sp.zeros(me.dim)) == sp.zeros(me.dim)
        for k in (0, 1):
            G = _at(g.matrix, model, k, 30)
            rates = np.array([complex(_at(sp.Matrix([[c.rate]]), model, k)[0, 0]) for c in mine])
            assert np.abs(rates.imag).max() < 1e-25
            if g.positivity.status == "positive":
                assert rates.real.min() >= -1e-25
            if all(c.method == "eigen" for c in mine):
                # nonzero eigenvalues of the whole gamma matrix (an independent route)
                ev = np.linalg.eigvalsh(G)
                ev = np.sort(ev[np.abs(ev) > 1e-12 * np.abs(ev).max()])
                assert np.allclose(np.sort(rates.real), ev, rtol=1e-9, atol=0)
            else:
                # pivots of an LDL^+ factorisation multiply to the determinant (at 30 digits:
                # the block is nearly singular, det ~ 1e-42, and double loses six digits)
                sub = {p.symbol: sp.Float(str(point(model, k)[p.name]), 30)
                       for p in model.parameters}
                det = complex(sp.Matrix(g.matrix).xreplace(sub).evalf(30).det(method="berkowitz"))
                assert np.isclose(np.prod(rates.real), det.real, rtol=1e-12, atol=0)


def test_full_rank_block_falls_back_to_ldl(forms):
    """The tunnelling qubit's partial-secular 3x3 blocks (n(omega_S-Omega), n(omega_S-Omega/2),
    ...) have no usable closed-form eigenvalues: exact LDL^+, checked exactly in flint."""
    from cgsym.arith.flintalg import tidy_flint
    me, channels = forms("tunnelling-qubit", "partial-secular", False)
    assert {c.method for c in channels} == {"ldl"}
    diff = sp.Matrix(_channel_superop(channels, "l", me)) - sp.Matrix(me.dissipator("l"))
    assert all(tidy_flint(e, factor=False) == 0 for e in diff if e != 0)


def test_weak_internal_partial_secular_is_the_local_master_equation(forms):
    """Eq. (116), corrected: qubit 1 decays into the hot reservoir only, at gamma_h (n_h + 1)."""
    me, channels = forms("two-qubits-two-baths", "partial-secular", True)
    model = me.model
    # levels (e, g): sigma_- = |g><e| on q1 (the most significant factor)
    sm1 = sp.Matrix(kron(ketbra_matrix(2, 1, 0), sp.eye(2)))
    sp1 = sm1.H
    n_h = cgsym.symbols.n(model.parameter("omega_S").symbol, model.parameter("T_h").symbol)
    g_h = model.parameter("gamma_h").symbol
    local = {sp.expand(g_h * (n_h + 1)): sm1, sp.expand(g_h * n_h): sp1}
    got = [c for c in channels if c.reservoir == "h"]
    assert len(got) == 2
    for c in got:
        # rate * D[L] = rate' * D[sigma]: L proportional to sigma, rate |const|^2 = rate'
        L = sp.Matrix(c.operator)
        for rate, sigma in local.items():
            i, j = next((i, j) for i in range(4) for j in range(4) if sigma[i, j] != 0)
            lam = sp.nsimplify(L[i, j] / sigma[i, j])
            if lam != 0 and sp.simplify(L - lam * sigma) == sp.zeros(4):
                assert sp.expand(c.rate * lam * sp.conjugate(lam) - rate) == 0
                break
        else:
            pytest.fail(f"channel {c.combination} is not local on qubit 1")


def test_indefinite_block_is_refused_with_its_reason():
    model = cgsym.load_model("two-qubits-one-bath")
    with pytest.raises(CgsymError, match="indefinite"):
        _ldl(sp.Matrix([[0, 1, 0], [1, 0, 0], [0, 0, 1]]), "b", model)
    pairs = _ldl(sp.Matrix([[2, 1, 0], [1, 2, 1], [0, 1, 2]]), "b", model)   # positive definite
    assert [d for d, _ in pairs] == [2, sp.Rational(3, 2), sp.Rational(4, 3)]


def test_derive_json_exposes_the_form_the_eigenoperators_and_omega_mn(capsys):
    from cgsym.cli import main
    assert main(["derive", "two-qubits-one-bath", "--regime", "partial-secular",
                 "--format", "json"]) in (0, None)
    doc = json.loads(capsys.readouterr().out)
    model = cgsym.load_model("two-qubits-one-bath")
    lf = doc["lindblad_form"]
    assert lf["problem"] is None and len(lf["channels"]) == 4
    assert {c["method"] for c in lf["channels"]} == {"eigen"}
    X = sum((sp.Matrix(m) for m in doc["eigenoperators"]["b"].values()), sp.zeros(4))
    assert (X.applyfunc(sp.sympify) - sp.Matrix(model.reservoir("b").coupling)) == sp.zeros(4)
    fd = doc["frequency_differences"]
    assert fd["indices"] == [-2, -1, 1, 2]
    assert fd["kinds"][0] == ["zero", "slow", "fast", "fast"]
    assert sp.sympify(fd["matrix"][0][1], locals={"Omega": model.parameter("Omega").symbol}) \
        == -2 * model.parameter("Omega").symbol
