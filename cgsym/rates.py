"""The gamma (Kossakowski) matrix of each reservoir, per coarse-graining regime.

With Gamma_p(w) = gamma_p(|w|) (n(|w|, T_p) + theta(-w))  (paper Eqs. 52-53):

``secular``          gamma_mn = delta_{omega_m, omega_n} Gamma_p(omega_m)       (Eqs. 50-53)
``partial-secular``  gamma_mn = Gamma_p((omega_m + omega_n)/2) for m, n in the same
                     slow cluster, 0 otherwise                                  (Eqs. 55-56)

``weak_internal=True`` evaluates Gamma_p (occupation *and* rate function) at the
slow -> 0 limit of its frequency argument (n(omega_S +- Omega) -> n(omega_S)),
keeping H_S unchanged: the limit of paper Eqs. 101, 110, 115-118, 140-145.

A zero-frequency component uses the limit w -> 0+ of gamma_p(w) n(w, T); when
that diverges (a rate that does not vanish at w = 0) the model is rejected.

Positivity of every gamma matrix is *checked* for the actual rate function:
``positive`` (with the reason: diagonal, rank one, or the Gram form of Eq. 61
for a flat rate), ``not positive`` (with a sample point and the negative
eigenvalue), or ``undecided`` (no proof, and no counterexample at the sampled
points).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field

import mpmath
import sympy as sp
from sympy.printing.defaults import Printable

from .errors import CgsymError
from .model import Model, Reservoir
from .operators import ImmutableMatrix, sparsity_components
from .spectrum import Spectrum, frequency_sign, is_zero, slow_limit
from .symbols import OMEGA, n

REGIMES = ("secular", "partial-secular")


def check_regime(regime: str) -> str:
    if regime not in REGIMES:
        from .errors import did_you_mean
        numeric = ("coarse-grained", "redfield", "heom")
        raise CgsymError(f"unknown regime '{regime}' ({did_you_mean(regime, REGIMES + numeric)}"
                         f"closed forms: {', '.join(REGIMES)}; numeric at a point "
                         f"(cgsym evaluate --at): 'coarse-grained' with --dt, 'redfield', 'heom')")
    return regime


@dataclass(frozen=True)
class Positivity:
    """Outcome of the positivity check of one gamma matrix."""

    status: str                    # "positive" | "not positive" | "undecided"
    reason: str
    min_eigenvalue: float | None = None
    point: tuple = ()              # ((name, value), ...) where it fails

    @property
    def value(self):
        """True / False / None, for JSON."""
        return {"positive": True, "not positive": False}.get(self.status)


@dataclass(frozen=True)
class GammaMatrix(Printable):
    """gamma^p_mn for one reservoir, rows and columns labelled by ``indices`` (m)."""

    reservoir: str
    indices: tuple[int, ...]
    matrix: ImmutableMatrix
    positivity: Positivity

    def entry(self, m: int, k: int) -> sp.Expr:
        try:
            return self.matrix[self.indices.index(m), self.indices.index(k)]
        except ValueError:
            raise CgsymError(f"gamma[{self.reservoir}] has no entry ({m}, {k}); "
                             f"indices are {list(self.indices)}") from None

    def __str__(self):
        from .text import gamma_text
        return gamma_text(self)

    def _sympystr(self, printer):
        return str(self)

    def _latex(self, printer):
        return printer._print(self.matrix)


@dataclass(frozen=True)
class Rates(Printable):
    spectrum: Spectrum
    regime: str
    weak_internal: bool
    gammas: tuple[GammaMatrix, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def model(self) -> Model:
        return self.spectrum.model

    def gamma(self, reservoir: str) -> GammaMatrix:
        self.model.reservoir(reservoir)
        return next(g for g in self.gammas if g.reservoir == reservoir)

    def __str__(self):
        from .text import rates_text
        return rates_text(self)

    def _sympystr(self, printer):
        return str(self)

    def _latex(self, printer):
        from .latex import rates_latex
        return rates_latex(self, printer)


# ---------------------------------------------------------------------------
def transition_rate(res: Reservoir, w, sign: int, model: Model):
    """Gamma_p(w) for a frequency expression ``w`` of known sign (Eq. 52).

    sign > 0: gamma(w) n(w, T)  (absorption, X_m raises the energy);
    sign < 0: gamma(|w|) (n(|w|, T) + 1)  (emission);
    sign == 0 (w identically zero): lim_{w->0+} gamma(w) n(w, T).
    """
    T = res.temperature
    if sign == 0:
        return res.zero_frequency_rate()
    a = sp.expand(sign * w)
    g = res.rate.subs(OMEGA, a)
    if g.has(sp.zoo, sp.oo, -sp.oo, sp.nan):
        raise CgsymError(f"reservoir '{res.name}': the rate gamma(omega) = {sp.sstr(res.rate)} "
                         f"is not finite at the Bohr frequency omega = {sp.sstr(a)}")
    if sign > 0:
        return g * n(a, T)
    return g * (n(a, T) + 1)


def _cluster_sign(spec: Spectrum, members, w, notes) -> int:
    c = spec.cluster_of(members[0])
    if c.sign != 0:
        return c.sign
    if is_zero(w, spec.model):
        return 0
    return frequency_sign(w, spec.model, notes)


def rates(spec: Spectrum, regime: str = "partial-secular", weak_internal: bool = False,
          check_positivity: bool = True) -> Rates:
    """gamma matrices of every reservoir in the given regime (Eqs. 53, 55).

    Gamma_p(omega) = gamma_p(|omega|) (n(|omega|, T_p) + theta(-omega)): secular,
    gamma_mn = delta_mn Gamma(omega_m) (Eq. 53); partial secular, gamma_mn =
    Gamma((omega_m + omega_n)/2) for m, n in the same slow cluster (Eq. 55).
    ``weak_internal`` evaluates Gamma at the slow -> 0 limit of its argument.  The
    positivity of every gamma matrix is checked, never assumed
    (``GammaMatrix.positivity``: positive, not positive with a point, or undecided).

    Examples
    --------
    >>> import cgsym
    >>> spec = cgsym.eigenoperators(cgsym.load_model("tunnelling-qubit"))
    >>> g = cgsym.rates(spec, "secular", weak_internal=True).gammas[0]
    >>> g.reservoir, g.entry(2, 2), g.entry(-2, -2), g.positivity.status
    ('l', gamma*n(omega_S, T_l), gamma*(n(omega_S, T_l) + 1), 'positive')
    """
    check_regime(regime)
    model = spec.model
    if weak_internal:
        model.require_slow()
    wmap = dict(spec.frequencies)
    notes: list[str] = []
    if regime == "partial-secular":
        for c in spec.clusters:
            if c.sign == 0 and any(m > 0 for m in c.members) and any(m < 0 for m in c.members):
                ws = ", ".join(sp.sstr(wmap[m]) for m in c.members if m > 0)
                raise CgsymError(
                    f"the slow parameters do not separate the time scales: the Bohr frequencies "
                    f"{ws} vanish as the slow parameters go to zero, so emission and absorption "
                    f"terms fall into one slow cluster; declare those parameters 'frequency' "
                    f"or use the secular regime")
        if all(len(c.members) == 1 for c in spec.clusters):
            notes.append("the slow parameters split no Bohr frequency: the partial-secular "
                         "equation coincides with the secular one")
    out = []
    for res in model.reservoirs:
        idx = tuple(e.index for e in spec.operators(res.name))
        k = len(idx)
        M = sp.zeros(k, k)
        for i, m in enumerate(idx):
            for j, mm in enumerate(idx):
                same = (m == mm) if regime == "secular" else (
                    spec.cluster_of(m).index == spec.cluster_of(mm).index)
                if not same:
                    continue
                if j < i:
                    M[i, j] = M[j, i]  # Gamma((w_m + w_n)/2) is real and symmetric in m, n
                    continue
                w = sp.expand((wmap[m] + wmap[mm]) / 2)
                if weak_internal:
                    w = slow_limit(w, model)
                sgn = _cluster_sign(spec, (m, mm), w, notes)
                M[i, j] = transition_rate(res, w, sgn, model)
        M = ImmutableMatrix(M)
        pos = positivity(M, idx, res, spec, regime, weak_internal) if check_positivity else \
            Positivity("undecided", "not checked")
        out.append(GammaMatrix(res.name, idx, M, pos))
    return Rates(spec, regime, weak_internal, tuple(out), tuple(dict.fromkeys(notes)))


# ---------------------------------------------------------------------------
# positivity
# ---------------------------------------------------------------------------
def _nonnegative(e) -> bool:
    return bool(sp.sympify(e).is_nonnegative)


def _sample_points(model: Model, count: int, seed: int = 20261125):
    """Random parameter points inside the regime's hierarchy (slow << frequency)."""
    rng = random.Random(seed)
    pts = []
    for _ in range(count):
        pt = {}
        for p in model.parameters:
            if p.role == "frequency":
                v = rng.uniform(0.5, 5.0)
            elif p.role == "slow":
                v = rng.uniform(0.001, 0.3)
            elif p.role == "rate":
                v = rng.uniform(0.001, 2.0)
            else:
                v = 10 ** rng.uniform(-1.5, 1.3)
            pt[p.symbol] = v
        pts.append(pt)
    return pts


def positivity(M, idx, res: Reservoir, spec: Spectrum, regime: str, weak: bool) -> Positivity:
    """Check that gamma is positive semidefinite; never assume it (see module doc)."""
    model = spec.model
    blocks = sparsity_components(M)
    reasons = set()
    # entries are gamma(|w|)(n(|w|) + theta) by construction, with |w| > 0, so a rate
    # function that is nonnegative for omega > 0 makes every diagonal entry nonnegative
    rate_ok = bool(res.rate.is_nonnegative)
    numeric_blocks = []
    for b in blocks:
        sub = M.extract(b, b)
        if len(b) == 1:
            if rate_ok or _nonnegative(sub[0, 0]):
                reasons.add("diagonal with nonnegative rates")
                continue
            numeric_blocks.append(b)
            continue
        first = sub[0, 0]
        if all(sp.expand(e - first) == 0 for e in sub) and (rate_ok or _nonnegative(first)):
            reasons.add("rank-one blocks c(1 1^T) with c >= 0")
            continue
        members = [idx[i] for i in b]
        flat = not res.rate.has(OMEGA) and rate_ok
        same_sign = spec.cluster_of(members[0]).sign != 0
        if flat and same_sign and regime == "partial-secular" and not weak:
            # n((w_m + w_n)/2) = sum_p exp(-(p+1) w_m/2T) exp(-(p+1) w_n/2T): a Gram matrix
            reasons.add("Gram form of Eq. (61): flat rate, occupations at mean frequencies "
                        "of same-sign frequencies")
            continue
        numeric_blocks.append(b)
    if not numeric_blocks:
        return Positivity("positive", "; ".join(sorted(reasons)))
    # numeric search for a counterexample, block by block
    syms = model.symbols
    worst = (mpmath.inf, None)
    count = 200
    for b in numeric_blocks:
        sub = M.extract(b, b).replace(n, lambda w, T: 1 / (sp.exp(w / T) - 1))
        f = sp.lambdify(syms, sub, modules="mpmath")
        for pt in _sample_points(model, count):
            A = mpmath.matrix(f(*[pt[s] for s in syms]))
            A = (A + A.H) / 2
            ev = mpmath.eigsy(A)[0] if all(mpmath.im(x) == 0 for x in A) else mpmath.eighe(A)[0]
            lo = min(mpmath.re(x) for x in ev)
            scale = max(abs(x) for x in ev) or 1
            if lo / scale < worst[0]:
                worst = (lo / scale, pt, lo)
    if worst[0] < -1e-12:
        _, pt, lo = worst
        point = tuple((s.name, float(pt[s])) for s in syms)
        return Positivity("not positive",
                          f"negative eigenvalue {float(lo):.6g} at "
                          + ", ".join(f"{k}={v:.6g}" for k, v in point),
                          float(lo), point)
    return Positivity("undecided",
                      f"no proof for a rate depending on omega; no negative eigenvalue at "
                      f"{count} sampled points (smallest relative eigenvalue {float(worst[0]):.3g})")
