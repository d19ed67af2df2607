"""Models with complex matrices: an sy coupling, or an sy term in H_S.

Until the adjoint learned that every atom of a derived matrix but i is real
(``Model.adjoint_mode``), SymPy's conjugate left conjugate(sqrt(-w + sqrt(eps**2 +
w**2))) unevaluated and these models died with "internal error: the Liouvillian does
not preserve Hermiticity".  Checked two ways: the Gibbs state for one reservoir in
the secular regime (an invariant), and the independent numeric pipeline in every
regime (an oracle).
"""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

import cgsym
from cgsym.numerics import lambdify_expr, numeric_pipeline

TEMPLATE = """
name = "{name}"
description = "qubit, slow tilt, complex matrices"
hamiltonian = "{h}"

[parameters]
w = "frequency"
eps = "slow"
gamma = "rate"
T = "temperature"

[[subsystems]]
name = "q"
levels = ["e", "g"]

[[reservoirs]]
name = "b"
coupling = "{x}"
temperature = "T"
"""

MODELS = {
    "sy-coupling": ("w/2*sz(q) + eps/2*sx(q)", "sy(q)"),
    "sy-in-hamiltonian": ("w/2*sz(q) + eps/2*sy(q)", "sx(q)"),
    # orthogonal to H_S's axis (0, eps, w), so no zero-frequency component
    "both-complex": ("w/2*sz(q) + eps/2*sy(q)", "sx(q) + (w*sy(q) - eps*sz(q))/3"),
}
POINT = dict(w=1.1341, eps=0.0437, gamma=0.0123, T=0.83)


def _model(key):
    h, x = MODELS[key]
    return cgsym.model_from_toml(TEMPLATE.format(name=key, h=h, x=x))


#: both-complex takes ~6 s a case: its Gibbs check stays in the default run, the rest -m slow
PIPELINE_KEYS = ["sy-coupling", "sy-in-hamiltonian",
                 pytest.param("both-complex", marks=pytest.mark.slow)]


@pytest.mark.parametrize("key", PIPELINE_KEYS)
@pytest.mark.parametrize("regime", ["secular", "partial-secular"])
@pytest.mark.parametrize("weak", [False, True])
def test_complex_model_derives_and_agrees_with_the_numeric_pipeline(key, regime, weak):
    model = _model(key)
    assert model.adjoint_mode == "flip-i"
    d = cgsym.derive(model, regime, weak)
    rho = lambdify_expr(d.steady_state.matrix, model)(POINT)
    ref = numeric_pipeline(model, POINT, regime, weak)
    assert np.allclose(rho, ref.steady_state, rtol=0, atol=1e-12)
    assert abs(np.trace(rho) - 1) < 1e-13 and np.allclose(rho, rho.conj().T, atol=1e-15)
    L = sp.Matrix(d.master_equation.liouvillian())
    # trace preservation, exactly: sum over the diagonal rows of L vanishes
    dim = model.dim
    assert all(sp.expand(sum(L[i * dim + i, c] for i in range(dim))) == 0 for c in range(L.cols))


@pytest.mark.parametrize("key", sorted(MODELS))
def test_one_reservoir_secular_state_is_gibbs(key):
    model = _model(key)
    d = cgsym.derive(model, "secular", False)
    rho = lambdify_expr(d.steady_state.matrix, model)(POINT)
    H = np.array(sp.Matrix(model.hamiltonian).subs(
        {p.symbol: POINT[p.name] for p in model.parameters}), dtype=complex)
    E, V = np.linalg.eigh(H)
    gibbs = V @ np.diag(np.exp(-E / POINT["T"])) @ V.conj().T
    gibbs /= np.trace(gibbs)
    assert np.allclose(rho, gibbs, rtol=0, atol=1e-13)
    assert d.heat_currents.current("b") == 0
