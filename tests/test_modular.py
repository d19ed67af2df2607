"""The modular solve (``cgsym.arith.modular``): evaluation modulo primes, interpolation, an
exact proof (issue 13, item 5: the four-qubit chain).

* On small random systems it returns the same solution as the Bareiss solve
  (``solve_fraction_free``), exactly (cross-multiplied), with A nums = den b and a
  denominator sharing no factor with all numerators.
* Coefficients too large for one word-size prime are lifted through several primes.
* A singular system raises; a reconstruction that fails the exact proof is never
  returned.
* The four-qubit chain (d = 16, 43-coordinate population block), partial secular,
  weak internal, agrees with the numeric pipeline (slow test).
"""
from __future__ import annotations

import random
from pathlib import Path

import pytest
import sympy as sp

import cgsym
from cgsym.errors import CgsymError
from cgsym.arith.flintalg import Ring, solve_fraction_free
from cgsym.arith.modular import solve_modular

BENCH = Path(__file__).resolve().parent / "benchmarks" / "models"


def _system(seed, n=6, big=1):
    x, y, z = sp.symbols("x y z")
    ring = Ring((x, y, z))
    rng = random.Random(seed)
    A = [[sp.S.Zero] * n for _ in range(n)]
    for i in range(n):
        A[i][i] = 1 + x * (i + 1) + rng.randint(1, 3) * y
        for _ in range(2):
            A[i][rng.randrange(n)] += rng.choice([x, y * z, 2 * x - z, sp.S(3), big * x * y])
    bvec = [1, 0, z, 0, 0, x][:n]
    M = [[ring.from_sympy(e)[0] for e in row] for row in A]
    b = [ring.from_sympy(v)[0] for v in bvec]
    return ring, M, b


def _check(ring, M, b, nums, den):
    for i, row in enumerate(M):                     # A nums = den b, exactly
        acc = ring.ctx.from_dict({})
        for a, v in zip(row, nums):
            acc += a * v
        assert acc == den * b[i]
    g = den
    for v in nums:
        g = g.gcd(v)
    assert g.total_degree() == 0 and abs(int(g.leading_coefficient())) == 1
    assert int(den.leading_coefficient()) > 0


@pytest.mark.parametrize("seed", [1341, 4321, 1, 2, 3, 4, 5, 6])
def test_modular_solve_agrees_with_bareiss(seed):
    ring, M, b = _system(seed)
    n1, d1 = solve_fraction_free(ring, M, b)
    n2, d2 = solve_modular(ring, M, b, seed=seed)
    for u, v in zip(n1, n2):
        assert u * d2 == v * d1                      # the same solution, exactly
    _check(ring, M, b, n2, d2)


def test_modular_solve_lifts_large_coefficients_through_several_primes():
    ring, M, b = _system(1341, big=10 ** 12)
    n1, d1 = solve_fraction_free(ring, M, b)
    n2, d2 = solve_modular(ring, M, b)
    assert max(abs(int(c)) for v in n2 + [d2] for c in v.coeffs()) > 2 ** 40   # >= 3 primes
    for u, v in zip(n1, n2):
        assert u * d2 == v * d1
    _check(ring, M, b, n2, d2)


def test_modular_solve_refuses_a_singular_system():
    x, y = sp.symbols("x y")
    ring = Ring((x, y))
    M = [[ring.from_sympy(e)[0] for e in row] for row in [[x, y], [2 * x, 2 * y]]]
    b = [ring.from_sympy(v)[0] for v in (1, 0)]
    with pytest.raises(CgsymError):
        solve_modular(ring, M, b)


def test_an_unproved_reconstruction_is_never_returned(monkeypatch):
    import cgsym.arith.modular as mod
    ring, M, b = _system(1341)
    real_lift = mod._lift

    def wrong(*args):
        out = real_lift(*args)
        if out is None:
            return None
        nums, den = out
        return [nums[0] + 1] + nums[1:], den        # one coefficient off
    monkeypatch.setattr(mod, "_lift", wrong)
    with pytest.raises(CgsymError, match="no proved solution"):
        solve_modular(ring, M, b, max_primes=2)


@pytest.mark.slow
def test_four_qubit_chain_partial_secular_weak_against_numerics():
    import numpy as np
    from cgsym.numerics import numeric_pipeline
    from cgsym.arith.rational_form import evaluate_steady_state
    d = cgsym.derive(BENCH / "four-qubit-chain.toml", "partial-secular", True)
    form = d.steady_state.form
    assert form is not None and len(form.labels) == 43     # the population block
    for vals in ({"omega_S": 1.1341, "Omega": 0.0432, "gamma_h": 0.0217, "gamma_c": 0.0123,
                  "T_h": 0.9876, "T_c": 0.4321},
                 {"omega_S": 0.8765, "Omega": 0.0611, "gamma_h": 0.0123, "gamma_c": 0.0311,
                  "T_h": 1.4321, "T_c": 0.3141}):
        J = {p: f.evaluate(vals)[0] for p, f in d.heat_currents.forms}
        num = numeric_pipeline(d.model, vals, "partial-secular", True)
        for p in J:
            assert abs(J[p] - num.heat_currents[p]) <= 1e-9 * abs(num.heat_currents[p])
        top = max(abs(v) for v in J.values())
        assert abs(sum(J.values())) <= 1e-12 * top          # first law
        assert J["h"] > 0 > J["c"]                           # heat from hot to cold
        assert -(J["h"] / vals["T_h"] + J["c"] / vals["T_c"]) > 0
        rho = np.array(evaluate_steady_state(d.steady_state, vals))
        ref = np.asarray(num.steady_state)
        assert np.max(np.abs(rho - ref)) <= 1e-9 * np.max(np.abs(ref))
        assert abs(np.trace(rho) - 1) <= 1e-14
        assert np.min(np.linalg.eigvalsh(rho)) > -1e-14     # a state
        # the first law exactly: the exact forms at the same rational atoms
        assert sum(f.evaluate_exact(vals)[0] for _, f in d.heat_currents.forms) == 0


def test_modular_route_gives_the_same_steady_state_as_bareiss(monkeypatch):
    """Forced onto a shipped model's population block (8 coordinates), the modular route
    gives the same exact steady state as the fraction-free solve: every coordinate the
    same cancelled fraction; the trace is 1 exactly."""
    import importlib
    from cgsym.arith.flintalg import canonical_fraction
    S = importlib.import_module("cgsym.steady_state")
    ref = cgsym.derive("two-qubits-two-baths", "partial-secular", True).steady_state.form
    monkeypatch.setattr(S, "MODULAR_FROM", 1)
    used = []
    import cgsym.arith.modular as mod
    orig = mod.solve_modular
    monkeypatch.setattr(mod, "solve_modular", lambda *a, **k: used.append(1) or orig(*a, **k))
    new = cgsym.derive("two-qubits-two-baths", "partial-secular", True).steady_state.form
    assert used
    assert new.labels == ref.labels
    for a, b in zip(ref.nums, new.nums):
        assert (a.is_zero() and b.is_zero()) or \
            canonical_fraction(a, ref.den) == canonical_fraction(b, new.den)
    pops = [k for k, c in enumerate(new.labels) if c[0] == "p"]
    assert sum((new.nums[k] for k in pops), new.ring.ctx.from_dict({})) == new.den


def test_nullity_in_balls_decides_only_what_it_can_prove():
    from cgsym.steady_state import _nullity_in_balls
    a, b, c = sp.Rational(1341, 10000), sp.Rational(4321, 10000), sp.sqrt(2) / 7
    assert _nullity_in_balls(sp.Matrix([[a, b], [c, a]]), []) == 0
    # a rate matrix: the population rows sum to zero (trace preservation), rank n - 1
    W = sp.Matrix([[-a - b, c, 0], [a, -c, b], [b, 0, -b]])
    assert _nullity_in_balls(W, [0, 1, 2]) == 1
    assert _nullity_in_balls(sp.zeros(3, 3), [0, 1, 2]) is None      # nullity 3: not decided
    assert _nullity_in_balls(sp.Matrix([[a, b], [2 * a, 2 * b]]), []) is None
