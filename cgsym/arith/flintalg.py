"""Fraction-free exact linear algebra and rational-function tidying in python-flint.

SymPy's own multivariate polynomials are pure Python; for the steady state of a
two-qubit partial-secular model they need seconds per solve and seconds per
``cancel``.  Here the block system is solved by Bareiss elimination directly in
flint's ``fmpz_mpoly`` (multivariate polynomials over the integers), the common
denominator is cancelled with one gcd, and flint's ``factor`` gives the compact
closed forms.  Expressions enter and leave as SymPy expressions; non-polynomial
atoms (n(w, T), exp, radicals) are generators (see :mod:`cgsym.arith.algebra`).
"""
from __future__ import annotations

import itertools
from math import lcm

import flint
import sympy as sp

from .algebra import polynomial_form
from ..errors import CgsymError


class Ring:
    """A flint polynomial ring over ZZ in the given SymPy generators."""

    def __init__(self, gens):
        self.gens = tuple(gens)
        names = tuple(f"v{i}" for i in range(max(1, len(self.gens))))
        self.ctx = flint.fmpz_mpoly_ctx.get(names, "lex")

    def from_sympy(self, expr):
        """(integer polynomial p, positive integer q) with expr = p / q."""
        expr = sp.sympify(expr)
        if expr == 0:
            return self.ctx.from_dict({}), 1
        if self.gens:
            poly = sp.Poly(expr, *self.gens, domain=sp.QQ)
            terms = poly.terms()
        else:
            terms = [((0,), sp.Rational(expr))]
        q = 1
        for _, c in terms:
            q = lcm(q, int(sp.Rational(c).q))
        d = {}
        for mon, c in terms:
            c = sp.Rational(c) * q
            mon = tuple(mon) if self.gens else (0,)
            d[mon] = int(c)
        return self.ctx.from_dict(d), q

    def from_rational(self, expr):
        """(num, den) flint polynomials with expr = num/den (expr rational in the gens)."""
        expr = sp.sympify(expr)
        num, den = sp.fraction(sp.together(expr))
        fn, qn = self.from_sympy(sp.expand(num))
        fd, qd = self.from_sympy(sp.expand(den))
        return fn * qd, fd * qn

    def one(self):
        return self.ctx.from_dict({(0,) * self.ctx.nvars(): 1})

    def to_sympy(self, p):
        if p.is_zero():
            return sp.S.Zero
        if not self.gens:
            return sp.Integer(int(p.to_dict()[(0,)]))
        d = {tuple(int(e) for e in mon): int(c) for mon, c in p.to_dict().items()}
        return sp.Poly.from_dict(d, *self.gens, domain=sp.ZZ).as_expr()

    def factored(self, p):
        """SymPy product of flint's irreducible factors of p."""
        if p.is_zero():
            return sp.S.Zero
        c, facs = p.factor()
        out = sp.Integer(int(c))
        for f, e in facs:
            out *= self.to_sympy(f) ** int(e)
        return out


def canonical_fraction(num, den):
    """(num, den) cancelled by their gcd, with den's leading coefficient positive: the one
    canonical form of a fraction of flint polynomials (num must be non-zero)."""
    g = num.gcd(den)
    num, den = num // g, den // g
    if int(den.leading_coefficient()) < 0:
        num, den = -num, -den
    return num, den


def ratio(ring: Ring, num, den, factor: bool = True):
    """num/den (flint polynomials) cancelled by their gcd, as a SymPy expression."""
    if num.is_zero():
        return sp.S.Zero
    num, den = canonical_fraction(num, den)
    if factor:
        return ring.factored(num) / ring.factored(den)
    return ring.to_sympy(num) / ring.to_sympy(den)


def _monomial(a, index: dict, nv: int):
    """(exponent vector, integer coefficient) of a term c * g1^k1 * ... with c an integer
    and the g generators of ``index`` to positive integer powers, else None."""
    if a.is_Integer:
        return (0,) * nv, int(a)
    c, exps = 1, [0] * nv
    for f in (a.args if a.is_Mul else (a,)):
        if f.is_Integer:
            c *= int(f)
            continue
        k = 1
        if f.is_Pow:
            f, k = f.base, f.exp
            if not (k.is_Integer and k > 0):
                return None
            k = int(k)
        i = index.get(f)
        if i is None:
            return None
        exps[i] += k
    return tuple(exps), c


#: the largest matrix whose determinant is expanded by minors (:func:`_prefix_minors`);
#: above it, Bareiss elimination
DET_MINORS_MAX = 14


def determinant_poly(ring: Ring, A, minors_out=None):
    """det A for a square matrix A (list of rows) of flint polynomials.

    Up to DET_MINORS_MAX rows: Laplace expansion by the minors on growing sets of rows
    (:func:`_prefix_minors`, the sparsest rows first, a row of constants last among
    equals): division-free, every value an exact minor, so products are (minor x small
    entry).  A 12 x 12 rate matrix with two-term entries (64k-term determinant) takes
    seconds this way; Bareiss' elimination, which multiplies and divides minors by
    minors, took 152 s.  ``minors_out`` (a list) receives ``(rows, {T: minor})``: the
    minors of all rows but the last processed (in increasing order ``rows``) on every
    (n-1)-set of columns T, with their sign fixed to that row order -- Cramer's
    numerators are exactly these.  Larger matrices: Bareiss (every division exact),
    the sparsest nonzero pivot of each column first (a row swap flips the sign)."""
    n = len(A)
    zero = ring.ctx.from_dict({})
    if n <= DET_MINORS_MAX:
        order = sorted(range(n), key=lambda i: (sum(not x.is_zero() for x in A[i]),
                                                all(x.total_degree() <= 0 for x in A[i]), i))

        def parity(seq):
            return sum(seq[a] > seq[b] for a in range(len(seq)) for b in range(a + 1, len(seq)))
        level, prev = {}, {}
        for level in _prefix_minors([A[i] for i in order], n):
            if not level:
                return zero
            if len(next(iter(level))) == n - 1:
                prev = level
        if minors_out is not None and n > 1:
            flip = parity(order[:-1]) % 2
            minors_out.append((tuple(sorted(order[:-1])),
                               {T: (-m if flip else m) for T, m in prev.items()}))
        d = level.get(tuple(range(n)), zero)
        return -d if parity(order) % 2 else d
    M = [list(r) for r in A]
    prev, sign = ring.one(), 1
    for k in range(n - 1):
        rows = [r for r in range(k, n) if not M[r][k].is_zero()]
        if not rows:
            return zero
        piv = min(rows, key=lambda r: (len(M[r][k]), r))
        if piv != k:
            M[k], M[piv] = M[piv], M[k]
            sign = -sign
        p = M[k][k]
        for i in range(k + 1, n):
            a = M[i][k]
            for j in range(k + 1, n):
                v = p * M[i][j] if a.is_zero() else p * M[i][j] - a * M[k][j]
                M[i][j] = v if prev == 1 else v // prev
            M[i][k] = zero
        prev = p
    d = M[n - 1][n - 1]
    return d if sign > 0 else -d


def _minor_key(matrix, rows, cols):
    return ("minor", tuple(tuple(matrix[i, j] for j in cols) for i in rows))


def determinant_fraction(ring: Ring, index: dict, matrix, memo=None):
    """(num, den) of det(matrix), a SymPy matrix whose entries are rational functions
    of the generators: each row over the lcm of its denominators, then
    :func:`determinant_poly` (exact; det A = det(rows times L_i) / prod L_i).

    A row or column with one nonzero entry is expanded along first, and the minors
    of every determinant computed are kept in ``memo`` by their entries: Cramer's
    numerators D_k (column k of A replaced by a unit vector e_r) are the minors of A
    without row r, found there after det A (13 determinants of a 12 x 12 system cost
    about one)."""
    if memo is None:
        memo = {}
    n = matrix.rows
    got = memo.get(_minor_key(matrix, range(n), range(n)))
    if got is not None:
        return got
    if n > 1:
        # a column, then a row, with a single (structurally) nonzero entry
        single = None
        for k in range(n):
            nz = [i for i in range(n) if matrix[i, k] != 0]
            if not nz:
                return ring.ctx.from_dict({}), ring.one()
            if len(nz) == 1:
                single = (nz[0], k)
                break
        if single is None:
            for i in range(n):
                nz = [j for j in range(n) if matrix[i, j] != 0]
                if not nz:
                    return ring.ctx.from_dict({}), ring.one()
                if len(nz) == 1:
                    single = (i, nz[0])
                    break
        if single is not None:
            i0, j0 = single
            sub = matrix.extract([i for i in range(n) if i != i0],
                                 [j for j in range(n) if j != j0])
            sn, sd = determinant_fraction(ring, index, sub, memo)
            en, ed = fraction_tree(ring, index, matrix[i0, j0], memo)
            num = sn * en
            if num.is_zero():
                return num, ring.one()
            return canonical_fraction(-num if (i0 + j0) % 2 else num, sd * ed)
    rows, dens, Ls = [], ring.one(), []
    for i in range(n):
        fr = [fraction_tree(ring, index, matrix[i, j], memo) for j in range(matrix.cols)]
        L = ring.one()
        for _, d in fr:
            L = L * (d // L.gcd(d))
        rows.append([nm * (L // d) for nm, d in fr])
        dens = dens * L
        Ls.append(L)
    out: list = []
    num = determinant_poly(ring, rows, out)
    for kept, minors in out:
        den_kept = ring.one()
        for i in kept:
            den_kept = den_kept * Ls[i]
        for T in itertools.combinations(range(n), n - 1):
            m = minors.get(T)
            memo[_minor_key(matrix, kept, T)] = (
                (ring.ctx.from_dict({}), ring.one()) if m is None
                else canonical_fraction(m, den_kept))
    if num.is_zero():
        return num, ring.one()
    return canonical_fraction(num, dens)


def determinants_first(ring: Ring, index: dict, e, memo: dict) -> None:
    """Compute the determinants in ``e`` into ``memo`` before :func:`fraction_tree`
    reads it, those without a single-entry row or column first: their minors are then
    at hand for Cramer's numerators (:func:`determinant_fraction`)."""
    dets = {x for x in sp.preorder_traversal(e) if isinstance(x, sp.Determinant)}

    def has_single(D):
        m = D.arg
        return any(sum(m[i, k] != 0 for i in range(m.rows)) == 1 for k in range(m.cols)) \
            or any(sum(m[i, k] != 0 for k in range(m.cols)) == 1 for i in range(m.rows))
    for D in sorted(dets, key=lambda D: (has_single(D), -D.arg.rows, sp.default_sort_key(D))):
        fraction_tree(ring, index, D, memo)


def fraction_tree(ring: Ring, index: dict, e, memo=None):
    """(num, den) flint polynomials with e = num/den, built along the expression tree.

    ``e`` is a rational function with rational coefficients in the ring's generators
    (``index`` maps each generator to its position).  Sums are brought over the lcm of
    the denominators, products cross-cancelled, so no expanded common denominator of
    the whole expression is ever formed (SymPy's ``together`` is the slow part of a
    cancel on large closed forms).  An unevaluated :class:`sympy.Determinant` of a
    matrix of such functions is computed exactly (:func:`determinant_fraction`), once
    per distinct matrix (``memo``: Cramer's rule shares the denominator det A).
    """
    if memo is None:
        memo = {}
    if isinstance(e, sp.Determinant):
        got = memo.get(e)
        if got is None:
            got = memo[e] = determinant_fraction(ring, index, e.arg, memo)
        return got
    ctx = ring.ctx
    nv = ctx.nvars()
    if e.is_Rational:
        return (ctx.from_dict({(0,) * nv: int(e.p)}) if e.p else ctx.from_dict({}),
                ctx.from_dict({(0,) * nv: int(e.q)}))
    if e in index:
        mon = [0] * nv
        mon[index[e]] = 1
        return ctx.from_dict({tuple(mon): 1}), ring.one()
    if e.is_Add:
        # monomial terms (integer x generators to positive integer powers) go into one
        # dict and one flint polynomial: an expanded 3,000-term numerator read term by
        # term costs a flint product per factor (most of a compact form's proof)
        mono, rest = {}, []
        for a in e.args:
            m = _monomial(a, index, nv)
            if m is None:
                rest.append(a)
            else:
                mono[m[0]] = mono.get(m[0], 0) + m[1]
        # the others pairwise, as a balanced tree: adding 10^4 terms one by one to a
        # growing sum copies it each time (quadratic: 11 s for one 20k-term current)
        parts = [fraction_tree(ring, index, a, memo) for a in rest]
        if mono:
            parts.append((ctx.from_dict({k: c for k, c in mono.items() if c}), ring.one()))
        while len(parts) > 1:
            nxt = []
            for k in range(0, len(parts) - 1, 2):
                (n1, d1), (n2, d2) = parts[k], parts[k + 1]
                if d1 == d2:
                    nxt.append((n1 + n2, d1))
                    continue
                g = d1.gcd(d2)
                nxt.append((n1 * (d2 // g) + n2 * (d1 // g), d1 * (d2 // g)))
            if len(parts) % 2:
                nxt.append(parts[-1])
            parts = nxt
        num, den = parts[0]
        g = num.gcd(den)
        return num // g, den // g
    if e.is_Mul:
        num, den = ring.one(), ring.one()
        for a in e.args:
            n2, d2 = fraction_tree(ring, index, a, memo)
            g1, g2 = num.gcd(d2), n2.gcd(den)
            num, den = (num // g1) * (n2 // g2), (den // g2) * (d2 // g1)
        return num, den
    if e.is_Pow and e.exp.is_Integer:
        num, den = fraction_tree(ring, index, e.base, memo)
        k = int(e.exp)
        if k < 0:
            if num.is_zero():
                raise ZeroDivisionError("division by zero in a rational function")
            num, den, k = den, num, -k
        return num ** k, den ** k
    raise ValueError(f"not a rational function of the generators: {e}")


def tidy_flint(expr, factor: bool = True):
    """Cancel (and factor) a rational function using flint; atoms kept intact."""
    expr = sp.sympify(expr)
    if expr == 0 or expr.is_Number:
        return expr
    p, back = polynomial_form(expr)
    if not p.has(sp.I):
        gens = sorted(p.free_symbols, key=sp.default_sort_key)
        ring = Ring(gens)
        try:
            num, den = fraction_tree(ring, {g: i for i, g in enumerate(gens)}, p)
        except ValueError:
            pass   # not rational in the generators: the general route below decides
        else:
            if den.is_zero():
                raise ZeroDivisionError("division by zero in a rational function")
            # a negative leading coefficient of den is moved to num by ratio's factoring
            return ratio(ring, num, den, factor).xreplace(back)
    num, den = sp.fraction(sp.together(p))
    num, den = sp.expand(num), sp.expand(den)
    if den.has(sp.I):
        # Gaussian-rational denominator: flint's fmpz_mpoly has integer coefficients,
        # so let SymPy cancel over QQ<I> (rare: stationary manifolds with coherences)
        from .algebra import tidy
        return tidy(expr, factor)
    gens = sorted(p.free_symbols, key=sp.default_sort_key)
    ring = Ring(gens)
    fd, qd = ring.from_sympy(den)
    # a complex numerator num = a + I*b (a, b free of I) is tidied part by part
    a, b = num.subs(sp.I, 0), sp.expand((num - num.subs(sp.I, 0)) / sp.I)
    out = sp.S.Zero
    for part, unit in ((a, sp.S.One), (b, sp.I)):
        if part == 0:
            continue
        fn, qn = ring.from_sympy(part)
        # part/den = (fn/qn) / (fd/qd) = (fn*qd) / (fd*qn)
        out += unit * ratio(ring, fn * qd, fd * qn, factor)
    return out.xreplace(back)


def common_denominator(ring: Ring, pairs):
    """Given [(num, den), ...] return ([num_i * (L // den_i)], L) with L = lcm of the dens."""
    L = ring.one()
    for _, d in pairs:
        L = L * d // L.gcd(d)
    return [nm * (L // d) for nm, d in pairs], L


#: the largest system :func:`solve_fraction_free` solves by cofactors (the minors over
#: all column subsets: 2^n of them)
COFACTOR_MAX = 10


def _prefix_minors(rows, n: int):
    """For k = 1, 2, ...: ``{T: det(rows[:k] x columns T)}`` over the k-subsets T of
    range(n) (sorted tuples; nonzero minors only), by Laplace expansion along row k:
    division-free, and every entry is an exact minor (no growth beyond the minors)."""
    minors = {(): None}
    for k, row in enumerate(rows):
        new = {}
        for T in itertools.combinations(range(n), k + 1):
            acc = None
            for idx, c in enumerate(T):
                a = row[c]
                if a.is_zero():
                    continue
                S = T[:idx] + T[idx + 1:]
                if S not in minors:
                    continue
                m = minors[S]
                term = a if m is None else a * m
                if (k + idx) % 2:
                    term = -term
                acc = term if acc is None else acc + term
            if acc is not None and not acc.is_zero():
                new[T] = acc
        minors = new
        yield minors


def _solve_by_cofactors(ring: Ring, A, b, r: int):
    """Exactly Bareiss' ``(nums, den)`` for a b whose only nonzero entry is b[r]:
    nums = s adj(A) b (the cofactors of row r times b[r]) and den = s det(A), where
    s = +-1 is the sign of the row permutation Bareiss' pivoting would make (found
    from the zero pattern of the minors on the leading columns, which decides each
    pivot).  Bareiss divides products of the largest minors in its back-substitution
    (the detuned qubits' 6 x 6 population block: 4 s); here every value is a minor,
    built by Laplace expansion (0.02 s)."""
    n = len(A)
    # Bareiss' pivots: step k takes the first remaining row i (in its current order)
    # with det(A[chosen + (i,), :k+1]) != 0; the transpose's leading-row minors
    order, swaps, det = list(range(n)), 0, None
    columns = [[A[i][j] for i in range(n)] for j in range(n)]
    for k, level in enumerate(_prefix_minors(columns, n)):
        piv = next((p for p in range(k, n)
                    if tuple(sorted(order[:k] + [order[p]])) in level), None)
        if piv is None:
            raise CgsymError("singular system")
        if piv != k:
            order[k], order[piv] = order[piv], order[k]
            swaps += 1
        if k == n - 1:
            det = level[tuple(range(n))]
    sign = -1 if swaps % 2 else 1
    minors = {}
    for minors in _prefix_minors([A[i] for i in range(n) if i != r], n):
        pass
    full = tuple(range(n))
    zero = ring.ctx.from_dict({})
    x = []
    for j in range(n):
        m = minors.get(full[:j] + full[j + 1:], zero)
        x.append(m * b[r] if (r + j + (sign < 0)) % 2 == 0 else -(m * b[r]))
    return x, (det if sign > 0 else -det)


def solve_fraction_free(ring: Ring, A, b):
    """Solve A x = b over QQ(gens) by Bareiss elimination in flint.

    ``A`` (list of rows) and ``b`` hold flint polynomials.  Returns
    ``(nums, den)`` with A nums = den b exactly (verified), or raises when A is
    singular.  A small system (n <= COFACTOR_MAX) whose b has one nonzero entry (the
    steady state's trace condition) gets the same polynomials from its cofactors
    (:func:`_solve_by_cofactors`), verified the same way.
    """
    n = len(A)
    nonzero = [i for i in range(n) if not b[i].is_zero()]
    if 1 < n <= COFACTOR_MAX and len(nonzero) == 1:
        x, det = _solve_by_cofactors(ring, A, b, nonzero[0])
        _verify_solution(ring, A, b, x, det)
        return x, det
    M = [list(row) + [b[i]] for i, row in enumerate(A)]
    prev = ring.ctx.from_dict({(0,) * ring.ctx.nvars(): 1})
    for k in range(n):
        piv = next((r for r in range(k, n) if not M[r][k].is_zero()), None)
        if piv is None:
            raise CgsymError("singular system")
        if piv != k:
            M[k], M[piv] = M[piv], M[k]
        for i in range(k + 1, n):
            for j in range(k + 1, n + 1):
                M[i][j] = (M[k][k] * M[i][j] - M[i][k] * M[k][j]) // prev
            M[i][k] = ring.ctx.from_dict({})
        prev = M[k][k]
    det = M[n - 1][n - 1]
    x = [None] * n
    for k in range(n - 1, -1, -1):
        s = det * M[k][n]
        for j in range(k + 1, n):
            s -= M[k][j] * x[j]
        x[k] = s // M[k][k]
    _verify_solution(ring, A, b, x, det)
    return x, det


def _verify_solution(ring: Ring, A, b, x, det):
    """The exact check A x = det b (det != 0), or an internal error."""
    n = len(A)
    if det.is_zero():
        raise CgsymError("singular system")
    for i in range(n):
        acc = ring.ctx.from_dict({})
        for j in range(n):
            if not A[i][j].is_zero():
                acc += A[i][j] * x[j]
        if acc != det * b[i]:
            raise CgsymError("internal error: fraction-free solve failed its exact check")


# ---------------------------------------------------------------------------
# radicals: generators related by their minimal polynomials (issue 13, item 5)
# ---------------------------------------------------------------------------
def radical_relations(ring: Ring, back) -> tuple:
    """The square roots among the ring's generators, with their defining relations.

    Returns ``((i, b), ...)``: generator ``i`` stands for sqrt(B) and g_i**2 = b, where
    ``b`` is B as an integer polynomial in the ring's generators (sqrt(2): b = 2;
    sqrt(5 - sqrt(5)): b = 5 - g_j with g_j = sqrt(5)).  A radicand that is not an
    integer polynomial in the generators (a fraction, another root) gives no relation:
    that generator stays free, which is exact but does not reduce.  Ordered outermost
    first (a radicand is a strict sub-expression of its root, so the order exists).
    """
    fwd = {a: g for g, a in back.items()}
    index = {g: i for i, g in enumerate(ring.gens)}
    out = []
    for g in ring.gens:
        a = back.get(g)
        if a is None or not (isinstance(a, sp.Pow) and a.exp == sp.S.Half):
            continue
        b = sp.expand(a.base.xreplace(fwd))
        if b.free_symbols - set(ring.gens):
            continue
        try:
            num, q = ring.from_sympy(b)
        except (sp.PolynomialError, ValueError, TypeError):
            continue
        if q != 1:
            continue
        out.append((sp.count_ops(a) + len(a.atoms(sp.Pow)), index[g], num))
    out.sort(key=lambda t: -t[0])
    return tuple((i, b) for _, i, b in out)


def reduce_radicals(p, relations):
    """p with every power g_i**e (e >= 2) of a radical generator rewritten by
    g_i**2 = b_i, until each appears at most linearly: the same value, exactly, at the
    true radicals (the representative of p modulo the relations)."""
    if not relations or p.is_zero():
        return p
    ctx = p.context()
    for _ in range(64):
        changed = False
        for i, b in relations:
            if p.degrees()[i] < 2:
                continue
            groups: dict = {}
            for mon, c in zip(p.monoms(), p.coeffs()):
                mon = list(mon)
                k, mon[i] = divmod(mon[i], 2)
                groups.setdefault(k, {})[tuple(mon)] = c
            acc = ctx.from_dict({})
            for k, terms in groups.items():
                q = ctx.from_dict(terms)
                acc += q * b ** k if k else q
            p = acc
            changed = True
        if not changed:
            return p
    raise CgsymError("internal error: the radical relations do not terminate")


def _conjugate(p, i):
    """p with g_i -> -g_i."""
    ctx = p.context()
    return ctx.from_dict({mon: (-c if mon[i] % 2 else c)
                          for mon, c in zip(p.monoms(), p.coeffs())})


def rationalise(nums, den, relations):
    """(nums', den') with nums'/den' = nums/den at the true radicals and den' free of
    every radical generator that has a relation: numerators and denominator multiplied
    by the conjugate of den (g_i -> -g_i), outermost radical first, each product
    reduced.  Returns None if den reduces to zero (den vanishes at the radicals)."""
    nums = [reduce_radicals(x, relations) for x in nums]
    den = reduce_radicals(den, relations)
    for _ in range(8):
        if den.is_zero():
            return None
        todo = [(i, b) for i, b in relations if den.degrees()[i] > 0]
        if not todo:
            return nums, den
        for i, _b in todo:
            if den.degrees()[i] == 0:
                continue
            conj = _conjugate(den, i)
            den = reduce_radicals(den * conj, relations)
            nums = [reduce_radicals(x * conj, relations) for x in nums]
            if den.is_zero():
                return None
    raise CgsymError("internal error: could not clear the radicals from a denominator")


def solve_sparse(ring: Ring, A, b):
    """Solve A x = b over QQ(gens) by sparse Gauss-Jordan elimination in flint.

    Same contract as :func:`solve_fraction_free` (returns ``(nums, den)`` with
    A nums = den b exactly, verified; raises when A is singular), for large sparse
    blocks: the pivot is chosen by the Markowitz count (fill-in), ties broken by the
    size of the pivot polynomial (a constant or monomial pivot first); a row
    operation cross-multiplies (row_i <- p row_i - a row_k) and then divides the row
    by the gcd of its entries, so no entry carries a factor common to its whole row.
    Bareiss' minors grow in degree with every step; here the growth stops at the
    content of each row.
    """
    n = len(A)
    zero = ring.ctx.from_dict({})
    rows = []
    for i in range(n):
        r = {j: A[i][j] for j in range(n) if not A[i][j].is_zero()}
        if not b[i].is_zero():
            r[n] = b[i]
        rows.append(r)
    cols: dict = {}
    for i, r in enumerate(rows):
        for j in r:
            if j < n:
                cols.setdefault(j, set()).add(i)
    free_rows, free_cols = set(range(n)), set(range(n))
    pivot_of = {}

    def content_free(r):
        g = None
        for v in r.values():
            g = v if g is None else g.gcd(v)
            if g.total_degree() == 0 and abs(int(g.leading_coefficient())) == 1:
                return r
        if g is None or g.is_zero():
            return r
        return {j: v // g for j, v in r.items()}

    for _ in range(n):
        best = None
        for c in free_cols:
            rs = [i for i in cols.get(c, ()) if i in free_rows]
            for i in rs:
                key = ((len(rows[i]) - 1) * (len(rs) - 1), len(rows[i][c]), i, c)
                if best is None or key < best:
                    best = key
        if best is None:
            raise CgsymError("singular system")
        _, _, k, c = best
        free_rows.discard(k)
        free_cols.discard(c)
        pivot_of[c] = k
        rk = rows[k]
        p = rk[c]
        for i in list(cols.get(c, ())):
            if i == k:
                continue
            ri = rows[i]
            a = ri.get(c)
            if a is None or a.is_zero():
                continue
            g = p.gcd(a)
            pm, am = p // g, a // g
            new = {}
            for j in set(ri) | set(rk):
                if j == c:
                    continue
                v = ri.get(j, zero) * pm - rk.get(j, zero) * am
                if not v.is_zero():
                    new[j] = v
            new = content_free(new)
            for j in ri:
                if j < n and j not in new:
                    cols[j].discard(i)
            for j in new:
                if j < n:
                    cols.setdefault(j, set()).add(i)
            rows[i] = new
    # diagonal: row pivot_of[c] is p_c x_c = b_c
    fracs = []
    for c in range(n):
        r = rows[pivot_of[c]]
        p, rhs = r[c], r.get(n, zero)
        if rhs.is_zero():
            fracs.append((zero, ring.one()))
            continue
        g = p.gcd(rhs)
        fracs.append((rhs // g, p // g))
    x, den = common_denominator(ring, fracs)
    for i in range(n):
        acc = zero
        for j in range(n):
            if not A[i][j].is_zero():
                acc += A[i][j] * x[j]
        if acc != den * b[i]:
            raise CgsymError("internal error: the sparse solve failed its exact check")
    return x, den
