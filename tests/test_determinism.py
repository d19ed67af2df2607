"""The same command gives byte-identical output across runs and PYTHONHASHSEED values."""
import os
import subprocess
import sys

import pytest


@pytest.mark.parametrize("fmt", ["json", "text", "latex"])
def test_derive_output_is_byte_identical(fmt):
    outs = []
    for seed in ("1", "271828"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        p = subprocess.run([sys.executable, "-m", "cgsym.cli", "derive", "two-qubits-two-baths",
                            "--regime", "partial-secular", "--weak-internal", "--format", fmt],
                           capture_output=True, env=env, check=True)
        outs.append(p.stdout)
    assert outs[0] == outs[1] and len(outs[0]) > 500
