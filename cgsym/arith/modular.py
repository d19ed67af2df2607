"""Exact solve of a parametric linear system by evaluation modulo primes,
interpolation and an exact proof.

``solve_modular(ring, A, b)`` has the contract of
:func:`cgsym.arith.flintalg.solve_fraction_free`: ``A`` (rows) and ``b`` hold integer
polynomials (python-flint ``fmpz_mpoly``) in the ring's generators, and it returns
``(nums, den)`` with ``A nums = den b`` exactly.  It is meant for blocks whose
*answer* is modest while every elimination in the polynomial ring swells (Bareiss
carries the whole determinant, of which the answer's denominator can be a small
factor; a fraction elimination with gcds carries Schur complements with 10^4-term
entries): the four-qubit chain's 43-coordinate population block has a solution of
total degree 20, but det A has degree up to 86.

Method (all of it numbers modulo word-size primes p, except the proof):

1. *Black box*: at a point v, A(v) x = b(v) is solved modulo p (``flint.nmod_mat``).
2. *Degrees*: along a random line in each generator, and along a random line in all
   of them, each x_i is reconstructed as a univariate rational function (enough points
   for Cramer's bound on det A, so the reconstruction is determined); the common
   denominator D is the lcm of the x_i's denominators and N_i = x_i D.  This gives the
   degree of D and N_i in each generator and their total degrees.
3. *Normalisation*: a rational function is only defined up to a common factor of N
   and D.  After the change of variables v_j = u_j + c_j v_1 (random c_j) the leading
   coefficient of D in v_1 is a constant (the top homogeneous part of D at (1, c)), so
   D made monic in v_1 has coefficients that are *polynomials* in u.
4. *Interpolation*: on a tensor grid in u (degree bounds from 2.), each v_1-line is a
   univariate rational reconstruction (of a random combination of the x_i, giving D),
   then N_i = x_i D by polynomial interpolation; the coefficients are interpolated in
   u dimension by dimension, and the change of variables is undone (flint
   ``nmod_mpoly.compose``).
5. *Lifting*: D is normalised to lex-leading coefficient 1; the coefficients modulo
   the product of the primes used so far are lifted to rationals by rational number
   reconstruction, denominators cleared.
6. *Proof*: ``A nums == den b`` is checked exactly in Z[gens].  Only a proved solution is
   returned; while the reconstruction fails or is not proved another prime is added
   (more digits: the number of primes adapts to the size of the answer's
   coefficients; a candidate already refuted is not proved again), and after
   ``max_primes`` primes (200, ~6200 bits) the solve gives up with one line (raises
   ``ModularSolveFailed``).  The degree probes work modulo one prime and move to
   further random primes when the system is singular modulo it.

Nothing here assumes anything about where the system comes from; an unlucky random
choice (a point where det A vanishes modulo p, a degenerate line) can only make the
proof fail, never return a wrong answer.
"""
from __future__ import annotations

import random
from math import gcd, isqrt

import flint
import numpy as np

from ..errors import CgsymError

#: word-size primes below 2**31 (so that products of residues fit in int64)
_P0 = 2**31
#: a system is called singular only when it is singular modulo this many distinct primes
_PROBE_PRIMES = 3


def _primes():
    from sympy import prevprime
    p = _P0
    while True:
        p = prevprime(p)
        yield p


def _matmul_mod(X, Y, p):
    """(X @ Y) mod p for int64 arrays with entries in [0, p), p < 2**31, exactly:
    both split into 16-bit halves, four float64 products (each sum < 2**53 for
    inner dimensions below 2**20)."""
    X = np.asarray(X, dtype=np.int64)
    Y = np.asarray(Y, dtype=np.int64)
    xh, xl = (X >> 16).astype(np.float64), (X & 0xFFFF).astype(np.float64)
    yh, yl = (Y >> 16).astype(np.float64), (Y & 0xFFFF).astype(np.float64)
    hh = np.rint(xh @ yh).astype(np.int64) % p
    mid = (np.rint(xh @ yl).astype(np.int64) + np.rint(xl @ yh).astype(np.int64)) % p
    ll = np.rint(xl @ yl).astype(np.int64) % p
    s16 = (1 << 16) % p
    s32 = (1 << 32) % p
    return (hh * s32 % p + mid * s16 % p + ll) % p


def _inverse_vandermonde(nodes, p):
    """V^{-1} mod p (int64 array), V[k, m] = nodes[k]**m: coefficients = V^{-1} values."""
    n = len(nodes)
    V = flint.nmod_mat(n, n, [pow(int(x), m, p) for x in nodes for m in range(n)], p)
    Vi = V.inv()
    return np.array([[int(Vi[i, j]) for j in range(n)] for i in range(n)], dtype=np.int64)


class _BlackBox:
    """A(v) x = b(v) modulo p at many points; entries compiled once for numpy."""

    def __init__(self, A, b, used):
        self.n = n = len(A)
        self.used = used            # ring variable indices that occur
        entries = []                # (row, col, [(coef, exps over used)])
        for i in range(n):
            for j in range(n + 1):
                e = b[i] if j == n else A[i][j]
                if e.is_zero():
                    continue
                terms = [(int(c), tuple(int(m[k]) for k in used))
                         for m, c in zip(e.monoms(), e.coeffs())]
                entries.append((i, j, terms))
        self.entries = entries
        self.maxdeg = [max([t[1][k] for _, _, ts in entries for t in ts] + [0])
                       for k in range(len(used))]

    def values(self, pts, p):
        """int64 array (K, len(entries)) of the entries at the K points (K x nv)."""
        K = pts.shape[0]
        pw = []
        for k, dk in enumerate(self.maxdeg):
            col = [np.ones(K, dtype=np.int64)]
            for _ in range(dk):
                col.append(col[-1] * pts[:, k] % p)
            pw.append(col)
        out = np.zeros((K, len(self.entries)), dtype=np.int64)
        for idx, (_, _, terms) in enumerate(self.entries):
            acc = np.zeros(K, dtype=np.int64)
            for c, exps in terms:
                v = np.full(K, c % p, dtype=np.int64)
                for k, e in enumerate(exps):
                    if e:
                        v = v * pw[k][e] % p
                acc = (acc + v) % p
            out[:, idx] = acc
        return out

    def solve(self, pts, p):
        """(K, n) int64 solutions modulo p, or None where A is singular modulo p."""
        n = self.n
        vals = self.values(pts, p).tolist()
        zero = flint.nmod_mat(n, n, p)
        pos = [(i, j) for i, j, _ in self.entries]
        out = np.zeros((pts.shape[0], n), dtype=np.int64)
        for k, row in enumerate(vals):
            M = flint.nmod_mat(zero)
            rhs = flint.nmod_mat(n, 1, p)
            for (i, j), v in zip(pos, row):
                if j == n:
                    rhs[i, 0] = v
                else:
                    M[i, j] = v
            try:
                X = M.solve(rhs)
            except ZeroDivisionError:
                return None
            out[k] = [int(x) for x in X.entries()]
        return out


def _ratrecon(coeffs, nodes_poly, den_bound, p):
    """Univariate rational reconstruction modulo p: from the interpolating polynomial
    (coefficients) of f at the roots of ``nodes_poly`` (degree T), (num, den) with
    den monic, deg den <= den_bound, deg num < T - den_bound; or None."""
    T = nodes_poly.degree()
    r0, r1 = nodes_poly, flint.nmod_poly([int(c) for c in coeffs], p)
    s0, s1 = flint.nmod_poly([], p), flint.nmod_poly([1], p)
    while r1.degree() >= T - den_bound:
        q, r = divmod(r0, r1)
        r0, r1 = r1, r
        s0, s1 = s1, s0 - q * s1
    if s1.is_zero() or s1.degree() > den_bound:
        return None
    if not r1.is_zero() and r1.gcd(s1).degree() > 0:
        return None
    lc = int(s1.leading_coefficient())
    inv = pow(lc, -1, p)
    return r1 * inv, s1 * inv


def _line_degrees(bb, base, direction, npts, p, rng):
    """Along v = base + t direction: (deg D, [deg N_i]) of the common-denominator
    solution restricted to the line, or None (unlucky)."""
    ts = rng.sample(range(1, p), npts)
    pts = np.array([[(b + t * d) % p for b, d in zip(base, direction)] for t in ts],
                   dtype=np.int64)
    X = bb.solve(pts, p)
    if X is None:
        return None
    Vi = _inverse_vandermonde(ts, p)
    C = _matmul_mod(Vi, X, p)                     # (npts, n): coefficients per x_i
    M = flint.nmod_poly([1], p)
    for t in ts:
        M = M * flint.nmod_poly([(-t) % p, 1], p)
    half = npts // 2
    fr = []
    for i in range(bb.n):
        r = _ratrecon(C[:, i].tolist(), M, half, p)
        if r is None:
            return None
        fr.append(r)
    D = flint.nmod_poly([1], p)
    for num, den in fr:
        if not num.is_zero():
            D = D * den // D.gcd(den)
    degs = [(num.degree() + D.degree() - den.degree()) if not num.is_zero() else -1
            for num, den in fr]
    return D.degree(), degs


def _cramer_bound(bb, direction):
    """Cramer's bound on the degree along a direction (0/1 per used variable): the sum
    over rows of the largest entry degree."""
    best = [0] * bb.n
    for i, j, terms in bb.entries:     # the column of b included (Cramer's numerators)
        d = max(sum(e for e, s in zip(exps, direction) if s) for _, exps in terms)
        best[i] = max(best[i], d)
    return sum(best)


def _rat(a, m):
    """Rational number reconstruction of a modulo m: (num, den) with |num|, den <=
    sqrt(m/2), or None."""
    bound = isqrt(m // 2)
    r0, r1, s0, s1 = m, a % m, 0, 1
    while r1 > bound:
        q = r0 // r1
        r0, r1 = r1, r0 - q * r1
        s0, s1 = s1, s0 - q * s1
    if s1 == 0 or abs(s1) > bound or gcd(r1, abs(s1)) != 1:
        return None
    return (r1, s1) if s1 > 0 else (-r1, -s1)


def _image_mod_p(bb, nv, degs, main, shifts, p, rng):
    """(D, [N_i]) modulo p as dicts {exponents over used variables: residue}, D with
    lex-leading coefficient 1; or None (unlucky choice)."""
    n = bb.n
    dD, dN, per_var = degs
    T = max(dN + [0]) + dD + 2                   # points on each v_main line
    others = [k for k in range(nv) if k != main]
    sizes = [per_var[k] + 1 for k in others]
    nodes = [rng.sample(range(1, p), s) for s in sizes]
    ts = rng.sample(range(1, p), T)
    Vi_t = _inverse_vandermonde(ts, p)
    Vt = np.array([[pow(t, m, p) for m in range(T)] for t in ts], dtype=np.int64)
    M = flint.nmod_poly([1], p)
    for t in ts:
        M = M * flint.nmod_poly([(-t) % p, 1], p)
    grid = np.array(np.meshgrid(*[np.array(z, dtype=np.int64) for z in nodes],
                                indexing="ij")).reshape(len(others), -1).T if others \
        else np.zeros((1, 0), dtype=np.int64)
    G = grid.shape[0]
    weights = np.array([rng.randrange(1, p) for _ in range(n)], dtype=np.int64)
    # per grid point: coefficients in v_main of D (monic, degree dD) and N_i (<= dN_i)
    Dco = np.zeros((G, dD + 1), dtype=np.int64)
    Nco = np.zeros((G, n, T), dtype=np.int64)
    tcol = np.array(ts, dtype=np.int64)
    chunk = max(1, 4096 // T)
    for g0 in range(0, G, chunk):
        g1 = min(G, g0 + chunk)
        pts = np.zeros(((g1 - g0) * T, nv), dtype=np.int64)
        u = np.repeat(grid[g0:g1], T, axis=0)
        tt = np.tile(tcol, g1 - g0)
        pts[:, main] = tt
        for a, k in enumerate(others):
            pts[:, k] = (u[:, a] + (shifts[k] % p) * tt) % p
        X = bb.solve(pts, p)
        if X is None:
            return None
        X = X.reshape(g1 - g0, T, n)
        for g in range(g1 - g0):
            xs = X[g]                                       # (T, n)
            y = _matmul_mod(xs, weights[:, None], p)[:, 0]
            cy = _matmul_mod(Vi_t, y[:, None], p)[:, 0]
            r = _ratrecon(cy.tolist(), M, dD, p)
            if r is None or r[1].degree() != dD:
                return None
            den = r[1]
            dc = np.array(den.coeffs(), dtype=np.int64)
            dvals = _matmul_mod(Vt[:, :len(dc)], dc[:, None], p)[:, 0]
            Nco[g0 + g] = _matmul_mod(Vi_t, xs * dvals[:, None] % p, p).T
            Dco[g0 + g] = np.array([int(c) for c in den.coeffs()] + [0] * (dD + 1 - len(den.coeffs())),
                                   dtype=np.int64)[:dD + 1]
    # N_i of degree > dN_i in v_main means the bounds were wrong
    for i in range(n):
        if np.any(Nco[:, i, dN[i] + 1:] if dN[i] >= 0 else Nco[:, i, :]):
            return None
    # interpolate in u, one dimension at a time: values (G, S) -> coefficients
    S = np.concatenate([Dco, Nco.reshape(G, n * T)], axis=1)     # (G, S)
    shape = sizes + [S.shape[1]]
    S = S.reshape(shape)
    for a, z in enumerate(nodes):
        Vi = _inverse_vandermonde(z, p)
        S = np.moveaxis(S, a, 0)
        flat = S.reshape(S.shape[0], -1)
        S = _matmul_mod(Vi, flat, p).reshape(S.shape)
        S = np.moveaxis(S, 0, a)
    S = S.reshape(G, -1)
    expo = np.array(np.meshgrid(*[np.arange(s) for s in sizes], indexing="ij")
                    ).reshape(len(others), -1).T if others else np.zeros((1, 0), dtype=np.int64)
    names = tuple(f"w{k}" for k in range(nv))
    ctx = flint.nmod_mpoly_ctx.get(names, ordering="lex", modulus=p)

    def poly(col_of_power):       # {power of v_main: column index into S}
        d = {}
        for kpow, col in col_of_power.items():
            vals = S[:, col]
            for g in np.nonzero(vals)[0]:
                mon = [0] * nv
                mon[main] = kpow
                for a, k in enumerate(others):
                    mon[k] = int(expo[g, a])
                d[tuple(mon)] = int(vals[g])
        return ctx.from_dict(d)
    gens = ctx.gens()
    subs = [gens[k] if k == main else gens[k] - shifts[k] * gens[main] for k in range(nv)]
    Dp = poly({k: k for k in range(dD + 1)}).compose(*subs)
    Np = [poly({k: dD + 1 + i * T + k for k in range(T)}).compose(*subs) for i in range(n)]
    if Dp.is_zero():
        return None
    lc = int(Dp.leading_coefficient())
    inv = pow(lc, -1, p)
    Dp = Dp * inv
    Np = [x * inv for x in Np]
    return (dict(zip(Dp.monoms(), (int(c) for c in Dp.coeffs()))),
            [dict(zip(x.monoms(), (int(c) for c in x.coeffs()))) for x in Np])


class ModularSolveFailed(CgsymError):
    """No proved solution: raised instead of returning an unproved reconstruction (the
    caller reports it; it does not fall back to an elimination that would not finish)."""


def solve_modular(ring, A, b, seed: int = 0, max_primes: int = 200):
    """Solve A x = b over QQ(gens) by evaluation modulo primes, interpolation and an
    exact proof (see the module doc).  Same contract as
    :func:`cgsym.arith.flintalg.solve_fraction_free`: returns ``(nums, den)``, flint
    polynomials with ``A nums = den b`` exactly (proved), ``den`` with a positive
    lex-leading coefficient and no content shared with all of ``nums``; raises
    ``CgsymError`` when A is singular or no proved solution was found."""
    n = len(A)
    ctx = ring.ctx
    nvr = ctx.nvars()
    present = set()
    for row in list(A) + [[x] for x in b]:
        for e in row:
            if not e.is_zero():
                for m in e.monoms():
                    present.update(k for k in range(nvr) if m[k])
    used = sorted(present)
    bb = _BlackBox(A, b, used)
    nv = len(used)
    rng = random.Random(seed)
    primes = _primes()
    if nv == 0:       # numbers only: nothing to interpolate
        from .flintalg import solve_fraction_free
        return solve_fraction_free(ring, A, b)
    # degrees: per variable and along a random line, each the largest of two lines (an
    # unlucky line can only under-estimate; then no prime's candidate is proved).  The
    # probes work modulo one prime; a system singular modulo that prime only (its
    # determinant a multiple of it) is retried modulo further random primes, and called
    # singular only when it is singular at random points modulo _PROBE_PRIMES of them.
    probe_p = [next(primes)]

    def probe(direction_of, bound):
        tried = set()
        while True:
            p = probe_p[0]
            tried.add(p)
            found = []
            for _ in range(6):
                base = [rng.randrange(1, p) for _ in range(nv)]
                res = _line_degrees(bb, base, direction_of(p), 2 * bound + 2, p, rng)
                if res is not None:
                    found.append(res)
                if len(found) == 2:
                    return max(found[0][0], found[1][0]), [max(u, v) for u, v in
                                                          zip(found[0][1], found[1][1])]
            if len(tried) >= _PROBE_PRIMES:
                raise CgsymError(f"singular system (at random points modulo {len(tried)} primes)")
            from sympy import prevprime
            q = p
            while q in tried:
                q = prevprime(rng.randrange(2**30, _P0))
            probe_p[0] = q
    per_var = []
    for k in range(nv):
        unit = [1 if j == k else 0 for j in range(nv)]
        dk, dks = probe(lambda p: unit, _cramer_bound(bb, unit))
        per_var.append(max([dk] + dks))
    dD, dN = probe(lambda p: [rng.randrange(1, p) for _ in range(nv)],
                   _cramer_bound(bb, [1] * nv))
    primes = _primes()          # the images: the word-size primes from the top, in turn
    p = next(primes)
    main = max(range(nv), key=lambda k: per_var[k])
    modulus = 1
    acc_D: dict = {}
    acc_N: list = [dict() for _ in range(n)]
    last = None               # the last candidate that failed the proof
    used_primes = 0
    for _ in range(max_primes):
        # random shifts modulo p, drawn for each prime: the image (D normalised to
        # lex-leading coefficient 1 after the change is undone) does not depend on them,
        # and a small fixed shift can sit on a zero of D's top homogeneous part
        shifts = [0 if k == main else rng.randrange(1, p) for k in range(nv)]
        try:
            img = _image_mod_p(bb, nv, (dD, dN, per_var), main, shifts, p, rng)
        except MemoryError:
            # the dense interpolation grid grows as the product of the degrees in the
            # generators (three qubits, three reservoirs, 14 coordinates: 8.1e6 grid
            # points x 54 x 14 residues, 46 GiB)
            grid = 1
            for k in range(nv):
                if k != main:
                    grid *= per_var[k] + 1
            raise ModularSolveFailed(
                f"the modular solve of a {n}-coordinate block in {nv} generators needs "
                f"{grid} interpolation points (degrees {per_var}): more memory than this "
                f"machine has; no result is returned") from None
        if img is not None:
            Dm, Nm = img
            acc_D = _crt_dict(acc_D, modulus, Dm, p)
            acc_N = [_crt_dict(a, modulus, x, p) for a, x in zip(acc_N, Nm)]
            modulus *= p
            used_primes += 1
            sol = _lift(ring, used, acc_D, acc_N, modulus)
            # a candidate is proved once; the same candidate again (the reconstruction
            # has stabilised but is wrong) is not re-proved, more primes are added
            if sol is not None and (last is None or not _same(sol, last)):
                if _proved(A, b, *sol):
                    return sol
                last = sol
        p = next(primes)
    raise ModularSolveFailed(
        f"the modular solve of a {n}-coordinate block found no proved solution after "
        f"{max_primes} primes ({used_primes} usable, {modulus.bit_length()} bits of "
        f"coefficients): no unproved result is returned")


def _same(s1, s2):
    (n1, d1), (n2, d2) = s1, s2
    return d1 == d2 and all(u == v for u, v in zip(n1, n2))


def _crt_dict(acc, m, new, p):
    """Combine residues modulo m (acc) and modulo p (new), monomial by monomial."""
    out = {}
    minv = pow(m, -1, p) if m > 1 else 0
    for mon in set(acc) | set(new):
        a = acc.get(mon, 0)
        r = new.get(mon, 0)
        if m == 1:
            out[mon] = r
        else:
            t = (r - a) * minv % p
            out[mon] = a + m * t
    return out


def _lift(ring, used, D, N, modulus):
    """Rational reconstruction of every coefficient and denominators cleared:
    (nums, den) as flint polynomials in the ring, or None."""
    from math import lcm
    fr = {}
    for key, dct in [(-1, D)] + list(enumerate(N)):
        out = {}
        for mon, a in dct.items():
            if a % modulus == 0:
                continue
            r = _rat(a, modulus)
            if r is None:
                return None
            out[mon] = r
        fr[key] = out
    L = 1
    for dct in fr.values():
        for _, q in dct.values():
            L = lcm(L, q)
    nvr = ring.ctx.nvars()

    def to_poly(dct):
        d = {}
        for mon, (num, q) in dct.items():
            full = [0] * nvr
            for k, e in zip(used, mon):
                full[k] = e
            d[tuple(full)] = num * (L // q)
        return ring.ctx.from_dict(d)
    den = to_poly(fr[-1])
    nums = [to_poly(fr[i]) for i in range(len(N))]
    if den.is_zero():
        return None
    g = den
    for x in nums:
        g = g.gcd(x)
    nums, den = [x // g for x in nums], den // g
    if int(den.leading_coefficient()) < 0:
        nums, den = [-x for x in nums], -den
    return nums, den


def _proved(A, b, nums, den):
    """A nums == den b exactly in Z[gens]."""
    zero = den.context().from_dict({})
    for i, row in enumerate(A):
        acc = zero
        for a, x in zip(row, nums):
            if not a.is_zero() and not x.is_zero():
                acc += a * x
        if acc != den * b[i]:
            return False
    return True
