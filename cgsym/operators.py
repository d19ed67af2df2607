"""Finite-dimensional operators: the product basis, local operators, superoperators.

Basis convention: the product basis of the subsystems in file order, the first
subsystem most significant (``kron(A, B)`` acts with A on subsystem 1).  A
basis state is labelled by its level names joined with commas, e.g. ``"e,g"``.

Vectorisation convention (used for every Liouvillian): column stacking,
vec(A X B) = (B^T kron A) vec(X), the convention of QuTiP.  Index k of vec(X)
is X[k % d, k // d].
"""
from __future__ import annotations

import itertools
from functools import reduce

import sympy as sp

ImmutableMatrix = sp.ImmutableDenseMatrix


def kron(*mats):
    """Kronecker product of SymPy matrices (first argument most significant)."""
    mats = [m if isinstance(m, sp.MatrixBase) else sp.Matrix(m) for m in mats]
    if not all(e.is_commutative for m in mats for e in m):
        return ImmutableMatrix(reduce(sp.kronecker_product, [sp.Matrix(m) for m in mats]))
    return ImmutableMatrix(*reduce(_kron2, [(m.rows, m.cols, list(m)) for m in mats]))


def _kron2(a, b):
    """a kron b on (rows, cols, row-major entries): the entries ``sp.kronecker_product``
    gives, without its block-matrix machinery and intermediate matrices (which
    dominated the cost of building superoperators)."""
    ra, ca, fa = a
    rb, cb, fb = b
    zero = sp.S.Zero
    out = [zero] * (ra * rb * ca * cb)
    width = ca * cb
    for i in range(ra):
        for j in range(ca):
            x = fa[i * ca + j]
            if x == 0:
                continue
            for k in range(rb):
                base = (i * rb + k) * width + j * cb
                for m in range(cb):
                    y = fb[k * cb + m]
                    if y != 0:
                        out[base + m] = y * x
    return ra * rb, width, out


def ketbra_matrix(dim: int, i: int, j: int):
    """|i><j| on a space of dimension ``dim``."""
    m = sp.zeros(dim, dim)
    m[i, j] = 1
    return ImmutableMatrix(m)


def embed(local, position: int, dims: tuple[int, ...]):
    """The operator ``local`` acting on subsystem ``position`` of a product space."""
    factors = [sp.eye(d) for d in dims]
    factors[position] = sp.Matrix(local)
    return kron(*factors)


def product_labels(level_lists) -> tuple[str, ...]:
    """Labels of the product basis, first subsystem most significant."""
    return tuple(",".join(c) for c in itertools.product(*level_lists))


def dagger(m):
    return ImmutableMatrix(sp.Matrix(m).H)


def adjoint(m, real: bool | str = False):
    """Hermitian conjugate, in one of three modes (``Model.adjoint_mode``).

    * ``True`` / ``"transpose"``: the matrix is real (H_S and couplings without i);
    * ``"flip-i"``: every atom but i is real (H_S real, so its eigenvectors are real,
      while a coupling such as sy has i): conjugation is i -> -i under the transpose;
    * ``False`` / ``"full"``: SymPy's conjugate.

    Eigenvector entries are radicals whose sign SymPy cannot see (sqrt(R - D)):
    the first two modes keep unevaluated conjugate(...) out of every later
    expression, which otherwise breaks exact Hermiticity and trace checks.
    """
    M = sp.Matrix(m)
    if real is True or real == "transpose":
        return ImmutableMatrix(M.T)
    if real == "flip-i":
        return ImmutableMatrix(M.T.applyfunc(lambda e: e.xreplace({sp.I: -sp.I})))
    return ImmutableMatrix(M.H)


def commutator(a, b):
    return ImmutableMatrix(sp.Matrix(a) * sp.Matrix(b) - sp.Matrix(b) * sp.Matrix(a))


def vec(x):
    """Column-stacking vectorisation of a square matrix."""
    x = sp.Matrix(x)
    d = x.rows
    return ImmutableMatrix([x[k % d, k // d] for k in range(d * d)])


def unvec(v, d: int):
    """Inverse of :func:`vec`."""
    m = sp.zeros(d, d)
    for k in range(d * d):
        m[k % d, k // d] = v[k]
    return ImmutableMatrix(m)


def spre(a):
    """Superoperator of X -> A X (column stacking)."""
    d = sp.Matrix(a).rows
    return kron(sp.eye(d), a)


def spost(b):
    """Superoperator of X -> X B (column stacking)."""
    d = sp.Matrix(b).rows
    return kron(sp.Matrix(b).T, sp.eye(d))


def sprepost(a, b):
    """Superoperator of X -> A X B (column stacking)."""
    return kron(sp.Matrix(b).T, a)


def is_zero_matrix(m) -> bool:
    return all(sp.expand(e) == 0 for e in sp.Matrix(m))


def simplify_matrix(m, fn=None):
    """Apply an entrywise simplification (default ``radsimp`` then ``cancel``)."""
    fn = fn or (lambda e: sp.cancel(sp.radsimp(e)))
    return ImmutableMatrix(sp.Matrix(m).applyfunc(fn))


def sparsity_components(R):
    """Connected components of the sparsity graph of a square matrix (entry (i, j) non-zero
    joins i and j): sorted lists of indices, each sorted.  Independent blocks of a
    Liouvillian or of a gamma matrix."""
    N = R.rows
    parent = list(range(N))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(N):
        for j in range(N):
            if R[i, j] != 0:
                parent[find(i)] = find(j)
    comps: dict[int, list[int]] = {}
    for i in range(N):
        comps.setdefault(find(i), []).append(i)
    return sorted(comps.values(), key=lambda c: c[0])
