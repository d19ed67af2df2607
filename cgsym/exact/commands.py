"""Command-line glue of :mod:`cgsym.exact`: ``evaluate --regime redfield|heom``,
``--lamb-shift`` on ``derive`` and ``evaluate``, and ``compare``."""
from __future__ import annotations

import json
import math
import sys

import numpy as np

from ..errors import CgsymError

EXACT_REGIMES = ("redfield", "heom")


def _heom_options(args) -> dict:
    opts = {}
    if getattr(args, "heom_exponents", None) is not None:
        opts["exponents"] = args.heom_exponents
    if getattr(args, "heom_depth", None) is not None:
        opts["depth"] = args.heom_depth
    return opts


def evaluate_exact(args, model, vals) -> int:
    """``cgsym evaluate`` for redfield, heom, and any regime with ``--lamb-shift``."""
    from ..console import point_diagnostics, print_evaluation
    from .compare import method_result
    regime = args.regime
    if regime == "coarse-grained":
        return _evaluate_coarse_grained_with_shift(args, model, vals)
    if regime not in ("secular", "partial-secular") + EXACT_REGIMES:
        from ..rates import check_regime
        check_regime(regime)
    if args.dt is not None:
        raise CgsymError("--dt is only meaningful with --regime coarse-grained")
    if regime == "heom":
        if args.lamb_shift:
            raise CgsymError("--lamb-shift does not apply to --regime heom (HEOM is exact: "
                             "it contains every energy shift)")
        if args.weak_internal:
            raise CgsymError("--weak-internal does not apply to --regime heom")
    if regime == "redfield" and args.weak_internal:
        raise CgsymError("--weak-internal does not apply to --regime redfield (it keeps "
                         "every Bohr frequency exactly)")
    method = regime + ("+LS" if args.lamb_shift else "")
    r = method_result(model, vals, method, args.weak_internal,
                      heom_options=_heom_options(args))
    extra = dict(r.extra)
    extra["method"] = method
    diag = point_diagnostics(args, model, vals, regime) if regime in ("secular",
                                                                 "partial-secular") else None
    if regime == "redfield":
        pos = extra["positivity"]
        if pos["steady_state_min_eigenvalue"] < -1e-12:
            print(f"cgsym: WARNING: Redfield steady state is not positive (eigenvalue "
                  f"{pos['steady_state_min_eigenvalue']:.3g})", file=sys.stderr)
    if regime == "heom":
        ch = extra["heom"]["refinement_change"]
        if not extra["heom"].get("refinement_complete", True):
            skipped = [v["skipped"] for v in extra["heom"]["refinement"].values()
                       if "skipped" in v]
            print(f"cgsym: WARNING: HEOM refinement step skipped: {skipped[0]}",
                  file=sys.stderr)
        if ch is not None and ch > 1e-4:
            print(f"cgsym: WARNING: HEOM not converged: one refinement step changes J or rho by "
                  f"{ch:.2g} (relative); raise --heom-exponents / --heom-depth",
                  file=sys.stderr)
    print_evaluation(args, model, r.steady_state, r.heat_currents, extra, diag=diag)
    return 0


def _evaluate_coarse_grained_with_shift(args, model, vals) -> int:
    """``evaluate --regime coarse-grained --dt DT --lamb-shift``: with Delta H(Delta t)."""
    from ..console import point_diagnostics, print_evaluation
    from .redfield import coarse_grained
    if args.dt is None:
        raise CgsymError("--regime coarse-grained needs --dt VALUE (the coarse-graining time)")
    if not math.isfinite(args.dt) or args.dt <= 0:
        raise CgsymError(f"--dt must be a positive, finite coarse-graining time, got {args.dt:g}")
    if args.weak_internal:
        raise CgsymError("--weak-internal does not apply to --regime coarse-grained")
    r = coarse_grained(model, vals, args.dt, lamb_shift=True)
    diag = point_diagnostics(args, model, vals, "coarse-grained", dt=args.dt)
    print_evaluation(args, model, r.steady_state, r.heat_currents,
                      {"method": r.method, "dt": args.dt}, diag=diag)
    return 0


def derive_with_lamb_shift(args, d) -> int:
    """``cgsym derive --lamb-shift``: the derivation plus the symbolic H_LS of its regime."""
    from .lamb_shift import lamb_shift
    ls = lamb_shift(d.spectrum, d.regime, d.weak_internal)
    note = ("the steady state and heat currents above are those of Eq. (44) without H_LS; "
            "with it: cgsym evaluate ... --lamb-shift (numeric)")
    if args.format == "json":
        out = d.to_json()
        out["lamb_shift"] = ls.to_json()
        out["lamb_shift"]["note"] = note
        print(json.dumps(out, indent=1, sort_keys=False))
    elif args.format == "latex":
        import sympy as sp
        from ..report import derivation_latex
        sys.stdout.write(derivation_latex(d))
        sys.stdout.write("\n% Lamb shift (" + note + ")\n\\begin{equation*}\n"
                         + sp.latex(ls) + "\n\\end{equation*}\n")
    else:
        print(str(d))
        print()
        print(ls.text())
        print(f"  ({note})")
    return 0


def compare(args) -> int:
    """``cgsym compare``."""
    from ..console import parse_at
    from ..model import load_model
    from .compare import compare_point, compare_sweep, parse_sweep, render_sweep, text_table
    model = load_model(args.model)
    if args.dt is not None and (not math.isfinite(args.dt) or args.dt <= 0):
        raise CgsymError(f"--dt must be a positive, finite coarse-graining time, got {args.dt:g}")
    if args.out is not None:
        from ..plot import check_out_path
        check_out_path(args.out)
    heom = not args.no_heom
    if heom:
        from .heom import require_qutip
        require_qutip()
    opts = _heom_options(args)
    if args.sweep is None:
        if args.out is not None:
            raise CgsymError("--out draws a sweep: give --sweep NAME=START:STOP:COUNT[:log]")
        vals = parse_at(args.at, model)
        res = compare_point(model, vals, args.dt, heom, opts)
        if args.format == "json":
            print(json.dumps(res, indent=1))
        else:
            print(text_table(res))
        return 0
    name, xs, log = parse_sweep(args.sweep, model)
    vals = parse_at(args.at, model, optional=(name,))
    vals.pop(name, None)
    pts = compare_sweep(model, vals, name, xs, args.dt, heom, opts,
                        progress=not args.no_progress)
    if args.out is not None:
        from ..plot import save_atomic
        title = (f"{model.name}: " + ", ".join(f"{k}={v:g}" for k, v in vals.items())
                 + (f", dt={args.dt:g}" if args.dt is not None else ""))
        path = save_atomic(render_sweep(model, name, xs, pts, log, title), args.out)
        print(f"wrote {path}", file=sys.stderr)
    if args.format == "json":
        print(json.dumps({"sweep": {"name": name, "values": xs, "log": log},
                          "points": pts}, indent=1))
    else:
        for p in pts:
            print(text_table(p))
            print()
    return 0
