"""Models built from Python objects (``Model.from_operators``) and written back as
model files (``Model.to_toml``), issue 17.

The round trip runs on a model that is not in the paper: two qubits with level
names ``up``/``dn``, an exchange coupling ``lambda_x`` (slow), a hot reservoir on
``sx`` of the first and a cold one on ``sy`` (complex) of the second.  The model
built from SymPy matrices and the one read back from its TOML are equal, derive the
same closed forms, and the CLI runs the file to the same currents.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
import sympy as sp

import cgsym
from cgsym import CgsymError
from cgsym.operators import kron
from cgsym.symbols import SYMPIFY_LOCALS

eps, lam, k1, k2, Th, Tc = sp.symbols("epsilon lambda_x kappa_1 kappa_2 T_hot T_cold",
                                      positive=True)
SX = sp.Matrix([[0, 1], [1, 0]])
SY = sp.Matrix([[0, -sp.I], [sp.I, 0]])
SZ = sp.diag(1, -1)
SP, SM, I2 = sp.Matrix([[0, 1], [0, 0]]), sp.Matrix([[0, 0], [1, 0]]), sp.eye(2)
H = eps / 2 * (kron(SZ, I2) + kron(I2, SZ)) + lam * (kron(SP, SM) + kron(SM, SP))
BASIS = {"a": ["up", "dn"], "b": ["up", "dn"]}
PARAMS = {eps: "frequency", lam: "slow", k1: "rate", k2: "rate", Th: "temperature",
          Tc: "temperature"}


def reservoirs(**over):
    res = [{"name": "hot", "coupling": kron(SX, I2), "temperature": Th, "rate": k1},
           {"name": "cold", "coupling": kron(I2, SY), "temperature": Tc, "rate": k2}]
    res[0].update(over)
    return res


def build(**kw):
    args = dict(name="xy-pair", hamiltonian=H, reservoirs=reservoirs(), parameters=PARAMS,
                basis=BASIS, description="not in the paper")
    args.update(kw)
    return cgsym.Model.from_operators(**args)


@pytest.fixture(scope="module")
def model():
    return build()


def test_matrices_and_texts(model):
    assert model.dim == 4 and model.basis == ("up,up", "up,dn", "dn,up", "dn,dn")
    syms = {p.name: p.symbol for p in model.parameters}
    assert all(p.symbol.is_positive for p in model.parameters)
    assert sp.Matrix(model.hamiltonian) == H.xreplace({s: syms[s.name] for s in H.free_symbols})
    assert model.reservoir("cold").coupling_text == "-I*ketbra(b, 'up', 'dn') + I*ketbra(b, 'dn', 'up')"
    assert model.reservoir("hot").coupling_text == "ketbra(a, 'up', 'dn') + ketbra(a, 'dn', 'up')"


def test_round_trip_derives_identically(model, tmp_path):
    text = model.to_toml(tmp_path / "xy.toml")
    again = cgsym.load_model(tmp_path / "xy.toml")
    assert again == model and again.to_toml() == text
    d1 = cgsym.derive(model, "secular", weak_internal=True)
    d2 = cgsym.derive(again, "secular", weak_internal=True)
    assert d1.steady_state.matrix == d2.steady_state.matrix
    assert d1.heat_currents.currents == d2.heat_currents.currents
    assert sp.expand(sum(e for _, e in d1.heat_currents.currents)) == 0   # first law
    # the CLI runs the file to the same closed forms
    p = subprocess.run([sys.executable, "-m", "cgsym.cli", "derive", str(tmp_path / "xy.toml"),
                        "--regime", "secular", "--weak-internal", "--format", "json"],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    loc = dict(model.sympify_locals)
    for name, expr in d1.heat_currents.currents:
        diff = sp.sympify(doc["heat_currents"][name], locals=loc) - expr
        assert sp.cancel(sp.together(diff)) == 0, name


def test_strings_and_floats_are_accepted():
    m = build(hamiltonian="epsilon/2*(sz(a) + sz(b)) + lambda_x*(sp(a)*sm(b) + sm(a)*sp(b))",
              reservoirs=reservoirs(coupling=0.5 * kron(SX, I2) * 2))
    assert m.hamiltonian == build().hamiltonian
    assert m.reservoir("hot").coupling == build().reservoir("hot").coupling


@pytest.mark.parametrize("kw, message", [
    (dict(hamiltonian=H + kron(SP, I2)), "the Hamiltonian H_S is not Hermitian"),
    (dict(hamiltonian=sp.eye(3)), "hamiltonian: a 3x3 matrix, but the basis (2 x 2) has dimension 4"),
    (dict(hamiltonian=H + sp.Symbol("x") * kron(SZ, I2)), "hamiltonian: unknown name 'x'"),
    (dict(parameters={**PARAMS, sp.Symbol("kappa_3"): "rate"}),
     "parameter 'kappa_3' is declared but never used"),
    (dict(parameters={**PARAMS, eps: "fast"}), "parameter 'epsilon' has role 'fast'"),
    (dict(reservoirs=reservoirs(temperature=-Th)), "the temperature must be positive"),
    (dict(reservoirs=reservoirs(rate=k1 * (1 - cgsym.OMEGA))), "the rate gamma(omega) must be"),
    (dict(basis={"a": ["up", "dn"], "a ": "ud"}), "'levels' must list level names"),
    (dict(hamiltonian=[[1, 0], [0, 1]]), "hamiltonian: expected a SymPy matrix"),
])
def test_bad_objects_get_the_model_file_errors(kw, message):
    with pytest.raises(CgsymError) as e:
        build(**kw)
    assert message in str(e.value)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("name", cgsym.shipped_models())
def test_every_shipped_model_round_trips_through_to_toml(name):
    m = cgsym.load_model(name)
    again = cgsym.model_from_toml(m.to_toml())
    assert again == m and again.to_toml() == m.to_toml()


def test_to_toml_keeps_a_declared_upper_level():
    """A subsystem listed lower level first (``upper = "e"``) round-trips with its upper
    level: without it the written file would silently swap every label."""
    text = """
name = "ground-first"
hamiltonian = "w/2*sz(q)"
[parameters]
w = "frequency"
k = "rate"
T = "temperature"
[[subsystems]]
name = "q"
levels = ["g", "e"]
upper = "e"
[[reservoirs]]
name = "b"
coupling = "sx(q)"
temperature = "T"
"""
    m = cgsym.model_from_toml(text)
    again = cgsym.model_from_toml(m.to_toml())
    assert again == m and 'upper = "e"' in m.to_toml()
    assert again.hamiltonian == m.hamiltonian
