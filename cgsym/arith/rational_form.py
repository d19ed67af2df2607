"""The exact common-denominator representation of a derived result.

A steady state (its d^2 real coordinates) or a heat current comes out of the
fraction-free solve as integer polynomials over one common denominator,

    v_k = nums[k] / den,        nums[k], den in ZZ[g_1, ..., g_r],

where each generator g_i stands for an *atom*: a model parameter, an occupation
n(w, T), an exponential or a radical (see :func:`cgsym.arith.algebra.polynomial_form`).
For the large closed forms (10^5 terms without the weak-internal limit) building the
SymPy expression is what costs time, not the solve, so :class:`RationalForm` keeps
the result in python-flint and

* builds SymPy expressions only when asked (:meth:`RationalForm.expression`,
  :meth:`RationalForm.to_sympy`; each cached), in exactly the canonical form the
  pipeline has always returned: num/den cancelled by their gcd, the denominator's
  leading coefficient positive, both factored by flint, atoms substituted back;
* evaluates at a numeric point straight from the polynomials
  (:meth:`RationalForm.evaluate`): the atoms are evaluated at ``dps`` digits from the
  exact binary values of the inputs, rounded to exact rationals, and the polynomials
  evaluated *exactly* over QQ in flint, so the only rounding is that of the atoms
  (~10^-dps relative) and of the final division: no cancellation between 10^5 terms
  can lose digits;
* forms linear combinations with rational coefficients in one step
  (:meth:`RationalForm.linear_combination`: J_p = sum_k c_k v_k, paper Eq. 112);
* pickles (flint's text of the h-weighted polynomials that :meth:`RationalForm.evaluate`
  uses, sign-normalised), for the derivation cache.

This module sits above :mod:`cgsym.arith.flintalg` and below the pipeline stages that
return it (``SteadyState.form``, ``HeatCurrents.forms``).
"""
from __future__ import annotations

from functools import cached_property
from typing import Mapping, Sequence

import flint
import sympy as sp

from ..errors import CgsymError
from .flintalg import Ring, common_denominator, ratio


class RationalForm:
    """Values ``nums[k] / den`` over one common denominator, in flint polynomials.

    Parameters
    ----------
    ring : cgsym.arith.flintalg.Ring
        The polynomial ring; ``ring.gens`` are SymPy symbols (Dummy generators or
        model parameters).
    nums : sequence of flint.fmpz_mpoly
        The numerators.
    den : flint.fmpz_mpoly
        The common denominator (nonzero).
    back : mapping
        Back-substitution generator -> atom, for the generators that stand for a
        non-polynomial atom (n(w, T), a radical, ...); the others are parameters.
    labels : sequence, optional
        One label per value (e.g. the real coordinates ("p", a, a), ("x", a, b)).

    Immutable once built; the SymPy expressions and the QQ copies of the polynomials
    used by :meth:`evaluate` are built on first use and cached.
    """

    __slots__ = ("ring", "nums", "den", "back", "labels", "__dict__")

    def __init__(self, ring: Ring, nums: Sequence, den, back: Mapping, labels: Sequence = ()):
        if den.is_zero():
            raise CgsymError("internal error: a rational form with a zero denominator")
        object.__setattr__(self, "ring", ring)
        object.__setattr__(self, "nums", tuple(nums))
        object.__setattr__(self, "den", den)
        object.__setattr__(self, "back", dict(back))
        object.__setattr__(self, "labels", tuple(labels) if labels else tuple(range(len(nums))))
        if len(self.labels) != len(self.nums):
            raise CgsymError("internal error: one label per numerator")

    def __setattr__(self, name, value):
        raise AttributeError("RationalForm is immutable")

    # -- structure -----------------------------------------------------------
    def __len__(self) -> int:
        return len(self.nums)

    def __repr__(self) -> str:
        return (f"RationalForm({len(self)} values over a common denominator, "
                f"{self.term_count()} terms, generators {list(self.atoms)})")

    @property
    def generators(self) -> tuple:
        return self.ring.gens

    @cached_property
    def atoms(self) -> tuple:
        """What each generator stands for (a parameter stands for itself)."""
        return tuple(self.back.get(g, g) for g in self.ring.gens)

    def term_count(self) -> int:
        """Number of terms of all numerators and the denominator (the size that
        building SymPy expressions costs)."""
        return sum(len(p) for p in self.nums) + len(self.den)

    def index(self, label) -> int:
        try:
            return self.labels.index(label)
        except ValueError:
            raise CgsymError(f"internal error: no value labelled {label!r}") from None

    # -- SymPy, lazily ---------------------------------------------------------
    def expression(self, k: int) -> sp.Expr:
        """The k-th value as a SymPy expression (canonical form of
        :func:`cgsym.arith.flintalg.ratio`, factored, atoms substituted back); cached."""
        cache = self.__dict__.setdefault("_expressions", {})
        if k not in cache:
            cache[k] = self._ratio(self.nums[k], self.den)
        return cache[k]

    def _sympy(self, p) -> sp.Expr:
        """p as a SymPy sum, built directly in the atoms: the same expression as
        ``Ring.to_sympy(p).xreplace(back)`` (SymPy's ``expr_from_dict``: Add of
        Mul(coefficient, Pow(atom, e), ...)) without building it twice."""
        if p.is_zero():
            return sp.S.Zero
        atoms = self.atoms
        Pow, Mul, Integer = sp.Pow, sp.Mul, sp.Integer
        terms = []
        for mon, c in zip(p.monoms(), p.coeffs()):
            term = [Integer(int(c))]
            for a, e in zip(atoms, mon):
                if e:
                    term.append(Pow(a, int(e)))
            terms.append(Mul(*term))
        return sp.Add(*terms)

    def _factored(self, p) -> sp.Expr:
        c, facs = p.factor()
        out = sp.Integer(int(c))
        for f, e in facs:
            out *= self._sympy(f) ** int(e)
        return out

    def _ratio(self, num, den) -> sp.Expr:
        """The canonical form of :func:`cgsym.arith.flintalg.ratio` followed by the
        back-substitution of the atoms, built in the atoms directly."""
        if num.is_zero():
            return sp.S.Zero
        from .flintalg import canonical_fraction
        num, den = canonical_fraction(num, den)
        return self._factored(num) / self._factored(den)

    def to_sympy(self) -> tuple:
        """Every value as a SymPy expression (cached)."""
        return tuple(self.expression(k) for k in range(len(self)))

    # -- algebra ---------------------------------------------------------------
    def linear_combination(self, coefficients: Sequence, label=None) -> "RationalForm":
        """sum_k c_k v_k as a one-value form over the common denominator.

        ``coefficients`` are SymPy expressions, rational in the atoms (e.g.
        c_k = Tr[H_S D_p[E_k]]); atoms are matched to this form's generators.
        """
        if len(coefficients) != len(self):
            raise CgsymError("internal error: one coefficient per value")
        ring = self.ring
        fwd = {v: k for k, v in self.back.items()}
        pairs = []
        for c, x in zip(coefficients, self.nums):
            c = sp.sympify(c).xreplace(fwd)
            if c.free_symbols - set(ring.gens):
                raise CgsymError("internal error: a coefficient outside the ring of the form")
            cn, cd = ring.from_rational(c)
            pairs.append((cn * x, cd))
        terms, q_all = common_denominator(ring, pairs)
        acc = ring.ctx.from_dict({})
        for t in terms:
            acc += t
        return RationalForm(ring, (acc,), self.den * q_all, self.back,
                            (label,) if label is not None else ())

    # -- numbers ---------------------------------------------------------------
    @cached_property
    def _weighted(self):
        """Each numerator and the denominator with every generator weighted by one extra
        variable h: q(g, h) = p(g_1 h, ..., g_r h) (fmpz_mpoly), for exact evaluation at a
        rational point with integer arithmetic only (:meth:`evaluate_exact`).

        Returns ``(names, nums, den)`` with each polynomial as a pair ``(sign, q)``:
        the value is ``sign * q``.  A form read from the cache keeps its weighted
        polynomials as flint text, sign-normalised (leading coefficient positive), and
        parses each distinct text once per process (:func:`_parse_weighted`): J_c =
        -J_h of two reservoirs over one denominator is parsed and evaluated once."""
        if "_wtexts" in self.__dict__:
            names, ctx2 = _weighted_ctx(self.ring.ctx.nvars())
            nums, den = self.__dict__["_wtexts"]
            return (names, tuple((sg, _parse_weighted(t, ctx2)) for sg, t in nums),
                    (den[0], _parse_weighted(den[1], ctx2)))
        ctx = self.ring.ctx
        names, ctx2 = _weighted_ctx(ctx.nvars())
        gens = ctx2.gens()
        h = gens[-1]
        sub = [gens[i] * h for i in range(ctx.nvars())]
        conv = lambda p: (1, p.compose(*sub, ctx=ctx2))  # noqa: E731 - flint, in C
        return names, tuple(conv(p) for p in self.nums), conv(self.den)

    def generator_values(self, values: Mapping, dps: int = 40) -> tuple:
        """Exact rationals (flint.fmpq) of the generators at a point.

        ``values`` maps parameter names (or symbols) to real numbers.  A float input
        is taken at its exact binary value; each atom is evaluated at ``dps``
        significant digits and rounded to a rational.
        """
        subs = {}
        for k, v in values.items():
            name = k if isinstance(k, str) else k.name
            subs[name] = sp.Rational(v) if not isinstance(v, sp.Basic) else v
        out = []
        for g, atom in zip(self.ring.gens, self.atoms):
            pt = {}
            for s in atom.free_symbols:
                if s.name not in subs:
                    raise CgsymError(f"no value for parameter '{s.name}'")
                pt[s] = subs[s.name]
            e = atom.xreplace(pt)
            if e.is_Rational:
                out.append(flint.fmpq(int(e.p), int(e.q)))
                continue
            from ..symbols import n as occ
            # evalf is adaptive: exp(w/T) - 1 keeps its digits for small w/T
            e = e.replace(occ, lambda w, T: 1 / (sp.exp(w / T) - 1)) if e.has(occ) else e
            val = sp.N(e, dps)
            if not val.is_real or not val.is_finite:
                raise CgsymError(f"the atom {sp.sstr(atom)} is not a finite real number at "
                                 f"this point ({sp.sstr(val)})")
            r = sp.Rational(val)
            out.append(flint.fmpq(int(r.p), int(r.q)))
        return tuple(out)

    def evaluate_exact(self, values: Mapping, dps: int = 40) -> tuple:
        """The values as exact rationals of the rounded atoms (flint.fmpq).

        With the atoms x_i = a_i / L over one common denominator L (a power of two for
        float inputs), p(x) = sum_d p_d(a) / L^d, where p_d is the homogeneous part of
        degree d: the weighted form q(a, h) = sum_d p_d(a) h^d is one integer
        substitution in flint (no rational arithmetic term by term), then the few
        coefficients are combined exactly.  The same rational numbers as evaluating p
        over QQ, several times faster for 10^4-10^5 terms.
        """
        x = self.generator_values(values, dps)
        if not x:   # a ring without generators has one dummy variable
            x = (flint.fmpq(0),)
        L = flint.fmpz(1)
        for q in x:
            L = L.lcm(q.q)
        a = [q.p * (L // q.q) for q in x]
        names, nums, den = self._weighted
        point = dict(zip(names, a))
        key = (L, tuple(a))

        def value(signed):
            sign, q = signed
            memo = _VALUES.get((id(q), key))
            if memo is not None and memo[0] is q:       # the same polynomial object
                return sign * memo[1]
            u = q.subs(point) if point else q    # a polynomial in h alone
            if u.is_zero():
                v = flint.fmpq(0)
            else:
                degs = [m[-1] for m in u.monoms()]
                top = max(degs)
                total = flint.fmpz(0)
                for d, c in zip(degs, u.coeffs()):
                    total += c * L ** (top - d)
                v = flint.fmpq(total, L ** top)
            if len(_VALUES) >= 64:
                _VALUES.clear()
            _VALUES[(id(q), key)] = (q, v)
            return sign * v
        dv = value(den)
        if dv == 0:
            raise CgsymError("the common denominator of the closed forms vanishes at this "
                             "point (outside their domain; use --numeric)")
        return tuple(value(p) / dv for p in nums)

    def evaluate(self, values: Mapping, dps: int = 40) -> tuple:
        """The values at a point as Python floats (see the module docstring): exact over
        QQ at ``dps``-digit atoms, rounded once."""
        # int / int is correctly rounded in Python, however large the integers
        return tuple(int(q.p) / int(q.q) for q in self.evaluate_exact(values, dps))

    def prepare_numeric(self) -> "RationalForm":
        """Build the weighted copies used by :meth:`evaluate` now."""
        self._weighted
        return self

    # -- persistence (the derivation cache) --------------------------------------
    def __getstate__(self):
        # What evaluate needs, in the form cheapest to read back: flint's own text of
        # each *h-weighted* polynomial (ring names v0, v1, ..., h), sign-normalised
        # (parsed in C, once per distinct text; no weighting pass on load).  The
        # numerators and the denominator themselves are q(g, 1), rebuilt exactly and
        # only when asked for (printing, compact forms).
        wt = self.__dict__.get("_wtexts")
        if wt is None:
            _, nums, den = self._weighted
            wt = ([_signed_text(sg * q) for sg, q in nums], _signed_text(den[0] * den[1]))
        return {"format": 2, "gens": self.ring.gens, "weighted": wt, "back": self.back,
                "labels": self.labels}

    def __setstate__(self, state):
        if state.get("format") != 2:
            raise CgsymError("internal error: a RationalForm pickled by another cgsym")
        object.__setattr__(self, "ring", Ring(state["gens"]))
        object.__setattr__(self, "back", dict(state["back"]))
        object.__setattr__(self, "labels", tuple(state["labels"]))
        nums, den = state["weighted"]
        self.__dict__["_wtexts"] = ([(int(sg), t) for sg, t in nums], (int(den[0]), den[1]))

    def __getattr__(self, name):
        # numerators and denominator of a form read from a cache entry: p(g) = q(g, 1)
        if name in ("nums", "den") and "_wtexts" in self.__dict__:
            _, nums, den = self._weighted
            ctx = self.ring.ctx
            back = list(ctx.gens()) + [ctx.from_dict({(0,) * ctx.nvars(): 1})]
            unweight = lambda sq: sq[0] * sq[1].compose(*back, ctx=ctx)  # noqa: E731
            object.__setattr__(self, "nums", tuple(unweight(sq) for sq in nums))
            object.__setattr__(self, "den", unweight(den))
            return object.__getattribute__(self, name)
        raise AttributeError(name)


#: the weight variable of :attr:`RationalForm._weighted` (the ring's names are v0, v1, ...)
_WEIGHT = "h"

#: exact values of weighted polynomials at the last points: (id(q), point) -> (q, value)
_VALUES: dict = {}

#: weighted polynomials parsed from cache texts: (context names, text) -> fmpz_mpoly
_PARSED: dict = {}


def _weighted_ctx(nvars: int):
    names = tuple(f"v{i}" for i in range(nvars))
    return names, flint.fmpz_mpoly_ctx.get(names + (_WEIGHT,), "lex")


def _signed_text(q) -> tuple:
    """(sign, text of sign * q) with a positive leading coefficient (0 -> (1, "0"))."""
    if q.is_zero():
        return (1, q.str())
    if q.leading_coefficient() < 0:
        return (-1, (-q).str())
    return (1, q.str())


def _parse_weighted(text: str, ctx2):
    """flint's text of a weighted polynomial, parsed once per process and context."""
    key = (ctx2.names(), text)
    q = _PARSED.get(key)
    if q is None:
        if len(_PARSED) >= 64:
            _PARSED.clear()
        q = _PARSED[key] = flint.fmpz_mpoly(text, ctx2)
    return q


def evaluate_steady_state(ss, values: Mapping, dps: int = 40) -> list:
    """rho_ss at a point, as a d x d list of Python complex numbers, from ``ss.form``.

    The form's labels are the real coordinates of rho (``cgsym.steady_state``):
    ("p", a, a) -> rho_aa; ("x", a, b) -> Re rho_ab = Re rho_ba; ("y", a, b) ->
    Im rho_ab = -Im rho_ba (the basis elements E_c of ``SteadyState.basis_element``).
    """
    form = ss.form
    if form is None:
        raise CgsymError("internal error: this steady state has no exact form")
    d = ss.master_equation.dim
    rho = [[0j] * d for _ in range(d)]
    for (kind, a, b), x in zip(form.labels, form.evaluate(values, dps)):
        if kind == "p":
            rho[a][a] += x
        elif kind == "x":
            rho[a][b] += x
            rho[b][a] += x
        else:
            rho[a][b] += 1j * x
            rho[b][a] -= 1j * x
    return rho
