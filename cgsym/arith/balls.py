"""Rigorous values of SymPy expressions at a point: ball arithmetic (python-flint ``acb``).

:func:`ball_value` walks an expression tree once (shared subexpressions once) and
returns an ``acb`` ball that is guaranteed to contain the exact value at the point:
rationals enter exactly, a Python float enters as its exact binary value, and every
operation rounds outward.  Two uses follow:

* a **proof of non-zeroness**: a ball that excludes 0 proves the expression is not
  identically zero (:func:`certainly_nonzero`);
* **values to a stated accuracy** (:func:`complex_value`): the working precision is
  raised until both parts are known to ``bits`` relative bits, then the midpoints are
  rounded to double precision, to nearest as SymPy's ``complex(Float)`` does.  A part
  whose ball excludes 0 is never reported as 0; a part is reported as 0 only when its
  ball is exactly 0, or when it still contains 0 at the highest working precision with
  a radius below 2**-(bits + 60) (then |part| < 2**-(bits + 60): a value that small
  may be a tiny non-zero rounded to 0).

It is much cheaper than substituting SymPy Floats and calling ``evalf`` (no SymPy
object is built), which is what ``cgsym reproduce`` spends its numeric checks on.
Only the nodes listed in ``_FUNCS`` and the arithmetic of Add, Mul and Pow are
understood; anything else raises :class:`Unsupported`, and callers then fall back to
SymPy's own evaluation, so the answer never depends on this module knowing a node.
"""
from __future__ import annotations

from typing import Mapping

import flint
import sympy as sp
from mpmath import libmp

from ..symbols import n

__all__ = ["Evaluator", "Unsupported", "ball_value", "certainly_nonzero", "complex_value", "exact_ball"]


class Unsupported(Exception):
    """The expression holds a node that :func:`ball_value` cannot evaluate."""


def _coth(z):
    return z.coth()


_FUNCS = {
    sp.exp: lambda z: z.exp(), sp.cosh: lambda z: z.cosh(), sp.sinh: lambda z: z.sinh(),
    sp.tanh: lambda z: z.tanh(), sp.coth: _coth, sp.log: lambda z: z.log(),
    sp.cos: lambda z: z.cos(), sp.sin: lambda z: z.sin(),
    sp.conjugate: lambda z: z.conjugate(), sp.re: lambda z: flint.acb(z.real),
    sp.im: lambda z: flint.acb(z.imag),
}


def exact_ball(v) -> flint.acb:
    """An exact ball for a Python number, a SymPy Rational or a SymPy Float."""
    if isinstance(v, bool):
        raise Unsupported(f"{v!r} is not a number")
    if isinstance(v, int):
        return flint.acb(v)
    if isinstance(v, float):
        return flint.acb(flint.arb(v))             # the exact binary value
    if isinstance(v, complex):
        return flint.acb(flint.arb(v.real), flint.arb(v.imag))
    v = sp.sympify(v)
    if v.is_Integer:
        return flint.acb(int(v))
    if v.is_Rational:
        return flint.acb(flint.arb(flint.fmpq(int(v.p), int(v.q))))
    if v.is_Float:
        sign, man, exp, _ = v._mpf_
        if man == 0 and exp != 0:                  # inf, nan
            raise Unsupported(f"{v} is not finite")
        return flint.acb(flint.arb(flint.fmpz(-man if sign else man)) * flint.arb(2) ** exp) \
            if exp >= 0 else flint.acb(flint.arb(flint.fmpz(-man if sign else man))
                                       / flint.arb(2) ** (-exp))
    raise Unsupported(f"{v} is not an exact number")


class Evaluator:
    """Values of expressions at one point; subexpressions shared between calls are
    evaluated once per working precision."""

    def __init__(self, point: Mapping):
        self.point = dict(point)
        self._memo: dict[int, tuple[dict, dict]] = {}

    def ball(self, expr, prec: int = 128) -> flint.acb:
        """A ball holding the value of ``expr`` at ``prec`` working bits (see
        :func:`ball_value`)."""
        old = flint.ctx.prec
        flint.ctx.prec = prec
        try:
            if prec not in self._memo:      # a rational point value is rounded at prec
                self._memo[prec] = ({s: (v if isinstance(v, flint.acb) else exact_ball(v))
                                     for s, v in self.point.items()}, {})
            pt, memo = self._memo[prec]
            return _walk(sp.sympify(expr), pt, memo)
        finally:
            flint.ctx.prec = old

    def complex(self, expr, bits: int = 100,
                precs: tuple[int, ...] = (128, 256, 1024)) -> complex:
        """The value as a Python complex, each part correct to ``bits`` relative bits
        before rounding to double (precision raised along ``precs``).

        A part is 0.0 only if its ball is exactly 0, or if the ball still contains 0 at
        the last precision ``precs[-1]`` and has a radius below 2**-(bits + 60): then
        the part is known only to be smaller than that in modulus (a true zero, or a
        non-zero below 2**-(bits + 60) that this precision cannot separate from 0).
        A ball that excludes 0 always gives its (rounded) midpoint, however small.

        Raises :class:`Unsupported` (unknown node, pole, or accuracy not reached): the
        caller then evaluates another way.
        """
        expr = sp.sympify(expr)
        for prec in precs:
            z = self.ball(expr, prec)
            if not z.is_finite():
                raise Unsupported("the value is not finite (a pole at the point?)")
            final = prec == precs[-1]
            re, im = _part(z.real, bits, final), _part(z.imag, bits, final)
            if re is not None and im is not None:
                return complex(re, im)
        raise Unsupported("accuracy not reached")


def ball_value(expr, point: Mapping, prec: int = 128) -> flint.acb:
    """A ball holding the value of ``expr`` with every symbol replaced by ``point[s]``
    (an ``acb``, or a number :func:`exact_ball` accepts), at ``prec`` working bits.

    Raises :class:`Unsupported` for a node it cannot evaluate (or a symbol without a
    value); never returns an unreliable value: a division by a ball containing 0 gives
    a non-finite ball.
    """
    return Evaluator(point).ball(expr, prec)


def _walk(e, pt, memo):
    got = memo.get(e)
    if got is not None:
        return got
    if e.is_Symbol:
        try:
            out = pt[e]
        except KeyError:
            raise Unsupported(f"no value for {e}") from None
    elif e.is_Number:
        if e.is_Rational:
            out = exact_ball(e)
        elif e.is_Float:
            out = exact_ball(e)
        else:
            raise Unsupported(f"{e}")
    elif e.is_Add:
        args = e.args
        out = _walk(args[0], pt, memo)
        for a in args[1:]:
            out = out + _walk(a, pt, memo)
    elif e.is_Mul:
        args = e.args
        out = _walk(args[0], pt, memo)
        for a in args[1:]:
            out = out * _walk(a, pt, memo)
    elif e.is_Pow:
        b, x = e.args
        base = _walk(b, pt, memo)
        if x.is_Integer:
            k = int(x)
            out = base ** k if k >= 0 else 1 / base ** (-k)
        elif x == sp.S.Half:
            out = base.sqrt()
        elif x.is_Rational:
            out = base ** flint.acb(flint.arb(flint.fmpq(int(x.p), int(x.q))))
        else:
            out = base ** _walk(x, pt, memo)
    elif e is sp.I:
        out = flint.acb(0, 1)
    elif e is sp.pi:
        out = flint.acb.pi()
    elif e is sp.E:
        out = flint.acb(1).exp()
    elif isinstance(e, n):
        w, T = (_walk(a, pt, memo) for a in e.args)
        out = 1 / (w / T).expm1()
    elif e.func in _FUNCS and len(e.args) == 1:
        out = _FUNCS[e.func](_walk(e.args[0], pt, memo))
    elif isinstance(e, sp.Abs):
        out = flint.acb(abs(_walk(e.args[0], pt, memo)))
    else:
        raise Unsupported(f"cannot evaluate {type(e).__name__} in ball arithmetic")
    memo[e] = out
    return out


def certainly_nonzero(expr, point: Mapping, prec: int = 128) -> bool:
    """True only if ``expr`` is provably non-zero at ``point`` (its ball excludes 0);
    False when undecided (a ball containing 0, a pole, an unsupported node)."""
    try:
        z = ball_value(expr, point, prec)
    except (Unsupported, ZeroDivisionError, ValueError):
        return False
    return z.is_finite() and not z.contains(0)


def _to_float(x: flint.arb) -> float:
    """The midpoint of x rounded to the nearest float (as ``float(sp.Float)`` does)."""
    man, exp = x.mid().man_exp()
    return libmp.to_float(libmp.from_man_exp(int(man), int(exp)), rnd=libmp.round_nearest)


def _part(x: flint.arb, bits: int, final: bool = True):
    """float of one part if it is known to ``bits`` relative bits; 0.0 if the ball is
    exactly 0, or (``final``: no more precision to come) contains 0 with a radius below
    2**-(bits + 60); else None (more precision needed)."""
    if x.is_exact() and x.mid() == 0:
        return 0.0
    if x.contains(0):
        return 0.0 if final and x.rad() < flint.arb(2) ** (-(bits + 60)) else None
    if x.rel_accuracy_bits() >= bits:
        return _to_float(x)
    return None


def complex_value(expr, point: Mapping, bits: int = 100) -> complex:
    """:meth:`Evaluator.complex` at one point."""
    return Evaluator(point).complex(expr, bits)
