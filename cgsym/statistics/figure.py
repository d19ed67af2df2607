r"""``cgsym plot MODEL --what noise-vs-omega``: Fano factor and TUR ratio against the slow
parameter, secular beside partial secular.

Two panels sharing the log axis of the slow parameter (the first ``slow`` parameter of the
model): the Fano factor :math:`F_p = S_p/\langle I_p\rangle` and the TUR ratio
:math:`Q_p = S_p\sigma/\langle I_p\rangle^2` of one reservoir (default the first), with the
classical bound Q = 2 drawn.  Values come from the derived closed forms
(:func:`cgsym.statistics.counting_statistics`, lambdified) or, with ``numeric=True``, from the
recursive scheme on the numeric tilted Liouvillian.
"""
from __future__ import annotations

import numpy as np

from ..errors import CgsymError


def sweep_noise_vs_omega(model, values: dict, *, weak: bool = False, points: int = 40,
                         omega_range=None, numeric: bool = False, reservoir: str | None = None,
                         count: str = "quanta", timeout: float | None = None):
    """The data of the figure as a :class:`cgsym.plot.Sweep` (``curves`` carry a panel key)."""
    from ..derivation import derive, time_limit
    from ..diagnostics import diagnose
    from ..plot import Sweep, _check_range, _run_points, _title, slow_parameter
    from .counting import check_count, counting_statistics
    from .numeric import cumulants, numeric_jumps
    check_count(count)
    if len(model.reservoirs) < 2:
        raise CgsymError(f"model '{model.name}' has one reservoir: its mean current vanishes at "
                         f"the steady state, so there is no Fano factor or TUR ratio to plot")
    slow = slow_parameter(model)
    res = (model.reservoir(reservoir) if reservoir else model.reservoirs[0]).name
    vals = dict(values)
    if slow not in vals:
        fastest = [v for k, v in vals.items() if model.parameter(k).role == "frequency"]
        vals[slow] = 1e-3 * min(fastest) if fastest else 1e-3
    rng = _check_range(omega_range, slow)
    if rng is None:
        dg = diagnose(model, vals, "secular", weak_internal=weak)
        scale = dg.rate_max if dg.rate_max > 0 else 1.0
        hi = 1e3 * scale
        if dg.inv_omega_S:
            hi = min(hi, 0.1 / dg.inv_omega_S)
        lo = 1e-3 * scale
        rng = (lo, max(hi, 100 * lo))
    xs = np.geomspace(rng[0], rng[1], points)
    sw = Sweep("noise-vs-omega", model.name, xs, f"slow parameter {slow} (log scale)",
               y_label=f"Fano factor S/<I> of reservoir {res}", title=_title(model, values,
                                                                               skip=(slow,)))
    sw.notes.append(f"counting {count} exchanged with reservoir {res}; "
                    f"Q = S sigma/<I>^2 with sigma = -sum_p J_p/T_p; classical TUR: Q >= 2")
    tag = ", weak internal" if weak else ""
    for regime, color, ls in (("secular", "C3", "-"), ("partial-secular", "C0", "--")):
        if numeric:
            def point(x, r=regime):
                nj = numeric_jumps(model, {**vals, slow: float(x)}, r, weak)
                k1, k2 = cumulants(nj, res, count, 2)
                return k1, k2, nj.entropy_production
            rows = np.array(_run_points(list(xs), point, f"{regime} noise({slow})"))
            mean, noise, sigma = rows[:, 0], rows[:, 1], rows[:, 2]
            how = "numeric"
        else:
            with time_limit(timeout):
                d = derive(model, regime, weak)
                st = counting_statistics(d, count)
            ev = [st.evaluate({**vals, slow: float(x)}) for x in xs]
            mean = np.array([e["mean"][res] for e in ev])
            noise = np.array([e["noise"][res] for e in ev])
            sigma = np.array([e["entropy_production"] for e in ev])
            how = "closed form"
        # a mean at rounding level (equal temperatures) has no Fano factor or Q
        mean = np.where(np.abs(mean) > 1e-12 * np.max(np.abs(noise)), mean, np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            fano = noise / np.abs(mean)
            q = noise * sigma / mean**2
        if not np.any(np.isfinite(q)):
            raise CgsymError(f"the mean current of reservoir {res} vanishes: no Fano factor or "
                             f"TUR ratio to plot (one reservoir, or equal temperatures)")
        sw.curves.append((f"{regime} ({how}{tag})", fano, dict(color=color, lw=2, ls=ls,
                                                               panel=0)))
        sw.curves.append((f"{regime} ({how}{tag})", q, dict(color=color, lw=2, ls=ls, panel=1)))
    return sw


def render_noise(sw):
    """Two stacked panels: Fano factor (top) and TUR ratio with the bound Q = 2 (bottom)."""
    import matplotlib
    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure
    fig = Figure(figsize=(8, 7), layout="constrained")
    ax = fig.subplots(2, 1, sharex=True)
    for label, y, style in sw.curves:
        style = dict(style)
        panel = style.pop("panel")
        ax[panel].plot(sw.x, y, label=label, **style)
    ax[1].axhline(2.0, color="k", lw=1, ls=":", label="classical TUR bound Q = 2")
    ax[0].set_ylabel("Fano factor S / |<I>|")
    ax[1].set_ylabel("TUR ratio Q = S sigma / <I>^2")
    ax[1].set_xlabel(sw.x_label)
    for a in ax:
        a.set_xscale("log")
        a.grid(True, alpha=0.3)
        a.legend(fontsize=8, loc="best")
    ax[0].set_xlim(sw.x[0], sw.x[-1])
    ax[0].set_title(sw.title, fontsize=10)
    if sw.notes:
        fig.supxlabel("\n".join(sw.notes), fontsize=7, color="0.3")
    return fig
