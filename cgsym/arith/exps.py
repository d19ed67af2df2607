"""Exponentials as Laurent monomials of independent generators (an Ohmic rate's
exp(-w/omega_c) at w = omega_S, omega_S +- Omega, ...), so exact arithmetic knows
exp(a) exp(b) = exp(a + b) and exp(a) exp(-a) = 1."""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from sympy import ilcm


def _terms(e) -> dict:
    """{monomial m: rational c} with e's argument = sum c m (expanded)."""
    terms: dict = {}
    for t in sp.Add.make_args(sp.expand(e.args[0])):
        c, m = t.as_coeff_Mul()
        if not c.is_Rational:
            c, m = sp.S.One, t
        terms[m] = terms.get(m, 0) + c
    return {m: c for m, c in terms.items() if c}


#: largest denominator q_m a generator takes: exp(-w/(997 wc)) next to exp(-w/(991 wc))
#: would need t = exp(w/(988027 wc)) and powers near 10^6 (a compact pass that did not
#: finish in 150 s), exp(c + 10^-8) powers of 10^8; such monomials stay off the lattice
#: (their exponentials are independent atoms, as before the lattice).  278/221 works.
MAX_Q = 1000


@dataclass(frozen=True)
class ExpLattice:
    """Generators t_m = exp(s_m m / q_m), one per monomial m of the exponentials'
    arguments (q_m: the lcm of the denominators of m's coefficients; s_m = +-1, the
    orientation).  Every exp(sum c_m m) is prod t_m^(s_m c_m q_m), an integer power:
    the map keeps every value, so equal images prove equality.  A monomial whose q_m
    exceeds MAX_Q has no generator: an exponential using it is off the lattice."""

    monomials: tuple        # (m, q_m, s_m, t_m)

    @classmethod
    def of(cls, exps, orient: bool = False) -> "ExpLattice":
        """The lattice of ``exps``.  ``orient``: each t_m points the way most of the
        exponentials' coefficients of m do (ties: decaying, exp(-m/q)), so a single
        exp(-w/omega_c) is its own generator; else every s_m = +1."""
        coeffs = [_terms(e) for e in exps]
        q, sign = {}, {}
        for terms in coeffs:
            for m, c in terms.items():
                q[m] = ilcm(q.get(m, 1), int(sp.Rational(c).q))
                sign[m] = sign.get(m, 0) + (1 if c > 0 else -1)
        out = []
        q = {m: qm for m, qm in q.items() if qm <= MAX_Q}
        for k, m in enumerate(sorted(q, key=sp.default_sort_key)):
            s = (1 if sign[m] > 0 else -1) if orient else 1
            out.append((m, q[m], s, sp.Dummy(f"t{k}", positive=True)))
        return cls(tuple(out))

    def powers(self, e):
        """{t_m: integer k} with exp ``e`` = prod t_m^k, or None when its argument is not
        an integer combination of the generators (a monomial the lattice does not have,
        a coefficient off the lattice)."""
        table = {m: (qm, s, t) for m, qm, s, t in self.monomials}
        out = {}
        for m, c in _terms(e).items():
            if m not in table:
                return None
            qm, s, t = table[m]
            k = c * qm * s
            if not k.is_Integer:
                return None
            out[t] = int(k)
        return out

    def image(self, e):
        """exp ``e`` as a SymPy product of powers of the generators (None: off the
        lattice)."""
        p = self.powers(e)
        return None if p is None else sp.Mul(*(t ** k for t, k in p.items()))

    def values(self) -> dict:
        """{t_m: exp(s_m m / q_m)}."""
        return {t: sp.exp(s * m / qm) for m, qm, s, t in self.monomials}

    def map(self, expr):
        """``expr`` with every exponential on the lattice written as its image."""
        def value(x):
            img = self.image(x)
            return x if img is None else img
        return sp.sympify(expr).replace(lambda x: isinstance(x, sp.exp), value)

    def relates(self, exps) -> bool:
        """Whether the lattice knows a relation between ``exps``: some exponential is
        not a distinct generator to the power 1 (else reading them as independent
        atoms is already exact)."""
        seen = set()
        for e in exps:
            p = self.powers(e)
            if p is None or len(p) != 1:
                return True
            (t, k), = p.items()
            if k != 1 or t in seen:
                return True
            seen.add(t)
        return False
