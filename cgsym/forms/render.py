"""Text and LaTeX of :class:`~cgsym.forms.compact.CompactForms`: the forms first, then
"where" with every abbreviation they use, defined once (the paper's style)."""
from __future__ import annotations

import sympy as sp

from ..latex import PaperPrinter


def compact_printer(c) -> PaperPrinter:
    """The paper printer with the abbreviations' LaTeX names (n_{h+}, \\Gamma_{h}, D)."""
    return PaperPrinter(c.model, {"symbol_names": c.symbol_names()})


def _where_text(c, exprs) -> list[str]:
    used = c.used(exprs)
    if not used:
        return []
    return ["  where"] + [f"    {a.name} = {sp.sstr(a.definition)}" for a in used]


def compact_text(c, what=("heat-currents", "steady-state")) -> str:
    """Plain text: compact heat currents and steady state with their definitions."""
    if c.system is not None:
        from .system import system_text
        return system_text(c, what)
    out = ["Compact forms (each proved equal to the canonical form; abbreviations defined "
           "once; SymPy count_ops incl. the abbreviations used):"]
    if c.note:
        out.append(f"  note: {c.note}")
    if "heat-currents" in what and c.heat_currents:
        out.append("Heat currents:")
        for name, J in c.heat_currents:
            n_ops = c.count('J_' + name)
            out.append(f"  J_{name} = {sp.sstr(J)}" + (f"   [{n_ops} ops]" if n_ops else ""))
        out += _where_text(c, [J for _, J in c.heat_currents])
    if "steady-state" in what and c.steady_state is not None:
        basis = c.model.basis
        n_ops = c.count("rho")
        out.append(f"Steady state {'' if c.note else 'rho = N / D '}(product basis "
                   f"{', '.join(basis)})"
                   + (f" [{n_ops} ops]:" if n_ops else ":"))
        M = c.steady_state
        for i, a in enumerate(basis):
            for j, b in enumerate(basis):
                if M[i, j] != 0:
                    out.append(f"  rho[{a}; {b}] = {sp.sstr(M[i, j])}")
        out += _where_text(c, list(M))
    return "\n".join(out)


def where_latex(c, exprs, printer=None) -> list[str]:
    """['n_{h} \\equiv n(\\omega_S, T_h)', ...] for the abbreviations ``exprs`` use."""
    p = printer or compact_printer(c)
    items = []
    for a in c.used(exprs):
        d = a.definition
        if a.kind == "determinant":     # the system form's D, D_k (Cramer's rule)
            from .system import det_latex
            rhs = det_latex(d.arg, p)
        else:
            rhs = p._print(d) if a.kind != "occupation" else \
                rf"n\left({p._print(d.args[0])}, {p._print(d.args[1])}\right)"
        items.append(rf"{a.latex} \equiv {rhs}")
    return items


def compact_latex_body(c) -> str:
    """A gathered LaTeX block (for Jupyter): currents, rho = N/D, definitions."""
    p = compact_printer(c)
    if c.system is not None:
        from .system import system_latex_body
        return system_latex_body(c, p)
    rows = [rf"J_{{{name}}} = {p._print(J)}" for name, J in c.heat_currents]
    exprs = [J for _, J in c.heat_currents]
    if c.steady_state is not None and c.steady_state.rows <= 4:
        rows.append(r"\rho_{ss} = " + p._print(sp.Matrix(c.steady_state)))
        exprs += list(c.steady_state)
    rows += where_latex(c, exprs, p)
    return r"\begin{gathered}" + r" \\ ".join(rows) + r"\end{gathered}"
