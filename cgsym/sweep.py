r"""Parameter sweeps: heat currents and steady-state entries over a grid.

``cgsym sweep MODEL --regime R [--weak-internal] --at NAME=VALUE ... --grid
NAME=START:STOP:COUNT[:log] ... --out table.csv|.parquet`` (or :func:`sweep` from
Python) evaluates, at every point of the grid (the product of the ``--grid`` axes,
the first axis slowest, the fixed ``--at`` values elsewhere):

``closed-form`` (default)
    the derived closed forms, lambdified once (:func:`cgsym.numerics.lambdify_expr`,
    ``cse=True``) and evaluated on the whole grid at once: 10^4 points in well
    under a second after the derivation.  The grid must lie in the closed forms'
    domain (slow << frequency), as for ``cgsym evaluate``.
``numeric``
    the independent numeric pipeline (:func:`cgsym.numerics.numeric_pipeline`),
    point by point;
``coarse-grained``
    the master equation at a finite coarse-graining time ``dt`` (Eq. 45,
    :func:`cgsym.finite_dt.evaluate_coarse_grained`), point by point.

Point-by-point methods show a ``tqdm`` progress bar on stderr and can run on Dask
(``pip install 'cgsym[sweep]'``): ``workers=N`` starts a local cluster of N worker
processes, ``scheduler=ADDRESS`` uses an existing one.  Each point is computed by the
same deterministic function wherever it runs and results are put back in grid
order, so a Dask sweep gives exactly the numbers of the serial one.

The table has one row per point: the grid parameters, ``J_<p>`` for every reservoir
(energy per unit time from reservoir p into the system, hbar = k_B = 1), and the
steady state in the product basis as ``rho_re[a;b]`` / ``rho_im[a;b]`` for a <= b
(rho is Hermitian; ``a``, ``b`` are basis labels such as ``e,g``).

Examples
--------
>>> from cgsym.sweep import sweep, Axis
>>> t = sweep("tunnelling-qubit", "partial-secular", weak_internal=True,
...           fixed=dict(omega_S=1, gamma=0.01, T_l=1, T_r=0.5),
...           axes=[Axis.parse("Omega=0.001:0.1:5:log")])
>>> t.columns[:3], len(t)
(('Omega', 'J_l', 'J_r'), 5)
>>> t["J_l"].round(6).tolist()                      # J_parsec vanishes as Omega -> 0
[3e-06, 3e-05, 0.000209, 0.000513, 0.0006]
"""
from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from .errors import CgsymError

METHODS = ("closed-form", "numeric", "coarse-grained")
#: a grid larger than this is refused (the table would not fit in memory anyway)
MAX_POINTS = 10 ** 7

__all__ = ["Axis", "METHODS", "SweepTable", "sweep", "validity_warnings", "write_table"]


@dataclass(frozen=True)
class Axis:
    """One swept parameter: ``name`` and its ``values`` (linear or logarithmic grid)."""

    name: str
    values: tuple[float, ...]

    @classmethod
    def parse(cls, text: str) -> "Axis":
        """``NAME=START:STOP:COUNT[:log]``, e.g. ``Omega=0.001:0.1:50:log``."""
        if "=" not in text:
            raise CgsymError(f"--grid expects NAME=START:STOP:COUNT[:log], got '{text}'")
        name, spec = (s.strip() for s in text.split("=", 1))
        parts = spec.split(":")
        if len(parts) not in (3, 4) or (len(parts) == 4 and parts[3] not in ("log", "lin")):
            raise CgsymError(f"--grid {name}: expected START:STOP:COUNT[:log], got '{spec}'")
        try:
            start, stop = float(parts[0]), float(parts[1])
        except ValueError:
            raise CgsymError(f"--grid {name}: '{parts[0]}:{parts[1]}' are not numbers") from None
        try:
            count = int(parts[2])
        except ValueError:
            raise CgsymError(f"--grid {name}: the count '{parts[2]}' is not an integer") from None
        if not (math.isfinite(start) and math.isfinite(stop)):
            raise CgsymError(f"--grid {name}: the bounds must be finite numbers")
        if start <= 0 or stop <= 0:
            raise CgsymError(f"--grid {name}: every parameter is positive, got {start:g}:{stop:g}")
        if count < 1:
            raise CgsymError(f"--grid {name}: the count must be at least 1, got {count}")
        if count > MAX_POINTS:
            raise CgsymError(f"--grid {name}: {count} points is more than {MAX_POINTS}")
        log = len(parts) == 4 and parts[3] == "log"
        vals = np.geomspace(start, stop, count) if log else np.linspace(start, stop, count)
        return cls(name, tuple(float(v) for v in vals))


@dataclass(frozen=True)
class SweepTable:
    """The result of a sweep: named columns of equal length (NumPy arrays)."""

    columns: tuple[str, ...]
    data: tuple[np.ndarray, ...]
    meta: tuple[tuple[str, str], ...] = ()

    def __len__(self) -> int:
        return len(self.data[0]) if self.data else 0

    def __getitem__(self, name: str) -> np.ndarray:
        try:
            return self.data[self.columns.index(name)]
        except ValueError:
            raise CgsymError(f"the table has no column '{name}' (columns: "
                             f"{', '.join(self.columns)})") from None

    def to_dict(self) -> dict[str, np.ndarray]:
        return dict(zip(self.columns, self.data))


def grid(fixed: Mapping, axes: Sequence[Axis], model) -> dict[str, np.ndarray]:
    """{name: 1-d array over all points} for every model parameter (first axis slowest)."""
    names = [a.name for a in axes]
    for a in axes:
        model.parameter(a.name)
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise CgsymError(f"--grid gives '{sorted(dup)[0]}' twice")
    both = sorted(set(names) & set(fixed))
    if both:
        raise CgsymError(f"'{both[0]}' is both swept (--grid) and fixed (--at)")
    missing = [p.name for p in model.parameters if p.name not in fixed and p.name not in names]
    if missing:
        raise CgsymError(f"--at is missing parameter(s): {', '.join(missing)}")
    size = math.prod(len(a.values) for a in axes) if axes else 1
    if size > MAX_POINTS:
        raise CgsymError(f"the grid has {size} points, more than {MAX_POINTS}")
    mesh = np.meshgrid(*[np.asarray(a.values) for a in axes], indexing="ij") if axes else []
    out = {}
    for p in model.parameters:
        if p.name in names:
            out[p.name] = mesh[names.index(p.name)].reshape(-1)
        else:
            out[p.name] = np.full(size, float(fixed[p.name]))
    return out


def _columns(model) -> tuple[list[str], list[tuple[str, int, int]]]:
    cur = [f"J_{r.name}" for r in model.reservoirs]
    rho = []
    for i, a in enumerate(model.basis):
        for j in range(i, model.dim):
            b = model.basis[j]
            rho.append((f"rho_re[{a};{b}]", i, j))
            if i != j:
                rho.append((f"rho_im[{a};{b}]", i, j))
    return cur, rho


def _closed_form(model, regime, weak, points, timeout):
    from .derivation import derive, time_limit
    from .numerics import check_closed_form_domain, lambdify_expr
    with time_limit(timeout):
        d = derive(model, regime, weak)
    check_closed_form_domain(d.spectrum, points)
    d.steady_state.require_unique()
    n = len(next(iter(points.values())))
    out = {}
    for name, e in d.heat_currents.currents:
        out[f"J_{name}"] = np.real(np.broadcast_to(lambdify_expr(e, model)(points), (n,)))
    _, rho_cols = _columns(model)
    M = d.steady_state.matrix
    entries = {}
    for col, i, j in rho_cols:
        if (i, j) not in entries:        # one lambdify per entry (re and im share it)
            f = lambdify_expr(M[i, j], model)
            entries[i, j] = np.broadcast_to(np.asarray(f(points), dtype=complex), (n,))
        v = entries[i, j]
        out[col] = v.imag.copy() if col.startswith("rho_im") else v.real.copy()
    return out


def evaluate_point(model, regime: str, weak: bool, method: str, dt, values: dict) -> np.ndarray:
    """One row (currents, then steady-state entries) at one point: the per-point work
    of the ``numeric`` and ``coarse-grained`` methods, the same function serially and
    on every Dask worker."""
    if method == "numeric":
        from .numerics import numeric_pipeline
        res = numeric_pipeline(model, values, regime, weak)
        if res.steady_state is None:
            raise CgsymError(f"the steady state is not unique at {values} (kernel dimension "
                             f"{res.kernel_dimension})")
        rho, J = np.asarray(res.steady_state), res.heat_currents
    else:
        from .finite_dt import evaluate_coarse_grained
        res = evaluate_coarse_grained(model, values, dt)
        rho, J = np.asarray(res["steady_state"]), res["heat_currents"]
    rho = rho.reshape(model.dim, model.dim)
    row = [float(np.real(J[r.name])) for r in model.reservoirs]
    _, rho_cols = _columns(model)
    row += [float(rho[i, j].imag if c.startswith("rho_im") else rho[i, j].real)
            for c, i, j in rho_cols]
    return np.asarray(row)


def _progress(total, show):
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, disable=not show, file=sys.stderr, unit="pt", leave=True)


def _dask_client(workers, scheduler, processes=True):
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise CgsymError("--workers and --scheduler need Dask: pip install 'cgsym[sweep]'") \
            from None
    if scheduler:
        try:
            return Client(scheduler, timeout="10s"), None
        except (OSError, TimeoutError) as e:
            raise CgsymError(f"--scheduler {scheduler}: cannot connect ({e})") from None
    cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=processes,
                           dashboard_address=":0")
    return Client(cluster), cluster


def _per_point(model, regime, weak, method, dt, points, workers, scheduler, progress,
               processes=True):
    n = len(next(iter(points.values())))
    rows = [None] * n
    names = list(points)
    at = [{k: float(points[k][i]) for k in names} for i in range(n)]
    bar = _progress(n, progress)
    try:
        if workers is None and scheduler is None:
            for i, v in enumerate(at):
                rows[i] = evaluate_point(model, regime, weak, method, dt, v)
                if bar is not None:
                    bar.update(1)
        else:
            from dask.distributed import as_completed
            client, cluster = _dask_client(workers, scheduler, processes)
            try:
                futs = client.map(evaluate_point, [model] * n, [regime] * n, [weak] * n,
                                  [method] * n, [dt] * n, at, pure=False)
                index = {f.key: i for i, f in enumerate(futs)}
                for fut in as_completed(futs):
                    try:
                        rows[index[fut.key]] = fut.result()
                    except CgsymError:
                        raise
                    except Exception as e:  # noqa: BLE001 - a worker's error, one line
                        raise CgsymError(f"a sweep point failed on a Dask worker: "
                                         f"{type(e).__name__}: {e}") from None
                    if bar is not None:
                        bar.update(1)
            finally:
                client.close()
                if cluster is not None:
                    cluster.close()
    finally:
        if bar is not None:
            bar.close()
    table = np.vstack(rows) if rows else np.zeros((0, 0))
    cur, rho_cols = _columns(model)
    cols = cur + [c for c, _, _ in rho_cols]
    return {c: table[:, k].copy() for k, c in enumerate(cols)}


#: how many grid points the validity diagnostics visit (the corners first, then evenly spaced)
CHECKED_POINTS = 40


def _checked_indices(axes: Sequence[Axis], n: int) -> list[int]:
    """Grid indices to diagnose: every corner (each axis at an end; the ordering of the
    scales is monotone along an axis in the usual models), then evenly spaced points."""
    sizes = [len(a.values) for a in axes]
    corners = set()
    for bits in range(2 ** len(sizes)):
        idx = 0
        for k, size in enumerate(sizes):
            idx = idx * size + ((size - 1) if bits >> k & 1 else 0)
        corners.add(idx)
    chosen = sorted(corners)[:CHECKED_POINTS]
    rest = CHECKED_POINTS - len(chosen)
    if rest > 0 and n > len(chosen):
        chosen += [int(i) for i in np.linspace(0, n - 1, rest).round()]
    return sorted(set(chosen))


def validity_warnings(model, regime: str, weak: bool, dt, points: Mapping,
                      axes: Sequence[Axis]) -> list[str]:
    """The validity diagnostics (:func:`cgsym.diagnostics.diagnose`, as ``cgsym evaluate``
    warns at its point) at up to :data:`CHECKED_POINTS` grid points: one message per
    distinct failed ordering, with how many checked points fail and the first of them."""
    from .diagnostics import diagnose
    n = len(next(iter(points.values())))
    checked = _checked_indices(axes, n)
    failures: dict[str, list] = {}
    for i in checked:
        at = {k: float(v[i]) for k, v in points.items()}
        try:
            dg = diagnose(model, at, regime, dt=dt, weak_internal=weak)
        except CgsymError:
            continue
        for msg in dg.warnings(include_marginal=False):
            key = msg.split(" (", 1)[0]          # the ordering, without the numbers
            failures.setdefault(key, []).append((at, msg))
    out = []
    for fails in failures.values():
        at, msg = fails[0]
        where = ", ".join(f"{a.name}={at[a.name]:.4g}" for a in axes)
        out.append(f"at {len(fails)} of {len(checked)} checked grid points (first: {where}): "
                   f"{msg}")
    return out


def sweep(model, regime: str, fixed: Mapping, axes: Sequence[Axis], weak_internal: bool = False,
          method: str = "closed-form", dt: float | None = None, workers: int | None = None,
          scheduler: str | None = None, progress: bool = False, timeout: float | None = None,
          processes: bool = True, check: bool = True) -> SweepTable:
    """Heat currents and steady-state entries of ``model`` over a grid (see the module).

    Parameters
    ----------
    model : Model or str
    regime : {"secular", "partial-secular", "coarse-grained"}
        ``coarse-grained`` implies ``method="coarse-grained"`` and needs ``dt``.
    fixed : mapping
        name -> value of every parameter that is not swept.
    axes : sequence of :class:`Axis`
        the swept parameters (``Axis.parse("Omega=0.001:0.1:50:log")``).
    method : {"closed-form", "numeric", "coarse-grained"}
    workers, scheduler : Dask local cluster size, or the address of a running scheduler
        (per-point methods only).  ``processes=False`` runs the local cluster's
        workers as threads in this process.
    progress : bool
        a tqdm progress bar on stderr for per-point work.
    check : bool
        run the validity diagnostics at up to :data:`CHECKED_POINTS` grid points and warn
        (:class:`cgsym.errors.CgsymWarning`) where the regime is outside its window, as
        ``cgsym evaluate`` does at its point (:func:`validity_warnings`).
    """
    from .model import load_model
    from .numerics import _check_values
    from .rates import check_regime
    model = load_model(model)
    if regime == "coarse-grained":
        if method not in ("closed-form", "coarse-grained"):
            raise CgsymError(f"--regime coarse-grained is evaluated point by point; "
                             f"--method {method} does not apply")
        method = "coarse-grained"
    if method not in METHODS:
        raise CgsymError(f"unknown method '{method}' (methods: {', '.join(METHODS)})")
    if method == "coarse-grained":
        if weak_internal:
            raise CgsymError("--weak-internal does not apply to the coarse-grained regime "
                             "(the finite-dt rates use the exact Bohr frequencies)")
        if dt is None or not (math.isfinite(dt) and dt > 0):
            raise CgsymError("the coarse-grained method needs --dt, a positive, finite "
                             "coarse-graining time")
        regime = "coarse-grained"
    else:
        check_regime(regime)
        if dt is not None:
            raise CgsymError("--dt is only meaningful with the coarse-grained method")
    if method == "closed-form" and (workers is not None or scheduler is not None):
        raise CgsymError("the closed-form sweep is vectorised in one process; --workers and "
                         "--scheduler apply to --method numeric or coarse-grained")
    if workers is not None and scheduler is not None:
        raise CgsymError("give --workers (a local cluster) or --scheduler (an existing one), "
                         "not both")
    if workers is not None and workers < 1:
        raise CgsymError(f"--workers must be at least 1, got {workers}")
    pts = grid(fixed, axes, model)
    _check_values(model, pts)                 # finite and positive, every parameter
    if method == "closed-form":
        cols = _closed_form(model, regime, weak_internal, pts, timeout)
    else:
        cols = _per_point(model, regime, weak_internal, method, dt, pts, workers, scheduler,
                          progress, processes)
    if check:                                 # after the sweep: an error stays one line
        import warnings
        from .errors import CgsymWarning
        for msg in validity_warnings(model, regime, weak_internal, dt, pts, axes):
            warnings.warn(msg, CgsymWarning, stacklevel=2)
    names = [a.name for a in axes]
    columns = tuple(names) + tuple(cols)
    data = tuple(pts[n] for n in names) + tuple(cols.values())
    meta = (("model", model.name), ("regime", regime), ("weak_internal", str(weak_internal)),
            ("method", method), ("dt", "" if dt is None else repr(dt)),
            ("fixed", " ".join(f"{k}={v!r}" for k, v in fixed.items())))
    return SweepTable(columns, data, meta)


def check_out_path(path) -> None:
    """Reject a bad ``--out`` (suffix, missing directory, no pyarrow for .parquet) before
    any point is computed."""
    from pathlib import Path
    p = Path(path)
    if p.suffix not in (".csv", ".parquet"):
        raise CgsymError(f"--out must end in .csv or .parquet, got '{path}'")
    if p.parent and not p.parent.is_dir():
        raise CgsymError(f"--out {path}: the directory '{p.parent}' does not exist")
    if p.suffix == ".parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise CgsymError("writing .parquet needs pyarrow: pip install 'cgsym[parquet]' "
                             "(or write .csv)") from None


def write_table(table: SweepTable, path: str) -> str:
    """Write ``table`` as CSV (``.csv``; numbers with 17 significant digits, so they
    read back exactly) or Parquet (``.parquet``, needs pyarrow)."""
    import os
    from pathlib import Path
    check_out_path(path)
    p = Path(path)
    tmp = p.with_name(p.name + ".part")
    if p.suffix == ".csv":
        import csv
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(table.columns)
            for row in zip(*table.data):
                w.writerow([repr(float(x)) for x in row])
    else:
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError:
            raise CgsymError("writing .parquet needs pyarrow: pip install 'cgsym[parquet]' "
                             "(or write .csv)") from None
        t = pa.table({c: np.asarray(v) for c, v in zip(table.columns, table.data)})
        t = t.replace_schema_metadata({k: v for k, v in table.meta})
        pq.write_table(t, tmp)
    os.replace(tmp, p)
    return str(p)
