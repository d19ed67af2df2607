r"""Quantum jumps of the finite-Delta t coarse-grained master equation (numeric).

At a finite coarse-graining time every pair of a reservoir's eigenoperators is coupled by
:math:`\gamma_{mn}(\Delta t)` of paper Eq. (45), and a term
:math:`\gamma_{mn}X_m\rho X_n^\dagger` collects bath frequencies :math:`\nu` of both signs:
its direction is not the sign of :math:`\omega_m`.  Writing the bath correlation function
as :mod:`cgsym.coarse_graining` does, :math:`G(\tau) = \frac1{2\pi}\int d\nu\,S(\nu)
e^{-i\nu\tau}` with :math:`S(\nu) = \gamma(\nu)(n(\nu)+1)` for :math:`\nu>0` and
:math:`S(-\nu) = \gamma(\nu)n(\nu)`, the two parts of Eq. (74),
:math:`B = B^{(+)} + B^{(-)}`, give

.. math::

   \mathrm{Tr}_R[B^{(-)}(t_1)\rho_R B^{(+)}(t_2)] = \frac1{2\pi}\int_0^\infty d\nu\,
       S(\nu)e^{-i\nu(t_2-t_1)}, \qquad
   \mathrm{Tr}_R[B^{(+)}(t_1)\rho_R B^{(-)}(t_2)] = \frac1{2\pi}\int_{-\infty}^0 d\nu\,
       S(\nu)e^{-i\nu(t_2-t_1)},

the first with a creation operator on the ket (the reservoir **gains** a quantum, weight
n+1), the second with an annihilation operator (it **loses** one, weight n); the cross
terms vanish because :math:`\rho_R` is diagonal (Eq. 77).  Carried through the double
time integral of Eq. (45) this splits the rate matrix by the sign of :math:`\nu` *in this
convention* (a Fourier convention :math:`e^{+i\nu\tau}` swaps the labels: there the gain
part is :math:`\nu < 0`):

.. math::

   \gamma_{mn}(\Delta t) = \gamma^{+}_{mn} + \gamma^{-}_{mn},\qquad
   \gamma^{\pm}_{mn} = \frac{e^{i\omega_{mn}\Delta t/2}\,\Delta t}{2\pi}
     \int_{\nu \gtrless 0} d\nu\, S(\nu)\,
     \mathrm{sinc}\frac{(\nu+\omega_m)\Delta t}{2}\,\mathrm{sinc}\frac{(\nu+\omega_n)\Delta t}{2},

(:math:`\mathrm{sinc}\,u = \sin u/u`; from :math:`f(x) = \int_0^{\Delta t}e^{ixt}dt =
e^{ix\Delta t/2}\Delta t\,\mathrm{sinc}(x\Delta t/2)`).  Each part is Hermitian and
positive semidefinite (an integral of :math:`S\ge0` times the outer product of the vector
:math:`f(\nu+\omega_m)`), so

.. math::

   \mathcal D_p = \mathcal J_p^{+} + \mathcal J_p^{-} - \tfrac12\{K_p,\cdot\},\qquad
   \mathcal J_p^{\pm}\rho = \sum_{mn}\gamma^{p,\pm}_{mn}X_m\rho X_n^\dagger,\qquad
   K_p = \sum_{mn}\gamma^p_{mn}(\Delta t)X_n^\dagger X_m,

with both jump parts completely positive.  To second order in the coupling, the
probabilities of Eq. (84) over one interval are *exactly*
:math:`P_p(\pm1) = \Delta t\,\mathrm{Tr}[\mathcal J_p^{\pm}\rho]` (the :math:`\mathcal V^{(\pm)}`
of Eq. 85 carry the same double time integral), and :math:`P(0) = 1 - \sum_p[P_p(+1) +
P_p(-1)]`.  As :math:`\Delta t\to\infty` the sinc product concentrates at
:math:`\nu = -\omega_m = -\omega_n`, so :math:`\gamma^{+}` tends to the secular emission
rates :math:`\gamma(|\omega|)(n+1)` (:math:`\omega_m<0`) and :math:`\gamma^-` to the
absorption rates :math:`\gamma n` (:math:`\omega_m > 0`): the secular split of
:mod:`cgsym.statistics.jumps`.

What is counted: quanta only (+1 into the system per loss jump of the reservoir, -1 per
gain jump).  A jump at finite Delta t exchanges a quantum of any bath frequency nu, so
the energy it carries is not one number; energy counting would need moments of nu over
S(nu), which a spectrum decaying only slightly faster than 1/nu does not have.

The integrals are taken here, in double precision, all pairs (m, n) at once: Gauss-Legendre
panels over the peaks nu = -omega_m and the Bose layer, continued in a doubling ladder out
to |nu| dt = 64 when the kernel (width 1/dt) is broader than that (short dt: the bath then
sits inside the kernel's central lobe), and beyond that the partial fractions of the sinc
product with QUADPACK's Fourier integral.  Taking the partial fractions any closer in
cancels to (nu dt)^2 (before 2026-12-07 they started at the peaks, and dt <= 0.03
failed).  Independent of the mpmath quadrature of
:func:`cgsym.coarse_graining.gamma_matrix_dt`, whose full matrix gives the no-jump part
and the Liouvillian; the tests check that the two halves add up to it (dt = 1e-6 ... 1e5).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

import numpy as np

from ..errors import CgsymError

#: requested relative accuracy of the half-line integrals (double precision)
EPSREL = 1e-12


def _spectrum(rate, T: float):
    """S(nu) >= 0 on one half line: side +1 (nu > 0, weight n+1), side -1 (nu < 0, weight n)."""
    def S(u, side):
        u = np.asarray(u, dtype=float)
        u = np.maximum(u, 1e-300)
        r = rate(u)
        y = u / T
        with np.errstate(over="ignore"):
            den = -np.expm1(-y) if side > 0 else np.expm1(y)
        return r / den
    return S


_NODES = 16            # Gauss-Legendre nodes per panel on [0, A]
_CHUNK = 4096          # panels evaluated at once (memory: _CHUNK * _NODES * pairs doubles)
_MAX_PANELS = 400_000  # beyond this dt the secular limit is the answer (and cheaper)


_KDT = 64.0           # the direct quadrature runs out to u dt >= _KDT (the kernel's scale)


def _edges(A, B, dt):
    """Panel edges on [0, B]: [0, A] (the peaks and the Bose layer) in equal panels no wider
    than half an oscillation (pi/dt) nor A/64; [A, B] (only when the kernel is broader than
    A, dt < _KDT/A) in a doubling ladder, each rung cut to panels no wider than pi/dt."""
    panels = max(64, int(math.ceil(A * dt / np.pi)))
    edges = [np.linspace(0.0, A, panels + 1)]
    lo = A
    while lo < B:
        hi = min(2 * lo, B)
        k = max(1, int(math.ceil((hi - lo) * dt / np.pi)))
        edges.append(np.linspace(lo, hi, k + 1)[1:])
        lo = hi
    return np.concatenate(edges)


def _near(S, side, shift, dt, A, B, iu):
    """int_0^B S(u) sinc((u + s_m)dt/2) sinc((u + s_n)dt/2) du for all pairs (m <= n), on
    the Gauss-Legendre panels of :func:`_edges`; the peaks of width 1/dt at u = -s_m are
    resolved by the panel width.  Two rules (n and n/2 nodes) give the error estimate.

    B = max(A, _KDT/dt): below u ~ 1/dt the kernel is not oscillating, and the partial
    fractions of :func:`_far` would cancel to (u dt)^2 (measured: the tail beyond A alone
    came out as 1.9e15 instead of 0.02 at dt = 1e-9, inf at dt = 1e-3)."""
    panels = max(64, int(math.ceil(A * dt / np.pi)))
    if panels > _MAX_PANELS:
        raise CgsymError(f"dt = {dt:g} is too long for the finite-dt jump split ({panels} "
                         f"integration panels, at most {_MAX_PANELS}, i.e. dt <= "
                         f"{_MAX_PANELS * np.pi / A:.3g} here): use the secular regime, the "
                         f"dt -> infinity limit")
    edges = _edges(A, B, dt)
    panels = len(edges) - 1
    mid, half = (edges[1:] + edges[:-1]) / 2, (edges[1:] - edges[:-1]) / 2

    def rule(n):
        x, wt = np.polynomial.legendre.leggauss(n)
        total = 0.0
        for k in range(0, panels, _CHUNK):     # bounded memory for long dt
            u = (mid[k:k + _CHUNK, None] + half[k:k + _CHUNK, None] * x[None, :]).ravel()
            wu = (half[k:k + _CHUNK, None] * wt[None, :]).ravel()
            s = np.sinc((u[None, :] + shift[:, None]) * dt / (2 * np.pi))
            with np.errstate(under="ignore"):
                total = total + (s[iu[0]] * s[iu[1]]) @ (wu * S(u, side))
        return total
    fine, coarse = rule(_NODES), rule(_NODES // 2)
    return fine, np.max(np.abs(fine - coarse))


def _far(S, side, shift, dt, A, iu, epsabs):
    """int_A^inf of the same, for u beyond every peak (u + s_m > 0):
    sinc a sinc b = 2[cos(a - b) - cos(a + b)]/((u + s_m)(u + s_n) dt^2), the oscillating
    part by QUADPACK's Fourier integral (QAWF), which does not slow down as dt grows.
    Returns the values and the largest error estimate (QUADPACK's, in the same units).
    ``epsabs`` is in the units of the result: the integrals of g are asked for it times
    dt^2/2 (at dt = 1e-3 an unscaled epsabs let a 1/u^2 tail be 30 % off, 5e-9 of gamma)."""
    import warnings
    from scipy.integrate import IntegrationWarning, quad
    epsabs = epsabs * dt ** 2 / 2
    out, worst = [], 0.0
    for m, n in zip(*iu):
        sm, sn = shift[m], shift[n]

        def g(u, _sm=sm, _sn=sn):
            return float(S(u, side)) / ((u + _sm) * (u + _sn))
        phi = (sm + sn) * dt / 2
        with warnings.catch_warnings():
            # QUADPACK warns when it cannot reach a tolerance far below double precision;
            # its error estimate is checked by the caller instead
            warnings.simplefilter("ignore", IntegrationWarning)
            plain, e1 = quad(g, A, np.inf, epsabs=epsabs, epsrel=EPSREL, limit=500)
            c, e2 = quad(g, A, np.inf, weight="cos", wvar=dt, epsabs=epsabs, limlst=200)
            s, e3 = quad(g, A, np.inf, weight="sin", wvar=dt, epsabs=epsabs, limlst=200)
        osc = c * math.cos(phi) - s * math.sin(phi)
        out.append(2 / dt ** 2 * (math.cos((sm - sn) * dt / 2) * plain - osc))
        worst = max(worst, 2 / dt ** 2 * (e1 + e2 + e3))
    return np.array(out), worst


def split_gamma_dt(frequencies, rate, T: float, dt: float):
    r"""(gamma^+, gamma^-): the gain (nu > 0) and loss (nu < 0) parts of gamma_mn(dt).

    Implements the split of Eq. (45) in the module docstring; rows and columns follow
    ``frequencies`` (the Bohr frequencies omega_m of X_m).  ``rate`` is a vectorised
    gamma(omega) for omega > 0 (as :func:`cgsym.numerics.evaluate_model` returns it).
    Double precision: relative accuracy about 1e-11 of the largest element.

    Returns
    -------
    gain, loss : complex ndarray
        Hermitian, positive semidefinite; gain + loss = gamma(dt) to quadrature accuracy.
    """
    if not (isinstance(dt, (int, float)) and math.isfinite(dt) and dt > 0):
        raise CgsymError(f"--dt must be a positive, finite coarse-graining time, got {dt}")
    if not (math.isfinite(T) and T > 0):
        raise CgsymError(f"the temperature must be positive, got {T}")
    w = np.asarray(frequencies, dtype=float)
    M = len(w)
    iu = np.triu_indices(M)
    S = _spectrum(rate, T)
    phase = np.exp(0.5j * np.subtract.outer(w, w) * dt)
    # [0, A] holds every peak u = |omega_m| and the Bose layer (width T) next to nu = 0
    A = 2 * max([abs(x) for x in w] + [T]) + 2 * T
    B = max(A, _KDT / dt)         # beyond B the kernel oscillates: partial fractions, QAWF
    out = []
    for side in (+1, -1):
        shift = side * w            # nu = side * u: sinc((nu + omega_m) dt/2) = sinc of (u + shift)
        near, err = _near(S, side, shift, dt, A, B, iu)
        if not np.all(np.isfinite(near)):
            raise CgsymError("the spectral function is not finite on the Delta t integration "
                             "range (it must vanish as omega -> 0 and decay as omega -> inf)")
        scale = max(np.max(np.abs(near)), 1e-300)
        if err > 1e-9 * scale:
            raise CgsymError(f"the Delta t jump integrals did not converge at dt = {dt:g} "
                             f"(estimated error {err / scale:.1e} relative): a feature of the "
                             f"rate narrower than the integration panels?")
        far, err = _far(S, side, shift, dt, B, iu, 1e-3 * EPSREL * scale)
        if not (err <= 1e-9 * scale and np.all(np.isfinite(far))):
            raise CgsymError(f"the Delta t jump integrals did not converge beyond omega = "
                             f"{B:.3g} at dt = {dt:g} (estimated error {err / scale:.1e} "
                             f"relative): the spectral function decays too slowly")
        total = near + far
        G = np.zeros((M, M), dtype=complex)
        G[iu] = total * dt / (2 * np.pi)
        G = G + np.triu(G, 1).T
        out.append(G * phase)
    return out[0], out[1]


DIRECTIONS_DT = ("+", "-")


@dataclass(frozen=True, eq=False)
class FiniteDtJumps:
    r"""D_p = J_p^+ + J_p^- - 1/2{K_p, .} at a finite coarse-graining time (numeric).

    Per reservoir (model order): the Bohr frequencies and eigenoperators X_m of the
    numeric pipeline, the full gamma_mn(dt) of :func:`cgsym.coarse_graining.gamma_matrix_dt`
    (``gamma``) and its gain / loss parts (``gain``: nu > 0, the reservoir gains a quantum;
    ``loss``: nu < 0).  ``liouvillian`` is -i[H_S, .] + sum_p D_p with D_p from ``gamma``
    (the coarse-grained equation of :func:`cgsym.finite_dt.evaluate_coarse_grained`);
    ``steady_state`` its unique steady state.  Column stacking throughout.
    """

    model_name: str
    dt: float
    reservoirs: tuple
    frequencies: Mapping
    operators: Mapping
    gamma: Mapping
    gain: Mapping
    loss: Mapping
    hamiltonian: np.ndarray
    liouvillian: np.ndarray
    dissipators: Mapping
    steady_state: np.ndarray
    temperatures: Mapping

    def _check(self, reservoir, direction=None):
        if reservoir not in self.reservoirs:
            raise CgsymError(f"unknown reservoir '{reservoir}' (reservoirs: "
                             f"{', '.join(self.reservoirs)})")
        if direction is not None and direction not in DIRECTIONS_DT:
            raise CgsymError(f"unknown jump direction '{direction}' (+ or - at finite dt)")

    def rates(self, reservoir: str, direction: str) -> np.ndarray:
        """gamma^{p,+} (reservoir gains a quantum) or gamma^{p,-} (it loses one)."""
        self._check(reservoir, direction)
        return (self.gain if direction == "+" else self.loss)[reservoir]

    def jump_superoperator(self, reservoir: str, direction: str) -> np.ndarray:
        r""":math:`\mathcal J_p^{\pm}`: X_m . X_n^+ -> conj(X_n) kron X_m, weighted by gamma^{p,pm}."""
        G = self.rates(reservoir, direction)
        ops = self.operators[reservoir]
        d = self.hamiltonian.shape[0]
        out = np.zeros((d * d, d * d), dtype=complex)
        for m, Xm in enumerate(ops):
            for n, Xn in enumerate(ops):
                if G[m, n] != 0:
                    out += G[m, n] * np.kron(np.conj(Xn), Xm)
        return out

    def no_jump(self, reservoir: str) -> np.ndarray:
        r""":math:`K_p = \sum_{mn}\gamma^p_{mn}(\Delta t)X_n^\dagger X_m` (full gamma)."""
        self._check(reservoir)
        G, ops = self.gamma[reservoir], self.operators[reservoir]
        return sum(G[m, n] * (Xn.conj().T @ Xm) for m, Xm in enumerate(ops)
                   for n, Xn in enumerate(ops))

    def decomposed_dissipator(self, reservoir: str) -> np.ndarray:
        """J^+ + J^- - 1/2{K, .} as a superoperator: equals ``dissipators[p]`` (tested)."""
        K = self.no_jump(reservoir)
        d = K.shape[0]
        I = np.eye(d)
        return (self.jump_superoperator(reservoir, "+") + self.jump_superoperator(reservoir, "-")
                - 0.5 * np.kron(I, K) - 0.5 * np.kron(K.T, I))

    def probabilities(self, rho=None, dt: float | None = None) -> dict:
        r"""Eq. (84) over one interval: P_p(+1) = dt Tr[J_p^+ rho] (reservoir p gains a
        quantum), P_p(-1) = dt Tr[J_p^- rho], P(0) = 1 - sum (second order in the coupling).

        ``rho`` defaults to the steady state, ``dt`` to the coarse-graining time.
        """
        rho = self.steady_state if rho is None else np.asarray(rho, dtype=complex)
        dt = self.dt if dt is None else dt
        d = rho.shape[0]
        v = rho.reshape(-1, order="F")
        t = np.eye(d).reshape(-1, order="F")
        out = {}
        total = 0.0
        for p in self.reservoirs:
            g = float(np.real(t @ self.jump_superoperator(p, "+") @ v)) * dt
            l = float(np.real(t @ self.jump_superoperator(p, "-") @ v)) * dt
            out[p] = {"+1": g, "-1": l}
            total += g + l
        return {"reservoirs": out, "none": 1.0 - total, "dt": dt}

    def numeric_jumps(self):
        """The jumps as :class:`cgsym.statistics.numeric.NumericJumps` (quanta only: the
        energy slot is NaN), for cumulants and the tilted Liouvillian."""
        from ..numerics import heat_current
        from .numeric import NumericJumps
        jumps = {p: ((-1.0, math.nan, self.jump_superoperator(p, "+")),
                     (+1.0, math.nan, self.jump_superoperator(p, "-")))
                 for p in self.reservoirs}
        J = {p: heat_current(self.hamiltonian, self.dissipators[p], self.steady_state)
             for p in self.reservoirs}
        return NumericJumps(self.liouvillian, self.steady_state, MappingProxyType(jumps),
                            MappingProxyType(J), self.temperatures)


def _steady_state(nu, L, dt):
    """The unique steady state of L, or one line saying from which dt on it is resolved.

    At short dt the rates grow like dt while -i[H_S, .] does not: below some dt the
    dissipative singular values of L fall under the kernel tolerance (KERNEL_RTOL of the
    largest) and the kernel looks degenerate (V atom: dt = 1e-9, rates 1e-11)."""
    try:
        return nu.steady_state(L)
    except CgsymError as exc:
        s = np.linalg.svd(L, compute_uv=False)
        k = nu.kernel_dimension(L)
        if k <= 1 or s[-2] <= 1e-13 * s[0]:
            raise       # a kernel degenerate at any dt (a conserved quantity): as it is
        # the smallest singular value but one is dissipative, O(dt) at short dt
        need = dt * 10 * nu.KERNEL_RTOL * s[0] / s[-2]
        raise CgsymError(f"{exc} at dt = {dt:g}: the dissipator (O(dt) at short dt) is below "
                         f"{nu.KERNEL_RTOL:g} of the Hamiltonian part of the Liouvillian, so "
                         f"its steady state is not resolved in double precision; dt >= "
                         f"{need:.1g} works here") from None


def finite_dt_jumps(model, values: Mapping, dt: float) -> FiniteDtJumps:
    """The jump decomposition of the finite-dt coarse-grained master equation at ``values``.

    Calls only public functions of the core: :func:`cgsym.numerics.evaluate_model`,
    :func:`cgsym.numerics.eigenoperators` (the X_m), :func:`cgsym.coarse_graining.
    gamma_matrix_dt` (the full gamma_mn(dt), which also enters the Liouvillian) and the
    numeric superoperator builders; the split is :func:`split_gamma_dt`.
    """
    from .. import coarse_graining as cg
    from .. import numerics as nu
    from ..finite_dt import _rate_callable as rate_callable
    from ..model import load_model
    model = load_model(model)
    if not (isinstance(dt, (int, float)) and math.isfinite(dt) and dt > 0):
        raise CgsymError(f"--dt must be a positive, finite coarse-graining time, got {dt}")
    nm = nu.evaluate_model(model, values)
    H = np.asarray(nm.hamiltonian)
    eig = np.linalg.eigh(H)
    L = nu.hamiltonian_superoperator(H)
    freqs, ops, gam, gain, loss, diss = {}, {}, {}, {}, {}, {}
    for res in model.reservoirs:
        w, X, _ = nu.eigenoperators(H, np.asarray(nm.couplings[res.name]), eig=eig)
        T = nm.temperatures[res.name]
        mp_rate = rate_callable(model, res, values)
        cg.check_spectral_function(mp_rate, T)
        G = cg.gamma_matrix_dt([float(x) for x in w], mp_rate, T, dt)
        G = np.array([[complex(G[i, j]) for j in range(G.cols)] for i in range(G.rows)])
        gp, gm = split_gamma_dt(w, nm.rates[res.name], T, dt)
        D = nu.dissipator_superoperator(list(X), G)
        freqs[res.name], ops[res.name] = tuple(float(x) for x in w), tuple(X)
        gam[res.name], gain[res.name], loss[res.name], diss[res.name] = G, gp, gm, D
        L = L + D
    rho = _steady_state(nu, L, dt)
    ro = MappingProxyType
    return FiniteDtJumps(model.name, float(dt), tuple(r.name for r in model.reservoirs),
                         ro(freqs), ro(ops), ro(gam), ro(gain), ro(loss), H, L, ro(diss), rho,
                         ro(dict(nm.temperatures)))


def finite_dt_statistics(fj: FiniteDtJumps, order: int = 3) -> dict:
    """Counting statistics of quanta at finite dt, per reservoir (numeric).

    The keys and conventions of :func:`cgsym.statistics.numeric.point_statistics` (mean:
    net quanta per unit time from reservoir p into the system; noise; fano; tur;
    tur_holds; third_cumulant), plus ``heat_currents`` and ``probabilities`` (Eq. 84 over
    one interval dt at the steady state).
    """
    from .numeric import point_statistics
    nj = fj.numeric_jumps()
    out = point_statistics(nj, "quanta", order)
    out["dt"] = fj.dt
    out["heat_currents"] = dict(nj.heat_currents)
    out["probabilities"] = fj.probabilities()
    return out
