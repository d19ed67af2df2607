r"""Numeric counting statistics at one parameter point (independent of the symbolic engine).

Jumps come from :func:`cgsym.numerics.numeric_pipeline` (numpy eigen-decomposition,
eigenoperators, gamma matrices), with the same conventions as
:mod:`cgsym.statistics.jumps`: a term gamma_mn X_m rho X_n^+ carries sign(omega_m) quanta
and (omega_m + omega_n)/2 energy into the system.

* :func:`tilted_liouvillian` -- :math:`\mathcal L + \sum_p\sum_{j\in p}(e^{s_p k_j}-1)\mathcal J_j`
  for real or complex counting variables :math:`s_p = i\chi_p`;
* :func:`scgf` -- its leading eigenvalue :math:`\theta(s)` (the scaled cumulant
  generating function), for finite-difference cumulants and the Gallavotti-Cohen test;
* :func:`cumulants` -- :math:`\kappa_1 \ldots \kappa_n` by the recursive (Rayleigh-
  Schroedinger) scheme, each order one linear solve with Tr = 0.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

import numpy as np

from ..errors import CgsymError

#: a mean below this fraction of the jump traffic (counted units per unit time) is zero
EQUILIBRIUM_RTOL = 1e-9
#: Q below 2 by more than this (relative) counts as a violation of the classical TUR
TUR_TOL = 1e-9


def _clean(x):
    """-0.0 -> 0.0 (a printed '-0' is rounding, not a sign)."""
    return None if x is None else (x + 0.0 if isinstance(x, float) else x)


@dataclass(frozen=True, eq=False)
class NumericJumps:
    """Liouvillian, steady state and jump superoperators at one point (column stacking).

    ``jumps[p]`` is a tuple of (quanta, energy, superoperator) for reservoir p.
    """

    liouvillian: np.ndarray
    steady_state: np.ndarray
    jumps: Mapping
    heat_currents: Mapping
    temperatures: Mapping

    def weights(self, reservoir: str, count: str):
        if reservoir not in self.jumps:
            raise CgsymError(f"unknown reservoir '{reservoir}'")
        i = {"quanta": 0, "energy": 1}[count]
        return [(j[i], j[2]) for j in self.jumps[reservoir]]

    def superoperator(self, reservoir: str, count: str, power: int = 1) -> np.ndarray:
        """sum_j k_j^power J_j (power 0: the total jump superoperator)."""
        N = self.liouvillian.shape[0]
        out = np.zeros((N, N), dtype=complex)
        for k, S in self.weights(reservoir, count):
            out += (k ** power) * S
        return out

    @property
    def entropy_production(self) -> float:
        return -sum(J / self.temperatures[p] for p, J in self.heat_currents.items())


def numeric_jumps(model, values, regime: str = "secular", weak_internal: bool = False,
                  *, pipeline=None) -> NumericJumps:
    """Jump superoperators of every reservoir from the numeric pipeline at ``values``."""
    from ..numerics import evaluate_model, numeric_pipeline
    r = pipeline or numeric_pipeline(model, values, regime, weak_internal)
    if r.steady_state is None:
        raise CgsymError(f"the steady state is not unique (kernel dimension "
                         f"{r.kernel_dimension})")
    d = r.dim
    out = {}
    for p, ops in r.eigenoperators.items():
        w = r.frequencies[p]
        gam = np.asarray(r.gamma[p][1])
        tol = 1e-12 * max(1.0, max(abs(x) for x in w))
        js = []
        for m, Xm in enumerate(ops):
            for n, Xn in enumerate(ops):
                g = gam[m, n]
                if g == 0:
                    continue
                sm = 0 if abs(w[m]) <= tol else int(np.sign(w[m]))
                sn = 0 if abs(w[n]) <= tol else int(np.sign(w[n]))
                if sm != sn:
                    raise CgsymError(f"reservoir '{p}': gamma couples frequencies of "
                                     f"different signs; no jump direction")
                S = g * np.kron(np.asarray(Xn).conj(), np.asarray(Xm))
                js.append((float(sm), 0.5 * (w[m] + w[n]) if sm else 0.0, S))
        out[p] = tuple(js)
    temps = {p: float(t) for p, t in evaluate_model(r.model, r.values).temperatures.items()}
    return NumericJumps(np.asarray(r.liouvillian), np.asarray(r.steady_state),
                        MappingProxyType(out), MappingProxyType(dict(r.heat_currents)),
                        MappingProxyType(temps))


def tilted_liouvillian(nj: NumericJumps, fields: Mapping, count: str = "quanta") -> np.ndarray:
    """L + sum_p sum_j (exp(s_p k_j) - 1) J_j, with s_p = i chi_p (real s: tilting)."""
    L = np.array(nj.liouvillian, dtype=complex)
    for p, s in fields.items():
        for k, S in nj.weights(p, count):
            L = L + (np.exp(s * k) - 1) * S
    return L


def scgf(nj: NumericJumps, fields: Mapping, count: str = "quanta") -> complex:
    """theta(s): the eigenvalue of the tilted Liouvillian that tends to 0 as s -> 0
    (the one of largest real part for real s)."""
    ev = np.linalg.eigvals(tilted_liouvillian(nj, fields, count))
    return ev[np.argmax(ev.real)]


def _solve_traceless(L, rhs):
    """x with L x = rhs and Tr x = 0 (rhs must have zero trace): a bordered least squares."""
    d = math.isqrt(L.shape[0])
    t = np.eye(d).reshape(-1, order="F")
    A = np.vstack([L, t[None, :]])
    b = np.concatenate([rhs, [0.0]])
    x, *_ = np.linalg.lstsq(A, b, rcond=None)
    return x


def cumulants(nj: NumericJumps, reservoir: str, count: str = "quanta", order: int = 3):
    r"""[kappa_1, ..., kappa_order] per unit time by the recursive scheme.

    With :math:`\mathcal L(s) = \mathcal L + \sum_{j\ge1} s^j\mathcal K_j/j!`,
    :math:`\theta = \sum\theta_n s^n`, :math:`\rho(s) = \sum \rho_n s^n`, Tr rho_n = 0 (n>0):
    :math:`\theta_n = \sum_{j=1}^n \mathrm{Tr}[\mathcal K_j\rho_{n-j}]/j!` and
    :math:`\mathcal L\rho_n = \sum_{k=1}^{n}\theta_k\rho_{n-k} - \sum_{j=1}^n
    \mathcal K_j\rho_{n-j}/j!`; :math:`\kappa_n = n!\,\theta_n`.
    """
    if order < 1:
        raise CgsymError("the order of the cumulants must be at least 1")
    L = np.asarray(nj.liouvillian, dtype=complex)
    d = math.isqrt(L.shape[0])
    t = np.eye(d).reshape(-1, order="F")
    K = [None] + [nj.superoperator(reservoir, count, j) for j in range(1, order + 1)]
    rho = [np.asarray(nj.steady_state, dtype=complex).reshape(-1, order="F")]
    theta = [0.0]
    for n in range(1, order + 1):
        th = sum(t @ (K[j] @ rho[n - j]) / math.factorial(j) for j in range(1, n + 1))
        theta.append(th)
        if n == order:
            break
        rhs = sum(theta[k] * rho[n - k] for k in range(1, n + 1)) \
            - sum(K[j] @ rho[n - j] / math.factorial(j) for j in range(1, n + 1))
        rho.append(_solve_traceless(L, rhs))
    return [float(np.real(math.factorial(n) * theta[n])) for n in range(1, order + 1)]


def finite_difference_cumulants(nj: NumericJumps, reservoir: str, count: str = "quanta",
                                h: float | None = None):
    """kappa_1..kappa_3 from central differences of theta(s) in the real counting variable s."""
    scale = max((abs(k) for k, _ in nj.weights(reservoir, count)), default=1.0) or 1.0
    h = h or 2e-3 / scale

    def th(s):
        return float(np.real(scgf(nj, {reservoir: s}, count)))
    f = {k: th(k * h) for k in (-2, -1, 0, 1, 2)}
    k1 = (f[1] - f[-1]) / (2 * h)
    k2 = (f[1] - 2 * f[0] + f[-1]) / h**2
    k3 = (f[2] - 2 * f[1] + 2 * f[-1] - f[-2]) / (2 * h**3)
    return [k1, k2, k3]


def point_statistics(nj, count: str, order: int = 3) -> dict:
    """Mean, noise, Fano, TUR ratio and the cumulants up to ``order`` at one point.

    The keys and conventions of :meth:`cgsym.statistics.CountingStatistics.evaluate`; the
    third cumulant under ``third_cumulant``.  Fano and Q are None where the mean is below
    1e-9 of the jump traffic (counted units per unit time, both directions): zero to
    rounding (one reservoir, equilibrium).
    """
    import numpy as np

    sigma = nj.entropy_production
    d = nj.steady_state.shape[0]
    v = np.asarray(nj.steady_state, dtype=complex).reshape(-1, order="F")
    t = np.eye(d).reshape(-1, order="F")
    out = {"count": count, "mean": {}, "noise": {}, "fano": {}, "tur": {}, "tur_holds": {},
           "entropy_production": _clean(float(sigma)), "third_cumulant": {}}
    for p in nj.jumps:
        k = cumulants(nj, p, count, order)
        m, s = _clean(k[0]), _clean(k[1])
        out["mean"][p], out["noise"][p] = m, s
        if order >= 3:
            out["third_cumulant"][p] = _clean(k[2])
        # the traffic: counted units per unit time in both directions
        traffic = sum(abs(w) * float(np.real(t @ S @ v)) for w, S in nj.weights(p, count))
        if not all(math.isfinite(x) for x in (m, s)):
            raise CgsymError("the counting statistics are not finite numbers at this point")
        if s < -1e-9 * max(traffic, 1e-300):
            # noise >= 0 always: a negative one is lost precision (occupations so large that
            # the jump rates cancel beyond double precision), never a result
            raise CgsymError(f"the numeric route lost precision at this point (reservoir "
                             f"'{p}': noise {s:.3g} < 0; occupations or rates too large for "
                             f"double precision): use the closed form (without --numeric)")
        if abs(m) <= EQUILIBRIUM_RTOL * traffic or abs(m) <= 1e-300:
            out["fano"][p] = out["tur"][p] = out["tur_holds"][p] = None
            continue
        q = s * sigma / m ** 2
        out["fano"][p] = s / m
        out["tur"][p] = q if math.isfinite(q) else None
        out["tur_holds"][p] = None if out["tur"][p] is None else bool(q >= 2 * (1 - TUR_TOL))
    return out
