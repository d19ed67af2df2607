"""Command line: ``cgsym derive | evaluate | plot | sweep | reproduce | check | models | cache``.

Every error is one line on stderr and exit status 2 (no traceback).  ``evaluate`` also
checks the chosen regime against the time-scale ladder at the point and prints a
``cgsym: WARNING:`` line on stderr (exit status still 0) when the regime is outside its
window (see :mod:`cgsym.diagnostics`).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
from warnings import showwarning as _default_showwarning

from .console import parse_at, point_diagnostics, print_evaluation, warn
from .errors import CgsymError

DEFAULT_TIMEOUT = 900.0


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, exit 2; "cgsym: error:" is added once, by _run
        prog = self.prog.split(" ", 1)[1] if " " in self.prog else ""
        raise CgsymError(f"{prog}: {message}" if prog else message)


def _seconds(text: str) -> float:
    """--timeout: a positive, finite number of seconds."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds") from None
    if not (math.isfinite(v) and v > 0):
        raise argparse.ArgumentTypeError(f"the time limit must be a positive number of seconds, "
                                         f"got {text}")
    return v








def _add_model_args(p, regime_choices=None):
    p.add_argument("model", help="shipped model name or path to a model file (.toml)")
    p.add_argument("--regime", required=True,
                   help="secular | partial-secular" + (" | coarse-grained" if regime_choices else ""))
    p.add_argument("--weak-internal", action="store_true",
                   help="occupations and rates at the slow -> 0 limit of their frequencies")
    p.add_argument("--timeout", type=_seconds, default=DEFAULT_TIMEOUT,
                   help=f"stop cleanly after this many seconds (default {DEFAULT_TIMEOUT:g})")


def _add_cache_arg(p):
    p.add_argument("--no-cache", action="store_true",
                   help="derive afresh: neither read nor write the derivation cache")


def cmd_models(args):
    from .model import load_model, shipped_models
    for name in shipped_models():
        print(f"{name}: {load_model(name).description}")
    return 0


def _evaluate_only(args):
    """A finite coarse-graining time has no closed form here: say where it lives."""
    if args.regime == "coarse-grained":
        raise CgsymError(
            f"--regime coarse-grained (a finite coarse-graining time dt, Eq. 45) is numeric "
            f"only, in evaluate: cgsym evaluate {args.model} --regime coarse-grained --dt DT "
            f"--at ...; {args.command} gives the closed forms of the secular and "
            f"partial-secular regimes (the dt -> infinity and plateau limits)")


def cmd_derive(args):
    _evaluate_only(args)
    from .cache import cached_derive
    from .derivation import time_limit
    from .rates import check_regime
    if args.regime in ("redfield", "heom"):   # cgsym.exact: numeric at a point only
        raise CgsymError(f"--regime {args.regime} is evaluated numerically at a point: use "
                         f"cgsym evaluate ... --regime {args.regime} --at ... or cgsym compare")
    check_regime(args.regime)
    from .latex import parse_only
    only = parse_only(args.only)
    with time_limit(args.timeout):
        d = cached_derive(args.model, args.regime, args.weak_internal,
                          use_cache=not args.no_cache)
    if getattr(args, "lamb_shift", False):
        from .exact.commands import derive_with_lamb_shift
        return derive_with_lamb_shift(args, d)
    form = getattr(args, "compact_form", "auto")
    if args.format == "json":
        print(json.dumps(d.to_json(None if args.only is None else only, compact_form=form),
                         indent=1, sort_keys=False))
    elif args.format == "latex":
        from .report import derivation_latex
        sys.stdout.write(derivation_latex(d, only, form))
    else:
        from .report import derivation_text
        print(derivation_text(d, only, form, canonical=getattr(args, "canonical", False)))
    return 0


def _heom_flags_apply(args, applies: bool, why: str) -> None:
    given = [f"--heom-{k}" for k in ("exponents", "depth")
             if getattr(args, f"heom_{k}", None) is not None]
    if given and not applies:
        raise CgsymError(f"{' and '.join(given)} {'apply' if len(given) > 1 else 'applies'} "
                         f"only {why}")


def cmd_evaluate(args):
    from .model import load_model
    _heom_flags_apply(args, args.regime == "heom", "to --regime heom")
    model = load_model(args.model)
    vals = parse_at(args.at, model)
    if args.regime in ("redfield", "heom") or getattr(args, "lamb_shift", False):
        from .exact.commands import evaluate_exact   # Lamb shift, Redfield, HEOM
        return evaluate_exact(args, model, vals)
    if args.regime == "coarse-grained":
        return _evaluate_coarse_grained(args, model, vals)
    from .rates import check_regime
    check_regime(args.regime)
    if args.dt is not None:
        raise CgsymError("--dt is only meaningful with --regime coarse-grained")
    import numpy as np
    if args.numeric:
        from .numerics import numeric_pipeline
        res = numeric_pipeline(model, vals, args.regime, args.weak_internal)
        if res.steady_state is None:
            raise CgsymError(f"the steady state is not unique (kernel dimension "
                             f"{res.kernel_dimension})")
        rho = np.asarray(res.steady_state)
        J = {k: float(v) for k, v in res.heat_currents.items()}
    else:
        rho, J, spectrum = _evaluate_closed_form(args, model, vals)
    diag = point_diagnostics(args, model, vals, args.regime,
                        spectrum=None if args.numeric else spectrum)
    print_evaluation(args, model, rho, J, diag=diag)
    return 0


def _evaluate_closed_form(args, model, vals):
    """rho_ss, J_p at a point and the spectrum, from the derivation (cached on disk
    unless --no-cache).

    The exact forms (``SteadyState.form``, ``HeatCurrents.forms``) are evaluated
    directly (flint, exact over QQ at 40-digit atoms): no SymPy closed form is built
    or compiled.  Without exact forms (a steady state from the general route) the
    closed forms are lambdified as before.
    """
    import numpy as np
    from .cache import cached_derive
    from .derivation import time_limit
    from .numerics import check_closed_form_domain, lambdify_expr
    with time_limit(args.timeout):
        d = cached_derive(model, args.regime, args.weak_internal, use_cache=not args.no_cache)
        check_closed_form_domain(d.spectrum, vals)
        ss = d.steady_state
        if not ss.unique:
            ss.require_unique()
        if ss.form is not None:
            from .arith.rational_form import evaluate_steady_state
            rho = np.array(evaluate_steady_state(ss, vals), dtype=complex)
            J = {name: f.evaluate(vals)[0] for name, f in d.heat_currents.forms}
        else:
            rho = np.asarray(lambdify_expr(ss.matrix, model)(vals), dtype=complex)
            J = {name: float(np.real(lambdify_expr(e, model)(vals)))
                 for name, e in d.heat_currents.currents}
    return rho, J, d.spectrum


def cmd_cache(args):
    from . import cache
    if args.action == "clear":
        n = cache.clear()
        print(f"removed {n} cached derivation(s) from {cache.cache_dir()}")
    else:
        inf = cache.info()
        print(f"directory: {inf['directory']}")
        print(f"entries: {inf['entries']} ({inf['bytes'] / 1024:.1f} KiB)")
        print(f"version: {inf['version']}")
    return 0














def _evaluate_coarse_grained(args, model, vals):
    if args.dt is None:
        raise CgsymError("--regime coarse-grained needs --dt VALUE (the coarse-graining time)")
    try:
        from .finite_dt import evaluate_coarse_grained
    except ImportError:  # pragma: no cover
        raise CgsymError("the coarse-grained regime is not available in this build") from None
    if not math.isfinite(args.dt) or args.dt <= 0:
        raise CgsymError(f"--dt must be a positive, finite coarse-graining time, got {args.dt:g}")
    res = evaluate_coarse_grained(model, vals, args.dt, lamb_shift=True)
    diag = point_diagnostics(args, model, vals, "coarse-grained", dt=args.dt)
    print_evaluation(args, model, res["steady_state"], res["heat_currents"],
                      {k: v for k, v in res.items() if k not in ("steady_state", "heat_currents")},
                      diag=diag)
    return 0


def cmd_plot(args):
    from .model import load_model
    from . import plot as pl
    if args.what not in pl.WHATS:
        raise CgsymError(f"unknown --what '{args.what}' (choose from {', '.join(pl.WHATS)})")
    model = load_model(args.model)
    if not 2 <= args.points <= pl.MAX_POINTS:
        raise CgsymError(f"--points must be between 2 and {pl.MAX_POINTS}, got {args.points}")
    out = args.out or f"{model.name}-{args.what}.png"
    pl.check_out_path(out)
    if args.dt is not None and (not math.isfinite(args.dt) or args.dt <= 0):
        raise CgsymError(f"--dt must be a positive, finite coarse-graining time, got {args.dt:g}")
    if args.reservoir is not None:
        model.reservoir(args.reservoir)
    if args.what == "noise-vs-omega":
        from .statistics.figure import sweep_noise_vs_omega
        if args.dt is not None:
            raise CgsymError("--dt does not apply to noise-vs-omega")
        vals = parse_at(args.at, model, optional=(pl.slow_parameter(model),))
        sw = sweep_noise_vs_omega(model, vals, weak=args.weak_internal, points=args.points,
                                  omega_range=args.range, numeric=args.numeric,
                                  reservoir=args.reservoir, count=args.count,
                                  timeout=args.timeout)
    elif args.what == "current-vs-omega":
        slow = pl.slow_parameter(model)
        vals = parse_at(args.at, model, optional=(slow,))
        if args.reservoir is not None:
            raise CgsymError("--reservoir is not used by current-vs-omega (it plots the first "
                             "reservoir's current)")
        sw = pl.sweep_current_vs_omega(model, vals, weak=args.weak_internal, dt=args.dt,
                                       points=args.points, omega_range=args.range,
                                       numeric=args.numeric, timeout=args.timeout,
                                       use_cache=not args.no_cache)
    else:
        if args.dt is not None:
            raise CgsymError(f"--dt is the swept variable of {args.what}; give its interval "
                             f"with --range MIN MAX")
        if args.weak_internal:
            raise CgsymError(f"--weak-internal does not apply to {args.what} (the finite-dt "
                             f"rates use the exact Bohr frequencies)")
        vals = parse_at(args.at, model)
        if args.what == "gamma-vs-dt":
            sw = pl.sweep_gamma_vs_dt(model, vals, reservoir=args.reservoir,
                                      points=args.points, dt_range=args.range)
        else:
            sw = pl.sweep_current_vs_dt(model, vals, points=args.points, dt_range=args.range,
                                        reservoir=args.reservoir)
    try:
        fig = pl.render(sw)
    except CgsymError:
        raise
    except Exception as e:  # noqa: BLE001 - one line, no traceback
        raise CgsymError(f"drawing the figure failed: {e}") from None
    path = pl.save_atomic(fig, out)
    print(f"wrote {path}")
    return 0


def cmd_compare(args):
    _heom_flags_apply(args, not args.no_heom, "with the HEOM reference (without --no-heom)")
    from .exact.commands import compare
    return compare(args)


def cmd_statistics(args):
    """Counting statistics (paper Sec. IV): jumps, mean, noise, Fano factor, TUR per reservoir."""
    from .cache import cached_derive
    from .derivation import time_limit
    from .model import load_model
    from .rates import check_regime
    from .statistics.counting import check_count, counting_statistics
    if (args.diagnostics or args.strict) and not args.at:
        raise CgsymError("--diagnostics and --strict check the regime at a point: give "
                         "--at NAME=VALUE ...")
    if args.numeric or args.dt is not None or args.regime == "coarse-grained":
        from .statistics.commands import statistics_numeric   # numbers, no closed form
        return statistics_numeric(args)
    _evaluate_only(args)
    check_regime(args.regime)
    check_count(args.count)
    model = load_model(args.model)
    vals = parse_at(args.at, model) if args.at else None
    with time_limit(args.timeout):
        d = cached_derive(model, args.regime, args.weak_internal, use_cache=not args.no_cache)
        d.steady_state.require_unique()
        st = counting_statistics(d, args.count)
    if vals is None:
        if args.format == "json":
            print(json.dumps(st.to_json(), indent=1))
        elif args.format == "latex":
            import sympy as sp
            from .latex import PaperPrinter
            pr = PaperPrinter(model)
            sys.stdout.write("\\[\n" + pr._print(st.jumps) + "\n\\]\n\\[\n" + pr._print(st)
                             + "\n\\]\n")
        else:
            print(str(st.jumps))
            print(str(st))
        return 0
    from .statistics.numeric import cumulants, numeric_jumps
    out = st.to_json(vals)
    nj = numeric_jumps(model, vals, args.regime, args.weak_internal)
    out["third_cumulant"] = {p: cumulants(nj, p, args.count, 3)[2] for p in st.reservoirs}
    out["third_cumulant_note"] = "numeric (recursive scheme on the numeric tilted Liouvillian)"
    from .statistics.commands import print_point
    diag = point_diagnostics(args, model, vals, args.regime, spectrum=d.spectrum)  # as evaluate
    unit = "quanta" if args.count == "quanta" else "energy"
    print_point(out, args.format, f"Counting statistics ({unit}; from each reservoir into the "
                f"system), {args.regime}{', weak internal' if args.weak_internal else ''}:",
                diag)
    return 0


def cmd_reproduce(args):
    from .reproduce import main as reproduce_main
    return reproduce_main(args)


def cmd_check(args):
    _evaluate_only(args)
    from .check import main as check_main
    return check_main(args)


def cmd_sweep(args):
    from .model import load_model
    from .sweep import Axis, sweep, write_table
    model = load_model(args.model)
    if not args.grid:
        raise CgsymError("give at least one --grid NAME=START:STOP:COUNT[:log]")
    axes = [Axis.parse(g) for g in args.grid]
    swept = [model.parameter(a.name).name for a in axes]
    fixed = parse_at(args.at, model, optional=tuple(swept))
    from .sweep import check_out_path
    check_out_path(args.out)                 # before any point is computed
    method = args.method or ("coarse-grained" if args.regime == "coarse-grained"
                             else "closed-form")
    table = sweep(model, args.regime, fixed, axes, weak_internal=args.weak_internal,
                  method=method, dt=args.dt, workers=args.workers, scheduler=args.scheduler,
                  progress=not args.no_progress, timeout=args.timeout or DEFAULT_TIMEOUT)
    path = write_table(table, args.out)
    print(f"wrote {path} ({len(table)} points, {len(table.columns)} columns)")
    return 0


def build_parser():
    p = _Parser(prog="cgsym", description="Derive coarse-grained Markovian master equations "
                "symbolically (Cresser & Facer).")
    from . import __version__
    p.add_argument("--version", action="version", version=f"cgsym {__version__}")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)
    sub.required = True
    m = sub.add_parser("models", help="list the shipped models")
    m.set_defaults(func=cmd_models)
    d = sub.add_parser("derive", help="derive spectrum, rates, master equation, steady state and "
                                      "heat currents")
    _add_model_args(d)
    d.add_argument("--format", choices=("text", "latex", "json"), default="text")
    _add_cache_arg(d)
    d.add_argument("--lamb-shift", action="store_true",
                   help="also derive the Lamb shift H_LS of the regime (paper Eq. 30)")
    d.add_argument("--only", default=None, metavar="PART[,PART...]",
                   help="print only these parts: spectrum, gamma, master-equation, lindblad, jumps, "
                        "steady-state, heat-currents (comma-separated)")
    d.add_argument("--canonical", action="store_true",
                   help="print canonical results of any size as text (by default one above "
                        "200,000 terms is named, not printed: 150 MB of text)")
    d.add_argument("--compact-form", choices=("auto", "explicit", "system"), default="auto",
                   help="compact forms: the shorter of the two (auto), closed forms "
                        "(explicit) or the steady state as the linear system it solves with "
                        "the currents in its unknowns (system)")
    d.set_defaults(func=cmd_derive)
    e = sub.add_parser("evaluate", help="evaluate the derived closed forms at a parameter point")
    _add_model_args(e, regime_choices=True)
    e.add_argument("--at", nargs="+", metavar="NAME=VALUE", default=[])
    e.add_argument("--numeric", action="store_true", help="use the independent numeric pipeline")
    e.add_argument("--dt", type=float, default=None, help="coarse-graining time (coarse-grained regime)")
    e.add_argument("--format", choices=("text", "json"), default="text")
    e.add_argument("--diagnostics", action="store_true",
                   help="report the time-scale ladder (tau_c, 1/omega_S, 1/Omega, dt, tau_S) and "
                        "the validity of the regime; JSON key 'timescales'")
    e.add_argument("--strict", action="store_true",
                   help="a regime outside its window at the point (a warning otherwise) is an "
                        "error, exit status 2")
    _add_cache_arg(e)
    e.add_argument("--lamb-shift", action="store_true",
                   help="keep the Lamb shift H_LS (numeric; regimes secular, partial-secular, "
                        "redfield)")
    e.add_argument("--heom-exponents", type=int, default=None,
                   help="--regime heom: exponents per reservoir (default: converged choice)")
    e.add_argument("--heom-depth", type=int, default=None,
                   help="--regime heom: hierarchy depth (default: converged choice)")
    e.set_defaults(func=cmd_evaluate)
    cm = sub.add_parser("compare", help="heat currents of every master equation (secular, "
                        "partial-secular, Redfield, each +- Lamb shift, finite dt) against HEOM")
    cm.add_argument("model", help="shipped model name or path to a model file (.toml)")
    cm.add_argument("--at", nargs="+", metavar="NAME=VALUE", default=[],
                    help="the parameter point (the swept parameter may be left out)")
    cm.add_argument("--sweep", default=None, metavar="NAME=START:STOP:COUNT[:log]",
                    help="sweep one parameter")
    cm.add_argument("--dt", type=float, default=None,
                    help="also the coarse-grained equation at this coarse-graining time")
    cm.add_argument("--out", default=None, help="figure of the sweep (.png or .pdf)")
    cm.add_argument("--format", choices=("text", "json"), default="text")
    cm.add_argument("--no-heom", action="store_true", help="skip the HEOM reference")
    cm.add_argument("--heom-exponents", type=int, default=None)
    cm.add_argument("--heom-depth", type=int, default=None)
    cm.add_argument("--no-progress", action="store_true", help="no progress bar")
    cm.add_argument("--timeout", type=_seconds, default=DEFAULT_TIMEOUT,
                    help=f"stop cleanly after this many seconds (default {DEFAULT_TIMEOUT:g})")
    cm.set_defaults(func=cmd_compare)
    pp = sub.add_parser("plot", help="plot J vs the slow parameter, or gamma_mn / J vs the "
                                     "coarse-graining time (PNG or PDF)")
    pp.add_argument("model", help="shipped model name or path to a model file (.toml)")
    pp.add_argument("--what", required=True,
                    help="current-vs-omega | gamma-vs-dt | current-vs-dt | noise-vs-omega")
    pp.add_argument("--count", choices=("quanta", "energy"), default="quanta",
                    help="noise-vs-omega: count quanta (default) or energy")
    pp.add_argument("--at", nargs="+", metavar="NAME=VALUE", default=[],
                    help="the parameter point (the swept slow parameter may be left out for "
                         "current-vs-omega)")
    pp.add_argument("--weak-internal", action="store_true",
                    help="current-vs-omega: closed forms with the rates at the slow -> 0 limit")
    pp.add_argument("--dt", type=float, default=None,
                    help="current-vs-omega: also draw the finite-dt current at this dt")
    pp.add_argument("--reservoir", default=None, help="reservoir (default: the first)")
    pp.add_argument("--points", type=int, default=40, help="points of the sweep (default 40)")
    pp.add_argument("--range", type=float, nargs=2, metavar=("MIN", "MAX"), default=None,
                    help="interval of the swept variable (default: from the time-scale ladder)")
    pp.add_argument("--numeric", action="store_true",
                    help="current-vs-omega: numeric pipeline instead of the derived closed forms")
    pp.add_argument("--out", default=None, help="output file, .png or .pdf "
                                                "(default MODEL-WHAT.png)")
    pp.add_argument("--timeout", type=_seconds, default=DEFAULT_TIMEOUT,
                    help=f"limit of each symbolic derivation in seconds (default "
                         f"{DEFAULT_TIMEOUT:g})")
    _add_cache_arg(pp)
    pp.set_defaults(func=cmd_plot)
    sw = sub.add_parser("sweep", help="heat currents and steady state over a parameter grid "
                                      "(CSV or Parquet)")
    _add_model_args(sw, regime_choices=True)
    sw.add_argument("--at", nargs="+", metavar="NAME=VALUE", default=[],
                    help="the fixed parameters (every parameter that is not swept)")
    sw.add_argument("--grid", action="append", default=[], metavar="NAME=START:STOP:COUNT[:log]",
                    help="a swept parameter (repeatable; the grid is their product)")
    sw.add_argument("--method", choices=("closed-form", "numeric", "coarse-grained"),
                    default=None, help="closed-form (vectorised, default), numeric or "
                                       "coarse-grained (per point)")
    sw.add_argument("--dt", type=float, default=None, help="coarse-graining time")
    sw.add_argument("--workers", type=int, default=None,
                    help="per-point methods: a local Dask cluster of N worker processes")
    sw.add_argument("--scheduler", default=None,
                    help="per-point methods: address of a running Dask scheduler")
    sw.add_argument("--no-progress", action="store_true", help="no progress bar")
    sw.add_argument("--out", required=True, help="table.csv or table.parquet")
    # a sweep may run for hours on a cluster: --timeout (the whole command) is off unless
    # given; the closed-form derivation alone keeps the default limit
    sw.set_defaults(func=cmd_sweep, timeout=None)
    ca = sub.add_parser("cache", help="the derivation cache: where it is, how large; clear it")
    ca.add_argument("action", choices=("info", "clear"))
    ca.set_defaults(func=cmd_cache)
    st = sub.add_parser("statistics", help="counting statistics (paper Sec. IV): jumps per "
                                            "reservoir, mean current, noise, Fano factor, TUR")
    _add_model_args(st)
    st.add_argument("--count", choices=("quanta", "energy"), default="quanta",
                    help="count exchanged quanta (default) or energy")
    st.add_argument("--format", choices=("text", "latex", "json"), default="text")
    st.add_argument("--at", nargs="+", metavar="NAME=VALUE", default=[],
                    help="evaluate the closed forms at this point (and the numeric third cumulant)")
    st.add_argument("--numeric", action="store_true",
                    help="with --at: the numeric route only (numeric pipeline, no closed form)")
    st.add_argument("--dt", type=float, default=None,
                    help="with --regime coarse-grained and --at: finite-dt jumps and statistics "
                         "(numeric, quanta)")
    st.add_argument("--diagnostics", action="store_true",
                    help="with --at: the time-scale ladder and the validity of the regime at "
                         "the point, as in evaluate (JSON key 'timescales')")
    st.add_argument("--strict", action="store_true",
                    help="with --at: a regime outside its window at the point is an error")
    _add_cache_arg(st)
    st.set_defaults(func=cmd_statistics)
    r = sub.add_parser("reproduce", help="reproduce the paper equation by equation")
    r.add_argument("--out", default="out", help="output directory (default ./out)")
    r.add_argument("--format", choices=("text", "json"), default="text")
    r.set_defaults(func=cmd_reproduce)
    c = sub.add_parser("check", help="check a hand-derived expression against cgsym")
    _add_model_args(c)
    c.add_argument("--quantity", required=True, help="J[p], J, rho[a,b] or gamma[p][m,n]")
    c.add_argument("--expr", required=True, help="the expression (SymPy syntax or LaTeX)")
    c.add_argument("--where", action="append", default=[], metavar="NAME=EXPR",
                   help="an abbreviation used in --expr (repeatable)")
    c.add_argument("--latex", action="store_true", help="read --expr as LaTeX")
    c.set_defaults(func=cmd_check)
    return p


#: the supervisor stops a command this long after its own --timeout should have
SUPERVISOR_GRACE = 2.0


def main(argv=None) -> int:
    """The command line.  Called as the ``cgsym`` program (``argv`` None), a command
    with a time limit runs in a forked child under :func:`_supervise`; called with an
    explicit ``argv`` (tests, scripts) it runs in this process."""
    if argv is None and hasattr(os, "fork"):
        try:
            args = build_parser().parse_args(sys.argv[1:])
        except CgsymError as e:
            print(f"cgsym: error: {e}", file=sys.stderr)
            return 2
        seconds = getattr(args, "timeout", None)
        if seconds:
            return _supervise(seconds, _WHAT.get(args.command, f"cgsym {args.command}"))
    return _run(argv)


#: what the time-limit message calls each command's work
_WHAT = {"derive": "the derivation", "evaluate": "the evaluation", "sweep": "the sweep",
         "plot": "the plot", "compare": "the comparison", "statistics": "the statistics",
         "check": "the check", "reproduce": "the reproduction"}

#: after the grace, the child gets SIGUSR1 (a clean error: its finally blocks close Dask
#: clusters and worker pools) and this long to exit before SIGKILL
SUPERVISOR_CLEANUP = 1.5


def _supervise(seconds: float, what: str = "the derivation") -> int:
    """Run the command in a child process and stop it if it overruns.

    The child enforces ``--timeout`` itself (SIGALRM, a clean CgsymError), but a
    signal handler only runs between Python bytecodes, so a long call into
    python-flint's C code cannot be interrupted from inside.  The parent waits
    ``seconds + SUPERVISOR_GRACE``, then asks the child to stop (SIGUSR1: the same
    clean error, raised wherever Python runs, so a Dask cluster or worker pool is shut
    down by its ``finally``), and after ``SUPERVISOR_CLEANUP`` more kills it and prints
    the one line itself, exit status 2: a time limit that always holds.
    """
    import signal
    import time

    sys.stdout.flush()
    sys.stderr.flush()
    parent = os.getpid()
    import gc
    gc.freeze()   # what is loaded now (SymPy, NumPy, cgsym) is never traversed by the
    #               child's garbage collector again: ~0.1 s of a one-point evaluate
    pid = os.fork()
    message = f"{what} exceeded the time limit of {seconds:g} s (raise it with --timeout)"
    if pid == 0:   # the child: the command itself, leading a process group of its own
        code = 1
        os.setpgid(0, 0)
        _die_with_parent(parent)

        def overrun(signum, frame):
            signal.signal(signal.SIGUSR1, signal.SIG_IGN)     # once
            raise CgsymError(message)
        signal.signal(signal.SIGUSR1, overrun)
        try:
            code = _run(None)
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        except BaseException:   # a bug, not bad input: show it, as Python would
            import traceback
            traceback.print_exc()
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code if isinstance(code, int) else 0)
    try:
        os.setpgid(pid, pid)      # (both sides set it: no race with the child's first step)
    except OSError:
        pass
    deadline = time.monotonic() + seconds + SUPERVISOR_GRACE

    def kill_group():             # the child and whatever it started (Dask workers, pools)
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass

    def interrupt(signum, frame):  # Ctrl-C reaches our group only: pass it on; it reports it
        try:
            os.killpg(pid, signal.SIGINT)
        except OSError:
            pass
    signal.signal(signal.SIGINT, interrupt)

    def stop_child(signum, frame):   # terminated ourselves (e.g. `timeout`): no orphan left
        kill_group()
        os.waitpid(pid, 0)
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, stop_child)
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            if os.WIFEXITED(status):
                return os.waitstatus_to_exitcode(status)
            sig = os.WTERMSIG(status)
            print(f"cgsym: error: the computation was killed by signal {sig} "
                  f"({signal.Signals(sig).name}; out of memory?)", file=sys.stderr)
            return 2
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGUSR1)
            stop = time.monotonic() + SUPERVISOR_CLEANUP
            while time.monotonic() < stop:
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:        # it stopped cleanly and said so itself
                    kill_group()
                    return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 2
                time.sleep(0.02)
            kill_group()
            os.waitpid(pid, 0)
            print(f"cgsym: error: {message}", file=sys.stderr)
            return 2
        time.sleep(0.02)


#: the fallback watcher's polling interval in seconds (where prctl is unavailable)
PARENT_WATCH_INTERVAL = 0.25


def _die_with_parent(parent: int) -> None:
    """Make this (forked) child die when the supervisor ``parent`` dies, however it dies.

    A supervisor killed with SIGKILL (a CI timeout, a notebook kernel restart,
    ``subprocess.run(timeout=...)``) runs no handler, so it cannot take its child down;
    the child would compute on with no time limit.  On Linux the kernel sends the child
    SIGKILL when its parent dies (``prctl(PR_SET_PDEATHSIG)``, through ctypes), which also
    works while the child is inside one long C call.  Elsewhere (or with the environment
    variable ``CGSYM_PARENT_WATCH_ONLY`` set, which the tests use) a daemon thread
    watches ``getppid()`` and kills the child once it changes; it runs whenever the main
    thread releases the GIL, i.e. between Python bytecodes.
    """
    import signal
    armed = False
    if sys.platform.startswith("linux") and not os.environ.get("CGSYM_PARENT_WATCH_ONLY"):
        try:
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            PR_SET_PDEATHSIG = 1
            armed = libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
    if os.getppid() != parent:   # the parent died before the request took effect
        os._exit(2)
    if armed:
        return
    import threading
    import time

    def watch():
        while True:
            time.sleep(PARENT_WATCH_INTERVAL)
            if os.getppid() != parent:
                os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="cgsym-parent-watch", daemon=True).start()


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """A :class:`CgsymWarning` is one ``cgsym: WARNING:`` line on stderr, like the
    diagnostics' warnings; any other warning is shown as Python shows it."""
    from .errors import CgsymWarning
    if issubclass(category, CgsymWarning):
        warn(str(message))
    else:
        _default_showwarning(message, category, filename, lineno, file, line)


def _run(argv) -> int:
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("always", _cgsym_warning())
        warnings.showwarning = _show_warning
        return _run_command(argv)


def _cgsym_warning():
    from .errors import CgsymWarning
    return CgsymWarning


def _run_command(argv) -> int:
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except CgsymError as e:
        print(f"cgsym: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("cgsym: error: interrupted", file=sys.stderr)
        return 2
    except RecursionError:
        print("cgsym: error: expression too deeply nested", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader went away (`cgsym derive ... | head`): stop quietly, as cat does
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
