r"""Reproduce Cresser & Facer equation by equation: records, comparisons, runner.

``cgsym reproduce [--out DIR] [--format text|json]`` runs every derivation
script in ``derivations/`` (one per paper section; an installed package ships them
as ``cgsym.derivations``, so it runs in any directory), prints a table of verdicts,
writes ``DIR/reproduction.json`` and a standalone ``DIR/reproduction.tex`` and
exits with status 1 when a verdict differs from the committed regression record
``cgsym/data/verdicts.json``.

Each script compares the paper's equations *as printed* with what cgsym
derives, and records one :class:`Record` per equation:

``reproduced``
    the exact symbolic difference is zero (after substituting the paper's own
    definitions), confirmed numerically at odd parameter points;
``erratum``
    it differs; the record then holds the form cgsym derives and evidence from
    an independent route (the numeric pipeline of :mod:`cgsym.numerics` at odd
    points, the QuTiP oracle of ``tests/qutip_oracle.py`` where available);
``undecided``
    the exact zero test (:func:`exact_zero`) could prove the difference neither zero
    nor non-zero; the record says so and the run goes on (never a guessed verdict).

This module holds the reusable parts so that the scripts only transcribe and
compare:

* reading printed LaTeX: scalars (:func:`read_scalar`, through
  :mod:`cgsym.latex_reader`), operators and master equations
  (:func:`read_operator`, :func:`read_superoperator`: operator symbols become
  non-commuting SymPy symbols, the column-stacking superoperator follows);
* comparisons: :func:`compare_scalar`, :func:`compare_matrix` (exact difference,
  then numeric confirmation), :func:`fit_terms` (the printed term structure with
  the coefficients cgsym derives), :func:`ketbra_form` (a dissipator written as
  :math:`\sum c\, L_{ab}\rho L_{cd} - \frac12\{K, \rho\}` in a labelled basis);
* the runner: :func:`run`, :func:`main`.

Conventions are cgsym's (hbar = k_B = 1, column stacking,
:math:`J = J_{hot} - J_{cold}` for the paper's current of Eqs. 112 and 138).
"""
from __future__ import annotations

import dataclasses
import importlib.util
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

import sympy as sp

from .errors import CgsymError
from .latex_reader import SymbolTable, read_latex
from .operators import ImmutableMatrix, kron, sprepost
from .symbols import SYMPIFY_LOCALS, n, rewrite_occupations

#: "undecided": the exact zero test could prove the difference neither zero nor
#: non-zero (:class:`UndecidedZero`); recorded with its evidence, never guessed
VERDICTS = ("reproduced", "erratum", "undecided")
#: relative tolerance of a numeric confirmation (double precision, well-conditioned)
NUMERIC_RTOL = 1e-9

__all__ = [
    "Comparison", "EquationSet", "Record", "UndecidedZero", "VERDICTS", "compare_matrix", "compare_scalar",
    "exact_zero", "exponential_form", "fit_terms", "ketbra_form", "load_derivations",
    "main", "numeric_route", "numeric_value", "odd_points", "pmatrix", "read_operator", "read_scalar",
    "read_superoperator", "recorded_verdicts", "run", "split_lines", "superoperator_latex", "tidy",
]


# ---------------------------------------------------------------------------
# records
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Record:
    """The outcome for one printed equation (or one claim of the text)."""

    number: str
    section: str
    verdict: str
    printed_latex: str
    derived_latex: str
    derived: sp.Expr | None = None
    definitions: tuple[tuple[str, sp.Expr], ...] = ()
    evidence: str = ""
    seconds: float = 0.0

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise CgsymError(f"Eq. {self.number}: verdict '{self.verdict}' is not one of "
                             f"{', '.join(VERDICTS)}")
        if self.verdict in ("erratum", "undecided") and not self.evidence.strip():
            raise CgsymError(f"Eq. {self.number}: an {self.verdict} verdict needs evidence")

    def to_json(self) -> dict:
        return {
            "number": self.number,
            "section": self.section,
            "verdict": self.verdict,
            "printed_latex": self.printed_latex,
            "derived_latex": self.derived_latex,
            "derived": None if self.derived is None else sp.sstr(self.derived),
            "definitions": {k: sp.sstr(v) for k, v in self.definitions},
            "evidence": self.evidence,
            "seconds": round(self.seconds, 4),
        }


def record(number: str, section: str, agrees: bool, printed_latex: str, derived_latex: str,
           evidence: str, derived=None, definitions: Mapping | None = None) -> Record:
    """A :class:`Record` whose verdict is ``reproduced`` iff ``agrees``."""
    defs = tuple((k, sp.sympify(v)) for k, v in (definitions or {}).items())
    return Record(number, section, "reproduced" if agrees else "erratum", printed_latex,
                  derived_latex, None if derived is None else sp.sympify(derived), defs,
                  evidence)


class EquationSet:
    """The checks of one derivation script, registered in paper order.

    ``@EQUATIONS.equation("118", "VI.A.3")`` registers a function returning a
    :class:`Record`; :meth:`run` times each one.
    """

    def __init__(self):
        self._checks: list[tuple[str, str, Callable]] = []

    def equation(self, number: str, section: str):
        def deco(fn):
            self._checks.append((number, section, fn))
            return fn
        return deco

    @property
    def numbers(self) -> tuple[str, ...]:
        return tuple(num for num, _, _ in self._checks)

    def run(self, *args) -> list[Record]:
        out = []
        for number, section, fn in self._checks:
            t0 = time.perf_counter()
            try:
                rec = fn(*args)
            except UndecidedZero as e:
                # neither a proof of agreement nor of a difference: the run goes on and
                # the verdict says so (a changed verdict still fails the regression guard)
                rec = Record(number, section, "undecided", "", "",
                             evidence=f"the exact zero test did not decide: {e}")
            except CgsymError as e:
                raise CgsymError(f"Eq. {number}: {e}") from None
            if rec.number != number or rec.section != section:
                rec = dataclasses.replace(rec, number=number, section=section)
            out.append(dataclasses.replace(rec, seconds=time.perf_counter() - t0))
            if os.environ.get("CGSYM_REPRODUCE_VERBOSE"):
                print(f"  {number}: {rec.verdict} ({time.perf_counter() - t0:.2f} s)",
                      file=sys.stderr, flush=True)
        return out


# ---------------------------------------------------------------------------
# parameter points
# ---------------------------------------------------------------------------
_ODD = {
    "frequency": (1.1341, 1.7193, 0.8723),
    "slow": (0.0432, 0.1127, 0.0713),
    "rate": ((0.0123, 0.0217), (0.0311, 0.0179), (0.0057, 0.0093)),
    "temperature": ((0.9876, 0.4321), (1.3137, 0.5713), (0.6217, 0.3389)),
}


def odd_points(model, count: int = 3) -> list[dict]:
    """``count`` (<= 3) parameter points with odd values, respecting slow << frequency.

    The j-th rate (temperature) parameter of the model takes the j-th value of
    the pair, so a hot reservoir declared first is the hotter one.
    """
    pts = []
    for k in range(count):
        vals, seen = {}, {"rate": 0, "temperature": 0, "frequency": 0, "slow": 0}
        for p in model.parameters:
            v = _ODD[p.role][k]
            if isinstance(v, tuple):
                v = v[seen[p.role] % 2] * (1 + 0.1 * (seen[p.role] // 2))
            else:
                v = v * (1 + 0.37 * seen[p.role])
            seen[p.role] += 1
            vals[p.name] = v
        pts.append(vals)
    return pts


def numeric_value(expr, model, values):
    """Value of a scalar or matrix expression at a point: the expression tree in ball
    arithmetic (:mod:`cgsym.arith.balls`) until each part has 100 correct bits, else SymPy's
    30-digit evaluation; large closed forms evaluate faster this way than lambdified."""
    import numpy as np
    from .arith.balls import Evaluator, Unsupported
    sub = {model.parameter(k).symbol: sp.Float(v, 30) for k, v in values.items()}
    sub.update({p.symbol: sp.Float(values[p.name], 30) for p in model.parameters
                if p.name in values})

    balls = Evaluator(sub)

    def one(e):
        e = sp.sympify(e)
        try:                 # ball arithmetic, 100 correct bits (no SymPy objects built)
            return balls.complex(e)
        except Unsupported:
            pass
        e = e.xreplace(sub)
        if e.free_symbols:
            raise CgsymError(f"cannot evaluate: {sorted(map(str, e.free_symbols))} are not "
                             f"parameters of model '{model.name}'")
        return complex(e.evalf(30))

    if isinstance(expr, sp.MatrixBase):
        M = sp.Matrix(expr)
        return np.array([[one(M[i, j]) for j in range(M.cols)] for i in range(M.rows)])
    return np.asarray(one(expr), dtype=complex)


_ROUTES: dict = {}


def numeric_route(model, values: Mapping, regime: str = "secular", weak_internal: bool = False):
    """:func:`cgsym.numerics.numeric_pipeline` at a point, computed once per model object,
    point, regime and weak-internal flag in a run (several equations use the same one;
    the result's arrays are read-only)."""
    key = (id(model), tuple(sorted(values.items())), regime, weak_internal)
    got = _ROUTES.get(key)
    if got is None or got[0] is not model:
        from .numerics import numeric_pipeline
        got = _ROUTES[key] = (model, numeric_pipeline(model, values, regime, weak_internal))
    return got[1]


def point_text(values: Mapping) -> str:
    return ", ".join(f"{k}={v:g}" for k, v in values.items())


def resolve_signs(expr, model, points: Sequence[Mapping] | None = None):
    """Replace Abs(x), Heaviside(x) and sign(x) by their values for the model's
    parameter hierarchy (slow << frequency): the sign of each x is read at the odd
    points, which must all agree (else an error)."""
    pts = list(points) if points is not None else odd_points(model, 3)

    def sgn(x):
        vals = [complex(numeric_value(x, model, p)).real for p in pts]
        if all(v > 0 for v in vals):
            return 1
        if all(v < 0 for v in vals):
            return -1
        raise CgsymError(f"the sign of {x} is not fixed at the sample points")

    e = sp.sympify(expr)
    e = e.replace(lambda a: isinstance(a, sp.Abs), lambda a: sgn(a.args[0]) * a.args[0])
    e = e.replace(lambda a: isinstance(a, sp.Heaviside),
                  lambda a: sp.S.One if sgn(a.args[0]) > 0 else sp.S.Zero)
    e = e.replace(lambda a: isinstance(a, sp.sign), lambda a: sp.Integer(sgn(a.args[0])))
    return e


# ---------------------------------------------------------------------------
# exact zero tests
# ---------------------------------------------------------------------------
def exponential_form(expr):
    """``expr`` as a rational function of exponentials: n(w, T), cosh, ... rewritten,
    and each exp(c m) (m a monomial such as omega_S/T, c rational) replaced by a
    power of a positive symbol E_m = exp(m/L_m).

    Exponentials of algebraically independent monomials are algebraically
    independent of the parameters, so the result is identically zero iff ``expr``
    is (for the monomials that occur).
    """
    e = rewrite_occupations(sp.sympify(expr))
    e = e.rewrite(sp.exp)
    coeffs: dict = {}
    for x in e.atoms(sp.exp):
        for t in sp.Add.make_args(sp.expand(x.args[0])):
            c, m = t.as_coeff_Mul()
            coeffs.setdefault(m, set()).add(sp.Rational(c))
    syms = {}
    for i, (m, cs) in enumerate(sorted(coeffs.items(), key=lambda kv: sp.default_sort_key(kv[0]))):
        L = math.lcm(*[int(c.q) for c in cs]) if cs else 1
        syms[m] = (sp.Symbol(f"E_{i}", positive=True), L)

    def rep(arg):
        out = sp.S.One
        for t in sp.Add.make_args(sp.expand(arg)):
            c, m = t.as_coeff_Mul()
            s, L = syms[m]
            out *= s ** int(sp.Rational(c) * L)
        return out

    return e.replace(lambda x: isinstance(x, sp.exp), lambda x: rep(x.args[0]))


def tidy(expr):
    """Cancelled, factored form (python-flint where it applies: rational coefficients)."""
    from .arith.algebra import tidy as sympy_tidy
    from .arith.flintalg import tidy_flint
    expr = sp.sympify(expr)
    if expr.has(sp.I):
        return sympy_tidy(expr)
    try:
        return tidy_flint(expr)
    except (sp.polys.polyerrors.PolynomialError, sp.polys.polyerrors.CoercionFailed,
            CgsymError, ValueError, TypeError):
        return sympy_tidy(expr)


class _FlintField:
    """Rational functions of SymPy atoms in python-flint (fmpq_mpoly numerators and
    denominators), with the algebraic relations i^2 = -1 and r^2 = a for r = sqrt(a)."""

    _HYPER = (sp.cosh, sp.sinh, sp.tanh, sp.coth)

    def __init__(self, atoms, exponentials: dict | None = None):
        """``exponentials``: monomial m -> (symbol E_m, L_m) with exp(c m) = E_m^(c L_m);
        when given, n(w, T), exp and hyperbolic functions are converted through it."""
        import flint
        self.exps = exponentials
        if exponentials:
            atoms = set(atoms) | {E for E, _ in exponentials.values()}
        self.atoms = sorted(atoms, key=sp.default_sort_key)
        self.index = {a: k for k, a in enumerate(self.atoms)}
        names = tuple(f"v{k}" for k in range(max(1, len(self.atoms))))
        self.ctx = flint.fmpq_mpoly_ctx.get(names, "lex")
        self.gens = self.ctx.gens()
        self.flint = flint
        # relations: generator index -> value of its square
        self.squares = {}
        for a, k in self.index.items():
            if a == sp.I:
                self.squares[k] = sp.Integer(-1)
            elif isinstance(a, sp.Pow) and a.exp == sp.S.Half and a.base.is_Rational:
                self.squares[k] = a.base        # a prime (see _rational_root)
        self.memo = {}

    def const(self, r):
        r = sp.Rational(r)
        return self.ctx.constant(self.flint.fmpq(int(r.p), int(r.q)))

    def convert(self, e):
        """(num, den) of e."""
        got = self.memo.get(e)
        if got is not None:
            return got
        one = self.const(1)
        if e.is_Rational:
            out = (self.const(e), one)
        elif self.exps is not None and isinstance(e, (n, sp.exp) + self._HYPER):
            out = self.exponential(e)
        elif e in self.index:
            out = (self.gens[self.index[e]], one)
        elif _rational_root(e) is not None:      # r^(k/2) = (c sqrt(p1) sqrt(p2) ..)^k
            c, gens = _rational_root(e)
            r = self.const(c)
            for g in gens:
                r = r * self.gens[self.index[g]]
            k = int(e.exp.p)
            out = (r ** k, one) if k >= 0 else (one, r ** (-k))
        elif e.is_Add:
            num, den = self.const(0), one
            for a in e.args:
                n2, d2 = self.convert(a)
                if d2 == den:
                    num = num + n2
                else:
                    g = den.gcd(d2)
                    num, den = num * (d2 / g) + n2 * (den / g), den * (d2 / g)
            out = (num, den)
        elif e.is_Mul:
            num, den = one, one
            for a in e.args:
                n2, d2 = self.convert(a)
                num, den = num * n2, den * d2
            out = (num, den)
        elif e.is_Pow and e.exp.is_Integer:
            n1, d1 = self.convert(e.base)
            k = int(e.exp)
            out = (n1 ** k, d1 ** k) if k >= 0 else (d1 ** (-k), n1 ** (-k))
        else:
            raise CgsymError(f"internal error: {e} is not an atom of the rational function")
        self.memo[e] = out
        return out

    def _exp_of(self, arg):
        """(num, den) of exp(arg) as a monomial in the E symbols."""
        num, den = self.const(1), self.const(1)
        for t in sp.Add.make_args(sp.expand(arg)):
            c, m = t.as_coeff_Mul()
            E, L = self.exps[m]
            k = int(sp.Rational(c) * L)
            g = self.gens[self.index[E]]
            if k >= 0:
                num = num * g ** k
            else:
                den = den * g ** (-k)
        return num, den

    def exponential(self, e):
        if isinstance(e, n):                     # 1/(exp(w/T) - 1)
            a, b = self._exp_of(e.args[0] / e.args[1])
            return b, a - b
        if isinstance(e, sp.exp):
            return self._exp_of(e.args[0])
        a, b = self._exp_of(e.args[0])           # e^x = a/b, e^-x = b/a
        if isinstance(e, sp.cosh):
            return a * a + b * b, 2 * a * b
        if isinstance(e, sp.sinh):
            return a * a - b * b, 2 * a * b
        if isinstance(e, sp.tanh):
            return a * a - b * b, a * a + b * b
        return a * a + b * b, a * a - b * b      # coth

    def reduce(self, p):
        """p modulo the relations g^2 = value (one generator at a time)."""
        for k, val in self.squares.items():
            d = p.to_dict()
            if not any(m[k] >= 2 for m in d):
                continue
            out = self.const(0)
            for mon, c in d.items():
                q, r = divmod(int(mon[k]), 2)
                mon2 = list(mon)
                mon2[k] = r
                term = self.ctx.from_dict({tuple(mon2): c})
                out = out + term * self.const(val ** q)
            p = out
        return p


def _nodes(e) -> list:
    """Every distinct subexpression of e, once (a closed form is a DAG: the tree that
    ``preorder_traversal`` walks can be many times larger)."""
    seen, out, stack = set(), [], [e]
    while stack:
        a = stack.pop()
        if a in seen:
            continue
        seen.add(a)
        out.append(a)
        stack.extend(a.args)
    return out


def _exponential_monomials(e, nodes=None) -> dict:
    """monomial m -> (E_m, L_m) for every exp(c m) hidden in n(w, T), exp, cosh, ..."""
    coeffs: dict = {}
    for a in _nodes(e) if nodes is None else nodes:
        if isinstance(a, n):
            arg = a.args[0] / a.args[1]
        elif isinstance(a, (sp.exp,) + _FlintField._HYPER):
            arg = a.args[0]
        else:
            continue
        for t in sp.Add.make_args(sp.expand(arg)):
            c, m = t.as_coeff_Mul()
            if not c.is_Rational:
                return {}
            coeffs.setdefault(m, set()).add(sp.Rational(c))
    return {m: (sp.Dummy(f"E{i}", positive=True), math.lcm(*[int(c.q) for c in cs]))
            for i, (m, cs) in enumerate(sorted(coeffs.items(),
                                                key=lambda kv: sp.default_sort_key(kv[0])))}


class UndecidedZero(CgsymError):
    """:func:`exact_zero` could prove an expression neither zero nor non-zero."""


def _rational_root(e):
    """For e = r^(k/2) with r rational: (c, [sqrt(p), ..]) with sqrt(r) = c prod sqrt(p)
    over distinct primes p (and I for r < 0); None for any other e."""
    if not (isinstance(e, sp.Pow) and e.base.is_Rational and e.exp.is_Rational
            and e.exp.q == 2):
        return None
    r = sp.Rational(e.base)
    m = abs(r.p) * r.q                          # sqrt(a/b) = sqrt(ab)/b
    c, gens = sp.Rational(1, r.q), [sp.I] if r < 0 else []
    for p, k in sorted(sp.factorint(m).items()):
        c *= sp.Integer(p) ** (k // 2)
        if k % 2:
            gens.append(sp.sqrt(sp.Integer(p)))
    return c, gens


def _trusted(a) -> bool:
    """An atom algebraically independent of the other trusted atoms over Q: a symbol,
    an undefined function, pi, i or the square root of a prime (square roots of distinct
    primes and i are linearly independent over Q)."""
    return ((a.is_Symbol and a.is_commutative) or a == sp.I or a is sp.pi
            or isinstance(a, sp.core.function.AppliedUndef)
            or (isinstance(a, sp.Pow) and a.exp == sp.S.Half and a.base.is_Integer
                and a.base.is_prime))


def _trusted_monomial(m) -> bool:
    """exp(c m) for distinct such m are algebraically independent: m is not constant
    and built from symbols, i, pi and square roots of rationals by products and
    rational powers."""
    if not m.free_symbols:
        return False
    for a in _nodes(m):
        if a.is_Mul or a.is_Rational or a.is_Symbol or a == sp.I or a is sp.pi \
                or _rational_root(a) is not None:
            continue
        if a.is_Pow and a.exp.is_Rational and (a.base.is_Symbol or a.base.is_Mul):
            continue
        return False
    return True


def _flint_zero(e, exponential: bool = False, nodes=None) -> tuple[bool, bool]:
    """(zero, proved): zero iff e is zero as a rational function of its atoms (with
    i^2 = -1 and sqrt(p)^2 = p for the primes p of every square root of a rational);
    with ``exponential``, n(w, T), exp and cosh.. in terms of E_m symbols.  ``proved``:
    a "not zero" is a proof (every atom is independent of the others, see
    :func:`_trusted`).  ``nodes``: :func:`_nodes` of e, if known."""
    if nodes is None:
        nodes = _nodes(e)
    if any(isinstance(a, sp.Float) for a in nodes):
        e = sp.nsimplify(e, rational=True)
        nodes = _nodes(e)
    exps = _exponential_monomials(e, nodes) if exponential else None
    if exponential and not exps:
        return False, False
    top = set()
    for a in nodes:
        root = _rational_root(a)
        if root is not None:
            top.update(root[1])
        elif a.is_Symbol or a == sp.I or a is sp.pi or a is sp.E \
                or isinstance(a, sp.Function) or (isinstance(a, sp.Pow) and not a.exp.is_Integer):
            top.add(a)
    expish = (n, sp.exp) + _FlintField._HYPER
    if exponential:
        proved = all(_trusted_monomial(m) for m in exps) and \
            all(_trusted(a) or isinstance(a, expish) for a in top)
    else:
        proved = all(_trusted(a) for a in top)
    F = _FlintField(top, exps)
    try:
        num, _ = F.convert(e)
    except CgsymError:
        return False, False
    zero = F.reduce(num).is_zero()
    return zero, proved and not zero


def exact_zero(expr) -> bool:
    """True iff ``expr`` is identically zero; False only with a proof that it is not.

    Exact rational-function arithmetic in python-flint: first with the occupations
    n(w, T) as independent atoms, then with n(w, T), exp, cosh, ... written in
    exponentials E_m = exp(m/L_m) of the monomials m that occur (so n(-x) = -1 - n(x),
    e^(a+b) = e^a e^b, ... are known).  i and the square roots of the primes of every
    square root of a rational (sqrt(12) = 2 sqrt(3), sqrt(6) = sqrt(2) sqrt(3),
    sqrt(2/3) = sqrt(2) sqrt(3)/3) are generators reduced by i^2 = -1, sqrt(p)^2 = p;
    nested constant radicals are denested first (:func:`sympy.sqrtdenest`).

    "Not zero" is a proof when the value at a point is a ball excluding 0, or when
    every generator is independent of the others: symbols, pi, i, square roots of
    distinct primes, exponentials of distinct non-constant monomials in these.  Any
    other generator (a nested radical that does not denest, sqrt(x), cos, Abs, a cube
    root ...) can hide a relation: then the value is decided by SymPy's
    ``minimal_polynomial`` (a constant algebraic number) or by balls excluding 0 at
    more points and precisions, and :class:`UndecidedZero` is raised when neither
    decides, never a False that is not proved.
    """
    e = sp.sympify(expr)
    if e == 0:
        return True
    nodes = _nodes(e)
    if _numerically_nonzero(e, nodes):
        return False
    nested = {a: sp.sqrtdenest(a) for a in nodes
              if isinstance(a, sp.Pow) and a.exp.is_Rational and a.exp.q == 2
              and not a.base.is_Rational and not a.free_symbols}
    nested = {a: d for a, d in nested.items() if d != a}
    if nested:
        e = e.xreplace(nested)
        if e == 0:
            return True
        nodes = _nodes(e)
    zero, proved = _flint_zero(e, nodes=nodes)
    if zero:
        return True
    zero, proved2 = _flint_zero(e, exponential=True, nodes=nodes)
    if zero:
        return True
    if proved2 or (proved and not _exponential_monomials(e, nodes)
                   and not any(isinstance(a, (n, sp.exp) + _FlintField._HYPER) for a in nodes)):
        return False
    return _undecided_zero(e, nodes)


def _undecided_zero(e, nodes) -> bool:
    """The flint test did not prove e non-zero: decide by minimal polynomial (a
    constant), or by balls excluding 0 at several points and precisions, else raise
    :class:`UndecidedZero`."""
    from .arith.balls import Unsupported, ball_value
    free = sorted({a for a in nodes if a.is_Symbol}, key=lambda x: x.name)
    if not free:
        try:
            x = sp.Dummy("x")
            return sp.minimal_polynomial(e, x) == x
        except (NotImplementedError, sp.polys.polyerrors.BasePolynomialError, ValueError):
            pass
    base = _screen_point(free)
    for k in range(4):
        pt = {s: v * (1 + sp.Rational(k * (i + 2), 17)) for i, (s, v) in enumerate(base.items())}
        for prec in (256, 1024):
            try:
                z = ball_value(e, pt, prec)
            except (Unsupported, ZeroDivisionError, ValueError):
                break
            if z.is_finite() and not z.contains(0):
                return False
    raise UndecidedZero(f"cannot decide whether {sp.sstr(e)[:200]} is zero (it is zero to "
                        f"1000 bits at the points tried; its atoms may be related)")


_SCREEN_VALUES = (sp.Rational(11341, 10000), sp.Rational(4321, 10000), sp.Rational(9876, 10000),
                  sp.Rational(7193, 10000), sp.Rational(5713, 10000), sp.Rational(8723, 10000),
                  sp.Rational(6217, 10000), sp.Rational(3389, 10000))


def _screen_point(syms) -> dict:
    """A generic point, each symbol's value fixed by its name (30-digit Floats)."""
    out = {}
    for s in syms:
        k = sum(ord(c) * (i + 1) for i, c in enumerate(s.name))
        out[s] = sp.Float(_SCREEN_VALUES[k % 8] * (1 + sp.Rational((k // 8) % 5, 7)), 30)
    return out


_BINDING = (sp.Integral, sp.Sum, sp.Product, sp.Lambda, sp.Derivative, sp.Subs)


def _numerically_nonzero(e, nodes=None) -> bool:
    """A cheap proof of non-zeroness: the value at one generic point (symbols by name
    order) in ball arithmetic excludes zero (or, for what balls cannot evaluate, the
    30-digit value is clearly not zero).  Inconclusive (False) otherwise."""
    from .arith.balls import Unsupported, ball_value
    if nodes is None or any(isinstance(a, _BINDING) for a in nodes):
        free = e.free_symbols
    else:
        free = {a for a in nodes if a.is_Symbol}
    syms = sorted(free, key=lambda x: x.name)
    if any(not s.is_commutative for s in syms):
        return False
    pt = _screen_point(syms)
    try:                     # a ball excluding 0 proves it
        z = ball_value(e, pt)
        if z.is_finite() and not z.contains(0):
            return True
        if z.is_finite():
            return False
    except (Unsupported, ZeroDivisionError, ValueError):
        pass
    try:
        v = complex(e.xreplace(pt).evalf(30))
    except (TypeError, ValueError, ZeroDivisionError):
        return False
    return math.isfinite(abs(v)) and abs(v) > 1e-18


# ---------------------------------------------------------------------------
# comparisons
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Comparison:
    """Printed vs derived: the exact verdict and the numeric confirmation."""

    exact: bool
    numeric: tuple = ()       # ((point text, printed value, derived value, deviation), ...)
    what: str = "value"

    @property
    def agrees(self) -> bool:
        return self.exact

    def evidence(self) -> str:
        head = ("exact symbolic difference is zero" if self.exact
                else "exact symbolic difference is NOT zero")
        rows = []
        for pt, a, b, dev in self.numeric:
            rows.append(f"[{pt}] printed {_fmt(a)} vs derived {_fmt(b)} (deviation {dev:.2e})")
        return head + ("; numerically: " + "; ".join(rows) if rows else "")


def _fmt(v) -> str:
    if isinstance(v, str):
        return v
    v = complex(v)
    if abs(v.imag) < 1e-14 * max(1.0, abs(v.real)):
        return f"{v.real:.12g}"
    return f"{v.real:.10g}{v.imag:+.10g}i"


def _check_consistent(exact: bool, devs: Sequence[float], what: str):
    if exact and any(d > 1e-7 for d in devs):
        raise CgsymError(f"internal error: {what} is exactly equal but differs numerically")
    if not exact and devs and all(d < 1e-12 for d in devs):
        raise CgsymError(f"internal error: {what} differs symbolically but agrees "
                         f"numerically at every point (an undecided zero test)")


def compare_scalar(printed, derived, model, points: Sequence[Mapping] | None = None,
                   what: str = "value") -> Comparison:
    """Exact difference (:func:`exact_zero`) and values at odd points.  An exact test
    that decides neither way raises :class:`UndecidedZero` (a :class:`CgsymError`;
    ``cgsym reproduce`` records the equation as ``undecided`` rather than guess)."""
    exact = exact_zero(sp.sympify(printed) - sp.sympify(derived))
    rows, devs = [], []
    for pt in points if points is not None else odd_points(model, 2):
        a = complex(numeric_value(printed, model, pt))
        b = complex(numeric_value(derived, model, pt))
        dev = abs(a - b) / max(abs(a), abs(b), 1e-300)
        rows.append((point_text(pt), a, b, dev))
        devs.append(dev)
    _check_consistent(exact, devs, what)
    return Comparison(exact, tuple(rows), what)


def compare_matrix(printed, derived, model, points: Sequence[Mapping] | None = None,
                   what: str = "matrix") -> Comparison:
    """Entrywise exact difference, and the largest entry deviation at odd points
    (relative to the largest entry); :class:`UndecidedZero` as :func:`compare_scalar`."""
    import numpy as np
    P, D = sp.Matrix(printed), sp.Matrix(derived)
    if P.shape != D.shape:
        raise CgsymError(f"{what}: printed shape {P.shape} vs derived {D.shape}")
    exact = all(exact_zero(P[i, j] - D[i, j]) for i in range(P.rows) for j in range(P.cols))
    rows, devs = [], []
    for pt in points if points is not None else odd_points(model, 2):
        a = numeric_value(P, model, pt)
        b = numeric_value(D, model, pt)
        scale = max(float(np.max(np.abs(a))), float(np.max(np.abs(b))), 1e-300)
        dev = float(np.max(np.abs(a - b))) / scale
        rows.append((point_text(pt), f"max|entry| {np.max(np.abs(a)):.6g}",
                     f"max|entry| {np.max(np.abs(b)):.6g}", dev))
        devs.append(dev)
    _check_consistent(exact, devs, what)
    return Comparison(exact, tuple(rows), what)


def independent_evidence(printed, derived, model, route: Callable[[dict], object],
                         points: Sequence[Mapping] | None = None,
                         label: str = "numeric pipeline") -> str:
    """Printed and derived values against an independent numeric route at odd points.

    ``route(values)`` returns the quantity (scalar or array) from an independent
    computation, e.g. :func:`cgsym.numerics.numeric_pipeline`.  Deviations are the
    largest absolute difference relative to the largest absolute value.
    """
    import numpy as np
    rows = []
    for pt in points if points is not None else odd_points(model, 3):
        ref = np.asarray(route(pt), dtype=complex)
        scale = max(float(np.max(np.abs(ref))), 1e-300)
        a = numeric_value(printed, model, pt) if printed is not None else None
        b = numeric_value(derived, model, pt)
        db = float(np.max(np.abs(b - ref))) / scale
        if a is not None:
            da = float(np.max(np.abs(a - ref))) / scale
            if ref.size == 1:
                rows.append(f"[{point_text(pt)}] {label} {_fmt(ref.ravel()[0])}, printed "
                            f"{_fmt(a.ravel()[0])} (deviation {da:.2e}), derived "
                            f"{_fmt(b.ravel()[0])} (deviation {db:.1e})")
            else:
                rows.append(f"[{point_text(pt)}] vs {label}: printed deviation {da:.2e}, "
                            f"derived deviation {db:.1e}")
        else:
            rows.append(f"[{point_text(pt)}] derived vs {label}: deviation {db:.1e}")
    return "; ".join(rows)


def notation(candidates: Mapping[str, object], model=None,
             multipliers=(1, -1, sp.Rational(1, 2), -sp.Rational(1, 2), sp.Rational(1, 4),
                          -sp.Rational(1, 4), 2, -2)) -> Callable:
    """A coefficient printer that writes an expression as k * (a named candidate)
    when it is one (e.g. the paper's gammabar (nbar(w) + 1)), else in paper notation."""
    from .latex import paper_latex
    cands = [(k, sp.sympify(v)) for k, v in candidates.items()]
    screen = {}

    def value(e):
        pt = _screen_point(e.free_symbols)
        try:
            return complex(e.xreplace(pt).evalf(30))
        except (TypeError, ValueError, ZeroDivisionError):
            return None

    def show(expr):
        expr = sp.sympify(expr)
        v = value(expr)
        for name, c in cands:
            if c not in screen:
                screen[c] = value(c)
            cv = screen[c]
            for k in multipliers:
                if v is not None and cv is not None and abs(v - complex(k) * cv) > 1e-15 * (abs(v) + 1e-30):
                    continue
                try:     # an undecided zero test: not shown under this name
                    named = exact_zero(sp.expand(expr - k * c))
                except UndecidedZero:
                    named = False
                if named:
                    if k == 1:
                        return name
                    if k == -1:
                        return "-" + name
                    return sp.latex(k) + " " + name
        out = paper_latex(expr, model)
        return rf"\left({out}\right)" if isinstance(expr, sp.Add) else out

    return show


def differing_entries(printed, derived, labels: Sequence[str] | None = None) -> list[str]:
    """Human-readable list of the entries where two matrices differ exactly."""
    P, D = sp.Matrix(printed), sp.Matrix(derived)
    out = []
    for i in range(P.rows):
        for j in range(P.cols):
            if not exact_zero(P[i, j] - D[i, j]):
                li = labels[i] if labels else str(i)
                lj = labels[j] if labels else str(j)
                out.append(f"({li},{lj}): printed {sp.sstr(P[i, j])}, derived {sp.sstr(D[i, j])}")
    return out


# ---------------------------------------------------------------------------
# reading printed LaTeX
# ---------------------------------------------------------------------------
_TRAILING_NUMBER = re.compile(r"(\\quad\s*)?\(\s*(\\text\{)?\s*[A-C]?\d+\s*\}?\s*\)\s*$"
                              r"|\\tag\{[^}]*\}\s*$")


def clean_printed(latex: str) -> str:
    """The printed LaTeX without its trailing equation number and punctuation."""
    s = latex.strip()
    for _ in range(3):
        s = _TRAILING_NUMBER.sub("", s).rstrip()
        s = s.rstrip(".,").rstrip()
    return s


def _normalise(latex: str) -> str:
    r"""Readings the LaTeX reader needs, with no change of meaning.

    ``\hbar\omega/kT`` (and ``/2kT``) mean division by (2)kT: written
    ``/(kT)``; ``\left``/``\right`` sizes are dropped.
    """
    s = clean_printed(latex)
    s = re.sub(r"/\s*(\d*)\s*k\s*T(_\{?[A-Za-z]\}?)?", lambda m: "/(" + m.group(1) + "kT"
               + (m.group(2) or "") + ")", s)
    return s


def read_scalar(latex: str, table: SymbolTable):
    """A printed scalar equation's right-hand side (after the last top-level ``=``)."""
    return read_latex(_normalise(latex), table)


def _canon_tex(s: str) -> str:
    """Canonical spelling for matching operator tokens: no spaces around _ ^,
    single-character braces dropped, kets and bras without inner spaces."""
    s = re.sub(r"\\(left|right)\s*\.", "", s)
    s = re.sub(r"\\(left|right|big|Big|bigg|Bigg)(?![A-Za-z])", "", s)
    s = re.sub(r"\s*([_^])\s*", r"\1", s)
    s = re.sub(r"([_^])\{(\\[A-Za-z]+|[A-Za-z0-9+\-])\}", r"\1\2", s)
    s = re.sub(r"\|\s*([^|\\\s]+?)\s*\\rangle", r"|\1\\rangle", s)
    s = re.sub(r"\\langle\s*([^|\s]+?)\s*\|", r"\\langle \1|", s)
    return s


def _matching(s: str, i: int, open_: str, close: str) -> int:
    depth = 0
    k = i
    while k < len(s):
        if s.startswith(open_, k):
            depth += 1
            k += len(open_)
            continue
        if s.startswith(close, k):
            depth -= 1
            if depth == 0:
                return k
            k += len(close)
            continue
        k += 1
    raise CgsymError(f"unbalanced '{open_}' in printed LaTeX: {s[i:i + 40]}...")


def _top_level_comma(s: str) -> int:
    depth = 0
    pos = -1
    k = 0
    while k < len(s):
        c = s[k]
        if s.startswith(r"\{", k) or s.startswith(r"\[", k):
            depth += 1
            k += 2
            continue
        if s.startswith(r"\}", k) or s.startswith(r"\]", k):
            depth -= 1
            k += 2
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "," and depth == 0:
            pos = k
        k += 1
    return pos


def _expand_brackets(s: str) -> str:
    r"""``\{A, \rho\}`` -> ``((A)\rho + \rho(A))`` and ``[A, \rho]`` -> ``((A)\rho - \rho(A))``."""
    k = 0
    out = []
    while k < len(s):
        if s.startswith(r"\{", k):
            j = _matching(s, k, r"\{", r"\}")
            inner = _expand_brackets(s[k + 2:j])
            c = _top_level_comma(inner)
            if c >= 0 and inner[c + 1:].strip() == r"\rho":
                A = inner[:c]
                out.append(rf"(({A}) \rho + \rho ({A}))")
            else:
                out.append("(" + inner + ")")
            k = j + 2
            continue
        if s[k] == "[":
            j = _matching(s, k, "[", "]")
            inner = _expand_brackets(s[k + 1:j])
            c = _top_level_comma(inner)
            if c >= 0 and inner[c + 1:].strip() == r"\rho":
                A = inner[:c]
                out.append(rf"(({A}) \rho - \rho ({A}))")
            else:
                out.append("[" + inner + "]")
            k = j + 1
            continue
        out.append(s[k])
        k += 1
    return "".join(out)


def _rhs(s: str) -> str:
    """Text after the last top-level '=' (the reader's rule, for operator text)."""
    depth, last = 0, -1
    for k, c in enumerate(s):
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "=" and depth == 0:
            last = k
    return s[last + 1:] if last >= 0 else s


_RHO = sp.Symbol("rho", commutative=False)


def _placeholder(k: int) -> str:
    letters = "abcdefghijklmnopqrstuvwxyz"
    name = ""
    k += 1
    while k:
        k, r = divmod(k - 1, 26)
        name = letters[r] + name
    return "OP" + name


def _prepare_operator_text(latex: str, operators: Mapping[str, object], table: SymbolTable):
    s = _canon_tex(_normalise(latex))
    s = _rhs(s)
    s = s.replace(r"\otimes", " ")
    s = s.replace("&", " ").replace(r"\\", " ")
    s = _expand_brackets(s)
    names, mats = {}, {}
    toks = sorted(((_canon_tex(k), v) for k, v in operators.items()), key=lambda kv: -len(kv[0]))
    for k, (tok, M) in enumerate(toks):
        ph = _placeholder(k)
        if tok in s:
            s = s.replace(tok, f" {ph} ")
        sym = sp.Symbol(ph, commutative=False)
        names[ph] = sym
        mats[sym] = (tok, sp.Matrix(M))
    names["rho"] = _RHO
    full = SymbolTable({**table.names, **names}, table.functions)
    return s, full, mats


def _nc_factors(nc) -> list:
    out = []
    for f in nc:
        if isinstance(f, sp.Pow) and f.exp.is_Integer and f.exp > 0:
            out.extend([f.base] * int(f.exp))
        else:
            out.append(f)
    return out


def _product(factors, mats, shape_hint):
    M = None
    for f in factors:
        A = mats[f][1]
        M = A if M is None else M * A
    if M is None:
        return sp.eye(shape_hint)
    return M


def read_operator(latex: str, operators: Mapping[str, object], table: SymbolTable,
                  dim: int | None = None) -> ImmutableMatrix:
    r"""A printed operator (or ket) expression as a matrix.

    ``operators`` maps printed tokens (``X_2^\dagger``, ``\sigma_{2+}``,
    ``|u\rangle\langle +|``, ...) to matrices; ``\otimes`` between operators of
    different subsystems is their product (the matrices are on the full space).
    """
    s, full, mats = _prepare_operator_text(latex, operators, table)
    expr = sp.expand(read_latex(s, full))
    total = None
    for term in sp.Add.make_args(expr):
        c, nc = term.args_cnc()
        nc = _nc_factors(nc)
        if _RHO in nc:
            raise CgsymError("an operator expression contains rho")
        if not nc:
            if dim is None:
                raise CgsymError("a scalar term in an operator expression needs dim")
            M = sp.Mul(*c) * sp.eye(dim)
        else:
            M = sp.Mul(*c) * _product(nc, mats, dim)
        total = M if total is None else total + M
    if total is None:
        raise CgsymError("empty operator expression")
    return ImmutableMatrix(total.applyfunc(sp.expand))


@dataclass(frozen=True)
class PrintedTerm:
    """One top-level term of a printed master equation: coefficient x structure."""

    coefficient: sp.Expr
    structure: sp.Expr      # non-commutative expression, linear in rho
    latex: str              # LaTeX of the structure in the printed operator names
    superoperator: ImmutableMatrix


def _superop_of(expr, mats, d: int):
    S = sp.zeros(d * d, d * d)
    for term in sp.Add.make_args(sp.expand(expr)):
        c, nc = term.args_cnc()
        nc = _nc_factors(nc)
        if nc.count(_RHO) != 1:
            raise CgsymError(f"a printed dissipator term is not linear in rho: {term}")
        i = nc.index(_RHO)
        A = _product(nc[:i], mats, d)
        B = _product(nc[i + 1:], mats, d)
        S += sp.Mul(*c) * sp.Matrix(sprepost(A, B))
    return S


def _op_latex(e, mats) -> str:
    """LaTeX of a non-commutative expression in the printed operator names."""
    if e.is_Add:
        parts = []
        for t in e.args:
            tl = _op_latex(t, mats)
            if parts and not tl.startswith("-"):
                parts.append("+ " + tl)
            else:
                parts.append(tl)
        return " ".join(parts)
    if e.is_Mul:
        c, nc = e.args_cnc()
        coef = sp.Mul(*c)
        body = " ".join(rf"\left({_op_latex(f, mats)}\right)" if f.is_Add else _op_latex(f, mats)
                        for f in _nc_factors(nc))
        if coef == 1:
            return body
        if coef == -1:
            return "- " + body
        cl = sp.latex(coef)
        if coef.is_Add:
            cl = rf"\left({cl}\right)"
        return f"{cl} {body}"
    if e == _RHO:
        return r"\rho"
    if e in mats:
        return mats[e][0]
    return sp.latex(e)


def read_superoperator(latex: str, operators: Mapping[str, object], table: SymbolTable,
                       dim: int) -> tuple[ImmutableMatrix, tuple[PrintedTerm, ...]]:
    r"""A printed master equation or dissipator as a column-stacking superoperator.

    Reads the right-hand side (after the last top-level ``=``):
    ``\{A, \rho\}`` is the anticommutator, ``[A, \rho]`` the commutator, and
    ``A \rho B`` the map rho -> A rho B.  Returns the superoperator and its
    top-level terms (coefficient, operator structure), used by :func:`fit_terms`.
    """
    s, full, mats = _prepare_operator_text(latex, operators, table)
    expr = read_latex(s, full)
    terms = []
    for t in sp.Add.make_args(expr):
        c, nc = t.args_cnc()
        coef = sp.Mul(*c)
        struct = sp.Mul(*nc)
        terms.append(PrintedTerm(coef, struct, _op_latex(struct, mats),
                                 ImmutableMatrix(_superop_of(struct, mats, dim))))
    S = sp.zeros(dim * dim, dim * dim)
    for t in terms:
        S += t.coefficient * sp.Matrix(t.superoperator)
    return ImmutableMatrix(S.applyfunc(sp.expand)), tuple(terms)


def hamiltonian_superoperator(H) -> ImmutableMatrix:
    """-i[H, .] with column stacking."""
    H = sp.Matrix(H)
    d = H.rows
    return ImmutableMatrix((-sp.I * (sp.Matrix(kron(sp.eye(d), H)) - sp.Matrix(kron(H.T, sp.eye(d)))))
                           .applyfunc(sp.expand))


def split_lines(latex: str) -> list[str]:
    r"""The lines of a printed multi-line equation (``\\`` at top level), without
    alignment marks and environments."""
    s = clean_printed(latex)
    s = re.sub(r"\\(begin|end)\{(aligned|align\*?|split|gathered|array)\}(\{[^}]*\})?", "", s)
    lines, depth, cur, k = [], 0, [], 0
    while k < len(s):
        if s.startswith(r"\\", k) and depth == 0:
            lines.append("".join(cur))
            cur = []
            k += 2
            continue
        c = s[k]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        cur.append(c)
        k += 1
    lines.append("".join(cur))
    return [ln.replace("&", " ").strip() for ln in lines if ln.strip()]


def pmatrix(latex: str, which: int = -1) -> tuple[str, list[list[str]]]:
    r"""(prefactor text, rows of cell texts) of a ``pmatrix`` in printed LaTeX
    (the last one by default); the prefactor is the text between the preceding
    top-level ``=`` and ``\begin{pmatrix}``."""
    starts = [m.start() for m in re.finditer(r"\\begin\{pmatrix\}", latex)]
    if not starts:
        raise CgsymError("no pmatrix in the printed LaTeX")
    st = starts[which]
    en = latex.index(r"\end{pmatrix}", st)
    body = latex[st + len(r"\begin{pmatrix}"):en]
    rows = [[c.strip() for c in r.split("&")] for r in body.split(r"\\") if r.strip()]
    before = latex[:st]
    pre = before[before.rfind("=") + 1:] if "=" in before else before
    return pre.strip(), rows


# ---------------------------------------------------------------------------
# printed term structure with derived coefficients; ket-bra form
# ---------------------------------------------------------------------------
def fit_terms(terms: Sequence[PrintedTerm], target) -> list[tuple[PrintedTerm, sp.Expr]] | None:
    """Coefficients x_k with sum_k x_k S_k = target exactly (S_k the printed term
    structures), or None when the printed structures cannot represent it.

    Structures that are equal or linearly dependent are merged first, so the
    solution is unique when it exists.
    """
    # merge printed terms with the same structure (e.g. the l and r copies of a term),
    # summing their printed coefficients
    merged: list[PrintedTerm] = []
    for t in terms:
        for k, u in enumerate(merged):
            if u.superoperator == t.superoperator:
                merged[k] = dataclasses.replace(u, coefficient=u.coefficient + t.coefficient)
                break
        else:
            merged.append(t)
    cols = [sp.Matrix(t.superoperator).reshape(len(t.superoperator), 1) for t in merged]
    A = sp.Matrix.hstack(*cols)
    b = sp.Matrix(sp.Matrix(target).reshape(len(target), 1))
    fitted = _fit_exact_domain(A, b)
    if fitted is None:        # structures outside QQ, QQ(i), QQ(sqrt..): SymPy's route
        _, piv = A.rref(simplify=True)
        keep = list(piv)
        Ak = A.extract(list(range(A.rows)), keep)
        G = Ak.T * Ak
        x = G.LUsolve(Ak.T * b).applyfunc(sp.expand)
        resid = (Ak * x - b).applyfunc(sp.expand)
        try:
            if any(r != 0 and not exact_zero(r) for r in resid):
                return None
        except UndecidedZero:      # not a proved fit: none
            return None
    elif fitted is False:
        return None
    else:
        keep, x = fitted
    return [(merged[k], tidy(x[i])) for i, k in enumerate(keep)]


def _fit_exact_domain(A, b):
    """(pivot columns, expanded x) with A[:, pivots] x = b exactly, False when no x
    solves it, None when A's entries are not in an exact number field (the caller then
    uses SymPy's matrices).  The columns are independent and the solution unique, so
    solving on independent rows and checking every row gives the same x as the least
    squares of the pivot columns."""
    from sympy.polys.matrices import DomainMatrix
    dA = DomainMatrix.from_Matrix(A)
    if dA.domain.is_EX or dA.domain.is_EXRAW:
        return None
    dA = dA.to_field()
    _, piv = dA.rref()
    keep = list(piv)
    Ak = dA.extract(list(range(A.rows)), keep)
    _, rows = Ak.transpose().rref()              # independent rows of Ak
    rows = list(rows)
    inv = Ak.extract(rows, list(range(len(keep)))).inv().to_Matrix()
    x = (inv * sp.Matrix([b[r] for r in rows])).applyfunc(sp.expand)
    AkM = Ak.to_Matrix()
    for r in range(AkM.rows):                   # every row, exactly
        res = sp.expand(sp.Add(*[AkM[r, i] * x[i] for i in range(len(keep)) if AkM[r, i] != 0])
                        - b[r])
        if res != 0 and not exact_zero(res):
            return False
    return keep, x


def _signed_term(coef: str, body: str, first: bool) -> str:
    """'coef body' as a summand: the first term carries no '+', a negative coefficient
    its own '-' (never '+ -i[...]')."""
    c = coef.strip()
    if c.startswith("-"):
        return f"- {c[1:].strip()}{body}"
    return f"{'' if first else '+ '}{c}{body}"


def superoperator_latex(pairs, model=None, show: Callable | None = None) -> str:
    r"""LaTeX of ``sum_k x_k [structure_k]`` (one term per line); ``show`` prints a
    coefficient (default: paper notation)."""
    show = show or notation({}, model)
    lines = []
    for t, x in pairs:
        if x == 0:
            continue
        lines.append(_signed_term(show(x), rf"\left[{t.latex}\right]", first=not lines))
    return r" \\ ".join(lines)


def ketbra_form(jump_terms, basis_labels: Sequence[str], U, model=None,
                real: bool = True, show: Callable | None = None) -> str:
    r"""A dissipator as :math:`\sum c\,L_{ab}\rho L_{cd} - \frac12\{K,\rho\}` in a
    labelled orthonormal basis (columns of ``U``), grouped by coefficient.

    ``jump_terms`` is a sequence of (rate, A, B) meaning rate * A rho B^dagger
    (the master equation's jump part); K = sum rate B^dagger A.
    """
    show = show or notation({}, model)
    U = sp.Matrix(U)
    Ud = U.T if real else U.H
    d = U.rows
    coeff: dict = {}
    K = sp.zeros(d, d)
    for rate, A, B in jump_terms:
        Ae = (Ud * sp.Matrix(A) * U).applyfunc(sp.expand)
        Be = (Ud * sp.Matrix(B) * U).applyfunc(sp.expand)
        BeH = Be.T if real else Be.H
        K += rate * BeH * Ae
        for a in range(d):
            for b in range(d):
                if Ae[a, b] == 0:
                    continue
                for c in range(d):
                    for e in range(d):
                        if BeH[c, e] == 0:
                            continue
                        key = (a, b, c, e)
                        coeff[key] = coeff.get(key, 0) + rate * Ae[a, b] * BeH[c, e]
    groups: dict = {}
    order = []
    for key, v in coeff.items():
        v = tidy(v)
        if v == 0:
            continue
        neg = tidy(-v)
        if neg in groups:
            groups[neg].append(("-", key))
        else:
            if v not in groups:
                order.append(v)
                groups[v] = []
            groups[v].append(("+", key))
    lab = list(basis_labels)

    def L(i, j):
        return f"L_{{{lab[i]}{lab[j]}}}"

    lines = []
    for v in order:
        inner = " ".join(f"{s} {L(a, b)}\\rho {L(c, e)}" for s, (a, b, c, e) in groups[v])
        inner = inner[1:].strip() if inner.startswith("+") else inner
        lines.append(_signed_term(show(v), rf"\left[{inner}\right]", first=not lines))
    K = K.applyfunc(tidy)
    kt = []
    for i in range(d):
        for j in range(d):
            if K[i, j] != 0:
                kt.append(f"{show(K[i, j])} {L(i, j)}")
    if kt:
        lines.append(r"- \frac{1}{2}\left\{" + " + ".join(kt) + r", \rho\right\}")
    return r" \\ ".join(lines) if lines else "0"


# ---------------------------------------------------------------------------
# optional QuTiP oracle (tests/qutip_oracle.py of the repository)
# ---------------------------------------------------------------------------
_ORACLE = None


def qutip_oracle():
    """The QuTiP oracle module from the repository's tests, or None if unavailable."""
    global _ORACLE
    if _ORACLE is None:
        _ORACLE = False
        root = _repository_root()
        path = None if root is None else root / "tests" / "qutip_oracle.py"
        if path is not None and path.is_file():
            try:
                spec = importlib.util.spec_from_file_location("cgsym_qutip_oracle", path)
                mod = importlib.util.module_from_spec(spec)
                sys.modules["cgsym_qutip_oracle"] = mod   # dataclasses need their module
                spec.loader.exec_module(mod)
                _ORACLE = mod
            except Exception:  # qutip missing or broken: the evidence says so
                sys.modules.pop("cgsym_qutip_oracle", None)
                _ORACLE = False
    return _ORACLE or None


# ---------------------------------------------------------------------------
# the runner
# ---------------------------------------------------------------------------
def _repository_root() -> Path | None:
    env = os.environ.get("CGSYM_DERIVATIONS")
    cands = []
    if env:
        cands.append(Path(env).resolve().parent)
    cands += [Path(__file__).resolve().parent.parent, Path.cwd()]
    for c in cands:
        if (c / "derivations").is_dir() and any((c / "derivations").glob("sec*.py")):
            return c
    return None


def _shipped_derivations() -> Path | None:
    """The scripts installed with the package (``cgsym.derivations``, mapped from the
    repository's ``derivations/`` by ``pyproject.toml``), or None."""
    try:
        spec = importlib.util.find_spec("cgsym.derivations")
    except (ImportError, ValueError):
        return None
    for loc in (spec.submodule_search_locations or []) if spec else []:
        p = Path(loc)
        if p.is_dir() and any(p.glob("sec*.py")):
            return p
    return None


def derivations_dir() -> Path:
    """The derivation scripts: $CGSYM_DERIVATIONS, else those installed with the
    package (``cgsym.derivations``: the wheel ships the repository's ``derivations/``),
    else ``derivations/`` next to the package or in the working directory."""
    env = os.environ.get("CGSYM_DERIVATIONS")
    if env:
        p = Path(env)
        if not (p.is_dir() and any(p.glob("sec*.py"))):
            raise CgsymError(f"CGSYM_DERIVATIONS={env} holds no derivation scripts (sec*.py)")
        return p
    shipped = _shipped_derivations()
    if shipped is not None:
        return shipped
    root = _repository_root()
    if root is None:
        raise CgsymError("cannot find the derivation scripts (derivations/sec*.py): this "
                         "installation does not ship cgsym.derivations; run 'cgsym "
                         "reproduce' in the repository directory or set CGSYM_DERIVATIONS "
                         "to the derivations folder")
    return root / "derivations"


def load_derivations() -> list:
    """Import every ``derivations/sec*.py`` (sorted by name) by path."""
    mods = []
    for path in sorted(derivations_dir().glob("sec*.py")):
        name = f"cgsym_derivations_{path.stem}"
        if name in sys.modules:
            mods.append(sys.modules[name])
            continue
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        try:
            spec.loader.exec_module(mod)
        except CgsymError:
            raise
        except Exception as e:
            del sys.modules[name]
            raise CgsymError(f"cannot import {path.name}: {type(e).__name__}: {e}") from None
        if not hasattr(mod, "main"):
            raise CgsymError(f"{path.name} has no main() returning records")
        mods.append(mod)
    return mods


def recorded_verdicts() -> dict:
    """The committed regression record {number: verdict}."""
    try:
        text = resources.files("cgsym").joinpath("data/verdicts.json").read_text()
    except FileNotFoundError:
        return {}
    return json.loads(text)["verdicts"]


def write_verdicts(records: Sequence[Record], path: Path | None = None) -> Path:
    """Write the regression record (used when the reproduction changes on purpose)."""
    path = path or Path(__file__).resolve().parent / "data" / "verdicts.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"paper": "Cresser & Facer, Coarse-graining in the derivation of Markovian master "
                    "equations and its significance in quantum thermodynamics",
           "verdicts": {r.number: r.verdict for r in records}}
    path.write_text(json.dumps(doc, indent=1) + "\n")
    return path


def run() -> tuple[list[Record], float]:
    """Run every derivation script; (records in paper order, total seconds)."""
    t0 = time.perf_counter()
    records: list[Record] = []
    for mod in load_derivations():
        recs = mod.main()
        records.extend(recs)
    seen = set()
    for r in records:
        if r.number in seen:
            raise CgsymError(f"equation {r.number} is recorded twice")
        seen.add(r.number)
    return records, time.perf_counter() - t0


def regressions(records: Sequence[Record], recorded: Mapping[str, str]) -> list[str]:
    out = []
    got = {r.number: r.verdict for r in records}
    for num, v in recorded.items():
        if num not in got:
            out.append(f"Eq. {num}: recorded '{v}', now missing")
        elif got[num] != v:
            out.append(f"Eq. {num}: recorded '{v}', now '{got[num]}'")
    for num, v in got.items():
        if num not in recorded:
            out.append(f"Eq. {num}: '{v}' is not in the regression record")
    return out


def to_json(records: Sequence[Record], seconds: float) -> dict:
    return {"seconds": round(seconds, 3), "equations": [r.to_json() for r in records]}


def table_text(records: Sequence[Record], seconds: float) -> str:
    w = max(len(r.number) for r in records) if records else 8
    lines = [f"{'equation':<{max(w, 8)}}  {'section':<12}  {'verdict':<10}  seconds"]
    for r in records:
        lines.append(f"{r.number:<{max(w, 8)}}  {r.section:<12}  {r.verdict:<10}  {r.seconds:7.3f}")
    lines.append(f"{len(records)} equations: {_counts(records)}; {seconds:.1f} s")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# the LaTeX document
# ---------------------------------------------------------------------------
def _tex_text(s: str) -> str:
    """Plain text for LaTeX (evidence strings)."""
    rep = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
           "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
           "^": r"\textasciicircum{}", "<": r"\textless{}", ">": r"\textgreater{}"}
    return "".join(rep.get(c, c) for c in s)


_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "eta", "theta", "kappa", "lambda",
          "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "phi", "chi", "psi", "omega",
          "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Phi", "Psi", "Omega"}
_ASSIGN = re.compile(r"^([A-Za-z][A-Za-z0-9]*(?:_\{?[A-Za-z0-9+\-,]+\}?)?)=([-+]?[0-9.]+(?:e[-+]?[0-9]+)?)$")
#: a symbol with a subscript: a one-letter or Greek base (w_m, T_l, sigma_{1+}, omega_S);
#: a word with an underscore (correlation_function, a Python name) stays text
_NAME = re.compile(r"^(?:[A-Za-z][0-9]*|" + "|".join(sorted(_GREEK)) + r")"
                   r"(?:_(?:\{[A-Za-z0-9+\-,]+\}|[A-Za-z0-9+\-]{1,4}))$|^("
                   + "|".join(sorted(_GREEK)) + ")$")
_SCI = re.compile(r"^([-+]?[0-9.]+)e([-+]?)0*([0-9]+)$")


def _math_name(name: str) -> str:
    base, _, sub = name.partition("_")
    b = ("\\" + base) if base in _GREEK else base
    sub = sub[1:-1] if sub.startswith("{") and sub.endswith("}") else sub
    return b + (f"_{{{sub}}}" if sub else "")


def _math_number(x: str) -> str:
    m = _SCI.match(x)
    if m:
        return rf"{m.group(1)}\times 10^{{{'-' if m.group(2) == '-' else ''}{m.group(3)}}}"
    return x


#: a function written in an evidence string, "G(tau) = ..." or "gamma(w) = ..."
_FUNC_DEF = re.compile(r"(?<![\w.\-])([A-Za-z][A-Za-z0-9]*)\(((?:[^()=]|\([^()=]*\))*)\) = ")
#: names a formula may use: one letter, Greek, a name with an underscore (omega_m),
#: the functions SymPy reads; any other word (English) ends the formula
_MATH_FUNCS = {"exp", "cos", "sin", "tan", "cosh", "sinh", "tanh", "coth", "log", "sqrt",
               "Abs", "conjugate"}


def _formula_latex(text: str, names=()) -> str | None:
    """LaTeX of a formula written in an evidence string (``e^(-0.7|tau|)``,
    ``0.05 (w/3) e^(-w/3)``, ``G(tau)^*``) via SymPy's parser and printer, or None if
    it does not read as one.  Numbers keep their written digits (each is a symbol named
    by its text), ``|x|`` is Abs(x), ``x^*`` its conjugate, ``e`` and ``i`` the
    constants, a ``name(...)`` not known to SymPy an undefined function."""
    from sympy.parsing.sympy_parser import (convert_xor, implicit_multiplication_application,
                                            parse_expr, standard_transformations)
    words = re.findall(r"[A-Za-z][A-Za-z0-9_]*", text)
    for w in words:
        if not (len(w) == 1 or w in _GREEK or w in _MATH_FUNCS or "_" in w or w in names):
            return None
    if "=" in text or ", " in text or ";" in text:
        return None
    if re.search(r"\d[eE][-+]?\d|\dj\b", text):      # 1e-05, Python's complex 0.5j
        return None
    s = re.sub(r"\|([^|]+)\|", r" Abs(\1) ", text)
    s = re.sub(r"(\w+\([^()]*\)|\w+)\^\*", r"conjugate(\1)", s)
    local = {"e": sp.E, "i": sp.Symbol("i")}
    for f in set(re.findall(r"([A-Za-z][A-Za-z0-9_]*)\(", s)) - _MATH_FUNCS:
        local[f] = sp.Function(f)
    for w in words:
        if w not in local and w not in _MATH_FUNCS:
            local[w] = sp.Symbol(w)

    def number(m):
        key = f"NUMBER{len(local)}Q"
        local[key] = sp.Symbol(m.group(0))
        return f" {key} "
    s = re.sub(r"\d+\.\d+", number, s)
    try:
        e = parse_expr(s, local_dict=local, global_dict={"Abs": sp.Abs, "conjugate": sp.conjugate,
                                                          **{f: getattr(sp, f) for f in
                                                             _MATH_FUNCS - {"Abs", "conjugate"}},
                                                          "Integer": sp.Integer,
                                                          "Symbol": sp.Symbol,
                                                          "Function": sp.Function},
                       transformations=standard_transformations
                       + (implicit_multiplication_application, convert_xor))
    except Exception:       # noqa: BLE001 - any reading failure: the text stays text
        return None
    if not isinstance(e, sp.Expr):
        return None
    return sp.latex(e)


def _formula_spans(text: str):
    """[(is_formula, piece)]: "F(x) = RHS" with the longest RHS that reads as a formula
    (ending before a comma, semicolon, colon, bracket or the end) typeset whole."""
    out, pos = [], 0
    for m in _FUNC_DEF.finditer(text):
        if m.start() < pos:
            continue
        lhs = _formula_latex(m.group(0)[:-3], (m.group(1),))
        if lhs is None:
            continue
        rest = text[m.end():m.end() + 240]
        found = None
        for k in range(1, len(rest) + 1):          # the longest that reads wins
            if k < len(rest) and rest[k] not in " ,;:)":
                continue
            piece = rest[:k].rstrip(".")
            rhs = _formula_latex(piece.strip(), (m.group(1),))
            if rhs is not None:
                found = (rhs, len(piece))
        if found is not None:
            out.append((False, text[pos:m.start()]))
            out.append((True, f"{lhs} = {found[0]}"))
            pos = m.end() + found[1]
    out.append((False, text[pos:]))
    return out


def evidence_latex(text: str) -> str:
    """Evidence strings typeset: formulas "F(x) = ..." (read by SymPy, printed by its
    LaTeX printer), parameter assignments (omega_S=1.1341), names with subscripts
    (sigma_{1+}, T_l), Greek names and numbers in scientific notation become inline
    mathematics; the rest is text (escaped), so lines can break between words."""
    return "".join("$" + piece + "$" if formula else _evidence_words(piece)
                   for formula, piece in _formula_spans(text))


def _evidence_words(text: str) -> str:
    out = []
    # "T = 0.4321" is one assignment, like "T=0.4321"
    text = re.sub(r"(?<![\w=])([A-Za-z][A-Za-z0-9]*(?:_\{?[A-Za-z0-9+\-,]+\}?)?) = "
                  r"([-+]?[0-9]+(?:\.[0-9]+)?(?:e[-+]?[0-9]+)?)(?=[\s,;:)\].]|$)", r"\1=\2", text)
    for word in text.split(" "):
        m = re.match(r"^([\[(]*)(.*?)([\]),;:.]*)$", word)
        lead, core, trail = m.groups() if m else ("", word, "")
        a = _ASSIGN.match(core)
        if a:
            math = f"{_math_name(a.group(1))} = {_math_number(a.group(2))}"
        elif _NAME.match(core):
            math = _math_name(core)
        elif _SCI.match(core):
            math = _math_number(core)
        else:
            out.append(_tex_text(word))
            continue
        out.append(_tex_text(lead) + "$" + math + "$" + _tex_text(trail))
    return " ".join(out)


def _display(body: str, tag: str) -> str:
    body = clean_printed(body)
    # display material: an aligned block scaled down to the line width when wider
    return (r"\begin{equation}\tag{" + _tex_text(tag) + "}\n"
            r"\resizebox{\ifdim\width>\linewidth\linewidth\else\width\fi}{!}{$\displaystyle"
            "\n\\begin{aligned}" + body + "\\end{aligned}$}\n\\end{equation}")


def _counts(records: Sequence[Record]) -> str:
    """'47 reproduced, 15 errata' (and ', 1 undecided' when there is one)."""
    n = {v: sum(r.verdict == v for r in records) for v in VERDICTS}
    out = f"{n['reproduced']} reproduced, {n['erratum']} errata"
    return out + (f", {n['undecided']} undecided" if n["undecided"] else "")


def to_latex(records: Sequence[Record], seconds: float) -> str:
    out = [r"\documentclass[10pt]{article}", r"\usepackage{amsmath,amssymb,graphicx,longtable}",
           r"\usepackage[margin=1.6cm,landscape]{geometry}",
           r"\setlength{\parindent}{0pt}\allowdisplaybreaks\setlength{\emergencystretch}{3em}",
           r"\begin{document}",
           r"\section*{Cresser \& Facer reproduced by cgsym}",
           (rf"{len(records)} equations: {_counts(records)} "
            rf"({seconds:.1f}\,s). Conventions: $\hbar = k_B = 1$; $n(\omega, T) = "
            r"1/(e^{\omega/T} - 1)$; $J = J_{\mathrm{hot}} - J_{\mathrm{cold}}$ "
            r"(the paper's Eqs.~112, 138)."),
           # three records per row in a longtable: the table starts on page 1 and may
           # break across pages instead of floating away and leaving page 1 blank
           r"\begin{longtable}{lll@{\qquad}lll@{\qquad}lll}" + " & ".join(
               [r"\textbf{equation} & \textbf{section} & \textbf{verdict}"] * 3)
           + r"\\ \hline \endhead"]
    cells = [rf"{_tex_text(r.number)} & {_tex_text(r.section)} & {r.verdict}" for r in records]
    for k in range(0, len(cells), 3):
        row = cells[k:k + 3] + [" & & "] * (3 - len(cells[k:k + 3]))
        out.append(" & ".join(row) + r"\\")
    out.append(r"\end{longtable}")
    section = None
    for r in records:
        if r.section.split()[0] != section:
            section = r.section.split()[0]
            out.append(rf"\section*{{Section {_tex_text(section)}}}")
        out.append(rf"\subsection*{{Eq.~({_tex_text(r.number)}): {r.verdict}}}")
        out.append(r"\textbf{As printed:}")
        out.append(_display(r.printed_latex, r.number))
        out.append(r"\textbf{As derived by cgsym:}")
        out.append(_display(r.derived_latex, r.number))
        if r.definitions:
            defs = "; ".join(rf"${_sym_latex(k)} = {sp.latex(v)}$" for k, v in r.definitions)
            out.append(r"\textbf{Definitions that make the printed form hold:} " + defs + r"\par")
        if r.evidence:
            out.append(r"\textbf{Evidence:} {\small " + evidence_latex(r.evidence) + r"}\par")
    out.append(r"\end{document}")
    return "\n".join(out) + "\n"


def _sym_latex(name: str) -> str:
    return sp.latex(sp.Symbol(name))


def compile_latex(tex_path: Path, timeout: float = 120.0) -> tuple[bool, str]:
    """Compile with pdflatex (if installed) in a temporary directory."""
    exe = shutil.which("pdflatex")
    if exe is None:
        return False, "pdflatex not installed"
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(tex_path, Path(tmp) / tex_path.name)
        p = subprocess.run([exe, "-interaction=nonstopmode", "-halt-on-error", tex_path.name],
                           cwd=tmp, capture_output=True, text=True, timeout=timeout)
        ok = p.returncode == 0 and (Path(tmp) / (tex_path.stem + ".pdf")).exists()
        if ok:
            shutil.copy(Path(tmp) / (tex_path.stem + ".pdf"), tex_path.with_suffix(".pdf"))
        return ok, p.stdout[-2000:]


def main(args) -> int:
    """``cgsym reproduce``: run, print, write JSON and LaTeX, guard the verdicts."""
    out_dir = Path(getattr(args, "out", "out") or "out")
    fmt = getattr(args, "format", "text") or "text"
    records, seconds = run()
    out_dir.mkdir(parents=True, exist_ok=True)
    doc = to_json(records, seconds)
    (out_dir / "reproduction.json").write_text(json.dumps(doc, indent=1) + "\n")
    (out_dir / "reproduction.tex").write_text(to_latex(records, seconds))
    if fmt == "json":
        print(json.dumps(doc, indent=1))
    else:
        print(table_text(records, seconds))
        print(f"wrote {out_dir / 'reproduction.json'} and {out_dir / 'reproduction.tex'}")
    bad = regressions(records, recorded_verdicts())
    if bad:
        for b in bad:
            print(f"cgsym: verdict changed: {b}", file=sys.stderr)
        return 1
    return 0
