"""Issue 12's count_ops targets and the cost of the compact pass as assertions (opt-in:
``-m benchmark``); see bench_compact.py for the table."""
import pytest

from bench_compact import CASES, measure, measure_sequence

pytestmark = pytest.mark.benchmark


@pytest.mark.parametrize("label,model,regime,weak,res,target", [c for c in CASES if c[5]],
                         ids=[c[0] for c in CASES if c[5]])
def test_compact_target(label, model, regime, weak, res, target):
    r = measure(model, regime, weak, res)
    assert r["compact"] <= target, f"{label}: {r['compact']} ops > {target}"


def test_compact_pass_costs_at_most_the_derivation():
    """The compact pass must not dominate ``derive``: its CPU seconds at most the
    derivation's, in every case of CASES, run in their order in one process (as
    bench_compact.py does: a partial-secular case there follows the secular case of the
    same model, whose currents the J_sec x factor candidate reuses).  The best of three
    attempts per case (the machine is shared), each attempt from the same starting
    state (the attempts do not reuse each other's secular derivation)."""
    slower = []
    for label, r in measure_sequence(CASES, attempts=3):
        if r["compact_cpu"] > r["derive_cpu"]:
            slower.append(f"{label}: compact {r['compact_cpu']:.2f} s > derive "
                          f"{r['derive_cpu']:.2f} s (CPU)")
    assert not slower, "; ".join(slower)
