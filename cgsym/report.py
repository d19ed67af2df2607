"""What ``cgsym derive`` prints: the whole derivation as a text report or a LaTeX
document, section by section (``--only``, see :data:`cgsym.latex.SECTIONS`).

It sits above the pipeline and the capabilities built on it (compact forms, jumps,
named rates), which the result printers in :mod:`cgsym.latex` must not import.
"""
from __future__ import annotations

from sympy import sstr as _s

from .latex import SECTIONS, spectrum_text


#: canonical results with more flint terms than this (numerators and denominator) are
#: not printed as text unless asked (``--canonical``): the ohmic tunnelling qubit's PS
#: currents without the weak limit, 539k + 138k terms, are 150 MB of text each (the whole
#: report 306 MB, 76 s, 1.6 GB against 14 s without them); every other shipped result
#: has at most 70k terms
PRINT_TERMS = 200_000


def _terms(form) -> int:
    return sum(len(p) for p in form.nums) + len(form.den)


def _not_printed(what: str, form) -> str:
    return (f"(not printed: {what} has {sum(len(p) for p in form.nums):,} + "
            f"{len(form.den):,} terms over its common denominator; `--format json` carries "
            f"it, `--canonical` prints it)")


def derivation_text(d, only=SECTIONS, compact_form: str = "auto",
                    canonical: bool = False) -> str:
    """The full human-readable report of ``cgsym derive --format text`` (``only``: the
    sections to print, see :data:`SECTIONS`); compact forms follow the canonical ones
    (``compact_form``: see :meth:`cgsym.derivation.Derivation.compact`).  A canonical
    result above :data:`PRINT_TERMS` terms is named, not printed, unless ``canonical``."""
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
        from .arith.flintprint import current_text, heat_current_texts, steady_state_texts
        if "steady-state" in only:
            out += ["", "Steady state (product basis " + ", ".join(model.basis) + "):"]
            if not canonical and ss.form is not None and _terms(ss.form) > PRINT_TERMS:
                out.append("  " + _not_printed("rho", ss.form))
            else:
                texts = steady_state_texts(ss)
                for i, a in enumerate(model.basis):
                    for j, b in enumerate(model.basis):
                        if (i, j) in texts:
                            out.append(f"  rho[{a}; {b}] = {texts[i, j]}")
        if "heat-currents" in only:
            out += ["", "Heat currents (from each reservoir into the system):"]
            hc = d.heat_currents
            large = {p for p in hc.reservoirs
                     if not canonical and hc.form(p) is not None
                     and _terms(hc.form(p)) > PRINT_TERMS}
            if large:
                for p in hc.reservoirs:
                    out.append(f"  J_{p} = " + (_not_printed(f"J_{p}", hc.form(p))
                                                if p in large else current_text(hc, p)))
            else:
                for name, J in heat_current_texts(hc):
                    out.append(f"  J_{name} = {J}")
        parts = tuple(s for s in ("heat-currents", "steady-state") if s in only)
        from .structured import definitions_text, is_structured
        if parts and is_structured(ss.form):      # results in named rates (cgsym.structured)
            out += [""] + definitions_text(ss.form)
            parts = ()
        if parts:
            from .forms.compact import exceeds_size_limit, size_limit_note
            from .forms.render import compact_text
            from .forms.system import memo_system_form
            sysf = None
            if compact_form != "explicit" and exceeds_size_limit(d, "steady-state" in only):
                # the explicit search is not run: the system form where it applies
                sysf, _ = memo_system_form(d, "steady-state" in only)
            if sysf is not None:
                out += ["", compact_text(sysf, parts)]
            elif exceeds_size_limit(d, "steady-state" in only):
                # not searched, and the canonical forms printed above are not repeated
                out += ["", f"Compact forms: not searched: {size_limit_note()}; the "
                            f"canonical forms above are the result."]
            else:
                c = d.compact(steady_state="steady-state" in only, form=compact_form)
                out += ["", compact_text(c, parts)]
    elif "steady-state" in only or "heat-currents" in only:
        out.append(f"Steady state: NOT UNIQUE - the Liouvillian kernel has dimension "
                   f"{ss.kernel_dimension}; stationary manifold basis:")
        for k, m in enumerate(ss.manifold):
            out.append(f"  rho^({k}) = {_s(m.tolist())}")
    for note in d.notes:
        out.append(f"note: {note}")
    return "\n".join(out)


def derivation_latex(d, only=SECTIONS, compact_form: str = "auto") -> str:
    """A standalone LaTeX document of a derivation that reads like the paper (see
    :mod:`cgsym.forms.document`)."""
    from .forms.document import derivation_document
    return derivation_document(d, only, compact_form)
