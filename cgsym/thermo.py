"""Steady-state heat currents and entropy production.

Sign convention (hbar = k_B = 1): J_p = Tr[H_S D_p[rho_ss]] is the energy per
unit time flowing *from reservoir p into the system*.  At steady state
sum_p J_p = 0.  The paper's single current (Eqs. 112 and 138),
J = Tr[H_S (D_h - D_c) rho], equals J_h - J_c = 2 J_h for two reservoirs
(see :func:`paper_current`).  The entropy production rate is
sigma = -sum_p J_p / T_p >= 0.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import sympy as sp
from sympy.printing.defaults import Printable

from .arith.algebra import real_part_of_real, tidy
from .errors import CgsymError
from .steady_state import SteadyState


@dataclass(frozen=True)
class HeatCurrents(Printable):
    """J_p for every reservoir (model order).

    With an exact steady-state form (``SteadyState.form``) each current is kept as a
    one-value :class:`cgsym.arith.rational_form.RationalForm` (``forms``) and its SymPy
    expression is built on first use: ``current(p)`` builds only J_p, ``currents``
    all of them.
    """

    steady_state: SteadyState
    # (reservoir, RationalForm) when exact forms exist, else (reservoir, J_p) in ``stored``
    forms: tuple = field(default=(), compare=False, repr=False)
    stored: tuple = field(default=(), repr=False)

    @property
    def reservoirs(self) -> tuple[str, ...]:
        return tuple(p for p, _ in (self.forms or self.stored))

    @cached_property
    def currents(self) -> tuple[tuple[str, sp.Expr], ...]:
        """((reservoir, J_p), ...) in model order, cancelled and factored."""
        if not self.forms:
            return tuple(self.stored)
        return tuple((p, f.expression(0)) for p, f in self.forms)

    def form(self, reservoir: str):
        """The exact form of J_p (a RationalForm), or None without one."""
        self.model.reservoir(reservoir)
        return dict(self.forms).get(reservoir)

    @property
    def model(self):
        return self.steady_state.model

    def current(self, reservoir: str) -> sp.Expr:
        self.model.reservoir(reservoir)
        if self.forms and "currents" not in self.__dict__:
            return dict(self.forms)[reservoir].expression(0)
        return dict(self.currents)[reservoir]

    def as_dict(self) -> dict:
        return dict(self.currents)

    def lambdify(self):
        """The currents as one NumPy callable: ``f(values) -> {reservoir: J_p}``.

        ``values`` maps each parameter's *name* (a plain string) to a number or a NumPy
        array (arrays broadcast, e.g. a sweep); every parameter is required.  The
        occupation n(w, T) is evaluated as 1/expm1(w/T).  See also :meth:`evaluate`.
        """
        from .numerics import lambdify_expr
        names = [p for p, _ in self.currents]
        f = lambdify_expr(sp.Matrix([J for _, J in self.currents]), self.model)

        def currents(values):
            out = f(values)
            return {p: (out[i, 0].real if out.ndim == 2 else out[i, 0, ...].real)
                    for i, p in enumerate(names)}
        return currents

    def evaluate(self, **values) -> dict:
        """``{reservoir: J_p}`` as floats at a point given by plain names,
        e.g. ``hc.evaluate(omega_S=1, Omega=0.05, ...)``.  From the exact forms where
        there are (:meth:`RationalForm.evaluate`: no SymPy expression built, whatever
        its size), else through :meth:`lambdify`."""
        if self.forms:
            from .numerics import _check_values, check_closed_form_domain
            check_closed_form_domain(self.steady_state.master_equation.spectrum, values)
            vals = _check_values(self.model, values)
            return {p: f.evaluate(vals)[0] for p, f in self.forms}
        return {p: float(v) for p, v in self.lambdify()(values).items()}

    def entropy_production(self) -> sp.Expr:
        """sigma = -sum_p J_p / T_p (nonnegative by the second law)."""
        return tidy(-sum((J / self.model.reservoir(p).temperature for p, J in self.currents),
                         sp.S.Zero))

    def __str__(self):
        from .text import heat_currents_text
        return heat_currents_text(self)

    def _sympystr(self, printer):
        return str(self)

    def _latex(self, printer):
        from .latex import heat_currents_latex
        return heat_currents_latex(self, printer)


def heat_currents(ss: SteadyState) -> HeatCurrents:
    """J_p = Tr[H_S D_p[rho_ss]] for every reservoir, cancelled and factored.

    The energy per unit time from reservoir p into the system (hbar = 1); the first
    law sum_p J_p = 0 holds exactly.  ``current(p)`` looks one up.

    Examples
    --------
    >>> import cgsym, sympy as sp
    >>> d = cgsym.derive("two-qubits-two-baths", "secular", weak_internal=True)
    >>> hc = cgsym.heat_currents(d.steady_state)
    >>> [p for p, _ in hc.currents], sp.expand(hc.current("h") + hc.current("c"))
    (['h', 'c'], 0)
    """
    if not ss.unique:
        ss.require_unique()   # raises: one clear line
    me = ss.master_equation
    H = sp.Matrix(me.hamiltonian)
    out = []
    from .structured import is_structured
    if is_structured(ss.form):      # the steady state in named rates: J_p in the same
        from .structured import structured_heat_currents
        return structured_heat_currents(ss)
    if ss.form is not None:
        # J_p is linear in rho: J_p = sum_k c_k v_k with c_k = Tr[H D_p[E_k]] for the
        # real basis element E_k; summed over the common denominator in flint
        # c_k = Tr[H D_p[E_k]] = Tr[D_p^dagger[H] E_k]: the adjoint dissipator acts on H
        # once per reservoir instead of D_p on each of the d^2 basis elements
        forms = []
        for r in me.model.reservoirs:
            A = _adjoint_dissipate(me, H, r.name)
            coeffs = [_trace_with_basis_element(A, c) for c in ss.form.labels]
            try:
                form = ss.form.linear_combination(coeffs, r.name)
            except (CgsymError, sp.PolynomialError):
                # a product of radicals left a power that is not one of the ring's atoms
                # (e.g. r**3 with r = sqrt(...)): D_p on each basis element, as printed
                coeffs = [(H * sp.Matrix(me.dissipate(ss.basis_element(c), r.name))).trace()
                          for c in ss.form.labels]
                form = ss.form.linear_combination(coeffs, r.name)
            forms.append((r.name, form))
        return HeatCurrents(ss, forms=tuple(forms))
    for r in me.model.reservoirs:
        D = sp.Matrix(me.dissipate(ss.matrix, r.name))
        J = (H * D).trace()
        out.append((r.name, tidy(J)))
    return HeatCurrents(ss, stored=tuple(out))


def _adjoint_dissipate(me, H, reservoir: str):
    """D_p^dagger[H] = sum_mn gamma_mn (X_n^dagger H X_m - {X_n^dagger X_m, H}/2), so that
    Tr[H D_p[rho]] = Tr[D_p^dagger[H] rho] for every rho (cyclicity of the trace)."""
    from .operators import adjoint
    real = me.model.adjoint_mode
    d = me.dim
    parts = [[[] for _ in range(d)] for _ in range(d)]
    for t in me.reservoir_terms(reservoir):
        Xm = sp.Matrix(t.X_m)
        XnH = sp.Matrix(adjoint(t.X_n, real))
        M = t.rate * (XnH * H * Xm - (H * XnH * Xm + XnH * Xm * H) / 2)
        for i in range(d):
            for j in range(d):
                if M[i, j] != 0:
                    parts[i][j].append(M[i, j])
    # each entry summed and expanded once (not rebuilt at every term, nor expanded again
    # for each basis element that reads it)
    return sp.Matrix(d, d, [sp.expand(sp.Add(*parts[i][j])) for i in range(d) for j in range(d)])


def _trace_with_basis_element(A, c):
    """Tr[A E_c] for the real-coordinate basis element E_c of rho (see
    :func:`cgsym.steady_state.real_coordinates`): E_p = |a><a|, E_x = |a><b| + |b><a|,
    E_y = i|a><b| - i|b><a|."""
    kind, a, b = c
    if kind == "p":
        v = A[a, a]
    elif kind == "x":
        v = A[b, a] + A[a, b]
    else:
        v = sp.I * A[b, a] - sp.I * A[a, b]
    return real_part_of_real(sp.expand(v), "a heat-current coefficient Tr[D^dagger[H] E]")


def paper_current(hc: HeatCurrents, hot: str, cold: str) -> sp.Expr:
    """The paper's J = Tr[H_S (D_hot - D_cold) rho] = J_hot - J_cold (Eqs. 112, 138).

    Examples
    --------
    >>> import cgsym
    >>> d = cgsym.derive("tunnelling-qubit", "secular", weak_internal=True)
    >>> cgsym.paper_current(d.heat_currents, "l", "r")
    gamma*omega_S*(n(omega_S, T_l) - n(omega_S, T_r))/(2*n(omega_S, T_l) + 2*n(omega_S, T_r) + 2)
    """
    if hot == cold:
        raise CgsymError("the paper's current needs two different reservoirs")
    diff = hc.current(hot) - hc.current(cold)
    if diff.has(sp.I):
        return tidy(diff)
    from .arith.flintalg import tidy_flint   # same canonical form, ~10x faster than SymPy's cancel
    return tidy_flint(diff)
