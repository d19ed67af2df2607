r"""The LaTeX document of ``cgsym derive --format latex``, written the way the paper is.

H_S and the couplings in operator notation (sigma^z_{q1}, |l><r|_T); the eigenstates in
the product basis; the eigenoperators as ket-bras of the eigenstates (the form of
Eqs. 94-95, 126-128); the gamma matrices; each dissipator in its diagonal Lindblad
form with its jump operators; the steady state over one named denominator (and in the
eigenbasis); the heat currents in compact form.  Equations are numbered ``align``
rows; abbreviations are defined once ("where n_h \equiv n(omega_S, T_h)"); long
expressions are broken across lines and wide matrices written entry by entry
(:mod:`cgsym.forms.breaking`), so the document compiles without overfull boxes and
no source line is longer than TeX reads.
"""
from __future__ import annotations

import sympy as sp

from ..errors import CgsymError
from ..latex import SECTIONS, PaperPrinter
from ..model import _parse
from .breaking import WIDTH, align_rows, width, wrap_source
from .compact import exceeds_size_limit, size_limit_note

_PAULI = {"sx": "x", "sy": "y", "sz": "z", "sp": "+", "sm": "-"}



#: abbreviations defined once in the Notation subsection (occupations, rates, radicals)
NOTATION_KINDS = ("occupation", "rate", "rate value", "radical")

def _esc(s: str) -> str:
    return s.replace("_", r"\_")


def operator_expression(text: str, model):
    """(expr, symbol_names): an operator text of the model file as a SymPy expression in
    non-commutative symbols sigma^a_q, |a><b|_q, 1_q (for printing only)."""
    names = {}
    local = {p.name: p.symbol for p in model.parameters}
    subs = {s.name for s in model.subsystems}

    def sym(ascii_name, tex):
        s = sp.Symbol(ascii_name, commutative=False)
        names[s] = tex
        return s

    for f, a in _PAULI.items():
        local[f] = (lambda a, f: lambda q: sym(f"{f}_{q}", rf"\sigma^{{{a}}}_{{{q}}}"))(a, f)
    local["ketbra"] = lambda q, i, j: sym(f"kb_{q}_{i}_{j}",
                                          rf"|{i}\rangle\langle {j}|_{{{q}}}")
    local["proj"] = lambda q, i: sym(f"kb_{q}_{i}_{i}", rf"|{i}\rangle\langle {i}|_{{{q}}}")
    local["id"] = lambda q: sym(f"id_{q}", rf"\mathbb{{1}}_{{{q}}}")
    for s in subs:
        local[s] = s
    return _parse(text, local, "operator"), names


def _joined(label: str) -> str:
    """A product-state label as a physicist writes it: e,g -> eg when every factor's
    label is one character (e1,g stays e1,g: joining would be ambiguous)."""
    parts = label.split(",")
    return "".join(parts) if all(len(s) == 1 for s in parts) else label


def _ket(label: str) -> str:
    if label.startswith("psi") and label[3:].isdigit():
        return rf"|\psi_{{{label[3:]}}}\rangle"
    return rf"|{_joined(label)}\rangle"


def _entry(a: str, b: str) -> str:
    """Subscript of the matrix entry between product states a and b: rho_{eg,ge}; with
    labels that cannot be joined, a;b (rho_{e1,g;g,g})."""
    ja, jb = _joined(a), _joined(b)
    return f"{ja},{jb}" if "," not in ja + jb else f"{ja};{jb}"


def _label(label: str) -> str:
    """The inside of a ket: psi2 -> \\psi_{2}, e,g -> e,g."""
    return _ket(label)[1:-len(r"\rangle")]


def _bra(label: str) -> str:
    return _ket(label).replace("|", r"\langle ", 1).replace(r"\rangle", "|")


class _Doc:
    def __init__(self):
        self.out = []

    def text(self, s):
        self.out.append(s)

    def align(self, rows):
        if rows:
            self.out.append(r"\begin{align}" + "\n" + " \\\\\n".join(rows) + "\n" + r"\end{align}")

    def where(self, abbreviations, printer, label="where"):
        """'where n_h \\equiv n(omega_S, T_h), ...': each abbreviation defined once, in an
        unnumbered align (long definitions broken across lines)."""
        if not abbreviations:
            return
        if label:
            self.text(label)
        rows = []
        for a in abbreviations:
            if a.kind == "occupation":
                w, T = a.definition.args
                rows.append(rf"{a.latex} &\equiv n\left({printer._print(w)}, "
                            rf"{printer._print(T)}\right) \notag")
            else:
                rows += align_rows(a.latex, a.definition, printer, tag=False, rel=r"\equiv")
        self.align(rows)


def _matrix_rows(lhs, M, printer, labels=None, sym=None):
    """One row for the whole matrix if it fits, else one row per nonzero entry."""
    tex = printer._print(sp.Matrix(M))
    if width(tex) <= WIDTH and len(tex) < 3000:
        return [f"{lhs} &= {tex}"]
    rows = []
    for i in range(M.rows):
        for j in range(M.cols):
            if M[i, j] == 0 or (sym and j < i):
                continue
            a = labels[i] if labels else str(i + 1)
            b = labels[j] if labels else str(j + 1)
            rows += align_rows(f"{lhs}_{{{a}{b}}}" if not labels else f"{lhs}_{{{_entry(a, b)}}}",
                               M[i, j], printer)
    return rows


def derivation_document(d, only=SECTIONS, compact_form: str = "auto") -> str:
    """The whole LaTeX document (see module docstring)."""
    model = d.model
    ss = d.steady_state
    want_ss = ss.unique and ("steady-state" in only or "heat-currents" in only)
    # results too large to typeset usefully (hundreds of thousands of operations): say
    # so instead of writing hundreds of pages (decided without building them)
    # (the strict limit, without the radical extension of the compact search: typesetting
    # those explicit forms took minutes)
    too_large = want_ss and exceeds_size_limit(d, "steady-state" in only, radicals=False)
    comp = d.compact(steady_state="steady-state" in only, form=compact_form) \
        if want_ss and not too_large else None
    if too_large and compact_form != "explicit":
        # the explicit search is not run: the system form (cgsym.forms.system) if any
        from .system import memo_system_form
        comp = memo_system_form(d, "steady-state" in only)[0]
        too_large = comp is None
    if too_large or (comp is not None and "expression nodes" in comp.note):
        want_ss = False
    occ = _occupations(d, comp)
    names = dict(comp.symbol_names()) if comp else {}
    names.update({a.symbol: a.latex for a in occ})
    p = PaperPrinter(model, {"symbol_names": names})
    # the canonical atoms n(w, T) (an occupation of the compact forms is written through
    # the radicals' names, R)
    to_n = _renamer({comp.canonical_definition(a) if comp else a.definition: a.symbol
                     for a in occ},
                    [a for a in (comp.abbreviations if comp else ()) if a.kind == "rate value"])
    doc = _Doc()
    title = f"{model.name}: {d.regime} regime" + (", weak internal coupling"
                                                    if d.weak_internal else "")
    doc.text(r"\section*{" + _esc(title) + "}")
    doc.text(r"Derived by cgsym from $H_S$, the couplings and the reservoirs "
             r"($\hbar = k_B = 1$, $n(\omega, T) = 1/(e^{\omega/T} - 1)$; "
             r"$J_p = \mathrm{Tr}[H_S \mathcal{D}_p[\rho]]$ is the heat current from "
             r"reservoir $p$ into the system).")
    if "spectrum" in only:
        _model_section(doc, d, names)
    # every abbreviation of the document defined once, before its first use
    notation = [a for a in (comp.abbreviations if comp else ()) if a.kind == "radical"] \
        + list(occ) + [a for a in (comp.abbreviations if comp else ())
                       if a.kind in ("rate", "rate value")]
    if notation:
        doc.text(r"\subsection*{Notation}")
        doc.text("Occupations and rates used below:")
        doc.where(notation, p, label="")
    if "spectrum" in only:
        _spectrum_section(doc, d, p, _radical_namer(comp))
    if "gamma" in only:
        doc.text(r"\subsection*{$\gamma$ matrices}")
        rows = []
        for g in d.rates.gammas:
            idx = ",".join(str(m) for m in g.indices)
            rows += _matrix_rows(rf"\gamma^{{({g.reservoir})}}", g.matrix.applyfunc(to_n), p,
                                 [str(m) for m in g.indices], sym=True)
            doc.text(rf"Reservoir ${g.reservoir}$, $m, n \in \{{{idx}\}}$: "
                     rf"positivity {_esc(g.positivity.status)}.")
            doc.align(rows)
            rows = []
    if "master-equation" in only or "lindblad" in only:
        _master_equation_section(doc, d, p, "lindblad" in only, to_n)
    if "jumps" in only:
        _jumps_section(doc, d, p, to_n)
    if want_ss:
        _steady_state_section(doc, d, comp, p, only)
    elif too_large or (comp is not None and "expression nodes" in comp.note):
        note = comp.note if comp is not None else \
            size_limit_note() + "; the canonical forms are shown"
        doc.text(r"\subsection*{Steady state and heat currents}")
        # sloppypar: the note names an API call (no break points in it)
        doc.text(r"\begin{sloppypar}Not typeset: " + _esc(note) + r". The closed forms are "
                 r"in \texttt{cgsym derive --format json}.\end{sloppypar}")
    elif not ss.unique:
        doc.text(rf"The steady state is not unique: the Liouvillian kernel has dimension "
                 rf"{ss.kernel_dimension}.")
    body = "\n\n".join(doc.out)
    pre = [r"\documentclass[10pt]{article}", r"\usepackage{amsmath,amssymb}",
           r"\usepackage[margin=2cm]{geometry}", r"\allowdisplaybreaks",
           r"\setlength{\parindent}{0pt}", r"\begin{document}"]
    return wrap_source("\n".join(pre) + "\n" + body + "\n" + r"\end{document}" + "\n")


def _occupations(d, comp):
    """The occupation abbreviations of the document: those of the compact forms, and
    every occupation of the gamma matrices (same naming rule, see abbreviations.py)."""
    from .abbreviations import occupation_abbreviations
    from .compact import _naming_universe
    have = [a for a in (comp.abbreviations if comp else ()) if a.kind == "occupation"]
    known = {comp.canonical_definition(a) for a in have}
    new = [a for a in occupation_abbreviations(d.model, _naming_universe(d))
           if a.definition not in known]
    return tuple(have) + tuple(new)


def _model_section(doc, d, names):
    model = d.model
    doc.text(r"\subsection*{Model}")
    rows = []
    for lhs, text, matrix in [("H_S", model.hamiltonian_text, model.hamiltonian)] + [
            (f"X_{{{r.name}}}", r.coupling_text, r.coupling) for r in model.reservoirs]:
        try:
            op, on = operator_expression(text, model)
        except (CgsymError, TypeError, ValueError):
            # operator notation unavailable (a model built in Python): the matrix
            rows += _matrix_rows(lhs, matrix, PaperPrinter(model, {"symbol_names": names}))
            continue
        rows += align_rows(lhs, op, PaperPrinter(model, {"symbol_names": {**names, **on}}))
    doc.align(rows)
    items = []
    pp = PaperPrinter(model)
    for r in model.reservoirs:
        items.append(rf"reservoir ${r.name}$ at temperature ${pp.doprint(r.temperature)}$ "
                     rf"with rate function $\gamma_{{{r.name}}}(\omega) = {pp.doprint(r.rate)}$")
    doc.text("Coupling $H_I = \\sum_p X_p \\otimes B_p$; " + "; ".join(items) + ". "
             "Product basis: " + ", ".join(f"${_ket(b)}$" for b in model.basis) + ".")


def _renamer(occupations: dict, rate_values):
    """expr -> expr with the canonical occupations n(w, T) written as their symbols and,
    where a rate value of the Notation (gamma_0 = gamma omega_S e^(-omega_S/omega_c) /
    omega_c) is a factor, by its name; each rewrite is kept only when substituting the
    definition back gives the same expression exactly (expanded difference 0)."""
    back = {a.symbol: a.definition for a in rate_values}

    def norm(x):
        # one exponential per product, its argument expanded (exp(-W/wc) exp(-w/wc) and
        # exp(-(W + w)/wc) both become exp(-W/wc - w/wc))
        x = sp.powsimp(x, combine="exp")
        return x.replace(lambda y: isinstance(y, sp.exp),
                         lambda y: sp.exp(sp.expand(y.args[0])))
    defs = [(a.symbol, norm(a.definition)) for a in rate_values]

    def rename(e):
        e = sp.sympify(e).xreplace(occupations)
        if not back or e.is_Number:
            return e
        out = e
        for sym, dfn in defs:
            if not e.has(sp.exp):
                break
            cand = norm(out)
            new = cand.subs(dfn, sym)
            if new == cand:
                continue
            if new != out and sp.expand(sp.powsimp(
                    sp.expand(new.xreplace(back) - out))) == 0:
                out = new
        return out
    return rename


def _radical_namer(comp):
    """expr -> expr with each radical of the Notation (R = sqrt(delta^2 + 4 g^2)) written
    by its name, any power b^(k/2) of its radicand included (b^(1/4) = sqrt(R) when
    b > 0; a renaming: the value is the same)."""
    rads = {}
    for a in (comp.abbreviations if comp else ()):
        if a.kind == "radical":
            base, e = comp.canonical_definition(a).as_base_exp()
            rads[base] = (a.symbol, e)
    if not rads:
        return lambda x: x

    def walk(x):
        if x.is_Pow and x.exp.is_Rational and not x.exp.is_Integer and x.base in rads:
            sym, e = rads[x.base]
            k = x.exp / e
            # (b^e)^k = b^(e k) for every k when b > 0 (principal roots), else for
            # integer k only
            if k.is_Integer or x.base.is_positive:
                return sym ** k
        if not x.args:
            return x
        return x.func(*[walk(a) for a in x.args])
    return lambda x: walk(sp.sympify(x))


def _spectrum_section(doc, d, p, named=lambda x: x):
    """Eigenstates, energies, Bohr frequencies and eigenoperators (``named``: the
    spectrum's radicals written by their Notation names)."""
    spec = d.spectrum
    model = d.model
    doc.text(r"\subsection*{Eigenstates and eigenoperators}")
    rows = []
    for s in spec.states:
        vec = sum((named(c) * sp.Symbol(f"ket_{k}", commutative=False)
                   for k, c in enumerate(s.vector) if c != 0), sp.S.Zero)
        kn = {sp.Symbol(f"ket_{k}", commutative=False): _ket(b)
              for k, b in enumerate(model.basis)}
        pk = PaperPrinter(model, {"symbol_names": kn})
        if s.label not in model.basis:      # a product state needs no expansion
            rows += align_rows(_ket(s.label), vec, pk)
        rows += align_rows(rf"E_{{{_label(s.label)}}}", named(s.energy), p)
    doc.align(rows)
    rows = [f"\\omega_{{{m}}} &= {p._print(named(w))}" for m, w in spec.frequencies]
    doc.text(r"Bohr frequencies $\omega_m$, with $[H_S, X_{p,m}] = \omega_m X_{p,m}$ and "
             r"$\bar X_p(t) = \sum_m X_{p,m} e^{i\omega_m t}$:")
    doc.align(rows)
    rows = []
    labels = [s.label for s in spec.states]
    for e in spec.eigenoperators:
        kb = {}
        expr = sp.S.Zero
        for i in range(e.eigen_matrix.rows):
            for j in range(e.eigen_matrix.cols):
                c = e.eigen_matrix[i, j]
                if c != 0:
                    s = sp.Symbol(f"kb_{i}_{j}", commutative=False)
                    kb[s] = _ket(labels[i]) + _bra(labels[j])
                    expr += named(c) * s
        pk = PaperPrinter(model, {"symbol_names": kb})
        rows += align_rows(f"X_{{{e.reservoir},{e.index}}}", expr, pk)
    doc.text("Eigenoperators as ket-bras of the eigenstates:")
    doc.align(rows)


def _master_equation_section(doc, d, p, lindblad, to_n):
    doc.text(r"\subsection*{Master equation}")
    doc.align([r"\frac{d\rho}{dt} &= -i\left[H_S, \rho\right] + \sum_p \mathcal{D}_p[\rho], "
               r"\notag \\ \mathcal{D}_p[\rho] &= \sum_{m,n} \gamma^{(p)}_{mn}\Bigl(X_{p,m} "
               r"\rho X_{p,n}^\dagger - \tfrac12 \bigl\{X_{p,n}^\dagger X_{p,m}, "
               r"\rho\bigr\}\Bigr)"])
    if not lindblad:
        return
    channels, problem = d.lindblad_form()
    if problem:
        doc.text(r"No diagonal Lindblad form: " + _esc(problem) + ".")
        return
    doc.text(r"Diagonal Lindblad form, $\mathcal{D}_p[\rho] = \sum_k r_{p,k}\, "
             r"\mathcal{D}[L_{p,k}]\rho$ with $\mathcal{D}[L]\rho = L\rho L^\dagger - "
             r"\tfrac12\{L^\dagger L, \rho\}$:")
    rows = []
    count = {}
    for c in channels:
        k = count[c.reservoir] = count.get(c.reservoir, 0) + 1
        rows += align_rows(f"r_{{{c.reservoir},{k}}}", to_n(c.rate), p)
        xs = {sp.Symbol(f"X_{c.reservoir}_{m}".replace("-", "m"), commutative=False):
              f"X_{{{c.reservoir},{m}}}" for m, _ in c.combination}
        L = sum((to_n(coef) * sp.Symbol(f"X_{c.reservoir}_{m}".replace("-", "m"), commutative=False)
                 for m, coef in c.combination), sp.S.Zero)
        pk = PaperPrinter(d.model, {"symbol_names": {**p._settings.get("symbol_names", {}),
                                                     **xs}})
        rows += align_rows(f"L_{{{c.reservoir},{k}}}", L, pk)
    doc.align(rows)


def _jumps_section(doc, d, p, to_n):
    """Paper Sec. IV: each dissipator split into the jumps in which the reservoir gains or
    loses a quantum (cgsym.statistics.jumps; helper c)."""
    from ..errors import CgsymError
    from ..statistics.jumps import jump_decomposition
    doc.text(r"\subsection*{Quantum jumps}")
    try:
        jd = jump_decomposition(d)
    except CgsymError as exc:      # a term with no direction: say so, keep the rest
        doc.text("Not available: " + _esc(str(exc)) + ".")
        return
    doc.text(r"Each dissipator splits into jumps (Sec.~IV, Eqs.~(70)--(77)): "
             r"$\mathcal{D}_p\rho = \mathcal{J}_p^{+}\rho + \mathcal{J}_p^{-}\rho + "
             r"\mathcal{J}_p^{0}\rho - \tfrac12\{K_p, \rho\}$ with "
             r"$K_p = \sum_{m,n}\gamma^{(p)}_{mn} X_{p,n}^\dagger X_{p,m}$; in "
             r"$\mathcal{J}_p^{+}$ reservoir $p$ gains a quantum (the system emits), in "
             r"$\mathcal{J}_p^{-}$ it loses one, $\mathcal{J}_p^{0}$ exchanges none.")
    doc.align(jd.latex_rows(p, to_n))


def _system_section(doc, comp, p, only):
    """The system form: the equations the steady state solves (eigenbasis of H_S), the
    heat currents in its unknowns (each proved, cgsym.forms.system)."""
    from .breaking import align_rows
    from .system import equation_rows_latex, legend_latex
    doc.text(r"\subsection*{Steady state}")
    doc.text(legend_latex(comp) + " (the population equation it replaces is implied by "
             "the others; every row and current below is proved against the canonical "
             "closed forms, which are longer):")
    doc.align(equation_rows_latex(comp, p))
    doc.where([a for a in comp.used(list(comp.system.matrix)) if a.kind == "entry"], p)
    doc.text(r"Its unique solution is given by Cramer's rule, $x_k = D_k / D$, with $D$ "
             r"the determinant of the system ($D \neq 0$, proved) and $D_k$ the "
             r"determinant with column $k$ replaced by the right-hand side.")
    if "heat-currents" in only and comp.heat_currents:
        doc.text(r"\subsection*{Heat currents}")
        doc.text("In the unknowns of the system:")
        rows = []
        for name, J in comp.heat_currents:
            rows += align_rows(f"J_{{{name}}}", J, p)
        doc.align(rows)


def _steady_state_section(doc, d, comp, p, only):
    model = d.model
    if comp.system is not None:
        return _system_section(doc, comp, p, only)
    labels = list(model.basis)
    if "steady-state" in only and comp.steady_state is not None:
        doc.text(r"\subsection*{Steady state}")
        doc.text(r"In the product basis, $\rho = N/D$ with one denominator $D$:" if not comp.note
                 else r"In the product basis (canonical forms):")
        rows = []
        M = comp.steady_state
        for i in range(M.rows):
            for j in range(M.cols):
                if M[i, j] != 0 and j >= i:
                    rows += align_rows(rf"\rho_{{{_entry(labels[i], labels[j])}}}", M[i, j], p)
        doc.align(rows)
        named = [a for a in comp.used(list(M))
                 if a.kind not in NOTATION_KINDS]
        doc.where(named, p)
        doc.text(r"($\rho$ is Hermitian: the entries below the diagonal are the complex "
                 r"conjugates.)")
        _eigenbasis(doc, d, comp, p)
    else:
        named = []
    if "heat-currents" in only and comp.heat_currents:
        doc.text(r"\subsection*{Heat currents}")
        rows = []
        for name, J in comp.heat_currents:
            rows += align_rows(f"J_{{{name}}}", J, p)
        doc.align(rows)
        doc.where([a for a in comp.used([J for _, J in comp.heat_currents])
                   if a.kind not in NOTATION_KINDS and a not in named], p)
    from ..structured import is_structured
    form = d.steady_state.form
    if is_structured(form) and ("heat-currents" in only or "steady-state" in only):
        # results in named rates (cgsym.structured): every rate defined once
        from .abbreviations import Abbreviation
        states = ", ".join(rf"{i} = \texttt{{{_esc(s)}}}" for i, s in enumerate(form.states, 1))
        doc.where([Abbreviation(s, e, p._print(s), "rate")
                   for s, e in form.definitions.items()], p,
                  label=rf"where (eigenstates numbered {states}; $\Gamma_{{p\,b\,a}}$ is the "
                        r"rate of reservoir $p$ from eigenstate $b$ to $a$, $W$ their sum "
                        r"over reservoirs, $K$ an entry of the coherences, $V$ an effective "
                        r"rate with the coherences eliminated)")


def _eigenbasis(doc, d, comp, p):
    """rho in the eigenbasis of H_S, each nonzero entry in compact form (proved)."""
    from .compact import compact_expression
    R = d.steady_state.in_eigenbasis()
    labels = [s.label for s in d.spectrum.states]
    rows = []
    for i in range(R.rows):
        for j in range(i, R.cols):
            if R[i, j] == 0:
                continue
            form, _ = compact_expression(d.model, R[i, j], "the eigenbasis steady state",
                                         names_from=comp)
            rows += align_rows(rf"\langle {_label(labels[i])} | \rho | "
                               rf"{_label(labels[j])} \rangle", form, p)
    if rows:
        doc.text(r"In the eigenbasis of $H_S$:")
        doc.align(rows)
