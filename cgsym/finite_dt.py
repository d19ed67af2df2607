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
