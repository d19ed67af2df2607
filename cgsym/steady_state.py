"""Exact steady state of a master equation.

Method (never a symbolic eigen-solver on the whole Liouvillian):

1. Parametrise rho by d^2 *real* coordinates: the populations rho_aa and, for
   a < b, x_ab = Re rho_ab and y_ab = Im rho_ab.  The Liouvillian preserves
   Hermiticity, so it acts on these coordinates as a real matrix L_r
   (complex coefficients slow fraction-free elimination down by orders of
   magnitude).
2. Split L_r into independent blocks: connected components of its sparsity
   graph.
3. Solve each block's kernel with SymPy's fraction-free ``DomainMatrix``
   methods over the field of rational functions in the parameters and
   occupations (python-flint accelerates the ground types when installed).
4. The kernel dimension (for generic parameter values) is reported.  When it is
   one, rho_ss is the kernel vector normalised to unit trace.  Otherwise the
   manifold (a basis of trace-normalisable kernel vectors) is returned, never an
   arbitrary pick.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import sympy as sp
from sympy.polys.matrices import DomainMatrix
from sympy.printing.defaults import Printable

from .errors import CgsymError
from .master_equation import MasterEquation
from .arith.algebra import polynomial_form, tidy
from .operators import ImmutableMatrix, sparsity_components, unvec, vec
from .arith.rational_form import RationalForm


@dataclass(frozen=True)
class SteadyState(Printable):
    """rho_ss in the product basis (entries cancelled and factored).

    ``kernel_dimension`` is the dimension of the Liouvillian's kernel for
    generic parameters.  If it is not 1, ``matrix`` is None and ``manifold``
    holds a basis of the stationary states (each unit trace where possible).

    When the steady state is unique and came out of the fraction-free solve,
    ``form`` holds it exactly as a :class:`cgsym.arith.rational_form.RationalForm` (the
    real coordinates of rho over one common denominator) and ``matrix``,
    ``manifold`` and ``coordinates`` are built from it on first use (the SymPy
    expressions of the large closed forms are what costs time, not the solve).
    """

    master_equation: MasterEquation
    kernel_dimension: int
    blocks: tuple[tuple[int, ...], ...]  # real-coordinate blocks of the Liouvillian
    # exact common-denominator form of the unique steady state (None: see ``stored``)
    form: RationalForm | None = field(default=None, compare=False, repr=False)
    # without a form: (manifold matrices, coordinate values of the unique state or ())
    stored: tuple = field(default=((), ()), repr=False)

    @cached_property
    def coordinates(self) -> tuple:
        """Values of the real coordinates of rho (see :func:`real_coordinates`), or ()."""
        if self.form is None:
            return tuple(self.stored[1])
        pos = {c: i for i, c in enumerate(real_coordinates(self.master_equation.dim))}
        values = [sp.S.Zero] * len(pos)
        for k, c in enumerate(self.form.labels):
            values[pos[c]] = self.form.expression(k)
        return tuple(values)

    @cached_property
    def matrix(self) -> ImmutableMatrix | None:
        """rho_ss (None when the steady state is not unique)."""
        if self.form is None:
            return self.stored[0][0] if self.kernel_dimension == 1 else None
        d = self.master_equation.dim
        rho = sp.zeros(d, d)
        for val, c in zip(self.coordinates, real_coordinates(d)):
            if val != 0:
                rho += val * coordinate_matrix(c, d)
        return ImmutableMatrix(rho)

    @property
    def manifold(self) -> tuple[ImmutableMatrix, ...]:
        """A basis of the stationary states ((rho_ss,) when unique)."""
        if self.form is None:
            return tuple(self.stored[0])
        return (self.matrix,)

    def basis_element(self, label) -> ImmutableMatrix:
        """The d x d Hermitian matrix E_c of a real coordinate c = ("p"|"x"|"y", a, b):
        rho = sum_c v_c E_c."""
        return ImmutableMatrix(coordinate_matrix(label, self.master_equation.dim))

    @property
    def model(self):
        return self.master_equation.model

    @property
    def unique(self) -> bool:
        return self.kernel_dimension == 1

    def require_unique(self):
        if not self.unique:
            raise CgsymError(
                f"the steady state is not unique: the Liouvillian has a {self.kernel_dimension}-"
                f"dimensional kernel (e.g. a subsystem that does not couple to any reservoir); "
                f"no single state to evaluate ('cgsym derive' prints the stationary manifold)")
        return self.matrix

    def element(self, a: str, b: str) -> sp.Expr:
        """rho[a, b] with product-basis labels such as "e,g"."""
        basis = self.model.basis
        for lab in (a, b):
            if lab not in basis:
                raise CgsymError(f"unknown basis state '{lab}' (basis: {', '.join(basis)})")
        return self.require_unique()[basis.index(a), basis.index(b)]

    def lambdify(self):
        """rho as a NumPy callable ``f(values) -> d x d complex array`` (product basis);
        ``values`` maps parameter *names* to numbers.  See also :meth:`evaluate`."""
        from .numerics import lambdify_expr
        f = lambdify_expr(self.require_unique(), self.model)
        return lambda values: f(values).astype(complex)

    def evaluate(self, **values):
        """rho at a point given by plain names: a d x d complex NumPy array.  From the
        exact form where there is one (no SymPy expression built), else through
        :meth:`lambdify`."""
        if self.form is not None and self.unique:
            import numpy as np
            from .numerics import _check_values, check_closed_form_domain
            from .arith.rational_form import evaluate_steady_state
            check_closed_form_domain(self.master_equation.spectrum, values)
            return np.array(evaluate_steady_state(self, _check_values(self.model, values)),
                            dtype=complex)
        return self.lambdify()(values)

    def in_eigenbasis(self) -> ImmutableMatrix:
        """U^dagger rho U: rho in the eigenbasis of H_S (the paper's rho_uu, rho_+-, ...)."""
        U = sp.Matrix(self.master_equation.spectrum.unitary)
        rho = sp.Matrix(self.require_unique())
        from .operators import adjoint
        Ud = sp.Matrix(adjoint(U, self.model.adjoint_mode))
        return ImmutableMatrix((Ud * rho * U).applyfunc(_tidy))

    def __str__(self):
        from .text import steady_state_text
        return steady_state_text(self)

    def _sympystr(self, printer):
        return str(self)

    def _latex(self, printer):
        from .latex import steady_state_latex
        return steady_state_latex(self, printer)


# ---------------------------------------------------------------------------
def real_coordinates(d: int):
    """Coordinate labels: ("p", a, a), then ("x", a, b), ("y", a, b) for a < b."""
    coords = [("p", a, a) for a in range(d)]
    for a in range(d):
        for b in range(a + 1, d):
            coords.append(("x", a, b))
            coords.append(("y", a, b))
    return coords


def coordinate_matrix(c, d):
    """The d x d Hermitian matrix E_c of a real coordinate c = ("p"|"x"|"y", a, b) (see
    :func:`real_coordinates`): rho = sum_c v_c E_c."""
    kind, a, b = c
    E = sp.zeros(d, d)
    if kind == "p":
        E[a, a] = 1
    elif kind == "x":
        E[a, b] = 1
        E[b, a] = 1
    else:
        E[a, b] = sp.I
        E[b, a] = -sp.I
    return E


def real_liouvillian(L, d: int):
    """L acting on the real coordinates of a Hermitian rho (a real matrix).

    Column j is L vec(E_j): one or two columns of L (vec(E_j) has one or two non-zero
    entries), so no d^2 x d^2 matrix-vector product is formed."""
    coords = real_coordinates(d)
    pos = {c: i for i, c in enumerate(coords)}
    N = d * d
    R = sp.zeros(N, N)
    Lm = L if isinstance(L, sp.MatrixBase) else sp.Matrix(L)

    def col(a, b):       # L vec(|a><b|): column a + d b (column stacking)
        return [Lm[k, a + d * b] for k in range(N)]
    for j, c in enumerate(coords):
        kind, a, b = c
        if kind == "p":
            v = col(a, a)
        elif kind == "x":
            v = [s + t for s, t in zip(col(a, b), col(b, a))]
        else:
            v = [sp.I * s - sp.I * t for s, t in zip(col(a, b), col(b, a))]
        M = lambda r, s: v[r + d * s]  # noqa: E731 - unvec
        for a in range(d):
            val = sp.expand(M(a, a))
            if val != 0:
                R[pos[("p", a, a)], j] = val
            for b in range(a + 1, d):
                re = sp.expand((M(a, b) + M(b, a)) / 2)
                im = sp.expand((M(a, b) - M(b, a)) / (2 * sp.I))
                if re != 0:
                    R[pos[("x", a, b)], j] = re
                if im != 0:
                    R[pos[("y", a, b)], j] = im
    if any(e.has(sp.I) for e in R):
        from .arith.algebra import real_part_of_real
        R = R.applyfunc(lambda e: real_part_of_real(e, "a Liouvillian entry on the real "
                                                       "coordinates of rho (Hermiticity)"))
    if any(e.has(sp.I) for e in R):
        raise CgsymError("internal error: the Liouvillian does not preserve Hermiticity")
    return R, coords


def _random_point(symbols, seed):
    import random
    rng = random.Random(seed)
    return {s: sp.Rational(rng.randint(1000, 9999), rng.randint(1000, 9999)) for s in symbols}


#: a prime for rank proofs modulo p (2**61 - 1)
_PRIME = 2305843009213693951


def _rank_mod_prime(B):
    """Rank of a rational matrix modulo _PRIME (a lower bound on its rank over QQ), or
    None when a denominator vanishes modulo the prime."""
    import flint
    vals = []
    for e in B:
        if not e.is_Rational:      # a constant such as pi or E (a golden-rule 2 pi g)
            return None
        if e.q % _PRIME == 0:
            return None
        vals.append(int(e.p) * pow(int(e.q), -1, _PRIME) % _PRIME)
    return flint.nmod_mat(B.rows, B.cols, vals, _PRIME).rank()


def _rank_at_point(A, seed):
    """Exact rank of A at a random rational point (a lower bound on its generic rank).

    A full rank modulo a prime proves a full rank over QQ (the rank modulo p is a lower
    bound): 0.014 s against 0.73 s over QQ for a 30-coordinate coherence block of the
    three-qubit chain (98 s over QQ for the four-qubit chain's 112 block); anything
    else is decided over QQ."""
    pt = _random_point(sorted(A.free_symbols, key=str), seed)
    B = A.xreplace(pt)
    if B.rows and B.cols and _rank_mod_prime(B) == min(B.rows, B.cols):
        return min(B.rows, B.cols)
    dM = DomainMatrix.from_Matrix(B)
    return dM.convert_to(dM.domain.get_field()).rank()


def _kernel(A):
    """Basis of the kernel of a real symbolic block, for generic parameters.

    A full rank at a random rational point proves the kernel is trivial (the
    generic rank is at least the rank at any point), which is the common case
    for coherence blocks; otherwise fraction-free elimination over QQ(gens).
    """
    if A.rows == 0:
        return []
    if _rank_at_point(A, 1) == A.cols:
        return []
    dM = DomainMatrix.from_Matrix(A)
    K = dM.to_field().nullspace()
    return [K.to_Matrix().row(i).T for i in range(K.shape[0])] if K.shape[0] else []


def _normalise_kernel_vector(kv, comp, coords):
    """Scale a kernel vector by its trace (sum of populations) when it has one."""
    tr = sum((kv[i] for i, ci in enumerate(comp) if coords[ci][0] == "p"), sp.S.Zero)
    tr = sp.cancel(sp.together(tr))
    if tr == 0:
        return [sp.cancel(x) for x in kv]
    return [sp.cancel(x / tr) for x in kv]


def _tidy(e):
    from .arith.flintalg import tidy_flint
    return tidy_flint(e)


def _check_nullity(R0, comps, claimed, model):
    from math import isqrt
    import mpmath
    from .spectrum import reference_point
    from .symbols import n as occ
    pt = {k: v for k, v in reference_point(model, 3).items()}
    total = 0
    with mpmath.workdps(40):
        for comp in comps:
            A = R0.extract(comp, comp).xreplace(pt)
            A = A.replace(occ, lambda w, T: 1 / (sp.exp(w / T) - 1))
            if len(comp) >= MODULAR_FROM:
                # the d populations are the first real coordinates (real_coordinates)
                d = isqrt(R0.rows)
                k = _nullity_in_balls(A, [i for i, ci in enumerate(comp) if ci < d])
                if k is not None:
                    total += k
                    continue
            M = mpmath.matrix([[mpmath.mpf(sp.N(x, 45)) for x in A.row(i)] for i in range(A.rows)])
            sv = mpmath.svd_r(M, compute_uv=False)
            top = max(sv) if len(sv) else 0
            total += sum(1 for x in sv if x <= mpmath.mpf(10) ** -25 * max(top, 1))
    if total != claimed:
        raise CgsymError(f"internal error: kernel dimension {claimed} from exact elimination but "
                         f"{total} numerically; the steady state may be degenerate at these values")


def _nullity_in_balls(A, pops):
    """Nullity 0 or 1 of a numeric block, certified in ball arithmetic (python-flint
    ``arb_mat``, 200 bits), or None when the balls do not decide (the caller's 40-digit
    SVD then does).  Each non-zero entry is a ball of radius 1e-25 max|A| around its
    value (the reference point is a 30-digit one; the SVD's threshold is 1e-25 of the
    largest singular value), so "regular" means regular for every such perturbation.

    0: det A excludes 0.  1: the population rows sum to 0 (a ball containing 0 in every
    column: trace preservation) and A with one population row replaced by the trace row
    is regular, so rank A = n - 1.  Milliseconds for the four-qubit chain's
    112-coordinate block, against 8 s for mpmath's SVD."""
    import flint
    n = A.rows
    with flint.ctx.workprec(200):
        vals = [sp.N(x, 45) if x != 0 else None for x in A]
        if all(v is None for v in vals):
            return None
        rad = f"{max(abs(float(v)) for v in vals if v is not None) * 1e-25:.3e}"
        M = flint.arb_mat(n, n, [flint.arb(str(v), rad) if v is not None else flint.arb(0)
                                 for v in vals])
        if not M.det().contains(0):
            return 0
        if not pops:
            return None
        for j in range(n):
            col = sum((M[i, j] for i in pops), flint.arb(0))
            if not col.contains(0):
                return None
        for j in range(n):
            M[pops[0], j] = flint.arb(1 if j in pops else 0)
        if not M.det().contains(0):
            return 1
    return None


#: population blocks of at least this many real coordinates are solved by evaluation
#: modulo primes, interpolation and an exact proof (:mod:`cgsym.arith.modular`): Bareiss and
#: the sparse elimination swell there (the four-qubit chain's 43-coordinate block did
#: not finish in 400 s; its proved answer has total degree 20).  Smaller blocks, which
#: include every shipped model's, keep the fraction-free solve and its closed forms.
MODULAR_FROM = 32


def _modular_block(comp, back) -> bool:
    """A product-basis population block that goes straight to the modular solve: at
    least MODULAR_FROM coordinates and no radical among its generators (the eigenbasis
    route exists for blocks whose radicals swell the product-basis solve; without
    radicals it only rebuilds the Liouvillian to find a larger block: 70 against 43 for
    the four-qubit chain, ~8 s of CPU)."""
    return len(comp) >= MODULAR_FROM and not any(isinstance(a, sp.Pow) for a in back.values())


def _solve_population_block(A, comp, coords, gens, relations=(), sparse=False):
    """Unique stationary vector of the block holding the populations, via flint.

    One population equation is redundant (trace preservation); it is replaced by
    the trace condition sum_a rho_aa = 1 and the square system is solved by
    fraction-free elimination.  Returns (ring, nums, den) or None if singular.
    """
    from .arith.flintalg import Ring, common_denominator, solve_fraction_free, solve_sparse
    ring = Ring(gens)
    pops = [i for i, ci in enumerate(comp) if coords[ci][0] == "p"]
    N = len(comp)
    rows = []
    for i in range(N):
        if i == pops[0]:
            rows.append([ring.from_sympy(1 if j in pops else 0)[0] for j in range(N)])
        else:
            # scale the row by the lcm of its denominators (same solution)
            row, _ = common_denominator(ring, [ring.from_rational(A[i, j]) for j in range(N)])
            if relations:
                from .arith.flintalg import reduce_radicals
                row = [reduce_radicals(x, relations) for x in row]
            rows.append(row)
    b = [ring.from_sympy(1 if i == pops[0] else 0)[0] for i in range(N)]
    solver = solve_sparse if sparse else solve_fraction_free
    if N >= MODULAR_FROM and not relations:
        from .arith.modular import solve_modular
        solver = solve_modular
    try:
        nums, den = solver(ring, rows, b)
    except CgsymError as e:
        from .arith.modular import ModularSolveFailed
        if isinstance(e, ModularSolveFailed):
            raise
        return None
    g = den
    for x in nums:
        g = g.gcd(x)
    return ring, [x // g for x in nums], den // g


def steady_state(me: MasterEquation) -> SteadyState:
    """Exact steady state(s) of a master equation (see module doc for the method).

    The kernel of the Liouvillian, found block by block in real coordinates with
    fraction-free elimination; the state is normalised to unit trace.  A kernel of
    dimension > 1 is reported (``unique`` False, with the stationary manifold), never
    an arbitrary pick; when that kernel involves a block of more than EIGENBASIS_FROM
    coordinates, whose symbolic nullspace does not finish, a ``CgsymError`` says so in
    one line (dimension from ranks modulo a prime at two random points).  ``matrix`` is rho in the product basis, ``in_eigenbasis()``
    in the eigenbasis of H_S.

    Examples
    --------
    >>> import cgsym, sympy as sp
    >>> d = cgsym.derive("tunnelling-qubit", "secular", weak_internal=True)
    >>> ss = cgsym.steady_state(d.master_equation)
    >>> ss.unique, sp.cancel(ss.matrix.trace())
    (True, 1)
    """
    d = me.dim
    R0, coords = real_liouvillian(me.liouvillian(), d)
    R, back = polynomial_form(R0)
    comps = sparsity_components(R)
    blocks = tuple(tuple(c) for c in comps)
    # fast path: every block but the population block has a trivial kernel (proved by
    # full rank at a random rational point) and the population block has nullity one
    pop_comps = [c for c in comps if any(coords[ci][0] == "p" for ci in c)]
    # a steady state too large to expand in the occupations: solved in named rates
    # (cgsym.structured, imported here only: it builds on this module)
    from .structured import structured_if_too_large
    ss = structured_if_too_large(me, R0, blocks)
    if ss is not None:
        return ss
    if len(pop_comps) == 1 and len(pop_comps[0]) > EIGENBASIS_FROM \
            and not _modular_block(pop_comps[0], back):
        ss = _eigenbasis_steady_state(me, coords, len(pop_comps[0]), blocks)
        if ss is not None:
            return ss
    others_trivial = all(_rank_at_point(R.extract(c, c), 1) == len(c)
                         for c in comps if c not in pop_comps)
    if len(pop_comps) == 1 and others_trivial:
        comp = pop_comps[0]
        A = R.extract(comp, comp)
        if _rank_at_point(A, 2) == len(comp) - 1:
            gens = sorted(set(R.free_symbols) | set(me.model.symbols) | set(back),
                          key=sp.default_sort_key)
            sol = _solve_population_block(A, comp, coords, gens)
            if sol is not None:
                ring, nums, den = sol
                # labelled by the real coordinates ("p", a, a), ("x", a, b), ("y", a, b)
                form = RationalForm(ring, nums, den, back, tuple(coords[ci] for ci in comp))
                _check_nullity(R0, comps, 1, me.model)
                return SteadyState(me, 1, blocks, form)
    return _general_steady_state(me, R0, R, back, comps, coords, blocks)


#: the population block of the real Liouvillian above which the steady state is solved
#: in the eigenbasis of H_S when that block is smaller there (the shipped models' blocks
#: are at most this size, so their closed forms come from the product-basis solve as before)
EIGENBASIS_FROM = 12


def eigenbasis_master_equation(me: MasterEquation) -> MasterEquation:
    """The same master equation written in the eigenbasis of H_S (H_S and every X_m
    transformed by the spectrum's unitary; each operator transformed once)."""
    import dataclasses
    from .operators import adjoint
    U = sp.Matrix(me.spectrum.unitary)
    Ud = sp.Matrix(adjoint(U, me.model.adjoint_mode))
    done = {}

    def to_eig(X):
        key = id(X)
        if key not in done:
            done[key] = (X, ImmutableMatrix((Ud * sp.Matrix(X) * U).applyfunc(sp.expand)))
        return done[key][1]
    terms = tuple(dataclasses.replace(t, X_m=to_eig(t.X_m), X_n=to_eig(t.X_n))
                  for t in me.terms)
    return dataclasses.replace(me, hamiltonian=to_eig(me.hamiltonian), terms=terms)


def _eigenbasis_steady_state(me: MasterEquation, coords, product_block: int, blocks):
    """The unique steady state solved in the eigenbasis of H_S, or None.

    In the eigenbasis the secular dissipator couples populations only to populations
    (and to coherences of degenerate or slow-cluster pairs), so the population block is
    often far smaller than in the product basis, where every eigenvector with several
    components couples coherences in (a three-qubit chain, secular: 8 coordinates
    against 20).  The block is solved by the same fraction-free elimination; radicals of
    the eigenvectors (sqrt(2), sqrt(5 - sqrt(5)), ...) are generators reduced by their
    defining relations g**2 = b (:func:`cgsym.arith.flintalg.reduce_radicals`).  rho is then
    taken back to the product basis exactly, rho = U rho_eig U^dagger, and the
    denominator cleared of radicals by their conjugates.  The form's labels stay the
    product-basis real coordinates, so everything downstream is unchanged.

    Returns None (the caller solves in the product basis) when the eigenbasis block is
    not smaller, the kernel is not one-dimensional there, or a coefficient is not real.
    """
    from .arith.flintalg import radical_relations, rationalise, reduce_radicals
    from .operators import adjoint
    d = me.dim
    model = me.model
    U = sp.Matrix(me.spectrum.unitary)
    Ud = sp.Matrix(adjoint(U, model.adjoint_mode))
    me_eig = eigenbasis_master_equation(me)
    R0e, _ = real_liouvillian(me_eig.liouvillian(), d)
    comps_e = sparsity_components(R0e)
    pop_e = [c for c in comps_e if any(coords[ci][0] == "p" for ci in c)]
    if len(pop_e) != 1 or len(pop_e[0]) >= product_block:
        return None
    comp = pop_e[0]
    # product-basis coordinates of U E_c U^dagger for each eigenbasis coordinate c
    pos = {c: i for i, c in enumerate(coords)}
    T = sp.zeros(len(coords), len(comp))
    for j, ci in enumerate(comp):
        M = U * coordinate_matrix(coords[ci], d) * Ud
        for a in range(d):
            T[pos[("p", a, a)], j] = sp.expand(M[a, a])
            for b in range(a + 1, d):
                T[pos[("x", a, b)], j] = sp.expand((M[a, b] + M[b, a]) / 2)
                T[pos[("y", a, b)], j] = sp.expand((M[a, b] - M[b, a]) / (2 * sp.I))
    if any(e.has(sp.I) for e in T):
        return None
    both, back = polynomial_form(ImmutableMatrix.hstack(R0e, T))
    R, T = both[:, :R0e.cols], both[:, R0e.cols:]
    if not all(_rank_at_point(R.extract(c, c), 1) == len(c) for c in comps_e if c != comp):
        return None
    A = R.extract(comp, comp)
    if _rank_at_point(A, 2) != len(comp) - 1:
        return None
    gens = sorted(set(both.free_symbols) | set(model.symbols) | set(back),
                  key=sp.default_sort_key)
    from .arith.flintalg import Ring
    relations = radical_relations(Ring(gens), back)
    sol = _solve_population_block(A, comp, coords, gens, relations, sparse=True)
    if sol is None:
        return None
    ring, nums_e, den = sol
    rows = [k for k in range(len(coords)) if any(T[k, j] != 0 for j in range(len(comp)))]
    nums = []
    for k in rows:
        pairs = [ring.from_rational(T[k, j]) for j in range(len(comp))]
        if any(q.total_degree() > 0 for _, q in pairs):
            return None
        acc = ring.ctx.from_dict({})
        scale = 1
        for _, q in pairs:
            scale = scale * int(q.leading_coefficient()) // _igcd(scale, int(q.leading_coefficient()))
        for (c, q), x in zip(pairs, nums_e):
            if not c.is_zero():
                acc += c * (scale // int(q.leading_coefficient())) * x
        nums.append((acc, scale))
    # one common denominator: v_k = acc_k / (scale_k den)
    L = 1
    for _, s in nums:
        L = L * s // _igcd(L, s)
    nums = [acc * (L // s) for acc, s in nums]
    out = rationalise(nums, den * L, relations)
    if out is None:
        return None
    nums, den = out
    g = den
    for x in nums:
        g = g.gcd(x)
    nums, den = [x // g for x in nums], den // g
    keep = [i for i, x in enumerate(nums) if not x.is_zero()]
    form = RationalForm(ring, [nums[i] for i in keep], den, back,
                        tuple(coords[rows[i]] for i in keep))
    _check_nullity(R0e, comps_e, 1, model)
    return SteadyState(me, 1, blocks, form)


def _igcd(a, b):
    from math import gcd
    return gcd(a, b)


def _nullity_at_random_points(A, seeds=(3, 4)):
    """Nullity of a block modulo a prime at two random rational points (the smaller of
    the two; each is an upper bound on the generic nullity, equal to it unless a point
    is unlucky), or None when a denominator vanishes modulo the prime."""
    out = []
    syms = sorted(A.free_symbols, key=str)
    for seed in seeds:
        r = _rank_mod_prime(A.xreplace(_random_point(syms, seed)))
        if r is None:
            return None
        out.append(A.cols - r)
    return min(out)


def _refuse_large_manifold(me, R, comps):
    """A kernel of dimension > 1 involving a block of more than EIGENBASIS_FROM
    coordinates: one clear line instead of the symbolic nullspace of that block
    (fraction-free elimination over QQ(gens), which does not finish: the four-qubit
    ring's 43-coordinate population block; the 16-coordinate population block of two
    exchange-coupled pairs of which one couples to no reservoir, secular, > 150 s).
    Blocks all that small or smaller (every shipped model's) keep the stationary
    manifold."""
    if not any(len(c) > EIGENBASIS_FROM for c in comps):
        return
    total, large = 0, []
    for comp in comps:
        k = _nullity_at_random_points(R.extract(comp, comp))
        if k is None:
            return
        total += k
        if k and len(comp) > EIGENBASIS_FROM:
            large.append(len(comp))
    if total > 1 and large:
        raise CgsymError(
            f"the steady state is not unique: the Liouvillian's kernel has dimension {total} "
            f"at two random points of the parameters (ranks modulo a prime); its symbolic "
            f"stationary manifold (a {max(large)}-coordinate block) is not computed: use "
            f"'cgsym evaluate --numeric' for the stationary states at given values")


def _general_steady_state(me, R0, R, back, comps, coords, blocks) -> SteadyState:
    _refuse_large_manifold(me, R, comps)
    d = me.dim
    kernel_vectors = []  # full-length coordinate vectors
    for comp in comps:
        A = R.extract(comp, comp)
        for kv in _kernel(A):
            kv = _normalise_kernel_vector(kv, comp, coords)
            full = [sp.S.Zero] * len(coords)
            for i, ci in enumerate(comp):
                full[ci] = kv[i]
            kernel_vectors.append(full)
    dim = len(kernel_vectors)
    # back to the true atoms.  The kernel vectors are exact identities in the
    # generators, hence kernel vectors at the true values too; but true values could
    # make the kernel larger than for independent generators, so check the dimension
    # numerically (40 digits) at a sample point with the true atom values.
    kernel_vectors = [[sp.sympify(x).xreplace(back) for x in v] for v in kernel_vectors]
    _check_nullity(R0, comps, len(kernel_vectors), me.model)

    def to_rho(v):
        rho = sp.zeros(d, d)
        for val, c in zip(v, coords):
            if val != 0:
                rho += val * coordinate_matrix(c, d)
        return rho

    mats = []
    for v in kernel_vectors:
        rho = to_rho(v)
        tr = sp.cancel(sp.together(rho.trace()))
        if tr != 0:
            rho = rho / tr
        mats.append(ImmutableMatrix(rho.applyfunc(_tidy)))
    if dim == 1:
        return SteadyState(me, 1, blocks, stored=(tuple(mats), tuple(kernel_vectors[0])))
    if dim == 0:
        raise CgsymError("internal error: the Liouvillian has no kernel (it is not trace preserving)")
    return SteadyState(me, dim, blocks, stored=(tuple(mats), ()))
