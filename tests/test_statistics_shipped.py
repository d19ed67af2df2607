"""Counting statistics of every shipped model (issue 15's "Done when"): the closed-form
mean and noise (quanta and energy counting), in both regimes with the weak-internal
limit, against the independent numeric route (the recursive cumulant scheme on the
numeric pipeline's Liouvillian), with the invariants the derivation does not share:
noise >= 0, and the counted mean energy current equals the heat current J_p.

Two-qubits-two-baths runs in the default suite; the others under ``-m slow``."""
from __future__ import annotations

import pytest

import cgsym
from cgsym.model import shipped_models
from cgsym.statistics import counting_statistics
from cgsym.statistics.numeric import cumulants, numeric_jumps

from conftest import POINTS

SHIPPED = shipped_models()
EXTRA = dict(lam=0.0123)                      # Drude-Lorentz reorganisation energy
OVERRIDE = {"two-qubits-drude-lorentz": dict(gamma_c=2.3)}   # a cutoff, not a rate


def _point(model):
    vals = dict(POINTS[0], **EXTRA, **OVERRIDE.get(model.name, {}))
    return {p.name: vals[p.name] for p in model.parameters}


CASES = [pytest.param(name, regime, id=f"{name}-{regime}",
                      marks=[] if name == "two-qubits-two-baths" else [pytest.mark.slow])
         for name in SHIPPED for regime in ("secular", "partial-secular")]


@pytest.mark.parametrize("name,regime", CASES)
def test_closed_form_statistics_of_every_shipped_model(name, regime):
    d = cgsym.derive(name, regime, True)
    vals = _point(d.model)
    nj = numeric_jumps(d.model, vals, regime, True)
    J = d.heat_currents.evaluate(**vals)
    for count in ("quanta", "energy"):
        st = counting_statistics(d, count).evaluate(vals)
        for p in nj.jumps:
            k1, k2 = cumulants(nj, p, count, order=2)
            # relative 1e-8 of the noise, and rounding of the numeric route (rates ~1e-2;
            # one reservoir has mean = noise = 0 exactly, numerically ~1e-19)
            tol = 1e-8 * abs(k2) + 1e-16
            assert abs(st["mean"][p] - k1) <= tol, (count, p, st["mean"][p], k1)
            assert abs(st["noise"][p] - k2) <= tol, (count, p, st["noise"][p], k2)
            assert st["noise"][p] >= 0                                    # noise >= 0
            if count == "energy":                                        # first moment = J_p
                assert abs(st["mean"][p] - J[p]) <= 1e-9 * abs(J[p]) + 1e-16
