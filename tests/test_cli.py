"""Tests of the command line (cgsym/cli.py).

The CLI runs in-process through ``cgsym.cli.main([...])`` with ``capsys`` (fast);
one test runs the installed ``cgsym`` entry point in a subprocess.  Every error
must be exactly one line on stderr starting with "cgsym: error:", exit status 2,
no traceback, and a message that names the problem.  The bad model files are in
tests/bad_inputs/.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import cgsym
from cgsym.cli import main

from conftest import BAD_INPUTS, assert_close, derivation, exactly_zero, point

# fast models: one reservoir (J = 0) and two reservoirs (J != 0)
FAST = (("two-qubits-one-bath", "secular", False),
        ("two-qubits-two-baths", "partial-secular", True))
FAST_IDS = [f"{m}-{r}-{'weak' if w else 'full'}" for m, r, w in FAST]


def run(capsys, *argv):
    """(exit status, stdout, stderr) of an in-process CLI call."""
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def _regime_args(regime, weak):
    return ["--regime", regime] + (["--weak-internal"] if weak else [])


def _at(model, k=0):
    return ["--at"] + [f"{name}={value!r}" for name, value in point(model, k).items()]


def assert_clean_error(rc, out, err, pattern):
    """Exit 2, nothing on stdout, one line on stderr naming the problem, no traceback."""
    assert rc == 2, (rc, out, err)
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("cgsym: error:"), err
    assert "Traceback" not in err
    assert re.search(pattern, lines[0]), f"{lines[0]!r} does not match {pattern!r}"
    return lines[0]


# ---------------------------------------------------------------------------
# derive
# ---------------------------------------------------------------------------
def test_models_lists_every_shipped_model(capsys):
    rc, out, err = run(capsys, "models")
    assert rc == 0 and err == ""
    names = [line.split(":")[0] for line in out.splitlines()]
    assert names == list(cgsym.shipped_models())
    assert {"two-qubits-one-bath", "two-qubits-two-baths", "tunnelling-qubit",
            "v-type-three-level", "detuned-qubits"} <= set(names)


@pytest.mark.parametrize("name, regime, weak", FAST, ids=FAST_IDS)
def test_derive_text(capsys, name, regime, weak):
    rc, out, err = run(capsys, "derive", name, *_regime_args(regime, weak))
    assert rc == 0 and err == ""
    assert out.startswith(f"cgsym derivation: model {name}, regime {regime}")
    for section in ("Eigenstates of H_S", "Bohr frequencies", "Eigenoperators",
                    "gamma matrices", "Master equation", "Steady state", "Heat currents"):
        assert section in out
    d = derivation(name, regime, weak)
    for r in d.model.reservoirs:
        assert f"  J_{r.name} = " in out


@pytest.mark.parametrize("name, regime, weak", FAST, ids=FAST_IDS)
def test_derive_latex(capsys, name, regime, weak):
    rc, out, err = run(capsys, "derive", name, *_regime_args(regime, weak), "--format", "latex")
    assert rc == 0 and err == ""
    assert out.lstrip().startswith(r"\documentclass")
    assert out.rstrip().endswith(r"\end{document}")
    assert r"\rho_{" in out and r"\omega_{S}" in out   # rho entry by entry (issue 12)
    assert out.count(r"\left") == out.count(r"\right")
    assert out.count("{") == out.count("}")


def _left_right_groups_with_line_breaks(tex: str) -> list[str]:
    """Every \\left ... \\right group that contains a line break \\\\ (invalid LaTeX).

    A \\\\ inside an environment opened within the group (the rows of a
    ``\\left[\\begin{matrix} ... \\end{matrix}\\right]``) is a matrix row, not a line
    break of the display, and is allowed.
    """
    bad = []
    stack = []   # ("left", pos) or ("env", pos)
    for m in re.finditer(r"\\left|\\right|\\begin\{|\\end\{|\\\\", tex):
        g = m.group()
        if g == r"\left":
            stack.append(("left", m.start()))
        elif g == r"\right":
            if stack and stack[-1][0] == "left":
                stack.pop()
        elif g == "\\begin{":
            stack.append(("env", m.start()))
        elif g == "\\end{":
            if stack and stack[-1][0] == "env":
                stack.pop()
        elif stack and stack[-1][0] == "left":
            bad.append(tex[stack[-1][1]:m.end() + 20])
    return bad


def test_derive_latex_has_no_line_break_inside_left_right(capsys):
    rc, out, _ = run(capsys, "derive", "two-qubits-one-bath", "--regime", "secular",
                     "--format", "latex")
    assert rc == 0
    assert _left_right_groups_with_line_breaks(out) == []


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex not installed")
def test_derive_latex_compiles(capsys, tmp_path):
    rc, out, _ = run(capsys, "derive", "two-qubits-one-bath", "--regime", "secular",
                     "--format", "latex")
    assert rc == 0
    (tmp_path / "d.tex").write_text(out)
    res = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "d.tex"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout[-2000:]


def _read(s, model):
    assert isinstance(s, str), s
    e = sp.sympify(s, locals=model.sympify_locals)
    assert e.free_symbols <= set(model.symbols), (s, e.free_symbols)
    return e


@pytest.mark.parametrize("name, regime, weak", FAST, ids=FAST_IDS)
def test_derive_json_shape_and_expressions(capsys, name, regime, weak):
    rc, out, err = run(capsys, "derive", name, *_regime_args(regime, weak), "--format", "json")
    assert rc == 0 and err == ""
    doc = json.loads(out)
    d = derivation(name, regime, weak)
    model = d.model
    required = {"model", "regime", "weak_internal", "parameters", "gamma_positive",
                "steady_state", "heat_currents"}
    assert required <= set(doc)
    assert doc["model"] == name
    assert doc["regime"] == regime
    assert doc["weak_internal"] is weak
    assert doc["parameters"] == [p.name for p in model.parameters]
    assert doc["gamma_positive"] == {r.name: True for r in model.reservoirs}
    ss = doc["steady_state"]
    assert set(ss) == {"basis", "matrix"}
    assert ss["basis"] == list(model.basis)
    assert len(ss["matrix"]) == model.dim and all(len(row) == model.dim for row in ss["matrix"])
    rho = sp.Matrix([[_read(x, model) for x in row] for row in ss["matrix"]])
    assert all(exactly_zero(v) for v in rho - sp.Matrix(d.steady_state.matrix))
    assert set(doc["heat_currents"]) == {r.name for r in model.reservoirs}
    for p, s in doc["heat_currents"].items():
        assert exactly_zero(_read(s, model) - d.heat_currents.current(p))
    # the other expression strings are readable too
    for st in doc.get("eigenstates", []):
        _read(st["energy"], model)
        for x in st["vector"]:
            _read(x, model)
    for w in doc.get("frequencies", {}).values():
        _read(w, model)
    for g in doc.get("gamma", {}).values():
        for row in g["matrix"]:
            for x in row:
                _read(x, model)


def test_derive_json_for_a_non_unique_steady_state(capsys, tmp_path):
    f = tmp_path / "no-exchange.toml"
    f.write_text(NO_EXCHANGE)
    rc, out, err = run(capsys, "derive", f, "--regime", "secular", "--format", "json")
    assert rc == 0 and err == ""
    doc = json.loads(out)
    assert doc["steady_state"] is None and doc["heat_currents"] is None
    assert doc["kernel_dimension"] == 2


NO_EXCHANGE = """
name = "no-exchange"
hamiltonian = "omega_S/2*(sz(q1) + sz(q2)) + Omega*sz(q1)"
[parameters]
omega_S = "frequency"
Omega = "slow"
gamma = "rate"
T = "temperature"
[[subsystems]]
name = "q1"
levels = ["e", "g"]
[[subsystems]]
name = "q2"
levels = ["e", "g"]
[[reservoirs]]
name = "b"
coupling = "sx(q2)"
temperature = "T"
"""

THIRD_QUBIT = """
name = "third-qubit-decoupled"
hamiltonian = "omega_S/2*(sz(q1) + sz(q2) + sz(q3)) + Omega*(sp(q1)*sm(q2) + sm(q1)*sp(q2))"
[parameters]
omega_S = "frequency"
Omega = "slow"
gamma = "rate"
T = "temperature"
[[subsystems]]
name = "q1"
levels = ["e", "g"]
[[subsystems]]
name = "q2"
levels = ["e", "g"]
[[subsystems]]
name = "q3"
levels = ["e", "g"]
[[reservoirs]]
name = "b"
coupling = "sx(q2)"
temperature = "T"
"""


def test_derive_decoupled_third_qubit_partial_secular(capsys, tmp_path):
    f = tmp_path / "third.toml"
    f.write_text(THIRD_QUBIT)
    rc, out, err = run(capsys, "derive", f, "--regime", "partial-secular", "--format", "json")
    assert rc == 0, err
    assert json.loads(out)["kernel_dimension"] == 2


# ---------------------------------------------------------------------------
# evaluate
# ---------------------------------------------------------------------------
def _evaluate_json(capsys, name, regime, weak, k=0, numeric=False):
    argv = ["evaluate", name, *_regime_args(regime, weak), *_at(name, k), "--format", "json"]
    rc, out, err = run(capsys, *(argv + (["--numeric"] if numeric else [])))
    assert rc == 0 and err == "", err
    return json.loads(out)


@pytest.mark.parametrize("name, regime, weak", FAST, ids=FAST_IDS)
def test_evaluate_json_shape_and_symbolic_equals_numeric(capsys, name, regime, weak):
    model = cgsym.load_model(name)
    sym = _evaluate_json(capsys, name, regime, weak)
    num = _evaluate_json(capsys, name, regime, weak, numeric=True)
    for doc in (sym, num):
        assert set(doc) == {"heat_currents", "steady_state"}
        assert set(doc["steady_state"]) == {"basis", "real", "imag"}
        assert doc["steady_state"]["basis"] == list(model.basis)
        assert set(doc["heat_currents"]) == {r.name for r in model.reservoirs}
        assert all(isinstance(v, float) for v in doc["heat_currents"].values())
        for part in ("real", "imag"):
            m = doc["steady_state"][part]
            assert len(m) == model.dim and all(len(r) == model.dim for r in m)
            assert all(isinstance(x, float) for r in m for x in r)

    def rho(doc):
        return np.array(doc["steady_state"]["real"]) + 1j * np.array(doc["steady_state"]["imag"])

    assert_close(rho(sym), rho(num), 1e-9, "evaluate rho symbolic vs --numeric")
    assert abs(np.trace(rho(sym)) - 1) <= 1e-12
    Js, Jn = sym["heat_currents"], num["heat_currents"]
    if len(model.reservoirs) > 1:
        scale = max(abs(v) for v in Jn.values())
        assert scale > 0
        assert all(abs(Js[p] - Jn[p]) <= 1e-9 * scale for p in Jn), (Js, Jn)
    else:
        assert Js == {"b": 0.0}
        assert abs(Jn["b"]) <= 1e-15
    # and the symbolic values are the engine's closed forms at the point
    d = derivation(name, regime, weak)
    vals = point(model)
    from cgsym.numerics import lambdify_expr
    assert_close(rho(sym), lambdify_expr(d.steady_state.matrix, model)(vals), 1e-12, "rho")


def test_evaluate_text(capsys):
    name = "two-qubits-two-baths"
    rc, out, err = run(capsys, "evaluate", name, "--regime", "secular", "--weak-internal",
                       *_at(name, 1))
    assert rc == 0 and err == ""
    assert "Heat currents" in out and "Steady state" in out
    J = {m.group(1): float(m.group(2)) for m in re.finditer(r"J_(\w+) = (\S+)", out)}
    doc = _evaluate_json(capsys, name, "secular", True, k=1)
    assert J.keys() == doc["heat_currents"].keys()
    for p in J:
        assert J[p] == pytest.approx(doc["heat_currents"][p], rel=1e-14)


# ---------------------------------------------------------------------------
# the installed entry point
# ---------------------------------------------------------------------------
def test_installed_entry_point_subprocess():
    exe = shutil.which("cgsym", path=str(Path(sys.executable).parent)) or shutil.which("cgsym")
    assert exe, "the cgsym console script is not installed"
    res = subprocess.run([exe, "derive", "two-qubits-one-bath", "--regime", "secular",
                          "--format", "json"], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["model"] == "two-qubits-one-bath"
    res = subprocess.run([exe, "derive", str(BAD_INPUTS / "non_hermitian_hamiltonian.toml"),
                          "--regime", "secular"], capture_output=True, text=True, timeout=300)
    assert_clean_error(res.returncode, res.stdout, res.stderr, r"H_S is not Hermitian")


# ---------------------------------------------------------------------------
# bad inputs: one test each
# ---------------------------------------------------------------------------
BAD_FILES = {
    "non_hermitian_hamiltonian": r"the Hamiltonian H_S is not Hermitian",
    "non_hermitian_coupling": r"reservoir 'b': the coupling operator X is not Hermitian",
    "unknown_operator": r"unknown name 'sw' in 'sw\(q2\)'",
    "unknown_subsystem": r"unknown name 'q3' in 'sx\(q3\)'",
    "unknown_level": r"subsystem 'q1' has no level 'x'",
    "undeclared_parameter": r"unknown name 'eps'.*not a declared parameter",
    "unused_parameter": r"parameter 'kappa' is declared but never used",
    "sx_on_three_level": r"sx\(a\) needs a two-level subsystem, but 'a' has 3 levels",
    "malformed_toml": r"malformed TOML.*line 6",
    "missing_key": r"reservoir 'b': missing key 'coupling'",
    "wrong_type": r"subsystem 'q': 'levels' must be a list, got str",
    "duplicate_subsystem": r"duplicate subsystem name 'q'",
    "duplicate_reservoir": r"duplicate reservoir name 'b'",
    "zero_frequency_flat_rate": r"zero-frequency component.*diverges.*n\(0\)",
    "commuting_coupling": r"zero-frequency component.*commutes with H_S.*diverges",
    "negative_rate": r"rate gamma\(omega\) must be a positive expression.*got gamma\*\(1 - omega\), "
                     r"which is -",
    "negative_temperature": r"reservoir 'b': the temperature must be positive, got -T",
}


def test_every_bad_input_file_is_tested():
    assert {p.stem for p in BAD_INPUTS.glob("*.toml")} == set(BAD_FILES)


@pytest.mark.parametrize("regime", ("secular", "partial-secular"))
@pytest.mark.parametrize("stem", sorted(BAD_FILES))
def test_bad_model_file(capsys, stem, regime):
    rc, out, err = run(capsys, "derive", BAD_INPUTS / f"{stem}.toml", "--regime", regime)
    assert_clean_error(rc, out, err, BAD_FILES[stem])


@pytest.mark.parametrize("stem", sorted(BAD_FILES))
def test_bad_model_file_python_api(stem):
    """The same problems from Python: CgsymError with a one-line message."""
    with pytest.raises(cgsym.CgsymError) as e:
        cgsym.derive(BAD_INPUTS / f"{stem}.toml", "secular", False)
    msg = str(e.value)
    assert "\n" not in msg and re.search(BAD_FILES[stem], msg), msg


def test_evaluate_numeric_rejects_zero_frequency_flat_rate(capsys):
    rc, out, err = run(capsys, "evaluate", BAD_INPUTS / "zero_frequency_flat_rate.toml",
                       "--regime", "secular", "--numeric",
                       "--at", "omega_S=1.1341", "gamma=0.0123", "T=0.4321")
    assert_clean_error(rc, out, err, r"zero-frequency.*diverges")


TWO_BATHS_AT = ["omega_S=1.1341", "Omega=0.0432", "gamma_h=0.0217", "gamma_c=0.0123",
                "T_h=0.9876", "T_c=0.4321"]


def test_at_missing_parameter(capsys):
    rc, out, err = run(capsys, "evaluate", "two-qubits-two-baths", "--regime", "secular",
                       "--at", *[a for a in TWO_BATHS_AT if not a.startswith("T_c")])
    assert_clean_error(rc, out, err, r"--at is missing parameter\(s\): T_c")


@pytest.mark.parametrize("value", ("0", "-0.4321"))
def test_at_non_positive_temperature(capsys, value):
    at = [a if not a.startswith("T_c") else f"T_c={value}" for a in TWO_BATHS_AT]
    rc, out, err = run(capsys, "evaluate", "two-qubits-two-baths", "--regime", "secular",
                       "--at", *at)
    assert_clean_error(rc, out, err, rf"--at T_c={re.escape(value)}: .*temperature must be > 0")


def test_at_non_numeric_value(capsys):
    at = [a if not a.startswith("Omega") else "Omega=abc" for a in TWO_BATHS_AT]
    rc, out, err = run(capsys, "evaluate", "two-qubits-two-baths", "--regime", "secular",
                       "--at", *at)
    assert_clean_error(rc, out, err, r"--at Omega: 'abc' is not a number")


def test_at_unknown_parameter(capsys):
    rc, out, err = run(capsys, "evaluate", "two-qubits-two-baths", "--regime", "secular",
                       "--at", *TWO_BATHS_AT, "zeta=1.5")
    assert_clean_error(rc, out, err, r"no parameter 'zeta'")


@pytest.mark.parametrize("command", ("derive", "evaluate"))
def test_unknown_regime(capsys, command):
    extra = ["--at", *TWO_BATHS_AT] if command == "evaluate" else []
    rc, out, err = run(capsys, command, "two-qubits-two-baths", "--regime", "fully-secular",
                       *extra)
    assert_clean_error(rc, out, err, r"unknown regime 'fully-secular'")


def test_unknown_model_name(capsys):
    rc, out, err = run(capsys, "derive", "three-qubits-nowhere", "--regime", "secular")
    assert_clean_error(rc, out, err, r"unknown model 'three-qubits-nowhere'.*two-qubits-one-bath")


def test_nonexistent_model_file(capsys, tmp_path):
    f = tmp_path / "missing" / "model.toml"
    rc, out, err = run(capsys, "derive", f, "--regime", "secular")
    assert_clean_error(rc, out, err, rf"model file '{re.escape(str(f))}' does not exist")


def test_timeout(capsys):
    rc, out, err = run(capsys, "derive", "two-qubits-two-baths", "--regime", "partial-secular",
                       "--timeout", "0.001")
    assert_clean_error(rc, out, err, r"exceeded the time limit of 0\.001 s.*--timeout")
    # the engine is still usable afterwards
    rc, out, err = run(capsys, "derive", "two-qubits-one-bath", "--regime", "secular",
                       "--format", "json")
    assert rc == 0 and json.loads(out)["model"] == "two-qubits-one-bath"


def test_evaluate_non_unique_steady_state(capsys, tmp_path):
    f = tmp_path / "no-exchange.toml"
    f.write_text(NO_EXCHANGE)
    at = ["--at", "omega_S=1.1341", "Omega=0.0432", "gamma=0.0123", "T=0.4321"]
    for numeric in ([], ["--numeric"]):
        rc, out, err = run(capsys, "evaluate", f, "--regime", "secular", *at, *numeric)
        assert_clean_error(rc, out, err, r"steady state is not unique.*2")


def test_missing_command_and_missing_regime(capsys):
    assert_clean_error(*run(capsys), r"required: command")
    assert_clean_error(*run(capsys, "derive", "two-qubits-one-bath"), r"required: --regime")


@pytest.mark.parametrize("value,pattern", [
    ("-1", r"--timeout: the time limit must be a positive number of seconds, got -1"),
    ("0", r"--timeout: the time limit must be a positive number of seconds, got 0"),
    ("inf", r"--timeout: the time limit must be a positive number of seconds, got inf"),
    ("abc", r"--timeout: 'abc' is not a number of seconds"),
])
def test_bad_timeout_value(capsys, value, pattern):
    rc, out, err = run(capsys, "derive", "two-qubits-one-bath", "--regime", "secular",
                       "--timeout", value)
    assert_clean_error(rc, out, err, pattern)


def test_time_limit_holds_inside_flint():
    """A derivation stuck in one long python-flint call (XX+ZZ qubits, > 100 s) cannot be
    interrupted by SIGALRM; the program's supervisor stops it at limit + grace."""
    import time
    from cgsym.cli import SUPERVISOR_CLEANUP, SUPERVISOR_GRACE
    model = Path(__file__).parent / "cases" / "stuck-in-flint.toml"
    t = time.monotonic()
    p = subprocess.run([sys.executable, "-m", "cgsym.cli", "derive", str(model), "--regime",
                        "secular", "--weak-internal", "--timeout", "3"],
                       capture_output=True, text=True, timeout=60)
    elapsed = time.monotonic() - t
    assert_clean_error(p.returncode, p.stdout, p.stderr,
                       r"exceeded the time limit of 3 s \(raise it with --timeout\)")
    assert elapsed < 3 + SUPERVISOR_GRACE + SUPERVISOR_CLEANUP + 10  # + start-up at load 11


def test_closed_form_refused_where_a_slow_parameter_flips_a_frequency(capsys):
    """w - Delta/2 < 0 at Delta = 3.1: the closed forms (derived for slow << frequency)
    would take n at the wrong sign; the numeric pipeline is still right there."""
    model = Path(__file__).parent / "cases" / "lambda-three-level.toml"
    at = ["--at", "w=1.37", "Delta=3.1", "gh=0.0123", "gc=0.0071", "Th=2.3", "Tc=0.53"]
    rc, out, err = run(capsys, "evaluate", model, "--regime", "partial-secular", *at)
    assert_clean_error(rc, out, err, r"omega_-1 = Delta/2 - w is 0\.18, but the closed forms "
                                     r"were derived for slow << frequency.*\(use --numeric\)")
    rc, out, _ = run(capsys, "evaluate", model, "--regime", "partial-secular", "--numeric",
                     "--format", "json", *at)
    J = json.loads(out)["heat_currents"]
    assert rc == 0 and J["h"] > 0 and abs(J["h"] + J["c"]) < 1e-15   # hot (h) to cold


@pytest.mark.parametrize("value,pattern", [
    ("inf", r"--at T=inf: every parameter must be a finite number"),
    ("nan", r"--at T=nan: every parameter must be a finite number"),
    ("1e-400", r"--at T=1e-400: the value underflows to 0 in double precision"),
    ("-1", r"--at T=-1: every parameter is positive \(a temperature must be > 0\)"),
])
def test_at_value_not_finite_positive(capsys, value, pattern):
    rc, out, err = run(capsys, "evaluate", "two-qubits-one-bath", "--regime", "secular",
                       "--at", "omega_S=1", "Omega=0.05", "gamma=0.01", f"T={value}")
    assert_clean_error(rc, out, err, pattern)


def _supervised_child(proc):
    """PID of the supervised child of a running `python -m cgsym.cli` (Linux /proc)."""
    import time
    path = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
    for _ in range(200):
        kids = path.read_text().split() if path.exists() else []
        if kids:
            return int(kids[0])
        time.sleep(0.05)
    raise AssertionError("no supervised child appeared")


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_supervisor_reports_a_killed_child_and_leaves_no_orphan():
    import os
    import signal
    import time
    model = str(Path(__file__).parent / "cases" / "stuck-in-flint.toml")
    cmd = [sys.executable, "-m", "cgsym.cli", "derive", model, "--regime", "secular",
           "--weak-internal", "--timeout", "60"]
    # the child dies of a signal (as under the OOM killer): one line, exit 2
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    os.kill(_supervised_child(p), signal.SIGKILL)
    out, err = p.communicate(timeout=30)
    assert_clean_error(p.returncode, out, err, r"the computation was killed by signal 9")
    # the supervisor is terminated (as by `timeout`): it takes the child with it
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    child = _supervised_child(p)
    p.terminate()
    p.wait(timeout=30)
    end = time.monotonic() + 10            # (a loaded machine: up to 10 s to disappear)
    while time.monotonic() < end and Path(f"/proc/{child}").exists():
        try:
            if Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                break
        except FileNotFoundError:
            break
        time.sleep(0.05)
    else:
        assert not Path(f"/proc/{child}").exists(), "the child outlived its supervisor"
