"""Issue 15's speed target as an assertion (opt-in: ``-m benchmark``)."""
import pytest

from bench_statistics import CASES, run_case

pytestmark = pytest.mark.benchmark


@pytest.mark.parametrize("case", [c for c in CASES if c[5]], ids=[c[0] for c in CASES if c[5]])
def test_closed_form_noise_within_target(case):
    label, model, regime, weak, count, target = case
    wall, _ = run_case(model, regime, weak, count)
    assert wall <= target, f"{label}: {wall:.1f} s > {target} s"
