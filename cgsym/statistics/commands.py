"""``cgsym statistics`` at a point: the numeric routes and the printing of numbers.

* ``--numeric --at ...``: mean, noise, Fano factor, TUR ratio and third cumulant from the
  numeric pipeline (:func:`cgsym.statistics.numeric.numeric_jumps`), no closed form at all
  -- for models whose closed forms are too large;
* ``--regime coarse-grained --dt DT --at ...``: the same for the finite-dt coarse-grained
  equation with its jump split (:mod:`cgsym.statistics.finite_dt_jumps`), counting quanta,
  plus the jump probabilities of Eq. (84) over one interval.

Same JSON keys and conventions as the closed forms evaluated with ``--at``.
"""
from __future__ import annotations

import json
import sys

from ..errors import CgsymError

CONVENTIONS = {
    "units": "hbar = k_B = 1",
    "mean": "net quanta (or energy) per unit time from reservoir p into the system "
            "(the sign of J_p)",
    "noise": "zero-frequency second cumulant per unit time",
    "fano": "noise / mean (signed like the mean)",
    "tur": "Q_p = noise * sigma / mean^2, sigma = -sum_p J_p/T_p; classical bound Q >= 2",
    "energy": "a jump X_m rho X_n^+ carries (omega_m + omega_n)/2 into the system",
}


from .numeric import _clean, point_statistics


def print_point(out: dict, fmt: str, title: str, diag=None) -> None:
    """Print the numbers of one point as text, LaTeX or JSON (the ``--at`` output);
    ``diag``: the time-scale ladder of ``--diagnostics`` (JSON key "timescales", as in
    ``cgsym evaluate``)."""
    if diag is not None:
        out["timescales"] = diag if isinstance(diag, dict) else diag.to_json()
    if fmt == "json":
        print(json.dumps(out, indent=1))
        return
    reservoirs = list(out["mean"])
    if fmt == "latex":
        rows = []
        for p in reservoirs:
            for key, sym in (("mean", r"\langle I_{%s}\rangle"), ("noise", "S_{%s}"),
                             ("fano", "F_{%s}"), ("tur", "Q_{%s}")):
                v = _clean(out[key][p])
                rows.append((sym % p) + " &= " + ("\\text{undefined}" if v is None
                                                  else f"{v:.10g}"))
        sys.stdout.write("\\begin{aligned}" + " \\\\ ".join(rows) + "\\end{aligned}\n")
        return
    print(title)
    for p in reservoirs:
        f, q, ok = out["fano"][p], out["tur"][p], out["tur_holds"][p]
        third = out.get("third_cumulant", {}).get(p)
        print(f"  {p}: mean = {_clean(out['mean'][p]):.10g}, "
              f"noise = {_clean(out['noise'][p]):.10g}, "
              f"Fano = {'undefined' if f is None else format(_clean(f), '.6g')}, "
              f"TUR Q = {'undefined' if q is None else format(_clean(q), '.6g')}"
              + ("" if ok is None else (" (Q >= 2 holds)" if ok else " (Q < 2: classical TUR "
                                                                  "bound violated)"))
              + ("" if third is None else f", third cumulant = {_clean(third):.6g}"))
    print(f"  entropy production sigma = {_clean(out['entropy_production']):.10g}")
    probs = out.get("probabilities")
    if probs:
        print("  (finite dt: the gain half holds counter-rotating terms, so quanta are also "
              "created in pairs with the system;\n   the counted quanta are not a thermodynamic "
              "current and one reservoir alone has a mean of order 1/dt)")
        print(f"  jump probabilities over one interval dt = {probs['dt']:g} (Eq. 84, at "
              f"rho_ss; P(+1): the reservoir gains a quantum):")
        for p, row in probs["reservoirs"].items():
            print(f"    P_{p}(+1) = {_clean(row['+1']):.10g}, P_{p}(-1) = "
                  f"{_clean(row['-1']):.10g}")
        print(f"    P(0) = {_clean(probs['none']):.10g}" + (
            "" if probs["none"] >= 0 else "  (negative: dt is not short against the inverse "
            "jump rate, the second-order expansion of Eq. 84 does not hold)"))
    if diag is not None:
        print(diag.text() if not isinstance(diag, dict) else f"timescales: {diag}")


def statistics_numeric(args) -> int:
    """``cgsym statistics ... --numeric`` or ``--regime coarse-grained --dt DT`` (numbers),
    with the validity diagnostics of ``cgsym evaluate`` at the point (warnings on stderr
    when the regime is outside its window; the ladder with --diagnostics; an error with
    --strict)."""
    from ..console import parse_at, point_diagnostics
    from ..model import load_model
    model = load_model(args.model)
    finite = args.regime == "coarse-grained" or args.dt is not None
    if not args.at:
        raise CgsymError("--numeric and --dt evaluate at a point: give --at NAME=VALUE ..."
                         if not finite else
                         "--regime coarse-grained (finite dt) is numeric only: give "
                         "--dt DT and --at NAME=VALUE ...")
    vals = parse_at(args.at, model)
    from ..derivation import time_limit
    if finite:
        if args.regime != "coarse-grained":
            raise CgsymError("--dt is only meaningful with --regime coarse-grained")
        if args.dt is None:
            raise CgsymError("--regime coarse-grained needs --dt VALUE (the coarse-graining "
                             "time)")
        if args.weak_internal:
            raise CgsymError("--weak-internal does not apply at a finite dt (the rates come "
                             "from the Delta t integrals of Eq. 45)")
        if args.count != "quanta":
            raise CgsymError("at a finite dt only quanta are counted: a jump exchanges a "
                             "quantum of any bath frequency nu, so its energy is not one "
                             "number (use --count quanta)")
        from .finite_dt_jumps import finite_dt_jumps
        diag = point_diagnostics(args, model, vals, "coarse-grained", dt=args.dt)
        with time_limit(args.timeout):
            fj = finite_dt_jumps(model, vals, args.dt)
            nj = fj.numeric_jumps()
            out = point_statistics(nj, "quanta")
            out["probabilities"] = fj.probabilities()
        out["dt"] = args.dt
        out["conventions"] = dict(CONVENTIONS, jumps="finite dt: J_p^+ collects the nu > 0 "
                                  "part of gamma_mn(dt) (reservoir gains a quantum), J_p^- the "
                                  "nu < 0 part; P_p(+-1) = dt Tr[J_p^+- rho_ss]")
        title = (f"Counting statistics (quanta; from each reservoir into the system), "
                 f"coarse-grained at dt = {args.dt:g} (numeric):")
    else:
        from ..rates import check_regime
        check_regime(args.regime)
        from .counting import check_count
        from .numeric import numeric_jumps
        check_count(args.count)
        diag = point_diagnostics(args, model, vals, args.regime)
        with time_limit(args.timeout):
            nj = numeric_jumps(model, vals, args.regime, args.weak_internal)
            out = point_statistics(nj, args.count)
        out["conventions"] = CONVENTIONS
        unit = "quanta" if args.count == "quanta" else "energy"
        title = (f"Counting statistics ({unit}; from each reservoir into the system), "
                 f"{args.regime}{', weak internal' if args.weak_internal else ''} (numeric):")
    out["third_cumulant_note"] = "numeric (recursive scheme on the numeric tilted Liouvillian)"
    print_point(out, args.format, title, diag)
    return 0
