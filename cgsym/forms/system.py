r"""The system form: the steady state as the linear system it solves, the heat currents
as short linear combinations of its unknowns.

For results whose explicit closed forms are large irreducible rational functions (the
tunnelling qubit's partial-secular current without the weak-internal limit: 280k
operations canonical, 25k in the best explicit form), a physicist writes the rate /
Bloch equations instead.  In the eigenbasis of H_S the Liouvillian's block that holds
the steady state acts on a few real coordinates: the populations p_k = <k|rho|k> and,
where the regime keeps them, the coherences x_kl + i y_kl = <k|rho|l>.  The form is

    0 = sum_j M_ij x_j        (each row of the block but one population row)
    1 = sum_k p_k             (the trace, in place of that row)
    J_p = sum_k c^p_k x_k     (c^p_k = Tr[H_S D_p[E_k]], reservoir p's own part)

with every entry written through the compact abbreviations (n_p, Gamma_p; where the
rate function has an exponential, an entry linear in its values is written in them,
gamma_k c_k with gamma_k = gamma_p(w_k) named once, the paper's gamma(omega_S + Omega)), and the
unknowns defined by Cramer's rule, x_k = D_k / D (D the system's determinant, D_k the
determinant with column k replaced by the right-hand side), so JSON and LaTeX read back
as values.

Nothing is shown unproved (:func:`prove_system`), in python-flint, exactly:
(1) M x_can = (0, ..., 0, 1) with x_can the canonical steady state's eigenbasis
coordinates (taken from the canonical product-basis coordinates by the basis change);
(2) sum_k c^p_k x_can_k equals the canonical J_p, every reservoir; (3) det M is not
identically zero: its ball (python-flint ``acb``) at a random rational point of the
parameters excludes 0.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

import sympy as sp
from sympy.printing.defaults import Printable

from ..errors import CgsymError
from ..operators import ImmutableMatrix
from .abbreviations import Abbreviation, expand_abbreviations, _taken, _unique


@dataclass(frozen=True)
class LinearSystem(Printable):
    """M x = b in the eigenbasis of H_S (b = (0, ..., 0, 1) up to the row order: the
    trace row is row ``trace_row``).  ``unknowns``: the symbols x_k (populations
    p_k, coherences x_kl, y_kl), ``labels`` their real coordinates (kind, a, b) of
    the eigenbasis (0-based states), ``states`` the eigenstates' labels; ``matrix`` the
    entries in the compact abbreviations; ``ops`` the count_ops of every entry once."""

    unknowns: tuple[sp.Symbol, ...]
    labels: tuple[tuple[str, int, int], ...]
    states: tuple[str, ...]
    matrix: ImmutableMatrix
    rhs: tuple
    trace_row: int
    ops: int

    def equations(self) -> list[tuple[sp.Expr, sp.Expr]]:
        """[(lhs, rhs)] as printed: (0, sum_j M_ij x_j) and (1, p_1 + ... + p_d)."""
        x = sp.Matrix(self.unknowns)
        out = []
        for i in range(self.matrix.rows):
            row = sp.Add(*[self.matrix[i, j] * x[j] for j in range(len(x))
                           if self.matrix[i, j] != 0])
            out.append((self.rhs[i], row))
        return out

    def legend(self) -> str:
        states = ", ".join(f"{k} = |{s}>" for k, s in enumerate(self.states, 1))
        return (f"eigenstates {states}; p_k = <k|rho|k>"
                + ("; x_kl + i y_kl = <k|rho|l>" if any(c[0] != "p" for c in self.labels)
                   else ""))

    def __str__(self):
        return "\n".join(f"{sp.sstr(a)} = {sp.sstr(b)}" for a, b in self.equations())


# ---------------------------------------------------------------------------

#: the abbreviations a system's entries and currents are written in (not the
#: determinants and unknowns of Cramer's rule)
SHORT_KINDS = ("radical", "occupation", "rate", "rate value", "entry")

def _unknown_names(labels, taken):
    out = []
    for kind, a, b in labels:
        if kind == "p":
            asc, tex = f"p_{a + 1}", f"p_{{{a + 1}}}"
        else:
            sep = "" if max(a, b) < 9 else "_"
            asc = f"{kind}_{a + 1}{sep}{b + 1}"
            tex = f"{kind}_{{{a + 1}{',' if sep else ''}{b + 1}}}"
        name = _unique(asc, taken)
        out.append((sp.Symbol(name, real=True), tex if name == asc else name))
    return out


def _frac_add(a, b):
    an, ad = a
    bn, bd = b
    if bn.is_zero():
        return a
    if an.is_zero():
        return b
    if ad == bd:
        return an + bn, ad
    return an * bd + bn * ad, ad * bd


def _frac_mul(a, b):
    return a[0] * b[0], a[1] * b[1]


def system_form(d, steady_state: bool = True):
    """The system form of a derivation as a :class:`~cgsym.forms.compact.CompactForms`
    (``system`` set, ``steady_state`` None), proved; or None where it does not apply
    (no unique steady state, no single population block in the eigenbasis, no exact
    flint forms of the canonical results) or a proof does not go through."""
    from .compact import (CompactForms, _Space, _naming_universe, _search, _used,
                          _space_abbreviations,
                          _def_ops, ops)
    import time
    t0 = time.perf_counter()
    ss = d.steady_state
    hcs = d.heat_currents
    if not ss.unique or ss.form is None or hcs is None or not hcs.forms:
        return None
    from ..structured import _eigenbasis_block, is_structured
    from ..steady_state import coordinate_matrix, real_coordinates
    if is_structured(ss.form):
        return None
    me = ss.master_equation
    blk = _eigenbasis_block(me)
    if blk is None:
        return None
    model = d.model
    dim = me.dim
    comp = list(blk.comp)
    labels = [blk.coords[i] for i in comp]
    P = [k for k, c in enumerate(labels) if c[0] == "p"]
    n_u = len(comp)
    R = blk.R0e
    H = sp.Matrix(blk.me_eig.hamiltonian)
    names = list(hcs.reservoirs)
    # raw entries: the block, the currents' coefficients, the basis change
    coef = {}
    heis = {p: _heisenberg_energy(blk.me_eig, H, p) for p in names}
    for j, c in enumerate(labels):
        Ej = sp.Matrix(coordinate_matrix(c, dim))
        for p in names:
            coef[(p, j)] = sp.expand((heis[p] * Ej).trace())
    U = sp.Matrix(me.spectrum.unitary)
    from ..operators import adjoint
    Ud = sp.Matrix(adjoint(U, model.adjoint_mode))
    pcoords = real_coordinates(dim)
    ppos = {c: i for i, c in enumerate(pcoords)}
    form = ss.form
    T = {}                  # (product coordinate of the canonical form, j) -> entry
    have = {c for c in form.labels}
    for j, c in enumerate(labels):
        Mj = U * coordinate_matrix(c, dim) * Ud
        for a in range(dim):
            for b in range(a, dim):
                vals = [("p", a, a, Mj[a, a])] if a == b else [
                    ("x", a, b, (Mj[a, b] + Mj[b, a]) / 2),
                    ("y", a, b, (Mj[a, b] - Mj[b, a]) / (2 * sp.I))]
                for kind, a_, b_, v in vals:
                    v = sp.expand(v)
                    if v != 0 and (kind, a_, b_) in have:
                        T[((kind, a_, b_), j)] = v
    block = [(i, j) for i in range(n_u) for j in range(n_u) if R[comp[i], comp[j]] != 0]
    exprs = [R[comp[i], comp[j]] for i, j in block] + [coef[k] for k in coef] \
        + [T[k] for k in T]
    from .compact import _flint_forms
    forms = _flint_forms(d, names, None, True)
    if forms is None:
        return None
    space = _Space(model, exprs, _naming_universe(d), sources=forms)
    abbrs = _space_abbreviations(space, model, len(exprs))
    # ---- the entries in the compact abbreviations ----------------------------
    built = {}
    for k, (i, j) in enumerate(block):
        num, den = space.fraction(k)
        built[(i, j)] = _entry(space, num, den, abbrs)
    off = len(block)
    cforms = {}
    for k, key in enumerate(coef):
        num, den = space.fraction(off + k)
        cforms[key] = _entry(space, num, den, abbrs)
    off += len(coef)
    tfrac = {key: space.fraction(off + k) for k, key in enumerate(T)}
    # the trace row replaces the population row with the most operations
    row_ops = {i: sum(ops(built.get((i, j), 0)) for j in range(n_u)) for i in P}
    drop = max(P, key=lambda i: (row_ops[i], -i))
    rows = [i for i in range(n_u) if i != drop] + [drop]
    Mb = sp.zeros(n_u, n_u)
    for r, i in enumerate(rows):
        for j in range(n_u):
            Mb[r, j] = (1 if j in P else 0) if i == drop else built.get((i, j), sp.S.Zero)
    rhs = tuple([sp.S.Zero] * (n_u - 1) + [sp.S.One])
    taken = _taken(model) | {a.name for a in abbrs}
    unk = _unknown_names(labels, taken)
    xs = [s for s, _ in unk]
    currents = []
    for p in names:
        currents.append((p, sp.Add(*[cforms[(p, j)] * xs[j] for j in range(n_u)
                                     if cforms[(p, j)] != 0])))
    Mb, named = _named_entries(Mb, taken, abbrs)
    abbrs = abbrs + named
    matrix = ImmutableMatrix(Mb)
    # ---- proofs ---------------------------------------------------------------
    prove_system(space, d, matrix, rhs, labels, currents, xs, abbrs, tfrac)
    # ---- Cramer's rule: D, D_k, x_k = D_k / D ---------------------------------
    Dsym = sp.Symbol(_unique("D", taken), real=True)
    dets = [Abbreviation(Dsym, sp.Determinant(matrix), "D", "determinant")]
    unknowns = []
    bcol = sp.Matrix(rhs)
    for k, (s, tex) in enumerate(unk):
        Mk = sp.Matrix(matrix)
        Mk[:, k] = bcol
        Dk = sp.Symbol(_unique(f"D_{k + 1}", taken), real=True)
        dets.append(Abbreviation(Dk, sp.Determinant(ImmutableMatrix(Mk)), f"D_{{{k + 1}}}",
                                 "determinant"))
        unknowns.append(Abbreviation(s, Dk / Dsym, tex, "unknown"))
    entries = [e for e in matrix if e != 0]
    used = []
    for e in entries + [J for _, J in currents]:
        for a in _used(e, abbrs):
            if a not in used:
                used.append(a)
    kept = [a for a in abbrs if a in used]
    sys_ops = sum(ops(e) for e in entries)
    ent_defs = []
    for e in entries:
        for a in _used(e, abbrs):
            if a not in ent_defs:
                ent_defs.append(a)
    counts = []
    for p, J in currents:
        extra = [a for a in _used(J, abbrs) if a not in ent_defs]
        if J == 0:             # uses no unknown: the system is not part of it
            counts.append((f"J_{p}", 0))
            continue
        counts.append((f"J_{p}", ops(J) + sys_ops + sum(_def_ops(a) for a in ent_defs + extra)))
    counts.append(("system", sys_ops + sum(_def_ops(a) for a in ent_defs)))
    system = LinearSystem(tuple(xs), tuple(labels), tuple(s.label for s in me.spectrum.states),
                          matrix, rhs, n_u - 1, sys_ops)
    return CompactForms(model, d.regime, d.weak_internal, tuple(currents), None,
                        tuple(kept + dets + unknowns), tuple(counts),
                        time.perf_counter() - t0, system=system)


def _heisenberg_energy(me, H, reservoir):
    """A_p = D_p^dagger[H] = sum_t r_t (X_n^dagger H X_m - {X_n^dagger X_m, H}/2), so
    that Tr[H D_p[E]] = Tr[A_p E] for every E (cyclicity of the trace): one adjoint
    dissipation per reservoir instead of one dissipation per unknown (the coefficients
    are proved against the canonical currents anyway)."""
    from ..operators import adjoint
    real = me.model.adjoint_mode
    A = sp.zeros(H.rows, H.cols)
    for t in me.reservoir_terms(reservoir):
        Xm = sp.Matrix(t.X_m)
        XnH = sp.Matrix(adjoint(t.X_n, real))
        K = XnH * Xm
        A += t.rate * (XnH * H * Xm - (K * H + H * K) / 2)
    return A.applyfunc(sp.expand)


def _entry(space, num, den, abbrs):
    """An entry's form: the compact search's, or, where the entry is linear in the
    rate function's values (an Ohmic gamma(w) at each frequency, ``space.rate_values``),
    sum_k gamma_k c_k with each c_k searched, whichever has fewer operations."""
    from .compact import _search, ops
    if num.is_zero():
        return sp.S.Zero
    plain = _search(space, num, den, abbrs).build()
    parts = space.split_by_rate_values(num, den)
    if not parts:
        return plain
    terms = []
    for sym, (cn, cd) in parts.items():
        c = _search(space, cn, cd, abbrs).build()
        terms.append(c if sym is None else sym * c)
    named = sp.Add(*terms)
    return named if ops(named) < ops(plain) else plain


def _named_entries(M, taken, abbrs):
    """(M', named): the entries' repeated parts (an entry up to a rational factor, used
    twice or more) named once, K_1, K_2, ..., when that shortens the system (count_ops
    of the entries plus each definition once; measured: the tunnelling qubit's
    partial-secular system 176 -> ~106 ops); else (M, [])."""
    from .compact import ops, _def_ops, _used
    groups = {}
    for e in M:
        if e == 0 or e.is_Number:
            continue
        c, rest = e.as_coeff_Mul()
        groups.setdefault(rest, []).append(e)
    reps = [r for r, es in groups.items() if len(es) > 1 and ops(r) >= 2]
    if not reps:
        return M, []
    reps.sort(key=lambda r: (-len(groups[r]), sp.default_sort_key(r)))
    names = set(taken)
    named, table = [], {}
    for k, r in enumerate(reps, 1):
        s = sp.Symbol(_unique(f"K_{k}", names), real=True)
        named.append(Abbreviation(s, r, f"K_{{{k}}}" if s.name == f"K_{k}" else s.name,
                                  "entry"))
        table[r] = s
    N = M.applyfunc(lambda e: e if (e == 0 or e.is_Number) else
                    (lambda c, r: c * table[r] if r in table else e)(*e.as_coeff_Mul()))

    def cost(A, ab):
        used = []
        for e in A:
            for a in _used(e, ab):
                if a not in used:
                    used.append(a)
        return sum(ops(e) for e in A if e != 0) + sum(_def_ops(a) for a in used)
    if cost(N, abbrs + named) < cost(M, abbrs):
        taken |= {a.name for a in named}
        return N, named
    return M, []


def memo_system_form(d, steady_state: bool = True):
    """:func:`system_form` memoised on the derivation; None where it does not apply or
    a proof does not go through (with the reason in ``d._system_why``)."""
    memo = d.__dict__.setdefault("_system_memo", {})
    if steady_state not in memo:
        why = ""
        try:
            out = system_form(d, steady_state)
        except (ValueError, TypeError, ZeroDivisionError, NotImplementedError,
                RecursionError, sp.PolynomialError, CgsymError) as exc:
            out, why = None, f"system form not shown ({type(exc).__name__}: {str(exc)[:200]})"
        memo[steady_state] = (out, why)
    return memo[steady_state]


def _canonical_coordinates(space, form, labels, tfrac):
    """(num, den) of each eigenbasis coordinate of the canonical steady state:
    x_c = sum_k T[k, c] w_k v_k / w_c with v_k the canonical product-basis coordinates
    (returned as ([(num_c, small den_c)], common den): x_c = num_c / (den_c den), so
    no product of two large polynomials is formed)
    (w = 1 for a population, 2 for a coherence's x or y: the basis E_k is orthogonal
    with Tr[E_k^2] = w_k, and U E_c U^dagger = sum_k T[k, c] E_k)."""
    den = space.import_poly(form, form.den)
    v = {lab: space.import_poly(form, p) for lab, p in zip(form.labels, form.nums)}
    zero = space.ring.ctx.from_dict({})
    out = []
    for j, c in enumerate(labels):
        acc = (zero, space.ring.one())
        for (lab, jj), (tn, td) in tfrac.items():
            if jj != j:
                continue
            w = (1 if lab[0] == "p" else 2)
            acc = _frac_add(acc, (tn * v[lab] * w, td))
        wc = 1 if c[0] == "p" else 2
        out.append((acc[0], acc[1] * wc))
    return out, den


def prove_system(space, d, matrix, rhs, labels, currents, xs, abbrs, tfrac):
    """Raise CgsymError unless (1) matrix x_can = rhs, (2) every current in the
    unknowns equals the canonical J_p at x_can, (3) det(matrix) is not identically
    zero.  Exact (python-flint; (3) a ball excluding 0 at a rational point)."""
    hcs = d.heat_currents
    X, den = _canonical_coordinates(space, d.steady_state.form, labels, tfrac)
    one = space.ring.one()
    fr = {}
    named = [a for a in abbrs if a.kind == "entry"]

    def frac(e):
        if e not in fr:
            fr[e] = space.fraction_of(expand_abbreviations(e, named) if named else e)
        return fr[e]
    for i in range(matrix.rows):
        acc = (space.ring.ctx.from_dict({}), one)
        for j in range(matrix.cols):
            if matrix[i, j] != 0:
                acc = _frac_add(acc, _frac_mul(frac(matrix[i, j]), X[j]))
        r = frac(sp.sympify(rhs[i]))
        if not _equal(space, acc, (r[0] * den, r[1])):
            raise CgsymError(f"internal error: row {i + 1} of the system form does not hold "
                             f"for the canonical steady state (not shown)")
    pos = {s: k for k, s in enumerate(xs)}
    for p, J in currents:
        acc = (space.ring.ctx.from_dict({}), one)
        for term in sp.Add.make_args(J):
            if term == 0:          # a current that is identically zero (pure dephasing)
                continue
            x = next((s for s in term.free_symbols if s in pos), None)
            if x is None:
                raise CgsymError(f"internal error: J_{p} of the system form has a term "
                                 f"without an unknown (not shown)")
            acc = _frac_add(acc, _frac_mul(frac(term / x), X[pos[x]]))
        f = hcs.form(p)
        target = (space.import_poly(f, f.nums[0]), space.import_poly(f, f.den))
        if not _equal(space, (acc[0], acc[1] * den), target):
            raise CgsymError(f"internal error: the system form of J_{p} is not equal to the "
                             f"canonical one (not shown)")
    if not determinant_nonzero(matrix, abbrs, d.model):
        raise CgsymError("internal error: the system form's determinant is not proved "
                         "non-zero (not shown)")


def _reduce(space, p):
    """p modulo r_b^Q = b (each radical generator) and iota^2 = -1: the same normal
    form as ``_Space.reduce``, computed in flint (the coefficients of r_b^k are peeled
    off: c_0 = p|r=0, p <- (p - c_0)/r), not term by term in Python."""
    if p.is_zero():
        return p
    gens = space._gens_all()
    changed = True
    while changed and not p.is_zero():
        changed = False
        for j, Q, bp in space.rad_rel:
            deg = int(p.degrees()[j])
            if deg < Q:
                continue
            changed = True
            x = gens[j]
            cs, q = [], p
            for _ in range(deg + 1):
                c = q.subs({j: 0})
                cs.append(c)
                q = (q - c) // x
            acc = space.ring.ctx.from_dict({})
            for k, c in enumerate(cs):
                if not c.is_zero():
                    hi, lo = divmod(k, Q)
                    acc += c * x ** lo * bp ** hi
            p = acc
    return space.reduce_iota(p)


def _equal(space, a, b) -> bool:
    """a = b as fractions (num, den), exactly: reduced by the relations of the
    radicals and i, then a common factor of the denominators is used where one divides
    the other (no product of two large polynomials), else cross products.  True is a
    proof; False means not proved.  Where the pass relates nested radicals (pairs
    eliminated, a radical freed: cgsym.forms.compact._Space.normal) both sides are put
    in that normal form first (each step an identity at the true values)."""
    if space.pair_elim or space.freed:
        n1, d1 = space.normal(*a)
        n2, d2 = space.normal(*b)
        if n1 == n2 and d1 == d2:
            return True
        num, den = space.normal(n1 * d2 - n2 * d1, d1 * d2)
        return num.is_zero()
    n1, d1 = (_reduce(space, x) for x in a)
    n2, d2 = (_reduce(space, x) for x in b)
    if n1.is_zero() or n2.is_zero():
        return n1.is_zero() and n2.is_zero()
    for (na, da), (nb, db) in (((n1, d1), (n2, d2)), ((n2, d2), (n1, d1))):
        q, r = divmod(da, db)
        if r.is_zero():
            # na / (q db) = nb / db  <=  na - q nb = 0
            return _reduce(space, na - q * nb).is_zero()
    return _reduce(space, n1 * d2 - n2 * d1).is_zero()


def determinant_nonzero(matrix, abbrs, model, seeds=(1, 2, 3)) -> bool:
    """det(matrix) != 0 at a random rational point of the parameters: every entry (the
    abbreviations substituted back) as a python-flint ball, the determinant's ball
    excludes 0 (a proof that det is not the zero function)."""
    import flint
    from ..arith.balls import Unsupported, ball_value
    ent = [[expand_abbreviations(matrix[i, j], abbrs) for j in range(matrix.cols)]
           for i in range(matrix.rows)]
    syms = sorted({s for row in ent for e in row for s in sp.sympify(e).free_symbols},
                  key=sp.default_sort_key)
    for seed in seeds:
        rng = random.Random(seed)
        pt = {s: sp.Rational(rng.randint(1000, 9999), rng.randint(1000, 9999)) for s in syms}
        try:
            A = flint.acb_mat([[ball_value(e, pt, 256) for e in row] for row in ent])
            z = A.det()
        except (Unsupported, ZeroDivisionError, ValueError):
            continue
        if z.is_finite() and not z.contains(0):
            return True
    return False


def system_json(c) -> dict:
    """{"unknowns": [...], "equations": ["Eq(0, ...)", "Eq(1, p_1 + ...)"], "basis":
    ..., "trace_row": k}: every string readable by ``sympy.sympify`` with the names."""
    s = c.system
    return {"unknowns": [x.name for x in s.unknowns],
            "equations": [f"Eq({sp.sstr(a)}, {sp.sstr(b)})" for a, b in s.equations()],
            "coordinates": {x.name: {"p": "population", "x": "Re", "y": "Im"}[k[0]]
                            + f" <{k[1] + 1}|rho|{k[2] + 1}>"
                            for x, k in zip(s.unknowns, s.labels)},
            "eigenstates": list(s.states)}


# ---------------------------------------------------------------------------
# printing (text, LaTeX, document rows)
# ---------------------------------------------------------------------------
_CRAMER = ("unique solution by Cramer's rule: x_k = D_k / D, D the determinant of the "
           "system, D_k with column k replaced by the right-hand side (JSON: "
           "\"abbreviations\")")


def _short(c):
    """The radical, occupation, rate and entry abbreviations (not the determinants and
    unknowns)."""
    return [a for a in c.abbreviations if a.kind in SHORT_KINDS]


def system_text(c, what=("heat-currents", "steady-state")) -> str:
    """Plain text of a system form: the equations one per line, the currents in the
    unknowns, the abbreviations they use."""
    s = c.system
    out = ["Compact forms (the system form: each equation and current proved against "
           "the canonical results; SymPy count_ops incl. the system and the "
           "abbreviations used):"]
    if c.note:
        out.append(f"  note: {c.note}")
    out.append(f"Steady state: the linear system it solves, in the eigenbasis of H_S "
               f"({s.legend()}) [{c.count('system')} ops]:")
    for a, b in s.equations():
        out.append(f"  {sp.sstr(a)} = {sp.sstr(b)}")
    out.append(f"  ({_CRAMER})")
    if "heat-currents" in what and c.heat_currents:
        out.append("Heat currents (in the unknowns of the system):")
        for name, J in c.heat_currents:
            out.append(f"  J_{name} = {sp.sstr(J)}   [{c.count('J_' + name)} ops]")
    used = [a for a in c.used([e for e in s.matrix] + [J for _, J in c.heat_currents])
            if a in _short(c)]
    if used:
        out += ["  where"] + [f"    {a.name} = {sp.sstr(a.definition)}" for a in used]
    return "\n".join(out)


def det_latex(M, printer) -> str:
    r"""\det\begin{pmatrix} a & b \\ c & d \end{pmatrix}"""
    rows = [" & ".join(printer._print(M[i, j]) for j in range(M.cols)) for i in range(M.rows)]
    return r"\det\begin{pmatrix}" + r" \\ ".join(rows) + r"\end{pmatrix}"


def equation_rows_latex(c, printer, tag=True) -> list[str]:
    """``align`` rows of the equations (broken across lines where long)."""
    from .breaking import align_rows
    rows = []
    for a, b in c.system.equations():
        rows += align_rows(printer._print(a), b, printer, tag=tag)
    return rows


def legend_latex(c) -> str:
    s = c.system
    from .document import _ket
    states = ", ".join(rf"${k} = {_ket(st)}$" for k, st in enumerate(s.states, 1))
    coh = any(k[0] != "p" for k in s.labels)
    return (r"In the eigenbasis of $H_S$ (eigenstates " + states + r"), with "
            r"$p_{k} = \langle k|\rho|k\rangle$"
            + (r" and $x_{kl} + i y_{kl} = \langle k|\rho|l\rangle$" if coh else "")
            + r", the steady state solves")


def system_latex_body(c, printer) -> str:
    """A gathered LaTeX block (Jupyter): the equations, the currents, the definitions."""
    from .render import where_latex
    rows = [rf"{printer._print(a)} = {printer._print(b)}" for a, b in c.system.equations()]
    rows += [rf"J_{{{name}}} = {printer._print(J)}" for name, J in c.heat_currents]
    exprs = list(c.system.matrix) + [J for _, J in c.heat_currents]
    rows += [w for w, a in zip(where_latex(c, exprs, printer), c.used(exprs))
             if a.kind in SHORT_KINDS]
    rows.append(r"x_k = \frac{D_k}{D} \quad \text{(Cramer's rule: $D$ the determinant of "
                r"the system, $D_k$ with column $k$ replaced by the right-hand side)}")
    return r"\begin{gathered}" + r" \\ ".join(rows) + r"\end{gathered}"
