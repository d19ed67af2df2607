r"""Section III (coupling to a bosonic thermal reservoir): Eqs. (46), (48)-(49),
(52)-(53), (55)-(56) and (57)-(61) of Cresser & Facer, with the positivity claim
of Sec. III.C.1.

* (46) the reduction of the double time integral (45) for gamma_mn(dt): checked
  against an exact evaluation of (45) for a correlation function made of
  exponentials, and against :func:`cgsym.coarse_graining.gamma_element_dt` for a
  thermal Ohmic bath;
* (48)-(49) the plateau and the vanishing of gamma_mn(dt) in the two limits
  (numeric, with the exact finite-dt rates of :mod:`cgsym.coarse_graining`);
* (52)-(53), (55) the rates cgsym uses, entry by entry (a model with an
  omega-dependent rate for 52, the two-qubit model for 53 and 55);
* (56) the partial-secular master equation as a superoperator;
* (57)-(61) the quadratic form, the series (60) and the Gram identity (61);
  "61-PSD": the positivity claim of the text.

Run it alone with ``python derivations/sec3_bosonic_reservoir.py``.
"""
from __future__ import annotations

from functools import cache

import mpmath
import sympy as sp

import cgsym
from cgsym.latex import paper_latex
from cgsym.latex_reader import SymbolTable
from cgsym.reproduce import (EquationSet, compare_matrix, compare_scalar, exact_zero,
                             hamiltonian_superoperator, numeric_route, numeric_value, odd_points,
                             point_text, read_scalar, record, resolve_signs, split_lines)
from cgsym.symbols import OMEGA, n

SECTION = "III"

# ---------------------------------------------------------------------------
# the equations as printed (verbatim from the paper)
# ---------------------------------------------------------------------------
PRINTED = {
    "44": r"""\frac{d\rho}{dt} = -\frac{i}{\hbar} [H_S, \rho] + \sum_{m,n} \gamma_{mn}(\Delta t) \left[ X_m \rho X_n^\dagger - \frac{1}{2} \{ X_n^\dagger X_m, \rho \} \right] \quad (44)""",
    "45": r"""\gamma_{mn}(\Delta t) = \frac{1}{\hbar^2 \Delta t} \int_0^{\Delta t} dt_2 \int_0^{\Delta t} dt_1 G(t_2 - t_1) e^{i\omega_m t_1} e^{-i\omega_n t_2}. \quad (45)""",
    "46": r"""\gamma_{mn}(\Delta t) = \frac{1}{\hbar^2} \int_0^{\Delta t} d\tau \left[ G(-\tau) e^{i(\omega_m + \omega_n)\tau/2} + G(\tau) e^{-i(\omega_m + \omega_n)\tau/2} \right] \frac{e^{i\omega_m \Delta t} e^{-i\omega_n \tau/2} - e^{i\omega_n \tau/2}}{i\omega_m \Delta t} \quad (46)""",
    "48": r"""\gamma_{mn}(\Delta t) = \frac{1}{\hbar^2} \int_{-\infty}^{+\infty} G(\tau) e^{-i(\omega_m + \omega_n)\tau/2} d\tau, \quad |\omega_{mn}| \Delta t \ll 1. \quad (48)""",
    "49": r"""\gamma_{mn}(\Delta t) = \begin{cases} \frac{1}{\hbar^2} \int_{-\infty}^{+\infty} G(\tau) e^{-i(\omega_m + \omega_n)\tau/2} d\tau, & |\omega_{mn}| \Delta t \ll 1 \\ 0, & |\omega_{mn}| \Delta t \gg 1 \end{cases} \quad (49)""",
    "52": r"""\gamma_{nn}(\Delta t) = \gamma(|\omega_n|) (n(|\omega_n|) + \theta(-\omega_n)) \quad (52)""",
    "53": r"""\gamma_{nn}(\Delta t) = \gamma n(|\omega_n|) + \gamma \theta(-\omega_n) \quad (53)""",
    "55": r"""\begin{aligned} \gamma_{mn}(\Delta t) &= \gamma n(|\omega_m + \omega_n|/2) + \gamma \theta(-\omega_m - \omega_n), \\ &|\omega_{mn}| \lesssim \Omega, \quad \omega_S^{-1} \ll \Delta t \ll \Omega^{-1}. \end{aligned} \quad (55)""",
    "56": r"""\begin{aligned} \frac{d\rho}{dt} &= -\frac{i}{\hbar} [H_S, \rho] \\ &+ \sum_{m,n} \theta_{mn} \gamma_{mn} [X_m \rho X_n^\dagger - \frac{1}{2} \{X_m^\dagger X_n, \rho\}] \end{aligned} \quad (56)""",
    "57": r"""\sum_{m,n} a_m^* [n(|\omega_m + \omega_n|/2) + \theta(-\omega_m - \omega_n)] a_n. \quad (57)""",
    "58": r"""\sum_{m,n} a_m^* \gamma_{mn}(\Delta t) a_n = \sum_{m,n>0} a_m^* n((\omega_m + \omega_n)/2) a_n \quad (58)""",
    "59": r"""+ \sum_{m,n<0} a_m^* [n((\omega_m + \omega_n)/2) + 1] a_n \quad (59)""",
    "60": r"""n(\omega) = \frac{1}{e^{\hbar\omega/kT} - 1} = \sum_{p=0}^{\infty} e^{-(p+1)\hbar\omega/kT} \quad (60)""",
    "61": r"""\sum_{m,n} a_m^* \gamma_{mn} a_n = \sum_{p=0}^{\infty} \left[ \left| \sum_{m>0} a_m e^{-(p+1)\hbar\omega_m/2kT} \right|^2 + \left| \sum_{m<0} a_m e^{-p\hbar\omega_m/2kT} \right|^2 \right] \geq 0 \quad (61)""",
}

# The printed summands of (58), (59) and (61) and the bracket of (57), as read by
# the script: the pair (m, n) enters through omega_m, omega_n (and p, the series index).
SUMMAND = {
    "57": r"n(|\omega_m + \omega_n|/2) + \theta(-\omega_m - \omega_n)",
    "58": r"n((\omega_m + \omega_n)/2)",
    "59": r"n((\omega_m + \omega_n)/2) + 1",
    # |sum_m a_m x_m(p)|^2 = sum_mn a_m^* a_n x_m(p) x_n(p) for real x: the factors of (61)
    "61+": r"e^{-(p+1)\hbar\omega_m/2kT}",
    "61-": r"e^{-p\hbar\omega_m/2kT}",
}

EQUATIONS = EquationSet()
TWO_QUBITS = "two-qubits-one-bath"
THREE_LEVEL = "v-type-three-level"   # an omega-dependent rate, for Eq. (52)


# ---------------------------------------------------------------------------
# what cgsym derives (public API only)
# ---------------------------------------------------------------------------
@cache
def derive():
    """Spectra and rates of the models used in this section (fast, no steady states)."""
    out = {}
    for name in (TWO_QUBITS, THREE_LEVEL, "tunnelling-qubit"):
        model = cgsym.load_model(name)
        spec = cgsym.eigenoperators(model)
        out[name] = {
            "model": model,
            "spectrum": spec,
            "secular": cgsym.rates(spec, "secular", False),
            "partial-secular": cgsym.rates(spec, "partial-secular", False),
        }
    two = out[TWO_QUBITS]
    two["me_partial"] = cgsym.master_equation(two["partial-secular"])
    return out


def _table(model, **extra):
    names = {p.name: p.symbol for p in model.parameters}
    names.update(extra)
    return names


def _frequency_symbols():
    return sp.Symbol("omega_m", real=True), sp.Symbol("omega_n", real=True)


# ---------------------------------------------------------------------------
# (46): the reduction of the double integral (45)
# ---------------------------------------------------------------------------
# A correlation function made of exponentials, G(tau) = e^{-k|tau|}(A cos w0 tau - i B sin w0 tau),
# has G(-tau) = G(tau)^* like every bath correlation function (Eq. 40), and Eq. (45) can be
# integrated exactly for it.  The reduction (46) is a change of variables valid for any such G.
_K, _W0, _A, _B = (mpmath.mpf(x) for x in ("0.7", "1.3", "1.1", "0.6"))
_G_TERMS = (((_A - _B) / 2, -_K + 1j * _W0), ((_A + _B) / 2, -_K - 1j * _W0))  # tau > 0


def _G(tau):
    tau = mpmath.mpf(tau)
    if tau >= 0:
        return sum(c * mpmath.exp(lam * tau) for c, lam in _G_TERMS)
    return mpmath.conj(_G(-tau))


def _E(c, dt):
    """int_0^dt e^{c t} dt."""
    return dt if c == 0 else (mpmath.exp(c * dt) - 1) / c


def _eq45_exact(wm, wn, dt):
    """Eq. (45) for the exponential G, integrated in closed form over both triangles."""
    wmn = wm - wn
    total = mpmath.mpc(0)
    for c, lam in _G_TERMS:
        # t2 > t1: G(t2 - t1) = c e^{lam (t2 - t1)}
        total += c * (_E(1j * wmn, dt) - _E(lam - 1j * wn, dt)) / (1j * wm - lam)
        # t1 > t2: G(t2 - t1) = conj(G(t1 - t2)) = c e^{conj(lam) (t1 - t2)}
        mu = mpmath.conj(lam)
        total += c * (_E(1j * wmn, dt) - _E(mu + 1j * wm, dt)) / (-(mu + 1j * wn))
    return total / dt


def _eq46(wm, wn, dt, G, printed: bool, nodes=None):
    """Eq. (46) as printed (omega_m, omega_n in the last factor) or corrected (omega_mn)."""
    wb = (wm + wn) / 2
    wmn = wm - wn

    def f(t):
        br = G(-t) * mpmath.expj(wb * t) + G(t) * mpmath.expj(-wb * t)
        if printed:
            return br * (mpmath.expj(wm * dt) * mpmath.expj(-wn * t / 2)
                         - mpmath.expj(wn * t / 2)) / (1j * wm * dt)
        return br * (mpmath.expj(wmn * dt) * mpmath.expj(-wmn * t / 2)
                     - mpmath.expj(wmn * t / 2)) / (1j * wmn * dt)

    if nodes is None:
        return mpmath.quad(f, [0, dt])
    xs, ws = nodes
    return sum(w * f(x) for x, w in zip(xs, ws))


def _gauss_legendre(a, b, k):
    import numpy as np
    x, w = np.polynomial.legendre.leggauss(k)
    half = (b - a) / 2
    return ([mpmath.mpf(a) + half * (1 + mpmath.mpf(float(t))) for t in x],
            [half * mpmath.mpf(float(v)) for v in w])


CORRECTED_46 = (r"\gamma_{mn}(\Delta t) = \int_0^{\Delta t} d\tau \left[ G(-\tau) "
                r"e^{i(\omega_m + \omega_n)\tau/2} + G(\tau) e^{-i(\omega_m + \omega_n)\tau/2} "
                r"\right] \frac{e^{i\omega_{mn} \Delta t} e^{-i\omega_{mn} \tau/2} - "
                r"e^{i\omega_{mn} \tau/2}}{i\omega_{mn} \Delta t}")


@EQUATIONS.equation("46", "III.A")
def eq46(d):
    rows = []
    ok_corr, ok_print = True, True
    with mpmath.workdps(20):
        for wm, wn, dt in (("1.1341", "0.9876", "2.7"), ("1.1341", "-0.4321", "7.3")):
            wm, wn, dt = mpmath.mpf(wm), mpmath.mpf(wn), mpmath.mpf(dt)
            exact = _eq45_exact(wm, wn, dt)
            corr = _eq46(wm, wn, dt, _G, printed=False)
            prnt = _eq46(wm, wn, dt, _G, printed=True)
            dc = abs(corr - exact) / abs(exact)
            dp = abs(prnt - exact) / abs(exact)
            ok_corr &= dc < 1e-15
            ok_print &= dp < 1e-15
            rows.append(f"w_m={mpmath.nstr(wm, 6)}, w_n={mpmath.nstr(wn, 6)}, dt={mpmath.nstr(dt, 3)}: "
                        f"Eq. (45) exactly {mpmath.nstr(exact, 12)}; printed (46) "
                        f"{mpmath.nstr(prnt, 12)} (deviation {mpmath.nstr(dp, 3)}); corrected "
                        f"{mpmath.nstr(corr, 12)} (deviation {mpmath.nstr(dc, 3)})")
    # a thermal Ohmic bath: the exact finite-dt rate of cgsym.coarse_graining
    extra = ""
    try:
        from cgsym.coarse_graining import correlation_function, gamma_element_dt
    except ImportError:  # pragma: no cover - the module is optional
        correlation_function = None
    if correlation_function is not None:
        wc, g0, T = mpmath.mpf(3), mpmath.mpf("0.05"), mpmath.mpf("0.4321")

        def rate(w):
            return g0 * w / wc * mpmath.exp(-w / wc)

        wm, wn, dt = mpmath.mpf("1.1341"), mpmath.mpf("0.9876"), mpmath.mpf("2.7")
        cache_G = {}

        def G(t):
            key = mpmath.nstr(abs(t), 25)
            if key not in cache_G:
                cache_G[key] = correlation_function(abs(t), rate, T, dps=12)
            v = cache_G[key]
            return v if t >= 0 else mpmath.conj(v)

        nodes = _gauss_legendre(0, dt, 20)
        ref = gamma_element_dt(wm, wn, rate, T, dt, dps=12)
        corr = _eq46(wm, wn, dt, G, printed=False, nodes=nodes)
        prnt = _eq46(wm, wn, dt, G, printed=True, nodes=nodes)
        dc = abs(corr - ref) / abs(ref)
        dp = abs(prnt - ref) / abs(ref)
        ok_corr &= dc < 1e-6
        ok_print &= dp < 1e-6
        extra = (f"; Ohmic bath gamma(w) = 0.05 (w/3) e^(-w/3), T = 0.4321, w_m = 1.1341, "
                 f"w_n = 0.9876, dt = 2.7: cgsym.coarse_graining.gamma_element_dt "
                 f"{mpmath.nstr(ref, 10)}; printed (46) with G from correlation_function "
                 f"{mpmath.nstr(prnt, 10)} (deviation {mpmath.nstr(dp, 3)}); corrected "
                 f"{mpmath.nstr(corr, 10)} (deviation {mpmath.nstr(dc, 3)})")
    if not ok_corr:
        raise cgsym.CgsymError("the corrected reduction of Eq. (45) does not reproduce it")
    evidence = ("G(tau) = e^(-0.7|tau|)(1.1 cos 1.3 tau - 0.6 i sin 1.3 tau) (G(-tau) = G(tau)^*), "
                "Eq. (45) integrated in closed form: " + "; ".join(rows) + extra +
                ". The last factor of the printed (46) has omega_m and omega_n where the change "
                "of variables t = t1 + t2, tau = t2 - t1 gives omega_mn = omega_m - omega_n "
                "throughout (a dropped subscript; the text's next sentence uses |omega_mn| dt).")
    return record("46", "III.A", ok_print, PRINTED["46"], CORRECTED_46, evidence)


# ---------------------------------------------------------------------------
# (48)-(49): the two limits of gamma_mn(dt)
# ---------------------------------------------------------------------------
@EQUATIONS.equation("48", "III.A")
def eq48(d):
    from cgsym.coarse_graining import first_order_correction, gamma_element_dt, plateau_rate
    wc, g0, T = mpmath.mpf(3), mpmath.mpf("0.05"), mpmath.mpf("0.4321")

    def rate(w):
        return g0 * w / wc * mpmath.exp(-w / wc)

    wm, wn = mpmath.mpf("1.1341"), mpmath.mpf("1.13411")     # |omega_mn| = 1e-5
    plateau = plateau_rate((wm + wn) / 2, rate, T, dps=12)    # (48): Gamma(mean frequency)
    C = first_order_correction(wm, wn, rate, T, dps=12)       # the 1/dt term of (47)
    rows, devs = [], []
    for dt in (100, 400):
        g = gamma_element_dt(wm, wn, rate, T, dt, dps=12)
        rel = abs(g - plateau) / plateau
        rel47 = abs(g - (plateau - C / dt)) / plateau
        devs.append((rel, rel47))
        rows.append(f"dt={dt} (|w_mn| dt = {float(abs(wm - wn) * dt):.3g}): gamma_mn(dt) = "
                    f"{mpmath.nstr(g, 8)}, plateau (48) {mpmath.nstr(plateau, 8)}: relative "
                    f"deviation {mpmath.nstr(rel, 3)} (the O(tau_c/dt) term of (47), "
                    f"C/(Gamma dt) = {mpmath.nstr(abs(C) / (plateau * dt), 3)}); with that term "
                    f"included {mpmath.nstr(rel47, 3)}")
    # the plateau is approached as dt grows in the window, at the rate of Eq. (47)
    ok = devs[1][0] < devs[0][0] / 2 and devs[1][0] < 0.01 and all(b < a / 3 for a, b in devs)
    evidence = ("exact finite-dt rates (cgsym.coarse_graining.gamma_element_dt) for an Ohmic bath "
                "gamma(w) = 0.05 (w/3) e^(-w/3), T = 0.4321, w_m = 1.1341, w_n = 1.13411: "
                + "; ".join(rows) + ". The integral in (48) is Gamma((w_m + w_n)/2) = "
                "gamma(|w|)(n(|w|) + theta(-w)) (Eqs. 52, 55).")
    derived = r"\gamma_{mn}(\Delta t) = \gamma(|\bar\omega|)\left(n(|\bar\omega|) + " \
              r"\theta(-\bar\omega)\right) + O(\tau_c/\Delta t),\quad \bar\omega = " \
              r"(\omega_m + \omega_n)/2"
    return record("48", "III.A", ok, PRINTED["48"], derived, evidence)


@EQUATIONS.equation("49", "III.A")
def eq49(d):
    from cgsym.coarse_graining import gamma_element_dt, plateau_rate
    wc, g0, T = mpmath.mpf(3), mpmath.mpf("0.05"), mpmath.mpf("0.4321")

    def rate(w):
        return g0 * w / wc * mpmath.exp(-w / wc)

    rows, ok = [], True
    for wm, wn in (("1.1341", "-1.1341"), ("1.1341", "0.6341")):
        wm, wn = mpmath.mpf(wm), mpmath.mpf(wn)
        scale = mpmath.sqrt(plateau_rate(wm, rate, T) * plateau_rate(wn, rate, T))
        ratios = []
        for dt in (80, 320):
            g = gamma_element_dt(wm, wn, rate, T, dt, dps=12)
            ratios.append(abs(g) / scale)
            rows.append(f"w_m={mpmath.nstr(wm, 5)}, w_n={mpmath.nstr(wn, 5)}, dt={dt} "
                        f"(|w_mn| dt = {float(abs(wm - wn) * dt):.3g}): |gamma_mn| / "
                        f"sqrt(gamma_mm gamma_nn) = {mpmath.nstr(ratios[-1], 3)}")
        # small, and decreasing as |w_mn| dt grows
        ok &= ratios[1] < ratios[0] and ratios[0] < 0.1
    evidence = ("the first case is Eq. (48) (see its record); second case, exact finite-dt rates "
                "(cgsym.coarse_graining): " + "; ".join(rows) + " -- small and decreasing "
                "as |w_mn| dt grows: like 1/(|w_mn| dt) for same-sign frequencies; at mean frequency 0 "
                "this Ohmic spectrum has a kink, giving an oscillating sinc and a log(dt)/dt tail.")
    derived = (r"\gamma_{mn}(\Delta t) \to \begin{cases}\gamma(|\bar\omega|)(n(|\bar\omega|) + "
               r"\theta(-\bar\omega)), & |\omega_{mn}|\Delta t \ll 1\\ O(1/|\omega_{mn}|\Delta t), "
               r"& |\omega_{mn}|\Delta t \gg 1\end{cases}")
    return record("49", "III.A", ok, PRINTED["49"], derived, evidence)


# ---------------------------------------------------------------------------
# (52), (53), (55): the rates, entry by entry
# ---------------------------------------------------------------------------
def _rate_table(model, res):
    """Names of (52)-(55): gamma (the rate, or the function gamma(w)), n(w), theta(x)."""
    r = model.reservoir(res)
    T = r.temperature
    funcs = {"n": lambda w: n(w, T), "theta": sp.Heaviside}
    names = _table(model)
    if r.rate.has(OMEGA):
        funcs["gamma"] = lambda w: r.rate.subs(OMEGA, w)
    else:
        names["gamma"] = r.rate
    return names, funcs


def _compare_rates(number, model, spec, gmat, printed_expr, pairs, wm_sym, wn_sym):
    """Printed formula at (omega_m, omega_n) vs the derived entry, for the given index pairs."""
    w = dict(spec.frequencies)
    printed = sp.Matrix(len(pairs), 1, lambda i, _: resolve_signs(
        printed_expr.subs({wm_sym: w[pairs[i][0]], wn_sym: w[pairs[i][1]]}), model))
    derived = sp.Matrix(len(pairs), 1, lambda i, _: gmat.entry(*pairs[i]))
    return compare_matrix(printed, derived, model, odd_points(model, 2),
                          what=f"Eq. ({number}) rates"), printed, derived


@EQUATIONS.equation("52", "III.B")
def eq52(d):
    D = d[THREE_LEVEL]
    model, spec = D["model"], D["spectrum"]
    names, funcs = _rate_table(model, "b")
    wm, wn = _frequency_symbols()
    names["omega_n"] = wn
    pe = read_scalar(PRINTED["52"], SymbolTable(names, funcs))
    g = D["secular"].gamma("b")
    pairs = [(m, m) for m in g.indices]
    cmp, P, Dv = _compare_rates("52", model, spec, g, pe, pairs, wm, wn)
    rows = ", ".join(f"gamma_{m}{m} = {sp.sstr(Dv[i])}" for i, (m, _) in enumerate(pairs))
    return record("52", "III.B", cmp.agrees, PRINTED["52"],
                  r"\gamma_{nn} = " + paper_latex(Dv[-1], model) + r"\ \ (n = 2)",
                  f"model {model.name} (rate gamma w/omega_c e^(-w/omega_c), secular regime): "
                  f"{rows}; {cmp.evidence()}")


@EQUATIONS.equation("53", "III.B")
def eq53(d):
    D = d[TWO_QUBITS]
    model, spec = D["model"], D["spectrum"]
    names, funcs = _rate_table(model, "b")
    wm, wn = _frequency_symbols()
    names["omega_n"] = wn
    pe = read_scalar(PRINTED["53"], SymbolTable(names, funcs))
    g = D["secular"].gamma("b")
    pairs = [(m, m) for m in g.indices]
    cmp, P, Dv = _compare_rates("53", model, spec, g, pe, pairs, wm, wn)
    return record("53", "III.B", cmp.agrees, PRINTED["53"],
                  r"\mathrm{diag}(\gamma_{nn})_{n=-2,-1,1,2} = "
                  + paper_latex(sp.Matrix(Dv).T, model),
                  f"model {model.name}, secular regime, every gamma_nn; {cmp.evidence()}")


@EQUATIONS.equation("55", "III.C")
def eq55(d):
    out = []
    ok = True
    latex_rows = []
    for name in (TWO_QUBITS, "tunnelling-qubit"):
        D = d[name]
        model, spec = D["model"], D["spectrum"]
        res = model.reservoirs[0].name
        names, funcs = _rate_table(model, res)
        wm, wn = _frequency_symbols()
        names.update(omega_m=wm, omega_n=wn)
        pe = read_scalar(split_lines(PRINTED["55"])[0], SymbolTable(names, funcs))
        g = D["partial-secular"].gamma(res)
        pairs = [(m, k) for m in g.indices for k in g.indices
                 if spec.cluster_of(m).index == spec.cluster_of(k).index]
        cmp, P, Dv = _compare_rates("55", model, spec, g, pe, pairs, wm, wn)
        ok &= cmp.agrees
        out.append(f"model {model.name} (reservoir {res}), the {len(pairs)} same-cluster pairs: "
                   f"{cmp.evidence()}")
        latex_rows.append(rf"\gamma^{{({res})}} = " + paper_latex(g.matrix, model))
    return record("55", "III.C", ok, PRINTED["55"], r" \\ ".join(latex_rows), "; ".join(out))


# ---------------------------------------------------------------------------
# (56): the partial-secular master equation
# ---------------------------------------------------------------------------
@EQUATIONS.equation("56", "III.C")
def eq56(d):
    D = d[TWO_QUBITS]
    model, spec = D["model"], D["spectrum"]
    names, funcs = _rate_table(model, "b")
    wm, wn = _frequency_symbols()
    names.update(omega_m=wm, omega_n=wn)
    gexpr = read_scalar(split_lines(PRINTED["55"])[0], SymbolTable(names, funcs))
    w = dict(spec.frequencies)
    ops = {e.index: sp.Matrix(e.matrix) for e in spec.operators("b")}
    dim = model.dim
    I = sp.eye(dim)

    def liouvillian(order):
        """Eq. (56) summed: theta_mn gamma_mn [X_m rho X_n^+ - 1/2 {A_mn, rho}]."""
        S = sp.Matrix(hamiltonian_superoperator(model.hamiltonian))
        for m in ops:
            for k in ops:
                if m * k <= 0:          # theta_mn
                    continue
                g = resolve_signs(gexpr.subs({wm: w[m], wn: w[k]}), model)
                Xm, Xn = ops[m], ops[k]
                A = Xm.H * Xn if order == "printed" else Xn.H * Xm
                S += g * (sp.Matrix(sp.kronecker_product(Xn.H.T, Xm))
                          - (sp.kronecker_product(I, A) + sp.kronecker_product(A.T, I)) / 2)
        return S.applyfunc(sp.expand)

    L_printed = liouvillian("printed")
    L_derived = D["me_partial"].liouvillian()
    cmp = compare_matrix(L_printed, L_derived, model, odd_points(model, 2), "Eq. (56)")
    # the printed anticommutator order {X_m^+ X_n, rho} agrees with Eq. (44)'s
    # {X_n^+ X_m, rho} because gamma_mn of Eq. (55) is real and symmetric; for a complex
    # Hermitian gamma it would not preserve the trace:
    import numpy as np
    rng = np.random.default_rng(20261125)
    Xs = [np.array(sp.N(ops[m]), dtype=complex) for m in (1, 2)]
    M = rng.normal(size=(2, 2)) + 1j * rng.normal(size=(2, 2))
    G = M @ M.conj().T
    rho = np.diag([0.4, 0.3, 0.2, 0.1]).astype(complex)
    tr = {}
    for order in ("printed", "44"):
        out = np.zeros((dim, dim), complex)
        for i in range(2):
            for j in range(2):
                A = Xs[i].conj().T @ Xs[j] if order == "printed" else Xs[j].conj().T @ Xs[i]
                out += G[i, j] * (Xs[i] @ rho @ Xs[j].conj().T - (A @ rho + rho @ A) / 2)
        tr[order] = abs(np.trace(out))
    evidence = (f"model {model.name}, partial-secular Liouvillian (16x16) built from the printed "
                f"terms with X_m from cgsym's spectrum and gamma_mn from the printed Eq. (55): "
                f"{cmp.evidence()}. The printed anticommutator {{X_m^+ X_n, rho}} equals Eq. (44)'s "
                f"{{X_n^+ X_m, rho}} only because gamma_mn is real symmetric; with a complex "
                f"Hermitian gamma on X_1, X_2, |Tr D[rho]| = {tr['printed']:.3g} (printed order) vs "
                f"{tr['44']:.1e} (Eq. 44's order).")
    return record("56", "III.C", cmp.agrees, PRINTED["56"],
                  r"\frac{d\rho}{dt} = -i[H_S, \rho] + \sum_{m,n} \theta_{mn}\gamma_{mn}\left[X_m\rho "
                  r"X_n^\dagger - \frac{1}{2}\{X_n^\dagger X_m, \rho\}\right]", evidence)


# ---------------------------------------------------------------------------
# (57)-(61): the quadratic form and the Gram identity
# ---------------------------------------------------------------------------
def _bracket_vs_engine(number, d, sign_filter, summand):
    """The printed bracket at (omega_m, omega_n) vs gamma_mn / gamma of cgsym."""
    D = d[TWO_QUBITS]
    model, spec = D["model"], D["spectrum"]
    names, funcs = _rate_table(model, "b")
    wm, wn = _frequency_symbols()
    names.update(omega_m=wm, omega_n=wn)
    expr = read_scalar(summand, SymbolTable(names, funcs))
    g = D["partial-secular"].gamma("b")
    gamma = model.parameter("gamma").symbol
    pairs = [(m, k) for m in g.indices for k in g.indices if sign_filter(m) and sign_filter(k)]
    w = dict(spec.frequencies)
    P = sp.Matrix(len(pairs), 1, lambda i, _: resolve_signs(
        expr.subs({wm: w[pairs[i][0]], wn: w[pairs[i][1]]}), model))
    Dv = sp.Matrix(len(pairs), 1, lambda i, _: sp.expand(g.entry(*pairs[i]) / gamma))
    cmp = compare_matrix(P, Dv, model, odd_points(model, 2), f"Eq. ({number})")
    return cmp, pairs, P, Dv, model


@EQUATIONS.equation("57", "III.C.1")
def eq57(d):
    cmp, pairs, P, Dv, model = _bracket_vs_engine("57", d, lambda m: m > 0, SUMMAND["57"])
    cmp2, pairs2, *_ = _bracket_vs_engine("57", d, lambda m: m < 0, SUMMAND["57"])
    ok = cmp.agrees and cmp2.agrees
    return record("57", "III.C.1", ok, PRINTED["57"],
                  r"\gamma_{mn}/\gamma = n(|\omega_m + \omega_n|/2) + \theta(-\omega_m - \omega_n)"
                  r"\quad (m n > 0)",
                  f"the bracket vs cgsym's partial-secular gamma_mn/gamma ({model.name}) for the "
                  f"pairs with m, n > 0: {cmp.evidence()}; m, n < 0: {cmp2.evidence()}. (Pairs of "
                  f"opposite sign are excluded by theta_mn of Eq. 56; at m = -n the bracket would "
                  f"be n(0), infinite.)")


@EQUATIONS.equation("58", "III.C.1")
def eq58(d):
    cmp, pairs, P, Dv, model = _bracket_vs_engine("58", d, lambda m: m > 0, SUMMAND["58"])
    return record("58", "III.C.1", cmp.agrees, PRINTED["58"],
                  r"\sum_{m,n>0} a_m^* n((\omega_m + \omega_n)/2) a_n",
                  f"summand vs cgsym's gamma_mn/gamma ({model.name}), m, n in {{1, 2}}: "
                  f"{cmp.evidence()}")


@EQUATIONS.equation("59", "III.C.1")
def eq59(d):
    cmp, pairs, P, Dv, model = _bracket_vs_engine("59", d, lambda m: m < 0, SUMMAND["59"])
    rows = "; ".join(f"({m},{k}): printed {sp.sstr(P[i])}, derived {sp.sstr(Dv[i])}"
                     for i, (m, k) in enumerate(pairs))
    pt = odd_points(model, 1)[0]
    return record("59", "III.C.1", cmp.agrees, PRINTED["59"],
                  r"+ \sum_{m,n<0} a_m^* \left[n(|\omega_m + \omega_n|/2) + 1\right] a_n",
                  f"for m, n < 0 the argument (omega_m + omega_n)/2 is negative and Eq. (60) gives "
                  f"n(-x) + 1 = -n(x): the printed summand is minus the rate; the absolute value "
                  f"of Eq. (57) is needed. {rows}. {cmp.evidence()}")


@EQUATIONS.equation("60", "III.C.1")
def eq60(d):
    w, T = sp.symbols("omega T", positive=True)
    p = sp.Symbol("p", integer=True, nonnegative=True)
    table = SymbolTable({"omega": w, "T": T})
    lines = PRINTED["60"]
    closed = read_scalar(lines.split("=")[1], table)
    summand = PRINTED["60"].split(r"\sum_{p=0}^{\infty}")[1]
    term = read_scalar(summand, SymbolTable({"omega": w, "T": T, "p": p}))
    q = sp.simplify(term.subs(p, p + 1) / term)       # ratio of the geometric series
    if not (q.is_positive and sp.expand_log(sp.log(q), force=True).is_negative):
        raise cgsym.CgsymError("Eq. (60): the series ratio is not in (0, 1)")
    series = sp.simplify(term.subs(p, 0) / (1 - q))
    ok = exact_zero(closed - n(w, T)) and exact_zero(series - n(w, T))
    val = [(float(sp.N(sp.Sum(sp.exp(-(p + 1) * sp.Rational(11341, 10000) / sp.Rational(4321, 10000)),
                                  (p, 0, 200)).doit())), float(n(sp.Float(1.1341), sp.Float(0.4321))))]
    return record("60", "III.C.1", ok, PRINTED["60"],
                  r"n(\omega) = \frac{1}{e^{\omega/T} - 1} = \sum_{p=0}^{\infty} e^{-(p+1)\omega/T}",
                  f"the series is geometric with ratio {sp.sstr(q)} in (0, 1) (omega, T > 0); its sum "
                  f"{sp.sstr(series)} equals n(omega, T) exactly, as does the closed form; "
                  f"n(omega, T) exactly; at omega=1.1341, T=0.4321 the partial sum to p=200 is "
                  f"{val[0][0]:.15g} vs n = {val[0][1]:.15g}")


@EQUATIONS.equation("61", "III.C.1")
def eq61(d):
    D = d[TWO_QUBITS]
    model, spec = D["model"], D["spectrum"]
    T = model.parameter("T").symbol
    gamma = model.parameter("gamma").symbol
    g = D["partial-secular"].gamma("b")
    w = dict(spec.frequencies)
    wm = sp.Symbol("omega_m", real=True)
    p = sp.Symbol("p", integer=True, nonnegative=True)
    table = SymbolTable({"omega_m": wm, "T": T, "p": p})
    factor = {"+": read_scalar(SUMMAND["61+"], table), "-": read_scalar(SUMMAND["61-"], table)}
    corrected = {"+": factor["+"], "-": sp.exp(p * wm / (2 * T))}
    # sum_p x_m(p) x_n(p) for each same-sign pair: a geometric series in p
    pts = odd_points(model, 2)

    def series_matrix(fac):
        out, conv = [], True
        for m in g.indices:
            for k in g.indices:
                if m * k <= 0:
                    continue
                sgn = "+" if m > 0 else "-"
                term = sp.powsimp(sp.expand(fac[sgn].subs(wm, w[m]) * fac[sgn].subs(wm, w[k])))
                q = sp.simplify(term.subs(p, p + 1) / term)      # the ratio of the series
                qv = [abs(complex(numeric_value(q, model, pt))) for pt in pts]
                if not all(v < 1 for v in qv):
                    conv = False
                    out.append(((m, k), sp.oo, max(qv)))
                    continue
                out.append(((m, k), sp.simplify(term.subs(p, 0) / (1 - q)), max(qv)))
        return out, conv

    printed, conv_p = series_matrix(factor)
    fixed, conv_c = series_matrix(corrected)
    if not conv_c:
        raise cgsym.CgsymError("the corrected Gram series of Eq. (61) does not converge")
    ok_fixed = all(exact_zero(v - sp.expand(g.entry(m, k) / gamma)) for (m, k), v, _ in fixed)
    if not ok_fixed:
        raise cgsym.CgsymError("the corrected Gram identity of Eq. (61) fails")
    ok_printed = conv_p and all(exact_zero(v - sp.expand(g.entry(m, k) / gamma))
                                for (m, k), v, _ in printed)
    div = [f"({m},{k}): ratio {q:.4g}" for (m, k), v, q in printed if v is sp.oo]
    # numbers: partial sums for one vector a at one odd point
    import numpy as np
    vals = pts[0]
    a = {-2: 0.3 - 0.2j, -1: -0.7 + 0.1j, 1: 0.5 + 0.4j, 2: -0.2 + 0.6j}
    G = np.array(numeric_value(g.matrix / gamma, model, vals), dtype=complex)
    avec = np.array([a[m] for m in g.indices])
    lhs = float(np.real(avec.conj() @ G @ avec))

    num = {k: model.parameter(k).symbol for k in vals}
    at = {num[k]: v for k, v in vals.items()}

    def partial(fac, P):
        xs = {m: sp.lambdify(p, fac["+" if m > 0 else "-"].subs(wm, w[m]).subs(at), "math")
              for m in a}
        tot = 0.0
        for pp in range(P):
            for ms in ([1, 2], [-2, -1]):
                tot += abs(sum(a[m] * xs[m](pp) for m in ms)) ** 2
        return tot

    ps = {P: (partial(factor, P), partial(corrected, P)) for P in (5, 20, 60)}
    nums = "; ".join(f"P={P}: printed {v[0]:.6g}, corrected {v[1]:.10g}" for P, v in ps.items())
    evidence = (f"summing the series pair by pair (m, n of the same sign; {model.name}): the printed "
                f"m < 0 factor e^(-p omega_m/2kT) grows with p (omega_m < 0), the series diverge "
                f"({', '.join(div)}); with e^(+p omega_m/2kT) = e^(-p|omega_m|/2kT) every pair sums "
                f"exactly to gamma_mn/gamma of cgsym (n(|w|) + 1 = sum_p e^(-p|w|/T)). At "
                f"{point_text(vals)}, a = (0.3-0.2i, -0.7+0.1i, 0.5+0.4i, -0.2+0.6i): "
                f"a^+ (gamma/gamma) a = {lhs:.10g}; partial sums to P terms: {nums}. (Both sides "
                f"are per unit gamma, as in Eq. 57.)")
    derived = (r"\sum_{m,n} a_m^* \frac{\gamma_{mn}}{\gamma} a_n = \sum_{p=0}^{\infty} \left[ \left| "
               r"\sum_{m>0} a_m e^{-(p+1)\omega_m/2T} \right|^2 + \left| \sum_{m<0} a_m "
               r"e^{p\omega_m/2T} \right|^2 \right] \geq 0")
    return record("61", "III.C.1", ok_printed, PRINTED["61"], derived, evidence)


@EQUATIONS.equation("61-PSD", "III.C.1")
def eq61_psd(d):
    import numpy as np
    rows, ok = [], True
    for name in (TWO_QUBITS, "tunnelling-qubit"):
        D = d[name]
        model = D["model"]
        for g in D["partial-secular"].gammas:
            ok &= g.positivity.status == "positive"
            rows.append(f"{name}/{g.reservoir}: cgsym '{g.positivity.status}' "
                        f"({g.positivity.reason})")
        for pt in odd_points(model, 2):
            res = numeric_route(model, pt, "partial-secular", False)
            for r, (_, G) in res.gamma.items():
                lo = float(np.min(np.linalg.eigvalsh(np.asarray(G))))
                ok &= lo > -1e-14 * float(np.max(np.abs(G)))
                rows.append(f"{name}/{r} at {point_text(pt)}: smallest eigenvalue (numeric "
                            f"pipeline) {lo:.3e}")
    return record("61-PSD", "III.C.1", ok,
                  r"\text{the matrix } \gamma_{mn} \text{ of Eq. (55) is positive (semidefinite)}",
                  r"\gamma \succeq 0", "; ".join(rows))


def main():
    """Records of this section, in paper order."""
    return EQUATIONS.run(derive())


if __name__ == "__main__":
    from cgsym.reproduce import table_text
    import time
    t0 = time.perf_counter()
    recs = main()
    print(table_text(recs, time.perf_counter() - t0))
    for r in recs:
        if r.verdict == "erratum":
            print(f"\n{r.number}: {r.evidence}")
