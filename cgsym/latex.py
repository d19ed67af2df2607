"""LaTeX and plain-text rendering of every result, in the paper's notation.

* n(w, T_p) prints as n_p(w) when several reservoirs exist (the paper's n_h, n_c,
  n_l, n_r), and as n(w) with a single reservoir;
* X_{p,m} are the eigenoperators, L_{ab} = |a><b|, D_p the dissipators;
* parameter names drive symbols: ``omega_S`` -> \\omega_{S}, ``gamma_h`` -> \\gamma_{h}.

Every result class defines ``_latex`` through these functions, so results render
in Jupyter (``_repr_latex_``) and through ``sympy.latex``.
"""
from __future__ import annotations

import sympy as sp
from sympy.printing.latex import LatexPrinter

from .symbols import n


class PaperPrinter(LatexPrinter):
    """SymPy's LaTeX printer with the occupation written n_p(w)."""

    def __init__(self, model=None, settings=None):
        super().__init__(settings or {})
        self._temps = {}
        if model is not None and len(model.reservoirs) > 1:
            for r in model.reservoirs:
                self._temps.setdefault(r.temperature, r.name)

    def _print_Symbol(self, expr, style="plain"):
        # a model symbol whose name ends in "_" (D_) would print as D_{}: a tilde instead
        if expr.name.endswith("_") and expr.name.rstrip("_") \
                and expr not in self._settings.get("symbol_names", {}):
            from .forms.abbreviations import renamed_latex
            return renamed_latex(expr.name, expr.name)
        return super()._print_Symbol(expr, style)

    def _print_n(self, expr, exp=None):
        w, T = expr.args
        sub = self._temps.get(T)
        head = f"n_{{{sub}}}" if sub is not None else "n"
        if exp is not None:
            head = f"{head}^{{{exp}}}"
        return f"{head}{{\\left({self._print(w)} \\right)}}"


def paper_latex(expr, model=None) -> str:
    """LaTeX of an expression in the paper's notation for ``model``."""
    return PaperPrinter(model).doprint(expr)


def _matrix(printer, M):
    return printer._print(sp.Matrix(M))


def _pp(printer, model):
    """Use the paper printer for ``model`` unless one is already active."""
    return printer if isinstance(printer, PaperPrinter) else PaperPrinter(model)


# ---------------------------------------------------------------------------
def model_latex(model, printer) -> str:
    p = _pp(printer, model)
    out = [r"H_S = " + p._print(sp.Matrix(model.hamiltonian))]
    for r in model.reservoirs:
        out.append(rf"X_{{{r.name}}} = " + p._print(sp.Matrix(r.coupling)))
    return r"\begin{gathered}" + r" \\ ".join(out) + r"\end{gathered}"


def spectrum_latex(spec, printer) -> str:
    p = _pp(printer, spec.model)
    rows = []
    for s in spec.states:
        rows.append(rf"E_{{\mathrm{{{s.label}}}}} = {p._print(s.energy)}")
    for m, w in spec.frequencies:
        rows.append(rf"\omega_{{{m}}} = {p._print(w)}")
    for e in spec.eigenoperators:
        rows.append(rf"X_{{{e.reservoir},{e.index}}} = {p._print(sp.Matrix(e.matrix))}")
    return r"\begin{gathered}" + r" \\ ".join(rows) + r"\end{gathered}"


def rates_latex(r, printer) -> str:
    p = _pp(printer, r.model)
    rows = []
    for g in r.gammas:
        idx = ",".join(str(m) for m in g.indices)
        rows.append(rf"\gamma^{{({g.reservoir})}}_{{m,n \in \{{{idx}\}}}} = {p._print(sp.Matrix(g.matrix))}"
                    rf"\quad \text{{({g.positivity.status})}}")
    return r"\begin{gathered}" + r" \\ ".join(rows) + r"\end{gathered}"


def master_equation_latex(me, printer) -> str:
    return " + ".join(master_equation_parts(me, printer))


def master_equation_parts(me, printer) -> list[str]:
    """The master equation's top-level summands as LaTeX strings (each one balanced).

    ``derivation_latex`` breaks lines only between these, never inside a group.
    """
    p = _pp(printer, me.model)
    parts = [r"\frac{d\rho}{dt} = -i\left[H_S, \rho\right]"]
    for t in me.terms:
        xm = rf"X_{{{t.reservoir},{t.m}}}"
        xn = rf"X_{{{t.reservoir},{t.n}}}"
        parts.append(rf"\left({p._print(t.rate)}\right)\left({xm}\rho {xn}^\dagger - \tfrac12"
                     rf"\{{{xn}^\dagger {xm}, \rho\}}\right)")
    return parts


def steady_state_latex(ss, printer) -> str:
    p = _pp(printer, ss.model)
    if ss.unique:
        return r"\rho_{ss} = " + p._print(sp.Matrix(ss.matrix))
    return (rf"\text{{stationary manifold of dimension {ss.kernel_dimension}: }}"
            + ", ".join(p._print(sp.Matrix(m)) for m in ss.manifold))


def heat_currents_latex(hc, printer) -> str:
    p = _pp(printer, hc.model)
    return r"\begin{gathered}" + r" \\ ".join(
        rf"J_{{{name}}} = {p._print(J)}" for name, J in hc.currents) + r"\end{gathered}"


# ---------------------------------------------------------------------------
# plain text
# ---------------------------------------------------------------------------
def _s(e) -> str:
    return sp.sstr(e)


def spectrum_text(spec) -> str:
    model = spec.model
    lines = ["Eigenstates of H_S (product basis " + ", ".join(model.basis) + "):"]
    for s in spec.states:
        comps = ", ".join(_s(x) for x in s.vector)
        lines.append(f"  {s.label}: E = {_s(s.energy)}; vector ({comps})")
    lines.append("Bohr frequencies:")
    for m, w in spec.frequencies:
        c = spec.cluster_of(m)
        lines.append(f"  omega_{m} = {_s(w)}   (slow cluster {c.index}, slow limit {_s(c.limit)})")
    idx, mat, kinds = spec.difference_matrix()
    lines.append(f"Frequency differences omega_mn = omega_m - omega_n (Eq. 129), m, n = {list(idx)}:")
    for i in range(mat.rows):
        lines.append("  [" + ", ".join(f"{_s(mat[i, j])} ({kinds[i][j]})" for j in range(mat.cols))
                     + "]")
    lines.append("Eigenoperators X_{p,m} (product basis; [H_S, X_m] = omega_m X_m):")
    for e in spec.eigenoperators:
        lines.append(f"  X_{e.reservoir},{e.index} = {_s(e.matrix.tolist())}")
    for a in spec.assumptions:
        lines.append(f"  note: {a}")
    return "\n".join(lines)


#: the parts of a derivation ``derive --only`` can print, in document order
SECTIONS = ("spectrum", "gamma", "master-equation", "lindblad", "jumps", "steady-state",
            "heat-currents")


def parse_only(text) -> tuple[str, ...]:
    """``--only a,b`` -> the sections in document order (one clear error otherwise)."""
    from .errors import CgsymError
    if text is None:
        return SECTIONS
    asked = [t.strip() for t in str(text).split(",") if t.strip()]
    bad = [t for t in asked if t not in SECTIONS]
    if bad or not asked:
        raise CgsymError(f"--only: unknown part '{bad[0] if bad else text}' (choose from "
                         f"{', '.join(SECTIONS)}; comma-separated)")
    return tuple(s for s in SECTIONS if s in asked)
