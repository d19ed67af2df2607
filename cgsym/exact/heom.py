r"""An exact reference: the hierarchical equations of motion through QuTiP's ``HEOMSolver``.

cgsym does not implement HEOM; it translates a model at a numeric point into QuTiP's
bath objects, asks ``HEOMSolver.steady_state`` for the steady state and its auxiliary
density operators (ADOs), and reads the heat currents from the first tier
(Kato & Tanimura, J. Chem. Phys. 145, 224105 (2016)).

Mapping of cgsym's rate to QuTiP's spectral density (verified in the tests against
``power_spectrum``): cgsym's gamma_p(omega) = 2 pi g_p(omega)^2 (paper Eq. 40) and QuTiP's
C(t) = (1/pi) int_0^oo J(w) [coth(w/2T) cos wt - i sin wt] dw give

    J_QuTiP(omega) = gamma_p(omega) / 2,
    QuTiP power_spectrum(w) = gamma^odd(w)(n(w) + 1) = Gamma_cgsym(-w),

so the Drude-Lorentz rate ``4*lam*g*omega/(omega**2 + g**2)`` is QuTiP's
``DrudeLorentzEnvironment(T, lam, g)`` and ``2*l**2*G*omega/((omega**2 - w0**2)**2 +
G**2*omega**2)`` its ``UnderDampedEnvironment(T, l, G, w0)``.  They are recognised
structurally from the rate expression with SymPy, whatever the parameter names; any other
rate is fitted by QuTiP (``approximate("aaa", ...)`` on the power spectrum) and the fit
error is reported.

Heat current from reservoir p into the system, as in the rest of cgsym (energy per unit
time): QuTiP's hierarchy couples rho_0 to the first tier as
d rho_0/dt = -i[H_S, rho_0] - i sum_k [Q_{p(k)}, rho_{e_k}], so

    J_p = Tr[H_S (-i sum_{k in p} [Q_p, rho_{e_k}])] = -i sum_{k in p} Tr[[H_S, Q_p] rho_{e_k}],

and sum_p J_p = Tr[H_S d rho_0/dt] = 0 in the steady state.  (For couplings of different
reservoirs that commute, as on separate qubits, this system-side current equals the
bath-side current -d<H_B,p>/dt of Kato and Tanimura.)
"""
from __future__ import annotations

import math

import numpy as np
import sympy as sp

from ..errors import CgsymError
from ..symbols import OMEGA
from .redfield import MethodResult

__all__ = ["require_qutip", "recognise_rate", "heom", "DEFAULTS"]

#: default (Pade/Matsubara terms per reservoir beyond the first, or the AAA fit's Nmax for a
#: fitted rate; hierarchy depth) per bath kind
DEFAULTS = {"drude-lorentz": (4, 2), "underdamped": (4, 2), "fit": (6, 2)}

#: largest hierarchy solved (auxiliary density operators); 2000 ADOs of a two-qubit model
#: are a 32000 x 32000 sparse system
MAX_ADOS = 2000


class HierarchyTooLarge(CgsymError):
    pass


def require_qutip():
    try:
        import qutip
    except ImportError:
        raise CgsymError("the HEOM reference needs QuTiP: pip install 'cgsym[exact]'") from None
    return qutip


def recognise_rate(res, model, values: dict):
    """Recognise a Drude-Lorentz or underdamped rate structurally (SymPy), at a point.

    Returns ``("drude-lorentz", {"lam", "gamma"})``, ``("underdamped", {"lam", "gamma",
    "w0"})`` or ``(None, {})``.  The rate is written as a omega / q(omega) with a independent
    of omega and q an even polynomial of degree 2 (b0 + b2 omega^2: Drude-Lorentz with
    gamma = sqrt(b0/b2), lam = a/(4 b2 gamma)) or 4 (b0 + b2 w^2 + b4 w^4: underdamped with
    w0 = (b0/b4)^(1/4), G^2 = b2/b4 + 2 w0^2 > 0, lam^2 = a/(2 b4 G)); the coefficients are
    evaluated at the point.
    """
    pt = {p.symbol: sp.Float(values[p.name], 30) for p in model.parameters}
    r = sp.cancel(sp.sympify(res.rate))
    num, den = sp.fraction(r)
    try:
        pn, pd = sp.Poly(num, OMEGA), sp.Poly(den, OMEGA)
    except sp.PolynomialError:
        return None, {}
    if pn.monoms() != [(1,)]:
        return None, {}
    a = pn.coeffs()[0]
    coeffs = {m[0]: c for m, c in zip(pd.monoms(), pd.coeffs())}
    if any(k % 2 for k in coeffs):
        return None, {}
    ev = {k: float(sp.N(c.xreplace(pt), 20)) for k, c in coeffs.items()}
    av = float(sp.N(a.xreplace(pt), 20))
    deg = pd.degree()
    if deg == 2 and set(ev) == {0, 2}:
        b0, b2 = ev[0] / ev[2], 1.0
        av = av / ev[2]
        if b0 <= 0 or av <= 0:
            return None, {}
        g = math.sqrt(b0)
        return "drude-lorentz", {"lam": av / (4 * g), "gamma": g}
    if deg == 4 and 0 in ev and 4 in ev:
        b0, b2, av = ev[0] / ev[4], ev.get(2, 0.0) / ev[4], av / ev[4]
        if b0 <= 0 or av <= 0:
            return None, {}
        w0 = b0 ** 0.25
        G2 = b2 + 2 * w0 ** 2
        if G2 <= 0:
            return None, {}
        G = math.sqrt(G2)
        return "underdamped", {"lam": math.sqrt(av / (2 * G)), "gamma": G, "w0": w0}
    return None, {}


def _environment(res, model, values, T, nexp: int):
    """(QuTiP exponential environment, description) for one reservoir."""
    qt = require_qutip()
    kind, par = recognise_rate(res, model, values)
    if kind == "drude-lorentz":
        env = qt.DrudeLorentzEnvironment(T=T, lam=par["lam"], gamma=par["gamma"])
        approx = env.approximate("pade", Nk=nexp, combine=True, tag=res.name)
        return approx, {"kind": kind, "method": "pade", "Nk": nexp, **par}
    if kind == "underdamped":
        env = qt.UnderDampedEnvironment(T=T, lam=par["lam"], gamma=par["gamma"], w0=par["w0"])
        approx = env.approximate("matsubara", Nk=nexp, combine=True, tag=res.name)
        return approx, {"kind": kind, "method": "matsubara", "Nk": nexp, **par}
    from .. import numerics as nu
    rate = nu.evaluate_model(model, values).rates[res.name]

    def J(w):   # QuTiP's spectral density: gamma/2 for w > 0, 0 otherwise
        w = np.asarray(w, dtype=float)
        return np.where(w > 0, rate(np.abs(w)) / 2, 0.0)
    # the frequency range: where J has fallen to 1e-4 of its maximum
    grid = np.logspace(-4, 4, 400)
    jv = J(grid)
    if not np.all(np.isfinite(jv)) or jv.max() <= 0:
        raise CgsymError(f"reservoir '{res.name}': the rate cannot be sampled for the HEOM fit")
    wmax = float(grid[np.nonzero(jv > 1e-4 * jv.max())[0][-1]])
    wlist = np.linspace(-wmax, wmax, 1201)
    env = qt.BosonicEnvironment.from_spectral_density(J, wMax=wmax, T=T)
    # AAA rational fit of the power spectrum (QuTiP): exponents come out directly, no
    # Matsubara tail (a spectral-density fit with Matsubara terms converged to the Gibbs
    # state only slowly at T << cutoff)
    approx, info = env.approximate("aaa", wlist, tol=1e-10, Nmax=nexp, tag=res.name)
    return approx, {"kind": "fit", "method": "AAA fit of the power spectrum (QuTiP)",
                    "Nmax": nexp, "exponents": len(approx.exponents),
                    "fit_rmse": float(info["rmse"]), "wmax": wmax}


def _steady_state(solver, d: int):
    """Steady state of QuTiP's hierarchy: its generator ``solver.rhs(0)`` with the first
    equation replaced by Tr rho_0 = 1, solved by SuperLU with the MMD_AT_PLUS_A column
    ordering (the default COLAMD ordering of ``HEOMSolver.steady_state`` fills in: 33 s
    against 0.4 s for 286 ADOs of the two-qubit model, same solution to 1e-14)."""
    import scipy.sparse as sps
    from scipy.sparse.linalg import splu
    from qutip.solver.heom.bofin_solvers import HierarchyADOsState
    import qutip as qt
    L = sps.csr_matrix(solver.rhs(0).to("CSR").data.as_scipy())
    N = L.shape[0]
    L = L.tolil()
    L[0, :] = 0
    for k in range(d):
        L[0, k * (d + 1)] = 1.0      # Tr rho_0 (column stacking: diagonal at k (d + 1))
    b = np.zeros(N, dtype=complex)
    b[0] = 1.0
    try:
        x = splu(L.tocsc(), permc_spec="MMD_AT_PLUS_A").solve(b)
    except RuntimeError as e:   # "Factor is exactly singular"
        raise CgsymError(f"the HEOM steady state could not be solved: {e}") from None
    if not np.all(np.isfinite(x)):
        raise CgsymError("the HEOM steady state could not be solved (singular hierarchy)")
    rho = x[:d * d].reshape((d, d), order="F")
    rho = (rho + rho.conj().T) / 2
    rho_q = qt.Qobj(rho, dims=solver._sys_dims)
    return rho, HierarchyADOsState(rho_q, solver.ados, x.reshape((solver._n_ados, d, d)))


def _solve(model, values, nexp: int, depth: int):
    require_qutip()
    import qutip as qt
    from qutip.solver.heom import HEOMSolver, BosonicBath
    from .. import numerics as nu
    nm = nu.evaluate_model(model, values)
    H = np.asarray(nm.hamiltonian)
    baths, info, qs = [], {}, {}
    for res in model.reservoirs:
        env, desc = _environment(res, model, values, nm.temperatures[res.name], nexp)
        Q = np.asarray(nm.couplings[res.name])
        baths.append(BosonicBath.from_environment(env, qt.Qobj(Q)))
        info[res.name] = desc
        qs[res.name] = Q
    K = sum(len(b.exponents) for b in baths)
    n_ados = math.comb(K + depth, depth)
    if n_ados > MAX_ADOS:
        raise HierarchyTooLarge(
            f"the HEOM hierarchy would have {n_ados} auxiliary density operators ({K} "
            f"exponents, depth {depth}), more than {MAX_ADOS}: lower --heom-exponents or "
            f"--heom-depth")
    solver = HEOMSolver(qt.Qobj(H), baths, max_depth=depth, options={"progress_bar": False})
    rho, ados = _steady_state(solver, model.dim)
    J = {}
    for name, Q in qs.items():
        comm = H @ Q - Q @ H
        total = 0.0
        for label in ados.filter(level=1, tags=[name]):
            total += -1j * np.trace(comm @ ados.extract(label).full())
        J[name] = float(np.real(total))
    return rho, J, info, sum(len(b.exponents) for b in baths), len(solver.ados.labels)


def _current_floor(model, values) -> float:
    """A current below which J is zero to rounding: 1e-9 ||H_S|| max_p gamma_p(omega_max)
    (e.g. one reservoir, or equal temperatures, where every J_p vanishes)."""
    from .. import numerics as nu
    nm = nu.evaluate_model(model, values)
    E = np.linalg.eigvalsh(np.asarray(nm.hamiltonian))
    wmax = max(float(E[-1] - E[0]), 1e-300)
    g = max(float(nm.rates[r.name](np.array([wmax]))[0]) for r in model.reservoirs)
    return 1e-9 * max(abs(E)) * g


def heom(model, values: dict, exponents: int | None = None, depth: int | None = None,
         refine: bool = True) -> MethodResult:
    """Steady state and heat currents from HEOM, with one refinement step.

    ``exponents`` (Pade/Matsubara terms Nk per reservoir, beyond the first) and ``depth``
    default to :data:`DEFAULTS` for the recognised bath kind.  The refinement step solves
    again with one more exponent per reservoir and, separately, one more tier, and reports
    the larger of the two relative changes max_p |J_p' - J_p| / max_p |J_p| (with a floor
    for currents that vanish, see :func:`_current_floor`) and of the steady state's largest
    entry change max |rho' - rho| as
    ``refinement_change`` (each under ``refinement``).  The result returned is the default
    (unrefined) one.
    """
    require_qutip()
    from .lamb_shift import divergence_reasons
    for r in model.reservoirs:
        why = divergence_reasons(r)
        if why:   # infinite bandwidth or reorganisation energy: no exponential expansion
            raise CgsymError(
                f"reservoir '{r.name}': no HEOM reference for the rate gamma(omega) = "
                f"{sp.sstr(r.rate)} ({'; '.join(why)}); HEOM needs a bath with a cutoff whose "
                f"rate vanishes as omega -> 0 (e.g. Drude-Lorentz)")
    kinds = [recognise_rate(r, model, values)[0] or "fit" for r in model.reservoirs]
    nk0 = exponents if exponents is not None else max(DEFAULTS[k][0] for k in kinds)
    d0 = depth if depth is not None else max(DEFAULTS[k][1] for k in kinds)
    if nk0 < 0:
        raise CgsymError(f"--heom-exponents (extra exponents per reservoir beyond the first) "
                         f"must be 0 or more, got {nk0}")
    if d0 < 1:
        raise CgsymError(f"--heom-depth (the hierarchy depth) must be at least 1, got {d0}")
    rho, J, info, nexps, nados = _solve(model, values, nk0, d0)
    out = {"exponents": nk0, "depth": d0, "baths": info, "ados": nados,
           "exponents_total": nexps, "refinement_change": None}
    if refine:
        scale = max(max(abs(v) for v in J.values()), _current_floor(model, values))
        steps = {}
        for what, (nk, dd) in (("exponents", (nk0 + 1, d0)), ("depth", (nk0, d0 + 1))):
            try:
                rho2, J2, _, _, n2 = _solve(model, values, nk, dd)
            except HierarchyTooLarge as e:
                steps[what] = {"exponents": nk, "depth": dd, "skipped": str(e)}
                continue
            steps[what] = {"exponents": nk, "depth": dd, "ados": n2,
                           "change": max(abs(J2[p] - J[p]) for p in J) / scale,
                           "steady_state_change": float(np.max(np.abs(rho2 - rho)))}
        out["refinement"] = steps
        # a refinement that moves the state but not the currents (e.g. one reservoir, where
        # every J_p vanishes) is not converged either
        done = [max(v["change"], v["steady_state_change"]) for v in steps.values()
                if "skipped" not in v]
        out["refinement_change"] = max(done) if done else None
        out["refinement_complete"] = len(done) == len(steps)
    return MethodResult("heom", rho, J, {"heom": out})
