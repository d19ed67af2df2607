"""gamma_mn(dt) of Eq. (45) for many dt at once in double precision (cgsym.gamma_grid),
against the mpmath reference (cgsym.coarse_graining) at odd parameter values, with the
physical invariants: gamma(dt) is Hermitian positive semidefinite for every dt, and
dt -> infinity gives the secular rates (Eq. 52)."""
import mpmath
import numpy as np
import pytest

from cgsym import coarse_graining as cg
from cgsym.finite_dt import (evaluate_coarse_grained, evaluate_coarse_grained_dts,
                             gamma_matrices_dt)
from cgsym.gamma_grid import GridUnavailable
from cgsym.gamma_grid import gamma_matrices_dt as grid
from cgsym.model import load_model

G0, WC, T = 0.0123, 7.31, 0.4321
OHMIC_NP = lambda w: G0 * w / WC * np.exp(-w / WC)            # noqa: E731
OHMIC_MP = lambda w: G0 * w / WC * mpmath.exp(-w / WC)        # noqa: E731
FREQS = [1.1341, -1.1341 + 0.0612, 0.0]                        # a zero frequency too


def _mp(freqs, rate, T, dt, dps=12):
    M = cg.gamma_matrix_dt(freqs, rate, T, dt, dps)
    return np.array([[complex(M[i, j]) for j in range(M.cols)] for i in range(M.rows)])


def _rel(G, R):
    scale = np.sqrt(np.abs(np.outer(np.diag(R), np.diag(R))))
    return float(np.max(np.abs(G - R) / scale))


def test_grid_matches_mpmath_reference_at_odd_points():
    dts = [0.00731, 2.718, 4321.0]
    G = grid(FREQS, OHMIC_NP, T, dts)
    for i, dt in enumerate(dts):
        assert _rel(G[i], _mp(FREQS, OHMIC_MP, T, dt)) < 1e-11, dt


def test_grid_super_ohmic_hot_bath():
    rn = lambda w: 0.02 * w ** 3 * np.exp(-w / 2.3)           # noqa: E731
    rm = lambda w: 0.02 * w ** 3 * mpmath.exp(-w / 2.3)       # noqa: E731
    fr = [0.7, -0.75]
    G = grid(fr, rn, 5.1, [0.123, 98.7])
    for i, dt in enumerate([0.123, 98.7]):
        assert _rel(G[i], _mp(fr, rm, 5.1, dt)) < 1e-11


def test_grid_hermitian_psd_for_every_dt_and_secular_limit():
    dts = np.geomspace(1e-3, 1e5, 33)
    G = grid(FREQS, OHMIC_NP, T, dts)
    assert np.array_equal(G, np.conj(np.swapaxes(G, 1, 2)))
    for M in G:
        ev = np.linalg.eigvalsh(M)
        assert ev.min() >= -1e-13 * ev.max()
    # dt -> infinity: the secular rates Gamma(w_m) on the diagonal, 0 off it (Eq. 52)
    big = grid(FREQS, OHMIC_NP, T, [1e8])[0]
    sec = np.array([[complex(x) for x in row]
                    for row in cg.secular_limit(FREQS, OHMIC_MP, T).tolist()])
    assert np.allclose(np.diag(big), np.diag(sec), rtol=1e-6, atol=0)
    off = big - np.diag(np.diag(big))
    assert np.max(np.abs(off)) < 1e-5 * np.max(np.abs(np.diag(sec)))


def test_bad_input_is_refused():
    with pytest.raises(GridUnavailable):
        grid(FREQS, OHMIC_NP, T, [0.0])
    with pytest.raises(GridUnavailable):
        grid(FREQS, lambda w: np.full_like(w, np.nan), T, [1.0])


def test_curve_of_currents_matches_one_point_mpmath_route():
    m = load_model("tunnelling-qubit-ohmic")
    vals = dict(omega_S=1.1341, Omega=0.0432, gamma=0.0123, T_l=0.9876, T_r=0.4321,
                omega_c=7.31)
    (r,) = evaluate_coarse_grained_dts(m, vals, [3.3])
    ref = evaluate_coarse_grained(m, vals, 3.3, dps=10)
    for k, v in ref["heat_currents"].items():
        assert abs(r["heat_currents"][k] - v) <= 1e-9 * abs(v)
    assert abs(sum(r["heat_currents"].values())) <= 1e-12 * abs(r["heat_currents"]["l"])
    assert np.allclose(r["steady_state"], ref["steady_state"], rtol=0, atol=1e-12)
    assert min(r["gamma_min_eigenvalue"].values()) >= -1e-15


def test_fallback_to_mpmath_gives_the_same_matrices(monkeypatch):
    m = load_model("tunnelling-qubit-ohmic")
    vals = dict(omega_S=1.1341, Omega=0.0432, gamma=0.0123, T_l=0.9876, T_r=0.4321,
                omega_c=7.31)
    fast = gamma_matrices_dt(m, vals, "r", [0.5])

    def refuse(*a, **k):
        raise GridUnavailable("test")
    monkeypatch.setattr("cgsym.gamma_grid.gamma_matrices_dt", refuse)
    slow = gamma_matrices_dt(m, vals, "r", [0.5])
    assert _rel(fast[0], slow[0]) < 1e-11
