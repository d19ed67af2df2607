r"""Quantum jumps of each reservoir: the paper's Section IV reading of the dissipator.

Paper Eqs. (70)-(77): over a coarse-graining interval the reservoir gains or loses
quanta, and the jump term Tr_R[Delta N rho Delta N] splits into a part in which the
reservoir *loses* a quantum (absorbed by the system) and one in which it *gains* one
(emitted by the system); the cross terms vanish because rho_R is diagonal in energy.
In the master equation (44) this is the split

.. math::

   \mathcal D_p\rho = \mathcal J_p^{+}\rho + \mathcal J_p^{-}\rho + \mathcal J_p^{0}\rho
                     - \tfrac12\{K_p, \rho\},\qquad
   K_p = \sum_{mn}\gamma^p_{mn} X_n^\dagger X_m,

with :math:`\mathcal J_p^{\pm}\rho = \sum \gamma^p_{mn} X_m\rho X_n^\dagger` over the pairs
(m, n) of one slow cluster whose frequencies are **negative** (``+``: the system emits,
reservoir p *gains* a quantum) or **positive** (``-``: the system absorbs, reservoir p
*loses* one).  In the secular regime the pairs are m = n; in the partial-secular regime
every pair of a slow cluster, whose members all have the sign of the cluster (mixed-sign
clusters are rejected by :func:`cgsym.rates.rates`).  :math:`\mathcal J_p^0` holds a
zero-frequency component (a pure-dephasing coupling, X_0): it exchanges no energy and
is counted as no quantum.

What a jump carries (Sec. IV reading, conventions of :mod:`cgsym.statistics`):

* **quanta**: +1 *into the system* for an absorption jump (omega > 0), -1 for an
  emission jump, 0 for a zero-frequency one;
* **energy**: the pair's mean frequency :math:`\bar\omega_{mn} = (\omega_m + \omega_n)/2`
  into the system -- the frequency at which the partial-secular rate
  :math:`\Gamma_p(\bar\omega_{mn})` of Eq. (55) is evaluated, the centre of the band of
  bath frequencies the term collects.  With this choice the mean counted energy current is
  *identically* :math:`\mathrm{Tr}[H_S\mathcal D_p\rho]` for every rho, since
  :math:`X_n^\dagger H_S X_m - \tfrac12\{H_S, X_n^\dagger X_m\} = \bar\omega_{mn}X_n^\dagger X_m`
  (from :math:`[H_S, X_m] = \omega_m X_m`).  A detector that resolves only the slow-cluster
  limit frequency (:attr:`Jump.limit_energy`, e.g. omega_S) would count a different mean;
  :func:`cgsym.statistics.counting_statistics` reports both mismatches.

At a finite coarse-graining time every pair of eigenoperators is coupled (Eq. 45) and the
paper's split is by the sign of the *bath* frequency nu in the integral for gamma_mn(dt),
not by the sign of omega_m: see :mod:`cgsym.statistics.finite_dt_jumps` (numeric).
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from sympy.printing.defaults import Printable

from ..errors import CgsymError
from ..operators import ImmutableMatrix, adjoint, kron

#: direction labels: the reservoir gains (+) or loses (-) a quantum, or none (0)
DIRECTIONS = ("+", "-", "0")


@dataclass(frozen=True)
class Jump:
    r"""One term :math:`\gamma^p_{mn} X_m \rho X_n^\dagger` of reservoir p's jump part.

    ``quanta`` and ``energy`` are what the term carries *into the system* (so an emission
    jump has quanta -1 and a negative energy); ``direction`` is the paper's: ``"+"`` the
    reservoir gains a quantum, ``"-"`` it loses one, ``"0"`` zero frequency.
    ``limit_energy`` is the slow -> 0 limit of ``energy`` (the cluster's frequency).
    """

    reservoir: str
    m: int
    n: int
    rate: sp.Expr
    X_m: ImmutableMatrix
    X_n: ImmutableMatrix
    direction: str
    quanta: int
    energy: sp.Expr
    limit_energy: sp.Expr

    def weight(self, count: str):
        """The counted increment k of this jump: quanta (integer) or energy."""
        if count == "quanta":
            return sp.Integer(self.quanta)
        if count == "energy":
            return self.energy
        if count == "limit-energy":
            return self.limit_energy
        raise CgsymError(f"unknown count '{count}' (quanta | energy)")


@dataclass(frozen=True)
class JumpDecomposition(Printable):
    r"""D_p = J_p^+ + J_p^- + J_p^0 - 1/2{K_p, .} for every reservoir (Eqs. 70-77).

    ``jumps`` in model reservoir order; ``no_jump`` holds (reservoir, K_p) with
    :math:`K_p = \sum_{mn}\gamma^p_{mn}X_n^\dagger X_m` (the no-jump, non-Hermitian part
    :math:`H_c = H_S - \tfrac{i}{2}\sum_p K_p` of Eq. 70).
    """

    model_name: str
    regime: str
    weak_internal: bool
    reservoirs: tuple[str, ...]
    jumps: tuple[Jump, ...]
    no_jump: tuple[tuple[str, ImmutableMatrix], ...]
    dim: int
    adjoint_mode: object = True

    def of(self, reservoir: str, direction: str | None = None) -> tuple[Jump, ...]:
        if reservoir not in self.reservoirs:
            raise CgsymError(f"unknown reservoir '{reservoir}' (reservoirs: "
                             f"{', '.join(self.reservoirs)})")
        if direction is not None and direction not in DIRECTIONS:
            raise CgsymError(f"unknown jump direction '{direction}' (+, -, 0)")
        return tuple(j for j in self.jumps if j.reservoir == reservoir
                     and (direction is None or j.direction == direction))

    def K(self, reservoir: str) -> ImmutableMatrix:
        self.of(reservoir)
        return dict(self.no_jump)[reservoir]

    # -- action --------------------------------------------------------------
    def apply(self, rho, reservoir: str, direction: str | None = None, count: str | None = None,
              power: int = 1):
        r""":math:`\sum k^{power} \gamma_{mn} X_m\rho X_n^\dagger` over the selected jumps
        (k = 1 without ``count``)."""
        rho = sp.Matrix(rho)
        out = sp.zeros(self.dim, self.dim)
        for j in self.of(reservoir, direction):
            k = j.weight(count) ** power if count else 1
            if k == 0:
                continue
            out += k * j.rate * sp.Matrix(j.X_m) * rho * sp.Matrix(adjoint(j.X_n, self.adjoint_mode))
        return ImmutableMatrix(out.applyfunc(sp.expand))

    def dissipate(self, rho, reservoir: str):
        """J^+ + J^- + J^0 - 1/2{K, rho}: must equal D_p[rho] (checked in the tests)."""
        rho = sp.Matrix(rho)
        K = sp.Matrix(self.K(reservoir))
        return ImmutableMatrix((sp.Matrix(self.apply(rho, reservoir)) - (K * rho + rho * K) / 2)
                               .applyfunc(sp.expand))

    def superoperator(self, reservoir: str, direction: str | None = None,
                      count: str | None = None, power: int = 1) -> ImmutableMatrix:
        r"""Column-stacking matrix of :meth:`apply`: X_m . X_n^+ -> conj(X_n) kron X_m."""
        d = self.dim
        S = sp.zeros(d * d, d * d)
        for j in self.of(reservoir, direction):
            k = j.weight(count) ** power if count else 1
            if k == 0:
                continue
            XnH = sp.Matrix(adjoint(j.X_n, self.adjoint_mode))
            S += k * j.rate * sp.Matrix(kron(XnH.T, j.X_m))
        return ImmutableMatrix(S.applyfunc(sp.expand))

    def probabilities(self, rho, dt) -> "JumpProbabilities":
        r"""P_p(+1), P_p(-1) and P(0) over one interval dt for the state rho (Eq. 84).

        To first order in dt (the order of Eq. 84 at which the master equation holds):
        :math:`P_p(\pm1) = \Delta t\,\mathrm{Tr}[\mathcal J_p^{\pm}\rho]` (reservoir p gains
        / loses one quantum), :math:`P(0) = 1 - \sum_p [P_p(+1) + P_p(-1)]` (zero-frequency
        jumps exchange no quantum and belong to P(0)).  At rho_ss,
        :math:`P_p(\pm1)/\Delta t` are the rates at which reservoir p gains and loses quanta.
        """
        from ..arith.flintalg import tidy_flint as tidy
        rows = []
        total = sp.S.Zero
        for p in self.reservoirs:
            gain = tidy(dt * sp.Matrix(self.apply(rho, p, "+")).trace())
            loss = tidy(dt * sp.Matrix(self.apply(rho, p, "-")).trace())
            rows.append((p, gain, loss))
            total += gain + loss
        return JumpProbabilities(tuple(rows), tidy(1 - total), dt)

    # -- printing ------------------------------------------------------------
    def __str__(self):
        lines = [f"Jump decomposition D_p = J_p^+ + J_p^- + J_p^0 - 1/2{{K_p, rho}} "
                 f"({self.regime}{', weak internal' if self.weak_internal else ''}); "
                 f"J^+: reservoir gains a quantum, J^-: it loses one"]
        for p in self.reservoirs:
            for dr in DIRECTIONS:
                js = self.of(p, dr)
                if not js:
                    continue
                lines.append(f"  J_{p}^{dr} rho = " + " + ".join(
                    f"({sp.sstr(j.rate)}) X_{p},{j.m} rho X_{p},{j.n}^+" for j in js))
                for j in js:
                    q = f"{j.quanta:+d}" if j.quanta else "0"   # dephasing: 0, not +0
                    lines.append(f"    X_{p},{j.m} rho X_{p},{j.n}^+ : quanta into system "
                                 f"{q}, energy {sp.sstr(j.energy)}")
        return "\n".join(lines)

    #: JSON / text names of the directions: the reservoir gains a quantum, loses one, or
    #: neither (a zero-frequency, pure-dephasing term)
    DIRECTION_NAMES = {"+": "gain", "-": "loss", "0": "dephasing"}

    def to_json(self) -> dict:
        """``{reservoir: {"gain": [...], "loss": [...], "dephasing": [...]}}``, each term
        ``{"m": m, "n": n, "rate": str}`` for gamma_mn X_{p,m} rho X_{p,n}^+ (the
        eigenoperators of the ``eigenoperators`` key; ``gain``: J_p^+, the reservoir gains a
        quantum; ``loss``: J_p^-; ``dephasing``: J_p^0, no quantum).  The no-jump part is
        -1/2{K_p, rho} with K_p = sum_mn gamma_mn X_n^+ X_m (the ``gamma`` key)."""
        out = {}
        for p in self.reservoirs:
            out[p] = {name: [{"m": j.m, "n": j.n, "rate": sp.sstr(j.rate)}
                             for j in self.of(p, dr)]
                      for dr, name in self.DIRECTION_NAMES.items()}
        return out

    def text(self) -> str:
        """The jump section of ``cgsym derive`` (operators named X_p,m as in the Lindblad
        section)."""
        lines = ["Quantum jumps (Sec. IV, Eqs. 70-77): D_p[rho] = J_p^+ rho + J_p^- rho + "
                 "J_p^0 rho - 1/2 {K_p, rho}, K_p = sum_mn gamma^p_mn X_n^+ X_m; J_p^+: "
                 "reservoir p gains a quantum (the system emits), J_p^-: it loses one (the "
                 "system absorbs), J_p^0: zero frequency, no quantum"]
        for p in self.reservoirs:
            for dr in DIRECTIONS:
                js = self.of(p, dr)
                if js:
                    lines.append(f"  J_{p}^{dr} rho = " + " + ".join(
                        f"({sp.sstr(j.rate)})*X_{p},{j.m} rho X_{p},{j.n}^+" for j in js))
        return "\n".join(lines)

    def latex_rows(self, printer, replace=None) -> list:
        r"""``align`` rows :math:`\mathcal J_p^{\pm}\rho = \ldots`, one term per row when a
        direction has several (``replace``: a substitution dict, or a function, applied to
        the rates, e.g. the document's occupation symbols)."""
        rows = []
        for res in self.reservoirs:
            for dr in DIRECTIONS:
                js = self.of(res, dr)
                for i, j in enumerate(js):
                    rate = (replace(j.rate) if callable(replace) else
                            j.rate.xreplace(replace)) if replace else j.rate
                    term = (rf"\left({printer._print(rate)}\right) X_{{{res},{j.m}}}\,\rho\, "
                            rf"X_{{{res},{j.n}}}^\dagger")
                    lhs = rf"\mathcal{{J}}_{{{res}}}^{{{dr}}}\rho &= " if i == 0 else r"&\quad + "
                    rows.append(lhs + term)
        return rows

    def _latex(self, printer):
        from ..latex import PaperPrinter
        p = printer if isinstance(printer, PaperPrinter) else PaperPrinter()
        rows = []
        for res in self.reservoirs:
            for dr in DIRECTIONS:
                js = self.of(res, dr)
                if not js:
                    continue
                body = " + ".join(rf"\left({p._print(j.rate)}\right) X_{{{res},{j.m}}}\rho "
                                  rf"X_{{{res},{j.n}}}^\dagger" for j in js)
                rows.append(rf"\mathcal{{J}}_{{{res}}}^{{{dr}}}\rho &= {body}")
        return r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"


@dataclass(frozen=True)
class JumpProbabilities(Printable):
    """P_p(+1) (reservoir p gains a quantum), P_p(-1) (loses one) and P(0) over dt."""

    rows: tuple[tuple[str, sp.Expr, sp.Expr], ...]   # (reservoir, P(+1), P(-1))
    none: sp.Expr                                     # P(0)
    dt: sp.Expr

    def _latex(self, printer):
        out = []
        for p, g, l in self.rows:
            out.append(rf"P_{{{p}}}(+1) = {printer._print(g)}")
            out.append(rf"P_{{{p}}}(-1) = {printer._print(l)}")
        out.append(rf"P(0) = {printer._print(self.none)}")
        return r"\begin{gathered}" + r" \\ ".join(out) + r"\end{gathered}"


def jump_decomposition(derivation) -> JumpDecomposition:
    """Split every reservoir's dissipator of a :class:`cgsym.Derivation` into jumps.

    Reads only the derivation's public results: ``.spectrum`` (eigenoperators, Bohr
    frequencies, slow clusters) and ``.rates`` (the gamma matrices of its regime,
    weak-internal included).  Implements Eqs. (74)-(77) in the eigenoperator form of
    Eq. (44); see the module docstring for what a jump carries.
    """
    spec = derivation.spectrum
    model = derivation.model
    mode = model.adjoint_mode
    wmap = dict(spec.frequencies)
    jumps, no_jump = [], []
    regime = derivation.regime
    d = model.dim
    for g in derivation.rates.gammas:
        ops = {e.index: e for e in spec.operators(g.reservoir)}
        K = sp.zeros(d, d)
        for i, m in enumerate(g.indices):
            for j, n in enumerate(g.indices):
                rate = g.matrix[i, j]
                if rate == 0:
                    continue
                # the index sign is the frequency's sign (spectrum: m > 0 for omega_m > 0)
                sign = (m > 0) - (m < 0)
                cm = spec.cluster_of(m)
                if (n > 0) - (n < 0) != sign or (regime != "secular"
                                                  and cm.index != spec.cluster_of(n).index):
                    raise CgsymError(
                        f"reservoir '{g.reservoir}': gamma couples X_{m} and X_{n}, which are "
                        f"not in one slow cluster of one sign; no jump direction for this term")
                direction = {1: "-", -1: "+", 0: "0"}[sign]
                energy = sp.expand((wmap[m] + wmap[n]) / 2)
                Xm, Xn = ops[m].matrix, ops[n].matrix
                jumps.append(Jump(g.reservoir, m, n, rate, Xm, Xn, direction, int(sign),
                                  energy if sign else sp.S.Zero, cm.limit if sign else sp.S.Zero))
                K += rate * sp.Matrix(adjoint(Xn, mode)) * sp.Matrix(Xm)
        no_jump.append((g.reservoir, ImmutableMatrix(K.applyfunc(sp.expand))))
    return JumpDecomposition(model.name, derivation.regime, derivation.weak_internal,
                             tuple(r.name for r in model.reservoirs), tuple(jumps),
                             tuple(no_jump), d, mode)
