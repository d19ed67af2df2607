"""The system form (cgsym/forms/system.py): the steady state as the linear system it
solves in the eigenbasis of H_S, the heat currents as linear combinations of its
unknowns.  For every case: the flint proof inside ``system_form`` passes; the numbers
of the printed system (solved with numpy) agree with the independent numeric pipeline
(cgsym.numerics) at odd points; invariants (sum_p J_p = 0, trace 1); the JSON, read
back with ``sympify`` (determinants included), gives the same numbers; a tampered
entry or coefficient is refused.  Shipped and non-shipped models (three reservoirs with
other names, a complex coupling)."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import cgsym
from cgsym.errors import CgsymError
from cgsym.forms.abbreviations import expand_abbreviations
from cgsym.forms.system import SHORT_KINDS, prove_system, system_form
from cgsym.numerics import lambdify_expr, numeric_pipeline

from conftest import point

from test_forms import THREE_BATHS, THREE_POINT
from test_complex_models import POINT as COMPLEX_POINT, _model as complex_model


def _model(name):
    if name == "THREE":
        return cgsym.model_from_toml(THREE_BATHS)
    if name.startswith("complex:"):
        return complex_model(name.split(":", 1)[1])
    return cgsym.load_model(name)


def _points(name):
    if name == "THREE":
        return [THREE_POINT]
    if name.startswith("complex:"):
        return [COMPLEX_POINT]
    return [point(name, 0), point(name, 1)]


_DERIVED = {}


def _derive(name, regime):
    key = (name, regime)
    if key not in _DERIVED:
        _DERIVED[key] = cgsym.derive(_model(name), regime, False)
    return _DERIVED[key]


def _system_numbers(c, model, vals):
    """(x, {p: J_p}) of the printed system at ``vals``: M and the currents'
    coefficients lambdified (abbreviations expanded), M x = b solved with numpy."""
    s = c.system
    short = [a for a in c.abbreviations if a.kind in SHORT_KINDS]
    M = lambdify_expr(expand_abbreviations(s.matrix, short), model)(vals)
    x = np.linalg.solve(np.asarray(M, dtype=complex), np.array(s.rhs, dtype=complex))
    J = {}
    for p, e in c.heat_currents:
        coef = sp.ImmutableMatrix([[expand_abbreviations(sp.diff(e, u), short)
                                    for u in s.unknowns]])
        cv = np.asarray(lambdify_expr(coef, model)(vals), dtype=complex).ravel()
        J[p] = complex(cv @ x)
    return x, J


def _json_numbers(c, model, vals):
    """The currents from the JSON alone: sympify every string, substitute the numeric
    parameters, evaluate the determinants, x_k = D_k / D."""
    js = c.to_json()
    loc = dict(model.sympify_locals)
    loc.update({a: sp.Symbol(a) for a in js["abbreviations"]})
    num = {s: sp.Float(vals[s.name], 30) for s in (p.symbol for p in model.parameters)}
    known = {}
    for name, text in js["abbreviations"].items():      # definition order
        e = sp.sympify(text, locals=loc)
        e = e.xreplace(num).xreplace(known)
        if isinstance(e, sp.Determinant):
            e = e.arg.evalf(30).det(method="berkowitz")
        known[loc[name]] = sp.N(e.doit() if hasattr(e, "doit") else e, 30)
    out = {}
    for p, text in js["heat_currents"].items():
        out[p] = complex(sp.N(sp.sympify(text, locals=loc).xreplace(num).xreplace(known)))
    eqs = [sp.sympify(e, locals=loc) for e in js["compact" if False else "linear_system"]
           ["equations"]] if "linear_system" in js else []
    for eq in eqs:             # every equation holds at the solution
        v = complex(sp.N((eq.lhs - eq.rhs).xreplace(num).xreplace(known)))
        assert abs(v) < 1e-12
    return out


def _check(name, regime, minimum_unknowns=1, points=None):
    d = _derive(name, regime)
    c = d.compact(form="system")
    assert c is not None and c.system is not None
    s = c.system
    assert len(s.unknowns) >= minimum_unknowns and s.rhs[-1] == 1
    # the trace row: every population with coefficient 1
    pops = [k for k, lab in enumerate(s.labels) if lab[0] == "p"]
    assert all(s.matrix[s.trace_row, k] == (1 if k in pops else 0)
               for k in range(len(s.unknowns)))
    model = d.model
    refs = {}
    for k, vals in enumerate(_points(name)[:points]):
        ref = refs[k] = numeric_pipeline(model, vals, regime, False)
        x, J = _system_numbers(c, model, vals)
        assert abs(sum(x[k] for k in pops) - 1) < 1e-12
        scale = max(abs(v) for v in ref.heat_currents.values()) or 1.0
        for p, v in J.items():
            assert abs(v.imag) < 1e-12 * scale + 1e-15
            assert abs(v.real - ref.heat_currents[p]) <= 1e-9 * scale + 1e-15, (p, v, ref)
        assert abs(sum(J.values())) <= 1e-12 * scale + 1e-15
        # populations against the numeric steady state in the eigenbasis of H_S
        rho_e = _eigenbasis_numeric(d, vals, ref)
        for k, (kind, a, b) in enumerate(s.labels):
            want = rho_e[a, b]
            got = x[k]
            want = want.real if kind in ("p", "x") else want.imag
            assert abs(got.real - want) < 1e-9, (s.unknowns[k], got, want)
    # JSON, read back with sympify, at the first point
    vals = _points(name)[0]
    ref = refs[0]
    got = _json_numbers(c, model, vals)
    scale = max(abs(v) for v in ref.heat_currents.values()) or 1.0
    for p, v in got.items():
        assert abs(v - ref.heat_currents[p]) <= 1e-9 * scale + 1e-15
    return d, c


def _eigenbasis_numeric(d, vals, ref):
    """rho of the numeric pipeline in the symbolic eigenbasis (U evaluated at vals)."""
    U = np.asarray(lambdify_expr(d.spectrum.unitary, d.model)(vals), dtype=complex)
    return U.conj().T @ np.asarray(ref.steady_state) @ U


def _tampered_is_refused(d, c):
    """Change one entry of the system (and separately one current coefficient): the
    proof refuses it."""
    from cgsym.forms.compact import _Space, _flint_forms, _naming_universe
    import cgsym.forms.system as S
    s = c.system
    abbrs = [a for a in c.abbreviations if a.kind in ("occupation", "rate")]
    # rebuild the proof's inputs exactly as system_form does, with one entry changed
    captured = {}
    orig = S.prove_system

    def spy(space, d_, matrix, rhs, labels, currents, xs, abbrs_, tfrac):
        captured.update(space=space, matrix=matrix, rhs=rhs, labels=labels,
                        currents=currents, xs=xs, abbrs=abbrs_, tfrac=tfrac)
        return orig(space, d_, matrix, rhs, labels, currents, xs, abbrs_, tfrac)
    S.prove_system = spy
    try:
        S.system_form(d)
    finally:
        S.prove_system = orig
    k = captured
    i, j = next((i, j) for i in range(s.matrix.rows - 1) for j in range(s.matrix.cols)
                if k["matrix"][i, j] != 0)
    bad = sp.Matrix(k["matrix"])
    bad[i, j] = bad[i, j] * sp.Rational(1001, 1000)
    with pytest.raises(CgsymError, match="not shown"):
        prove_system(k["space"], d, sp.ImmutableMatrix(bad), k["rhs"], k["labels"],
                     k["currents"], k["xs"], k["abbrs"], k["tfrac"])
    p, J = k["currents"][0]
    term = sp.Add.make_args(J)[0]
    badJ = [(p, J + term / 1000)] + list(k["currents"][1:])
    with pytest.raises(CgsymError, match="not shown"):
        prove_system(k["space"], d, k["matrix"], k["rhs"], k["labels"], badJ, k["xs"],
                     k["abbrs"], k["tfrac"])
    # a singular system (the trace row replaced by a copy of row 0) is refused too:
    # its rows fail first or its determinant does
    sing = sp.Matrix(k["matrix"])
    sing[sing.rows - 1, :] = sing[0, :]
    with pytest.raises(CgsymError, match="not shown"):
        prove_system(k["space"], d, sp.ImmutableMatrix(sing), k["rhs"], k["labels"],
                     k["currents"], k["xs"], k["abbrs"], k["tfrac"])


def test_tunnelling_qubit_partial_secular_not_weak():
    d, c = _check("tunnelling-qubit", "partial-secular", 8, points=1)
    assert c.count("J_l") < 1000            # canonical: ~280k ops; explicit: 25,804
    # derive's choice: the system form (the explicit search is skipped)
    auto = d.compact()
    assert auto.system is not None and auto.note == ""
    text = str(auto)
    assert "\n  1 = p_1 + p_2 + p_3 + p_4" in text and "\n  0 = " in text


def test_three_reservoirs_other_names_secular():
    d, c = _check("THREE", "secular")
    names = {u.name for u in c.system.unknowns}
    assert {"p_1", "p_2", "p_3", "p_4"} <= names
    _tampered_is_refused(d, c)


@pytest.mark.slow
def test_three_reservoirs_other_names_partial_secular():
    _check("THREE", "partial-secular")


@pytest.mark.parametrize("key", [pytest.param("sy-coupling", marks=pytest.mark.slow),
                                 "sy-in-hamiltonian"])
def test_complex_coupling(key):
    d, c = _check(f"complex:{key}", "secular")


@pytest.mark.slow
def test_two_qubits_two_baths_partial_secular_not_weak():
    d, c = _check("two-qubits-two-baths", "partial-secular")
    _tampered_is_refused(d, c)


@pytest.mark.slow
def test_tampered_tunnelling_qubit_is_refused():
    d, c = _check("tunnelling-qubit", "partial-secular", 8)
    _tampered_is_refused(d, c)


@pytest.mark.slow
def test_ohmic_tunnelling_qubit_partial_secular_not_weak():
    """The shipped model whose million-node closed forms are too large to lambdify
    (conftest.FORM_EVALUATED_CASES): its system form (exp(-w/omega_c) inside the rates,
    several exponentials read on a lattice, cgsym/arith/exps.py) is proved and agrees
    with the numeric pipeline, trace 1, Sum J = 0."""
    d, c = _check("tunnelling-qubit-ohmic", "partial-secular", 8)
    _tampered_is_refused(d, c)


@pytest.mark.slow
@pytest.mark.parametrize("regime", ["secular", "partial-secular"])
def test_detuned_qubits_not_weak(regime):
    d, c = _check("detuned-qubits", regime)
    # the spectrum's radical is named once in the system form too (R = sqrt(delta^2+4g^2))
    assert [a.name for a in c.abbreviations if a.kind == "radical"] == ["R"]
    assert "sqrt" not in str(c.system)
    _tampered_is_refused(d, c)


def test_names_never_clash_with_model_symbols():
    toml = THREE_BATHS.replace('J = "slow"', 'p_1 = "slow"').replace("J*(", "p_1*(")
    model = cgsym.model_from_toml(toml)
    d = cgsym.derive(model, "secular", True)
    c = system_form(d)
    names = [u.name for u in c.system.unknowns]
    assert "p_1" not in names and len(set(names)) == len(names)
    assert {a.name for a in c.abbreviations}.isdisjoint({p.name for p in model.parameters})


def test_api_switch_and_bad_form():
    d = _derive("THREE", "secular")
    assert d.compact(form="system").system is not None
    assert d.compact(form="explicit").system is None
    with pytest.raises(CgsymError, match="unknown compact form"):
        d.compact(form="implicit")


def test_check_reads_back_the_system_form_latex():
    """cgsym check reads a system-form current's LaTeX, with the where-definitions
    (D \\equiv \\det(...), D_k \\equiv \\det(...), p_k \\equiv D_k/D, n_p ...), to EQUAL."""
    from cgsym.check import check
    from cgsym.forms.render import compact_printer, where_latex
    d = _derive("THREE", "secular")
    c = system_form(d)
    p = compact_printer(c)
    res, J = c.heat_currents[0]
    where = [w.replace(r" \equiv ", "=", 1) for w in where_latex(c, [J], p)]
    assert any(w.startswith(r"D=\det\begin{pmatrix}") for w in where)
    assert r"p_{1}=\frac{D_{1}}{D}" in where
    r = check(d.model, "secular", False, f"J[{res}]", p._print(J), where, latex=True)
    assert r.equal and r.method == "exact", str(r)


@pytest.mark.skipif(__import__("shutil").which("pdflatex") is None,
                    reason="pdflatex not installed")
def test_document_prints_the_system_and_compiles(tmp_path):
    """The paper-style document of a non-shipped model in the system form: the
    equations in align (trace row last), the currents in the unknowns; compiles
    without an overfull box wider than 20 pt."""
    from cgsym.report import derivation_latex
    from test_document import MAX_OVERFULL, compile_latex, overfull
    d = _derive("THREE", "secular")
    assert d.compact().system is not None
    tex = derivation_latex(d)
    assert r"1 &= p_{1} + p_{2} + p_{3} + p_{4}" in tex and r"J_{hot} &=" in tex
    assert "Cramer" in tex
    boxes = overfull(compile_latex(tex, tmp_path))
    assert not boxes or max(boxes) <= MAX_OVERFULL, boxes


def test_derive_cli_compact_form_flag(capsys):
    """derive --compact-form explicit|system|auto (the model file of a non-shipped
    model): the system form prints the equations, explicit does not."""
    import json
    from cgsym.cli import main
    import tempfile
    import os
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "three.toml")
        with open(path, "w") as f:
            f.write(THREE_BATHS)
        base = ["derive", path, "--regime", "secular", "--weak-internal", "--only",
                "heat-currents", "--no-cache"]
        assert main(base + ["--compact-form", "system"]) == 0
        out = capsys.readouterr().out
        assert "the linear system it solves" in out and "\n  1 = p_1 + p_2 + p_3 + p_4" in out
        assert main(base + ["--compact-form", "explicit"]) == 0
        out = capsys.readouterr().out
        assert "the linear system it solves" not in out and "Gamma_hot" in out
        assert main(base + ["--format", "json", "--compact-form", "system"]) == 0
        js = json.loads(capsys.readouterr().out)
        assert js["compact"]["linear_system"]["equations"][-1].startswith("Eq(1, p_1")
        assert main(base + ["--compact-form", "implicit"]) == 2
        assert "invalid choice" in capsys.readouterr().err


def test_a_reservoir_that_only_dephases():
    """A pure-dephasing reservoir's current is identically 0 in the system form (it
    failed with StopIteration in the proof), counted 0, and the form is still proved."""
    import os
    here = os.path.dirname(__file__)
    d = cgsym.derive(os.path.join(here, "cases", "dephased-two-qubits.toml"), "secular")
    c = d.compact(form="system")
    assert c.system is not None and dict(c.heat_currents)["d"] == 0
    assert c.count("J_d") == 0 and c.count("J_h") > 0
