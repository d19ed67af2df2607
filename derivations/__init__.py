"""The derivation scripts: the paper's equations as printed, compared with cgsym.

One script per paper section (``sec*.py``).  They live in the repository's
``derivations/`` folder, where people read them, and the wheel ships the same files
as the subpackage ``cgsym.derivations`` (``[tool.setuptools.package-dir]`` in
``pyproject.toml``), so that ``cgsym reproduce`` runs from an installed package in
any directory.  Each script still runs alone: ``python derivations/sec6a_two_qubits.py``.
"""
