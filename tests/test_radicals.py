"""Radicals as generators related by their defining relations (issue 13, item 5).

* ``reduce_radicals`` rewrites g**2 = b until each radical appears at most linearly:
  the result equals the input at the true radicals (SymPy's exact ``radsimp``/``expand``
  of the difference is 0) and has the degree SymPy's ``minimal_polynomial`` predicts.
* ``rationalise`` clears radicals from a denominator, including a nested radical
  sqrt(5 - sqrt(5)) over sqrt(5), with the value unchanged.
* The eigenbasis solve: the three exchange-coupled qubits (eigenvectors with sqrt(2)),
  secular, no weak-internal limit, agree with the numeric pipeline (slow test).
"""
from __future__ import annotations

from pathlib import Path

import pytest
import sympy as sp

import cgsym
from cgsym.arith.algebra import polynomial_form
from cgsym.arith.flintalg import Ring, radical_relations, rationalise, reduce_radicals

BENCH = Path(__file__).resolve().parent / "benchmarks" / "models"


def _ring(*exprs):
    p, back = polynomial_form(sp.Matrix([list(exprs)]))
    gens = sorted(set(p.free_symbols) | set(back), key=sp.default_sort_key)
    ring = Ring(gens)
    return ring, p, back, radical_relations(ring, back)


def _value(ring, back, poly):
    return ring.to_sympy(poly).xreplace(back)


def _is_zero(e):
    """Exact: SymPy's expand reduces sqrt(b)**2 to b, so an equal value expands to 0."""
    return sp.expand(e) == 0


def test_relations_of_a_nested_radical_outermost_first():
    x = sp.Symbol("x", positive=True)
    ring, _, back, rel = _ring(sp.sqrt(5 - sp.sqrt(5)) + x, sp.sqrt(2))
    atoms = [back[ring.gens[i]] for i, _ in rel]
    assert atoms[0] == sp.sqrt(5 - sp.sqrt(5))   # outer before inner
    assert set(atoms) == {sp.sqrt(5 - sp.sqrt(5)), sp.sqrt(5), sp.sqrt(2)}
    for i, b in rel:
        a = back[ring.gens[i]]
        assert sp.expand(_value(ring, back, b) - a ** 2) == 0


@pytest.mark.parametrize("expr", [
    (1 + sp.sqrt(2)) ** 5,
    (sp.Symbol("x") + sp.sqrt(2) * sp.Symbol("y")) ** 4,
    (sp.sqrt(5 - sp.sqrt(5)) + sp.sqrt(5)) ** 3,
    (sp.sqrt(sp.Symbol("a", positive=True) ** 2 + 1) + sp.Symbol("a", positive=True)) ** 3,
])
def test_reduction_is_exact_and_linear_in_each_radical(expr):
    ring, p, back, rel = _ring(expr)
    num, q = ring.from_sympy(sp.expand(p[0]))
    red = reduce_radicals(num, rel)
    for i, _ in rel:
        assert red.degrees()[i] <= 1
    # same value at the true radicals (SymPy decides the difference exactly)
    assert _is_zero(_value(ring, back, red) / q - expr)


def test_reduced_degree_matches_minimal_polynomial():
    # (1 + sqrt(2))**3 = 7 + 5 sqrt(2): degree 1 in sqrt(2), minimal polynomial of degree 2
    ring, p, back, rel = _ring((1 + sp.sqrt(2)) ** 3)
    num, _ = ring.from_sympy(sp.expand(p[0]))
    red = reduce_radicals(num, rel)
    assert _value(ring, back, red) == 7 + 5 * sp.sqrt(2)
    t = sp.Symbol("t")
    assert sp.degree(sp.minimal_polynomial(7 + 5 * sp.sqrt(2), t), t) == 2
    # nested: sqrt(5 - sqrt(5))**4 = 30 - 10 sqrt(5)
    ring, p, back, rel = _ring(sp.sqrt(5 - sp.sqrt(5)))
    g, _ = ring.from_sympy(p[0])
    assert sp.expand(_value(ring, back, reduce_radicals(g ** 4, rel))) == 30 - 10 * sp.sqrt(5)
    assert sp.minimal_polynomial(sp.sqrt(5 - sp.sqrt(5)), t) == t ** 4 - 10 * t ** 2 + 20


def test_rationalise_clears_a_nested_radical_denominator():
    x = sp.Symbol("x", positive=True)
    den_expr = 1 + sp.sqrt(5 - sp.sqrt(5)) + x * sp.sqrt(5)
    num_expr = x + sp.sqrt(2)
    ring, p, back, rel = _ring(den_expr, num_expr)
    den, _ = ring.from_sympy(sp.expand(p[0]))
    num, _ = ring.from_sympy(sp.expand(p[1]))
    (num2,), den2 = rationalise([num], den, rel)
    for i, _ in rel:
        if back[ring.gens[i]] != sp.sqrt(2):
            assert den2.degrees()[i] == 0      # no sqrt(5), no sqrt(5 - sqrt(5)) below
    # exactly: num2 * den - num * den2 expands to 0 (SymPy reduces sqrt(b)**2 to b)
    assert _is_zero(_value(ring, back, num2) * den_expr - num_expr * _value(ring, back, den2))
    assert not _is_zero(_value(ring, back, den2))


def test_rationalise_refuses_a_vanishing_denominator():
    ring, p, back, rel = _ring(sp.sqrt(2))
    g, _ = ring.from_sympy(p[0])
    assert rationalise([g], g ** 2 - 2, rel) is None


@pytest.mark.slow
def test_sqrt2_chain_secular_no_weak_limit_against_numerics():
    import numpy as np
    from cgsym.numerics import numeric_pipeline
    from cgsym.arith.rational_form import evaluate_steady_state
    d = cgsym.derive(BENCH / "three-qubit-chain.toml", "secular", False)
    # solved in the eigenbasis: an 8-coordinate population block (20 in the product basis)
    assert d.steady_state.form is not None
    for vals in ({"omega_S": 1.1341, "Omega": 0.0432, "gamma_h": 0.0217, "gamma_c": 0.0123,
                  "T_h": 0.9876, "T_c": 0.4321},
                 {"omega_S": 0.8765, "Omega": 0.0611, "gamma_h": 0.0123, "gamma_c": 0.0311,
                  "T_h": 1.4321, "T_c": 0.3141}):
        J = {p: f.evaluate(vals)[0] for p, f in d.heat_currents.forms}
        num = numeric_pipeline(d.model, vals, "secular", False)
        top = max(abs(v) for v in num.heat_currents.values())
        for p in J:
            assert abs(J[p] - num.heat_currents[p]) <= 1e-9 * top
        assert abs(sum(J.values())) <= 1e-12 * top          # first law
        assert J["h"] > 0 > J["c"]                           # heat from hot to cold
        rho = np.array(evaluate_steady_state(d.steady_state, vals))
        assert np.max(np.abs(rho - num.steady_state)) <= 1e-9
    # the exact first law on the forms
    assert sp.expand(sum(J for _, J in d.heat_currents.currents)) == 0 or \
        cgsym.arith.flintalg.tidy_flint(sum(J for _, J in d.heat_currents.currents)) == 0


def test_sparse_solve_agrees_with_bareiss():
    import random
    from cgsym.arith.flintalg import solve_fraction_free, solve_sparse
    x, y, z = sp.symbols("x y z")
    ring = Ring((x, y, z))
    rng = random.Random(1341)
    n = 6
    A = [[sp.S.Zero] * n for _ in range(n)]
    for i in range(n):
        A[i][i] = 1 + x * (i + 1) + rng.randint(1, 3) * y
        for _ in range(2):
            A[i][rng.randrange(n)] += rng.choice([x, y * z, 2 * x - z, sp.S(3)])
    M = [[ring.from_sympy(e)[0] for e in row] for row in A]
    b = [ring.from_sympy(v)[0] for v in (1, 0, z, 0, 0, x)]
    n1, d1 = solve_fraction_free(ring, M, b)
    n2, d2 = solve_sparse(ring, M, b)
    for u, v in zip(n1, n2):
        assert u * d2 == v * d1          # the same solution, exactly
    sol = sp.Matrix(A).LUsolve(sp.Matrix([1, 0, z, 0, 0, x]))
    assert sp.cancel(ring.to_sympy(n2[2]) / ring.to_sympy(d2) - sol[2]) == 0


def test_eigenbasis_route_chain_secular_weak_against_numerics(monkeypatch):
    """The sqrt(2) chain in the secular regime with the weak-internal limit (a few
    seconds): solved in the eigenbasis (8 population coordinates against 20), rho taken
    back to the product basis with sqrt(2) reduced; agrees with the numeric pipeline."""
    import importlib
    import numpy as np
    from cgsym.numerics import numeric_pipeline
    from cgsym.arith.rational_form import evaluate_steady_state
    S = importlib.import_module("cgsym.steady_state")
    taken = []
    orig = S._eigenbasis_steady_state

    def spy(*args, **kwargs):
        out = orig(*args, **kwargs)
        taken.append(out is not None)
        return out
    monkeypatch.setattr(S, "_eigenbasis_steady_state", spy)
    d = cgsym.derive(BENCH / "three-qubit-chain.toml", "secular", True)
    assert taken == [True]
    form = d.steady_state.form
    assert sp.sqrt(2) in form.atoms
    for i, _ in radical_relations(form.ring, form.back):
        assert form.den.degrees()[i] == 0                  # radical-free denominator
        assert all(x.degrees()[i] <= 1 for x in form.nums)  # reduced numerators
    vals = {"omega_S": 1.1341, "Omega": 0.0432, "gamma_h": 0.0217, "gamma_c": 0.0123,
            "T_h": 0.9876, "T_c": 0.4321}
    J = {p: f.evaluate(vals)[0] for p, f in d.heat_currents.forms}
    num = numeric_pipeline(d.model, vals, "secular", True)
    top = max(abs(v) for v in num.heat_currents.values())
    for p in J:
        assert abs(J[p] - num.heat_currents[p]) <= 1e-9 * top
    assert abs(sum(J.values())) <= 1e-12 * top
    assert J["h"] > 0 > J["c"]
    assert -(J["h"] / vals["T_h"] + J["c"] / vals["T_c"]) > 0   # entropy production
    rho = np.array(evaluate_steady_state(d.steady_state, vals))
    assert np.max(np.abs(rho - num.steady_state)) <= 1e-9
    assert abs(np.trace(rho) - 1) <= 1e-14


def test_rank_modulo_a_prime_only_proves_full_rank():
    from cgsym.steady_state import _rank_at_point, _rank_mod_prime
    x, y = sp.symbols("x y")
    assert _rank_at_point(sp.Matrix([[x, y], [2 * x, 2 * y]]), 1) == 1   # singular: over QQ
    assert _rank_at_point(sp.Matrix([[x, y], [y, x]]), 1) == 2
    # a matrix singular modulo the prime but regular over QQ: decided over QQ
    from cgsym.steady_state import _PRIME
    B = sp.Matrix([[_PRIME, 0], [0, 1]])
    assert _rank_mod_prime(B) == 1
    assert _rank_at_point(B, 1) == 2


def test_real_part_of_real_drops_only_cancelling_imaginary_terms():
    """i-terms that cancel through a radical relation (sqrt(R - w) sqrt(R + w) = 2 s with
    R = sqrt(4 s^2 + w^2)) are dropped; a denominator 1 +- i is rationalised; an i-term
    that does not cancel is an internal error, never dropped."""
    from cgsym.arith.algebra import real_part_of_real
    from cgsym.errors import CgsymError
    w, s = sp.symbols("w s", positive=True)
    R = sp.sqrt(4 * s**2 + w**2)
    v = sp.expand(3 * w + sp.I * sp.sqrt(R - w) * sp.sqrt(R + w) - 2 * sp.I * s)
    assert real_part_of_real(v, "x") == 3 * w
    assert sp.simplify(real_part_of_real(sp.expand(w / (1 + sp.I) + w / (1 - sp.I)), "z")
                       - w) == 0
    with pytest.raises(CgsymError, match="internal error: y is not real"):
        real_part_of_real(sp.expand(w + sp.I * s), "y")
