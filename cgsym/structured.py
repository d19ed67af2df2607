r"""Exact steady states in *named rates*: the structured form (issues 12 and 13).

Without the weak-internal limit a steady state can be far too large to expand in the
atoms (parameters and occupations n(w, T)): by the Markov-chain tree theorem a secular
steady state is a sum over spanning trees of products of transition rates, and each
rate is a binomial in the occupations, so expanding multiplies the number of terms by
up to 2^(d - 1).  Here the steady state is solved over a polynomial ring whose
generators are the *rates themselves*:

1. rho is written in the eigenbasis of H_S, where the block of the real Liouvillian
   holding the populations is small (populations P, plus the coherences C of slow
   clusters in the partial-secular regime);
2. every distinct non-zero entry of that block (up to a rational factor) is a named
   symbol: Gamma^p_{b->a}, the rate of reservoir p from eigenstate b to a (its sum over
   reservoirs is W_{b->a} when several drive the same transition); entries touching the
   coherences are K_{i,j};
3. the coherences are eliminated exactly (rho_C = -A_CC^{-1} A_CP rho_P); a transition
   that they correct gets an effective rate V_{b->a} = W_{b->a} - (A_PC adj(A_CC)
   A_CP)_{ab} / det A_CC, defined through the symbols above;
4. the populations are the tree sums of the (effective) rate matrix, whose columns sum
   to zero (trace preservation): rho_k = N_k / D, N_k = sum over the spanning trees
   directed into k of the product of their rates, D = sum_k N_k (the diagonal is never
   formed, so no cancellation is left for the expansion to find);
5. J_p = Tr[H_S D_p rho] = sum_k c^p_k rho_k with c^p_k = sum_{a != k} (E_a - E_k)
   Gamma^p_{k->a} for a population (energy times rate), in the same symbols.

The result is exact: substituting the definitions is a ring homomorphism into the
rational functions of the atoms, valid when the substituted denominator is not the zero
function, which is proved by evaluating it exactly at a random rational point of the
atoms (non-zero there => non-zero).  As a further check the original block equations
are verified exactly at a second random rational point.  Numbers come from evaluating
the definitions at the point (40-digit atoms rounded to rationals, as everywhere) and
then the polynomials exactly.

The route is used by :func:`cgsym.steady_state.steady_state` only when the expansion in
the atoms is estimated too large to build (:data:`EXPANDED_LIMIT`, an estimate computed
before anything is built), so the closed forms of every shipped model are unchanged.
"""
from __future__ import annotations

import dataclasses
import random
from fractions import Fraction
from math import lcm

import flint
import sympy as sp

from .errors import CgsymError
from .arith.rational_form import RationalForm

#: estimated number of terms of the expanded steady state (denominator, in the atoms)
#: above which the structured form is used instead of the canonical expansion
EXPANDED_LIMIT = 400_000

#: spanning trees (all roots) above which even the structured form is not built
TREE_LIMIT = 500_000


# ---------------------------------------------------------------------------
# the form: a RationalForm whose generators include named rates
# ---------------------------------------------------------------------------
class StructuredForm(RationalForm):
    """A :class:`RationalForm` over a ring whose generators are named rates.

    ``definitions`` maps each rate symbol to its definition, in the atoms and the
    rate symbols defined before it (dependency order); ``latex_names`` its LaTeX;
    ``states`` the eigenstate labels the indices in the names refer to (1-based).
    ``atoms`` shows a rate generator as its symbol (printing writes the names);
    :meth:`generator_values` evaluates the definitions.
    """

    @property
    def definitions(self) -> dict:
        return self.__dict__["_definitions"]

    @property
    def latex_names(self) -> dict:
        return self.__dict__.get("_latex_names", {})

    @property
    def states(self) -> tuple:
        return self.__dict__.get("_states", ())

    def structured_extra(self):
        return {"definitions": self.definitions, "latex_names": self.latex_names,
                "states": self.states, "note": self.__dict__.get("_note")}

    def expanded_definitions(self) -> dict:
        """Each rate symbol's definition in the atoms alone."""
        out = {}
        for s, e in self.definitions.items():
            out[s] = sp.expand(e.xreplace(out)) if e.free_symbols & set(out) else e
        return out

    def generator_values(self, values, dps: int = 40) -> tuple:
        plain = RationalForm.__new__(RationalForm)
        atoms = set()
        for e in self.definitions.values():
            atoms |= _atoms_of(e)
        gens = [g for g in self.ring.gens if g not in self.definitions]
        atom_list = sorted(atoms | {self.back.get(g, g) for g in gens}, key=sp.default_sort_key)
        atom_list = [a for a in atom_list if a not in self.definitions]
        # evaluate every atom through a plain RationalForm (same rounding as everywhere)
        from .arith.flintalg import Ring
        dummies = [sp.Dummy(f"a{i}") for i in range(len(atom_list))]
        ring = Ring(dummies)
        object.__setattr__(plain, "ring", ring)
        object.__setattr__(plain, "back", dict(zip(dummies, atom_list)))
        object.__setattr__(plain, "nums", ())
        object.__setattr__(plain, "labels", ())
        vals = dict(zip(atom_list, RationalForm.generator_values(plain, values, dps)))
        exact = {a: sp.Rational(int(v.p), int(v.q)) for a, v in vals.items()}
        for s, e in self.definitions.items():
            v = sp.sympify(e).xreplace(exact)
            if not v.is_Rational:
                raise CgsymError(f"internal error: the rate {s} did not evaluate to a number")
            exact[s] = v
        out = []
        for g in self.ring.gens:
            v = exact[g] if g in self.definitions else exact[self.back.get(g, g)]
            out.append(flint.fmpq(int(v.p), int(v.q)))
        return tuple(out)

    def in_symbols(self, k: int) -> sp.Expr:
        """Value k as a SymPy expression in the rate symbols (and the atoms)."""
        back = {g: a for g, a in self.back.items() if g not in self.definitions}
        return (self.ring.to_sympy(self.nums[k]) / self.ring.to_sympy(self.den)).xreplace(back)

    def in_atoms(self, k: int) -> sp.Expr:
        """Value k with every definition substituted (unexpanded; small models only)."""
        return self.in_symbols(k).xreplace(self.expanded_definitions())

    @property
    def atoms(self) -> tuple:
        return tuple(g if g in self.definitions else self.back.get(g, g) for g in self.ring.gens)

    def linear_combination(self, coefficients, label=None):
        raise CgsymError("internal error: a structured form is combined by cgsym.structured")

    def __getstate__(self):
        state = RationalForm.__getstate__(self)
        state["structured"] = self.structured_extra()
        return state

    def __setstate__(self, state):
        RationalForm.__setstate__(self, state)
        extra = state["structured"]
        self.__dict__["_definitions"] = dict(extra["definitions"])
        self.__dict__["_latex_names"] = dict(extra["latex_names"])
        self.__dict__["_states"] = tuple(extra["states"])
        if extra.get("note"):
            self.__dict__["_note"] = extra["note"]


def _make_form(ring, nums, den, back, labels, definitions, latex_names, states):
    f = StructuredForm(ring, nums, den, back, labels)
    f.__dict__["_definitions"] = dict(definitions)
    f.__dict__["_latex_names"] = dict(latex_names)
    f.__dict__["_states"] = tuple(states)
    return f


def is_structured(form) -> bool:
    return isinstance(form, StructuredForm)


def _atoms_of(e) -> set:
    from .arith.algebra import nonpolynomial_atoms
    e = sp.sympify(e)
    out = {a for a in nonpolynomial_atoms([e]) if not (a.is_Pow and a.base.is_Function)}
    # outermost atoms only: a symbol inside n(w, T) is not an atom of e
    inner = set()
    for a in out:
        inner |= a.free_symbols
    syms = set()
    stack = [e]
    while stack:
        x = stack.pop()
        if x in out:
            continue
        if x.is_Symbol:
            syms.add(x)
        stack.extend(x.args)
    return out | syms


# ---------------------------------------------------------------------------
# naming
# ---------------------------------------------------------------------------
class _Names:
    """Distinct entries (up to a rational factor) -> named symbols, in order."""

    def __init__(self, taken):
        self.by_base = {}
        self.definitions = {}     # symbol -> definition (dependency order)
        self.latex = {}
        self.taken = set(taken)

    def symbol(self, name, latex, definition):
        base = name
        k = 2
        while name in self.taken:
            name = f"{base}_{k}"
            k += 1
        self.taken.add(name)
        s = sp.Symbol(name, real=True)
        self.definitions[s] = definition
        self.latex[s] = latex
        return s

    def entry(self, expr, name, latex):
        """(q, s) with expr = q * s; s a parameter symbol or a (new or shared) name."""
        e = sp.expand(expr)
        if e == 0:
            return None
        c, p = e.primitive()
        if p.could_extract_minus_sign():
            c, p = -c, -p
        if p.is_Symbol or p.is_Number:
            return c, p
        if p not in self.by_base:
            self.by_base[p] = self.symbol(name, latex, sp.factor(p))
        return c, self.by_base[p]


def _label(c, d) -> str:
    kind, a, b = c
    sep = "_" if d >= 10 else ""
    if kind == "p":
        return str(a + 1)
    return f"{kind}{a + 1}{sep}{b + 1}"


# ---------------------------------------------------------------------------
# the Markov-chain tree theorem
# ---------------------------------------------------------------------------
def tree_counts(n: int, edges) -> list[int]:
    """Number of spanning trees directed into each vertex (integer Kirchhoff)."""
    out = []
    for root in range(n):
        idx = [v for v in range(n) if v != root]
        pos = {v: i for i, v in enumerate(idx)}
        M = [[0] * len(idx) for _ in idx]
        for b, outs in edges.items():
            if b == root:
                continue
            for a, _w in outs:
                M[pos[b]][pos[b]] += 1
                if a != root:
                    M[pos[a]][pos[b]] -= 1
        out.append(int(flint.fmpz_mat(M).det()) if idx else 1)
    return out


def tree_sums(n: int, edges, nvars: int) -> list[dict]:
    """For each root k, {exponent tuple: Fraction}: the sum over spanning trees directed
    into k of the product of the edge weights.  ``edges[b]`` lists (a, (q, var)) for the
    edge b -> a of weight q * x_var."""
    out = []
    for root in range(n):
        acc: dict = {}
        order = [v for v in range(n) if v != root]
        choice = {}

        def rec(i, vars_, q):
            if i == len(order):
                key = tuple(sorted(vars_))
                acc[key] = acc.get(key, 0) + q
                return
            b = order[i]
            for a, (w, var) in edges.get(b, ()):
                x = a
                while x in choice:
                    x = choice[x]
                if x == b:
                    continue        # closes a cycle
                choice[b] = a
                rec(i + 1, vars_ + (var,), q * w)
                del choice[b]
        rec(0, (), Fraction(1))
        poly = {}
        for key, q in acc.items():
            if q == 0:
                continue
            mon = [0] * nvars
            for v in key:
                mon[v] += 1
            poly[tuple(mon)] = q
        out.append(poly)
    return out


# ---------------------------------------------------------------------------
# the route
# ---------------------------------------------------------------------------
@dataclasses.dataclass
class _Block:
    me: object
    me_eig: object
    R0e: object
    comps: list
    comp: list
    coords: list


def _eigenbasis_block(me):
    from .operators import sparsity_components
    from .steady_state import eigenbasis_master_equation, real_liouvillian
    d = me.dim
    me_eig = eigenbasis_master_equation(me)
    R0e, coords = real_liouvillian(me_eig.liouvillian(), d)
    comps = sparsity_components(R0e)
    pop = [c for c in comps if any(coords[i][0] == "p" for i in c)]
    if len(pop) != 1:
        return None
    return _Block(me, me_eig, R0e, comps, pop[0], coords)


def _real_column(M, d, coords_index):
    """A Hermitian d x d matrix as {real coordinate index: value}."""
    out = {}
    for a in range(d):
        v = sp.expand(M[a, a])
        if v != 0:
            out[coords_index[("p", a, a)]] = v
        for b in range(a + 1, d):
            re = sp.expand((M[a, b] + M[b, a]) / 2)
            im = sp.expand((M[a, b] - M[b, a]) / (2 * sp.I))
            if re != 0:
                out[coords_index[("x", a, b)]] = re
            if im != 0:
                out[coords_index[("y", a, b)]] = im
    return out


def _estimate_expanded(n, edges_terms) -> int:
    """An estimate of the expanded denominator's terms: sum over spanning trees (all
    roots) of the product of the edges' term counts in the atoms (Kirchhoff with
    integer weights; an upper bound on the terms before like terms merge)."""
    total = 0
    for root in range(n):
        idx = [v for v in range(n) if v != root]
        pos = {v: i for i, v in enumerate(idx)}
        M = [[0] * len(idx) for _ in idx]
        for b, outs in edges_terms.items():
            if b == root:
                continue
            for a, w in outs:
                M[pos[b]][pos[b]] += w
                if a != root:
                    M[pos[a]][pos[b]] -= w
        total += int(flint.fmpz_mat(M).det()) if idx else 1
    return total


def plan(me):
    """(estimated expanded terms, spanning trees, block) of the structured route for a
    master equation, or None when it does not apply (computed before anything large is
    built: the eigenbasis block and two integer determinants per state)."""
    blk = _eigenbasis_block(me)
    if blk is None:
        return None
    coords, comp, R = blk.coords, blk.comp, blk.R0e
    P = [i for i in comp if coords[i][0] == "p"]
    C = [i for i in comp if coords[i][0] != "p"]
    pos = {v: k for k, v in enumerate(P)}
    edges_terms, edges_one = {}, {}
    for b in P:
        for a in P:
            if a != b and R[a, b] != 0:
                t = len(sp.Add.make_args(sp.expand(R[a, b])))
                edges_terms.setdefault(pos[b], []).append((pos[a], t))
                edges_one.setdefault(pos[b], []).append((pos[a], 1))
    # coherences couple populations a, b through C: an extra (effective) edge
    if C:
        reach = {}
        for a in P:
            for c in C:
                if R[a, c] != 0:
                    reach.setdefault(pos[a], set()).add(c)
        for b in P:
            feeds = {c for c in C if R[c, b] != 0}
            if not feeds:
                continue
            for a, cs in reach.items():
                if a != pos[b] and cs:
                    have = [x for x, _ in edges_one.get(pos[b], ()) if x == a]
                    if not have:
                        edges_one.setdefault(pos[b], []).append((a, 1))
                        edges_terms.setdefault(pos[b], []).append((a, 1))
    trees = sum(tree_counts(len(P), edges_one))
    est = _estimate_expanded(len(P), edges_terms)
    return est, trees, blk


def structured_steady_state(me, blocks, blk=None):
    """The unique steady state in named rates (a SteadyState whose ``form`` is a
    :class:`StructuredForm`), or None when the route does not apply (the population
    block is not unique, a coherence block has a kernel, a coefficient of the basis
    change is not rational)."""
    from .steady_state import SteadyState, _check_nullity, _rank_at_point, coordinate_matrix
    from .arith.algebra import polynomial_form
    from .arith.flintalg import Ring
    if blk is None:
        blk = _eigenbasis_block(me)
        if blk is None:
            return None
    model = me.model
    d = me.dim
    coords, comp, R = blk.coords, blk.comp, blk.R0e
    Rpoly, _ = polynomial_form(R)
    if not all(_rank_at_point(Rpoly.extract(c, c), 1) == len(c) for c in blk.comps if c != comp):
        return None
    P = [i for i in comp if coords[i][0] == "p"]
    C = [i for i in comp if coords[i][0] != "p"]
    cindex = {c: i for i, c in enumerate(coords)}
    H = blk.me_eig.hamiltonian
    if any(H[a, b] != 0 for a in range(d) for b in range(d) if a != b):
        return None
    E = [sp.expand(H[a, a]) for a in range(d)]
    # per-reservoir columns of the block (for the currents) and their sum
    reservoirs = [r.name for r in model.reservoirs]
    Rp = {p: {} for p in reservoirs}
    for j in comp:
        Ej = coordinate_matrix(coords[j], d)
        for p in reservoirs:
            col = _real_column(blk.me_eig.dissipate(Ej, p), d, cindex)
            Rp[p][j] = col
    # exact checks: trace preservation per reservoir and in total (column sums over P)
    for p in reservoirs:
        for j in comp:
            if sp.expand(sum((Rp[p][j].get(a, 0) for a in P), sp.S.Zero)) != 0:
                return None
    for j in comp:
        if sp.expand(sum((R[a, j] for a in P), sp.S.Zero)) != 0:
            return None
    from .forms.abbreviations import _taken
    names = _Names(_taken(model))
    lab = lambda i: _label(coords[i], d)  # noqa: E731
    # level 1: per-reservoir rates between populations
    gam = {}      # (p, a, b) -> (q, s)   (b -> a)
    for b in P:
        for a in P:
            if a == b:
                continue
            for p in reservoirs:
                v = Rp[p][b].get(a, 0)
                if v != 0:
                    gam[(p, a, b)] = names.entry(
                        v, f"Gamma_{p}_{lab(b)}_{lab(a)}",
                        rf"\Gamma^{{({p})}}_{{{lab(b)} \to {lab(a)}}}")
    w = {}        # (a, b) -> expression in symbols: total rate b -> a
    for b in P:
        for a in P:
            if a == b:
                continue
            parts = [gam[(p, a, b)] for p in reservoirs if (p, a, b) in gam]
            tot = sp.expand(R[a, b])
            if not parts:
                if tot != 0:
                    return None
                continue
            expr = sp.Add(*[q * s for q, s in parts])
            if sp.expand(expr.xreplace(names.definitions) - tot) != 0:
                return None
            if len(parts) > 1:
                s = names.symbol(f"W_{lab(b)}_{lab(a)}", rf"W_{{{lab(b)} \to {lab(a)}}}", expr)
                w[(a, b)] = (sp.S.One, s)
            else:
                w[(a, b)] = parts[0]
    # entries touching the coherences: total entries, named
    K = {}
    for i in comp:
        for j in comp:
            if (i in P and j in P) or R[i, j] == 0:
                continue
            K[(i, j)] = names.entry(R[i, j], f"K_{lab(i)}_{lab(j)}",
                                    rf"K_{{{lab(i)},{lab(j)}}}")
    # per-reservoir population rows of coherence columns (currents)
    kp = {}
    for p in reservoirs:
        for c in C:
            for a in P:
                v = Rp[p][c].get(a, 0)
                if v != 0:
                    kp[(p, a, c)] = names.entry(v, f"Gamma_{p}_{lab(c)}_{lab(a)}",
                                                rf"\Gamma^{{({p})}}_{{{lab(c)} \to {lab(a)}}}")
    sym = lambda t: t[0] * t[1] if t else sp.S.Zero  # noqa: E731
    # level 2: eliminate the coherences
    nP = len(P)
    ppos = {v: k for k, v in enumerate(P)}
    corr_num = {}
    delta = sp.S.One
    adjC = None
    if C:
        ACC = sp.Matrix(len(C), len(C), lambda r, s: sym(K.get((C[r], C[s]))))
        delta = sp.expand(ACC.det(method="berkowitz"))
        if delta == 0:
            return None
        adjC = ACC.adjugate(method="berkowitz").applyfunc(sp.expand)
        APC = sp.Matrix(nP, len(C), lambda r, s: sym(K.get((P[r], C[s]))))
        ACP = sp.Matrix(len(C), nP, lambda r, s: sym(K.get((C[r], P[s]))))
        corr = (APC * adjC * ACP).applyfunc(sp.expand)
        for r in range(nP):
            for s_ in range(nP):
                if r != s_ and corr[r, s_] != 0:
                    corr_num[(P[r], P[s_])] = corr[r, s_]
    eff = {}
    for (a, b), t in w.items():
        eff[(a, b)] = sym(t)
    for (a, b), c in corr_num.items():
        base = eff.get((a, b), sp.S.Zero)
        dname = f"V_{lab(b)}_{lab(a)}"
        s = names.symbol(dname, rf"\tilde{{W}}_{{{lab(b)} \to {lab(a)}}}",
                         base - c / delta)
        eff[(a, b)] = s
    # ring: every symbol, then the parameters and atoms of the coefficients
    Ecoef = {}
    for p in reservoirs:
        for k in comp:
            terms = []
            if k in P:
                for a in P:
                    if a != k and (p, a, k) in gam:
                        terms.append((E[a] - E[k]) * sym(gam[(p, a, k)]))
            else:
                for a in P:
                    if (p, a, k) in kp:
                        terms.append(E[a] * sym(kp[(p, a, k)]))
            Ecoef[(p, k)] = sp.expand(sp.Add(*terms))
    everything = list(Ecoef.values()) + [delta] + list(eff.values()) + \
        (list(adjC) if adjC is not None else []) + [sym(t) for t in K.values()]
    poly_all, back = polynomial_form(sp.Matrix(everything))
    fwd = {v: k for k, v in back.items()}
    gens = sorted(set(names.definitions) | poly_all.free_symbols, key=sp.default_sort_key)
    ring = Ring(gens)
    gidx = {g: i for i, g in enumerate(gens)}
    nv = len(gens)
    # edges of the effective rate matrix: b -> a with weight q * symbol
    edges = {}
    for (a, b), e in eff.items():
        e = sp.expand(e)
        if e == 0:
            continue
        c, s = e.as_coeff_Mul()
        if not (s.is_Symbol and s in gidx):
            return None
        edges.setdefault(ppos[b], []).append((ppos[a], (Fraction(int(c.p), int(c.q)), gidx[s])))
    sums = tree_sums(nP, edges, nv)
    L = 1
    for poly in sums:
        for q in poly.values():
            L = lcm(L, q.denominator)
    Npop = [ring.ctx.from_dict({m: int(q * L) for m, q in poly.items()}) for poly in sums]
    zero = ring.ctx.from_dict({})
    Dpop = zero
    for x in Npop:
        Dpop += x
    if Dpop.is_zero():
        return None

    def to_ring(e):
        e = sp.expand(sp.sympify(e).xreplace(fwd))
        num, q = ring.from_sympy(e)
        return num, q
    # block values over one denominator: populations delta*N_k, coherences
    # -(adj A_CC A_CP N)_c;  everything over delta * D
    dnum, dq = to_ring(delta)     # delta = dnum / dq
    vals = {}
    for k, x in zip(P, Npop):
        vals[k] = x * dnum      # rho_k = N_k / D = (N_k delta) / (D delta)
    den_scale = dq              # rho_c = -(adj ACP N)_c / (delta D) = -(dq ...)/(dnum D)
    if C:
        ACP = sp.Matrix(len(C), nP, lambda r, s: sym(K.get((C[r], P[s]))))
        G = (adjC * ACP).applyfunc(sp.expand)
        for r, c in enumerate(C):
            acc = []
            for s_ in range(nP):
                if G[r, s_] != 0:
                    acc.append((to_ring(-G[r, s_]), Npop[s_]))
            qall = 1
            for (_, q), _ in acc:
                qall = lcm(qall, q)
            tot = zero
            for (num, q), x in acc:
                tot += num * (qall // q) * x
            vals[c] = (tot, qall)
        # common integer scale
        Q = 1
        for c in C:
            Q = lcm(Q, vals[c][1])
        for c in C:
            tot, q = vals[c]
            vals[c] = tot * (Q // q) * dq
        for k in P:
            vals[k] = vals[k] * Q
        den = Dpop * dnum * Q
    else:
        den = Dpop
    block_nums = [vals[i] for i in comp]
    block_den = den
    # exact check of the named system: every block equation holds in the symbols
    _check_block(ring, comp, P, C, w, K, sym, block_nums, to_ring)
    # back to the product basis (rational coefficients only)
    from .operators import adjoint
    U = sp.Matrix(me.spectrum.unitary)
    Ud = sp.Matrix(adjoint(U, model.adjoint_mode))
    T = {}
    for j, ci in enumerate(comp):
        M = (U * coordinate_matrix(coords[ci], d) * Ud).applyfunc(sp.expand)
        for k, v in _real_column(M, d, cindex).items():
            if not v.is_Rational:
                return None
            T.setdefault(k, []).append((v, j))
    rows = sorted(T)
    nums = []
    Lq = 1
    for k in rows:
        for v, _ in T[k]:
            Lq = lcm(Lq, int(v.q))
    for k in rows:
        acc = zero
        for v, j in T[k]:
            acc += block_nums[j] * int(v * Lq)
        nums.append(acc)
    den = den * Lq
    g = den
    for x in nums:
        g = g.gcd(x)
    nums, den = [x // g for x in nums], den // g
    keep = [i for i, x in enumerate(nums) if not x.is_zero()]
    form = _make_form(ring, [nums[i] for i in keep], den, back,
                      tuple(coords[rows[i]] for i in keep), names.definitions, names.latex,
                      tuple(s.label for s in me.spectrum.states))
    _prove_denominator(form)
    _check_at_random_point(form, me, seed=7)
    _check_nullity(blk.R0e, blk.comps, 1, model)
    ss = SteadyState(me, 1, blocks, form)
    # what the currents need: the block values over the block denominator and the
    # coefficients c^p_k in the symbols
    coef = {p: [(Ecoef[(p, k)], j) for j, k in enumerate(comp) if Ecoef[(p, k)] != 0]
            for p in reservoirs}
    form.__dict__["_currents"] = {"block_nums": block_nums, "block_den": block_den,
                                  "coef": coef, "to_ring": to_ring}
    return ss


def _check_block(ring, comp, P, C, w, K, sym, nums, to_ring):
    """Equations of the block that hold exactly in the symbols: without coherences every
    population equation, sum_b w_ab rho_b - (sum_b w_ba) rho_a = 0 (the diagonal as
    minus the column sum); with coherences every coherence equation (the population
    equations hold after substituting the effective rates, checked at a random point)."""
    pos = {v: k for k, v in enumerate(comp)}
    zero = ring.ctx.from_dict({})

    def weighted(pairs):
        q_all = 1
        conv = []
        for e, x in pairs:
            num, q = to_ring(e)
            conv.append((num, q, x))
            q_all = lcm(q_all, q)
        acc = zero
        for num, q, x in conv:
            acc += num * (q_all // q) * x
        return acc
    if not C:
        for a in P:
            pairs = []
            for b in P:
                if b == a:
                    continue
                if (a, b) in w:
                    pairs.append((sym(w[(a, b)]), nums[pos[b]]))
                if (b, a) in w:
                    pairs.append((-sym(w[(b, a)]), nums[pos[a]]))
            if not weighted(pairs).is_zero():
                raise CgsymError("internal error: the structured steady state failed its check")
        return
    for c in C:
        pairs = [(sym(K[(c, j)]), nums[pos[j]]) for j in comp if (c, j) in K]
        if not weighted(pairs).is_zero():
            raise CgsymError("internal error: the structured coherences failed their check")


def _random_atom_point(atoms, seed):
    rng = random.Random(seed)
    return {a: sp.Rational(rng.randint(1000, 9999), rng.randint(1000, 9999)) for a in atoms}


def _prove_denominator(form):
    """The substituted denominator is not the zero function: non-zero at a random
    rational point of the atoms (exact), where every definition is finite."""
    for seed in (1, 2, 3):
        try:
            x = _exact_generator_values(form, seed)
        except ZeroDivisionError:
            continue
        if _eval_poly(form.den, x) != 0:
            return
    raise CgsymError("the structured steady state's denominator vanishes identically "
                     "after substituting the rates (internal error)")


def _atom_point(form, seed) -> dict:
    """A random rational point of the atoms the named rates are defined through."""
    defs = form.definitions
    atoms = set()
    for e in defs.values():
        atoms |= _atoms_of(e)
    for g in form.ring.gens:
        if g not in defs:
            atoms.add(form.back.get(g, g))
    atoms -= set(defs)
    return _random_atom_point(sorted(atoms, key=sp.default_sort_key), seed)


def _exact_generator_values(form, seed):
    defs = form.definitions
    pt = _atom_point(form, seed)
    vals = dict(pt)
    for s, e in defs.items():
        v = sp.sympify(e).xreplace(vals)
        if not v.is_Rational:
            raise ZeroDivisionError
        vals[s] = v
    return [vals[g] if g in defs else vals[form.back.get(g, g)] for g in form.ring.gens]


def _eval_poly(p, x):
    ctx = p.context()
    pt = [flint.fmpq(int(v.p), int(v.q)) for v in x]
    acc = flint.fmpq(0)
    for mon, c in zip(p.monoms(), p.coeffs()):
        t = flint.fmpq(int(c))
        for v, e in zip(pt, mon):
            if e:
                t *= v ** int(e)
        acc += t
    return acc


def _check_at_random_point(form, me, seed):
    """rho (product basis) from the form, at a random rational point of the atoms, is a
    trace-one kernel vector of the Liouvillian there (exact rational arithmetic): an
    independent check of the naming, the elimination and the basis change."""
    from .steady_state import coordinate_matrix
    x = _exact_generator_values(form, seed)
    den = _eval_poly(form.den, x)
    d = me.dim
    rho = sp.zeros(d, d)
    for lab, p in zip(form.labels, form.nums):
        v = _eval_poly(p, x) / den
        rho += sp.Rational(int(v.p), int(v.q)) * coordinate_matrix(lab, d)
    pt = _atom_point(form, seed)
    # the rhs with every atom (occupations too) at its random value
    out = me.rhs(rho)
    out = out.xreplace(pt)
    if sp.expand(rho.trace()) != 1 or any(sp.expand(v) != 0 for v in out):
        raise CgsymError("internal error: the structured steady state is not stationary "
                         "at a random rational point")


def structured_heat_currents(ss):
    """J_p = sum_k c^p_k rho_k in the same named rates (HeatCurrents with structured
    forms).  c^p_k = Tr[H_S D_p E_k] = sum_a E_a (D_p E_k)_aa in the eigenbasis."""
    from .thermo import HeatCurrents
    info = ss.form.__dict__["_currents"]
    form = ss.form
    ring = form.ring
    to_ring = info["to_ring"]
    zero = ring.ctx.from_dict({})
    out = []
    for p, pairs in info["coef"].items():
        conv = []
        q_all = 1
        for e, j in pairs:
            num, q = to_ring(e)
            conv.append((num, q, info["block_nums"][j]))
            q_all = lcm(q_all, q)
        acc = zero
        for num, q, x in conv:
            acc += num * (q_all // q) * x
        f = _make_form(ring, [acc], info["block_den"] * q_all, form.back, (p,),
                       form.definitions, form.latex_names, form.states)
        out.append((p, f))
    return HeatCurrents(ss, forms=tuple(out))


#: distinct occupations n(w, T) in the Liouvillian below which the expansion is never
#: estimated too large (every shipped model has at most 6; the refrigerator 9 and 15)
OCCUPATIONS_FROM = 8


def structured_if_too_large(me, R0, blocks):
    """The steady state in named rates when its expansion in the occupations is
    estimated too large to build, else None (the canonical route proceeds).

    Cheap test first (the number of distinct occupations in the real Liouvillian
    ``R0``), then :func:`plan` (the eigenbasis block and integer tree counts); above
    :data:`TREE_LIMIT` spanning trees even the structured form is refused, in one line.
    """
    from .symbols import n as occ
    found = set()
    for e in R0:
        if e != 0:
            found |= e.atoms(occ)
            if len(found) >= OCCUPATIONS_FROM:
                break
    if len(found) < OCCUPATIONS_FROM:
        return None
    p = plan(me)
    if p is None:
        return None
    est, trees, blk = p
    if est <= EXPANDED_LIMIT:
        return None
    if trees > TREE_LIMIT:
        raise CgsymError(
            f"the exact steady state is too large to build: its expansion in the "
            f"occupations is estimated at {est:.2g} terms and even the form in named "
            f"rates needs {trees:,} spanning trees (limit {TREE_LIMIT:,}); use --numeric")
    ss = structured_steady_state(me, blocks, blk)
    if ss is None:
        raise CgsymError(
            f"the exact steady state is too large to build: its expansion in the "
            f"occupations is estimated at {est:.2g} terms, and the form in named rates "
            f"does not apply to this model; use --numeric")
    ss.form.__dict__["_note"] = (
        f"the steady state and the heat currents are exact but written in named rates "
        f"(their definitions follow): the expansion in the occupations is estimated at "
        f"{est:.2g} terms (above {EXPANDED_LIMIT:,}), too large to build")
    return ss


def substitute(form, p, ring, fwd):
    """(num, den) in ``ring`` with num/den = p (a polynomial of ``form``'s ring) after
    substituting every definition; ``fwd`` maps the atoms to ``ring``'s generators.
    Exact, in python-flint: each generator's value is a fraction n_s/d_s, and p is put
    over prod d_s^(max degree of s in p) term by term (for proofs on small models)."""
    from .arith.flintalg import fraction_tree
    index = {g: i for i, g in enumerate(ring.gens)}
    defs = form.expanded_definitions()
    vals = []
    for g, a in zip(form.ring.gens, form.atoms):
        e = defs.get(g, a)
        vals.append(fraction_tree(ring, index, sp.sympify(e).xreplace(fwd)))
    one = ring.one()
    # generators with the same denominator share it (the effective rates all divide by
    # det A_CC): a group's power is the largest total degree of its members in a term
    groups = []
    group_of = []
    for i, (_, dn) in enumerate(vals):
        for k, dg in enumerate(groups):
            if dg == dn:
                group_of.append(k)
                break
        else:
            groups.append(dn)
            group_of.append(len(groups) - 1)
    mons = list(p.monoms())
    tops = [0] * len(groups)
    for mon in mons:
        tot = [0] * len(groups)
        for i, e in enumerate(mon):
            tot[group_of[i]] += int(e)
        tops = [max(a, b) for a, b in zip(tops, tot)]
    powers = {}

    def pw(key, base, e):
        if e == 0:
            return one
        if (key, e) not in powers:
            powers[(key, e)] = base ** e
        return powers[(key, e)]
    num = ring.ctx.from_dict({})
    for mon, c in zip(mons, p.coeffs()):
        t = one * int(c)
        tot = [0] * len(groups)
        for i, e in enumerate(mon):
            if e:
                t *= pw(("n", i), vals[i][0], int(e))
                tot[group_of[i]] += int(e)
        for k, dg in enumerate(groups):
            t *= pw(("d", k), dg, tops[k] - tot[k])
        num += t
    den = one
    for k, dg in enumerate(groups):
        den *= pw(("d", k), dg, tops[k])
    return num, den


# ---------------------------------------------------------------------------
# presentation: the definitions of the named rates
# ---------------------------------------------------------------------------
def definitions_text(form) -> list[str]:
    """Lines defining every rate symbol of a structured form (text output)."""
    states = form.states
    out = ["where (eigenstates numbered " + ", ".join(f"{i} = {s}" for i, s in
                                                   enumerate(states, 1)) + "; "
           "Gamma_p_b_a: rate of reservoir p from eigenstate b to a; W: their sum over "
           "reservoirs; K_i_j: Liouvillian entries of the coherences x/y; V: effective "
           "rates with the coherences eliminated):"]
    for s, e in form.definitions.items():
        out.append(f"  {s.name} = {sp.sstr(e)}")
    note = form.__dict__.get("_note")
    if note:
        out.append(f"note: {note}")
    return out


def definitions_json(form) -> dict:
    """{name: definition} (readable by sympify with the parameter names, n and the
    names defined before it)."""
    return {s.name: sp.sstr(e) for s, e in form.definitions.items()}
