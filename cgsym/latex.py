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


def derivation_text(d, only=SECTIONS) -> str:
    """The full human-readable report of ``cgsym derive --format text`` (``only``: the
    sections to print, see :data:`SECTIONS`); compact forms follow the canonical ones."""
    model = d.model
    out = [f"cgsym derivation: model {model.name}, regime {d.regime}"
           + (", weak internal coupling" if d.weak_internal else ""),
           "Conventions: hbar = k_B = 1; n(w, T) = 1/(exp(w/T) - 1); J_p = Tr[H_S D_p[rho]] is the "
           "energy current from reservoir p into the system."]
    if "spectrum" in only:
        out += ["", spectrum_text(d.spectrum)]
    if "gamma" in only:
        out += ["", "gamma matrices (rows/columns m):"]
        for g in d.rates.gammas:
            out.append(f"  reservoir {g.reservoir}, m = {list(g.indices)}:")
            for i in range(g.matrix.rows):
                out.append("    [" + ", ".join(_s(x) for x in g.matrix.row(i)) + "]")
            flag = "" if g.positivity.status == "positive" else "  <-- WARNING"
            out.append(f"    positivity: {g.positivity.status} ({g.positivity.reason}){flag}")
    if "master-equation" in only:
        out.append("")
        out.append("Master equation: d rho/dt = -i[H_S, rho] + sum_p sum_mn gamma^p_mn "
                   "(X_m rho X_n^+ - 1/2 {X_n^+ X_m, rho})")
        out.append(f"  {len(d.master_equation.terms)} dissipator terms")
    if "lindblad" in only:
        channels, problem = d.lindblad_form()
        out.append("Diagonal Lindblad form: D_p[rho] = sum_k rate_k (L_k rho L_k^+ - 1/2 {L_k^+ L_k, "
                   "rho}), L_k = sum_m c_m X_{p,m} (eigen: rates are eigenvalues of gamma; ldl: "
                   "pivots of gamma = L diag(d) L^+):")
        for c in channels:
            comb = " + ".join(f"({_s(k)})*X_{c.reservoir},{m}" for m, k in c.combination)
            out.append(f"  {c.reservoir} [{c.method}]: rate {_s(c.rate)}; L = {comb}")
        if problem:
            out.append(f"  not available: {problem}  <-- WARNING")
    if "jumps" in only:   # paper Sec. IV (cgsym.statistics)
        from .errors import CgsymError
        from .statistics.jumps import jump_decomposition
        try:
            out += ["", jump_decomposition(d).text()]
        except CgsymError as exc:   # a term with no direction: say so, keep the rest
            out += ["", f"Quantum jumps: not available: {exc}  <-- WARNING"]
    ss = d.steady_state
    if ss.unique:
        # large values are written straight from their flint polynomials (cgsym.arith.flintprint)
        from .arith.flintprint import heat_current_texts, steady_state_texts
        if "steady-state" in only:
            out += ["", "Steady state (product basis " + ", ".join(model.basis) + "):"]
            texts = steady_state_texts(ss)
            for i, a in enumerate(model.basis):
                for j, b in enumerate(model.basis):
                    if (i, j) in texts:
                        out.append(f"  rho[{a}; {b}] = {texts[i, j]}")
        if "heat-currents" in only:
            out += ["", "Heat currents (from each reservoir into the system):"]
            for name, J in heat_current_texts(d.heat_currents):
                out.append(f"  J_{name} = {J}")
        parts = tuple(s for s in ("heat-currents", "steady-state") if s in only)
        from .structured import definitions_text, is_structured
        if parts and is_structured(ss.form):      # results in named rates (cgsym.structured)
            out += [""] + definitions_text(ss.form)
            parts = ()
        if parts:
            from .forms.compact import exceeds_size_limit, size_limit_note
            from .forms.render import compact_text
            if exceeds_size_limit(d, "steady-state" in only):
                # not searched, and the canonical forms printed above are not repeated
                out += ["", f"Compact forms: not searched: {size_limit_note()}; the "
                            f"canonical forms above are the result."]
            else:
                c = d.compact(steady_state="steady-state" in only)
                out += ["", compact_text(c, parts)]
    elif "steady-state" in only or "heat-currents" in only:
        out.append(f"Steady state: NOT UNIQUE - the Liouvillian kernel has dimension "
                   f"{ss.kernel_dimension}; stationary manifold basis:")
        for k, m in enumerate(ss.manifold):
            out.append(f"  rho^({k}) = {_s(m.tolist())}")
    for note in d.notes:
        out.append(f"note: {note}")
    return "\n".join(out)


def derivation_latex(d, only=SECTIONS) -> str:
    """A standalone LaTeX document of a derivation that reads like the paper (see
    :mod:`cgsym.forms.document`)."""
    from .forms.document import derivation_document
    return derivation_document(d, only)
