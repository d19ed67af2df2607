"""Results printed straight from their flint polynomials (cgsym.arith.flintprint, issue 13).

A printed value is a presentation: it must read back (``sympy.sympify`` with the
model's names and ``n``, or the LaTeX reader) to exactly the canonical value.  The
exact check here parses the text with SymPy and compares the two fractions in
python-flint (num_printed * den_canonical - num_canonical * den_printed == 0), a
route independent of the printer (which never parses).
"""
from __future__ import annotations

import json

import pytest
import sympy as sp

import cgsym
from cgsym.arith.flintalg import fraction_tree
from cgsym.arith.flintprint import (SYMPY_TERMS, flint_text, heat_current_texts, is_large,
                              steady_state_texts, value_latex_fragments,
                              value_text)
from cgsym.latex import PaperPrinter

from conftest import derivation, point

#: small cases of every shipped model (derived in ~0.1-1 s); the radical and larger
#: ones read back in seconds (SymPy's parser), so they run with -m slow
SMALL = [("two-qubits-one-bath", "partial-secular", True),
         ("two-qubits-two-baths", "secular", True),
         ("two-qubits-two-baths", "partial-secular", True),
         ("tunnelling-qubit", "secular", True), ("tunnelling-qubit", "partial-secular", True),
         ("tunnelling-qubit", "secular", False),
         ("v-type-three-level", "partial-secular", True),
         ("tunnelling-qubit-ohmic", "partial-secular", True),
         pytest.param(("detuned-qubits", "partial-secular", True), marks=pytest.mark.slow),
         pytest.param(("detuned-qubits", "secular", True), marks=pytest.mark.slow),
         pytest.param(("two-qubits-one-bath", "secular", True), marks=pytest.mark.slow),
         pytest.param(("v-type-three-level", "secular", True), marks=pytest.mark.slow),
         pytest.param(("tunnelling-qubit-ohmic", "secular", True), marks=pytest.mark.slow),
         pytest.param(("two-qubits-two-baths", "secular", False), marks=pytest.mark.slow),
         pytest.param(("two-qubits-two-baths", "partial-secular", False),
                      marks=pytest.mark.slow)]


def _values(d):
    """[(form, k, canonical SymPy value)] of every coordinate of rho and every J_p."""
    out = []
    ss = d.steady_state
    if ss.form is not None:
        out += [(ss.form, k, None) for k in range(len(ss.form))]
    if d.heat_currents is not None:
        out += [(f, 0, None) for _, f in d.heat_currents.forms]
    return out


def _to_gens(e, form):
    """``e`` with each atom replaced by its generator, top down.  A radical r = sqrt(b)
    raised to a power reads back as b**(k/2) (SymPy evaluates sqrt(b)**k): that is
    r**k; likewise exp(b)**k reads back as exp(k*b)."""
    fwd = {atom: g for g, atom in form.back.items()}
    rads = {atom.base: g for atom, g in fwd.items() if atom.is_Pow and atom.exp == sp.S.Half}
    exps = [(atom.args[0], g) for atom, g in fwd.items() if isinstance(atom, sp.exp)]

    def conv(t):
        if t in fwd:
            return fwd[t]
        if t.is_Pow and t.exp.is_Rational and t.exp.q == 2 and t.base in rads:
            return rads[t.base] ** t.exp.p
        if isinstance(t, sp.exp):       # exp(b)**k reads back as exp(k*b)
            for b, g in exps:
                k = sp.cancel(t.args[0] / b)
                if k.is_Integer:
                    return g ** int(k)
        return t.func(*[conv(a) for a in t.args]) if t.args else t
    return conv(sp.sympify(e))


def _reduced(poly, form):
    """poly with every radical generator r = sqrt(b) reduced to degree <= 1 by r**2 = b
    (outer radicals first), times a power of b's denominator (the zero test is kept)."""
    ring = form.ring
    index = {g: i for i, g in enumerate(ring.gens)}
    rads = [(g, a) for g, a in form.back.items() if a.is_Pow and a.exp == sp.S.Half]
    rads.sort(key=lambda ga: -sum(1 for x in sp.preorder_traversal(ga[1].base)
                                  if x.is_Pow and x.exp == sp.S.Half))
    for g, atom in rads:
        i = index[g]
        nb, db = fraction_tree(ring, index, _to_gens(atom.base, form))
        top = max((m[i] for m in poly.monoms()), default=0) // 2
        acc = ring.ctx.from_dict({})
        for mon, c in zip(poly.monoms(), poly.coeffs()):
            k = mon[i]
            rest = list(mon)
            rest[i] = k % 2
            acc += ring.ctx.from_dict({tuple(rest): c}) * nb ** (k // 2) * db ** (top - k // 2)
        poly = acc
    return poly


def _same_value(text_or_expr, form, k, names=None) -> bool:
    """Exact: the printed value equals nums[k]/den of the form (compared in flint,
    radicals reduced by their defining relation); a text is read with ``sympify``
    and the model's names (``names``)."""
    e = text_or_expr
    if isinstance(e, str):
        e = sp.sympify(e, locals=names)
    ring = form.ring
    index = {g: i for i, g in enumerate(ring.gens)}
    num, den = fraction_tree(ring, index, _to_gens(e, form))
    return _reduced(num * form.den - form.nums[k] * den, form).is_zero()


def _id(c):
    return f"{c[0]}-{c[1]}-{'weak' if c[2] else 'full'}"


@pytest.mark.parametrize("case", SMALL, ids=_id)
def test_printed_equals_canonical_exactly(case):
    d = derivation(*case)
    loc = d.model.sympify_locals
    for form, k, _ in _values(d):
        # the flint text always, and what derive prints (SymPy below the size threshold)
        assert _same_value(flint_text(form, k), form, k, loc)
        assert _same_value(value_text(form, k), form, k, loc)
        assert _same_value(form.expression(k), form, k)     # the check itself is sound


def test_wrong_text_is_caught():
    d = derivation("tunnelling-qubit", "secular", False)
    loc = d.model.sympify_locals
    f = d.heat_currents.form("l")
    text = flint_text(f, 0)
    assert _same_value(text, f, 0, loc)
    assert not _same_value(f"({text}) + 1/1000", f, 0, loc)
    assert not _same_value("2*(" + text + ")", f, 0, loc)


@pytest.mark.parametrize("case,threshold", [
    (("tunnelling-qubit", "secular", False), None),
    (("tunnelling-qubit", "secular", False), 0),        # every value printed from flint
    (("two-qubits-two-baths", "partial-secular", True), 0),
    pytest.param(("two-qubits-two-baths", "partial-secular", False), None,
                 marks=pytest.mark.slow)], ids=str)
def test_derive_json_and_text_read_back_to_the_canonical_results(case, threshold, monkeypatch):
    """What derive --format json / text prints: every rho entry and J_p sympifies to the
    canonical value (exact difference 0)."""
    import cgsym.arith.flintprint
    if threshold is not None:
        monkeypatch.setattr(cgsym.arith.flintprint, "SYMPY_TERMS", threshold)
    d = derivation(*case)
    loc = d.model.sympify_locals
    doc = d.to_json()
    json.dumps(doc)
    M = d.steady_state.matrix
    for i in range(M.rows):
        for j in range(M.cols):
            e = sp.sympify(doc["steady_state"]["matrix"][i][j], locals=loc)
            assert sp.expand(e - M[i, j]) == 0 or sp.cancel(sp.together(e - M[i, j])) == 0
    for name in d.heat_currents.reservoirs:
        assert _same_value(doc["heat_currents"][name], d.heat_currents.form(name), 0, loc)
    text = str(d)
    for name, J in heat_current_texts(d.heat_currents):
        assert f"  J_{name} = {J}" in text
    for (i, j), t in steady_state_texts(d.steady_state).items():
        a, b = d.model.basis[i], d.model.basis[j]
        assert f"  rho[{a}; {b}] = {t}" in text


def test_large_values_are_printed_from_flint_and_small_ones_by_sympy():
    small = derivation("two-qubits-two-baths", "partial-secular", True)
    f = small.heat_currents.form("h")
    assert not is_large(f, 0)
    assert value_text(f, 0) == sp.sstr(small.heat_currents.current("h"))   # unchanged
    big = derivation("two-qubits-two-baths", "partial-secular", False)
    g = big.heat_currents.form("h")
    assert is_large(g, 0) and value_text(g, 0) == flint_text(g, 0)
    # deterministic, and written without building the SymPy expression
    fresh = cgsym.derive("two-qubits-two-baths", "partial-secular", False)
    fg = fresh.heat_currents.form("h")
    assert flint_text(fg, 0) == flint_text(g, 0)
    assert "_expressions" not in fg.__dict__ and "currents" not in fresh.heat_currents.__dict__
    assert SYMPY_TERMS >= 100


@pytest.mark.parametrize("case", [("tunnelling-qubit", "secular", False),
                                  ("two-qubits-two-baths", "partial-secular", True)], ids=_id)
def test_latex_reads_back_to_the_canonical_value(case):
    from cgsym.check import _symbol_table
    from cgsym.latex_reader import read_latex
    d = derivation(*case)
    table = _symbol_table(d.model, [])
    p = PaperPrinter(d.model)
    for name, f in d.heat_currents.forms:
        tex = " ".join(value_latex_fragments(f, 0, p))
        assert _same_value(read_latex(tex, table), f, 0)


def test_latex_rows_are_short_enough_for_tex():
    from cgsym.arith.flintprint import value_latex_rows
    from cgsym.forms.breaking import WIDTH, width
    d = derivation("two-qubits-two-baths", "partial-secular", False)
    f = d.heat_currents.form("h")
    rows = value_latex_rows("J_{h}", f, 0, PaperPrinter(d.model))
    assert len(rows) > 20
    for r in rows[1:]:
        body = r.replace(r"&\quad ", "").replace(r" \notag", "")
        assert width(body) <= WIDTH + 40          # one term may overhang a little
        assert len(r) < 1000


def _evaluate_text(text, env):
    """The printed text evaluated by Python with ``env`` (mpmath numbers and functions):
    the text is Python syntax read the way ``sympify`` reads it.  A sum of 10^4-10^5
    terms nests 10^5 deep in Python's compiler: compiled in a thread with a large stack
    (SymPy's parser would need minutes for these strings)."""
    import sys
    import threading
    out = {}

    def run():
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(10 ** 6)
        try:
            out["v"] = eval(compile(text, "<printed>", "eval"), {"__builtins__": {}}, env)
        except BaseException as exc:        # reported in the test's thread
            out["e"] = exc
        finally:
            sys.setrecursionlimit(limit)
    old = threading.stack_size(1 << 30)
    try:
        th = threading.Thread(target=run)
        th.start()
        th.join()
    finally:
        threading.stack_size(old)
    if "e" in out:
        raise out["e"]
    return out["v"]


@pytest.mark.slow
def test_tunnelling_qubit_partial_secular_full_printed_values():
    """The 10^4-10^5-term case (no weak limit), as derive prints it: every printed value
    evaluated at odd points (50 digits) equals RationalForm.evaluate to 1e-12 and the
    numeric pipeline to 1e-9; sum_p J_p = 0 and Tr rho = 1 from the printed values."""
    import mpmath
    import numpy as np
    from cgsym.numerics import numeric_pipeline
    from cgsym.report import derivation_latex, derivation_text
    d = cgsym.derive("tunnelling-qubit", "partial-secular", False)      # fresh: nothing built
    m = d.model
    # derive's whole output in the three formats builds no SymPy expression of the results
    text, doc, tex = derivation_text(d), json.dumps(d.to_json()), derivation_latex(d)
    # above the compact search's limit: the system form (cgsym/forms/system.py)
    assert "the linear system it solves" in text and "Cramer's rule" in tex
    assert "linear_system" in json.loads(doc)["compact"]
    assert not {"matrix", "coordinates"} & set(d.steady_state.__dict__)
    assert "currents" not in d.heat_currents.__dict__
    assert all("_expressions" not in f.__dict__
               for f in [d.steady_state.form] + [f for _, f in d.heat_currents.forms])
    ss_texts = steady_state_texts(d.steady_state)
    J_texts = dict(heat_current_texts(d.heat_currents))
    printed = json.loads(doc)["heat_currents"]
    for p, t in J_texts.items():
        assert f"  J_{p} = {t}" in text and printed[p] == t
    assert all(is_large(f, 0) for _, f in d.heat_currents.forms)
    assert min(len(t) for t in J_texts.values()) > 10 ** 6
    mpmath.mp.dps = 50
    try:
        for k in (0, 1):
            pt = point(m, k)
            env = {name: mpmath.mpf(str(v)) for name, v in pt.items()}
            env.update(n=lambda w, T: 1 / (mpmath.exp(w / T) - 1), sqrt=mpmath.sqrt,
                       exp=mpmath.exp, I=mpmath.mpc(0, 1))
            num = numeric_pipeline(m, pt, "partial-secular", False)
            J = {p: complex(_evaluate_text(t, env)) for p, t in J_texts.items()}
            for p, f in d.heat_currents.forms:
                ref = f.evaluate(pt)[0]
                assert abs(J[p].imag) < 1e-40
                assert abs(J[p].real - ref) <= 1e-12 * abs(ref)
                assert abs(J[p].real - num.heat_currents[p]) <= 1e-9 * abs(num.heat_currents[p])
            assert abs(sum(J.values())) <= 1e-12 * max(abs(v) for v in J.values())
            dim = m.dim
            rho = np.zeros((dim, dim), dtype=complex)
            for (i, j), t in ss_texts.items():
                rho[i, j] = complex(_evaluate_text(t, env))
            assert abs(np.trace(rho) - 1) < 1e-12
            assert np.allclose(rho, rho.conj().T, rtol=0, atol=1e-15)
            assert np.allclose(rho, np.asarray(num.steady_state, dtype=complex), rtol=1e-9,
                               atol=1e-12)
    finally:
        mpmath.mp.dps = 15
