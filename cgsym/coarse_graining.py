r"""Finite coarse-graining time layer: the exact :math:`\gamma_{mn}(\Delta t)` and its limits.

Numeric core (pure functions, mpmath) for Cresser & Facer, Sections II-III and Appendix A:
the coarse-grained rate matrix of Eq. (45) at finite :math:`\Delta t`, the energy-shift
coefficients of Eq. (30), the secular (Eq. 52) and partial-secular (Eq. 55) plateaus, the
:math:`O(1/\Delta t)` correction of Eq. (47) and the time-scale ladder of Appendix A.
Independent of the symbolic engine; :math:`\hbar = k_B = 1`.

Conventions
-----------
* :math:`\bar X(t) = \sum_m X_m e^{i\omega_m t}` with :math:`[H_S, X_m] = \omega_m X_m`, so
  :math:`\omega_m > 0` means :math:`X_m` *raises* the energy (absorption from the bath).
* ``rate`` is the user's :math:`\gamma(\omega) = 2\pi g(\omega)^2` for :math:`\omega > 0`;
  :math:`n(\omega) = 1/(e^{\omega/T} - 1)`.
* Bath spectrum on the whole real line (KMS: :math:`S(-\nu) = e^{-\nu/T} S(\nu)`):
  :math:`S(\nu) = \gamma(\nu)(n(\nu)+1)` for :math:`\nu > 0`, :math:`S(-\nu) = \gamma(\nu) n(\nu)`,
  so that Eq. (40) reads :math:`G(\tau) = \frac{1}{2\pi}\int d\nu\, S(\nu) e^{-i\nu\tau}`.
* Plateau rate :math:`\Gamma(\omega) := S(-\omega)
  = \gamma(|\omega|)(n(|\omega|) + \theta(-\omega))` (Eq. 52).

Exact reduction of Eq. (45) (derived in ``derivations/notes_eq46.md``), with
:math:`\bar\omega = (\omega_m+\omega_n)/2`, :math:`\delta = \omega_{mn}/2`,
:math:`x = \nu + \bar\omega`:

.. math::

   \gamma_{mn}(\Delta t)
   = \frac{1}{2\pi\Delta t}\int d\nu\, S(\nu) f(\nu+\omega_m) f^*(\nu+\omega_n)
   = \frac{e^{i\omega_{mn}\Delta t/2}}{\pi\Delta t}\int d\nu\, S(\nu)
     \frac{\cos\delta\Delta t - \cos x\Delta t}{x^2 - \delta^2},
   \qquad f(x) = \frac{e^{ix\Delta t} - 1}{ix},

and for the energy shift :math:`\Delta H = \sum_{mn} s_{mn} X_n^\dagger X_m` of Eq. (30)

.. math::

   s_{mn}(\Delta t) = -\frac{e^{i\omega_{mn}\Delta t/2}}{2\pi\Delta t}\int d\nu\, S(\nu)
     \frac{x \sin(\delta\Delta t)/\delta - \sin x\Delta t}{x^2 - \delta^2}.

Numerical method: both integrands are folded about :math:`x = 0` (even/odd parts of
:math:`S(\bar p \pm x)`, :math:`\bar p = -\bar\omega`), the value of :math:`S` at the removable
singularity is subtracted and integrated in closed form (sine and cosine integrals), and the smooth
remainder is integrated panel by panel: Gauss-Legendre where the panel holds fewer than about one
oscillation, otherwise Filon-Legendre (exact moments :math:`\int P_k(t) e^{i\kappa t} dt =
2 i^k j_k(\kappa)`), so the cost does not grow with :math:`\Delta t`.  Panels are refined globally
(largest error first) until the estimated error is below :math:`10^{-(\mathrm{dps}+1)}` of the
result (off-diagonal elements: of :math:`\sqrt{\gamma_{mm}\gamma_{nn}}`); the error estimate is
the resolution of the integrand (its last Legendre coefficients), so the achieved accuracy is
typically 10-100 times better.  Panels are graded towards the kink of :math:`S` at
:math:`\nu = 0` from width :math:`T` (the Bose layer), and the tail beyond the spectral cutoff
is added panel by panel until negligible.  Working precision is ``dps`` plus 12 guard digits.
``rate`` should be written with mpmath functions for full precision (a ``math``/NumPy rate is
detected and accepted, with the result then limited to about double precision).  Features of
the rate much narrower than :math:`T` or than the spacing of the frequencies (a sharp
Lorentzian peak) must be announced by the caller: they are not searched for.
"""
from __future__ import annotations

import heapq
import itertools
import math
import numbers
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Optional, Sequence

import mpmath
import mpmath.libmp as _libmp

from cgsym.errors import CgsymError

__all__ = [
    "CoarseGrainingWarning",
    "TimescaleLadder",
    "check_spectral_function",
    "correlation_function",
    "correlation_time",
    "first_order_correction",
    "gamma_element_dt",
    "gamma_matrix_dt",
    "lamb_shift_dt",
    "partial_secular_limit",
    "plateau_rate",
    "secular_limit",
    "timescale_ladder",
]

_GUARD_DIGITS = 12       # extra working digits
_TOL_DIGITS = 1          # target error 10^-(dps + _TOL_DIGITS) relative
_NODES = 28              # Gauss-Legendre nodes per panel
_K0 = 8                  # panels with Delta t * half-width <= _K0 use plain Gauss-Legendre
_MAX_PANELS = 3000       # panel evaluations before giving up
_SCAN = [mpmath.mpf(10) ** (k / mpmath.mpf(2)) for k in range(-60, 81)]  # 1e-30 .. 1e40


_make_mpf = mpmath.mp.make_mpf
_QUARTER = mpmath.mpf(0.25)._mpf_


class CoarseGrainingWarning(UserWarning):
    """The time-scale ordering tau_c << Delta t << tau_S (or a plateau condition) fails."""


# ---------------------------------------------------------------------------------------------
# Input validation (the border where user numbers enter)
# ---------------------------------------------------------------------------------------------

def _real(value, name: str) -> mpmath.mpf:
    """Convert a real number (int, float, Fraction, mpf, real SymPy number) to mpf, or raise."""
    if isinstance(value, bool):
        raise CgsymError(f"{name} must be a real number, got {value!r}")
    try:
        if isinstance(value, mpmath.mpf):
            out = +value
        elif isinstance(value, numbers.Integral):
            out = mpmath.mpf(int(value))
        elif isinstance(value, numbers.Rational):
            out = mpmath.mpf(int(value.numerator)) / int(value.denominator)
        elif isinstance(value, numbers.Real):
            out = mpmath.mpf(float(value)) if not hasattr(value, "_mpf_") else mpmath.mpf(value)
        elif hasattr(value, "is_number") and getattr(value, "is_number", False):
            if not value.is_real:  # SymPy number that is not (known to be) real
                raise TypeError
            out = mpmath.mpf(value.evalf(mpmath.mp.dps + 5))
        else:
            raise TypeError
    except (TypeError, ValueError, AttributeError):
        raise CgsymError(f"{name} must be a real number, got {value!r}") from None
    if not mpmath.isfinite(out):
        raise CgsymError(f"{name} must be finite, got {value!r}")
    return out


def _positive(value, name: str) -> mpmath.mpf:
    out = _real(value, name)
    if out <= 0:
        raise CgsymError(f"{name} must be positive, got {value!r}")
    return out


def _check_dps(dps) -> int:
    if isinstance(dps, bool) or not isinstance(dps, numbers.Integral) or not 1 <= int(dps) <= 1000:
        raise CgsymError(f"dps must be an integer between 1 and 1000, got {dps!r}")
    return int(dps)


def _frequencies(frequencies) -> list:
    if isinstance(frequencies, (str, bytes)):
        raise CgsymError("frequencies must be a sequence of real numbers")
    try:
        values = list(frequencies)
    except TypeError:
        raise CgsymError("frequencies must be a sequence of real numbers") from None
    if not values:
        raise CgsymError("frequencies must not be empty")
    return [_real(w, "frequency") for w in values]


# ---------------------------------------------------------------------------------------------
# The bath spectrum S(nu) and the admissibility check
# ---------------------------------------------------------------------------------------------

def _call_rate(rate, omega) -> mpmath.mpf:
    try:
        value = rate(omega)
    except CgsymError:
        raise
    except Exception as exc:  # a user callable: report, never crash with a traceback
        raise CgsymError(f"rate(omega) failed at omega={mpmath.nstr(omega, 5)}: {exc}") from None
    if not isinstance(value, mpmath.mpf):
        try:
            value = _real(value, "rate(omega)")
        except CgsymError:
            raise CgsymError(f"rate(omega) must return a real number, got {value!r} "
                             f"at omega={mpmath.nstr(omega, 5)}") from None
    return value


def _scan_rate(rate, T):
    """Evaluate rate on a log grid; validate sign and the two ends of the spectrum.

    Returns (peak omega, upper extent) used to place the first integration panels.
    """
    qs = []
    for w in _SCAN:
        r = _call_rate(rate, w)
        if not mpmath.isfinite(r):
            raise CgsymError(f"rate(omega) is not finite at omega={mpmath.nstr(w, 5)}")
        if r < 0:
            raise CgsymError(f"rate(omega) must be non-negative (positivity), got "
                             f"{mpmath.nstr(r, 5)} at omega={mpmath.nstr(w, 5)}")
        qs.append(w * r)
    peak = max(qs)
    if peak == 0:
        return None, mpmath.mpf(1)
    # omega -> 0: gamma(omega) n(omega) ~ T gamma(omega)/omega must stay finite, i.e. the
    # spectral function must vanish at least linearly (Ohmic or super-Ohmic).
    r_lo = [qs[i] / _SCAN[i] ** 2 for i in (0, 10, 20)]  # rate/omega at 1e-30, 1e-25, 1e-20
    if r_lo[0] > 2 * r_lo[1] and r_lo[1] > 2 * r_lo[2] and r_lo[0] > 0:
        raise CgsymError("the spectral function must vanish as omega -> 0 (gamma(omega) n(omega) "
                         "diverges, e.g. a flat or sub-Ohmic rate): the Delta t integrals diverge")
    # omega -> infinity: integrable decay, i.e. omega*rate(omega) -> 0 (rate = o(1/omega)).
    top = qs[-1]
    if top > mpmath.mpf(10) ** -30 * peak and top > qs[-21] / 2:
        raise CgsymError("the spectral function must decay faster than 1/omega as omega -> "
                         "infinity (no cutoff?): the Delta t integrals diverge")
    i_peak = qs.index(peak)
    extent = None
    for i in range(len(qs) - 1, i_peak - 1, -1):
        if qs[i] > mpmath.mpf(10) ** -6 * peak:
            extent = _SCAN[i]
            break
    if extent is None or extent > _SCAN[i_peak] * 10 ** 4:
        extent = _SCAN[i_peak] * 10 ** 4  # slowly decaying tail: extended adaptively later
    return _SCAN[i_peak], max(extent, 2 * T)


def check_spectral_function(rate: Callable, T) -> None:
    r"""Check that the coarse-graining integrals exist for this rate function and temperature.

    The :math:`\Delta t` integrals of Eqs. (45)-(47) and (30) are finite only if

    * :math:`\gamma(\omega) n(\omega) \to` finite as :math:`\omega \to 0` (rate vanishing at
      least linearly; a flat rate gives :math:`S(\nu) \sim T\gamma/|\nu|`, log-divergent), and
    * :math:`\omega\gamma(\omega) \to 0` as :math:`\omega \to \infty` (integrable; a rate
      growing like :math:`\omega` gives a UV log divergence in Eq. 45 and :math:`G(0) = \infty`).

    Both are tested numerically on a log grid :math:`10^{-30} \le \omega \le 10^{40}`, with the
    rate also required to be finite, real and non-negative there.

    Raises
    ------
    CgsymError
        One-line message naming the violated condition.
    """
    if not callable(rate):
        raise CgsymError("rate must be a callable gamma(omega) for omega > 0")
    T = _positive(T, "temperature T")
    with mpmath.workdps(20):
        _scan_rate(rate, T)


class _Bath:
    """S(nu) on the real line for a validated rate function at temperature T."""

    def __init__(self, rate, T):
        if not callable(rate):
            raise CgsymError("rate must be a callable gamma(omega) for omega > 0")
        self.rate = rate
        self.T = T
        self._memo = {}
        self.peak, self.extent = _scan_rate(rate, T)
        self._S0 = None
        self._S0_prec = None
        # A rate computed in double precision (math/NumPy) limits what can be resolved: the
        # panel error estimates then stop at this relative noise level (see _adaptive).
        at = mpmath.mpf(T) * mpmath.mpf("1.2345")
        _call_rate(rate, at)
        probe = rate(at)
        self.noise = mpmath.mpf(0) if isinstance(probe, (mpmath.mpf, numbers.Integral)) \
            else mpmath.mpf(2) ** -48

    def S(self, nu):
        # memoised per point and working precision: the re and im parts of a correlation
        # function (and their first panels) evaluate S at the same nodes (2/3 of the calls
        # of reproduce's Eq. 46 check are repeats); the values are those computed first
        key = (nu._mpf_, mpmath.mp.prec)
        got = self._memo.get(key)
        if got is None:
            got = self._memo[key] = self._S(nu)
        return got

    def _S(self, nu):
        # The hot spot of every integral: written on mpmath's raw (sign, man, exp, bc) tuples
        # to skip the wrapper overhead.  nu > 0: rate/(1 - e^{-y}) = rate (n+1) (emission);
        # nu < 0: rate/(e^{y} - 1) = rate n (absorption), y = |nu|/T.  expm1 (slow in
        # mpmath) only where the subtraction would cancel.
        sign, man, exp, bc = nu._mpf_
        if not man:
            return self.S0()
        a = nu if not sign else _make_mpf((0, man, exp, bc))
        r = self.rate(a)
        rt = r._mpf_ if isinstance(r, mpmath.mpf) else mpmath.mpf(r)._mpf_
        prec = mpmath.mp.prec
        wp = prec + 10
        yt = _libmp.mpf_div((0, man, exp, bc), self.T._mpf_, wp, "n")
        if _libmp.mpf_cmp(yt, _QUARTER) > 0:
            if sign:
                den = _libmp.mpf_sub(_libmp.mpf_exp(yt, wp), _libmp.fone, wp, "n")
            else:
                den = _libmp.mpf_sub(_libmp.fone, _libmp.mpf_exp(_libmp.mpf_neg(yt), wp),
                                     wp, "n")
        else:
            y = _make_mpf(yt)
            den = (mpmath.expm1(y) if sign else -mpmath.expm1(-y))._mpf_
        return _make_mpf(_libmp.mpf_div(rt, den, prec, "n"))

    def S0(self):
        """S(0) = T lim rate(omega)/omega (finite by the admissibility check)."""
        prec = mpmath.mp.prec
        if self._S0 is None or self._S0_prec != prec:
            eps = self.T * mpmath.mpf(2) ** (-prec - 10)
            self._S0 = self.S(eps)
            self._S0_prec = prec
        return self._S0

    def Gamma(self, omega):
        """Plateau rate Gamma(omega) = S(-omega) of Eq. (52)."""
        return self.S(-omega)


# ---------------------------------------------------------------------------------------------
# Special functions and quadrature rules
# ---------------------------------------------------------------------------------------------

def _cin(y):
    """Cin(y) = int_0^y (1 - cos t)/t dt (entire, even)."""
    y = abs(y)
    if y < 2:
        y2 = y * y
        term = y2 / 4  # k = 1: y^2/(2*2!)
        total = term
        k = 1
        eps = mpmath.eps * total / 16 if total else 0
        while abs(term) > eps:
            # ratio of consecutive terms (-1) y^2 (2k) / ((2k+2)(2k+1)(2k+2))
            term = -term * y2 * (2 * k) / ((2 * k + 2) * (2 * k + 1) * (2 * k + 2))
            total += term
            k += 1
        return total
    return mpmath.euler + mpmath.log(y) - mpmath.ci(y)


def _one_minus_sinc(y):
    """1 - sin(y)/y, stable for small y."""
    if abs(y) < mpmath.mpf("0.5"):
        y2 = y * y
        term = y2 / 6
        total = term
        k = 1
        while abs(term) > mpmath.eps * abs(total) / 16:
            term = -term * y2 / ((2 * k + 2) * (2 * k + 3))
            total += term
            k += 1
        return total
    return 1 - mpmath.sin(y) / y


@lru_cache(maxsize=None)
def _gauss_legendre(n: int, prec: int):
    """Nodes t_i, weights w_i on [-1, 1] and the Legendre transform rows (2k+1)/2 w_i P_k(t_i)."""
    with mpmath.workprec(prec + 30):
        nodes, weights = [], []
        for i in range(1, n + 1):
            t = mpmath.cos(mpmath.pi * (i - mpmath.mpf(1) / 4) / (n + mpmath.mpf(1) / 2))
            for _ in range(100):
                p0, p1 = mpmath.mpf(1), t
                for k in range(2, n + 1):
                    p0, p1 = p1, ((2 * k - 1) * t * p1 - (k - 1) * p0) / k
                dp = n * (t * p1 - p0) / (t * t - 1)
                dt = p1 / dp
                t -= dt
                if abs(dt) < mpmath.mpf(2) ** (-prec - 20):
                    break
            p0, p1 = mpmath.mpf(1), t
            for k in range(2, n + 1):
                p0, p1 = p1, ((2 * k - 1) * t * p1 - (k - 1) * p0) / k
            dp = n * (t * p1 - p0) / (t * t - 1)
            nodes.append(t)
            weights.append(2 / ((1 - t * t) * dp * dp))
        rows = []
        pk = [[mpmath.mpf(1)] * n, list(nodes)]
        for k in range(2, n):
            pk.append([((2 * k - 1) * t * a - (k - 1) * b) / k
                       for t, a, b in zip(nodes, pk[k - 1], pk[k - 2])])
        for k in range(n):
            rows.append([(2 * k + 1) * w * p / 2 for w, p in zip(weights, pk[k])])
    with mpmath.workprec(prec):
        return ([+t for t in nodes], [+w for w in weights], [[+v for v in r] for r in rows])


@lru_cache(maxsize=None)
def _gauss_legendre_fixed(n: int, prec: int):
    """The weights and Legendre rows of :func:`_gauss_legendre` as integers scaled by 2^bits."""
    nodes, weights, rows = _gauss_legendre(n, prec)
    bits = prec + 16
    with mpmath.workprec(prec + 40):
        w_int = [int(mpmath.nint(mpmath.ldexp(w, bits))) for w in weights]
        r_int = [[int(mpmath.nint(mpmath.ldexp(v, bits))) for v in r] for r in rows]
    return bits, w_int, r_int


def _to_fixed(values):
    """Integers v_i 2^shift (common shift, about prec + 8 significant bits for the largest)."""
    top = max((v._mpf_[2] + v._mpf_[3] for v in values if v), default=None)
    if top is None:
        return 0, [0] * len(values)
    shift = mpmath.mp.prec + 8 - top
    out = []
    for v in values:
        sign, man, exp, _ = v._mpf_
        e = exp + shift
        k = man << e if e >= 0 else man >> -e
        out.append(-k if sign else k)
    return shift, out


class _Rule:
    """N-point Gauss-Legendre sums and Legendre coefficients in fixed-point integer arithmetic.

    The integrand values on a panel are put on a common binary scale (about prec + 8 bits for
    the largest); sums are then exact integer dot products, about 10x faster than mpf fdot.
    Accuracy is relative to the largest value on the panel, which is what the error
    estimates and tolerances refer to.
    """

    def __init__(self, n: int = None):
        self.n = n = n or _NODES
        prec = mpmath.mp.prec
        self.nodes, self.weights, self.rows = _gauss_legendre(n, prec)
        self.bits, self.w_int, self.r_int = _gauss_legendre_fixed(n, prec)

    def _back(self, total, shift):
        return mpmath.ldexp(mpmath.mpf(total), -(shift + self.bits))

    def quad(self, values):
        """sum_i w_i v_i."""
        shift, iv = _to_fixed(values)
        return self._back(sum(a * b for a, b in zip(self.w_int, iv)), shift)

    def coeffs(self, values, ks=None):
        """Legendre coefficients c_k (all, or those with index in ks)."""
        shift, iv = _to_fixed(values)
        ks = range(self.n) if ks is None else ks
        return [self._back(sum(a * b for a, b in zip(self.r_int[k], iv)), shift) for k in ks]

    def gauss_error(self, values, w):
        """Error estimate of the Gauss sum on a panel of half-width w: 2w max(|c_N-1|, |c_N-2|).

        This is the accuracy to which the integrand is resolved.  The Gauss error itself is
        usually far smaller, but extrapolating the decay of the c_k is unsafe: a Bose pole
        close to a panel end (at 2 pi i T, with a small residue) makes the far coefficients
        decay slower than the first N suggest.
        """
        n = self.n
        c = self.coeffs(values, (n - 1, n - 2))
        return 2 * w * max(abs(c[0]), abs(c[1]))


def _sph_bessel(n: int, kappa):
    """Spherical Bessel j_0..j_{n-1}(kappa), kappa >= 0 (upward if kappa > n, else Miller)."""
    if kappa == 0:
        return [mpmath.mpf(1)] + [mpmath.mpf(0)] * (n - 1)
    s, c = mpmath.sin(kappa), mpmath.cos(kappa)
    j0 = s / kappa
    j1 = (s / kappa - c) / kappa
    if kappa > n + 5:
        out = [j0, j1]
        for k in range(1, n - 1):
            out.append((2 * k + 1) / kappa * out[k] - out[k - 1])
        return out[:n]
    start = n + 2 * int(kappa) + 40
    b, a = mpmath.mpf(0), mpmath.mpf(2) ** (-mpmath.mp.prec)
    vals = [None] * (start + 1)
    vals[start] = a
    for k in range(start, 0, -1):
        b, a = a, (2 * k + 1) / kappa * a - b
        vals[k - 1] = a
    scale = j0 / vals[0] if abs(j0) >= abs(j1) else j1 / vals[1]
    return [v * scale for v in vals[:n]]


def _filon(rule, env, kappa, theta, w):
    """int_{xm-w}^{xm+w} env(x) e^{i dt x} dx = w e^{i theta} sum_k c_k 2 i^k j_k(kappa).

    Returns (cos moment, sin moment, error estimate for a unit-bounded weight).
    """
    n = rule.n
    coeffs = rule.coeffs(env)
    jk = _sph_bessel(n, kappa)
    ar = mpmath.fsum(2 * coeffs[k] * jk[k] * (1 if k % 4 == 0 else -1) for k in range(0, n, 2))
    ai = mpmath.fsum(2 * coeffs[k] * jk[k] * (1 if k % 4 == 1 else -1) for k in range(1, n, 2))
    with mpmath.workprec(mpmath.mp.prec + max(0, mpmath.mag(theta))):
        ct, st = mpmath.cos(theta), mpmath.sin(theta)
    # Error: the resolution of the envelope, max|c_{N-1}|, |c_{N-2}|.  Not reduced by the
    # O(1/kappa) of the moments: an unresolved envelope (e.g. 1/x^2 across a wide panel)
    # has small far coefficients but a large interpolation error at the panel ends, and the
    # end values are exactly what survives at large kappa.
    err = 2 * w * max(abs(coeffs[-1]), abs(coeffs[-2]))
    return w * (ct * ar - st * ai), w * (st * ar + ct * ai), err


def _decay_length(g0, g1, X):
    """Length over which |g| decays beyond X, from g(X) and g(9X/8); X if not fast."""
    if g0 == 0:
        return mpmath.mpf(0)
    if g1 < g0 / 2:
        return min(X, X / 8 / mpmath.log(g0 / g1)) if g1 > 0 else X / 64
    return X


def _adaptive(evaluate, breakpoints, tail, tol_abs, eps_rel, what):
    """Globally adaptive panel integration over [breakpoints[0], inf) (or a finite range).

    evaluate(a, b) -> (value, error estimate, noise floor of that estimate); tail(X) -> error
    bound of the omitted [X, inf).  Refines the panel whose error most exceeds its floor
    until the summed error is below max(tol_abs, eps_rel * sum |values|, 4 * sum floors).
    """
    counter = itertools.count()
    heap = []
    values, errs, floors = {}, {}, {}

    def add(a, b):
        key = next(counter)
        v, e, f = evaluate(a, b)
        values[key], errs[key], floors[key] = v, e, f
        heapq.heappush(heap, (-(e - f), key, a, b))

    for a, b in zip(breakpoints[:-1], breakpoints[1:]):
        if b > a:
            add(a, b)
    X = breakpoints[-1]
    tail_err = tail(X)
    evaluations = len(values)
    while True:
        scale = mpmath.fsum(abs(v) for v in values.values())
        total_err = mpmath.fsum(errs.values()) + tail_err
        floor = 4 * mpmath.fsum(floors.values())
        if total_err <= max(tol_abs, eps_rel * scale, floor):
            break
        if evaluations > _MAX_PANELS:
            raise CgsymError(f"{what} did not converge (rate too slowly decaying or too rough "
                             f"for the requested precision)")
        if heap and -heap[0][0] >= tail_err:
            _, key, a, b = heapq.heappop(heap)
            del values[key], errs[key], floors[key]
            m = mpmath.sqrt(a * b) if a > 0 and b > 4 * a else (a + b) / 2
            add(a, m)
            add(m, b)
            evaluations += 2
        else:
            add(X, 2 * X)
            X = 2 * X
            tail_err = tail(X)
            evaluations += 1
    return mpmath.fsum(values.values())


# ---------------------------------------------------------------------------------------------
# The folded Delta t integrals
# ---------------------------------------------------------------------------------------------

def _i_gamma(h, d, dt):
    """int_0^h (cos d dt - cos x dt)/(x^2 - d^2) dx (closed form, d >= 0, h >= 2d)."""
    if d == 0:
        Y = h * dt
        return dt * (mpmath.si(Y) - 2 * mpmath.sin(Y / 2) ** 2 / Y)
    extra = max(0, -mpmath.mag(d / h)) + 10
    with mpmath.workprec(mpmath.mp.prec + extra):
        c, s = mpmath.cos(d * dt), mpmath.sin(d * dt)
        out = (c * (_cin((h - d) * dt) - _cin((h + d) * dt))
               + s * (mpmath.si((h - d) * dt) + mpmath.si((h + d) * dt))) / (2 * d)
    return +out


def _i_gamma_linear(h, d, dt):
    """int_0^h (cos d dt - cos x dt)/(x + d) dx (closed form, d >= 0)."""
    with mpmath.workprec(mpmath.mp.prec + 10):
        c, s = mpmath.cos(d * dt), mpmath.sin(d * dt)
        out = (c * (_cin((h + d) * dt) - _cin(d * dt))
               - s * (mpmath.si((h + d) * dt) - mpmath.si(d * dt)))
    return +out


def _i_lamb(h, d, dt):
    """int_0^h x (x sin(d dt)/d - sin x dt)/(x^2 - d^2) dx (closed form, d >= 0, h >= 2d)."""
    Y = h * dt
    extra = 2 * max(0, -mpmath.mag(Y)) + 10
    if d == 0:
        with mpmath.workprec(mpmath.mp.prec + extra):
            out = Y - mpmath.si(Y)
        return +out
    extra += max(0, -mpmath.mag(d / h))
    with mpmath.workprec(mpmath.mp.prec + extra):
        c, s = mpmath.cos(d * dt), mpmath.sin(d * dt)
        out = (s / d * h + (s * (_cin((h - d) * dt) - _cin((h + d) * dt))
                            - c * (mpmath.si((h - d) * dt) + mpmath.si((h + d) * dt))) / 2)
    return +out


class _FoldedIntegral:
    r"""J = \int d\nu S(\nu) K(\nu + \bar\omega) folded to x >= 0.

    kind 'gamma': K = (cos d dt - cos x dt)/(x^2 - d^2)           (even in x; uses 2 S_e)
    kind 'lamb' : K = (x sin(d dt)/d - sin x dt)/(x^2 - d^2)      (odd in x;  uses 2 S_o)
    with S_e/o(x) = (S(p+x) +/- S(p-x))/2, p = -\bar\omega, d = |\delta|.  On [0, h] the
    value (or slope) of S_e/o at the removable point x = d is subtracted and integrated in
    closed form; the remainder divided by x^2 - d^2 is smooth and is integrated by
    Gauss-Legendre (few oscillations per panel) or Filon-Legendre (many).

    For d = 0 the removable point is x = 0, inside the first panel [0, x1] that is always
    integrated directly with the entire kernel; there the subtracted slope only has to be
    roughly right (the remainder's 1/x part is smooth on the Filon panels), so S'(p) is taken
    from a central difference and no derivative of the user's rate is needed.  When p = 0
    the even part has a |x| term (S'(0+) != S'(0-), e.g. Ohmic-exponential): its slope is
    subtracted as well, so that the remainder stays smooth.
    """

    def __init__(self, bath: _Bath, wbar, delta, dt, kind: str):
        self.bath = bath
        self.kind = kind
        self.p = p = -wbar
        self.d = d = abs(delta)
        self.dt = dt
        self.h = h = max(abs(p), 4 * d, bath.T)
        self.x1 = min(h, _K0 / dt)
        self.gamma = kind == "gamma"
        n = _NODES
        self.rule = _Rule(n)
        self.nodes = self.rule.nodes
        S = bath.S
        if self.gamma:
            self.cosd = mpmath.cos(d * dt)
            self.c0 = (S(p + d) + S(p - d)) / 2          # S_e(d)
            self.slope = mpmath.mpf(0)
            if p == 0:
                # S_e(x) = S(0) + a x + ... has a kink term when S'(0+) != S'(0-): subtract it
                eps = h * mpmath.mpf(10) ** -10
                self.slope = ((S(eps) + S(-eps)) / 2 - bath.S0()) / eps
            self.closed = 2 * self.c0 * _i_gamma(h, d, dt)
            if self.slope:
                self.closed += 2 * self.slope * _i_gamma_linear(h, d, dt)
        else:
            self.sigma = dt * mpmath.sinc(d * dt)             # sin(d dt)/d
            if d > 0:
                with mpmath.workprec(mpmath.mp.prec + max(0, -mpmath.mag(d / h)) + 10):
                    self.c1 = (S(p + d) - S(p - d)) / (2 * d)  # S_o(d)/d
            else:
                eps = h * mpmath.mpf(10) ** -6   # a rough slope suffices for d = 0 (docstring)
                with mpmath.workprec(mpmath.mp.prec + 30):
                    self.c1 = (S(p + eps) - S(p - eps)) / (2 * eps)
            self.closed = 2 * self.c1 * _i_lamb(h, d, dt)

    # -- pieces --------------------------------------------------------------------------
    def _g(self, x):
        S, p = self.bath.S, self.p
        return S(p + x) + S(p - x) if self.gamma else S(p + x) - S(p - x)

    def _sub(self, x):
        if self.gamma:
            return 2 * (self.c0 + self.slope * (x - self.d))
        return 2 * self.c1 * x

    def _kernel(self, x):
        """The entire kernel K(x), evaluated without cancellation."""
        dt, d = self.dt, self.d
        if self.gamma:
            up, um = (x + d) * dt / 2, (x - d) * dt / 2
            su = mpmath.sin(up) / up if up else 1
            sm = mpmath.sin(um) / um if um else 1
            return dt * dt / 2 * su * sm
        m = x * dt / 2
        e = d * dt / 2
        extra = 20 + 2 * max(0, -mpmath.mag(m)) + (max(0, -mpmath.mag(e)) if e else 0)
        if x != d:
            extra += max(0, mpmath.mag(x + d) - mpmath.mag(x - d))
        with mpmath.workprec(mpmath.mp.prec + extra):
            if e == 0:
                out = dt * dt * (2 * m - mpmath.sin(2 * m)) / (4 * m * m)
            elif e < mpmath.mpf("0.5"):
                # (Delta t^2 / 4) (2m sinc 2e - sin 2m) / (m^2 - e^2)
                num = (2 * m - mpmath.sin(2 * m)) - 2 * m * _one_minus_sinc(2 * e)
                out = dt * dt / 4 * num / ((m - e) * (m + e)) if m != e else \
                    dt * dt / 4 * (2 * mpmath.sinc(2 * e) - 2 * mpmath.cos(2 * e)) / (2 * e)
            else:
                up, um = m + e, m - e
                out = dt / (2 * d) * (mpmath.sinc(up) * mpmath.cos(um)
                                      - mpmath.cos(up) * mpmath.sinc(um))
        return +out

    # -- panels --------------------------------------------------------------------------
    def evaluate(self, a, b):
        xm, w = (a + b) / 2, (b - a) / 2
        xs = [xm + w * t for t in self.nodes]
        g = [self._g(x) for x in xs]
        r = [gi - self._sub(x) for gi, x in zip(g, xs)] if b <= self.h else g
        kappa = w * self.dt
        noise = self.bath.noise
        if kappa <= _K0:
            K = [self._kernel(x) for x in xs]
            F = [ri * k for ri, k in zip(r, K)]
            floor = 2 * w * noise * max(abs(gi * k) for gi, k in zip(g, K)) if noise else 0
            return w * self.rule.quad(F), self.rule.gauss_error(F, w), floor
        d2 = self.d * self.d
        env = [ri / (x * x - d2) for ri, x in zip(r, xs)]
        cosm, sinm, err = _filon(self.rule, env, kappa, self.dt * xm, w)
        kb = 2 if self.gamma else self.sigma * b + 1
        floor = 2 * w * kb * noise * max(abs(gi / (x * x - d2)) for gi, x in zip(g, xs)) \
            if noise else 0
        if self.gamma:
            gauss = self.cosd * w * self.rule.quad(env)
            return gauss - cosm, err * kb, floor
        gauss = self.sigma * w * self.rule.quad([x * e for x, e in zip(xs, env)])
        return gauss - sinm, err * kb, floor

    def tail(self, X):
        # |K| <= (4/3) kb / x^2 for x >= 2d; the decay length of g from two samples
        g = abs(self._g(X))
        length = _decay_length(g, abs(self._g(X * 1.125)), X)
        bound = 4 * g * length / X ** 2
        if not self.gamma:
            bound += 2 * self.sigma * g * length / X
        return 2 * bound

    def breakpoints(self):
        h, c, T = self.h, abs(self.p), self.bath.T
        # where the integrand changes character: the fold end h, the direct/Filon switch
        # x1, the kink of S at nu = 0 (x = |p|) and the removable point x = d
        pts = [mpmath.mpf(0), self.x1, h] + [q for q in (c, self.d) if 0 < q < h]
        # optional points, each with the panel size it asks for: S changes on the scale T
        # next to its kink (Bose factor, Matsubara poles at 2 pi i T), so grade by 4 from
        # width T there (an unseen layer would fool the error estimate); then double
        # outwards until the rate has decayed.  A point closer to one already kept than the
        # size it asks for is dropped.
        optional = []
        step = T
        while step < 2 * max(c, h):
            optional += [(c - step, step / 2), (c + step, step / 2)]
            step *= 4
        X = h
        while X < c + self.bath.extent:
            X = 2 * X
            optional.append((X, X / 4))
        for q, size in sorted(optional, key=lambda item: item[1]):
            if q > 0 and min(abs(q - k) for k in pts) >= size:
                pts.append(q)
        out = sorted(set(pts))
        if out[-1] <= h:
            out.append(2 * h)
        return out

    def integrate(self, tol_abs, eps_rel):
        what = "the Delta t integral" if self.gamma else "the energy-shift integral"
        tol_abs = max(tol_abs, eps_rel * abs(self.closed))
        rest = _adaptive(self.evaluate, self.breakpoints(), self.tail,
                         tol_abs, eps_rel, what)
        return self.closed + rest


def _work(dps):
    return mpmath.workdps(dps + _GUARD_DIGITS)


def _eps(dps):
    return mpmath.mpf(10) ** -(dps + _TOL_DIGITS)


def _folded(bath, wm, wn, dt, kind, dps, tol_abs=0):
    wbar, delta = (wm + wn) / 2, (wm - wn) / 2
    integral = _FoldedIntegral(bath, wbar, delta, dt, kind)
    return integral.integrate(tol_abs, _eps(dps))


def _phase(wm, wn, dt):
    with mpmath.workprec(mpmath.mp.prec + max(0, mpmath.mag((wm - wn) * dt))):
        return mpmath.expjpi((wm - wn) * dt / (2 * mpmath.pi))


def _round(x, dps):
    with mpmath.workdps(dps):
        return +x


# ---------------------------------------------------------------------------------------------
# Public API: finite Delta t
# ---------------------------------------------------------------------------------------------

def gamma_element_dt(wm, wn, rate: Callable, T, dt, dps: int = 15) -> mpmath.mpc:
    r"""One coarse-grained rate :math:`\gamma_{mn}(\Delta t)` of Eq. (45), exactly.

    .. math::
       \gamma_{mn}(\Delta t) = \frac{1}{\Delta t}\int_0^{\Delta t}dt_2\int_0^{\Delta t}dt_1\,
       G(t_2-t_1)\, e^{i\omega_m t_1} e^{-i\omega_n t_2}

    evaluated through the real-kernel reduction in the module docstring.

    Parameters
    ----------
    wm, wn : real
        Bohr frequencies :math:`\omega_m, \omega_n` of :math:`X_m, X_n`
        (:math:`[H_S, X_m] = \omega_m X_m`).
    rate : callable
        :math:`\gamma(\omega) = 2\pi g(\omega)^2` for :math:`\omega > 0` (mpf in, real out).
    T : real
        Bath temperature (> 0).
    dt : real
        Coarse-graining time :math:`\Delta t` (> 0).
    dps : int
        Significant digits wanted (error below :math:`10^{-\mathrm{dps}}` of the element, or for
        a vanishing element of the integrand's natural size).

    Returns
    -------
    mpmath.mpc
    """
    dps = _check_dps(dps)
    with _work(dps):
        wm, wn = _real(wm, "frequency"), _real(wn, "frequency")
        T, dt = _positive(T, "temperature T"), _positive(dt, "coarse-graining time dt")
        bath = _Bath(rate, T)
        J = _folded(bath, wm, wn, dt, "gamma", dps)
        out = _phase(wm, wn, dt) * J / (mpmath.pi * dt)
        return _round(mpmath.mpc(out), dps)


def _matrix(frequencies, rate, T, dt, dps, kind):
    dps = _check_dps(dps)
    with _work(dps):
        ws = _frequencies(frequencies)
        T, dt = _positive(T, "temperature T"), _positive(dt, "coarse-graining time dt")
        bath = _Bath(rate, T)
        size = len(ws)
        eps = _eps(dps)
        cache = {}

        def J(m, n, tol_abs=0):
            key = (ws[m] + ws[n], abs(ws[m] - ws[n]))
            if key not in cache:
                cache[key] = _folded(bath, ws[m], ws[n], dt, kind, dps, tol_abs)
            return cache[key]

        if kind == "gamma":
            diag = [J(m, m) for m in range(size)]
            scale = [abs(v) for v in diag]
        else:
            # The energy shift has no sign (s_mm may nearly vanish): its accuracy is measured
            # on max(|s_mm|, gamma_mm), i.e. max(|J_lamb|, 2 J_gamma) in the units of J_lamb.
            floor = [2 * abs(_folded(bath, w, w, dt, "gamma", max(1, dps - 6))) for w in ws]
            diag = [J(m, m, _eps(dps) * floor[m]) for m in range(size)]
            scale = [max(abs(v), f) for v, f in zip(diag, floor)]
        out = mpmath.matrix(size, size)
        factor = 1 / (mpmath.pi * dt) if kind == "gamma" else -1 / (2 * mpmath.pi * dt)
        for m in range(size):
            for n in range(m, size):
                if m == n:
                    value = mpmath.mpc(diag[m] * factor)
                else:
                    tol = eps * mpmath.sqrt(scale[m] * scale[n])
                    value = _phase(ws[m], ws[n], dt) * J(m, n, tol) * factor
                out[m, n] = _round(mpmath.mpc(value), dps)
                out[n, m] = mpmath.conj(out[m, n])
        return out


def gamma_matrix_dt(frequencies: Sequence, rate: Callable, T, dt, dps: int = 15) -> mpmath.matrix:
    r"""The Hermitian, positive semidefinite matrix :math:`\gamma_{mn}(\Delta t)` of Eq. (45).

    Rows and columns follow the order of ``frequencies``.  Enters the master equation (44)
    as :math:`\sum_{mn}\gamma_{mn}(\Delta t)
    [X_m\rho X_n^\dagger - \frac12\{X_n^\dagger X_m,\rho\}]`.
    Exact at any :math:`\Delta t > 0`; tends to :func:`secular_limit` for
    :math:`\Delta t \gg 1/\min|\omega_{mn}|` and to :func:`partial_secular_limit` in the window
    :math:`1/\omega_S \ll \Delta t \ll 1/\Omega` (Eqs. 49, 52, 55).

    Off-diagonal elements are computed to :math:`10^{-\mathrm{dps}}\sqrt{\gamma_{mm}\gamma_{nn}}`
    absolute accuracy (the natural scale; positivity bounds
    :math:`|\gamma_{mn}| \le \sqrt{\gamma_{mm}\gamma_{nn}}`), diagonal ones to ``dps`` digits.
    """
    return _matrix(frequencies, rate, T, dt, dps, "gamma")


def lamb_shift_dt(frequencies: Sequence, rate: Callable, T, dt, dps: int = 15) -> mpmath.matrix:
    r"""Energy-shift coefficients of Eq. (30): :math:`\Delta H = \sum_{mn} s_{mn} X_n^\dagger X_m`.

    .. math::
       s_{mn}(\Delta t) = -\frac{i}{2\Delta t}\int_0^{\Delta t}dt_2\int_0^{\Delta t}dt_1\,
       \mathrm{sgn}(t_2-t_1)\, G(t_2-t_1) e^{i\omega_m t_1} e^{-i\omega_n t_2},

    which is Eq. (30) after :math:`\mathrm{Tr}_R[[\bar V(t_2),\bar V(t_1)]\rho_R] =
    G(t_2-t_1)\bar X(t_2)\bar X(t_1) - G(t_1-t_2)\bar X(t_1)\bar X(t_2)` and relabelling the
    second term.  Hermitian; for :math:`\Delta t\to\infty` the diagonal tends to the usual
    Lamb shift :math:`s_{mm} \to -\frac{1}{2\pi}\,\mathrm{P}\!\int d\nu\, S(\nu)/(\nu+\omega_m)`.
    Accuracy: :math:`10^{-\mathrm{dps}}\sqrt{\sigma_m\sigma_n}` with
    :math:`\sigma_m = \max(|s_{mm}|, \gamma_{mm})` (the shift may vanish, the rate scale not).
    """
    return _matrix(frequencies, rate, T, dt, dps, "lamb")


# ---------------------------------------------------------------------------------------------
# Public API: plateaus and the O(1/Delta t) correction
# ---------------------------------------------------------------------------------------------

def plateau_rate(omega, rate: Callable, T, dps: int = 15) -> mpmath.mpf:
    r""":math:`\Gamma(\omega) = \gamma(|\omega|)(n(|\omega|) + \theta(-\omega))` (Eq. 52),
    i.e. :math:`S(-\omega)`; at :math:`\omega = 0` the limit :math:`T\lim\gamma(\omega)/\omega`."""
    dps = _check_dps(dps)
    with _work(dps):
        omega = _real(omega, "frequency")
        bath = _Bath(rate, _positive(T, "temperature T"))
        return _round(bath.Gamma(omega), dps)


def secular_limit(frequencies: Sequence, rate: Callable, T, dps: int = 15) -> mpmath.matrix:
    r"""Secular plateau (:math:`\Delta t \to \infty`): diag :math:`\Gamma(\omega_m)`, Eq. (52).

    Equal frequencies (repeated entries) are degenerate and keep their coupling
    :math:`\Gamma(\omega_m)`, as the exact :math:`\gamma_{mn}(\Delta t)` does.
    """
    dps = _check_dps(dps)
    with _work(dps):
        ws = _frequencies(frequencies)
        bath = _Bath(rate, _positive(T, "temperature T"))
        out = mpmath.matrix(len(ws), len(ws))
        for m, wm in enumerate(ws):
            for n, wn in enumerate(ws):
                if wm == wn:
                    out[m, n] = _round(bath.Gamma(wm), dps)
        return out


def partial_secular_limit(frequencies: Sequence, clusters: Sequence, rate: Callable, T,
                          dps: int = 15) -> mpmath.matrix:
    r"""The partial-secular plateau of Eq. (55): :math:`\Gamma(\bar\omega_{mn})` within a cluster.

    .. math::
       \gamma_{mn} = \Gamma\!\left(\tfrac{\omega_m+\omega_n}{2}\right)
       = \gamma(|\bar\omega|)\,[n(|\bar\omega|) + \theta(-\bar\omega)]
       \quad\text{for } m, n \text{ in the same cluster, else } 0,

    valid for :math:`1/\omega_S \ll \Delta t \ll 1/\Omega` (the paper's Eq. 55 with a flat
    :math:`\gamma`; here the rate is taken at the mean frequency, which is what the exact
    :math:`\gamma_{mn}(\Delta t)` tends to).

    Parameters
    ----------
    clusters : sequence of sequences of int
        Disjoint groups of indices into ``frequencies`` whose differences are slow
        (:math:`|\omega_{mn}|\Delta t \ll 1`); indices in no cluster are singletons.
    """
    dps = _check_dps(dps)
    with _work(dps):
        ws = _frequencies(frequencies)
        bath = _Bath(rate, _positive(T, "temperature T"))
        label = list(range(len(ws)))
        seen = set()
        try:
            groups = [list(c) for c in clusters]
        except TypeError:
            raise CgsymError("clusters must be a sequence of sequences of indices") from None
        for g, members in enumerate(groups):
            for i in members:
                if isinstance(i, bool) or not isinstance(i, numbers.Integral) \
                        or not 0 <= int(i) < len(ws):
                    raise CgsymError(f"cluster index {i!r} is not an index into frequencies")
                if int(i) in seen:
                    raise CgsymError(f"frequency index {int(i)} appears in two clusters")
                seen.add(int(i))
                label[int(i)] = len(ws) + g
        out = mpmath.matrix(len(ws), len(ws))
        for m in range(len(ws)):
            for n in range(len(ws)):
                if label[m] == label[n] or ws[m] == ws[n]:
                    out[m, n] = _round(bath.Gamma((ws[m] + ws[n]) / 2), dps)
        return out


class _PlainFolded:
    """int_0^inf r(x) dx with r = 2 (S_e(x) - S(p)) / x^2 (first-order correction)."""

    def __init__(self, bath, p):
        self.bath, self.p = bath, p
        self.Sp = bath.S(p)
        self.rule = _Rule()
        self.nodes = self.rule.nodes

    def f(self, x):
        S, p = self.bath.S, self.p
        return (S(p + x) + S(p - x) - 2 * self.Sp) / (x * x)

    def evaluate(self, a, b):
        xm, w = (a + b) / 2, (b - a) / 2
        xs = [xm + w * t for t in self.nodes]
        F = [self.f(x) for x in xs]
        noise = self.bath.noise
        floor = 2 * w * noise * max((abs(self.bath.S(self.p + x)) + abs(self.bath.S(self.p - x))
                                     + 2 * abs(self.Sp)) / (x * x) for x in xs) if noise else 0
        return w * self.rule.quad(F), self.rule.gauss_error(F, w), floor

    def tail(self, X):
        S, p = self.bath.S, self.p
        return 4 * (abs(S(p + X)) + abs(S(p - X))) / X + 2 * abs(self.Sp) / X


def first_order_correction(wm, wn, rate: Callable, T, dps: int = 15) -> mpmath.mpf:
    r"""Coefficient :math:`C_{mn}` of the :math:`O(1/\Delta t)` term of Eq. (47).

    For :math:`\tau_c \ll \Delta t` and :math:`|\omega_{mn}|\Delta t \ll 1`,
    :math:`\gamma_{mn}(\Delta t) \approx \Gamma(\bar\omega) - C_{mn}/\Delta t` with

    .. math::
       C_{mn} = \int_0^\infty [G(-\tau)e^{i\bar\omega\tau}
                + G(\tau)e^{-i\bar\omega\tau}]\,\tau\,d\tau
       = -\frac{1}{\pi}\,\mathrm{f.p.}\!\int d\nu\,\frac{S(\nu)}{(\nu+\bar\omega)^2}
       = -\frac{2}{\pi}\int_0^\infty \frac{S_e(x) - S(-\bar\omega)}{x^2}\,dx,

    :math:`S_e(x) = [S(-\bar\omega+x) + S(-\bar\omega-x)]/2`.  Depends on the pair only through
    :math:`\bar\omega`.  (The full uniform form in the cluster is
    :math:`e^{i\delta\Delta t}[\mathrm{sinc}(\delta\Delta t)\Gamma(\bar\omega) -
    \cos(\delta\Delta t) C/\Delta t]`, :math:`\delta = \omega_{mn}/2`.)

    Raises
    ------
    CgsymError
        If :math:`\bar\omega = 0` and :math:`S` has a kink at 0 (e.g. Ohmic with exponential
        cutoff at :math:`T > 0`): then :math:`G(\tau) \sim 1/\tau^2`, the integral diverges
        logarithmically and the correction is :math:`O(\ln\Delta t/\Delta t)`.
    """
    dps = _check_dps(dps)
    with _work(dps):
        wm, wn = _real(wm, "frequency"), _real(wn, "frequency")
        bath = _Bath(rate, _positive(T, "temperature T"))
        p = -(wm + wn) / 2
        if p == 0:
            _check_no_kink(bath)
        integrand = _PlainFolded(bath, p)
        pts = [mpmath.mpf(0)]
        h = max(abs(p), bath.T)
        if p != 0:
            pts.append(abs(p))
        pts.append(2 * h if p == 0 else 2 * abs(p) if abs(p) >= bath.T else abs(p) + bath.T)
        X = pts[-1]
        while X < abs(p) + bath.extent:
            X *= 2
            pts.append(X)
        value = _adaptive(integrand.evaluate, pts, integrand.tail, 0, _eps(dps),
                          "the first-order correction")
        return _round(-value / mpmath.pi, dps)


def _check_no_kink(bath):
    S, S0 = bath.S, bath.S0()
    scale = max(abs(S0), abs(S(bath.T)), abs(S(-bath.T)))
    slopes = []
    for e in (bath.T * mpmath.mpf(10) ** -6, bath.T * mpmath.mpf(10) ** -9):
        slopes.append(((S(e) + S(-e)) / 2 - S0) / e)
    a1, a2 = slopes
    if scale > 0 and abs(a2) * bath.T > mpmath.mpf(10) ** -6 * scale \
            and abs(a1 - a2) < abs(a2) / 10:
        raise CgsymError("the O(1/dt) correction diverges logarithmically at mean frequency 0: "
                         "S(nu) has a kink at nu=0 (G(tau) ~ 1/tau^2), the correction is "
                         "O(log(dt)/dt)")


# ---------------------------------------------------------------------------------------------
# Public API: correlation function and time scales (Appendix A)
# ---------------------------------------------------------------------------------------------

class _CorrelationIntegral:
    """int_0^inf S_e/o(x) cos/sin(x tau) dx (folded at p = 0)."""

    def __init__(self, bath, tau, part):
        self.bath, self.tau, self.part = bath, tau, part
        self.rule = _Rule()
        self.nodes = self.rule.nodes

    def g(self, x):
        S = self.bath.S
        return (S(x) + S(-x)) / 2 if self.part == "re" else (S(x) - S(-x)) / 2

    def evaluate(self, a, b):
        xm, w = (a + b) / 2, (b - a) / 2
        xs = [xm + w * t for t in self.nodes]
        env = [self.g(x) for x in xs]
        kappa = w * self.tau
        noise = self.bath.noise
        floor = 2 * w * noise * max(abs(self.bath.S(x)) + abs(self.bath.S(-x)) for x in xs) \
            if noise else 0
        if kappa <= _K0:
            trig = mpmath.cos if self.part == "re" else mpmath.sin
            F = [e * trig(x * self.tau) for e, x in zip(env, xs)]
            return w * self.rule.quad(F), self.rule.gauss_error(F, w), floor
        cosm, sinm, err = _filon(self.rule, env, kappa, self.tau * xm, w)
        return (cosm if self.part == "re" else sinm), err, floor

    def tail(self, X):
        return 4 * abs(self.g(X)) * X


def _correlation(bath, tau, dps):
    pts = [mpmath.mpf(0), bath.T]
    X = bath.T
    while X < bath.extent:
        X *= 2
        pts.append(X)
    re = _adaptive(_CorrelationIntegral(bath, abs(tau), "re").evaluate, pts,
                   _CorrelationIntegral(bath, abs(tau), "re").tail, 0, _eps(dps),
                   "the correlation function")
    im = mpmath.mpf(0)
    if tau != 0:
        integ = _CorrelationIntegral(bath, abs(tau), "im")
        scale = abs(re) + abs(bath.S(bath.T))
        im = _adaptive(integ.evaluate, pts, integ.tail, _eps(dps) * scale * bath.T, _eps(dps),
                       "the correlation function")
    value = mpmath.mpc(re, -im) / mpmath.pi
    return value if tau >= 0 else mpmath.conj(value)


def correlation_function(tau, rate: Callable, T, dps: int = 15) -> mpmath.mpc:
    r"""Bath correlation :math:`G(\tau) = \mathrm{Tr}_R[B(\tau)B(0)\rho_R]` of Eq. (40).

    .. math::
       G(\tau) = \frac{1}{2\pi}\int_0^\infty d\omega\,\gamma(\omega)
       [(2n(\omega)+1)\cos\omega\tau - i\sin\omega\tau]
       = \frac{1}{2\pi}\int d\nu\, S(\nu) e^{-i\nu\tau},

    computed by Filon quadrature; :math:`G(-\tau) = G(\tau)^*`.
    """
    dps = _check_dps(dps)
    with _work(dps):
        tau = _real(tau, "time tau")
        bath = _Bath(rate, _positive(T, "temperature T"))
        return _round(_correlation(bath, tau, dps), dps)


def correlation_time(rate: Callable, T, method: str = "coherence", dps: int = 10) -> mpmath.mpf:
    r"""Bath correlation time :math:`\tau_c` (Appendix A).

    ``method="coherence"`` (default)
        :math:`\tau_c = \int_0^\infty |G(\tau)|^2 d\tau / |G(0)|^2
        = \pi\int S(\nu)^2 d\nu / (\int S(\nu) d\nu)^2` (Parseval).  Finite for every admissible
        spectrum; e.g. :math:`\pi/(4\omega_c)` for Ohmic-exponential at :math:`T = 0`.
    ``method="A5"``
        The ratio of Eq. (A5), :math:`\int_0^\infty \tau\,\mathrm{Re}\,G\,d\tau /
        \int_0^\infty \mathrm{Re}\,G\,d\tau = C(0)/\Gamma(0)` with :math:`C` the Eq. (47)
        coefficient (:func:`first_order_correction`).  Raises :class:`CgsymError` where it does
        not exist: :math:`\Gamma(0) = 0` (super-Ohmic, or :math:`T\to 0`), or a kink of
        :math:`S` at 0 (Ohmic with exponential cutoff at :math:`T > 0`: :math:`G \sim 1/\tau^2`,
        log-divergent numerator).  The ratio :math:`\int\tau|G|/\int|G|` diverges in the same cases.
    """
    dps = _check_dps(dps)
    if method == "A5":
        with _work(dps):
            bath = _Bath(rate, _positive(T, "temperature T"))
            g0 = bath.S0()
            typical = max(abs(bath.S(bath.T)), abs(bath.S(-bath.T)))
            if g0 <= mpmath.mpf(2) ** (-mpmath.mp.prec // 2) * typical:
                raise CgsymError("the Eq. (A5) correlation time needs Gamma(0) > 0 "
                                 "(int_0^inf Re G = 0 here); use method='coherence'")
        c = first_order_correction(0, 0, rate, T, dps)
        with _work(dps):
            return _round(c / g0, dps)
    if method != "coherence":
        raise CgsymError(f"unknown correlation-time method {method!r} (use 'coherence' or 'A5')")
    with _work(dps):
        bath = _Bath(rate, _positive(T, "temperature T"))

        class _Moment:
            def __init__(self, power):
                self.power = power
                self.rule = _Rule()
                self.nodes = self.rule.nodes

            def evaluate(self, a, b):
                xm, w = (a + b) / 2, (b - a) / 2
                F = []
                for t in self.nodes:
                    x = xm + w * t
                    F.append(bath.S(x) ** self.power + bath.S(-x) ** self.power)
                floor = 2 * w * bath.noise * max(F) if bath.noise else 0
                return w * self.rule.quad(F), self.rule.gauss_error(F, w), floor

            def tail(self, X):
                return 4 * X * (bath.S(X) ** self.power + bath.S(-X) ** self.power)

        pts = [mpmath.mpf(0), bath.T]
        X = bath.T
        while X < bath.extent:
            X *= 2
            pts.append(X)
        m1 = _adaptive(_Moment(1).evaluate, pts, _Moment(1).tail, 0, _eps(dps), "int S")
        if m1 == 0:
            raise CgsymError("the bath correlation vanishes identically (rate = 0)")
        m2 = _adaptive(_Moment(2).evaluate, pts, _Moment(2).tail, 0, _eps(dps), "int S^2")
        return _round(mpmath.pi * m2 / (m1 * m1), dps)


@dataclass(frozen=True)
class TimescaleLadder:
    r"""The time scales that decide which coarse-grained master equation applies.

    ``tau_c`` bath correlation time; ``tau_plateau`` :math:`\max_m |C(\omega_m)|/\Gamma(\omega_m)`
    (Eq. 47 coefficient over plateau rate: the :math:`\Delta t` beyond which the rates are on
    their plateau; much longer than ``tau_c`` for Bose-suppressed absorption rates, and
    ``None`` if no frequency has a finite one); ``inv_omega_S`` :math:`1/\omega_S` (smallest
    non-zero :math:`|\omega_m|`); ``inv_Omega`` :math:`1/\Omega` (smallest non-zero
    :math:`|\omega_m-\omega_n|` when it is below :math:`\omega_S`, else ``None``); ``dt``
    :math:`\Delta t`; ``tau_S`` :math:`1/\max_m\Gamma(\omega_m)` (fastest secular rate;
    ``inf`` if none).  ``regime`` is ``"secular"`` (:math:`\Delta t \gg 1/\omega_S, 1/\Omega`),
    ``"partial-secular"`` (:math:`1/\omega_S \ll \Delta t \ll 1/\Omega`) or ``"intermediate"``
    (:math:`\gamma_{mn}(\Delta t)` depends on :math:`\Delta t`); ``problems`` lists violated
    orderings (also issued as :class:`CoarseGrainingWarning`).  "≫" means a factor ``margin``.
    """

    tau_c: float
    tau_plateau: Optional[float]
    inv_omega_S: Optional[float]
    inv_Omega: Optional[float]
    dt: float
    tau_S: float
    regime: str
    problems: tuple = ()
    margin: float = 10.0

    def __post_init__(self):
        if self.regime not in ("secular", "partial-secular", "intermediate"):
            raise CgsymError(f"unknown coarse-graining regime {self.regime!r}")


def timescale_ladder(frequencies: Sequence, rate: Callable, T, dt, tau_c=None,
                     tau_plateau=None, margin: float = 10.0,
                     warn: bool = True, names: tuple = ("omega_S", "Omega")) -> TimescaleLadder:
    r"""Check the ordering :math:`\tau_c \ll 1/\omega_S \ll \Delta t \ll \tau_S` (Sec. III, App. A).

    Classifies :math:`\Delta t` as secular (:math:`\Delta t \gg 1/|\omega_{mn}|` for all
    non-zero differences, Eq. 52), partial-secular (:math:`1/\omega_S \ll \Delta t \ll 1/\Omega
    \ll \tau_S`, Eq. 55) or intermediate, and warns (:class:`CoarseGrainingWarning`) when
    :math:`\Delta t \gg \tau_c`, :math:`\Delta t \gg |C|/\Gamma` (Eq. 47 term small),
    :math:`\Delta t \ll \tau_S` or :math:`\tau_c \ll 1/\omega_S` fails.  ``tau_c`` defaults to
    :func:`correlation_time` (coherence definition), ``tau_plateau`` to
    :math:`\max_m |C(\omega_m)|/\Gamma(\omega_m)` from :func:`first_order_correction` (zero
    frequencies with a log-divergent correction are skipped).  ``names`` are the fast and
    slow scales as the messages call them (a model's own names, e.g.
    ``diagnostics.scale_names(model)[:2]``).
    """
    ws = _frequencies(frequencies)
    T_ = _positive(T, "temperature T")
    dt_ = float(_positive(dt, "coarse-graining time dt"))
    margin = float(_positive(margin, "margin"))
    if tau_c is None:
        tau_c = correlation_time(rate, T_, dps=6)
    tau_c = float(_positive(tau_c, "correlation time tau_c"))
    if tau_plateau is None:
        ratios = []
        for w in sorted(set(ws)):
            Gam = plateau_rate(w, rate, T_, dps=6)
            if Gam <= 0:
                continue
            try:
                ratios.append(abs(float(first_order_correction(w, w, rate, T_, dps=6) / Gam)))
            except CgsymError:      # omega = 0 with a kink of S: log(dt)/dt approach
                continue
        tau_plateau = max(ratios) if ratios else None
    elif tau_plateau is not None:
        tau_plateau = float(_positive(tau_plateau, "plateau time tau_plateau"))
    with mpmath.workdps(20):
        bath = _Bath(rate, T_)
        rates = [bath.Gamma(w) for w in ws]
    fastest = float(max(rates))
    tau_S = 1 / fastest if fastest > 0 else math.inf
    nonzero = [abs(float(w)) for w in ws if w != 0]
    omega_S = min(nonzero) if nonzero else None
    diffs = [abs(float(a - b)) for a in ws for b in ws if a != b]
    small = min(diffs) if diffs else None
    Omega = small if small is not None and (omega_S is None or small < omega_S) else None
    inv_wS = 1 / omega_S if omega_S else None
    inv_O = 1 / Omega if Omega else None
    fast = max([x for x in (inv_wS, 1 / small if small else None) if x is not None],
               default=0.0)
    if dt_ >= margin * fast and (inv_O is None or dt_ >= margin * inv_O):
        regime = "secular"
    elif inv_O is not None and inv_wS is not None and margin * inv_wS <= dt_ <= inv_O / margin:
        regime = "partial-secular"
    else:
        regime = "intermediate"
    problems = []
    if dt_ < margin * tau_c:
        problems.append(f"dt = {dt_:.3g} is not >> tau_c = {tau_c:.3g}: memory (Born-Markov) "
                        f"corrections O(tau_c/dt) are not negligible")
    if tau_plateau is not None and dt_ < margin * tau_plateau:
        problems.append(f"dt = {dt_:.3g} is not >> |C|/Gamma = {tau_plateau:.3g}: the O(1/dt) "
                        f"term of Eq. (47) shifts some rate by more than 1/{margin:g}")
    if regime == "partial-secular" and inv_O > tau_S / margin:
        problems.append(f"1/{names[1]} = {inv_O:.3g} is not << tau_S = {tau_S:.3g}: the slow "
                        f"exchange and the damping are not separated")
    if dt_ > tau_S / margin:
        problems.append(f"dt = {dt_:.3g} is not << tau_S = {tau_S:.3g}: the system relaxes "
                        f"within one coarse-graining interval")
    if inv_wS is not None and tau_c > inv_wS / margin:
        problems.append(f"tau_c = {tau_c:.3g} is not << 1/{names[0]} = {inv_wS:.3g}")
    if regime == "intermediate":
        problems.append(f"dt = {dt_:.3g} is on no plateau (secular needs dt >> {fast:.3g}"
                        + (f"; partial-secular needs {inv_wS:.3g} << dt << {inv_O:.3g}"
                           if inv_O is not None and inv_wS is not None else "")
                        + "): gamma_mn(dt) depends on dt")
    if warn:
        for msg in problems:
            warnings.warn(msg, CoarseGrainingWarning, stacklevel=2)
    return TimescaleLadder(tau_c=tau_c, tau_plateau=tau_plateau, inv_omega_S=inv_wS,
                           inv_Omega=inv_O, dt=dt_, tau_S=tau_S, regime=regime,
                           problems=tuple(problems), margin=margin)
