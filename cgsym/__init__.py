"""cgsym: derive coarse-grained Markovian master equations symbolically.

Following J. D. Cresser and C. Facer, "Coarse-graining in the derivation of
Markovian master equations and its significance in quantum thermodynamics".
Conventions: hbar = k_B = 1; n(w, T) = 1/(exp(w/T) - 1); eigenoperators
[H_S, X_m] = omega_m X_m; column-stacking vectorisation; J_p = Tr[H_S D_p[rho]]
is the energy current from reservoir p into the system.

The pipeline (each stage a pure function returning a frozen, printable result)::

    Model ──eigenoperators()──▶ Spectrum ──rates()──▶ Rates ──master_equation()──▶ MasterEquation
                                                                                  │ .liouvillian()
                   HeatCurrents ◀──heat_currents()── SteadyState ◀──steady_state()
    every result: LaTeX via SymPy's printing protocol;  numerics.py: lambdify → NumPy callables

``derive(model, regime, weak_internal)`` runs all of it.  Exact results stay in
``rational_form.RationalForm`` (flint polynomials over one denominator; SymPy built on
demand; ``flintprint`` writes the large ones as text and LaTeX straight from the
polynomials); ``cache`` keeps whole derivations on disk.  Capabilities sit above the
pipeline and import it, never the other way round::

    forms/       compact, paper-style views (abbreviations, rho = N/D), the LaTeX document
    statistics/  jumps per reservoir (Sec. IV), counting statistics: mean, noise, Fano, TUR
    exact/       Lamb shift, Bloch-Redfield, HEOM (QuTiP), ``cgsym compare``
    convert/     QuTiP export (MasterEquation.to_qutip)
    sweep.py     parameter grids (vectorised closed forms, per-point methods on Dask)

What to call (each has a docstring with its conventions and a doctest-checked
example; ``python -m pydoc cgsym.<name>``): ``load_model``, ``model_from_toml``,
``Model.from_operators`` / ``Model.to_toml`` (models from SymPy matrices and back to
files), ``derive``, the stages ``eigenoperators``, ``rates``, ``master_equation``,
``steady_state``, ``heat_currents``, ``paper_current``, ``check`` (your own algebra
against the derivation), ``numerics.lambdify_expr`` (closed forms as NumPy
functions), ``MasterEquation.to_qutip`` (``cgsym.convert.qutip``), ``sweep.sweep``
(grids; ``cgsym sweep``) and ``finite_dt.evaluate_coarse_grained`` (finite dt).
A tutorial notebook is ``derivations/tutorial.ipynb`` in the repository.
"""
from .check import CheckResult, check
from .derivation import Derivation, derive
from .errors import CgsymError
from .master_equation import MasterEquation, master_equation
from .model import Model, load_model, model_from_dict, model_from_toml, shipped_models
from .rates import REGIMES, Rates, rates
from .spectrum import Spectrum, eigenoperators, eigenstates
from .steady_state import SteadyState, steady_state
from .symbols import OMEGA, n
from .thermo import HeatCurrents, heat_currents, paper_current

from .arith.rational_form import RationalForm

__version__ = "0.1.0"

__all__ = [
    "CgsymError", "CheckResult", "check", "Derivation", "HeatCurrents", "MasterEquation", "Model", "OMEGA", "REGIMES",
    "Rates", "Spectrum", "SteadyState", "derive", "eigenoperators", "eigenstates",
    "heat_currents", "load_model", "master_equation", "model_from_dict", "model_from_toml", "n",
    "paper_current", "rates", "shipped_models", "steady_state",
    "RationalForm",
]

# issue 17: models from Python objects and back to model files
from .model import model_from_operators, model_to_toml  # noqa: E402

__all__ += ["model_from_operators", "model_to_toml"]

from .errors import CgsymWarning  # noqa: E402  (issue 14: a model that is probably not meant)

__all__ += ["CgsymWarning"]
# presentation layer (issue 12): compact, paper-style views of derived results
from .forms import CompactForms  # noqa: E402

__all__ += ["CompactForms"]
