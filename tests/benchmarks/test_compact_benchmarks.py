"""Issue 12's count_ops targets as assertions (opt-in: ``-m benchmark``); see
bench_compact.py for the table and the cost of the compact pass."""
import pytest

from bench_compact import CASES, measure

pytestmark = pytest.mark.benchmark


@pytest.mark.parametrize("label,model,regime,weak,res,target", [c for c in CASES if c[5]],
                         ids=[c[0] for c in CASES if c[5]])
def test_compact_target(label, model, regime, weak, res, target):
    r = measure(model, regime, weak, res)
    assert r["compact"] <= target, f"{label}: {r['compact']} ops > {target}"
    # the compact pass must not dominate the derivation (CPU time, shared machine)
    assert r["compact_cpu"] <= 3 * r["derive_cpu"] + 1.0, r
