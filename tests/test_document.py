"""The LaTeX document of ``derive --format latex`` (cgsym/forms/document.py): it reads
like the paper (operator notation, ket-bras, Lindblad form, numbered align, abbreviations
defined once) and compiles with pdflatex without an overfull box wider than 20 pt, with
no source line longer than TeX reads comfortably.  Two fast cases by default; every
shipped model, regime and limit under ``-m slow``.  Skipped without pdflatex.
"""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from cgsym.report import derivation_latex

from conftest import REGIMES, SHIPPED, case_marks, derivation

FAST = {("two-qubits-two-baths", "partial-secular", True),
        ("tunnelling-qubit", "secular", True)}
CASES = [pytest.param(m, r, w, marks=case_marks(m, r, w, lambdify=False) + (
    [] if (m, r, w) in FAST else [pytest.mark.slow]),
    id=f"{m}-{r}-{'weak' if w else 'full'}")
    for m in SHIPPED for r in REGIMES for w in (True, False)]

#: widest overfull box the issue allows (pt)
MAX_OVERFULL = 20.0


def compile_latex(tex: str, tmp_path) -> str:
    """Run pdflatex; return its log (fails the test on an error)."""
    (tmp_path / "d.tex").write_text(tex)
    res = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "d.tex"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)
    log = (tmp_path / "d.log").read_text(errors="replace")
    assert res.returncode == 0, log[-3000:]
    return log


def overfull(log: str) -> list[float]:
    return [float(x) for x in re.findall(r"Overfull \\hbox \(([0-9.]+)pt too wide\)", log)]


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
@pytest.mark.parametrize("name,regime,weak", CASES)
def test_document_compiles_without_overfull_boxes(name, regime, weak, tmp_path):
    d = derivation(name, regime, weak)
    tex = derivation_latex(d)
    assert max(len(line) for line in tex.splitlines()) <= 1000
    log = compile_latex(tex, tmp_path)
    boxes = overfull(log)
    assert not boxes or max(boxes) <= MAX_OVERFULL, boxes


def test_document_reads_like_the_paper():
    d = derivation("two-qubits-two-baths", "partial-secular", True)
    tex = derivation_latex(d)
    assert r"\sigma^{+}_{q1} \sigma^{-}_{q2}" in tex          # H_S in operator notation
    assert r"|\psi_{2}\rangle" in tex                          # eigenstates
    assert re.search(r"X_\{h,1\} &= .*\\rangle\\langle", tex)  # ket-bra eigenoperators
    assert r"\mathcal{D}[L_{p,k}]" in tex and "L_{h,1} &=" in tex   # Lindblad form
    assert r"\begin{align}" in tex and r"\rho_{ee,ee}" in tex and r"|ee\rangle" in tex
    assert r"J_{h} &=" in tex and r"\Gamma_{h} &\equiv" in tex
    # every abbreviation defined exactly once
    for a in d.compact().abbreviations:
        assert tex.count(a.latex + r" &\equiv") == 1, a.name
    # no stray '+ -i[...]' at the start of the master equation
    assert r"+ -i" not in tex and r"+ - i" not in tex
    # --only keeps the document to the asked parts
    only = derivation_latex(d, ("heat-currents",))
    assert r"J_{h} &=" in only and r"\rho_{ee,ee}" not in only and "L_{h,1}" not in only


def test_spectrum_section_writes_the_radicals_by_name():
    """The eigenstates, energies, Bohr frequencies and eigenoperators use the Notation's
    R = sqrt(delta^2 + 4 g^2) (and sqrt(R) for its fourth root), never the raw radicand,
    and the renaming keeps every value (checked exactly for the energies and numerically
    for the eigenvector entries at an odd point)."""
    import sympy as sp
    from cgsym.forms.document import _radical_namer
    d = derivation("detuned-qubits", "secular", True)
    tex = derivation_latex(d)
    spec = tex[tex.index("Eigenstates and eigenoperators"):tex.index("Master equation")]
    assert r"\sqrt[4]" not in spec and r"\delta^{2} + 4 g^{2}" not in spec
    assert r"E_{\psi_{2}} &= \frac{R}{2}" in spec
    comp = d.compact()
    named = _radical_namer(comp)
    back = {a.symbol: comp.canonical_definition(a) for a in comp.abbreviations
            if a.kind == "radical"}
    from conftest import point
    vals = point("detuned-qubits", 0)
    pt = {q.symbol: sp.Rational(str(vals[q.name])) for q in d.model.parameters}
    for s in d.spectrum.states:
        assert sp.simplify(named(s.energy).xreplace(back) - s.energy) == 0
        for c in s.vector:
            a, b = named(c).xreplace(back).xreplace(pt), c.xreplace(pt)
            assert abs(sp.N(a - b, 30)) < 1e-25


def test_lindblad_rates_and_jumps_use_the_rate_values():
    """With an Ohmic rate the gamma matrices, the Lindblad rates and the jumps are
    written in the Notation's rate values (gamma_0, gamma_+-: the paper's
    gamma(omega_S +- Omega)); each rewrite keeps the value (substituting back gives the
    canonical entry exactly)."""
    import sympy as sp
    from cgsym.forms.document import _renamer
    d = derivation("tunnelling-qubit-ohmic", "secular", False)
    tex = derivation_latex(d)
    assert r"r_{r,2} &= \gamma_{0} \left(n_{r} + 1\right)" in tex
    assert r"\mathcal{J}_{l}^{+}\rho &= \left(\gamma_{+} \left(n_{l+} + 1\right)\right)" in tex
    comp = d.compact()
    vals = [a for a in comp.abbreviations if a.kind == "rate value"]
    occ = {a.definition: a.symbol for a in comp.abbreviations if a.kind == "occupation"}
    rename = _renamer(occ, vals)
    back = {a.symbol: a.definition for a in vals}
    back.update({s: w for w, s in occ.items()})
    seen = 0
    for g in d.rates.gammas:
        for e in g.matrix:
            r = rename(e)
            seen += any(r.has(a.symbol) for a in vals)
            assert sp.expand(sp.powsimp(sp.expand(r.xreplace(back) - e))) == 0
    assert seen >= 6
