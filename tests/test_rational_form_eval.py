"""RationalForm.evaluate_exact (integer substitution into the h-weighted polynomials)
gives exactly the rationals of evaluating the polynomials over QQ term by term (the
route it replaced), at odd float points and at a non-dyadic rational point."""
import flint
import sympy as sp

from cgsym import derive


def _qq_route(form, values):
    x = form.generator_values(values) or (flint.fmpq(0),)
    names = tuple(f"v{i}" for i in range(form.ring.ctx.nvars()))
    ctx = flint.fmpq_mpoly_ctx.get(names, "lex")
    den = flint.fmpq_mpoly(form.den.str(), ctx)(*x)
    return tuple(flint.fmpq_mpoly(p.str(), ctx)(*x) / den for p in form.nums)


def test_weighted_integer_evaluation_is_exactly_the_qq_evaluation():
    d = derive("two-qubits-two-baths", "partial-secular", False)
    forms = [d.steady_state.form] + [f for _, f in d.heat_currents.forms]
    points = [dict(omega_S=1.1341, Omega=0.0432, gamma_h=0.0217, gamma_c=0.0123,
                   T_h=0.9876, T_c=0.4321),
              dict(omega_S=sp.Rational(7, 3), Omega=sp.Rational(1, 7), gamma_h=0.0217,
                   gamma_c=sp.Rational(1, 81), T_h=sp.Rational(5, 3), T_c=0.4321)]
    for values in points:
        for f in forms:
            assert f.evaluate_exact(values) == _qq_route(f, values)
    # and the currents still sum to zero exactly at the rounded atoms (energy balance)
    js = [f.evaluate_exact(points[0])[0] for _, f in d.heat_currents.forms]
    assert abs(float(sum(js))) <= 1e-15 * max(abs(float(j)) for j in js)
