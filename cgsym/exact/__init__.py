"""Exact references and the terms the paper drops, above the core pipeline (issue 16).

    lamb_shift.py  H_LS of Eq. (30): closed form (residues, digamma) or mpmath principal value
    redfield.py    Bloch-Redfield and the Markovian regimes with H_LS, at a numeric point
    heom.py        HEOM through QuTiP's HEOMSolver (optional extra ``cgsym[exact]``)
    compare.py     every method against HEOM: ``cgsym compare``
    commands.py    command-line glue

Imports the core (``cgsym.numerics``, ``cgsym.spectrum``, ...); the core never imports it.
QuTiP is imported only when HEOM is asked for.
"""
# (the submodules lamb_shift and redfield keep their names: their main functions are
# reached as cgsym.exact.lamb_shift.lamb_shift and cgsym.exact.redfield.redfield)
from .lamb_shift import LambShift, lamb_shift_function, one_sided_spectrum
from .redfield import MethodResult, markovian

__all__ = ["LambShift", "lamb_shift_function", "one_sided_spectrum", "MethodResult",
           "markovian"]
