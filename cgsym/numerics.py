"""The numeric border: lambdify, and an independent numeric master-equation pipeline.

This is the only module of cgsym that imports NumPy.  It has two jobs.

1. :func:`lambdify_expr` turns a SymPy expression of a model's parameters (which
   may contain the occupation ``n(w, T)`` of :mod:`cgsym.symbols`) into a
   vectorised NumPy callable, with the parameters in declaration order
   (never ``free_symbols``) and ``cse=True``.
2. :func:`numeric_pipeline` re-derives, at one numeric parameter point and with
   no use of the symbolic engine's results, everything the symbolic engine
   derives: eigenbasis, Bohr frequencies and eigenoperators, slow clusters,
   rate matrices gamma_mn, dissipators, Liouvillian, steady state and heat
   currents.  It is the oracle the symbolic results are checked against.

Conventions (hbar = k_B = 1)
----------------------------
* Product basis of the model (first subsystem most significant); every matrix
  returned here is in that basis unless its name says "energy basis".
* Eigenoperators follow paper Eqs. (42)-(43): X(t) = e^{iHt} X e^{-iHt}
  = sum_m X_m e^{i omega_m t}, so X_m = sum_{E_a - E_b = omega_m} |a><a|X|b><b|,
  [H_S, X_m] = omega_m X_m, X_{-m} = X_m^dagger and sum_m X_m = X.  omega_m > 0
  *raises* the energy (absorption from the reservoir).
* Rates, paper Eqs. (52)-(53), (55): Gamma_p(w) = gamma_p(|w|) (n(|w|, T_p) +
  theta(-w)); w > 0 absorption gamma n, w < 0 emission gamma (n + 1).
* Master equation, paper Eq. (44) summed over reservoirs as in Eq. (89):
  drho/dt = -i[H_S, rho] + sum_p sum_{m,n} gamma^p_mn
  (X_m rho X_n^dagger - 1/2 {X_n^dagger X_m, rho}).  (Paper Eq. (56) prints the
  anticommutator as {X_m^dagger X_n, rho}; only Eq. (44)'s order preserves the
  trace, since Tr[X_m rho X_n^dagger] = Tr[X_n^dagger X_m rho].)
* Vectorisation: column stacking, vec(A X B) = (B^T kron A) vec(X), as in QuTiP
  and :mod:`cgsym.operators`; index k of vec(X) is X[k % d, k // d].
* Heat current J_p = Tr[H_S D_p[rho_ss]]: energy per unit time flowing from
  reservoir p into the system (positive when p heats the system).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Callable, Mapping

import numpy as np
import sympy as sp
from sympy.codegen.cfunctions import expm1

from .errors import CgsymError
from .model import Model, load_model
from .symbols import OMEGA, n

__all__ = [
    "NumericModel",
    "NumericResult",
    "lambdify_expr",
    "evaluate_model",
    "eigenoperators",
    "limit_energies",
    "occupation",
    "transition_rate",
    "gamma_matrix",
    "hamiltonian_superoperator",
    "dissipator_superoperator",
    "kernel_dimension",
    "steady_state",
    "heat_current",
    "numeric_pipeline",
    "vec",
    "unvec",
    "REGIMES",
]

#: the coarse-graining regimes of paper Sec. III.B (secular) and III.C (partial secular)
REGIMES = ("secular", "partial-secular")

#: default relative tolerance (of the Bohr-frequency scale) for equal frequencies
FREQ_RTOL = 1e-9
#: default relative tolerance (of the operator norm) for a vanishing matrix element
ELEMENT_RTOL = 1e-10
#: default relative singular-value threshold for the Liouvillian's kernel
KERNEL_RTOL = 1e-10


# ---------------------------------------------------------------------------
# lambdify: the one place where SymPy expressions become NumPy callables
# ---------------------------------------------------------------------------
def _numpy_modules() -> list:
    """lambdify's ``modules`` for NumPy, without ``"numpy"``'s ``from numpy import *``.

    The string ``"numpy"`` makes lambdify run ``from numpy import *; from numpy.linalg
    import *`` once per process, which (NumPy 2: submodules are in ``numpy.__all__``)
    imports ``numpy.testing``, ``numpy.f2py`` ... : ~0.1 s of a cold one-point
    ``evaluate``.  The same printer (NumPy's) and the same names, taken from the
    modules already loaded: SymPy's own NumPy translations first, then
    ``numpy.linalg`` and ``numpy`` (a module object named ``numpy`` selects the
    NumPy printer exactly as the string does).
    """
    from sympy.utilities.lambdify import NUMPY_TRANSLATIONS
    return [{k: getattr(np, v) for k, v in NUMPY_TRANSLATIONS.items()}, np.linalg, np]


def _lambdify_numpy(args, expr):
    """``sp.lambdify(args, expr, "numpy", cse=True)`` (see :func:`_numpy_modules`)."""
    return sp.lambdify(args, expr, _numpy_modules(), cse=True)


def _numeric_form(expr):
    """Replace every occupation n(w, T) by 1/expm1(w/T) (accurate for small w/T)."""
    return sp.sympify(expr).replace(n, lambda w, T: 1 / expm1(w / T))


def _check_values(model: Model, values: Mapping, extra_names=()) -> dict:
    """Validate a numeric parameter point; return ``{name: value}`` (names as str).

    Every model parameter is required and must be finite and positive
    (parameters are positive symbols); ``extra_names`` are required and finite.
    Unknown names are rejected so that typos do not pass silently.
    """
    if not isinstance(values, Mapping):
        raise CgsymError(f"parameter values must be a mapping name -> number, "
                         f"got {type(values).__name__}")
    vals = {str(k): v for k, v in values.items()}
    known = [p.name for p in model.parameters] + list(extra_names)
    unknown = sorted(set(vals) - set(known))
    if unknown:
        raise CgsymError(f"model '{model.name}' has no parameter '{unknown[0]}' "
                         f"(parameters: {', '.join(known)})")
    out = {}
    for name in known:
        if name not in vals:
            raise CgsymError(f"missing numeric value for parameter '{name}' of model "
                             f"'{model.name}'")
        try:
            arr = np.asarray(vals[name], dtype=float)
        except (TypeError, ValueError):
            raise CgsymError(f"parameter '{name}': expected a real number, "
                             f"got {vals[name]!r}") from None
        if not np.all(np.isfinite(arr)):
            raise CgsymError(f"parameter '{name}' must be finite, got {vals[name]!r}")
        if name not in extra_names and not np.all(arr > 0):
            raise CgsymError(f"parameter '{name}' must be positive (all parameters are "
                             f"positive symbols), got {vals[name]!r}")
        out[name] = arr if arr.ndim else float(arr)
    return out


def lambdify_expr(expr, model: Model, extra=()) -> Callable[[Mapping], np.ndarray]:
    """Lambdify a SymPy expression of a model's parameters into a NumPy callable.

    Parameters
    ----------
    expr : sympy expression or matrix
        May contain ``cgsym.symbols.n(w, T)``, which is evaluated as
        ``1/expm1(w/T)``.
    model : Model
        Supplies the parameter symbols, in declaration order.
    extra : tuple of sympy.Symbol
        Further symbols (e.g. ``cgsym.symbols.OMEGA``), appended after the
        parameters and looked up in the values by their name.

    Returns
    -------
    callable
        ``f(values)`` with ``values`` a mapping name -> number or NumPy array
        (every parameter and every extra symbol required).  Scalar expressions
        broadcast against array inputs, so a constant expression returns an
        array of the broadcast shape.

    Notes
    -----
    The argument tuple is explicit (``lambdify(params, expr, "numpy",
    cse=True)``), never ``expr.free_symbols``: a symbol that is not a model
    parameter or an extra symbol is an error, not a silent new argument.

    Examples
    --------
    >>> import numpy as np, cgsym
    >>> from cgsym.numerics import lambdify_expr
    >>> d = cgsym.derive("tunnelling-qubit", "secular", weak_internal=True)
    >>> J = lambdify_expr(d.heat_currents.current("l"), d.model)
    >>> J(dict(omega_S=1, Omega=0.01, gamma=0.01, T_l=1, T_r=0.5)).round(8)
    np.float64(0.00061182)
    >>> J(dict(omega_S=1, Omega=0.01, gamma=0.01, T_l=np.array([0.5, 1.0]), T_r=0.5)).round(8)
    array([0.        , 0.00061182])
    """
    extra = tuple(extra)
    args = tuple(p.symbol for p in model.parameters) + extra
    e = _numeric_form(expr)
    stray = (e.free_symbols if hasattr(e, "free_symbols") else set()) - set(args)
    if stray:
        raise CgsymError(f"expression uses {', '.join(sorted(map(str, stray)))}, which "
                         f"are not parameters of model '{model.name}'")
    is_matrix = isinstance(e, sp.MatrixBase)
    f = _lambdify_numpy(args, e)
    names = tuple(str(s) for s in args)
    extra_names = tuple(str(s) for s in extra)

    def evaluate(values: Mapping):
        vals = _check_values(model, values, extra_names)
        argv = [vals[nm] for nm in names]
        with np.errstate(over="ignore", divide="ignore"):
            out = f(*argv)
        if is_matrix:
            return np.asarray(out)
        shape = np.broadcast(*[np.asarray(a) for a in argv]).shape if argv else ()
        out = np.asarray(out)
        return out if out.shape == shape else np.broadcast_to(out, shape).copy()

    evaluate.__doc__ = f"Numeric value of {expr} (model '{model.name}')."
    return evaluate


def check_closed_form_domain(spectrum, values: Mapping) -> None:
    """Refuse a point outside the domain of the symbolic closed forms.

    The closed forms are derived under the declared hierarchy (slow << frequency),
    which fixes the sign of every Bohr frequency omega_m (m > 0 positive, m < 0
    negative), and so which of n(|omega|) and n(|omega|) + 1 each rate carries.  At
    a point where a slow parameter is large enough to flip a sign (say w - Delta/2 < 0),
    evaluating them would silently give the wrong rates; the numeric pipeline, which
    takes |omega| point by point, has no such restriction.  ``values`` may hold arrays.
    """
    model = spectrum.model
    scalar = all(np.ndim(v) == 0 for v in values.values())
    for m, w in spectrum.frequencies:
        if m == 0:
            continue
        val = _scalar_value(w, model, values) if scalar else None
        if val is None:   # arrays (sweeps): compiled once per frequency
            val = np.asarray(np.real(lambdify_expr(w, model)(values)), dtype=float)
        bad = (val <= 0) if m > 0 else (val >= 0)
        if np.any(bad):
            v = float(val[bad].flat[0]) if val.ndim else float(val)
            raise CgsymError(
                f"at this point the Bohr frequency omega_{m} = {sp.sstr(w)} is {v:.4g}, but the "
                f"closed forms were derived for slow << frequency, where it is "
                f"{'positive' if m > 0 else 'negative'}: the point is outside their domain "
                f"(use --numeric)")


def _scalar_value(expr, model: Model, values: Mapping):
    """expr at one point (the exact binary values of the inputs), as a float array of
    shape (); None if it is not a finite real number there.  For a few small expressions
    at one point this is much cheaper than compiling each with lambdify."""
    try:
        pt = {p.symbol: sp.Rational(float(values[p.name])) for p in model.parameters
              if p.name in values}
        v = complex(sp.N(expr.xreplace(pt), 20))
    except (TypeError, ValueError, KeyError):
        return None
    if not np.isfinite(v.real):
        return None
    return np.asarray(v.real, dtype=float)


@lru_cache(maxsize=32)
def _compiled(model: Model):
    """Lambdified H_S, couplings, temperatures and rate functions of a model (cached)."""
    args = tuple(p.symbol for p in model.parameters)

    def lam(expr, extra=()):
        return _lambdify_numpy(args + extra, _numeric_form(expr))

    H = lam(model.hamiltonian)
    res = tuple((r.name, lam(r.coupling), lam(r.temperature), lam(r.rate, (OMEGA,)))
                for r in model.reservoirs)
    return H, res


def _as_matrix(value, d):
    m = np.array(value, dtype=complex)
    if m.shape != (d, d):  # a constant matrix expression may come back as a scalar
        m = np.broadcast_to(m, (d, d)).astype(complex)
    return m


# ---------------------------------------------------------------------------
# the model at a numeric point
# ---------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class NumericModel:
    """A model evaluated at a numeric parameter point (step 1 of the pipeline).

    Attributes
    ----------
    model : Model
    values : Mapping[str, float]
        The validated parameter point.
    hamiltonian : ndarray
        H_S, d x d complex, product basis.
    couplings : Mapping[str, ndarray]
        X_p for each reservoir name.
    temperatures : Mapping[str, float]
        T_p for each reservoir name.
    rates : Mapping[str, callable]
        gamma_p(omega) for omega > 0 (vectorised over omega).
    """

    model: Model
    values: Mapping
    hamiltonian: np.ndarray
    couplings: Mapping
    temperatures: Mapping
    rates: Mapping

    def hamiltonian_scaled(self, t: float) -> np.ndarray:
        """H_S with every slow parameter s replaced by t*s (paper: Omega -> t Omega)."""
        Hf, _ = _compiled(self.model)
        argv = [self.values[p.name] * (t if p.role == "slow" else 1.0)
                for p in self.model.parameters]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return _as_matrix(Hf(*argv), self.model.dim)


def evaluate_model(model: Model, values: Mapping) -> NumericModel:
    """Evaluate H_S, X_p, T_p and gamma_p(omega) at a numeric point.

    Parameters
    ----------
    model : Model
    values : Mapping[str, float]
        A finite, positive value for every parameter (by name).

    Raises
    ------
    CgsymError
        A value is missing, unknown, non-finite or not positive; or H_S, X_p or
        T_p is not finite/Hermitian/positive at that point.
    """
    vals = _check_values(model, values)
    if any(isinstance(v, np.ndarray) for v in vals.values()):
        raise CgsymError("the numeric pipeline takes one parameter point (scalars), "
                         "not arrays")
    Hf, res = _compiled(model)
    argv = [vals[p.name] for p in model.parameters]
    d = model.dim
    H = _as_matrix(Hf(*argv), d)
    if not np.all(np.isfinite(H)):
        raise CgsymError(f"H_S of model '{model.name}' is not finite at {vals}")
    H = (H + H.conj().T) / 2  # exact Hermiticity (the model guarantees it symbolically)
    X, T, rates = {}, {}, {}
    for name, Xf, Tf, gf in res:
        Xp = _as_matrix(Xf(*argv), d)
        X[name] = (Xp + Xp.conj().T) / 2
        Tp = float(np.real(Tf(*argv)))
        if not (math.isfinite(Tp) and Tp > 0):
            raise CgsymError(f"reservoir '{name}': temperature {Tp} is not positive")
        T[name] = Tp

        def rate(w, _gf=gf, _argv=tuple(argv)):
            w = np.asarray(w, dtype=float)
            with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
                out = np.real(np.asarray(_gf(*_argv, w), dtype=complex))
            return np.broadcast_to(out, w.shape).copy() if out.shape != w.shape else out

        rates[name] = rate
    return NumericModel(model, MappingProxyType(vals), _readonly(H), MappingProxyType(X),
                        MappingProxyType(T), MappingProxyType(rates))


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.array(a)
    a.setflags(write=False)
    return a


# ---------------------------------------------------------------------------
# spectrum: Bohr frequencies, eigenoperators (paper Eqs. 42-43)
# ---------------------------------------------------------------------------
def _group_sorted(x: np.ndarray, tol: float) -> list[np.ndarray]:
    """Group the entries of a 1-d array into chains whose neighbours differ by <= tol.

    Returns index arrays (into ``x``), ordered by value.
    """
    order = np.argsort(x, kind="stable")
    groups, current = [], [order[0]] if len(order) else []
    for i, j in zip(order[:-1], order[1:]):
        if x[j] - x[i] > tol:
            groups.append(np.array(current))
            current = []
        current.append(j)
    if current:
        groups.append(np.array(current))
    return groups


def _energy_scale(E: np.ndarray) -> float:
    """The Bohr-frequency scale max(E) - min(E) (1 if H_S is a multiple of 1)."""
    spread = float(np.ptp(E)) if len(E) else 0.0
    return spread if spread > 0 else 1.0


def eigenoperators(H: np.ndarray, X: np.ndarray, freq_rtol: float = FREQ_RTOL,
                   element_rtol: float = ELEMENT_RTOL, *, eig=None):
    """Bohr frequencies and eigenoperators of X for the Hamiltonian H.

    Implements the decomposition below paper Eq. (42): X_m is the sum of
    |a><a|X|b><b| over eigenstate pairs with E_a - E_b = omega_m.  Frequencies
    closer than ``freq_rtol`` times the Bohr-frequency scale are equal; a
    frequency is kept only if its X_m is non-zero (relative to ``element_rtol``
    times ||X||).  The returned frequencies are exactly antisymmetric
    (omega_{-m} = -omega_m as floats; a zero frequency is exactly 0.0).

    Parameters
    ----------
    H, X : ndarray
        Hermitian d x d matrices (product basis).
    eig : tuple (E, V), optional
        A precomputed ``numpy.linalg.eigh(H)``.

    Returns
    -------
    frequencies : ndarray
        Sorted signed Bohr frequencies omega_m.
    operators : tuple of ndarray
        X_m in the product basis, aligned with ``frequencies``.
    pairs : tuple of tuple of (a, b)
        The eigenstate pairs (indices into ``E``) with <a|X|b> != 0 of each
        frequency.
    """
    E, V = eig if eig is not None else np.linalg.eigh(H)
    d = len(E)
    Xe = V.conj().T @ X @ V
    Xe = (Xe + Xe.conj().T) / 2
    tol = freq_rtol * _energy_scale(E)
    W = E[:, None] - E[None, :]  # omega_ab = E_a - E_b; exactly antisymmetric
    thresh = element_rtol * max(np.linalg.norm(X, 2), np.finfo(float).tiny)
    nonzero = np.abs(Xe) > thresh
    flat = W.ravel()
    kept = []
    for g in _group_sorted(flat, tol):
        mask = np.zeros(d * d, dtype=bool)
        mask[g] = True
        mask = mask.reshape(d, d)
        pairs = mask & nonzero
        if not pairs.any():
            continue
        kept.append((float(np.mean(W[pairs])), mask, tuple(zip(*np.nonzero(pairs)))))
    # Make the frequencies exactly antisymmetric: the pair set is symmetric
    # (X Hermitian) and the grouping of a symmetric set is symmetric, so the k-th
    # kept group from the bottom mirrors the k-th from the top.
    nk = len(kept)
    freqs = np.array([w for w, _, _ in kept])
    for k in range(nk):
        freqs[k] = (kept[k][0] - kept[nk - 1 - k][0]) / 2
    if nk % 2 == 1:
        freqs[nk // 2] = 0.0
    ops = tuple(_readonly(V @ np.where(mask, Xe, 0) @ V.conj().T) for _, mask, _ in kept)
    return _readonly(freqs), ops, tuple(p for _, _, p in kept)


# ---------------------------------------------------------------------------
# slow clusters by numeric continuation slow -> t*slow, t -> 0
# ---------------------------------------------------------------------------
def limit_energies(nm: NumericModel, t_min: float = 1e-9, steps_per_decade: int = 10,
                   freq_rtol: float = FREQ_RTOL, *, eig=None) -> np.ndarray:
    """Limit energies E_a^0 of the eigenstates of H_S as the slow parameters -> 0.

    Each eigenstate |a> of H_S (``numpy.linalg.eigh`` order) is followed along
    H(t) (every slow parameter s -> t s) for t on a geometric grid from 1 down
    to ``t_min``; its energy branch E_a(t) then tends to an eigenvalue E_a^0 of
    H(0).  A Bohr frequency omega_ab has the slow limit E_a^0 - E_b^0, which
    decides the slow clusters (paper Sec. III.C: frequency differences ~ Omega
    vs ~ omega_S).

    Eigenstates are followed as *eigen-subspaces*: at every t the eigenvalues
    are grouped (``freq_rtol``) into degenerate groups, and a group at t is
    linked to the groups at the next t by the squared overlaps of their
    subspaces, which must be close to integers (the dimensions that flow from
    one subspace to the next); otherwise the step is halved (in log t).  A
    degeneracy that forms (levels that meet as slow -> 0) merges subspaces; one
    that lifts splits them.  The final energies are snapped to the eigenvalues of
    H(0) (Weyl's bound: within ||H(t_min) - H(0)||).

    Returns
    -------
    ndarray
        E_a^0 aligned with ``numpy.linalg.eigh(H_S)``'s eigenvalues.

    Raises
    ------
    CgsymError
        H(0) is not finite, the continuation cannot resolve an avoided crossing,
        or an eigenstate at t = 1 mixes branches with different limits (an
        accidental degeneracy at this parameter point).
    """
    H1 = np.asarray(nm.hamiltonian)
    E1, V1 = eig if eig is not None else np.linalg.eigh(H1)
    d = len(E1)
    if not nm.model.slow:
        return _readonly(np.array(E1, dtype=float))
    tol = freq_rtol * _energy_scale(E1)
    H0 = nm.hamiltonian_scaled(0.0)
    if not np.all(np.isfinite(H0)):
        raise CgsymError(f"model '{nm.model.name}': H_S is not finite when the slow "
                         f"parameters ({', '.join(map(str, nm.model.slow))}) go to zero")

    def groups_at(E):
        return _group_sorted(E, tol)

    # a track: (set of original eigenstate indices, orthonormal basis of its subspace)
    tracks = [(frozenset(int(i) for i in g), V1[:, g]) for g in groups_at(E1)]
    track_groups = groups_at(E1)
    logt = 0.0
    log_min = math.log(t_min)
    dlog = math.log(10.0) / steps_per_decade
    E_t = E1
    while logt > log_min:
        step = min(dlog, logt - log_min)
        for _ in range(60):
            t_new = math.exp(logt - step)
            E_new, V_new = np.linalg.eigh(nm.hamiltonian_scaled(t_new))
            G = groups_at(E_new)
            W = np.array([[np.linalg.norm(V_new[:, g].conj().T @ Q) ** 2 for g in G]
                          for _, Q in tracks])
            R = np.rint(W)
            if (np.all(np.abs(W - R) < 0.2)
                    and np.array_equal(R.sum(axis=1), [Q.shape[1] for _, Q in tracks])
                    and np.array_equal(R.sum(axis=0), [len(g) for g in G])):
                break
            step /= 2
        else:
            raise CgsymError(f"model '{nm.model.name}': cannot follow the eigenstates of "
                             f"H_S as the slow parameters go to zero (avoided crossing "
                             f"near t = {math.exp(logt):.3g})")
        tracks = [(frozenset().union(*(tracks[i][0] for i in np.nonzero(R[:, j])[0])),
                   V_new[:, g]) for j, g in enumerate(G)]
        E_t = E_new
        logt -= step
        track_groups = G

    E0 = np.linalg.eigvalsh(H0)
    levels = np.array([np.mean(E0[g]) for g in groups_at(E0)])
    bound = np.linalg.norm(nm.hamiltonian_scaled(t_min) - H0, 2) + tol
    limits: dict[int, set] = {i: set() for i in range(d)}
    for (members, _), g in zip(tracks, track_groups):
        e = float(np.mean(E_t[g]))
        k = int(np.argmin(np.abs(levels - e)))
        if abs(levels[k] - e) > bound + 1e-6 * _energy_scale(E1):
            raise CgsymError(f"model '{nm.model.name}': an energy branch does not reach "
                             f"an eigenvalue of H_S at zero slow parameters")
        for i in members:
            limits[i].add(k)
    out = np.empty(d)
    for i in range(d):
        if len(limits[i]) != 1:
            raise CgsymError(f"model '{nm.model.name}': accidental degeneracy of H_S at "
                             f"this parameter point (levels with different slow limits "
                             f"coincide); choose other parameter values")
        out[i] = levels[limits[i].pop()]
    return _readonly(out)


def _limit_frequencies(freqs, pairs, E0, tol, model_name, reservoir):
    """Slow limit of each grouped frequency: E_a^0 - E_b^0 over its pairs (must agree)."""
    out = np.empty(len(freqs))
    for m, prs in enumerate(pairs):
        lim = np.array([E0[a] - E0[b] for a, b in prs])
        if np.ptp(lim) > tol:
            raise CgsymError(f"model '{model_name}', reservoir '{reservoir}': the Bohr "
                             f"frequency {freqs[m]:.6g} joins transitions with different "
                             f"slow limits (accidental degeneracy); choose other values")
        out[m] = float(np.mean(lim))
    # exact antisymmetry, as for the frequencies themselves (which are sorted and
    # antisymmetric, so index m mirrors index -1 - m)
    out = (out - out[::-1]) / 2
    out[np.abs(out) <= tol] = 0.0
    return out


def _clusters(limits: np.ndarray, tol: float) -> tuple[tuple[int, ...], ...]:
    """Indices grouped by equal slow limit, clusters ordered by limit frequency."""
    if len(limits) == 0:
        return ()
    return tuple(tuple(int(i) for i in sorted(g)) for g in _group_sorted(limits, tol))


# ---------------------------------------------------------------------------
# rates (paper Eqs. 52-53, 55)
# ---------------------------------------------------------------------------
def occupation(w, T):
    """Bose-Einstein occupation n(w, T) = 1/(exp(w/T) - 1), paper Eq. (41).

    Uses ``expm1`` (accurate for w << T); n -> 0 without warnings for w >> T.
    """
    with np.errstate(over="ignore"):
        return 1.0 / np.expm1(np.asarray(w, dtype=float) / T)


class ZeroFrequencyDivergence(CgsymError):
    """gamma(w) n(w, T) diverges as w -> 0 (re-raised with the model's one message)."""


def _zero_frequency_rate(rate, T: float, reservoir: str) -> float:
    """lim_{w -> 0+} gamma(w) n(w, T), evaluated numerically.

    gamma(w) n(w, T) ~ gamma(w) T / w: finite for an Ohmic rate (gamma ~ w),
    zero for a super-Ohmic one, divergent for a flat or sub-Ohmic rate.  The
    function is sampled at w = T 10^-12, 10^-13, 10^-14 (deep enough to be below any
    cutoff even for T >> omega_c; n is computed with expm1, so it stays exact there);
    a converged sequence is Richardson-extrapolated (correction linear in w), a
    shrinking one gives 0.
    """
    ws = T * np.array([1e-12, 1e-13, 1e-14])
    h = rate(ws) * occupation(ws, T)
    if not np.all(np.isfinite(h)):
        raise ZeroFrequencyDivergence(f"reservoir '{reservoir}': gamma(omega) n(omega, T) is "
                                      f"not finite as omega -> 0, needed for a zero-frequency "
                                      f"eigenoperator")
    a, b, c = (abs(x) for x in h)
    if c == 0.0:
        return 0.0
    # converged: the correction is linear in w, so successive differences shrink tenfold
    # per decade (a fixed relative tolerance wrongly failed at T >> cutoff, where the
    # samples T 10^-8 ... reach w/omega_c ~ 1e-4); a flat or sub-Ohmic rate grows instead
    d1, d2 = abs(h[1] - h[0]), abs(h[2] - h[1])
    if d2 <= 1e-12 * c or (d2 <= 0.2 * d1 and d2 <= 1e-3 * c):
        return float(h[2] + (h[2] - h[1]) / 9)
    if b < 0.9 * a and c < 0.9 * b:
        return 0.0
    raise ZeroFrequencyDivergence(f"reservoir '{reservoir}': the zero-frequency rate "
                                  f"lim gamma(omega) n(omega, T) diverges as omega -> 0 (a "
                                  f"flat or sub-Ohmic rate cannot damp a zero-frequency "
                                  f"eigenoperator)")


def transition_rate(w: float, rate, T: float, reservoir: str = "?",
                    zero_tol: float = 0.0) -> float:
    """Gamma_p(w) = gamma_p(|w|) (n(|w|, T_p) + theta(-w)), paper Eqs. (52)-(53).

    w > 0: absorption, gamma(w) n(w); w < 0: emission, gamma(|w|) (n(|w|) + 1);
    |w| <= ``zero_tol``: the limit w -> 0+ of gamma(w) n(w) (both branches agree
    there), which must be finite.
    """
    if abs(w) <= zero_tol:
        return _zero_frequency_rate(rate, T, reservoir)
    aw = abs(w)
    g = float(rate(np.array([aw]))[0])
    return g * (float(occupation(aw, T)) + (1.0 if w < 0 else 0.0))


def gamma_matrix(frequencies, limits, clusters, rate, T: float, regime: str,
                 weak_internal: bool = False, reservoir: str = "?",
                 zero_tol: float = 0.0) -> np.ndarray:
    """The matrix gamma_mn of one reservoir in a coarse-graining regime.

    Implements paper Eq. (52) (``"secular"``: gamma_mn = delta_mn Gamma(omega_m))
    and Eq. (55) (``"partial-secular"``: gamma_mn = Gamma((omega_m + omega_n)/2)
    for m, n in the same slow cluster, else 0).  With ``weak_internal`` the
    frequency argument of Gamma (of both n and gamma(omega)) is replaced by its
    slow -> 0 limit, the cluster's limit frequency (the paper's n_pm -> n
    approximation before Eqs. 101, 110, 116, 142); H_S is not changed.

    Parameters
    ----------
    frequencies, limits : sequence of float
        omega_m and their slow limits, aligned.
    clusters : tuple of tuple of int
        Indices of frequencies in the same slow cluster.
    rate : callable
        gamma_p(omega), omega > 0.
    T : float
        The reservoir temperature.
    """
    if regime not in REGIMES:
        raise CgsymError(f"unknown regime '{regime}' (regimes: {', '.join(REGIMES)})")
    N = len(frequencies)
    gam = np.zeros((N, N), dtype=complex)
    cache: dict[float, float] = {}

    def Gamma(w):
        if w not in cache:
            cache[w] = transition_rate(w, rate, T, reservoir, zero_tol)
        return cache[w]

    for cl in clusters:
        for m in cl:
            for k in (cl if regime == "partial-secular" else (m,)):
                w = limits[m] if weak_internal else (frequencies[m] + frequencies[k]) / 2
                gam[m, k] = Gamma(float(w))
    return gam


# ---------------------------------------------------------------------------
# superoperators (column stacking)
# ---------------------------------------------------------------------------
def vec(x: np.ndarray) -> np.ndarray:
    """Column-stacking vectorisation: vec(X)[k] = X[k % d, k // d]."""
    return np.asarray(x).reshape(-1, order="F")


def unvec(v: np.ndarray, d: int) -> np.ndarray:
    """Inverse of :func:`vec`."""
    return np.asarray(v).reshape((d, d), order="F")


def hamiltonian_superoperator(H: np.ndarray) -> np.ndarray:
    """-i[H, .] as a matrix: -i (1 kron H - H^T kron 1)."""
    d = H.shape[0]
    I = np.eye(d)
    return -1j * (np.kron(I, H) - np.kron(H.T, I))


def dissipator_superoperator(operators, gamma: np.ndarray) -> np.ndarray:
    """sum_mn gamma_mn (X_m . X_n^dagger - 1/2 {X_n^dagger X_m, .}), paper Eq. (44).

    Column stacking: X_m rho X_n^dagger -> conj(X_n) kron X_m;
    A rho -> 1 kron A; rho A -> A^T kron 1.
    """
    d = operators[0].shape[0] if len(operators) else 0
    D = np.zeros((d * d, d * d), dtype=complex)
    I = np.eye(d)
    for m, Xm in enumerate(operators):
        for k, Xk in enumerate(operators):
            g = gamma[m, k]
            if g == 0:
                continue
            A = Xk.conj().T @ Xm
            D += g * (np.kron(Xk.conj(), Xm) - 0.5 * np.kron(I, A) - 0.5 * np.kron(A.T, I))
    return D


# ---------------------------------------------------------------------------
# steady state and heat currents
# ---------------------------------------------------------------------------
def kernel_dimension(L: np.ndarray, rtol: float = KERNEL_RTOL) -> int:
    """Numerical dimension of ker L: singular values <= rtol * the largest one."""
    s = np.linalg.svd(L, compute_uv=False)
    if s[0] == 0:
        return L.shape[1]
    return int(np.sum(s <= rtol * s[0]))


def steady_state(L: np.ndarray, rtol: float = KERNEL_RTOL) -> np.ndarray:
    """The unique steady state: null vector of L (SVD), unit trace, Hermitised.

    Raises
    ------
    CgsymError
        If the numerical kernel of L is not one-dimensional (no unique steady
        state: a conserved quantity or decoherence-free subspace).
    """
    k = kernel_dimension(L, rtol)
    if k != 1:
        raise CgsymError(f"the Liouvillian has a {k}-dimensional kernel: no unique "
                         f"steady state")
    return _null_state(L)


def _null_state(L: np.ndarray) -> np.ndarray:
    d = math.isqrt(L.shape[0])
    _, _, Vh = np.linalg.svd(L)
    rho = unvec(Vh[-1].conj(), d)
    rho = rho / np.trace(rho)  # fixes the arbitrary phase of the null vector too
    return (rho + rho.conj().T) / 2


def heat_current(H: np.ndarray, D: np.ndarray, rho: np.ndarray) -> float:
    """J_p = Tr[H_S D_p[rho]]: energy per unit time from reservoir p into the system."""
    d = H.shape[0]
    return float(np.real(np.trace(H @ unvec(D @ vec(rho), d))))


# ---------------------------------------------------------------------------
# the pipeline
# ---------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class NumericResult:
    """Everything the numeric pipeline derives at one parameter point.

    Arrays are read-only and mappings are read-only views; every matrix is in
    the product basis.

    Attributes
    ----------
    model : Model
    values : Mapping[str, float]
    regime : str
        ``"secular"`` or ``"partial-secular"``.
    weak_internal : bool
    energies : ndarray
        Eigenvalues of H_S, ascending (``numpy.linalg.eigh``).
    eigenvectors : ndarray
        Columns are the eigenvectors, aligned with ``energies``.
    limit_energies : ndarray
        Slow -> 0 limits E_a^0 of the energies, aligned with ``energies``.
    frequencies : Mapping[str, tuple[float, ...]]
        Per reservoir, the grouped signed Bohr frequencies omega_m, ascending.
    eigenoperators : Mapping[str, tuple[ndarray, ...]]
        Per reservoir, X_m aligned with ``frequencies``.
    limit_frequencies : Mapping[str, tuple[float, ...]]
        Per reservoir, the slow -> 0 limit of each omega_m.
    clusters : Mapping[str, tuple[tuple[int, ...], ...]]
        Per reservoir, the slow clusters as tuples of indices into
        ``frequencies``, ordered by limit frequency.  Without slow parameters
        every frequency is its own cluster.
    gamma : Mapping[str, tuple[tuple[float, ...], ndarray]]
        Per reservoir, (frequencies, gamma_mn) with rows/columns in frequency order.
    hamiltonian : ndarray
        H_S.
    liouvillian : ndarray
        d^2 x d^2, column stacking.
    dissipators : Mapping[str, ndarray]
        Per reservoir, D_p as a d^2 x d^2 matrix.
    kernel_dimension : int
        Numerical dimension of ker L.
    steady_state : ndarray or None
        rho_ss (d x d), or None if ``kernel_dimension != 1``.
    heat_currents : Mapping[str, float] or None
        J_p = Tr[H_S D_p[rho_ss]], or None if there is no unique steady state.
    """

    model: Model
    values: Mapping
    regime: str
    weak_internal: bool
    energies: np.ndarray
    eigenvectors: np.ndarray
    limit_energies: np.ndarray
    frequencies: Mapping
    eigenoperators: Mapping
    limit_frequencies: Mapping
    clusters: Mapping
    gamma: Mapping
    hamiltonian: np.ndarray
    liouvillian: np.ndarray
    dissipators: Mapping
    kernel_dimension: int
    steady_state: np.ndarray | None
    heat_currents: Mapping | None

    @property
    def dim(self) -> int:
        return self.hamiltonian.shape[0]


def numeric_pipeline(model, values: Mapping, regime: str = "secular",
                     weak_internal: bool = False, *, freq_rtol: float = FREQ_RTOL,
                     kernel_rtol: float = KERNEL_RTOL) -> NumericResult:
    """Derive the master equation, steady state and heat currents numerically.

    Independent of the symbolic engine: eigen-decomposition with
    ``numpy.linalg.eigh``, eigenoperators (paper Eqs. 42-43), slow clusters by
    continuation (:func:`limit_energies`), rates (Eqs. 52-53, 55), the
    multi-reservoir master equation (Eqs. 44, 89), the steady state by SVD and
    the heat currents J_p = Tr[H_S D_p[rho_ss]].

    Parameters
    ----------
    model : Model or str
        A model, shipped model name or model file path.
    values : Mapping[str, float]
        A positive, finite value for every parameter.
    regime : {"secular", "partial-secular"}
    weak_internal : bool
        Evaluate the rates at the slow -> 0 limits of the frequencies while
        keeping H_S (paper Eqs. 101, 110, 116, 142).
    freq_rtol : float
        Relative tolerance for equal Bohr frequencies (of max E - min E).
    kernel_rtol : float
        Relative singular-value threshold for the Liouvillian's kernel.

    Returns
    -------
    NumericResult
        With ``steady_state`` and ``heat_currents`` None when the kernel of
        the Liouvillian is not one-dimensional (see ``kernel_dimension``).
    """
    model = load_model(model)
    if regime not in REGIMES:
        raise CgsymError(f"unknown regime '{regime}' (regimes: {', '.join(REGIMES)})")
    if weak_internal:
        model.require_slow()
    nm = evaluate_model(model, values)
    H = np.asarray(nm.hamiltonian)
    E, V = np.linalg.eigh(H)
    tol = freq_rtol * _energy_scale(E)
    E0 = limit_energies(nm, freq_rtol=freq_rtol, eig=(E, V))

    freqs, ops, lims, clus, gams, diss = {}, {}, {}, {}, {}, {}
    L = hamiltonian_superoperator(H)
    for r in model.reservoirs:
        p = r.name
        w, Xm, pairs = eigenoperators(H, nm.couplings[p], freq_rtol, eig=(E, V))
        lim = _limit_frequencies(w, pairs, E0, tol, model.name, p)
        cl = _clusters(lim, tol) if model.slow else tuple((i,) for i in range(len(w)))
        try:
            g = gamma_matrix(w, lim, cl, nm.rates[p], nm.temperatures[p], regime,
                             weak_internal, p, zero_tol=tol)
        except ZeroFrequencyDivergence:
            # the same words as the symbolic route (Reservoir.zero_frequency_message)
            raise CgsymError(r.zero_frequency_message()) from None
        D = dissipator_superoperator(Xm, g)
        L = L + D
        freqs[p] = tuple(float(x) for x in w)
        ops[p] = Xm
        lims[p] = tuple(float(x) for x in lim)
        clus[p] = cl
        gams[p] = (freqs[p], _readonly(g))
        diss[p] = _readonly(D)

    kdim = kernel_dimension(L, kernel_rtol)
    rho, J = None, None
    if kdim == 1:
        rho = _readonly(_null_state(L))
        J = MappingProxyType({p: heat_current(H, D, rho) for p, D in diss.items()})
    return NumericResult(
        model=model, values=nm.values, regime=regime, weak_internal=bool(weak_internal),
        energies=_readonly(E), eigenvectors=_readonly(V), limit_energies=E0,
        frequencies=MappingProxyType(freqs), eigenoperators=MappingProxyType(ops),
        limit_frequencies=MappingProxyType(lims), clusters=MappingProxyType(clus),
        gamma=MappingProxyType(gams), hamiltonian=_readonly(H), liouvillian=_readonly(L),
        dissipators=MappingProxyType(diss), kernel_dimension=kdim, steady_state=rho,
        heat_currents=J)
