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
    """One channel of a diagonal Lindblad form: rate * D[L], D[L]rho = L rho L^+ - 1/2{L^+ L, rho}.

    ``method`` says how the gamma block was diagonalised: ``"eigen"`` (``rate`` an
    eigenvalue of the block, ``combination`` its unit eigenvector: the canonical
    form) or ``"ldl"`` (the exact factorisation gamma = L diag(d) L^+ with L unit
    lower triangular; ``rate`` a pivot d_k, ``combination`` column k of L, leading
    coefficient 1).  Both reproduce the dissipator exactly; the LDL form is used for
    blocks whose eigenvalues have no usable closed form (full rank, 3x3 and larger),
    and its rates are all >= 0 exactly when the block is positive semidefinite.
    """

    reservoir: str
    rate: sp.Expr
    operator: ImmutableMatrix  # in the product basis
    combination: tuple          # ((m, coefficient), ...): L = sum_m c_m X_m
    method: str = "eigen"


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
        d = self.dim
        parts = [[[] for _ in range(d)] for _ in range(d)]
        terms = self.terms if reservoir is None else self.reservoir_terms(reservoir)
        real = self.model.adjoint_mode
        for t in terms:
            Xm = sp.Matrix(t.X_m)
            XnH = sp.Matrix(adjoint(t.X_n, real))
            M = t.rate * (Xm * rho * XnH - (XnH * Xm * rho + rho * XnH * Xm) / 2)
            for i in range(d):
                for j in range(d):
                    if M[i, j] != 0:
                        parts[i][j].append(M[i, j])
        # each entry summed once and expanded once (summing dense matrices term by term
        # rebuilt every entry at every term)
        return ImmutableMatrix(d, d, [sp.expand(sp.Add(*parts[i][j]))
                                      for i in range(d) for j in range(d)])

    def rhs(self, rho):
        """-i[H_S, rho] + sum_p D_p[rho]."""
        rho = sp.Matrix(rho)
        H = sp.Matrix(self.hamiltonian)
        return ImmutableMatrix((-sp.I * (H * rho - rho * H) + sp.Matrix(self.dissipate(rho)))
                               .applyfunc(sp.expand))

    # -- superoperators ------------------------------------------------------
    def dissipator(self, reservoir: str) -> ImmutableMatrix:
        """Superoperator of D_p (column stacking), d^2 x d^2."""
        return _superop(self.reservoir_terms(reservoir), self.dim, self.model.adjoint_mode)

    @cached_property
    def _liouvillian(self):
        d = self.dim
        H = sp.Matrix(self.hamiltonian)
        Id = sp.eye(d)
        L = -sp.I * (sp.Matrix(kron(Id, H)) - sp.Matrix(kron(H.T, Id)))
        L += sp.Matrix(_superop(self.terms, d, self.model.adjoint_mode))
        return ImmutableMatrix(L.applyfunc(sp.expand))

    def liouvillian(self) -> ImmutableMatrix:
        """The full Liouvillian L with vec(d rho/dt) = L vec(rho) (column stacking)."""
        return self._liouvillian

    # -- canonical Lindblad form ---------------------------------------------
    def lindblad_form(self) -> tuple[JumpOperator, ...]:
        """Diagonalise each gamma matrix block: D_p = sum_k lambda_k D[L_k].

        Blocks of size one, rank-one blocks c(1 1^T) and 2x2 blocks are diagonalised
        in closed form (``method="eigen"``); any other block is factorised exactly as
        L diag(d) L^+ (``method="ldl"``, see :class:`JumpOperator`).  Either way
        sum_k rate_k D[L_k] equals the reservoir's dissipator of Eq. (44) exactly.
        """
        from .spectrum import is_zero
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
                method, pairs = _diagonalise(sub, g.reservoir, self.model)
                for lam, vec in pairs:
                    if is_zero(lam, self.model):
                        continue
                    L = sp.zeros(self.dim, self.dim)
                    comb = []
                    for c, m in zip(vec, idx):
                        if c != 0:
                            L += c * sp.Matrix(ops[m].matrix)
                            comb.append((m, c))
                    # no expand(): through the 2x2 radicals it cost seconds per block
                    out.append(JumpOperator(g.reservoir, lam, ImmutableMatrix(L), tuple(comb),
                                            method))
        return tuple(out)

    def __str__(self):
        from .text import master_equation_text
        return master_equation_text(self)

    def _sympystr(self, printer):
        return str(self)

    def _latex(self, printer):
        from .latex import master_equation_latex
        return master_equation_latex(self, printer)

    # -- numeric bridges (issue 17) ---------------------------------------------
    def to_qutip(self, values, jump_operators: bool = True):
        """This master equation at ``values`` as QuTiP objects: the Liouvillian
        superoperator, and H_S with the jump operators of the diagonal Lindblad form
        (see :func:`cgsym.convert.qutip.to_qutip`; needs ``cgsym[qutip]``)."""
        from .convert.qutip import to_qutip
        return to_qutip(self, values, jump_operators)


def _diagonalise(sub, reservoir, model):
    """(method, [(rate, vector), ...]) with sub = sum rate v v^dagger.

    ``"eigen"``: unit eigenvectors (size one, c(1 1^T), 2x2); otherwise ``"ldl"``.
    """
    k = sub.rows
    if k == 1:
        return "eigen", [(sub[0, 0], [sp.S.One])]
    first = sub[0, 0]
    if all(sp.expand(e - first) == 0 for e in sub):
        # c * (1 1^T) = (k c) u u^T with u = (1, ..., 1)/sqrt(k)
        return "eigen", [(k * first, [1 / sp.sqrt(k)] * k)]
    if k == 2:
        # [[a, b], [b*, c]]: lambda = (a + c)/2 +- r, r = sqrt(((a - c)/2)^2 + |b|^2), with
        # eigenvector (b, lambda - a) (b != 0: the block is connected).  Closed form
        # without simplify(): SymPy's eigenvects(simplify=True) took 5-9 s per block.
        a, b, c = sub[0, 0], sub[0, 1], sub[1, 1]
        bb = sp.expand(b * sp.conjugate(b)) if sub.has(sp.I) else b**2
        r = sp.sqrt(sp.factor(sp.expand((a - c)**2 / 4 + bb)))
        out = []
        for s in (1, -1):
            lam = (a + c) / 2 + s * r
            nrm = sp.sqrt(bb + (lam - a)**2)
            out.append((lam, [b / nrm, (lam - a) / nrm]))
        return "eigen", out
    return "ldl", _ldl(sub, reservoir, model)


def _ldl(A, reservoir, model):
    """Exact A = L diag(d) L^+ (L unit lower triangular) of a Hermitian gamma block.

    Returns [(d_k, column k of L), ...].  A zero pivot is allowed only when the rest
    of its column vanishes too (as it must for a positive semidefinite block);
    otherwise the block is indefinite and no such form exists: an error says so.
    """
    from .spectrum import is_zero
    # rates and occupations are real: a block without I is real symmetric, and
    # conjugate(n(omega_S - Omega/2, T)) would otherwise stay unevaluated
    conj = sp.conjugate if A.has(sp.I) else (lambda x: x)
    k = A.rows
    L = sp.eye(k)
    d = [sp.S.Zero] * k
    for j in range(k):
        dj = sp.factor(sp.cancel(A[j, j] - sum(L[j, s] * conj(L[j, s]) * d[s] for s in range(j))))
        d[j] = sp.S.Zero if is_zero(dj, model) else dj
        for i in range(j + 1, k):
            r = sp.cancel(A[i, j] - sum(L[i, s] * conj(L[j, s]) * d[s] for s in range(j)))
            if d[j] == 0:
                if not is_zero(r, model):
                    raise CgsymError(f"reservoir '{reservoir}': the gamma block is indefinite "
                                     f"(zero pivot with a non-zero column), so it has no "
                                     f"diagonal Lindblad form with these jump operators")
                continue
            L[i, j] = sp.cancel(r / d[j])
    return [(d[j], [L[i, j] for i in range(k)]) for j in range(k)]


def _superop(terms, d, real=False) -> ImmutableMatrix:
    """sum gamma_mn [ conj(X_n) kron X_m - 1/2 (I kron X_n^+ X_m + (X_n^+ X_m)^T kron I) ].

    Column stacking: entry (i d + k, j d + l) of B kron C is B[i, j] C[k, l].  The
    Kronecker products are never formed: each term adds its few nonzero products to the
    entries they touch, and each entry is expanded once at the end (the same expanded
    entries as summing the dense d^2 x d^2 matrices).
    """
    acc = {}

    def nonzero(M):
        return [(i, j, M[i, j]) for i in range(M.rows) for j in range(M.cols) if M[i, j] != 0]
    for t in terms:
        Xm = sp.Matrix(t.X_m)
        XnH = sp.Matrix(adjoint(t.X_n, real))
        A = XnH * Xm
        # X_m rho X_n^+ -> (X_n^+)^T kron X_m = conj(X_n) kron X_m
        jump, anti = {}, {}
        xm = nonzero(Xm)
        for i, j, b in nonzero(XnH.T):
            for k, l, x in xm:
                jump[(i * d + k, j * d + l)] = b * x
        for k, l, a in nonzero(A):
            for i in range(d):
                for key in ((i * d + k, i * d + l), (l * d + i, k * d + i)):  # I kron A, A^T kron I
                    anti[key] = anti.get(key, sp.S.Zero) + a
        for key in jump.keys() | anti.keys():   # exact numbers only (no Python 0 / 2)
            value = jump.get(key, sp.S.Zero) - anti.get(key, sp.S.Zero) * sp.S.Half
            acc.setdefault(key, []).append(t.rate * value)
    S = sp.zeros(d * d, d * d)
    for (r, c), parts in acc.items():
        S[r, c] = sp.expand(sp.Add(*parts))
    return ImmutableMatrix(S)


def master_equation(r: Rates) -> MasterEquation:
    """Assemble Eq. (44)/(89) from the gamma matrices (zero entries dropped).

    d rho/dt = -i [H_S, rho] + sum_p sum_mn gamma^p_mn (X_m rho X_n^dagger
    - 1/2 {X_n^dagger X_m, rho}), hbar = 1, the Lamb shift dropped as in the paper.
    :meth:`MasterEquation.liouvillian` uses column stacking, vec(A X B) =
    (B^T kron A) vec(X) (QuTiP's convention); :meth:`MasterEquation.to_qutip`
    hands it to QuTiP at a point.

    Examples
    --------
    >>> import cgsym, sympy as sp
    >>> spec = cgsym.eigenoperators(cgsym.load_model("tunnelling-qubit"))
    >>> me = cgsym.master_equation(cgsym.rates(spec, "secular", weak_internal=True))
    >>> L = me.liouvillian()
    >>> L.shape
    (16, 16)
    >>> trace_row = sp.Matrix(1, 16, lambda i, k: 1 if k % 5 == 0 else 0)   # vec(1)^T
    >>> sp.expand(trace_row * L) == sp.zeros(1, 16)                           # trace preserved
    True
    """
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
