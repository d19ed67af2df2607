"""What the commands share at a numeric point: reading ``--at NAME=VALUE``, the validity
diagnostics and their warnings, and printing an evaluation (text or JSON).

Used by :mod:`cgsym.cli` and the commands of the subpackages (``exact``, ``statistics``),
which import it instead of the command line itself.
"""
from __future__ import annotations

import json
import math
import re
import sys
from decimal import Decimal
from fractions import Fraction

from .errors import CgsymError

__all__ = ["parse_at", "point_diagnostics", "print_evaluation", "warn"]


def _number(text: str) -> float | None:
    """A number as a physicist writes it: 0.01, 1e-2 or the rational 1/100; None if not."""
    t = text.strip()
    try:
        return float(t)
    except ValueError:
        pass
    if re.fullmatch(r"[+-]?\d+(\.\d*)?(e[+-]?\d+)?\s*/\s*[+-]?\d+(\.\d*)?(e[+-]?\d+)?", t,
                    re.IGNORECASE):
        num, den = (Fraction(Decimal(x.strip())) for x in t.split("/"))
        if den != 0:
            return float(num / den)
    return None


def _exact(text: str) -> Fraction:
    """A decimal or a rational p/q, exactly (for the underflow test)."""
    return Fraction(text.strip()) if "/" in text else Fraction(Decimal(text.strip()))


def parse_at(items, model, optional=()) -> dict:
    """--at NAME=VALUE pairs -> {name: float}; all parameters (but ``optional``), positive, finite."""
    vals = {}
    for item in items or []:
        if "=" not in item:
            raise CgsymError(f"--at expects NAME=VALUE, got '{item}'")
        k, v = item.split("=", 1)
        k = k.strip()
        model.parameter(k)
        x = _number(v)
        if x is None:
            raise CgsymError(f"--at {k}: '{v}' is not a number (e.g. 0.01, 1e-2 or 1/100)")
        if not math.isfinite(x):
            raise CgsymError(f"--at {k}={v}: every parameter must be a finite number")
        if x <= 0:
            role = model.parameter(k).role
            if x == 0 and _exact(v) > 0:   # e.g. 1e-400 underflows to 0.0
                raise CgsymError(f"--at {k}={v}: the value underflows to 0 in double precision")
            raise CgsymError(f"--at {k}={v}: every parameter is positive (a {role} must be > 0)")
        if k in vals:
            raise CgsymError(f"--at gives '{k}' twice")
        vals[k] = x
    missing = [p.name for p in model.parameters if p.name not in vals and p.name not in optional]
    if missing:
        raise CgsymError(f"--at is missing parameter(s): {', '.join(missing)}")
    return vals


def warn(message: str) -> None:
    print(f"cgsym: WARNING: {message}", file=sys.stderr)


def point_diagnostics(args, model, vals, regime, dt=None, spectrum=None):
    """The time-scale ladder at the point; warnings on stderr; the ladder if --diagnostics.

    Without --diagnostics only failed orderings are warned about (ratio < 1) and a failure
    of the diagnostics themselves is silent; with it, marginal orderings (ratio < 10) too.
    With --strict a failed ordering (and diagnostics that cannot be computed) is an error.
    ``spectrum`` is the symbolic spectrum of the closed forms being evaluated (None for
    --numeric): the pairs of Bohr frequencies they keep apart are checked against the rates.
    """
    verbose = getattr(args, "diagnostics", False)
    strict = getattr(args, "strict", False)
    from .diagnostics import diagnose
    try:
        dg = diagnose(model, vals, regime, dt=dt, weak_internal=args.weak_internal,
                      spectrum=spectrum)
    except CgsymError as e:
        if strict:
            raise CgsymError(f"--strict: validity diagnostics unavailable at this point: "
                             f"{e}") from None
        if verbose:
            warn(f"validity diagnostics unavailable at this point: {e}")
            return {"error": str(e)}
        return None
    if strict:
        failed = dg.warnings(include_marginal=False)
        if failed:
            raise CgsymError(failed[0] + (f" (and {len(failed) - 1} more)"
                                          if len(failed) > 1 else ""))
    for msg in dg.warnings(include_marginal=verbose):
        warn(msg)
    return dg if verbose else None


def print_evaluation(args, model, rho, J, extra=None, diag=None):
    import numpy as np
    rho = np.asarray(rho, dtype=complex).reshape(model.dim, model.dim)
    out = {"heat_currents": J,
           "steady_state": {"basis": list(model.basis),
                            "real": [[float(x) for x in row] for row in rho.real],
                            "imag": [[float(x) for x in row] for row in rho.imag]}}
    if extra:
        out.update(extra)
    if diag is not None:
        out["timescales"] = diag if isinstance(diag, dict) else diag.to_json()
    if args.format == "json":
        print(json.dumps(out, indent=1))
        return
    print("Heat currents (from each reservoir into the system):")
    for k, v in J.items():
        print(f"  J_{k} = {v:.15g}")
    print("Steady state (product basis " + ", ".join(model.basis) + "):")
    for line in _matrix_text(rho):
        print("  " + line)
    for k, v in (extra or {}).items():
        print(_extra_text(k, v))
    if diag is not None:
        print(diag.text() if not isinstance(diag, dict) else f"timescales: {diag}")


def _g(x: float, digits: int = 6) -> str:
    """A real number as a physicist reads it: 0.498123, 1.2e-05, 0 (never -0)."""
    if x == 0:
        return "0"
    return f"{x:.{digits}g}"


def _matrix_text(rho, rtol: float = 1e-12) -> list[str]:
    """Rows of a density matrix, aligned: a real matrix when every imaginary part is zero
    to rounding (below ``rtol`` times the largest entry), else entries ``a+bi``; parts
    that are zero to rounding are written 0, never -0.0000000000."""
    import numpy as np
    scale = float(np.max(np.abs(rho))) if rho.size else 0.0
    tiny = rtol * scale
    re_ = np.where(np.abs(rho.real) <= tiny, 0.0, rho.real)
    im_ = np.where(np.abs(rho.imag) <= tiny, 0.0, rho.imag)

    def entry(a, b):
        if b == 0:
            return _g(a)
        if a == 0:
            return f"{_g(b)}i"
        return f"{_g(a)}{'+' if b > 0 else '-'}{_g(abs(b))}i"
    cells = [[entry(re_[i, j], im_[i, j]) for j in range(rho.shape[1])]
             for i in range(rho.shape[0])]
    width = max((len(c) for row in cells for c in row), default=1)
    return ["  ".join(c.rjust(width) for c in row) for row in cells]


def _extra_text(key, value) -> str:
    """``key: value`` of evaluate's further results, without Python reprs."""
    def one(v):
        if isinstance(v, bool) or v is None:
            return str(v).lower() if v is not None else "undefined"
        if isinstance(v, (int, float)):
            return _g(float(v))
        return str(v)
    if isinstance(value, dict):
        parts = [f"{k} = {one(v)}" for k, v in value.items() if not isinstance(v, str)]
        notes = [v for v in value.values() if isinstance(v, str)]
        return f"{key}: " + ", ".join(parts) + "".join(f" ({n})" for n in notes)
    return f"{key}: {one(value)}"
