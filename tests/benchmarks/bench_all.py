"""The benchmark suite of issue 7 ("Performance and scale"), in one command.

    python tests/benchmarks/bench_all.py                 # everything, prints markdown tables
    python tests/benchmarks/bench_all.py --limit 60      # naive-route time limit (default 120 s)
    python tests/benchmarks/bench_all.py --only naive,numerics --reach-limit 100

Every case runs in a fresh subprocess (``python bench_all.py --worker CASE``), so
imports are cold and the peak memory (``ru_maxrss`` of that one child, from
``os.wait4``) is per case.  A case that exceeds its time limit is killed; it is
reported as "> limit", and for the reach cases the Python stack at the moment of
the kill (``faulthandler`` on SIGUSR1) says which stage was running.

Groups (``--only``):

* ``cli``      -- cold ``cgsym derive ... --format json`` (the cases of bench_derive.py);
* ``symbolic`` -- ``cgsym.derive`` of two-qubits-two-baths, partial-secular, with and
  without ``weak_internal`` (steady state + heat currents);
* ``naive``    -- the same 16x16 Liouvillian (``MasterEquation.liouvillian()``),
  kernel by ``sympy.Matrix.nullspace()`` with default settings, trace
  normalisation, J_p = Tr[H D_p[rho]] and ``cancel`` (``--naive-methods`` adds
  ``linsolve``: L v = 0 plus the trace row, ``sympy.linsolve``);
* ``numerics`` -- the derived J_h (weak internal) lambdified and evaluated over
  10^6 random points, against QuTiP (``tests/qutip_oracle.py``) and the numpy
  pipeline (``cgsym.numerics.numeric_pipeline``) on a sample of 200;
* ``reach``    -- stage-by-stage derivation (partial-secular, weak internal) for
  models of growing Hilbert-space dimension, each checked against the numeric
  pipeline at an odd point;
* ``paper``    -- cold ``cgsym reproduce --out <tmpdir>``.

Times: "wall" is the whole subprocess (interpreter start, cold imports, work);
"compute" is the work only, measured inside the subprocess.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
MODELS = HERE / "models"

SHIPPED = "two-qubits-two-baths"
REGIME = "partial-secular"
NAIVE_LIMIT = 120.0
REACH_LIMIT = 300.0
PAPER_LIMIT = 300.0
NUMERICS_LIMIT = 600.0
N_POINTS = 10**6
N_SAMPLE = 200
SEED = 20260107

# targets of issue 7
TARGET_SPEED_RATIO = 1e4
TARGET_REL_DISAGREEMENT = 1e-10
TARGET_THREE_QUBITS = 60.0
TARGET_PAPER = 20.0
TARGET_NAIVE_RATIO = 100.0

#: cold ``cgsym derive`` from the command line: (label, argv, target seconds or None)
CLI_CASES = [
    ("derive two-qubits-two-baths partial-secular --weak-internal",
     ["derive", "two-qubits-two-baths", "--regime", "partial-secular", "--weak-internal",
      "--format", "json"], 5.0),
    ("derive two-qubits-two-baths partial-secular",
     ["derive", "two-qubits-two-baths", "--regime", "partial-secular", "--format", "json"], 60.0),
    ("derive tunnelling-qubit partial-secular --weak-internal",
     ["derive", "tunnelling-qubit", "--regime", "partial-secular", "--weak-internal",
      "--format", "json"], None),
    ("derive tunnelling-qubit secular",
     ["derive", "tunnelling-qubit", "--regime", "secular", "--format", "json"], None),
]
CLI_LIMIT = 300.0

#: sampling ranges for the closed-form vs numerics comparison
RANGES = {"omega_S": (0.5, 2.0), "Omega": (0.01, 0.1), "gamma_h": (0.001, 0.05),
          "gamma_c": (0.001, 0.05), "T_h": (0.3, 3.0), "T_c": (0.3, 3.0)}

#: reach models: (case, label, model path or name)
REACH = [
    ("reach-2q", "two qubits (shipped two-qubits-two-baths)", SHIPPED),
    ("reach-osc", "qubit + 3-level oscillator (JC, slow g)", str(MODELS / "qubit-oscillator.toml")),
    ("reach-3q", "three-qubit chain", str(MODELS / "three-qubit-chain.toml")),
    ("reach-4q", "four-qubit chain", str(MODELS / "four-qubit-chain.toml")),
]

#: an odd parameter point (by role; the rate/temperature lists go to the reservoirs in order)
ODD = {"frequency": [1.0], "slow": [0.0371], "rate": [0.0123, 0.0077],
       "temperature": [2.3, 0.71]}


# ---------------------------------------------------------------------------
# helpers shared by the workers
# ---------------------------------------------------------------------------
def _emit(kind, payload):
    print(kind, json.dumps(payload), flush=True)


def _stage(name, fn, *args, stages):
    _emit("STAGE", {"name": name, "epoch": time.time()})
    t = time.perf_counter()
    out = fn(*args)
    stages[name] = time.perf_counter() - t
    return out


def _odd_point(model):
    by_role = {k: list(v) for k, v in ODD.items()}
    out = {}
    for p in model.parameters:
        vals = by_role[p.role]
        out[p.name] = vals.pop(0) if len(vals) > 1 else vals[0]
    return out


def _check_against_numeric(derivation):
    """Max relative difference of J_p and of rho (symbolic vs numeric pipeline) at an odd point."""
    import numpy as np
    from cgsym.numerics import lambdify_expr, numeric_pipeline
    model = derivation.model
    point = _odd_point(model)
    num = numeric_pipeline(model, point, derivation.regime, derivation.weak_internal)
    rel_J = 0.0
    J = {}
    for p, expr in derivation.heat_currents.currents:
        sym = float(lambdify_expr(expr, model)(point))
        ref = float(num.heat_currents[p])
        J[p] = (sym, ref)
        rel_J = max(rel_J, abs(sym - ref) / abs(ref))
    rho = np.asarray(lambdify_expr(derivation.steady_state.matrix, model)(point), dtype=complex)
    rel_rho = float(np.max(np.abs(rho - num.steady_state)) / np.max(np.abs(num.steady_state)))
    return {"point": point, "rel_J": rel_J, "rel_rho": rel_rho, "J": J}


# ---------------------------------------------------------------------------
# workers (each runs in its own subprocess)
# ---------------------------------------------------------------------------
def worker_symbolic(weak):
    t0 = time.perf_counter()
    import cgsym
    t_import = time.perf_counter() - t0
    _emit("READY", {"epoch": time.time()})
    t = time.perf_counter()
    d = cgsym.derive(SHIPPED, REGIME, weak)
    compute = time.perf_counter() - t
    _emit("DONE", {"epoch": time.time()})
    J = {p: str(e) for p, e in d.heat_currents.currents}
    return {"compute": compute, "import": t_import, "J": J,
            "check": _check_against_numeric(d)}


def worker_naive(weak, method):
    import sympy as sp
    import cgsym
    from cgsym.operators import unvec
    model = cgsym.load_model(SHIPPED)
    r = cgsym.rates(cgsym.eigenoperators(model), REGIME, weak)
    me = cgsym.master_equation(r)
    L = sp.Matrix(me.liouvillian())
    d = me.dim
    _emit("READY", {"epoch": time.time()})
    t = time.perf_counter()
    if method == "nullspace":
        ns = L.nullspace()
        if len(ns) != 1:
            return {"compute": time.perf_counter() - t, "error": f"kernel dimension {len(ns)}"}
        v = ns[0]
        v = v / sum(v[k * d + k] for k in range(d))
    else:  # linsolve: L v = 0 with the trace row appended
        xs = sp.symbols(f"x0:{d * d}")
        trace_row = sp.Matrix([[1 if k % d == k // d else 0 for k in range(d * d)]])
        A = L.col_join(trace_row)
        b = sp.zeros(d * d, 1).col_join(sp.Matrix([1]))
        sol = sp.linsolve((A, b), xs)
        v = sp.Matrix(list(next(iter(sol))))
    t_solve = time.perf_counter() - t
    H = sp.Matrix(model.hamiltonian)
    J = {}
    for res in model.reservoirs:
        D = sp.Matrix(me.dissipator(res.name))
        J[res.name] = sp.cancel((H * unvec(D * v, d)).trace())
    compute = time.perf_counter() - t
    # is the naive answer right?  compare with cgsym at the odd point
    ref = cgsym.derive(SHIPPED, REGIME, weak).heat_currents.as_dict()
    point = {s: sp.Rational(str(x)) for s, x in
             ((p.symbol, _odd_point(model)[p.name]) for p in model.parameters)}
    rel = max(abs(float(((J[p] - ref[p]) / ref[p]).subs(point).evalf(30))) for p in J)
    return {"compute": compute, "solve": t_solve, "rel_vs_cgsym": rel}


def worker_closed_form(sample_path):
    import numpy as np
    import cgsym
    from cgsym.numerics import lambdify_expr
    t = time.perf_counter()
    d = cgsym.derive(SHIPPED, REGIME, True)
    t_derive = time.perf_counter() - t
    model = d.model
    expr = d.heat_currents.current("h")
    t = time.perf_counter()
    f = lambdify_expr(expr, model)
    t_lambdify = time.perf_counter() - t
    rng = np.random.default_rng(SEED)
    vals = {p.name: rng.uniform(*RANGES[p.name], N_POINTS) for p in model.parameters}
    runs = []
    for _ in range(3):
        t = time.perf_counter()
        out = f(vals)
        runs.append(time.perf_counter() - t)
    if not np.all(np.isfinite(out)):
        raise RuntimeError("non-finite closed-form values")
    # the plain sympy.lambdify route (explicit parameter order, cse) for comparison
    import sympy as sp
    from cgsym.numerics import _numeric_form
    args = [p.symbol for p in model.parameters]
    g = sp.lambdify(args, _numeric_form(expr), "numpy", cse=True)
    t = time.perf_counter()
    out2 = g(*[vals[p.name] for p in model.parameters])
    t_plain = time.perf_counter() - t
    sample = [{k: float(v[i]) for k, v in vals.items()} for i in range(N_SAMPLE)]
    Path(sample_path).write_text(json.dumps({"points": sample,
                                             "J_h": [float(x) for x in out[:N_SAMPLE]]}))
    return {"compute": t_derive + t_lambdify + runs[0], "derive": t_derive,
            "lambdify": t_lambdify, "eval_runs": runs, "eval_plain": t_plain,
            "n": N_POINTS, "plain_max_rel": float(np.max(np.abs(out2 - out) / np.abs(out))),
            "expr": str(expr)}


def worker_qutip(sample_path):
    import warnings
    import numpy as np
    sys.path.insert(0, str(TESTS))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import qutip
        from qutip_oracle import oracle
    import cgsym
    from cgsym.numerics import numeric_pipeline
    data = json.loads(Path(sample_path).read_text())
    pts, cf = data["points"], np.array(data["J_h"])
    model = cgsym.load_model(SHIPPED)
    oracle(model, pts[0], REGIME, True)          # warm-up (QuTiP's lazy imports)
    t = time.perf_counter()
    res = [oracle(model, p, REGIME, True) for p in pts]
    t_oracle = (time.perf_counter() - t) / len(pts)
    Jq = np.array([r.heat_currents["h"] for r in res])
    # lower bound of any QuTiP route: only qutip.steadystate + J on the prebuilt Liouvillian
    d = model.dim
    sdims = [[[d], [d]], [[d], [d]]]
    prebuilt = []
    for p, r in zip(pts, res):
        H = qutip.Qobj(np.asarray(_hamiltonian_at(model, p), dtype=complex))
        prebuilt.append((qutip.Qobj(r.liouvillian, dims=sdims, superrep="super"),
                         qutip.Qobj(r.dissipators["h"], dims=sdims, superrep="super"), H))
    t = time.perf_counter()
    Jcore = []
    for L, D, H in prebuilt:
        rho = qutip.steadystate(L)
        Jcore.append(float(np.real((H * qutip.vector_to_operator(
            D * qutip.operator_to_vector(rho))).tr())))
    t_core = (time.perf_counter() - t) / len(pts)
    numeric_pipeline(model, pts[0], REGIME, True)
    t = time.perf_counter()
    Jn = np.array([numeric_pipeline(model, p, REGIME, True).heat_currents["h"] for p in pts])
    t_numeric = (time.perf_counter() - t) / len(pts)

    def rel(a):
        return float(np.max(np.abs(cf - a) / np.abs(a)))

    return {"compute": (t_oracle + t_core + t_numeric) * len(pts), "n": len(pts),
            "per_point_oracle": t_oracle, "per_point_core": t_core,
            "per_point_numeric": t_numeric, "rel_oracle": rel(Jq),
            "rel_core": rel(np.array(Jcore)), "rel_numeric": rel(Jn),
            "min_abs_J": float(np.min(np.abs(Jq)))}


def _hamiltonian_at(model, point):
    import sympy as sp
    subs = {p.symbol: sp.Float(point[p.name], 30) for p in model.parameters}
    return sp.Matrix(model.hamiltonian).subs(subs).evalf(30)


def worker_reach(path):
    import faulthandler
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    import sympy as sp
    import cgsym
    from cgsym.derivation import Derivation
    model = cgsym.load_model(path)
    _emit("READY", {"epoch": time.time(), "dim": model.dim})
    stages = {}
    t = time.perf_counter()
    spec = _stage("eigenoperators", cgsym.eigenoperators, model, stages=stages)
    r = _stage("rates", cgsym.rates, spec, REGIME, True, stages=stages)
    me = _stage("master_equation", cgsym.master_equation, r, stages=stages)
    _stage("liouvillian", me.liouvillian, stages=stages)   # cached; steady_state reuses it
    ss = _stage("steady_state", cgsym.steady_state, me, stages=stages)
    hc = _stage("heat_currents", cgsym.heat_currents, ss, stages=stages) if ss.unique else None
    compute = time.perf_counter() - t
    _emit("DONE", {"epoch": time.time()})
    out = {"compute": compute, "stages": stages, "dim": model.dim,
           "kernel_dimension": ss.kernel_dimension}
    if hc is not None:
        d = Derivation(model, REGIME, True, spec, r, me, ss, hc)
        _emit("STAGE", {"name": "check", "epoch": time.time()})
        t = time.perf_counter()
        out["check"] = _check_against_numeric(d)
        out["check_time"] = time.perf_counter() - t
        out["ops_J"] = {p: int(sp.count_ops(e)) for p, e in hc.currents}
    return out


WORKERS = {
    "cgsym-weak": lambda a: worker_symbolic(True),
    "cgsym-full": lambda a: worker_symbolic(False),
    "naive-weak": lambda a: worker_naive(True, a.method),
    "naive-full": lambda a: worker_naive(False, a.method),
    "closed-form": lambda a: worker_closed_form(a.sample),
    "qutip": lambda a: worker_qutip(a.sample),
    **{case: (lambda a, _p=path: worker_reach(_p)) for case, _l, path in REACH},
}


# ---------------------------------------------------------------------------
# driver
# ---------------------------------------------------------------------------
@dataclass
class Run:
    case: str
    wall: float
    peak_mib: float
    timed_out: bool
    limit: float
    rc: int | None
    result: dict | None = None
    events: list = field(default_factory=list)
    ready_epoch: float | None = None
    spawn_epoch: float | None = None
    done_epoch: float | None = None
    kill_epoch: float | None = None
    stack: str = ""
    stderr: str = ""
    stdout: str = ""

    @property
    def ok(self):
        return not self.timed_out and self.rc == 0 and self.result is not None

    @property
    def to_result(self):
        """Cold start (spawn) to result in hand; the whole wall time if there is no DONE mark."""
        if self.ok and self.done_epoch is not None:
            return self.done_epoch - self.spawn_epoch
        return self.wall

    @property
    def compute(self):
        return self.result["compute"] if self.ok else None

    def last_stage(self):
        st = [e for k, e in self.events if k == "STAGE"]
        return st[-1] if st else None


def _wait(proc, limit, sigusr1):
    """Wait for proc (own session) with a time limit; return (status, rusage, timed_out, kill_epoch)."""
    deadline = time.perf_counter() + limit
    while True:
        pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            return status, ru, False, None
        if time.perf_counter() >= deadline:
            kill_epoch = time.time()
            if sigusr1:
                try:
                    os.kill(proc.pid, signal.SIGUSR1)   # faulthandler: dump the stack
                except ProcessLookupError:
                    pass
                time.sleep(1.0)
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            pid, status, ru = os.wait4(proc.pid, 0)
            return status, ru, True, kill_epoch
        time.sleep(0.02)


def run_argv(argv, limit, sigusr1=False, case="") -> Run:
    """Run argv in a fresh subprocess (own session) with a time limit.

    Returns wall time, the peak RSS of that child alone (``os.wait4``; a killed
    child's peak is its peak at the kill), its stdout protocol lines and result.
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        spawn_epoch = time.time()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, start_new_session=True,
                                cwd=str(TESTS.parent))
        status, ru, timed_out, kill_epoch = _wait(proc, limit, sigusr1)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    run = Run(case, wall, ru.ru_maxrss / 1024.0, timed_out, limit,
              None if timed_out else proc.returncode, kill_epoch=kill_epoch, stderr=stderr,
              spawn_epoch=spawn_epoch, stdout=stdout)
    for line in stdout.splitlines():
        kind, _, payload = line.partition(" ")
        if kind in ("STAGE", "READY", "DONE", "RESULT"):
            try:
                obj = json.loads(payload)
            except ValueError:
                continue
            run.events.append((kind, obj))
            if kind == "READY":
                run.ready_epoch = obj["epoch"]
            elif kind == "DONE":
                run.done_epoch = obj["epoch"]
            elif kind == "RESULT":
                run.result = obj
    if timed_out:
        run.stack = stderr
    return run


def run_case(case, limit, extra=(), sigusr1=False) -> Run:
    """Run one worker of this file in a fresh subprocess."""
    return run_argv([sys.executable, str(Path(__file__).resolve()), "--worker", case, *extra],
                    limit, sigusr1, case)


def run_cli(argv, limit=PAPER_LIMIT) -> Run:
    """Run ``python -m cgsym.cli ARGV`` in a fresh subprocess (what a user runs)."""
    run = run_argv([sys.executable, "-m", "cgsym.cli", *argv], limit, False, " ".join(argv))
    if run.rc == 0 and not run.timed_out:
        run.result = {"compute": run.wall}
    return run


def _paper_result(run):
    """Summary line and per-equation times from ``cgsym reproduce`` output."""
    lines = run.stdout.splitlines()
    last = [ln for ln in lines if "equations:" in ln]
    per_eq = []
    for ln in lines:
        f = ln.split()
        if len(f) == 4:
            try:
                per_eq.append((float(f[3]), f[0], f[1]))
            except ValueError:
                pass
    per_eq.sort(reverse=True)
    return {"compute": run.wall, "rc": run.rc, "summary": last[-1] if last else "",
            "equation_seconds": sum(x[0] for x in per_eq), "slowest": per_eq[:4],
            "stderr": run.stderr[-2000:]}


def _fmt_t(x):
    if x is None:
        return "-"
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def _fmt_e(x):
    return f"{x:.1e}" if x is not None else "-"


def _where(run):
    """For a killed run: the stage it was in and the innermost cgsym/sympy frames."""
    st = run.last_stage()
    stage = ""
    if st:
        stage = f"in {st['name']} for {run.kill_epoch - st['epoch']:.0f} s"
    frames = []
    for ln in run.stack.splitlines():
        ln = ln.strip()
        if ln.startswith("File ") and (" in " in ln):
            path = ln.split('"')[1]
            fn = ln.rsplit(" in ", 1)[1]
            if "/cgsym/" in path or "/sympy/" in path or "flint" in path:
                pkg = "cgsym" if "/cgsym/" in path else ("sympy" if "/sympy/" in path else "flint")
                frames.append(f"{pkg}.{Path(path).stem}.{fn}")
    # faulthandler prints innermost first
    cg = [f for f in frames if f.startswith("cgsym.")]
    where = ""
    if cg:
        where = cg[0]
        if frames and frames[0] != cg[0]:
            where += f" → {frames[0]}"
    return stage, where


class Report:
    def __init__(self):
        self.lines = []

    def __call__(self, s=""):
        print(s, flush=True)
        self.lines.append(s)


def _progress(msg):
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=float, default=NAIVE_LIMIT,
                    help="time limit of each naive-SymPy case, s (default 120)")
    ap.add_argument("--reach-limit", type=float, default=REACH_LIMIT,
                    help="time limit of each reach case, s (default 300)")
    ap.add_argument("--only", default="cli,symbolic,naive,numerics,reach,paper",
                    help="comma-separated groups: cli,symbolic,naive,numerics,reach,paper")
    ap.add_argument("--naive-methods", default="nullspace",
                    help="comma-separated: nullspace,linsolve (default nullspace)")
    ap.add_argument("--markdown", default=None, help="also write the tables to this file")
    ap.add_argument("--json", default=None, help="also write the raw measurements here")
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--method", default="nullspace", help=argparse.SUPPRESS)
    ap.add_argument("--sample", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        sys.path.insert(0, str(TESTS.parent))
        result = WORKERS[a.worker](a)
        _emit("RESULT", result)
        return 0

    groups = set(a.only.split(","))
    runs = collect(groups, a.limit, a.reach_limit, a.naive_methods.split(","))
    lines = render(runs, a.limit, a.reach_limit)
    if a.markdown:
        Path(a.markdown).write_text("\n".join(lines) + "\n")
    if a.json:
        Path(a.json).write_text(json.dumps({k: {"wall": r.wall, "peak_mib": r.peak_mib,
                                                "timed_out": r.timed_out, "rc": r.rc,
                                                "result": r.result}
                                            for k, r in runs.items()}, indent=1, default=str))
    return 0


def collect(groups, limit=NAIVE_LIMIT, reach_limit=REACH_LIMIT, naive_methods=("nullspace",)):
    """Run the selected groups; return {key: Run}."""
    runs = {}

    def go(key, case, lim, extra=(), sigusr1=False):
        _progress(f"{key} (limit {lim:g} s) ...")
        r = run_case(case, lim, extra, sigusr1)
        _progress(f"{key}: {r.wall:.1f} s wall, {r.peak_mib:.0f} MiB"
                  + (" [time limit]" if r.timed_out else "")
                  + ("" if r.timed_out or r.ok else f" [FAILED rc={r.rc}]\n{r.stderr[-3000:]}"))
        runs[key] = r
        return r

    if "cli" in groups:
        for label, argv, target in CLI_CASES:
            _progress(f"cli: {label} ...")
            r = run_cli(argv, CLI_LIMIT)
            _progress(f"cli: {r.wall:.1f} s wall, {r.peak_mib:.0f} MiB"
                      + (" [time limit]" if r.timed_out else ""))
            runs[f"cli: {label}"] = r
    if "symbolic" in groups or "naive" in groups:
        go("cgsym-weak", "cgsym-weak", 120)
        go("cgsym-full", "cgsym-full", 300)
    if "naive" in groups:
        for m in naive_methods:
            go(f"naive-weak-{m}", "naive-weak", limit, ("--method", m))
            go(f"naive-full-{m}", "naive-full", limit, ("--method", m))
    if "numerics" in groups:
        with tempfile.TemporaryDirectory() as tmp:
            sample = str(Path(tmp) / "sample.json")
            r = go("closed-form", "closed-form", NUMERICS_LIMIT, ("--sample", sample))
            if r.ok:
                go("qutip", "qutip", NUMERICS_LIMIT, ("--sample", sample))
    if "reach" in groups:
        for case, _label, _path in REACH:
            go(case, case, reach_limit, (), sigusr1=True)
    if "paper" in groups:
        _progress(f"paper (limit {PAPER_LIMIT:g} s) ...")
        with tempfile.TemporaryDirectory() as tmp:
            r = run_cli(["reproduce", "--out", tmp], PAPER_LIMIT)
        if not r.timed_out:
            r.result = _paper_result(r)
        _progress(f"paper: {r.wall:.1f} s wall, {r.peak_mib:.0f} MiB")
        runs["paper"] = r
    return runs


def render(runs, limit=NAIVE_LIMIT, reach_limit=REACH_LIMIT):
    out = Report()
    import platform
    out(f"cgsym benchmarks — {time.strftime('%Y-%m-%d %H:%M')}, Python "
        f"{platform.python_version()}, {os.cpu_count()} cores; every case a fresh subprocess "
        f"(cold imports); peak = ru_maxrss of that subprocess")
    out()

    # 0. cold CLI ------------------------------------------------------------
    cli = [(label, target) for label, _argv, target in CLI_CASES if f"cli: {label}" in runs]
    if cli:
        out("### 0. Cold command line (`python -m cgsym.cli ... --format json`)")
        out()
        out("| command | wall s | peak MiB | target s |")
        out("|---|---:|---:|---:|")
        for label, target in cli:
            r = runs[f"cli: {label}"]
            t = _fmt_t(r.wall) if r.ok else (f"> {r.limit:g}" if r.timed_out else f"rc {r.rc}")
            out(f"| `{label}` | {t} | {r.peak_mib:.0f} | {f'≤ {target:g}' if target else '-'} |")
        out()

    # 1. symbolic vs naive ---------------------------------------------------
    sym = [k for k in ("cgsym-weak", "cgsym-full") if k in runs]
    if sym:
        out("### 1. Symbolic pipeline vs naive SymPy (two-qubits-two-baths, partial-secular, "
            "steady state + J_h, J_c)")
        out()
        out("| route | weak internal | wall s (cold start → result) | compute s | peak MiB | ratio naive/cgsym "
            "(compute) | check |")
        out("|---|---|---:|---:|---:|---:|---|")
        for k in sym:
            r = runs[k]
            weak = "yes" if k.endswith("weak") else "no"
            if r.ok:
                c = r.result["check"]
                chk = f"J vs numeric pipeline: {_fmt_e(c['rel_J'])}"
            else:
                chk = "FAILED"
            out(f"| `cgsym.derive` | {weak} | {_fmt_t(r.to_result)} | {_fmt_t(r.compute)} | "
                f"{r.peak_mib:.0f} | 1 | {chk} |")
            for nk in sorted(x for x in runs if x.startswith(f"naive-{k.split('-')[1]}-")):
                n = runs[nk]
                method = nk.split("-", 2)[2]
                route = ("`Matrix.nullspace()`" if method == "nullspace"
                         else "`linsolve` (+ trace row)")
                if n.timed_out:
                    lb = n.kill_epoch - n.ready_epoch if n.ready_epoch else n.wall
                    ratio = f"> {lb / r.compute:.0f}x" if r.ok else "-"
                    out(f"| naive {route} | {weak} | > {n.limit:g} (killed) | > {lb:.0f} "
                        f"(solve only) | {n.peak_mib:.0f} at kill | {ratio} | did not finish |")
                elif n.ok:
                    ratio = f"{n.compute / r.compute:.0f}x" if r.ok else "-"
                    out(f"| naive {route} | {weak} | {_fmt_t(n.wall)} | {_fmt_t(n.compute)} | "
                        f"{n.peak_mib:.0f} | {ratio} | J vs cgsym: "
                        f"{_fmt_e(n.result.get('rel_vs_cgsym'))} |")
                else:
                    out(f"| naive {route} | {weak} | {_fmt_t(n.wall)} | - | {n.peak_mib:.0f} | "
                        f"- | failed (rc {n.rc}) |")
        out()
        out("cgsym compute = the whole `derive` (spectrum → J); naive compute = the solve on the "
            "already built 16×16 SymPy Liouvillian (lower bound at the kill).")
        out()

    # 2. closed form vs numerics --------------------------------------------
    if "closed-form" in runs:
        out("### 2. Closed form vs numerics (J_h, partial-secular, weak internal)")
        out()
        cf = runs["closed-form"]
        q = runs.get("qutip")
        out("| route | points | time per point s | ratio to closed form | max rel. diff to "
            "closed form | wall s | peak MiB |")
        out("|---|---:|---:|---:|---:|---:|---:|")
        if cf.ok:
            res = cf.result
            runs_sorted = sorted(res["eval_runs"])
            per = runs_sorted[len(runs_sorted) // 2] / res["n"]
            out(f"| closed form, `lambdify_expr` (numpy, cse), median of 3 | {res['n']:.0e} | "
                f"{_fmt_e(per)} | 1 | 0 | {_fmt_t(cf.wall)} | {cf.peak_mib:.0f} |")
            out(f"| closed form, plain `sympy.lambdify(params, expr, 'numpy', cse=True)` | "
                f"{res['n']:.0e} | {_fmt_e(res['eval_plain'] / res['n'])} | - | "
                f"{_fmt_e(res['plain_max_rel'])} | | |")
            if q is not None and q.ok:
                qr = q.result
                for key, label in (("oracle", "QuTiP oracle (tests/qutip_oracle.py: build + "
                                    "`liouvillian` + `steadystate`)"),
                                   ("core", "QuTiP `steadystate` + J only, on the prebuilt "
                                    "Liouvillian (lower bound)"),
                                   ("numeric", "`cgsym.numerics.numeric_pipeline` (numpy)")):
                    pp = qr[f"per_point_{key}"]
                    out(f"| {label} | {qr['n']} | {_fmt_e(pp)} | {pp / per:.1e} | "
                        f"{_fmt_e(qr[f'rel_{key}'])} | {_fmt_t(q.wall) if key == 'oracle' else ''}"
                        f" | {f'{q.peak_mib:.0f}' if key == 'oracle' else ''} |")
            elif q is not None:
                out(f"| QuTiP | - | FAILED | | | {_fmt_t(q.wall)} | {q.peak_mib:.0f} |")
            out()
            out(f"Closed form: derive {res['derive']:.2f} s + lambdify {res['lambdify']:.2f} s, "
                f"then {res['n']:.0e} points in {', '.join(f'{x:.3f}' for x in res['eval_runs'])}"
                f" s (three runs). Ranges: "
                + ", ".join(f"{k} ∈ [{lo:g}, {hi:g}]" for k, (lo, hi) in RANGES.items())
                + ". Relative difference = max over the sample of |J_cf − J| / |J|.")
        else:
            out(f"| closed form | FAILED | | | | {_fmt_t(cf.wall)} | {cf.peak_mib:.0f} |")
        out()

    # 3. reach ---------------------------------------------------------------
    reach = [c for c, _l, _p in REACH if c in runs]
    if reach:
        out(f"### 3. Reach (partial-secular, weak internal; steady state + heat currents; "
            f"limit {reach_limit:g} s)")
        out()
        out("| model | d | Liouvillian | wall s (cold start → J) | compute s | eigenoperators | rates + ME | "
            "liouvillian | steady_state | heat_currents | peak MiB | ops in J_h | "
            "J, ρ vs numeric pipeline |")
        out("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        labels = {c: l for c, l, _p in REACH}
        for c in reach:
            r = runs[c]
            dim = next((e["dim"] for k, e in r.events if k == "READY"), None)
            lsize = f"{dim * dim}×{dim * dim}" if dim else "-"
            if r.ok:
                s = r.result["stages"]
                chk = r.result.get("check")
                chk_s = (f"{_fmt_e(chk['rel_J'])}, {_fmt_e(chk['rel_rho'])}" if chk
                         else f"kernel dim {r.result['kernel_dimension']}")
                out(f"| {labels[c]} | {dim} | {lsize} | {_fmt_t(r.to_result)} | {_fmt_t(r.compute)} | "
                    f"{_fmt_t(s['eigenoperators'])} | "
                    f"{_fmt_t(s['rates'] + s['master_equation'])} | {_fmt_t(s['liouvillian'])} | "
                    f"{_fmt_t(s['steady_state'])} | {_fmt_t(s.get('heat_currents'))} | "
                    f"{r.peak_mib:.0f} | {r.result.get('ops_J', {}).get('h', '-')} | {chk_s} |")
            elif r.timed_out:
                st = {e["name"]: e["epoch"] for k, e in r.events if k == "STAGE"}
                names = list(st)
                cells = []
                for nm in ("eigenoperators", "rates", "liouvillian", "steady_state",
                           "heat_currents"):
                    if nm not in st:
                        cells.append("-")
                        continue
                    i = names.index(nm)
                    end = st[names[i + 1]] if i + 1 < len(names) else r.kill_epoch
                    if nm == "rates" and "master_equation" in st:
                        j = names.index("master_equation")
                        end = st[names[j + 1]] if j + 1 < len(names) else r.kill_epoch
                    val = _fmt_t(end - st[nm])
                    cells.append(val if i + 1 < len(names) else f"> {val}")
                out(f"| {labels[c]} | {dim} | {lsize} | > {r.limit:g} | > limit | "
                    + " | ".join(cells) + f" | {r.peak_mib:.0f} at kill | - | did not finish |")
            else:
                out(f"| {labels[c]} | {dim} | {lsize} | {_fmt_t(r.wall)} | FAILED rc {r.rc} | "
                    "| | | | | | | |")
        out()
        for c in reach:
            r = runs[c]
            if r.timed_out:
                stage, where = _where(r)
                out(f"- {labels[c]}: killed at {r.limit:g} s {stage}"
                    + (f"; innermost frames: `{where}`" if where else "") + ".")
        if any(runs[c].timed_out for c in reach):
            out()

    # 4. paper ---------------------------------------------------------------
    if "paper" in runs:
        r = runs["paper"]
        out("### 4. Whole paper")
        out()
        out("| task | wall s | peak MiB | target | result |")
        out("|---|---:|---:|---:|---|")
        if r.ok:
            res = r.result
            status = res["summary"] if res["rc"] == 0 else f"rc {res['rc']}"
            out(f"| cold `cgsym reproduce --out <tmpdir>` | {_fmt_t(res['compute'])} | "
                f"{r.peak_mib:.0f} | ≤ {TARGET_PAPER:g} | {status} |")
        else:
            out(f"| cold `cgsym reproduce --out <tmpdir>` | > {r.limit:g} | {r.peak_mib:.0f} | "
                f"≤ {TARGET_PAPER:g} | did not finish |")
        out()
        if r.ok and r.result.get("slowest"):
            res = r.result
            out(f"Per-equation times sum to {res['equation_seconds']:.1f} s of "
                f"{res['compute']:.1f} s wall (the rest: interpreter start, imports, work shared "
                f"between equations, writing the files); slowest: "
                + ", ".join(f"Eq. {n} ({sec}) {t:.1f} s" for t, n, sec in res["slowest"]) + ".")
            out()

    # summary of targets -----------------------------------------------------
    verdicts = targets(runs, limit)
    if verdicts:
        out("### Targets")
        out()
        out("| target | measured | met |")
        out("|---|---|---|")
        for name, measured, met in verdicts:
            out(f"| {name} | {measured} | {'yes' if met else 'NO'} |")
        out()
    return out.lines


def targets(runs, limit=NAIVE_LIMIT):
    """[(target, measured, met)] for the cases present in ``runs``."""
    v = []
    for label, _argv, target in CLI_CASES:
        r = runs.get(f"cli: {label}")
        if r is None or not target:
            continue
        v.append((f"cold `cgsym {label}` ≤ {target:g} s",
                  f"{r.wall:.1f} s" if r.ok else f"> {r.limit:g} s" if r.timed_out else "failed",
                  r.ok and r.wall <= target))
    for k, label in (("cgsym-weak", "weak internal"), ("cgsym-full", "no weak limit")):
        n = runs.get(f"naive-{k.split('-')[1]}-nullspace")
        r = runs.get(k)
        if n is None or r is None or not r.ok:
            continue
        if n.timed_out:
            lb = (n.kill_epoch - n.ready_epoch) / r.compute
            v.append((f"cgsym ≥ {TARGET_NAIVE_RATIO:g}x faster than naive nullspace ({label})",
                      f"> {lb:.0f}x (naive killed at {n.limit:g} s)", lb >= TARGET_NAIVE_RATIO))
        elif n.ok:
            ratio = n.compute / r.compute
            v.append((f"cgsym ≥ {TARGET_NAIVE_RATIO:g}x faster than naive nullspace ({label})",
                      f"{ratio:.0f}x", ratio >= TARGET_NAIVE_RATIO))
    cf, q = runs.get("closed-form"), runs.get("qutip")
    if cf is not None and q is not None and cf.ok and q.ok:
        er = sorted(cf.result["eval_runs"])
        per = er[len(er) // 2] / cf.result["n"]
        ratio = q.result["per_point_oracle"] / per
        ratio_core = q.result["per_point_core"] / per
        v.append((f"closed form ≥ {TARGET_SPEED_RATIO:.0e}x faster per point than QuTiP",
                  f"{ratio:.1e}x (QuTiP steadystate alone: {ratio_core:.1e}x)",
                  min(ratio, ratio_core) >= TARGET_SPEED_RATIO))
        v.append((f"max rel. disagreement with QuTiP ≤ {TARGET_REL_DISAGREEMENT:g}",
                  f"{q.result['rel_oracle']:.1e} ({q.result['n']} points)",
                  q.result["rel_oracle"] <= TARGET_REL_DISAGREEMENT))
    r = runs.get("reach-3q")
    if r is not None:
        if r.ok:
            chk = r.result.get("check", {})
            good = chk.get("rel_J", 1) < 1e-10
            v.append((f"three-qubit chain ≤ {TARGET_THREE_QUBITS:g} s (cold, wall), correct",
                      f"{r.to_result:.1f} s cold start → J ({r.compute:.1f} s compute), "
                      f"J vs numeric {chk.get('rel_J', float('nan')):.1e}",
                      r.to_result <= TARGET_THREE_QUBITS and good))
        else:
            v.append((f"three-qubit chain ≤ {TARGET_THREE_QUBITS:g} s", f"> {r.limit:g} s", False))
    r = runs.get("paper")
    if r is not None:
        t = r.result["compute"] if r.ok else None
        v.append((f"cold `cgsym reproduce` ≤ {TARGET_PAPER:g} s",
                  f"{t:.1f} s" if t is not None else f"> {r.limit:g} s",
                  t is not None and r.result["rc"] == 0 and t <= TARGET_PAPER))
    return v


if __name__ == "__main__":
    sys.exit(main())
