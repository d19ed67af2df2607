"""Issue 13 ("derive once, evaluate in a second"): every target of its table, re-measured.

    python tests/benchmarks/bench_scale.py                 # all cases (tens of minutes)
    python tests/benchmarks/bench_scale.py --only evaluate # cases whose label has the word
    python tests/benchmarks/bench_scale.py --limit 300     # per-case limit (default 900 s)

Every case is a fresh ``python -m cgsym.cli ...`` subprocess (cold imports, what a user
runs), with its own empty derivation cache (``CGSYM_CACHE_DIR`` in a temporary
directory) unless the case is about the cache: "cached" cases run the command once to
fill the cache and time the second run.  Wall time and the peak RSS of that child
(``os.wait4``) are printed as a Markdown table, followed by the dimension table
(d = 3, 4, 8, 16 levels; 1-3 reservoirs).  For the reach models the closed-form answer
of ``evaluate`` is compared with ``evaluate --numeric`` (the independent numeric
pipeline): relative difference of J, sum_p J_p and the entropy production
sigma = -sum_p J_p/T_p >= 0.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_all import run_argv  # noqa: E402

M = HERE / "models"
TQ_AT = ["omega_S=1.1341", "Omega=0.0612", "gamma=0.0123", "T_l=0.9876", "T_r=0.4321"]
DQ_AT = ["omega_S=1.1341", "delta=0.0517", "g=0.0391", "gamma_h=0.0217", "gamma_c=0.0123",
         "T_h=0.9876", "T_c=0.4321"]
CHAIN_AT = ["omega_S=1.1341", "Omega=0.0432", "gamma_h=0.0217", "gamma_c=0.0123",
            "T_h=0.9876", "T_c=0.4321"]
FRIDGE_AT = ["omega_c=1.1341", "omega_h=2.3417", "g=0.0432", "gamma_c=0.0123",
             "gamma_r=0.0217", "gamma_h=0.0157", "T_c=0.4321", "T_r=0.9876", "T_h=2.718"]
Q2_AT = ["omega_S=1.1341", "Omega=0.0432", "gamma_h=0.0217", "gamma_c=0.0123",
         "T_h=0.9876", "T_c=0.4321"]
OHMIC_AT = ["omega_S=1", "Omega=0.01", "gamma=0.001", "T_l=1", "T_r=0.5", "omega_c=10"]


def ev(model, regime, at, weak=False):
    return ["evaluate", str(model), "--regime", regime, *(["--weak-internal"] if weak else []),
            "--format", "json", "--at", *at]


def de(model, regime, weak=False, fmt="json"):
    return ["derive", str(model), "--regime", regime, *(["--weak-internal"] if weak else []),
            "--format", fmt]


# (label, argv, target seconds, mode): mode "cold" (empty cache), "cached" (second run),
# "reach" (cold, and compared with --numeric)
CASES = [
    ("evaluate, cached derivation: two-qubits-two-baths partial-secular",
     ev("two-qubits-two-baths", "partial-secular", Q2_AT), 1.0, "cached"),
    ("evaluate, cached derivation: tunnelling-qubit partial-secular (no weak limit)",
     ev("tunnelling-qubit", "partial-secular", TQ_AT), 1.0, "cached"),
    ("evaluate, first time: tunnelling-qubit partial-secular (no weak limit)",
     ev("tunnelling-qubit", "partial-secular", TQ_AT), 10.0, "cold"),
    ("evaluate, first time: detuned-qubits secular (no weak limit)",
     ev("detuned-qubits", "secular", DQ_AT), 10.0, "cold"),
    ("evaluate, first time: detuned-qubits partial-secular (no weak limit)",
     ev("detuned-qubits", "partial-secular", DQ_AT), 10.0, "cold"),
    # derive's printed output (cgsym.arith.flintprint: large values written from flint), in
    # each format; the two-qubit case must not get slower (3.2-3.9 s idle before; the
    # issue-7 target for it is 60 s)
    *[(f"derive {m} {r} (no weak limit), {fmt}", de(m, r, fmt=fmt), target, "cold")
      for m, r, target in (("tunnelling-qubit", "partial-secular", 20.0),
                           ("detuned-qubits", "secular", 20.0),
                           ("detuned-qubits", "partial-secular", 20.0),
                           ("two-qubits-two-baths", "partial-secular", 60.0))
      for fmt in ("text", "json", "latex")],
    ("three exchange-coupled qubits, secular, no weak limit (evaluate)",
     ev(M / "three-qubit-chain.toml", "secular", CHAIN_AT), 60.0, "reach"),
    ("three-qubit refrigerator, partial secular, weak internal (evaluate)",
     ev(M / "three-qubit-refrigerator.toml", "partial-secular", FRIDGE_AT, True), 30.0, "reach"),
    ("three-qubit refrigerator, partial secular, weak internal (derive)",
     de(M / "three-qubit-refrigerator.toml", "partial-secular", True), 30.0, "cold"),
    ("three-qubit refrigerator, secular, no weak limit (evaluate)",
     ev(M / "three-qubit-refrigerator.toml", "secular", FRIDGE_AT), 300.0, "reach"),
    ("three-qubit refrigerator, partial secular, no weak limit (evaluate)",
     ev(M / "three-qubit-refrigerator.toml", "partial-secular", FRIDGE_AT), 300.0, "reach"),
    ("four-qubit chain, partial secular, weak internal (evaluate)",
     ev(M / "four-qubit-chain.toml", "partial-secular", CHAIN_AT, True), 120.0, "reach"),
    ("plot --what current-vs-dt, 40 points, tunnelling-qubit-ohmic",
     ["plot", "tunnelling-qubit-ohmic", "--what", "current-vs-dt", "--at", *OHMIC_AT,
      "--out", "{tmp}/j-dt.png"], 15.0, "cold"),
    ("cold cgsym reproduce", ["reproduce", "--out", "{tmp}/out"], 20.0, "cold"),
]

# the time/memory vs Hilbert-space dimension table (partial secular, weak internal)
DIMENSIONS = [
    (3, 1, ev("v-type-three-level", "partial-secular",
              ["omega_S=1.1341", "Delta=0.0612", "gamma=0.0123", "omega_c=5.3", "T=0.4321"], True)),
    (4, 1, ev("two-qubits-one-bath", "partial-secular",
              ["omega_S=1.1341", "Omega=0.0432", "gamma=0.0123", "T=0.4321"], True)),
    (4, 2, ev("two-qubits-two-baths", "partial-secular", Q2_AT, True)),
    (8, 2, ev(M / "three-qubit-chain.toml", "partial-secular", CHAIN_AT, True)),
    (8, 3, ev(M / "three-qubit-refrigerator.toml", "partial-secular", FRIDGE_AT, True)),
    (16, 2, ev(M / "four-qubit-chain.toml", "partial-secular", CHAIN_AT, True)),
]


def _run(argv, limit, tmp):
    argv = [a.replace("{tmp}", tmp) for a in argv]
    return run_argv([sys.executable, "-m", "cgsym.cli", *argv], limit, False, " ".join(argv))


def _temperatures(argv):
    at = argv[argv.index("--at") + 1:]
    return {k: float(v) for k, v in (a.split("=") for a in at)}


def _compare(run, argv, limit, tmp):
    """Closed form vs --numeric: (max relative difference of J, |sum J|/max|J|, sigma)."""
    num = _run(argv + ["--numeric"], limit, tmp)
    if num.rc != 0:
        return f"--numeric failed: {num.stderr.strip()[-200:]}"
    a = json.loads(run.stdout)["heat_currents"]
    b = json.loads(num.stdout)["heat_currents"]
    top = max(abs(v) for v in b.values())
    if top < 1e-15:     # one reservoir: J = 0 at steady state, both routes ~0
        return (f"J = {max(abs(v) for v in a.values()):.1e} (closed form), "
                f"{top:.1e} (numeric): no current with one reservoir")
    rel = max(abs(a[p] - b[p]) for p in b) / top
    total = abs(sum(a.values())) / top
    vals = _temperatures(argv)
    import cgsym
    model = cgsym.load_model(argv[1])
    sigma = -sum(J / vals[model.reservoir(p).temperature.name] for p, J in a.items())
    return f"J vs numeric {rel:.1e}; |sum J|/max|J| {total:.1e}; sigma {sigma:.3g}"


def _children_cpu() -> float:
    """user + sys seconds of every waited-for child process so far (the machine is
    shared: CPU time is the figure that does not depend on the other processes)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def measure(label, argv, target, mode, limit):
    with tempfile.TemporaryDirectory(prefix="cgsym-bench-") as tmp:
        os.environ["CGSYM_CACHE_DIR"] = str(Path(tmp) / "cache")
        if mode == "cached":
            first = _run(argv, limit, tmp)
            if first.rc != 0:
                return first, "first run failed: " + first.stderr.strip()[-200:]
        cpu0 = _children_cpu()
        run = _run(argv, limit, tmp)
        run.cpu = _children_cpu() - cpu0
        note = ""
        if run.timed_out:
            note = f"did not finish in {limit:g} s"
        elif run.rc != 0:
            note = "failed: " + run.stderr.strip()[-300:]
        elif mode == "reach":
            note = _compare(run, argv, limit, tmp)
        return run, note


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", default=None, help="run the cases whose label contains this text "
                    "(several separated by '|')")
    ap.add_argument("--limit", type=float, default=900.0)
    ap.add_argument("--no-dimensions", action="store_true")
    ap.add_argument("--dims", default=None, help="only these rows of the dimension table "
                    "(levels d, comma-separated, e.g. 16)")
    args = ap.parse_args()
    print(f"cgsym issue 13 benchmarks, {time.strftime('%Y-%m-%d %H:%M')}, "
          f"load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores\n")
    print("| task | wall s | cpu s | peak MiB | target s | met | notes |\n"
          "|---|---:|---:|---:|---:|---|---|")
    for label, argv, target, mode in CASES:
        if args.only and not any(w in label for w in args.only.split("|")):
            continue
        run, note = measure(label, argv, target, mode, args.limit)
        ok = "yes" if (run.rc == 0 and not run.timed_out and run.wall <= target) else "NO"
        print(f"| {label} | {run.wall:.1f} | {run.cpu:.1f} | {run.peak_mib:.0f} | {target:g} | "
              f"{ok} | {note} |", flush=True)
    if args.no_dimensions:
        return
    print("\n| d (levels) | reservoirs | model | evaluate wall s (cold, empty cache) | cpu s |"
          " peak MiB | notes |\n|---:|---:|---|---:|---:|---:|---|")
    dims = {int(x) for x in args.dims.split(",")} if args.dims else None
    for d, nres, argv in DIMENSIONS:
        if dims and d not in dims:
            continue
        run, note = measure(f"d={d}", argv, None, "reach", args.limit)
        print(f"| {d} | {nres} | {Path(argv[1]).stem} | {run.wall:.1f} | {run.cpu:.1f} | "
              f"{run.peak_mib:.0f} | {note} |", flush=True)


if __name__ == "__main__":
    main()
