"""Bridges from cgsym's symbolic results to numeric libraries, one module each.

Numbers cross here, at a parameter point (STYLE: "one numeric border", after QNET's
``convert/``).  Each bridge imports its library lazily and says in one line how to
install it when it is missing.

* :mod:`cgsym.convert.qutip`: a :class:`~cgsym.MasterEquation` as QuTiP objects
  (``pip install 'cgsym[qutip]'``).
"""
