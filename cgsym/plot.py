r"""``cgsym plot``: sweeps of heat currents and coarse-grained rates, drawn with matplotlib.

Three figures (Cresser & Facer, Secs. III and VI):

``current-vs-omega``
    The heat current :math:`J_p` of the first reservoir against the model's (first) slow
    parameter :math:`\Omega` on a log axis, for the secular (Eq. 52) and partial-secular
    (Eq. 55) master equations -- from the derived closed forms (:func:`cgsym.derive`,
    lambdified), or with ``numeric=True`` from the numeric pipeline -- and, with a
    coarse-graining time ``dt``, for the finite-:math:`\Delta t` equation (Eq. 45).  The
    secular current stays finite as :math:`\Omega \to 0` (Eq. 140), the partial-secular one
    vanishes (Eq. 145); they agree for :math:`\Omega \gg \gamma`.
``gamma-vs-dt``
    :math:`|\gamma_{mn}(\Delta t)|` of one reservoir against :math:`\Delta t` (log-log): the
    diagonal and the within-cluster entries, with their secular and partial-secular plateaus
    dashed and the window :math:`\omega_S^{-1} \ldots \Omega^{-1}` shaded.
``current-vs-dt``
    :math:`J_p(\Delta t)` with the plateaus :math:`J_\mathrm{sec}` and
    :math:`J_\mathrm{parsec}` (numeric pipeline) and the same window.
``noise-vs-omega``
    Fano factor and TUR ratio of one reservoir against the slow parameter, secular beside
    partial secular (:mod:`cgsym.statistics.figure`).

The output file is written to a temporary file in the target folder and renamed, so a failed
run leaves no partial file.  Sweeps that run longer than about two seconds draw a one-line
progress bar on stderr.
"""
from __future__ import annotations

import math
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from .errors import CgsymError

__all__ = ["WHATS", "Progress", "Sweep", "sweep_current_vs_omega", "sweep_gamma_vs_dt",
           "sweep_current_vs_dt", "render", "save_atomic"]

WHATS = ("current-vs-omega", "gamma-vs-dt", "current-vs-dt", "noise-vs-omega")
PLOT_DPS = 8          # digits of the finite-dt integrals: ample for a figure
MAX_POINTS = 2000


class Progress:
    """A one-line ``\\r`` progress bar on a stream, shown only once a sweep is slow.

    Nothing is drawn before ``delay`` seconds have passed; :meth:`close` ends the bar with a
    newline on success and erases it on failure (so an error stays a single line).
    """

    def __init__(self, total: int, label: str, stream=None, delay: float = 2.0,
                 width: int = 30):
        self.total, self.label, self.width, self.delay = max(int(total), 1), label, width, delay
        self.stream = stream if stream is not None else sys.stderr
        self.start = time.monotonic()
        self.shown = False
        self.done = 0
        self._last = ""

    def update(self, done: int) -> None:
        self.done = done
        elapsed = time.monotonic() - self.start
        if not self.shown and elapsed < self.delay:
            return
        self.shown = True
        frac = min(max(done / self.total, 0.0), 1.0)
        fill = int(round(frac * self.width))
        eta = elapsed / done * (self.total - done) if done else float("nan")
        line = (f"\r{self.label} [{'#' * fill}{'.' * (self.width - fill)}] {done}/{self.total}"
                f"  {elapsed:.0f} s" + (f", ~{eta:.0f} s left" if done < self.total and done
                                         else ""))
        self._last = line
        self.stream.write(line.ljust(len(self._last)))
        self.stream.flush()

    def close(self, ok: bool = True) -> None:
        if not self.shown:
            return
        if ok:
            if self.done != self.total:
                self.update(self.total)
            self.stream.write("\n")
        else:
            self.stream.write("\r" + " " * len(self._last) + "\r")
        self.stream.flush()
        self.shown = False


@dataclass
class Sweep:
    """The data of one figure."""

    what: str
    model: str
    x: np.ndarray
    x_label: str
    curves: list = field(default_factory=list)      # (label, y array, style dict)
    hlines: list = field(default_factory=list)      # (label, y, style dict)
    vlines: list = field(default_factory=list)      # (label, x): annotated on the axes
    marks: list = field(default_factory=list)       # (label, x, style): vertical, in legend
    window: tuple | None = None                      # (x0, x1) shaded
    window_label: str = "partial-secular window"
    y_label: str = ""
    y_log: bool = False
    title: str = ""
    notes: list = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------

def slow_parameter(model) -> str:
    """Name of the model's first ``slow`` parameter (the swept Omega)."""
    for p in model.parameters:
        if p.role == "slow":
            return p.name
    raise CgsymError(f"model '{model.name}' has no slow parameter to sweep")


def _geomspace(lo: float, hi: float, n: int) -> np.ndarray:
    return np.geomspace(lo, hi, n)


def _check_range(rng, what: str):
    if rng is None:
        return None
    lo, hi = (float(v) for v in rng)
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo <= 0 or hi <= 0:
        raise CgsymError(f"--range must be two positive, finite {what} values, got {lo:g} {hi:g}")
    if lo >= hi:
        raise CgsymError(f"--range MIN MAX needs MIN < MAX, got {lo:g} {hi:g}")
    return lo, hi


def _title(model, values, skip=()):
    pts = ", ".join(f"{k}={v:g}" for k, v in values.items() if k not in skip)
    return f"{model.name}: {pts}"


def _workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


_POINT_FUNCTION = None   # the sweep's f, inherited by forked workers (lambdas do not pickle)


def _init_worker():
    """A worker dies with its parent (a killed or timed-out cgsym leaves no orphan)."""
    try:
        import ctypes
        import signal
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 - best effort off Linux
        pass


def _call_point(x):
    return _POINT_FUNCTION(x)


def _run_points(xs, f, label, parallel=False):
    """[f(x) for x in xs] with a progress bar (shown if the sweep is slow).

    ``parallel``: the points are independent (the finite-dt quadratures, pure Python
    mpmath), so they run in forked worker processes, one per available core, in order;
    each value is computed by the same code as in series (same digits).
    """
    global _POINT_FUNCTION
    bar = Progress(len(xs), label)
    out = []
    n = min(_workers(), len(xs))
    try:
        if parallel and n > 1 and hasattr(os, "fork"):
            import multiprocessing as mp
            _POINT_FUNCTION = f
            try:
                with mp.get_context("fork").Pool(n, initializer=_init_worker) as pool:
                    for i, y in enumerate(pool.imap(_call_point, xs, chunksize=1)):
                        out.append(y)
                        bar.update(i + 1)
            finally:
                _POINT_FUNCTION = None
        else:
            for i, x in enumerate(xs):
                out.append(f(x))
                bar.update(i + 1)
    except BaseException:
        bar.close(ok=False)
        raise
    bar.close(ok=True)
    return out


def _check_finite_dt_rates(model, values):
    """The Delta t integrals exist (no flat/sub-Ohmic rate, a cutoff) for every reservoir."""
    from . import coarse_graining as cg
    from .finite_dt import _rate_callable
    from .numerics import evaluate_model
    nm = evaluate_model(model, values)
    for r in model.reservoirs:
        try:
            cg.check_spectral_function(_rate_callable(model, r, values), nm.temperatures[r.name])
        except CgsymError as e:
            raise CgsymError(f"reservoir '{r.name}': {e}") from None


def _closed_form_current(model, regime, weak, reservoir, timeout, use_cache=True):
    from .cache import cached_derive
    from .derivation import time_limit
    from .numerics import check_closed_form_domain, lambdify_expr
    msg = (f"cgsym: deriving the {regime} closed forms of model '{model.name}' (this can take "
           f"a minute; --numeric skips it) ...\n")
    timer = threading.Timer(3.0, lambda: (sys.stderr.write(msg), sys.stderr.flush()))
    timer.daemon = True
    timer.start()
    try:
        with time_limit(timeout):
            d = cached_derive(model, regime, weak, use_cache=use_cache)
    finally:
        timer.cancel()
    if d.heat_currents is None:
        raise CgsymError(f"the {regime} steady state of model '{model.name}' is not unique: "
                         f"no heat current")
    f = lambdify_expr(dict(d.heat_currents.currents)[reservoir], model)

    def current(values):
        check_closed_form_domain(d.spectrum, values)
        return f(values)
    return current


def _numeric_currents(model, values, regime, weak):
    from .numerics import numeric_pipeline
    r = numeric_pipeline(model, values, regime, weak)
    if r.heat_currents is None:
        raise CgsymError(f"the {regime} steady state is not unique (kernel dimension "
                         f"{r.kernel_dimension}) at {values}")
    return r


# ---------------------------------------------------------------------------------------------
# the three sweeps
# ---------------------------------------------------------------------------------------------

def sweep_current_vs_omega(model, values: dict, *, weak: bool = False, dt: float | None = None,
                           points: int = 40, omega_range=None, numeric: bool = False,
                           timeout: float | None = None, use_cache: bool = True) -> Sweep:
    """J of the first reservoir against the slow parameter (secular, partial-secular, finite dt)."""
    from .diagnostics import diagnose
    slow = slow_parameter(model)
    res0 = model.reservoirs[0].name
    vals = dict(values)
    if slow not in vals:  # any value: only the rate scale and omega_S are read from it
        fastest = [v for k, v in vals.items() if model.parameter(k).role == "frequency"]
        vals[slow] = 1e-3 * min(fastest) if fastest else 1e-3
    rng = _check_range(omega_range, slow)
    if dt is not None:
        _check_finite_dt_rates(model, vals)
    if rng is None:
        dg = diagnose(model, vals, "secular", weak_internal=weak)
        scale = dg.rate_max if dg.rate_max > 0 else 1.0
        lo = 1e-3 * scale
        hi = 1e3 * scale
        if dg.inv_omega_S:
            hi = min(hi, 0.1 / dg.inv_omega_S)
        if dt is not None:
            lo, hi = min(lo, 0.01 / dt), max(hi, 100 / dt)
            if dg.inv_omega_S:
                hi = min(hi, 0.3 / dg.inv_omega_S)
        hi = max(hi, 100 * lo)
        rng = (lo, hi)
    xs = _geomspace(rng[0], rng[1], points)
    dg = diagnose(model, {**vals, slow: float(xs[0])}, "secular", weak_internal=weak)
    sw = Sweep("current-vs-omega", model.name, xs, f"slow parameter {slow} (log scale)",
               y_label=f"heat current J_{res0} (from reservoir {res0} into the system)",
               title=_title(model, values, skip=(slow,)))
    tag = ", weak internal" if weak else ""
    for regime, style in (("secular", dict(color="C3", lw=2)),
                          ("partial-secular", dict(color="C0", lw=2, ls="--"))):
        if numeric:
            ys = _run_points(list(xs), lambda x, r=regime: float(_numeric_currents(
                model, {**vals, slow: float(x)}, r, weak).heat_currents[res0]),
                f"{regime} J({slow})")
            ys = np.array(ys)
            how = "numeric"
        else:
            try:
                f = _closed_form_current(model, regime, weak, res0, timeout, use_cache)
            except RecursionError:
                f = None
            if f is not None:
                ys = np.real(np.asarray(f({**vals, slow: xs}), dtype=complex)).astype(float)
                how = "closed form"
            else:  # a closed form too large for Python's compiler (hundreds of thousands of ops)
                sys.stderr.write(f"cgsym: note: the {regime} closed form of J_{res0} is too "
                                 f"large to compile; using the numeric pipeline\n")
                ys = np.array(_run_points(list(xs), lambda x, r=regime: float(_numeric_currents(
                    model, {**vals, slow: float(x)}, r, weak).heat_currents[res0]),
                    f"{regime} J({slow})"))
                how = "numeric"
        sw.curves.append((f"{regime} ({how}{tag})", ys, style))
    if dt is not None:
        from .finite_dt import evaluate_coarse_grained_dts

        def jdt(x):   # gamma(dt) in double precision (cgsym.gamma_grid), ~1e-11 relative
            return evaluate_coarse_grained_dts(model, {**vals, slow: float(x)},
                                               [dt])[0]["heat_currents"][res0]
        ys = np.array(_run_points(list(xs), jdt, f"finite-dt J({slow})", parallel=True),
                      dtype=float)
        sw.curves.append((f"coarse-grained, dt = {dt:g}", ys,
                          dict(color="C2", lw=1.5, marker="o", ms=3)))
        sw.vlines.append((f"{slow} = 1/dt", 1 / dt))
    sw.hlines.append(("", 0.0, dict(color="0.6", lw=0.8)))
    if dg.rate_max > 0:
        sw.marks.append((f"{slow} = Gamma_max = {dg.rate_max:.3g} (secular needs {slow} >> this)",
                         dg.rate_max, dict(color="0.3", lw=1.0, ls=":")))
    return sw


def _ladder(model, vals):
    from .diagnostics import diagnose
    return diagnose(model, vals, "secular")


def _default_dt_range(dg, freqs_max):
    small = [x for x in (dg.tau_c, 1 / freqs_max if freqs_max else None) if x]
    lo = 0.1 * min(small) if small else 1e-2
    big = [x for x in (dg.inv_Omega, dg.inv_omega_S) if x]
    hi = 100 * max(big) if big else 1e3
    return lo, max(hi, 100 * lo)


def _mark_ladder(sw, dg):
    if dg.inv_omega_S and dg.inv_Omega:
        sw.window = (dg.inv_omega_S, dg.inv_Omega)
        sw.window_label = f"partial-secular window 1/{dg.names[0]} .. 1/{dg.names[1]}"
    if dg.tau_c:
        sw.vlines.append(("tau_c", dg.tau_c))
    if dg.inv_omega_S:
        sw.vlines.append((f"1/{dg.names[0]}", dg.inv_omega_S))   # the model's names
    if dg.inv_Omega:
        sw.vlines.append((f"1/{dg.names[1]}", dg.inv_Omega))
    if math.isfinite(dg.tau_S):
        sw.vlines.append(("tau_S", dg.tau_S))


def sweep_gamma_vs_dt(model, values: dict, *, reservoir: str | None = None, points: int = 40,
                      dt_range=None) -> Sweep:
    """|gamma_mn(dt)| of one reservoir (diagonal and within-cluster entries) with plateaus."""
    from .finite_dt import gamma_matrices_dt
    from .numerics import numeric_pipeline
    res = model.reservoir(reservoir) if reservoir else model.reservoirs[0]
    _check_finite_dt_rates(model, values)
    rng = _check_range(dt_range, "dt")
    sec = numeric_pipeline(model, values, "secular")
    par = numeric_pipeline(model, values, "partial-secular")
    freqs = [float(w) for w in sec.frequencies[res.name]]
    clusters = sec.clusters[res.name]
    dg = _ladder(model, values)
    if rng is None:
        rng = _default_dt_range(dg, max(abs(w) for w in freqs))
    xs = _geomspace(rng[0], rng[1], points)
    # every dt at once, in double precision (cgsym.gamma_grid; ~1e-11 relative), in the
    # eigenoperator order of the numeric pipeline, i.e. of `freqs` above
    mats = list(gamma_matrices_dt(model, values, res.name, [float(x) for x in xs]))
    entries = [(m, m) for m in range(len(freqs))]
    for cl in clusters:
        entries += [(m, n) for m in cl for n in cl if m < n]
    entries = entries[:12]
    sw = Sweep("gamma-vs-dt", model.name, xs, "coarse-graining time dt (log scale)",
               y_label=f"|gamma_mn(dt)| of reservoir {res.name}", y_log=True,
               title=_title(model, values))
    gsec = np.asarray(sec.gamma[res.name][1])
    gpar = np.asarray(par.gamma[res.name][1])
    for k, (m, n) in enumerate(entries):
        color = f"C{k % 10}"
        ys = np.array([abs(M[m, n]) for M in mats])
        lab = (f"m=n, w={freqs[m]:+.4g}" if m == n else
               f"w_m={freqs[m]:+.4g}, w_n={freqs[n]:+.4g}")
        sw.curves.append((lab, ys, dict(color=color, lw=1.5, ls="-" if m == n else "-.")))
        if m == n:
            sw.hlines.append(("", abs(gsec[m, m]), dict(color=color, lw=0.9, ls="--")))
        elif abs(gpar[m, n]) > 0:
            sw.hlines.append(("", abs(gpar[m, n]), dict(color=color, lw=0.9, ls=":")))
    sw.notes.append("dashed: secular = partial-secular plateau Gamma(w_m) of the diagonal; "
                    "dotted: partial-secular plateau Gamma((w_m+w_n)/2) of an off-diagonal "
                    "entry (its secular plateau is 0)")
    _mark_ladder(sw, dg)
    return sw


def _temperature(model, values, name):
    from .numerics import evaluate_model
    return evaluate_model(model, values).temperatures[name]


def sweep_current_vs_dt(model, values: dict, *, points: int = 40, dt_range=None,
                        reservoir: str | None = None) -> Sweep:
    """J(dt) of a reservoir (default the first) with the secular and partial-secular plateaus."""
    from .finite_dt import evaluate_coarse_grained_dts
    res = (model.reservoir(reservoir) if reservoir else model.reservoirs[0]).name
    _check_finite_dt_rates(model, values)
    rng = _check_range(dt_range, "dt")
    sec = _numeric_currents(model, values, "secular", False)
    par = _numeric_currents(model, values, "partial-secular", False)
    dg = _ladder(model, values)
    if rng is None:
        fmax = max(abs(w) for p in sec.frequencies for w in sec.frequencies[p])
        rng = _default_dt_range(dg, fmax)
    xs = _geomspace(rng[0], rng[1], points)
    # every dt at once: the gamma(dt) matrices in double precision (cgsym.gamma_grid)
    ys = [r["heat_currents"][res]
          for r in evaluate_coarse_grained_dts(model, values, [float(x) for x in xs])]
    sw = Sweep("current-vs-dt", model.name, xs, "coarse-graining time dt (log scale)",
               y_label=f"heat current J_{res} (from reservoir {res} into the system)",
               title=_title(model, values))
    sw.curves.append(("coarse-grained J(dt)", np.array(ys, dtype=float),
                      dict(color="C2", lw=1.5, marker="o", ms=3)))
    sw.hlines.append((f"J_sec = {sec.heat_currents[res]:.4g}", float(sec.heat_currents[res]),
                      dict(color="C3", lw=1.2, ls="--")))
    sw.hlines.append((f"J_parsec = {par.heat_currents[res]:.4g}",
                      float(par.heat_currents[res]), dict(color="C0", lw=1.2, ls="--")))
    _mark_ladder(sw, dg)
    return sw


# ---------------------------------------------------------------------------------------------
# drawing and writing
# ---------------------------------------------------------------------------------------------

def render(sw: Sweep):
    """A matplotlib Figure of a sweep (Agg backend, no display needed)."""
    if sw.what == "noise-vs-omega":   # two panels: cgsym.statistics.figure
        from .statistics.figure import render_noise
        return render_noise(sw)
    import matplotlib
    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 5.2), layout="constrained")
    ax = fig.add_subplot()
    ax.set_xscale("log")
    if sw.y_log:
        ax.set_yscale("log")
    if sw.window:
        ax.axvspan(*sw.window, color="0.92", zorder=0,
                   label=sw.window_label)
    for label, y, style in sw.hlines:
        ax.axhline(y, label=label or None, **style)
    for label, y, style in sw.curves:
        yy = np.where(np.abs(y) > 0, np.abs(y), np.nan) if sw.y_log else y
        ax.plot(sw.x, yy, label=label, **style)
    lo, hi = sw.x[0], sw.x[-1]
    for label, x, style in sw.marks:
        if lo <= x <= hi:
            ax.axvline(x, label=label, **style)
    for label, x in sw.vlines:
        if lo <= x <= hi:
            ax.axvline(x, color="0.35", lw=0.8, ls=":")
            ax.annotate(label, (x, 1), xycoords=("data", "axes fraction"), rotation=90,
                        va="top", ha="right", fontsize=8, color="0.25",
                        xytext=(-2, -3), textcoords="offset points")
    ax.set_xlim(lo, hi)
    ax.set_xlabel(sw.x_label)
    ax.set_ylabel(sw.y_label)
    ax.set_title(sw.title, fontsize=10)
    ax.grid(True, which="major", alpha=0.3)
    n_entries = len(ax.get_legend_handles_labels()[0])
    if n_entries > 6:
        fig.set_size_inches(10.5, 5.6)
        fig.legend(fontsize=7, loc="outside right upper")
    else:
        ax.legend(fontsize=8, loc="best")
    if sw.notes:
        import textwrap
        fig.supxlabel("\n".join(textwrap.fill(n, 140) for n in sw.notes), fontsize=7,
                      color="0.3")
    return fig


def save_atomic(fig, path) -> str:
    """Write a figure to ``path`` (.png or .pdf) through a temporary file and a rename."""
    path = os.fspath(path)
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in (".png", ".pdf"):
        raise CgsymError(f"--out must end in .png or .pdf, got '{path}'")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise CgsymError(f"--out: folder '{folder}' does not exist")
    fd, tmp = tempfile.mkstemp(prefix=".cgsym-plot-", suffix=suffix, dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fig.savefig(fh, format=suffix[1:], dpi=130)
        # mkstemp creates the file 0600; a figure gets the usual permissions (0666 & ~umask)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except OSError as e:
        raise CgsymError(f"cannot write '{path}': {e.strerror or e}") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def check_out_path(path) -> None:
    """Reject a bad --out before any computation."""
    path = os.fspath(path)
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in (".png", ".pdf"):
        raise CgsymError(f"--out must end in .png or .pdf, got '{path}'")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise CgsymError(f"--out: folder '{folder}' does not exist")
