"""Exact references and the terms the paper drops, above the core pipeline (issue 16).

    lamb_shift.py  H_LS of Eq. (30): closed form (residues, digamma) or mpmath principal value
    redfield.py    Bloch-Redfield and the Markovian regimes with H_LS, at a numeric point
    heom.py        HEOM through QuTiP's HEOMSolver (optional extra ``cgsym[exact]``)
    compare.py     every method against HEOM: ``cgsym compare``
    commands.py    command-line glue

Imports the core (``cgsym.numerics``, ``cgsym.spectrum``, ...); the core never imports it.
QuTiP is imported only when HEOM is asked for.
"""
from .lamb_shift import LambShift, lamb_shift, lamb_shift_function, one_sided_spectrum
from .redfield import MethodResult, markovian, redfield

__all__ = ["LambShift", "lamb_shift", "lamb_shift_function", "one_sided_spectrum",
           "MethodResult", "markovian", "redfield", "heom", "compare_point"]


def heom(model, values, **kwargs):
    """See :func:`cgsym.exact.heom.heom` (imports QuTiP)."""
    from .heom import heom as _heom
    return _heom(model, values, **kwargs)


def compare_point(model, values, **kwargs):
    """See :func:`cgsym.exact.compare.compare_point`."""
    from .compare import compare_point as _cp
    return _cp(model, values, **kwargs)
