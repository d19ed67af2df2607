"""Exact algebra helpers: canonical forms for rational functions of parameters
and occupations.

SymPy's rational-function machinery is fast over polynomial rings QQ[x, ...]
(python-flint ground types) but slow in the generic EX domain it falls back
to for expressions containing n(w, T), exp(...) or radicals.  ``polynomial_form``
replaces each such outermost atom by a Dummy generator, so that ``cancel`` and
``factor`` work over QQ(gens); ``tidy`` applies that and substitutes back.
"""
from __future__ import annotations

import sympy as sp


def nonpolynomial_atoms(exprs) -> set:
    """Outermost function applications and non-integer powers in ``exprs``."""
    atoms = set()
    for e in exprs:
        e = sp.sympify(e)
        if e.is_number and not e.has(sp.Function):
            # numeric radicals such as sqrt(2) also become generators
            pass
        for a in sp.preorder_traversal(e):
            if isinstance(a, sp.Function) or (isinstance(a, sp.Pow) and not a.exp.is_Integer):
                atoms.add(a)
    # all of them: xreplace substitutes top-down, so an atom nested inside another
    # (sqrt(..) inside n(..)) is only replaced where it stands on its own
    return atoms


def polynomial_form(obj):
    """(obj with atoms replaced by Dummy generators, back-substitution dict)."""
    seq = list(obj) if isinstance(obj, sp.MatrixBase) else [obj]
    atoms = nonpolynomial_atoms(seq)
    gens = {a: sp.Dummy(f"g{i}") for i, a in enumerate(sorted(atoms, key=sp.default_sort_key))}
    back = {v: k for k, v in gens.items()}
    return sp.sympify(obj).xreplace(gens) if not isinstance(obj, sp.MatrixBase) \
        else obj.xreplace(gens), back


def tidy(expr, factor: bool = True):
    """Canonical form: a cancelled (and factored) rational function of the parameters
    and occupations; atoms such as n(w, T) are kept intact."""
    expr = sp.sympify(expr)
    if expr == 0 or expr.is_Number:
        return expr
    p, back = polynomial_form(expr)
    q = sp.cancel(sp.together(p))
    if factor:
        q = sp.factor(q)
    return q.xreplace(back)


def real_part_of_real(v, what: str):
    """The expanded ``v`` of a quantity known to be real (a Liouvillian entry on real
    coordinates, Tr[A E] with A, E Hermitian).  With a complex coupling its text can
    carry i-terms that cancel only through relations among radicals
    (sqrt(R - w) sqrt(R + w) = sqrt(R^2 - w^2)), which the polynomial ring does not
    know: they are dropped after checking at two odd points that they sum to zero (an
    i-term that does not cancel is an internal error naming ``what``, never dropped)."""
    if not v.has(sp.I):
        return v
    real, imag = [], []
    for t in sp.Add.make_args(v):
        if not t.has(sp.I):
            real.append(t)
            continue
        num, den = t.as_numer_denom()
        if den.has(sp.I):                 # (a + i b) in a denominator: times its conjugate
            conj = den.xreplace({sp.I: -sp.I})
            num, den = sp.expand(num * conj), sp.expand(den * conj)
            if den.has(sp.I):
                return v
        for u in sp.Add.make_args(sp.expand(num)):
            rest = sp.expand(u / sp.I)
            if not u.has(sp.I):
                real.append(u / den)
            elif not rest.has(sp.I):
                imag.append(rest / den)
            else:
                return v                  # i inside a function: keep (the caller refuses)
    im = sp.Add(*imag)
    re = sp.Add(*real)
    from ..errors import CgsymError
    from ..symbols import rewrite_occupations
    checked = 0
    syms = sorted(v.free_symbols, key=lambda q: q.name)
    for x in (sp.Rational(11341, 10000), sp.Rational(4321, 10000), sp.Rational(27183, 10000),
              sp.Rational(577, 1000)):
        pt = {s: x * (1 + sp.Rational(j, 7)) for j, s in enumerate(syms)}
        try:
            a = complex(rewrite_occupations(im.xreplace(pt)).evalf(30))
            b = complex(rewrite_occupations(re.xreplace(pt)).evalf(30))
        except (TypeError, ZeroDivisionError):   # a pole or n(0) at this point: another
            continue
        if not (abs(a) <= 1e-20 * (1 + abs(b))):
            raise CgsymError(f"internal error: {what} is not real")
        checked += 1
        if checked == 2:
            return re
    raise CgsymError(f"internal error: {what} could not be checked to be real")
