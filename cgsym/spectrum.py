"""Eigenbasis of H_S, Bohr frequencies, eigenoperators and slow clusters.

Implements paper Eqs. (42)-(43): for each reservoir coupling X,
X_bar(t) = sum_m X_m exp(i omega_m t) with [H_S, X_m] = omega_m X_m,
X_{-m} = X_m^dagger and sum_m X_m = X.  Positive omega_m means X_m raises the
energy (it is |a><b| with E_a - E_b = omega_m > 0).

Frequencies are indexed m = 1..N for the positive ones, in increasing value
under the declared hierarchy (slow parameters much smaller than frequency
parameters), m = -m for their negatives, and m = 0 for a zero-frequency
component.  The same index means the same frequency for every reservoir (as in
the paper's tunnelling-qubit model, Eqs. 126 and 128).

Two Bohr frequencies are in the same *slow cluster* when their difference
vanishes as the slow parameters go to zero (paper Sec. III C).  Signs and the
ordering are decided by the parameters' assumptions where SymPy can, and
otherwise at sample points satisfying the hierarchy; every such decision is
recorded in :attr:`Spectrum.assumptions`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import mpmath
import sympy as sp
from sympy.printing.defaults import Printable

from .errors import CgsymError
from .model import Model
from .operators import ImmutableMatrix, adjoint, sparsity_components

# ---------------------------------------------------------------------------
# sample points under the hierarchy
# ---------------------------------------------------------------------------
_SCALE = {"frequency": 1.0, "slow": 1e-4, "rate": 1e-7, "temperature": 1.0}


def reference_point(model: Model, k: int = 0) -> dict:
    """A deterministic parameter point respecting the hierarchy slow << frequency.

    ``k = 0`` is the reference point used to order frequencies; other ``k``
    give further deterministic points used to confirm sign decisions.
    """
    vals = {}
    for i, p in enumerate(model.parameters):
        # irrational-looking, distinct values; the j-th parameter of a role grows with j
        x = 1.0 + 0.1 * i * (1.0 + 0.3819660112501051 * k) + 0.0731 * k * ((i * 7 + 3) % 5)
        vals[p.symbol] = sp.Float(x * _SCALE[p.role], 30)
    return vals


def _num(expr, point) -> complex:
    v = sp.sympify(expr).xreplace(point).evalf(30)
    try:
        return complex(v)
    except TypeError:
        raise CgsymError(f"cannot evaluate {expr} at a sample point (result {v})") from None


def _generic_point(model: Model, k: int = 0) -> dict:
    """A generic point (no hierarchy) for zero tests."""
    vals = {}
    for i, p in enumerate(model.parameters):
        vals[p.symbol] = sp.Rational(731 + 211 * i + 137 * k + 17 * i * i, 1000)
    return vals


def _nested_radicals(expr) -> bool:
    return any(p.exp.is_Rational and not p.exp.is_Integer and p.base.has(sp.Pow)
               for p in expr.atoms(sp.Pow))


def is_zero(expr, model: Model) -> bool:
    """Exact zero test for expressions in the model's parameters.

    A numeric screen at generic points first (cheap rejection); then a symbolic
    proof (cancel, simplify, equals).  Where SymPy cannot decide (nested radicals
    from eigenvectors), a probabilistic identity test: an algebraic expression
    that vanishes to 50 digits at six unrelated rational points is zero.
    """
    expr = sp.sympify(expr)
    if expr == 0:
        return True
    e = sp.expand(expr)
    if e == 0:
        return True
    if not e.free_symbols:
        e2 = sp.nsimplify(e) if e.has(sp.Float) else e
        return bool(sp.simplify(e2) == 0)
    for k in (0, 1):
        if abs(_num(e, _generic_point(model, k))) > 1e-20:
            return False
    if sp.cancel(sp.together(e)) == 0:
        return True
    if not _nested_radicals(e):
        s = sp.simplify(e)
        if s == 0:
            return True
        eq = s.equals(0)
        if eq is not None:
            return bool(eq)
    for k in range(2, 8):
        v = e.xreplace(_generic_point(model, k)).evalf(60)
        if abs(complex(v)) > 1e-50:
            raise CgsymError(f"cannot decide whether {expr} is zero")
    return True


def _clean(e):
    """Canonical form for spectrum entries: expanded, radicals rationalised, cancelled."""
    e = sp.expand(e)
    if e.has(sp.Pow):
        e = sp.radsimp(e)
    e = sp.cancel(sp.together(e)) if not e.is_Add or e.has(sp.Pow) else e
    s = sp.simplify(e) if e.has(sp.sqrt) and sp.count_ops(e) > 12 else e
    return s if sp.count_ops(s) <= sp.count_ops(e) else e


# ---------------------------------------------------------------------------
# result types
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Eigenstate:
    label: str
    energy: sp.Expr
    vector: ImmutableMatrix  # column vector in the product basis


@dataclass(frozen=True)
class Eigenoperator:
    """X_{p,m}: the part of reservoir p's coupling at Bohr frequency omega_m."""

    reservoir: str
    index: int
    frequency: sp.Expr
    matrix: ImmutableMatrix        # in the product basis
    eigen_matrix: ImmutableMatrix  # in the eigenbasis of H_S
    cluster: int


@dataclass(frozen=True)
class Cluster:
    """Bohr frequencies whose differences vanish as the slow parameters go to 0."""

    index: int
    members: tuple[int, ...]  # frequency indices m
    limit: sp.Expr            # the members' common slow -> 0 limit
    sign: int                 # +1, -1 (or 0 for a cluster at zero frequency)


@dataclass(frozen=True)
class Spectrum(Printable):
    """Eigen-decomposition of H_S and the eigenoperators of every coupling."""

    model: Model
    states: tuple[Eigenstate, ...]
    frequencies: tuple[tuple[int, sp.Expr], ...]  # (m, omega_m), m ascending
    eigenoperators: tuple[Eigenoperator, ...]
    clusters: tuple[Cluster, ...]
    assumptions: tuple[str, ...] = field(default=())

    @property
    def unitary(self) -> ImmutableMatrix:
        """U whose columns are the eigenvectors: H_S = U diag(E) U^dagger."""
        return ImmutableMatrix.hstack(*[s.vector for s in self.states])

    @property
    def energies(self) -> tuple[sp.Expr, ...]:
        return tuple(s.energy for s in self.states)

    def frequency(self, m: int) -> sp.Expr:
        for k, w in self.frequencies:
            if k == m:
                return w
        raise CgsymError(f"no Bohr frequency with index {m}")

    def operators(self, reservoir: str) -> tuple[Eigenoperator, ...]:
        self.model.reservoir(reservoir)
        return tuple(e for e in self.eigenoperators if e.reservoir == reservoir)

    def operator(self, reservoir: str, m: int) -> Eigenoperator:
        for e in self.operators(reservoir):
            if e.index == m:
                return e
        raise CgsymError(f"reservoir '{reservoir}' has no eigenoperator X_{m}")

    def cluster_of(self, m: int) -> Cluster:
        for c in self.clusters:
            if m in c.members:
                return c
        raise CgsymError(f"no Bohr frequency with index {m}")

    def difference_matrix(self):
        """omega_mn = omega_m - omega_n (paper Eq. 129) with each entry classified.

        Returns ``(indices, matrix, kinds)`` with ``kinds[i][j]`` one of
        ``"zero"``, ``"slow"`` (vanishes as the slow parameters go to 0) or
        ``"fast"``.  The zero-frequency index is excluded, as in the paper.
        """
        idx = [m for m, _ in self.frequencies if m != 0]
        w = dict(self.frequencies)
        mat = ImmutableMatrix(len(idx), len(idx),
                              lambda i, j: sp.expand(w[idx[i]] - w[idx[j]]))
        kinds = tuple(tuple("zero" if i == j else
                            ("slow" if self.cluster_of(idx[i]).index == self.cluster_of(idx[j]).index
                             else "fast") for j in range(len(idx))) for i in range(len(idx)))
        return tuple(idx), mat, kinds

    def _latex(self, printer):
        from .latex import spectrum_latex
        return spectrum_latex(self, printer)

    def __str__(self):
        from .latex import spectrum_text
        return spectrum_text(self)


# ---------------------------------------------------------------------------
# eigen-decomposition, block by block
# ---------------------------------------------------------------------------
def _normalise(v):
    v = sp.Matrix(v).applyfunc(lambda e: sp.radsimp(sp.simplify(e)))
    # phase convention: the first nonzero component is real and positive
    first = next(e for e in v if e != 0)
    if first.is_negative or (first.is_real is not True and first.is_extended_real is not True):
        if first.is_negative:
            v = -v
        else:
            v = v.applyfunc(lambda e: sp.simplify(e * sp.conjugate(first) / sp.Abs(first)))
    norm2 = sp.simplify(sum((sp.conjugate(e) * e for e in v), sp.S.Zero))
    norm = sp.sqrt(norm2)
    out = v.applyfunc(lambda e: _clean(e / norm))
    return out


def _block_eigen(B, model: Model, labels):
    """Eigenpairs of one Hermitian block B (a small matrix)."""
    k = B.rows
    if k == 1:
        return [(sp.expand(B[0, 0]), sp.Matrix([1]))]
    if k == 2:
        return _two_by_two(B)
    lam = sp.Dummy("lambda")
    cp = B.charpoly(lam)
    rts = sp.roots(cp)
    if sum(rts.values()) != k:
        raise CgsymError(
            f"H_S block on states {', '.join(labels)} ({k}x{k}) has no closed-form eigenvalues "
            f"(characteristic polynomial {sp.factor(cp.as_expr())}); cgsym needs an exactly "
            f"diagonalisable H_S")
    pairs = []
    for r, mult in rts.items():
        r = _clean(r)
        M = (B - r * sp.eye(k)).applyfunc(sp.expand)
        ns = M.nullspace(simplify=sp.simplify)
        if len(ns) != mult:
            ns = M.applyfunc(sp.simplify).nullspace(simplify=sp.simplify)
        if len(ns) != mult:
            raise CgsymError(f"could not find {mult} eigenvectors for eigenvalue {r} of H_S")
        if mult > 1:
            ns = sp.GramSchmidt(ns, orthonormal=False)
        for v in ns:
            pairs.append((r, _normalise(v)))
    return pairs


def _two_by_two(B):
    """Closed-form eigenpairs of a 2x2 Hermitian block [[a, b], [b*, d]], b != 0.

    With D = (a - d)/2 and R = sqrt(D^2 + |b|^2):  E_pm = (a + d)/2 pm R,
    v_+ = (sqrt((R + D)/2R),  phase* sqrt((R - D)/2R)),
    v_- = (sqrt((R - D)/2R), -phase* sqrt((R + D)/2R)),  phase = b/|b|.
    The mixing-angle form avoids the nested radicals of a generic null space.
    """
    a, b, d = B[0, 0], B[0, 1], B[1, 1]
    D = _clean((a - d) / 2)
    absb = sp.Abs(b)
    if b.is_positive:
        ph = sp.S.One
    elif b.is_negative:
        ph = -sp.S.One
    else:
        ph = sp.conjugate(b) / absb
    R = sp.sqrt(_clean(D**2 + absb**2))
    if D == 0:
        up, um = sp.sqrt(2) / 2, sp.sqrt(2) / 2
    else:
        up = sp.sqrt(_clean((R + D) / (2 * R)))
        um = sp.sqrt(_clean((R - D) / (2 * R)))
    mean = _clean((a + d) / 2)
    return [(_clean(mean + R), sp.Matrix([up, _clean(ph * um)])),
            (_clean(mean - R), sp.Matrix([um, _clean(-ph * up)]))]


def _label_for(vec, basis, used):
    nz = [i for i, e in enumerate(vec) if e != 0]
    if len(nz) == 1:
        lab = basis[nz[0]]
    else:
        lab = "psi" + str(len(used) + 1)
    while lab in used:
        lab = lab + "'"
    used.add(lab)
    return lab


def eigenstates(model: Model) -> tuple[Eigenstate, ...]:
    """Exact eigenstates of H_S, block by block, in block order, energies descending.

    H_S is split into invariant blocks (connected components of its off-diagonal
    pattern); 2x2 blocks use the closed mixing-angle form, larger blocks the roots
    of their characteristic polynomial.  Energies are ordered at a reference point of
    the declared hierarchy (slow << frequency), never by symbolic value.

    Examples
    --------
    >>> import cgsym, sympy as sp
    >>> states = cgsym.eigenstates(cgsym.load_model("tunnelling-qubit"))
    >>> sorted((s.energy for s in states), key=sp.default_sort_key)
    [-Omega/2 - omega_S/2, -Omega/2 + omega_S/2, Omega/2 - omega_S/2, Omega/2 + omega_S/2]
    """
    H = sp.Matrix(model.hamiltonian)
    ref = reference_point(model)
    out = []
    used: set = set()
    for block in sparsity_components(H):   # invariant subspaces of H_S
        B = H.extract(block, block)
        pairs = _block_eigen(B, model, [model.basis[i] for i in block])
        pairs.sort(key=lambda p: -_num(p[0], ref).real)
        for energy, v in pairs:
            full = sp.zeros(H.rows, 1)
            for local, i in enumerate(block):
                full[i] = v[local]
            out.append(Eigenstate(_label_for(full, model.basis, used), energy, ImmutableMatrix(full)))
    # check: H v = E v, exactly
    for s in out:
        r = (H * sp.Matrix(s.vector) - s.energy * sp.Matrix(s.vector))
        if not all(is_zero(e, model) for e in r):
            raise CgsymError(f"internal error: eigenvector check failed for state {s.label}")
    return tuple(out)


# ---------------------------------------------------------------------------
# Bohr frequencies, signs, clusters
# ---------------------------------------------------------------------------
def slow_limit(expr, model: Model):
    """expr at the slow -> 0 limit of the model's slow parameters (substitution, or a
    one-sided limit where substitution is undefined)."""
    slow = model.slow
    if not slow:
        return sp.sympify(expr)
    v = sp.sympify(expr).subs({s: 0 for s in slow})
    if v.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        v = sp.sympify(expr)
        for s in slow:
            v = sp.limit(v, s, 0, "+")
    return _clean(v)


def frequency_sign(expr, model: Model, notes: list) -> int:
    """Sign of a (nonzero) Bohr frequency under the hierarchy."""
    expr = sp.sympify(expr)
    if expr.is_positive:
        return 1
    if expr.is_negative:
        return -1
    lim = slow_limit(expr, model)
    if lim.is_positive:
        return 1
    if lim.is_negative:
        return -1
    target = expr if is_zero(lim, model) else lim
    vals = [_num(target, reference_point(model, k)).real for k in range(4)]
    if all(v > 0 for v in vals):
        notes.append(f"assumed {target} > 0 (sign not implied by the parameters' assumptions; "
                     f"checked at 4 sample points with slow << frequency)")
        return 1
    if all(v < 0 for v in vals):
        notes.append(f"assumed {target} < 0 (sign not implied by the parameters' assumptions; "
                     f"checked at 4 sample points with slow << frequency)")
        return -1
    raise CgsymError(f"cannot decide the sign of the Bohr frequency {expr}: it changes sign "
                     f"between sample points with slow << frequency; reparametrise the model "
                     f"so that the level ordering is fixed by the parameters")


def eigenoperators(model: Model, states=None) -> Spectrum:
    """Spectrum of H_S and eigenoperators X_{p,m} of every coupling (Eqs. 42-43).

    Implements Eqs. (42)-(43): [H_S, X_m] = omega_m X_m, X_{-m} = X_m^dagger and
    sum_m X_m = X_p.  omega_m > 0 means X_m *raises* the energy; positive
    frequencies are indexed 1..N in increasing order under the hierarchy, negative
    ones -1..-N, zero 0, and an index means the same frequency for every reservoir.
    Slow clusters (frequencies whose difference vanishes as the slow parameters go to
    zero) are what the partial-secular regime couples.

    Examples
    --------
    >>> import cgsym
    >>> spec = cgsym.eigenoperators(cgsym.load_model("tunnelling-qubit"))
    >>> dict(spec.frequencies)[3]
    Omega + omega_S
    >>> sorted(m for m, _ in spec.frequencies)
    [-3, -2, -1, 1, 2, 3]
    """
    states = states or eigenstates(model)
    d = len(states)
    U = ImmutableMatrix.hstack(*[s.vector for s in states])
    Ud = adjoint(U, model.adjoint_mode)
    notes: list[str] = []
    ref = reference_point(model)

    # coupling matrices in the eigenbasis, and the (a, b) pairs they connect
    Xeig = {}
    pairs = set()
    for r in model.reservoirs:
        Xe = (sp.Matrix(Ud) * sp.Matrix(r.coupling) * sp.Matrix(U)).applyfunc(_clean)
        for a in range(d):
            for b in range(d):
                if Xe[a, b] != 0 and is_zero(Xe[a, b], model):
                    Xe[a, b] = sp.S.Zero
                if Xe[a, b] != 0:
                    pairs.add((a, b))
        Xeig[r.name] = Xe

    # group E_a - E_b exactly
    groups: list[list] = []  # [representative, [(a,b)...], numeric value]
    for a, b in sorted(pairs):
        w = _clean(states[a].energy - states[b].energy)
        wv = _num(w, _generic_point(model)).real
        for g in groups:
            if abs(g[2] - wv) <= 1e-12 * (1 + abs(wv)) and is_zero(g[0] - w, model):
                g[1].append((a, b))
                break
        else:
            groups.append([w, [(a, b)], wv])
    if not groups:
        raise CgsymError("no coupling connects any pair of eigenstates")

    # signs and ordering
    zero_groups = [g for g in groups if is_zero(g[0], model)]
    nonzero = [g for g in groups if g not in zero_groups]
    signed = []
    for g in nonzero:
        s = frequency_sign(g[0], model, notes)
        signed.append((s, g))
    pos = sorted([g for s, g in signed if s > 0], key=lambda g: _num(g[0], ref).real)
    negs = {id(g): g for s, g in signed if s < 0}
    index_of = {}
    freq_list = []
    for m, g in enumerate(pos, start=1):
        index_of[id(g)] = m
        freq_list.append((m, g[0]))
        # its negative must be present (X Hermitian)
        partner = next((h for h in negs.values() if is_zero(h[0] + g[0], model)), None)
        if partner is None:
            raise CgsymError(f"internal error: Bohr frequency {g[0]} has no negative partner")
        index_of[id(partner)] = -m
        freq_list.append((-m, partner[0]))
    if len(index_of) != len(nonzero):
        raise CgsymError("internal error: unpaired negative Bohr frequencies")
    for g in zero_groups:
        index_of[id(g)] = 0
        freq_list.append((0, sp.S.Zero))
    freq_list.sort(key=lambda t: t[0])
    # use the positive representative's negative as the canonical negative form
    wmap = dict(freq_list)
    for m, w in list(wmap.items()):
        if m < 0:
            wmap[m] = _clean(-wmap[-m])
    freq_list = sorted(wmap.items())

    # slow clusters (union-find on the indices)
    idx = [m for m, _ in freq_list]
    limits = {m: (slow_limit(wmap[m], model) if m else sp.S.Zero) for m in idx}
    parent = {m: m for m in idx}

    def find(m):
        while parent[m] != m:
            m = parent[m]
        return m

    for i, m in enumerate(idx):
        for mm in idx[i + 1:]:
            if find(m) != find(mm) and is_zero(limits[m] - limits[mm], model):
                parent[find(m)] = find(mm)
    comp: dict[int, list[int]] = {}
    for m in idx:
        comp.setdefault(find(m), []).append(m)
    clusters = []
    for ci, members in enumerate(sorted(comp.values(), key=lambda ms: min(ms))):
        lim = limits[members[0]]
        sgn = 0 if is_zero(lim, model) else (1 if members[0] > 0 else -1)
        clusters.append(Cluster(ci, tuple(sorted(members)), lim, sgn))
    cluster_idx = {m: c.index for c in clusters for m in c.members}

    # eigenoperators
    ops = []
    for r in model.reservoirs:
        Xe = Xeig[r.name]
        for g in groups:
            m = index_of[id(g)]
            E = sp.zeros(d, d)
            for a, b in g[1]:
                E[a, b] = Xe[a, b]
            if all(e == 0 for e in E):
                continue
            P = (sp.Matrix(U) * E * sp.Matrix(Ud)).applyfunc(_clean)
            ops.append(Eigenoperator(r.name, m, wmap[m], ImmutableMatrix(P), ImmutableMatrix(E),
                                     cluster_idx[m]))
    ops.sort(key=lambda e: ([r.name for r in model.reservoirs].index(e.reservoir), e.index))
    for r in model.reservoirs:
        if all(e.index == 0 for e in ops if e.reservoir == r.name):
            # a coupling that commutes with H_S exchanges no energy but dephases in the
            # energy basis, at the rate lim gamma(w) n(w, T) (finite for an Ohmic rate, as
            # the numeric pipeline computes it too); a divergent limit is refused here
            rate = r.zero_frequency_rate()
            notes.append(f"reservoir '{r.name}': the coupling commutes with H_S: it causes "
                         f"no transitions, only dephasing at the zero-frequency rate "
                         f"{sp.sstr(rate)}, and exchanges no energy (J_{r.name} = 0)")
    spec = Spectrum(model, tuple(states), tuple(freq_list), tuple(ops), tuple(clusters),
                    tuple(dict.fromkeys(notes)))
    _verify(spec)
    return spec


def _verify(spec: Spectrum):
    """Exact checks of Eqs. (42)-(43): [H, X_m] = w_m X_m, sum_m X_m = X, X_-m = X_m^+."""
    model = spec.model
    H = sp.Matrix(model.hamiltonian)
    for r in model.reservoirs:
        ops = spec.operators(r.name)
        total = sp.zeros(model.dim, model.dim)
        for e in ops:
            X = sp.Matrix(e.matrix)
            total += X
            c = H * X - X * H - e.frequency * X
            if not all(is_zero(v, model) for v in c):
                raise CgsymError(f"internal error: [H, X_{e.index}] != omega X for reservoir {r.name}")
            partner = next((f for f in ops if f.index == -e.index), None)
            if partner is None or not all(is_zero(v, model) for v in (sp.Matrix(partner.matrix) - sp.Matrix(adjoint(X, model.adjoint_mode)))):
                raise CgsymError(f"internal error: X_{-e.index} != X_{e.index}^dagger for reservoir {r.name}")
        if not all(is_zero(v, model) for v in (total - sp.Matrix(r.coupling))):
            raise CgsymError(f"internal error: sum_m X_m != X for reservoir {r.name}")


# the former private names, used across modules before they became public (issue 13)
_slow_limit = slow_limit
_sign = frequency_sign
