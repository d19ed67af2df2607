"""The whole pipeline in one call, and its machine-readable summary.

    Model --eigenoperators()--> Spectrum --rates()--> Rates --master_equation()--> MasterEquation
          --steady_state()--> SteadyState --heat_currents()--> HeatCurrents
"""
from __future__ import annotations

import signal
from contextlib import contextmanager
from dataclasses import dataclass

import sympy as sp
from sympy.printing.defaults import Printable

from .errors import CgsymError
from .master_equation import MasterEquation, master_equation
from .model import Model, load_model
from .rates import Rates, check_regime, rates
from .spectrum import Spectrum, eigenoperators
from .steady_state import SteadyState, steady_state
from .thermo import HeatCurrents, heat_currents


@dataclass(frozen=True)
class Derivation(Printable):
    model: Model
    regime: str
    weak_internal: bool
    spectrum: Spectrum
    rates: Rates
    master_equation: MasterEquation
    steady_state: SteadyState
    heat_currents: HeatCurrents | None

    @property
    def notes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.spectrum.assumptions + self.rates.notes))

    def lindblad_form(self):
        """(channels, problem): the diagonal Lindblad form of every reservoir's dissipator
        (see :meth:`MasterEquation.lindblad_form`), or ``((), reason)`` when a gamma block
        is indefinite and has none."""
        try:
            return self.master_equation.lindblad_form(), None
        except CgsymError as exc:
            return (), str(exc)

    def compact(self, secular: bool = True, steady_state: bool = True,
                max_nodes: int | None = 500_000, form: str = "auto"):
        """Compact, paper-style forms of the heat currents and the steady state
        (:class:`cgsym.forms.CompactForms`: abbreviations defined once, rho = N/D, the
        partial-secular current as J_sec x factor when shorter), each proved equal to
        the canonical result.  The canonical results are unchanged.  Above ``max_nodes``
        expression nodes (None: no limit) the canonical forms are returned with a note.
        ``form``: "auto" (the shorter of the two), "explicit" (closed forms) or
        "system" (the steady state as the linear system it solves, the currents in its
        unknowns; :mod:`cgsym.forms.system`).  Memoised."""
        key = (secular, steady_state, max_nodes, form)
        memo = self.__dict__.setdefault("_compact_memo", {})
        if key not in memo:
            from .forms import compact
            memo[key] = compact(self, secular=secular, steady_state=steady_state,
                                max_nodes=max_nodes, form=form)
        return memo[key]

    def __str__(self):
        from .report import derivation_text
        return derivation_text(self)

    def _latex(self, printer):
        from .latex import heat_currents_latex, steady_state_latex
        if self.heat_currents is not None:
            return heat_currents_latex(self.heat_currents, printer)
        return steady_state_latex(self.steady_state, printer)

    def to_json(self, only=None, compact_form: str = "auto") -> dict:
        """The JSON document of ``cgsym derive --format json`` (``only``: the sections of
        :data:`cgsym.latex.SECTIONS` to include; the header keys are always there)."""
        out = self._json_all(only, compact_form)
        if only is None:
            return out
        keys = {"spectrum": ("eigenstates", "frequencies", "clusters", "eigenoperators",
                             "frequency_differences"),
                "gamma": ("gamma", "gamma_positive"),
                "master-equation": ("gamma", "lindblad_form"),
                "lindblad": ("lindblad_form",),
                "jumps": ("jumps", "eigenoperators", "frequencies"),
                "steady-state": ("steady_state", "stationary_manifold", "kernel_dimension"),
                "heat-currents": ("heat_currents",)}
        keep = {"model", "regime", "weak_internal", "parameters", "roles", "conventions",
                "notes", "compact"}
        for s in only:
            keep.update(keys[s])
        out = {k: v for k, v in out.items() if k in keep}
        if "compact" in out:
            c = out["compact"]
            if "heat-currents" not in only:
                c.pop("heat_currents", None)
            if "steady-state" not in only:
                c.pop("steady_state", None)
            if "heat-currents" not in only and "steady-state" not in only:
                c.pop("linear_system", None)
            if len(c) == 1:           # abbreviations alone: nothing asked uses them
                out.pop("compact")
        return out

    def _json_all(self, only=None, compact_form: str = "auto") -> dict:
        model = self.model
        ss = self.steady_state
        out = {
            "model": model.name,
            "regime": self.regime,
            "weak_internal": self.weak_internal,
            "parameters": [p.name for p in model.parameters],
            "roles": {p.name: p.role for p in model.parameters},
            "conventions": {
                "units": "hbar = k_B = 1",
                "occupation": "n(w, T) = 1/(exp(w/T) - 1)",
                "heat_current": "J_p = Tr[H_S D_p[rho_ss]], energy per unit time from reservoir p "
                                "into the system",
                "vectorisation": "column stacking: vec(A X B) = (B^T kron A) vec(X)",
                "eigenoperators": "[H_S, X_m] = omega_m X_m, X_bar(t) = sum_m X_m exp(i omega_m t)",
                "jumps": "D_p = J_p^+ + J_p^- + J_p^0 - 1/2{K_p, .}; each {m, n, rate} is the "
                         "term rate * X_m rho X_n^+ of J_p^+ (gain: reservoir p gains a quantum, "
                         "omega < 0), J_p^- (loss, omega > 0) or J_p^0 (dephasing, omega = 0)",
            },
            "eigenstates": [{"label": s.label, "energy": sp.sstr(s.energy),
                             "vector": [sp.sstr(x) for x in s.vector]} for s in self.spectrum.states],
            "frequencies": {str(m): sp.sstr(w) for m, w in self.spectrum.frequencies},
            "clusters": [{"members": list(c.members), "slow_limit": sp.sstr(c.limit)}
                         for c in self.spectrum.clusters],
            "gamma": {g.reservoir: {"indices": list(g.indices),
                                    "matrix": [[sp.sstr(x) for x in g.matrix.row(i)]
                                               for i in range(g.matrix.rows)],
                                    "positivity": g.positivity.status,
                                    "positivity_reason": g.positivity.reason}
                      for g in self.rates.gammas},
            "gamma_positive": {g.reservoir: g.positivity.value for g in self.rates.gammas},
            "eigenoperators": {r.name: {str(e.index): [[sp.sstr(x) for x in e.matrix.row(i)]
                                                      for i in range(e.matrix.rows)]
                                        for e in self.spectrum.operators(r.name)}
                               for r in model.reservoirs},
            "frequency_differences": _differences_json(self.spectrum),
            "lindblad_form": _lindblad_json(*self.lindblad_form()),
            "jumps": _jumps_json(self),
            "kernel_dimension": ss.kernel_dimension,
            "notes": list(self.notes),
        }
        if ss.unique:
            # large values written straight from their flint polynomials (cgsym.arith.flintprint)
            from .arith.flintprint import heat_current_texts, steady_state_texts
            from .forms.compact import exceeds_size_limit
            with_ss = only is None or "steady-state" in only
            texts = steady_state_texts(ss) if with_ss else {}   # else dropped by to_json
            d = model.dim
            out["steady_state"] = {"basis": list(model.basis),
                                   "matrix": [[texts.get((i, j), "0") for j in range(d)]
                                              for i in range(d)]}
            out["heat_currents"] = dict(heat_current_texts(self.heat_currents))
            from .structured import definitions_json, is_structured
            if is_structured(ss.form):
                # in named rates (cgsym.structured): their definitions are the abbreviations
                out["compact"] = {"heat_currents": dict(out["heat_currents"]),
                                  "steady_state": dict(out["steady_state"]) if with_ss
                                  else None, "abbreviations": definitions_json(ss.form)}
                out["notes"].append(ss.form.__dict__.get("_note", "results in named rates"))
            elif compact_form != "explicit" and exceeds_size_limit(self, with_ss) and \
                    _memo_system(self, with_ss) is not None:
                c = _memo_system(self, with_ss).to_json()
                out["compact"] = {k: c[k] for k in ("heat_currents", "steady_state",
                                                    "abbreviations", "linear_system")}
            elif exceeds_size_limit(self, with_ss):
                # what compact() returns above its size limit: the canonical forms
                out["compact"] = {"heat_currents": dict(out["heat_currents"]),
                                  "steady_state": dict(out["steady_state"]) if with_ss
                                  else None, "abbreviations": {}}
            else:
                c = self.compact(steady_state=with_ss, form=compact_form).to_json()
                out["compact"] = {k: c[k] for k in ("heat_currents", "steady_state",
                                                    "abbreviations", "linear_system")
                                  if k in c}
        else:
            out["steady_state"] = None
            out["stationary_manifold"] = [[[sp.sstr(x) for x in m.row(i)] for i in range(m.rows)]
                                          for m in ss.manifold]
            out["heat_currents"] = None
        return out


def _memo_system(d, steady_state):
    """The system form (cgsym.forms.system) of ``d``, or None."""
    from .forms.system import memo_system_form
    return memo_system_form(d, steady_state)[0]


def _differences_json(spec) -> dict:
    idx, mat, kinds = spec.difference_matrix()
    return {"indices": list(idx),
            "matrix": [[sp.sstr(x) for x in mat.row(i)] for i in range(mat.rows)],
            "kinds": [list(row) for row in kinds]}


def _jumps_json(d) -> dict:
    """Sec. IV jump split of every dissipator (cgsym.statistics.jumps)."""
    from .errors import CgsymError
    from .statistics.jumps import jump_decomposition
    try:
        return jump_decomposition(d).to_json()
    except CgsymError as exc:      # a term with no direction: say so, keep the rest
        return {"problem": str(exc)}


def _lindblad_json(channels, problem) -> dict:
    return {"channels": [{"reservoir": c.reservoir, "method": c.method, "rate": sp.sstr(c.rate),
                          "combination": [[m, sp.sstr(k)] for m, k in c.combination]}
                         for c in channels],
            "problem": problem}


@contextmanager
def time_limit(seconds: float | None):
    """Stop a derivation cleanly after ``seconds`` (main thread only)."""
    if not seconds:
        yield
        return

    def handler(signum, frame):
        raise CgsymError(f"the derivation exceeded the time limit of {seconds:g} s "
                         f"(raise it with --timeout)")

    old = signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _require_rational_constants(model) -> None:
    """Refuse, in one line, a transcendental constant (pi, E, or exp(c + ...) with a
    constant c) in H_S, a coupling or a rate function: the exact closed forms compute
    over the rationals with the parameters and atoms as generators, and such a constant
    is neither (it crashed the steady-state solve with a traceback).  The numeric routes
    take it."""
    where = [("H_S", model.hamiltonian)] + [
        (f"reservoir '{r.name}': the coupling", r.coupling) for r in model.reservoirs] + [
        (f"reservoir '{r.name}': the rate gamma(omega) = {r.rate}", r.rate)
        for r in model.reservoirs]
    for what, e in where:
        e = sp.sympify(e)
        # pi inside an exponent's non-constant part is part of that atom (exp(-pi w/wc))
        consts = e.replace(lambda x: isinstance(x, sp.exp),
                           lambda x: sp.Dummy()).atoms(sp.NumberSymbol)
        for x in e.atoms(sp.exp):
            c, _ = sp.expand(x.args[0]).as_independent(*x.args[0].free_symbols, as_Add=True)
            if c != 0:
                consts.add(sp.exp(c))
        if consts:
            names = ", ".join(sorted(str(c) for c in consts))
            raise CgsymError(f"{what} has the constant {names}: the closed forms are exact "
                             f"over the rationals; fold it into a parameter (declare e.g. "
                             f"g2 = 2*pi*g as a rate) or use the numeric routes "
                             f"(cgsym evaluate ... --numeric)")


def derive(model, regime: str = "partial-secular", weak_internal: bool = False) -> Derivation:
    r"""Run the whole pipeline for a model (a :class:`Model`, shipped name or path).

    Model -> :func:`eigenoperators` -> :func:`rates` -> :func:`master_equation` ->
    :func:`steady_state` -> :func:`heat_currents`, all exact and symbolic.

    Parameters
    ----------
    model : Model, str or path
        a :class:`Model` (e.g. from :meth:`Model.from_operators`), a shipped model
        name (:func:`shipped_models`) or a model file.
    regime : {"secular", "partial-secular"}
        secular: gamma_mn = delta_mn Gamma(omega_m) (Eq. 53); partial secular:
        gamma_mn = Gamma((omega_m + omega_n)/2) within a slow cluster (Eq. 55).
    weak_internal : bool
        evaluate the rates at the slow -> 0 limit of their frequencies (n(omega_S
        +- Omega) -> n(omega_S)), keeping H_S unchanged.

    Returns
    -------
    Derivation
        frozen; ``spectrum``, ``rates``, ``master_equation``, ``steady_state`` and
        ``heat_currents`` (None when the steady state is not unique).  Renders as
        LaTeX in Jupyter.  Conventions: hbar = k_B = 1, J_p = Tr[H_S D_p(rho)] is the
        energy current from reservoir p into the system.

    Examples
    --------
    >>> import cgsym, sympy as sp
    >>> d = cgsym.derive("tunnelling-qubit", "secular", weak_internal=True)
    >>> d.heat_currents.current("l")
    gamma*omega_S*(n(omega_S, T_l) - n(omega_S, T_r))/(4*n(omega_S, T_l) + 4*n(omega_S, T_r) + 4)
    >>> sp.expand(sum(J for _, J in d.heat_currents.currents))   # first law
    0
    """
    check_regime(regime)
    model = load_model(model)
    if weak_internal:
        model.require_slow()
    _require_rational_constants(model)
    spec = eigenoperators(model)
    r = rates(spec, regime, weak_internal)
    me = master_equation(r)
    ss = steady_state(me)
    hc = heat_currents(ss) if ss.unique else None
    return Derivation(model, regime, weak_internal, spec, r, me, ss, hc)
