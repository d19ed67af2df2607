"""The exact common-denominator representation (issue 13).

* Nothing changed: the closed forms of every shipped model (rho_ss and every J_p) are
  the expressions that main gave before ``cgsym.arith.rational_form`` existed
  (``tests/cases/closed_forms``, written by ``tests/cases/generate_closed_forms.py``),
  structurally identical or with an exact difference of zero.
* ``RationalForm.evaluate`` (exact evaluation of the flint polynomials) agrees with
  the lambdified SymPy closed form and with the independent numeric pipeline at odd
  points, with sum_p J_p = 0; the SymPy expressions are built lazily; a form pickles.
"""
from __future__ import annotations

import gzip
import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import cgsym
from cgsym.arith.flintalg import tidy_flint
from cgsym.numerics import lambdify_expr
from cgsym.arith.rational_form import RationalForm, evaluate_steady_state

from conftest import (REGIMES, assert_currents_close, current_scale, SHIPPED, SLOW_CASES, FORM_EVALUATED_CASES, case_id, derivation,
                      numeric, point)

GOLDEN = Path(__file__).resolve().parent / "cases" / "closed_forms"
#: golden files above this size (uncompressed srepr) are compared under -m slow only
LARGE = 60_000


def _namespace():
    ns = {k: getattr(sp, k) for k in dir(sp) if not k.startswith("_")}
    ns["n"] = cgsym.n
    return ns


def _load(path):
    return json.loads(gzip.decompress(path.read_bytes()))


def _same(new, old) -> bool:
    if new == old:
        return True
    return tidy_flint(sp.sympify(new) - old) == 0


def _golden_cases():
    out = []
    for name in SHIPPED:
        for regime in REGIMES:
            for weak in (False, True):
                key = (name, regime, weak)
                if key in FORM_EVALUATED_CASES:     # no golden SymPy trees of it
                    continue
                path = GOLDEN / f"{case_id(*key)}.json.gz"
                if not path.exists():
                    continue
                big = key in SLOW_CASES or len(gzip.decompress(path.read_bytes())) > LARGE
                out.append(pytest.param(key, path, id=case_id(*key),
                                        marks=[pytest.mark.slow] if big else []))
    return out


def test_every_fast_case_has_a_golden_file():
    for name in SHIPPED:
        for regime in REGIMES:
            for weak in (False, True):
                key = (name, regime, weak)
                if key not in FORM_EVALUATED_CASES and key not in SLOW_CASES:
                    assert (GOLDEN / f"{case_id(*key)}.json.gz").exists(), key


@pytest.mark.parametrize("key,path", _golden_cases())
def test_closed_forms_unchanged(key, path):
    doc = _load(path)
    ns = _namespace()
    d = derivation(*key)
    ss = d.steady_state
    assert ss.kernel_dimension == doc["kernel_dimension"]
    if doc["matrix"] is None:
        assert ss.matrix is None
        return
    old = sp.Matrix([[eval(x, ns) for x in row] for row in doc["matrix"]])  # noqa: S307
    for a, b in zip(ss.matrix, old):
        assert _same(a, b), (key, a, b)
    for p, J in d.heat_currents.currents:
        assert _same(J, eval(doc["currents"][p], ns)), (key, p)  # noqa: S307


FAST = [("two-qubits-two-baths", "partial-secular", True),
        ("two-qubits-two-baths", "secular", False),
        ("tunnelling-qubit", "secular", False),
        ("v-type-three-level", "partial-secular", True)]


@pytest.mark.parametrize("key", FAST, ids=[case_id(*k) for k in FAST])
@pytest.mark.parametrize("k", [0, 1])
def test_evaluate_from_the_form(key, k):
    d = derivation(*key)
    m = d.model
    vals = point(m, k)
    ss, hc = d.steady_state, d.heat_currents
    assert isinstance(ss.form, RationalForm)
    coords = ss.form.evaluate(vals)
    # against the lambdified SymPy closed form of each coordinate
    for c, x in zip(ss.form.labels, coords):
        k_ = ss.form.index(c)
        ref = float(np.real(lambdify_expr(ss.form.expression(k_), m)(vals)))
        assert abs(x - ref) <= 1e-12 * max(1.0, abs(ref)), (c, x, ref)
    J = {p: f.evaluate(vals)[0] for p, f in hc.forms}
    num = numeric(*key, k)
    scale = current_scale(num)
    assert_currents_close(J, num.heat_currents, scale, what=case_id(*key))
    assert abs(sum(J.values())) <= 1e-12 * scale       # first law at steady state
    sigma = -sum(J[p] / vals[m.reservoir(p).temperature.name] for p in J
                 if m.reservoir(p).temperature.is_Symbol)
    assert sigma >= -1e-15                              # second law


def test_sympy_built_lazily_and_pickles():
    d = cgsym.derive("two-qubits-two-baths", "partial-secular", True)
    ss, hc = d.steady_state, d.heat_currents
    assert "matrix" not in ss.__dict__ and "currents" not in hc.__dict__
    J_h = hc.current("h")                       # one current, without the others
    assert "currents" not in hc.__dict__
    f = pickle.loads(pickle.dumps(hc.form("h")))
    assert f.expression(0) == J_h
    vals = point(d.model, 0)
    assert f.evaluate(vals) == hc.form("h").evaluate(vals)
    assert ss.matrix.shape == (4, 4) and "matrix" in ss.__dict__
    assert ss.form.term_count() > 0 and len(ss.form) == len(ss.form.labels)
    with pytest.raises(AttributeError):
        ss.form.den = None


@pytest.mark.slow
@pytest.mark.parametrize("key", sorted(FORM_EVALUATED_CASES),
                         ids=[case_id(*k) for k in sorted(FORM_EVALUATED_CASES)])
def test_form_of_a_case_without_sympy_trees(key):
    """The cases whose SymPy trees are never built (conftest.FORM_EVALUATED_CASES: the
    ohmic tunnelling qubit's 1.2M-term steady state), from their forms alone: the trace
    is 1 identically (sum of the population numerators = the denominator, in flint) and
    exactly at the odd points; rho_ss and J_p agree with the numeric pipeline; sum_p
    J_p = 0; heat flows from the hotter reservoir, sigma > 0; 60-digit atoms change
    nothing at 1e-13."""
    d = derivation(*key)
    m, ss, hc = d.model, d.steady_state, d.heat_currents
    f = ss.form
    pops = [k for k, lab in enumerate(f.labels) if lab[0] == "p"]
    assert len(pops) == m.dim
    total = f.nums[pops[0]]
    for k in pops[1:]:
        total += f.nums[k]
    assert total == f.den                                     # Tr rho = 1 identically
    for k in (0, 1):
        vals = point(m, k)
        exact = f.evaluate_exact(vals)
        assert sum(exact[i] for i in pops) == 1                   # exactly, over QQ
        num = numeric(*key, k)
        rho = np.array(evaluate_steady_state(ss, vals), dtype=complex)
        ref = np.asarray(num.steady_state, dtype=complex)
        assert np.max(np.abs(rho - ref)) <= 1e-9 * np.max(np.abs(ref))
        J = {p: g.evaluate(vals)[0] for p, g in hc.forms}
        scale = current_scale(num)
        assert_currents_close(J, num.heat_currents, scale, what=case_id(*key))
        assert abs(sum(J.values())) <= 1e-12 * scale              # first law
        T = {r.name: vals[r.temperature.name] for r in m.reservoirs}
        hot, cold = max(T, key=T.get), min(T, key=T.get)
        assert T[hot] > T[cold] and J[hot] > 0 > J[cold], (T, J)  # hot -> cold
        assert -sum(J[p] / T[p] for p in J) > 0                   # second law
        fine = {p: g.evaluate(vals, dps=60)[0] for p, g in hc.forms}
        assert all(abs(fine[p] - J[p]) <= 1e-13 * abs(J[p]) for p in J)
