"""Plain-text forms of the pipeline's results (``str()``, ``print``, ``sympy.sstr``).

Every result mixes in :class:`sympy.printing.defaults.Printable`, whose ``__str__`` asks
SymPy's string printer, which falls back to ``str()`` for an object it does not know:
without a text form of its own a result recursed forever.  Each result's ``__str__``
and ``_sympystr`` call the function here; expressions are written with
:func:`sympy.sstr`, so the text reads back with the model's names and ``n`` (see
``Model.sympify_locals``).
"""
from __future__ import annotations

import sympy as sp

__all__ = ["gamma_text", "rates_text", "master_equation_text", "steady_state_text",
           "heat_currents_text"]


def _s(e) -> str:
    return sp.sstr(e)


def gamma_text(g) -> str:
    """gamma^p_mn of one reservoir, one row per line, and its positivity."""
    lines = [f"gamma^{g.reservoir}_mn (rows and columns m = {list(g.indices)}):"]
    for i in range(g.matrix.rows):
        lines.append("  [" + ", ".join(_s(x) for x in g.matrix.row(i)) + "]")
    lines.append(f"  positivity: {g.positivity.status} ({g.positivity.reason})")
    return "\n".join(lines)


def rates_text(r) -> str:
    head = (f"gamma matrices, regime {r.regime}"
            + (", weak internal coupling" if r.weak_internal else "") + ":")
    out = [head] + ["  " + line for g in r.gammas for line in gamma_text(g).splitlines()]
    out += [f"note: {note}" for note in r.notes]
    return "\n".join(out)


def master_equation_text(me) -> str:
    lines = ["d rho/dt = -i[H_S, rho] + sum_p sum_mn gamma^p_mn "
             "(X_m rho X_n^+ - 1/2 {X_n^+ X_m, rho})   (Eq. 44/89)",
             f"  H_S = {me.model.hamiltonian_text}"]
    for t in me.terms:
        lines.append(f"  gamma^{t.reservoir}_{{{t.m},{t.n}}} = {_s(t.rate)}")
    lines += [f"note: {note}" for note in me.notes]
    return "\n".join(lines)


def steady_state_text(ss) -> str:
    model = ss.model
    if not ss.unique:
        lines = [f"steady state: NOT UNIQUE - the Liouvillian kernel has dimension "
                 f"{ss.kernel_dimension}; stationary manifold basis:"]
        lines += [f"  rho^({k}) = {_s(m.tolist())}" for k, m in enumerate(ss.manifold)]
        return "\n".join(lines)
    lines = ["steady state rho (product basis " + ", ".join(model.basis)
             + "; entries not listed are 0):"]
    for i, a in enumerate(model.basis):
        for j, b in enumerate(model.basis):
            v = ss.matrix[i, j]
            if v != 0:
                lines.append(f"  rho[{a}; {b}] = {_s(v)}")
    return "\n".join(lines)


def heat_currents_text(hc) -> str:
    lines = ["heat currents J_p = Tr[H_S D_p[rho]] (from reservoir p into the system):"]
    lines += [f"  J_{name} = {_s(J)}" for name, J in hc.currents]
    return "\n".join(lines)
