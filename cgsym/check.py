r"""Check hand algebra: a user's expression against a quantity cgsym derives.

``check(model, regime, weak_internal, quantity, expr, where=(), latex=None)``
returns a :class:`CheckResult` (renders in Jupyter).  Quantities:

``J[p]``           heat current from reservoir p into the system, Tr[H_S D_p rho_ss]
``J``              the paper's J = J_first - J_second (Eqs. 112, 138), for a model
                   with exactly two reservoirs, in model-file order
``rho[a;b]``       steady-state element in the product basis (labels as ``derive``
                   prints them, e.g. ``rho[e,g;g,e]``; ``rho[a,b]`` when unambiguous)
``gamma[p][m,n]``  gamma-matrix entry of reservoir p, eigenoperator indices m, n

The comparison is exact first (difference cancelled as a rational function of
the parameters and occupations; then with n(w,T) rewritten as exponentials and
simplified), then confirmed numerically at several random parameter points to
30 digits.  A difference found numerically is reported with the point and both
values; an exact proof that fails while every numeric point agrees is reported
as equal with a note saying so.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass

import mpmath
import sympy as sp
from sympy.printing.defaults import Printable

from .arith.algebra import tidy
from .errors import CgsymError
from .model import Model, load_model
from .symbols import n, rewrite_occupations


@dataclass(frozen=True)
class CheckResult(Printable):
    quantity: str
    equal: bool
    derived_source: object            # the derived expression, or a callable building it
    user: sp.Expr
    method: str                       # "exact" | "numeric"
    difference: sp.Expr | None        # simplified difference (when small)
    point: tuple = ()                 # counterexample ((name, value), ...)
    values: tuple = ()                # (derived, user) at the point
    factor: sp.Expr | None = None     # yours = factor * derived at every point (2, 1/2, -1)
    hint: str = ""                    # what such a factor usually means
    # the difference in compact form (cgsym.forms): (expr, abbreviations it uses)
    compact_difference: tuple = ()

    @property
    def derived(self) -> sp.Expr:
        """The derived expression (built on first use when the comparison was decided
        from its exact forms: seconds for the 10^4-term closed forms)."""
        if "_derived" not in self.__dict__:
            src = self.derived_source
            self.__dict__["_derived"] = sp.sympify(src() if callable(src) else src)
        return self.__dict__["_derived"]

    def __str__(self):
        if self.equal:
            return f"EQUAL ({'proved exactly' if self.method == 'exact' else 'equal at 30 digits at 6 random points; no exact proof'})"
        lines = ["DIFFERENT"]
        if self.compact_difference:
            form, abbrs = self.compact_difference
            lines.append(f"  derived - yours = {sp.sstr(form)}")
            if abbrs:
                lines.append("    where " + "; ".join(f"{a.name} = {sp.sstr(a.definition)}"
                                                     for a in abbrs))
        elif self.difference is not None:
            lines.append(f"  derived - yours = {sp.sstr(self.difference)}")
        if self.point:
            lines.append("  at " + ", ".join(f"{k}={v:.6g}" for k, v in self.point) + ":")
            lines.append(f"    derived = {self.values[0]}")
            lines.append(f"    yours   = {self.values[1]}")
        if self.factor is not None:
            lines.append(f"  yours is {sp.sstr(self.factor)} times the derived "
                         f"{self.quantity or 'quantity'} at every test point"
                         + (f": {self.hint}" if self.hint else ""))
        return "\n".join(lines)

    def _latex(self, printer):
        rel = "=" if self.equal else r"\neq"
        return f"{printer._print(self.derived)} {rel} {printer._print(self.user)}"


# ---------------------------------------------------------------------------
def _symbol_table(model: Model, where):
    from .latex_reader import SymbolTable, canonical_name, read_expression
    names = {p.name: p.symbol for p in model.parameters}
    funcs = occupation_functions(model)
    table = SymbolTable(names, funcs)
    for item in where or ():
        if "=" not in item:
            raise CgsymError(f"--where expects NAME=EXPR, got '{item}'")
        lhs, rhs = item.split("=", 1)
        lhs = lhs.strip()
        try:
            key = canonical_name(lhs) if ("\\" in lhs or "{" in lhs) else lhs
        except CgsymError as e:
            raise CgsymError(f"--where '{lhs}': {e}") from None
        try:
            value = read_expression(rhs.strip(), table)
        except CgsymError as e:
            raise CgsymError(f"--where {key}=...: {e}") from None
        names = dict(names)
        names[key] = value
        table = SymbolTable(names, {k: v for k, v in funcs.items() if k not in names})
    return table


def occupation_functions(model: Model) -> dict:
    """Functions a reader needs for cgsym's own LaTeX: n(w, T); n(w) for a single
    reservoir; n_p(w) = n(w, T_p) for each reservoir p (the paper's n_h, n_l, ...)."""
    temps = {r.temperature for r in model.reservoirs}

    def occ(*args):
        if len(args) == 2:
            return n(*args)
        if len(args) == 1 and len(temps) == 1:
            return n(args[0], next(iter(temps)))
        raise CgsymError("n(...) takes (frequency, temperature)")

    funcs = {"n": occ}
    for r in model.reservoirs:
        funcs[f"n_{r.name}"] = (lambda T: (lambda w: n(w, T)))(r.temperature)
    return funcs


def _split_pair(inner: str, basis, what: str):
    if ";" in inner:
        a, b = (x.strip() for x in inner.split(";", 1))
        return a, b
    parts = [x.strip() for x in inner.split(",")]
    cands = []
    for k in range(1, len(parts)):
        a, b = ",".join(parts[:k]), ",".join(parts[k:])
        if a in basis and b in basis:
            cands.append((a, b))
    if len(cands) == 1:
        return cands[0]
    raise CgsymError(f"{what}: cannot split '{inner}' into two basis labels; write rho[a;b] "
                     f"(basis: {', '.join(basis)})")


def derived_quantity(d, quantity: str) -> sp.Expr:
    """The derived expression named by ``quantity`` (see module doc)."""
    model = d.model
    q = quantity.strip()
    if q == "J":
        if len(model.reservoirs) != 2:
            raise CgsymError("quantity 'J' (the paper's J_first - J_second) needs exactly two "
                             "reservoirs; use J[p]")
        d.steady_state.require_unique()
        a, b = (r.name for r in model.reservoirs)
        return d.heat_currents.current(a) - d.heat_currents.current(b)
    m = re.fullmatch(r"J\[\s*([A-Za-z0-9_]+)\s*\]", q)
    if m:
        d.steady_state.require_unique()
        return d.heat_currents.current(m.group(1))
    m = re.fullmatch(r"rho\[(.+)\]", q)
    if m:
        a, b = _split_pair(m.group(1), model.basis, "rho")
        return d.steady_state.element(a, b)
    m = re.fullmatch(r"gamma\[\s*([A-Za-z0-9_]+)\s*\]\[\s*(-?\d+)\s*,\s*(-?\d+)\s*\]", q)
    if m:
        return d.rates.gamma(m.group(1)).entry(int(m.group(2)), int(m.group(3)))
    raise CgsymError(f"unknown quantity '{quantity}' (use J[p], J, rho[a;b] or gamma[p][m,n])")


def _numeric(expr, pt, dps=30):
    if expr.has(sp.Determinant):
        # determinants numerically: the entries at the point, then det (mpmath)
        return _tree_values(expr, [pt], dps + 10)[0]
    e = rewrite_occupations(expr).xreplace(pt)
    v = sp.N(e, dps)
    try:
        return complex(v)
    except TypeError:
        raise CgsymError(f"the expression does not evaluate to a number (left: {v})") from None


def _tree_values(expr, pts, dps: int = 40) -> list:
    """``expr`` at every point (complex numbers), evaluated node by node along its tree
    with mpmath at ``dps`` digits, each shared subtree once: linear in the tree's size
    (SymPy's substitution and ``evalf`` of a 10^5-node closed form take 15 s a point).
    n(w, T) is 1/(exp(w/T) - 1); a node of another kind is evaluated by SymPy."""
    k = len(pts)
    memo = {}
    with mpmath.workdps(dps):
        def ev(e):
            got = memo.get(e)
            if got is not None:
                return got
            if e.is_Symbol:
                v = [mpmath.mpf(pt[e]) for pt in pts]
            elif e.is_Number:
                v = [mpmath.mpmathify(e.evalf(dps))] * k
            elif e is sp.I:
                v = [mpmath.mpc(0, 1)] * k
            elif e.is_Add:
                parts = [ev(a) for a in e.args]
                v = [mpmath.fsum(x) for x in zip(*parts)]
            elif e.is_Mul:
                parts = [ev(a) for a in e.args]
                v = [mpmath.fprod(x) for x in zip(*parts)]
            elif e.is_Pow:
                base = ev(e.base)
                if e.exp.is_Integer:
                    q = int(e.exp)
                    v = [b ** q for b in base]
                else:
                    ex = ev(e.exp)
                    v = [mpmath.power(b, x) for b, x in zip(base, ex)]
            elif isinstance(e, n):
                w, T = ev(e.args[0]), ev(e.args[1])
                v = [1 / mpmath.expm1(a / b) for a, b in zip(w, T)]
            elif isinstance(e, sp.exp):
                v = [mpmath.exp(a) for a in ev(e.args[0])]
            elif isinstance(e, sp.Determinant):
                m = e.arg
                entries = [ev(x) for x in m]
                v = [mpmath.det(mpmath.matrix(
                    [[entries[i * m.cols + j][q] for j in range(m.cols)]
                     for i in range(m.rows)])) for q in range(k)]
            else:
                v = [mpmath.mpmathify(sp.N(rewrite_occupations(e).xreplace(pt), dps))
                     for pt in pts]
            memo[e] = v
            return v
        return [complex(x) for x in ev(sp.sympify(expr))]


def _confirm(derived_values, user, pts) -> None:
    """The numeric confirmation of an exact proof: the user's expression along its tree
    at 40 digits, then at 120 and 400 where that disagrees (a correct expression can
    cancel catastrophically: entries of 10^16 with a determinant of -1); a disagreement
    at every precision is an internal error, never a verdict."""
    for dps in (40, 120, 400):
        if all(abs(a - b) <= 1e-12 * max(abs(a), abs(b), 1e-300)
               for a, b in zip(derived_values(dps), _tree_values(user, pts, dps))):
            return
    raise CgsymError("internal error: exact and numeric comparisons disagree")


def _points(model: Model, count: int, seed: int = 7):
    rng = random.Random(seed)
    pts = []
    for _ in range(count):
        pt = {}
        for p in model.parameters:
            lo, hi = {"frequency": (0.5, 3.0), "slow": (0.01, 0.4), "rate": (0.005, 0.5),
                      "temperature": (0.2, 3.0)}[p.role]
            pt[p.symbol] = sp.Float(rng.uniform(lo, hi), 40)
        pts.append(pt)
    return pts


def derived_forms(d, quantity: str):
    """The derived quantity as exact flint forms, ((RationalForm, sign), ...) summed, for
    the heat currents (``J[p]``, ``J``), or None (other quantities, stored results)."""
    hcs = d.heat_currents
    if hcs is None or not hcs.forms:
        return None
    q = quantity.strip()
    if q == "J" and len(d.model.reservoirs) == 2:
        a, b = (r.name for r in d.model.reservoirs)
        return ((hcs.form(a), 1), (hcs.form(b), -1))
    m = re.fullmatch(r"J\[\s*([A-Za-z0-9_]+)\s*\]", q)
    if m and m.group(1) in hcs.reservoirs:
        return ((hcs.form(m.group(1)), 1),)
    return None


def exp_lattice(exps) -> tuple:
    """({exp(a): product of integer powers of new positive generators t_m}, {t_m: its
    value}) for every exp in ``exps`` (:class:`cgsym.arith.exps.ExpLattice`, t_m =
    exp(m / q_m)): the map keeps every value, so equal images prove equality; it knows
    the relations exp(a) exp(b) = exp(a + b) and exp(a) exp(-a) = 1 that separate
    generators for exp(-(Omega + omega_S)/omega_c), exp(Omega/omega_c) and
    exp(-Omega/omega_c) do not (an ohmic rate's exp(-w/omega_c) at w = omega_S +- Omega)."""
    from .arith.exps import ExpLattice
    lat = ExpLattice.of(exps)
    images = {e: lat.image(e) for e in exps}
    # an exponential off the lattice (a denominator above MAX_Q) stays an atom
    return {e: img for e, img in images.items() if img is not None}, lat.values()


def _laurent_import(space, form, p, images):
    """(num, den) in ``space``'s ring with num/den = p, a polynomial of ``form``'s ring
    whose atoms map to Laurent monomials of the space (``images``: one exponent vector
    per atom, possibly negative): the terms mapped one by one, then shifted by the
    monomial den that makes every exponent nonnegative."""
    ctx = space.ring.ctx
    nv = len(space.gens)
    terms = {}
    for mon, c in zip(p.monoms(), p.coeffs()):
        v = [0] * nv
        for e, img in zip(mon, images):
            if e:
                for j, k in img:
                    v[j] += k * e
        key = tuple(v)
        terms[key] = terms.get(key, 0) + int(c)
    if not terms:
        return ctx.from_dict({}), space.ring.one()
    low = [min(0, min(k[j] for k in terms)) for j in range(nv)]
    num = ctx.from_dict({tuple(a - b for a, b in zip(k, low)): c
                         for k, c in terms.items() if c})
    den = ctx.from_dict({tuple(-b for b in low): 1})
    return num, den


def equal_in_flint(model: Model, forms, user) -> bool:
    """Whether ``user`` equals sum(sign * form) exactly, decided in python-flint: the
    derived forms' polynomials and the user's expression (read along its tree, no
    expansion in SymPy) as fractions in one ring of the parameters and atoms (n(w, T),
    radicals r_b with r_b^Q = b, i with i^2 = -1, exponentials as powers of
    independent t_m (:func:`exp_lattice`)).  Equal gcd-cancelled fractions, or equal
    reduced cross products, prove equality; False means "not proved" (the caller goes
    on with the SymPy comparison), never "different"."""
    from .forms.compact import _Space
    from .arith.flintalg import determinants_first, fraction_tree
    try:
        exps = set(user.atoms(sp.exp))
        for f, _ in forms:
            exps |= {a for a in f.atoms if isinstance(a, sp.exp)}
        lattice = exp_lattice(exps)[0]
        if lattice:
            user = user.xreplace(lattice)
        # (the second expression makes every t_m a generator, used by user or not)
        tgens = set().union(*(v.free_symbols for v in lattice.values())) if lattice else ()
        space = _Space(model, [user, sp.Add(*tgens)], (), sources=[f for f, _ in forms])
        e = space._map_exp_powers(space.exprs[0])
        memo: dict = {}
        if e.has(sp.Determinant):
            determinants_first(space.ring, space.atom_index, e, memo)
        n1, d1 = fraction_tree(space.ring, space.atom_index, e, memo)
        n1, d1 = space.reduce_iota(n1), space.reduce_iota(d1)
        n2, d2 = space.ring.ctx.from_dict({}), space.ring.one()
        for f, sign in forms:
            if lattice and any(a in lattice for a in f.atoms):
                images = []
                for a in f.atoms:
                    img = lattice.get(a)
                    if img is None:
                        mono = space._image(a)
                        if len(mono) != 1 or int(mono.coeffs()[0]) != 1:
                            raise ValueError(f"the atom {a} is not a monomial")
                        images.append([(j, int(k)) for j, k in enumerate(mono.monoms()[0])
                                       if k])
                    else:
                        images.append([(space.index[g], int(k)) for g, k in
                                       img.as_powers_dict().items()])
                an, ad = _laurent_import(space, f, f.nums[0], images)
                bn, bd = _laurent_import(space, f, f.den, images)
                a, b = an * bd, bn * ad
            else:
                a, b = space.import_poly(f, f.nums[0]), space.import_poly(f, f.den)
            if b == d2:
                n2 = n2 + sign * a
            else:
                g = d2.gcd(b)
                n2, d2 = n2 * (b // g) + sign * a * (d2 // g), d2 * (b // g)
        n2 = space.reduce_iota(n2)
    except (ValueError, TypeError, ZeroDivisionError, CgsymError, sp.PolynomialError):
        return False
    return space.equal_fractions(n1, d1, n2, d2)


def equal_exprs_in_flint(model: Model, derived, user) -> bool:
    """Whether ``user`` equals the SymPy expression ``derived`` exactly, both read as
    fractions in one python-flint ring (as :func:`equal_in_flint`; determinants in
    ``user`` computed exactly there).  False means "not proved"."""
    from .forms.compact import _Space
    from .arith.flintalg import determinants_first, fraction_tree
    try:
        lattice = exp_lattice(user.atoms(sp.exp) | derived.atoms(sp.exp))[0]
        if lattice:
            user, derived = user.xreplace(lattice), derived.xreplace(lattice)
        space = _Space(model, [user, derived], ())
        fr = []
        memo: dict = {}
        for e in space.exprs:
            e = space._map_exp_powers(e)
            if e.has(sp.Determinant):
                determinants_first(space.ring, space.atom_index, e, memo)
            num, den = fraction_tree(space.ring, space.atom_index, e, memo)
            fr.append((space.reduce_iota(num), space.reduce_iota(den)))
    except (ValueError, TypeError, ZeroDivisionError, CgsymError, sp.PolynomialError):
        return False
    return space.equal_fractions(*fr[0], *fr[1])


def expand_determinants(expr):
    """``expr`` with every unevaluated Determinant replaced by its exact value (a
    rational function computed in python-flint, :func:`flintalg.determinant_fraction`;
    atoms such as n(w, T), radicals and i are generators, so the identity is exact):
    for the SymPy comparison when the flint proof did not decide."""
    from .arith.algebra import polynomial_form
    from .arith.flintalg import Ring, determinant_fraction
    if not expr.has(sp.Determinant):
        return expr

    def value(D):
        m, back = polynomial_form(D.arg)
        iota = sp.Dummy("iota")
        m = m.xreplace({sp.I: iota})
        back[iota] = sp.I
        gens = sorted(set().union(*(x.free_symbols for x in m)), key=sp.default_sort_key)
        ring = Ring(gens)
        try:
            num, den = determinant_fraction(ring, {g: i for i, g in enumerate(gens)}, m)
        except ValueError as e:
            raise CgsymError(f"a determinant's entries must be rational functions of the "
                             f"parameters and occupations ({e})") from None
        return (ring.to_sympy(num) / ring.to_sympy(den)).xreplace(back)
    return expr.replace(lambda x: isinstance(x, sp.Determinant), value)


#: count_ops above which a difference refuted numerically is left as it is
_TIDY_LIMIT = 2000


def compare(model: Model, derived, user, quantity: str = "", forms=None) -> CheckResult:
    """``derived`` (a SymPy expression, or a callable building it) against ``user``;
    ``forms``: the derived value as exact flint forms (:func:`derived_forms`), which
    decide equality without SymPy's cancel of the difference."""
    user = sp.sympify(user)
    if user.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        raise CgsymError("your expression is undefined: it divides by zero (0/0, or the "
                         "determinant of a singular matrix)")
    extra = user.free_symbols - set(model.symbols)
    if extra:
        raise CgsymError(f"your expression uses {', '.join(sorted(map(str, extra)))}, which the "
                         f"model does not define; add --where NAME=EXPR")
    shown = user
    if user.has(sp.Determinant) and forms is None:
        # Cramer's rule: decided in flint, determinants never expanded in SymPy
        d0 = sp.sympify(derived() if callable(derived) else derived)
        derived = d0
        if equal_exprs_in_flint(model, d0, user):
            pts = _points(model, 6)
            _confirm(lambda dps: _tree_values(d0, pts, dps), user, pts)
            return CheckResult(quantity, True, d0, user, "exact", None)
    if forms is not None and equal_in_flint(model, forms, user):
        # proved; confirmed numerically at the six points: the exact forms evaluated over
        # QQ at 40-digit atoms, the user's expression along its tree at 40 digits
        pts = _points(model, 6)
        exact = [sum(sign * f.evaluate({s.name: v for s, v in pt.items()})[0]
                     for f, sign in forms) for pt in pts]
        _confirm(lambda dps: exact, user, pts)
        return CheckResult(quantity, True, derived, user, "exact", None)
    derived = sp.sympify(derived() if callable(derived) else derived)
    # the SymPy comparison reads determinants through their exact values
    user = expand_determinants(user)
    diff = derived - user
    exact = False
    # a large difference already shown nonzero at a point is not cancelled in SymPy
    # (minutes for the 9k-op currents): the counterexample decides, the flint forms
    # having failed to prove it equal.  The values are 30-digit evaluations rounded to
    # doubles, so only a difference far above their rounding (1e-9 relative) counts;
    # anything closer is left to the exact comparison below.  The same holds for a
    # form with determinants (flint having failed to prove it): their expansions are
    # never cancelled in SymPy when a point already tells them apart
    # With the flint forms at hand (they failed to prove equality) a point that already
    # tells the two apart decides, whatever the size: SymPy's tidy/simplify of a small
    # wrong difference took the whole --timeout (a factor-2 slip in one Gamma: > 9 min)
    # (a point counts when the two differ at 30 digits and again at 60: a precision
    # artefact of a correct expression never decides)
    def differ(pt, dps):
        a, b = _numeric(derived, pt, dps), _numeric(user, pt, dps)
        return abs(a - b) > 1e-9 * max(abs(a), abs(b), 1e-300)
    apart = (shown.has(sp.Determinant) or forms is not None) and any(
        differ(pt, 30) and differ(pt, 60) for pt in _points(model, 6))
    large = apart and (shown.has(sp.Determinant) or sp.count_ops(diff) > _TIDY_LIMIT)
    try:
        if apart:
            raise TypeError("not tidied")
        t = tidy(diff, factor=False)
        exact = t == 0
        if not exact:
            t2 = sp.simplify(rewrite_occupations(t))
            exact = t2 == 0
    except (sp.PolynomialError, sp.CoercionFailed, ValueError, TypeError):
        t = diff
    # numeric confirmation (or refutation)
    for pt in _points(model, 6):
        a, b = _numeric(derived, pt), _numeric(user, pt)
        scale = max(abs(a), abs(b), 1e-300)
        if abs(a - b) > 1e-20 * scale:
            if exact:
                raise CgsymError("internal error: exact and numeric comparisons disagree")
            small = t if sp.count_ops(t) <= 60 else None
            point = tuple((s.name, float(pt[s])) for s in model.symbols)
            factor = _constant_factor(model, derived, user)
            return CheckResult(quantity, False, derived, shown, "numeric", small, point,
                               (_fmt(a), _fmt(b)), factor,
                               _factor_hint(model, quantity, factor),
                               () if large else _compact_difference(model, t))
    return CheckResult(quantity, True, derived, shown, "exact" if exact else "numeric", None)


def _constant_factor(model: Model, derived, user):
    """The simple constant c (2, 1/2, -1, -2, ...) with user = c * derived at every test
    point, or None: a factor of 2 or a sign is the commonest slip in a hand derivation."""
    ratios = []
    for pt in _points(model, 6, seed=11):
        a, b = _numeric(derived, pt), _numeric(user, pt)
        if abs(a) < 1e-30:
            return None
        ratios.append(b / a)
    r0 = ratios[0]
    if any(abs(r - r0) > 1e-20 * max(abs(r0), 1) for r in ratios) or abs(r0.imag) > 1e-20:
        return None
    c = sp.nsimplify(round(r0.real, 12), rational=True)
    if c in (0, 1) or not c.is_Rational or c.q > 12 or abs(c.p) > 12:
        return None
    return c


def _factor_hint(model: Model, quantity: str, factor) -> str:
    if factor is None or not quantity.startswith("J"):
        return ""
    names = [r.name for r in model.reservoirs]
    convention = ("J_p is the heat current from reservoir p into the system "
                  "(hbar = k_B = 1)")
    if len(names) == 2:
        a, b = names
        paper = f"the paper's J is J_{a} - J_{b} = 2 J_{a} (--quantity J), one reservoir's " \
                f"current is J[{a}]"
        if quantity == "J" and factor == sp.Rational(1, 2) or \
                quantity.startswith("J[") and abs(factor) == 2:
            return paper
    if factor == -1:
        p = quantity[2:-1] if quantity.startswith("J[") else names[0]
        return f"a sign convention: J[{p}] is the heat current from reservoir {p} into the " \
               f"system"
    return convention


def _compact_difference(model, diff) -> tuple:
    """The difference in compact, paper-style form (proved equal), or () when it is not
    a rational function of the parameters and occupations or stays too long to help."""
    from .forms.compact import compact_expression
    try:
        form, abbrs = compact_expression(model, diff, "the difference")
    except (CgsymError, ValueError, TypeError, ZeroDivisionError, sp.PolynomialError):
        return ()
    if sp.count_ops(form) > 400:
        return ()
    return (form, abbrs)


def _fmt(z: complex) -> str:
    return f"{z.real:.15g}" if abs(z.imag) <= 1e-25 * max(abs(z.real), 1) else f"{z:.15g}"


def check(model, regime: str, weak_internal: bool, quantity: str, expr: str,
          where=(), latex: bool | None = None, derivation=None) -> CheckResult:
    r"""Compare ``expr`` (SymPy syntax or LaTeX) with the derived ``quantity``.

    Quantities: ``J[p]`` (heat current from reservoir p), ``J`` (the paper's
    J_first - J_second for two reservoirs), ``rho[a;b]`` (steady state in the product
    basis) and ``gamma[p][m,n]``.  ``where`` holds abbreviations ``"NAME=EXPR"``;
    ``n(w, T)`` is the occupation.  The result is ``equal`` when the difference is
    proved zero (or, failing a proof, agrees to 30 digits at six random points);
    otherwise it carries a counterexample point.  ``derivation``: the
    :class:`Derivation` of this model, regime and limit when already at hand (it is
    not derived again).

    Abbreviations may be determinants (a steady state by Cramer's rule):
    ``D = \det\begin{pmatrix} a & b \\ c & d \end{pmatrix}``, ``p_1 = D_1/D``, or
    ``D = Determinant(Matrix([[a, b], [c, d]]))``; they stay unevaluated and are
    computed exactly in python-flint for the proof.

    Examples
    --------
    >>> import cgsym
    >>> cgsym.check("tunnelling-qubit", "secular", True, "J",
    ...             "gamma*omega_S*(n_l - n_r)/(2*(n_l + n_r + 1))",
    ...             where=["n_l=n(omega_S,T_l)", "n_r=n(omega_S,T_r)"]).equal
    True
    """
    from .derivation import derive
    from .latex_reader import read_expression
    model = load_model(model)
    table = _symbol_table(model, where)
    user = read_expression(expr, table, latex=True if latex else None)
    d = derivation
    if d is None or d.model != model or (d.regime, d.weak_internal) != (
            regime, bool(weak_internal)):
        d = derive(model, regime, weak_internal)
    forms = derived_forms(d, quantity)
    if forms is None:
        return compare(model, derived_quantity(d, quantity), user, quantity)
    if not d.steady_state.unique:
        d.steady_state.require_unique()      # the one-line error (builds no matrix)
    # the SymPy expression is built once the flint comparison has decided
    return compare(model, lambda: derived_quantity(d, quantity), user, quantity, forms)


def main(args) -> int:
    from .derivation import time_limit
    with time_limit(args.timeout):
        res = check(args.model, args.regime, args.weak_internal, args.quantity, args.expr,
                    args.where, args.latex)
    print(str(res))
    return 0 if res.equal else 1
