"""Models: subsystems, a Hamiltonian H_S with symbolic parameters, and reservoirs.

A model is read from a TOML file (format in the README) or built in Python with
:func:`model_from_dict`.  Every parameter is a real, positive SymPy symbol created
here once, with its role:

``frequency``  a fast system frequency (omega_S),
``slow``       an internal coupling that sets the slow time scale (the paper's Omega),
``rate``       a system-reservoir rate (gamma),
``temperature`` a reservoir temperature.

Operator expressions: ``sx(q) sy(q) sz(q) sp(q) sm(q)`` on a two-level subsystem
(the first level is the upper one: sz = |upper><upper| - |lower><lower|,
sp = |upper><lower|), ``ketbra(q, 'a', 'b')`` and ``proj(q, 'a')`` on any
subsystem, ``id(q)``; numbers and parameter expressions.  A product of operators is
the operator product; a number added to an operator means that number times the
identity.
"""
from __future__ import annotations

import ast
import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import sympy as sp
from sympy.parsing.sympy_parser import (
    auto_number,
    convert_xor,
    parse_expr,
    rationalize,
)
from sympy.printing.defaults import Printable

from .errors import CgsymError, CgsymWarning  # noqa: F401 (CgsymWarning: see _upper_level)
from .operators import ImmutableMatrix, dagger, embed, is_zero_matrix, ketbra_matrix, product_labels
from .symbols import OMEGA, RESERVED_NAMES

ROLES = ("frequency", "slow", "rate", "temperature")
_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Parameter:
    """A model parameter: its name, SymPy symbol (real, positive) and role."""

    name: str
    symbol: sp.Symbol
    role: str


#: level names that usually denote the lower state of a two-level system
GROUND_LIKE = frozenset({"g", "0", "down", "dn", "gnd", "ground", "low", "lower"})


@dataclass(frozen=True)
class Subsystem:
    """A subsystem and its levels, in product-basis order.

    ``upper`` is the index of the upper level of a two-level subsystem, the one
    ``sz``, ``sp`` and ``sm`` refer to (sz = |upper><upper| - |lower><lower|): the first
    level unless the model file says ``upper = "..."``.
    """

    name: str
    levels: tuple[str, ...]
    upper: int = 0

    @property
    def dim(self) -> int:
        return len(self.levels)


@dataclass(frozen=True)
class Reservoir:
    """A thermal bosonic reservoir p coupled through X_p (paper Eq. 86).

    ``rate`` is gamma_p(omega) = 2 pi g_p(omega)^2, an expression of ``OMEGA``
    (the transition frequency, > 0) and the parameters.
    """

    name: str
    coupling: ImmutableMatrix
    temperature: sp.Expr
    rate: sp.Expr
    coupling_text: str
    rate_text: str

    def zero_frequency_message(self) -> str:
        """The one message of both routes (symbolic and ``--numeric``) for a
        zero-frequency component whose rate gamma(omega) n(omega, T) diverges at 0."""
        return (f"reservoir '{self.name}': the coupling has a zero-frequency component (it "
                f"connects levels of equal energy, or commutes with H_S), and gamma(omega) "
                f"n(omega, T) diverges as omega -> 0 for gamma(omega) = {self.rate} (n(0) is "
                f"infinite); use a rate that vanishes at omega = 0, e.g. an Ohmic one, for "
                f"which it causes dephasing at the finite rate lim gamma(omega) n(omega, T)")

    def zero_frequency_rate(self) -> sp.Expr:
        """lim_{omega -> 0+} gamma(omega) n(omega, T): the rate of a zero-frequency
        eigenoperator X_0 (pure dephasing in the energy basis), e.g. gamma T / omega_c for
        the Ohmic gamma omega / omega_c.  Raises with :meth:`zero_frequency_message` where
        it diverges (a flat or sub-Ohmic rate)."""
        lim = sp.limit(self.rate / (sp.exp(OMEGA / self.temperature) - 1), OMEGA, 0, "+")
        if not lim.is_finite:
            raise CgsymError(self.zero_frequency_message())
        return sp.simplify(lim)


class ParameterSymbols(tuple):
    """A model's parameter symbols in declaration order, also by name.

    ``model.symbols.Omega`` (or ``model.symbols["Omega"]``) is the model's own positive
    symbol.  ``sympy.Symbol("Omega")`` is a different symbol (no assumptions), so
    ``sympy.diff(J, sympy.Symbol("Omega"))`` is silently 0: take symbols from here.
    """

    def __getattr__(self, name):
        for s in self:
            if s.name == name:
                return s
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(f"the model has no parameter '{name}' (parameters: "
                             f"{', '.join(s.name for s in self)})")

    def __getitem__(self, key):
        if isinstance(key, str):
            try:
                return self.__getattr__(key)
            except AttributeError as e:
                raise KeyError(str(e)) from None
        return tuple.__getitem__(self, key)


@dataclass(frozen=True)
class Model(Printable):
    """A finite-dimensional system and its reservoirs.  Immutable."""

    name: str
    description: str
    parameters: tuple[Parameter, ...]
    subsystems: tuple[Subsystem, ...]
    hamiltonian: ImmutableMatrix
    hamiltonian_text: str
    reservoirs: tuple[Reservoir, ...]
    source: str = field(default="", compare=False, repr=False)

    # -- lookups -------------------------------------------------------------
    @property
    def dim(self) -> int:
        return self.hamiltonian.rows

    @property
    def basis(self) -> tuple[str, ...]:
        """Product-basis labels, e.g. ("e,e", "e,g", "g,e", "g,g")."""
        return product_labels([s.levels for s in self.subsystems])

    @property
    def is_real(self) -> bool:
        """True when H_S and every coupling are real matrices (then so are eigenvectors)."""
        mats = [self.hamiltonian] + [r.coupling for r in self.reservoirs]
        return not any(sp.expand(e).has(sp.I) for m in mats for e in m)

    @property
    def adjoint_mode(self) -> str:
        """How to conjugate this model's matrices (see :func:`cgsym.operators.adjoint`):
        ``"transpose"`` when H_S and the couplings are real, else ``"flip-i"``.

        Every atom of a derived matrix but i is real: parameters are positive, and
        eigenvectors are real radicals (mixing angles, norms, roots of a Hermitian
        block's characteristic polynomial) times phases built from H_S's entries, so
        conjugation is i -> -i.  SymPy's own conjugate left conjugate(sqrt(-w +
        sqrt(eps**2 + w**2))) unevaluated and broke exact Hermiticity (a qubit with
        an sy coupling or an sy term in H_S).  The engine's exact Hermiticity and
        trace checks of the Liouvillian guard this reasoning."""
        return "transpose" if self.is_real else "flip-i"

    @property
    def symbols(self) -> ParameterSymbols:
        """The parameter symbols in declaration order; by name: ``model.symbols.Omega``."""
        return ParameterSymbols(p.symbol for p in self.parameters)

    def symbols_with_role(self, role: str) -> tuple[sp.Symbol, ...]:
        return tuple(p.symbol for p in self.parameters if p.role == role)

    @property
    def slow(self) -> tuple[sp.Symbol, ...]:
        return self.symbols_with_role("slow")

    def require_slow(self, what: str = "--weak-internal") -> None:
        """Refuse the weak-internal limit for a model without a slow parameter.

        The limit sends the slow parameters to zero in the rates; without one it is the
        model itself, and the (much longer) full derivation would run instead of the
        limit the user asked for.  The message suggests the parameter that looks like an
        internal coupling (see :meth:`looks_slow`).
        """
        if self.slow:
            return
        hint = self.looks_slow()
        raise CgsymError(
            f"{what}: model '{self.name}' declares no 'slow' parameter, so the weak-internal "
            f"limit is the model itself (nothing goes to zero); declare the internal coupling "
            f"'slow' in [parameters]" + (f" ({hint})" if hint else "") + ", or drop "
            f"{what}")

    def looks_slow(self) -> str:
        """Which 'frequency' parameter looks like a slow internal coupling, and why.

        A parameter that appears only off the diagonal of H_S in the product basis couples
        subsystems or levels (the paper's Omega); failing that, the parameter with the
        smallest term of H_S at the reference point (every frequency 1).
        """
        H = sp.Matrix(self.hamiltonian)
        freq = [p for p in self.parameters if p.role == "frequency" and H.has(p.symbol)]
        diag = set().union(*[H[i, i].free_symbols for i in range(H.rows)])
        off = [p for p in freq if p.symbol not in diag]
        if off:
            names = ", ".join(f"'{p.name}'" for p in off)
            return (f"{names} {'looks' if len(off) == 1 else 'look'} slow: "
                    f"{'it appears' if len(off) == 1 else 'they appear'} only off the "
                    f"diagonal of H_S, as an internal coupling")
        if len(freq) < 2:
            return ""
        ref = {p.symbol: 1 for p in freq}
        size = {}
        for p in freq:
            term = H.diff(p.symbol).subs(ref) * 1
            size[p.name] = float(sp.sqrt(sum(abs(complex(x)) ** 2 for x in term)))
        name = min(size, key=size.get)
        if sum(1 for v in size.values() if v <= size[name] * (1 + 1e-9)) > 1:
            return ""     # a tie: nothing looks slower than the rest
        return (f"'{name}' looks slow: its term of H_S is the smallest at the reference point "
                f"(every frequency 1)")

    def parameter(self, name: str) -> Parameter:
        for p in self.parameters:
            if p.name == name:
                return p
        raise CgsymError(f"model '{self.name}' has no parameter '{name}' "
                         f"(parameters: {', '.join(p.name for p in self.parameters)})")

    def reservoir(self, name: str) -> Reservoir:
        for r in self.reservoirs:
            if r.name == name:
                return r
        raise CgsymError(f"model '{self.name}' has no reservoir '{name}' "
                         f"(reservoirs: {', '.join(r.name for r in self.reservoirs)})")

    @property
    def sympify_locals(self) -> dict:
        """Names for ``sympify`` to read cgsym's output strings with this model."""
        from .symbols import SYMPIFY_LOCALS
        d = {p.name: p.symbol for p in self.parameters}
        d.update(SYMPIFY_LOCALS)
        return d

    def _latex(self, printer):
        from .latex import model_latex
        return model_latex(self, printer)

    def __str__(self):
        lines = [f"model {self.name}: {self.description}".rstrip(": "),
                 f"  H_S = {self.hamiltonian_text}"]
        for r in self.reservoirs:
            lines.append(f"  reservoir {r.name}: X = {r.coupling_text}, T = {r.temperature}, "
                         f"gamma(omega) = {r.rate}")
        return "\n".join(lines)

    # -- Python objects and model files (issue 17) ------------------------------
    @classmethod
    def from_operators(cls, name: str, hamiltonian, reservoirs, parameters, basis,
                       description: str = "") -> "Model":
        """A model from SymPy objects, validated exactly like a model file.

        Parameters
        ----------
        name : str
            The model's name.
        hamiltonian : SymPy matrix or str
            H_S in the product basis (first subsystem most significant; build it with
            :func:`cgsym.operators.kron`, :func:`~cgsym.operators.embed`,
            :func:`~cgsym.operators.ketbra_matrix`, ``sympy.physics.matrices.msigma``
            or any SymPy matrix), or an
            operator expression of the model-file language (``"omega_S/2*sz(q)"``).
        reservoirs : sequence of mappings
            ``{"name", "coupling", "temperature", "rate"}`` (``rate`` optional, as in a
            file); ``coupling`` a matrix or operator expression, ``temperature`` and
            ``rate`` SymPy expressions or strings (``rate`` may use
            :data:`cgsym.OMEGA`, the transition frequency).
        parameters : mapping
            parameter (a SymPy ``Symbol`` or its name) -> role (``frequency``,
            ``slow``, ``rate``, ``temperature``).  Symbols are identified by *name*:
            the model creates its own real positive symbols.
        basis : mapping or sequence of pairs
            subsystem name -> level names, in product-basis order.

        The objects are written in the model-file language (a matrix as a sum of
        products of ``ketbra``/``proj`` terms, floats as exact rationals) and read
        back by :func:`model_from_dict`, so the validation and its one-line errors
        are those of a file; the matrix read back is checked to equal the one given.

        Examples
        --------
        >>> import sympy as sp, cgsym
        >>> w, g, T = sp.symbols("omega_S gamma T", positive=True)
        >>> sz, sx = sp.Matrix([[1, 0], [0, -1]]), sp.Matrix([[0, 1], [1, 0]])
        >>> m = cgsym.Model.from_operators(
        ...     "qubit", hamiltonian=w / 2 * sz, basis={"q": ["e", "g"]},
        ...     parameters={w: "frequency", g: "rate", T: "temperature"},
        ...     reservoirs=[{"name": "b", "coupling": sx, "temperature": T, "rate": g}])
        >>> m.hamiltonian_text
        "omega_S/2*proj(q, 'e') - omega_S/2*proj(q, 'g')"
        >>> cgsym.model_from_toml(m.to_toml()) == m
        True
        """
        return model_from_operators(name, hamiltonian, reservoirs, parameters, basis,
                                    description)

    def to_toml(self, path=None) -> str:
        """The model file of this model (the text ``cgsym derive FILE`` reads).

        Written from the model's own texts (a model read from a file gives its
        expressions back unchanged); with ``path``, the text is also written there.
        ``model_from_toml(m.to_toml()) == m``.
        """
        text = model_to_toml(self)
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text


# ---------------------------------------------------------------------------
# operator expressions
# ---------------------------------------------------------------------------
class _SubsystemRef:
    """What a subsystem name means inside an operator expression."""

    def __init__(self, index: int, sub: Subsystem):
        self.index, self.sub = index, sub

    def __repr__(self):
        return self.sub.name


class _Op:
    """An operator on the full product space, closed under + - * / by scalars."""

    _op_priority = 1000  # above sympy's so that Expr * _Op reaches __rmul__

    def __init__(self, matrix):
        self.m = sp.Matrix(matrix)

    def _scalar(self, s):
        s = sp.sympify(s)
        return s * sp.eye(self.m.rows)

    def __add__(self, o):
        return _Op(self.m + (o.m if isinstance(o, _Op) else self._scalar(o)))

    __radd__ = __add__

    def __sub__(self, o):
        return _Op(self.m - (o.m if isinstance(o, _Op) else self._scalar(o)))

    def __rsub__(self, o):
        return _Op(self._scalar(o) - self.m)

    def __mul__(self, o):
        if isinstance(o, _Op):
            return _Op(self.m * o.m)
        return _Op(self.m * sp.sympify(o))

    def __rmul__(self, o):
        return _Op(sp.sympify(o) * self.m)

    def __truediv__(self, o):
        if isinstance(o, _Op):
            raise CgsymError("cannot divide by an operator")
        return _Op(self.m / sp.sympify(o))

    def __neg__(self):
        return _Op(-self.m)

    def __pos__(self):
        return self

    def __pow__(self, k):
        k = sp.sympify(k)
        if not (k.is_Integer and k >= 0):
            raise CgsymError(f"an operator can only be raised to a non-negative integer power, not {k}")
        out = sp.eye(self.m.rows)
        for _ in range(int(k)):
            out = out * self.m
        return _Op(out)


class _OperatorContext:
    """Builds the names available inside operator expressions for one model."""

    def __init__(self, subsystems, symbols: dict[str, sp.Symbol], what: str):
        self.subs = subsystems
        self.dims = tuple(s.dim for s in subsystems)
        self.what = what
        self.symbols = symbols

    def _ref(self, q, fname):
        if not isinstance(q, _SubsystemRef):
            raise CgsymError(f"{self.what}: {fname}() needs a subsystem name as its first "
                             f"argument, got '{q}' (subsystems: "
                             f"{', '.join(s.name for s in self.subs)})")
        return q

    def _two_level(self, q, fname):
        q = self._ref(q, fname)
        if q.sub.dim != 2:
            raise CgsymError(f"{self.what}: {fname}({q.sub.name}) needs a two-level subsystem, "
                             f"but '{q.sub.name}' has {q.sub.dim} levels")
        return q

    def _local(self, q, mat):
        return _Op(embed(sp.Matrix(mat), q.index, self.dims))

    def _pauli(self, q, mat):
        """A Pauli-type matrix given with the upper level first, in q's level order."""
        m = sp.Matrix(mat)
        if q.sub.upper == 1:          # levels listed lower first: swap the two levels
            m = m[::-1, ::-1]
        return self._local(q, m)

    def _level(self, q, level, fname):
        if not isinstance(level, str):
            raise CgsymError(f"{self.what}: {fname}() takes level names in quotes, "
                             f"e.g. {fname}({q.sub.name}, '{q.sub.levels[0]}'), got {level}")
        if level not in q.sub.levels:
            raise CgsymError(f"{self.what}: subsystem '{q.sub.name}' has no level '{level}' "
                             f"(levels: {', '.join(q.sub.levels)})")
        return q.sub.levels.index(level)

    def names(self) -> dict:
        pauli = {
            "sx": [[0, 1], [1, 0]],
            "sy": [[0, -sp.I], [sp.I, 0]],
            "sz": [[1, 0], [0, -1]],
            "sp": [[0, 1], [0, 0]],
            "sm": [[0, 0], [1, 0]],
        }
        d = {}
        for fname, mat in pauli.items():
            def f(*args, _f=fname, _m=mat):
                if len(args) != 1:
                    raise CgsymError(f"{self.what}: {_f}() takes one subsystem name, got {len(args)} arguments")
                return self._pauli(self._two_level(args[0], _f), _m)
            d[fname] = f

        def ketbra(*args):
            if len(args) != 3:
                raise CgsymError(f"{self.what}: ketbra() takes (subsystem, 'level', 'level'), "
                                 f"got {len(args)} arguments")
            q = self._ref(args[0], "ketbra")
            i, j = self._level(q, args[1], "ketbra"), self._level(q, args[2], "ketbra")
            return self._local(q, ketbra_matrix(q.sub.dim, i, j))

        def proj(*args):
            if len(args) != 2:
                raise CgsymError(f"{self.what}: proj() takes (subsystem, 'level'), got {len(args)} arguments")
            q = self._ref(args[0], "proj")
            i = self._level(q, args[1], "proj")
            return self._local(q, ketbra_matrix(q.sub.dim, i, i))

        def ident(*args):
            if len(args) != 1:
                raise CgsymError(f"{self.what}: id() takes one subsystem name")
            q = self._ref(args[0], "id")
            return self._local(q, sp.eye(q.sub.dim))

        d.update(ketbra=ketbra, proj=proj, id=ident)
        for i, s in enumerate(self.subs):
            d[s.name] = _SubsystemRef(i, s)
        return d


_FUNCS = {name: getattr(sp, name) for name in (
    "sqrt", "exp", "log", "sin", "cos", "tan", "sinh", "cosh", "tanh", "coth", "Abs",
    "Rational", "Integer", "Float", "Symbol")}
_FUNCS.update(pi=sp.pi, E=sp.E, I=sp.I)
_TRANSFORMS = (auto_number, rationalize, convert_xor)


def _parse(text, local: dict, what: str):
    """Parse ``text`` with exactly the names in ``local`` (no auto-symbols)."""
    if not isinstance(text, str) or not text.strip():
        raise CgsymError(f"{what}: expected a non-empty expression string, got {text!r}")
    try:
        ast.parse(text.replace("^", "**"), mode="eval")
    except SyntaxError as e:
        col = (e.offset or 0)
        raise CgsymError(f"{what}: cannot read '{text}' (syntax error at column {col})") from None
    g = dict(_FUNCS)
    g["__builtins__"] = {}
    try:
        return parse_expr(text, local_dict=dict(local), global_dict=g,
                          transformations=_TRANSFORMS)
    except CgsymError:
        raise
    except NameError as e:
        m = re.search(r"name '([^']+)' is not defined", str(e))
        name = m.group(1) if m else str(e)
        raise CgsymError(f"{what}: unknown name '{name}' in '{text}' (not a declared parameter, "
                         f"subsystem or operator)") from None
    except (TypeError, AttributeError, ValueError, SyntaxError, sp.SympifyError) as e:
        raise CgsymError(f"{what}: cannot read '{text}' ({type(e).__name__}: "
                         f"{str(e).splitlines()[0] if str(e) else ''})") from None


def _operator(text, ctx: _OperatorContext, dim: int, what: str):
    local = dict(ctx.symbols)
    local.update(ctx.names())
    val = _parse(text, local, what)
    if isinstance(val, _SubsystemRef):
        raise CgsymError(f"{what}: '{text}' is a subsystem name, not an operator")
    if isinstance(val, _Op):
        return ImmutableMatrix(val.m.applyfunc(sp.expand))
    val = sp.sympify(val)
    if val.free_symbols - set(ctx.symbols.values()):
        raise CgsymError(f"{what}: '{text}' uses undeclared names "
                         f"{sorted(map(str, val.free_symbols))}")
    return ImmutableMatrix(sp.eye(dim) * val)


def _check_hermitian(m, what):
    if not is_zero_matrix(sp.Matrix(m) - sp.Matrix(dagger(m))):
        raise CgsymError(f"{what} is not Hermitian (it must be an observable); "
                         f"check the Hermitian-conjugate terms")


# ---------------------------------------------------------------------------
# construction and validation
# ---------------------------------------------------------------------------
def _require(d: dict, key: str, typ, where: str):
    if key not in d:
        raise CgsymError(f"{where}: missing key '{key}'")
    v = d[key]
    if not isinstance(v, typ) or isinstance(v, bool) and typ is not bool:
        tname = typ.__name__ if isinstance(typ, type) else "/".join(t.__name__ for t in typ)
        raise CgsymError(f"{where}: '{key}' must be a {tname}, got {type(v).__name__}")
    return v


def _check_name(name: str, where: str):
    if not _NAME_RE.match(name):
        raise CgsymError(f"{where}: '{name}' is not a valid name (letters, digits, underscores; "
                         f"starting with a letter)")



def _require_positive(expr: sp.Expr, message: str, text: str) -> None:
    """Reject an expression that is not positive for every positive parameter (and omega > 0).

    SymPy's assumptions decide most cases (every parameter symbol is positive); when
    they cannot, the expression is evaluated at 64 fixed pseudo-random positive
    rational points (log-uniform over 1e-3 .. 1e3), and a non-positive or non-real
    value there is a counterexample that is reported.
    """
    if expr.is_positive:
        return
    if expr.is_positive is False or expr.is_number:
        raise CgsymError(f"{message}, got {text}")
    import random
    rng = random.Random(20261201)
    syms = sorted(expr.free_symbols, key=lambda s: s.name)
    for _ in range(64):
        point = {s: sp.Rational(round(10 ** rng.uniform(-3, 3), 4)).limit_denominator(10 ** 6)
                 or sp.Rational(1, 1000) for s in syms}
        v = sp.N(expr.xreplace(point), 30)
        if not (v.is_real and v > 0):
            where = ", ".join(f"{s}={float(point[s]):g}" for s in syms)
            raise CgsymError(f"{message}, got {text}, which is {sp.N(v, 4)} at {where}")

def _upper_level(s: dict, sname: str, levels: list) -> int:
    """Index of the upper level of a subsystem (``upper = "e"``; default the first level).

    Warns (:class:`CgsymWarning`) when a two-level subsystem lists first a level named
    like a ground state (``g``, ``0``, ``down``, ...) without saying which is upper:
    every label would silently be swapped.
    """
    if "upper" in s:
        upper = s["upper"]
        if not isinstance(upper, str):
            raise CgsymError(f"subsystem '{sname}': 'upper' must be a level name (a string), "
                             f"got {type(upper).__name__}")
        if len(levels) != 2:
            raise CgsymError(f"subsystem '{sname}': 'upper' applies to a two-level subsystem "
                             f"(it says which level sz, sp, sm raise to); '{sname}' has "
                             f"{len(levels)} levels: use ketbra() and proj()")
        if upper not in levels:
            raise CgsymError(f"subsystem '{sname}': upper = '{upper}' is not one of its levels "
                             f"({', '.join(levels)})")
        return levels.index(upper)
    if len(levels) == 2 and levels[0].lower() in GROUND_LIKE:
        import warnings
        from .errors import CgsymWarning
        warnings.warn(CgsymWarning(
            f"subsystem '{sname}': the first level '{levels[0]}' is named like a ground state, "
            f"but the first level of a two-level subsystem is the upper one (sz = "
            f"|{levels[0]}><{levels[0]}| - |{levels[1]}><{levels[1]}|, sp = "
            f"|{levels[0]}><{levels[1]}|); list the upper level first, or say which it is: "
            f"upper = \"{levels[1]}\""), stacklevel=4)
    return 0


def model_from_dict(data: dict, source: str = "") -> Model:
    """Build and validate a :class:`Model` from the TOML structure (see README).

    Every parameter becomes a real positive SymPy symbol with its role
    (``frequency``, ``slow``, ``rate``, ``temperature``); operator strings are read
    in the model-file language; any problem is one :class:`CgsymError` line.

    Examples
    --------
    >>> import cgsym
    >>> m = cgsym.model_from_dict({
    ...     "name": "qubit", "hamiltonian": "w/2*sz(q)",
    ...     "parameters": {"w": "frequency", "g": "rate", "T": "temperature"},
    ...     "subsystems": [{"name": "q", "levels": ["e", "g"]}],
    ...     "reservoirs": [{"name": "b", "coupling": "sx(q)", "temperature": "T"}]})
    >>> m.parameter("w").symbol.is_positive, m.reservoir("b").rate
    (True, g)
    >>> cgsym.model_from_dict({
    ...     "name": "bad", "hamiltonian": "w*sz(q) + sp(q)", "parameters": {"w": "frequency"},
    ...     "subsystems": [{"name": "q", "levels": ["e", "g"]}], "reservoirs": []})
    Traceback (most recent call last):
    ...
    cgsym.errors.CgsymError: the Hamiltonian H_S is not Hermitian (it must be an observable); check the Hermitian-conjugate terms
    """
    if not isinstance(data, dict):
        raise CgsymError("model: expected a table at the top level")
    known = {"name", "description", "hamiltonian", "parameters", "subsystems", "reservoirs"}
    extra = sorted(set(data) - known)
    if extra:
        raise CgsymError(f"model: unknown key '{extra[0]}' (known keys: {', '.join(sorted(known))})")
    name = _require(data, "name", str, "model")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise CgsymError("model: 'description' must be a string")
    htext = _require(data, "hamiltonian", str, "model")

    # parameters ------------------------------------------------------------
    ptable = _require(data, "parameters", dict, "model")
    params = []
    for pname, role in ptable.items():
        _check_name(pname, "[parameters]")
        if pname in RESERVED_NAMES:
            raise CgsymError(f"[parameters]: '{pname}' is a reserved name in cgsym; rename the parameter")
        if not isinstance(role, str) or role not in ROLES:
            raise CgsymError(f"[parameters]: parameter '{pname}' has role {role!r}; "
                             f"roles are {', '.join(ROLES)}")
        params.append(Parameter(pname, sp.Symbol(pname, positive=True), role))
    if not params:
        raise CgsymError("[parameters]: a model needs at least one parameter")
    symbols = {p.name: p.symbol for p in params}

    # subsystems ------------------------------------------------------------
    slist = _require(data, "subsystems", list, "model")
    if not slist:
        raise CgsymError("model: at least one [[subsystems]] entry is required")
    subs = []
    for i, s in enumerate(slist):
        where = f"[[subsystems]] #{i + 1}"
        if not isinstance(s, dict):
            raise CgsymError(f"{where}: expected a table")
        sname = _require(s, "name", str, where)
        _check_name(sname, where)
        levels = _require(s, "levels", list, f"subsystem '{sname}'")
        if len(levels) < 2 or not all(isinstance(l, str) and l for l in levels):
            raise CgsymError(f"subsystem '{sname}': 'levels' must list at least two level names")
        if len(set(levels)) != len(levels):
            raise CgsymError(f"subsystem '{sname}': duplicate level names in {levels}")
        if any("," in l for l in levels):
            raise CgsymError(f"subsystem '{sname}': level names may not contain commas")
        extra = sorted(set(s) - {"name", "levels", "upper"})
        if extra:
            raise CgsymError(f"subsystem '{sname}': unknown key '{extra[0]}'")
        subs.append(Subsystem(sname, tuple(levels), _upper_level(s, sname, levels)))
    names = [s.name for s in subs]
    dup = {x for x in names if names.count(x) > 1}
    if dup:
        raise CgsymError(f"model: duplicate subsystem name '{sorted(dup)[0]}'")
    clash = set(names) & (set(symbols) | RESERVED_NAMES)
    if clash:
        raise CgsymError(f"model: subsystem name '{sorted(clash)[0]}' clashes with a parameter or reserved name")
    dims = [s.dim for s in subs]
    dim = 1
    for d in dims:
        dim *= d

    ctx = _OperatorContext(tuple(subs), symbols, "hamiltonian")
    H = _operator(htext, ctx, dim, "hamiltonian")
    _check_hermitian(H, "the Hamiltonian H_S")

    # reservoirs ------------------------------------------------------------
    rlist = _require(data, "reservoirs", list, "model")
    if not rlist:
        raise CgsymError("model: at least one [[reservoirs]] entry is required")
    rate_params = [p for p in params if p.role == "rate"]
    reservoirs = []
    for i, r in enumerate(rlist):
        where = f"[[reservoirs]] #{i + 1}"
        if not isinstance(r, dict):
            raise CgsymError(f"{where}: expected a table")
        rname = _require(r, "name", str, where)
        _check_name(rname, where)
        where = f"reservoir '{rname}'"
        extra = sorted(set(r) - {"name", "coupling", "temperature", "rate"})
        if extra:
            raise CgsymError(f"{where}: unknown key '{extra[0]}'")
        ctext = _require(r, "coupling", str, where)
        X = _operator(ctext, _OperatorContext(tuple(subs), symbols, f"{where} coupling"), dim,
                      f"{where} coupling")
        _check_hermitian(X, f"{where}: the coupling operator X")
        if is_zero_matrix(X):
            raise CgsymError(f"{where}: the coupling operator is zero")
        ttext = _require(r, "temperature", (str, int, float), where)
        T = _parse(str(ttext), symbols, f"{where} temperature")
        T = sp.nsimplify(T) if isinstance(T, sp.Float) else sp.sympify(T)
        _require_positive(T, f"{where}: the temperature must be positive", str(ttext))
        if "rate" in r:
            rtext = r["rate"]
            if not isinstance(rtext, (str, int, float)) or isinstance(rtext, bool):
                raise CgsymError(f"{where}: 'rate' must be an expression string")
            rtext = str(rtext)
        elif len(rate_params) == 1:
            rtext = rate_params[0].name
        elif not rate_params:
            rtext = "1"
        else:
            raise CgsymError(f"{where}: no 'rate' given and the model declares several rate "
                             f"parameters ({', '.join(p.name for p in rate_params)}); say which")
        rate_locals = dict(symbols)
        rate_locals["omega"] = OMEGA
        rate = sp.sympify(_parse(rtext, rate_locals, f"{where} rate"))
        if not isinstance(rate, sp.Expr):
            raise CgsymError(f"{where}: the rate gamma(omega) must be a positive expression, "
                             f"got {rtext}")
        _require_positive(rate, f"{where}: the rate gamma(omega) must be a positive expression "
                          f"(for omega > 0 and positive parameters)", rtext)
        reservoirs.append(Reservoir(rname, X, T, rate, ctext, rtext))
    rnames = [r.name for r in reservoirs]
    dup = {x for x in rnames if rnames.count(x) > 1}
    if dup:
        raise CgsymError(f"model: duplicate reservoir name '{sorted(dup)[0]}'")

    # roles and usage -------------------------------------------------------
    used = set(H.free_symbols)
    for r in reservoirs:
        used |= r.coupling.free_symbols | r.temperature.free_symbols | r.rate.free_symbols
        for s in r.temperature.free_symbols:
            role = next(p.role for p in params if p.symbol == s)
            if role != "temperature":
                raise CgsymError(f"reservoir '{r.name}': temperature uses '{s}', whose role is "
                                 f"'{role}', not 'temperature'")
    for p in params:
        if p.role == "slow" and p.symbol not in H.free_symbols:
            raise CgsymError(f"[parameters]: slow parameter '{p.name}' does not appear in the "
                             f"Hamiltonian, so it sets no internal time scale; give it another role")
        if p.symbol not in used:
            raise CgsymError(f"[parameters]: parameter '{p.name}' is declared but never used")
    return Model(name, description, tuple(params), tuple(subs), H, htext, tuple(reservoirs), source)


def model_from_toml(text: str, origin: str = "model file") -> Model:
    """A :class:`Model` from the text of a model file (format in the README).

    Examples
    --------
    >>> import cgsym
    >>> m = cgsym.model_from_toml('''
    ... name = "qubit"
    ... hamiltonian = "w/2*sz(q)"
    ... parameters = {w = "frequency", g = "rate", T = "temperature"}
    ... subsystems = [{name = "q", levels = ["e", "g"]}]
    ... reservoirs = [{name = "b", coupling = "sx(q)", temperature = "T"}]
    ... ''')
    >>> m.hamiltonian
    Matrix([
    [w/2,    0],
    [  0, -w/2]])
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise CgsymError(f"{origin}: malformed TOML: {e}") from None
    return model_from_dict(data, source=text)


def shipped_models() -> tuple[str, ...]:
    """Names of the model files shipped in the package.

    Examples
    --------
    >>> import cgsym
    >>> "tunnelling-qubit" in cgsym.shipped_models()
    True
    """
    files = resources.files("cgsym") / "models"
    return tuple(sorted(p.name[:-5] for p in files.iterdir() if p.name.endswith(".toml")))


def load_model(name_or_path) -> Model:
    """Load a shipped model by name, or a model file by path (a :class:`Model` is
    returned as it is).  Errors are one line (:class:`CgsymError`).

    Examples
    --------
    >>> import cgsym
    >>> m = cgsym.load_model("two-qubits-two-baths")
    >>> m.dim, [r.name for r in m.reservoirs], [p.name for p in m.slow]
    (4, ['h', 'c'], ['Omega'])
    """
    if isinstance(name_or_path, Model):
        return name_or_path
    s = str(name_or_path)
    path = Path(s)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise CgsymError(f"model file '{s}' does not exist")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise CgsymError(f"cannot read model file '{s}': {e}") from None
        return model_from_toml(text, origin=s)
    if s in shipped_models():
        text = (resources.files("cgsym") / "models" / f"{s}.toml").read_text(encoding="utf-8")
        return model_from_toml(text, origin=s)
    from .errors import did_you_mean
    raise CgsymError(f"unknown model '{s}' ({did_you_mean(s, shipped_models())}not a file, and "
                     f"not a shipped model: {', '.join(shipped_models())})")


# ---------------------------------------------------------------------------
# models from Python objects, and back to model files (issue 17)
# ---------------------------------------------------------------------------
def _exact(e):
    """A SymPy expression with its floats replaced by exact rationals (0.5 -> 1/2)."""
    e = sp.sympify(e)
    return sp.nsimplify(e, rational=True) if e.has(sp.Float) else e


def _expr_text(e, what: str) -> str:
    if isinstance(e, str):
        return e
    if isinstance(e, bool) or not isinstance(e, (int, float, sp.Basic)):
        raise CgsymError(f"{what}: expected a SymPy expression or a string, got "
                         f"{type(e).__name__}")
    if isinstance(e, sp.MatrixBase):
        raise CgsymError(f"{what}: expected a scalar expression, got a matrix")
    return sp.sstr(_exact(e))


def _coef_terms(pairs) -> str:
    """``[(c, op_text), ...]`` as a sum ``c1*op1 - c2*op2 ...`` (op_text '' = a scalar)."""
    out = []
    for c, op in pairs:
        c = _exact(c)
        neg = c.could_extract_minus_sign()
        a = -c if neg else c
        if not op:
            body = sp.sstr(a)
        elif a == 1:
            body = op
        else:
            # a product or power reads left to right (A/B*op = (A/B)*op); a sum needs ()
            body = f"({sp.sstr(a)})*{op}" if a.is_Add else f"{sp.sstr(a)}*{op}"
        out.append(("- " if neg else "+ ") + body)
    text = " ".join(out)
    return text[2:] if text.startswith("+ ") else "-" + text[2:]


def _operator_terms(m, subs) -> list:
    """The matrix ``m`` on the subsystems ``subs`` as [(coefficient, operator text)]:
    m = sum_ab |a><b| (x) m_ab over the first subsystem, equal blocks grouped, and an
    identity factor (the same block on the whole diagonal) left out."""
    sname, levels = subs[0]
    d = len(levels)
    r = m.rows // d

    def local(a, b):
        return (f"proj({sname}, '{levels[a]}')" if a == b
                else f"ketbra({sname}, '{levels[a]}', '{levels[b]}')")

    if len(subs) == 1:
        return [(m[a, b], local(a, b)) for a in range(d) for b in range(d)
                if _exact(m[a, b]) != 0]
    groups: dict = {}
    for a in range(d):
        for b in range(d):
            B = sp.ImmutableMatrix(m[a * r:(a + 1) * r, b * r:(b + 1) * r].applyfunc(_exact))
            if not B.is_zero_matrix:
                groups.setdefault(B, []).append((a, b))
    terms = []
    for B, ab in groups.items():
        if sorted(ab) == [(a, a) for a in range(d)]:
            loc = ""                                     # the identity on this subsystem
        elif len(ab) == 1:
            loc = local(*ab[0])
        else:
            loc = "(" + _coef_terms([(1, local(a, b)) for a, b in ab]) + ")"
        c = B[0, 0]
        if B == c * sp.eye(r):
            terms.append((c, loc or f"id({sname})"))
            continue
        sub = _operator_terms(B, subs[1:])
        if len(sub) == 1:
            terms.append((sub[0][0], "*".join(x for x in (loc, sub[0][1]) if x)))
        else:
            terms.append((1, "*".join(x for x in (loc, "(" + _coef_terms(sub) + ")") if x)))
    return terms


def _matrix_text(m, subs: list[tuple[str, tuple[str, ...]]], what: str) -> str:
    """A matrix in the product basis as model-file operator text (see _operator_text)."""
    if isinstance(m, str):
        return m
    if not isinstance(m, sp.MatrixBase):
        raise CgsymError(f"{what}: expected a SymPy matrix or an operator expression "
                         f"string, got {type(m).__name__}")
    dims = [len(levels) for _, levels in subs]
    dim = 1
    for d in dims:
        dim *= d
    if m.shape != (dim, dim):
        raise CgsymError(f"{what}: a {m.rows}x{m.cols} matrix, but the basis "
                         f"({' x '.join(map(str, dims))}) has dimension {dim}")
    terms = _operator_terms(sp.Matrix(m), subs)
    if not terms:
        return "0"
    if len(terms) == 1 and terms[0][0] == 1 and _one_group(terms[0][1]):
        return terms[0][1][1:-1]
    return _coef_terms(terms)


def _one_group(text: str) -> bool:
    """True when ``text`` is one parenthesised group, '(...)'."""
    depth = 0
    for k, ch in enumerate(text):
        depth += (ch == "(") - (ch == ")")
        if depth == 0:
            return k == len(text) - 1 and text.startswith("(")
    return False


def _basis_pairs(basis) -> list[tuple[str, tuple[str, ...]]]:
    items = basis.items() if isinstance(basis, dict) else basis
    try:
        pairs = [(n, lv) for n, lv in items]
    except (TypeError, ValueError):
        raise CgsymError("basis: expected subsystem name -> level names, e.g. "
                         "{'q1': ['e', 'g'], 'q2': ['e', 'g']}") from None
    out = []
    for sname, levels in pairs:
        if not isinstance(sname, str):
            raise CgsymError(f"basis: subsystem names must be strings, got {sname!r}")
        if isinstance(levels, str) or not all(isinstance(x, str) for x in levels):
            raise CgsymError(f"subsystem '{sname}': 'levels' must list level names (strings)")
        out.append((sname, tuple(levels)))
    return out


def model_from_operators(name, hamiltonian, reservoirs, parameters, basis,
                         description: str = "") -> Model:
    """:meth:`Model.from_operators` (which see) as a function.

    Examples
    --------
    >>> import sympy as sp, cgsym
    >>> w, g, T = sp.symbols("w g T")          # matched by name: assumptions do not matter
    >>> m = cgsym.model_from_operators("qubit", sp.diag(w, -w) / 2,
    ...     [{"name": "b", "coupling": sp.Matrix([[0, 1], [1, 0]]), "temperature": T}],
    ...     {w: "frequency", g: "rate", T: "temperature"}, {"q": ["e", "g"]})
    >>> m.reservoir("b").coupling_text, m.reservoir("b").rate
    ("ketbra(q, 'e', 'g') + ketbra(q, 'g', 'e')", g)
    """
    subs = _basis_pairs(basis)
    if not isinstance(parameters, dict):
        raise CgsymError("parameters: expected a mapping parameter -> role")
    ptable = {}
    for k, role in parameters.items():
        pname = k.name if isinstance(k, sp.Symbol) else k
        if not isinstance(pname, str):
            raise CgsymError(f"[parameters]: a parameter must be a Symbol or a name, got {k!r}")
        ptable[pname] = role
    matrices = {"hamiltonian": hamiltonian}
    rlist = []
    if isinstance(reservoirs, dict) or not isinstance(reservoirs, (list, tuple)):
        raise CgsymError("reservoirs: expected a list of {'name', 'coupling', 'temperature', "
                         "'rate'} mappings")
    for k, r in enumerate(reservoirs):
        if not isinstance(r, dict):
            raise CgsymError(f"[[reservoirs]] #{k + 1}: expected a mapping")
        rname = r.get("name", f"#{k + 1}")
        where = f"reservoir '{rname}'"
        entry = {key: v for key, v in r.items() if key not in ("coupling", "temperature", "rate")}
        if "coupling" in r:
            entry["coupling"] = _matrix_text(r["coupling"], subs, f"{where} coupling")
            matrices[("coupling", k)] = r["coupling"]
        for key in ("temperature", "rate"):
            if key in r:
                entry[key] = _expr_text(r[key], f"{where} {key}")
        rlist.append(entry)
    data = {"name": name, "description": description,
            "hamiltonian": _matrix_text(hamiltonian, subs, "hamiltonian"),
            "parameters": ptable,
            "subsystems": [{"name": n, "levels": list(lv)} for n, lv in subs],
            "reservoirs": rlist}
    model = model_from_dict(data)
    # the text read back must be the matrix given (guards the printing above)
    by_name = {p.name: p.symbol for p in model.parameters}
    for key, given in matrices.items():
        if isinstance(given, str):
            continue
        got = model.hamiltonian if key == "hamiltonian" else model.reservoirs[key[1]].coupling
        want = sp.Matrix(given).applyfunc(_exact).xreplace(
            {s: by_name[s.name] for s in sp.Matrix(given).free_symbols if s.name in by_name})
        if not is_zero_matrix(want - sp.Matrix(got)):
            raise CgsymError(f"internal error: the {key} read back differs from the matrix given")
    import dataclasses
    return dataclasses.replace(model, source=model_to_toml(model))


def _toml_string(s: str) -> str:
    import json
    return json.dumps(s, ensure_ascii=False)   # a JSON string is a TOML basic string


def model_to_toml(model: Model) -> str:
    """The model-file text of ``model`` (see :meth:`Model.to_toml`).

    Examples
    --------
    >>> import cgsym
    >>> text = cgsym.model_to_toml(cgsym.load_model("tunnelling-qubit"))
    >>> print(text.splitlines()[2])
    hamiltonian = "omega_S/2*sz(A) + Omega/2*(ketbra(T, 'l', 'r') + ketbra(T, 'r', 'l'))"
    >>> cgsym.model_from_toml(text) == cgsym.load_model("tunnelling-qubit")
    True
    """
    q = _toml_string
    out = [f"name = {q(model.name)}"]
    if model.description:
        out.append(f"description = {q(model.description)}")
    out += [f"hamiltonian = {q(model.hamiltonian_text)}", "", "[parameters]"]
    out += [f"{p.name} = {q(p.role)}" for p in model.parameters]
    for s in model.subsystems:
        out += ["", "[[subsystems]]", f"name = {q(s.name)}",
                "levels = [" + ", ".join(q(x) for x in s.levels) + "]"]
        if s.upper != 0:   # the upper level is not the first one: say which it is
            out.append(f"upper = {q(s.levels[s.upper])}")
    for r in model.reservoirs:
        out += ["", "[[reservoirs]]", f"name = {q(r.name)}", f"coupling = {q(r.coupling_text)}",
                f"temperature = {q(sp.sstr(r.temperature))}", f"rate = {q(r.rate_text)}"]
    return "\n".join(out) + "\n"
