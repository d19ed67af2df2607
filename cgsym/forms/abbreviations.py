"""Paper-style abbreviations, named from the model (never from the paper's models).

* occupations: n(w, T_p) -> ``n_p`` when reservoir p's occupations are evaluated at one
  frequency; with several, the frequency's offset from its slow -> 0 limit names it:
  n(w0 + s, T_p) -> ``n_pp`` (LaTeX n_{p+}), n(w0 - s, T_p) -> ``n_pm`` (n_{p-}),
  n(w0, T_p) -> ``n_p`` (the paper's n_h, n_{h+}, n_{h-}); any other pattern (several
  slow parameters, several base frequencies) is numbered n_{p,1}, n_{p,2}, ... in the
  order of the frequencies' values under the declared hierarchy (slow << frequency);
* rate combinations: Gamma_p(w) = gamma_p(w) (2 n(w, T_p) + 1) -> ``Gamma_p`` with the
  same suffixes (the paper's gamma_h (2 n_h + 1));
* rate values: gamma_p(w) itself where the rate function has an exponential (an Ohmic
  gamma w/omega_c exp(-w/omega_c)) -> ``gamma_p`` / ``gamma_m`` / ``gamma_0`` (LaTeX
  gamma_{+}, gamma_{-}, gamma_{0}) when the reservoirs share it, else ``gamma_lp`` ...
  (the paper's gamma(omega_S + Omega));
* results named through another: ``Jsec_p`` (the secular current of the same model);
* radicals of the spectrum: each distinct radical with parameters in it (the
  sqrt(D^2 + |b|^2) of a 2x2 block of H_S) is named once, ``R`` (several: ``R_1``,
  ``R_2``, ... innermost first), and every other definition (the occupations
  n(omega_S + delta/2 - R/2, T_h)) is written through the name.

Every abbreviation is an :class:`Abbreviation`: an ASCII SymPy symbol (what JSON and
``sympify`` read), its definition, and its LaTeX.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..spectrum import reference_point
from ..symbols import OMEGA, n


@dataclass(frozen=True)
class Abbreviation:
    """``symbol`` stands for ``definition`` (which may use earlier abbreviations)."""

    symbol: sp.Symbol
    definition: sp.Expr
    latex: str
    kind: str          # "occupation" | "rate" | "rate value" | "result" | "denominator"
    #                    | "radical" | "entry" | "determinant" | "unknown"

    def __post_init__(self):
        # a name renamed away from a model symbol (n_h -> n_h_, :func:`_unique`) is typeset
        # with a tilde, never raw (K_1_ is a TeX error) nor as the symbol it avoids
        object.__setattr__(self, "latex", renamed_latex(self.symbol.name, self.latex))

    @property
    def name(self) -> str:
        return self.symbol.name


def renamed_latex(name: str, latex: str) -> str:
    """The LaTeX of ``name`` when it ends in k underscores (a name made unique by
    :func:`_unique`): its head letter under k tildes, ``\\tilde{n}_{h}`` for n_h_
    (``latex``, the LaTeX of the intended name, is used when it is not the raw name)."""
    k = len(name) - len(name.rstrip("_"))
    if k == 0 or not name.rstrip("_"):
        return latex
    base = name[:-k]
    if latex == name or latex.endswith("_") or "_{}" in latex:
        latex = sp.latex(sp.Symbol(base))
    head, sep, sub = latex.partition("_")
    for _ in range(k):
        head = rf"\tilde{{{head}}}"
    return head + sep + sub


def _taken(model) -> set[str]:
    from ..symbols import RESERVED_NAMES
    return {p.name for p in model.parameters} | set(RESERVED_NAMES)


def _unique(name: str, taken: set[str]) -> str:
    out = name
    k = 2
    while out in taken:
        out = f"{name}{'_' * (k - 1)}"
        k += 1
    taken.add(out)
    return out


def _reservoir_of_temperature(model):
    """temperature -> the first reservoir at that temperature (model order)."""
    out = {}
    for r in model.reservoirs:
        out.setdefault(r.temperature, r)
    return out


def _suffixes(model, freqs) -> dict:
    """frequency -> (ascii suffix, latex suffix) for one reservoir's occupations."""
    freqs = list(freqs)
    if len(freqs) == 1:
        return {freqs[0]: ("", "")}
    slow = model.slow
    zero = {s: 0 for s in slow}
    bases = {sp.expand(w.xreplace(zero)) for w in freqs}
    if len(slow) == 1 and len(bases) == 1:
        s = slow[0]
        signs = {}
        for w in freqs:
            off = sp.expand(w - w.xreplace(zero))
            c = sp.Poly(off, s).coeffs() if off != 0 else [0]
            if off != 0 and (not sp.Poly(off, s).is_linear or off.free_symbols != {s}):
                signs = None
                break
            sg = 0 if off == 0 else (1 if c[0] > 0 else -1)
            if sg in signs.values():
                signs = None
                break
            signs[w] = sg
        if signs is not None:
            return {w: {0: ("", ""), 1: ("p", "+"), -1: ("m", "-")}[sg] for w, sg in signs.items()}
    pt = reference_point(model)
    order = sorted(freqs, key=lambda w: (float(w.xreplace(pt)), sp.default_sort_key(w)))
    return {w: (str(k), f",{k}") for k, w in enumerate(order, 1)}


def occupation_abbreviations(model, exprs) -> tuple[Abbreviation, ...]:
    """One abbreviation per occupation n(w, T) occurring in ``exprs`` (model order)."""
    atoms = set()
    for e in exprs:
        atoms |= sp.sympify(e).atoms(n)
    by_T = _reservoir_of_temperature(model)
    taken = _taken(model)
    out = []
    for r in model.reservoirs:
        if by_T[r.temperature] is not r:
            continue
        mine = [a for a in atoms if a.args[1] == r.temperature]
        if not mine:
            continue
        sfx = _suffixes(model, {a.args[0] for a in mine})
        for a in sorted(mine, key=lambda a: sfx[a.args[0]]):
            asc, tex = sfx[a.args[0]]
            name = _unique(f"n_{r.name}{asc}", taken)
            out.append(Abbreviation(sp.Symbol(name, positive=True), a,
                                    f"n_{{{r.name}{tex}}}", "occupation"))
    # occupations at temperatures no reservoir declares verbatim (should not happen)
    rest = sorted(atoms - {a.definition for a in out}, key=sp.default_sort_key)
    for k, a in enumerate(rest, 1):
        name = _unique(f"n_x{k}", taken)
        out.append(Abbreviation(sp.Symbol(name, positive=True), a, f"n_{{x{k}}}", "occupation"))
    return tuple(out)


def rate_abbreviations(model, occupations) -> tuple[Abbreviation, ...]:
    """Gamma_p(w) = gamma_p(w) (2 n_p(w) + 1) for each occupation abbreviation.

    The rate function is the reservoir's own gamma_p(omega) at the occupation's
    frequency (paper Eq. 52: emission gamma (n + 1) plus absorption gamma n).
    """
    by_T = _reservoir_of_temperature(model)
    taken = _taken(model) | {a.name for a in occupations}
    out = []
    for a in occupations:
        w, T = a.definition.args
        r = by_T.get(T)
        if r is None:
            continue
        rate = r.rate.subs(OMEGA, w)
        if rate == 0:
            continue
        tail = a.name[2:]          # "h", "hp", "h1" ...
        name = _unique(f"Gamma_{tail}", taken)
        tex = a.latex.replace("n_", r"\Gamma_", 1)
        out.append(Abbreviation(sp.Symbol(name, positive=True),
                                rate * (2 * a.symbol + 1), tex, "rate"))
    return tuple(out)


def rate_value_abbreviations(model, occupations, taken) -> tuple[Abbreviation, ...]:
    """gamma_p(w) itself, named once per distinct value, for the frequencies w of the
    occupation abbreviations, where the rate function has an exponential (an Ohmic
    gamma w/omega_c exp(-w/omega_c)): the paper's gamma(omega_S + Omega).  A value that
    two or more reservoirs share (one spectral density) is named by the frequency only
    (``gamma_p``, LaTeX gamma_{+}; ``gamma_0`` at the base frequency; ``gamma_2`` /
    gamma_{2} when numbered), one reservoir's own by its occupation's suffix
    (``gamma_lp``, gamma_{l+}).  Kind "rate value"."""
    found = {}                  # value -> [(reservoir, occupation)]
    for r in model.reservoirs:
        for a in occupations:
            w, T = a.definition.args
            if T != r.temperature:
                continue
            v = r.rate.subs(OMEGA, w)
            if v.has(sp.exp):
                found.setdefault(v, []).append((r, a))
    taken = set(taken)
    out = []
    for v, uses in found.items():
        r, a = uses[0]
        asc = a.name[2 + len(r.name):].rstrip("_")
        tex = a.latex[len("n_{") + len(r.name):-1]
        if len({u[0].name for u in uses}) > 1:
            name, ltx = f"gamma_{asc or '0'}", rf"\gamma_{{{tex.lstrip(',') or '0'}}}"
        else:
            name, ltx = f"gamma_{r.name}{asc}", rf"\gamma_{{{r.name}{tex}}}"
        name = _unique(name, taken)
        out.append(Abbreviation(sp.Symbol(name, positive=True), v, ltx, "rate value"))
    return tuple(out)


def expand_abbreviations(expr, abbreviations):
    """Substitute every abbreviation back (latest first, so nested ones unwind)."""
    expr = sp.sympify(expr)
    for a in reversed(tuple(abbreviations)):
        if expr.has(a.symbol):
            expr = expr.xreplace({a.symbol: a.definition})
    return expr


#: names a radical may take, in order of preference (``S``, ``Q``, ``N``, ``E``, ``I``
#: are SymPy names that ``sympify`` reads as something else; D, J, W, K, V, X name the
#: denominator, currents, the structured forms' rates and the couplings)
_RADICAL_LETTERS = ("R", "Z", "Y")


def radical_names(count: int, taken: set[str]) -> list[tuple[str, str]]:
    """(ascii, latex) names for ``count`` radicals, never clashing with ``taken`` (the
    model's symbols and the names already chosen; extended): one radical is ``R``,
    several ``R_1``, ``R_2``, ... (LaTeX R_{1}); the next free letter when the model
    uses R."""
    for letter in _RADICAL_LETTERS:
        names = [letter] if count == 1 else [f"{letter}_{k}" for k in range(1, count + 1)]
        # a letter the model uses (a parameter R) is not reused with subscripts either
        if letter not in taken and not set(names) & taken:
            taken |= set(names)
            return [(a, a if count == 1 else f"{letter}_{{{a.split('_')[1]}}}")
                    for a in names]
    out = []
    for k in range(1, count + 1):
        a = _unique(f"R_r{k}", taken)
        out.append((a, a.replace("_", r"\_")))
    return out
