"""The API reference (issue 17): every public function of ``cgsym`` documents its
conventions with an example, and the examples run (doctests, through pytest).

About 10 s: the examples derive small weak-internal cases (the tunnelling qubit,
two qubits), each well under a second.
"""
from __future__ import annotations

import doctest
import importlib
import inspect

import pytest

import cgsym

#: modules whose docstring examples are run here
MODULES = ("cgsym.model", "cgsym.derivation", "cgsym.spectrum", "cgsym.rates",
           "cgsym.master_equation", "cgsym.steady_state", "cgsym.thermo", "cgsym.check",
           "cgsym.numerics", "cgsym.sweep", "cgsym.convert.qutip")


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    if name == "cgsym.convert.qutip":
        pytest.importorskip("qutip")
    mod = importlib.import_module(name)
    res = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                          verbose=False, report=False)
    assert res.attempted > 0, f"{name} has no examples"
    assert res.failed == 0, f"{res.failed} of {res.attempted} examples in {name} failed"


def test_every_public_function_has_an_example():
    missing = []
    for name in cgsym.__all__:
        obj = getattr(cgsym, name)
        if inspect.isfunction(obj) and ">>>" not in (inspect.getdoc(obj) or ""):
            missing.append(name)
    for meth in (cgsym.Model.from_operators, cgsym.MasterEquation.to_qutip):
        if not inspect.getdoc(meth):
            missing.append(meth.__qualname__)
    assert not missing, f"no docstring example: {missing}"
