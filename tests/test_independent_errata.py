"""Paper errata re-checked by a route that shares nothing with cgsym (numpy only).

Written as an independent audit: it imports no cgsym code and builds everything
from scratch (numeric eigenoperators grouped by Bohr frequency, Gamma(w) =
gamma (n(|w|) + theta(-w)), column-stacked superoperators, SVD null space), so a
convention error in the engine cannot make both agree.  For each erratum in the
README's table that it covers (Eqs. 101, 103, 116, 118, 129, 133) the corrected form
matches to ~1e-15 and the printed one is off by far more.  Invariants ride along:
J_h + J_c = 0, heat from hot to cold, Eq. 115 reproduced.
"""
from __future__ import annotations

import numpy as np
import pytest

I2 = np.eye(2)
SP = np.array([[0, 1], [0, 0]], complex)   # |e><g|, basis (e, g)
SM = SP.conj().T
SZ = np.diag([1.0, -1.0]).astype(complex)
SX = SP + SM


def nB(w, T):
    return 1.0 / np.expm1(w / T)


def Gam(w, T, g):
    return g * (nB(abs(w), T) + (1.0 if w < 0 else 0.0))


def spre(A):
    return np.kron(np.eye(A.shape[0]), A)


def spost(B):
    return np.kron(B.T, np.eye(B.shape[0]))


def ham(H):
    return -1j * (spre(H) - spost(H))


def pair(A, B, g):
    """g (A rho B^+ - 1/2 {B^+ A, rho}) as a column-stacking superoperator."""
    Bd = B.conj().T
    return g * (np.kron(Bd.T, A) - 0.5 * (spre(Bd @ A) + spost(Bd @ A)))


def lind(L, g):
    return pair(L, L, g)


def eigenops(H, X, tol=1e-9):
    E, V = np.linalg.eigh(H)
    Xe = V.conj().T @ X @ V
    ops = {}
    for a in range(len(E)):
        for b in range(len(E)):
            if abs(Xe[a, b]) < 1e-12:
                continue
            w = E[a] - E[b]
            key = next((k for k in ops if abs(k - w) < tol), w)
            ops[key] = ops.get(key, 0) + Xe[a, b] * np.outer(V[:, a], V[:, b].conj())
    return ops


def D_secular(H, X, T, g, wS=None):
    """Secular dissipator; with wS the weak-internal limit (rates at +-wS)."""
    return sum(pair(Xm, Xm, Gam(np.sign(w) * wS if wS else w, T, g))
               for w, Xm in eigenops(H, X).items())


def D_weak_parsec(H, X, T, g, wS):
    """Partial secular, weak internal: every pair of same-sign frequencies, rate at +-wS."""
    ops = eigenops(H, X)
    return sum(pair(ops[a], ops[b], Gam(np.sign(a) * wS, T, g))
               for a in ops for b in ops if np.sign(a) == np.sign(b))


def steady(L):
    d = int(round(np.sqrt(L.shape[0])))
    _, s, vh = np.linalg.svd(L)
    assert s[-1] < 1e-12 * s[0] < s[-2]   # unique
    rho = vh[-1].conj().reshape(d, d, order="F")
    return rho / np.trace(rho)


def current(H, D, rho):
    d = H.shape[0]
    return np.trace(H @ (D @ rho.reshape(-1, order="F")).reshape(d, d, order="F")).real


def rel(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


def two_qubits(wS, Om):
    s1p, s1m = np.kron(SP, I2), np.kron(SM, I2)
    s2p, s2m = np.kron(I2, SP), np.kron(I2, SM)
    H = wS / 2 * (np.kron(SZ, I2) + np.kron(I2, SZ)) + Om * (s1p @ s2m + s1m @ s2p)
    return H, s1p, s1m, s2p, s2m


POINTS = [dict(wS=1.1341, Om=0.0437, gh=0.0123, gc=0.0271, Th=1.7, Tc=0.83),
          dict(wS=0.8713, Om=0.0191, gh=0.0412, gc=0.0087, Th=2.31, Tc=0.57)]


@pytest.mark.parametrize("p", POINTS)
def test_eq118_and_eq116_two_reservoirs(p):
    wS, Om, gh, gc, Th, Tc = (p[k] for k in ("wS", "Om", "gh", "gc", "Th", "Tc"))
    H, s1p, s1m, s2p, s2m = two_qubits(wS, Om)
    Xh, Xc = np.kron(SX, I2), np.kron(I2, SX)
    nh, nc = nB(wS, Th), nB(wS, Tc)
    J = {}
    for regime, fn in (("parsec", D_weak_parsec), ("sec", D_secular)):
        Dh, Dc = fn(H, Xh, Th, gh, wS), fn(H, Xc, Tc, gc, wS)
        rho = steady(ham(H) + Dh + Dc)
        Jh, Jc = current(H, Dh, rho), current(H, Dc, rho)
        assert abs(Jh + Jc) < 1e-15 and Jh > 0                      # first law; hot -> cold
        J[regime] = Jh - Jc
        if regime == "parsec":   # Eq. 116: the local form, qubit 1 on h, qubit 2 on c
            D = Dh + Dc
            def local(g1, n1, g2, n2):
                return (lind(s1m, g1 * (n1 + 1)) + lind(s1p, g1 * n1)
                        + lind(s2m, g2 * (n2 + 1)) + lind(s2p, g2 * n2))
            assert rel(local(gh, nh, gc, nc), D) < 1e-12            # corrected
            for g in (gh, gc):                                       # as printed
                assert rel(local(g, nc, g, nh), D) > 0.05
    nbar = (gh * nh + gc * nc) / (gh + gc)
    J115 = 2 * gc * gh * wS * (nh - nc) / ((gh + gc) * (2 * nbar + 1))
    assert abs(J["sec"] - J115) < 1e-12 * abs(J115)                 # Eq. 115 holds
    corrected = J115 * 4 * Om**2 / ((2 * nc + 1) * (2 * nh + 1) * gh * gc + 4 * Om**2)
    printed = J115 * 4 * Om**2 / ((2 * nc + 1) * (2 * nh + 1) * gh * gc
                                  + ((2 * nh + 1) * gh - (2 * nc + 1) * gc) * (gh - gc) / 4
                                  + 4 * Om**2)
    assert abs(corrected - J["parsec"]) < 1e-12 * abs(J["parsec"])
    assert abs(printed - J["parsec"]) > 1e-3 * abs(J["parsec"])


@pytest.mark.parametrize("wS,Om,g,T", [(1.1341, 0.0437, 0.0271, 0.83), (0.9127, 0.0213, 0.0133, 1.37)])
def test_eq101_rates_are_half_the_printed_ones(wS, Om, g, T):
    H, s1p, s1m, s2p, s2m = two_qubits(wS, Om)
    s2z = np.kron(I2, SZ)
    n = nB(wS, T)
    D = D_secular(H, np.kron(I2, SX), T, g, wS)
    def eq101(f):
        return f * (lind(s2m, g * (n + 1)) + lind(s2p, g * n)
                    + lind(s2z @ s1m, g * (n + 1)) + lind(s2z @ s1p, g * n))
    assert rel(eq101(0.5), D) < 1e-12
    assert abs(rel(eq101(1.0), D) - 1.0) < 1e-12      # exactly twice the derived rates


@pytest.mark.parametrize("wS,T", [(1.1341, 0.83), (0.77, 2.19), (2.3, 0.61)])
def test_eq103_normalisation(wS, T):
    Z0 = 2 * (np.cosh(wS / T) + 1)                   # Eq. 99 at Omega = 0
    boltz = np.diag([np.exp(-wS / 2 / T), np.exp(wS / 2 / T)])
    H0 = wS / 2 * (np.kron(SZ, I2) + np.kron(I2, SZ))
    G = np.diag(np.exp(-np.diag(H0).real / T))
    reduced = np.einsum("ijkj->ik", (G / np.trace(G)).reshape(2, 2, 2, 2))
    assert np.allclose(boltz / np.sqrt(Z0), reduced, atol=1e-15)   # corrected: Z(0)^(-1/2)
    assert abs(np.trace(boltz / Z0) - 1 / (2 * np.cosh(wS / 2 / T))) < 1e-14   # as printed


@pytest.mark.parametrize("wS,Om,g,Tl,Tr", [(1.1341, 0.0437, 0.0173, 1.7, 0.83),
                                          (0.9319, 0.0611, 0.0093, 0.74, 1.93)])
def test_eq129_and_eq133_tunnelling_qubit(wS, Om, g, Tl, Tr):
    l, r = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    Pl = np.kron(I2, np.outer(l, l)).astype(complex)
    Pr = np.kron(I2, np.outer(r, r)).astype(complex)
    H = wS / 2 * np.kron(SZ, I2) + Om / 2 * np.kron(I2, np.outer(l, r) + np.outer(r, l))
    Xl, Xr = Pl @ np.kron(SX, I2), Pr @ np.kron(SX, I2)
    ws = sorted(eigenops(H, Xl))
    # the paper's labels: omega_{+-1} = +-(wS - Om), omega_{+-2} = +-wS, omega_{+-3} = +-(wS + Om)
    w = {m: np.sign(m) * [0, wS - Om, wS, wS + Om][abs(m)] for m in (-3, -2, -1, 1, 2, 3)}
    assert np.allclose(ws, sorted(w.values()), atol=1e-12)
    assert abs((w[2] - w[-3]) - (2 * wS + Om)) < 1e-14    # printed 2 wS - Om
    assert abs((w[2] - w[-1]) - (2 * wS - Om)) < 1e-14    # printed 2 wS + Om
    sig_p, sig_m = np.kron(SP, I2), np.kron(SM, I2)
    plus, minus = (l + r) / np.sqrt(2), (l - r) / np.sqrt(2)
    Sp = np.kron(I2, np.outer(plus, minus)).astype(complex)
    Sm = Sp.conj().T

    def eq133(first):
        D = 0
        for T, s in ((Tl, 1), (Tr, -1)):
            D = D + lind(sig_m @ (s * Sm), g / 4 * (nB(first, T) + 1))
            D = D + lind(sig_m, g / 4 * (nB(wS, T) + 1))
            D = D + lind(sig_m @ (s * Sp), g / 4 * (nB(wS - Om, T) + 1))
            D = D + lind(sig_p @ (s * Sm), g / 4 * nB(wS - Om, T))
            D = D + lind(sig_p, g / 4 * nB(wS, T))
            D = D + lind(sig_p @ (s * Sp), g / 4 * nB(wS + Om, T))
        return D
    Dsec = D_secular(H, Xl, Tl, g) + D_secular(H, Xr, Tr, g)
    assert rel(eq133(wS + Om), Dsec) < 1e-12          # corrected: n_l(wS + Om) on sigma_- Sigma_-
    assert rel(eq133(wS), Dsec) > 1e-3                # as printed
