"""The steady state and heat currents in named rates (cgsym.structured, issues 12/13).

The structured form is checked exactly against the canonical closed form on small
models (every value: the definitions substituted, difference cancelled to 0 in
python-flint), on a model that is not in the paper, and against invariants.
"""
import pytest
import sympy as sp

import cgsym
from cgsym import structured
from cgsym.master_equation import master_equation
from cgsym.rates import rates
from cgsym.spectrum import eigenoperators


def _structured(model, regime):
    me = master_equation(rates(eigenoperators(cgsym.load_model(model)), regime, False))
    ss = structured.structured_steady_state(me, ())
    assert ss is not None
    return ss, structured.structured_heat_currents(ss)


def _check_all(form_s, pairs):
    """Each (structured value k, canonical form, canonical value kc) equal, exactly:
    the definitions substituted in python-flint, cross-multiplied, difference 0."""
    done = {}
    for k, fc, kc in pairs:
        ring = fc.ring
        fwd = {a: g for g, a in fc.back.items()}
        f, idx = form_s, k
        key = (id(f), id(ring))
        if key not in done:
            done[key] = structured.substitute(f, f.den, ring, fwd)
        n2, d2 = done[key]
        assert not n2.is_zero()
        n1, d1 = structured.substitute(f, f.nums[idx], ring, fwd)
        # value = (n1/d1) / (n2/d2) = canonical num/den
        if d1 == d2:
            if len(n1) * len(fc.den) > 10**7:     # cancel first (large substituted forms)
                g = n1.gcd(n2)
                n1, n2 = n1 // g, n2 // g
            assert n1 * fc.den - fc.nums[kc] * n2 == 0
        else:
            assert n1 * d2 * fc.den - fc.nums[kc] * d1 * n2 == 0


CASES = [
    ("two-qubits-two-baths", "secular"),
    pytest.param("two-qubits-two-baths", "partial-secular", marks=pytest.mark.slow),
    ("tests/cases/three-baths-v.toml", "secular"),
]


@pytest.mark.parametrize("model,regime", CASES)
def test_structured_equals_canonical(model, regime):
    d = cgsym.derive(model, regime, weak_internal=False)
    ss, hc = _structured(model, regime)
    fs, fc = ss.form, d.steady_state.form
    assert isinstance(fs, structured.StructuredForm) and not structured.is_structured(fc)
    # every nonzero coordinate of rho, and no other
    assert set(fs.labels) == {lab for lab, p in zip(fc.labels, fc.nums) if not p.is_zero()}
    _check_all(fs, [(k, fc, fc.index(lab)) for k, lab in enumerate(fs.labels)])
    forms = dict(hc.forms)
    for p, f in forms.items():
        _check_all(f, [(0, d.heat_currents.form(p), 0)])
    # the rates are named, not the atoms: each generator of a rate is a named symbol
    assert fs.definitions and all(s.name[0] in "GWKV" for s in fs.definitions)


@pytest.mark.parametrize("regime", ["secular", "partial-secular"])
def test_structured_invariants_three_baths(regime):
    """Not a paper model (three reservoirs): trace 1, sum_p J_p = 0 and the entropy
    production sigma = -sum J_p/T_p >= 0 at an odd point, from the structured form;
    J agrees with the independent numeric pipeline."""
    from cgsym.numerics import numeric_pipeline
    model = cgsym.load_model("tests/cases/three-baths-v.toml")
    ss, hc = _structured(model, regime)
    pt = {}
    for i, p in enumerate(model.parameters):
        pt[p.name] = {"frequency": 1.1341 + 0.31 * i, "rate": 0.0123 + 0.004 * i,
                      "temperature": 0.4321 + 0.29 * i}.get(p.role, 0.0432 + 0.01 * i)
    rho = [x for lab, x in zip(ss.form.labels, ss.form.evaluate(pt)) if lab[0] == "p"]
    assert abs(sum(rho) - 1) < 1e-14
    J = {p: f.evaluate(pt)[0] for p, f in hc.forms}
    scale = max(abs(v) for v in J.values())
    assert abs(sum(J.values())) < 1e-12 * scale
    T = {r.name: pt[r.temperature.name] for r in model.reservoirs}
    assert -sum(J[p] / T[p] for p in J) >= 0
    ref = numeric_pipeline(model, pt, regime, False).heat_currents
    assert all(abs(J[p] - float(ref[p])) <= 1e-9 * scale for p in J)


def test_route_keeps_shipped_models():
    """The cheap test sends no shipped model to the structured route."""
    d = cgsym.derive("two-qubits-two-baths", "partial-secular", weak_internal=False)
    assert not structured.is_structured(d.steady_state.form)


def test_derive_prints_named_rates(monkeypatch):
    """With the route forced on a small model, derive's text and JSON give the results in
    named rates together with every definition (each readable by sympify), and the
    values are unchanged."""
    import json
    monkeypatch.setattr(structured, "OCCUPATIONS_FROM", 1)
    monkeypatch.setattr(structured, "EXPANDED_LIMIT", 0)
    d = cgsym.derive("two-qubits-two-baths", "secular", weak_internal=False)
    assert structured.is_structured(d.steady_state.form)
    text = str(d)
    assert "where (eigenstates numbered 1 = " in text
    doc = json.loads(json.dumps(d.to_json()))
    defs = doc["compact"]["abbreviations"]
    assert defs and all(name in text for name in defs)
    loc = dict(d.model.sympify_locals)
    for name, e in defs.items():      # in order: a definition uses the earlier names
        assert sp.sympify(e, locals=loc).free_symbols
        loc[name] = sp.Symbol(name, real=True)
    monkeypatch.setattr(structured, "OCCUPATIONS_FROM", 99)
    ref = cgsym.derive("two-qubits-two-baths", "secular", weak_internal=False)
    pt = {"omega_S": 1.1341, "Omega": 0.0432, "gamma_h": 0.0123, "gamma_c": 0.0217,
          "T_h": 2.718, "T_c": 0.4321}
    a, b = d.heat_currents.evaluate(**pt), ref.heat_currents.evaluate(**pt)
    assert all(abs(a[p] - b[p]) <= 1e-13 * abs(b[p]) for p in a)
    # the derivation cache pickles it: same definitions, same numbers
    import pickle
    back = pickle.loads(pickle.dumps(d))
    assert back.steady_state.form.definitions == d.steady_state.form.definitions
    assert back.heat_currents.evaluate(**pt) == a


REFRIGERATOR = "tests/benchmarks/models/three-qubit-refrigerator.toml"


@pytest.mark.slow
def test_refrigerator_without_weak_limit():
    """Issue 13: the three-qubit absorption refrigerator without the weak-internal limit.
    Secular: the steady state in named rates (tree sums), J against the independent
    numeric pipeline to 1e-9 relative at two odd points, sum_p J_p = 0, sigma >= 0.
    Partial secular: refused in one clear line (the form in named rates needs 2.1M
    spanning trees), never a hang."""
    from cgsym.errors import CgsymError
    from cgsym.numerics import numeric_pipeline
    d = cgsym.derive(REFRIGERATOR, "secular", weak_internal=False)
    assert structured.is_structured(d.steady_state.form)
    T = {"c": "T_c", "r": "T_r", "h": "T_h"}
    for pt in ({"omega_c": 1.1341, "omega_h": 2.3417, "g": 0.0432, "gamma_c": 0.0123,
                "gamma_r": 0.0217, "gamma_h": 0.0157, "T_c": 0.4321, "T_r": 0.9876,
                "T_h": 2.718},
               {"omega_c": 0.8713, "omega_h": 1.9271, "g": 0.0217, "gamma_c": 0.0311,
                "gamma_r": 0.0093, "gamma_h": 0.0177, "T_c": 0.3917, "T_r": 1.2113,
                "T_h": 3.1415}):
        J = d.heat_currents.evaluate(**pt)
        ref = numeric_pipeline(d.model, pt, "secular", False).heat_currents
        scale = max(abs(v) for v in J.values())
        assert all(abs(J[p] - float(ref[p])) <= 1e-9 * scale for p in J)
        assert abs(sum(J.values())) <= 1e-12 * scale
        assert -sum(J[p] / pt[T[p]] for p in J) >= 0
        rho = d.steady_state.evaluate(**pt)
        assert abs(sum(rho[i, i] for i in range(8)) - 1) < 1e-14
    with pytest.raises(CgsymError, match="too large to build"):
        cgsym.derive(REFRIGERATOR, "partial-secular", weak_internal=False)
