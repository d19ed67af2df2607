"""Validity diagnostics of ``cgsym evaluate`` and the figures of ``cgsym plot``.

* Warnings (stderr, exit 0) appear exactly when the regime is outside its window at the
  point: secular with the slow splitting below the rates, partial-secular with the fast
  frequency below the rates, coarse-grained with dt below the bath correlation time.
* ``--diagnostics`` adds the key "timescales" to the JSON document (and only then).
* ``--regime coarse-grained`` reports the size of the dropped Lamb shift (Eq. 30).
* ``cgsym plot`` writes a non-empty PNG and PDF for each --what; bad input is one line on
  stderr, exit 2, and no file (also when writing fails half-way).
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from cgsym.cli import main
from cgsym.errors import CgsymError

ROOT = Path(__file__).resolve().parents[1]
OHMIC = "tunnelling-qubit-ohmic"
TQ_SMALL_OMEGA = ["omega_S=1", "Omega=0.001", "gamma=0.01", "T_l=1", "T_r=0.5"]
TQ_LARGE_OMEGA = ["omega_S=1", "Omega=0.3", "gamma=0.001", "T_l=1", "T_r=0.5"]
OHMIC_AT = ["omega_S=1", "Omega=0.01", "gamma=0.001", "T_l=1", "T_r=0.5", "omega_c=10"]


def run(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def warnings_of(err):
    return [line for line in err.splitlines() if line.startswith("cgsym: WARNING:")]


def assert_clean_error(rc, out, err, pattern):
    assert rc == 2, (rc, out, err)
    lines = err.strip("\r ").splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("cgsym: error:") and "Traceback" not in err
    assert re.search(pattern, lines[0]), lines[0]


# ---------------------------------------------------------------------------
# evaluate: warnings and --diagnostics
# ---------------------------------------------------------------------------
def test_secular_warns_when_the_splitting_is_below_the_rates(capsys):
    rc, out, err = run(capsys, "evaluate", "tunnelling-qubit", "--regime", "secular",
                       "--numeric", "--at", *TQ_SMALL_OMEGA, "--format", "json")
    assert rc == 0
    w = warnings_of(err)
    assert len(w) == 1 and len(err.splitlines()) == 1, err
    assert "regime secular" in w[0] and "Omega^-1 << tau_S fails" in w[0]
    assert "splitting(Omega) = 0.001" in w[0] and re.search(r"Gamma_max = 0\.01\d*", w[0])
    # the JSON shape is unchanged without --diagnostics
    assert set(json.loads(out)) == {"heat_currents", "steady_state"}


def test_partial_secular_does_not_warn_as_omega_goes_to_zero(capsys):
    rc, out, err = run(capsys, "evaluate", "tunnelling-qubit", "--regime", "partial-secular",
                       "--numeric", "--at", *TQ_SMALL_OMEGA)
    assert rc == 0 and err == ""


def test_secular_is_quiet_inside_its_window(capsys):
    rc, out, err = run(capsys, "evaluate", "tunnelling-qubit", "--regime", "secular",
                       "--numeric", "--at", *TQ_LARGE_OMEGA, "--diagnostics",
                       "--format", "json")
    assert rc == 0 and err == ""
    ts = json.loads(out)["timescales"]
    assert all(c["status"] == "ok" for c in ts["checks"]) and ts["checks"]


def test_partial_secular_warns_when_the_rates_reach_omega_S(capsys):
    at = ["omega_S=1", "Omega=0.001", "gamma=3", "T_l=1", "T_r=0.5"]
    rc, out, err = run(capsys, "evaluate", "tunnelling-qubit", "--regime", "partial-secular",
                       "--numeric", "--at", *at)
    assert rc == 0
    w = warnings_of(err)
    assert len(w) == 1 and "regime partial-secular" in w[0]
    assert "omega_S^-1 << tau_S fails" in w[0] and "omega_S = 1" in w[0]


def test_marginal_orderings_are_reported_only_with_diagnostics(capsys):
    # the test_cli point (Omega/Gamma_max ~ 2): quiet by default, "marginal" on request
    at = ["omega_S=0.8763", "Omega=0.0271", "gamma_h=0.0093", "gamma_c=0.0257",
          "T_h=1.4142", "T_c=0.3719"]
    base = ["evaluate", "two-qubits-two-baths", "--regime", "secular", "--weak-internal",
            "--numeric", "--at", *at]
    rc, out, err = run(capsys, *base)
    assert rc == 0 and err == ""
    rc, out, err = run(capsys, *base, "--diagnostics")
    assert rc == 0
    w = warnings_of(err)
    assert len(w) == 1 and "is only marginal" in w[0] and "Omega^-1 << tau_S" in w[0]
    assert "Time scales" in out and "Validity of regime secular" in out and "marginal" in out


def test_diagnostics_json_ladder(capsys):
    rc, out, err = run(capsys, "evaluate", "tunnelling-qubit", "--regime", "secular",
                       "--numeric", "--at", *TQ_SMALL_OMEGA, "--diagnostics", "--format",
                       "json")
    assert rc == 0
    doc = json.loads(out)
    assert set(doc) == {"heat_currents", "steady_state", "timescales"}
    ts = doc["timescales"]
    for key in ("tau_c", "inv_omega_S", "inv_Omega", "dt", "tau_S", "rate_max", "checks"):
        assert key in ts
    assert ts["tau_c"] is None               # flat rate: G(tau) not integrable
    assert ts["dt"] is None
    assert ts["inv_omega_S"] == pytest.approx(1.0, rel=1e-9)
    assert ts["inv_Omega"] == pytest.approx(1000.0, rel=1e-6)
    # fastest rate: emission at omega_S - Omega into the hot reservoir, gamma (n_l + 1)
    w = 1 - 0.001
    assert ts["rate_max"] == pytest.approx(0.01 * (1 / math.expm1(w / 1) + 1), rel=1e-9)
    assert ts["tau_S"] == pytest.approx(1 / ts["rate_max"])
    statuses = {c["inequality"]: c["status"] for c in ts["checks"]}
    assert statuses == {"Omega^-1 << tau_S": "fails", "omega_S^-1 << tau_S": "ok"}


def test_coarse_grained_diagnostics_and_lamb_shift(capsys):
    rc, out, err = run(capsys, "evaluate", OHMIC, "--regime", "coarse-grained", "--dt", "0.01",
                       "--at", *OHMIC_AT, "--diagnostics", "--format", "json")
    assert rc == 0, err
    w = warnings_of(err)
    assert len(w) == 1 and "regime coarse-grained" in w[0] and "tau_c << dt fails" in w[0]
    assert "dt = 0.01" in w[0]
    doc = json.loads(out)
    ts = doc["timescales"]
    assert ts["dt"] == 0.01 and 0.05 < ts["tau_c"] < 0.1   # ~ pi/(4 omega_c) = 0.0785
    ls = doc["lamb_shift"]
    for key in ("max_abs_eigenvalue", "eigenvalue_spread", "max_rate", "relative_size"):
        assert math.isfinite(ls[key]) and ls[key] >= 0
    assert ls["relative_size"] == pytest.approx(ls["max_abs_eigenvalue"] / ls["max_rate"])
    assert ls["max_abs_eigenvalue"] > 0


def test_coarse_grained_inside_its_window_is_quiet(capsys):
    rc, out, err = run(capsys, "evaluate", OHMIC, "--regime", "coarse-grained", "--dt", "5",
                       "--at", *OHMIC_AT, "--format", "json")
    assert rc == 0 and err == ""
    doc = json.loads(out)
    assert "timescales" not in doc and "lamb_shift" in doc
    assert doc["heat_currents"]["l"] > 0 > doc["heat_currents"]["r"]  # T_l > T_r


V_AT = ["omega_S=1.1341", "Delta=0.04321", "gamma=0.0123", "omega_c=3.217", "T=0.8123"]


def test_statistics_warns_where_evaluate_does(capsys):
    """statistics at a point checks the regime's window as evaluate does: the same
    warnings (coarse-grained dt below tau_c on a model not in the paper; numeric secular
    with a small splitting), the same ladder with --diagnostics,
    quiet inside the window, --strict an error, --diagnostics without a point an error."""
    def both(*argv):
        r_ev, r_st = run(capsys, "evaluate", *argv), run(capsys, "statistics", *argv)
        assert r_ev[0] == 0 and r_st[0] == 0, (r_ev, r_st)
        return r_ev, r_st

    cg = ["v-type-three-level", "--regime", "coarse-grained", "--at", *V_AT, "--format", "json"]
    (_, o_ev, e_ev), (_, o_st, e_st) = both(*cg, "--dt", "0.1", "--diagnostics")
    assert warnings_of(e_st) == warnings_of(e_ev) and "tau_c << dt fails" in e_st
    assert json.loads(o_st)["timescales"] == json.loads(o_ev)["timescales"]
    rc, out, err = run(capsys, "statistics", *cg, "--dt", "0.1")
    assert rc == 0 and warnings_of(err) == [w for w in warnings_of(e_ev) if "fails" in w]
    assert "timescales" not in json.loads(out)
    rc, out, err = run(capsys, "statistics", *cg, "--dt", "7.31")
    assert rc == 0 and err == ""
    rc, out, err = run(capsys, "statistics", *cg, "--dt", "0.1", "--strict")
    assert_clean_error(rc, out, err, "tau_c << dt fails")
    (_, _, e_ev), (_, _, e_st) = both("tunnelling-qubit", "--regime", "secular", "--numeric",
                                      "--at", *TQ_SMALL_OMEGA, "--format", "json")
    assert warnings_of(e_st) == warnings_of(e_ev) and "Omega^-1 << tau_S fails" in e_st
    rc, out, err = run(capsys, "statistics", "tunnelling-qubit", "--regime", "secular",
                       "--diagnostics")
    assert_clean_error(rc, out, err, "--diagnostics and --strict check the regime at a point")


@pytest.mark.slow
def test_statistics_closed_forms_warn_where_evaluate_does(capsys):
    argv = ["tunnelling-qubit", "--regime", "secular", "--at", *TQ_SMALL_OMEGA, "--format",
            "json", "--diagnostics"]
    (rc1, o_ev, e_ev), (rc2, o_st, e_st) = run(capsys, "evaluate", *argv), \
        run(capsys, "statistics", *argv)
    assert rc1 == rc2 == 0
    assert warnings_of(e_st) == warnings_of(e_ev) and "Omega^-1 << tau_S fails" in e_st
    assert json.loads(o_st)["timescales"] == json.loads(o_ev)["timescales"]


# ---------------------------------------------------------------------------
# plot
# ---------------------------------------------------------------------------
PLOTS = [
    ("current-vs-omega", ["tunnelling-qubit", "--weak-internal", "--at", "omega_S=1",
                          "gamma=0.01", "T_l=1", "T_r=0.5"]),
    ("gamma-vs-dt", [OHMIC, "--at", *OHMIC_AT, "--range", "0.1", "1000"]),
    ("current-vs-dt", [OHMIC, "--at", *OHMIC_AT, "--range", "0.1", "1000"]),
]
MAGIC = {".png": b"\x89PNG\r\n\x1a\n", ".pdf": b"%PDF"}


@pytest.mark.parametrize("what, args", PLOTS, ids=[w for w, _ in PLOTS])
def test_plot_writes_png_and_pdf(capsys, tmp_path, what, args):
    for suffix, points in ((".png", 6), (".pdf", 3)):
        f = tmp_path / f"{what}{suffix}"
        rc, out, err = run(capsys, "plot", args[0], "--what", what, *args[1:],
                           "--points", points, "--out", f)
        assert rc == 0, err
        assert f.is_file() and f.stat().st_size > 1000
        assert f.read_bytes().startswith(MAGIC[suffix])
        assert out.strip() == f"wrote {f}"
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{what}.pdf", f"{what}.png"]


def test_current_vs_omega_shows_the_paper_message():
    """J_sec stays finite as Omega -> 0, J_parsec vanishes (Eqs. 140, 145)."""
    import cgsym
    from cgsym.plot import sweep_current_vs_omega
    m = cgsym.load_model("tunnelling-qubit")
    sw = sweep_current_vs_omega(m, dict(omega_S=1, gamma=0.01, T_l=1, T_r=0.5), weak=True,
                                points=5, omega_range=(1e-6, 0.1), numeric=True)
    (_, js, _), (_, jp, _) = sw.curves
    n_l, n_r = 1 / math.expm1(1), 1 / math.expm1(2)
    assert js[0] == pytest.approx(0.01 * (n_l - n_r) / (4 * (n_l + n_r + 1)), rel=1e-6)
    assert abs(jp[0]) < 1e-6 * js[0]
    assert jp[-1] == pytest.approx(js[-1], rel=3e-2)  # Omega = 10 gamma
    assert np.all(np.diff(jp) > 0)


BAD = [
    (["tunnelling-qubit", "--what", "current-vs-time", "--at", *TQ_SMALL_OMEGA],
     r"unknown --what 'current-vs-time'"),
    (["tunnelling-qubit", "--what", "gamma-vs-dt", "--at", *TQ_SMALL_OMEGA],
     r"reservoir 'l': .*Delta t integrals diverge"),
    (["tunnelling-qubit", "--what", "current-vs-omega", "--dt", "2", "--at", *TQ_SMALL_OMEGA],
     r"Delta t integrals diverge"),
    ([OHMIC, "--what", "current-vs-omega", "--dt", "0", "--at", *OHMIC_AT],
     r"--dt must be a positive"),
    ([OHMIC, "--what", "current-vs-omega", "--dt", "-1", "--at", *OHMIC_AT],
     r"--dt must be a positive"),
    ([OHMIC, "--what", "current-vs-dt", "--at", "omega_S=1", "gamma=0.001"],
     r"--at is missing parameter\(s\): Omega, omega_c, T_l, T_r"),
    ([OHMIC, "--what", "current-vs-dt", "--at", *OHMIC_AT[:-1], "omega_c=-10"],
     r"--at omega_c=-10: every parameter is positive"),
    ([OHMIC, "--what", "current-vs-dt", "--at", *OHMIC_AT, "--points", "0"],
     r"--points must be between 2"),
    ([OHMIC, "--what", "gamma-vs-dt", "--at", *OHMIC_AT, "--range", "0", "10"],
     r"--range must be two positive"),
    ([OHMIC, "--what", "gamma-vs-dt", "--at", *OHMIC_AT, "--range", "10", "1"],
     r"MIN < MAX"),
    ([OHMIC, "--what", "gamma-vs-dt", "--at", *OHMIC_AT, "--reservoir", "x"],
     r"no reservoir 'x'"),
    ([OHMIC, "--what", "current-vs-dt", "--at", *OHMIC_AT, "--dt", "1"],
     r"--dt is the swept variable"),
]


@pytest.mark.parametrize("argv, pattern", BAD, ids=[str(i) for i in range(len(BAD))])
def test_plot_bad_input(capsys, tmp_path, argv, pattern):
    f = tmp_path / "plot.png"
    rc, out, err = run(capsys, "plot", *argv, "--out", f)
    assert_clean_error(rc, out, err, pattern)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["plot.svg", "missing/plot.png"])
def test_plot_bad_out_path(capsys, tmp_path, name):
    rc, out, err = run(capsys, "plot", "tunnelling-qubit", "--what", "current-vs-omega",
                       "--weak-internal", "--at", "omega_S=1", "gamma=0.01", "T_l=1", "T_r=0.5",
                       "--out", tmp_path / name)
    assert_clean_error(rc, out, err, r"--out")
    assert list(tmp_path.iterdir()) == []


def test_plot_failed_write_leaves_no_file(capsys, tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    def broken_savefig(self, fh, **kw):
        fh.write(b"\x89PNG partial")
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(Figure, "savefig", broken_savefig)
    f = tmp_path / "plot.png"
    rc, out, err = run(capsys, "plot", "tunnelling-qubit", "--what", "current-vs-omega",
                       "--weak-internal", "--numeric", "--points", "3", "--at", "omega_S=1",
                       "gamma=0.01", "T_l=1", "T_r=0.5", "--out", f)
    assert_clean_error(rc, out, err, r"cannot write .*No space left on device")
    assert list(tmp_path.iterdir()) == []


def test_progress_bar_is_silent_for_fast_sweeps_and_erased_on_failure():
    import io
    from cgsym.plot import Progress
    s = io.StringIO()
    p = Progress(10, "x", stream=s, delay=10.0)
    for i in range(10):
        p.update(i + 1)
    p.close()
    assert s.getvalue() == ""
    s = io.StringIO()
    p = Progress(10, "x", stream=s, delay=0.0)
    p.update(3)
    assert "3/10" in s.getvalue() and "\n" not in s.getvalue()
    p.close(ok=False)
    assert s.getvalue().endswith("\r") and "\n" not in s.getvalue()


def _square(x):
    return x * x


def _fails_at_three(x):
    if x == 3:
        raise CgsymError("point 3 failed")
    return x


def test_parallel_points_in_order_and_errors_propagate():
    """The finite-dt sweeps run their points in worker processes (issue 13): same values,
    same order, and a failing point is the same one-line error."""
    from cgsym.plot import _run_points
    xs = [0.5, 1.5, 2.5, 3.5, 4.5]
    assert _run_points(xs, _square, "x", parallel=True) == [_square(x) for x in xs]
    with pytest.raises(CgsymError, match="point 3 failed"):
        _run_points([1, 2, 3, 4], _fails_at_three, "x", parallel=True)


@pytest.mark.slow
def test_parallel_current_vs_dt_same_digits_as_serial():
    import cgsym
    from cgsym.finite_dt import evaluate_coarse_grained
    from cgsym.plot import PLOT_DPS, _run_points
    m = cgsym.load_model(OHMIC)
    vals = {k: float(v) for k, v in (a.split("=") for a in OHMIC_AT)}
    f = lambda dt: evaluate_coarse_grained(m, vals, dt, dps=PLOT_DPS)["heat_currents"]  # noqa
    xs = [0.3, 3.0, 30.0]
    assert _run_points(xs, f, "J", parallel=True) == [f(x) for x in xs]
