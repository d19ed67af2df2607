"""Tests of the independent numeric pipeline (cgsym.numerics).

Three kinds of truth, in this order: invariants at any parameter point (trace
and Hermiticity preservation, eigenoperator algebra, positivity, first and
second law, Gibbs fixed point); independent results (QuTiP oracle, the local
master equation, a thermal qubit); the paper's printed equations (Eqs. 94, 96,
99, 104, 106-108, 115-118, 126, 139-140, 144-145).  Odd parameter values so
that cancellations do not hide.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from cgsym.errors import CgsymError
from cgsym.model import load_model, model_from_dict, shipped_models
from cgsym.numerics import (
    dissipator_superoperator,
    eigenoperators,
    evaluate_model,
    kernel_dimension,
    lambdify_expr,
    numeric_pipeline,
    steady_state,
    transition_rate,
    unvec,
    vec,
)
from cgsym.symbols import OMEGA, n

try:
    from qutip_oracle import oracle
except ImportError:  # tests/ turned into a package
    from tests.qutip_oracle import oracle

VALUES = {
    "two-qubits-one-bath": dict(omega_S=1.1341, Omega=0.0432, gamma=0.0123, T=0.4321),
    "two-qubits-two-baths": dict(omega_S=1.1341, Omega=0.0432, gamma_h=0.0123,
                                 gamma_c=0.0217, T_h=0.9876, T_c=0.4321),
    "tunnelling-qubit": dict(omega_S=1.1341, Omega=0.0432, gamma=0.0123, T_l=0.9876,
                             T_r=0.4321),
    "v-type-three-level": dict(omega_S=1.1341, Delta=0.0612, gamma=0.0123, omega_c=5.3,
                               T=0.4321),
    "detuned-qubits": dict(omega_S=1.1341, delta=0.0517, g=0.0391, gamma_h=0.0123,
                           gamma_c=0.0217, T_h=0.9876, T_c=0.4321),
    "tunnelling-qubit-ohmic": dict(omega_S=1.1341, Omega=0.0432, gamma=0.0123, omega_c=5.3,
                                   T_l=0.9876, T_r=0.4321),
    "two-qubits-drude-lorentz": dict(omega_S=1.1341, Omega=0.0432, lam=0.0123, gamma_c=2.3,
                                     T_h=0.9876, T_c=0.4321),
}
MODELS = tuple(VALUES)
REGIMES = ("secular", "partial-secular")
CASES = [(m, r, w) for m in MODELS for r in REGIMES for w in (False, True)]
CASE_IDS = [f"{m}-{r}-{'weak' if w else 'full'}" for m, r, w in CASES]
FLAT_RATE_MODELS = ("two-qubits-one-bath", "two-qubits-two-baths", "tunnelling-qubit",
                    "detuned-qubits")
TWO_BATH_MODELS = ("two-qubits-two-baths", "tunnelling-qubit", "detuned-qubits")


def nbose(w, T):
    return 1.0 / math.expm1(w / T)


@lru_cache(maxsize=None)
def run(name, regime, weak):
    return numeric_pipeline(name, VALUES[name], regime, weak)


@lru_cache(maxsize=None)
def run_oracle(name, regime, weak):
    return oracle(load_model(name), VALUES[name], regime, weak)


def apply(L, X):
    return unvec(L @ vec(X), X.shape[0])


def superop_of(f, d):
    """Matrix of a linear map on d x d matrices, built column by column (no kron)."""
    S = np.zeros((d * d, d * d), dtype=complex)
    for k in range(d * d):
        E = np.zeros(d * d, dtype=complex)
        E[k] = 1
        S[:, k] = vec(f(unvec(E, d)))
    return S


def lindblad(L):
    """D[L] rho = L rho L^dag - 1/2 {L^dag L, rho}, as a superoperator matrix."""
    LdL = L.conj().T @ L
    return superop_of(lambda r: L @ r @ L.conj().T - 0.5 * (LdL @ r + r @ LdL), L.shape[0])


def random_matrix(d, seed):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))


def test_all_shipped_models_covered():
    assert set(MODELS) == set(shipped_models())


# ---------------------------------------------------------------------------
# invariants, every shipped model, both regimes, with and without weak_internal
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", MODELS)
def test_eigenoperator_algebra(name):
    """sum_m X_m = X, [H, X_m] = omega_m X_m, X_{-m} = X_m^dag (paper Eqs. 42-43)."""
    r = run(name, "secular", False)
    nm = evaluate_model(load_model(name), VALUES[name])
    H = r.hamiltonian
    scale = np.linalg.norm(H, 2)
    for p, ops in r.eigenoperators.items():
        X = nm.couplings[p]
        w = np.array(r.frequencies[p])
        assert np.all(np.diff(w) > 0)
        assert np.array_equal(w, -w[::-1])  # exactly antisymmetric
        assert np.allclose(sum(ops), X, atol=1e-12)
        for wm, Xm, Xminus in zip(w, ops, ops[::-1]):
            assert np.linalg.norm(Xm) > 1e-6
            assert np.allclose(H @ Xm - Xm @ H, wm * Xm, atol=1e-12 * scale)
            assert np.allclose(Xminus, Xm.conj().T, atol=1e-14)


@pytest.mark.parametrize("name,regime,weak", CASES, ids=CASE_IDS)
def test_trace_and_hermiticity_preservation(name, regime, weak):
    r = run(name, regime, weak)
    d = r.dim
    one = vec(np.eye(d))
    for S in [r.liouvillian, *r.dissipators.values()]:
        assert np.abs(one.conj() @ S).max() < 1e-14  # 1^T L = 0
        for seed in (1, 2):
            A = random_matrix(d, seed)
            assert np.allclose(apply(S, A.conj().T), apply(S, A).conj().T, atol=1e-14)
    assert np.allclose(r.liouvillian, sum(r.dissipators.values())
                       - 1j * (np.kron(np.eye(d), r.hamiltonian)
                               - np.kron(r.hamiltonian.T, np.eye(d))), atol=1e-15)


@pytest.mark.parametrize("name,regime,weak", CASES, ids=CASE_IDS)
def test_steady_state_is_a_state(name, regime, weak):
    r = run(name, regime, weak)
    rho = r.steady_state
    assert r.kernel_dimension == 1
    assert np.allclose(rho, rho.conj().T, atol=0)
    assert abs(np.trace(rho) - 1) < 1e-14
    assert np.linalg.eigvalsh(rho).min() > -1e-13
    assert np.abs(r.liouvillian @ vec(rho)).max() < 1e-15
    assert np.allclose(steady_state(r.liouvillian), rho, atol=1e-13)


@pytest.mark.parametrize("name,regime,weak", CASES, ids=CASE_IDS)
def test_first_law(name, regime, weak):
    """sum_p J_p = 0 at steady state (energy conservation, Tr[H [H, rho]] = 0)."""
    r = run(name, regime, weak)
    J = r.heat_currents
    scale = np.linalg.norm(r.hamiltonian, 2) * sum(np.linalg.norm(D, 2)
                                                   for D in r.dissipators.values())
    assert abs(sum(J.values())) <= 1e-12 * max(sum(map(abs, J.values())), scale)


@pytest.mark.parametrize("name,regime,weak", CASES, ids=CASE_IDS)
def test_gamma_matrices_hermitian_and_psd(name, regime, weak):
    """gamma_mn Hermitian; positive semidefinite for flat rates (paper Eq. 61)."""
    r = run(name, regime, weak)
    for p, (freqs, G) in r.gamma.items():
        assert G.shape == (len(freqs), len(freqs))
        assert np.allclose(G, G.conj().T, atol=0)
        if name in FLAT_RATE_MODELS:
            assert np.linalg.eigvalsh(G).min() >= -1e-15 * np.abs(G).max()
        if regime == "secular":
            assert np.count_nonzero(G - np.diag(np.diag(G))) == 0


@pytest.mark.parametrize("name,regime,weak", CASES, ids=CASE_IDS)
def test_agrees_with_qutip_oracle(name, regime, weak):
    r, o = run(name, regime, weak), run_oracle(name, regime, weak)
    for p in r.frequencies:
        assert np.allclose(r.frequencies[p], o.frequencies[p], rtol=0, atol=1e-12)
        assert np.allclose(r.limit_frequencies[p], o.limits[p], rtol=0, atol=1e-12)
        assert np.allclose(r.gamma[p][1], o.gamma[p], rtol=1e-12, atol=1e-15)
        assert np.allclose(r.dissipators[p], o.dissipators[p], rtol=0, atol=1e-14)
    assert np.allclose(r.liouvillian, o.liouvillian, rtol=0, atol=1e-14)
    assert np.abs(r.steady_state - o.steady_state).max() <= 1e-9 * np.abs(o.steady_state).max()
    # relative 1e-9; plus rounding level for the one-reservoir models, where J = 0
    tol = (1e-9 * max(map(abs, o.heat_currents.values()))
           + 1e-14 * np.linalg.norm(r.hamiltonian, 2)
           * sum(np.linalg.norm(D, 2) for D in r.dissipators.values()))
    for p, J in r.heat_currents.items():
        assert abs(J - o.heat_currents[p]) <= tol


@pytest.mark.parametrize("name", MODELS)
def test_gibbs_state_for_one_temperature_secular(name):
    """All reservoirs at one T, secular: rho_ss = exp(-H_S/T)/Z (paper Eqs. 54, 98, 134)."""
    model = load_model(name)
    T = 0.6789
    vals = dict(VALUES[name])
    for p in model.parameters:
        if p.role == "temperature":
            vals[p.name] = T
    r = numeric_pipeline(model, vals, "secular")
    E, V = r.energies, r.eigenvectors
    gibbs = V @ np.diag(np.exp(-(E - E.min()) / T)) @ V.conj().T
    gibbs /= np.trace(gibbs)
    assert np.abs(r.steady_state - gibbs).max() < 1e-12
    assert all(abs(J) < 1e-16 for J in r.heat_currents.values())


@pytest.mark.parametrize("name", TWO_BATH_MODELS)
@pytest.mark.parametrize("weak", (False, True))
def test_heat_flows_from_hot_to_cold_secular(name, weak):
    r = run(name, "secular", weak)
    T = evaluate_model(load_model(name), VALUES[name]).temperatures
    hot, cold = sorted(T, key=T.get, reverse=True)
    assert r.heat_currents[hot] > 0 > r.heat_currents[cold]


@settings(max_examples=25, deadline=None)
@given(wS=st.floats(0.5, 3.0), ratio=st.floats(0.005, 0.2), gh=st.floats(1e-3, 0.1),
       gc=st.floats(1e-3, 0.1), Th=st.floats(0.1, 5.0), Tc=st.floats(0.1, 5.0),
       regime=st.sampled_from(REGIMES), weak=st.booleans())
def test_laws_property(wS, ratio, gh, gc, Th, Tc, regime, weak):
    """First law everywhere; second law (Spohn) in the secular regime."""
    vals = dict(omega_S=wS, Omega=ratio * wS, gamma_h=gh, gamma_c=gc, T_h=Th, T_c=Tc)
    r = numeric_pipeline("two-qubits-two-baths", vals, regime, weak)
    J = r.heat_currents
    scale = np.linalg.norm(r.hamiltonian, 2) * (gh + gc) * 4
    assert abs(J["h"] + J["c"]) < 1e-12 * scale
    assert np.linalg.eigvalsh(r.steady_state).min() > -1e-12
    if regime == "secular" and not weak:
        # each D_p has exp(-H/T_p) as fixed point -> entropy production >= 0
        assert -(J["h"] / Th + J["c"] / Tc) >= -1e-12 * scale / min(Th, Tc)


# ---------------------------------------------------------------------------
# spectra and clusters (paper Eqs. 94, 126)
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", ("two-qubits-one-bath", "two-qubits-two-baths"))
def test_two_qubit_bohr_frequencies_eq94(name):
    v = VALUES[name]
    wS, Om = v["omega_S"], v["Omega"]
    r = run(name, "partial-secular", False)
    expect = [-(wS + Om), -(wS - Om), wS - Om, wS + Om]
    for p in r.frequencies:
        assert np.allclose(r.frequencies[p], expect, rtol=0, atol=1e-13)
        assert np.allclose(r.limit_frequencies[p], [-wS, -wS, wS, wS], rtol=0, atol=1e-13)
        assert r.clusters[p] == ((0, 1), (2, 3))


def test_two_qubit_eigenoperators_eq95():
    """X_n = (1 kron sigma_2+ - (-1)^n sigma_1+ kron sigma_2z)/2, n = 1, 2 (paper Eq. 95)."""
    r = run("two-qubits-one-bath", "secular", False)
    sp_, sz, I = np.array([[0, 1], [0, 0]]), np.diag([1, -1]), np.eye(2)
    X1, X2 = r.eigenoperators["b"][2], r.eigenoperators["b"][3]
    for k, Xk in ((1, X1), (2, X2)):
        expect = (np.kron(I, sp_) - (-1) ** k * np.kron(sp_, sz)) / 2
        assert np.allclose(Xk, expect, atol=1e-14)


def test_tunnelling_bohr_frequencies_eq126():
    v = VALUES["tunnelling-qubit"]
    wS, Om = v["omega_S"], v["Omega"]
    r = run("tunnelling-qubit", "secular", False)
    expect = [-(wS + Om), -wS, -(wS - Om), wS - Om, wS, wS + Om]
    for p in ("l", "r"):
        assert np.allclose(r.frequencies[p], expect, rtol=0, atol=1e-13)
        assert r.clusters[p] == ((0, 1, 2), (3, 4, 5))
        assert np.allclose(r.limit_frequencies[p], [-wS] * 3 + [wS] * 3, atol=1e-13)


def test_detuned_and_v_type_frequencies():
    v = VALUES["detuned-qubits"]
    wS, dl, g = v["omega_S"], v["delta"], v["g"]
    rr = math.sqrt(dl ** 2 / 4 + g ** 2)
    r = run("detuned-qubits", "secular", False)
    for p in ("h", "c"):
        c = wS + dl / 2
        assert np.allclose(r.frequencies[p], [-c - rr, -c + rr, c - rr, c + rr], atol=1e-13)
        assert r.clusters[p] == ((0, 1), (2, 3))
    v = VALUES["v-type-three-level"]
    wS, D = v["omega_S"], v["Delta"]
    r = run("v-type-three-level", "secular", False)
    assert np.allclose(r.frequencies["b"], [-wS - D / 2, -wS + D / 2, wS - D / 2, wS + D / 2],
                       atol=1e-13)
    assert r.clusters["b"] == ((0, 1), (2, 3))


# ---------------------------------------------------------------------------
# rate matrices and steady states printed in the paper
# ---------------------------------------------------------------------------
def test_gamma_matrices_eq96_eq104():
    v = VALUES["two-qubits-one-bath"]
    wS, Om, g, T = v["omega_S"], v["Omega"], v["gamma"], v["T"]
    npl, nmi, n0 = nbose(wS + Om, T), nbose(wS - Om, T), nbose(wS, T)
    # rows/columns ordered -2, -1, 1, 2 (ascending frequency), as printed
    eq96 = g * np.diag([npl + 1, nmi + 1, nmi, npl])
    eq104 = g * np.array([[npl + 1, n0 + 1, 0, 0], [n0 + 1, nmi + 1, 0, 0],
                          [0, 0, nmi, n0], [0, 0, n0, npl]])
    assert np.allclose(run("two-qubits-one-bath", "secular", False).gamma["b"][1], eq96,
                       rtol=1e-13, atol=0)
    assert np.allclose(run("two-qubits-one-bath", "partial-secular", False).gamma["b"][1],
                       eq104, rtol=1e-13, atol=0)
    # weak_internal: every argument -> omega_S (the n_pm -> n approximation)
    assert np.allclose(run("two-qubits-one-bath", "partial-secular", True).gamma["b"][1],
                       g * np.array([[n0 + 1, n0 + 1, 0, 0], [n0 + 1, n0 + 1, 0, 0],
                                     [0, 0, n0, n0], [0, 0, n0, n0]]), rtol=1e-13)


def test_partial_secular_gamma_needs_flat_rate_for_positivity():
    """Paper Eq. (61) proves gamma >= 0 for a flat rate only.

    With the Ohmic rate of v-type-three-level, the 2 x 2 block of a cluster
    {omega_a, omega_b} has determinant Gamma(omega_a) Gamma(omega_b) -
    Gamma((omega_a + omega_b)/2)^2 < 0 when log Gamma is concave there (here at
    T < omega_S): the partial secular generator is then not of Lindblad form.
    With weak_internal every block is rank one and positivity returns.
    """
    G = run("v-type-three-level", "partial-secular", False).gamma["b"][1]
    ev = np.linalg.eigvalsh(G)
    assert ev.min() < -1e-5 * ev.max()  # -3.5e-7 vs 4.6e-3
    Gw = run("v-type-three-level", "partial-secular", True).gamma["b"][1]
    assert np.linalg.eigvalsh(Gw).min() >= -1e-15 * np.abs(Gw).max()


def test_partition_function_eq99():
    r = numeric_pipeline("two-qubits-one-bath", VALUES["two-qubits-one-bath"], "secular")
    v = VALUES["two-qubits-one-bath"]
    T = v["T"]
    Z = 2 * (math.cosh(v["omega_S"] / T) + math.cosh(v["Omega"] / T))
    assert math.isclose(np.sum(np.exp(-r.energies / T)), Z, rel_tol=1e-13)
    gibbs = r.eigenvectors @ np.diag(np.exp(-r.energies / T) / Z) @ r.eigenvectors.conj().T
    assert np.allclose(r.steady_state, gibbs, atol=1e-13)


def _two_qubit_energy_basis():
    s = 1 / math.sqrt(2)  # columns |u>, |+>, |->, |l> of paper Eq. (92), basis ee, eg, ge, gg
    return np.array([[1, 0, 0, 0], [0, s, s, 0], [0, s, -s, 0], [0, 0, 0, 1]])


def test_partial_secular_steady_state_eq106_108():
    v = VALUES["two-qubits-one-bath"]
    wS, Om, g, T = v["omega_S"], v["Omega"], v["gamma"], v["T"]
    U = _two_qubit_energy_basis()
    rho = U.T @ run("two-qubits-one-bath", "partial-secular", False).steady_state @ U
    n0, npl, nmi = nbose(wS, T), nbose(wS + Om, T), nbose(wS - Om, T)
    Z = 2 * (math.cosh(wS / T) + math.cosh(Om / T))
    S, den = npl + nmi + 1, (2 * nmi + 1) * (2 * npl + 1)
    R = 16 * Om ** 2 / (S * g ** 2) + S
    p0 = (1 - (2 * n0 + 1) * S / den) / (R - (2 * n0 + 1) ** 2 * S / den)
    assert math.isclose(2 * rho[1, 2].real, p0, rel_tol=1e-9)                      # Eq. 107
    assert np.isclose(rho[1, 2] - rho[2, 1], -4j * Om / (S * g) * p0, rtol=1e-9)    # Eq. 108
    eq106 = [math.exp(-wS / T) / Z + p0 * (-1 / (4 * S) + (n0 + .5) * (npl + nmi + .5) / den),
             math.exp(-Om / T) / Z + p0 * (1 / (4 * S) + (n0 + .5) * (nmi - npl + .5) / den),
             math.exp(Om / T) / Z + p0 * (1 / (4 * S) + (n0 + .5) * (npl - nmi + .5) / den),
             math.exp(wS / T) / Z + p0 * (-1 / (4 * S) - (n0 + .5) * (npl + nmi + 1.5) / den)]
    assert np.allclose(np.diag(rho).real, eq106, rtol=1e-10, atol=0)
    off = rho.copy()
    off[1, 2] = off[2, 1] = 0
    assert np.abs(off - np.diag(np.diag(off))).max() < 1e-15  # only rho_{+-} survives


def test_gibbs_recovered_as_coupling_vanishes_eq62():
    """Partial secular, one bath: rho_ss -> Gibbs as gamma -> 0 (paper Eq. 62).

    The deviation is O(gamma): p_0 = 2 Re rho_{+-} ~ gamma^2 (Eq. 107), but
    Im rho_{+-} ~ (Omega/gamma) p_0 ~ gamma (Eq. 108).
    """
    v = dict(VALUES["two-qubits-one-bath"])
    devs = []
    for g in (1e-2, 1e-3):
        r = numeric_pipeline("two-qubits-one-bath", dict(v, gamma=g), "partial-secular")
        E, V = r.energies, r.eigenvectors
        gibbs = V @ np.diag(np.exp(-E / v["T"])) @ V.conj().T
        devs.append(np.abs(r.steady_state - gibbs / np.trace(gibbs)).max())
    assert 8 < devs[0] / devs[1] < 12


# ---------------------------------------------------------------------------
# weak_internal = the local master equations of the paper (Eqs. 110, 116, 142)
# ---------------------------------------------------------------------------
SP, SM, I2 = np.array([[0, 1], [0, 0]]), np.array([[0, 0], [1, 0]]), np.eye(2)  # levels (e, g)


def _local_dissipator(gamma, nh, L_down):
    return gamma * ((nh + 1) * lindblad(L_down) + nh * lindblad(L_down.conj().T))


def test_local_master_equation_two_baths_eq116():
    """D_h = gamma_h[(n_h+1) D[sigma_1-] + n_h D[sigma_1+]], n_h = n(omega_S, T_h); same for c.

    The paper's Eq. (116) prints n_c with qubit 1 and n_h with qubit 2 and one
    gamma; its text (and the model) put qubit 1 on the hot reservoir with gamma_h.
    """
    v = VALUES["two-qubits-two-baths"]
    r = run("two-qubits-two-baths", "partial-secular", True)
    nm = evaluate_model(load_model("two-qubits-two-baths"), v)
    for p, L_down in (("h", np.kron(SM, I2)), ("c", np.kron(I2, SM))):
        assert np.allclose(L_down + L_down.T, nm.couplings[p])  # X_p = sigma_x of its qubit
        D = _local_dissipator(v[f"gamma_{p}"], nbose(v["omega_S"], v[f"T_{p}"]), L_down)
        assert np.allclose(r.dissipators[p], D, atol=1e-15)
    # without weak_internal the dissipator is global: it differs at O(Omega/T)
    r_full = run("two-qubits-two-baths", "partial-secular", False)
    D = _local_dissipator(v["gamma_h"], nbose(v["omega_S"], v["T_h"]), np.kron(SM, I2))
    assert np.abs(r_full.dissipators["h"] - D).max() > 1e-6


def test_local_master_equation_one_bath_eq110():
    v = VALUES["two-qubits-one-bath"]
    r = run("two-qubits-one-bath", "partial-secular", True)
    D = _local_dissipator(v["gamma"], nbose(v["omega_S"], v["T"]), np.kron(I2, SM))
    assert np.allclose(r.dissipators["b"], D, atol=1e-15)


def test_local_master_equation_tunnelling_eq142():
    v = VALUES["tunnelling-qubit"]
    r = run("tunnelling-qubit", "partial-secular", True)
    for p, P in (("l", np.diag([1, 0])), ("r", np.diag([0, 1]))):
        D = _local_dissipator(v["gamma"], nbose(v["omega_S"], v[f"T_{p}"]), np.kron(SM, P))
        assert np.allclose(r.dissipators[p], D, atol=1e-15)


def test_secular_weak_internal_is_not_local_eq101():
    """Full secular + weak_internal (paper Eq. 101): jumps of both qubits, global.

    Eq. (101) as printed has every term with weight gamma (n + 1) or gamma n;
    from Eq. (97) with n_pm -> n the weights are half that: X_{1,2} =
    (a +- b)/2 with a = sigma_2+, b = sigma_1+ sigma_2z, and D[(a+b)/2] +
    D[(a-b)/2] = (D[a] + D[b])/2.  (Same steady state, rates off by 2; e.g. the
    decay |+> -> |l> is gamma (n + 1)/2 = gamma (n + 1) |<l|X_2^dag|+>|^2.)
    """
    v = VALUES["two-qubits-one-bath"]
    r = run("two-qubits-one-bath", "secular", True)
    n0, g = nbose(v["omega_S"], v["T"]), v["gamma"]
    sz = np.diag([1, -1])
    eq101 = (g * (n0 + 1) * lindblad(np.kron(I2, SM)) + g * n0 * lindblad(np.kron(I2, SP))
             + g * (n0 + 1) * lindblad(np.kron(SM, sz)) + g * n0 * lindblad(np.kron(SP, sz)))
    assert np.allclose(r.dissipators["b"], eq101 / 2, atol=1e-15)


# ---------------------------------------------------------------------------
# heat currents printed in the paper (J = Tr[H (D_1 - D_2) rho] = 2 J_1)
# ---------------------------------------------------------------------------
def test_heat_current_two_baths_eq115_eq118():
    v = VALUES["two-qubits-two-baths"]
    wS, Om, gh, gc = v["omega_S"], v["Omega"], v["gamma_h"], v["gamma_c"]
    nh, nc = nbose(wS, v["T_h"]), nbose(wS, v["T_c"])
    gbar = (gh + gc) / 2
    nbar = (gh * nh + gc * nc) / (2 * gbar)
    J115 = 2 * gc * gh * wS * (nh - nc) / ((gh + gc) * (2 * nbar + 1))
    J = {reg: run("two-qubits-two-baths", reg, True).heat_currents for reg in REGIMES}
    assert math.isclose(J["secular"]["h"] - J["secular"]["c"], J115, rel_tol=1e-12)
    # Eq. (118) as printed has an extra denominator term
    # 1/4 [(2n_h+1) gamma_h - (2n_c+1) gamma_c](gamma_h - gamma_c); the numeric
    # local master equation (Eq. 116, also checked against QuTiP) gives the same
    # expression without it.  The two agree for gamma_h = gamma_c.
    A = (2 * nc + 1) * (2 * nh + 1) * gh * gc
    extra = 0.25 * ((2 * nh + 1) * gh - (2 * nc + 1) * gc) * (gh - gc)
    Jps = J["partial-secular"]["h"] - J["partial-secular"]["c"]
    assert math.isclose(Jps, J115 * 4 * Om ** 2 / (A + 4 * Om ** 2), rel_tol=1e-12)
    assert not math.isclose(Jps, J115 * 4 * Om ** 2 / (A + extra + 4 * Om ** 2), rel_tol=1e-6)
    g = 0.0171
    ve = dict(v, gamma_h=g, gamma_c=g)
    Je = numeric_pipeline("two-qubits-two-baths", ve, "partial-secular", True).heat_currents
    J115e = g * wS * (nh - nc) / (nh + nc + 1)
    assert math.isclose(Je["h"] - Je["c"],
                        J115e * 4 * Om ** 2 / ((2 * nc + 1) * (2 * nh + 1) * g * g + 4 * Om ** 2),
                        rel_tol=1e-12)


@pytest.mark.parametrize("Omega,gamma", [(0.0432, 0.0123), (0.0132, 0.0223)])
def test_heat_current_tunnelling_eq139_140_144_145(Omega, gamma):
    v = dict(VALUES["tunnelling-qubit"], Omega=Omega, gamma=gamma)
    wS, Tl, Tr = v["omega_S"], v["T_l"], v["T_r"]
    s = 1 / math.sqrt(2)
    e, gr, pl, mi = np.array([1, 0]), np.array([0, 1]), np.array([s, s]), np.array([s, -s])
    k = {"e+": np.kron(e, pl), "e-": np.kron(e, mi), "g+": np.kron(gr, pl), "g-": np.kron(gr, mi)}
    dn = lambda w: nbose(w, Tl) - nbose(w, Tr)  # noqa: E731
    nbar = lambda w: (nbose(w, Tl) + nbose(w, Tr)) / 2  # noqa: E731  (undefined in the paper)
    for regime in REGIMES:
        r = numeric_pipeline("tunnelling-qubit", v, regime)
        rho = r.steady_state
        el = lambda a, b: k[a] @ rho @ k[b]  # noqa: E731
        J = r.heat_currents["l"] - r.heat_currents["r"]
        J139 = (gamma / 4 * ((wS + Omega) * dn(wS + Omega) + wS * dn(wS))
                * (el("g-", "g-") - el("e+", "e+")).real
                + gamma / 4 * (wS * dn(wS) + (wS - Omega) * dn(wS - Omega))
                * (el("g+", "g+") - el("e-", "e-")).real)
        if regime == "secular":
            assert math.isclose(J, J139, rel_tol=1e-11)
        else:
            a, b = wS + Omega / 2, wS - Omega / 2
            J144 = (J139 + gamma * (a * nbar(a) + b * nbar(b)) * el("g+", "g-").real
                    - gamma * (a * (nbar(a) + 1) + b * (nbar(b) + 1)) * el("e+", "e-").real)
            assert math.isclose(J, J144, rel_tol=1e-11)
    nl, nr = nbose(wS, Tl), nbose(wS, Tr)
    J140 = wS * gamma * (nl - nr) / (2 * (nl + nr + 1))
    Jw = {reg: numeric_pipeline("tunnelling-qubit", v, reg, True).heat_currents for reg in REGIMES}
    assert math.isclose(Jw["secular"]["l"] - Jw["secular"]["r"], J140, rel_tol=1e-12)
    Ot2 = 2 * Omega ** 2 / gamma ** 2  # the paper's tilde-Omega^2 (not defined there)
    J145 = J140 * Ot2 / (1 + (2 * nl + 1) * (2 * nr + 1) + Ot2)
    assert math.isclose(Jw["partial-secular"]["l"] - Jw["partial-secular"]["r"], J145,
                        rel_tol=1e-12)


# ---------------------------------------------------------------------------
# a thermal qubit (no slow parameters), as QuTiP's test_steadystate::test_qubit
# ---------------------------------------------------------------------------
QUBIT = {"name": "qubit", "hamiltonian": "w/2*sz(q)",
         "parameters": {"w": "frequency", "gamma": "rate", "T": "temperature"},
         "subsystems": [{"name": "q", "levels": ["e", "g"]}],
         "reservoirs": [{"name": "b", "coupling": "sx(q)", "temperature": "T"}]}


@pytest.mark.parametrize("regime", REGIMES)
def test_thermal_qubit(regime):
    w, g, T = 1.2345, 0.0321, 0.4567
    r = numeric_pipeline(model_from_dict(QUBIT), dict(w=w, gamma=g, T=T), regime)
    assert r.clusters["b"] == ((0,), (1,))
    n0 = nbose(w, T)
    pe = n0 / (2 * n0 + 1)
    assert np.allclose(r.steady_state, np.diag([pe, 1 - pe]), atol=1e-15)
    # relaxation rate gamma (2n+1), dephasing rate gamma (2n+1)/2
    ev = np.sort(np.linalg.eigvals(r.liouvillian).real)
    assert np.allclose(ev, [-g * (2 * n0 + 1), -g * (2 * n0 + 1) / 2,
                            -g * (2 * n0 + 1) / 2, 0], atol=1e-14)


# ---------------------------------------------------------------------------
# slow-cluster continuation on harder spectra
# ---------------------------------------------------------------------------
def _two_qubit_model(H, params, coupling="sx(q1)", rate="gamma"):
    return model_from_dict({
        "name": "test", "hamiltonian": H, "parameters": params,
        "subsystems": [{"name": "q1", "levels": ["e", "g"]},
                       {"name": "q2", "levels": ["e", "g"]}],
        "reservoirs": [{"name": "b", "coupling": coupling, "temperature": "T",
                        "rate": rate}]})


P = dict(omega_S="frequency", Omega="slow", gamma="rate", T="temperature")
V0 = dict(omega_S=1.1341, Omega=0.0432, gamma=0.0123, T=0.4321)


def test_levels_crossing_on_the_way_to_zero():
    """A 'slow' parameter larger than omega_S: the levels cross as Omega -> 0."""
    m = _two_qubit_model("omega_S/2*sz(q1) + Omega/2*sz(q2)", P)
    r = numeric_pipeline(m, dict(V0, Omega=3.4489), "secular")
    h = V0["omega_S"] / 2
    # eigh order: gg, eg, ge, ee (energies -2.29, -1.16, 1.16, 2.29); limits +-omega_S/2
    assert np.allclose(r.limit_energies, [-h, h, -h, h], atol=1e-13)
    assert r.kernel_dimension == 2  # q2 is not damped: its populations are conserved
    assert r.steady_state is None and r.heat_currents is None
    with pytest.raises(CgsymError, match="kernel"):
        steady_state(r.liouvillian)


@pytest.mark.parametrize("g", [0.05, 1e-3])
def test_avoided_crossing_is_followed_adiabatically(g):
    params = dict(P, g="slow", omega_c="frequency")
    m = _two_qubit_model("omega_S/2*sz(q1) + Omega/2*sz(q2) + g*sx(q1)*sx(q2)", params,
                         rate="gamma*omega/omega_c")
    r = numeric_pipeline(m, dict(V0, Omega=3.4489, g=g, omega_c=5.3), "partial-secular")
    h = V0["omega_S"] / 2
    assert np.allclose(r.limit_energies, [-h, h, -h, h], atol=1e-13)
    # transitions between levels that meet as slow -> 0 form a zero-frequency cluster
    assert np.allclose(r.limit_frequencies["b"], [0, -2 * h, 2 * h, 0], atol=1e-13)
    assert r.clusters["b"] == ((1,), (0, 3), (2,))


def test_persistent_degeneracy():
    m = _two_qubit_model("omega_S/2*(sz(q1) + sz(q2)) + Omega*sz(q1)*sz(q2)", P)
    r = numeric_pipeline(m, V0, "partial-secular")
    wS = V0["omega_S"]
    assert np.allclose(r.limit_energies, [-wS, 0, 0, wS], atol=1e-13)
    Om = V0["Omega"]
    assert np.allclose(r.frequencies["b"], [-wS - 2 * Om, -wS + 2 * Om, wS - 2 * Om,
                                            wS + 2 * Om], atol=1e-13)


def test_accidental_degeneracy_is_an_error():
    m = _two_qubit_model("omega_S/2*sz(q1) + Omega/2*sz(q2)", P)
    with pytest.raises(CgsymError, match="accidental degeneracy"):
        numeric_pipeline(m, dict(V0, Omega=V0["omega_S"]), "secular")


# ---------------------------------------------------------------------------
# zero-frequency eigenoperators
# ---------------------------------------------------------------------------
def _dephasing_model(rate):
    params = dict(omega_S="frequency", Omega="slow", gamma="rate", Tb="temperature")
    if "omega_c" in rate:
        params["omega_c"] = "frequency"
    return model_from_dict({
        "name": "dephasing", "parameters": params,
        "hamiltonian": "omega_S/2*sz(A) + Omega/2*(ketbra(W, 'l', 'r') + ketbra(W, 'r', 'l'))",
        "subsystems": [{"name": "A", "levels": ["e", "g"]}, {"name": "W", "levels": ["l", "r"]}],
        "reservoirs": [{"name": "b", "coupling": "proj(W, 'l')", "temperature": "Tb",
                        "rate": rate}]})


def test_zero_frequency_ohmic_rate():
    """X = P_l has frequencies -Omega, 0, Omega in one slow cluster around 0."""
    vals = dict(omega_S=1.1341, Omega=0.0432, gamma=0.0123, Tb=0.4321, omega_c=5.3)
    gamma0 = vals["gamma"] * vals["Tb"] / vals["omega_c"]  # lim gamma(w) n(w) = gamma T/omega_c
    for regime in REGIMES:
        for weak in (False, True):
            r = numeric_pipeline(_dephasing_model("gamma*omega/omega_c"), vals, regime, weak)
            f, G = r.gamma["b"]
            assert f[1] == 0.0 and r.clusters["b"] == ((0, 1, 2),)
            assert math.isclose(G[1, 1].real, gamma0, rel_tol=1e-9)
            if weak and regime == "partial-secular":
                assert np.allclose(G, gamma0, rtol=1e-9)
            assert np.abs(vec(np.eye(4)) @ r.liouvillian).max() < 1e-15


@pytest.mark.parametrize("rate", ["gamma", "gamma*sqrt(omega/omega_c)"])
def test_zero_frequency_divergent_rate_is_an_error(rate):
    vals = dict(omega_S=1.1341, Omega=0.0432, gamma=0.0123, Tb=0.4321)
    if "omega_c" in rate:
        vals["omega_c"] = 5.3
    with pytest.raises(CgsymError, match="reservoir 'b'.*diverges"):
        numeric_pipeline(_dephasing_model(rate), vals, "secular")


def test_transition_rate_signs_eq52():
    rate = lambda w: 0.0123 * np.ones_like(w)  # noqa: E731
    T, w = 0.4321, 1.1341
    assert math.isclose(transition_rate(w, rate, T), 0.0123 * nbose(w, T), rel_tol=1e-14)
    assert math.isclose(transition_rate(-w, rate, T), 0.0123 * (nbose(w, T) + 1), rel_tol=1e-14)
    # detailed balance Gamma(-w)/Gamma(w) = exp(w/T)
    assert math.isclose(transition_rate(-w, rate, T) / transition_rate(w, rate, T),
                        math.exp(w / T), rel_tol=1e-13)


# ---------------------------------------------------------------------------
# input validation and lambdify
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("change,match", [
    ({"gamma": None}, "missing"),
    ({"gamma": -0.1}, "positive"),
    ({"T": float("nan")}, "finite"),
    ({"T": float("inf")}, "finite"),
    ({"Omeg": 0.1}, "no parameter 'Omeg'"),
    ({"gamma": "fast"}, "real number"),
])
def test_bad_values(change, match):
    vals = dict(VALUES["two-qubits-one-bath"])
    for k, v in change.items():
        if v is None:
            del vals[k]
        else:
            vals[k] = v
    with pytest.raises(CgsymError, match=match):
        numeric_pipeline("two-qubits-one-bath", vals)


def test_unknown_regime():
    with pytest.raises(CgsymError, match="unknown regime"):
        numeric_pipeline("two-qubits-one-bath", VALUES["two-qubits-one-bath"], "global")


def test_lambdify_expr_occupation_and_vectorisation():
    model = load_model("two-qubits-one-bath")
    wS, Om, g, T = (model.parameter(k).symbol for k in ("omega_S", "Omega", "gamma", "T"))
    f = lambdify_expr(g * (n(wS + Om, T) + 1) + OMEGA * n(OMEGA, T), model, extra=(OMEGA,))
    vals = dict(VALUES["two-qubits-one-bath"], omega=0.789)
    v = VALUES["two-qubits-one-bath"]
    expect = (v["gamma"] * (nbose(v["omega_S"] + v["Omega"], v["T"]) + 1)
              + 0.789 * nbose(0.789, v["T"]))
    assert math.isclose(float(f(vals)), expect, rel_tol=1e-14)
    # agrees with SymPy's own evaluation of n
    sym = (g * (n(wS + Om, T) + 1)).subs({model.parameter(k).symbol: sp.Float(x)
                                          for k, x in v.items()})
    assert math.isclose(float(lambdify_expr(g * (n(wS + Om, T) + 1), model)(v)), float(sym),
                        rel_tol=1e-14)
    # vectorised in any parameter; small w/T accurate (expm1)
    Ts = np.array([0.1, 1.0, 1e6])
    out = f(dict(vals, T=Ts))
    assert out.shape == (3,)
    assert math.isclose(out[2], v["gamma"] * (1e6 / (v["omega_S"] + v["Omega"]) + 0.5)
                        + 1e6, rel_tol=1e-6)
    # a constant expression broadcasts
    c = lambdify_expr(sp.Integer(2), model)(dict(v, gamma=np.array([0.1, 0.2])))
    assert np.array_equal(c, [2.0, 2.0])
    # a matrix
    H = lambdify_expr(model.hamiltonian, model)(v)
    assert np.allclose(H, evaluate_model(model, v).hamiltonian)
    with pytest.raises(CgsymError, match="missing"):
        f(v)  # omega not given
    with pytest.raises(CgsymError, match="not parameters"):
        lambdify_expr(sp.Symbol("x") * g, model)


def test_kernel_dimension_and_vec_convention():
    d = 3
    A, X, B = random_matrix(d, 3), random_matrix(d, 4), random_matrix(d, 5)
    assert np.allclose(vec(A @ X @ B), np.kron(B.T, A) @ vec(X))
    assert vec(X)[1] == X[1, 0] and vec(X)[d] == X[0, 1]
    assert kernel_dimension(np.zeros((4, 4))) == 4
    assert kernel_dimension(np.diag([1.0, 1e-3, 0.0, 0.0])) == 2


def test_dissipator_superoperator_matches_definition():
    """gamma_mn (X_m rho X_n^dag - 1/2 {X_n^dag X_m, rho}) with a complex Hermitian gamma."""
    d = 3
    ops = [random_matrix(d, s) for s in (6, 7)]
    G = np.array([[1.3, 0.4 + 0.7j], [0.4 - 0.7j, 0.9]])
    D = dissipator_superoperator(ops, G)
    rho = random_matrix(d, 8)
    expect = sum(G[m, k] * (ops[m] @ rho @ ops[k].conj().T
                            - 0.5 * (ops[k].conj().T @ ops[m] @ rho + rho @ ops[k].conj().T @ ops[m]))
                 for m in range(2) for k in range(2))
    assert np.allclose(apply(D, rho), expect)


def test_eigenoperators_zero_and_degenerate_frequencies():
    """Degenerate H: X_m is basis independent; a diagonal part of X gives omega = 0."""
    H = np.diag([1.0, 1.0, -1.0])
    X = np.array([[0.5, 0, 1], [0, -0.5, 1], [1, 1, 0]], dtype=complex)
    w, ops, _ = eigenoperators(H, X)
    assert np.array_equal(w, [-2.0, 0.0, 2.0])
    assert np.allclose(ops[1], np.diag([0.5, -0.5, 0]))
    assert np.allclose(ops[2], [[0, 0, 1], [0, 0, 1], [0, 0, 0]])
    assert np.allclose(sum(ops), X)


def test_result_is_read_only():
    r = run("two-qubits-one-bath", "secular", False)
    with pytest.raises(ValueError):
        r.steady_state[0, 0] = 1
    with pytest.raises(TypeError):
        r.heat_currents["b"] = 1.0
    with pytest.raises(AttributeError):
        r.regime = "partial-secular"


@pytest.mark.parametrize("T", [1e-3, 0.3, 500.0, 1e5])
def test_zero_frequency_rate_limit_at_any_temperature(T):
    """lim_{w->0} gamma(w) n(w, T) for an Ohmic rate is gamma T / omega_c exactly (it was
    wrongly called divergent for T >> omega_c); flat and sub-Ohmic diverge, super-Ohmic
    gives 0."""
    import numpy as np
    from cgsym.errors import CgsymError
    from cgsym.numerics import _zero_frequency_rate
    g, wc = 0.0123, 4.3
    ohmic = lambda w: g * w / wc * np.exp(-w / wc)   # noqa: E731
    assert _zero_frequency_rate(ohmic, T, "b") == pytest.approx(g * T / wc, rel=1e-10)
    assert _zero_frequency_rate(lambda w: g * (w / wc) ** 3, T, "b") == 0.0
    for rate in (lambda w: g + 0 * w, lambda w: g * np.sqrt(w / wc)):
        with pytest.raises(CgsymError, match="diverges"):
            _zero_frequency_rate(rate, T, "b")
