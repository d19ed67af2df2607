r"""Section VI.A (damped coupled qubits) and Appendix B of Cresser & Facer.

Equations (91)-(92), (94)-(101), (103)-(111) for one reservoir on qubit 2
(model ``two-qubits-one-bath``), (114)-(118) for a hot reservoir on qubit 1 and
a cold one on qubit 2 (``two-qubits-two-baths``), Appendix B (B1)-(B4), the
Gibbs limit (62) of Sec. III.C.2 shown here for the two-qubit example, and the
limits the text of VI.A.3 claims ("118-lim").

Master equations are compared as superoperators (column stacking) built from
their printed terms, with the operators of the printed Eqs. (91), (92), (94);
steady-state elements rho_ab are taken in the printed eigenbasis |u>, |+>, |->,
|l> of Eq. (92).  The limiting forms (101, 110, 114-118) are cgsym's
``weak_internal=True`` (n(omega_S +- Omega) -> n(omega_S), H_S kept).

Run it alone with ``python derivations/sec6a_two_qubits.py``.
"""
from __future__ import annotations

from functools import cache

import sympy as sp

import cgsym
from cgsym.latex import paper_latex
from cgsym.latex_reader import SymbolTable
from cgsym.reproduce import (EquationSet, compare_matrix, compare_scalar, differing_entries,
                             exact_zero, exponential_form, fit_terms, hamiltonian_superoperator,
                             independent_evidence, ketbra_form, notation, numeric_route, odd_points,
                             pmatrix, point_text, qutip_oracle, read_operator, read_scalar,
                             read_superoperator, record, split_lines, superoperator_latex,
                             tidy)
from cgsym.symbols import n
from cgsym.thermo import paper_current

SECTION = "VI.A"
ONE = "two-qubits-one-bath"
TWO = "two-qubits-two-baths"

# ---------------------------------------------------------------------------
# the equations as printed (verbatim from the paper)
# ---------------------------------------------------------------------------
PRINTED = {
    "91": r"""H_S = \frac{1}{2} \hbar \omega_S (\sigma_{1z} + \sigma_{2z}) + \hbar \Omega (\sigma_{1+} \sigma_{2-} + \sigma_{1-} \sigma_{2+}). \quad (91)""",
    "92": r"""\begin{aligned} |u\rangle &= |e_1\rangle|e_2\rangle, & E_u &= \hbar \omega_S \\ |\pm\rangle &= \frac{1}{\sqrt{2}} (|e_1\rangle|g_2\rangle \pm |g_1\rangle|e_2\rangle), & E_{\pm} &= \pm \hbar \Omega \\ |l\rangle &= |g_1\rangle|g_2\rangle, & E_l &= -\hbar \omega_S. \end{aligned} \quad (92)""",
    "94": r"""\begin{aligned} \omega_1 &= \omega_S - \Omega, & X_1 &= \frac{1}{\sqrt{2}} (|u\rangle\langle +| - |- \rangle\langle l|) \\ \omega_2 &= \omega_S + \Omega, & X_2 &= \frac{1}{\sqrt{2}} (|+ \rangle\langle l| + |u\rangle\langle -|) \end{aligned} \quad (94)""",
    "95": r"""X_n = \frac{1}{2} (\mathbb{1}_1 \otimes \sigma_{2+} - (-1)^n \sigma_{1+} \otimes \sigma_{2z}), \quad n = 1, 2. \quad (95)""",
    "96": r"""\begin{aligned} \gamma &= \begin{pmatrix} \gamma_{-2,-2} & \gamma_{-2,-1} & \cdots \\ \gamma_{-1,-2} & \gamma_{-1,-1} & \cdots \\ \vdots & \vdots & \vdots \end{pmatrix} \\ &= \gamma \begin{pmatrix} n_+ + 1 & 0 & 0 & 0 \\ 0 & n_- + 1 & 0 & 0 \\ 0 & 0 & n_- & 0 \\ 0 & 0 & 0 & n_+ \end{pmatrix}. \end{aligned} \quad (96)""",
    "97": r"""\begin{aligned} \frac{d\rho}{dt} &= -\frac{i}{\hbar} [H_S, \rho] + (n_+ + 1)\gamma \left[ X_2^\dagger \rho X_2 - \frac{1}{2} \{X_2 X_2^\dagger, \rho\} \right] \\ &+ (n_- + 1)\gamma \left[ X_1^\dagger \rho X_1 - \frac{1}{2} \{X_1 X_1^\dagger, \rho\} \right] \\ &+ n_- \gamma \left[ X_1 \rho X_1^\dagger - \frac{1}{2} \{X_1^\dagger X_1, \rho\} \right] \\ &+ n_+ \gamma \left[ X_2 \rho X_2^\dagger - \frac{1}{2} \{X_2^\dagger X_2, \rho\} \right]. \end{aligned} \quad (97)""",
    "98": r"""\rho(\infty) = Z(\Omega)^{-1} e^{-H_S/kT} \quad (98)""",
    "99": r"""Z(\Omega) = \text{Tr} \left[ e^{-H_S/kT} \right] = 2 [\cosh(\hbar\omega_S/kT) + \cosh(\hbar\Omega/kT)]. \quad (99)""",
    "100": r"""\begin{aligned} \rho_n(\infty) &= Z(\Omega)^{-1} \left[ \left( e^{-\hbar\omega_S/kT} + \cosh(\hbar\Omega/kT) \right) |e_n\rangle\langle e_n| \right. \\ &\left. + \left( e^{\hbar\omega_S/kT} + \cosh(\hbar\Omega/kT) \right) |g_n\rangle\langle g_n| \right]. \end{aligned} \quad (100)""",
    "101": r"""\begin{aligned} \frac{d\rho}{dt} &= -\frac{i}{\hbar} [H_S, \rho] \\ &+ \gamma(n+1) [\sigma_{2-} \rho \sigma_{2+} - \frac{1}{2} \{\sigma_{2+} \sigma_{2-}, \rho\}] \\ &+ \gamma n [\sigma_{2+} \rho \sigma_{2-} - \frac{1}{2} \{\sigma_{2-} \sigma_{2+}, \rho\}] \\ &+ \gamma(n+1) [\sigma_{2z} \sigma_{1-} \rho \sigma_{1+} \sigma_{2z} - \frac{1}{2} \{\sigma_{1+} \sigma_{1-}, \rho\}] \\ &+ \gamma n [\sigma_{2z} \sigma_{1+} \rho \sigma_{1-} \sigma_{2z} - \frac{1}{2} \{\sigma_{1-} \sigma_{1+}, \rho\}] \end{aligned} \quad (101)""",
    "103": r"""\rho_n(\infty) = Z(0)^{-1} \left( e^{-\frac{1}{2}\hbar\omega_S/kT} |e_n\rangle\langle e_n| + e^{\frac{1}{2}\hbar\omega_S/kT} |g_n\rangle\langle g_n| \right) \quad (103)""",
    "104": r"""\gamma = \begin{pmatrix} \gamma_{-2,-2} & \gamma_{-2,-1} & \cdots \\ \gamma_{-1,-2} & \gamma_{-1,-1} & \cdots \\ \vdots & \vdots & \vdots \end{pmatrix} = \gamma \begin{pmatrix} n_+ + 1 & n + 1 & 0 & 0 \\ n + 1 & n_- + 1 & 0 & 0 \\ 0 & 0 & n_- & n \\ 0 & 0 & n & n_+ \end{pmatrix} \quad (104)""",
    "105": r"""\begin{aligned}
\frac{d\rho}{dt} = & -\frac{i}{\hbar} [H_S, \rho] + (n_+ + 1)\gamma \left[ X_2^\dagger \rho X_2 - \frac{1}{2} \{ X_2 X_2^\dagger, \rho \} \right] + (n + 1)\gamma \left[ X_2^\dagger \rho X_1 - \frac{1}{2} \{ X_1 X_2^\dagger, \rho \} \right] \\
& + (n + 1)\gamma \left[ X_1^\dagger \rho X_2 - \frac{1}{2} \{ X_2 X_1^\dagger, \rho \} \right] + (n_- + 1)\gamma \left[ X_1^\dagger \rho X_1 - \frac{1}{2} \{ X_1 X_1^\dagger, \rho \} \right] \\
& + n_- \gamma \left[ X_1 \rho X_1^\dagger - \frac{1}{2} \{ X_1^\dagger X_1, \rho \} \right] + n \gamma \left[ X_2 \rho X_1^\dagger - \frac{1}{2} \{ X_1^\dagger X_2, \rho \} \right] \\
& + n \gamma \left[ X_1 \rho X_2^\dagger - \frac{1}{2} \{ X_2^\dagger X_1, \rho \} \right] + n_+ \gamma \left[ X_2 \rho X_2^\dagger - \frac{1}{2} \{ X_2^\dagger X_2, \rho \} \right].
\end{aligned} \tag{105}""",
    "106": r"""\begin{aligned}
\rho_{uu} &= \frac{e^{-\hbar\omega_S/kT}}{Z(\Omega)} + p_0 \left( \frac{-1}{4(n_+ + n_- + 1)} + (n + \frac{1}{2}) \frac{n_+ + n_- + \frac{1}{2}}{(2n_- + 1)(2n_+ + 1)} \right) \\
\rho_{++} &= \frac{e^{-\hbar\Omega/kT}}{Z(\Omega)} + p_0 \left( \frac{1}{4(n_+ + n_- + 1)} + (n + \frac{1}{2}) \frac{n_- - n_+ + \frac{1}{2}}{(2n_+ + 1)(2n_- + 1)} \right) \\
\rho_{--} &= \frac{e^{\hbar\Omega/kT}}{Z(\Omega)} + p_0 \left( \frac{1}{4(n_+ + n_- + 1)} + (n + \frac{1}{2}) \frac{n_+ - n_- + \frac{1}{2}}{(2n_+ + 1)(2n_- + 1)} \right) \\
\rho_{ll} &= \frac{e^{\hbar\omega_S/kT}}{Z(\Omega)} + p_0 \left( \frac{-1}{4(n_- + n_+ + 1)} - (n + \frac{1}{2}) \frac{n_+ + n_- + \frac{3}{2}}{(2n_- + 1)(2n_+ + 1)} \right)
\end{aligned} \tag{106}""",
    "107": r"""\begin{aligned}
p_0 &= \rho_{+-} + \rho_{-+} = \frac{1 - \frac{(2n+1)(n_+ + n_- + 1)}{(2n_- + 1)(2n_+ + 1)}}{R - (2n + 1)^2 \frac{n_+ + n_- + 1}{(2n_- + 1)(2n_+ + 1)}} \\
R &= \frac{16\Omega^2}{(n_- + n_+ + 1)\gamma^2} + n_+ + n_- + 1
\end{aligned} \tag{107}""",
    "108": r"""\rho_{+-} - \rho_{-+} = \frac{-4i\Omega}{(n_+ + n_- + 1)\gamma} (\rho_{+-} + \rho_{-+}). \tag{108}""",
    "109": r"""\begin{aligned}
\rho_n &= Z(\Omega)^{-1} \left[ \left( e^{-\hbar\omega_S/kT} + \cosh(\hbar\Omega/kT) + \frac{1}{2} p_0 (Z(0) - (-1)^n Z(\Omega)) \right) |e_1\rangle\langle e_1| \right. \\
&\quad \left. + \left( e^{\hbar\omega_S/kT} + \cosh(\hbar\Omega/kT) - \frac{1}{2} p_0 (Z(0) - (-1)^n Z(\Omega)) \right) |g_1\rangle\langle g_1| \right], \quad n = 1, 2
\end{aligned} \tag{109}""",
    "110": r"""\begin{aligned} \frac{d\rho}{dt} = & -\frac{i}{\hbar} [H_S, \rho] + (n+1)\gamma [\sigma_{2-}\rho\sigma_{2+} - \frac{1}{2} \{\sigma_{2+}\sigma_{2-}, \rho\}] \\ & + n\gamma [\sigma_{2+}\rho\sigma_{2-} - \frac{1}{2} \{\sigma_{2-}\sigma_{2+}, \rho\}]. \end{aligned} \quad (110)""",
    "111": r"""\begin{aligned} \rho_1 &= p_e(0)|e_1\rangle\langle e_1| + p_g(0)|g_1\rangle\langle g_1| \\ \rho_2 &= Z_0^{-1} \left[ e^{-\hbar\omega_S/2kT} |e_2\rangle\langle e_2| + e^{\hbar\omega_S/2kT} |g_2\rangle\langle g_2| \right] \\ Z_0 &= e^{-\hbar\omega_S/2kT} + e^{\hbar\omega_S/2kT} \end{aligned} \quad (111)""",
    "112": r"""J = \text{Tr}_S [H_S (\mathcal{D}_h - \mathcal{D}_c) [\rho]]. \quad (112)""",
    "113": r"""\begin{aligned} \bar{\gamma} &= (\gamma_h + \gamma_c)/2, \\ \Delta n &= (\gamma_h n_h(\omega_S) - \gamma_c n_c(\omega_S))/\bar{\gamma} \\ \bar{n} &= (\gamma_h n_h(\omega_S) + \gamma_c n_c(\omega_S))/2\bar{\gamma} \\ \Delta\gamma &= (\gamma_h - \gamma_c)/\bar{\gamma} \end{aligned} \quad (113)""",
    "114": r"""J_{\text{sec}} = \bar{\gamma} \hbar \omega_S [\Delta n (\rho_{ll} - \rho_{uu}) - \Delta\gamma (\rho_{uu} + \rho_{++})] \quad (114)""",
    "115": r"""J_{\text{sec}} = \frac{2\gamma_c \gamma_h \hbar \omega_S (n_h - n_c)}{(\gamma_h + \gamma_c)(2\bar{n} + 1)}. \quad (115)""",
    "116": r"""\begin{aligned} \frac{d\rho}{dt} = & -\frac{i}{\hbar} [H_S, \rho] + (n_c + 1)\gamma [\sigma_{1-}\rho\sigma_{1+} - \frac{1}{2} \{\sigma_{1+}\sigma_{1-}, \rho\}] \\ & + n_c\gamma [\sigma_{1+}\rho\sigma_{1-} - \frac{1}{2} \{\sigma_{1-}\sigma_{1+}, \rho\}] \\ & + (n_h + 1)\gamma [\sigma_{2-}\rho\sigma_{2+} - \frac{1}{2} \{\sigma_{2+}\sigma_{2-}, \rho\}] \\ & + n_h\gamma [\sigma_{2+}\rho\sigma_{2-} - \frac{1}{2} \{\sigma_{2-}\sigma_{2+}, \rho\}] \end{aligned} \quad (116)""",
    "117": r"""J_{\text{parsec}} = \bar{\gamma}\hbar\omega_S \left[ \Delta n (\rho_{ll} - \rho_{uu}) - \frac{1}{2}\Delta\gamma(2\rho_{uu} + \rho_{--} + \rho_{++}) - (2\bar{n} + 1)(\rho_{+-} + \rho_{-+}) \right] \quad (117)""",
    "118": r"""J_{\text{parsec}} = J_{\text{sec}} \frac{4\Omega^2}{(2n_c + 1)(2n_h + 1)\gamma_h\gamma_c + \frac{1}{4}[(2n_h + 1)\gamma_h - (2n_c + 1)\gamma_c](\gamma_h - \gamma_c) + 4\Omega^2} \quad (118)""",
    "62": r"""\lim_{\gamma \rightarrow 0} \lim_{t \rightarrow \infty} \rho(t) = \frac{e^{-H_S/kT}}{\text{Tr}_S[e^{-H_S/kT}]} \quad (62)""",
    "B1": r"""\frac{d\rho}{dt} = -i \left[ \frac{1}{2} \omega_S (\sigma_{z1} + \sigma_{z2}) + \Omega (\sigma_{1+} \sigma_{2-} + \sigma_{1-} \sigma_{2+}) \right] + \mathcal{D}_{\text{sec}}[\rho] + \mathcal{D}_{\text{nonsec}}[\rho] \quad (\text{B1})""",
    "B2": r"""\begin{aligned} \bar{n}(\omega) &= (2\bar{\gamma})^{-1} (\gamma_h n_h(\omega) + \gamma_c n_c(\omega)) \\ \Delta n(\omega) &= \bar{\gamma}^{-1} (\gamma_h n_h(\omega) - \gamma_c n_c(\omega)) \end{aligned} \quad (\text{B2})""",
    "B3": r"""\begin{aligned} \mathcal{D}_{\text{sec}}[\rho] = & (\bar{n}(\omega_S + \Omega) + 1)\bar{\gamma} [L_{l+}\rho L_{l+} + L_{-u}\rho L_{u-} - \frac{1}{2}\{L_{uu} + L_{++}, \rho\}] \\ & + (\bar{n}(\omega_S - \Omega) + 1)\bar{\gamma} [L_{u+}\rho L_{u+} + L_{-l}\rho L_{l-} - \frac{1}{2}\{L_{++} + L_{ll}, \rho\}] \\ & + \bar{n}(\omega_S - \Omega)\bar{\gamma} [L_{u+}\rho L_{u+} + L_{l-}\rho L_{l-} - \frac{1}{2}\{L_{--} + L_{uu}, \rho\}] \\ & + \bar{n}(\omega_S + \Omega)\bar{\gamma} [L_{+l}\rho L_{l+} + L_{u-}\rho L_{u-} - \frac{1}{2}\{L_{--} + L_{ll}, \rho\}] \\ & + \frac{1}{2}\Delta n(\omega_S + \Omega)\bar{\gamma} [L_{u+}\rho L_{l-} + L_{-l}\rho L_{u+} - L_{l+}\rho L_{u-} - L_{-u}\rho L_{l+}] \\ & + \frac{1}{2}\Delta n(\omega_S - \Omega)\bar{\gamma} [L_{u+}\rho L_{l-} + L_{l-}\rho L_{u+} - L_{+l}\rho L_{u-} - L_{u-}\rho L_{l+}]. \end{aligned} \quad (\text{B3})""",
    "B4": r"""\begin{aligned} \mathcal{D}_{\text{nonsec}}[\rho] = & (\bar{n}(\omega_S) + 1)\bar{\gamma} [L_{l+}\rho L_{u+} + L_{u+}\rho L_{l+} - L_{-u}\rho L_{l-} - L_{l-}\rho L_{u-}] \\ & + \bar{n}(\omega_S)\bar{\gamma} [L_{+l}\rho L_{u+} + L_{u+}\rho L_{l+} - L_{u-}\rho L_{l-} - L_{l-}\rho L_{u-}] \\ & + \frac{1}{2}\Delta n(\omega_S)\bar{\gamma} [L_{l+}\rho L_{l-} + L_{l-}\rho L_{l+} + L_{+l}\rho L_{l-} + L_{-l}\rho L_{l+} \\ & \quad - L_{u+}\rho L_{u-} - L_{u-}\rho L_{u+} - L_{+u}\rho L_{u-} - L_{-u}\rho L_{u+}]. \end{aligned} \quad (\text{B4})""",
}

EQUATIONS = EquationSet()


# ---------------------------------------------------------------------------
# what cgsym derives (public API only)
# ---------------------------------------------------------------------------
@cache
def derive():
    """Derivations used here: steady states only where the section needs them."""
    out = {}
    for name in (ONE, TWO):
        m = cgsym.load_model(name)
        spec = cgsym.eigenoperators(m)
        out[name, "model"] = m
        out[name, "spectrum"] = spec
        for regime in ("secular", "partial-secular"):
            for weak in (False, True):
                out[name, regime, weak, "me"] = cgsym.master_equation(cgsym.rates(spec, regime, weak))
    for key in ((ONE, "secular", False), (ONE, "partial-secular", False),
                (TWO, "secular", True), (TWO, "partial-secular", True),
                (TWO, "secular", False), (TWO, "partial-secular", False)):
        # = cgsym.derive(*key), on the spectrum and master equation derived above
        out[key] = _derivation(out[key[0], "model"], out[key[0], "spectrum"], key[1], key[2],
                               out[key + ("me",)])
    return out


def _derivation(model, spec, regime, weak, me):
    """What ``cgsym.derive(model, regime, weak)`` returns, from a spectrum and master
    equation already derived (the same pipeline stages, each run once)."""
    ss = cgsym.steady_state(me)
    return cgsym.Derivation(model, regime, weak, spec, me.rates, me, ss,
                            cgsym.heat_currents(ss) if ss.unique else None)


# ---------------------------------------------------------------------------
# the printed operators: Pauli matrices (91), eigenstates (92), X_n (94)
# ---------------------------------------------------------------------------
_E, _G = sp.Matrix([1, 0]), sp.Matrix([0, 1])
_SP = _E * _G.T                        # sigma_+ = |e><g| (first level upper, as the model)
_SZ = sp.diag(1, -1)
_I2 = sp.eye(2)


def _q1(a):
    return sp.kronecker_product(a, _I2)


def _q2(a):
    return sp.kronecker_product(_I2, a)


PAULI = {
    r"\sigma_{1+}": _q1(_SP), r"\sigma_{1-}": _q1(_SP.T), r"\sigma_{2+}": _q2(_SP),
    r"\sigma_{2-}": _q2(_SP.T), r"\sigma_{1z}": _q1(_SZ), r"\sigma_{2z}": _q2(_SZ),
    r"\sigma_{z1}": _q1(_SZ), r"\sigma_{z2}": _q2(_SZ), r"\mathbb{1}_1": sp.eye(4),
}
PRODUCT_KETS = {rf"|{a}_1\rangle|{b}_2\rangle": sp.kronecker_product(ka, kb)
                for a, ka in (("e", _E), ("g", _G)) for b, kb in (("e", _E), ("g", _G))}
#: the 2x2 projectors of one qubit, as printed in (100), (103), (109), (111)
QUBIT_PROJECTORS = {rf"|{a}_{k}\rangle\langle {a}_{k}|": v * v.T
                    for a, v in (("e", _E), ("g", _G)) for k in ("n", "1", "2")}
LABELS = ("u", "+", "-", "l")


def _params(model, **extra):
    d = {p.name: p.symbol for p in model.parameters}
    d.update(extra)
    return d


@cache
def printed_basis():
    """|u>, |+>, |->, |l> and their energies, read from the printed Eq. (92)."""
    model = cgsym.load_model(ONE)
    table = SymbolTable(_params(model))
    kets, energies = {}, {}
    for line in split_lines(PRINTED["92"]):
        ket_part, energy_part = (x.strip() for x in line.rsplit(", ", 1))
        for sgn in (("+", "-") if r"\pm" in line else (None,)):
            kp, ep = ket_part, energy_part
            if sgn is not None:
                kp, ep = kp.replace(r"\pm", sgn), ep.replace(r"\pm", sgn)
            label = kp.split(r"\rangle")[0].lstrip("|").strip()
            kets[label] = sp.Matrix(read_operator(kp, PRODUCT_KETS, table))
            energies[label] = read_scalar(ep, table)
    U = sp.Matrix.hstack(*[kets[a] for a in LABELS])
    return kets, energies, U


@cache
def printed_operators():
    """Every operator token the printed equations use, as 4x4 matrices."""
    model = cgsym.load_model(ONE)
    table = SymbolTable(_params(model))
    kets, _, _ = printed_basis()
    ops = dict(PAULI)
    for a in LABELS:
        for b in LABELS:
            M = kets[a] * kets[b].T
            ops[rf"|{a}\rangle\langle {b}|"] = M
            ops[rf"L_{{{a}{b}}}"] = M
    ops[r"H_S"] = read_operator(PRINTED["91"], PAULI, table)
    for line in split_lines(PRINTED["94"]):
        x = line.split(", ", 1)[1]
        k = x.strip()[2]                       # "X_1 = ..." -> "1"
        X = sp.Matrix(read_operator(x, ops, table))
        ops[rf"X_{k}"] = X
        ops[rf"X_{k}^\dagger"] = X.T
    return ops


def _elements(rho, names=None):
    """rho_ab in the printed eigenbasis, keyed by the paper's names rho_{ab}."""
    return dict(_elements_of(sp.ImmutableMatrix(rho)))


@cache
def _elements_of(rho):
    kets, _, _ = printed_basis()
    rho = sp.Matrix(rho)
    out = {}
    for a in LABELS:
        for b in LABELS:
            # <a|rho|b> over the non-zero components only; left unexpanded (every use
            # is an exact comparison, a canonical tidy or a numeric value)
            out[rf"\rho_{{{a}{b}}}"] = sp.Add(*[
                kets[a][i] * kets[b][j] * rho[i, j] for i in range(4) for j in range(4)
                if kets[a][i] != 0 and kets[b][j] != 0 and rho[i, j] != 0])
    return out


def _reduced(rho, qubit):
    rho = sp.Matrix(rho)
    if qubit == 1:
        return sp.Matrix(2, 2, lambda i, j: sum(rho[2 * i + k, 2 * j + k] for k in range(2)))
    return sp.Matrix(2, 2, lambda i, j: sum(rho[2 * k + i, 2 * k + j] for k in range(2)))


def _one_bath_table(model):
    """n_pm = n(omega_S pm Omega), n = n(omega_S) (text above Eq. 96 and below 104),
    Z(Omega) of the printed Eq. (99)."""
    w, O, T = (model.parameter(k).symbol for k in ("omega_S", "Omega", "T"))
    names = _params(model, **{"n_+": n(w + O, T), "n_-": n(w - O, T), "n": n(w, T)})
    Z99 = read_scalar(PRINTED["99"], SymbolTable(names))
    return names, {"Z": lambda x: Z99.xreplace({O: x})}


def _two_bath_table(model):
    """The definitions of the printed Eq. (113) (and n_p = n_p(omega_S))."""
    w, Th, Tc = (model.parameter(k).symbol for k in ("omega_S", "T_h", "T_c"))
    funcs = {"n_h": lambda x: n(x, Th), "n_c": lambda x: n(x, Tc)}
    names = _params(model)
    keys = ("gammabar", "Delta_n", "nbar", "Delta_gamma")
    for key, line in zip(keys, split_lines(PRINTED["113"])):
        # "x/2\bar{\gamma}" is x/(2 gammabar), as (B2) writes it: (2 gammabar)^-1 x
        line = line.replace(r"/2\bar{\gamma}", r"/(2\bar{\gamma})")
        names[key] = read_scalar(line, SymbolTable(names, funcs))
    names.update({"n_h": n(w, Th), "n_c": n(w, Tc)})
    return names


def _gibbs(model, energies, kets):
    T = model.parameter("T").symbol
    return sum((sp.exp(-energies[a] / T) * kets[a] * kets[a].T for a in LABELS), sp.zeros(4, 4))


def _me_evidence(model, printed, derived, regime, weak, what="liouvillian"):
    """Printed and derived superoperators vs the numeric pipeline (and QuTiP if present)."""
    def route(pt):
        res = numeric_route(model, pt, regime, weak)
        if what == "liouvillian":
            return res.liouvillian
        return sum(res.dissipators.values())
    text = independent_evidence(printed, derived, model, route)
    orc = qutip_oracle()
    if orc is not None and what == "liouvillian":
        text += "; " + independent_evidence(
            printed, derived, model,
            lambda pt: orc.oracle(model, pt, regime, weak).liouvillian, odd_points(model, 1),
            label="QuTiP oracle")
    return text


def _superop_record(number, section, model, latex_text, ops, table, derived, regime, weak,
                    show=None, what="liouvillian", note=""):
    S, terms = read_superoperator(latex_text, ops, table, model.dim)
    cmp = compare_matrix(S, derived, model, odd_points(model, 2), f"Eq. ({number})")
    pairs = fit_terms(terms, derived)
    derived_latex = (superoperator_latex(pairs, model, show) if pairs is not None else None)
    evidence = f"{model.dim ** 2}x{model.dim ** 2} superoperators: {cmp.evidence()}"
    if not cmp.agrees:
        if pairs is not None:
            changed = [f"[{t.latex}]: printed {sp.sstr(t.coefficient)}, derived {sp.sstr(x)}"
                       for t, x in pairs if not exact_zero(t.coefficient - x)]
            evidence += ("; the printed terms with cgsym's coefficients reproduce the derived "
                         "superoperator exactly; coefficients that differ: " + "; ".join(changed))
        evidence += "; independent route: " + _me_evidence(model, S, derived, regime, weak, what)
    return record(number, section, cmp.agrees, PRINTED[number], derived_latex or "", note + evidence), S, pairs


# ---------------------------------------------------------------------------
# VI.A: model, eigenstates, eigenoperators
# ---------------------------------------------------------------------------
@EQUATIONS.equation("91", "VI.A")
def eq91(d):
    model = d[ONE, "model"]
    H = printed_operators()[r"H_S"]
    cmp = compare_matrix(H, model.hamiltonian, model, odd_points(model, 2), "H_S")
    return record("91", "VI.A", cmp.agrees, PRINTED["91"],
                  "H_S = " + paper_latex(sp.Matrix(model.hamiltonian), model),
                  f"the printed H_S against the model file's: {cmp.evidence()}")


@EQUATIONS.equation("92", "VI.A")
def eq92(d):
    model, spec = d[ONE, "model"], d[ONE, "spectrum"]
    kets, energies, U = printed_basis()
    H = sp.Matrix(model.hamiltonian)
    # the derived eigenprojectors, matched to the printed ones by energy
    rows_p, rows_d = [], []
    for a in LABELS:
        st = [s for s in spec.states if exact_zero(s.energy - energies[a])]
        if len(st) != 1:
            raise cgsym.CgsymError(f"no unique derived eigenstate with energy {energies[a]}")
        v = sp.Matrix(st[0].vector)
        rows_p.append(kets[a] * kets[a].T)
        rows_d.append(v * v.T)
    P = sp.Matrix.vstack(*rows_p, H * U)
    D = sp.Matrix.vstack(*rows_d, U * sp.diag(*[energies[a] for a in LABELS]))
    cmp = compare_matrix(P, D, model, odd_points(model, 2), "eigenstates")
    ortho = (U.T * U - sp.eye(4)).applyfunc(sp.simplify) == sp.zeros(4, 4)
    derived = r" \\ ".join(f"E_{{{s.label}}} = {paper_latex(s.energy, model)},\\ "
                           f"{paper_latex(sp.Matrix(s.vector).T, model)}" for s in spec.states)
    return record("92", "VI.A", cmp.agrees and ortho, PRINTED["92"], derived,
                  f"projectors |a><a| of the printed states vs cgsym's eigenstates of equal energy, "
                  f"and H_S|a> = E_a|a>: {cmp.evidence()}; printed states orthonormal: {ortho}")


@EQUATIONS.equation("94", "VI.A")
def eq94(d):
    model, spec = d[ONE, "model"], d[ONE, "spectrum"]
    ops = printed_operators()
    table = SymbolTable(_params(model))
    P, D, rows = [], [], []
    for line in split_lines(PRINTED["94"]):
        wtxt, xtxt = line.split(", ", 1)
        m = int(xtxt.strip()[2])
        P += [sp.Matrix([[read_scalar(wtxt, table)]]), ops[rf"X_{m}"]]
        e = spec.operator("b", m)
        D += [sp.Matrix([[e.frequency]]), sp.Matrix(e.matrix)]
        rows.append(rf"\omega_{m} = {paper_latex(e.frequency, model)},\ X_{m} = "
                    + paper_latex(sp.Matrix(e.matrix), model))
    cmp = compare_matrix(sp.Matrix.vstack(*[sp.Matrix(x).reshape(len(x), 1) for x in P]),
                         sp.Matrix.vstack(*[sp.Matrix(x).reshape(len(x), 1) for x in D]),
                         model, odd_points(model, 2), "eigenoperators")
    return record("94", "VI.A", cmp.agrees, PRINTED["94"], r" \\ ".join(rows),
                  "omega_m and X_m (product basis) vs cgsym's eigenoperators of sigma_2x: "
                  + cmp.evidence())


@EQUATIONS.equation("95", "VI.A")
def eq95(d):
    model, spec = d[ONE, "model"], d[ONE, "spectrum"]
    nn = sp.Symbol("n", integer=True)
    text = PRINTED["95"].split(r", \quad")[0]          # drop ", n = 1, 2"
    X = read_operator(text, PAULI, SymbolTable(_params(model, n=nn)))
    P = sp.Matrix.vstack(*[sp.Matrix(X).subs(nn, k) for k in (1, 2)])
    D = sp.Matrix.vstack(*[sp.Matrix(spec.operator("b", k).matrix) for k in (1, 2)])
    cmp = compare_matrix(P, D, model, odd_points(model, 2), "X_n")
    return record("95", "VI.A", cmp.agrees, PRINTED["95"],
                  r"X_1 = \tfrac12(\sigma_{2+} + \sigma_{1+}\sigma_{2z}),\ "
                  r"X_2 = \tfrac12(\sigma_{2+} - \sigma_{1+}\sigma_{2z})",
                  "X_1, X_2 from the printed qubit-operator form vs cgsym's: " + cmp.evidence())


def _gamma_matrix_record(number, d, regime):
    model = d[ONE, "model"]
    names, funcs = _one_bath_table(model)
    table = SymbolTable(names, funcs)
    pre, rows = pmatrix(PRINTED[number])
    pref = read_scalar(pre, table)
    P = sp.Matrix([[pref * read_scalar(c, table) for c in r] for r in rows])
    g = d[ONE, regime, False, "me"].rates.gamma("b")
    cmp = compare_matrix(P, g.matrix, model, odd_points(model, 2), f"gamma ({regime})")
    ev = f"indices {list(g.indices)} (the paper's order -2, -1, 1, 2): {cmp.evidence()}"
    if not cmp.agrees:
        ev += "; differing entries: " + "; ".join(differing_entries(P, g.matrix))
    return record(number, "VI.A.1" if regime == "secular" else "VI.A.2", cmp.agrees,
                  PRINTED[number], r"\gamma = " + paper_latex(g.matrix, model), ev)


@EQUATIONS.equation("96", "VI.A.1")
def eq96(d):
    return _gamma_matrix_record("96", d, "secular")


def _one_bath_show(model):
    w, O, T, g = (model.parameter(k).symbol for k in ("omega_S", "Omega", "T", "gamma"))
    return notation({"(n_+ + 1)\\gamma": g * (n(w + O, T) + 1), "(n_- + 1)\\gamma": g * (n(w - O, T) + 1),
                     "(n + 1)\\gamma": g * (n(w, T) + 1), "n_+\\gamma": g * n(w + O, T),
                     "n_-\\gamma": g * n(w - O, T), "n\\gamma": g * n(w, T), "i": sp.I}, model)


@EQUATIONS.equation("97", "VI.A.1")
def eq97(d):
    model = d[ONE, "model"]
    names, funcs = _one_bath_table(model)
    rec, _, _ = _superop_record("97", "VI.A.1", model, PRINTED["97"], printed_operators(),
                                SymbolTable(names, funcs),
                                d[ONE, "secular", False, "me"].liouvillian(), "secular", False,
                                _one_bath_show(model))
    return rec


@EQUATIONS.equation("98", "VI.A.1")
def eq98(d):
    model = d[ONE, "model"]
    names, funcs = _one_bath_table(model)
    kets, energies, _ = printed_basis()
    O = model.parameter("Omega").symbol
    # rho(inf) = Z(Omega)^{-1} e^{-H_S/kT}: e^{-H_S/T} through the printed eigenpairs (92)
    P = _gibbs(model, energies, kets) / funcs["Z"](O)
    D = d[ONE, "secular", False].steady_state.matrix
    cmp = compare_matrix(P, D, model, odd_points(model, 2), "steady state")
    return record("98", "VI.A.1", cmp.agrees, PRINTED["98"],
                  r"\rho(\infty) = " + paper_latex(D, model),
                  "cgsym's exact secular steady state (product basis) vs Z(Omega)^-1 e^(-H_S/T) "
                  "with Z of the printed (99): " + cmp.evidence())


@EQUATIONS.equation("99", "VI.A.1")
def eq99(d):
    model, spec = d[ONE, "model"], d[ONE, "spectrum"]
    names, funcs = _one_bath_table(model)
    O, T = model.parameter("Omega").symbol, model.parameter("T").symbol
    Zd = sum(sp.exp(-s.energy / T) for s in spec.states)
    cmp = compare_scalar(funcs["Z"](O), Zd, model, odd_points(model, 2))
    return record("99", "VI.A.1", cmp.agrees, PRINTED["99"], "Z = " + paper_latex(Zd, model),
                  "Tr e^(-H_S/T) over cgsym's eigenvalues: " + cmp.evidence(), derived=Zd)


def _reduced_record(number, section, d, key, latex_text, table, subs_n=None, limit=None,
                    note="", after_reading=None):
    model = d[ONE, "model"]
    X = read_operator(latex_text, QUBIT_PROJECTORS, table)
    if after_reading:
        X = sp.Matrix(X).xreplace(after_reading)
    rho = sp.Matrix(d[key].steady_state.matrix)
    if limit is not None:
        rho = rho.xreplace(limit)
    P, D = [], []
    for q in (1, 2):
        P.append(sp.Matrix(X).xreplace({subs_n: q}) if subs_n is not None else sp.Matrix(X))
        D.append(_reduced(rho, q))
    cmp = compare_matrix(sp.Matrix.vstack(*P), sp.Matrix.vstack(*D), model,
                         odd_points(model, 2), "reduced states")
    derived = r" \\ ".join(rf"\rho_{q} = " + paper_latex(D[q - 1].applyfunc(tidy), model)
                           for q in (1, 2))
    trace = [sp.simplify(exponential_form(sp.Matrix(P[q]).trace())) for q in (0, 1)]
    return cmp, P, D, derived, trace


@EQUATIONS.equation("100", "VI.A.1")
def eq100(d):
    model = d[ONE, "model"]
    names, funcs = _one_bath_table(model)
    nn = sp.Symbol("n_q", integer=True)
    cmp, P, D, derived, _ = _reduced_record("100", "VI.A.1", d, (ONE, "secular", False),
                                            PRINTED["100"], SymbolTable(names, funcs))
    return record("100", "VI.A.1", cmp.agrees, PRINTED["100"], derived,
                  "partial traces of cgsym's secular steady state, qubits 1 and 2: "
                  + cmp.evidence())


@EQUATIONS.equation("101", "VI.A.1")
def eq101(d):
    model = d[ONE, "model"]
    names, funcs = _one_bath_table(model)
    rec, _, _ = _superop_record("101", "VI.A.1", model, PRINTED["101"], printed_operators(),
                                SymbolTable(names, funcs),
                                d[ONE, "secular", True, "me"].liouvillian(), "secular", True,
                                _one_bath_show(model),
                                note="secular master equation with n_pm -> n (weak_internal); ")
    return rec


@EQUATIONS.equation("103", "VI.A.1")
def eq103(d):
    model = d[ONE, "model"]
    names, funcs = _one_bath_table(model)
    O, w, T = (model.parameter(k).symbol for k in ("Omega", "omega_S", "T"))
    cmp, P, D, derived, trace = _reduced_record("103", "VI.A.1", d, (ONE, "secular", False),
                                                PRINTED["103"], SymbolTable(names, funcs),
                                                limit={O: 0})
    ev = ("partial traces of cgsym's secular steady state at Omega -> 0 (n(omega_S pm Omega) -> "
          f"n(omega_S)): {cmp.evidence()}; trace of the printed rho_n: {sp.sstr(trace[0])} "
          "(E_i = exponentials), i.e. Z(0)^(-1/2) = 1/(2 cosh(omega_S/2T)), not 1: the printed "
          "normalisation Z(0)^-1 must read Z(0)^-1/2 (= Z_0^-1 of Eq. 111)")
    if not cmp.agrees:
        def route(pt):
            import numpy as np
            pt = dict(pt, Omega=1e-7)
            rho = np.asarray(numeric_route(model, pt, "secular", False).steady_state)
            return np.array([[rho[0, 0] + rho[1, 1]], [rho[2, 2] + rho[3, 3]]])
        Pm, Dm = sp.Matrix([[P[0][0, 0]], [P[0][1, 1]]]), sp.Matrix([[D[0][0, 0]], [D[0][1, 1]]])
        ev += ("; numeric pipeline at Omega = 1e-7, qubit-1 populations: "
               + independent_evidence(Pm, Dm, model, route))
    return record("103", "VI.A.1", cmp.agrees, PRINTED["103"], derived, ev)


@EQUATIONS.equation("104", "VI.A.2")
def eq104(d):
    return _gamma_matrix_record("104", d, "partial-secular")


@EQUATIONS.equation("105", "VI.A.2")
def eq105(d):
    model = d[ONE, "model"]
    names, funcs = _one_bath_table(model)
    rec, _, _ = _superop_record("105", "VI.A.2", model, PRINTED["105"], printed_operators(),
                                SymbolTable(names, funcs),
                                d[ONE, "partial-secular", False, "me"].liouvillian(),
                                "partial-secular", False, _one_bath_show(model))
    return rec


def _partial_elements(d):
    return _elements(d[ONE, "partial-secular", False].steady_state.matrix)


@EQUATIONS.equation("106", "VI.A.2")
def eq106(d):
    model = d[ONE, "model"]
    names, funcs = _one_bath_table(model)
    el = _partial_elements(d)
    p0 = el[r"\rho_{+-}"] + el[r"\rho_{-+}"]      # Eq. (107)'s definition of p_0
    # read p_0 as a symbol and substitute the (large) derived value after reading
    p0_sym = sp.Symbol("p_0")
    table = SymbolTable(dict(names, p_0=p0_sym), funcs)
    P, D, keys = [], [], []
    for line in split_lines(PRINTED["106"]):
        key = line.split("=")[0].strip()
        P.append(read_scalar(line, table).xreplace({p0_sym: p0}))
        D.append(el[key])
        keys.append(key)
    cmp = compare_matrix(sp.Matrix(P), sp.Matrix(D), model, odd_points(model, 2), "populations")
    derived = r" \\ ".join(f"{k} = {paper_latex(tidy(v), model)}" for k, v in zip(keys, D))
    return record("106", "VI.A.2", cmp.agrees, PRINTED["106"], derived,
                  "populations of cgsym's exact partial-secular steady state in the printed "
                  "eigenbasis, with p_0 = rho_+- + rho_-+ taken from the same steady state: "
                  + cmp.evidence())


@EQUATIONS.equation("107", "VI.A.2")
def eq107(d):
    model = d[ONE, "model"]
    names, funcs = _one_bath_table(model)
    el = _partial_elements(d)
    p0 = el[r"\rho_{+-}"] + el[r"\rho_{-+}"]
    p_line, r_line = split_lines(PRINTED["107"])
    R = read_scalar(r_line, SymbolTable(names, funcs))
    P = read_scalar(p_line, SymbolTable(dict(names, R=R), funcs))
    cmp = compare_scalar(P, p0, model, odd_points(model, 2))
    return record("107", "VI.A.2", cmp.agrees, PRINTED["107"],
                  "p_0 = " + paper_latex(tidy(p0), model),
                  "p_0 = rho_+- + rho_-+ of cgsym's exact steady state: " + cmp.evidence(),
                  derived=tidy(p0))


@EQUATIONS.equation("108", "VI.A.2")
def eq108(d):
    model = d[ONE, "model"]
    names, funcs = _one_bath_table(model)
    el = _partial_elements(d)
    table = SymbolTable(dict(names, **{r"\rho_{+-}": el[r"\rho_{+-}"],
                                       r"\rho_{-+}": el[r"\rho_{-+}"]}), funcs)
    P = read_scalar(PRINTED["108"], table)
    Dv = el[r"\rho_{+-}"] - el[r"\rho_{-+}"]
    cmp = compare_scalar(P, Dv, model, odd_points(model, 2))
    return record("108", "VI.A.2", cmp.agrees, PRINTED["108"],
                  r"\rho_{+-} - \rho_{-+} = " + paper_latex(tidy(Dv), model),
                  "with rho_+- and rho_-+ of cgsym's exact steady state: " + cmp.evidence(),
                  derived=tidy(Dv))


@EQUATIONS.equation("109", "VI.A.2")
def eq109(d):
    model = d[ONE, "model"]
    names, funcs = _one_bath_table(model)
    el = _partial_elements(d)
    p0 = el[r"\rho_{+-}"] + el[r"\rho_{-+}"]
    nq = sp.Symbol("n_q", integer=True)
    p0_sym = sp.Symbol("p_0")                # read as a symbol, substituted after reading
    names = dict(names, p_0=p0_sym, n=nq)   # in (109) n is the qubit's index
    text = PRINTED["109"].split(r"\right], \quad n = 1, 2")[0] + r"\right]"
    cmp, P, D, derived, trace = _reduced_record("109", "VI.A.2", d, (ONE, "partial-secular", False),
                                                text, SymbolTable(names, funcs), subs_n=nq,
                                                after_reading={p0_sym: p0})
    ev = ("partial traces of cgsym's partial-secular steady state (the printed |e_1><e_1|, "
          "|g_1><g_1| read as qubit n's projectors): " + cmp.evidence())
    if not cmp.agrees:
        import numpy as np
        ev += "; " + "; ".join(differing_entries(sp.Matrix.vstack(*P), sp.Matrix.vstack(*D),
                                                 ["q1 e", "q1 g", "q2 e", "q2 g"])[:2])

        def route(pt):
            rho = np.asarray(numeric_route(model, pt, "partial-secular", False).steady_state)
            return np.array([[rho[0, 0] + rho[1, 1]], [rho[0, 0] + rho[2, 2]]])
        Pm = sp.Matrix([[P[0][0, 0]], [P[1][0, 0]]])
        Dm = sp.Matrix([[D[0][0, 0]], [D[1][0, 0]]])
        ev += "; excited-state populations of qubits 1, 2: " + independent_evidence(Pm, Dm, model, route)
    return record("109", "VI.A.2", cmp.agrees, PRINTED["109"], derived, ev)


@EQUATIONS.equation("110", "VI.A.2")
def eq110(d):
    model = d[ONE, "model"]
    names, funcs = _one_bath_table(model)
    rec, _, _ = _superop_record("110", "VI.A.2", model, PRINTED["110"], printed_operators(),
                                SymbolTable(names, funcs),
                                d[ONE, "partial-secular", True, "me"].liouvillian(),
                                "partial-secular", True, _one_bath_show(model),
                                note="partial-secular master equation with n_pm -> n "
                                     "(weak_internal); ")
    return rec


@EQUATIONS.equation("111", "VI.A.2")
def eq111(d):
    import numpy as np
    model = d[ONE, "model"]
    names, funcs = _one_bath_table(model)
    O = model.parameter("Omega").symbol
    pe, pg = sp.symbols("p_e p_g", positive=True)
    l1, l2, l3 = split_lines(PRINTED["111"])
    table = SymbolTable(names, dict(funcs, p_e=lambda x: pe, p_g=lambda x: pg))
    Z0 = read_scalar(l3, table)
    rho1 = sp.Matrix(read_operator(l1, QUBIT_PROJECTORS, table))
    rho2 = sp.Matrix(read_operator(l2, QUBIT_PROJECTORS, SymbolTable(dict(names, Z_0=Z0), funcs)))
    rho = sp.kronecker_product(rho1, rho2)
    L0 = sp.Matrix(d[ONE, "partial-secular", True, "me"].liouvillian()).xreplace({O: 0})
    vec = sp.Matrix([rho[k % 4, k // 4] for k in range(16)])
    out = (L0 * vec).applyfunc(sp.expand)
    stationary = all(exact_zero(x) for x in out)
    tr2 = exact_zero(rho2.trace() - 1)
    kdims = []
    for pt in odd_points(model, 2):
        Ln = np.asarray(numeric_value_L0(L0, model, pt), dtype=complex)
        s = np.linalg.svd(Ln, compute_uv=False)
        kdims.append(int(np.sum(s < 1e-10 * s.max())))
    ok = stationary and tr2 and all(k == 2 for k in kdims)
    return record("111", "VI.A.2", ok, PRINTED["111"],
                  r"\mathcal{L}_{\Omega=0}\left[\rho_1 \otimes \rho_2\right] = 0,\quad \rho_2 = "
                  + paper_latex(sp.diag(*[sp.simplify(rho2[i, i]) for i in range(2)]), model),
                  f"the weak-internal partial-secular Liouvillian of cgsym at Omega = 0 annihilates "
                  f"rho_1 (x) rho_2 for every p_e(0), p_g(0): {stationary}; Tr rho_2 = 1: {tr2}; "
                  f"kernel dimension at Omega = 0 (numerically, two odd points): {kdims} (rho_1 "
                  f"any diagonal state: no unique steady state)")


def numeric_value_L0(L0, model, pt):
    from cgsym.reproduce import numeric_value
    return numeric_value(L0, model, pt)


# ---------------------------------------------------------------------------
# VI.A.3: both qubits damped
# ---------------------------------------------------------------------------
def _two_elements(d, regime):
    return _elements(d[TWO, regime, True].steady_state.matrix)


def _current(d, regime, weak):
    key = (TWO, regime, weak, "paper current")
    if key not in d:                     # derived once, used by several equations
        d[key] = paper_current(d[TWO, regime, weak].heat_currents, "h", "c")
    return d[key]


def _current_evidence(model, printed, derived, regime, weak):
    def route(pt):
        J = numeric_route(model, pt, regime, weak).heat_currents
        return J["h"] - J["c"]
    text = independent_evidence(printed, derived, model, route)
    orc = qutip_oracle()
    if orc is not None:
        def qroute(pt):
            J = orc.oracle(model, pt, regime, weak).heat_currents
            return J["h"] - J["c"]
        text += "; " + independent_evidence(printed, derived, model, qroute,
                                            odd_points(model, 1), "QuTiP oracle")
    else:
        text += "; QuTiP oracle not available"
    return text


@EQUATIONS.equation("114", "VI.A.3")
def eq114(d):
    model = d[TWO, "model"]
    names = _two_bath_table(model)
    el = _two_elements(d, "secular")
    P = read_scalar(PRINTED["114"], SymbolTable(dict(names, **el)))
    J = _current(d, "secular", True)
    cmp = compare_scalar(P, J, model, odd_points(model, 2))
    claims = exact_zero(el[r"\rho_{+-}"]) and exact_zero(el[r"\rho_{--}"] - el[r"\rho_{++}"])
    return record("114", "VI.A.3", cmp.agrees and claims, PRINTED["114"],
                  r"J_{\mathrm{sec}} = J_h - J_c = " + paper_latex(J, model),
                  f"secular, n_p(omega_S pm Omega) -> n_p(omega_S) (weak_internal); rho elements of "
                  f"cgsym's exact steady state, J = J_h - J_c (Eq. 112): {cmp.evidence()}; at "
                  f"steady state rho_+- = 0 and rho_-- = rho_++ (as the text says): {claims}",
                  derived=J)


@EQUATIONS.equation("115", "VI.A.3")
def eq115(d):
    model = d[TWO, "model"]
    names = _two_bath_table(model)
    P = read_scalar(PRINTED["115"], SymbolTable(names))
    J = _current(d, "secular", True)
    cmp = compare_scalar(P, J, model, odd_points(model, 3))
    return record("115", "VI.A.3", cmp.agrees, PRINTED["115"],
                  r"J_{\mathrm{sec}} = " + paper_latex(J, model),
                  "J = J_h - J_c of cgsym (secular, weak internal coupling): " + cmp.evidence(),
                  derived=J)


@EQUATIONS.equation("116", "VI.A.3")
def eq116(d):
    model = d[TWO, "model"]
    gh, gc = model.parameter("gamma_h").symbol, model.parameter("gamma_c").symbol
    names = _two_bath_table(model)
    names["gamma"] = gh                      # the printed single gamma, read as gamma_h = gamma_c
    L = sp.Matrix(d[TWO, "partial-secular", True, "me"].liouvillian())
    S, terms = read_superoperator(PRINTED["116"], printed_operators(), SymbolTable(names), 4)
    cmp = compare_matrix(S, L.xreplace({gc: gh}), model, odd_points(model, 2), "Eq. (116)")
    pairs = fit_terms(terms, L)
    w, Th, Tc = (model.parameter(k).symbol for k in ("omega_S", "T_h", "T_c"))
    show = notation({r"\gamma_h(n_h + 1)": gh * (n(w, Th) + 1), r"\gamma_h n_h": gh * n(w, Th),
                     r"\gamma_c(n_c + 1)": gc * (n(w, Tc) + 1), r"\gamma_c n_c": gc * n(w, Tc),
                     "i": sp.I}, model)
    changed = [f"[{t.latex}]: printed {sp.sstr(t.coefficient)}, derived {sp.sstr(x)}"
               for t, x in pairs if not exact_zero(t.coefficient - x)]
    ev = ("partial-secular, weak internal coupling; the printed single gamma read as gamma_h = "
          f"gamma_c (the only reading it allows): {cmp.evidence()}. Qubit 1 is coupled to the hot "
          "reservoir (T_h), qubit 2 to the cold one, so the printed n_c on qubit 1 and n_h on "
          "qubit 2 are swapped, and with gamma_h != gamma_c each qubit has its own rate. The "
          "printed terms with cgsym's coefficients reproduce the derived Liouvillian exactly; "
          "coefficients that differ: " + "; ".join(changed) + "; independent route (at "
          "gamma_c = gamma_h, where the printed form can be read): "
          + independent_evidence(S, L, model, lambda pt: numeric_route(
              model, pt, "partial-secular", True).liouvillian,
              [dict(pt, gamma_c=pt["gamma_h"]) for pt in odd_points(model, 3)]))
    return record("116", "VI.A.3", cmp.agrees, PRINTED["116"],
                  superoperator_latex(pairs, model, show), ev)


@EQUATIONS.equation("117", "VI.A.3")
def eq117(d):
    model = d[TWO, "model"]
    names = _two_bath_table(model)
    el = _two_elements(d, "partial-secular")
    P = read_scalar(PRINTED["117"], SymbolTable(dict(names, **el)))
    J = _current(d, "partial-secular", True)
    cmp = compare_scalar(P, J, model, odd_points(model, 2))
    return record("117", "VI.A.3", cmp.agrees, PRINTED["117"],
                  r"J_{\mathrm{parsec}} = " + paper_latex(J, model),
                  "partial-secular, weak internal coupling; rho elements of cgsym's exact steady "
                  "state, J = J_h - J_c: " + cmp.evidence(), derived=J)


@EQUATIONS.equation("118", "VI.A.3")
def eq118(d):
    model = d[TWO, "model"]
    names = _two_bath_table(model)
    Js = _current(d, "secular", True)
    Jp = _current(d, "partial-secular", True)
    P = read_scalar(PRINTED["118"], SymbolTable(dict(names, J_sec=Js)))
    cmp = compare_scalar(P, Jp, model, odd_points(model, 3))
    ratio = tidy(Jp / Js)
    ev = (f"J_sec of cgsym (= Eq. 115) in the printed form; J_parsec/J_sec derived = "
          f"{sp.sstr(ratio)}: {cmp.evidence()}")
    if not cmp.agrees:
        ev += ("; the printed denominator has an extra term 1/4[(2n_h+1)gamma_h - (2n_c+1)gamma_c]"
               "(gamma_h - gamma_c) that the derivation does not give; independent route: "
               + _current_evidence(model, P, Jp, "partial-secular", True))
    w, Th, Tc = (model.parameter(k).symbol for k in ("omega_S", "T_h", "T_c"))
    Om, gh, gc = (model.parameter(k).symbol for k in ("Omega", "gamma_h", "gamma_c"))
    nh, nc, Jsec = sp.symbols("n_h n_c J_sec")
    pretty = Jsec * 4 * Om**2 / ((2 * nc + 1) * (2 * nh + 1) * gh * gc + 4 * Om**2)
    if not exact_zero(pretty.xreplace({nh: n(w, Th), nc: n(w, Tc), Jsec: Js}) - Jp):
        raise cgsym.CgsymError("internal error: the corrected Eq. (118) does not match")
    return record("118", "VI.A.3", cmp.agrees, PRINTED["118"],
                  r"J_{\mathrm{parsec}} = " + sp.latex(pretty).replace("J_{sec}", r"J_{\mathrm{sec}}"),
                  ev, derived=Jp)


@EQUATIONS.equation("118-lim", "VI.A.3")
def eq118_lim(d):
    model = d[TWO, "model"]
    Om, gh, gc = (model.parameter(k).symbol for k in ("Omega", "gamma_h", "gamma_c"))
    w, Th, Tc = (model.parameter(k).symbol for k in ("omega_S", "T_h", "T_c"))
    Js, Jp = _current(d, "secular", True), _current(d, "partial-secular", True)
    Js_full, Jp_full = _current(d, "secular", False), _current(d, "partial-secular", False)
    # Omega -> 0 (n(omega_S pm Omega) -> n(omega_S) continuously)
    js0 = tidy(Js_full.xreplace({Om: 0}))
    jp0 = tidy(Jp_full.xreplace({Om: 0}))
    a = exact_zero(js0 - Js) and not exact_zero(js0)
    b = exact_zero(jp0) and exact_zero(Jp.xreplace({Om: 0}))
    # Omega >> linewidths: J_parsec/J_sec = 1 - D/(4 Omega^2) + O(Omega^-4)
    x = sp.Symbol("x", positive=True)
    r = tidy(Jp / Js)
    ser = sp.series(r.xreplace({Om: 1 / x}), x, 0, 3).removeO()
    Dn = (2 * n(w, Th) + 1) * (2 * n(w, Tc) + 1) * gh * gc
    c = exact_zero(ser - (1 - Dn / 4 * x**2))
    ok = a and b and c
    return record("118-lim", "VI.A.3", ok,
                  r"J_{\mathrm{sec}} \text{ stays non-zero as } \Omega\to 0;\ J_{\mathrm{parsec}} "
                  r"\to 0;\ \text{they agree for } \Omega^2 \gg (2n_h+1)(2n_c+1)\gamma_n\gamma_c",
                  r"\lim_{\Omega\to 0} J_{\mathrm{sec}} = " + paper_latex(js0, model)
                  + r",\quad \lim_{\Omega\to 0} J_{\mathrm{parsec}} = 0,\quad "
                  r"\frac{J_{\mathrm{parsec}}}{J_{\mathrm{sec}}} = 1 - \frac{(2n_h+1)(2n_c+1)"
                  r"\gamma_h\gamma_c}{4\Omega^2} + O(\Omega^{-4})",
                  f"full (not weak-internal) secular J at Omega = 0 equals Eq. (115) and is non-zero: "
                  f"{a}; partial-secular J (full and weak-internal) vanishes at Omega = 0: {b}; "
                  f"large-Omega expansion of the derived ratio: {c} -- the text's gamma_n is gamma_h",
                  definitions={"gamma_n": gh})


# ---------------------------------------------------------------------------
# III.C.2, Eq. (62), for this example
# ---------------------------------------------------------------------------
@EQUATIONS.equation("62", "III.C.2")
def eq62(d):
    model = d[ONE, "model"]
    g, T = model.parameter("gamma").symbol, model.parameter("T").symbol
    kets, energies, _ = printed_basis()
    rho = sp.Matrix(d[ONE, "partial-secular", False].steady_state.matrix)
    # the engine's entries are cancelled rational functions: set gamma = 0 directly,
    # cancelling first only where that gives 0/0
    def at_zero(e):
        v = e.xreplace({g: 0})
        return tidy(e).xreplace({g: 0}) if v.has(sp.nan, sp.zoo) else tidy(v)
    lim = rho.applyfunc(at_zero)
    gibbs = _gibbs(model, energies, kets)
    gibbs = gibbs / gibbs.trace()
    cmp = compare_matrix(gibbs, lim, model, odd_points(model, 2), "gamma -> 0")
    p0 = sum(_elements(rho)[k] for k in (r"\rho_{+-}", r"\rho_{-+}"))
    p0_zero = exact_zero(p0.xreplace({g: 0}))
    return record("62", "III.C.2", cmp.agrees and p0_zero, PRINTED["62"],
                  r"\lim_{\gamma\to 0}\rho_{ss} = " + paper_latex(lim, model),
                  "gamma -> 0 of cgsym's exact partial-secular steady state (two qubits, one "
                  f"reservoir; p_0 -> 0: {p0_zero}) vs e^(-H_S/T)/Tr: " + cmp.evidence())


# ---------------------------------------------------------------------------
# Appendix B
# ---------------------------------------------------------------------------
def _appendix_b_table(model):
    """n_h(w), n_c(w); gammabar of (113); nbar(w), Delta n(w) of the printed (B2)."""
    Th, Tc = model.parameter("T_h").symbol, model.parameter("T_c").symbol
    funcs = {"n_h": lambda x: n(x, Th), "n_c": lambda x: n(x, Tc)}
    names = _params(model)
    names["gammabar"] = read_scalar(split_lines(PRINTED["113"])[0], SymbolTable(names, funcs))
    om = sp.Dummy("omega")
    defs = {}
    for key, line in zip(("nbar", "Delta_n"), split_lines(PRINTED["B2"])):
        defs[key] = read_scalar(line, SymbolTable(dict(names, omega=om), funcs))
    funcs["nbar"] = lambda x: defs["nbar"].xreplace({om: x})
    funcs["Delta_n"] = lambda x: defs["Delta_n"].xreplace({om: x})
    return names, funcs


def _appendix_b_show(model):
    names, funcs = _appendix_b_table(model)
    w, O = model.parameter("omega_S").symbol, model.parameter("Omega").symbol
    gb = names["gammabar"]
    cands = {}
    for tag, x in (("\\omega_S + \\Omega", w + O), ("\\omega_S - \\Omega", w - O), ("\\omega_S", w)):
        cands[rf"(\bar{{n}}({tag}) + 1)\bar{{\gamma}}"] = gb * (funcs["nbar"](x) + 1)
        cands[rf"\bar{{n}}({tag})\bar{{\gamma}}"] = gb * funcs["nbar"](x)
        cands[rf"\Delta n({tag})\bar{{\gamma}}"] = gb * funcs["Delta_n"](x)
    cands["i"] = sp.I
    return notation(cands, model)


def _dissipators(d, regime):
    me = d[TWO, regime, False, "me"]
    S = sp.zeros(16, 16)
    for r in me.model.reservoirs:
        S += sp.Matrix(me.dissipator(r.name))
    return S


def _jump_terms(me, keep):
    return [(t.rate, t.X_m, t.X_n) for t in me.terms if keep(t)]


def _b_record(number, d, latex_text, derived, jumps, regime_pairs):
    model = d[TWO, "model"]
    names, funcs = _appendix_b_table(model)
    ops = printed_operators()
    S, terms = read_superoperator(latex_text, ops, SymbolTable(names, funcs), 4)
    cmp = compare_matrix(S, derived, model, odd_points(model, 2), f"Eq. ({number})")
    show = _appendix_b_show(model)
    _, _, U = printed_basis()
    derived_latex = ketbra_form(jumps, LABELS, U, model, show=show)
    ev = f"16x16 superoperators: {cmp.evidence()}"
    if not cmp.agrees:
        pairs = fit_terms(terms, derived)
        ev += ("; the printed operator structure cannot represent the derived dissipator"
               if pairs is None else
               "; the printed terms with cgsym's coefficients reproduce it: "
               + superoperator_latex(pairs, model, show))

        def route(pt):
            out = 0
            for regime, sign in regime_pairs:
                res = numeric_route(model, pt, regime, False)
                out = out + sign * (res.liouvillian if number == "B1"
                                    else sum(res.dissipators.values()))
            return out
        ev += "; independent route: " + independent_evidence(S, derived, model, route)
    return record(number, "App. B", cmp.agrees, PRINTED[number], derived_latex, ev), S


@EQUATIONS.equation("B1", "App. B")
def eqB1(d):
    model = d[TWO, "model"]
    names, funcs = _appendix_b_table(model)
    # the printed commutator -i[H] lacks ", rho" (typographical): read as -i[H, rho]
    h_text = PRINTED["B1"].split(r"+ \mathcal{D}")[0].replace(r"\right]", r", \rho \right]")
    H, _ = read_superoperator(h_text, PAULI, SymbolTable(names, funcs), 4)
    _, S3 = _b_record("B3", d, PRINTED["B3"], _dissipators(d, "secular"), [], [])
    _, S4 = _b_record("B4", d, PRINTED["B4"], _dissipators(d, "partial-secular")
                      - _dissipators(d, "secular"), [], [])
    P = sp.Matrix(H) + S3 + S4
    L = d[TWO, "partial-secular", False, "me"].liouvillian()
    cmp = compare_matrix(P, L, model, odd_points(model, 2), "Eq. (B1)")
    ev = ("H_S part as printed (with the missing ', rho' of the commutator restored) plus the "
          f"printed (B3) and (B4): {cmp.evidence()}")
    if not cmp.agrees:
        Hd = hamiltonian_superoperator(model.hamiltonian)
        okH = compare_matrix(H, Hd, model, odd_points(model, 1), "H part").agrees
        ev += (f"; the Hamiltonian part alone agrees: {okH}, so the difference is that of "
               "(B3) + (B4); independent route: "
               + independent_evidence(P, L, model, lambda pt: numeric_route(
                   model, pt, "partial-secular", False).liouvillian))
    return record("B1", "App. B", cmp.agrees, PRINTED["B1"],
                  r"\frac{d\rho}{dt} = -i[H_S, \rho] + \mathcal{D}_{\mathrm{sec}}[\rho] + "
                  r"\mathcal{D}_{\mathrm{nonsec}}[\rho] \quad \text{(derived (B3), (B4))}", ev)


@EQUATIONS.equation("B2", "App. B")
def eqB2(d):
    model = d[TWO, "model"]
    names, funcs = _appendix_b_table(model)
    t113 = _two_bath_table(model)
    w = model.parameter("omega_S").symbol
    P = sp.Matrix([funcs["nbar"](w), funcs["Delta_n"](w)])
    Dv = sp.Matrix([t113["nbar"], t113["Delta_n"]])
    cmp = compare_matrix(P, Dv, model, odd_points(model, 2), "definitions")
    # and the rates of the derived dissipator are written with them: the coefficient of
    # X_{-2} rho X_{-2}^+ summed over the two reservoirs is gammabar (nbar(w_S + W) + 1)
    me = d[TWO, "secular", False, "me"]
    tot = sum((t.rate for t in me.terms if t.m == t.n == -2), sp.S.Zero)
    O = model.parameter("Omega").symbol
    ok2 = exact_zero(tot - 2 * names["gammabar"] * (funcs["nbar"](w + O) + 1))
    return record("B2", "App. B", cmp.agrees and ok2, PRINTED["B2"],
                  r"\bar n(\omega_S) = " + paper_latex(Dv[0], model) + r",\ \Delta n(\omega_S) = "
                  + paper_latex(Dv[1], model),
                  f"at omega = omega_S the definitions (B2) equal nbar, Delta n of Eq. (113): "
                  f"{cmp.evidence()}; sum over reservoirs of the rates of X_-2 rho X_-2^+ is "
                  f"2 gammabar (nbar(omega_S + Omega) + 1): {ok2}")


@EQUATIONS.equation("B3", "App. B")
def eqB3(d):
    me = d[TWO, "secular", False, "me"]
    rec, _ = _b_record("B3", d, PRINTED["B3"], _dissipators(d, "secular"),
                       _jump_terms(me, lambda t: True), [("secular", 1)])
    return rec


@EQUATIONS.equation("B4", "App. B")
def eqB4(d):
    me = d[TWO, "partial-secular", False, "me"]
    derived = _dissipators(d, "partial-secular") - _dissipators(d, "secular")
    rec, _ = _b_record("B4", d, PRINTED["B4"], derived, _jump_terms(me, lambda t: t.m != t.n),
                       [("partial-secular", 1), ("secular", -1)])
    return rec


def main():
    """Records of this section, in paper order."""
    return EQUATIONS.run(derive())


if __name__ == "__main__":
    import time
    from cgsym.reproduce import table_text
    t0 = time.perf_counter()
    recs = main()
    print(table_text(recs, time.perf_counter() - t0))
    for r in recs:
        if r.verdict == "erratum":
            print(f"\n{r.number}: {r.evidence}")
