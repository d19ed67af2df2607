"""RationalForm.evaluate_exact (integer substitution into the h-weighted polynomials)
gives exactly the rationals of evaluating the polynomials over QQ term by term (the
route it replaced), at odd float points and at a non-dyadic rational point."""
import flint
import pytest
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


def test_cache_format_weighted_texts_round_trip_exactly():
    """The pickled form (the derivation cache) holds sign-normalised texts of the
    h-weighted polynomials: read back, the numerators and the denominator are the same
    flint polynomials, the exact values are the same rationals, and J_c = -J_h over one
    denominator is one parsed polynomial (parsed and evaluated once)."""
    import pickle

    from cgsym.arith import rational_form as rf
    d = derive("two-qubits-two-baths", "partial-secular", False)
    values = dict(omega_S=1.1341, Omega=0.0432, gamma_h=0.0217, gamma_c=0.0123,
                  T_h=0.9876, T_c=0.4321)
    forms = [d.steady_state.form] + [f for _, f in d.heat_currents.forms]
    back = pickle.loads(pickle.dumps(forms))
    for f, g in zip(forms, back):
        state = g.__getstate__()
        assert state["format"] == 2 and "h" in state["weighted"][1][1]
        assert all(sg in (1, -1) for sg, _ in state["weighted"][0])
        assert g.evaluate_exact(values) == f.evaluate_exact(values)   # before parsing nums
        assert g.nums == f.nums and g.den == f.den and g.labels == f.labels
        assert g.expression(0) == f.expression(0)
    (nh, dh), (nc, dc) = [g._weighted[1:] for g in back[1:]]
    assert dh[1] is dc[1] and nh[0][1] is nc[0][1] and nh[0][0] == -nc[0][0]
    assert back[1].evaluate_exact(values)[0] == -back[2].evaluate_exact(values)[0]
    # a state from another format is refused, never misread
    bad = rf.RationalForm.__new__(rf.RationalForm)
    with pytest.raises(rf.CgsymError):
        bad.__setstate__({"gens": (), "nums": [], "den": "1", "back": {}, "labels": ()})
