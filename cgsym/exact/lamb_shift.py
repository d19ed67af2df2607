r"""The Lamb shift: the energy-shift term of paper Eq. (30), kept instead of dropped.

Conventions (hbar = k_B = 1; cgsym's sign of the Bohr frequencies, omega_m > 0 raises)
----------------------------------------------------------------------------------------
* Bath correlation function (paper Eq. 40) G_p(tau) = Tr[B_p(tau) B_p(0) rho_R]
  = (1/2pi) int dnu S_p(nu) e^{-i nu tau}, with the two-sided bath spectrum
  S_p(nu) = gamma_p^odd(nu) (n(nu, T_p) + 1), gamma_p^odd(nu) = sgn(nu) gamma_p(|nu|)
  (so S_p(nu) = gamma(nu)(n + 1) for nu > 0 and gamma(|nu|) n(|nu|) for nu < 0).
* One-sided spectrum, in cgsym's sign of omega (X_m e^{i omega_m t}):

      Gamma~_p(omega) = int_0^oo dtau e^{-i omega tau} G_p(tau)
                      = Gamma_p(omega)/2 + i Delta_p(omega),

  Gamma_p(omega) = S_p(-omega) = gamma(|omega|)(n(|omega|) + theta(-omega)) the rate of
  the rest of cgsym, and the Lamb-shift function

      Delta_p(omega) = -(1/2pi) P int dnu S_p(nu) / (nu + omega).

  (The issue's Gamma_p(omega) = int_0^oo e^{i omega t} C_p(t) dt is the same object with
  the opposite sign of omega, for eigenoperators that *lower* the energy.)
* H_LS = sum_p sum_mn Delta^p_mn X_n^dagger X_m, with the pair rules of the regime's gamma
  matrix: secular Delta_mm = Delta(omega_m); partial secular Delta_mn =
  Delta((omega_m + omega_n)/2) for m, n in one slow cluster; weak internal coupling:
  Delta at the slow -> 0 limit of the argument.  In the secular regime H_LS commutes with
  H_S (it is diagonal in the energy basis up to exact degeneracies).

Two routes to Delta_p:

* **closed form** (:func:`one_sided_spectrum`): when gamma^odd is a rational function of
  nu (Drude-Lorentz, underdamped, ...), G(tau) for tau > 0 is a sum of residues in the
  lower half plane (the rate's poles and the Matsubara poles nu = -2 pi i k T of n + 1),
  so Gamma~(omega) = -sum_j Res_j / (nu_j + omega); the Matsubara series is summed
  exactly by partial fractions in k: sum_k sum_j c_j/(k - k_j) = -sum_j c_j psi(1 - k_j)
  (sum_j c_j = 0).  Computed here by SymPy from the model's rate, never transcribed.
* **numeric** (:func:`lamb_shift_value`): the principal-value integral folded about
  nu = -omega, -(1/2pi) int_0^oo [S(u - omega) - S(-u - omega)]/u du, by mpmath at 15
  digits.

A rate that does not vanish at omega -> 0 (n ~ T/omega makes S ~ T gamma(0)/|nu|) or does not
decay as omega -> oo (log divergence), e.g. a flat rate, has no finite Lamb shift:
:func:`check_lamb_shift` says so in one line.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import mpmath
import sympy as sp
from sympy.printing.defaults import Printable

from ..errors import CgsymError
from ..model import Model, Reservoir
from ..operators import ImmutableMatrix
from ..symbols import OMEGA

__all__ = ["W", "check_lamb_shift", "one_sided_spectrum", "lamb_shift_function",
           "lamb_shift_value", "LambShift", "lamb_shift", "lamb_shift_numeric"]

#: real frequency argument of Gamma~(w) and Delta(w) (any sign, cgsym's sign convention)
W = sp.Symbol("w", real=True)
_NU = sp.Symbol("nu")
_K = sp.Symbol("k", integer=True, positive=True)


def _flip_i(e):
    """Complex conjugate of an expression whose atoms other than i are real."""
    return e.xreplace({sp.I: -sp.I})


@lru_cache(maxsize=64)
def check_lamb_shift(res: Reservoir) -> None:
    """Raise a one-line CgsymError when Delta_p(omega) diverges for this rate function."""
    why = divergence_reasons(res)
    if why:
        raise CgsymError(
            f"reservoir '{res.name}': the Lamb shift diverges for the rate gamma(omega) = "
            f"{sp.sstr(res.rate)}: its principal-value integral -(1/2pi) P int S(nu)/(nu + omega) dnu "
            f"has no finite value ({'; '.join(why)}); a Lamb shift needs a rate that vanishes "
            f"as omega -> 0 and decays as omega -> oo (e.g. Drude-Lorentz)")


@lru_cache(maxsize=64)
def divergence_reasons(res: Reservoir) -> tuple:
    """Why the principal-value integral of Delta_p diverges (empty when it converges)."""
    g = res.rate
    at0 = sp.limit(g, OMEGA, 0, "+") if g.has(OMEGA) else g
    atoo = sp.limit(g, OMEGA, sp.oo) if g.has(OMEGA) else g
    why = []
    if not (at0.is_zero):
        why.append(f"gamma(0+) = {sp.sstr(at0)} is not 0, so S(nu) ~ T gamma(0)/|nu| "
                   f"is not integrable at nu = 0")
    if not (atoo.is_zero):
        why.append(f"gamma(omega) -> {sp.sstr(atoo)} as omega -> oo, so the integral "
                   f"diverges logarithmically at large |nu|")
    return tuple(why)


@lru_cache(maxsize=64)
def one_sided_spectrum(res: Reservoir) -> sp.Expr | None:
    r"""Closed form of Gamma~_p(w) (a function of :data:`W`), or None.

    Implemented for rate functions that continue to an odd rational function
    gamma^odd(nu) = gamma(nu) of nu decaying at least as 1/nu, with poles whose imaginary
    parts SymPy can sign (e.g. Drude-Lorentz 4 lam g w/(w^2 + g^2)).  Returns None for any
    other rate (then only the numeric route applies).  The Matsubara series is summed with
    digamma functions (see the module docstring).
    """
    check_lamb_shift(res)
    g = sp.sympify(res.rate)
    T = res.temperature
    if not g.has(OMEGA):
        return None
    godd = g.xreplace({OMEGA: _NU})
    if not godd.is_rational_function(_NU):
        return None
    if sp.cancel(godd.xreplace({_NU: -_NU}) + godd) != 0:
        return None
    num, den = sp.fraction(sp.cancel(sp.together(godd)))
    pnum, pden = sp.Poly(num, _NU), sp.Poly(den, _NU)
    if pden.degree() < pnum.degree() + 1:
        return None
    roots = sp.roots(pden)
    if sum(roots.values()) != pden.degree() or any(m != 1 for m in roots.values()):
        return None
    total = sp.S.Zero
    dden = sp.diff(den, _NU)
    for p in roots:
        im = sp.im(p)
        if im.is_negative:
            res_p = sp.cancel(num.subs(_NU, p) / dden.subs(_NU, p))
            occ = 1 / (1 - sp.exp(-p / T))           # n(p) + 1
            total += -res_p * occ / (p + W)
        elif not im.is_positive:
            return None   # a pole on or not known to be off the real axis
    # Matsubara poles nu_k = -2 pi i k T of n(nu) + 1, residue T each
    nuk = -2 * sp.pi * sp.I * _K * T
    term = sp.cancel(-T * godd.xreplace({_NU: nuk}) / (nuk + W))
    tn, td = sp.fraction(term)
    ptd = sp.Poly(td, _K)
    kroots = sp.roots(ptd)
    if sum(kroots.values()) != ptd.degree() or any(m != 1 for m in kroots.values()):
        return None
    dtd = sp.diff(td, _K)
    coeffs = [(kj, sp.cancel(tn.subs(_K, kj) / dtd.subs(_K, kj))) for kj in kroots]
    if sp.cancel(sum(c for _, c in coeffs)) != 0:   # the series would not converge
        return None
    total += -sum(c * sp.polygamma(0, 1 - kj) for kj, c in coeffs)
    return total


@lru_cache(maxsize=64)
def lamb_shift_function(res: Reservoir) -> sp.Expr | None:
    """Closed form of Delta_p(w) = Im Gamma~_p(w) (real for real w), or None."""
    G = one_sided_spectrum(res)
    if G is None:
        return None
    return sp.expand((G - _flip_i(G)) / (2 * sp.I))


def tidy_lamb_shift_function(f: sp.Expr, model: Model) -> sp.Expr:
    """A readable view of a closed-form Delta_p(w), proved equal to ``f`` before it is returned.

    Terms are grouped by their digamma functions (each group put over one denominator); the
    rest (exponentials of i gamma_c/T from the rate's poles) is made real with
    ``rewrite(cos)`` + ``expand_complex`` + ``simplify``.  Equality with ``f`` is checked at
    three odd points at 40 digits (relative 1e-30); if it fails, ``f`` itself is returned.
    """
    groups: dict = {}
    for t in sp.Add.make_args(f):
        key = tuple(sorted(map(sp.srepr, t.atoms(sp.polygamma))))
        groups.setdefault(key, []).append(t)
    out = sp.S.Zero
    for key, terms in groups.items():
        g = sp.Add(*terms)
        if not key:
            g = sp.simplify(sp.expand_complex(g.rewrite(sp.cos)))
            g = sp.factor_terms(sp.together(g))
        else:
            n_, d_ = sp.fraction(sp.together(g))
            g = sp.factor_terms(n_) / sp.expand(d_)
        out += g
    syms = [p.symbol for p in model.parameters]
    for k, (a, w) in enumerate(((0.4321, 0.7123), (1.1341, -1.31), (0.2718, 2.2361))):
        pt = {s_: sp.Float(a + 0.1173 * i + 0.05 * k, 40) for i, s_ in enumerate(syms)}
        pt[W] = sp.Float(w, 40)
        x, y = sp.N(f.xreplace(pt), 40), sp.N(out.xreplace(pt), 40)
        if not abs(sp.re(x) - sp.re(y)) <= sp.Float(10) ** -30 * (abs(x) + sp.Float(10) ** -40):
            return f
    return out


# ---------------------------------------------------------------------------------------
# numeric route (mpmath)
# ---------------------------------------------------------------------------------------
def _bath_spectrum(rate, T):
    """S(nu) = gamma^odd(nu)(n(nu) + 1) as an mpmath function; rate(omega) for omega > 0."""
    T = mpmath.mpf(T)

    def S(nu):
        if nu == 0:
            h = T * mpmath.mpf(10) ** (-mpmath.mp.dps // 2)
            return T * rate(h) / h
        a = abs(nu)
        ga = rate(a)
        n = 1 / mpmath.expm1(a / T)
        return ga * (n + 1) if nu > 0 else ga * n
    return S


def lamb_shift_value(w, rate, T, dps: int = 15, scale=None) -> mpmath.mpf:
    r"""Delta(w) = -(1/2pi) P int dnu S(nu)/(nu + w), numerically (mpmath, ``dps`` digits).

    ``rate`` is gamma(omega) for omega > 0 (an mpmath-callable); ``scale`` an optional list of
    frequencies (cutoffs) used as extra breakpoints.  Folded about nu = -w:
    -(1/2pi) int_0^oo [S(u - w) - S(-u - w)]/u du, with breakpoints at u = |w| (the kink of S
    at nu = 0) and at the given scales.
    """
    with mpmath.workdps(dps + 10):
        w = mpmath.mpf(w)
        S = _bath_spectrum(rate, T)

        def f(u):
            if u == 0:
                return 2 * mpmath.diff(S, -w) if w != 0 else rate(mpmath.mpf(10) ** -8) * 1e8
            return (S(u - w) - S(-u - w)) / u
        pts = sorted({mpmath.mpf(0), abs(w)} | {mpmath.mpf(abs(s)) for s in (scale or [])}
                     | {mpmath.mpf(T)})
        pts = [p for p in pts if p >= 0]
        pts = sorted(set(pts + [pts[-1] * 4, pts[-1] * 40]))
        val = mpmath.quad(f, pts + [mpmath.inf])
        return +(-val / (2 * mpmath.pi))


# ---------------------------------------------------------------------------------------
# symbolic H_LS on a spectrum
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LambShift(Printable):
    """H_LS = sum_p sum_mn Delta^p_mn X_n^dagger X_m in one regime (symbolic).

    ``functions[p]`` is the closed form of Delta_p(w) (or None: numeric only, written
    ``Delta_p(w)`` unevaluated); ``coefficients[p]`` the matrix Delta^p_mn over ``indices[p]``;
    ``hamiltonian`` H_LS in the product basis.
    """

    regime: str
    weak_internal: bool
    indices: tuple
    functions: tuple           # ((reservoir, expr | None), ...)
    coefficients: tuple        # ((reservoir, ImmutableMatrix), ...)
    hamiltonian: ImmutableMatrix
    views: tuple = ()          # ((reservoir, tidy Delta_p(w)), ...) proved equal, for text
    abbreviated: tuple = ()    # ((reservoir, matrix of Delta_p(arg))), ...) and ("H", H_LS)

    def function(self, reservoir):
        return dict(self.functions)[reservoir]

    def coefficient_matrix(self, reservoir):
        return dict(self.coefficients)[reservoir]

    def _latex(self, printer):
        return r"H_{\mathrm{LS}} = " + printer._print(self.hamiltonian)

    def text(self) -> str:
        """Delta_p(w) once (tidy view), then every matrix written with Delta_p(argument)."""
        lines = [f"Lamb shift H_LS = sum_p sum_mn Delta^p_mn X_n^dagger X_m "
                 f"({self.regime}{', weak internal' if self.weak_internal else ''}):"]
        views = dict(self.views)
        abbr = dict(self.abbreviated)
        for (p, f), (_, M), (_, idx) in zip(self.functions, self.coefficients, self.indices):
            lines.append(f"  Delta_{p}(w) = " + (sp.sstr(views.get(p, f)) if f is not None else
                         "numeric only (rate not an odd rational function of omega)"))
            M = abbr.get(p, M)
            lines.append(f"  Delta^{p}_mn, m, n in {list(idx)}:")
            for i in range(M.rows):
                lines.append("    [" + ", ".join(sp.sstr(x) for x in M.row(i)) + "]")
        H = abbr.get("H", self.hamiltonian)
        lines.append("  H_LS (product basis):")
        for i in range(H.rows):
            lines.append("    [" + ", ".join(sp.sstr(x) for x in H.row(i)) + "]")
        return "\n".join(lines)

    def to_json(self) -> dict:
        return {"regime": self.regime, "weak_internal": self.weak_internal,
                "functions": {p: (sp.sstr(f) if f is not None else None)
                              for p, f in self.functions},
                "coefficients": {p: {"indices": list(idx),
                                     "matrix": [[sp.sstr(x) for x in M.row(i)]
                                                for i in range(M.rows)]}
                                 for (p, M), (_, idx) in zip(self.coefficients, self.indices)},
                "hamiltonian": [[sp.sstr(x) for x in self.hamiltonian.row(i)]
                                for i in range(self.hamiltonian.rows)]}


def lamb_shift(spec, regime: str, weak_internal: bool = False) -> LambShift:
    """Symbolic H_LS on a :class:`cgsym.spectrum.Spectrum` with the regime's pair rules."""
    from ..operators import adjoint
    from ..rates import check_regime
    from ..spectrum import _slow_limit
    check_regime(regime)
    model = spec.model
    wmap = dict(spec.frequencies)
    H = sp.zeros(model.dim, model.dim)
    Habbr = sp.zeros(model.dim, model.dim)
    funcs, coeffs, indices, views, abbr = [], [], [], [], []
    for res in model.reservoirs:
        f = lamb_shift_function(res)
        Dfun = sp.Function(f"Delta_{res.name}")
        ops = spec.operators(res.name)
        idx = tuple(e.index for e in ops)
        M = sp.zeros(len(idx), len(idx))
        A = sp.zeros(len(idx), len(idx))
        for i, m in enumerate(idx):
            for j, k in enumerate(idx):
                same = (m == k) if regime == "secular" else (
                    spec.cluster_of(m).index == spec.cluster_of(k).index)
                if not same:
                    continue
                w = sp.expand((wmap[m] + wmap[k]) / 2)
                if weak_internal:
                    w = _slow_limit(w, model)
                M[i, j] = f.xreplace({W: w}) if f is not None else Dfun(w)
                A[i, j] = Dfun(w)     # the same entry, written with the abbreviation
        for i, ei in enumerate(ops):
            for j, ej in enumerate(ops):
                if M[i, j] != 0:
                    # H_LS term Delta_mn X_n^dagger X_m with m = ei, n = ej
                    XX = adjoint(ej.matrix, model.adjoint_mode) * ei.matrix
                    H += M[i, j] * XX
                    Habbr += A[i, j] * XX
        funcs.append((res.name, f))
        coeffs.append((res.name, ImmutableMatrix(M)))
        indices.append((res.name, idx))
        abbr.append((res.name, ImmutableMatrix(A)))
        if f is not None:
            views.append((res.name, tidy_lamb_shift_function(f, model)))
    abbr.append(("H", ImmutableMatrix(Habbr.applyfunc(sp.expand))))
    return LambShift(regime, bool(weak_internal), tuple(indices), tuple(funcs), tuple(coeffs),
                     ImmutableMatrix(H.applyfunc(sp.expand)), tuple(views), tuple(abbr))


# ---------------------------------------------------------------------------------------
# numeric H_LS at a point
# ---------------------------------------------------------------------------------------
def rate_mpmath(model: Model, res: Reservoir, values: dict):
    """gamma_p(omega) at a parameter point as an mpmath function of omega > 0."""
    pt = {p.symbol: sp.Float(values[p.name], 30) for p in model.parameters}
    f = sp.lambdify(OMEGA, sp.sympify(res.rate).xreplace(pt), modules="mpmath")

    def rate(w):
        v = f(w)
        return mpmath.re(v) if isinstance(v, mpmath.mpc) else mpmath.mpf(v)
    return rate


def lamb_shift_callable(model: Model, res: Reservoir, values: dict, dps: int = 15):
    """Delta_p(w) at a parameter point as a float function of real w: the closed form when
    there is one (mpmath, ``dps`` digits), else the numeric principal-value integral."""
    check_lamb_shift(res)
    f = lamb_shift_function(res)
    T = float(sp.sympify(res.temperature).xreplace(
        {p.symbol: values[p.name] for p in model.parameters}))
    if f is not None:
        pt = {p.symbol: sp.Float(values[p.name], dps + 10) for p in model.parameters}
        g = sp.lambdify(W, f.xreplace(pt), modules="mpmath")

        def delta(w):
            with mpmath.workdps(dps + 10):
                return float(mpmath.re(g(mpmath.mpf(w))))
        delta.route = "closed form"
        return delta
    rate = rate_mpmath(model, res, values)
    cache = {}

    def delta(w):
        key = float(w)
        if key not in cache:
            cache[key] = float(lamb_shift_value(key, rate, T, dps))
        return cache[key]
    delta.route = "numeric"
    return delta


def lamb_shift_numeric(nr, regime: str | None = None, weak_internal: bool | None = None,
                       dps: int = 15):
    """H_LS,p per reservoir at a numeric point, from a :class:`cgsym.numerics.NumericResult`.

    ``regime`` "secular" or "partial-secular" (default: the result's) applies the pair rules;
    returns ``{reservoir: H_LS,p}`` (Hermitian d x d arrays, product basis).
    """
    import numpy as np
    regime = regime or nr.regime
    weak = nr.weak_internal if weak_internal is None else weak_internal
    out = {}
    for res in nr.model.reservoirs:
        p = res.name
        delta = lamb_shift_callable(nr.model, res, dict(nr.values), dps)
        w = nr.frequencies[p]
        lim = nr.limit_frequencies[p]
        ops = nr.eigenoperators[p]
        d = nr.dim
        H = np.zeros((d, d), dtype=complex)
        for cl in nr.clusters[p]:
            for m in cl:
                for k in (cl if regime == "partial-secular" else (m,)):
                    arg = lim[m] if weak else (w[m] + w[k]) / 2
                    H += delta(arg) * (ops[k].conj().T @ ops[m])
        out[p] = (H + H.conj().T) / 2
    return out


def correlation_time_from_poles(model: Model, res: Reservoir, values: dict) -> float | None:
    """tau_c = 1/min |Im nu_j| over the lower-half-plane poles of S(nu) (the rate's poles and
    the first Matsubara pole 2 pi T): the slowest exponential decay of G(tau).  None when the
    rate is not an odd rational function of omega (use :mod:`cgsym.diagnostics` there)."""
    g = sp.sympify(res.rate)
    if not g.has(OMEGA):
        return None
    godd = g.xreplace({OMEGA: _NU})
    if not godd.is_rational_function(_NU) or sp.cancel(godd.xreplace({_NU: -_NU}) + godd) != 0:
        return None
    pt = {p.symbol: sp.Float(values[p.name], 20) for p in model.parameters}
    den = sp.fraction(sp.cancel(sp.together(godd)))[1].xreplace(pt)
    roots = sp.Poly(den, _NU).nroots()
    rates = [abs(float(sp.im(r))) for r in roots if float(sp.im(r)) < 0]
    T = float(sp.sympify(res.temperature).xreplace(pt))
    rates.append(2 * float(sp.pi) * T)
    return 1 / min(rates)
