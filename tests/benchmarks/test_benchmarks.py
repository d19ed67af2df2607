import pytest

from bench_derive import CASES, run_case


@pytest.mark.benchmark
@pytest.mark.parametrize("label,argv,target", [c for c in CASES if c[2]], ids=lambda x: str(x)[:40])
def test_derive_within_target(label, argv, target):
    dt, _ = run_case(argv)
    assert dt <= target, f"{label}: {dt:.1f} s > {target} s"
