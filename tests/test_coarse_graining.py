"""Tests of the finite coarse-graining time layer (cgsym.coarse_graining).

Truths, in the STYLE order:

* invariants at any parameter point: Hermiticity and positivity of gamma_mn(dt) over a log
  sweep of dt, Cauchy-Schwarz for random pairs (hypothesis), KMS ratio of the plateau rates,
  G(-tau) = G(tau)^*;
* independent results: a brute-force 2-D Gauss-Legendre quadrature of Eq. (45) with G(tau)
  from a NumPy omega-quadrature of Eq. (40) (no code shared with the module), the same for the
  energy shift of Eq. (30) on the two triangles t1 < t2 and t1 > t2, the trigamma closed form
  of G(tau) for an Ohmic-exponential bath, the principal-value Lamb shift by mpmath.quad;
* the paper: the secular (Eq. 52) and partial-secular (Eq. 55) plateaus and the O(1/dt) term
  of Eq. (47), with the deviations quantified; the printed Eq. (46) against Eq. (45).

Odd parameter values except for the paper's own example (omega_S = 10, Omega = 0.05,
omega_c = 50, T = 3).
"""
from __future__ import annotations

import math
import warnings

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cgsym.coarse_graining import (
    CoarseGrainingWarning,
    TimescaleLadder,
    check_spectral_function,
    correlation_function,
    correlation_time,
    first_order_correction,
    gamma_element_dt,
    gamma_matrix_dt,
    lamb_shift_dt,
    partial_secular_limit,
    plateau_rate,
    secular_limit,
    timescale_ladder,
)
from cgsym.errors import CgsymError

G0, WC, TEMP = 0.1234, 47.3, 2.987          # odd Ohmic-exponential bath
PAPER = dict(g0=0.1, wc=50.0, T=3.0)          # the brief's example bath
W_S, OMEGA = 10.0, 0.05
THREE = [-(W_S + OMEGA), -W_S, -(W_S - OMEGA), W_S - OMEGA, W_S, W_S + OMEGA]


def ohmic(g0=G0, wc=WC):
    """gamma(omega) = g0 (omega/wc) exp(-omega/wc), mpmath throughout."""
    g0, wc = mp.mpf(g0), mp.mpf(wc)
    return lambda w: g0 * w / wc * mp.exp(-w / wc)


# ------------------------------------------------------------------------------------------
# Independent NumPy references (double precision, no code shared with the module)
# ------------------------------------------------------------------------------------------

def g_numpy(tau, g0, wc, T, npan=120, nq=16, wmax=45.0, chunk=2048):
    """Eq. (40): G(tau) = (1/2pi) int_0^inf gamma(w) [coth(w/2T) cos(w tau) - i sin(w tau)] dw.

    Panelled Gauss-Legendre in omega up to 45 cutoffs; accurate to ~1e-15 for |tau| <~ 1.
    """
    tau = np.atleast_1d(np.asarray(tau, dtype=float))
    x, w = np.polynomial.legendre.leggauss(nq)
    edges = np.linspace(0.0, wmax * wc, npan + 1)
    half = (edges[1:] - edges[:-1])[:, None] / 2
    om = ((edges[1:] + edges[:-1])[:, None] / 2 + half * x[None, :]).ravel()
    wt = (half * w[None, :]).ravel()
    rate = g0 * om / wc * np.exp(-om / wc)
    even, odd = wt * rate / np.tanh(om / (2 * T)), wt * rate
    out = np.empty(tau.shape, dtype=complex)
    for i in range(0, len(tau), chunk):       # chunks keep the phase table small
        phase = np.outer(tau[i:i + chunk], om)
        out[i:i + chunk] = np.cos(phase) @ even - 1j * (np.sin(phase) @ odd)
    return out / (2 * np.pi)


def gamma_bruteforce(wm, wn, dt, g0, wc, T, n=64):
    """Eq. (45) by a product Gauss-Legendre rule on [0, dt]^2."""
    x, w = np.polynomial.legendre.leggauss(n)
    t, wt = (x + 1) * dt / 2, w * dt / 2
    t1, t2 = np.meshgrid(t, t, indexing="ij")
    G = g_numpy((t2 - t1).ravel(), g0, wc, T).reshape(n, n)
    return (wt[:, None] * wt[None, :] * G * np.exp(1j * wm * t1 - 1j * wn * t2)).sum() / dt


def lamb_bruteforce(ws, dt, g0, wc, T, n=64):
    """Eq. (30) coefficients s_mn = -(i/2dt) int int sgn(t2-t1) G(t2-t1) e^{i wm t1 - i wn t2}
    for all pairs of ws, on the triangles t1 = u t2 (t1 < t2) and t2 = u t1 (t2 < t1)."""
    x, w = np.polynomial.legendre.leggauss(n)
    s, wt = (x + 1) * dt / 2, w * dt / 2           # outer variable on [0, dt]
    u, wu = (x + 1) / 2, w / 2                     # inner fraction on [0, 1]
    S, U = np.meshgrid(s, u, indexing="ij")
    W = wt[:, None] * wu[None, :] * S
    G1 = g_numpy((S * (1 - U)).ravel(), g0, wc, T).reshape(n, n)    # t2 = S, t1 = U S
    G2 = np.conj(G1)                                                 # G(-tau) = G(tau)^*
    out = np.empty((len(ws), len(ws)), dtype=complex)
    for i, wm in enumerate(ws):
        for j, wn in enumerate(ws):
            lower = (W * G1 * np.exp(1j * wm * U * S - 1j * wn * S)).sum()
            upper = (W * G2 * np.exp(1j * wm * S - 1j * wn * U * S)).sum()   # t1 = S, t2 = U S
            out[i, j] = -1j / (2 * dt) * (lower - upper)
    return out


def eq46(wm, wn, dt, g0, wc, T, printed, n=200):
    """Eq. (46) as printed (denominator i w_m dt) or corrected (w_m, w_n -> w_mn)."""
    x, w = np.polynomial.legendre.leggauss(n)
    tau, wt = (x + 1) * dt / 2, w * dt / 2
    G = g_numpy(tau, g0, wc, T)
    wbar = (wm + wn) / 2
    bracket = np.conj(G) * np.exp(1j * wbar * tau) + G * np.exp(-1j * wbar * tau)
    if printed:
        kern = (np.exp(1j * wm * dt) * np.exp(-1j * wn * tau / 2)
                - np.exp(1j * wn * tau / 2)) / (1j * wm * dt)
    else:
        d = wm - wn
        kern = ((np.exp(1j * d * dt) * np.exp(-1j * d * tau / 2) - np.exp(1j * d * tau / 2))
                / (1j * d * dt)) if d else 1 - tau / dt
    return (wt * bracket * kern).sum()


def as_array(matrix):
    return np.array([[complex(matrix[i, j]) for j in range(matrix.cols)]
                     for i in range(matrix.rows)])


# ------------------------------------------------------------------------------------------
# gamma_mn(dt) against Eq. (45) by brute force; the printed Eq. (46)
# ------------------------------------------------------------------------------------------

BRUTE = [(10.13, 10.13, 0.0431), (10.13, 9.87, 0.0713), (-9.87, 10.13, 0.0531),
         (0.0, 0.0, 0.0917), (-9.87, 0.0, 0.0612), (3.21, -0.77, 0.1234)]


@pytest.mark.parametrize("wm, wn, dt", BRUTE)
def test_gamma_matches_bruteforce_eq45(wm, wn, dt):
    ref = gamma_bruteforce(wm, wn, dt, G0, WC, TEMP)
    M = as_array(gamma_matrix_dt([wm, wn], ohmic(), TEMP, dt))
    scale = math.sqrt(M[0, 0].real * M[1, 1].real)     # |gamma_mn| <= scale (positivity)
    assert abs(M[0, 1] - ref) < 1e-11 * scale


def test_printed_eq46_is_wrong_corrected_form_agrees():
    """Eq. (46) must read e^{i w_mn dt} e^{-i w_mn tau/2} - e^{i w_mn tau/2} over i w_mn dt."""
    g0, wc, T = PAPER["g0"], PAPER["wc"], PAPER["T"]
    for wm, wn, dt in [(10.0, 10.0, 0.05), (10.0, 9.95, 0.05), (-10.0, 10.0, 0.05)]:
        brute = gamma_bruteforce(wm, wn, dt, g0, wc, T)
        corrected = eq46(wm, wn, dt, g0, wc, T, printed=False)
        printed = eq46(wm, wn, dt, g0, wc, T, printed=True)
        assert abs(corrected - brute) < 1e-11 * abs(brute)
        assert abs(printed - brute) > 1e-2 * abs(brute)
    # the printed form even gives a complex diagonal rate
    assert abs(eq46(10.0, 10.0, 0.05, g0, wc, T, printed=True).imag) > 1e-3


def test_element_and_matrix_agree_and_keep_order():
    ws = [10.13, -9.87, 0.0, 10.13]            # repeated frequency = degenerate pair
    M = gamma_matrix_dt(ws, ohmic(), TEMP, 0.777, dps=12)
    for i, j in [(0, 1), (1, 2), (2, 2), (1, 0)]:
        e = gamma_element_dt(ws[i], ws[j], ohmic(), TEMP, 0.777, dps=12)
        assert abs(M[i, j] - e) < 1e-11 * abs(M[0, 0])
    assert M[0, 3] == M[0, 0] == M[3, 3]


def test_float_based_rate_gives_double_precision():
    rate = lambda w: G0 * float(w) / WC * math.exp(-float(w) / WC)   # noqa: E731
    a = gamma_element_dt(10.13, 9.87, rate, TEMP, 1.2345)
    b = gamma_element_dt(10.13, 9.87, ohmic(), TEMP, 1.2345)
    assert abs(a - b) < 1e-13 * abs(b)


# ------------------------------------------------------------------------------------------
# Invariants: Hermitian, positive semidefinite
# ------------------------------------------------------------------------------------------

def _check_hermitian_psd(M):
    A = as_array(M)
    assert np.array_equal(A, A.conj().T)
    assert all(A[i, i].imag == 0 and A[i, i].real > 0 for i in range(len(A)))
    ev = np.linalg.eigvalsh(A)
    assert ev.min() > -1e-12 * ev.max()


@pytest.mark.parametrize("dt", [1e-3, 0.1, 3.3, 1e2, 1e4])
def test_hermitian_psd_log_sweep(dt):
    _check_hermitian_psd(gamma_matrix_dt([-9.87, 0.0, 0.5432, 10.13], ohmic(), TEMP, dt, dps=10))


@pytest.mark.slow
@pytest.mark.parametrize("dt", np.logspace(-3, 5, 9).tolist())
def test_hermitian_psd_log_sweep_six_frequencies(dt):
    rate = ohmic(PAPER["g0"], PAPER["wc"])
    _check_hermitian_psd(gamma_matrix_dt(THREE, rate, PAPER["T"], dt))


@settings(max_examples=12, deadline=None)
@given(wm=st.floats(-20, 20), wn=st.floats(-20, 20), logdt=st.floats(-2.5, 3.5),
       T=st.floats(0.05, 20))
def test_cauchy_schwarz_random_pairs(wm, wn, logdt, T):
    """2x2 principal minors of a PSD matrix: |gamma_mn|^2 <= gamma_mm gamma_nn."""
    dt = 10.0 ** logdt
    M = gamma_matrix_dt([wm, wn], ohmic(), T, dt, dps=8)
    assert abs(M[0, 0].imag) == 0 and M[0, 0].real > 0 and M[1, 1].real > 0
    assert abs(M[0, 1]) ** 2 <= M[0, 0].real * M[1, 1].real * (1 + 1e-7)
    assert M[1, 0] == mp.conj(M[0, 1])


# ------------------------------------------------------------------------------------------
# Plateaus (Eqs. 52, 55) and the O(1/dt) correction of Eq. (47)
# ------------------------------------------------------------------------------------------

def test_plateau_rate_conventions():
    """omega > 0 (raising X_m) absorbs: gamma n; omega < 0 emits: gamma (n+1); KMS ratio."""
    rate, T, w = ohmic(), mp.mpf(TEMP), mp.mpf("10.13")
    n = 1 / mp.expm1(w / T)
    assert abs(plateau_rate(w, rate, T) - rate(w) * n) < 1e-15 * rate(w) * n
    assert abs(plateau_rate(-w, rate, T) - rate(w) * (n + 1)) < 1e-15 * rate(w) * (n + 1)
    ratio = plateau_rate(w, rate, T) / plateau_rate(-w, rate, T)
    assert abs(ratio - mp.exp(-w / T)) < 1e-14 * ratio
    # omega = 0: T lim gamma(omega)/omega
    assert abs(plateau_rate(0, rate, T) - G0 * TEMP / WC) < 1e-14


def test_secular_plateau():
    """dt >> 1/min|w_mn| (here 1/0.05 = 20): gamma(dt) -> diag Gamma(w_m), Eq. (52)."""
    rate, T, dt = ohmic(PAPER["g0"], PAPER["wc"]), PAPER["T"], 1e5
    M, P = as_array(gamma_matrix_dt(THREE, rate, T, dt)), as_array(secular_limit(THREE, rate, T))
    top = np.abs(P).max()
    for m in range(6):
        C = float(first_order_correction(THREE[m], THREE[m], rate, T))
        # diagonal: the O(1/dt) term of Eq. (47) accounts for the whole deviation
        assert abs(M[m, m].real - (P[m, m].real - C / dt)) < 1e-9 * top
        for n in range(6):
            if n != m:   # off-diagonal: O(Gamma/(|w_mn| dt)) at most
                assert abs(M[m, n]) < 4 * top / (abs(THREE[m] - THREE[n]) * dt)


def _partial_secular_check(dt):
    rate, T = ohmic(PAPER["g0"], PAPER["wc"]), PAPER["T"]
    M = as_array(gamma_matrix_dt(THREE, rate, T, dt))
    P = as_array(partial_secular_limit(THREE, [[0, 1, 2], [3, 4, 5]], rate, T))
    C = {}
    top = np.abs(P).max()
    for m in range(6):
        for n in range(6):
            if (m < 3) != (n < 3):       # across clusters: |w_mn| ~ 2 omega_S, smoothed out
                assert abs(M[m, n]) < 2 * top / (abs(THREE[m] - THREE[n]) * dt)
                continue
            wbar, d = (THREE[m] + THREE[n]) / 2, (THREE[m] - THREE[n]) / 2
            if wbar not in C:
                C[wbar] = float(first_order_correction(THREE[m], THREE[n], rate, T, dps=8))
            Gam, scale = P[m, n].real, math.sqrt(P[m, m].real * P[n, n].real)
            uniform = np.exp(1j * d * dt) * (np.sinc(d * dt / np.pi) * Gam
                                             - np.cos(d * dt) * C[wbar] / dt)
            assert abs(M[m, n] - uniform) < 1e-3 * scale
            # Eq. (55) up to the quantified corrections: window phase e^{i d dt} (a frame
            # rotation by e^{i H_S dt/2}), sinc(d dt) - 1 and the Eq. (47) term C/dt
            stripped = np.exp(-1j * d * dt) * M[m, n]
            assert abs(stripped - Gam) < 1.1 * ((d * dt) ** 2 / 6 * Gam + abs(C[wbar]) / dt) \
                + 1e-3 * scale
    # the emission block (C/Gamma ~ 0.01) is on the Eq. (55) plateau, phase-stripped, to
    # (Omega dt)^2/6 (the sinc) + 0.01/dt (Eq. 47), i.e. about 1 per cent for dt ~ 2.5
    em = slice(0, 3)
    phases = np.exp(-1j * np.subtract.outer(THREE[:3], THREE[:3]) * dt / 2)
    budget = 0.005 + (OMEGA * dt) ** 2 / 6 + 0.01 / dt
    assert np.abs(phases * M[em, em] - P[em, em]).max() < budget * P[1, 1].real


def test_partial_secular_plateau_eq55():
    """1/omega_S = 0.1 << dt << 1/Omega = 20: within a cluster gamma_mn -> Gamma(wbar).

    Quantified: gamma_mn(dt) = e^{i d dt}[sinc(d dt) Gamma(wbar) - cos(d dt) C(wbar)/dt] + ...
    (d = w_mn/2, C from Eq. 47): the leading term is Eq. (55); pairs across clusters are
    O(1/(|w_mn| dt)).
    """
    _partial_secular_check(2.5)


@pytest.mark.slow
@pytest.mark.parametrize("dt", [1.5, 4.0, 8.0])
def test_partial_secular_plateau_eq55_more_dt(dt):
    _partial_secular_check(dt)


def test_first_order_correction_eq47():
    """(Gamma - gamma_mm(dt)) dt -> C (the second term of Eq. 47); C depends on wbar only."""
    rate, T = ohmic(), TEMP
    for w in (10.13, -9.87, 0.5432):
        C = first_order_correction(w, w, rate, T)
        Gam = plateau_rate(w, rate, T)
        dt = 1e3
        g = gamma_element_dt(w, w, rate, T, dt).real
        assert abs((Gam - g) * dt - C) < 1e-5 * abs(C)
    assert first_order_correction(10.13, 9.87, rate, T) == first_order_correction(10.0, 10.0,
                                                                                   rate, T)
    # absorption is approached from above (C < 0): the finite window leaks emission
    assert first_order_correction(10.13, 10.13, rate, T) < 0 < first_order_correction(
        -9.87, -9.87, rate, T)


def test_first_order_correction_log_divergence_at_zero_mean_frequency():
    """Ohmic-exponential at T > 0: S has a kink at 0, G ~ 1/tau^2, C(0) diverges."""
    with pytest.raises(CgsymError, match="logarithmically"):
        first_order_correction(0, 0, ohmic(), TEMP)
    with pytest.raises(CgsymError, match="logarithmically"):
        first_order_correction(3.3, -3.3, ohmic(), TEMP)
    gauss = lambda w: G0 * w / WC * mp.exp(-(w / WC) ** 2)   # noqa: E731  smooth odd extension
    assert mp.isfinite(first_order_correction(0, 0, gauss, TEMP))


# ------------------------------------------------------------------------------------------
# Energy shift, Eq. (30)
# ------------------------------------------------------------------------------------------

def test_lamb_shift_matches_bruteforce_eq30():
    ws, dt = [10.13, -9.87, 0.0], 0.0713
    A = as_array(lamb_shift_dt(ws, ohmic(), TEMP, dt))
    assert np.array_equal(A, A.conj().T)
    ref = lamb_bruteforce(ws, dt, G0, WC, TEMP)
    assert np.abs(ref - ref.conj().T).max() < 1e-13 * np.abs(ref).max()
    assert np.abs(A - ref).max() < 1e-11 * np.abs(ref).max()


def test_lamb_shift_secular_limit_is_principal_value():
    """s_mm(dt -> inf) = -(1/2pi) P int S(nu)/(nu + w_m) dnu, approached as O(1/dt)."""
    rate, T = ohmic(), mp.mpf(TEMP)

    def S(nu):
        if nu > 0:
            return rate(nu) * (1 / mp.expm1(nu / T) + 1)
        return rate(-nu) / mp.expm1(-nu / T) if nu < 0 else G0 * T / WC

    for w in (-9.87, 10.13):
        p = -mp.mpf(w)
        pv = mp.quad(lambda x: (S(p + x) - S(p - x)) / x,
                     [0, abs(p), 2 * abs(p) + T, 200, 1000, 5000, mp.inf])
        s_inf = -pv / (2 * mp.pi)
        s1, s2 = (lamb_shift_dt([w], rate, T, dt)[0, 0].real for dt in (1e3, 1e4))
        assert abs(s2 - s_inf) < 1e-5 * abs(s_inf)
        richardson = (10 * s2 - s1) / 9                      # removes the O(1/dt) term
        assert abs(richardson - s_inf) < 1e-9 * abs(s_inf)


# ------------------------------------------------------------------------------------------
# Correlation function and time scales
# ------------------------------------------------------------------------------------------

def test_correlation_function_closed_form():
    """Ohmic-exponential: G = g0 T^2/(2 pi wc) [psi'(T/wc + i T tau) + psi'(1 + T/wc - i T tau)]."""
    g0, wc, T = mp.mpf(G0), mp.mpf(WC), mp.mpf(TEMP)

    def closed(tau):
        return g0 * T ** 2 / (2 * mp.pi * wc) * (mp.psi(1, T / wc + 1j * T * tau)
                                                 + mp.psi(1, 1 + T / wc - 1j * T * tau))

    for tau in (0, 0.0123, 0.37, 5.1):
        got = correlation_function(tau, ohmic(), TEMP)
        assert abs(got - closed(mp.mpf(tau))) < 1e-14 * abs(closed(0))
    assert correlation_function(-0.37, ohmic(), TEMP) == mp.conj(
        correlation_function(0.37, ohmic(), TEMP))
    # against the NumPy omega-quadrature as well
    assert abs(complex(correlation_function(0.37, ohmic(), TEMP))
               - g_numpy(0.37, G0, WC, TEMP)[0]) < 1e-12


def test_correlation_time():
    # coherence time pi int S^2/(int S)^2 -> pi/(4 wc) for Ohmic-exponential at T -> 0
    tau = correlation_time(ohmic(), 1e-9)
    assert abs(tau - mp.pi / (4 * WC)) < 1e-6 / WC
    # Appendix A's ratio (A5) = C(0)/Gamma(0) where it exists, raises where it diverges
    gauss = lambda w: G0 * w / WC * mp.exp(-(w / WC) ** 2)   # noqa: E731
    a5 = correlation_time(gauss, TEMP, method="A5")
    assert abs(a5 - first_order_correction(0, 0, gauss, TEMP) / plateau_rate(0, gauss, TEMP)) \
        < 1e-8 * abs(a5)
    with pytest.raises(CgsymError):
        correlation_time(ohmic(), TEMP, method="A5")
    cubic = lambda w: G0 * (w / WC) ** 3 * mp.exp(-w / WC)   # noqa: E731  Gamma(0) = 0
    with pytest.raises(CgsymError, match="Gamma"):
        correlation_time(cubic, TEMP, method="A5")
    with pytest.raises(CgsymError):
        correlation_time(ohmic(), TEMP, method="bogus")


def test_timescale_ladder_regimes_and_warnings():
    rate, T = ohmic(PAPER["g0"], PAPER["wc"]), PAPER["T"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lad = timescale_ladder(THREE, rate, T, 1e3, tau_c=0.0157)
    assert isinstance(lad, TimescaleLadder) and lad.regime == "secular"
    assert lad.inv_omega_S == pytest.approx(1 / 9.95) and lad.inv_Omega == pytest.approx(20)
    assert lad.tau_S == pytest.approx(1 / float(plateau_rate(-10.05, rate, T)), rel=1e-6)
    # |C|/Gamma of a Bose-suppressed absorption rate, not tau_c, sets where the plateau starts
    w = W_S + OMEGA                       # the most Bose-suppressed absorption rate
    C = first_order_correction(w, w, rate, T)
    assert lad.tau_plateau == pytest.approx(abs(float(C / plateau_rate(w, rate, T))), rel=1e-4)
    assert lad.tau_plateau > 50 * lad.tau_c
    assert any("tau_S" in str(w.message) for w in caught)        # 1e3 > tau_S ~ 59
    weak = ohmic(0.001, PAPER["wc"])                             # tau_S ~ 5900 >> 1/Omega
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lad = timescale_ladder(THREE, weak, T, 1.5, tau_c=0.005, tau_plateau=0.1)
    assert lad.regime == "partial-secular" and lad.problems == () and not caught
    with pytest.warns(CoarseGrainingWarning, match="not separated"):
        timescale_ladder(THREE, rate, T, 1.5, tau_c=0.005, tau_plateau=0.1)   # strong coupling
    with pytest.warns(CoarseGrainingWarning, match=r"^1/g = 20 is not << tau_S"):
        timescale_ladder(THREE, rate, T, 1.5, tau_c=0.005, tau_plateau=0.1, names=("w", "g"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lad = timescale_ladder(THREE, weak, T, 0.01, tau_c=0.005, tau_plateau=0.1)
    assert lad.regime == "intermediate"
    assert all(w.category is CoarseGrainingWarning for w in caught)
    messages = [str(w.message) for w in caught]
    assert any("tau_c" in m for m in messages) and any("|C|/Gamma" in m for m in messages)
    assert any("plateau" in m for m in messages)
    with pytest.raises(AttributeError):
        lad.dt = 2.0                                             # frozen
    single = timescale_ladder([-1.1, 1.1], rate, T, 100.0, tau_c=0.01, tau_plateau=0.5,
                              warn=False)
    assert single.inv_Omega is None and single.regime == "secular"


# ------------------------------------------------------------------------------------------
# Rejected spectral functions and inputs
# ------------------------------------------------------------------------------------------

BAD_RATES = {
    "flat": lambda w: mp.mpf("0.1"),
    "inverse": lambda w: 0.1 / w,
    "ohmic-no-cutoff": lambda w: 0.1 * w,
    "sub-ohmic": lambda w: 0.1 * mp.sqrt(w) * mp.exp(-w / 50),
    "drude-1/omega-tail": lambda w: 0.1 * w / (1 + w ** 2),
}


@pytest.mark.parametrize("name", sorted(BAD_RATES))
def test_bad_spectral_functions_rejected(name):
    with pytest.raises(CgsymError, match="diverge") as info:
        check_spectral_function(BAD_RATES[name], TEMP)
    assert "\n" not in str(info.value)
    with pytest.raises(CgsymError, match="diverge"):
        gamma_matrix_dt([1.0, -1.0], BAD_RATES[name], TEMP, 1.0)


def test_good_spectral_functions_accepted():
    check_spectral_function(ohmic(), TEMP)
    check_spectral_function(lambda w: G0 * (w / WC) ** 3 * mp.exp(-(w / WC) ** 2), 0.01)
    check_spectral_function(lambda w: 0.1 * w / (1 + w ** 2) ** 1.5, 1.0)   # integrable tail
    check_spectral_function(lambda w: 0, 1.0)


@pytest.mark.parametrize("rate, message", [
    (lambda w: -0.1 * w * mp.exp(-w), "non-negative"),
    (lambda w: mp.mpc(0, 1) * w * mp.exp(-w), "real"),
    (lambda w: 1 / (w - w), "failed"),
    (lambda w: "0.1", "real"),
    ("not callable", "callable"),
])
def test_malformed_rates_rejected(rate, message):
    with pytest.raises(CgsymError, match=message):
        check_spectral_function(rate, TEMP)


@pytest.mark.parametrize("kwargs, message", [
    (dict(dt=0), "dt"), (dict(dt=-1.0), "dt"), (dict(T=0), "temperature"),
    (dict(T=-3.0), "temperature"), (dict(dt="1"), "real"), (dict(T=None), "real"),
    (dict(dt=float("nan")), "finite"), (dict(T=float("inf")), "finite"), (dict(dt=True), "real"),
    (dict(dt=1 + 2j), "real"), (dict(frequencies=[]), "empty"),
    (dict(frequencies=["a"]), "real"), (dict(frequencies=3.0), "sequence"),
    (dict(dps=0), "dps"), (dict(dps=2.5), "dps"),
])
def test_bad_inputs_rejected(kwargs, message):
    args = dict(frequencies=[1.0, -1.0], rate=ohmic(), T=TEMP, dt=1.0, dps=8)
    args.update(kwargs)
    with pytest.raises(CgsymError, match=message):
        gamma_matrix_dt(**args)


def test_bad_inputs_other_entry_points():
    with pytest.raises(CgsymError, match="dt"):
        gamma_element_dt(1, 1, ohmic(), TEMP, 0)
    with pytest.raises(CgsymError, match="temperature"):
        secular_limit([1.0], ohmic(), 0)
    with pytest.raises(CgsymError, match="two clusters"):
        partial_secular_limit([1.0, 1.1], [[0, 1], [1]], ohmic(), TEMP)
    with pytest.raises(CgsymError, match="index"):
        partial_secular_limit([1.0, 1.1], [[0, 2]], ohmic(), TEMP)
    with pytest.raises(CgsymError, match="temperature"):
        check_spectral_function(ohmic(), -1)


def test_exact_inputs_accepted():
    import fractions

    import sympy as sp
    a = gamma_element_dt(sp.Rational(1013, 100), 10.13, ohmic(), sp.Float(TEMP),
                         fractions.Fraction(1, 3))
    b = gamma_element_dt(10.13, 10.13, ohmic(), TEMP, 1 / 3)
    assert abs(a - b) < 1e-13 * abs(b)
