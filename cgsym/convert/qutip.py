r"""A derived master equation at a numeric point, as QuTiP objects.

:func:`to_qutip` (also :meth:`cgsym.MasterEquation.to_qutip`) evaluates the symbolic
master equation at a parameter point and returns a :class:`QutipMasterEquation`:

``liouvillian``
    the Liouvillian superoperator (a ``qutip.Qobj`` of type ``super``), the
    symbolic :meth:`~cgsym.MasterEquation.liouvillian` evaluated entry by entry;
``H``, ``c_ops``
    H_S and the jump operators :math:`\sqrt{r_k} L_k` of the diagonal Lindblad form
    (:meth:`~cgsym.MasterEquation.lindblad_form`), so that
    ``qutip.steadystate(H, c_ops)`` and ``qutip.mesolve(H, rho0, t, c_ops)`` run the
    same master equation; ``reservoirs[k]`` names the reservoir of ``c_ops[k]``.

Conventions are cgsym's and QuTiP's alike: hbar = 1, column-stacking vectorisation
(vec(A X B) = (B^T kron A) vec(X)), the product basis with the first subsystem most
significant (``dims = [[d1, d2, ...], [d1, d2, ...]]``).  The Lamb shift is dropped,
as in the paper.  The heat current of reservoir p is J_p = Tr[H_S D_p(rho)], energy
per unit time from the reservoir into the system (:meth:`QutipMasterEquation.heat_currents`).

QuTiP is optional: ``pip install 'cgsym[qutip]'``.

Examples
--------
>>> import cgsym, qutip
>>> d = cgsym.derive("two-qubits-two-baths", "secular", weak_internal=True)
>>> values = dict(omega_S=1.1341, Omega=0.0432, gamma_h=0.0217, gamma_c=0.0123,
...               T_h=0.9876, T_c=0.4321)
>>> q = d.master_equation.to_qutip(values)
>>> q.liouvillian.type, q.liouvillian.dims, len(q.c_ops), q.reservoirs
('super', [[[2, 2], [2, 2]], [[2, 2], [2, 2]]], 8, ('h', 'h', 'h', 'h', 'c', 'c', 'c', 'c'))
>>> J = q.heat_currents(qutip.steadystate(q.H, q.c_ops))
>>> round(J["h"], 12), abs(J["h"] + J["c"]) < 1e-15          # hot -> cold, first law
(0.002085384392, True)
>>> from cgsym.numerics import lambdify_expr
>>> bool(abs(J["h"] - lambdify_expr(d.heat_currents.current("h"), d.model)(values)) < 1e-15)
True
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from ..errors import CgsymError

__all__ = ["QutipMasterEquation", "to_qutip", "import_qutip"]

#: a channel rate below -RATE_RTOL * (largest rate) is a real negative rate, not rounding
RATE_RTOL = 1e-12


def import_qutip():
    """The ``qutip`` module, or a one-line :class:`CgsymError` saying how to install it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")          # "matplotlib not found" and the like
            import qutip
    except ImportError:
        raise CgsymError("QuTiP is not installed: pip install 'cgsym[qutip]'") from None
    return qutip


@dataclass(frozen=True)
class QutipMasterEquation:
    """A master equation at one parameter point, as QuTiP objects (see the module)."""

    H: object                      # qutip.Qobj, H_S
    c_ops: tuple                   # qutip.Qobj jump operators sqrt(rate_k) L_k
    reservoirs: tuple[str, ...]    # reservoir of each c_op
    liouvillian: object            # qutip.Qobj superoperator (column stacking)
    values: tuple[tuple[str, float], ...]

    def dissipator(self, reservoir: str):
        """D_p as a QuTiP superoperator, built from reservoir p's jump operators."""
        qutip = import_qutip()
        if not self.c_ops:
            raise CgsymError("built without jump operators (jump_operators=False)")
        if reservoir not in self.reservoirs:
            raise CgsymError(f"no reservoir '{reservoir}' (reservoirs: "
                             f"{', '.join(dict.fromkeys(self.reservoirs))})")
        ops = [c for c, p in zip(self.c_ops, self.reservoirs) if p == reservoir]
        return sum((qutip.lindblad_dissipator(c) for c in ops[1:]),
                   qutip.lindblad_dissipator(ops[0]))

    def heat_currents(self, rho) -> dict[str, float]:
        """{p: J_p = Tr[H_S D_p(rho)]} for a density matrix ``rho`` (a Qobj)."""
        qutip = import_qutip()
        out = {}
        for p in dict.fromkeys(self.reservoirs):
            Drho = qutip.vector_to_operator(self.dissipator(p) * qutip.operator_to_vector(rho))
            out[p] = float(np.real((self.H * Drho).tr()))
        return out


def to_qutip(master_equation, values: Mapping, jump_operators: bool = True
             ) -> QutipMasterEquation:
    """The master equation at ``values`` (name -> positive number) as QuTiP objects.

    With ``jump_operators=False`` only H and the Liouvillian are built (``c_ops``
    empty): for a master equation whose gamma matrix is not positive (``derive``
    reports it), which has no Lindblad form, or to skip the Lindblad form's cost.

    The point must lie in the closed forms' domain (slow << frequency: every Bohr
    frequency keeps its sign, as for ``cgsym evaluate``).  Raises a one-line
    :class:`CgsymError` when QuTiP is missing, a parameter is missing or not
    positive, or a channel rate of the Lindblad form is negative at the point (a
    gamma block that is not positive has no jump operators; the Liouvillian still
    exists, but ``c_ops`` would not be a Lindblad form).
    """
    from ..numerics import check_closed_form_domain, lambdify_expr
    qutip = import_qutip()
    me = master_equation
    model = me.model
    check_closed_form_domain(me.spectrum, values)
    dims = [s.dim for s in model.subsystems]
    H = np.asarray(lambdify_expr(me.hamiltonian, model)(values), dtype=complex)
    L = np.asarray(lambdify_expr(me.liouvillian(), model)(values), dtype=complex)
    channels = me.lindblad_form() if jump_operators else ()
    rates = [complex(lambdify_expr(ch.rate, model)(values)) for ch in channels]
    top = max((abs(r) for r in rates), default=0.0)
    c_ops, names = [], []
    for ch, r in zip(channels, rates):
        if abs(r.imag) > RATE_RTOL * max(top, 1e-300) or r.real < -RATE_RTOL * top:
            raise CgsymError(f"reservoir '{ch.reservoir}': a channel rate of the Lindblad form "
                             f"is {r.real:.4g} at this point (the gamma block is not positive "
                             f"there), so it has no jump operators (jump_operators=False gives "
                             f"H and the Liouvillian alone)")
        op = np.asarray(lambdify_expr(ch.operator, model)(values), dtype=complex)
        c_ops.append(qutip.Qobj(np.sqrt(max(r.real, 0.0)) * op, dims=[dims, dims]))
        names.append(ch.reservoir)
    return QutipMasterEquation(
        H=qutip.Qobj(H, dims=[dims, dims]),
        c_ops=tuple(c_ops),
        reservoirs=tuple(names),
        liouvillian=qutip.Qobj(L, dims=[[dims, dims], [dims, dims]], superrep="super"),
        values=tuple((str(k), float(v)) for k, v in values.items()),
    )
