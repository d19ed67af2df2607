r"""gamma_mn(Delta t) of Eq. (45) for many Delta t at once, in double precision (NumPy).

The reference :func:`cgsym.coarse_graining.gamma_matrix_dt` integrates each element at each
Delta t adaptively in mpmath (any number of digits, ~1 s per matrix).  A curve against
Delta t (``cgsym plot --what gamma-vs-dt | current-vs-dt``) needs the whole matrix at 40
values of Delta t to figure accuracy, and the same folded integral (module docstring of
:mod:`cgsym.coarse_graining`, x = nu + wbar, delta = (w_m - w_n)/2, p = -wbar)

.. math::

   \gamma_{mn}(\Delta t) = \frac{e^{i\delta\Delta t}}{\pi\Delta t}
   \int_0^\infty E(x)\,\frac{\cos\delta\Delta t - \cos x\Delta t}{x^2 - \delta^2}\,dx,
   \qquad E(x) = S(p + x) + S(p - x),

is split so that everything that depends on Delta t is elementary:

* subtract E(delta) phi(x) with phi(x) = (delta^2 + a^2)/(x^2 + a^2) (a = T): its integral
  against the kernel is elementary,
  :math:`\Phi = \frac{\pi}{2}\big[\Delta t\,\mathrm{sinc}(\delta\Delta t)
  - (\cos\delta\Delta t - e^{-a\Delta t})/a\big]`
  (partial fractions and :math:`\mathrm{P}\!\int_0^\infty \cos(x\Delta t)/(x^2-\delta^2)\,dx
  = -\pi\sin(\delta\Delta t)/(2\delta)`);
* the rest, h(x) = (E(x) - E(delta) phi(x))/(x^2 - delta^2), is smooth at x = delta (E and
  phi are even in x and equal at x = +-delta) and does **not** depend on Delta t.  It is
  sampled once on Gauss-Legendre panels, refined until its Legendre expansion on every panel
  is resolved (relative 1e-15), and expanded in Legendre polynomials;
* each Delta t is then a sum over panels: Gauss-Legendre of h (cos(delta dt) - cos(x dt))
  where a panel holds less than about one oscillation, otherwise Filon-Legendre
  (:math:`\int_{-1}^1 P_k(t)e^{i\kappa t}dt = 2i^k j_k(\kappa)`), so the cost does not grow
  with Delta t and all Delta t share the samples of h.

Accuracy: about 1e-11 relative to :math:`\sqrt{\gamma_{mm}\gamma_{nn}}` against the mpmath
reference over Delta t = 1e-3 ... 1e5 (``tests/test_gamma_grid.py`` compares at odd points;
the rate is evaluated in double precision).  Where a sample of h is not finite, or the
refinement does not converge, :class:`GridUnavailable` is raised and callers use the mpmath
route.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

__all__ = ["GridUnavailable", "gamma_matrices_dt", "spectral_density"]

_NODES = 28           # Gauss-Legendre nodes per panel (as the mpmath reference)
_K0 = 8.0             # panels with Delta t * half-width <= _K0: plain Gauss-Legendre
_TOL = 1e-15          # Legendre tail of h per panel, relative to int |h|
_MAX_PANELS = 4000
_MAX_ROUNDS = 80


class GridUnavailable(ArithmeticError):
    """The double-precision route cannot do this case (callers fall back to mpmath)."""


@lru_cache(maxsize=None)
def _rule(n: int = _NODES):
    t, w = np.polynomial.legendre.leggauss(n)
    V = np.polynomial.legendre.legvander(t, n - 1)           # V[j, k] = P_k(t_j)
    to_coeffs = (V * w[:, None]).T * ((2 * np.arange(n) + 1) / 2)[:, None]   # a = C @ f
    return t, w, to_coeffs


def spectral_density(rate_np, T: float):
    """S(nu) of the bath on the real line (KMS), vectorised: S(nu) = rate(|nu|)/|expm1(-nu/T)|.

    nu > 0: rate (n + 1) (emission); nu < 0: rate n (absorption); S(0) = T rate'(0) by
    Richardson extrapolation from nu = 1e-6 T.
    """
    def S(nu):
        nu = np.asarray(nu, dtype=float)
        a = np.abs(nu)
        with np.errstate(all="ignore"):
            r = np.asarray(rate_np(np.where(a > 0, a, 1.0)), dtype=complex)
            if np.any(np.abs(r.imag) > 1e-12 * np.abs(r.real) + 1e-300):
                raise GridUnavailable("complex rate")
            out = r.real / np.abs(np.expm1(-nu / T))   # expm1 overflow (nu << -T): 0
        zero = a == 0
        if np.any(zero):
            eps = 1e-6 * T
            s1, s2 = S(np.array([eps, 2 * eps]))
            out = np.where(zero, 2 * s1 - s2, out)
        return out
    return S


def _sph_bessel(n: int, kappa: np.ndarray) -> np.ndarray:
    """j_k(kappa) for k = 0..n-1, shape kappa.shape + (n,), kappa >= 0."""
    kappa = np.asarray(kappa, dtype=float)
    out = np.zeros(kappa.shape + (n,))
    small = kappa < 0.5
    big = kappa >= n
    mid = ~small & ~big
    if np.any(small):
        k = kappa[small]
        z = -(k * k) / 2
        for order in range(n):
            lead = np.ones_like(k)
            for j in range(1, order + 1):
                lead = lead * k / (2 * j + 1)
            term = np.ones_like(k)
            total = np.ones_like(k)
            for m in range(1, 14):
                term = term * z / (m * (2 * order + 2 * m + 1))
                total = total + term
            out[small, order] = lead * total
    if np.any(big):   # forward recurrence: stable for k < kappa
        k = kappa[big]
        s, c = np.sin(k), np.cos(k)
        j0 = s / k
        j1 = s / (k * k) - c / k
        out[big, 0] = j0
        if n > 1:
            out[big, 1] = j1
        for order in range(1, n - 1):
            j0, j1 = j1, (2 * order + 1) / k * j1 - j0
            out[big, order + 1] = j1
    if np.any(mid):   # Miller: backward recurrence, normalised by j_0 or j_1
        k = kappa[mid]
        top = int(n + np.max(k) + 30)
        f_next = np.zeros_like(k)
        f = np.full_like(k, 1e-280)
        vals = np.zeros(k.shape + (n,))
        for order in range(top, 0, -1):
            f_prev = (2 * order + 1) / k * f - f_next
            f_next, f = f, f_prev
            if order - 1 < n:
                vals[:, order - 1] = f
            big_val = np.abs(f) > 1e200
            if np.any(big_val):
                scale = np.where(big_val, 1e-200, 1.0)
                f, f_next, vals = f * scale, f_next * scale, vals * scale[:, None]
        s, c = np.sin(k), np.cos(k)
        j0 = s / k
        j1 = s / (k * k) - c / k
        use0 = np.abs(j0) >= np.abs(j1)
        norm = np.where(use0, j0 / np.where(use0, vals[:, 0], 1.0),
                        j1 / np.where(use0, 1.0, vals[:, 1] if n > 1 else 1.0))
        out[mid] = vals * norm[:, None]
    return out


def _phi_integral(delta: float, a: float, dts: np.ndarray) -> np.ndarray:
    """int_0^inf phi(x) (cos(delta dt) - cos(x dt))/(x^2 - delta^2) dx, stably for small dt."""
    y = delta * dts
    z = a * dts
    # dt (sinc(y) - 1): series below 0.1
    one_minus_sinc = np.where(np.abs(y) < 0.1,
                              y * y / 6 - y ** 4 / 120 + y ** 6 / 5040,
                              1 - np.sinc(y / np.pi))
    # a dt + expm1(-a dt) = z^2/2 - z^3/6 + ...
    zs = np.where(z < 0.1, z * z / 2 - z ** 3 / 6 + z ** 4 / 24 - z ** 5 / 120 + z ** 6 / 720,
                  z + np.expm1(-np.minimum(z, 700)))
    return (math.pi / 2) * (-dts * one_minus_sinc + 2 * np.sin(y / 2) ** 2 / a + zs / a)


def _extent(S, T: float, scale: float) -> float:
    """Where S(+-nu) has fallen below 1e-18 of its peak for good (log scan 1e-30..1e40)."""
    grid = 10.0 ** (np.arange(-60, 81) / 2)
    with np.errstate(all="ignore"):
        vals = np.maximum(np.nan_to_num(S(grid)), np.nan_to_num(S(-grid)))
    if not np.all(np.isfinite(vals)):
        raise GridUnavailable("spectral density not finite")
    peak = vals.max()
    if peak <= 0:
        return 10 * max(T, scale)
    above = np.nonzero(vals > 1e-18 * peak)[0]
    return float(grid[min(above[-1] + 1, len(grid) - 1)])


class _Element:
    """h(x) of one (p, delta) on refined panels, with everything Delta t needs."""

    def __init__(self, S, T, p, delta, x_far):
        t, w, C = _rule()
        self.p, self.delta, self.a = p, delta, T
        if delta > 0:
            self.E_delta = float(S(np.array([p + delta]))[0] + S(np.array([p - delta]))[0])
        else:
            self.E_delta = float(2 * S(np.array([p]))[0])
        if not math.isfinite(self.E_delta):
            raise GridUnavailable("E(delta) not finite")
        # initial breakpoints: 0, delta, |p| and a geometric ladder out to x_far
        special = sorted({0.0, delta, abs(p)})
        s0 = min([q for q in (T, delta, abs(p)) if q > 0]) / 4
        ladder = list(s0 * 2.0 ** np.arange(0, int(math.log2(x_far / s0)) + 2))
        pts = sorted(set(special + [q for q in ladder if q > 0]))
        lo = np.array(pts[:-1])
        hi = np.array(pts[1:])
        keep = hi - lo > 1e-300
        lo, hi = lo[keep], hi[keep]
        done_lo, done_hi, done_f = [], [], []
        min_width = 1e-13 * max(abs(p), delta, T)
        for _ in range(_MAX_ROUNDS):
            c, hw = (lo + hi) / 2, (hi - lo) / 2
            x = c[:, None] + hw[:, None] * t[None, :]
            f, noise = self._h(S, x)
            if not np.all(np.isfinite(f)):
                raise GridUnavailable("h not finite")
            coef = f @ C.T
            tail = (np.abs(coef[:, -1]) + np.abs(coef[:, -2])) * hw
            # next to x = delta the division amplifies rounding (noise, not structure): a
            # panel whose tail is at the rounding level is resolved as far as it can be; its
            # integral against (cos(delta dt) - cos(x dt)), which vanishes at x = delta, is not
            tail = np.where(tail <= 8 * noise.max(axis=1) * hw, 0.0, tail)
            total = np.sum(np.abs(f) * w[None, :] * hw[:, None]) + sum(
                np.sum(np.abs(g) * w[None, :] * ((b - a_) / 2)[:, None])
                for a_, b, g in zip(done_lo, done_hi, done_f))
            ok = (tail <= _TOL * total) | (hw < min_width)
            done_lo.append(lo[ok]), done_hi.append(hi[ok]), done_f.append(f[ok])
            if np.all(ok):
                break
            bad_lo, bad_hi = lo[~ok], hi[~ok]
            mid = (bad_lo + bad_hi) / 2
            lo = np.concatenate([bad_lo, mid])
            hi = np.concatenate([mid, bad_hi])
            if sum(len(q) for q in done_lo) + len(lo) > _MAX_PANELS:
                raise GridUnavailable("too many panels")
        else:
            raise GridUnavailable("refinement did not converge")
        self.lo = np.concatenate(done_lo)
        self.hi = np.concatenate(done_hi)
        self.f = np.concatenate(done_f)
        self.c = (self.lo + self.hi) / 2
        self.hw = (self.hi - self.lo) / 2
        self.x = self.c[:, None] + self.hw[:, None] * t[None, :]
        self.coef = self.f @ C.T
        self.H = self.hw * (self.f @ w)          # int of h over each panel

    def _h(self, S, x):
        d, a = self.delta, self.a
        E = S(self.p + x) + S(self.p - x)
        phi = (d * d + a * a) / (x * x + a * a)
        with np.errstate(all="ignore"):
            den = np.abs((x - d) * (x + d))
            noise = 4e-16 * (np.abs(E) + abs(self.E_delta) * phi) / den
            return (E - self.E_delta * phi) / ((x - d) * (x + d)), noise

    def integral(self, dts: np.ndarray) -> np.ndarray:
        """int_0^inf E(x) (cos(delta dt) - cos(x dt))/(x^2 - delta^2) dx for every dt."""
        t, w, _ = _rule()
        d = self.delta
        n = len(t)
        out = self.E_delta * _phi_integral(d, self.a, dts)
        kappa = dts[:, None] * self.hw[None, :]                      # (D, P)
        gauss = kappa <= _K0
        cosd = np.cos(d * dts)
        # Gauss-Legendre panels: h (cos(d dt) - cos(x dt)) = h 2 sin((x+d)dt/2) sin((x-d)dt/2)
        gi, gp = np.nonzero(gauss)
        if len(gi):
            xs = self.x[gp]                                           # (G, n)
            dt = dts[gi][:, None]
            trig = 2 * np.sin((xs + d) * dt / 2) * np.sin((xs - d) * dt / 2)
            vals = self.hw[gp] * np.sum(self.f[gp] * trig * w[None, :], axis=1)
            np.add.at(out, gi, vals)
        # Filon-Legendre panels: cos(d dt) int h - int h cos(x dt)
        fi, fp = np.nonzero(~gauss)
        if len(fi):
            jk = _sph_bessel(n, kappa[fi, fp])                       # (F, n)
            coef = self.coef[fp]
            k = np.arange(n)
            sgn = np.where((k // 2) % 2 == 0, 1.0, -1.0)             # i^k -> (-1)^(k//2)
            even = (k % 2 == 0)
            A = 2 * np.sum(np.where(even, sgn, 0.0)[None, :] * coef * jk, axis=1)
            B = 2 * np.sum(np.where(~even, sgn, 0.0)[None, :] * coef * jk, axis=1)
            theta = self.c[fp] * dts[fi]
            osc = self.hw[fp] * (np.cos(theta) * A - np.sin(theta) * B)
            vals = cosd[fi] * self.H[fp] - osc
            np.add.at(out, fi, vals)
        return out


def gamma_matrices_dt(frequencies, rate_np, T: float, dts) -> np.ndarray:
    r"""gamma_mn(Delta t) of Eq. (45) at every Delta t of ``dts``: array (len(dts), n, n).

    Parameters
    ----------
    frequencies : sequence of float
        Bohr frequencies w_m of the eigenoperators X_m of one reservoir.
    rate_np : callable
        gamma(omega) for omega > 0, vectorised over a NumPy array (float64).
    T : float
        Temperature of the reservoir (> 0).
    dts : sequence of float
        Coarse-graining times (> 0).

    Returns
    -------
    numpy.ndarray
        Complex, Hermitian in the last two axes; the same quantity as
        :func:`cgsym.coarse_graining.gamma_matrix_dt` to about 1e-11 relative to
        sqrt(gamma_mm gamma_nn) (module docstring).

    Raises
    ------
    GridUnavailable
        When the double-precision route cannot resolve the case (use the mpmath route).
    """
    ws = [float(w) for w in frequencies]
    dts = np.asarray(dts, dtype=float).reshape(-1)
    T = float(T)
    if not (T > 0 and np.all(dts > 0) and np.all(np.isfinite(dts))):
        raise GridUnavailable("T and dt must be positive")
    S = spectral_density(rate_np, T)
    scale = max([abs(w) for w in ws] + [T])
    x_far = 1e6 * (_extent(S, T, scale) + scale + T)
    size = len(ws)
    out = np.zeros((len(dts), size, size), dtype=complex)
    cache = {}
    for m in range(size):
        for n in range(m, size):
            key = (ws[m] + ws[n], abs(ws[m] - ws[n]))
            if key not in cache:
                el = _Element(S, T, -(ws[m] + ws[n]) / 2, abs(ws[m] - ws[n]) / 2, x_far)
                cache[key] = el.integral(dts)
            delta = (ws[m] - ws[n]) / 2
            val = np.exp(1j * delta * dts) * cache[key] / (math.pi * dts)
            out[:, m, n] = val
            out[:, n, m] = np.conj(val) if m != n else val.real
    if not np.all(np.isfinite(out)):
        raise GridUnavailable("not finite")
    return out
