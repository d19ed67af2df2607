"""Adversarial tests (helper e, issue 12): the system form, determinants and exponentials in check.

Each test here pins a defect found from the outside (README, --help only) and is marked
xfail(strict=True): it fails today because of the defect and must pass once it is fixed.
Fixed the same day (marks removed): LaTeX of clash-renamed names (a tilde), singular
determinants (read as 0, so 0/det is refused), the confirmation's precision, \\[2pt]
row spacing.  Still open: an exponential off by exp(1e-40) (numeric EQUAL at 30 digits,
no proof claimed) and the coth form's 133 s.
"""
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cgsym.cli import main

# A V atom whose parameter names clash with the system form's own names:
# K_1 (slow splitting) vs the abbreviations K_k, n_h (a rate) vs the occupation n_h,
# D_ (a rate) vs the determinant D / its clash-renamed D_.
CLASH = """
name = "clash-names"
description = "V atom, parameter names that clash with the system form (test model)"
hamiltonian = "(D + K_1/2)*proj(a, 'e1') + (D - K_1/2)*proj(a, 'e2')"

[parameters]
D = "frequency"
K_1 = "slow"
n_h = "rate"
D_ = "rate"
T_h = "temperature"
T_c = "temperature"

[[subsystems]]
name = "a"
levels = ["e1", "e2", "g"]

[[reservoirs]]
name = "h"
coupling = "ketbra(a, 'e1', 'g') + ketbra(a, 'g', 'e1') + ketbra(a, 'e2', 'g') + ketbra(a, 'g', 'e2')"
temperature = "T_h"
rate = "n_h"

[[reservoirs]]
name = "c"
coupling = "ketbra(a, 'e2', 'g') + ketbra(a, 'g', 'e2')"
temperature = "T_c"
rate = "D_"
"""

TQ2 = ["check", "two-qubits-two-baths", "--regime", "partial-secular", "--weak-internal",
       "--quantity", "J[h]"]
W2 = ["--where", "n_h=n(omega_S,T_h)", "--where", "n_c=n(omega_S,T_c)",
      "--where", "Gamma_h=gamma_h*(2*n_h+1)", "--where", "Gamma_c=gamma_c*(2*n_c+1)"]
J_H = ("-2*Omega**2*omega_S*(Gamma_c*gamma_h - Gamma_h*gamma_c)"
       "/((Gamma_c + Gamma_h)*(Gamma_c*Gamma_h + 4*Omega**2))")


def _latex(tmp_path, capsys):
    model = tmp_path / "clash.toml"
    model.write_text(CLASH)
    code = main(["derive", str(model), "--regime", "partial-secular", "--compact-form", "system",
                 "--format", "latex", "--no-cache"])
    out, _ = capsys.readouterr()
    assert code == 0
    return out


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="needs pdflatex")
def test_system_form_latex_compiles_with_clashing_parameter_names(tmp_path, capsys):
    tex = _latex(tmp_path, capsys)
    (tmp_path / "doc.tex").write_text(tex)
    r = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout[-2000:]


def test_system_form_latex_keeps_parameter_and_abbreviation_names_apart(tmp_path, capsys):
    tex = _latex(tmp_path, capsys)
    # n_h is a parameter (the hot rate): no abbreviation may be typeset as n_{h}
    assert r"n_{h} &\equiv" not in tex
    # the parameter D_ must not print as a bare D (the frequency)
    assert "D_{}" not in tex


def test_check_integer_determinant_with_large_entries_is_equal(capsys):
    det = "Determinant(Matrix([[10**16+1, 10**16], [10**16, 10**16-1]]))"   # = -1 exactly
    code = main([*TQ2, "--expr", f"-({J_H})*{det}", *W2])
    out, err = capsys.readouterr()
    assert code == 0 and out.startswith("EQUAL"), out + err


def test_check_division_by_singular_determinant_is_not_equal(capsys):
    code = main([*TQ2, "--expr", f"{J_H} + 0/Determinant(Matrix([[1, 1], [1, 1]]))", *W2])
    out, err = capsys.readouterr()
    assert not out.startswith("EQUAL"), out


def test_check_where_singular_determinant_cancelled_is_not_equal(capsys):
    code = main([*TQ2, "--expr", f"({J_H})*D/D", *W2,
                 "--where", "D=Determinant(Matrix([[Gamma_h, Gamma_h], [Gamma_h, Gamma_h]]))"])
    out, err = capsys.readouterr()
    assert not out.startswith("EQUAL"), out


OHMIC = """
name = "ohmic-qubit"
description = "qubit, two Ohmic reservoirs with different cutoffs, complex coupling (test model)"
hamiltonian = "w/2*sz(q)"

[parameters]
w = "frequency"
k1 = "rate"
k2 = "rate"
wc = "frequency"
T1 = "temperature"
T2 = "temperature"

[[subsystems]]
name = "q"
levels = ["e", "g"]

[[reservoirs]]
name = "a"
coupling = "sx(q)"
temperature = "T1"
rate = "k1*omega/wc*exp(-omega/wc)"

[[reservoirs]]
name = "b"
coupling = "sx(q) - sy(q)"
temperature = "T2"
rate = "k2*omega/wc*exp(-omega/(2*wc))"
"""


@pytest.mark.xfail(strict=True, reason="an exponential off by a constant factor exp(1e-40) is "
                   "reported EQUAL (numerically, no exact proof) instead of DIFFERENT; the exponent "
                   "lattice could separate the constant exp(10**-40) exactly")
def test_check_exp_with_constant_offset_is_not_equal(tmp_path, capsys):
    model = tmp_path / "ohmic.toml"
    model.write_text(OHMIC)
    expr = ("2*k1*k2*w**2*(n_a-n_b)*exp(-w/(2*wc))/(wc*(k1*(2*n_a+1) "
            "+ 2*k2*exp(w/(2*wc) + 10**-40)*(2*n_b+1)))")
    code = main(["check", str(model), "--regime", "secular", "--quantity", "J[a]", "--expr", expr,
                 "--where", "n_a=n(w,T1)", "--where", "n_b=n(w,T2)"])
    out, _ = capsys.readouterr()
    assert not out.startswith("EQUAL"), out


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="check takes 133 s (then only a numeric EQUAL, no proof) on the right current written with "
                   "coth(omega_S/2T) = 2n+1, the physicist's form of Gamma_p")
def test_check_coth_form_answers_within_30s():
    argv = [str(Path(sys.executable).parent / "cgsym"), *TQ2, "--expr", J_H,
            "--where", "Gamma_h=gamma_h*coth(omega_S/(2*T_h))",
            "--where", "Gamma_c=gamma_c*coth(omega_S/(2*T_c))"]
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail("no answer within 30 s")
    assert r.returncode == 0 and r.stdout.startswith("EQUAL"), r.stdout + r.stderr


def test_check_latex_determinant_with_row_spacing(capsys):
    latex = (r"-\frac{2\Omega^2\omega_S(\Gamma_c\gamma_h-\Gamma_h\gamma_c)}{(\Gamma_c+\Gamma_h)"
             r"\det\begin{pmatrix}\Gamma_c & 2\Omega\\[2pt] -2\Omega & \Gamma_h\end{pmatrix}}")
    code = main([*TQ2, "--latex", "--expr", latex, *W2])
    out, err = capsys.readouterr()
    assert code == 0 and out.startswith("EQUAL"), out + err
