"""Symbols and special functions shared by every stage, defined once.

Conventions (stated once for the whole package): hbar = k_B = 1, so frequencies
are energies and temperatures are energies.

* ``OMEGA`` is the transition-frequency variable of a reservoir's rate function
  gamma_p(omega) (always evaluated at omega > 0, the |Bohr frequency|).
* ``n(w, T)`` is the Bose-Einstein occupation 1/(exp(w/T) - 1) of paper Eq. (41).
  It stays unevaluated in symbolic results so that they read like the paper
  (n_+ = n(omega_S + Omega, T), ...); ``rewrite_occupations`` turns it into
  exponentials and ``numerics`` lambdifies it with ``expm1``.
"""
from __future__ import annotations

import mpmath
import sympy as sp

#: rate-function variable: gamma_p(omega), omega > 0 the transition frequency
OMEGA = sp.Symbol("omega", positive=True)

#: names a model may not use for its own parameters
RESERVED_NAMES = frozenset(
    {"omega", "n", "I", "E", "pi", "sqrt", "exp", "log", "sin", "cos", "tan",
     "sinh", "cosh", "tanh", "coth", "sx", "sy", "sz", "sp", "sm", "ketbra",
     "proj", "id", "Abs", "Rational", "Integer", "Float", "Symbol", "lambda", "in", "is",
     "if", "or", "and", "not", "for"}
)


class n(sp.Function):
    """Bose-Einstein occupation n(w, T) = 1/(exp(w/T) - 1)  (paper Eq. 41).

    Unevaluated for symbolic arguments; evaluates for numeric ones.  Its
    derivative in w is -n(n+1)/T, and ``rewrite(sp.exp)`` gives the closed form.
    """

    nargs = 2

    @classmethod
    def eval(cls, w, T):
        if w.is_Number and T.is_Number:
            if w.is_zero or T.is_zero:
                return sp.zoo if w.is_zero else None
            if w.is_Float or T.is_Float:
                prec = max(w._prec if w.is_Float else 53, T._prec if T.is_Float else 53)
                return _occupation_float(w, T, prec)
        return None

    def fdiff(self, argindex=1):
        w, T = self.args
        if argindex == 1:
            return -self * (self + 1) / T
        if argindex == 2:
            return self * (self + 1) * w / T**2
        raise sp.ArgumentIndexError(self, argindex)

    def _eval_rewrite_as_exp(self, w, T, **kwargs):
        return 1 / (sp.exp(w / T) - 1)

    def _eval_is_real(self):
        w, T = self.args
        if w.is_real and T.is_real and w.is_nonzero:
            return True
        return None

    def _eval_is_positive(self):
        w, T = self.args
        if w.is_positive and T.is_positive:
            return True
        if w.is_negative and T.is_positive:
            return False
        return None

    def _eval_is_negative(self):
        w, T = self.args
        if w.is_negative and T.is_positive:
            return True
        if w.is_positive and T.is_positive:
            return False
        return None

    def _eval_evalf(self, prec):
        w, T = (a.evalf(prec) for a in self.args)
        if w.is_Number and T.is_Number and not w.is_zero and not T.is_zero:
            return _occupation_float(w, T, prec)
        return None

    def _eval_conjugate(self):
        if self.is_real:
            return self
        return None

    # --- code printers: ``sympy.lambdify`` understands n for every module ---------------
    # lambdify asks the printer of its module for code; each printer calls the hook named
    # by its ``printmethod`` (``_numpycode``, ``_scipycode``, ``_pythoncode`` for math
    # and SymPy, ``_mpmathcode``, ``_lambdacode``, ...).  n(w, T) is written 1/expm1(w/T),
    # which each printer spells for its module (numpy.expm1, math.expm1, mpmath.expm1):
    # accurate for w << T, where 1/(exp(w/T) - 1) loses digits.
    def _code(self, printer, *args, **kwargs):
        from sympy.codegen.cfunctions import expm1
        w, T = self.args
        return printer._print(1 / expm1(w / T))

    _pythoncode = _numpycode = _scipycode = _cupycode = _jaxcode = _code
    _mpmathcode = _lambdacode = _numexprcode = _tensorflowcode = _code


def _occupation_float(w, T, prec):
    with mpmath.workprec(prec):
        val = mpmath.mpf(1) / mpmath.expm1(sp.Float(w, prec)._to_mpmath(prec)
                                           / sp.Float(T, prec)._to_mpmath(prec))
    return sp.Float._new(val._mpf_, prec)


def rewrite_occupations(expr):
    """Replace every n(w, T) by 1/(exp(w/T) - 1)."""
    return sp.sympify(expr).replace(n, lambda w, T: 1 / (sp.exp(w / T) - 1))


#: names sympify needs to read the strings cgsym writes (``n(w, T)``)
SYMPIFY_LOCALS = {"n": n}
