r"""Text and LaTeX of exact results straight from their python-flint polynomials.

A steady state or a heat current of a model without the weak-internal limit has
10^4-10^5 terms (:class:`cgsym.arith.rational_form.RationalForm`).  Building the SymPy
expression of such a value and printing it costs milliseconds per term (SymPy's
printer orders the terms of every sum), far more than the exact solve.  Here a value
is written from the flint polynomials themselves:

* the canonical fraction of :func:`cgsym.arith.flintalg.canonical_fraction` (num/den
  cancelled by their gcd, den's leading coefficient positive), each side factored by
  flint (cheap for these forms: 0.01-0.4 s per polynomial) -- the same factors, so
  the same value, as :meth:`RationalForm.expression`;
* the terms in flint's deterministic order: lex in the atoms sorted like SymPy sorts
  symbols (parameters before occupations and radicals);
* each generator written as its atom: a parameter by its name, n(w, T), sqrt(...),
  exp(...) as SymPy's ``sstr`` writes them, so the text reads back with
  ``sympy.sympify(text, locals=model.sympify_locals)`` (like every expression of
  ``derive``'s text and JSON); in LaTeX through the paper printer.

Small values (at most :data:`SYMPY_TERMS` canonical terms, e.g. every weak-internal
result the README shows) are still written by SymPy (:func:`value_text`): its order
groups the factors the way a reader expects and costs nothing at that size.

"""
from __future__ import annotations

import flint
import sympy as sp

from .flintalg import canonical_fraction

__all__ = ["SYMPY_TERMS", "value_terms", "is_large", "value_text", "flint_text",
           "value_latex_fragments", "value_latex_rows", "steady_state_texts", "steady_state_entry_texts",
           "current_text", "heat_current_texts"]

#: canonical terms (numerator and denominator factors together) up to which a value
#: is printed by SymPy; larger values are printed from flint
SYMPY_TERMS = 200


# ---------------------------------------------------------------------------
# the canonical, factored fraction of one value (cached on the form)
# ---------------------------------------------------------------------------
def _cache(form) -> dict:
    # the same per-instance cache RationalForm uses for its SymPy expressions
    # (not pickled: RationalForm.__getstate__ keeps only the polynomials); a form
    # without an instance dictionary is printed uncached (same text, slower)
    d = getattr(form, "__dict__", None)
    if d is None:
        return {"values": {}, "factored": []}
    return d.setdefault("_printing", {"values": {}, "factored": []})


def _factor(form, p):
    """flint's factorisation of p, shared between equal polynomials of one form (the
    common denominator of every value is usually the same polynomial)."""
    known = _cache(form)["factored"]
    for q, fac in known:
        if len(q) == len(p) and q == p:
            return fac
    fac = p.factor()
    known.append((p, fac))
    return fac


def _value(form, k):
    """(num_factored, den_factored) of value k, each (content, [(factor, exp)]), or
    None for a zero value."""
    values = _cache(form)["values"]
    if k not in values:
        num = form.nums[k]
        if num.is_zero():
            values[k] = None
        else:
            num, den = canonical_fraction(num, form.den)
            values[k] = (_factor(form, num), _factor(form, den))
    return values[k]


def value_terms(form, k) -> int:
    """Terms of the canonical factored value k (all factors of num and den, and the
    two integer contents)."""
    v = _value(form, k)
    if v is None:
        return 0
    return sum(len(f) for side in v for f, _ in side[1]) + 2


def is_large(form, k) -> bool:
    """True when value k is printed from flint rather than by SymPy."""
    return value_terms(form, k) > SYMPY_TERMS


# ---------------------------------------------------------------------------
# generators -> atoms, in SymPy's symbol order
# ---------------------------------------------------------------------------
def _plain(atom) -> bool:
    """Whether the atom's text needs no brackets as a factor or a base."""
    return atom.is_Symbol or isinstance(atom, sp.Function) or (
        atom.is_Pow and atom.exp == sp.S.Half)


def _order(form) -> list[int]:
    """Generator indices in SymPy's order of their atoms (parameters first)."""
    c = _cache(form)
    if "order" not in c:
        c["order"] = sorted(range(len(form.atoms)),
                            key=lambda i: sp.default_sort_key(form.atoms[i]))
    return c["order"]


def _placeholder(j: int) -> str:
    # a generator's name in the printing context: control characters never occur in
    # flint's output otherwise nor in an atom's text, and the closing one makes
    # every placeholder distinct from the prefix of another (no w1 inside w10)
    return f"\x01{j}\x02"


def _text_context(form):
    """(flint context in the atoms' order with placeholder names, {v_i: placeholder},
    [text of each atom in that order])."""
    c = _cache(form)
    if "text_ctx" not in c:
        order = _order(form)
        names = [sp.sstr(form.atoms[i]) if _plain(form.atoms[i])
                 else f"({sp.sstr(form.atoms[i])})" for i in order]
        ctx = flint.fmpz_mpoly_ctx.get(
            tuple(_placeholder(j) for j in range(max(1, len(order)))), "lex")
        ring_names = form.ring.ctx.names()
        mapping = {ring_names[i]: _placeholder(j) for j, i in enumerate(order)}
        c["text_ctx"] = (ctx, mapping, names)
    return c["text_ctx"]


def _poly_text(form, p) -> str:
    """p (a polynomial of the form's ring) in the atoms, flint's order and text."""
    ctx, mapping, names = _text_context(form)
    if not mapping:
        return str(int(p.leading_coefficient()))
    # flint's own text (C), powers written x^k; the atoms' texts (SymPy's, with '**')
    # go in after the '^' -> '**' replacement, one plain replace per generator
    text = p.project_to_context(ctx, mapping=mapping).str().replace("^", "**")
    if len(p) > SUM_CHUNK:
        text = _balanced_sum(text)
    for j, name in enumerate(names):
        text = text.replace(_placeholder(j), name)
    return text


#: a sum of more terms is written as a balanced tree of parenthesised groups of this
#: many terms: a flat sum of 10^4-10^5 terms exceeds the recursion depth of Python's
#: compiler (``sympify`` raises RecursionError) and SymPy adds it term by term
#: (quadratic); the tree nests ~log2(terms/SUM_CHUNK) deep and adds group by group
SUM_CHUNK = 128


def _balanced_sum(text: str) -> str:
    """flint's ``t1 + t2 - t3 ...`` (before the atoms go in: no term contains a sum)
    as ``((t1 + ... ) + (...)) + ((...) + (...))``, the same value."""
    import re
    pieces = re.split(r" (?=[+-] )", text)
    terms = [pieces[0]] + [("-" if q[0] == "-" else "") + q[2:] for q in pieces[1:]]
    groups = []
    for i in range(0, len(terms), SUM_CHUNK):
        chunk = terms[i:i + SUM_CHUNK]
        body = chunk[0] + "".join(f" - {t[1:]}" if t.startswith("-") else f" + {t}"
                                  for t in chunk[1:])
        groups.append(f"({body})")
    while len(groups) > 1:
        groups = [f"({groups[i]} + {groups[i + 1]})" if i + 1 < len(groups) else groups[i]
                  for i in range(0, len(groups), 2)]
    return groups[0]


def _sorted_factors(form, factors):
    """Monomial factors first (in the atoms' order), then the sums, shortest first."""
    order = {i: j for j, i in enumerate(_order(form))}

    def key(fe):
        f, _ = fe
        if len(f) == 1:
            mon = f.monoms()[0]
            return (0, min((order[i] for i, e in enumerate(mon) if e), default=-1))
        return (1, len(f))
    return sorted(factors, key=key)


def _product_text(form, content, factors) -> str:
    parts = []
    for f, e in _sorted_factors(form, factors):
        s = _poly_text(form, f)
        if len(f) > 1:
            s = f"({s})"
        if int(e) != 1:
            s = f"{s}**{int(e)}"
        parts.append(s)
    c = int(content)
    if not parts:
        return str(c)
    body = "*".join(parts)
    if c == 1:
        return body
    if c == -1:
        return "-" + body
    return f"{c}*{body}"


def flint_text(form, k) -> str:
    """Value k as text from flint (always; see :func:`value_text`)."""
    v = _value(form, k)
    if v is None:
        return "0"
    (cn, fn), (cd, fd) = v
    num = _product_text(form, cn, fn)
    if int(cd) == 1 and not fd:
        return num
    den = _product_text(form, cd, fd)
    if len(fd) > 1 or int(cd) != 1 or (fd and int(fd[0][1]) != 1):
        den = f"({den})"
    return f"{num}/{den}"


def value_text(form, k) -> str:
    """Value k as text readable by ``sympy.sympify`` with the model's names and ``n``:
    SymPy's ``sstr`` for small values, :func:`flint_text` for large ones."""
    if not is_large(form, k):
        return sp.sstr(form.expression(k))
    return flint_text(form, k)


# ---------------------------------------------------------------------------
# results of the pipeline
# ---------------------------------------------------------------------------
def steady_state_texts(ss) -> dict:
    """{(i, j): text} of the nonzero entries of rho_ss (see
    :func:`steady_state_entry_texts`; SymPy's text without an exact form)."""
    if ss.form is None:
        M = ss.matrix
        return {(i, j): sp.sstr(M[i, j]) for i in range(M.rows) for j in range(M.cols)
                if M[i, j] != 0}
    return steady_state_entry_texts(ss)


def steady_state_entry_texts(ss) -> dict:
    """{(i, j): text} of the nonzero entries of rho_ss in the product basis (exact form
    required), each readable by ``sympify``: rho_aa = p_a, rho_ab = x_ab + I*y_ab,
    rho_ba = x_ab - I*y_ab (the real coordinates of :func:`cgsym.steady_state.
    coordinate_matrix`).  Entries all of whose coordinates are small are printed by
    SymPy from ``ss.matrix`` (the same text as before)."""
    form = ss.form
    coords = {}
    for k, (kind, a, b) in enumerate(form.labels):
        coords[(kind, a, b)] = k
    small = not any(is_large(form, k) for k in range(len(form)))
    if small:
        M = ss.matrix
        return {(i, j): sp.sstr(M[i, j]) for i in range(M.rows) for j in range(M.cols)
                if M[i, j] != 0}
    d = ss.master_equation.dim
    out = {}
    for i in range(d):
        for j in range(d):
            if i == j:
                k = coords.get(("p", i, i))
                if k is not None and not form.nums[k].is_zero():
                    out[(i, j)] = value_text(form, k)
                continue
            a, b = min(i, j), max(i, j)
            kx, ky = coords.get(("x", a, b)), coords.get(("y", a, b))
            x = value_text(form, kx) if kx is not None and not form.nums[kx].is_zero() else None
            y = value_text(form, ky) if ky is not None and not form.nums[ky].is_zero() else None
            sign = "+" if i < j else "-"
            if x is None and y is None:
                continue
            if y is None:
                out[(i, j)] = x
            elif x is None:
                out[(i, j)] = f"{'' if sign == '+' else '-'}I*({y})"
            else:
                out[(i, j)] = f"{x} {sign} I*({y})"
    return out


def current_text(hc, reservoir: str) -> str:
    """J_p as text (see :func:`value_text`)."""
    form = hc.form(reservoir)
    if form is None:
        return sp.sstr(hc.current(reservoir))
    return value_text(form, 0)


def heat_current_texts(hc) -> list:
    """[(reservoir, text)] of every current."""
    return [(p, current_text(hc, p)) for p in hc.reservoirs]


# ---------------------------------------------------------------------------
# LaTeX
# ---------------------------------------------------------------------------
def _term_latex(printer, atoms, cache, mon, c) -> tuple[str, bool]:
    """(LaTeX of |c| * monomial, negative?)."""
    parts = []
    for a, e in zip(atoms, mon):
        if e:
            key = (a, int(e))
            if key not in cache:
                cache[key] = printer._print(a ** int(e))
            parts.append(cache[key])
    c = int(c)
    if abs(c) != 1 or not parts:
        parts.insert(0, str(abs(c)))
    return " ".join(parts), c < 0


def _poly_fragments(form, p, printer, cache) -> list[str]:
    """One fragment per term of p, signs attached (a line may end after any), in the
    same term order as the text."""
    atoms = form.atoms
    if not atoms:
        return [str(int(p.leading_coefficient()))]
    order = sorted(range(len(atoms)), key=lambda i: sp.default_sort_key(atoms[i]))
    ctx = flint.fmpz_mpoly_ctx.get(tuple(f"w{j}" for j in range(len(order))), "lex")
    names = form.ring.ctx.names()
    q = p.project_to_context(ctx, mapping={names[i]: f"w{j}" for j, i in enumerate(order)})
    perm = [atoms[i] for i in order]
    out = []
    for mon, c in zip(q.monoms(), q.coeffs()):
        t, neg = _term_latex(printer, perm, cache, mon, c)
        out.append(("- " if neg else ("+ " if out else "")) + t)
    return out


def _product_fragments(form, content, factors, printer, cache) -> list[str]:
    c = int(content)
    if not factors:
        return [str(c)]
    out = ["-"] if c == -1 else ([] if c == 1 else [str(c)])
    for f, e in _sorted_factors(form, factors):
        e = int(e)
        if len(f) == 1:       # an irreducible monomial: one atom (times a unit)
            (mon, cf), = f.terms()
            t, neg = _term_latex(printer, form.atoms, cache, [m * e for m in mon], cf ** e)
            out.append(("- " if neg else "") + t)
            continue
        fr = _poly_fragments(form, f, printer, cache)
        fr[0] = r"\Bigl(" + fr[0]
        fr[-1] = fr[-1] + r"\Bigr)" + ("" if e == 1 else "^{" + str(e) + "}")
        out += fr
    return out


def value_latex_fragments(form, k, printer) -> list[str]:
    """LaTeX pieces of value k written from flint (``printer``: a paper printer, for the
    atoms), for :func:`cgsym.forms.breaking.lines`: one piece per term, the fraction as
    (num) / (den)."""
    v = _value(form, k)
    if v is None:
        return ["0"]
    cache = {}
    (cn, fn), (cd, fd) = v
    num = _product_fragments(form, cn, fn, printer, cache)
    if int(cd) == 1 and not fd:
        return num
    den = _product_fragments(form, cd, fd, printer, cache)
    return [r"\Bigl(" + num[0]] + num[1:] + [r"\Bigr) \Big/ \Bigl(" + den[0]] + den[1:] \
        + [r"\Bigr)"]


def value_latex_rows(lhs: str, form, k, printer, tag: bool = True) -> list[str]:
    """Rows of an ``align`` for ``lhs = value k``, broken across lines like
    :func:`cgsym.forms.breaking.align_rows`."""
    from ..forms.breaking import WIDTH, lines, width
    fl = lines(value_latex_fragments(form, k, printer), WIDTH, first=width(lhs) + 2)
    rows = [f"{lhs} &= {fl[0]}"] + [r"&\quad " + x for x in fl[1:]]
    return [rows[0] + ("" if tag else r" \notag")] + [r + r" \notag" for r in rows[1:]]


    return total

