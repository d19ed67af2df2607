"""A QuTiP oracle for the numeric pipeline (test-only helper).

Rebuilds the master equation of a model at one parameter point with QuTiP and
shares no code with :mod:`cgsym.numerics` beyond the model itself:

* numbers: SymPy ``subs``/``evalf`` of the model's matrices and expressions
  (not lambdify), the occupation from ``math.expm1``;
* spectrum: ``Qobj.eigenstates()``; eigenoperators X_m = sum |a><a|X|b><b| over
  pairs with E_a - E_b = omega_m (paper Eq. 42 convention, [H, X_m] = omega_m X_m);
* slow clusters: *not* by continuation as in ``numerics``, but by one jump: each
  X_m is expanded in the eigenbasis of H(s) (slow parameters scaled by
  s = 1e-7); the weighted mean of the H(s) Bohr frequencies it contains is its
  limit frequency to O(s), snapped to the nearest difference of eigenvalues of
  H(0).  This is exact when the eigenvectors of H_S do not depend on the scale of
  the slow parameters (true for every shipped model: the slow terms fix the
  eigenvectors through ratios of slow parameters only); it is an oracle for
  those models, not a general algorithm;
* dissipator: cross terms from ``spre``/``spost``/``sprepost`` (QuTiP's
  ``lindblad_dissipator(a, b)`` puts a^dagger b in the anticommutator, which is
  not trace preserving for a complex Hermitian rate matrix, qutip#1719);
* steady state: ``qutip.steadystate``.

Operators come from the model's matrices: QuTiP's ``destroy(2)`` equals
``sigmap()`` in QuTiP's basis ordering, which is easy to get wrong.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import sympy as sp

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # "matplotlib not found"
    import qutip

from cgsym.symbols import OMEGA

SLOW_PROBE = 1e-7


@dataclass(frozen=True, eq=False)
class OracleResult:
    frequencies: dict      # reservoir -> list of omega_m (ascending)
    limits: dict           # reservoir -> list of slow limits
    gamma: dict            # reservoir -> ndarray
    liouvillian: np.ndarray
    dissipators: dict      # reservoir -> ndarray
    steady_state: np.ndarray
    heat_currents: dict


def _subs(model, values, slow_scale=1.0):
    return {p.symbol: sp.Float(values[p.name] * (slow_scale if p.role == "slow" else 1.0), 30)
            for p in model.parameters}


def _matrix(expr, subs):
    return np.array(sp.Matrix(expr).subs(subs).evalf(30), dtype=complex)


def _chains(values, tol):
    """Group sorted values into chains with neighbours within tol: list of lists of indices."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    out = []
    for i in order:
        if out and values[i] - values[out[-1][-1]] <= tol:
            out[-1].append(i)
        else:
            out.append([i])
    return out


def _spectrum(Hq):
    E, kets = Hq.eigenstates()
    return np.array(E, dtype=float), kets


def _eigenoperators(E, kets, Xq, scale):
    """[(omega_m, X_m)] ascending, dropping vanishing X_m."""
    d = len(E)
    M = np.array([[Xq.matrix_element(kets[a], kets[b]) for b in range(d)] for a in range(d)])
    pairs = [(a, b) for a in range(d) for b in range(d) if abs(M[a, b]) > 1e-10]
    w = [E[a] - E[b] for a, b in pairs]
    out = []
    for chain in _chains(w, 1e-8 * scale):
        op = sum((M[a, b] * kets[a] * kets[b].dag() for a, b in (pairs[i] for i in chain)),
                 0 * Xq)
        out.append((float(np.mean([w[i] for i in chain])), op))
    return out


def _limit(op, Es, kets_s, E0, scale):
    d = len(Es)
    c = np.array([[op.matrix_element(kets_s[a], kets_s[b]) for b in range(d)] for a in range(d)])
    wts = np.abs(c) ** 2
    nu = float(np.sum(wts * (Es[:, None] - Es[None, :])) / np.sum(wts))
    diffs = (E0[:, None] - E0[None, :]).ravel()
    k = int(np.argmin(np.abs(diffs - nu)))
    assert abs(diffs[k] - nu) < 1e-4 * scale, "oracle cluster method not applicable"
    return float(diffs[k])


def oracle(model, values, regime="secular", weak_internal=False) -> OracleResult:
    """Liouvillian, steady state and heat currents of ``model`` with QuTiP."""
    subs = _subs(model, values)
    d = model.dim
    Hq = qutip.Qobj(_matrix(model.hamiltonian, subs))
    E, kets = _spectrum(Hq)
    scale = float(E.max() - E.min()) or 1.0
    if model.slow:
        Es, kets_s = _spectrum(qutip.Qobj(_matrix(model.hamiltonian,
                                                  _subs(model, values, SLOW_PROBE))))
        E0 = np.linalg.eigvalsh(_matrix(model.hamiltonian, _subs(model, values, 0.0)))

    L = qutip.liouvillian(Hq)
    freqs, limits, gammas, diss = {}, {}, {}, {}
    for r in model.reservoirs:
        Xq = qutip.Qobj(_matrix(r.coupling, subs))
        T = float(r.temperature.subs(subs).evalf(30))
        rate = r.rate.subs(subs)
        comps = _eigenoperators(E, kets, Xq, scale)
        w = [c[0] for c in comps]
        ops = [c[1] for c in comps]
        lim = ([_limit(op, Es, kets_s, E0, scale) for op in ops] if model.slow else list(w))

        def Gamma(x):
            if abs(x) < 1e-12 * scale:
                raise NotImplementedError("zero-frequency rates are not in the oracle")
            g = float(rate.subs(OMEGA, abs(x)).evalf(30))
            return g * (1.0 / math.expm1(abs(x) / T) + (1.0 if x < 0 else 0.0))

        N = len(w)
        G = np.zeros((N, N))
        for m in range(N):
            for k in range(N):
                same = (abs(lim[m] - lim[k]) < 1e-8 * scale if model.slow else m == k)
                if (regime == "secular" and m != k) or not same:
                    continue
                G[m, k] = Gamma(lim[m] if weak_internal else (w[m] + w[k]) / 2)
        D = 0
        for m in range(N):
            for k in range(N):
                if G[m, k] == 0:
                    continue
                A = ops[k].dag() * ops[m]
                D = D + G[m, k] * (qutip.sprepost(ops[m], ops[k].dag())
                                   - 0.5 * qutip.spre(A) - 0.5 * qutip.spost(A))
        L = L + D
        freqs[r.name], limits[r.name], gammas[r.name], diss[r.name] = w, lim, G, D

    rho = qutip.steadystate(L)
    J = {p: float(np.real((Hq * qutip.vector_to_operator(D * qutip.operator_to_vector(rho))).tr()))
         for p, D in diss.items()}
    return OracleResult(freqs, limits, gammas, L.full(), {p: D.full() for p, D in diss.items()},
                        rho.full(), J)


def countstat_reference(nj, count="quanta"):
    """Mean and zero-frequency noise of each reservoir's counted jumps, from QuTiP's
    ``countstat_current_noise`` on the jump superoperators of ``nj`` (a
    :class:`cgsym.statistics.numeric` jump decomposition): ({p: mean}, {p: noise})."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import qutip
    d = nj.steady_state.shape[0]
    dims = [[[d], [d]], [[d], [d]]]

    def sup(M):
        return qutip.Qobj(M, dims=dims, superrep="super")
    names = list(nj.jumps)
    J = [sup(nj.superoperator(p, count, 2)) for p in names]   # total: sum k^2 J_j
    I = [sup(nj.superoperator(p, count, 1)) for p in names]   # net: sum k J_j
    cur, noise, _ = qutip.countstat_current_noise(
        sup(nj.liouvillian), [], rhoss=qutip.Qobj(nj.steady_state), J_ops=J, I_ops=I)
    noise = np.asarray(noise)
    diag = noise[:, :, 0].diagonal() if noise.ndim == 3 else np.diagonal(noise)
    return ({p: float(np.real(cur[i])) for i, p in enumerate(names)},
            {p: float(np.real(diag[i])) for i, p in enumerate(names)})
