"""Tests of the symbolic engine (cgsym.derive and its stages) on the shipped models.

Three kinds of truth, in this order:

1. invariants, exactly and for all parameters: Eqs. (42)-(43) for every
   eigenoperator, trace and Hermiticity preservation of the Liouvillian, the
   first law sum_p J_p = 0, the Gibbs state as the fixed point of a single
   temperature in the secular regime; and numerically the second law;
2. independent results: every symbolic steady state, heat current and
   Liouvillian, lambdified, against the numeric pipeline (cgsym.numerics) and the
   QuTiP oracle (tests/qutip_oracle.py) at two odd parameter points;
3. the paper's printed eigenoperators, Eqs. (94)-(95) and (126)-(128).

The three symbolic cases that take a minute or more are marked slow.
"""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import cgsym
from cgsym.numerics import lambdify_expr, numeric_pipeline

from conftest import (
    FORM_EVALUATED_CASES,
    REGIMES,
    SHIPPED,
    case_marks,
    assert_close,
    assert_currents_close,
    case_id,
    current_scale,
    derivation,
    exactly_zero,
    lambdified,
    numeric,
    occupations_as_exp,
    point,
)

try:
    from qutip_oracle import oracle
except ImportError:  # tests/ turned into a package
    from tests.qutip_oracle import oracle

RTOL = 1e-9


def _case(name, regime, weak):
    return pytest.param(name, regime, weak, marks=case_marks(name, regime, weak),
                        id=case_id(name, regime, weak))


CASES = [_case(m, r, w) for m in SHIPPED for r in REGIMES for w in (False, True)]
TWO_BATH_CASES = [_case(m, r, w) for m in ("two-qubits-two-baths", "tunnelling-qubit",
                                           "detuned-qubits")
                  for r in REGIMES for w in (False, True)]
POINT_IDS = ("point0", "point1")


def _check_currents(d, J_sym: dict, J_ref: dict, num, what):
    assert set(J_sym) == set(J_ref) == {r.name for r in d.model.reservoirs}
    if len(d.model.reservoirs) == 1:
        # one reservoir: J = Tr[H L(rho_ss)] = 0; symbolically exactly
        assert all(e == 0 for _, e in d.heat_currents.currents), d.heat_currents.currents
    else:
        # at our points the temperatures differ: the currents do not vanish
        assert max(abs(v) for v in J_ref.values()) > 1e-6 * current_scale(num)
    assert_currents_close(J_sym, J_ref, current_scale(num), RTOL, what)


# ---------------------------------------------------------------------------
# 2. the symbolic results, lambdified, against two independent numeric pipelines
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("k", (0, 1), ids=POINT_IDS)
@pytest.mark.parametrize("name, regime, weak", CASES)
def test_steady_state_and_currents_match_numeric_pipeline(name, regime, weak, k):
    d = derivation(name, regime, weak)
    assert d.steady_state.unique and d.steady_state.kernel_dimension == 1
    rho_f, J_f, _ = lambdified(name, regime, weak)
    vals = point(d.model, k)
    num = numeric(name, regime, weak, k)
    assert num.kernel_dimension == 1
    rho = np.asarray(rho_f(vals), dtype=complex)
    assert_close(rho, num.steady_state, RTOL, f"{name} rho_ss vs numeric_pipeline")
    J = {p: float(np.real(f(vals))) for p, f in J_f.items()}
    _check_currents(d, J, dict(num.heat_currents), num, f"{name} J vs numeric_pipeline")


@pytest.mark.parametrize("k", (0, 1), ids=POINT_IDS)
@pytest.mark.parametrize("name, regime, weak", CASES)
def test_steady_state_and_currents_match_qutip_oracle(name, regime, weak, k):
    d = derivation(name, regime, weak)
    rho_f, J_f, L_f = lambdified(name, regime, weak)
    vals = point(d.model, k)
    orc = oracle(d.model, vals, regime, weak)
    rho = np.asarray(rho_f(vals), dtype=complex)
    assert_close(rho, orc.steady_state, RTOL, f"{name} rho_ss vs QuTiP")
    J = {p: float(np.real(f(vals))) for p, f in J_f.items()}
    _check_currents(d, J, orc.heat_currents, numeric(name, regime, weak, k),
                    f"{name} J vs QuTiP")
    assert_close(L_f(vals), orc.liouvillian, RTOL, f"{name} Liouvillian vs QuTiP")


@pytest.mark.parametrize("k", (0, 1), ids=POINT_IDS)
@pytest.mark.parametrize("name, regime, weak", CASES)
def test_liouvillian_matches_numeric_pipeline(name, regime, weak, k):
    d = derivation(name, regime, weak)
    _, _, L_f = lambdified(name, regime, weak)
    vals = point(d.model, k)
    num = numeric(name, regime, weak, k)
    L = np.asarray(L_f(vals), dtype=complex)
    assert L.shape == (d.model.dim ** 2,) * 2
    assert_close(L, num.liouvillian, RTOL, f"{name} Liouvillian vs numeric_pipeline")
    # each reservoir's dissipator too
    for r in d.model.reservoirs:
        D = np.asarray(lambdify_expr(d.master_equation.dissipator(r.name), d.model)(vals),
                       dtype=complex)
        assert_close(D, num.dissipators[r.name], RTOL, f"{name} D_{r.name}")


def test_liouvillian_uses_column_stacking():
    """vec(L[rho]) from the superoperator equals the action rhs(rho) on a generic rho."""
    d = derivation("two-qubits-two-baths", "partial-secular", True)
    me = d.master_equation
    dim = d.model.dim
    rho = sp.Matrix(dim, dim, lambda i, j: sp.Rational(3 * i + 7 * j + 1, 13)
                    + sp.I * sp.Rational(i - j, 11))
    vec = sp.Matrix([rho[k % dim, k // dim] for k in range(dim * dim)])
    lhs = sp.Matrix(me.liouvillian()) * vec
    rhs = sp.Matrix(me.rhs(rho))
    assert all(exactly_zero(lhs[k] - rhs[k % dim, k // dim]) for k in range(dim * dim))


# ---------------------------------------------------------------------------
# 1. exact invariants
# ---------------------------------------------------------------------------
def _adjoint(X, model):
    # a real model (H_S and couplings without i) has real eigenprojectors, so X_m is a
    # real matrix and X_m^dagger = X_m^T; SymPy cannot always see that the radicals of
    # the eigenvectors (sqrt(R - D)) are real, so conjugate() would not cancel
    mats = [model.hamiltonian] + [r.coupling for r in model.reservoirs]
    real = not any(sp.expand(e).has(sp.I) for m in mats for e in m)
    return X.T if real else X.H


@pytest.mark.parametrize("name", SHIPPED)
def test_eigenoperator_algebra_exact(name):
    """sum_m X_m = X, [H_S, X_m] = omega_m X_m, X_{-m} = X_m^dagger (Eqs. 42-43), exactly."""
    # the spectrum does not depend on the regime: take it from a cached fast derivation
    spec = derivation(name, "secular", True).spectrum
    model = spec.model
    H = sp.Matrix(model.hamiltonian)
    freqs = dict(spec.frequencies)
    for r in model.reservoirs:
        ops = spec.operators(r.name)
        assert ops, r.name
        total = sp.zeros(model.dim, model.dim)
        for e in ops:
            X = sp.Matrix(e.matrix)
            assert not all(v == 0 for v in X)
            assert e.frequency == freqs[e.index]
            total += X
            assert all(exactly_zero(v) for v in H * X - X * H - e.frequency * X), (r.name, e.index)
            partner = sp.Matrix(spec.operator(r.name, -e.index).matrix)
            assert all(exactly_zero(v) for v in partner - _adjoint(X, model)), (r.name, e.index)
            assert exactly_zero(freqs[-e.index] + e.frequency)
        assert all(exactly_zero(v) for v in total - sp.Matrix(r.coupling)), r.name
    # positive indices in increasing order under the hierarchy, at an odd point
    pos = [freqs[m] for m in sorted(freqs) if m > 0]
    syms = {p.symbol: point(model)[p.name] for p in model.parameters}
    vals = [float(w.subs(syms)) for w in pos]
    assert vals == sorted(vals) and all(v > 0 for v in vals)


@pytest.mark.parametrize("name, regime, weak", CASES)
def test_liouvillian_preserves_trace_exactly(name, regime, weak):
    """Tr L[rho] = 0 for every rho: the sum of the population rows of L vanishes."""
    d = derivation(name, regime, weak)
    L = sp.Matrix(d.master_equation.liouvillian())
    dim = d.model.dim
    pop_rows = [a * (dim + 1) for a in range(dim)]  # vec index of rho[a, a] (column stacking)
    for j in range(dim * dim):
        assert exactly_zero(sum((L[i, j] for i in pop_rows), sp.S.Zero)), j


def _conjugate_real_atoms(e):
    """Complex conjugate when every atom but i is real (parameters, n(w, T), exp, radicals)."""
    return sp.sympify(e).xreplace({sp.I: -sp.I})


@pytest.mark.parametrize("name, regime, weak", CASES)
def test_liouvillian_preserves_hermiticity_exactly(name, regime, weak):
    """L[rho^dagger] = L[rho]^dagger: L_(ij),(kl) = conj L_(ji),(lk)."""
    d = derivation(name, regime, weak)
    L = sp.Matrix(d.master_equation.liouvillian())
    dim = d.model.dim
    # the atoms are real: every radical in L has a base that is positive at an odd point
    vals = {p.symbol: point(d.model)[p.name] for p in d.model.parameters}
    for pw in L.atoms(sp.Pow):
        if not pw.exp.is_Integer:
            assert float(pw.base.subs(vals)) > 0, pw

    def idx(i, j):
        return j * dim + i

    r = range(dim)
    for i, j, k, l in ((i, j, k, l) for i in r for j in r for k in r for l in r):
        a, b = L[idx(i, j), idx(k, l)], L[idx(j, i), idx(l, k)]
        assert exactly_zero(a - _conjugate_real_atoms(b)), (i, j, k, l)


@pytest.mark.parametrize("name, regime, weak", CASES)
def test_first_law_exact(name, regime, weak):
    """sum_p J_p = 0 identically at the steady state."""
    hc = derivation(name, regime, weak).heat_currents
    if (name, regime, weak) in FORM_EVALUATED_CASES:
        # no SymPy tree of its currents (J_l alone: 222 s, 1.3 GB): the same identity on
        # their exact forms, sum_p num_p / den_p = 0 as python-flint polynomials
        assert _forms_sum_to_zero([f for _, f in hc.forms])
        return
    assert exactly_zero(sum((J for _, J in hc.currents), sp.S.Zero))


def _forms_sum_to_zero(forms) -> bool:
    """sum_k nums_k[0] / den_k == 0 exactly (one-value RationalForms of one ring)."""
    ctx = forms[0].ring.ctx
    assert all(f.ring.ctx is ctx and len(f) == 1 for f in forms)
    den = forms[0].den
    if all(f.den == den for f in forms):          # one common denominator: add numerators
        total = forms[0].nums[0]
        for f in forms[1:]:
            total += f.nums[0]
        return total.is_zero()
    total, q = forms[0].nums[0], den              # num/q + n_k/d_k = (num d_k + n_k q)/(q d_k)
    for f in forms[1:]:
        total, q = total * f.den + f.nums[0] * q, q * f.den
    return total.is_zero()


@pytest.mark.parametrize("k", (0, 1), ids=POINT_IDS)
@pytest.mark.parametrize("name, regime, weak", TWO_BATH_CASES)
def test_second_law(name, regime, weak, k):
    """Heat flows out of the hotter reservoir; sigma = -sum J_p/T_p > 0 (T_hot > T_cold)."""
    d = derivation(name, regime, weak)
    m = d.model
    vals = point(m, k)
    _, J_f, _ = lambdified(name, regime, weak)
    J = {p: float(np.real(f(vals))) for p, f in J_f.items()}
    T = {r.name: float(r.temperature.subs({p.symbol: vals[p.name] for p in m.parameters}))
         for r in m.reservoirs}
    hot = max(T, key=T.get)
    cold = min(T, key=T.get)
    assert T[hot] > T[cold]
    assert J[hot] > 0 and J[cold] < 0, J
    sigma = -sum(J[p] / T[p] for p in J)
    assert sigma > 0


@pytest.mark.parametrize("name, regime, weak", [
    ("two-qubits-two-baths", "secular", True), ("two-qubits-two-baths", "partial-secular", True),
    ("tunnelling-qubit", "partial-secular", True)])
def test_entropy_production(name, regime, weak):
    """HeatCurrents.entropy_production() is -sum_p J_p/T_p, and positive at both points."""
    hc = derivation(name, regime, weak).heat_currents
    m = hc.model
    sigma = hc.entropy_production()
    by_hand = -sum((J / m.reservoir(p).temperature for p, J in hc.currents), sp.S.Zero)
    assert exactly_zero(sigma - by_hand)
    f = lambdify_expr(sigma, m)
    for k in (0, 1):
        assert float(np.real(f(point(m, k)))) > 0


def _boltzmann_zero(expr, subs) -> bool:
    """Exact zero test of an expression of Boltzmann factors: with every energy written
    as T log(a), each exp(E/T) is a monomial and the expression a rational function."""
    e = occupations_as_exp(expr).subs(subs)
    e = e.replace(sp.exp, lambda x: sp.exp(sp.expand(x)))
    e = sp.powsimp(sp.expand_power_exp(e))
    return sp.cancel(sp.together(e)) == 0


def _paper_states(model):
    """Eq. (92): |u>, |+>, |->, |l> and their energies, in the product basis."""
    P = {p.name: p.symbol for p in model.parameters}
    s2 = sp.sqrt(2)
    u = sp.Matrix([1, 0, 0, 0])
    plus = sp.Matrix([0, 1, 1, 0]) / s2
    minus = sp.Matrix([0, 1, -1, 0]) / s2
    low = sp.Matrix([0, 0, 0, 1])
    return {"u": (u, P["omega_S"]), "+": (plus, P["Omega"]), "-": (minus, -P["Omega"]),
            "l": (low, -P["omega_S"])}


def _gibbs(states, T):
    G = sum((sp.exp(-E / T) * v * v.T for v, E in states), sp.zeros(len(states[0][0]), 
                                                                  len(states[0][0])))
    return G / G.trace()


def test_gibbs_state_single_reservoir_secular():
    """Secular regime, one temperature: rho_ss = exp(-H_S/T)/Z exactly (two-qubits-one-bath)."""
    d = derivation("two-qubits-one-bath", "secular", False)
    m = d.model
    P = {p.name: p.symbol for p in m.parameters}
    a, b = sp.symbols("a b", positive=True)
    G = _gibbs(list(_paper_states(m).values()), P["T"])
    diff = sp.Matrix(d.steady_state.matrix) - G
    subs = {P["Omega"]: P["T"] * sp.log(a), P["omega_S"]: P["T"] * sp.log(b)}
    assert all(_boltzmann_zero(x, subs) for x in diff)


def test_gibbs_state_ohmic_rate_secular():
    """The KMS condition holds for any rate function: the V-type atom thermalises too."""
    d = derivation("v-type-three-level", "secular", False)
    m = d.model
    P = {p.name: p.symbol for p in m.parameters}
    H = sp.Matrix(m.hamiltonian)
    assert H.is_diagonal()
    G = sp.diag(*[sp.exp(-H[i, i] / P["T"]) for i in range(m.dim)])
    G = G / G.trace()
    a, b = sp.symbols("a b", positive=True)
    subs = {P["Delta"]: 2 * P["T"] * sp.log(a), P["omega_S"]: P["T"] * sp.log(b)}
    assert all(_boltzmann_zero(x, subs) for x in sp.Matrix(d.steady_state.matrix) - G)


def test_gibbs_state_two_reservoirs_equal_temperatures_secular():
    """Paper Sec. VI.A.3: equal temperatures give the Gibbs state and no current (secular)."""
    src = cgsym.load_model("two-qubits-two-baths").source
    src = (src.replace('T_h = "temperature"\n', "")
           .replace('T_c = "temperature"', 'T = "temperature"')
           .replace('"T_h"', '"T"').replace('"T_c"', '"T"'))
    m = cgsym.model_from_toml(src)
    assert [str(r.temperature) for r in m.reservoirs] == ["T", "T"]
    d = cgsym.derive(m, "secular", False)
    P = {p.name: p.symbol for p in m.parameters}
    G = _gibbs(list(_paper_states(m).values()), P["T"])
    a, b = sp.symbols("a b", positive=True)
    subs = {P["Omega"]: P["T"] * sp.log(a), P["omega_S"]: P["T"] * sp.log(b)}
    assert all(_boltzmann_zero(x, subs) for x in sp.Matrix(d.steady_state.matrix) - G)
    assert all(exactly_zero(J) for _, J in d.heat_currents.currents)


# ---------------------------------------------------------------------------
# gamma matrices: positivity is checked, not assumed
# ---------------------------------------------------------------------------
def _expected_positivity(name, regime, weak):
    # Ohmic rates without the weak limit: Gamma((w_m + w_n)/2) of a non-flat rate is not
    # a positive matrix (the V-type atom; the ohmic tunnelling qubit, whose 3 x 3 blocks
    # have a negative eigenvalue of -2e-7 even at the odd points, -0.013 at the point
    # derive reports; confirmed by the numeric pipeline in the test)
    if name in ("v-type-three-level", "tunnelling-qubit-ohmic") and \
            regime == "partial-secular" and not weak:
        return "not positive"
    return "positive"


@pytest.mark.parametrize("name, regime, weak", CASES)
def test_gamma_positivity_status(name, regime, weak):
    d = derivation(name, regime, weak)
    for g in d.rates.gammas:
        assert g.positivity.status == _expected_positivity(name, regime, weak), \
            (g.reservoir, g.positivity)
        assert g.positivity.value is {"positive": True, "not positive": False}[
            g.positivity.status]
        assert d.rates.gamma(g.reservoir) is g
        assert g.matrix.shape == (len(g.indices),) * 2
        assert g.matrix == g.matrix.T  # Gamma((w_m + w_n)/2) is symmetric in m, n
        if regime == "secular":
            assert g.matrix.is_diagonal()
        if g.positivity.status == "not positive":
            # the reported eigenvalue, recomputed by the independent numeric pipeline
            vals = dict(g.positivity.point)
            num = numeric_pipeline(d.model, vals, regime, weak)
            lo = np.linalg.eigvalsh(num.gamma[g.reservoir][1])[0]
            assert lo < 0 and lo == pytest.approx(g.positivity.min_eigenvalue, rel=RTOL)


def test_vtype_partial_secular_negative_eigenvalue_is_real():
    """The reported counterexample: recompute the eigenvalue with NumPy, twice."""
    d = derivation("v-type-three-level", "partial-secular", False)
    g = d.rates.gamma("b")
    pos = g.positivity
    assert pos.status == "not positive" and pos.value is False
    assert pos.min_eigenvalue < 0
    vals = dict(pos.point)
    assert set(vals) == {p.name for p in d.model.parameters}
    # 1. the symbolic gamma matrix, lambdified, at the reported point
    A = np.asarray(lambdify_expr(g.matrix, d.model)(vals), dtype=complex)
    lo = np.linalg.eigvalsh((A + A.conj().T) / 2)[0]
    assert lo == pytest.approx(pos.min_eigenvalue, rel=RTOL)
    # 2. the independent numeric pipeline's gamma matrix at the same point
    num = numeric_pipeline(d.model, vals, "partial-secular", False)
    lo2 = np.linalg.eigvalsh(num.gamma["b"][1])[0]
    assert lo2 == pytest.approx(pos.min_eigenvalue, rel=RTOL)
    # ... and at our own odd point the matrix is not positive either
    num0 = numeric("v-type-three-level", "partial-secular", False, 0)
    assert np.linalg.eigvalsh(num0.gamma["b"][1])[0] < 0


def test_weak_internal_uses_slow_limit_of_occupations():
    """Weak internal coupling: only n(omega_S, T) appears, H_S keeps Omega (Eq. 101)."""
    d = derivation("two-qubits-one-bath", "partial-secular", True)
    P = {p.name: p.symbol for p in d.model.parameters}
    args = {a.args for g in d.rates.gammas for e in g.matrix for a in e.atoms(cgsym.n)}
    assert args == {(P["omega_S"], P["T"])}
    assert d.master_equation.hamiltonian.has(P["Omega"])
    full = derivation("two-qubits-one-bath", "partial-secular", False)
    args = {a.args[0] for g in full.rates.gammas for e in g.matrix for a in e.atoms(cgsym.n)}
    assert args == {P["omega_S"] - P["Omega"], P["omega_S"], P["omega_S"] + P["Omega"]}


# ---------------------------------------------------------------------------
# 3. the paper's eigenoperators
# ---------------------------------------------------------------------------
def _ket(*amps):
    return sp.Matrix(amps)


def test_paper_eigenoperators_eq94_eq95():
    """Two qubits, sigma_2x: omega_{1,2} = omega_S -+ Omega and X_1, X_2 of Eqs. (94), (95)."""
    m = cgsym.load_model("two-qubits-one-bath")
    spec = cgsym.eigenoperators(m)
    P = {p.name: p.symbol for p in m.parameters}
    wS, Om = P["omega_S"], P["Omega"]
    st = {k: v for k, (v, _) in _paper_states(m).items()}
    u, plus, minus, low = st["u"], st["+"], st["-"], st["l"]
    X1 = (u * plus.T - minus * low.T) / sp.sqrt(2)                 # Eq. (94)
    X2 = (plus * low.T + u * minus.T) / sp.sqrt(2)
    one = sp.eye(2)
    s_plus = sp.Matrix([[0, 1], [0, 0]])
    s_z = sp.diag(1, -1)
    eq95 = {n_: (sp.kronecker_product(one, s_plus)
                 - (-1) ** n_ * sp.kronecker_product(s_plus, s_z)) / 2 for n_ in (1, 2)}
    assert dict(spec.frequencies) == {1: wS - Om, 2: wS + Om, -1: Om - wS, -2: -wS - Om}
    for n_, X in ((1, X1), (2, X2)):
        got = sp.Matrix(spec.operator("b", n_).matrix)
        assert all(exactly_zero(v) for v in got - X), n_
        assert all(exactly_zero(v) for v in got - eq95[n_]), n_
        assert all(exactly_zero(v) for v in sp.Matrix(spec.operator("b", -n_).matrix) - X.T)
    assert {e.index for e in spec.operators("b")} == {-2, -1, 1, 2}  # X_0 = 0


def test_paper_eigenoperators_eq126_eq128():
    """Tunnelling qubit: omega_m = omega_S - Omega, omega_S, omega_S + Omega and
    X_l = (s+ S-, s+, s+ S+)/2, X_r = (-s+ S-, s+, -s+ S+)/2 with S+ = |+><-| (tunnelling)."""
    m = cgsym.load_model("tunnelling-qubit")
    spec = cgsym.eigenoperators(m)
    P = {p.name: p.symbol for p in m.parameters}
    wS, Om = P["omega_S"], P["Omega"]
    assert {k: v for k, v in spec.frequencies if k > 0} == {1: wS - Om, 2: wS, 3: wS + Om}
    s_plus = sp.Matrix([[0, 1], [0, 0]])                           # |e><g| on A
    plus = _ket(1, 1) / sp.sqrt(2)                                  # |+> = (|l> + |r>)/sqrt 2
    minus = _ket(1, -1) / sp.sqrt(2)
    S_plus = plus * minus.T
    S_minus = minus * plus.T
    half = sp.Rational(1, 2)
    Xl = {1: half * sp.kronecker_product(s_plus, S_minus),        # Eq. (126)
          2: half * sp.kronecker_product(s_plus, sp.eye(2)),
          3: half * sp.kronecker_product(s_plus, S_plus)}
    Xr = {1: -Xl[1], 2: Xl[2], 3: -Xl[3]}                           # Eq. (128)
    for res, ref in (("l", Xl), ("r", Xr)):
        assert {e.index for e in spec.operators(res)} == {-3, -2, -1, 1, 2, 3}  # X_0 = 0
        for m_, X in ref.items():
            got = sp.Matrix(spec.operator(res, m_).matrix)
            assert all(exactly_zero(v) for v in got - X), (res, m_)
            got_neg = sp.Matrix(spec.operator(res, -m_).matrix)
            assert all(exactly_zero(v) for v in got_neg - X.T), (res, -m_)
    # Eq. (129): the difference matrix, slow entries +-Omega, +-2 Omega
    idx, mat, kinds = spec.difference_matrix()
    assert idx == (-3, -2, -1, 1, 2, 3)
    for i, a in enumerate(idx):
        for j, b in enumerate(idx):
            w = dict(spec.frequencies)
            assert exactly_zero(mat[i, j] - (w[a] - w[b]))
            assert kinds[i][j] == ("zero" if i == j else "slow" if (a > 0) == (b > 0) else "fast")
    assert exactly_zero(mat[0, 1] + Om) and exactly_zero(mat[0, 3] + 2 * wS)


# ---------------------------------------------------------------------------
# kernel-dimension honesty
# ---------------------------------------------------------------------------
DECOUPLED_THIRD_QUBIT = """
name = "third-qubit-decoupled"
description = "two-qubits-one-bath plus a third qubit that nothing couples to"
hamiltonian = "omega_S/2*(sz(q1) + sz(q2) + sz(q3)) + Omega*(sp(q1)*sm(q2) + sm(q1)*sp(q2))"

[parameters]
omega_S = "frequency"
Omega = "slow"
gamma = "rate"
T = "temperature"

[[subsystems]]
name = "q1"
levels = ["e", "g"]

[[subsystems]]
name = "q2"
levels = ["e", "g"]

[[subsystems]]
name = "q3"
levels = ["e", "g"]

[[reservoirs]]
name = "b"
coupling = "sx(q2)"
temperature = "T"
"""

DECOUPLED_NO_EXCHANGE = """
name = "no-exchange"
description = "Omega present but never reaching qubit 1's transitions: q1 is never damped"
hamiltonian = "omega_S/2*(sz(q1) + sz(q2)) + Omega*sz(q1)"

[parameters]
omega_S = "frequency"
Omega = "slow"
gamma = "rate"
T = "temperature"

[[subsystems]]
name = "q1"
levels = ["e", "g"]

[[subsystems]]
name = "q2"
levels = ["e", "g"]

[[reservoirs]]
name = "b"
coupling = "sx(q2)"
temperature = "T"
"""


def _decoupled_cases():
    for tid, text in (("third-qubit", DECOUPLED_THIRD_QUBIT), ("no-exchange", DECOUPLED_NO_EXCHANGE)):
        for regime in REGIMES:
            for weak in (False, True):
                if (tid, regime, weak) == ("third-qubit", "secular", False):
                    continue  # 1.7 s and nothing the other three third-qubit cases miss
                yield pytest.param(text, regime, weak,
                                   id=f"{tid}-{regime}-{'weak' if weak else 'full'}")


@pytest.mark.parametrize("text, regime, weak", list(_decoupled_cases()))
def test_decoupled_subsystem_reports_a_manifold(text, regime, weak):
    m = cgsym.model_from_toml(text)
    d = cgsym.derive(m, regime, weak)
    ss = d.steady_state
    assert ss.kernel_dimension == 2  # q1's (or q3's) populations are conserved
    assert not ss.unique
    assert ss.matrix is None
    assert d.heat_currents is None
    assert len(ss.manifold) == 2
    with pytest.raises(cgsym.CgsymError, match="not unique"):
        ss.require_unique()
    with pytest.raises(cgsym.CgsymError, match="not unique"):
        cgsym.heat_currents(ss)
    # every member of the manifold is stationary, exactly, and the numeric kernel agrees
    me = d.master_equation
    for rho in ss.manifold:
        assert all(exactly_zero(v) for v in me.rhs(rho))
        assert exactly_zero(sp.Matrix(rho).trace() - 1)
    vals = {"omega_S": 1.1341, "Omega": 0.0432, "gamma": 0.0123, "T": 0.4321}
    num = numeric_pipeline(m, vals, regime, weak)
    assert num.kernel_dimension == 2 and num.steady_state is None
    js = d.to_json()
    assert js["kernel_dimension"] == 2
    assert js["steady_state"] is None and js["heat_currents"] is None


# ---------------------------------------------------------------------------
# the result objects
# ---------------------------------------------------------------------------
def test_stages_compose_to_derive():
    name, regime, weak = "two-qubits-two-baths", "partial-secular", True
    d = derivation(name, regime, weak)
    spec = cgsym.eigenoperators(cgsym.load_model(name))
    r = cgsym.rates(spec, regime, weak)
    me = cgsym.master_equation(r)
    ss = cgsym.steady_state(me)
    hc = cgsym.heat_currents(ss)
    assert sp.Matrix(me.liouvillian()) == sp.Matrix(d.master_equation.liouvillian())
    assert all(exactly_zero(v) for v in sp.Matrix(ss.matrix) - sp.Matrix(d.steady_state.matrix))
    for p, J in hc.currents:
        assert exactly_zero(J - d.heat_currents.current(p))
    assert d.model is d.spectrum.model or d.model == d.spectrum.model


def test_steady_state_accessors():
    d = derivation("two-qubits-one-bath", "secular", False)
    ss = d.steady_state
    m = d.model
    assert m.basis == ("e,e", "e,g", "g,e", "g,g")
    assert ss.element("e,g", "g,e") == ss.matrix[1, 2]
    with pytest.raises(cgsym.CgsymError, match="unknown basis state"):
        ss.element("e,x", "g,e")
    # secular: no coherence between the energy eigenstates |+> and |->
    rho_e = ss.in_eigenbasis()
    assert all(exactly_zero(rho_e[i, j]) for i in range(4) for j in range(4) if i != j)
    assert exactly_zero(rho_e.trace() - 1)
    with pytest.raises(cgsym.CgsymError):
        d.heat_currents.current("nope")


def test_dissipate_matches_dissipator_superoperator():
    d = derivation("tunnelling-qubit", "partial-secular", True)
    me = d.master_equation
    dim = d.model.dim
    rho = sp.Matrix(dim, dim, lambda i, j: sp.Rational(2 * i + 5 * j + 3, 17)
                    + sp.I * sp.Rational(j - i, 19))
    vec = sp.Matrix([rho[k % dim, k // dim] for k in range(dim * dim)])
    for r in d.model.reservoirs:
        D = sp.Matrix(me.dissipate(rho, r.name))
        Dv = sp.Matrix(me.dissipator(r.name)) * vec
        assert all(exactly_zero(Dv[k] - D[k % dim, k // dim]) for k in range(dim * dim))
