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
