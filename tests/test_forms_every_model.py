"""Issue 12's "every shipped model" for the models outside ``conftest.SHIPPED``.

``conftest.SHIPPED`` is the list the golden, engine and forms tests run over; a model
added to the registry later (today: the Drude-Lorentz pair of issue 16) would silently
miss the compact-form, document and ``check`` round-trip tests.  Here the registry
itself decides: every shipped model not in SHIPPED gets, in both regimes, with and
without the weak-internal limit, (1) compact forms in text, LaTeX and JSON (proved inside
``compact``; the JSON read back and checked here against the numeric pipeline, with
Sum_p J_p = 0),
(2) a LaTeX document that compiles without an overfull box wider than 20 pt, and
(3) ``check`` reading every compact heat current back to EQUAL.
"""
from __future__ import annotations

import shutil

import numpy as np
import pytest
import sympy as sp

import cgsym
from cgsym.numerics import lambdify_expr, numeric_pipeline

from conftest import SHIPPED, REGIMES, derivation

#: the models SHIPPED does not list, and one odd point each (slow << frequency)
EXTRA = {
    "two-qubits-drude-lorentz": dict(omega_S=1.1341, Omega=0.0432, lam=0.0123, gamma_c=2.3,
                                     T_h=0.9876, T_c=0.4321),
}

#: cases whose derivation and compact pass take a minute on the 2-core machine
SLOW = {("two-qubits-drude-lorentz", "partial-secular", False)}
CASES = [pytest.param(m, r, w, id=f"{m}-{r}-{'weak' if w else 'full'}",
                      marks=[pytest.mark.slow] if (m, r, w) in SLOW else [])
         for m in EXTRA for r in REGIMES for w in (True, False)]


def test_every_registry_model_is_covered():
    """A new shipped model must be added to SHIPPED or to EXTRA (with a point)."""
    assert set(cgsym.shipped_models()) == set(SHIPPED) | set(EXTRA)


@pytest.mark.parametrize("name,regime,weak", CASES)
def test_compact_text_latex_json(name, regime, weak):
    from cgsym.forms.render import compact_latex_body
    d = derivation(name, regime, weak)
    c = d.compact()
    assert c.note == "" and c.abbreviations
    text, tex, js = str(c), compact_latex_body(c), c.to_json()
    loc = c.sympify_locals()
    defs = {loc[a]: sp.sympify(e, locals=loc) for a, e in js["abbreviations"].items()}
    vals = EXTRA[name]
    # the reference: the independent numeric pipeline (numpy), not the canonical forms
    ref = numeric_pipeline(d.model, vals, regime, weak).heat_currents
    scale = max(abs(v) for v in ref.values())
    total = 0.0
    for res, J in c.heat_currents:
        assert f"J_{res} = " in text and f"J_{{{res}}}" in tex
        e = sp.sympify(js["heat_currents"][res], locals=loc)
        for _ in range(len(defs) + 1):
            e = e.xreplace(defs)
        # the system form's unknowns are Cramer ratios of unevaluated determinants:
        # each evaluated at the point first
        e = e.xreplace({D: sp.Float(complex(np.linalg.det(np.asarray(
            lambdify_expr(D.arg, d.model)(vals), dtype=complex))).real, 30)
            for D in e.atoms(sp.Determinant)})
        a = float(np.real(lambdify_expr(e, d.model)(vals)))
        assert abs(a - ref[res]) <= 1e-9 * scale, (res, a, ref[res])
        total += a
    assert abs(total) <= 1e-9 * scale     # energy conservation: Sum_p J_p = 0


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
@pytest.mark.parametrize("name,regime,weak", CASES)
def test_document_compiles(name, regime, weak, tmp_path):
    from cgsym.report import derivation_latex
    from test_document import MAX_OVERFULL, compile_latex, overfull
    tex = derivation_latex(derivation(name, regime, weak))
    assert max(len(line) for line in tex.splitlines()) <= 1000
    boxes = overfull(compile_latex(tex, tmp_path))
    assert not boxes or max(boxes) <= MAX_OVERFULL, boxes


@pytest.mark.parametrize("name,regime,weak", CASES)
def test_check_reads_back_compact_latex(name, regime, weak):
    from cgsym.check import check
    from test_forms import _compact_latex_and_where
    d = derivation(name, regime, weak)
    c = d.compact(steady_state=False)
    for res, J in c.heat_currents:
        tex, where = _compact_latex_and_where(c, J)
        r = check(name, regime, weak, f"J[{res}]", tex, where, latex=True)
        assert r.equal and r.method == "exact", (res, tex, where, str(r))
