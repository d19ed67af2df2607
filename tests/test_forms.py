"""Compact, paper-style forms (cgsym/forms): the issue's count_ops targets, every form
equal to the canonical one (the flint proof inside ``compact`` *and* here, independently,
numerically at odd points), invariants of the compact currents, names chosen from the
model (a non-shipped three-reservoir model), JSON readable by ``sympify``, and
``derive --only``.  The slow non-weak partial-secular case runs under ``-m slow``.
"""
from __future__ import annotations

import json

import numpy as np
import pytest
import sympy as sp

import cgsym
from cgsym.cli import main
from cgsym.errors import CgsymError
from cgsym.forms import compact as compact_fn
from cgsym.forms.compact import _prove, _Space
from cgsym.numerics import lambdify_expr

from conftest import assert_close, derivation, point

#: (model, regime, weak, reservoir, target count_ops incl. abbreviations) of issue 12
TARGETS = [("two-qubits-two-baths", "partial-secular", True, "h", 32),
           ("tunnelling-qubit", "partial-secular", True, "l", 30),
           ("two-qubits-two-baths", "secular", False, "h", 100)]

THREE_BATHS = """
name = "pair-three-baths"
description = "two exchange-coupled spins a, b; three reservoirs with other names"
hamiltonian = "nu/2*(sz(a) + sz(b)) + J*(sp(a)*sm(b) + sm(a)*sp(b))"
[parameters]
nu = "frequency"
J = "slow"
kappa_x = "rate"
kappa_y = "rate"
kappa_z = "rate"
Tx = "temperature"
Ty = "temperature"
Tz = "temperature"
[[subsystems]]
name = "a"
levels = ["e", "g"]
[[subsystems]]
name = "b"
levels = ["e", "g"]
[[reservoirs]]
name = "hot"
coupling = "sx(a)"
temperature = "Tx"
rate = "kappa_x"
[[reservoirs]]
name = "cold"
coupling = "sx(b)"
temperature = "Ty"
rate = "kappa_y"
[[reservoirs]]
name = "w"
coupling = "sx(a) + sx(b)"
temperature = "Tz"
rate = "kappa_z"
"""
THREE_POINT = dict(nu=1.1341, J=0.0432, kappa_x=0.0217, kappa_y=0.0123, kappa_z=0.0171,
                   Tx=0.9876, Ty=0.4321, Tz=0.6173)


def _values(model, vals):
    return {p.name: vals[p.name] for p in model.parameters}


def _check_numeric(d, c, vals, rtol=1e-9):
    """Compact forms (abbreviations substituted back) equal the canonical results at a
    point; sum_p J_p = 0 with the compact currents."""
    m = d.model
    total = 0.0
    scale = 0.0
    for (name, J), (name2, Jc) in zip(d.heat_currents.currents, c.heat_currents):
        assert name == name2
        a = float(np.real(lambdify_expr(c.expand(Jc), m)(vals)))
        b = float(np.real(lambdify_expr(J, m)(vals)))
        assert_close(a, b, rtol=rtol, what=f"J_{name}")
        total += a
        scale = max(scale, abs(a))
    assert abs(total) <= 1e-9 * scale
    if c.steady_state is not None:
        A = np.asarray(lambdify_expr(c.expand(c.steady_state), m)(vals), dtype=complex)
        B = np.asarray(lambdify_expr(d.steady_state.matrix, m)(vals), dtype=complex)
        assert np.allclose(A, B, rtol=rtol, atol=1e-12)
        assert abs(np.trace(A) - 1) < 1e-12


@pytest.mark.parametrize("name,regime,weak,res,target", TARGETS,
                         ids=[f"{t[0]}-{t[1]}-{'weak' if t[2] else 'full'}" for t in TARGETS])
def test_targets_and_equality(name, regime, weak, res, target):
    d = derivation(name, regime, weak)
    c = d.compact()
    assert c.count(f"J_{res}") <= target < sp.count_ops(d.heat_currents.current(res))
    assert c.count("rho") < sum(sp.count_ops(e) for e in d.steady_state.matrix)
    for k in (0, 1):
        _check_numeric(d, c, point(d.model, k))
    # the heat flows from hot to cold with the compact form too (point 0: T_h > T_c)
    if name == "two-qubits-two-baths":
        assert float(lambdify_expr(c.expand(c.current("h")), d.model)(point(d.model, 0))) > 0


def test_names_from_the_model_and_latex():
    c = derivation("two-qubits-two-baths", "secular", False).compact()
    names = {a.name: a for a in c.abbreviations}
    # occupations at omega_S +- Omega of reservoir h: n_{h+}, n_{h-}
    assert {"n_hp", "n_hm", "n_cp", "n_cm"} <= set(names)
    assert names["n_hp"].latex == "n_{h+}"
    Om, wS = sp.Symbol("Omega", positive=True), sp.Symbol("omega_S", positive=True)
    assert names["n_hp"].definition == cgsym.n(wS + Om, sp.Symbol("T_h", positive=True))
    tex = sp.latex(c)
    assert r"\Gamma_{h+}" in tex and r"\equiv" in tex
    text = str(c)
    assert "where" in text and "Gamma_hp = gamma_h*(2*n_hp + 1)" in text


def test_three_reservoirs_other_names():
    model = cgsym.model_from_toml(THREE_BATHS)
    d = cgsym.derive(model, "secular", weak_internal=True)
    # derive shows the system form here (103 ops against 181, tests/benchmarks):
    # the explicit forms are still searched and proved when asked for
    assert d.compact().system is not None
    c = d.compact(form="explicit")
    names = {a.name for a in c.abbreviations}
    assert {"n_hot", "n_cold", "n_w", "Gamma_hot", "Gamma_w", "D"} <= names
    for name, J in d.heat_currents.currents:
        assert c.count(f"J_{name}") * 4 < sp.count_ops(J)
    _check_numeric(d, c, THREE_POINT)


def test_a_wrong_form_is_refused():
    d = derivation("two-qubits-two-baths", "partial-secular", True)
    c = d.compact()
    J = d.heat_currents.current("h")
    space = _Space(d.model, [J])
    good = c.current("h")
    abbrs = list(space.occupations + space.rates)
    assert {a.name for a in c.used([good])} <= {a.name for a in abbrs}
    _prove(space, good, 0, abbrs, "J_h")          # passes
    with pytest.raises(CgsymError, match="not equal"):
        _prove(space, good * (1 + sp.Symbol("Omega", positive=True) ** 3), 0, abbrs, "J_h")
    # a wrong rate combination is caught too (Gamma_h read as gamma_h (2 n_h + 2))
    G = next(a.symbol for a in abbrs if a.name == "Gamma_h")
    nh = next(a.symbol for a in abbrs if a.name == "n_h")
    gh = sp.Symbol("gamma_h", positive=True)
    with pytest.raises(CgsymError, match="not equal"):
        _prove(space, good.xreplace({G: gh * (2 * nh + 2)}), 0, abbrs, "J_h")


def test_json_compact_is_readable_by_sympify(capsys):
    rc = main(["derive", "two-qubits-two-baths", "--regime", "partial-secular",
               "--weak-internal", "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    comp = out["compact"]
    assert set(comp) == {"heat_currents", "steady_state", "abbreviations"}
    # read with plain names: parameters, n and the abbreviation names
    loc = {p: sp.Symbol(p) for p in out["parameters"]}
    loc["n"] = cgsym.n
    loc.update({a: sp.Symbol(a) for a in comp["abbreviations"]})
    defs = {sp.Symbol(a): sp.sympify(e, locals=loc) for a, e in comp["abbreviations"].items()}

    def unfold(e):
        for _ in range(len(defs) + 1):
            e = e.xreplace(defs)
        return e
    vals = {sp.Symbol(k): v for k, v in point("two-qubits-two-baths", 0).items()}
    for name, e in comp["heat_currents"].items():
        a = complex(unfold(sp.sympify(e, locals=loc)).xreplace(vals).evalf(30))
        b = complex(sp.sympify(out["heat_currents"][name], locals=loc).xreplace(vals).evalf(30))
        assert_close(a.real, b.real, rtol=1e-12, what=f"J_{name}")
    rho = comp["steady_state"]["matrix"]
    a = complex(unfold(sp.sympify(rho[0][0], locals=loc)).xreplace(vals).evalf(30))
    b = complex(sp.sympify(out["steady_state"]["matrix"][0][0], locals=loc)
                .xreplace(vals).evalf(30))
    assert_close(a.real, b.real, rtol=1e-12, what="rho_00")


def test_derive_only(capsys):
    args = ["derive", "two-qubits-two-baths", "--regime", "partial-secular", "--weak-internal"]
    assert main(args + ["--only", "heat-currents"]) == 0
    out = capsys.readouterr().out
    assert "J_h = " in out and "Compact forms" in out and "Gamma_h = " in out
    assert "Steady state" not in out and "gamma matrices" not in out
    assert "Eigenstates" not in out
    assert main(args + ["--only", "gamma,spectrum", "--format", "json"]) == 0
    js = json.loads(capsys.readouterr().out)
    assert "gamma" in js and "eigenstates" in js
    assert "steady_state" not in js and "heat_currents" not in js and "compact" not in js
    assert main(args + ["--only", "steady-state", "--format", "json"]) == 0
    js = json.loads(capsys.readouterr().out)
    assert set(js["compact"]) == {"steady_state", "abbreviations"}
    assert main(args + ["--only", "lindblad", "--format", "latex"]) == 0
    tex = capsys.readouterr().out
    assert "Steady state" not in tex and r"\end{document}" in tex
    rc = main(args + ["--only", "heat-current"])
    out, err = capsys.readouterr()
    assert rc == 2 and out == "" and len(err.splitlines()) == 1
    assert "--only: unknown part 'heat-current'" in err


@pytest.mark.slow
def test_partial_secular_without_weak_limit_target():
    """Issue 12's hard case: 9,194 ops -> at most 800 (each abbreviation once)."""
    d = derivation("two-qubits-two-baths", "partial-secular", False)
    # derive shows the system form here (204 ops, tests/test_system_form.py); the
    # explicit form meets the target too
    assert d.compact().system is not None and d.compact().count("J_h") <= 800
    c = d.compact(form="explicit")
    assert c.count("J_h") <= 800
    for k in (0, 1):
        _check_numeric(d, c, point(d.model, k), rtol=1e-7)


# ---------------------------------------------------------------------------
# cgsym check: compact LaTeX round trip, compact difference
# ---------------------------------------------------------------------------
from conftest import FORM_EVALUATED_CASES, SHIPPED, REGIMES, case_marks  # noqa: E402

#: every shipped model x regime x limit whose round trip costs a few seconds of CPU
#: or less (derive, compact, LaTeX, read back, compared in flint: 0.14-1.3 s each,
#: 9.0 s of CPU for the 17, measured 2026-12-07 on the loaded machine; the ohmic
#: tunnelling qubit without the weak limit in the secular regime 5 s, of which the two
#: checks 0.5 s each in flint since its exponentials are read as powers of independent
#: exp(m/q) (check.exp_lattice; before, 67 s of CPU each in SymPy's cancel)); the detuned
#: qubits (3 s per derivation, twice) and the cases whose derivation is slow
#: (conftest.SLOW_CASES: 12.7k-term currents with radicals, 544k-op currents) run under
#: -m slow, the ohmic tunnelling qubit's PS case without the weak limit in its system form
SLOW_ROUND_TRIP_MODELS = {"detuned-qubits"}
SLOW_ROUND_TRIP: set = set()
ROUND_TRIP = [pytest.param(m, r, w, marks=(case_marks(m, r, w) + (
    [pytest.mark.slow] if m in SLOW_ROUND_TRIP_MODELS or (m, r, w) in SLOW_ROUND_TRIP
    else [])),
    id=f"{m}-{r}-{'weak' if w else 'full'}")
    for m in SHIPPED for r in REGIMES for w in (True, False)]


def _compact_latex_and_where(c, J):
    from cgsym.forms.render import compact_printer, where_latex
    p = compact_printer(c)
    return p._print(J), [w.replace(r" \equiv ", "=", 1) for w in where_latex(c, [J], p)]


@pytest.mark.parametrize("name,regime,weak", ROUND_TRIP)
def test_check_reads_back_compact_latex(name, regime, weak):
    """cgsym check reads every compact heat current's LaTeX (with its abbreviations as
    --where definitions) back to EQUAL."""
    from cgsym.check import check
    d = derivation(name, regime, weak)
    if (name, regime, weak) in FORM_EVALUATED_CASES:
        # its explicit forms are the canonical million-node trees (above the size
        # limit), never built (conftest): the system form that derive shows instead,
        # its determinants read back and compared in flint (4 + 2 min, 2026-12-07)
        c = d.compact(form="system")
        assert c.system is not None
    else:
        # the explicit forms (the system form's round trip: tests/test_system_form.py)
        c = d.compact(steady_state=False, form="explicit")
    for res, J in c.heat_currents:
        tex, where = _compact_latex_and_where(c, J)
        r = check(name, regime, weak, f"J[{res}]", tex, where, latex=True, derivation=d)
        assert r.equal, (res, tex, where, str(r))


def test_check_shows_a_different_result_in_compact_form(capsys):
    wrong = ("4*Omega**2*gamma_h*gamma_c*omega_S*(n(omega_S,T_h)-n(omega_S,T_c))/"
             "((gamma_h*(2*n(omega_S,T_h)+1)+gamma_c*(2*n(omega_S,T_c)+1))*"
             "(2*Omega**2+gamma_h*gamma_c*(2*n(omega_S,T_h)+1)*(2*n(omega_S,T_c)+1)))")
    rc = main(["check", "two-qubits-two-baths", "--regime", "partial-secular",
               "--weak-internal", "--quantity", "J[h]", "--expr", wrong])
    out = capsys.readouterr().out
    assert rc == 1 and out.startswith("DIFFERENT")
    line = next(x for x in out.splitlines() if "derived - yours" in x)
    assert "Gamma_h" in line and "n(omega_S" not in line
    assert "where" in out and "Gamma_h = gamma_h*(2*n_h + 1)" in out


def test_complex_model_with_radicals():
    """A qubit with sy in H_S: radical frequencies sqrt(w^2 + eps^2) inside the
    occupations and complex coherences; compact steady state equal to the canonical."""
    from test_complex_models import POINT, _model
    m = _model("sy-in-hamiltonian")
    d = cgsym.derive(m, "secular", False)
    c = d.compact()
    assert c.note == "" and c.count("rho") * 3 < sum(sp.count_ops(e) for e in d.steady_state.matrix)
    A = np.asarray(lambdify_expr(c.expand(c.steady_state), m)(POINT), dtype=complex)
    B = np.asarray(lambdify_expr(d.steady_state.matrix, m)(POINT), dtype=complex)
    assert np.allclose(A, B, rtol=1e-12, atol=1e-14) and abs(np.trace(A) - 1) < 1e-12


def test_size_limit_returns_the_canonical_forms_with_a_note():
    """Above the size limit the explicit search is not run: the system form
    (cgsym/forms/system.py) is shown, or, asked for explicit forms only, the canonical
    ones with a note."""
    d = derivation("two-qubits-two-baths", "partial-secular", True)
    c = compact_fn(d, max_nodes=10, form="explicit")
    assert "expression nodes" in c.note and c.abbreviations == ()
    assert dict(c.heat_currents) == dict(d.heat_currents.currents)
    assert "note: the canonical results have more than 10 expression nodes" in str(c)
    s = compact_fn(d, max_nodes=10)
    assert s.system is not None and s.note == ""


# ---------------------------------------------------------------------------
# every shipped model, both regimes, with and without the weak-internal limit
# ---------------------------------------------------------------------------
#: results above derive's default size limit (explicit compact forms measured at 25k+
#: ops per current; README "Compact forms"): shown in the system form (the steady state
#: as the linear system it solves, a few hundred ops; tests/test_system_form.py).  The
#: detuned qubits without the weak limit are searched (their nested radicals are
#: related, compact.RADICAL_FACTOR) and shown in whichever form is shorter
ABOVE_LIMIT = {("tunnelling-qubit", "partial-secular", False),
               ("tunnelling-qubit-ohmic", "partial-secular", False)}
#: canonical currents too deeply nested for lambdify (RecursionError: 68k-op currents
#: with nested radicals, the tunnelling qubit's 280k-op ones): compared with the
#: numeric pipeline instead
NUMERIC_REFERENCE = {("detuned-qubits", "secular", False),
                     ("detuned-qubits", "partial-secular", False),
                     ("tunnelling-qubit", "partial-secular", False),
                     ("tunnelling-qubit-ohmic", "partial-secular", False)}
FAST_OUTPUT = {("tunnelling-qubit", "partial-secular", True)}
OUTPUT_CASES = [pytest.param(m, r, w, marks=(case_marks(m, r, w, lambdify=False) + (
    [] if (m, r, w) in FAST_OUTPUT else [pytest.mark.slow])),
    id=f"{m}-{r}-{'weak' if w else 'full'}")
    for m in SHIPPED for r in REGIMES for w in (True, False)]


@pytest.mark.parametrize("name,regime,weak", OUTPUT_CASES)
def test_every_shipped_case_prints_compact_text_latex_and_json(name, regime, weak):
    """Text, LaTeX and JSON of the compact forms for every shipped case: proved inside
    ``compact``, checked here numerically at an odd point (JSON read back with sympify)."""
    from cgsym.forms.render import compact_latex_body
    d = derivation(name, regime, weak)
    c = d.compact()
    if (name, regime, weak) in ABOVE_LIMIT:
        assert c.system is not None and c.note == ""
    else:
        assert c.note == "" and c.abbreviations
    text, tex, js = str(c), compact_latex_body(c), c.to_json()
    vals = point(name, 0)
    loc = c.sympify_locals()
    defs = {loc[a]: sp.sympify(e, locals=loc) for a, e in js["abbreviations"].items()}
    for res, J in c.heat_currents:
        assert f"J_{res} = " in text and f"J_{{{res}}}" in tex
        if c.note:
            continue
        a = json_current_value(js, loc, d.model, vals, res)
        if (name, regime, weak) in NUMERIC_REFERENCE:
            from conftest import numeric
            b = float(numeric(name, regime, weak, 0).heat_currents[res])
        else:
            b = float(np.real(lambdify_expr(d.heat_currents.current(res), d.model)(vals)))
        assert_close(a, b, rtol=1e-9, what=f"J_{res} from JSON")


def json_current_value(js, loc, model, vals, res) -> float:
    """J_res from the JSON alone, every string read by sympify: the abbreviations in
    definition order with the parameters' values substituted first (a system form's
    determinants D, D_k are then numeric determinants)."""
    num = {p.symbol: sp.Float(vals[p.name], 30) for p in model.parameters}
    known = {}
    for name, text in js["abbreviations"].items():
        e = sp.sympify(text, locals=loc).xreplace(num).xreplace(known)
        if isinstance(e, sp.Determinant):
            e = e.arg.evalf(30).det(method="berkowitz")
        known[loc[name]] = sp.N(e, 30)
    e = sp.sympify(js["heat_currents"][res], locals=loc).xreplace(num).xreplace(known)
    return float(sp.re(sp.N(e, 30)))


def test_flint_counts_and_substitutions_agree_with_sympy():
    """The count estimate read from flint (x_j = 0, d^2/dx_j^2) is SymPy's count_ops of
    the expanded polynomial, and the n_p -> Gamma_p substitution done by peeling
    coefficients (Horner) equals the substitution done in SymPy."""
    import importlib
    C = importlib.import_module("cgsym.forms.compact")
    d = derivation("two-qubits-two-baths", "partial-secular", True)
    J = d.heat_currents.current("h")
    space = C._Space(d.model, [J])
    num, den = space.fraction(0)
    for p in (num, den, num * den + 3, -den ** 2 + 1, den - den + 1):
        assert C._est(p) == sp.count_ops(space.to_sympy(p)), sp.sstr(space.to_sympy(p))
    # n = (Gamma rd - rn) / (2 rn): P / M in flint against the same substitution in SymPy
    P, M = space.to_gamma(den)
    sub = {}
    for i, (A, B) in space.subst.items():
        sub[space.gens[i]] = space.ring.to_sympy(A) / space.ring.to_sympy(B)
    lhs = space.ring.to_sympy(den).xreplace(sub)
    rhs = space.ring.to_sympy(P) / space.ring.to_sympy(M)
    assert sp.cancel(lhs - rhs) == 0 and space.subst


#: one sign and one factor 2 changed deep inside the compact LaTeX (the last occurrence)
PERTURB = {
    ("two-qubits-two-baths", "partial-secular", True): [
        (r"\Gamma_{h} + 4 \Omega^{2}", r"\Gamma_{h} - 4 \Omega^{2}"),
        (r"4 \Omega^{2}", r"2 \Omega^{2}")],
    ("two-qubits-two-baths", "partial-secular", False): [
        (r" + \Gamma_{h+}", r" - \Gamma_{h+}"),
        (r"2 \Gamma_{", r"\Gamma_{")],
}


@pytest.mark.parametrize("name,regime,weak", [
    pytest.param(*k, id=f"{k[0]}-{k[1]}-{'weak' if k[2] else 'full'}",
                 marks=[] if k[2] else [pytest.mark.slow]) for k in PERTURB])
def test_check_catches_a_changed_compact_latex(name, regime, weak, capsys):
    """The round trip is a proof, not a guess: the same compact LaTeX with one sign or
    one factor 2 changed (deep inside, not an overall factor) is DIFFERENT, exit 1, with
    a counterexample, for a small current (weak internal, 2.8 s CPU) and a large one (3.5 kB
    of LaTeX, 9,194 ops canonical; 7 s CPU, slow); the unchanged LaTeX is EQUAL by exact
    proof."""
    from cgsym.check import check
    d = derivation(name, regime, weak)
    c = d.compact(steady_state=False, form="explicit")
    J = dict(c.heat_currents)["h"]
    tex, where = _compact_latex_and_where(c, J)
    r = check(name, regime, weak, "J[h]", tex, where, latex=True)
    assert r.equal and r.method == "exact"
    wflags = [a for w in where for a in ("--where", w)]
    for old, new in PERTURB[(name, regime, weak)]:
        i = tex.rfind(old)
        assert i >= 0, (old, tex)
        bad = tex[:i] + new + tex[i + len(old):]
        rc = main(["check", name, "--regime", regime] + (["--weak-internal"] if weak else [])
                  + ["--quantity", "J[h]", "--expr", bad, "--latex"] + wflags)
        out = capsys.readouterr().out
        assert rc == 1 and out.startswith("DIFFERENT") and " at " in out, (old, new, out)


def test_canonical_results_above_the_print_limit_are_named_not_printed(monkeypatch, capsys):
    """derive's text names a canonical result above report.PRINT_TERMS terms (the ohmic
    PS currents: 150 MB of text each) instead of printing it, with its size and the way
    to get it; --canonical prints it; the compact forms follow as usual."""
    import cgsym.report as report
    monkeypatch.setattr(report, "PRINT_TERMS", 10)
    args = ["derive", "two-qubits-two-baths", "--regime", "partial-secular",
            "--weak-internal", "--no-cache"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "J_h = (not printed: J_h has " in out and "`--canonical` prints it)" in out
    assert "(not printed: rho has " in out
    assert "Compact forms" in out and "Gamma_h" in out
    assert main(args + ["--canonical"]) == 0
    out = capsys.readouterr().out
    assert "not printed" not in out and "J_h = -4*Omega**2" in out
