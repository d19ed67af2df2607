r"""Master equations beyond the paper's at a numeric point: Lamb shift and Bloch-Redfield.

Bloch-Redfield (Born-Markov without any secular approximation), derived from
d rho/dt = -int_0^oo dtau Tr_R[V(t), [V(t - tau), rho(t) (x) rho_R]] with
V(t) = B(t) X(t), X(t) = sum_m X_m e^{i omega_m t} and the one-sided spectrum
Gamma~(omega) = int_0^oo G(tau) e^{-i omega tau} dtau = Gamma(omega)/2 + i Delta(omega)
(:mod:`cgsym.exact.lamb_shift`):

    R_p[rho] = sum_mn [ Gamma~(omega_m)(X_m rho X_n^+ - X_n^+ X_m rho)
                       + Gamma~(omega_n)^* (X_m rho X_n^+ - rho X_n^+ X_m) ]
             = Lambda rho X - X Lambda rho + h.c.,   Lambda = sum_m Gamma~(omega_m) X_m.

Every pair of Bohr frequencies is kept.  In the form of Eq. (44) it has
gamma_mn = Gamma~_m + Gamma~_n^* (Hermitian, generally *not* positive: Redfield is not
completely positive) and an energy shift s_mn = (Gamma~_m - Gamma~_n^*)/(2i).  "Without the
Lamb shift" means Delta = 0 (Gamma~ = Gamma/2 real), which is what QuTiP's
``bloch_redfield_tensor`` implements; the remaining -i(Gamma_m - Gamma_n)/4 term is part of
Redfield itself.  The loss of positivity is reported (smallest eigenvalue of each gamma and
of the steady state), never hidden.

Heat currents: J_p = Tr[H_S R_p[rho_ss]] with R_p the whole generator of reservoir p
(its Lamb shift included), so that sum_p J_p = 0 holds exactly in every method.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import CgsymError
from .. import numerics as nu

__all__ = ["MethodResult", "one_sided_spectrum_at", "redfield", "markovian"]


@dataclass(frozen=True, eq=False)
class MethodResult:
    """Steady state and heat currents of one method at one point (numeric)."""

    method: str
    steady_state: np.ndarray
    heat_currents: dict
    extra: dict = field(default_factory=dict)


def _commutator_super(A: np.ndarray) -> np.ndarray:
    """-i[A, .] as a matrix (column stacking)."""
    return nu.hamiltonian_superoperator(A)


def _solve(H, gens: dict, model):
    L = nu.hamiltonian_superoperator(H) + sum(gens.values())
    k = nu.kernel_dimension(L)
    if k != 1:
        raise CgsymError(f"the Liouvillian has a {k}-dimensional kernel: no unique steady state")
    rho = nu._null_state(L)
    J = {p: nu.heat_current(H, R, rho) for p, R in gens.items()}
    return rho, J


def _min_eig(rho) -> float:
    return float(np.linalg.eigvalsh((rho + rho.conj().T) / 2).min())


def one_sided_spectrum_at(model, values, res, lamb_shift: bool, zero_tol: float):
    """w -> Gamma~_p(w) = Gamma_p(w)/2 + i Delta_p(w) (Delta = 0 without the Lamb shift)."""
    from .lamb_shift import lamb_shift_callable
    nm = nu.evaluate_model(model, values)
    rate, T = nm.rates[res.name], nm.temperatures[res.name]
    delta = lamb_shift_callable(model, res, dict(values)) if lamb_shift else None

    def G(w):
        g = nu.transition_rate(w, rate, T, res.name, zero_tol) / 2
        return g + (1j * delta(w) if delta is not None else 0.0)
    return G


def redfield(model, values, lamb_shift: bool = False) -> MethodResult:
    """Bloch-Redfield steady state and heat currents at a point (see module docstring)."""
    nm = nu.evaluate_model(model, values)
    H = np.asarray(nm.hamiltonian)
    E, V = np.linalg.eigh(H)
    tol = nu.FREQ_RTOL * nu._energy_scale(E)
    d = model.dim
    I = np.eye(d)
    gens, gmin = {}, {}
    for res in model.reservoirs:
        X = np.asarray(nm.couplings[res.name])
        w, ops, _ = nu.eigenoperators(H, X, eig=(E, V))
        G = one_sided_spectrum_at(model, values, res, lamb_shift, tol)
        g = np.array([G(float(x)) for x in w])
        Lam = sum(gm * Xm for gm, Xm in zip(g, ops))
        Ld = Lam.conj().T
        R = (np.kron(X.T, Lam) - np.kron(I, X @ Lam)
             + np.kron(Ld.T, X) - np.kron((Ld @ X).T, I))
        gens[res.name] = R
        gam = g[:, None] + g[None, :].conj()
        ev = np.linalg.eigvalsh((gam + gam.conj().T) / 2)
        gmin[res.name] = float(ev.min() / max(abs(ev).max(), 1e-300))
    rho, J = _solve(H, gens, model)
    extra = {"positivity": {
        "gamma_min_relative_eigenvalue": gmin,
        "steady_state_min_eigenvalue": _min_eig(rho),
        "note": "Redfield's gamma_mn = Gamma~_m + conj(Gamma~_n) is not positive in general "
                "(not completely positive); a negative steady-state eigenvalue means rho_ss "
                "is not a state"}}
    return MethodResult("redfield" + ("+LS" if lamb_shift else ""), rho, J, extra)


def markovian(model, values, regime: str, weak_internal: bool = False,
              lamb_shift: bool = False) -> MethodResult:
    """Secular or partial-secular equation at a point (the numeric pipeline), optionally
    with the Lamb shift H_LS = sum_p sum_mn Delta^p_mn X_n^+ X_m (same pair rules)."""
    nr = nu.numeric_pipeline(model, values, regime, weak_internal)
    H = np.asarray(nr.hamiltonian)
    gens = {p: np.asarray(D) for p, D in nr.dissipators.items()}
    extra = {}
    if lamb_shift:
        from .lamb_shift import lamb_shift_numeric
        HLS = lamb_shift_numeric(nr)
        for p, Hp in HLS.items():
            gens[p] = gens[p] + _commutator_super(Hp)
        total = sum(HLS.values())
        ev = np.linalg.eigvalsh(total)
        extra["lamb_shift"] = {
            "eigenvalues": [float(x) for x in ev],
            "commutator_with_H_S": float(np.linalg.norm(H @ total - total @ H)),
            "hamiltonian_real": np.real(total).tolist(),
            "hamiltonian_imag": np.imag(total).tolist()}
    elif nr.kernel_dimension == 1:
        return MethodResult(regime, np.asarray(nr.steady_state), dict(nr.heat_currents), extra)
    rho, J = _solve(H, gens, model)
    return MethodResult(regime + ("+LS" if lamb_shift else ""), rho, J, extra)


def coarse_grained(model, values, dt: float, lamb_shift: bool = False,
                   dps: int = 15) -> MethodResult:
    """The coarse-grained equation at a finite Delta t (Eq. 45), optionally with its own
    energy shift Delta H(Delta t) of Eq. (30) (:func:`cgsym.coarse_graining.lamb_shift_dt`,
    the same pair structure as gamma(Delta t): every pair, weighted by the finite-Delta t
    kernel).  Without the shift this is :func:`cgsym.finite_dt.evaluate_coarse_grained`."""
    from .. import coarse_graining as cg
    from ..finite_dt import _rate_callable, evaluate_coarse_grained
    if not lamb_shift:
        r = evaluate_coarse_grained(model, values, dt, dps)
        return MethodResult("coarse-grained", np.asarray(r["steady_state"]),
                            dict(r["heat_currents"]), {"dt": dt})
    nm = nu.evaluate_model(model, values)
    H = np.asarray(nm.hamiltonian)
    eig = np.linalg.eigh(H)
    gens = {}
    for res in model.reservoirs:
        w, ops, _ = nu.eigenoperators(H, np.asarray(nm.couplings[res.name]), eig=eig)
        rate = _rate_callable(model, res, values)
        T = nm.temperatures[res.name]
        cg.check_spectral_function(rate, T)
        freqs = [float(x) for x in w]
        G = cg.gamma_matrix_dt(freqs, rate, T, dt, dps)
        S = cg.lamb_shift_dt(freqs, rate, T, dt, dps)
        Gn = np.array([[complex(G[i, j]) for j in range(G.cols)] for i in range(G.rows)])
        dH = sum(complex(S[m, k]) * (ops[k].conj().T @ ops[m])
                 for m in range(len(ops)) for k in range(len(ops)))
        dH = (dH + dH.conj().T) / 2
        gens[res.name] = nu.dissipator_superoperator(list(ops), Gn) + _commutator_super(dH)
    rho, J = _solve(H, gens, model)
    return MethodResult("coarse-grained+LS", rho, J, {"dt": dt})
