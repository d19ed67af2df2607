"""Compact, paper-style forms of derived results: a search over candidate rewrites.

The measure is SymPy's ``count_ops`` of the printed form plus, once each, the
definitions of the abbreviations it uses.  Candidates (all built for any model):

* atoms: the occupations alone (n_p), or the rate combinations
  Gamma_p(w) = gamma_p(w) (2 n_p(w) + 1), globally or factor by factor;
* every irreducible factor (python-flint) either expanded or collected by monomials
  of the slow parameters with each coefficient factored (the paper's collection by
  powers of Omega);
* one result through another: the partial-secular current as J_sec x factor
  (Eqs. 118, 145), J_sec derived from the secular regime of the same model;
* the steady state over one named common denominator, rho = N / D.

Every form is *proved* equal to the canonical result before it is returned: the
abbreviations are substituted back and num_form * den_canonical - num_canonical *
den_form is checked to be the zero polynomial in python-flint (exact, no sampling).  The canonical results are not
changed; :class:`CompactForms` only holds views of them.
"""
from __future__ import annotations

import time

from flint.utils.flint_exceptions import DomainError as _FlintDomainError
from sympy import ilcm
from dataclasses import dataclass, replace

import sympy as sp
from sympy.printing.defaults import Printable

from ..arith.algebra import nonpolynomial_atoms
from ..arith.exps import ExpLattice
from ..symbols import n
from ..errors import CgsymError
from ..arith.flintalg import Ring, fraction_tree, canonical_fraction
from ..operators import ImmutableMatrix
from .abbreviations import (Abbreviation, expand_abbreviations, occupation_abbreviations,
                            rate_abbreviations, rate_value_abbreviations, _taken, _unique)


def ops(expr) -> int:
    """SymPy ``count_ops``: the measure of every form (remembered for the last forms
    measured: a current is measured against its J_sec candidate, then counted)."""
    return _by_identity("ops", expr, lambda: int(sp.count_ops(expr)))


_IDENTITY_MEMO: dict = {}


def _by_identity(kind, expr, compute):
    """``compute()`` remembered for the very object ``expr`` (held, so its id is not
    reused), for the last 64 objects of each kind."""
    memo = _IDENTITY_MEMO.setdefault(kind, {})
    hit = memo.get(id(expr))
    if hit is not None and hit[0] is expr:
        return hit[1]
    value = compute()
    if len(memo) >= 64:
        memo.pop(next(iter(memo)))
    memo[id(expr)] = (expr, value)
    return value


_DEF_OPS: dict = {}


def _def_ops(a) -> int:
    key = (a.symbol, a.definition)
    if key not in _DEF_OPS:
        _DEF_OPS[key] = ops(a.definition)
    return _DEF_OPS[key]


# ---------------------------------------------------------------------------
# one flint ring for every quantity of a derivation
# ---------------------------------------------------------------------------
class _Space:
    """A python-flint ring holding the canonical quantities of a derivation as rational
    functions of the parameters, the occupation symbols n_p, the rate symbols Gamma_p,
    i (a generator ``iota``, reduced by iota^2 = -1) and any other atom (exp(...), ...).
    One pass over the canonical expressions; all candidate forms are compared here by
    estimated counts, and SymPy expressions are built only for the winners."""

    def __init__(self, model, exprs, universe=(), sources=()):
        # ``sources``: RationalForms (the canonical results in flint) whose generators'
        # atoms are read instead of walking ``exprs`` (which may then be empty); their
        # polynomials enter through :meth:`import_poly`, no SymPy tree is built or read
        self.exprs = [sp.sympify(e) for e in exprs]
        atoms = nonpolynomial_atoms(self.exprs)
        src_syms = set()
        for f in sources:
            src_syms |= {a for a in f.atoms if a.is_Symbol}
            # the atoms and, as the SymPy reading finds them, the radicals inside them
            atoms |= nonpolynomial_atoms([a for a in f.atoms if not a.is_Symbol])
        # names come from every occupation of ``universe`` too (the gamma matrices), so
        # a quantity that uses only n(omega_S + Omega, T_h) still calls it n_{h+}
        occ = occupation_abbreviations(model, [a for a in atoms if isinstance(a, n)]
                                       + list(universe))
        rates = rate_abbreviations(model, occ)
        self.occupations, self.rates = occ, rates
        # atoms of the rate functions (exp(-w/omega_c), ...) are generators too
        atoms |= {a for a in nonpolynomial_atoms([g.definition for g in rates])
                  if not isinstance(a, n)}
        # several exponentials (an Ohmic rate's exp(-w/omega_c) at w = omega_S,
        # omega_S +- Omega): Laurent monomials of independent t_m (ExpLattice), or SymPy's
        # folding exp(a) exp(b) = exp(a + b) would make a form read back unlike its
        # canonical polynomial (each exp atom stays a generator the imports eliminate)
        exps = sorted((a for a in atoms if isinstance(a, sp.exp)), key=sp.default_sort_key)
        lat = ExpLattice.of(exps, orient=True) if len(exps) > 1 else None
        # (every exponential on the lattice, or none: an off-lattice one, MAX_Q, leaves
        # them all independent atoms)
        self.lattice = lat if lat is not None and lat.relates(exps) and all(
            lat.powers(a) is not None for a in exps) else None
        self.exp_atoms = tuple(exps) if self.lattice else ()
        if self.lattice:
            self.exprs = [self.lattice.map(e) for e in self.exprs]
        # the rate function's values gamma_p(w) (an exponential in them): generators the
        # system form's entries are written in (cgsym.forms.system), read back as their
        # definitions (``unsubst``)
        self.rate_values = rate_value_abbreviations(
            model, occ, _taken(model) | {a.name for a in occ + rates}) if self.lattice else ()
        mapping = {a.definition: a.symbol for a in occ}
        # radicals b^(p/q): one generator r_b = b^(1/Q) per base (Q = lcm of the q), with
        # the relation r_b^Q = b used to reduce products (sqrt(b)^2 = b)
        rads = sorted((a for a in atoms if a.is_Pow and a.exp.is_Rational
                       and not a.exp.is_Integer), key=lambda a: sp.count_ops(a.base))
        atoms -= set(rads)
        self.rad_Q, self.rad_gen = {}, {}
        self.back = {}
        raw_Q = {}
        for a in rads:
            raw_Q[a.base] = ilcm(raw_Q.get(a.base, 1), int(a.exp.q))
        for k, base in enumerate(dict.fromkeys(a.base for a in rads)):
            b = self._map_radicals(base)      # inner radicals have their generators now
            self.rad_Q[b] = raw_Q[base]
            self.rad_gen[b] = sp.Dummy(f"r{k}")
        others = sorted(atoms - set(mapping), key=sp.default_sort_key)
        for i, a in enumerate(others):
            g = sp.Dummy(f"g{i}")
            mapping[a] = g
            self.back[g] = a
        self.iota = sp.Dummy("iota")
        mapping[sp.I] = self.iota
        self.back[self.iota] = sp.I
        self.fwd = mapping
        if self.rad_Q:
            self.exprs = [self._map_radicals(e) for e in self.exprs]
        rate_defs = [self._map_exps(g.definition).xreplace(mapping) for g in rates]
        if self.rad_Q:
            # a rate function evaluated at a radical frequency (gamma omega / w at
            # omega = sqrt(w^2 + R^2))
            rate_defs = [self._map_radicals(e) for e in rate_defs]
        gens = {self.iota} | set(mapping.values()) | set(self.rad_gen.values())
        if self.lattice:
            tvals = self.lattice.values()
            gens |= set(tvals)
            self.back.update(tvals)
        for e in self.exprs + rate_defs:
            gens |= e.free_symbols
        gens |= src_syms
        for b in self.rad_gen:
            # a parameter that occurs only inside a radicand is a generator too (so the
            # relation r^Q = b can be written)
            gens |= b.free_symbols
        gens |= {o.symbol for o in occ} | {g.symbol for g in rates}
        gens |= {v.symbol for v in self.rate_values}
        self.gens = sorted(gens, key=sp.default_sort_key)
        self.ring = Ring(self.gens)
        self.index = {g: i for i, g in enumerate(self.gens)}
        # the atoms themselves (n(w, T), exp(...), i) index their generators, so the large
        # canonical expressions are read without a substitution pass
        self.atom_index = dict(self.index)
        self.atom_index.update({a: self.index[g] for a, g in mapping.items()})
        if self.rad_Q:
            # radicals inside an atom (n(sqrt(w^2 + eps^2), T)) are mapped before the
            # atom is looked up: index the atoms in their mapped form too
            self.atom_index.update({self._map_radicals(a): self.index[g]
                                    for a, g in mapping.items() if a is not sp.I})
        self.slow = [self.index[s] for s in model.slow if s in self.index]
        self._exp_setup()
        self._frac, self._raw = {}, {}
        self.rad_rel = []
        for b, g in self.rad_gen.items():
            self.back[g] = self._unmap(b) ** sp.Rational(1, self.rad_Q[b])
            try:
                bn, bd = fraction_tree(self.ring, self.atom_index, b)
            except ValueError:
                continue
            if bd == self.ring.one():
                self.rad_rel.append((self.index[g], self.rad_Q[b], bn))
        self._radical_relations()
        # n_i = A_i / B_i with A_i = Gamma_i r_den - r_num, B_i = 2 r_num (r = r_num/r_den);
        # back: Gamma_i = C_i / E_i with C_i = r_num (2 n_i + 1), E_i = r_den
        self.subst, self.unsubst = {}, {}
        for g, gdef in zip(rates, rate_defs):
            occ_i = next(o for o in occ if gdef.has(o.symbol))
            r = sp.cancel(gdef / (2 * occ_i.symbol + 1))
            if r.has(occ_i.symbol):
                continue
            rn, rd = fraction_tree(self.ring, self.index, r)
            G, N = self._gen(g.symbol), self._gen(occ_i.symbol)
            self.subst[self.index[occ_i.symbol]] = (G * rd - rn, 2 * rn)
            self.unsubst[self.index[g.symbol]] = (rn * (2 * N + 1), rd)
        self.rate_value_parts = []      # (generator, m, P, Q): value = P t^m / Q
        for v in self.rate_values:
            vdef = self.lattice.map(v.definition)
            if self.rad_Q:
                vdef = self._map_radicals(vdef)
            vn, vd = fraction_tree(self.ring, self.atom_index, vdef)
            self.unsubst[self.index[v.symbol]] = (vn, vd)
            a, P = self._t_monomial(vn)
            b, Q = self._t_monomial(vd)
            if a is not None and b is not None:
                self.rate_value_parts.append((v.symbol, tuple(x - y for x, y in zip(a, b)),
                                              P, Q))

    # -----------------------------------------------------------------------
    # relations between radicals (issue 12: readable forms of radical spectra)
    # -----------------------------------------------------------------------
    def _radical_relations(self):
        """Relations between the square roots beyond r^2 = b, each an identity at the
        true values (so a form reduced by them is still *proved* equal):

        * pairs: sqrt(A) sqrt(B) = +-C when A B reduces (by r^Q = b) to a perfect square
          C^2, A and B are real, one of them provably >= 0 (then sqrt(A) sqrt(B) =
          sqrt(A B), principal roots) and C has a sign SymPy proves from the
          parameters' assumptions (C >= 0: +C, C <= 0: -C; otherwise |C| would be
          needed and the pair is left alone).  The eigenvectors of a 2x2 block carry
          sqrt(R + D) and sqrt(R - D), whose product is 2|b| (b the off-diagonal
          element): the second is eliminated, sqrt(B) = +-C sqrt(A) / A.
        * the radical R = sqrt(b) itself, when b = c s^2 + (terms free of s) for a
          parameter s and an integer c: s^2 = (R^2 - rest) / c is the same relation
          read the other way, and R becomes a free variable (Q(s^2, rest) and
          Q(R, rest) are the same field).  Chosen (in :meth:`_decide`) for the s whose
          odd powers are rarest: R and the rest are then the natural variables of the
          results (the mixing weights (R +- D) / 2R; 4 b^2 = (R - D)(R + D) factors).
        """
        self.pair_elim = []          # (j2, P, A): r_j2 = P / A
        self.freed, self.freed_rad = [], set()   # (j, s, N, c): x_s^2 = N / c; {j}
        self.shown, self.shown_as = {}, {}       # gen -> name symbol, name -> gen
        self._stage1, self._decided = {}, not self.rad_rel
        sq = [(j, bp) for j, Q, bp in self.rad_rel if Q == 2]
        base_of = {self.index[g]: b for b, g in self.rad_gen.items()}
        gone = set()
        for a in range(len(sq)):
            for b in range(a + 1, len(sq)):
                (j1, A), (j2, B) = sq[a], sq[b]
                if j1 in gone or j2 in gone:
                    continue
                P = self.reduce(A * B)
                if P.is_zero():
                    continue
                try:
                    C = P.sqrt()
                except _FlintDomainError:      # not a perfect square
                    continue
                As, Bs = (self._unmap(base_of[j]) for j in (j1, j2))
                Cs = self.ring.to_sympy(C).xreplace(self.back)
                if not (As.is_real and Bs.is_real
                        and (As.is_nonnegative or Bs.is_nonnegative)):
                    continue
                sign = 1 if Cs.is_nonnegative else (-1 if Cs.is_nonpositive else 0)
                if not sign:
                    continue
                self.pair_elim.append((j2, sign * C * self._gen_at(j1), A))
                gone.add(j2)

    def _free_candidates(self, j, bp):
        """[(s, N, c)]: parameters s with bp = c s^2 + rest, N = r_j^2 - rest."""
        out = []
        params = {i for i, g in enumerate(self.gens) if g.is_Symbol and not g.is_Dummy}
        for s in sorted(params):
            if int(bp.degrees()[s]) != 2:
                continue
            parts = self.peel(bp, [s])
            if set(parts) - {(0,), (2,)} or (2,) not in parts:
                continue
            c2 = parts[(2,)]
            if not c2.is_constant() or int(c2.leading_coefficient()) == 0:
                continue
            rest = parts.get((0,), self.ring.ctx.from_dict({}))
            if any(int(rest.degrees()[i]) for i in (s, j)):
                continue
            out.append((s, self._gen_at(j) ** 2 - rest, int(c2.leading_coefficient())))
        return out

    def _stage1_pair(self, num, den):
        for j2, P, A in self.pair_elim:
            d = max(int(num.degrees()[j2]), int(den.degrees()[j2]))
            if d:
                num = self._homogeneous(num, {j2: (P, A)}, {j2: d})
                den = self._homogeneous(den, {j2: (P, A)}, {j2: d})
        return self.reduce(num), self.reduce(den)

    def _decide(self):
        """Choose which radicals become free variables (see :meth:`_radical_relations`),
        from the canonical quantities known so far (once; every later normal form,
        canonical or candidate, uses the same choice)."""
        if self._decided:
            return
        self._decided = True
        if not self.pair_elim and not any(
                Q == 2 and self._free_candidates(j, bp) for j, Q, bp in self.rad_rel):
            # nothing to relate (sqrt(2) of a spin chain, a radicand without a square
            # parameter): the canonical quantities stay as read, as before
            return
        keys = sorted(set(self._raw) | set(range(len(self.exprs))))
        polys = []
        for k in keys:
            if k not in self._stage1:
                self._stage1[k] = self._stage1_pair(*self.raw_fraction(k))
            polys += list(self._stage1[k])
        used_s = set()
        for j, Q, bp in self.rad_rel:
            if Q != 2 or any(j == j2 for j2, _, _ in self.pair_elim):
                continue
            cands = [c for c in self._free_candidates(j, bp) if c[0] not in used_s]
            if not cands:
                continue

            def odd(c):
                # terms odd in x_s: those of (p(x_s) - p(-x_s)) / 2, counted in flint
                g = list(self._gens_all())
                g[c[0]] = -g[c[0]]
                return sum(len(p - p.compose(*g, ctx=self.ring.ctx)) for p in polys
                           if not p.is_zero())
            s, N, c = min(cands, key=odd)
            self.freed.append((j, s, N, c))
            self.freed_rad.add(j)
            used_s.add(s)
            names = {self.index[x] for x in self.back[self.gens[j]].free_symbols
                     if x in self.index}
            if names and names <= set(self.slow) and j not in self.slow:
                self.slow.append(j)
        self._stage1 = {k: v for k, v in self._stage1.items() if k in self._raw
                        or k < len(self.exprs)}

    def _reduce_free(self, p, K=None):
        """p with x_s^2 -> N / c for each freed radical, scaled by c^K (K: the largest
        power of x_s^2 in p unless given)."""
        for j, s, N, c in self.freed:
            if p.is_zero() or int(p.degrees()[s]) < 2:
                continue
            p = self._free_one(p, s, N, c, K if K is not None else int(p.degrees()[s]) // 2)
        return p

    def _free_one(self, p, s, N, c, K):
        parts = self.peel(p, [s])
        xs = self._gen_at(s)
        out = self.ring.ctx.from_dict({})
        Npow = {0: self.ring.one()}
        for (k,), q in parts.items():
            m = k // 2
            if m not in Npow:
                Npow[m] = N ** m
            out += q * xs ** (k % 2) * Npow[m] * (c ** (K - m))
        return out

    def normal(self, num, den, staged=False, free=True):
        """(num, den) in the radicals' normal form: pairs eliminated, every r^Q = b and
        i^2 = -1 applied, freed radicals' s^2 rewritten, gcd cancelled (an identity at
        the true values at each step).  ``staged``: the first two steps are done."""
        if not (self.pair_elim or self.freed):
            # no relation of this pass: r^Q = b and i^2 = -1 only, no gcd (as before)
            return (self.reduce(num), self.reduce(den)) if self.rad_rel else (num, den)
        if not staged:
            num, den = self._stage1_pair(num, den)
        if self.freed and free:
            for j, s, N, c in self.freed:
                K = max(int(num.degrees()[s]), int(den.degrees()[s])) // 2
                if K:
                    num = self._free_one(num, s, N, c, K)
                    den = self._free_one(den, s, N, c, K)
        if num.is_zero():
            return num, self.ring.one()
        g = num.gcd(den)
        if not g.is_one():
            num, den = num // g, den // g
        if den.leading_coefficient() < 0:
            num, den = -num, -den
        return num, den

    def radical_names(self, taken, definitions=()):
        """Name the radicals the normal-form quantities (or ``definitions``: occupation
        and rate definitions) use: one -> ``R``, several -> ``R_1``, ``R_2``, ...
        innermost first (see :func:`~cgsym.forms.abbreviations.radical_abbreviations`).
        Returns the Abbreviations; from then on forms print the names."""
        from .abbreviations import radical_names as radical_abbreviations
        rad_js = {self.index[g]: b for b, g in self.rad_gen.items()}
        used = set()
        for num, den in self._frac.values():
            for p in (num, den):
                if not p.is_zero():
                    d = p.degrees()
                    used |= {j for j in rad_js if int(d[j])}
        for e in definitions:
            used |= {j for j in rad_js if sp.sympify(e).has(self.back[self.gens[j]])}
        # a used radical's inner radicals are used by its definition
        changed = True
        while changed:
            changed = False
            for j in list(used):
                for i in rad_js:
                    if i not in used and rad_js[j].has(self.gens[i]):
                        used.add(i)
                        changed = True
        order = [self.index[g] for b, g in self.rad_gen.items()
                 if self.index[g] in used and self._unmap(b).free_symbols]
        if not order:
            return ()
        actual = [self.back[self.gens[j]] for j in order]
        names = radical_abbreviations(len(order), taken)
        syms = [sp.Symbol(a, positive=True) if x.is_positive else sp.Symbol(a, real=True)
                for (a, _), x in zip(names, actual)]
        self._names = {}
        abbrs = []
        for j, x, sym, (_, tex) in zip(order, actual, syms, names):
            base, e = x.as_base_exp()
            # the definition in the names of the inner radicals (named before: innermost
            # first)
            abbrs.append(Abbreviation(sym, self.display(base) ** e, tex, "radical"))
            self._names[x] = sym
            self.shown[self.gens[j]] = sym
            self.shown_as[sym] = self.gens[j]
        self.__dict__.pop("_atoms", None)
        return tuple(abbrs)

    def display(self, expr):
        """``expr`` with every named radical written by its name (outermost first, so a
        nested radical shows its own name, not its inner one's)."""
        names = self.__dict__.get("_names")
        if not names:
            return expr
        rads = {}
        for a, sym in names.items():
            base, e = a.as_base_exp()
            rads[base] = (sym, e)

        def walk(x):
            if x.is_Pow and x.exp.is_Rational and not x.exp.is_Integer and x.base in rads:
                sym, e = rads[x.base]
                k = x.exp / e
                if k.is_Integer:
                    return sym ** int(k)
            if not x.args:
                return x
            return x.func(*[walk(a) for a in x.args])
        return walk(sp.sympify(expr))

    def import_poly(self, form, p):
        """Polynomial ``p`` of RationalForm ``form``'s ring as a polynomial of this ring
        (its generators' atoms are generators here: one flint ``compose``).

        With an exponential lattice, an exp atom of image prod t_m^k_m with some k_m < 0
        is eliminated by p -> sum_j c_j A^j B^(D - j), A = t^(k + o), B = t^o (o = the
        negative parts, D = the atom's largest degree over *all* of ``form``'s
        polynomials): p times t^(o D), one monomial common to every polynomial of the
        form, so a ratio of two of them (num/den, a coordinate over den) keeps its value
        (:meth:`set_fraction` cancels it)."""
        key = id(form.ring)
        images = self._images.get(key) if hasattr(self, "_images") else None
        if images is None:
            images = [self._image(a) for a in form.atoms] or [self.ring.one()]
            self.__dict__.setdefault("_images", {})[key] = images
        q = p.compose(*images, ctx=self.ring.ctx)
        if self.exp_table:
            degs = self._exp_degrees(form)
            if degs:
                q = self._homogeneous(q, self.exp_table, degs)
        return q

    # -----------------------------------------------------------------------
    # exponentials on a lattice (cgsym.arith.exps)
    # -----------------------------------------------------------------------
    def _exp_setup(self):
        """exp atom -> its image in the t_m: a monomial of this ring where every power
        is >= 0 (``exp_mono``), else the (A, B) of :meth:`import_poly` (``exp_table``,
        by the atom's own generator)."""
        self.exp_mono, self.exp_table = {}, {}
        self.exp_gens = set()
        if not self.lattice:
            return
        nv = len(self.gens)
        for t in self.lattice.values():
            self.exp_gens.add(self.index[t])
        for a in self.exp_atoms:
            pw = self.lattice.powers(a)
            pos, off = [0] * nv, [0] * nv
            for t, k in pw.items():
                j = self.index[t]
                if k >= 0:
                    pos[j] = k
                else:
                    off[j] = -k
            if not any(off):
                self.exp_mono[a] = self.ring.ctx.from_dict({tuple(pos): 1})
            else:
                # a = t^pos / t^off: A = t^(k + o) = t^pos, B = t^o
                A = self.ring.ctx.from_dict({tuple(pos): 1})
                B = self.ring.ctx.from_dict({tuple(off): 1})
                self.exp_table[self.atom_index[a]] = (A, B)

    def _exp_degrees(self, form) -> dict:
        """{generator of an exp atom in exp_table: its largest degree over ``form``'s
        numerators and denominator} (memoised per form)."""
        memo = self.__dict__.setdefault("_exp_degs", {})
        got = memo.get(id(form))
        if got is not None and got[0] is form:
            return got[1]
        degs = {}
        for j, a in enumerate(form.atoms):
            i = self.atom_index.get(a)
            if i is None or i not in self.exp_table:
                continue
            D = max(int(x.degrees()[j]) for x in form.nums + (form.den,) if not x.is_zero())
            if D:
                degs[i] = D
        memo[id(form)] = (form, degs)
        return degs

    def _t_monomial(self, p):
        """(exponents of the t_m, cofactor) when p = t^e x (cofactor free of the t_m),
        else (None, None)."""
        parts = self.peel(p, sorted(self.exp_gens))
        if len(parts) != 1:
            return None, None
        (e, c), = parts.items()
        return e, c

    def split_by_rate_values(self, num, den):
        """num/den = sum_k gamma_k c_k + c_0 with each gamma_k a rate value
        (``rate_values``) picked out by its exponential (the t_m monomial of the rate at
        its frequency): ({generator or None: (c_num, c_den)}), or None when a term's
        exponential is no rate value's, or its coefficient is not divisible by the
        value's prefactor (num/den is then not linear in the rate values)."""
        if not self.rate_value_parts or num.is_zero():
            return None
        u, dprime = self._t_monomial(den)
        if u is None:
            return None
        out = {}
        for v, c in self.peel(num, sorted(self.exp_gens)).items():
            e = tuple(x - y for x, y in zip(v, u))
            if not any(e):
                key, q = None, c
            else:
                for sym, m, P, Q in self.rate_value_parts:
                    if m != e:
                        continue
                    q, r = divmod(c, P)
                    if r.is_zero():
                        key, q = sym, q * Q
                        break
                else:
                    return None
            out[key] = out.get(key, self.ring.ctx.from_dict({})) + q
        return {k: (q, dprime) for k, q in out.items() if not q.is_zero()}

    def _strip_exp(self, num, den):
        """(num, den) with the largest monomial in the t_m dividing both cancelled."""
        if num.is_zero():
            return num, self.ring.one()
        gens = self._gens_all()
        for j in sorted(self.exp_gens):
            t = gens[j]
            while num.subs({j: 0}).is_zero() and den.subs({j: 0}).is_zero():
                num, den = num // t, den // t
        return num, den

    def _map_exps(self, e):
        """``e`` with every exponential as its lattice image (several exponentials), or
        exp(k b) -> exp(b)^k for a generator exp(b) (one)."""
        if self.lattice:
            return self.lattice.map(e)
        return self._map_exp_powers(e) if hasattr(self, "atom_index") else e

    def _image(self, atom):
        """The polynomial of this ring an atom of a RationalForm stands for: its
        generator, or for a radical b^(p/q) the power r_b^(p Q/q)."""
        if self.lattice and atom in self.exp_mono:
            return self.exp_mono[atom]
        if atom in self.atom_index:
            return self._gen_at(self.atom_index[atom])
        num, den = fraction_tree(self.ring, self.atom_index, self._map_radicals(atom))
        if den != self.ring.one():
            raise ValueError(f"the atom {atom} is not a monomial of the compact ring")
        return num

    def _gen_at(self, i):
        mon = [0] * len(self.gens)
        mon[i] = 1
        return self.ring.ctx.from_dict({tuple(mon): 1})

    def set_fraction(self, k, num, den):
        """Preset the k-th quantity (num, den) in this ring (from a RationalForm)."""
        if self.exp_gens:
            num, den = self._strip_exp(num, den)
            # the lattice's generators change flint's term order, so the sign of the
            # leading term no longer follows the old atoms: a denominator with more
            # negative than positive coefficients is negated, with its numerator
            if 2 * sum(1 for c in den.coeffs() if c < 0) > len(den):
                num, den = -num, -den
        self._raw[k] = (self.reduce_iota(num), den)

    def _map_radicals(self, e):
        """b^(p/q) -> r_b^(p Q/q), bottom-up (nested radicals: bases already mapped)."""
        Q, G = self.rad_Q, self.rad_gen

        def query(x):
            return (x.is_Pow and x.exp.is_Rational and not x.exp.is_Integer
                    and x.base in Q and (x.exp * Q[x.base]).is_Integer
                    and x.base in G)
        return sp.sympify(e).replace(query, lambda x: G[x.base] ** int(x.exp * Q[x.base]))

    def _map_exp_powers(self, e):
        """exp(k b) -> exp(b)^k when exp(b) is a generator (SymPy folds exp(b)**2 into
        exp(2 b) when a form is built; the proof reads it back)."""
        exps = [(a.args[0], self.atom_index[a]) for a in self.atom_index
                if isinstance(a, sp.exp)]
        if not exps:
            return e

        def query(x):
            return isinstance(x, sp.exp) and x not in self.atom_index

        def value(x):
            for b, i in exps:
                k = sp.cancel(x.args[0] / b)
                if k.is_Integer and k != 0:
                    return self.gens[i] ** int(k)
            return x
        return e.replace(query, value)

    def _unmap(self, e):
        back = {g: self._unmap(b) ** sp.Rational(1, self.rad_Q[b])
                for b, g in self.rad_gen.items() if e.has(g)}
        return e.xreplace(back) if back else e

    def reduce(self, p):
        """p reduced by r_b^Q = b and iota^2 = -1 (identities, so equal reductions prove
        equality)."""
        ctx = self.ring.ctx
        changed = True
        while changed and not p.is_zero():
            changed = False
            for j, Q, bp in self.rad_rel:
                if j in self.freed_rad or int(p.degrees()[j]) < Q:
                    continue
                changed = True
                p = self._reduce_one(p, j, Q, bp)
        return self.reduce_iota(p)

    def _reduce_one(self, p, j, Q, bp):
        """p with x_j^Q -> bp: the coefficients c_k of x_j^k peeled off in flint, then
        sum_r x_j^r sum_m c_(mQ+r) bp^m by Horner's rule (no Python pass over terms)."""
        parts = self.peel(p, [j])
        top = max(k for (k,) in parts)
        xj = self._gen_at(j)
        zero = self.ring.ctx.from_dict({})
        out = zero
        for r in range(Q):
            ks = range(r, top + 1, Q)
            acc = zero
            for k in reversed(ks):
                acc = acc * bp + parts.get((k,), zero)
            if not acc.is_zero():
                out += acc * xj ** r
        return out

    def equal_fractions(self, n1, d1, n2, d2) -> bool:
        """Whether n1/d1 = n2/d2, exactly.  True is a proof; False is one too without i
        and radicals, else "not proved".

        In ZZ[x] (a unique factorisation domain) a fraction cancelled by the gcd of
        numerator and denominator, with the denominator's leading coefficient positive,
        is unique: equal canonical pairs prove equality (two gcds instead of the cross
        products: 20k x 10k terms took 23 s for one current), and without i and
        radicals (relations i^2 = -1, r^Q = b) unequal pairs prove inequality.  With
        them, each of the four polynomials is reduced by the relations first (a SymPy
        expression read back has sqrt(b)^2 = b folded, a canonical form may not) and
        compared again; the reduced cross products (10^7 terms for the detuned qubits'
        currents) only when that does not decide."""
        if n1.is_zero() or n2.is_zero():
            return n1.is_zero() and n2.is_zero()
        if canonical_fraction(n1, d1) == canonical_fraction(n2, d2):
            return True
        if not self.rad_rel and not self.freed and not any(
                self.has_iota(x) for x in (n1, n2, d1, d2)):
            return False
        self._decide()
        r = list(self.normal(n1, d1)) + list(self.normal(n2, d2))
        if r[0].is_zero() or r[2].is_zero():
            return r[0].is_zero() and r[2].is_zero()
        if canonical_fraction(r[0], r[1]) == canonical_fraction(r[2], r[3]):
            return True
        return self._reduce_free(self.reduce(r[0] * r[3] - r[2] * r[1])).is_zero()

    def _gen(self, s):
        mon = [0] * len(self.gens)
        mon[self.index[s]] = 1
        return self.ring.ctx.from_dict({tuple(mon): 1})

    def raw_fraction(self, k):
        """(num, den) of the k-th canonical quantity as read (num reduced by iota^2 = -1)."""
        if k not in self._raw:
            num, den = fraction_tree(self.ring, self.atom_index, self.exprs[k])
            self._raw[k] = (self.reduce_iota(num), den)
        return self._raw[k]

    def fraction(self, k):
        """(num, den) of the k-th canonical quantity in the radicals' normal form
        (:meth:`normal`; without radical relations: as read, num reduced by iota^2 = -1)."""
        if k not in self._frac:
            self._decide()
            if not (self.pair_elim or self.freed):
                self._frac[k] = self.raw_fraction(k)
                return self._frac[k]
            staged = self._stage1.pop(k, None)
            if staged is None:
                staged = self._stage1_pair(*self.raw_fraction(k))
            # a quantity free of the freed radicals keeps its parameters (the weak-internal
            # limit's currents: rational in delta and g, no R to introduce)
            free = any(not p.is_zero() and int(p.degrees()[j])
                       for p in staged for j in self.freed_rad)
            self._frac[k] = self.normal(*staged, staged=True, free=free)
        return self._frac[k]

    def reduce_iota(self, p):
        j = self.index[self.iota]
        if p.is_zero() or int(p.degrees()[j]) < 2:
            return p
        d = {}
        for mon, c in p.to_dict().items():
            mon = [int(x) for x in mon]
            e = mon[j]
            mon[j] = e % 2
            c = int(c) * (-1 if e % 4 >= 2 else 1)
            key = tuple(mon)
            d[key] = d.get(key, 0) + c
        return self.ring.ctx.from_dict({k: v for k, v in d.items() if v})

    def split_iota(self, p):
        """(a, b) with p = a + iota b (p already reduced)."""
        j = self.index[self.iota]
        a, b = {}, {}
        for mon, c in p.to_dict().items():
            mon = [int(x) for x in mon]
            target = b if mon[j] else a
            mon[j] = 0
            target[tuple(mon)] = int(c)
        ctx = self.ring.ctx
        return ctx.from_dict(a), ctx.from_dict(b)

    def has_iota(self, p):
        return not p.is_zero() and int(p.degrees()[self.index[self.iota]]) > 0

    def fraction_of(self, expr):
        """(num, den) of a form: Gamma_p written back through n_p, iota^2 = -1."""
        e = sp.sympify(expr)
        if self.shown_as:
            e = e.xreplace(self.shown_as)
        # exponentials first: an exponent with a radical (exp(-sqrt(2) w/wc)) is read on
        # the lattice before the radical becomes its generator
        e = self._map_exps(e)
        if self.rad_Q:
            e = self._map_radicals(e)
        num, den = fraction_tree(self.ring, self.atom_index, e)
        if self.unsubst:
            degs = {i: max(int(num.degrees()[i]), int(den.degrees()[i])) for i in self.unsubst}
            num = self._homogeneous(num, self.unsubst, degs)
            den = self._homogeneous(den, self.unsubst, degs)
        self._decide()
        num, den = self.reduce_iota(num), self.reduce_iota(den)
        return self.normal(num, den) if (self.pair_elim or self.freed) else (num, den)

    def to_sympy(self, p):
        """p as a SymPy sum of Mul(coefficient, atom**e, ...), built in the atoms directly
        (the expression ``Ring.to_sympy(p).xreplace(back)`` without building it twice)."""
        if p.is_zero():
            return sp.S.Zero
        atoms = self.__dict__.get("_atoms")
        if atoms is None:
            atoms = self._atoms = [self.shown.get(g, self.back.get(g, g)) for g in self.gens]
        Pow, Mul, Integer = sp.Pow, sp.Mul, sp.Integer
        terms = []
        for mon, c in p.to_dict().items():
            t = [Integer(int(c))]
            for a, e in zip(atoms, mon):
                if e:
                    t.append(a if e == 1 else Pow(a, int(e)))
            terms.append(Mul(*t))
        return sp.Add(*terms)

    def degrees(self, p):
        d = p.degrees()
        return {i: int(d[i]) for i in self.subst}

    def to_gamma(self, p, degs=None):
        """(P, M) with p = P / M, every n_i replaced by A_i / B_i (M = prod B_i^deg_i)."""
        degs = degs or self.degrees(p)
        M = self.ring.one()
        for i, d in degs.items():
            M = M * self.subst[i][1] ** d
        return self._homogeneous(p, self.subst, degs), M

    def _homogeneous(self, p, table, degs):
        """sum_terms c m prod_i A_i^a_i B_i^(deg_i - a_i) for variables i -> A_i / B_i.

        Variable by variable, in flint only: the coefficients c_k of x_i^k are peeled off
        (c_0 = p|x_i=0, then p <- (p - c_0) / x_i, exact), and sum_k c_k A^k B^(d-k) is
        formed by Horner's rule (r <- r A + c_k B^(d-k)); no Python pass over the terms
        (each term's exponents are d Python objects: seconds on large results)."""
        if p.is_zero():
            return p
        for i, d in degs.items():
            if i not in table:
                continue
            A, B = table[i]
            x = self._gens_all()[i]
            cs, q = [], p
            for _ in range(d + 1):
                c = q.subs({i: 0})
                cs.append(c)
                q = (q - c) // x
            if not q.is_zero():
                raise CgsymError("internal error: a degree bound below the polynomial's")
            r = cs[d]
            Bk = self.ring.one()
            for k in range(d - 1, -1, -1):
                Bk = Bk * B
                r = r * A + cs[k] * Bk
            p = r
        return p

    def peel(self, p, variables) -> dict:
        """{(k_1, k_2, ...): c} with p = sum c x_1^k_1 x_2^k_2 ... (x = ``variables``,
        the c free of them, non-zero only), in flint: c_0 = p|x=0, p <- (p - c_0)/x."""
        out = {(): p}
        for i in variables:
            x = self._gens_all()[i]
            nxt = {}
            for key, q in out.items():
                k = 0
                while not q.is_zero():
                    c = q.subs({i: 0})
                    if not c.is_zero():
                        nxt[key + (k,)] = c
                    q = (q - c) // x
                    k += 1
            out = nxt
        return out

    def _gens_all(self):
        if not hasattr(self, "_gens_cache"):
            self._gens_cache = tuple(self._gen_at(i) for i in range(len(self.gens)))
        return self._gens_cache


def _est(p) -> int:
    """count_ops of the expanded SymPy form of flint polynomial ``p``, from its terms
    (no SymPy expression is built for a candidate that loses):

        (terms - 1) additions + per term (factors - 1) multiplications + one power per
        exponent > 1, where a term's factors are its variables and a coefficient != +-1.

    Counted in flint: the terms containing x_j are those that x_j = 0 removes, those
    with x_j^2 or higher survive d^2/dx_j^2 (no two terms merge in either)."""
    T = len(p)
    if T == 0:
        return 0
    degs = p.degrees()
    s = 0
    for j, dj in enumerate(degs):
        if dj:
            s += T - len(p.subs({j: 0}))
            if dj > 1:
                s += len(p.derivative(j).derivative(j))
    s += sum(1 for c in p.coeffs() if c != 1 and c != -1)
    c0 = p(*([0] * len(degs)))
    # a constant term +-1 has no factor: max(factors - 1, 0) = 0, not -1
    return s - 1 + (1 if c0 == 1 or c0 == -1 else 0)


class _Form:
    """A candidate form: estimated count, the generators it uses, a builder (its SymPy
    expression is built once: a factor of J is one of J_c = -J_h and of J / J_sec)."""

    __slots__ = ("est", "gens", "_make", "poly", "_expr")

    def __init__(self, est, gens, build, poly=None):
        self.est, self.gens, self._make, self.poly = est, gens, build, poly
        self._expr = None

    def build(self):
        if self._expr is None:
            self._expr = self._make()
        return self._expr


def _used_gens(p):
    return frozenset(i for i, u in enumerate(p.degrees()) if u)


def _memo(space, table, p, compute, negated=None):
    """``compute()`` once per polynomial (exact equality) and table of the space: the
    same polynomial recurs (the common denominator of every J_p, a factor of J and of
    J_sec, the equal real parts of rho_ab and rho_ba).  ``negated``: the value for -p
    from the value for p (rho_ba's imaginary part is minus rho_ab's)."""
    bucket = space.__dict__.setdefault(table, {}).setdefault((len(p), p.total_degree()), [])
    neg = None
    for q, value in bucket:
        if q == p:
            return value
        if negated is not None:
            neg = -p if neg is None else neg
            if q == neg:
                return negated(value)
    value = compute()
    bucket.append((p, value))
    return value


def _factor(space, p):
    """flint's factorisation (constant, [(irreducible, exponent)]), once per polynomial
    up to sign: flint's irreducible factors are primitive and normalised, so -p has
    the same factors and the constant negated."""
    return _memo(space, "_factors", p, p.factor, lambda v: (-v[0], v[1]))


def _est_of(space, p) -> int:
    """:func:`_est` once per polynomial up to sign (it does not depend on the sign)."""
    return _memo(space, "_ests", p, lambda: _est(p), lambda v: v)


def _factored_form(space: _Space, p) -> _Form:
    return _memo(space, "_factored_forms", p, lambda: _factored_form_new(space, p))


def _factored_form_new(space: _Space, p) -> _Form:
    c, facs = _factor(space, p)
    parts = [(f, int(e)) for f, e in facs]
    est = sum(_est_of(space, f) + (1 if e > 1 else 0) for f, e in parts) + max(len(parts) - 1, 0) \
        + (1 if abs(int(c)) != 1 else 0)

    def build():
        out = [sp.Integer(int(c))]
        for f, e in parts:
            # flint's factors are irreducible and primitive: nothing for factor_terms
            out.append(space.to_sympy(f) ** e)
        return sp.Mul(*out)
    return _Form(est, _used_gens(p), build)


def _poly_form(space: _Space, p, irreducible: bool = False, back: bool = True) -> _Form:
    """Best form of one flint polynomial: expanded, factored (unless ``irreducible``: a
    factor flint returned), or collected by monomials of the slow parameters with each
    coefficient expanded or factored (once per polynomial); with a freed radical R
    (``back``), also the same polynomial with R^2 written back as its radicand
    (Gamma_b (R^2 - w^2) -> Gamma_b eps^2 for R = sqrt(w^2 + eps^2))."""
    table = ("_poly_forms_irr" if irreducible else "_poly_forms") + ("" if back else "_noback")
    return _memo(space, table, p, lambda: _poly_form_new(space, p, irreducible, back))


def _poly_form_new(space: _Space, p, irreducible: bool = False, back: bool = True) -> _Form:
    cands = [_Form(_est_of(space, p), _used_gens(p), lambda: space.to_sympy(p))]
    if back and space.freed:
        q = p
        for j, Q, bp in space.rad_rel:
            if j in space.freed_rad and int(q.degrees()[j]) >= Q:
                q = space._reduce_one(q, j, Q, bp)
        if q != p:
            alt = _poly_form(space, q, irreducible=False, back=False)
            mine = _poly_form(space, p, irreducible=irreducible, back=False)
            if alt.est < mine.est:
                # the estimates of two different polynomials: decided by the built forms
                e1, e2 = mine.build(), alt.build()
                win, e = (alt, e2) if ops(e2) < ops(e1) else (mine, e1)
                best = _Form(ops(e), _used_gens(q if win is alt else p), lambda e=e: e)
            else:
                best = mine
            best.poly = p
            return best
    if not irreducible:
        cands.append(_factored_form(space, p))
    if space.slow:
        groups = space.peel(p, space.slow)
        if len(groups) > 1:
            terms = []
            est = len(groups) - 1
            for key, c in groups.items():
                f = min([_Form(_est_of(space, c), None, lambda c=c: space.to_sympy(c)),
                         _factored_form(space, c)], key=lambda f: f.est)
                k = sum(1 for e in key if e)
                est += f.est + k + sum(1 for e in key if e > 1)
                terms.append((key, f))

            def build(terms=terms):
                return sp.Add(*[sp.Mul(*[space.shown.get(space.gens[i], space.gens[i]) ** e for i, e in zip(space.slow, key)])
                                * f.build() for key, f in terms])
            cands.append(_Form(est, _used_gens(p), build))
    best = min(cands, key=lambda f: f.est)
    best.poly = p
    return best


class _Rational:
    """A rational function as constant x product of (form, exponent), estimated."""

    def __init__(self, space, const, parts):
        self.space, self.const, self.parts = space, const, parts   # parts: [(_Form, e)]

    @property
    def est(self):
        n = len(self.parts)
        c = self.const
        return sum(f.est + (1 if abs(e) > 1 else 0) for f, e in self.parts) + max(n - 1, 0) \
            + (1 if any(e < 0 for _, e in self.parts) else 0) + (0 if abs(c) == 1 else 1)

    @property
    def gens(self):
        out = set()
        for f, _ in self.parts:
            out |= f.gens
        return out

    def build(self):
        return sp.Mul(self.const, *[f.build() ** e for f, e in self.parts])


def _rational(space, num, den) -> _Rational:
    g = num.gcd(den)
    num, den = num // g, den // g
    const = sp.S.One
    parts = []
    for pol, sign in ((num, 1), (den, -1)):
        c, facs = _factor(space, pol)
        const *= sp.Integer(int(c)) ** sign
        for f, e in facs:
            if f.total_degree() == 0:
                const *= sp.Integer(int(f.leading_coefficient())) ** (sign * int(e))
                continue
            parts.append((_poly_form(space, f, irreducible=True), sign * int(e)))
    if space.freed:
        const, parts = _contract_freed(space, const, parts)
    return _Rational(space, const, parts)


def _contract_freed(space, const, parts):
    """Factors of a freed radical's relation written back through its parameter:
    with c s^2 = R^2 - rest = cN prod f_i^m_i (flint's factors), k whole copies of
    prod f_i^m_i among ``parts`` become (c / cN)^k s^(2k) -- (R - delta)(R + delta) ->
    4 g^2 for R = sqrt(delta^2 + 4 g^2).  An identity, so the proof is unchanged."""
    for j, s, N, c in space.freed:
        cache = space.__dict__.setdefault("_N_factors", {})
        if j not in cache:
            cN, fs = N.factor()
            cache[j] = (int(cN), [(f, int(m)) for f, m in fs])
        cN, fs = cache[j]
        for sign in (1, -1):
            # exponent available for each factor of N (matched up to sign)
            k = None
            where = []
            for f, m in fs:
                hit = next(((i, 1 if g.poly == f else -1) for i, (g, e) in enumerate(parts)
                            if g.poly is not None and e * sign > 0 and len(g.poly) == len(f)
                            and (g.poly == f or g.poly == -f)), None)
                if hit is None:
                    k = 0
                    break
                i, sg = hit
                where.append((i, sg, m))
                k = abs(parts[i][1]) // m if k is None else min(k, abs(parts[i][1]) // m)
            if not k:
                continue
            parts = list(parts)
            for i, sg, m in where:
                g, e = parts[i]
                parts[i] = (g, e - sign * k * m)
                if sg < 0 and (k * m) % 2:
                    const = -const
            const *= (sp.Rational(c, cN)) ** (sign * k)
            xs = space._gen_at(s)
            sym = space.gens[s]
            parts.append((_Form(0, frozenset({s}), lambda sym=sym: sym, xs), 2 * k * sign))
            parts = _merged(parts)
    return const, parts


def _in_gamma(space, num, den):
    """num/den with the occupations that have a rate abbreviation written through it."""
    degs = {i: max(a, b) for (i, a), (_, b) in zip(space.degrees(num).items(),
                                                   space.degrees(den).items())}
    Pn, _ = space.to_gamma(num, degs)
    Pd, _ = space.to_gamma(den, degs)
    return Pn, Pd


# ---------------------------------------------------------------------------
# the search over atoms
# ---------------------------------------------------------------------------
def _used(expr, abbrs):
    """Abbreviations an expression uses, with those their definitions use."""
    names = {a.symbol: a for a in abbrs}
    seen, stack = [], [expr]
    while stack:
        e = stack.pop()
        e = sp.sympify(e)
        for s in _by_identity("free_symbols", e, lambda: e.free_symbols):
            if s in names and names[s] not in seen:
                seen.append(names[s])
                stack.append(names[s].definition)
    return [a for a in abbrs if a in seen]


def total_ops(exprs, abbrs) -> int:
    """count_ops of the expressions plus, once each, every abbreviation they use."""
    used = []
    for e in exprs:
        for a in _used(e, abbrs):
            if a not in used:
                used.append(a)
    return sum(ops(e) for e in exprs) + sum(_def_ops(a) for a in used)


def _defs_cost(space, gens, abbrs):
    syms = {space.shown.get(space.gens[i], space.gens[i]) for i in gens}
    return sum(_def_ops(a) for a in _used(sp.Tuple(*syms), abbrs))


def _search(space, num, den, abbrs):
    """The best of: n-atoms, Gamma-atoms, and factor by factor the shorter of the two.

    Searched once per value up to sign (with two reservoirs J_c = -J_h, and so are their
    secular currents and ratios): a repeat is the same form with its constant negated."""
    memo = space.__dict__.setdefault("_searched", [])
    for n0, d0, r in memo:
        if len(n0) != len(num) or len(d0) != len(den):
            continue
        sd = 1 if d0 == den else (-1 if d0 == -den else 0)
        sn = 1 if n0 == num else (-1 if n0 == -num else 0)
        if sd and sn:
            if sd * sn == 1:
                return r
            neg = _Rational(space, -r.const, r.parts)
            neg.nform = _Rational(space, -r.nform.const, r.nform.parts)
            return neg
    r = _search_new(space, num, den, abbrs)
    memo.append((num, den, r))
    return r


def _search_new(space, num, den, abbrs):
    return _best_of(space, _rational(space, num, den), abbrs,
                    _rational(space, *_in_gamma(space, num, den)) if space.subst else None)


def _gamma_alt(space, f):
    """The factor ``f`` (an irreducible _Form) with its occupations written through the
    rate abbreviations, as a _Rational (memoised: a factor of J is one of J / J_sec)."""
    memo = space.__dict__.setdefault("_alts", {})
    for g, alt in memo.get(len(f.poly), ()):
        if g == f.poly:
            return alt
    alt = _rational(space, *space.to_gamma(f.poly))
    memo.setdefault(len(f.poly), []).append((f.poly, alt))
    return alt


def _best_of(space, nform, abbrs, gform=None):
    """The best of the n-form (factored: const x irreducible factors), the Gamma-form
    ``gform`` (None: the product of the factors' own Gamma-forms) and, factor by factor,
    the shorter of the two (with each factor's own denominator of rates B_i^deg)."""
    cands = [nform]
    if space.subst:
        cost = lambda r: r.est + _defs_cost(space, r.gens, abbrs)   # noqa: E731
        const, parts = nform.const, []
        gconst, gparts = nform.const, []
        for f, e in nform.parts:
            if not any(i in space.subst for i in f.gens):
                parts.append((f, e))
                gparts.append((f, e))
                continue
            alt = _gamma_alt(space, f)
            gconst *= alt.const ** e
            gparts += [(g, k * e) for g, k in alt.parts]
            if cost(alt) < f.est + _defs_cost(space, f.gens, abbrs):
                const *= alt.const ** e
                parts += [(g, k * e) for g, k in alt.parts]
            else:
                parts.append((f, e))
        if gform is None:
            gform = _Rational(space, gconst, _merged(gparts))
        cands += [gform, _Rational(space, const, _merged(parts))]
    best = min(cands, key=lambda r: r.est + _defs_cost(space, r.gens, abbrs))
    best.nform = nform
    return best


def _merged(parts):
    """(form, exponent) pairs with equal polynomials merged (exponents added, zero
    dropped); forms without a polynomial are kept as they are."""
    out = []
    for f, e in parts:
        for k, (g, e2) in enumerate(out):
            if f.poly is not None and g.poly is not None and len(g.poly) == len(f.poly) \
                    and g.poly == f.poly:
                out[k] = (g, e2 + e)
                break
        else:
            out.append((f, e))
    return [(f, e) for f, e in out if e != 0]


def _ratio_search(space, rj, rs, abbrs):
    """The best form of J / J_sec from the factors of J and J_sec already found (their
    n-forms ``rj.nform``, ``rs.nform``): the irreducible factors of a quotient are those
    of the two, cancelled (in ZZ[x] they are unique up to sign), so no product of the
    large polynomials is formed, cancelled or factored again."""
    const = rj.nform.const / rs.nform.const
    parts = list(rj.nform.parts)
    for f, e in rs.nform.parts:
        for k, (g, e2) in enumerate(parts):
            if len(g.poly) != len(f.poly):
                continue
            if g.poly == f.poly:
                parts[k] = (g, e2 - e)
                break
            if g.poly == -f.poly:
                parts[k] = (g, e2 - e)
                const *= (-1) ** e
                break
        else:
            parts.append((f, -e))
    return _best_of(space, _Rational(space, const, [(f, e) for f, e in parts if e]), abbrs)


def _proved_or_plain(space, form, canonical, k, abbrs, what):
    """``form`` once proved; if the flint proof cannot decide it (relations between
    radicals it does not know), the canonical result with only the occupations
    abbreviated -- a renaming, proved the same way -- so a presentation never shows an
    unproved form and never stops a derivation."""
    try:
        _prove(space, form, k, abbrs, what)
        return form
    except CgsymError:
        canonical = canonical() if callable(canonical) else canonical
        plain = space.display(sp.sympify(canonical).xreplace(
            {a.definition: a.symbol for a in space.occupations}))
        _prove(space, plain, k, abbrs, what)
        return plain


def _prove(space, form, k, abbrs, what: str, target=None):
    """Raise unless ``form`` (abbreviations substituted back) equals the k-th canonical
    quantity of ``space`` (or ``target`` = (num, den)) exactly, in flint.

    Each Gamma_p is written back as gamma_p(w) (2 n_p + 1) inside flint, and the
    occupation symbols n_p are the ring's generators for n(w, T_p) themselves (one
    substitution table for both sides).  A form that is a product with named results
    (J_sec, D) among its factors is read as R x prod name^e: each name's definition is
    read into flint once per pass (the steady state's D is a factor of every entry), R
    factor by factor; a name anywhere else is substituted in SymPy and the whole form
    read.  Proof: R = num / (den prod name^e) as the polynomial identity
    R_num w_den = num w_num R_den, with w = 1 / (den prod name^e) cancelled once per
    (den, names) (every entry of rho shares both); only when that identity does not
    hold, :meth:`_Space.equal_fractions` decides (gcd-cancelled fractions, reductions
    by i^2 = -1 and the radicals' relations)."""
    named = [a for a in abbrs if a.kind in ("result", "denominator")]
    n2, d2 = target if target is not None else space.fraction(k)
    read = _read_with_names(space, form, named)
    if read is None:
        n1, d1 = space.fraction_of(expand_abbreviations(form, named))
        ok = space.equal_fractions(n1, d1, n2, d2)
    else:
        (rn, rd), powers = read
        ok = _identity(space, rn, rd, n2, d2, powers)
        if not ok:
            kn, kd = _names_fraction(space, powers)
            ok = space.equal_fractions(rn * kn, rd * kd, n2, d2)
    if not ok:
        raise CgsymError(f"internal error: the compact form of {what} is not equal to the "
                         f"canonical one (not shown)")


def _read_with_names(space, form, named):
    """((num, den), ((abbreviation, e), ...)) with form = num/den x prod name^e and
    num/den read from the other factors (their fractions multiplied, not cancelled), or
    None when a name occurs other than as a factor's integer power."""
    syms = {a.symbol: a for a in named}
    rest, powers = [], []
    for f in sp.Mul.make_args(form):
        b, e = f.as_base_exp()
        if b in syms and e.is_Integer:
            powers.append((syms[b], int(e)))
        else:
            rest.append(f)
    one = space.ring.one()
    rn, rd = one, one
    try:
        for f in rest:
            fn, fd = space.fraction_of(f)
            rn, rd = rn * fn, rd * fd
    except ValueError:
        return None          # a name inside a factor: read with the names substituted
    return (space.reduce_iota(rn), rd), tuple(powers)


def _names_fraction(space, powers):
    """(num, den) of prod name^e, each name's definition read into flint once."""
    memo = space.__dict__.setdefault("_named_fractions", {})
    one = space.ring.one()
    kn, kd = one, one
    for a, e in powers:
        key = (a.symbol, a.definition)
        if key not in memo:
            memo[key] = space.fraction_of(a.definition)
        an, ad = memo[key]
        if e < 0:
            an, ad, e = ad, an, -e
        kn, kd = kn * an ** e, kd * ad ** e
    return kn, kd


def _identity(space, rn, rd, n2, d2, powers) -> bool:
    """Whether rn/rd = n2 / (d2 prod name^e) holds as the polynomial identity
    rn w_den = n2 w_num rd, w = 1 / (d2 prod name^e) cancelled (memoised per d2 and
    names).  True is a proof; False decides nothing."""
    memo = space.__dict__.setdefault("_quotients", [])
    for d, p, w in memo:
        if p == powers and (d is d2 or d == d2):
            wn, wd = w
            break
    else:
        kn, kd = _names_fraction(space, powers)
        wn, wd = kd, d2 * kn
        if wd.is_zero():
            return False
        if not wn.is_zero():
            g = wn.gcd(wd)
            wn, wd = wn // g, wd // g
        memo.append((d2, powers, (wn, wd)))
    if n2.is_zero() or wn.is_zero():
        return rn.is_zero() and not rd.is_zero()
    # the denominators equal up to a rational unit (rho over D, a current in n_p):
    # the numerators are compared, no product of two large polynomials is formed
    if len(rd) == len(wd):
        a, b = int(rd.leading_coefficient()), int(wd.leading_coefficient())
        if b * rd == a * wd:
            return b * rn == a * n2 * wn
    return rn * wd == n2 * wn * rd

# ---------------------------------------------------------------------------
# the result
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class CompactForms(Printable):
    """Compact views of a derivation's heat currents and steady state.

    ``heat_currents``: (reservoir, J_p) with abbreviations; ``steady_state``: the
    matrix N / D with D an abbreviation (or None); ``abbreviations`` in definition
    order (each may use earlier ones); ``counts``: (quantity, canonical count_ops,
    count_ops of the compact form incl. the abbreviations it uses, once each); every form proved equal
    to the canonical one.
    """

    model: object
    regime: str
    weak_internal: bool
    heat_currents: tuple[tuple[str, sp.Expr], ...]
    steady_state: ImmutableMatrix | None
    abbreviations: tuple[Abbreviation, ...]
    counts: tuple[tuple[str, int], ...]
    seconds: float
    note: str = ""       # why the forms are the canonical ones, when the search failed
    # the system form (cgsym.forms.system.LinearSystem): the heat currents are in its
    # unknowns, ``steady_state`` is None (the unknowns' Cramer definitions are
    # abbreviations)
    system: object = None

    def current(self, reservoir: str) -> sp.Expr:
        self.model.reservoir(reservoir)
        return dict(self.heat_currents)[reservoir]

    def expand(self, expr) -> sp.Expr:
        """Substitute every abbreviation back (the canonical atoms n(w, T) remain)."""
        return expand_abbreviations(expr, self.abbreviations)

    def canonical_definition(self, a) -> sp.Expr:
        """``a``'s definition with the radicals' names substituted back (an occupation's
        canonical atom n(w, T), as the canonical results and the gamma matrices hold it)."""
        rads = [b for b in self.abbreviations if b.kind == "radical"]
        return expand_abbreviations(a.definition, rads) if rads else a.definition

    def used(self, exprs):
        out = []
        for e in exprs:
            for a in _used(e, self.abbreviations):
                if a not in out:
                    out.append(a)
        return [a for a in self.abbreviations if a in out]

    def symbol_names(self) -> dict:
        return {a.symbol: a.latex for a in self.abbreviations}

    def sympify_locals(self) -> dict:
        d = dict(self.model.sympify_locals)
        d.update({a.name: a.symbol for a in self.abbreviations})
        return d

    def count(self, quantity: str) -> int:
        return next((c for q, c in self.counts if q == quantity), None)

    def __str__(self):
        from .render import compact_text
        return compact_text(self)

    def _latex(self, printer):
        from .render import compact_latex_body
        return compact_latex_body(self)

    def to_json(self) -> dict:
        hc = {name: sp.sstr(J) for name, J in self.heat_currents}
        ss = None
        if self.steady_state is not None:
            M = self.steady_state
            ss = {"basis": list(self.model.basis),
                  "matrix": [[sp.sstr(x) for x in M.row(i)] for i in range(M.rows)]}
        out = {"heat_currents": hc, "steady_state": ss,
               "abbreviations": {a.name: _json_str(a) for a in self.abbreviations},
               "count_ops": dict(self.counts)}
        if self.system is not None:
            from .system import system_json
            out["linear_system"] = system_json(self)
        return out


def _json_str(a) -> str:
    """An abbreviation's definition for JSON, one line (a determinant of the system
    form as ``Determinant(Matrix([[...], ...]))``)."""
    if a.kind == "determinant":
        M = a.definition.arg
        rows = ", ".join("[" + ", ".join(sp.sstr(M[i, j]) for j in range(M.cols)) + "]"
                         for i in range(M.rows))
        return f"Determinant(Matrix([{rows}]))"
    return sp.sstr(a.definition)


#: the secular HeatCurrents (None: no unique steady state) of the last models seen in
#: this process, by (model, weak-internal limit): a secular derivation whose compact
#: forms were asked for, or one derived here.  Models and results are immutable and a
#: derivation is a function of (model, regime, limit), so an entry is never stale.
_SECULAR: dict = {}


def _secular_currents(d):
    """The secular regime's HeatCurrents of the same model (None if not unique or the
    same regime): derived here (about half the CPU of the partial-secular derivation
    itself), or the secular derivation of the same model and limit already seen in this
    process (a secular derivation's compact pass leaves its currents here)."""
    if d.regime == "secular":
        _remember_secular((d.model, d.weak_internal), d.heat_currents)
        return None
    if d.regime != "partial-secular" or d.heat_currents is None:
        return None
    if _all_zero(d.heat_currents):
        return None       # 0 is every current's shortest form (one reservoir: J_p = 0)
    key = (d.model, d.weak_internal)
    if key in _SECULAR:
        return _SECULAR[key]
    from ..master_equation import master_equation
    from ..rates import rates
    from ..steady_state import steady_state
    from ..thermo import heat_currents
    r = rates(d.spectrum, "secular", d.weak_internal, check_positivity=False)
    ss = steady_state(master_equation(r))
    hc = heat_currents(ss) if ss.unique else None
    _remember_secular(key, hc)
    return hc


def _all_zero(hcs) -> bool:
    for p in hcs.reservoirs:
        f = hcs.form(p)
        if not (f.nums[0].is_zero() if f is not None else hcs.current(p) == 0):
            return False
    return True


def _remember_secular(key, hc, keep: int = 4):
    _SECULAR.pop(key, None)
    _SECULAR[key] = hc
    while len(_SECULAR) > keep:
        _SECULAR.pop(next(iter(_SECULAR)))


#: expression-tree nodes of the canonical results above which derive skips the search
#: (the tunnelling qubit, partial secular, no weak limit: two 544k-op currents; their
#: compact forms, measured, are 25,804 ops each at 16 s CPU against derive's 2.2 s)
MAX_NODES = 500_000


#: canonical forms whose nested radicals the pass relates (sqrt(R - D) sqrt(R + D) = |b|)
#: are searched up to this multiple of the limit: their sizes overstate the forms (the
#: detuned qubits without the weak limit: 634k and 1.02M estimated nodes, compact J_h 115
#: and 3,923 ops at 0.4 s and 6.9 s CPU, measured 2026-12-07)
RADICAL_FACTOR = 4


def _relates_radicals(model, forms) -> bool:
    """Whether the compact ring of ``forms`` relates a pair of nested radicals."""
    try:
        return bool(_Space(model, [], (), sources=forms).pair_elim)
    except (ValueError, TypeError, ZeroDivisionError, sp.PolynomialError, CgsymError):
        return False


def _nodes(exprs, limit) -> int:
    total = 0
    for e in exprs:
        for _ in sp.preorder_traversal(e):
            total += 1
            if total > limit:
                return total
    return total


def size_limit_note(max_nodes: int = MAX_NODES) -> str:
    return (f"the canonical results have more than {max_nodes:,} expression nodes, the "
            f"compact search's limit (measured above it: compact forms of 25k+ operations "
            f"per current at ~7x the derivation's time; Derivation.compact(max_nodes=None) "
            f"computes them)")


def exceeds_size_limit(d, steady_state: bool = True, max_nodes: int = MAX_NODES,
                       radicals: bool = True) -> bool:
    """Whether the canonical heat currents (and steady state) have more than
    ``max_nodes`` expression nodes.  Results with exact flint forms are measured from
    their polynomials' terms (:func:`_est`, SymPy's ``count_ops`` of the expanded
    polynomials; no SymPy tree is built just to be counted); others from their SymPy
    trees.  ``radicals``: forms whose nested radicals the pass relates are searched up to
    RADICAL_FACTOR x the limit (the document passes False: its eigenbasis section and line
    breaking of those results take minutes, measured 234 s / 429 s wall under load)."""
    in_flint = ((d.heat_currents is None or bool(d.heat_currents.forms))
                and (not (steady_state and d.steady_state.unique)
                     or d.steady_state.form is not None))
    if in_flint:
        fs = [f for _, f in (d.heat_currents.forms if d.heat_currents is not None else ())]
        if steady_state and d.steady_state.unique:
            fs.append(d.steady_state.form)
        total = sum(_est(p) for f in fs for p in f.nums + (f.den,))
        if radicals and total > max_nodes and total <= RADICAL_FACTOR * max_nodes \
                and _relates_radicals(d.model, fs):
            return False
        return total > max_nodes
    hc0 = d.heat_currents.currents if d.heat_currents is not None else ()
    rho0 = list(d.steady_state.matrix) if (steady_state and d.steady_state.unique) else []
    return _nodes([J for _, J in hc0] + rho0, max_nodes) > max_nodes


#: the explicit search is skipped when the canonical heat currents' estimated size is
#: above this multiple of the system form's count (measured: the explicit forms are
#: 1/9 to 1/12 of the canonical size for the large cases, see tests/benchmarks/RESULTS.md)
EXPLICIT_CANNOT_WIN = 30

FORMS = ("auto", "explicit", "system")


def compact(d, secular: bool = True, steady_state: bool = True,
            max_nodes: int | None = MAX_NODES, form: str = "auto") -> CompactForms:
    """Compact forms of a derivation (see :func:`_compact`); a presentation never stops a
    derivation: if the search fails on an expression it cannot read, or the canonical
    results are larger than ``max_nodes`` expression nodes (None: no limit), the
    canonical results are returned as they are, with a note saying why.

    ``form``: "explicit" (closed forms, :func:`_compact`), "system" (the steady state
    as the linear system it solves and the currents in its unknowns,
    :mod:`cgsym.forms.system`; the explicit forms where it does not apply), or "auto":
    the one with fewer operations (tie: explicit); the explicit search is skipped where
    the canonical results are above ``max_nodes`` or their size says it cannot win."""
    if form not in FORMS:
        raise CgsymError(f"unknown compact form '{form}' (one of {', '.join(FORMS)})")
    above = max_nodes is not None and exceeds_size_limit(d, steady_state, max_nodes)
    sysf, why = None, ""
    if form != "explicit":
        from .system import memo_system_form
        sysf, why = memo_system_form(d, steady_state)
        if sysf is not None and (form == "system" or above
                                 or _explicit_cannot_win(d, sysf)):
            return sysf
    if above:
        return _canonical_forms(d, steady_state, size_limit_note(max_nodes)
                                + (f"; {why}" if why else ""))
    beat = _current_ops(sysf) if sysf is not None else None
    try:
        out = _compact(d, secular, steady_state, beat=beat)
    except (ValueError, TypeError, ZeroDivisionError, NotImplementedError, RecursionError,
            sp.PolynomialError, CgsymError) as exc:
        if sysf is not None:
            return sysf
        return _canonical_forms(d, steady_state, f"compact forms unavailable "
                                f"({type(exc).__name__}: {str(exc)[:200]})")
    if out is None or (sysf is not None and _current_ops(sysf) < _current_ops(out)):
        return sysf
    return out


def _current_ops(c) -> int:
    return sum(k for q, k in c.counts if q.startswith("J_"))


def _explicit_cannot_win(d, sysf) -> bool:
    """Whether the canonical heat currents' estimated count_ops (from their flint
    polynomials, :func:`_est`) exceeds EXPLICIT_CANNOT_WIN times the system form's."""
    hcs = d.heat_currents
    if hcs is None or not hcs.forms:
        return False
    if _relates_radicals(d.model, [f for _, f in hcs.forms]):
        # related nested radicals shrink the explicit forms far below the canonical
        # size (detuned qubits, secular: 229k canonical, 115 explicit): no bound here
        return False
    est = 0
    limit = EXPLICIT_CANNOT_WIN * _current_ops(sysf)
    for _, f in hcs.forms:
        for p in f.nums + (f.den,):
            est += _est(p)
            if est > limit:
                return True
    return False


def _canonical_forms(d, steady_state, why) -> CompactForms:
    """The canonical results themselves (no abbreviation), with the reason."""
    hc = d.heat_currents.currents if d.heat_currents is not None else ()
    rho = d.steady_state.matrix if (steady_state and d.steady_state.unique) else None
    return CompactForms(d.model, d.regime, d.weak_internal, tuple(hc), rho, (), (), 0.0,
                        why + "; the canonical forms are shown")


def _compact(d, secular: bool = True, steady_state: bool = True,
             beat: int | None = None) -> CompactForms | None:
    """Compact forms of a :class:`~cgsym.derivation.Derivation`'s public results.

    Works only from ``d.heat_currents.currents``, ``d.steady_state.matrix``,
    ``d.rates`` and ``d.spectrum``.  ``secular=False`` skips the J_sec x factor
    candidate (it derives the secular regime of the same model); ``steady_state=False``
    skips the steady state.  ``beat``: the system form's count of the currents; when the
    explicit currents have more operations it is shown, so None is returned before the
    steady state's search (its forms and counts would not be shown).
    """
    t0 = time.perf_counter()
    model = d.model
    hcs = d.heat_currents
    names = list(hcs.reservoirs) if hcs is not None else []
    unique = steady_state and d.steady_state.unique
    sec = _secular_currents(d) if (secular and names) else None
    n_hc = len(names)
    n_rho0 = n_hc + (n_hc if sec else 0)
    dim = d.steady_state.master_equation.dim
    forms = _flint_forms(d, names, sec, unique)
    if forms is not None:
        # the canonical results straight from their flint forms: no SymPy tree of them
        # is built or read (the large closed forms cost seconds to build, minutes to read)
        space = _Space(model, [], _naming_universe(d), sources=forms)
        for i, p in enumerate(names):
            f = hcs.form(p)
            space.set_fraction(i, space.import_poly(f, f.nums[0]), space.import_poly(f, f.den))
            if sec:
                f = sec.form(p)
                space.set_fraction(n_hc + i, space.import_poly(f, f.nums[0]),
                                   space.import_poly(f, f.den))
        if unique:
            for k, (num, den) in enumerate(_rho_entries(space, d.steady_state.form, dim)):
                space.set_fraction(n_rho0 + k, num, den)
        canonical = [lambda p=p: hcs.current(p) for p in names] \
            + [None] * (n_rho0 - n_hc) \
            + [lambda k=k: d.steady_state.matrix[k] for k in range(dim * dim if unique else 0)]
    else:
        hc = hcs.currents if hcs is not None else ()
        rho = d.steady_state.matrix if unique else None
        exprs = [J for _, J in hc] + ([J for _, J in sec.currents] if sec else []) \
            + (list(rho) if rho is not None else [])
        space = _Space(model, exprs, _naming_universe(d))
        canonical = [lambda e=e: e for e in exprs]
    abbrs = _space_abbreviations(space, model, n_rho0 + (dim * dim if unique else 0))
    counts = []
    # ---- heat currents -------------------------------------------------------
    currents = []
    taken = _taken(model) | {a.name for a in abbrs}
    for i, name in enumerate(names):
        num, den = space.fraction(i)
        best = _search(space, num, den, abbrs)
        form = None
        if sec:
            sn, sd = space.fraction(n_hc + i)
            if not sn.is_zero():
                js = _search(space, sn, sd, abbrs)
                R = _ratio_search(space, best, js, abbrs)
                # built (SymPy) only when the estimates say it may be the shorter one
                if js.est + R.est + 1 <= 1.25 * best.est + 4:
                    sym = sp.Symbol(_unique(f"Jsec_{name}", set(taken)), real=True)
                    ab = Abbreviation(sym, js.build(), rf"J_{{{name}}}^{{\mathrm{{sec}}}}",
                                      "result")
                    direct = best.build()
                    cand = sym * R.build()
                    if total_ops([cand], abbrs + [ab]) < total_ops([direct], abbrs):
                        taken.add(sym.name)
                        abbrs.append(ab)
                        form = cand
                    else:
                        form = direct
        if form is None:
            form = best.build()
        form = _proved_or_plain(space, form, canonical[i], i, abbrs, f"J_{name}")
        currents.append((name, form))
        counts.append((f"J_{name}", total_ops([form], abbrs)))
    if beat is not None and beat < sum(k for _, k in counts):
        return None
    # ---- steady state: rho = N / D, D named once -------------------------------
    rho_c = None
    if unique:
        fr = []
        for k in range(dim * dim):
            num, den = space.fraction(n_rho0 + k)
            if space.has_iota(den):
                raise CgsymError("internal error: a steady-state entry has a complex "
                                 "denominator")
            re, im = space.split_iota(num)
            fr += [(re, den), (im, den)]
        L = None
        for num, den in fr:
            if num.is_zero():
                continue
            # from the flint form every entry has the one common denominator: no gcd
            L = den if L is None else (L if den == L else L * den // L.gcd(den))
        L = L if L is not None else space.ring.one()
        nums = [num * (L // den) if not num.is_zero() else num for num, den in fr]
        variants = [[_poly_form(space, p) if not p.is_zero() else None for p in nums + [L]]]
        if space.subst:
            degs = {}
            for p in nums + [L]:
                for i, k in space.degrees(p).items():
                    degs[i] = max(degs.get(i, 0), k)
            ps = [space.to_gamma(p, degs)[0] if not p.is_zero() else p for p in nums + [L]]
            # the common factor of all of them, smallest first (a small G makes the
            # following gcds cheap; G = 1 ends the loop: it divides everything)
            G = ps[-1]
            for p in sorted((p for p in ps[:-1] if not p.is_zero()), key=len):
                if G.is_one():
                    break
                G = G.gcd(p)
            variants.append([_poly_form(space, p // G) if not p.is_zero() else None
                             for p in ps])

        def cost(v):
            gens = set()
            for f in v:
                if f is not None:
                    gens |= f.gens
            return sum(f.est for f in v if f is not None) + _defs_cost(space, gens, abbrs)
        best = min(variants, key=cost)
        D = sp.Symbol(_unique("D", taken), positive=True)
        abbrs.append(Abbreviation(D, best[-1].build(), "D", "denominator"))
        out = []
        for k in range(dim * dim):
            re, im = (best[2 * k].build() if best[2 * k] else sp.S.Zero,
                      best[2 * k + 1].build() if best[2 * k + 1] else sp.S.Zero)
            form = (re + sp.I * im) / D
            form = _proved_or_plain(space, form, canonical[n_rho0 + k], n_rho0 + k, abbrs,
                                    "the steady state")
            out.append(form)
        rho_c = ImmutableMatrix(dim, dim, out)
        counts.append(("rho", total_ops(out, abbrs)))
    used = []
    for e in [f for _, f in currents] + (list(rho_c) if rho_c is not None else []):
        for a in _used(e, abbrs):
            if a not in used:
                used.append(a)
    kept = tuple(a for a in abbrs if a in used)
    return CompactForms(model, d.regime, d.weak_internal, tuple(currents), rho_c, kept,
                        tuple(counts), time.perf_counter() - t0)


def _space_abbreviations(space, model, n_quantities) -> list:
    """The radicals' names (when the spectrum has radicals: every canonical quantity
    is brought to the radicals' normal form first, so only the radicals the forms use
    are named), then the occupations and rates, their definitions written through the
    radicals' names."""
    base = list(space.occupations + space.rates + space.rate_values)
    if not space.rad_gen:
        return base
    for k in range(n_quantities):
        space.fraction(k)
    taken = _taken(model) | {a.name for a in base}
    rads = space.radical_names(taken, [a.definition for a in base])
    if not rads:
        return base
    return list(rads) + [replace(a, definition=space.display(a.definition)) for a in base]


def _flint_forms(d, names, sec, unique):
    """The RationalForms of every canonical result the pass reads, or None when one has
    none (stored results, the cache of an older version)."""
    out = []
    for hcs in ([d.heat_currents] if names else []) + ([sec] if sec else []):
        for p in names:
            f = hcs.form(p)
            if f is None:
                return None
            out.append(f)
    if unique:
        if d.steady_state.form is None:
            return None
        out.append(d.steady_state.form)
    # (several exponential atoms: the space writes them on a lattice, ExpLattice, so
    # SymPy's folding exp(a) exp(b) = exp(a + b) in a built form reads back alike)
    return out


def _rho_entries(space, form, dim):
    """(num, den) of rho_ab, row by row, from the steady state's real coordinates
    (labels ("p", a, a), ("x", a, b), ("y", a, b): rho_ab = x + i y, rho_ba = x - i y,
    :func:`cgsym.steady_state.coordinate_matrix`)."""
    zero = space.ring.ctx.from_dict({})
    iota = space._gen(space.iota)
    nums = [[zero] * dim for _ in range(dim)]
    for (kind, a, b), p in zip(form.labels, form.nums):
        q = space.import_poly(form, p)
        if kind == "p":
            nums[a][a] += q
        elif kind == "x":
            nums[a][b] += q
            nums[b][a] += q
        else:
            nums[a][b] += iota * q
            nums[b][a] -= iota * q
    den = space.import_poly(form, form.den)
    return [(nums[a][b], den) for a in range(dim) for b in range(dim)]


def _naming_universe(d) -> tuple:
    """Every occupation the derivation's gamma matrices use (fixes the names)."""
    out = set()
    for g in d.rates.gammas:
        for e in g.matrix:
            out |= e.atoms(n)
    return tuple(sorted(out, key=sp.default_sort_key))


def compact_expression(model, expr, what: str = "the expression", names_from=None):
    """(form, abbreviations it uses) for any rational function of ``model``'s parameters
    and occupations (e.g. the difference ``cgsym check`` reports), proved equal to
    ``expr``.  Same search as :func:`compact` (n_p or Gamma_p atoms, collection by the
    slow parameters), no J_sec candidate.  ``names_from``: a :class:`CompactForms` whose
    occupation names are reused."""
    universe = tuple(names_from.canonical_definition(a) for a in names_from.abbreviations
                     if a.kind == "occupation") if names_from is not None else ()
    space = _Space(model, [sp.sympify(expr)], universe)
    abbrs = _space_abbreviations(space, model, 1)
    num, den = space.fraction(0)
    if num.is_zero():
        return sp.S.Zero, ()
    form = _search(space, num, den, abbrs).build()
    form = _proved_or_plain(space, form, sp.sympify(expr), 0, abbrs, what)
    return form, tuple(_used(form, abbrs))
