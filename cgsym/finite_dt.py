"""The coarse-grained master equation at a finite coarse-graining time Delta t (numeric).

At finite Delta t every pair of eigenoperators of a reservoir is coupled by
gamma_mn(Delta t) of paper Eq. (45) (computed exactly by
:mod:`cgsym.coarse_graining`); the master equation keeps the form of Eq. (44)
and is Lindblad for every Delta t because gamma(Delta t) is positive
semidefinite.  This module assembles it at a numeric parameter point and returns
the steady state and heat currents, with the time-scale diagnostics.
"""
from __future__ import annotations

import math

import mpmath
import numpy as np
import sympy as sp

from .errors import CgsymError
from .model import Model
from .symbols import OMEGA


def _rate_callable(model: Model, reservoir, values: dict):
    pt = {p.symbol: sp.Float(values[p.name], 30) for p in model.parameters}
    expr = sp.sympify(reservoir.rate).xreplace(pt)
    f = sp.lambdify(OMEGA, expr, modules="mpmath")

    def rate(w):
        v = f(w)  # evaluated once: this is the hot spot of every Delta t integral
        return mpmath.re(v) if isinstance(v, mpmath.mpc) else mpmath.mpf(v)
    return rate


def _numpy_rate(model: Model, reservoir, values: dict):
    """gamma(omega) of a reservoir at a point as a vectorised NumPy callable (float64)."""
    pt = {p.symbol: sp.Float(values[p.name], 17) for p in model.parameters}
    expr = sp.sympify(reservoir.rate).xreplace(pt)
    f = sp.lambdify(OMEGA, expr, modules="numpy")

    def rate(w):
        return np.broadcast_to(np.asarray(f(w)), np.shape(w))
    return rate


def _check_dts(dts) -> list:
    out = []
    for dt in dts:
        if not isinstance(dt, (int, float, np.floating)) or not math.isfinite(dt) or dt <= 0:
            raise CgsymError(f"--dt must be a positive coarse-graining time, got {dt}")
        out.append(float(dt))
    return out


def gamma_matrices_dt(model: Model, values: dict, reservoir: str, dts) -> np.ndarray:
    """gamma_mn(dt) of one reservoir at every dt of ``dts``: array (len(dts), n, n).

    Rows and columns follow the eigenoperators of :func:`cgsym.numerics.eigenoperators`
    (the order of the numeric pipeline).  Computed for all dt at once in double precision
    by :func:`cgsym.gamma_grid.gamma_matrices_dt` (about 1e-11 relative to
    sqrt(gamma_mm gamma_nn)); where that route cannot resolve the rate, each dt is
    computed by the mpmath reference :func:`cgsym.coarse_graining.gamma_matrix_dt` at 15
    digits.
    """
    from . import numerics as nu
    dts = _check_dts(dts)
    nm = nu.evaluate_model(model, values)
    H = np.asarray(nm.hamiltonian)
    res = model.reservoir(reservoir)
    freqs, _, _ = nu.eigenoperators(H, np.asarray(nm.couplings[res.name]), eig=np.linalg.eigh(H))
    return _gammas([float(w) for w in freqs], model, res, values, nm.temperatures[res.name], dts)


def _gammas(freqs, model, res, values, T, dts) -> np.ndarray:
    from . import coarse_graining as cg
    from .gamma_grid import GridUnavailable
    from .gamma_grid import gamma_matrices_dt as grid
    try:
        return grid(freqs, _numpy_rate(model, res, values), T, dts)
    except (GridUnavailable, TypeError, ValueError, NameError, ZeroDivisionError):
        rate = _rate_callable(model, res, values)   # the mpmath reference, dt by dt
        out = []
        for dt in dts:
            G = cg.gamma_matrix_dt(freqs, rate, T, dt, 15)
            out.append([[complex(G[i, j]) for j in range(G.cols)] for i in range(G.rows)])
        return np.array(out, dtype=complex).reshape(len(dts), len(freqs), len(freqs))


def _dissipator_basis(ops) -> np.ndarray:
    """B[m, k] with sum_mk gamma_mk B[m, k] = numerics.dissipator_superoperator(ops, gamma)
    (Eq. 44, column stacking), built once for all dt."""
    d = ops[0].shape[0] if ops else 0
    I = np.eye(d)
    B = np.zeros((len(ops), len(ops), d * d, d * d), dtype=complex)
    for m, Xm in enumerate(ops):
        for k, Xk in enumerate(ops):
            A = Xk.conj().T @ Xm
            B[m, k] = np.kron(Xk.conj(), Xm) - 0.5 * np.kron(I, A) - 0.5 * np.kron(A.T, I)
    return B


def evaluate_coarse_grained_dts(model: Model, values: dict, dts) -> list:
    """:func:`evaluate_coarse_grained` at every coarse-graining time of ``dts`` (a list of
    the same dicts, without the Lamb shift), with the gamma(dt) matrices of all dt computed
    together (:func:`gamma_matrices_dt`: double precision, about 1e-11 relative; the
    curves ``cgsym plot --what current-vs-dt`` and finite-dt ``current-vs-omega``)."""
    from . import coarse_graining as cg
    from . import numerics as nu
    dts = _check_dts(dts)
    nm = nu.evaluate_model(model, values)
    H = np.asarray(nm.hamiltonian)
    L0 = nu.hamiltonian_superoperator(H)
    eig = np.linalg.eigh(H)
    per = []
    for res in model.reservoirs:
        freqs, ops, _ = nu.eigenoperators(H, np.asarray(nm.couplings[res.name]), eig=eig)
        T = nm.temperatures[res.name]
        cg.check_spectral_function(_rate_callable(model, res, values), T)
        Gs = _gammas([float(w) for w in freqs], model, res, values, T, dts)
        B = _dissipator_basis(list(ops))
        n, dd = len(ops), L0.shape[0]
        # D(dt) = sum_mk gamma_mk(dt) B[m, k] for every dt: one matrix product
        Ds = (Gs.reshape(len(dts), n * n) @ B.reshape(n * n, dd * dd)).reshape(-1, dd, dd)
        per.append((res.name, Gs, Ds))
    out = []
    for i, dt in enumerate(dts):
        L = L0
        dissipators, positivity = {}, {}
        for name, Gs, Ds in per:
            Gn = Gs[i]
            positivity[name] = float(np.linalg.eigvalsh((Gn + Gn.conj().T) / 2).min())
            D = Ds[i]
            dissipators[name] = D
            L = L + D
        rho = nu.steady_state(L)
        J = {name: nu.heat_current(H, D, rho) for name, D in dissipators.items()}
        out.append({"steady_state": rho, "heat_currents": J, "dt": dt,
                    "gamma_min_eigenvalue": positivity})
    return out


def evaluate_coarse_grained(model: Model, values: dict, dt: float, dps: int = 15,
                            lamb_shift: bool = False) -> dict:
    """Steady state and heat currents of the coarse-grained equation at time ``dt``.

    With ``lamb_shift`` the size of the energy shift Delta H of paper Eq. (30), which the
    master equation (44) drops, is reported under ``"lamb_shift"``: Delta H is assembled as
    sum_p sum_mn s^p_mn X_n^dagger X_m (:func:`cgsym.coarse_graining.lamb_shift_dt`) and its
    largest |eigenvalue| and eigenvalue spread are compared with the largest rate
    max_p max_m gamma^p_mm(dt) (about doubles the cost).
    """
    from . import coarse_graining as cg
    from . import numerics as nu
    if not isinstance(dt, (int, float)) or not math.isfinite(dt) or dt <= 0:
        raise CgsymError(f"--dt must be a positive coarse-graining time, got {dt}")
    nm = nu.evaluate_model(model, values)
    H = np.asarray(nm.hamiltonian)
    L = nu.hamiltonian_superoperator(H)
    dissipators = {}
    eig = np.linalg.eigh(H)
    positivity = {}
    dH = np.zeros_like(H, dtype=complex)
    max_rate = 0.0
    for res in model.reservoirs:
        freqs, ops, _ = nu.eigenoperators(H, np.asarray(nm.couplings[res.name]), eig=eig)
        rate = _rate_callable(model, res, values)
        T = nm.temperatures[res.name]
        cg.check_spectral_function(rate, T)
        G = cg.gamma_matrix_dt([float(w) for w in freqs], rate, T, dt, dps)
        Gn = np.array([[complex(G[i, j]) for j in range(G.cols)] for i in range(G.rows)])
        max_rate = max(max_rate, float(np.max(np.abs(np.diag(Gn)))))
        if lamb_shift:
            s = cg.lamb_shift_dt([float(w) for w in freqs], rate, T, dt, dps)
            for m, Xm in enumerate(ops):
                for n, Xn in enumerate(ops):
                    dH += complex(s[m, n]) * (Xn.conj().T @ Xm)
        ev = np.linalg.eigvalsh((Gn + Gn.conj().T) / 2)
        positivity[res.name] = float(ev.min())
        D = nu.dissipator_superoperator(list(ops), Gn)
        dissipators[res.name] = D
        L = L + D
    rho = nu.steady_state(L)
    J = {name: nu.heat_current(H, D, rho) for name, D in dissipators.items()}
    out = {"steady_state": rho, "heat_currents": J, "dt": dt,
           "gamma_min_eigenvalue": positivity}
    if lamb_shift:
        ev = np.linalg.eigvalsh((dH + dH.conj().T) / 2)
        biggest = float(np.max(np.abs(ev)))
        spread = float(ev.max() - ev.min())
        out["lamb_shift"] = {
            "max_abs_eigenvalue": biggest,
            "eigenvalue_spread": spread,
            "max_rate": max_rate,
            "relative_size": biggest / max_rate if max_rate > 0 else math.inf,
            "relative_spread": spread / max_rate if max_rate > 0 else math.inf,
            "note": "Delta H of Eq. (30), dropped from the master equation; relative_* = "
                    "size / max_p max_m gamma^p_mm(dt)"}
    return out
