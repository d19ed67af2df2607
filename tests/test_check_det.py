r"""cgsym check reads determinants: a steady state written by Cramer's rule.

The reader keeps ``\det\begin{pmatrix}..\end{pmatrix}`` (and ``bmatrix``, ``vmatrix``,
SymPy's printed ``\left|{\begin{matrix}..}\right|``, ``Determinant(Matrix([[..]]))``)
as an unevaluated :class:`sympy.Determinant`; check proves the result equal in
python-flint (determinants by expansion in minors, exact) and confirms it numerically
(entries at the point, then det).  The physics tests write the rate equations of a
model by hand, as a physicist would: the tunnelling qubit (secular, weak internal
limit; paper Sec. VI.B) and a model that is not in the paper (two exchange-coupled
spins with three reservoirs, other names).
"""
from __future__ import annotations

import importlib
import random

import pytest
import sympy as sp

import cgsym
from cgsym.arith import flintalg
from cgsym.check import check
from cgsym.cli import main
from cgsym.errors import CgsymError
from cgsym.latex_reader import SymbolTable, read_expression, read_latex

from test_forms import THREE_BATHS

check_mod = importlib.import_module("cgsym.check")   # (cgsym.check is also the function)

a, b, c, d = sp.symbols("a b c d", positive=True)
TABLE = SymbolTable.from_symbols([a, b, c, d])
DET2 = a * d - b * c


# ---------------------------------------------------------------------------
# item 1: reading
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("tex", [
    r"\det\begin{pmatrix} a & b \\ c & d \end{pmatrix}",
    r"D = \det\begin{bmatrix} a & b \\ c & d \\ \end{bmatrix}",
    r"\begin{vmatrix} a & b \\ c & d \end{vmatrix}",
    r"\det\left(\begin{matrix} a & b \\ c & d \end{matrix}\right)",
    r"\det(\begin{matrix} a & b \\ c & d \end{matrix})",
    r"\operatorname{det}\begin{pmatrix} a & b \\ c & d \end{pmatrix}",
    r"|\begin{matrix} a & b \\ c & d \end{matrix}|",
    sp.latex(sp.Determinant(sp.ImmutableMatrix([[a, b], [c, d]]))),   # SymPy's own
    r"\begin{align} x &= \det\begin{pmatrix} a & b \\ c & d \end{pmatrix} \\ \end{align}",
])
def test_latex_determinant_is_read_unevaluated(tex):
    e = read_latex(tex, TABLE)
    assert isinstance(e, sp.Determinant) and e.arg == sp.ImmutableMatrix([[a, b], [c, d]])
    assert sp.expand(e.doit() - DET2) == 0


def test_sympy_syntax_and_nesting():
    e = read_expression("Determinant(Matrix([[a, b], [c, d]]))", TABLE)
    assert isinstance(e, sp.Determinant) and sp.expand(e.doit() - DET2) == 0
    e = read_expression(r"\frac{\det\begin{pmatrix} a & b \\ c & d \end{pmatrix}}"
                        r"{\det\begin{pmatrix} a \end{pmatrix}} + 1", TABLE)
    assert sp.simplify(e.doit() - (DET2 / a + 1)) == 0
    e = read_expression(r"\det\begin{pmatrix} a^2 & \frac{b}{2} \\ c & 1 \end{pmatrix}^{2}",
                        TABLE)
    assert sp.expand(e.doit() - (a**2 - b * c / 2) ** 2) == 0


def test_a_large_determinant_stays_unevaluated():
    n = 12
    # a Vandermonde matrix in the nodes (i+1) a + b: nonsingular (a singular one is read
    # as its value 0)
    rows = [[f"({i + 1} a + b)^{{{j}}}" for j in range(n)] for i in range(n)]
    tex = r"\det\begin{pmatrix}" + r" \\ ".join(" & ".join(r) for r in rows) + \
        r"\end{pmatrix}"
    e = read_latex(tex, TABLE)
    assert isinstance(e, sp.Determinant) and e.arg.shape == (12, 12)


@pytest.mark.parametrize("text,message", [
    (r"\det\begin{pmatrix} a & b \\ c \end{pmatrix}",
     "column 30: row 2 of the matrix has 1 entry, row 1 has 2"),
    (r"\det\begin{pmatrix} a & b \end{pmatrix}",
     "column 5: a determinant needs a square matrix; this one is 1x2"),
    (r"\det\begin{pmatrix} \end{pmatrix}", "column 5: empty matrix"),
    (r"a + \begin{pmatrix} a \end{pmatrix}",
     "column 5: a matrix (pmatrix) where a scalar is needed"),
    (r"\det a", "column 1: '\\det' needs a matrix"),
    (r"\det\begin{pmatrix} a & & b \end{pmatrix}", "column 23: empty entry in the matrix"),
    (r"\det\begin{pmatrix} a & b \\ c & d \end{bmatrix}",
     "'\\begin{pmatrix}' at column 5 is closed by '\\end{bmatrix}'"),
    (r"\det\begin{pmatrix} a & b \\ c & d", "column 5: '\\begin{pmatrix}' has no matching"),
    (r"\begin{Vmatrix} a \end{Vmatrix}", "'Vmatrix' is not supported"),
    ("Determinant(Matrix([[a, b], [c]]))", "column 29: row 2 of the matrix has 1 entry"),
    ("Determinant(Matrix([[a, b]]))", "column 13: a determinant needs a square matrix"),
    ("Determinant(Matrix([]))", "column 13: empty matrix"),
    ("a*Matrix([[a]])", "column 3: a matrix where a scalar is needed"),
    ("Determinant(a)", "column 1: Determinant needs a matrix"),
])
def test_bad_matrices_give_one_line(text, message):
    with pytest.raises(CgsymError) as exc:
        read_expression(text, TABLE)
    msg = str(exc.value)
    assert message in msg and "\n" not in msg


def test_cli_bad_matrix_exit_2(capsys):
    rc = main(["check", "tunnelling-qubit", "--regime", "secular", "--weak-internal",
               "--quantity", "J[l]", "--expr", "D",
               "--where", r"D=\det\begin{pmatrix} \gamma & 1 \\ 1 \end{pmatrix}"])
    out, err = capsys.readouterr()
    assert rc == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "--where D=...: cannot read LaTeX at column 35: row 2 of the matrix" in err


# ---------------------------------------------------------------------------
# item 2: the exact determinant in flint
# ---------------------------------------------------------------------------
def test_flint_determinant_matches_sympy():
    """Minors (n <= DET_MINORS_MAX) and Bareiss (above) against SymPy's det, on random
    sparse matrices of polynomials and fractions (zero rows and columns included),
    compared exactly at random rational points."""
    x, y, z = sp.symbols("x y z")
    ring = flintalg.Ring([x, y, z])
    index = {x: 0, y: 1, z: 2}
    rng = random.Random(5)
    pool = [0, 0, 0, 1, -2, x, y + sp.Rational(1, 3), x * z - 1, z / (x + 1), 3 * y ** 2]
    for n in (1, 2, 3, 4, 5):
        for _ in range(2):
            m = sp.ImmutableMatrix(n, n, lambda i, j: rng.choice(pool))
            want = m.det(method="berkowitz")          # unexpanded
            pts = [{x: sp.Rational(rng.randint(1, 97), 13), y: sp.Rational(rng.randint(-50, 50), 7),
                    z: sp.Rational(rng.randint(1, 60), 11)} for _ in range(3)]
            for cap in (flintalg.DET_MINORS_MAX, 0):
                old, flintalg.DET_MINORS_MAX = flintalg.DET_MINORS_MAX, cap
                try:
                    num, den = flintalg.fraction_tree(ring, index, sp.Determinant(m))
                finally:
                    flintalg.DET_MINORS_MAX = old
                got = ring.to_sympy(num) / ring.to_sympy(den)
                for pt in pts:
                    assert got.xreplace(pt) == want.xreplace(pt), (m, cap)


def test_cramer_numerators_from_the_minors_of_the_system():
    """det A first (determinants_first), then every D_k (column k replaced by the unit
    vector of the trace row) from its stored minors: p_k = D_k / D solve A p = e_n,
    checked exactly at a rational point against SymPy's LU solve."""
    x, y, z = sp.symbols("x y z")
    ring = flintalg.Ring([x, y, z])
    index = {x: 0, y: 1, z: 2}
    rng = random.Random(11)
    pool = [0, 0, 1, x, y + 2, x * z + 1, z / (y + 3), 2 * y - x]
    n = 6
    A = sp.Matrix(n, n, lambda i, j: rng.choice(pool))
    A[n - 1, :] = sp.ones(1, n)
    dets = [sp.Determinant(sp.ImmutableMatrix(A))]
    for k in range(n):
        Ak = A.copy()
        Ak[:, k] = sp.Matrix([0] * (n - 1) + [1])
        dets.append(sp.Determinant(sp.ImmutableMatrix(Ak)))
    expr = sp.Add(*[(k + 1) * dets[k + 1] / dets[0] for k in range(n)])
    memo: dict = {}
    flintalg.determinants_first(ring, index, expr, memo)
    assert sum(key[0] == "minor" for key in memo if isinstance(key, tuple)) >= n
    num, den = flintalg.fraction_tree(ring, index, expr, memo)
    pt = {x: sp.Rational(7, 3), y: sp.Rational(-5, 11), z: sp.Rational(13, 4)}
    p = A.xreplace(pt).LUsolve(sp.Matrix([0] * (n - 1) + [1]))
    want = sum((k + 1) * p[k] for k in range(n))
    assert (ring.to_sympy(num) / ring.to_sympy(den)).xreplace(pt) == want


def _pmatrix(rows):
    return r"\det\begin{pmatrix}" + r" \\ ".join(" & ".join(r) for r in rows) + \
        r"\end{pmatrix}"


def _cramer(A, size, rhs_row, latex=True):
    """--where definitions D, D_k (column k of A replaced by the unit vector of the
    normalisation row) and p_k = D_k / D, in LaTeX or in SymPy syntax."""
    matrix = _pmatrix if latex else _sympy_matrix
    out = ["D = " + matrix(A)]
    for k in range(1, size + 1):
        Ak = [[("1" if i == rhs_row else "0") if j == k - 1 else A[i][j] for j in range(size)]
              for i in range(size)]
        if latex:
            out += [f"D_{{{k}}} = " + matrix(Ak), f"p_{{{k}}} = \\frac{{D_{{{k}}}}}{{D}}"]
        else:
            out += [f"D_{k} = " + matrix(Ak), f"p_{k} = D_{k}/D"]
    return out


def _sympy_matrix(rows):
    return "Determinant(Matrix([" + ", ".join("[" + ", ".join(r) + "]" for r in rows) + "]))"


# tunnelling qubit (Sec. VI.B), secular regime, weak internal limit.  In the eigenbasis
# |e,+-> , |g,+-> (tunnelling states +- = (l +- r)/sqrt 2) the coupling
# proj(T, l) sx(A) connects each |g,s> to each |e,s'> with amplitude 1/2: every upward
# transition at rate u = gamma (n_l + n_r) / 4, every downward one at
# w = gamma (n_l + n_r + 2) / 4 (all Bohr frequencies -> omega_S in the weak limit).
# Populations p = (P_e+, P_e-, P_g+, P_g-); three balance equations and the trace.
TQ_WHERE = [r"n_l = n(\omega_S, T_l)", r"n_r = n(\omega_S, T_r)",
            r"u = \frac{\gamma}{4}(n_l + n_r)", r"w = \frac{\gamma}{4}(n_l + n_r + 2)"]
TQ_A = [["-2w", "0", "u", "u"], ["0", "-2w", "u", "u"], ["w", "w", "-2u", "0"],
        ["1", "1", "1", "1"]]
# J_l: each transition exchanges omega_S with reservoir l at half the rates above
TQ_J = r"\frac{\gamma\omega_S}{2}\left[n_l (p_3 + p_4) - (n_l + 1)(p_1 + p_2)\right]"


def _no_sympy_proof(monkeypatch):
    """Make the SymPy comparison unusable: EQUAL must come from the flint proof."""
    def refuse(*args, **kwargs):
        raise AssertionError("the SymPy comparison ran")
    monkeypatch.setattr(check_mod, "tidy", refuse)


def test_cramer_tunnelling_qubit_equal_in_flint(monkeypatch):
    _no_sympy_proof(monkeypatch)
    where = TQ_WHERE + _cramer(TQ_A, 4, 3)
    r = check("tunnelling-qubit", "secular", True, "J[l]", TQ_J, where, latex=True)
    assert r.equal and r.method == "exact", str(r)
    assert r.user.has(sp.Determinant)          # shown as the user wrote it
    # a steady-state element (no flint forms: both sides read into one flint ring);
    # rho[e,l;e,l] = (P_e+ + P_e-)/2
    r = check("tunnelling-qubit", "secular", True, "rho[e,l;e,l]", r"\frac{p_1 + p_2}{2}",
              where, latex=True)
    assert r.equal and r.method == "exact", str(r)


def test_cramer_wrong_sign_is_different(capsys):
    where = TQ_WHERE + _cramer(TQ_A, 4, 3)
    bad = [w.replace("-2w & 0 & u", "2w & 0 & u", 1) for w in where]
    assert bad != where
    r = check("tunnelling-qubit", "secular", True, "J[l]", TQ_J, bad, latex=True)
    assert not r.equal and r.point and r.values
    args = ["check", "tunnelling-qubit", "--regime", "secular", "--weak-internal",
            "--quantity", "J[l]", "--latex", "--expr", TQ_J]
    for w in bad:
        args += ["--where", w]
    assert main(args) == 1
    out = capsys.readouterr().out
    assert out.startswith("DIFFERENT") and "derived =" in out and "yours   =" in out


# Not in the paper: two exchange-coupled spins (eigenstates ee, + = (eg + ge)/sqrt 2,
# - = (eg - ge)/sqrt 2, gg at energies nu, J, -J, -nu) with reservoirs hot (sx(a)),
# cold (sx(b)) and w (sx(a) + sx(b): it reaches only the symmetric state, amplitude
# sqrt 2).  Secular, weak internal limit: rates at nu; the energy exchanged is the Bohr
# frequency nu -+ J of each transition.  SymPy syntax this time.
PAIR_WHERE = ["n_x = n(nu, Tx)", "n_y = n(nu, Ty)", "n_z = n(nu, Tz)",
              "a = kappa_x*n_x/2 + kappa_y*n_y/2 + 2*kappa_z*n_z",
              "A = kappa_x*(n_x + 1)/2 + kappa_y*(n_y + 1)/2 + 2*kappa_z*(n_z + 1)",
              "b = kappa_x*n_x/2 + kappa_y*n_y/2",
              "B = kappa_x*(n_x + 1)/2 + kappa_y*(n_y + 1)/2"]
# populations (ee, +, -, gg)
PAIR_A = [["-(A + B)", "a", "b", "0"], ["A", "-(a + A)", "0", "a"],
          ["B", "0", "-(b + B)", "b"], ["1", "1", "1", "1"]]
PAIR_J_HOT = ("kappa_x/2*((nu - J)*(n_x*p_2 - (n_x + 1)*p_1)"
              " + (nu + J)*(n_x*p_3 - (n_x + 1)*p_1)"
              " + (nu + J)*(n_x*p_4 - (n_x + 1)*p_2)"
              " + (nu - J)*(n_x*p_4 - (n_x + 1)*p_3))")


def test_cramer_three_reservoirs_not_in_the_paper(monkeypatch):
    _no_sympy_proof(monkeypatch)
    model = cgsym.model_from_toml(THREE_BATHS)
    where = PAIR_WHERE + _cramer(PAIR_A, 4, 3, latex=False)
    r = check(model, "secular", True, "J[hot]", PAIR_J_HOT, where)
    assert r.equal and r.method == "exact", str(r)
    r = check(model, "secular", True, "rho[e,e;e,e]", "p_1", where)
    assert r.equal and r.method == "exact", str(r)
    # the w reservoir written as if it reached the antisymmetric state too: different
    wrong = [w.replace("b = kappa_x*n_x/2 + kappa_y*n_y/2",
                       "b = kappa_x*n_x/2 + kappa_y*n_y/2 + 2*kappa_z*n_z") for w in where]
    monkeypatch.undo()
    r = check(model, "secular", True, "rho[e,e;e,e]", "p_1", wrong)
    assert not r.equal and r.point


# ---------------------------------------------------------------------------
# exponentials (an ohmic rate's exp(-w/omega_c)) as powers of independent generators
# ---------------------------------------------------------------------------
def test_exp_lattice_keeps_values_and_knows_exp_relations():
    W, w, wc, T = sp.symbols("Omega omega_S omega_c T", positive=True)
    exps = [sp.exp(-(W + w) / wc), sp.exp(W / wc), sp.exp(-W / wc), sp.exp(-2 * w / wc),
            sp.exp(-(w - W) / (2 * wc)), sp.exp(w / T)]
    lat, values = check_mod.exp_lattice(exps)
    # Omega/omega_c, omega_S/omega_c (in halves), omega_S/T
    assert set(values.values()) == {sp.exp(W / (2 * wc)), sp.exp(w / (2 * wc)), sp.exp(w / T)}
    for e, img in lat.items():             # every image has its exponential's value
        assert sp.simplify(img.xreplace(values) - e) == 0
    # exp(a) exp(-a) = 1 and exp(a) exp(b) = exp(a + b) hold for the images
    assert lat[exps[1]] * lat[exps[2]] == 1
    assert lat[exps[0]] == lat[exps[2]] * lat[exps[3]] ** sp.S.Half


@pytest.mark.slow
def test_ohmic_wrong_form_is_refused():
    """The ohmic tunnelling qubit (exp(-w/omega_c) rates, no weak limit): a J_l that
    is off by one exponential factor is not proved equal, and check says DIFFERENT."""
    from test_forms import _compact_latex_and_where
    from conftest import derivation
    d = derivation("tunnelling-qubit-ohmic", "secular", False)
    c = d.compact(steady_state=False)
    J = c.current("l")
    tex, where = _compact_latex_and_where(c, J)
    tab = check_mod._symbol_table(d.model, where)
    forms = check_mod.derived_forms(d, "J[l]")
    good = read_expression(tex, tab, latex=True)
    assert check_mod.equal_in_flint(d.model, forms, good)
    bad = good * sp.exp(sp.Symbol("Omega", positive=True) / sp.Symbol("omega_c", positive=True))
    assert not check_mod.equal_in_flint(d.model, forms, bad)


@pytest.mark.slow
def test_explicit_compact_form_round_trip():
    """The tunnelling qubit, partial secular, no weak limit: its compact form is above
    derive's size limit; the explicit one (d.compact(max_nodes=None), ~25.8k ops,
    253 kB of LaTeX per current) reads back EQUAL, proved in flint (5 s CPU each)."""
    from test_forms import _compact_latex_and_where
    from conftest import derivation
    d = derivation("tunnelling-qubit", "partial-secular", False)
    c = d.compact(steady_state=False, max_nodes=None)
    for res, J in c.heat_currents:
        tex, where = _compact_latex_and_where(c, J)
        r = check("tunnelling-qubit", "partial-secular", False, f"J[{res}]", tex, where,
                  latex=True, derivation=d)
        assert r.equal and r.method == "exact", (res, str(r))
