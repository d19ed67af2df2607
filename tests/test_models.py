"""Tests of model files and the operator language (cgsym/model.py).

Conventions checked against hand-written matrices: the first level of a
two-level subsystem is the upper one (sz = diag(1, -1), sp = |upper><lower|),
the first subsystem is the most significant factor of the product basis, a
number added to an operator is that number times the identity.  Validation:
every bad input is a CgsymError with a one-line message naming the problem.
"""
from __future__ import annotations

import copy

import pytest
import sympy as sp

import cgsym
from cgsym.model import shipped_models

SX = sp.Matrix([[0, 1], [1, 0]])
SY = sp.Matrix([[0, -sp.I], [sp.I, 0]])
SZ = sp.diag(1, -1)
SP = sp.Matrix([[0, 1], [0, 0]])
SM = SP.T
I2 = sp.eye(2)


def kron(*ms):
    out = ms[0]
    for m in ms[1:]:
        out = sp.kronecker_product(out, m)
    return out


def two_qubits(hamiltonian="omega_S/2*(sz(q1) + sz(q2))", coupling="sx(q2)", **extra):
    d = {"name": "m", "hamiltonian": hamiltonian,
         "parameters": {"omega_S": "frequency", "Omega": "slow", "gamma": "rate",
                        "T": "temperature"},
         "subsystems": [{"name": "q1", "levels": ["e", "g"]},
                        {"name": "q2", "levels": ["e", "g"]}],
         "reservoirs": [{"name": "b", "coupling": coupling, "temperature": "T"}]}
    if "Omega" not in hamiltonian + coupling:
        d["hamiltonian"] = hamiltonian + " + Omega*sz(q1)"
    d.update(extra)
    return d


def sym(model, name):
    return model.parameter(name).symbol


# ---------------------------------------------------------------------------
# shipped models
# ---------------------------------------------------------------------------
def test_shipped_models():
    assert set(shipped_models()) == {"two-qubits-one-bath", "two-qubits-two-baths",
                                     "tunnelling-qubit", "v-type-three-level", "detuned-qubits",
                                     "tunnelling-qubit-ohmic", "two-qubits-drude-lorentz"}
    for name in shipped_models():
        m = cgsym.load_model(name)
        assert m.name == name and m.description
        assert sp.Matrix(m.hamiltonian) == sp.Matrix(m.hamiltonian).H
        for r in m.reservoirs:
            assert sp.Matrix(r.coupling) == sp.Matrix(r.coupling).H
        assert all(p.symbol.is_positive for p in m.parameters)
        assert m.slow, name  # every shipped model has an internal slow time scale


def test_paper_hamiltonian_eq91():
    """H_S = omega_S/2 (s1z + s2z) + Omega (s1+ s2- + s1- s2+), product basis e,e ... g,g."""
    m = cgsym.load_model("two-qubits-one-bath")
    wS, Om = sym(m, "omega_S"), sym(m, "Omega")
    H = wS / 2 * (kron(SZ, I2) + kron(I2, SZ)) + Om * (kron(SP, SM) + kron(SM, SP))
    assert sp.Matrix(m.hamiltonian) == H
    assert sp.Matrix(m.reservoir("b").coupling) == kron(I2, SX)
    assert m.basis == ("e,e", "e,g", "g,e", "g,g")
    assert m.reservoir("b").rate == sym(m, "gamma")
    assert m.reservoir("b").temperature == sym(m, "T")


def test_tunnelling_qubit_eq119_eq122():
    m = cgsym.load_model("tunnelling-qubit")
    wS, Om = sym(m, "omega_S"), sym(m, "Omega")
    Pl, Pr = sp.diag(1, 0), sp.diag(0, 1)
    H = wS / 2 * kron(SZ, I2) + Om / 2 * kron(I2, SX)
    assert sp.Matrix(m.hamiltonian) == H
    assert sp.Matrix(m.reservoir("l").coupling) == kron(SX, Pl)
    assert sp.Matrix(m.reservoir("r").coupling) == kron(SX, Pr)


def test_vtype_ohmic_rate():
    m = cgsym.load_model("v-type-three-level")
    g, wc = sym(m, "gamma"), sym(m, "omega_c")
    w = cgsym.OMEGA
    assert sp.simplify(m.reservoir("b").rate - g * w / wc * sp.exp(-w / wc)) == 0
    assert m.basis == ("e1", "e2", "g")


# ---------------------------------------------------------------------------
# the operator language
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("text, matrix", [
    ("sx(q1)", kron(SX, I2)), ("sy(q2)", kron(I2, SY)), ("sz(q1)", kron(SZ, I2)),
    ("sp(q1)*sm(q2) + sm(q1)*sp(q2)", kron(SP, SM) + kron(SM, SP)),
    ("sm(q1) + sp(q1)", kron(SX, I2)),
    ("ketbra(q2, 'e', 'g') + ketbra(q2, 'g', 'e')", kron(I2, SX)),
    ("proj(q1, 'g')", kron(sp.diag(0, 1), I2)), ("id(q1)", sp.eye(4)),
    ("2 + sz(q2)", 2 * sp.eye(4) + kron(I2, SZ)), ("sx(q2)**2", sp.eye(4)),
    ("(sx(q1) + sx(q2))/2", (kron(SX, I2) + kron(I2, SX)) / 2),
    ("I*(sm(q2) - sp(q2))", kron(I2, SY)),
])
def test_operator_expressions(text, matrix):
    m = cgsym.model_from_dict(two_qubits(coupling=text))
    assert sp.Matrix(m.reservoir("b").coupling) == matrix


def test_three_level_operators_and_rationals():
    d = {"name": "v", "hamiltonian": "(omega_S + Delta/2)*proj(a, 'e1') + 3/4*Delta*proj(a, 'e2')",
         "parameters": {"omega_S": "frequency", "Delta": "slow", "gamma": "rate",
                        "T": "temperature"},
         "subsystems": [{"name": "a", "levels": ["e1", "e2", "g"]}],
         "reservoirs": [{"name": "b", "coupling": "ketbra(a, 'e1', 'g') + ketbra(a, 'g', 'e1')",
                         "temperature": "T", "rate": "gamma*omega"}]}
    m = cgsym.model_from_dict(d)
    wS, D = sym(m, "omega_S"), sym(m, "Delta")
    assert sp.Matrix(m.hamiltonian) == sp.diag(wS + D / 2, sp.Rational(3, 4) * D, 0)
    X = sp.zeros(3, 3)
    X[0, 2] = X[2, 0] = 1
    assert sp.Matrix(m.reservoir("b").coupling) == X
    assert m.reservoir("b").rate == sym(m, "gamma") * cgsym.OMEGA


def test_numeric_temperature_and_default_rate():
    d = two_qubits()
    d["parameters"].pop("T")
    d["reservoirs"][0]["temperature"] = 0.5
    m = cgsym.model_from_dict(d)
    assert m.reservoir("b").temperature == sp.Rational(1, 2)
    assert m.reservoir("b").rate == sym(m, "gamma")  # the only rate parameter


def test_toml_round_trip_of_shipped_source():
    for name in shipped_models():
        m = cgsym.load_model(name)
        again = cgsym.model_from_toml(m.source)
        assert again == m


def test_model_is_immutable():
    m = cgsym.load_model("two-qubits-one-bath")
    with pytest.raises(Exception):
        m.name = "other"
    with pytest.raises(TypeError):
        m.hamiltonian[0, 0] = 0


def test_sympify_locals_reads_the_parameters_and_n():
    m = cgsym.load_model("two-qubits-two-baths")
    e = sp.sympify("gamma_h*n(omega_S + Omega, T_h)", locals=m.sympify_locals)
    assert e == sym(m, "gamma_h") * cgsym.n(sym(m, "omega_S") + sym(m, "Omega"), sym(m, "T_h"))


# ---------------------------------------------------------------------------
# validation (more through the CLI in test_cli.py)
# ---------------------------------------------------------------------------
def _set(d, path, value):
    d = copy.deepcopy(d)
    target = d
    for k in path[:-1]:
        target = target[k]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return d


BASE = two_qubits()
BAD = {
    "unknown role": (("parameters", "gamma"), "speed", r"role 'speed'; roles are"),
    "reserved name": (("parameters",), {"omega_S": "frequency", "n": "rate", "T": "temperature",
                                        "Omega": "slow"}, r"'n' is a reserved name"),
    "temperature role": (("reservoirs", 0, "temperature"), "gamma",
                         r"temperature uses 'gamma', whose role is 'rate'"),
    "negative numeric temperature": (("reservoirs", 0, "temperature"), -0.5,
                                     r"temperature must be positive"),
    "zero rate": (("reservoirs", 0, "rate"), "0", r"rate gamma\(omega\) must be a positive"),
    "zero coupling": (("reservoirs", 0, "coupling"), "sx(q2) - sx(q2)", r"coupling operator is zero"),
    "unknown top-level key": (("extra",), 1, r"unknown key 'extra'"),
    "unknown reservoir key": (("reservoirs", 0, "foo"), 1, r"reservoir 'b': unknown key 'foo'"),
    "one level": (("subsystems", 0, "levels"), ["e"], r"at least two level names"),
    "duplicate level": (("subsystems", 0, "levels"), ["e", "e"], r"duplicate level names"),
    "subsystem clashes with parameter": (("subsystems", 0, "name"), "gamma",
                                         r"subsystem name 'gamma' clashes"),
    "no reservoirs": (("reservoirs",), [], r"at least one \[\[reservoirs\]\]"),
    "name not a string": (("name",), 3, r"'name' must be a str"),
    "missing hamiltonian": (("hamiltonian",), KeyError, r"missing key 'hamiltonian'"),
    "syntax error": (("hamiltonian",), "omega_S/2*sz(q1) + Omega*sz(q2) +", r"syntax error"),
    "python builtins": (("hamiltonian",), "Omega*sz(q1) + omega_S*__import__('os')",
                        r"unknown name '__import__'"),
    "level not quoted": (("hamiltonian",), "omega_S*Omega*ketbra(q1, e, g)",
                         r"unknown name 'e'"),
    "negative power": (("hamiltonian",), "omega_S*Omega*sz(q1)**-1", r"non-negative integer power"),
    "several rates, none named": (("parameters", "kappa"), "rate", r"several rate parameters"),
}


@pytest.mark.parametrize("what", sorted(BAD))
def test_invalid_model(what):
    path, value, pattern = BAD[what]
    d = _set(BASE, path, value)
    with pytest.raises(cgsym.CgsymError, match=pattern) as e:
        cgsym.model_from_dict(d)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("rate", ["-gamma", "gamma - omega", "gamma*(1 - omega)"])
def test_symbolic_rate_that_can_be_negative_is_rejected(rate):
    d = _set(BASE, ("reservoirs", 0, "rate"), rate)
    with pytest.raises(cgsym.CgsymError, match=r"rate gamma\(omega\) must be a positive") as e:
        cgsym.model_from_dict(d)
    assert "\n" not in str(e.value)


def test_symbolic_temperature_that_is_negative_is_rejected():
    d = _set(BASE, ("reservoirs", 0, "temperature"), "-T")
    with pytest.raises(cgsym.CgsymError, match="temperature must be positive"):
        cgsym.model_from_dict(d)


def test_load_model_errors(tmp_path):
    with pytest.raises(cgsym.CgsymError, match="unknown model 'nope'"):
        cgsym.load_model("nope")
    with pytest.raises(cgsym.CgsymError, match="does not exist"):
        cgsym.load_model(tmp_path / "nope.toml")
    f = tmp_path / "m.toml"
    f.write_bytes(b"name = \"\xff\"\n")
    with pytest.raises(cgsym.CgsymError, match="cannot read model file|malformed TOML"):
        cgsym.load_model(f)
