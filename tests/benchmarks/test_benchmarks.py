"""The targets of issue 7 as assertions (opt-in: ``python -m pytest tests/benchmarks -m benchmark``).

Each group of ``bench_all.py`` runs once per session (every case a fresh
subprocess, as in ``python tests/benchmarks/bench_all.py``); the tests assert on
the measurements.  A full run takes about as long as the command (~10-15 min).
"""
import pytest

import bench_all as B
from bench_derive import CASES, run_case

pytestmark = pytest.mark.benchmark


@pytest.mark.parametrize("label,argv,target", [c for c in CASES if c[2]],
                         ids=[c[0] for c in CASES if c[2]])
def test_derive_within_target(label, argv, target):
    dt, _ = run_case(argv)
    assert dt <= target, f"{label}: {dt:.1f} s > {target} s"


@pytest.fixture(scope="module")
def runs():
    cache = {}

    def get(group):
        if group not in cache:
            cache[group] = B.collect({group})
        return cache[group]

    return get


def _verdicts(runs, group):
    return {name: (measured, met) for name, measured, met in B.targets(runs(group))}


@pytest.mark.parametrize("weak", [True, False], ids=["weak-internal", "no-weak-limit"])
def test_symbolic_beats_naive_sympy(runs, weak):
    r = runs("naive")
    sym = r["cgsym-weak" if weak else "cgsym-full"]
    naive = r["naive-weak-nullspace" if weak else "naive-full-nullspace"]
    assert sym.ok, sym.stderr[-2000:]
    assert sym.result["check"]["rel_J"] < 1e-10
    if naive.timed_out:
        ratio = (naive.kill_epoch - naive.ready_epoch) / sym.compute
    else:
        assert naive.ok, naive.stderr[-2000:]
        assert naive.result["rel_vs_cgsym"] < 1e-20
        ratio = naive.compute / sym.compute
    assert ratio >= B.TARGET_NAIVE_RATIO, f"naive/cgsym = {ratio:.0f}x"


def test_closed_form_speed_and_agreement_with_qutip(runs):
    r = runs("numerics")
    cf, q = r["closed-form"], r.get("qutip")
    assert cf.ok, cf.stderr[-2000:]
    assert q is not None and q.ok, q.stderr[-2000:] if q else "qutip case not run"
    er = sorted(cf.result["eval_runs"])
    per = er[len(er) // 2] / cf.result["n"]
    assert q.result["per_point_oracle"] / per >= B.TARGET_SPEED_RATIO
    assert q.result["per_point_core"] / per >= B.TARGET_SPEED_RATIO
    assert q.result["rel_oracle"] <= B.TARGET_REL_DISAGREEMENT
    assert q.result["rel_numeric"] <= B.TARGET_REL_DISAGREEMENT


def test_reach_three_qubit_chain(runs):
    r = runs("reach")["reach-3q"]
    assert r.ok, f"did not finish within {r.limit:g} s" if r.timed_out else r.stderr[-2000:]
    assert r.result["check"]["rel_J"] < 1e-10
    assert r.result["check"]["rel_rho"] < 1e-10
    assert r.to_result <= B.TARGET_THREE_QUBITS


@pytest.mark.parametrize("case", ["reach-2q", "reach-osc", "reach-4q"])
def test_reach_other_models_are_right_when_they_finish(runs, case):
    r = runs("reach")[case]
    if r.timed_out:
        pytest.skip(f"{case}: > {r.limit:g} s (no target; reported by bench_all.py)")
    assert r.ok, r.stderr[-2000:]
    assert r.result["check"]["rel_J"] < 1e-10
    assert r.result["check"]["rel_rho"] < 1e-10


def test_reproduce_whole_paper(runs):
    r = runs("paper")["paper"]
    assert r.ok, r.stderr[-2000:]
    assert r.result["rc"] == 0, r.result["stderr"]
    assert r.result["compute"] <= B.TARGET_PAPER, f"{r.result['compute']:.1f} s"
