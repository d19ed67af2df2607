"""Steady-state heat currents and entropy production.

Sign convention (hbar = k_B = 1): J_p = Tr[H_S D_p[rho_ss]] is the energy per
unit time flowing *from reservoir p into the system*.  At steady state
sum_p J_p = 0.  The paper's single current (Eqs. 112 and 138),
J = Tr[H_S (D_h - D_c) rho], equals J_h - J_c = 2 J_h for two reservoirs
(see :func:`paper_current`).  The entropy production rate is
sigma = -sum_p J_p / T_p >= 0.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from sympy.printing.defaults import Printable

from .algebra import tidy
from .errors import CgsymError
from .steady_state import SteadyState


@dataclass(frozen=True)
class HeatCurrents(Printable):
    steady_state: SteadyState
    currents: tuple[tuple[str, sp.Expr], ...]  # (reservoir, J_p), model order

    @property
    def model(self):
        return self.steady_state.model

    def current(self, reservoir: str) -> sp.Expr:
        self.model.reservoir(reservoir)
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
        e.g. ``hc.evaluate(omega_S=1, Omega=0.05, ...)``."""
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
    rho = ss.require_unique()
    me = ss.master_equation
    H = sp.Matrix(me.hamiltonian)
    out = []
    if ss.solution:
        # J_p is linear in rho: J_p = sum_k c_k v_k with c_k = Tr[H D_p[E_k]] for the
        # real basis element E_k; sum the numerators over the common denominator in flint
        from .algebra import polynomial_form
        from .flintalg import ratio
        from .steady_state import _basis_matrix
        ring, nums, den, back, comp, coords = ss.solution
        fwd = {v: k for k, v in back.items()}
        from .flintalg import common_denominator
        for r in me.model.reservoirs:
            pairs = []
            for x, ci in zip(nums, comp):
                c = (H * sp.Matrix(me.dissipate(_basis_matrix(coords[ci], me.dim), r.name))).trace()
                c = sp.sympify(c).xreplace(fwd)
                if c.free_symbols - set(ring.gens):
                    raise CgsymError("internal error: heat-current coefficient outside the ring")
                cn, cd = ring.from_rational(c)
                pairs.append((cn * x, cd))
            terms, q_all = common_denominator(ring, pairs)
            acc = ring.ctx.from_dict({})
            for t in terms:
                acc += t
            out.append((r.name, ratio(ring, acc, den * q_all).xreplace(back)))
        return HeatCurrents(ss, tuple(out))
    for r in me.model.reservoirs:
        D = sp.Matrix(me.dissipate(rho, r.name))
        J = (H * D).trace()
        out.append((r.name, tidy(J)))
    return HeatCurrents(ss, tuple(out))


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
    from .flintalg import tidy_flint   # same canonical form, ~10x faster than SymPy's cancel
    return tidy_flint(diff)
