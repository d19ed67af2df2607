"""Issue 12's count_ops targets for the compact forms, and what the compact pass costs.

    python tests/benchmarks/bench_compact.py            # prints a markdown table
    python tests/benchmarks/bench_compact.py --fresh    # no secular currents reused
    python tests/benchmarks/bench_compact.py --large    # the cases above derive's size
                                                        # limit (--explicit: time the
                                                        # explicit search there too)
    python -m pytest tests/benchmarks/test_compact_benchmarks.py -m benchmark

For each case: ``cgsym.derive`` (the canonical pipeline) and then ``Derivation.compact()``
(the search, the J_sec x factor candidate with its secular derivation, the steady state
rho = N/D, and the exact proofs), both timed in the same process (wall and CPU seconds:
the machine is shared, CPU time is the steadier figure).  ``count_ops`` of the compact
J_p includes every abbreviation it uses, once.
"""
from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

import sympy as sp

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

#: (label, model, regime, weak, reservoir, target or None)
CASES = [
    ("two-qubits-two-baths, partial secular, weak internal", "two-qubits-two-baths",
     "partial-secular", True, "h", 32),
    ("tunnelling-qubit, partial secular, weak internal", "tunnelling-qubit",
     "partial-secular", True, "l", 30),
    ("two-qubits-two-baths, secular, no weak limit", "two-qubits-two-baths",
     "secular", False, "h", 100),
    ("two-qubits-two-baths, partial secular, no weak limit", "two-qubits-two-baths",
     "partial-secular", False, "h", 800),
    # not shipped: other names, three reservoirs (tests/test_forms.py THREE_BATHS)
    ("pair-three-baths (not shipped), secular, weak internal", "THREE", "secular", True,
     "hot", None),
    ("pair-three-baths (not shipped), partial secular, weak internal", "THREE",
     "partial-secular", True, "hot", None),
    ("pair-three-baths (not shipped), secular, no weak limit", "THREE", "secular", False,
     "hot", None),
    # not shipped in this form: two slow parameters (delta, g)
    ("detuned-qubits (two slow parameters), partial secular, weak internal",
     "detuned-qubits", "partial-secular", True, "h", None),
    # several exponentials (an Ohmic rate at omega_S, omega_S +- Omega): cgsym/arith/exps.py
    ("tunnelling-qubit-ohmic, secular, no weak limit (exponentials)",
     "tunnelling-qubit-ohmic", "secular", False, "l", None),
]

#: results above the default size limit of ``derive`` (``compact(max_nodes=None)``):
#: ``python tests/benchmarks/bench_compact.py --large``
LARGE = [
    ("tunnelling-qubit, partial secular, no weak limit (544k-op J_l)", "tunnelling-qubit",
     "partial-secular", False, "l", None),
    ("detuned-qubits, secular, no weak limit (radicals)", "detuned-qubits", "secular",
     False, "h", None),
    ("detuned-qubits, partial secular, no weak limit (radicals)", "detuned-qubits",
     "partial-secular", False, "h", None),
    ("tunnelling-qubit-ohmic, partial secular, no weak limit (exponentials; 539k-term "
     "numerator)", "tunnelling-qubit-ohmic", "partial-secular", False, "l", None),
]


def measure(model, regime, weak, reservoir, max_nodes=500_000, explicit=True):
    """Counts and CPU of derive and of ``compact()`` (form "auto": what derive prints),
    with the chosen form, and the counts of the system form and (``explicit``) of the
    explicit search measured on their own (each timed in its own pass)."""
    import cgsym
    if model == "THREE":
        from test_forms import THREE_BATHS
        model = cgsym.model_from_toml(THREE_BATHS)
    t0, c0 = time.perf_counter(), time.process_time()
    d = cgsym.derive(model, regime, weak)
    t1, c1 = time.perf_counter(), time.process_time()
    comp = d.compact(max_nodes=max_nodes)
    t2, c2 = time.perf_counter(), time.process_time()
    from cgsym.forms.system import system_form
    s0 = time.process_time()
    try:
        sysf = system_form(d)
    except Exception:           # noqa: BLE001 - a benchmark reports, never stops
        sysf = None
    s1 = time.process_time()
    e0 = time.process_time()
    expl = d.compact(max_nodes=max_nodes, form="explicit") if explicit else None
    e1 = time.process_time()
    from cgsym.forms.compact import _est
    # canonical sizes from the flint forms' terms (the count_ops of their expanded
    # numerator and denominator; building the SymPy trees of the large ones costs more
    # than the whole pass)
    f = d.heat_currents.form(reservoir)
    rho = d.steady_state.form
    if max_nodes is None and f is not None and rho is not None:
        canonical = _est(f.nums[0]) + _est(f.den) + 1
        rho_canonical = sum(_est(p) + _est(rho.den) + 1 for p in rho.nums)
    else:
        canonical = int(sp.count_ops(d.heat_currents.current(reservoir)))
        rho_canonical = int(sum(sp.count_ops(e) for e in d.steady_state.matrix))
    return {"canonical": canonical, "compact": comp.count(f"J_{reservoir}"),
            "rho_canonical": rho_canonical,
            "rho_compact": comp.count("rho"),
            "jsec": any(a.kind == "result" for a in comp.abbreviations),
            "form": "system" if comp.system is not None else (
                "canonical" if comp.note else "explicit"),
            "system": sysf.count(f"J_{reservoir}") if sysf is not None else None,
            "system_cpu": s1 - s0,
            "explicit": (expl.count(f"J_{reservoir}") if expl is not None and not expl.note
                         else None),
            "explicit_cpu": e1 - e0 if explicit else None,
            "derive_wall": t1 - t0, "derive_cpu": c1 - c0,
            "compact_wall": t2 - t1, "compact_cpu": c2 - c1}


def measure_sequence(cases, attempts=1, max_nodes=500_000, explicit=True):
    """(label, result) for each case in order in this process, the best of ``attempts``
    (least derive and least compact CPU seconds): each attempt starts from the state
    the previous case left (the secular currents the compact pass keeps for the J_sec x
    factor candidate, :data:`cgsym.forms.compact._SECULAR`), not from its own previous
    attempt's, and with SymPy's cache cleared (a repeated derivation of the same model
    would find its expressions cached)."""
    import importlib
    from sympy.core.cache import clear_cache
    keep = importlib.import_module("cgsym.forms.compact")._SECULAR
    for label, model, regime, weak, res, _ in cases:
        before = dict(keep)
        best = None
        for _ in range(attempts):
            keep.clear()
            keep.update(before)
            clear_cache()
            r = measure(model, regime, weak, res, max_nodes=max_nodes, explicit=explicit)
            if best is None:
                best = r
            else:
                for k in ("derive_cpu", "derive_wall", "compact_cpu", "compact_wall"):
                    best[k] = min(best[k], r[k])
        yield label, best


def main(argv=None):
    print(f"cgsym compact-form benchmarks — {time.strftime('%Y-%m-%d %H:%M')}, Python "
          f"{platform.python_version()}, SymPy {sp.__version__}")
    print()
    print("| case | J_p canonical ops | J_p compact ops (form) | target | met | "
          "explicit ops (cpu s) | system ops (cpu s) | rho canonical ops | rho compact ops | "
          "derive s (cpu) | compact s (cpu) |")
    print("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|")
    args = argv if argv is not None else sys.argv[1:]
    large = "--large" in args
    # --fresh: no secular currents kept from an earlier case (each partial-secular case
    # derives the secular regime itself, as a single `cgsym derive` run does)
    fresh = "--fresh" in args
    cases = LARGE if large else CASES
    import importlib
    keep = importlib.import_module("cgsym.forms.compact")._SECULAR
    for case in cases:
        if fresh:
            keep.clear()
        [(label, r)] = measure_sequence([case], 1, None if large else 500_000,
                                        explicit=not large or "--explicit" in args)
        target = case[5]
        met = "-" if target is None else ("yes" if r["compact"] <= target else "NO")
        ex = "-" if r["explicit"] is None else f"{r['explicit']} ({r['explicit_cpu']:.2f})"
        sy = "-" if r["system"] is None else f"{r['system']} ({r['system_cpu']:.2f})"
        print(f"| {label} | {r['canonical']} | {r['compact']} ({r['form']}"
              f"{', J_sec' if r['jsec'] else ''}) | "
              f"{'≤ ' + str(target) if target else '-'} | {met} | {ex} | {sy} | "
              f"{r['rho_canonical']} | {r['rho_compact']} | "
              f"{r['derive_wall']:.2f} ({r['derive_cpu']:.2f}) | "
              f"{r['compact_wall']:.2f} ({r['compact_cpu']:.2f}) |", flush=True)


if __name__ == "__main__":
    main()
