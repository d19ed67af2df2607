r"""Full counting statistics of the quanta or energy exchanged with each reservoir.

Counting field :math:`\chi_p` per reservoir (one reservoir at a time here): every jump of
:mod:`cgsym.statistics.jumps` is weighted by :math:`e^{i\chi_p k}`, with k what it carries
*into the system* (quanta: +1 absorption, -1 emission; energy: :math:`\bar\omega_{mn}`),

.. math::

   \mathcal L(\chi) = \mathcal L + \sum_{j\in p}(e^{i\chi k_j} - 1)\,\mathcal J_j,\qquad
   \theta(\chi) = \text{leading eigenvalue},\quad
   \kappa_n = \partial^n_{(i\chi)}\theta\big|_0 .

Closed forms, by the "one more solve" (Rayleigh-Schroedinger / Drazin) formulas, with
:math:`\mathcal K_r = \sum_j k_j^r \mathcal J_j`:

.. math::

   \langle I_p\rangle = \mathrm{Tr}[\mathcal K_1\rho_{ss}],\qquad
   S_p = \mathrm{Tr}[\mathcal K_2\rho_{ss}] + 2\,\mathrm{Tr}[\mathcal K_1 x],\qquad
   \mathcal L x = -(\mathcal K_1\rho_{ss} - \langle I_p\rangle\rho_{ss}),\ \mathrm{Tr}\,x = 0,

i.e. :math:`S = \mathrm{Tr}[\mathcal K_2\rho] - 2\,\mathrm{Tr}[\mathcal K_1\mathcal L^D
\mathcal K_1\rho]` with the Drazin inverse :math:`\mathcal L^D`.  x is found exactly: the
same real coordinates and blocks as the steady state (:func:`cgsym.steady_state.real_liouvillian`),
one population equation replaced by Tr x = 0, fraction-free Bareiss elimination in
python-flint (:mod:`cgsym.arith.flintalg`); never an eigen-solver.

Conventions: hbar = k_B = 1; ``mean`` is the net number of quanta (or the energy) per unit
time from reservoir p *into the system* (the sign of J_p); ``noise`` the zero-frequency
second cumulant per unit time; ``fano`` = noise / mean (signed like the mean; its modulus is
the usual Fano factor; for energy it has units of energy); ``tur`` the thermodynamic
uncertainty ratio :math:`Q_p = S_p\,\sigma/\langle I_p\rangle^2` with the entropy production
:math:`\sigma = -\sum_p J_p/T_p`; the classical TUR bound is Q >= 2.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import sympy as sp
from sympy.printing.defaults import Printable

from ..errors import CgsymError
from ..operators import sparsity_components
from ..steady_state import coordinate_matrix
from .jumps import JumpDecomposition, jump_decomposition

COUNTS = ("quanta", "energy")
#: Q below 2 by more than this (relative) counts as a violation of the classical TUR
TUR_TOL = 1e-9
#: a mean below this fraction of the traffic (noise / counted unit) is zero to rounding
EQUILIBRIUM_RTOL = 1e-9


def check_count(count: str) -> str:
    if count not in COUNTS:
        raise CgsymError(f"unknown --count '{count}' (quanta | energy)")
    return count


@dataclass(frozen=True)
class CountingStatistics(Printable):
    """Closed-form mean, noise, Fano factor and TUR ratio per reservoir (frozen, printable).

    The results are held exactly as :class:`cgsym.arith.rational_form.RationalForm` (flint
    polynomials over a common denominator: ``mean_forms``, ``noise_forms``,
    ``mismatch_forms``, ``limit_mismatch_forms``, tuples of (reservoir, form) in model
    order); the SymPy expressions ``mean``, ``noise``, ``fano``, ``tur``,
    ``entropy_production``, ``energy_mismatch`` and ``limit_energy_mismatch`` (tuples of
    (reservoir, expression)) are built on first use, for printing.  :meth:`evaluate`
    never builds them: numbers come straight from the polynomials.  ``fano`` and ``tur``
    hold None where the mean vanishes identically (one reservoir).  ``energy_mismatch``
    is (counted mean energy current) - Tr[H_S D_p rho_ss] for the counted convention (mean
    frequency of the pair: proved identically 0), ``limit_energy_mismatch`` the same for a
    detector that sees only each cluster's slow-limit frequency.
    """

    model_name: str
    regime: str
    weak_internal: bool
    count: str
    mean_forms: tuple
    noise_forms: tuple
    mismatch_forms: tuple
    limit_mismatch_forms: tuple
    jumps: JumpDecomposition = field(repr=False, compare=False, default=None)
    derivation: object = field(repr=False, compare=False, default=None)

    @property
    def reservoirs(self) -> tuple[str, ...]:
        return tuple(p for p, _ in self.mean_forms)

    def get(self, what: str, reservoir: str):
        table = dict(getattr(self, what))
        if reservoir not in table:
            raise CgsymError(f"unknown reservoir '{reservoir}' (reservoirs: "
                             f"{', '.join(self.reservoirs)})")
        return table[reservoir]

    # -- SymPy expressions, lazily (printing) -----------------------------------
    @cached_property
    def mean(self) -> tuple:
        return tuple((p, f.expression(0)) for p, f in self.mean_forms)

    @cached_property
    def noise(self) -> tuple:
        return tuple((p, f.expression(0)) for p, f in self.noise_forms)

    def _mean_is_zero(self, p) -> bool:
        return dict(self.mean_forms)[p].nums[0].is_zero()

    @cached_property
    def entropy_production(self) -> sp.Expr:
        return self.derivation.heat_currents.entropy_production()

    @cached_property
    def fano(self) -> tuple:
        # quotients of canonical forms, kept as such (cancelling them into one fraction
        # costs more than all the rest for models with several independent occupations)
        m, s = dict(self.mean), dict(self.noise)
        return tuple((p, None if self._mean_is_zero(p) else s[p] / m[p])
                     for p in self.reservoirs)

    @cached_property
    def tur(self) -> tuple:
        m, s = dict(self.mean), dict(self.noise)
        sigma = self.entropy_production
        return tuple((p, None if self._mean_is_zero(p) else s[p] * sigma / m[p] ** 2)
                     for p in self.reservoirs)

    def _mismatch(self, forms) -> tuple:
        from ..spectrum import is_zero
        out = []
        for p, f in forms:
            diff = f.expression(0)
            if diff != 0 and is_zero(diff, self.derivation.model):
                diff = sp.S.Zero   # zero only modulo relations among radicals
            out.append((p, diff))
        return tuple(out)

    @cached_property
    def energy_mismatch(self) -> tuple:
        return self._mismatch(self.mismatch_forms)

    @cached_property
    def limit_energy_mismatch(self) -> tuple:
        return self._mismatch(self.limit_mismatch_forms)

    # -- numbers -----------------------------------------------------------
    def _sigma_at(self, values) -> float:
        """sigma = -sum_p J_p/T_p at a point, from the heat currents' exact forms when they
        exist (no SymPy expression of the currents is built)."""
        from ..numerics import lambdify_expr
        hc = self.derivation.heat_currents
        model = self.derivation.model
        forms = dict(hc.forms) if hc.forms else {}
        total = 0.0
        for r in model.reservoirs:
            T = float(lambdify_expr(sp.sympify(r.temperature), model)(values).real)
            if r.name in forms:
                J = forms[r.name].evaluate(values)[0]
            else:
                J = float(lambdify_expr(hc.current(r.name), model)(values).real)
            total -= J / T
        return total

    def evaluate(self, values) -> dict:
        """The closed forms at a parameter point: {"mean": {p: float}, ..., "tur_holds": ...}.

        Refuses points outside the closed forms' domain (a Bohr frequency of the wrong sign).
        ``fano``/``tur`` are None where the mean is zero at the point; ``tur_holds`` is
        Q >= 2 (None where Q is undefined).  Also returns the two energy mismatches.
        Evaluated straight from the flint polynomials (:meth:`RationalForm.evaluate`: exact
        over QQ at 40-digit atoms, rounded once), never through SymPy expressions.
        """
        import numpy as np   # numbers cross here (and in cgsym.numerics)

        from ..numerics import _check_values, check_closed_form_domain, lambdify_expr
        spec = self.derivation.spectrum
        model = self.derivation.model
        check_closed_form_domain(spec, values)
        vals = _check_values(model, values)

        def num(form):
            try:
                x = form.evaluate(vals)[0]
            except OverflowError:       # an exact value beyond double precision
                x = math.inf
            if not math.isfinite(x):
                raise CgsymError("the counting statistics are not finite numbers at this "
                                 "point: choose parameters of a physical size")
            return x + 0.0   # + 0.0: no printed -0.0
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            sigma = self._sigma_at(vals) + 0.0
        if not math.isfinite(sigma):
            raise CgsymError("the counting statistics are not finite numbers at this point (an "
                             "occupation or rate overflows double precision): choose parameters "
                             "of a physical size")
        # The unit of what is counted: 1 for quanta, the largest |Bohr frequency| for energy.
        # A mean below 1e-9 of noise/unit (the traffic in counted units) is zero to rounding:
        # the point is at equilibrium (e.g. equal temperatures, where the closed form does not
        # cancel exactly because n(a + b) and n(a), n(b) are independent symbols), and the
        # Fano factor and Q = noise sigma / mean^2 are 0/0, not a TUR violation.
        unit = 1.0
        if self.count == "energy":
            unit = max((abs(float(np.real(lambdify_expr(w, spec.model)(vals))))
                        for m, w in spec.frequencies if m != 0), default=1.0)
        out = {"count": self.count, "mean": {}, "noise": {}, "fano": {}, "tur": {},
               "tur_holds": {}, "entropy_production": sigma}
        for (p, mf), (_, sf) in zip(self.mean_forms, self.noise_forms):
            m, s = num(mf), num(sf)
            out["mean"][p], out["noise"][p] = m, s
            at_equilibrium = abs(m) <= EQUILIBRIUM_RTOL * abs(s) / unit
            defined = (not self._mean_is_zero(p) and abs(m) > 1e-300 and not at_equilibrium)
            out["fano"][p] = s / m if defined else None
            q = (s / m) * (sigma / m) if defined else None   # no overflow of m**2
            q = q if q is not None and math.isfinite(q) else None
            out["tur"][p] = q
            out["tur_holds"][p] = None if q is None else bool(q >= 2 * (1 - TUR_TOL))
        out["energy_mismatch"] = {p: num(f) for p, f in self.mismatch_forms}
        out["limit_energy_mismatch"] = {p: num(f) for p, f in self.limit_mismatch_forms}
        return out

    # -- output ------------------------------------------------------------
    def to_json(self, values=None) -> dict:
        """JSON of ``cgsym statistics`` (expressions as strings, or floats with ``values``)."""
        conv = {"units": "hbar = k_B = 1",
                "mean": "net quanta (or energy) per unit time from reservoir p into the system "
                        "(the sign of J_p)",
                "noise": "zero-frequency second cumulant per unit time",
                "fano": "noise / mean (signed like the mean)",
                "tur": "Q_p = noise * sigma / mean^2, sigma = -sum_p J_p/T_p; classical bound "
                       "Q >= 2",
                "energy": "a jump X_m rho X_n^+ carries (omega_m + omega_n)/2 into the system"}
        if values is not None:
            out = self.evaluate(values)
            out["conventions"] = conv
            return out

        def s(e):
            return None if e is None else sp.sstr(e)
        return {"count": self.count, "model": self.model_name, "regime": self.regime,
                "weak_internal": self.weak_internal,
                "mean": {p: s(e) for p, e in self.mean},
                "noise": {p: s(e) for p, e in self.noise},
                "fano": {p: s(e) for p, e in self.fano},
                "tur": {p: s(e) for p, e in self.tur},
                "entropy_production": s(self.entropy_production),
                "energy_mismatch": {p: s(e) for p, e in self.energy_mismatch},
                "limit_energy_mismatch": {p: s(e) for p, e in self.limit_energy_mismatch},
                "conventions": conv}

    def __str__(self):
        unit = "quanta" if self.count == "quanta" else "energy"
        lines = [f"Counting statistics of the {unit} exchanged with each reservoir "
                 f"({self.model_name}, {self.regime}"
                 f"{', weak internal' if self.weak_internal else ''}); "
                 f"mean: net {unit} per unit time from reservoir p into the system"]
        for p in self.reservoirs:
            lines.append(f"  <I_{p}> = {sp.sstr(self.get('mean', p))}")
            lines.append(f"  S_{p} = {sp.sstr(self.get('noise', p))}")
            f, q = self.get("fano", p), self.get("tur", p)
            lines.append(f"  F_{p} = S_{p}/<I_{p}> = " + ("undefined (mean 0)" if f is None
                                                          else sp.sstr(f)))
            lines.append(f"  Q_{p} = S_{p} sigma/<I_{p}>^2 = " + ("undefined (mean 0)" if q is None
                                                                else sp.sstr(q)))
        lines.append(f"  sigma = {sp.sstr(self.entropy_production)}")
        lines.append("Energy inside a slow cluster: a jump X_m rho X_n^+ counts (omega_m + "
                     "omega_n)/2; counted mean energy current - Tr[H_S D_p rho_ss] = "
                     + ", ".join(f"{p}: {sp.sstr(e)}" for p, e in self.energy_mismatch)
                     + "; with the cluster-limit frequency instead: "
                     + ", ".join(f"{p}: {sp.sstr(e)}" for p, e in self.limit_energy_mismatch))
        return "\n".join(lines)

    def _latex(self, printer):
        from ..latex import PaperPrinter
        model = self.derivation.model if self.derivation is not None else None
        p = printer if isinstance(printer, PaperPrinter) else PaperPrinter(model)
        rows = []
        for r in self.reservoirs:
            rows.append(rf"\langle I_{{{r}}}\rangle &= {p._print(self.get('mean', r))}")
            rows.append(rf"S_{{{r}}} &= {p._print(self.get('noise', r))}")
            f, q = self.get("fano", r), self.get("tur", r)
            if f is not None:
                rows.append(rf"F_{{{r}}} &= {p._print(f)}")
            if q is not None:
                rows.append(rf"Q_{{{r}}} &= {p._print(q)}")
        return r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"


# ---------------------------------------------------------------------------
# exact linear algebra in python-flint (the steady state's machinery)
# ---------------------------------------------------------------------------
class _Field:
    """Fractions (num, den) of flint polynomials in a common ring of generators."""

    def __init__(self, exprs):
        from ..arith.algebra import nonpolynomial_atoms
        from ..arith.flintalg import Ring
        atoms = nonpolynomial_atoms(exprs)
        self.fwd = {a: sp.Dummy(f"g{i}") for i, a in
                    enumerate(sorted(atoms, key=sp.default_sort_key))}
        self.back = {v: k for k, v in self.fwd.items()}
        syms = set()
        for e in exprs:
            syms |= sp.sympify(e).xreplace(self.fwd).free_symbols
        self.ring = Ring(sorted(syms, key=sp.default_sort_key))
        self.index = {g: i for i, g in enumerate(self.ring.gens)}
        self.zero = (self.ring.ctx.from_dict({}), self.ring.one())

    def of(self, expr):
        from ..arith.flintalg import fraction_tree
        expr = sp.sympify(expr)
        if expr == 0:
            return self.zero
        return fraction_tree(self.ring, self.index, expr.xreplace(self.fwd))

    def transfer(self, form, num, den):
        """num/den of a :class:`RationalForm` (its own ring) as a fraction of this field,
        by renaming generators: no SymPy expression is built."""
        if num.is_zero():
            return self.zero
        place = [self.index[self.fwd.get(a, a)] for a in form.atoms]
        n = len(self.ring.gens)

        def move(poly):
            out = {}
            for mon, c in zip(poly.monoms(), poly.coeffs()):
                e = [0] * n
                for i, k in zip(place, mon):
                    e[i] += int(k)
                out[tuple(e)] = c
            return self.ring.ctx.from_dict(out)
        num, den = move(num), move(den)
        g = num.gcd(den)
        return num // g, den // g

    @staticmethod
    def is_zero(a):
        return a[0].is_zero()

    def add(self, a, b):
        if a[0].is_zero():
            return b
        if b[0].is_zero():
            return a
        g = a[1].gcd(b[1])
        return a[0] * (b[1] // g) + b[0] * (a[1] // g), a[1] * (b[1] // g)

    def mul(self, a, b):
        if a[0].is_zero() or b[0].is_zero():
            return self.zero
        g1, g2 = a[0].gcd(b[1]), b[0].gcd(a[1])
        return (a[0] // g1) * (b[0] // g2), (a[1] // g2) * (b[1] // g1)

    def neg(self, a):
        return -a[0], a[1]

    def dot(self, coeffs, vec):
        acc = self.zero
        for c, v in zip(coeffs, vec):
            if not (c[0].is_zero() or v[0].is_zero()):
                acc = self.add(acc, self.mul(c, v))
        return acc

    def to_sympy(self, a, factor=True):
        from ..arith.flintalg import ratio
        if a[0].is_zero():
            return sp.S.Zero
        return ratio(self.ring, a[0], a[1], factor).xreplace(self.back)


def _drazin_solve(F, R, coords, rhs):
    """x with L x = rhs and Tr x = 0, L the real-coordinate Liouvillian R (fractions).

    Block by block (connected components of R); in the population block one population
    equation (redundant by trace preservation) is replaced by Tr x = 0.  Requires
    Tr rhs = 0 (rhs in the range of L).  Returns x as fractions.
    """
    from ..arith.flintalg import common_denominator, solve_fraction_free
    N = len(coords)
    x = [F.zero] * N
    comps = sparsity_components(sp.Matrix(N, N, lambda i, j: 0 if F.is_zero(R[i][j]) else 1))
    pop_comps = [c for c in comps if any(coords[i][0] == "p" for i in c)]
    if len(pop_comps) != 1:
        raise CgsymError("internal error: the populations are not in one block of the "
                         "Liouvillian although the steady state is unique")
    one = F.ring.one()
    # the right-hand side over one common denominator (the steady state's, in practice),
    # so that each row of the matrix is scaled only by its own small denominators
    nz = [i for i in range(N) if not F.is_zero(rhs[i])]
    rnums, rden = common_denominator(F.ring, [rhs[i] for i in nz])
    big = {i: r for i, r in zip(nz, rnums)}
    for comp in comps:
        if all(i not in big for i in comp):
            continue
        rows, b = [], []
        trace_row = next((i for i in comp if coords[i][0] == "p"), None)
        for i in comp:
            if i == trace_row:
                rows.append([one if coords[j][0] == "p" else F.zero[0] for j in comp])
                b.append(F.zero[0])
                continue
            scaled, q = common_denominator(F.ring, [R[i][j] for j in comp])
            rows.append(scaled)
            b.append(big[i] * q if i in big else F.zero[0])
        try:
            nums, det = solve_fraction_free(F.ring, rows, b)
        except CgsymError:
            raise CgsymError("internal error: a block of the Liouvillian is singular in the "
                             "noise solve") from None
        den = det * rden
        for j, v in zip(comp, nums):
            if not v.is_zero():
                g = v.gcd(den)
                x[j] = (v // g, den // g)
    return x


def counting_statistics(derivation, count: str = "quanta") -> CountingStatistics:
    """Closed-form mean current, zero-frequency noise, Fano factor and TUR ratio.

    Parameters
    ----------
    derivation : cgsym.Derivation
        Only its public results are read: ``.spectrum``, ``.rates``, ``.master_equation``
        (the Liouvillian), ``.steady_state`` (its exact ``form`` when it has one, else its
        ``coordinates``) and ``.heat_currents`` (for sigma, when printed or evaluated).
    count : {"quanta", "energy"}
        What a jump carries (see :mod:`cgsym.statistics.jumps`).

    Returns
    -------
    CountingStatistics
        Mean and noise as exact RationalForms; their SymPy expressions, built on first
        use, are in the canonical form of :func:`cgsym.arith.flintalg.ratio` (cancelled,
        factored by flint, atoms substituted back).
    """
    from ..operators import vec
    from ..steady_state import real_coordinates, real_liouvillian
    check_count(count)
    d = derivation
    ss = d.steady_state
    if not ss.unique:
        ss.require_unique()                       # the one clear error
    jd = jump_decomposition(d)
    me = d.master_equation
    model = d.model
    dim = me.dim
    coords = real_coordinates(dim)
    R0, coords2 = real_liouvillian(me.liouvillian(), dim)
    assert list(coords2) == list(coords)
    pop = [i for i, c in enumerate(coords) if c[0] == "p"]
    # rho_ss in real coordinates: straight from its exact form (flint polynomials over one
    # denominator) when it has one -- building its SymPy expressions and splitting them
    # into real and imaginary parts cost most of the time for large models
    form = ss.form
    if form is not None and set(form.labels) != set(coords):
        form = None
    v = [] if form is not None else list(ss.coordinates)

    # per reservoir: K1, K2 (counted) in real coordinates; the linear functionals
    # rho -> Tr[K_energy rho], Tr[K_limit rho], Tr[H_S D_p rho] on the real coordinates
    # (Tr[S vec(E)] = vec(1)^T S vec(E), Tr[H M] = vec(H^T)^T vec(M))
    per = {}
    H = sp.Matrix(me.hamiltonian)
    basis = sp.Matrix.hstack(*[sp.Matrix(vec(coordinate_matrix(c, dim))) for c in coords])
    tr_row = sp.Matrix(vec(sp.eye(dim))).T
    h_row = sp.Matrix(vec(H.T)).T

    def functional(row, S):
        return [sp.expand(e) for e in (row * sp.Matrix(S) * basis)]
    for p in jd.reservoirs:
        K1 = real_liouvillian(jd.superoperator(p, count=count, power=1), dim)[0]
        K2 = real_liouvillian(jd.superoperator(p, count=count, power=2), dim)[0]
        fe = functional(tr_row, jd.superoperator(p, count="energy"))
        fl = functional(tr_row, jd.superoperator(p, count="limit-energy"))
        fj = functional(h_row, me.dissipator(p))
        per[p] = (K1, K2, fe, fl, fj)
    temps = {r.name: r.temperature for r in model.reservoirs}
    exprs = list(R0) + list(v) + [1 / T for T in temps.values()]
    if form is not None:
        exprs += list(form.atoms)
    for K1, K2, fe, fl, fj in per.values():
        exprs += list(K1) + list(K2) + fe + fl + fj
    F = _Field(exprs)
    N = len(coords)
    R = [[F.of(R0[i, j]) for j in range(N)] for i in range(N)]
    if form is not None:
        at = {c: k for k, c in enumerate(form.labels)}
        V = [F.transfer(form, form.nums[at[c]], form.den) for c in coords]
    else:
        V = [F.of(x) for x in v]

    from ..arith.rational_form import RationalForm

    def form(a):
        return RationalForm(F.ring, (a[0],), a[1], F.back)
    means, noises, mism, lmism = [], [], [], []
    for p, (K1, K2, fe, fl, fj) in per.items():
        K1f = [[F.of(K1[i, j]) for j in range(N)] for i in range(N)]
        f1 = [_colsum(F, K1f, pop, j) for j in range(N)]
        f2 = [_colsum(F, [[F.of(K2[i, j]) for j in range(N)] for i in range(N)], pop, j)
              for j in range(N)]
        mean = F.dot(f1, V)
        K1rho = [F.dot(K1f[i], V) for i in range(N)]
        rhs = [F.neg(F.add(K1rho[i], F.neg(F.mul(mean, V[i])))) for i in range(N)]
        x = _drazin_solve(F, R, coords, rhs)
        two = (F.ring.one() * 2, F.ring.one())
        S = F.add(F.dot(f2, V), F.mul(two, F.dot(f1, x)))
        means.append((p, form(mean)))
        noises.append((p, form(S)))
        Jp = F.dot([F.of(c) for c in fj], V)
        for fun, acc in ((fe, mism), (fl, lmism)):
            acc.append((p, form(F.add(F.dot([F.of(c) for c in fun], V), F.neg(Jp)))))
    return CountingStatistics(model.name, d.regime, d.weak_internal, count, tuple(means),
                              tuple(noises), tuple(mism), tuple(lmism), jd, d)


def _colsum(F, M, rows, j):
    acc = F.zero
    for i in rows:
        acc = F.add(acc, M[i][j])
    return acc
