"""flintalg.solve_fraction_free: the cofactor route of small systems (b with one
nonzero entry, the steady state's trace condition) returns exactly Bareiss' polynomials,
sign included (row swaps forced by zero pivots), and refuses a singular system."""
import random

import pytest
import sympy as sp

from cgsym.arith import flintalg
from cgsym.errors import CgsymError

X, Y, Z = sp.symbols("x y z", positive=True)


def _system(rng, n, zeros):
    ring = flintalg.Ring((X, Y, Z))
    pool = [0] * zeros + [1, X, Y - 2, X * Z + 3, Y**2 - X, 2 * Z, X + Y + Z, -3]
    A = [[ring.from_sympy(sp.expand(rng.choice(pool) * rng.choice([1, 2, -1, X])))[0]
          for _ in range(n)] for _ in range(n)]
    return ring, A


def _bareiss(ring, A, b, monkeypatch):
    with monkeypatch.context() as m:
        m.setattr(flintalg, "COFACTOR_MAX", 0)
        return flintalg.solve_fraction_free(ring, A, b)


def test_cofactors_are_bareiss_exactly(monkeypatch):
    rng = random.Random(1341)
    done = 0
    for trial in range(120):
        n = rng.randint(2, 6)
        ring, A = _system(rng, n, zeros=rng.choice([0, 3, 8]))
        r = rng.randrange(n)
        b = [ring.from_sympy(0)[0]] * n
        b[r] = ring.from_sympy(rng.choice([1, X + 1, -2]))[0]
        try:
            ref = _bareiss(ring, A, b, monkeypatch)
        except CgsymError:
            with pytest.raises(CgsymError, match="singular"):
                flintalg.solve_fraction_free(ring, A, b)
            continue
        x, det = flintalg.solve_fraction_free(ring, A, b)
        assert det == ref[1] and list(x) == list(ref[0]), (trial, n, r)
        done += 1
    assert done > 60


def test_pivot_swaps_give_bareiss_sign(monkeypatch):
    ring = flintalg.Ring((X, Y, Z))
    f = lambda e: ring.from_sympy(e)[0]    # noqa: E731
    # zero leading entries force row swaps (one, then two): the sign follows Bareiss
    for rows in ([[0, X, 1], [Y, 1, 0], [1, 0, Z]], [[0, 0, X], [0, Y, 1], [Z, 1, 1]]):
        A = [[f(e) for e in row] for row in rows]
        b = [f(0), f(1), f(0)]
        assert flintalg.solve_fraction_free(ring, A, b) == _bareiss(ring, A, b, monkeypatch)
