"""cgsym.arith.balls: rigorous ball values of SymPy expressions (used by reproduce's numerics)."""
import pytest
import sympy as sp

from cgsym.arith.balls import Evaluator, Unsupported, ball_value, certainly_nonzero, complex_value
from cgsym.symbols import n

w, T, O, g = sp.symbols("omega_S T Omega gamma", positive=True)
x = sp.Symbol("x", real=True)
PT = {w: 1.1341, T: 0.9876, O: 0.0432, g: 0.0123, x: -0.4321}

EXPRS = [
    n(w + O, T) * g + sp.I * O / (g + n(w, T)),
    sp.sqrt(2) * sp.cosh(w / T) / (2 + sp.exp(-O / T)),
    (n(w, T) + 1) ** -3 * sp.coth(w / (2 * T)) - sp.tanh(x) * sp.sinh(O),
    sp.sqrt(3 + sp.sqrt(2)) * x ** sp.Rational(1, 3) + sp.Abs(x) * sp.conjugate(g + sp.I * O),
    sp.exp(sp.I * x) * sp.log(w) + sp.re(sp.I * x + w) * sp.im(sp.I * x + w) + sp.pi * sp.E,
    sp.Float("0.1234567890123456789012345", 30) * w ** 7 / (T - sp.Rational(1, 3)),
]


@pytest.mark.parametrize("expr", EXPRS)
def test_value_is_sympys_30_digit_value_rounded_to_double(expr):
    sub = {s: sp.Float(v, 30) for s, v in PT.items()}
    ref = complex(expr.xreplace(sub).evalf(50))
    assert complex_value(expr, PT) == ref
    ball = ball_value(expr, PT)
    assert ball.rad() < 1e-30 * max(abs(ref), 1e-300) + 1e-60


def test_exact_zero_is_never_certified_non_zero_and_evaluates_to_zero():
    zeros = [n(-w, T) + 1 + n(w, T), sp.exp(w / T) * n(w, T) - n(w, T) - 1,
             sp.cosh(x) ** 2 - sp.sinh(x) ** 2 - 1, sp.Mul(sp.sqrt(2) + 1, sp.sqrt(2) - 1, evaluate=False) - 1]
    for z in zeros:
        assert z != 0                      # not zero structurally
        assert not certainly_nonzero(z, PT)
        assert complex_value(z, PT) == 0
    assert certainly_nonzero(n(w, T) - n(w + O, T), PT)
    assert certainly_nonzero(sp.Rational(1, 10**40), {})


def test_shared_subexpressions_and_points():
    ev = Evaluator(PT)
    a = ev.complex(n(w, T))
    assert ev.complex(n(w, T) + 1) == complex(a + 1)  # exact +1 then one rounding
    assert Evaluator({w: sp.Rational(1, 3)}).complex(3 * w) == 1.0


def test_unknown_nodes_missing_symbols_and_poles_are_refused():
    f = sp.Function("f")
    with pytest.raises(Unsupported):
        complex_value(f(w), PT)
    with pytest.raises(Unsupported):
        complex_value(w + sp.Symbol("y"), PT)
    with pytest.raises(Unsupported):
        complex_value(1 / (w - sp.Rational(11341, 10000)), {w: sp.Rational(11341, 10000)})
    assert not certainly_nonzero(f(w), PT)
    assert not certainly_nonzero(1 / (w - 1), {w: 1})
