r"""Long expressions broken across the lines of an ``align`` (the paper's multi-line
equations), so that no line runs off the page and no source line is longer than TeX
reads.

``fragments(expr, printer)`` cuts an expression into pieces that may stand at the end
of a line: between the terms of a sum, between the factors of a product, inside
``\Bigl( ... \Bigr)`` around a long factor or base, and around ``\Big/`` for a long
quotient.  ``lines(fragments)`` packs them greedily into lines of at most ``WIDTH``
estimated characters.  The width estimate counts what TeX sets: a control word such
as ``\gamma`` is one character, ``\frac{a}{b}`` is as wide as its wider part,
sub- and superscripts count at 0.7.
"""
from __future__ import annotations

import re

import sympy as sp

#: estimated characters per line of a displayed equation (article, 2 cm margins)
WIDTH = 62

_SKIP = re.compile(r"\\(left|right|Bigl|Bigr|bigl|bigr|Big|big|quad|qquad|,|;|!|"
                   r"mathrm|text|operatorname)(?![A-Za-z])")


def _group(s: str, i: int) -> int:
    """Index just past the brace group starting at s[i] == '{'."""
    depth = 0
    for j in range(i, len(s)):
        if s[j] == "{":
            depth += 1
        elif s[j] == "}":
            depth -= 1
            if depth == 0:
                return j + 1
    return len(s)


def width(tex: str) -> float:
    """Estimated typeset width of a LaTeX math string, in characters."""
    w = 0.0
    i = 0
    s = _SKIP.sub("", tex)
    while i < len(s):
        c = s[i]
        if s.startswith(r"\frac", i) or s.startswith(r"\dfrac", i) or s.startswith(r"\tfrac", i):
            j = s.index("{", i)
            k = _group(s, j)
            m = _group(s, k)
            w += max(width(s[j + 1:k - 1]), width(s[k + 1:m - 1])) + 0.5
            i = m
        elif c == "\\":
            m = re.match(r"\\[A-Za-z]+|\\.", s[i:])
            w += 1
            i += len(m.group(0))
        elif c in "^_":
            if i + 1 < len(s) and s[i + 1] == "{":
                k = _group(s, i + 1)
                w += 0.7 * width(s[i + 2:k - 1])
                i = k
            else:
                w += 0.7
                i += 2
        elif c in " {}&":
            i += 1
        else:
            w += 1
            i += 1
    return w


def fragments(expr, printer, limit: float = WIDTH) -> list[str]:
    """LaTeX pieces of ``expr`` whose concatenation is its LaTeX (up to bracket sizes);
    a line may end after any piece."""
    expr = sp.sympify(expr)
    tex = printer._print(expr)
    if width(tex) <= limit:
        return [tex]
    if expr.is_Add:
        out = []
        for k, t in enumerate(sp.Add.make_args(expr)):
            neg = t.could_extract_minus_sign()
            parts = fragments(-t if neg else t, printer, limit)
            sign = "- " if neg else ("+ " if k else "")
            out += [sign + parts[0]] + parts[1:]
        return out
    num, den = sp.fraction(expr)
    if den != 1:
        if num.could_extract_minus_sign():
            return ["-"] + fragments(-expr, printer, limit)
        nt, dt = printer._print(num), printer._print(den)
        if width(dt) <= limit / 3 and not num.is_Add:
            # a long numerator over a short denominator: (1/den) times the numerator
            return [rf"\frac{{1}}{{{dt}}}"] + fragments(num, printer, limit)
        if width(dt) <= limit / 3:
            return [rf"\frac{{1}}{{{dt}}} \Bigl("] + fragments(num, printer, limit) + [r"\Bigr)"]
        nf = [nt] if width(nt) <= limit else fragments(num, printer, limit)
        return [r"\Bigl(" + nf[0]] + nf[1:] + [r"\Bigr) \Big/ \Bigl("] \
            + fragments(den, printer, limit) + [r"\Bigr)"]
    if expr.is_Mul:
        if expr.could_extract_minus_sign():
            return ["-"] + fragments(-expr, printer, limit)
        # consecutive short factors share a fragment while it stays short; a long
        # factor is bracketed and broken inside; a line may end between fragments
        out, group = [], []
        for f in expr.args:
            if width(printer._print(f)) > limit / 2:
                if group:
                    out.append(printer._print(sp.Mul(*group)))
                    group = []
                out += _bracketed(f, printer, limit)
                continue
            if group and width(printer._print(sp.Mul(*group, f))) > limit / 2:
                out.append(printer._print(sp.Mul(*group)))
                group = []
            group.append(f)
        if group:
            out.append(printer._print(sp.Mul(*group)))
        return out
    if expr.is_Pow:
        return _bracketed(expr, printer, limit)
    return [tex]


def _bracketed(f, printer, limit):
    base, e = f.as_base_exp()
    sup = "" if e == 1 else "^{" + printer._print(e) + "}"
    if base.is_Add or base.is_Mul or base.is_Pow:
        parts = fragments(base, printer, limit)
        return [r"\Bigl(" + parts[0]] + parts[1:] + [r"\Bigr)" + sup]
    if isinstance(base, sp.Function) and base.args:
        inner = fragments(base.args[0], printer, limit) if len(base.args) == 1 else \
            [printer._print(a) for a in base.args]
        name = printer._print(base.func) if hasattr(base.func, "_latex") else \
            r"\operatorname{" + str(base.func) + "}"
        return [name + r"\Bigl(" + inner[0]] + inner[1:] + [r"\Bigr)" + sup]
    return [printer._print(f)]


def lines(frags, limit: float = WIDTH, first: float = 0.0) -> list[str]:
    """Pack fragments into lines of at most ``limit`` estimated characters (the first
    line has ``first`` characters already taken by the left-hand side)."""
    out, cur, w = [], [], first
    for fr in frags:
        fw = width(fr)
        if cur and w + fw > limit:
            out.append(" ".join(cur))
            cur, w = [], 4.0          # continuation lines start after \quad
        cur.append(fr)
        w += fw
    if cur:
        out.append(" ".join(cur))
    return out


def wrap_source(text: str, chunk: int = 400) -> str:
    """Break a LaTeX source line at spaces so that no line exceeds ~``chunk`` characters
    (TeX reads a line into a fixed buffer; math mode ignores the newline)."""
    out = []
    for line in text.split("\n"):
        while len(line) > chunk:
            cut = line.rfind(" ", 0, chunk)
            if cut <= 0:
                cut = line.find(" ", chunk)
                if cut < 0:
                    break
            # a line ending in a control word must not swallow the next letter:
            # the newline becomes a space, which ends the control word as intended
            out.append(line[:cut])
            line = line[cut + 1:]
        out.append(line)
    return "\n".join(out)


def align_rows(lhs: str, expr, printer, tag: bool = True, limit: float = WIDTH,
               rel: str = "=") -> list[str]:
    """Rows of an ``align`` for ``lhs = expr`` (or another relation ``rel``), broken
    across lines; only the first row is numbered."""
    fl = lines(fragments(expr, printer, limit), limit, first=width(lhs) + 2)
    rows = [f"{lhs} &{rel} {fl[0]}"]
    rows += [r"&\quad " + x for x in fl[1:]]
    if not tag:
        return [r + r" \notag" for r in rows]
    return [rows[0]] + [r + r" \notag" for r in rows[1:]]
