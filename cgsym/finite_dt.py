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
    return lambda w: mpmath.mpf(f(w)) if not isinstance(f(w), mpmath.mpc) else mpmath.re(f(w))


def evaluate_coarse_grained(model: Model, values: dict, dt: float, dps: int = 15) -> dict:
    """Steady state and heat currents of the coarse-grained equation at time ``dt``."""
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
    for res in model.reservoirs:
        freqs, ops, _ = nu.eigenoperators(H, np.asarray(nm.couplings[res.name]), eig=eig)
        rate = _rate_callable(model, res, values)
        T = nm.temperatures[res.name]
        cg.check_spectral_function(rate, T)
        G = cg.gamma_matrix_dt([float(w) for w in freqs], rate, T, dt, dps)
        Gn = np.array([[complex(G[i, j]) for j in range(G.cols)] for i in range(G.rows)])
        ev = np.linalg.eigvalsh((Gn + Gn.conj().T) / 2)
        positivity[res.name] = float(ev.min())
        D = nu.dissipator_superoperator(list(ops), Gn)
        dissipators[res.name] = D
        L = L + D
    rho = nu.steady_state(L)
    J = {name: nu.heat_current(H, D, rho) for name, D in dissipators.items()}
    return {"steady_state": rho, "heat_currents": J, "dt": dt,
            "gamma_min_eigenvalue": positivity}
