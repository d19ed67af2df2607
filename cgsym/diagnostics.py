"""Validity diagnostics at a numeric point: the time-scale ladder and the regime windows.

Cresser & Facer, Sec. III and Appendix A: a coarse-grained master equation needs

* ``secular`` (Eq. 52): Delta t >> 1/Omega for every slow splitting Omega while
  Delta t << tau_S, hence Omega^-1 << tau_S, i.e. the slow splittings >> the rates
  (Sec. VI: the secular heat current stays finite, unphysically, as Omega -> 0);
* ``partial-secular`` (Eq. 55): 1/omega_S << Delta t << 1/Omega and Delta t << tau_S,
  hence the fast Bohr frequencies >> the rates and omega_S >> Omega;
* ``coarse-grained`` (finite Delta t, Eq. 45): tau_c << Delta t << tau_S.

The ladder, at the point:

``tau_c``
    bath correlation time (:func:`cgsym.coarse_graining.correlation_time`, coherence
    definition), the largest over the reservoirs; ``None`` where it is not defined (a flat
    or sub-Ohmic rate, or a rate without cutoff: G(tau) is then not integrable).
``inv_omega_S``
    1/omega_S, omega_S the smallest non-zero *fast* Bohr frequency (the slow -> 0 limit of
    a frequency cluster) over all reservoirs.
``inv_Omega``
    1/Omega, Omega the smallest non-zero difference of two Bohr frequencies of the same slow
    cluster (``None`` without slow splittings).
``dt``
    the coarse-graining time, when given.
``tau_S``
    1/Gamma_max, Gamma_max = max_p max_m Gamma_p(omega_m) the largest plateau rate
    gamma_p(|w|)(n_p(|w|) + theta(-w)) (Eq. 52).

Every inequality "a << b" is graded by the ratio b/a: ``ok`` (>= margin, default 10),
``marginal`` (1 <= ratio < margin) or ``fails`` (< 1: the ordering is reversed).  A
``fails`` is always reported as a warning; a ``marginal`` only on request (``cgsym
evaluate --diagnostics``), so that points chosen with a factor of a few between the
scales, as in the test suite, stay quiet.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from .errors import CgsymError

__all__ = ["Check", "Diagnostics", "diagnose"]

MARGIN = 10.0


@dataclass(frozen=True)
class Check:
    """One inequality ``small << large`` of a regime's window."""

    regime: str
    inequality: str          # e.g. "Omega^-1 << tau_S"
    meaning: str             # e.g. "slow splitting Omega >> largest rate Gamma_max"
    small_name: str
    small: float
    large_name: str
    large: float
    margin: float = MARGIN

    @property
    def ratio(self) -> float:
        return self.large / self.small if self.small > 0 else math.inf

    @property
    def status(self) -> str:
        r = self.ratio
        return "ok" if r >= self.margin else "marginal" if r >= 1 else "fails"

    def message(self) -> str:
        verb = "fails" if self.status == "fails" else "is only marginal"
        return (f"regime {self.regime} is outside its window: {self.inequality} {verb} "
                f"({self.large_name} = {self.large:.4g} vs {self.small_name} = "
                f"{self.small:.4g}, ratio {self.ratio:.3g}, needs >> 1, i.e. about "
                f">= {self.margin:g}): {self.meaning}")

    def to_json(self) -> dict:
        return {"regime": self.regime, "inequality": self.inequality, "meaning": self.meaning,
                self.small_name: self.small, self.large_name: self.large,
                "ratio": self.ratio, "status": self.status}


@dataclass(frozen=True)
class SeparationCheck(Check):
    """Two Bohr frequencies the regime treats as separated, |omega_m - omega_n| >> Gamma_max.

    The secular regime drops the cross terms gamma_mn of every pair of distinct
    frequencies (Eq. 52), the partial-secular regime those of every pair in different
    slow clusters (the ``fast`` entries of omega_mn, Eq. 55): both need the pair's
    difference much larger than the largest rate (paper Sec. III), whatever role the
    parameters that set it were declared with.
    """

    first: str = ""           # "omega_1 = w1" (closed form) or "1.0001" (numeric)
    second: str = ""
    reservoir: str = ""
    difference_text: str = ""  # "omega_2 - omega_1 = sqrt(d**2 + 4*g**2)" where known
    advice: str = ""
    others: int = 0           # further pairs that fail as well

    def message(self) -> str:
        how = "below" if self.status == "fails" else "only marginally above"
        diff = f" ({self.difference_text})" if self.difference_text else ""
        if self.others:
            diff += f" (and {self.others} more such pair{'s' if self.others > 1 else ''})"
        return (f"regime {self.regime} treats the Bohr frequencies {self.first} and "
                f"{self.second} of reservoir '{self.reservoir}' as separated, but at this "
                f"point they differ by {_num(self.large)}{diff}, {how} the largest rate "
                f"Gamma_max = {_num(self.small)} (ratio {self.ratio:.3g}, needs >> 1, i.e. "
                f"about >= {self.margin:g}): {self.advice}")

    def to_json(self) -> dict:
        out = super().to_json()
        out.update(first=self.first, second=self.second, reservoir=self.reservoir,
                   difference=self.large)
        return out


def _num(x: float) -> str:
    """A number as a physicist reads it: 0 exactly, else four significant digits."""
    return "0" if x == 0 else f"{x:.4g}"


@dataclass(frozen=True)
class Diagnostics:
    regime: str
    tau_c: float | None
    tau_c_per_reservoir: dict
    inv_omega_S: float | None
    inv_Omega: float | None
    dt: float | None
    tau_S: float
    rate_max: float
    dt_plateau: str | None
    checks: tuple = field(default_factory=tuple)
    margin: float = MARGIN
    closest_pair: SeparationCheck | None = None   # the closest pair the regime separates
    names: tuple = ("omega_S", "Omega")           # the fast and slow scales, model's names

    def warnings(self, include_marginal: bool = False) -> list[str]:
        bad = ("fails", "marginal") if include_marginal else ("fails",)
        return [c.message() for c in self.checks if c.status in bad]

    def to_json(self) -> dict:
        def inv(x):
            return 1 / x if x else None
        return {
            "units": "hbar = k_B = 1; times",
            "tau_c": self.tau_c,
            "tau_c_per_reservoir": dict(self.tau_c_per_reservoir),
            "inv_omega_S": self.inv_omega_S,
            "inv_Omega": self.inv_Omega,
            "dt": self.dt,
            "tau_S": self.tau_S,
            "omega_S": inv(self.inv_omega_S),
            "Omega": inv(self.inv_Omega),
            "names": {"omega_S": self.names[0], "Omega": self.names[1]},
            "rate_max": self.rate_max,
            "dt_plateau": self.dt_plateau,
            "margin": self.margin,
            "closest_separated_pair": (self.closest_pair.to_json()
                                       if self.closest_pair is not None else None),
            "checks": [c.to_json() for c in self.checks],
        }

    def text(self) -> str:
        def f(x):
            return "undefined" if x is None else f"{x:.4g}"
        lines = ["Time scales (hbar = k_B = 1):",
                 f"  tau_c      = {f(self.tau_c)}   (bath correlation time"
                 + ("" if self.tau_c is not None else
                    ": undefined for this spectral function, e.g. a flat rate") + ")",
                 f"  {'1/' + self.names[0]:<10} = {f(self.inv_omega_S)}   "
                 f"(smallest fast Bohr frequency)",
                 f"  {'1/' + self.names[1]:<10} = {f(self.inv_Omega)}   "
                 f"(smallest slow splitting)"]
        if self.dt is not None:
            lines.append(f"  dt         = {f(self.dt)}   (coarse-graining time; "
                         f"gamma(dt) plateau: {self.dt_plateau})")
        lines.append(f"  tau_S      = {f(self.tau_S)}   (1/largest rate, "
                     f"Gamma_max = {self.rate_max:.4g})")
        c = self.closest_pair
        if c is not None:
            lines.append(f"  closest pair of Bohr frequencies the regime separates: "
                         f"{c.first} and {c.second} (reservoir '{c.reservoir}'), "
                         f"difference {_num(c.large)}")
        lines.append(f"Validity of regime {self.regime} (ok: ratio >= {self.margin:g}):")
        for c in self.checks:
            lines.append(f"  {c.inequality:<24} ratio {c.ratio:<10.3g} {c.status}")
        return "\n".join(lines)


def _tau_c(model, res, values, temperature):
    from . import coarse_graining as cg
    from .finite_dt import _rate_callable
    try:
        rate = _rate_callable(model, res, values)
        return float(cg.correlation_time(rate, temperature, dps=6))
    except CgsymError:
        return None
    except Exception:  # noqa: BLE001 - a diagnostic never breaks evaluate
        return None


def diagnose(model, values: dict, regime: str, dt: float | None = None,
             weak_internal: bool = False, margin: float = MARGIN,
             spectrum=None) -> Diagnostics:
    """The time-scale ladder at ``values`` and the checks of ``regime``'s window.

    ``regime`` is ``"secular"``, ``"partial-secular"`` or ``"coarse-grained"`` (needs ``dt``).
    ``spectrum`` is the symbolic :class:`~cgsym.spectrum.Spectrum` whose closed forms are
    evaluated (then the pairs of Bohr frequencies the closed forms keep apart are checked,
    including symbolically distinct ones that coincide at the point); without it, the
    numeric pipeline's own (grouped) frequencies are checked.

    Raises
    ------
    CgsymError
        The numeric spectrum or rates cannot be evaluated at the point.
    """
    from .numerics import numeric_pipeline
    pipeline_regime = regime if regime in ("secular", "partial-secular") else "secular"
    nr = numeric_pipeline(model, values, pipeline_regime, weak_internal)
    fast, slow, rates = [], [], []
    for p in nr.frequencies:
        w = nr.frequencies[p]
        lim = nr.limit_frequencies[p]
        scale = max([abs(x) for x in w] + [1e-300])
        fast += [abs(x) for x in lim if abs(x) > 1e-9 * scale]
        for cl in nr.clusters[p]:
            for i in cl:
                for j in cl:
                    d = abs(w[i] - w[j])
                    if d > 1e-9 * scale:
                        slow.append(d)
        g = np.asarray(nr.gamma[p][1])
        rates.append(float(np.max(np.abs(np.diag(g)))) if g.size else 0.0)
    omega_S = min(fast) if fast else None
    Omega = min(slow) if slow else None
    rate_max = max(rates) if rates else 0.0
    tau_S = 1 / rate_max if rate_max > 0 else math.inf
    from .numerics import evaluate_model
    temps = evaluate_model(nr.model, nr.values).temperatures
    taus = {r.name: _tau_c(nr.model, r, dict(nr.values), temps[r.name])
            for r in nr.model.reservoirs}
    defined = [t for t in taus.values() if t is not None]
    tau_c = max(defined) if defined else None

    checks = []

    def check(inequality, meaning, small_name, small, large_name, large):
        if small is None or large is None or not math.isfinite(small):
            return
        checks.append(Check(regime, inequality, meaning, small_name, small, large_name, large,
                            margin))

    inv_wS = 1 / omega_S if omega_S else None
    inv_O = 1 / Omega if Omega else None
    wS, O, wS_by, O_by = scale_names(model)
    if regime == "secular":
        if inv_O is not None:
            check(f"{O}^-1 << tau_S", f"the slow splitting {O}{O_by} must exceed the largest "
                  f"rate Gamma_max, else the secular currents are unphysical (finite as "
                  f"{O} -> 0); use --regime partial-secular",
                  "Gamma_max", rate_max, f"splitting({O})", Omega)
        if inv_wS is not None:
            check(f"{wS}^-1 << tau_S", f"the fast Bohr frequency {wS}{wS_by} must exceed the "
                  f"largest rate Gamma_max", "Gamma_max", rate_max, wS, omega_S)
    elif regime == "partial-secular":
        if inv_wS is not None:
            check(f"{wS}^-1 << tau_S", f"the fast Bohr frequency {wS}{wS_by} must exceed the "
                  f"largest rate Gamma_max (partial-secular needs 1/{wS} << dt << tau_S)",
                  "Gamma_max", rate_max, wS, omega_S)
        if inv_O is not None and inv_wS is not None:
            check(f"{wS}^-1 << {O}^-1", f"the fast frequency {wS}{wS_by} must exceed the slow "
                  f"splitting {O}{O_by}, so that a window 1/{wS} << dt << 1/{O} exists",
                  f"splitting({O})", Omega, wS, omega_S)
    elif regime == "coarse-grained":
        if dt is None:
            raise CgsymError("the coarse-grained diagnostics need dt")
        if tau_c is not None:
            check("tau_c << dt", "the coarse-graining time must exceed the bath "
                  "correlation time (Markov approximation)",
                  "tau_c", tau_c, "dt", dt)
        check("dt << tau_S", "the coarse-graining time must be shorter than "
                  "1/largest rate (the system must not relax within one dt)",
              "dt", dt, "tau_S", tau_S)
    else:
        raise CgsymError(f"unknown regime '{regime}'")
    closest = None
    if regime in ("secular", "partial-secular"):
        pairs = (_symbolic_pairs(spectrum, values, regime) if spectrum is not None
                 else _numeric_pairs(nr, regime))
        advice = _separation_advice(model, values, regime, rate_max, margin)
        found = sorted((SeparationCheck(regime, "Gamma_max << |omega_m - omega_n|",
                                        "every pair of Bohr frequencies the regime treats as "
                                        "separated must differ by much more than the largest "
                                        "rate", "Gamma_max", rate_max, "difference", diff,
                                        margin, first=first, second=second,
                                        reservoir=res_name, difference_text=diff_text,
                                        advice=advice)
                        for first, second, res_name, diff, diff_text in pairs),
                       key=lambda c: c.large)
        closest = found[0] if found else None
        # a pair at least omega_S apart is covered by the omega_S^-1 << tau_S check: warn
        # about the closer ones, once (the closest, and how many more)
        bad = [c for c in found if c.status != "ok"
               and (omega_S is None or c.large < omega_S * (1 - 1e-9))]
        if bad:
            checks.append(dataclasses.replace(bad[0], others=len(bad) - 1))
    plateau = None
    if dt is not None:
        longest = max([x for x in (inv_wS, inv_O) if x is not None], default=0.0)
        if dt >= margin * longest:
            plateau = "secular"
        elif inv_O is not None and inv_wS is not None and margin * inv_wS <= dt <= inv_O / margin:
            plateau = "partial-secular"
        else:
            plateau = "intermediate (gamma_mn depends on dt)"
    return Diagnostics(regime=regime, tau_c=tau_c, tau_c_per_reservoir=taus, inv_omega_S=inv_wS,
                       inv_Omega=inv_O, dt=dt, tau_S=tau_S, rate_max=rate_max,
                       dt_plateau=plateau, checks=tuple(checks), margin=margin,
                       closest_pair=closest, names=(wS, O))


def scale_names(model) -> tuple[str, str, str, str]:
    """Names of the fast and slow scales in the model's own language.

    The smallest fast Bohr frequency is called after the model's 'frequency' parameter
    when H_S has exactly one (``omega_S`` in the paper's models), else ``omega_fast``;
    the smallest slow splitting after its slow parameter when there is one (``Omega``,
    ``g``), else ``Omega_slow``.  Returns (fast, slow, " (set by ...)" for each, or "").
    """
    fast = [p.name for p in model.parameters
            if p.role == "frequency" and model.hamiltonian.has(p.symbol)]
    slow = [p.name for p in model.parameters if p.role == "slow"]
    wS = fast[0] if len(fast) == 1 else "omega_fast"
    O = slow[0] if len(slow) == 1 else "Omega_slow"
    wS_by = f" (set by {', '.join(fast)})" if len(fast) > 1 else ""
    O_by = f" (set by {', '.join(slow)})" if len(slow) > 1 else ""
    return wS, O, wS_by, O_by


def _canonical_pair(m: int, k: int) -> tuple[int, int]:
    """(m, k), (k, m), (-m, -k) and (-k, -m) have the same |omega_m - omega_n|: one of them."""
    return max((min(m, k), max(m, k)), (min(-m, -k), max(-m, -k)))


def _symbolic_pairs(spectrum, values, regime):
    """Pairs (m, n) of the closed forms' Bohr frequencies that ``regime`` separates.

    Secular: every pair of symbolically distinct frequencies of one reservoir (Eq. 52);
    pairs of one slow cluster are left to the ``Omega^-1 << tau_S`` check unless they
    coincide at the point (which the numeric pipeline would merge).  Partial secular:
    pairs of different slow clusters (Eq. 55).  Yields (first, second, reservoir,
    |difference|, "omega_n - omega_m = ...").
    """
    import sympy as sp
    from .numerics import lambdify_expr
    model = spectrum.model
    w = {m: float(np.real(lambdify_expr(e, model)(values))) for m, e in spectrum.frequencies}
    scale = max([abs(x) for x in w.values()] + [1e-300])
    seen = set()
    for r in model.reservoirs:
        ops = [e for e in spectrum.operators(r.name) if e.index != 0]
        for i, a in enumerate(ops):
            for b in ops[i + 1:]:
                key = _canonical_pair(a.index, b.index)
                if key in seen:
                    continue
                diff = abs(w[a.index] - w[b.index])
                same = a.cluster == b.cluster
                if regime == "partial-secular" and same:
                    continue
                if regime == "secular" and same and diff > 1e-9 * scale:
                    continue
                seen.add(key)
                m, k = key
                wm, wk = spectrum.frequency(m), spectrum.frequency(k)
                text = f"omega_{k} - omega_{m} = {sp.sstr(sp.expand(wk - wm))}"
                if diff <= 1e-9 * scale:
                    text += ("; they coincide at this point, where the numeric pipeline "
                             "(--numeric) treats them as one frequency")
                yield (f"omega_{m} = {sp.sstr(wm)}", f"omega_{k} = {sp.sstr(wk)}", r.name,
                       abs(w[k] - w[m]), text)


def _numeric_pairs(nr, regime):
    """Pairs of the numeric pipeline's grouped Bohr frequencies that ``regime`` separates.

    Frequencies within the pipeline's tolerance are already one frequency there, and pairs
    of one slow cluster are left to the ``Omega^-1 << tau_S`` check, so both regimes check
    the pairs of different clusters (every pair when the model has no slow parameter).
    """
    best = {}
    for p, w in nr.frequencies.items():
        cl = {i: c for c, members in enumerate(nr.clusters[p]) for i in members}
        N = len(w)
        for i in range(N):
            for j in range(i + 1, N):
                if cl[i] == cl[j] or w[i] == 0 or w[j] == 0:
                    continue
                key = (p, tuple(sorted(((i, j), (N - 1 - j, N - 1 - i)))))
                # of a pair and its mirror image (-omega), show the one at positive omega
                if key not in best or w[i] + w[j] > best[key][0]:
                    best[key] = (w[i] + w[j], i, j)
    seen = set()
    for (p, _), (_, i, j) in best.items():
        w = nr.frequencies[p]
        a, b = sorted((w[i], w[j]))
        # the same pair of frequencies coupled by several reservoirs: report it once
        if (round(a, 12), round(b, 12)) in seen:
            continue
        seen.add((round(a, 12), round(b, 12)))
        yield (f"{a:.6g}", f"{b:.6g}", p, abs(w[i] - w[j]), "")


def _separation_advice(model, values, regime, rate_max, margin) -> str:
    """What to do about a separated pair below the rates, in the model's own names."""
    small = sorted((values[p.name], p.name) for p in model.parameters
                   if p.role == "frequency" and values[p.name] < margin * rate_max)
    hint = ""
    if small:
        hint = (" (here " + ", ".join(f"{name} = {v:.4g}" for v, name in small)
                + (" is" if len(small) == 1 else " are") + " declared 'frequency' but not "
                "larger than the rates; a parameter that sets a splitting comparable to the "
                "rates is 'slow')")
    if regime == "secular":
        return ("the secular approximation drops their cross terms, so the result is not "
                "reliable; declare the parameter that sets this difference 'slow' and use "
                "--regime partial-secular" + hint)
    return ("a fast splitting below the rates: the partial-secular approximation drops "
            "their cross terms, so the result is not reliable; declare the parameter that "
            "sets this difference 'slow', so that both frequencies fall into one slow "
            "cluster" + hint)
