"""Property tests: random small models and random parameter points (hypothesis).

Two kinds of property:

* random *models* (one subsystem with 2 or 3 levels, or two qubits) with H_S
  whose entries are exact small rationals times the parameters omega_S
  (frequency) and s (slow), one or two random Hermitian couplings, a flat or an
  Ohmic rate: for every regime, the exact invariants (Eqs. 42-43, trace
  preservation, the first law) and agreement with the numeric pipeline at a
  random point (slow << frequency), where the steady state, when unique, is
  also Hermitian, of unit trace and positive;
* random *points* for a fixed shipped model: lambdify once, draw floats.

The default run is small (at most 30 examples in all, with a fixed seed and no
example database, so that it is the same, and as fast, on every machine); the ``slow`` variants draw many more.  Models the engine
rejects with a documented CgsymError are skipped with ``assume`` and counted as
hypothesis events (see ``--hypothesis-show-statistics``).
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, assume, event, given, note, seed, settings
from hypothesis import strategies as st

import cgsym
from cgsym.numerics import lambdify_expr, numeric_pipeline

from conftest import (
    assert_close,
    assert_currents_close,
    current_scale,
    derivation,
    exactly_zero,
    lambdified,
)

FAST = settings(max_examples=12, deadline=None, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
MANY = settings(max_examples=300, deadline=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

#: documented reasons for which the engine may reject a generated model
REJECTIONS = (
    "do not separate the time scales",   # a slow-only Bohr frequency in partial-secular
    "zero-frequency component",           # X_0 != 0 with a flat rate (n(0) diverges)
    "commutes with H_S",                  # a coupling that causes no transitions
    "no closed-form eigenvalues",
)

# ---------------------------------------------------------------------------
# random models
# ---------------------------------------------------------------------------
FAST_COEFFS = [Fraction(1, 2), Fraction(1), Fraction(3, 2), Fraction(2)]
SLOW_COEFFS = [Fraction(-1), Fraction(-1, 2), Fraction(0), Fraction(1, 3), Fraction(1),
               Fraction(3, 2)]
MIX_COEFFS = [Fraction(1, 2), Fraction(1), Fraction(2, 3), Fraction(-3, 4)]
X_COEFFS = [Fraction(1), Fraction(1, 2), Fraction(-2, 3), Fraction(3, 4)]


def _q(x: Fraction) -> str:
    return f"({x.numerator}/{x.denominator})"


@st.composite
def level_hamiltonian(draw, nlev):
    """H = sum_i (a_i omega_S + b_i s) |i><i| + c s (e^{i phi}|i><j| + h.c.), the slow mixing
    only between levels with the same fast energy (2x2 blocks: closed-form eigenvalues)."""
    a = [Fraction(0)] + [draw(st.sampled_from(FAST_COEFFS)) for _ in range(nlev - 1)]
    b = [draw(st.sampled_from(SLOW_COEFFS)) for _ in range(nlev)]
    terms = [f"({_q(a[i])}*omega_S + {_q(b[i])}*s)*proj(a, 'l{i}')" for i in range(nlev)]
    pairs = [(i, j) for i in range(nlev) for j in range(i + 1, nlev) if a[i] == a[j]]
    mixed = None
    if pairs and draw(st.booleans()):
        i, j = draw(st.sampled_from(pairs))
        c = draw(st.sampled_from(MIX_COEFFS))
        if draw(st.booleans()):
            terms.append(f"{_q(c)}*s*(ketbra(a, 'l{i}', 'l{j}') + ketbra(a, 'l{j}', 'l{i}'))")
        else:
            terms.append(f"{_q(c)}*s*(I*ketbra(a, 'l{i}', 'l{j}') - I*ketbra(a, 'l{j}', 'l{i}'))")
        mixed = (i, j)
    if all(x == 0 for x in b) and mixed is None:  # s must be used
        terms.append(f"{_q(SLOW_COEFFS[-1])}*s*proj(a, 'l{nlev - 1}')")
    return " + ".join(terms), a


@st.composite
def level_coupling(draw, a, dephasing):
    """A Hermitian coupling between levels of different fast energy (+ a diagonal part)."""
    nlev = len(a)
    pairs = [(i, j) for i in range(nlev) for j in range(i + 1, nlev) if a[i] != a[j]]
    chosen = draw(st.lists(st.sampled_from(pairs), min_size=1, max_size=len(pairs), unique=True))
    terms = []
    for i, j in chosen:
        c = draw(st.sampled_from(X_COEFFS))
        if draw(st.booleans()):
            terms.append(f"{_q(c)}*(ketbra(a, 'l{i}', 'l{j}') + ketbra(a, 'l{j}', 'l{i}'))")
        else:
            terms.append(f"{_q(c)}*(I*ketbra(a, 'l{i}', 'l{j}') - I*ketbra(a, 'l{j}', 'l{i}'))")
    if dephasing:
        terms.append(f"{_q(draw(st.sampled_from(X_COEFFS)))}*proj(a, 'l{draw(st.integers(0, nlev - 1))}')")
    return " + ".join(terms)


@st.composite
def qubit_pair_hamiltonian(draw):
    a1, a2 = draw(st.sampled_from(FAST_COEFFS)), draw(st.sampled_from(FAST_COEFFS))
    b1, b2 = draw(st.sampled_from(SLOW_COEFFS)), draw(st.sampled_from(SLOW_COEFFS))
    terms = [f"{_q(a1)}*omega_S/2*sz(q1)", f"{_q(a2)}*omega_S/2*sz(q2)"]
    if b1:
        terms.append(f"{_q(b1)}*s/2*sz(q1)")
    if b2:
        terms.append(f"{_q(b2)}*s/2*sz(q2)")
    exchange = a1 == a2 and draw(st.booleans())
    if exchange:  # resonant exchange: |e,g>, |g,e> mix through s only
        c = draw(st.sampled_from(MIX_COEFFS))
        terms.append(f"{_q(c)}*s*(sp(q1)*sm(q2) + sm(q1)*sp(q2))")
    if not (b1 or b2 or exchange):
        terms.append("s/2*sz(q2)")
    return " + ".join(terms)


@st.composite
def qubit_pair_coupling(draw, dephasing):
    ops = draw(st.lists(st.sampled_from(["sx(q1)", "sy(q1)", "sx(q2)", "sy(q2)"]),
                        min_size=1, max_size=3, unique=True))
    terms = [f"{_q(draw(st.sampled_from(X_COEFFS)))}*{o}" for o in ops]
    if dephasing:
        terms.append(f"{_q(draw(st.sampled_from(X_COEFFS)))}*sz({draw(st.sampled_from(['q1', 'q2']))})")
    return " + ".join(terms)


@st.composite
def random_models(draw):
    kind = draw(st.sampled_from(["two-level", "three-level", "two-qubits"]))
    nres = draw(st.integers(1, 2))
    dephasing = draw(st.booleans())  # a diagonal part in X: X_0 != 0, so an Ohmic rate
    if kind == "two-qubits":
        H = draw(qubit_pair_hamiltonian())
        subsystems = [{"name": "q1", "levels": ["e", "g"]}, {"name": "q2", "levels": ["e", "g"]}]
        couplings = [draw(qubit_pair_coupling(dephasing)) for _ in range(nres)]
    else:
        nlev = 2 if kind == "two-level" else 3
        H, a = draw(level_hamiltonian(nlev))
        subsystems = [{"name": "a", "levels": [f"l{i}" for i in range(nlev)]}]
        couplings = [draw(level_coupling(a, dephasing)) for _ in range(nres)]
    params = {"omega_S": "frequency", "s": "slow", "gamma": "rate"}
    reservoirs = []
    for k, X in enumerate(couplings):
        params[f"T{k + 1}"] = "temperature"
        reservoirs.append({"name": f"r{k + 1}", "coupling": X, "temperature": f"T{k + 1}",
                           "rate": "gamma*omega" if dephasing else "gamma"})
    data = {"name": f"random-{kind}", "hamiltonian": H, "parameters": params,
            "subsystems": subsystems, "reservoirs": reservoirs}
    note(repr(data))
    return cgsym.model_from_dict(data)


def random_point(draw_float, model):
    """A point with slow << frequency: fast level spacings >= 0.4, slow terms <= 0.2."""
    vals = {"omega_S": draw_float(0.8, 1.6), "s": draw_float(0.011, 0.06),
            "gamma": draw_float(0.004, 0.05)}
    for p in model.parameters:
        if p.role == "temperature":
            vals[p.name] = draw_float(0.3, 2.0)
    return vals


def _derive_or_reject(model, regime, weak):
    try:
        return cgsym.derive(model, regime, weak)
    except cgsym.CgsymError as e:
        msg = str(e)
        documented = [r for r in REJECTIONS if r in msg]
        assert documented, f"undocumented rejection: {msg}"
        event(f"rejected ({regime}): {documented[0]}")
        assume(False)


def check_random_model(model, weak, draw_float):
    H = sp.Matrix(model.hamiltonian)
    spec = None
    for regime in ("secular", "partial-secular"):
        d = _derive_or_reject(model, regime, weak)
        if spec is None:
            spec = d.spectrum
            # Eqs. (42)-(43), exactly
            for r in model.reservoirs:
                total = sp.zeros(model.dim, model.dim)
                for e in spec.operators(r.name):
                    X = sp.Matrix(e.matrix)
                    total += X
                    assert all(exactly_zero(v) for v in H * X - X * H - e.frequency * X)
                assert all(exactly_zero(v) for v in total - sp.Matrix(r.coupling))
        # trace preservation, exactly
        L = sp.Matrix(d.master_equation.liouvillian())
        dim = model.dim
        for j in range(dim * dim):
            assert exactly_zero(sum((L[a * (dim + 1), j] for a in range(dim)), sp.S.Zero))
        # against the numeric pipeline at a random point
        vals = random_point(draw_float, model)
        note(f"{regime}, weak={weak}: {vals}")
        num = numeric_pipeline(model, vals, regime, weak)
        Lnum = np.asarray(lambdify_expr(d.master_equation.liouvillian(), model)(vals),
                          dtype=complex)
        assert_close(Lnum, num.liouvillian, 1e-9, "Liouvillian")
        # Hermiticity preservation: L(rho^+) = L(rho)^+ (column stacking: vec index a + dim*b)
        perm = [(j % dim) * dim + j // dim for j in range(dim * dim)]
        assert np.max(np.abs(Lnum[np.ix_(perm, perm)].conj() - Lnum)) <= 1e-12 * max(
            1.0, np.max(np.abs(Lnum)))
        assert d.steady_state.kernel_dimension == num.kernel_dimension
        if not d.steady_state.unique:
            event(f"kernel dimension {d.steady_state.kernel_dimension}")
            assert d.steady_state.matrix is None and d.heat_currents is None
            continue
        event(f"{regime}: unique steady state")
        assert exactly_zero(sum((J for _, J in d.heat_currents.currents), sp.S.Zero))
        rho = np.asarray(lambdify_expr(d.steady_state.matrix, model)(vals), dtype=complex)
        assert_close(rho, num.steady_state, 1e-9, "rho_ss")
        assert np.max(np.abs(rho - rho.conj().T)) <= 1e-12
        assert abs(np.trace(rho) - 1) <= 1e-12
        if all(g.positivity.status == "positive" for g in d.rates.gammas):
            assert np.linalg.eigvalsh((rho + rho.conj().T) / 2)[0] >= -1e-12
        else:
            event(f"{regime}: gamma not proved positive")
        J = {p: float(np.real(lambdify_expr(e, model)(vals))) for p, e in d.heat_currents.currents}
        assert_currents_close(J, dict(num.heat_currents), current_scale(num), 1e-9, "J")
        if regime == "secular" and not weak:
            check_thermodynamics(model, vals, rho, J, current_scale(num))


def check_thermodynamics(model, vals, rho, J, scale):
    """Secular regime, exact Bohr frequencies: Gibbs state for one temperature (Eq. 98);
    for two temperatures heat flows from hot to cold and the entropy production
    -sum_p J_p / T_p is non-negative (Spohn)."""
    temps = {r.name: float(r.temperature.subs({p.symbol: vals[p.name]
                                               for p in model.parameters}))
             for r in model.reservoirs}
    if len(set(temps.values())) == 1:
        T = next(iter(temps.values()))
        H = np.asarray(lambdify_expr(model.hamiltonian, model)(vals), dtype=complex)
        E, U = np.linalg.eigh(H)
        w = np.exp(-(E - E.min()) / T)
        gibbs = (U * (w / w.sum())) @ U.conj().T
        assert_close(rho, gibbs, 1e-9, "Gibbs state (one temperature, secular)")
        event("secular: Gibbs state at one temperature")
        return
    sigma = -sum(J[p] / temps[p] for p in J)
    assert sigma >= -1e-9 * scale / min(temps.values()), f"entropy production {sigma} < 0"
    if len(J) == 2:
        hot = max(temps, key=temps.get)
        assert J[hot] >= -1e-9 * scale, f"J from the hotter reservoir {hot} is {J[hot]} < 0"
        event("secular: heat flows from hot to cold")


def _floats(data):
    return lambda lo, hi: data.draw(st.floats(lo, hi, allow_nan=False, allow_infinity=False))


@FAST
@seed(20251125)
@given(model=random_models(), weak=st.booleans(), data=st.data())
def test_random_models(model, weak, data):
    check_random_model(model, weak, _floats(data))


@pytest.mark.slow
@MANY
@given(model=random_models(), weak=st.booleans(), data=st.data())
def test_random_models_many(model, weak, data):
    check_random_model(model, weak, _floats(data))


# ---------------------------------------------------------------------------
# random points, fixed models: lambdify once, draw floats
# ---------------------------------------------------------------------------
POINT_CASES = (("two-qubits-two-baths", "partial-secular", True),
               ("tunnelling-qubit", "secular", False))


@st.composite
def hierarchy_points(draw, model):
    vals = {}
    for p in model.parameters:
        lo, hi = {"frequency": (0.7, 2.5), "slow": (0.005, 0.08), "rate": (0.002, 0.06),
                  "temperature": (0.2, 3.0)}[p.role]
        vals[p.name] = draw(st.floats(lo, hi, allow_nan=False, allow_infinity=False))
    return vals


def check_point(name, regime, weak, vals):
    d = derivation(name, regime, weak)
    m = d.model
    rho_f, J_f, L_f = lambdified(name, regime, weak)
    num = numeric_pipeline(m, vals, regime, weak)
    rho = np.asarray(rho_f(vals), dtype=complex)
    assert_close(rho, num.steady_state, 1e-9, "rho_ss")
    assert_close(L_f(vals), num.liouvillian, 1e-9, "Liouvillian")
    assert np.linalg.eigvalsh((rho + rho.conj().T) / 2)[0] >= -1e-12
    assert abs(np.trace(rho) - 1) <= 1e-12
    J = {p: float(np.real(f(vals))) for p, f in J_f.items()}
    scale = current_scale(num)
    assert_currents_close(J, dict(num.heat_currents), scale, 1e-9, "J")
    assert abs(sum(J.values())) <= 1e-12 * scale
    T = {r.name: float(r.temperature.subs({p.symbol: vals[p.name] for p in m.parameters}))
         for r in m.reservoirs}
    hot, cold = max(T, key=T.get), min(T, key=T.get)
    # second law, to the rounding floor of the currents
    assert J[hot] >= -1e-12 * scale and J[cold] <= 1e-12 * scale
    assert -sum(J[p] / T[p] for p in J) >= -1e-12 * scale / min(T.values())


@pytest.mark.parametrize("name, regime, weak", POINT_CASES)
@settings(max_examples=8, deadline=None, derandomize=True, database=None, print_blob=True)
@given(data=st.data())
def test_random_points(name, regime, weak, data):
    model = derivation(name, regime, weak).model
    check_point(name, regime, weak, data.draw(hierarchy_points(model)))


@pytest.mark.slow
@pytest.mark.parametrize("name, regime, weak", POINT_CASES)
@settings(max_examples=200, deadline=None, print_blob=True)
@given(data=st.data())
def test_random_points_many(name, regime, weak, data):
    model = derivation(name, regime, weak).model
    check_point(name, regime, weak, data.draw(hierarchy_points(model)))
