"""Jumps and counting statistics of the finite-dt coarse-grained equation, and the numeric
``cgsym statistics`` routes (``--numeric``, ``--regime coarse-grained --dt``).

Oracles: the gain/loss halves (scipy, double precision, this package) against the full
gamma_mn(dt) of cgsym.coarse_graining (mpmath, folded Filon quadrature); QuTiP's
``countstat_current_noise`` and finite differences of the tilted Liouvillian's leading
eigenvalue for the cumulants; the dt -> infinity limit against the secular jumps of the
numeric pipeline.  Invariants: both halves positive semidefinite, J^+ + J^- - {K,.}/2 = D_p,
P(+1), P(-1) >= 0 and P(0) = 1 - sum, noise >= 0.
"""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from cgsym.errors import CgsymError
from cgsym.statistics.finite_dt_jumps import (finite_dt_jumps, finite_dt_statistics,
                                              split_gamma_dt)
from cgsym.statistics.numeric import (cumulants, finite_difference_cumulants, numeric_jumps,
                                      point_statistics)

CASES = os.path.join(os.path.dirname(__file__), "cases")
DETUNED = os.path.join(CASES, "detuned-qubits-ohmic.toml")
THREE = os.path.join(CASES, "three-baths-v.toml")
PV = dict(omega_S=1.1341, Delta=0.04321, gamma=0.0123, omega_c=3.217, T=0.8123)
PD = dict(omega_S=1.1341, delta=0.4321, g=0.0531, kh=0.0123, kc=0.0271, wc=4.1, T_h=2.3,
          T_c=0.7)
P3 = dict(w=1.1341, Delta=0.04321, gh=0.0123, gc=0.0271, gm=0.0097, Th=2.3, Tc=0.7, Tm=1.4321)


def _qutip(nj, count="quanta"):
    pytest.importorskip("qutip")
    from qutip_oracle import countstat_reference
    return countstat_reference(nj, count)


@pytest.fixture(scope="module")
def v_dt():
    return finite_dt_jumps("v-type-three-level", PV, 7.31)


def test_halves_add_up_to_gamma_dt_and_are_positive(v_dt):
    for p in v_dt.reservoirs:
        G, gp, gm = v_dt.gamma[p], v_dt.gain[p], v_dt.loss[p]
        # two independent quadratures (scipy here, mpmath Filon in coarse_graining)
        assert np.max(np.abs(gp + gm - G)) <= 1e-10 * np.max(np.abs(G))
        for half in (gp, gm):
            assert np.allclose(half, half.conj().T, atol=1e-16)
            assert np.linalg.eigvalsh(half).min() >= -1e-12 * np.max(np.abs(G))
        # at dt = 7.31 every pair is coupled, across signs of omega too
        w = np.array(v_dt.frequencies[p])
        assert abs(gp[np.argmax(w), np.argmin(w)]) > 1e-8


def test_decomposition_is_the_dissipator(v_dt):
    for p in v_dt.reservoirs:
        D = v_dt.dissipators[p]
        assert np.max(np.abs(v_dt.decomposed_dissipator(p) - D)) <= 1e-10 * np.max(np.abs(D))
        # trace preservation of the decomposed form
        d = v_dt.hamiltonian.shape[0]
        t = np.eye(d).reshape(-1, order="F")
        assert np.max(np.abs(t @ v_dt.decomposed_dissipator(p))) < 1e-12
    with pytest.raises(CgsymError, match="direction"):
        v_dt.rates("b", "0")


def test_probabilities_eq84(v_dt):
    pr = v_dt.probabilities()
    row = pr["reservoirs"]["b"]
    assert row["+1"] > 0 and row["-1"] > 0
    assert pr["none"] == pytest.approx(1 - row["+1"] - row["-1"], abs=1e-15)
    # at rho_ss the net quanta rate of the jumps is the mean current (gain = -1 into system)
    st = finite_dt_statistics(v_dt)
    assert (row["-1"] - row["+1"]) / v_dt.dt == pytest.approx(st["mean"]["b"], rel=1e-8)
    # a pure state: probabilities stay in [0, 1]
    e = np.zeros((3, 3)); e[0, 0] = 1
    pe = v_dt.probabilities(e, dt=0.5)
    assert 0 <= pe["none"] <= 1


def test_cumulants_against_qutip_and_finite_differences(v_dt):
    nj = v_dt.numeric_jumps()
    mean, noise = _qutip(nj)
    k = cumulants(nj, "b", "quanta", 3)
    assert k[0] == pytest.approx(mean["b"], rel=1e-8)
    assert k[1] == pytest.approx(noise["b"], rel=1e-8)
    assert k[1] > 0
    fd = finite_difference_cumulants(nj, "b")
    assert fd[0] == pytest.approx(k[0], rel=1e-5)
    assert fd[1] == pytest.approx(k[1], rel=1e-4)
    assert fd[2] == pytest.approx(k[2], rel=1e-2)
    # one reservoir at finite dt: the net quanta current does not vanish (counter-rotating
    # pairs, O(1/dt)) while the heat current does (energy conservation at rho_ss)
    assert abs(k[0]) > 1e-6
    assert abs(dict(nj.heat_currents)["b"]) < 1e-15


def test_split_rejects_bad_input():
    with pytest.raises(CgsymError, match="dt"):
        split_gamma_dt([1.0, -1.0], lambda w: w, 1.0, -2.0)
    with pytest.raises(CgsymError, match="secular regime"):     # no 2 GB array, one line
        split_gamma_dt([1.0, -1.0], lambda w: w * np.exp(-w), 1.0, 1e8)
    with pytest.raises(CgsymError, match="vanish"):
        finite_dt_jumps("two-qubits-two-baths", dict(omega_S=1.1341, Omega=0.04321,
                        gamma_h=0.0123, gamma_c=0.0271, T_h=2.3, T_c=0.7), 3.0)


@pytest.mark.slow
def test_large_dt_tends_to_the_secular_split():
    """gamma^+ -> emission rates gamma(n+1) at omega_m < 0, gamma^- -> absorption gamma n at
    omega_m > 0, like 1/dt; the cumulants tend to the secular ones."""
    sec = numeric_jumps(DETUNED, PD, "secular")
    ref = {p: cumulants(sec, p) for p in ("h", "c")}
    from cgsym.numerics import numeric_pipeline
    gsec = numeric_pipeline(DETUNED, PD, "secular").gamma
    errs = []
    for dt in (300.0, 3000.0):
        fj = finite_dt_jumps(DETUNED, PD, dt)
        err = 0.0
        for p in fj.reservoirs:
            w = np.array(fj.frequencies[p])
            S = np.diag(np.asarray(gsec[p][1])).real
            target_gain = np.where(w < 0, S, 0.0)
            target_loss = np.where(w > 0, S, 0.0)
            err = max(err, np.max(np.abs(np.diag(fj.gain[p]).real - target_gain)) / S.max(),
                      np.max(np.abs(np.diag(fj.loss[p]).real - target_loss)) / S.max())
        errs.append(err)
        st = finite_dt_statistics(fj)
        for p in ("h", "c"):
            assert st["noise"][p] > 0
            assert st["mean"][p] == pytest.approx(ref[p][0], rel=300 / dt)
            assert st["noise"][p] == pytest.approx(ref[p][1], rel=300 / dt)
    assert errs[1] < errs[0] / 5     # O(1/dt)


@pytest.mark.slow
def test_finite_dt_two_baths_against_qutip_and_equal_temperatures():
    fj = finite_dt_jumps(DETUNED, PD, 4.321)
    nj = fj.numeric_jumps()
    mean, noise = _qutip(nj)
    st = finite_dt_statistics(fj)
    for p in ("h", "c"):
        assert st["mean"][p] == pytest.approx(mean[p], rel=1e-8)
        assert st["noise"][p] == pytest.approx(noise[p], rel=1e-8)
    # equal temperatures: the heat currents are not exactly 0 at finite dt (measured
    # -1e-9, 6e-11, 4e-15 at dt = 3, 30, 3000, against 8e-5 at T_h != T_c) but vanish
    # faster than 1/dt; sum_p J_p = 0 and the noise stays positive
    eq = dict(PD, T_c=PD["T_h"])
    for dt in (30.0, 3000.0):
        s = finite_dt_statistics(finite_dt_jumps(DETUNED, eq, dt))
        assert min(s["noise"].values()) > 0
        J = s["heat_currents"]
        assert abs(J["h"]) < 1e-9 * (30 / dt) ** 2
        assert abs(J["h"] + J["c"]) < 1e-13


def _cli(capsys, *argv):
    from cgsym.cli import main
    rc = main(list(argv))
    out = capsys.readouterr()
    return rc, out.out, out.err


def test_cli_statistics_numeric_matches_closed_form(capsys):
    """--numeric (no closed form) equals the closed forms at an odd point."""
    at = ["--at"] + [f"{k}={v}" for k, v in dict(omega_S=1.1341, Omega=0.04321, gamma_h=0.0123,
                                                    gamma_c=0.0271, T_h=2.3, T_c=0.7).items()]
    base = ["statistics", "two-qubits-two-baths", "--regime", "partial-secular",
            "--weak-internal", "--format", "json"]
    rc, out, _ = _cli(capsys, *base, "--numeric", *at)
    assert rc == 0
    num = json.loads(out)
    rc, out, _ = _cli(capsys, *base, *at)
    assert rc == 0
    exact = json.loads(out)
    for key in ("mean", "noise", "fano", "tur", "third_cumulant"):
        for p, v in exact[key].items():
            assert num[key][p] == pytest.approx(v, rel=1e-8), (key, p)
    assert num["entropy_production"] == pytest.approx(exact["entropy_production"], rel=1e-8)


def test_cli_statistics_dt(capsys):
    at = ["--at"] + [f"{k}={v}" for k, v in PV.items()]
    rc, out, _ = _cli(capsys, "statistics", "v-type-three-level", "--regime", "coarse-grained",
                      "--dt", "7.31", "--format", "json", *at)
    assert rc == 0
    js = json.loads(out)
    assert js["dt"] == 7.31 and js["count"] == "quanta"
    assert js["noise"]["b"] > 0
    pr = js["probabilities"]
    assert pr["none"] == pytest.approx(1 - pr["reservoirs"]["b"]["+1"]
                                       - pr["reservoirs"]["b"]["-1"])
    for bad, msg in ((["--dt", "7.31", "--count", "energy"], "quanta"),
                     (["--dt", "-1"], "positive"),
                     ([], "needs --dt")):
        rc, _, err = _cli(capsys, "statistics", "v-type-three-level", "--regime",
                          "coarse-grained", *bad, *at)
        assert rc == 2 and msg in err, err
    rc, _, err = _cli(capsys, "statistics", "v-type-three-level", "--regime", "secular",
                      "--numeric")
    assert rc == 2 and "--at" in err


def test_numeric_route_three_baths_against_qutip():
    """The case whose closed form is slow: numeric route vs QuTiP, noise >= 0."""
    nj = numeric_jumps(THREE, P3, "partial-secular", True)
    mean, noise = _qutip(nj)
    out = point_statistics(nj, "quanta")
    for p in ("h", "c", "m"):
        assert out["mean"][p] == pytest.approx(mean[p], rel=1e-8)
        assert out["noise"][p] == pytest.approx(noise[p], rel=1e-8)
        assert out["noise"][p] > 0
    assert abs(sum(out["mean"].values())) < 1e-12


def test_derive_prints_jumps(capsys):
    """derive --only jumps: text, JSON (rates equal the gamma entries, every nonzero entry
    in exactly one direction) and a LaTeX section; a pure-dephasing reservoir gives J^0."""
    import sympy as sp

    import cgsym
    model = os.path.join(CASES, "dephased-two-qubits.toml")
    d = cgsym.derive(model, "secular")
    rc, out, _ = _cli(capsys, "derive", model, "--regime", "secular", "--only", "jumps",
                      "--format", "json")
    assert rc == 0
    js = json.loads(out)
    assert set(js["jumps"]) == {"h", "c", "d"} and "eigenoperators" in js
    assert "steady_state" not in js
    for g in d.rates.gammas:
        terms = js["jumps"][g.reservoir]
        seen = 0
        for direction, rows in terms.items():
            for t in rows:
                i, j = list(g.indices).index(t["m"]), list(g.indices).index(t["n"])
                assert sp.simplify(sp.sympify(t["rate"], locals={
                    s.name: s for s in g.matrix.free_symbols}) - g.matrix[i, j]) == 0 or \
                    sp.sstr(g.matrix[i, j]) == t["rate"]
                sign = (t["m"] > 0) - (t["m"] < 0)
                assert direction == {1: "loss", -1: "gain", 0: "dephasing"}[sign]
                seen += 1
        assert seen == sum(1 for x in g.matrix if x != 0)
    assert js["jumps"]["d"]["dephasing"] and not js["jumps"]["d"]["gain"]
    rc, out, _ = _cli(capsys, "derive", model, "--regime", "secular", "--only", "jumps")
    assert rc == 0 and "J_h^+ rho = " in out and "J_d^0 rho = " in out and "X_h,-2 rho" in out
    rc, out, _ = _cli(capsys, "derive", model, "--regime", "secular", "--only", "jumps",
                      "--format", "latex")
    assert rc == 0 and r"\subsection*{Quantum jumps}" in out
    assert r"\mathcal{J}_{h}^{+}\rho &= " in out and r"\mathcal{J}_{d}^{0}\rho &= " in out


@pytest.mark.slow
def test_finite_dt_three_ohmic_reservoirs(tmp_path):
    """Three reservoirs (the three-bath V atom with Ohmic exponential-cutoff rates): split
    = gamma(dt), D_p decomposed, QuTiP, sum_p J_p = 0, P(0) = 1 - sum."""
    text = open(THREE).read()
    text = text.replace('rate = "gh"', 'rate = "gh*omega/w*exp(-omega/(3*w))"')
    text = text.replace('rate = "gc"', 'rate = "gc*omega/w*exp(-omega/(3*w))"')
    text = text.replace('rate = "gm*omega/w"', 'rate = "gm*omega/w*exp(-omega/(3*w))"')
    path = tmp_path / "three-ohmic.toml"
    path.write_text(text)
    fj = finite_dt_jumps(str(path), P3, 13.41)
    for p in ("h", "c", "m"):
        G = fj.gamma[p]
        assert np.max(np.abs(fj.gain[p] + fj.loss[p] - G)) <= 1e-10 * np.max(np.abs(G))
        D = fj.dissipators[p]
        assert np.max(np.abs(fj.decomposed_dissipator(p) - D)) <= 1e-10 * np.max(np.abs(D))
    nj = fj.numeric_jumps()
    mean, noise = _qutip(nj)
    st = finite_dt_statistics(fj)
    for p in ("h", "c", "m"):
        assert st["mean"][p] == pytest.approx(mean[p], rel=1e-8)
        assert st["noise"][p] == pytest.approx(noise[p], rel=1e-8)
        assert st["noise"][p] > 0
    J = st["heat_currents"]
    assert abs(sum(J.values())) < 1e-12 * max(abs(x) for x in J.values())
    pr = st["probabilities"]
    assert pr["none"] == pytest.approx(1 - sum(r["+1"] + r["-1"]
                                               for r in pr["reservoirs"].values()))


# -- short dt (coarse-graining time below the bath correlation time) --------------------
# The kernel sinc sinc has width 1/dt: at dt << 1/omega_c it is flat where S(nu) lives, and
# the partial-fraction tail of the split cancelled to (u dt)^2 (did not converge at dt = 0.01,
# wrong by 1e17 at dt = 1e-9); the direct quadrature now runs out to u dt = 64.

def _mp_half(P, dt, wm, wn, sign, dps=30):
    """gamma^{+/-}_mn(dt) of one pair by mpmath at ``dps`` digits, straight from the sinc
    form (module docstring), split at the peaks, the cutoff and the kernel's scale 1/dt.
    The V atom's rate gamma omega/omega_c exp(-omega/omega_c), written out here."""
    import mpmath as mp
    with mp.workdps(dps):
        g, wc, T = (mp.mpf(str(P[k])) for k in ("gamma", "omega_c", "T"))
        dt = mp.mpf(str(dt))
        wm, wn = mp.mpf(wm), mp.mpf(wn)

        def f(nu):
            a = abs(nu)
            r = g * a / wc * mp.exp(-a / wc)
            S = r / -mp.expm1(-a / T) if nu > 0 else r / mp.expm1(a / T)
            return S * mp.sinc((nu + wm) * dt / 2) * mp.sinc((nu + wn) * dt / 2)
        cuts = sorted({mp.mpf(0)} | {sign * x for x in (abs(wm), abs(wn), wc, 10 * wc,
                                                          1 / dt, 10 / dt)})
        pts = cuts + [mp.inf] if sign > 0 else [-mp.inf] + cuts
        val = mp.exp(1j * (wm - wn) * dt / 2) * dt / (2 * mp.pi) * mp.quad(f, pts)
        return complex(val)


@pytest.fixture(scope="module")
def v_short():
    return finite_dt_jumps("v-type-three-level", PV, 0.01)


def test_short_dt_split_against_mpmath_and_invariants(v_short):
    fj = v_short
    G, gp, gm = fj.gamma["b"], fj.gain["b"], fj.loss["b"]
    # two ways: the halves add up to the mpmath Filon gamma(dt) of coarse_graining ...
    assert np.max(np.abs(gp + gm - G)) <= 1e-10 * np.max(np.abs(G))
    # ... and one entry across signs of omega agrees with a 30-digit mpmath quadrature
    w = np.array(fj.frequencies["b"])
    m, n = int(np.argmax(w)), int(np.argmin(w))
    for sign, half in ((+1, gp), (-1, gm)):
        ref = _mp_half(PV, 0.01, w[m], w[n], sign)
        assert abs(half[m, n] - ref) <= 1e-12 * abs(ref)
    # invariants: Hermitian, PSD, J+ + J- - {K,.}/2 = D, noise >= 0, P(0) = 1 - sum
    for half in (gp, gm):
        assert np.allclose(half, half.conj().T, atol=1e-18)
        assert np.linalg.eigvalsh(half).min() >= -1e-12 * np.max(np.abs(G))
    D = fj.dissipators["b"]
    assert np.max(np.abs(fj.decomposed_dissipator("b") - D)) <= 1e-10 * np.max(np.abs(D))
    st = finite_dt_statistics(fj)
    mean, noise = _qutip(fj.numeric_jumps())
    assert st["mean"]["b"] == pytest.approx(mean["b"], rel=1e-8)
    assert st["noise"]["b"] == pytest.approx(noise["b"], rel=1e-8)
    assert st["noise"]["b"] > 0
    row = st["probabilities"]["reservoirs"]["b"]
    assert row["+1"] > 0 and row["-1"] > 0
    assert (row["-1"] - row["+1"]) / 0.01 == pytest.approx(st["mean"]["b"], rel=1e-8)


@pytest.mark.parametrize("dt", [1e-3, pytest.param(1e-6, marks=pytest.mark.slow)])
def test_split_at_short_dt_power_law_tail(dt):
    """A spectrum with a 1/omega^2 tail (not the paper's): beyond u dt = 64 the tail is
    taken in partial fractions whose integrals are scaled by 2/dt^2 -- their QUADPACK
    tolerance must be too (unscaled: 5e-9 of gamma off at dt = 1e-3)."""
    import mpmath as mp

    from cgsym import coarse_graining as cg
    from cgsym.gamma_grid import gamma_matrices_dt
    w = [-1.17731, -1.09089, 1.09089, 1.17731]
    k, wc, T = 0.0123, 3.217, 2.3

    def rate(x):
        return k * x / wc / (1 + (x / wc) ** 2) ** 1.5

    def mp_rate(x):
        return k * x / wc / (1 + (x / wc) ** 2) ** mp.mpf(1.5)
    gp, gm = split_gamma_dt(w, rate, T, dt)
    if dt >= 1e-3:   # the subtraction/Filon route of cgsym.gamma_grid (ms; mpmath: 2.5 s)
        G = gamma_matrices_dt(w, rate, T, [dt])[0]
    else:            # below gamma_grid's tested range: the mpmath Filon reference
        G = cg.gamma_matrix_dt(w, mp_rate, T, dt)
        G = np.array([[complex(G[i, j]) for j in range(4)] for i in range(4)])
    assert np.max(np.abs(gp + gm - G)) <= 1e-10 * np.max(np.abs(G))
    for half in (gp, gm):
        assert np.linalg.eigvalsh(half).min() >= -1e-12 * np.max(np.abs(G))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["v-type-three-level", "tunnelling-qubit-ohmic"])
def test_short_to_long_dt_ladder(name):
    """dt = 1e-6 ... 100 on the two Ohmic models of the issue: halves add up to gamma(dt)
    (1e-10), PSD, the decomposition is D_p, noise > 0."""
    from conftest import point
    P = PV if name == "v-type-three-level" else point(name)
    for dt in (1e-6, 1e-3, 0.01, 0.1, 1.0, 100.0):
        fj = finite_dt_jumps(name, P, dt)
        for p in fj.reservoirs:
            G, gp, gm = fj.gamma[p], fj.gain[p], fj.loss[p]
            assert np.max(np.abs(gp + gm - G)) <= 1e-10 * np.max(np.abs(G)), (dt, p)
            for half in (gp, gm):
                assert np.allclose(half, half.conj().T, atol=1e-16)
                assert np.linalg.eigvalsh(half).min() >= -1e-12 * np.max(np.abs(G)), (dt, p)
            D = fj.dissipators[p]
            assert np.max(np.abs(fj.decomposed_dissipator(p) - D)) <= 1e-10 * np.max(np.abs(D))
        st = finite_dt_statistics(fj)
        assert min(st["noise"].values()) > 0, dt


@pytest.mark.slow
def test_cli_short_dt_and_the_unresolved_range(capsys, tmp_path):
    """The issue's commands succeed at dt = 0.01; at dt = 1e-9 the rates (O(dt)) are below
    the steady-state kernel tolerance: one line naming the dt that works, which works.
    A kernel degenerate at every dt (pure dephasing) names no dt."""
    model = tmp_path / "pd.toml"
    model.write_text(open(os.path.join(CASES, "pure-dephasing.toml")).read().replace(
        'rate = "gamma*omega/omega_c"', 'rate = "gamma*omega/omega_c*exp(-omega/omega_c)"'))
    with pytest.raises(CgsymError, match="kernel") as exc:
        finite_dt_jumps(str(model), dict(omega_S=1.1341, Omega=0.04321, gamma=0.0123,
                                         omega_c=3.217, T=0.8123), 0.01)
    assert "works here" not in str(exc.value)
    import re

    from conftest import point
    P = point("tunnelling-qubit-ohmic")
    at = ["--at"] + [f"{k}={v}" for k, v in P.items()]
    base = ["statistics", "tunnelling-qubit-ohmic", "--regime", "coarse-grained"]
    rc, out, _ = _cli(capsys, *base, "--dt", "0.01", "--format", "json", *at)
    assert rc == 0 and min(json.loads(out)["noise"].values()) > 0
    rc, _, err = _cli(capsys, *base, "--dt", "1e-9", *at)
    assert rc == 2 and "Traceback" not in err
    found = re.search(r"dt >= ([0-9.e+-]+) works here", err)
    assert found, err
    rc, out, _ = _cli(capsys, *base, "--dt", found.group(1), "--format", "json", *at)
    assert rc == 0 and min(json.loads(out)["noise"].values()) > 0
