"""``cgsym compare``: every master equation against the HEOM reference, at a point or a sweep.

Methods (numeric, at each point): ``secular``, ``partial-secular`` and ``redfield``, each
without and with the Lamb shift (``+LS``); ``coarse-grained`` at a finite Delta t
(:mod:`cgsym.finite_dt`), without and with its energy shift Delta H(Delta t), when ``dt``
is given; and ``heom`` (QuTiP).  For each method: the
heat currents J_p, sum_p J_p (0 up to rounding), the relative deviation
(J_p - J_p^HEOM)/|J_p^HEOM| of the first reservoir's current, and the time-scale verdict of
:mod:`cgsym.diagnostics` (``inside`` / ``marginal`` / ``outside`` its window).
"""
from __future__ import annotations

import math
import sys

import numpy as np

from ..errors import CgsymError

__all__ = ["METHODS", "method_result", "compare_point", "parse_sweep", "compare_sweep",
           "render_sweep"]

#: a HEOM reference whose refinement step changes it by this much (relative) or more is
#: not resolved: no deviations are computed from it
RESOLVED_CHANGE = 0.1

METHODS = ("secular", "secular+LS", "partial-secular", "partial-secular+LS",
           "redfield", "redfield+LS")


def method_result(model, values, method: str, weak_internal: bool = False, dt=None,
                  heom_options=None):
    """MethodResult of one method name (see :data:`METHODS`, plus coarse-grained, heom)."""
    from .redfield import MethodResult, markovian, redfield
    base, ls = (method[:-3], True) if method.endswith("+LS") else (method, False)
    if base in ("secular", "partial-secular"):
        return markovian(model, values, base, weak_internal, ls)
    if base == "redfield":
        return redfield(model, values, ls)
    if base == "heom":
        from .heom import heom
        return heom(model, values, **(heom_options or {}))
    if base == "coarse-grained":
        from .redfield import coarse_grained
        return coarse_grained(model, values, dt, ls)
    raise CgsymError(f"unknown method '{method}'")


def _verdict(model, values, regime, dt=None):
    """'inside' / 'marginal' / 'outside' and the failing inequalities, or None."""
    from ..diagnostics import diagnose
    diag_regime = {"redfield": "coarse-grained"}.get(regime, regime)
    try:
        if regime == "redfield":
            # Born-Markov: tau_c << tau_S (no secular condition); use the ladder's entries
            dg = diagnose(model, values, "secular")
            tau_c = dg.tau_c
            if tau_c is None:   # e.g. Drude-Lorentz: from the poles of the bath spectrum
                from .lamb_shift import correlation_time_from_poles
                taus = [correlation_time_from_poles(model, r, values) for r in model.reservoirs]
                tau_c = max(taus) if all(t is not None for t in taus) else None
            if tau_c is None:
                return {"status": "unknown", "failed": []}
            ratio = dg.tau_S / tau_c
            st = "inside" if ratio >= dg.margin else "marginal" if ratio >= 1 else "outside"
            return {"status": st, "failed": [] if st == "inside" else
                    [f"tau_c << tau_S (ratio {ratio:.3g})"]}
        dg = diagnose(model, values, diag_regime, dt=dt)
    except CgsymError:
        return None
    bad = [c for c in dg.checks if c.status != "ok"]
    st = ("outside" if any(c.status == "fails" for c in bad) else
          "marginal" if bad else "inside")
    return {"status": st, "failed": [f"{c.inequality} (ratio {c.ratio:.3g})" for c in bad]}


def compare_point(model, values: dict, dt=None, heom: bool = True, heom_options=None,
                  weak_internal: bool = False) -> dict:
    """Every method at one point: {"methods": {name: {...}}, "reference": "heom"|None}."""
    names = list(METHODS) + (["coarse-grained", "coarse-grained+LS"] if dt is not None else [])
    if heom:
        names.append("heom")
    first = model.reservoirs[0].name
    out = {}
    for name in names:
        try:
            r = method_result(model, values, name, weak_internal, dt, heom_options)
        except CgsymError as e:
            # e.g. a flat rate has no Lamb shift, a rate the finite-dt integrals refuse:
            # that method is reported unavailable with the reason, the others still run
            out[name] = {"error": str(e)}
            continue
        J = {p: float(v) for p, v in r.heat_currents.items()}
        rho = np.asarray(r.steady_state)
        entry = {"heat_currents": J, "sum": float(sum(J.values())),
                 "steady_state_min_eigenvalue":
                     float(np.linalg.eigvalsh((rho + rho.conj().T) / 2).min())}
        if "heom" in r.extra:
            entry["heom"] = r.extra["heom"]
        if "positivity" in r.extra:
            entry["positivity"] = r.extra["positivity"]
        base = name[:-3] if name.endswith("+LS") else name
        if base != "heom":
            entry["verdict"] = _verdict(model, values, base, dt)
        out[name] = entry
    if heom and "error" in out["heom"]:
        heom = False
    if heom:
        ref = out["heom"]["heat_currents"]
        # a deviation from a reference that its own refinement step moves by more than
        # RESOLVED_CHANGE (e.g. a current that is zero up to the truncation error, at equal
        # temperatures) means nothing: it is NaN ("n/a"), with the reason
        change = out["heom"].get("heom", {}).get("refinement_change")   # None: not refined
        resolved = change is None or change < RESOLVED_CHANGE
        if not resolved:
            out["heom"]["unresolved"] = (
                f"the HEOM reference is not resolved at this point (its refinement step "
                f"changes it by {change:.2g} relative, >= {RESOLVED_CHANGE:g}): no deviations")
        for name, e in out.items():
            if "error" in e:
                continue
            e["deviation"] = {p: ((e["heat_currents"][p] - ref[p]) / abs(ref[p])
                                  if ref[p] != 0 and resolved else math.nan) for p in ref}
            e["relative_deviation"] = e["deviation"][first]
    return {"point": dict(values), "reservoir": first, "methods": out,
            "reference": "heom" if heom else None}


def parse_sweep(text: str, model):
    """NAME=START:STOP:COUNT[:log] -> (name, values)."""
    if "=" not in text:
        raise CgsymError(f"--sweep expects NAME=START:STOP:COUNT[:log], got '{text}'")
    name, spec = text.split("=", 1)
    name = name.strip()
    model.parameter(name)
    parts = spec.split(":")
    if len(parts) not in (3, 4) or (len(parts) == 4 and parts[3] not in ("log", "lin")):
        raise CgsymError(f"--sweep expects NAME=START:STOP:COUNT[:log], got '{text}'")
    try:
        a, b, n = float(parts[0]), float(parts[1]), int(parts[2])
    except ValueError:
        raise CgsymError(f"--sweep {name}: START and STOP must be numbers and COUNT an "
                         f"integer, got '{spec}'") from None
    if not (math.isfinite(a) and math.isfinite(b) and a > 0 and b > 0):
        raise CgsymError(f"--sweep {name}: START and STOP must be positive, finite numbers "
                         f"(every parameter is positive)")
    if not 2 <= n <= 200:
        raise CgsymError(f"--sweep {name}: COUNT must be between 2 and 200, got {n}")
    log = len(parts) == 4 and parts[3] == "log"
    xs = np.geomspace(a, b, n) if log else np.linspace(a, b, n)
    return name, [float(x) for x in xs], log


def compare_sweep(model, values: dict, name: str, xs, dt=None, heom: bool = True,
                  heom_options=None, progress: bool = True) -> list:
    """compare_point at each value of parameter ``name`` (a tqdm bar on stderr)."""
    from tqdm import tqdm
    pts = []
    bar = tqdm(xs, desc=f"compare {name}", unit="pt", file=sys.stderr, disable=not progress,
               leave=False)
    for x in bar:
        v = dict(values)
        v[name] = x
        pts.append(compare_point(model, v, dt, heom, heom_options))
    bar.close()
    return pts


_STYLE = {   # Redfield wide and pale under the (nearly equal) partial-secular lines
    "secular": dict(color="C3", ls="-", lw=1.6),
    "secular+LS": dict(color="C3", ls="--", lw=1.6),
    "partial-secular": dict(color="C0", ls="-", lw=1.3, marker="s", ms=3),
    "partial-secular+LS": dict(color="C0", ls="--", lw=1.3, marker="s", ms=3),
    "redfield": dict(color="C2", ls="-", lw=4, alpha=0.45),
    "redfield+LS": dict(color="C2", ls="--", lw=4, alpha=0.45),
    "coarse-grained": dict(color="C4", ls="-", lw=1.6, marker="^", ms=4),
    "coarse-grained+LS": dict(color="C4", ls="--", lw=1.6, marker="^", ms=4),
}


def render_sweep(model, name: str, xs, pts, log: bool, title: str = ""):
    """Figure: |J| of the first reservoir against the swept parameter (HEOM as points) and,
    below, the relative deviation from HEOM."""
    import matplotlib
    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure
    res = pts[0]["reservoir"]
    methods = list(pts[0]["methods"])
    has_ref = pts[0]["reference"] == "heom"
    fig = Figure(figsize=(9, 7.5 if has_ref else 5), layout="constrained")
    axs = fig.subplots(2 if has_ref else 1, 1, sharex=True, squeeze=False,
                       height_ratios=[2, 1] if has_ref else None)[:, 0]
    ax = axs[0]
    methods = [m for m in methods if all("error" not in p["methods"][m] for p in pts)]
    for m in methods:
        y = np.array([abs(p["methods"][m]["heat_currents"][res]) for p in pts])
        if m == "heom":
            ax.plot(xs, y, "ko", ms=6, label="HEOM (QuTiP)", zorder=5)
        else:
            ax.plot(xs, y, label=m, **_STYLE[m])
    ax.set_yscale("log")
    ax.set_ylabel(f"|J_{res}| (heat current from reservoir {res})")
    ax.set_title(title, fontsize=9)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    if has_ref:
        ax2 = axs[1]
        for m in methods:
            if m == "heom":
                continue
            dev = np.array([p["methods"][m]["relative_deviation"] for p in pts])
            ax2.plot(xs, np.abs(dev), label=m, **_STYLE[m])
        ax2.set_yscale("log")
        ax2.set_ylabel("|J - J_HEOM| / |J_HEOM|")
        ax2.grid(True, which="major", alpha=0.3)
    axs[-1].set_xlabel(name)
    for a in axs:
        a.set_xscale("log" if log else "linear")
    return fig


def text_table(result: dict) -> str:
    """A point's comparison as an aligned text table."""
    res = result["reservoir"]
    ref = result["reference"]
    lines = [f"J_{res} (heat current from reservoir {res} into the system) at "
             + ", ".join(f"{k}={v:g}" for k, v in result["point"].items()),
             f"{'method':<20} {'J_' + res:>16} {'sum_p J_p':>11} "
             + (f"{'vs HEOM':>10} " if ref else "") + "verdict"]
    for m, e in result["methods"].items():
        if "error" in e:
            lines.append(f"{m:<20} unavailable: {e['error']}")
            continue
        v = e.get("verdict")
        vs = "" if v is None else v["status"] + (
            f" ({'; '.join(v['failed'])})" if v["failed"] else "")
        if m == "heom":
            h = e["heom"]
            vs = (f"reference: exponents {h['exponents']}, depth {h['depth']}, "
                  f"refinement change {h['refinement_change']:.2g}")
        if ref:
            rd = e["relative_deviation"]
            dev = f"{'n/a':>10} " if math.isnan(rd) else f"{rd:>+10.3%} "
        else:
            dev = ""
        lines.append(f"{m:<20} {e['heat_currents'][res]:>16.9e} {e['sum']:>11.1e} {dev}{vs}")
        if e["steady_state_min_eigenvalue"] < -1e-12:
            lines.append(f"{'':<20} positivity lost: steady state has eigenvalue "
                         f"{e['steady_state_min_eigenvalue']:.3g}")
    if ref and "unresolved" in result["methods"].get("heom", {}):
        lines.append(result["methods"]["heom"]["unresolved"])
    return "\n".join(lines)
