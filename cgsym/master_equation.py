"""The Lindblad master equation, its dissipators and Liouvillian.

Implements paper Eq. (44) summed over independent reservoirs (Eq. 89):

    d rho/dt = -i [H_S, rho] + sum_p D_p[rho],
    D_p[rho] = sum_{m,n} gamma^p_mn ( X_m rho X_n^dagger - 1/2 {X_n^dagger X_m, rho} ),

with hbar = 1 and the Lamb shift dropped, as in the paper.  Superoperators use
column-stacking vectorisation, vec(A X B) = (B^T kron A) vec(X) (QuTiP's
convention; index k of vec(X) is X[k % d, k // d]).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import sympy as sp
from sympy.printing.defaults import Printable

from .errors import CgsymError
from .model import Model
from .operators import ImmutableMatrix, adjoint, kron
from .rates import Rates, rates as _rates
from .spectrum import Spectrum, eigenoperators


@dataclass(frozen=True)
class DissipatorTerm:
    """gamma_mn ( X_m rho X_n^dagger - 1/2 {X_n^dagger X_m, rho} ) of reservoir p."""

    reservoir: str
    m: int
    n: int
    rate: sp.Expr
    X_m: ImmutableMatrix
    X_n: ImmutableMatrix


@dataclass(frozen=True)
class JumpOperator:
    """One channel of the canonical (diagonal) Lindblad form: rate * D[L]."""

    reservoir: str
    rate: sp.Expr
    operator: ImmutableMatrix  # in the product basis
    combination: tuple          # ((m, coefficient), ...): L = sum_m c_m X_m


@dataclass(frozen=True)
class MasterEquation(Printable):
    """H_S plus per-reservoir dissipators, built from a :class:`Rates` result."""

    rates: Rates
    hamiltonian: ImmutableMatrix
    terms: tuple[DissipatorTerm, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def model(self) -> Model:
        return self.rates.model

    @property
    def spectrum(self) -> Spectrum:
        return self.rates.spectrum

    @property
    def dim(self) -> int:
        return self.hamiltonian.rows

    def reservoir_terms(self, reservoir: str) -> tuple[DissipatorTerm, ...]:
        self.model.reservoir(reservoir)
        return tuple(t for t in self.terms if t.reservoir == reservoir)

    # -- action on a density matrix ------------------------------------------
    def dissipate(self, rho, reservoir: str | None = None):
        """D_p[rho] (or the sum over all reservoirs when ``reservoir`` is None)."""
        rho = sp.Matrix(rho)
        out = sp.zeros(self.dim, self.dim)
        terms = self.terms if reservoir is None else self.reservoir_terms(reservoir)
        real = self.model.is_real
        for t in terms:
            Xm = sp.Matrix(t.X_m)
            XnH = sp.Matrix(adjoint(t.X_n, real))
            out += t.rate * (Xm * rho * XnH - (XnH * Xm * rho + rho * XnH * Xm) / 2)
        return ImmutableMatrix(out.applyfunc(sp.expand))

    def rhs(self, rho):
        """-i[H_S, rho] + sum_p D_p[rho]."""
        rho = sp.Matrix(rho)
        H = sp.Matrix(self.hamiltonian)
        return ImmutableMatrix((-sp.I * (H * rho - rho * H) + sp.Matrix(self.dissipate(rho)))
                               .applyfunc(sp.expand))

    # -- superoperators ------------------------------------------------------
    def dissipator(self, reservoir: str) -> ImmutableMatrix:
        """Superoperator of D_p (column stacking), d^2 x d^2."""
        return _superop(self.reservoir_terms(reservoir), self.dim, self.model.is_real)

    @cached_property
    def _liouvillian(self):
        d = self.dim
        H = sp.Matrix(self.hamiltonian)
        Id = sp.eye(d)
        L = -sp.I * (sp.Matrix(kron(Id, H)) - sp.Matrix(kron(H.T, Id)))
        L += sp.Matrix(_superop(self.terms, d, self.model.is_real))
        return ImmutableMatrix(L.applyfunc(sp.expand))

    def liouvillian(self) -> ImmutableMatrix:
        """The full Liouvillian L with vec(d rho/dt) = L vec(rho) (column stacking)."""
        return self._liouvillian

    # -- canonical Lindblad form ---------------------------------------------
    def lindblad_form(self) -> tuple[JumpOperator, ...]:
        """Diagonalise each gamma matrix block: D_p = sum_k lambda_k D[L_k].

        Blocks of size one, rank-one blocks and 2x2 blocks are done in closed
        form; a larger full-rank block raises an error (use the gamma matrix).
        """
        out = []
        spec = self.spectrum
        for g in self.rates.gammas:
            ops = {e.index: e for e in spec.operators(g.reservoir)}
            M = g.matrix
            k = len(g.indices)
            seen = set()
            for i in range(k):
                if i in seen:
                    continue
                block = [j for j in range(k) if M[i, j] != 0 or M[j, i] != 0 or j == i]
                # close the block transitively
                changed = True
                while changed:
                    changed = False
                    for a in list(block):
                        for j in range(k):
                            if j not in block and (M[a, j] != 0 or M[j, a] != 0):
                                block.append(j)
                                changed = True
                block.sort()
                seen.update(block)
                sub = sp.Matrix(M.extract(block, block))
                idx = [g.indices[j] for j in block]
                for lam, vec in _diagonalise(sub, g.reservoir):
                    if sp.expand(lam) == 0:
                        continue
                    L = sp.zeros(self.dim, self.dim)
                    comb = []
                    for c, m in zip(vec, idx):
                        if c != 0:
                            L += c * sp.Matrix(ops[m].matrix)
                            comb.append((m, c))
                    out.append(JumpOperator(g.reservoir, sp.factor(lam),
                                            ImmutableMatrix(L.applyfunc(sp.expand)), tuple(comb)))
        return tuple(out)

    def _latex(self, printer):
        from .latex import master_equation_latex
        return master_equation_latex(self, printer)


def _diagonalise(sub, reservoir):
    """Eigenpairs (lambda, unit vector u) with sub = sum lambda u u^dagger."""
    k = sub.rows
    if k == 1:
        return [(sub[0, 0], [sp.S.One])]
    first = sub[0, 0]
    if all(sp.expand(e - first) == 0 for e in sub):
        # c * (1 1^T) = (k c) u u^T with u = (1, ..., 1)/sqrt(k)
        return [(k * first, [1 / sp.sqrt(k)] * k)]
    if k == 2:
        out = []
        for lam, mult, vecs in sub.eigenvects(simplify=True):
            for v in vecs:
                nrm = sp.sqrt(sp.simplify(sum(sp.conjugate(x) * x for x in v)))
                out.append((sp.simplify(lam), [sp.simplify(x / nrm) for x in v]))
        return out
    raise CgsymError(f"reservoir '{reservoir}': the canonical Lindblad form of a full-rank "
                     f"{k}x{k} gamma block is not available in closed form; use the gamma matrix")


def _superop(terms, d, real=False) -> ImmutableMatrix:
    """sum gamma_mn [ conj(X_n) kron X_m - 1/2 (I kron X_n^+ X_m + (X_n^+ X_m)^T kron I) ]."""
    S = sp.zeros(d * d, d * d)
    Id = sp.eye(d)
    for t in terms:
        Xm = sp.Matrix(t.X_m)
        XnH = sp.Matrix(adjoint(t.X_n, real))
        A = XnH * Xm
        # X_m rho X_n^+ -> (X_n^+)^T kron X_m = conj(X_n) kron X_m
        S += t.rate * (sp.Matrix(kron(XnH.T, Xm))
                       - (sp.Matrix(kron(Id, A)) + sp.Matrix(kron(A.T, Id))) / 2)
    return ImmutableMatrix(S.applyfunc(sp.expand))


def master_equation(r: Rates) -> MasterEquation:
    """Assemble Eq. (44)/(89) from the gamma matrices (zero entries dropped)."""
    spec = r.spectrum
    terms = []
    for g in r.gammas:
        ops = {e.index: e for e in spec.operators(g.reservoir)}
        for i, m in enumerate(g.indices):
            for j, k in enumerate(g.indices):
                rate = g.matrix[i, j]
                if rate == 0:
                    continue
                terms.append(DissipatorTerm(g.reservoir, m, k, rate, ops[m].matrix, ops[k].matrix))
    return MasterEquation(r, r.model.hamiltonian, tuple(terms), r.notes)


def derive_master_equation(model: Model, regime: str = "partial-secular",
                           weak_internal: bool = False) -> MasterEquation:
    """Model -> Spectrum -> Rates -> MasterEquation in one call."""
    return master_equation(_rates(eigenoperators(model), regime, weak_internal))
