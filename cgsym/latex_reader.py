r"""Read a physicist's hand-written expression (LaTeX or SymPy syntax) into SymPy.

Used by ``cgsym check`` to compare a user's hand-derived result with a derived
one.  It is a small hand-written tokenizer and recursive-descent parser: the
off-the-shelf LaTeX readers read ``\coth`` as ``cot(h)`` and
``\gamma_h\omega_1(n_h+1)`` as a function call.

Public API
----------
``SymbolTable(names, functions)``
    ``names`` maps canonical names (below) to SymPy objects -- symbols or whole
    expressions (an abbreviation ``n_h -> n(omega_S, T_h)``); ``functions`` maps
    canonical names to callables applied to parenthesised, comma-separated
    arguments (``{"n": cgsym.symbols.n}``).  Keys written in LaTeX
    (``"\\gamma_{h}"``) are canonicalised; every key also answers to the name
    SymPy's own LaTeX printer gives it (``omega1`` prints ``\omega_{1}`` and is
    found as ``omega_1`` too, ``xavg`` prints ``\left\langle{x}\right\rangle``).
    ``SymbolTable.from_symbols([...], functions)`` keys symbols by their names.
``read_latex(text, table)``, ``read_sympy(text, table)``,
``read_expression(text, table, latex=None)``
    ``read_expression`` reads LaTeX when forced or when the text has ``\``,
    ``{``, ``}`` or ``$``; otherwise it tries SymPy syntax and falls back to the
    LaTeX rules (so ``2 gamma_h n_h`` and ``kT`` work too).
``canonical_name(latex_identifier)``
    The canonical name of ONE identifier (error if the text is not one name).
Every problem raises :class:`cgsym.errors.CgsymError` with a one-line message
giving the 1-based column (``line L, column C`` for multi-line input).

Canonical names (SymPy's convention for LaTeX-ish names)
--------------------------------------------------------
=================================  =================  ==========================
written                            canonical name     note
=================================  =================  ==========================
``\gamma_h``, ``\gamma_{h}``       ``gamma_h``        any Greek letter by name
``\omega_{S}``, ``\omega_S``       ``omega_S``
``\Omega``                         ``Omega``
``T_h``, ``T_{h}``                 ``T_h``
``n_+``, ``n_{+}``                 ``n_+``            ``n_-`` likewise
``n_\pm``, ``n_{\pm}``             ``n_pm``           (``\mp`` -> ``mp``)
``J_{\text{sec}}``, ``J_{\rm sec}``  ``J_sec``        fonts are dropped in subscripts
``\rho_{g+,g+}``                   ``rho_g+,g+``
``\bar{n}``, ``\bar n``,           ``nbar``           accent = suffix on the base:
``\overline{n}``                                      ``\bar{n}_{h}``, ``\bar{n_h}`` ->
                                                      ``nbar_h``
``\bar{\gamma}``                   ``gammabar``
``\tilde\Omega``, ``\tilde{\Omega}``  ``Omegatilde``  also ``hat dot ddot vec check
                                                      breve acute grave``, ``\mathring``
                                                      -> ``ring``, ``\mathbf``/
                                                      ``\boldsymbol``/``\bm`` -> ``bold``,
                                                      ``\mathcal`` -> ``cal``
``\Delta n``, ``\Delta_n``         ``Delta_n``        ``\Delta X`` (and ``\delta X``)
                                                      is ``Delta_X`` if the table has
                                                      it, else ``Delta*X`` if both are
                                                      there, else an error
``\Delta\gamma``                   ``Delta_gamma``
``\omega'``                        ``omega'``         primes go on the base
``\langle \sigma_z \rangle``       ``<sigma_z>``      an expectation value is looked
                                                      up by that name
``\mathrm{abc}``, ``abc``          ``abc``            multi-letter names
``\hbar``, ``k_B``                 ``hbar``, ``k_B``  = 1 (hbar = k_B = 1) unless
                                                      the table defines them; bare
                                                      ``k`` directly before a
                                                      ``T``-name (``kT``, ``kT_h``)
                                                      is k_B = 1 unless ``k`` is in
                                                      the table
``e``, ``\mathrm{e}``              ``e``              Euler's e unless in the table
``i`` (alone), ``\mathrm{i}``      ``i``              imaginary unit unless in table
``\pi``                            ``pi``             pi unless in the table
=================================  =================  ==========================

How names are split (never guessed)
-----------------------------------
Letters and name commands written next to each other with no space (TeX skips
the space after a command word, so ``\Delta n`` counts as "next to") form a
*word*.  A word is read as a product of table names; adjacent pieces may also
form one name when they are plain letters (``ab``) or extend an unbraced
one-character subscript (``J_sec`` without braces -> ``J_sec``,
``\gamma_h\omega`` -> ``gamma_homega``, ``\omega_12`` -> ``omega_12``).  Only
readings whose every name is known count: if two remain (``ab`` with ``a``, ``b``
and ``ab`` all in the table) the reader raises an error naming both; a space or
braces (``\gamma_{h}\omega``) settle it.  The one preference is the ``\Delta X``
rule of the table above.  A name that is not in the table is an error suggesting
``--where NAME=EXPR``; a function name without brackets is an error too.

Other rules
-----------
* ``\frac \dfrac \tfrac \cfrac``, ``\sqrt{..}``, ``\sqrt[n]{..}``; ``^{..}`` or a
  one-character exponent (``x^23`` is an ambiguity error: ``x^{2}3`` or
  ``x^{23}``); ``^\dagger`` and ``^*`` are not supported.
* implicit multiplication, ``\cdot``, ``\times``, ``*``; ``a/b`` with a
  juxtaposed product right of the slash (``a/2b``, ``\hbar\omega/kT``) is an
  ambiguity error -- use ``\frac`` or parentheses.
* brackets ``( ) [ ] \{ \} { }``, ``\left. \right.``, ``\big(`` and friends, ``|x|``
  and ``\left| \right|`` (absolute value), ``\left. f \right|_{x=a}``
  (substitution).
* a name in ``functions`` followed by ``(..)``, ``\left(..\right)`` or SymPy's
  ``{\left(..\right)}`` is applied (``n(\omega_S, T_h)``, ``n^{2}{\left(w,T\right)}``);
  any other name followed by a bracket is a product.
* ``\exp \ln \log`` (natural; ``\log_b`` base b) ``\sin \cos \tan \cot \sinh \cosh
  \tanh \coth \sech \csch \arcsin ..``, ``\Re \Im``, ``\mathrm{Re}``,
  ``\operatorname{Re}``, ``\text{Re}``.  ``\sin^2 x`` is sin(x)^2; ``\sin^{-1}``
  is an error.  Without brackets the argument is one factor: ``\ln 2x`` is an
  ambiguity error.
* determinants: ``\det\begin{pmatrix} a & b \\ c & d \end{pmatrix}`` (also ``bmatrix``,
  ``Bmatrix``, ``matrix``, ``smallmatrix``, in brackets or ``\left( \right)``),
  ``\begin{vmatrix}..\end{vmatrix}`` and ``|..|`` / ``\left|{..}\right|`` around a
  matrix (SymPy's printing); rows split by ``\\``, entries by ``&``.  The value is an
  unevaluated :class:`sympy.Determinant` (never expanded here); a matrix must be square
  with rows of equal length, and a matrix where a number is needed is an error.  In
  SymPy syntax: ``Determinant(Matrix([[a, b], [c, d]]))``.
* numbers are exact (``0.25`` -> 1/4); spacing ``\, \; \: \! \quad \qquad ~`` is
  ignored but separates words; ``$``, ``\[ \]``, ``\begin{..}``/``\end{..}``, ``&``,
  ``\\`` (outside a matrix), ``\label``, ``\tag``, ``\nonumber``, a trailing ``.`` or ``,`` and a
  trailing equation number ``\quad (115)`` are dropped; with a top-level ``=``,
  ``\equiv``, ``\approx``, ``\simeq`` or ``:=`` only the right-hand side (after
  the last one) is read.

SymPy syntax (``read_sympy``) uses the same canonical names; names that are not
Python identifiers are written as ``python_name(name)``: ``n_+`` -> ``n_plus``,
``n_-`` -> ``n_minus``, ``x'`` -> ``xprime``, ``<sigma_z>`` -> ``sigma_z_avg``.
Unknown names are errors (no symbols are created).
"""
from __future__ import annotations

import ast
import keyword
import re
import unicodedata
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

import sympy as sp
from sympy.parsing.sympy_parser import auto_number, convert_xor, parse_expr, rationalize

from .errors import CgsymError

__all__ = [
    "SymbolTable",
    "canonical_name",
    "python_name",
    "read_expression",
    "read_latex",
    "read_sympy",
]

# --------------------------------------------------------------------------- tables
_GREEK = frozenset(
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa "
    "varkappa lambda mu nu xi omicron pi varpi rho varrho sigma varsigma tau upsilon "
    "phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi "
    "Omega".split())
#: commands that are (parts of) names
_NAME_CMDS = _GREEK | {"hbar", "ell"}
#: accent -> suffix on the base name (SymPy's modifier names)
_ACCENTS = {
    "bar": "bar", "overline": "bar", "tilde": "tilde", "widetilde": "tilde",
    "hat": "hat", "widehat": "hat", "check": "check", "breve": "breve",
    "acute": "acute", "grave": "grave", "dot": "dot", "ddot": "ddot",
    "dddot": "dddot", "ddddot": "ddddot", "vec": "vec", "overrightarrow": "vec",
    "mathring": "ring", "boldsymbol": "bold", "mathbf": "bold", "bm": "bold",
    "mathcal": "cal", "mathscr": "scr", "mathfrak": "frak",
}
#: font commands whose braced argument is literal text (a name or a function)
_FONTS = frozenset({"mathrm", "text", "textrm", "mathit", "textit", "mathsf",
                    "textsf", "operatorname", "mathnormal", "mbox"})
#: font switches: {\rm sec}
_SWITCHES = frozenset({"rm", "it", "sf", "bf", "tt", "cal"})
_SPACING = frozenset({",", ";", ":", "!", " ", ">", "quad", "qquad", "enspace",
                      "thinspace", "medspace", "thickspace", "negthinspace",
                      "negmedspace", "negthickspace"})
_IGNORED = frozenset({"displaystyle", "textstyle", "scriptstyle", "scriptscriptstyle",
                      "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr",
                      "biggl", "biggr", "Biggl", "Biggr", "bigm", "Bigm", "biggm",
                      "Biggm", "limits", "nolimits"})
_FRACS = frozenset({"frac", "dfrac", "tfrac", "cfrac"})
_RELATIONS = frozenset({"equiv", "approx", "simeq", "coloneqq", "triangleq", "doteq"})

_FUNCS: dict[str, Callable] = {
    "exp": sp.exp, "ln": sp.log, "log": sp.log,
    "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "cot": sp.cot, "sec": sp.sec,
    "csc": sp.csc, "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh,
    "coth": sp.coth, "sech": sp.sech, "csch": sp.csch,
    "arcsin": sp.asin, "arccos": sp.acos, "arctan": sp.atan, "arccot": sp.acot,
    "arsinh": sp.asinh, "arcsinh": sp.asinh, "arcosh": sp.acosh, "arccosh": sp.acosh,
    "artanh": sp.atanh, "arctanh": sp.atanh, "arcoth": sp.acoth, "arccoth": sp.acoth,
    "Re": sp.re, "Im": sp.im,
}
#: names that \mathrm{..} / \operatorname{..} / \text{..} turn into functions
_FONT_FUNCS: dict[str, Callable] = {
    k: v for k, v in _FUNCS.items() if k not in ("sec", "csc")}
_FONT_FUNCS.update(re=sp.re, im=sp.im, sgn=sp.sign, sign=sp.sign)
_OUT_OF_SCOPE_FONTS = frozenset({"Tr", "tr", "Tr_S", "det"})

#: commands that cannot start a factor
_NON_ATOM_CMDS = frozenset({"cdot", "times", "div", "ast", "pm", "mp", "right",
                            "rangle", "}", "rvert", "rVert", "to", "rightarrow",
                            "leftarrow", "gg", "ll", "leq", "geq", "le", "ge", "neq",
                            "ne", "\\"}) | _RELATIONS
#: matrix environments: the entries of a determinant (rows split by \\, entries by &)
_MATRIX_ENVS = frozenset({"pmatrix", "bmatrix", "Bmatrix", "matrix", "smallmatrix",
                          "vmatrix"})
_OPS = "+-*/^_()[]{}=,|'.<>!:;&$"
_UNICODE = {"\u2212": ("op", "-"), "\u00b7": ("cmd", "cdot"), "\u00d7": ("cmd", "times"),
            "\u210f": ("cmd", "hbar"), "\u00b1": ("cmd", "pm"), "\u2213": ("cmd", "mp"),
            "\u27e8": ("cmd", "langle"), "\u27e9": ("cmd", "rangle"),
            "\u2261": ("cmd", "equiv"), "\u2248": ("cmd", "approx")}
_PRIME = object()
_T_NAME = re.compile(r"^T($|_|')")


def _where(src: str, pos: int) -> str:
    line = src.count("\n", 0, pos) + 1
    col = pos - (src.rfind("\n", 0, pos) + 1) + 1
    return f"column {col}" if "\n" not in src.strip("\n") else f"line {line}, column {col}"


def _fail(src: str, pos: int, msg: str, what: str = "LaTeX"):
    raise CgsymError(f"cannot read {what} at {_where(src, pos)}: {msg}")


# --------------------------------------------------------------------------- tokens
@dataclass
class _Tok:
    kind: str           # 'cmd', 'letter', 'num', 'op', 'sp' (spacing), 'eof'
    text: str           # command name without backslash, letter, digits, op char
    pos: int            # 0-based offset in the source
    end: int
    brk: bool = False   # a word break (space, spacing command) comes before it

    def is_op(self, *chars: str) -> bool:
        return self.kind == "op" and self.text in chars

    def is_cmd(self, *names: str) -> bool:
        return self.kind == "cmd" and self.text in names

    def show(self) -> str:
        if self.kind == "cmd":
            return "\\" + self.text
        return self.text if self.kind != "eof" else "end of input"


def _unicode_greek(c: str) -> str | None:
    try:
        nm = unicodedata.name(c)
    except ValueError:
        return None
    m = re.fullmatch(r"GREEK (SMALL|CAPITAL) LETTER ([A-Z]+)", nm)
    if not m:
        return None
    word = m.group(2).lower().replace("lamda", "lambda")
    if m.group(1) == "CAPITAL":
        word = word.capitalize()
    return word if word in _GREEK else None


def _tokenize(src: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(src)
    brk = False
    after_word = False      # TeX swallows spaces after a control word
    while i < n:
        c = src[i]
        if c.isspace():
            if not after_word:
                brk = True
            i += 1
            continue
        if c == "%":
            j = src.find("\n", i)
            i = n if j < 0 else j
            continue
        if c == "\\":
            j = i + 1
            if j < n and src[j].isascii() and src[j].isalpha():
                while j < n and src[j].isascii() and src[j].isalpha():
                    j += 1
                name, word = src[i + 1:j], True
            elif j < n:
                name, word = src[j], False
                j += 1
            else:
                _fail(src, i, "a lone '\\' at the end")
            if name in _IGNORED:
                i, after_word = j, word
                continue
            kind = "sp" if name in _SPACING else "cmd"
            toks.append(_Tok(kind, name, i, j, brk))
            brk, after_word, i = False, word, j
            continue
        after_word = False
        if c.isdigit() or (c == "." and i + 1 < n and src[i + 1].isdigit()):
            j = i
            while j < n and src[j].isdigit():
                j += 1
            if j + 1 < n and src[j] == "." and src[j + 1].isdigit():
                j += 1
                while j < n and src[j].isdigit():
                    j += 1
            if re.match(r"[eE][+-]?\d", src[j:j + 3]):
                _fail(src, i, f"'{src[i:j + 2]}..' looks like computer notation; write "
                              "\\times 10^{..} (or a space if e is meant)")
            toks.append(_Tok("num", src[i:j], i, j, brk))
            brk, i = False, j
            continue
        if c.isascii() and c.isalpha():
            toks.append(_Tok("letter", c, i, i + 1, brk))
        elif c in _OPS:
            toks.append(_Tok("op", c, i, i + 1, brk))
        elif c == "~":
            toks.append(_Tok("sp", "~", i, i + 1, brk))
        elif c in _UNICODE:
            k, t = _UNICODE[c]
            toks.append(_Tok(k, t, i, i + 1, brk))
        elif _unicode_greek(c):
            toks.append(_Tok("cmd", _unicode_greek(c), i, i + 1, brk))
        else:
            _fail(src, i, f"unexpected character {c!r}")
        brk = False
        i += 1
    return toks


def _matching_brace(toks: list[_Tok], k: int) -> int:
    """Index of the '}' closing the '{' at k (balance was checked)."""
    depth = 0
    for j in range(k, len(toks)):
        if toks[j].is_op("{"):
            depth += 1
        elif toks[j].is_op("}"):
            depth -= 1
            if depth == 0:
                return j
    return len(toks) - 1


def _check_balance(src: str, toks: list[_Tok]) -> None:
    stack: list[_Tok] = []
    lefts: list[_Tok] = []
    for t in toks:
        if t.is_op("{"):
            stack.append(t)
        elif t.is_op("}"):
            if not stack:
                _fail(src, t.pos, "unbalanced '}' (nothing to close)")
            stack.pop()
        elif t.is_cmd("left"):
            lefts.append(t)
        elif t.is_cmd("right"):
            if not lefts:
                _fail(src, t.pos, "'\\right' without a matching '\\left'")
            lefts.pop()
    if stack:
        _fail(src, stack[-1].pos, "unbalanced '{' (no matching '}')")
    if lefts:
        _fail(src, lefts[-1].pos, "'\\left' without a matching '\\right'")


def _prepare(src: str, toks: list[_Tok], split_lhs: bool = True) -> list[_Tok]:
    """Drop math-mode wrappers, equation numbers and the left-hand side."""
    out: list[_Tok] = []
    pending = False
    k = 0
    envs: list[_Tok] = []           # open matrix environments (their & and \\ are kept)
    while k < len(toks):
        t = toks[k]
        if envs and (t.is_op("&") or t.is_cmd("\\")):
            out.append(t)
            k += 1
            continue
        if t.is_op("$", "&") or t.is_cmd("\\", "[", "]", "(", ")", "nonumber", "notag"):
            pending = True
            k += 1
            continue
        if t.is_cmd("begin", "end") and k + 1 < len(toks) and toks[k + 1].is_op("{"):
            j = _matching_brace(toks, k + 1)
            name = "".join(x.text for x in toks[k + 2:j])
            if name in _MATRIX_ENVS or name.rstrip("*") in ("Vmatrix", "array"):
                if name.rstrip("*") in ("Vmatrix", "array"):
                    _fail(src, t.pos, f"the environment '{name}' is not supported; write "
                                      "\\det\\begin{pmatrix}..\\end{pmatrix} or "
                                      "\\begin{vmatrix}..\\end{vmatrix}")
                if t.text == "begin":
                    envs.append(_Tok("env", name, t.pos, toks[j].end, t.brk or pending))
                    out.append(envs[-1])
                else:
                    if not envs:
                        _fail(src, t.pos, f"'\\end{{{name}}}' without a matching "
                                          f"'\\begin{{{name}}}'")
                    if envs[-1].text != name:
                        _fail(src, t.pos, f"'\\begin{{{envs[-1].text}}}' at "
                                          f"{_where(src, envs[-1].pos)} is closed by "
                                          f"'\\end{{{name}}}'")
                    envs.pop()
                    out.append(_Tok("endenv", name, t.pos, toks[j].end, True))
                pending = False
                k = j + 1
                continue
        if t.is_cmd("begin", "end", "label", "tag"):
            k += 1
            if k < len(toks) and toks[k].is_op("*"):
                k += 1
            if k < len(toks) and toks[k].is_op("{"):
                depth = 0
                while k < len(toks):
                    if toks[k].is_op("{"):
                        depth += 1
                    elif toks[k].is_op("}"):
                        depth -= 1
                        if depth == 0:
                            break
                    k += 1
                k += 1
            pending = True
            continue
        if pending:
            t.brk = True
            pending = False
        out.append(t)
        k += 1
    if envs:
        _fail(src, envs[-1].pos, f"'\\begin{{{envs[-1].text}}}' has no matching "
                                 f"'\\end{{{envs[-1].text}}}'")
    # trailing punctuation and an equation number "\quad (115)"
    changed = True
    while changed and out:
        changed = False
        while out and out[-1].kind == "sp":
            out.pop()
        if len(out) >= 2 and out[-1].is_op(".", ",") and not out[-2].is_cmd("left", "right"):
            out.pop()
            changed = True
            continue
        if len(out) >= 4 and out[-1].is_op(")"):
            j = len(out) - 2
            while j >= 0 and (out[j].kind in ("num", "letter") or out[j].is_op(".")):
                j -= 1
            content = out[j + 1:-1]
            if (j >= 1 and out[j].is_op("(") and content
                    and any(c.kind == "num" for c in content)
                    and out[j - 1].kind == "sp" and out[j - 1].text in ("quad", "qquad")):
                del out[j - 1:]
                changed = True
    # spacing commands only separate words
    final: list[_Tok] = []
    pending = False
    for t in out:
        if t.kind == "sp":
            pending = True
            continue
        if pending:
            t.brk = True
            pending = False
        final.append(t)
    _check_balance(src, final)
    if split_lhs:
        depth, last = 0, -1
        for k, t in enumerate(final):
            if t.is_op("(", "[", "{") or t.is_cmd("left") or t.kind == "env":
                depth += 1
            elif t.is_op(")", "]", "}") or t.is_cmd("right") or t.kind == "endenv":
                depth -= 1
            elif depth == 0 and (t.is_op("=") or t.is_cmd(*_RELATIONS)):
                last = k
        if last >= 0:
            rel = final[last]
            rest = final[last + 1:]
            if not rest:
                _fail(src, rel.pos, f"nothing after '{rel.show()}'")
            final = rest
    final.append(_Tok("eof", "", len(src), len(src), True))
    return final


# --------------------------------------------------------------------------- pieces
@dataclass
class _Piece:
    """One letter / Greek letter / accented or upright name with its scripts."""

    kind: str                  # 'letter', 'greek', 'closed' (accent), 'font', 'digits'
    base: str
    pos: int
    end: int = 0
    sub: str | None = None
    sub_open: bool = False     # an unbraced one-character subscript (can extend)
    primes: str = ""
    sup: sp.Expr | None = None

    @property
    def name(self) -> str:
        return self.base + self.primes + ("" if self.sub is None else "_" + self.sub)


def _start_state(p: _Piece) -> str:
    if p.kind == "letter" and p.sub is None and not p.primes:
        return "letters"
    if p.sub_open and not p.primes:
        return "open"
    return "closed"


def _extend(state: str | None, q: _Piece) -> str | None:
    """Concatenation state after appending piece q (None: not allowed)."""
    if state == "letters":
        return _start_state(q) if q.kind == "letter" else None
    if state == "open":
        if q.kind in ("letter", "greek", "digits") and q.sub is None and not q.primes:
            return "open"
        return None
    return None


def _one_name(pieces: list[_Piece]) -> str | None:
    """The reading of all the pieces as ONE name, or None if not allowed."""
    if not pieces or pieces[0].kind == "digits":
        return None
    if len(pieces) == 2 and _is_delta(pieces[0]):
        return f"{pieces[0].base}_{pieces[1].name}"
    state: str | None = _start_state(pieces[0])
    for q in pieces[1:]:
        state = _extend(state, q)
        if state is None:
            return None
    return "".join(p.name for p in pieces)


def _is_delta(p: _Piece) -> bool:
    return (p.kind == "greek" and p.base in ("Delta", "delta") and p.sub is None
            and not p.primes and p.sup is None)


# --------------------------------------------------------------------------- table
def python_name(name: str) -> str | None:
    """The Python identifier for a canonical name in SymPy syntax (None if none)."""
    if name.startswith("<") and name.endswith(">"):
        name = name[1:-1] + "_avg"
    s = (name.replace("+", "plus").replace("-", "minus").replace("'", "prime")
         .replace(",", "_"))
    if s.isidentifier() and not keyword.iskeyword(s):
        return s
    return None


class SymbolTable:
    """Names (and functions) a hand-written expression may use.

    ``names``: canonical name -> SymPy object (a symbol or a whole expression);
    ``functions``: canonical name -> callable applied to its bracketed arguments.
    """

    def __init__(self, names: Mapping[str, object] | None = None,
                 functions: Mapping[str, Callable] | None = None):
        self.names: dict[str, sp.Expr] = {}
        self.functions: dict[str, Callable] = {}
        for key, val in (names or {}).items():
            self._put(self.names, key, sp.sympify(val))
        for key, fn in (functions or {}).items():
            if not callable(fn):
                raise CgsymError(f"symbol table: function '{key}' is not callable")
            self._put(self.functions, key, fn)
        self._add_aliases(self.names)
        self._add_aliases(self.functions)

    @classmethod
    def from_symbols(cls, symbols: Iterable[sp.Symbol],
                     functions: Mapping[str, Callable] | None = None,
                     **extra) -> "SymbolTable":
        """A table keyed by each symbol's own name (plus ``extra`` name=value)."""
        names = {s.name: s for s in symbols}
        names.update(extra)
        return cls(names, functions)

    @staticmethod
    def _key(key: str) -> str:
        if not isinstance(key, str) or not key.strip():
            raise CgsymError(f"symbol table: bad name {key!r}")
        key = key.strip()
        if any(c in key for c in "\\{}") or " " in key:
            return canonical_name(key)
        return key

    def _put(self, d: dict, key: str, val) -> None:
        k = self._key(key)
        if k in d and d[k] != val:
            raise CgsymError(f"symbol table: '{key}' and another entry both mean '{k}'")
        d[k] = val

    @staticmethod
    def _add_aliases(d: dict) -> None:
        """Also answer to the name SymPy's LaTeX printer gives each key."""
        found: dict[str, list] = {}
        for key, val in list(d.items()):
            if key.startswith("<"):
                continue
            try:
                alias = canonical_name(sp.latex(sp.Symbol(key)))
            except (CgsymError, ValueError, TypeError):
                continue
            if alias != key and alias not in d:
                found.setdefault(alias, []).append(val)
        for alias, vals in found.items():
            if all(v == vals[0] for v in vals):
                d[alias] = vals[0]

    def has(self, name: str) -> bool:
        return name in self.names or name in self.functions

    def __contains__(self, name: str) -> bool:
        return self.has(name)

    def __repr__(self) -> str:
        return f"SymbolTable(names={sorted(self.names)}, functions={sorted(self.functions)})"


_EMPTY = SymbolTable()


# --------------------------------------------------------------------------- parser
class _Parser:
    def __init__(self, src: str, toks: list[_Tok], table: SymbolTable):
        self.src = src
        self.toks = toks
        self.table = table
        self.i = 0
        self.bars = 0
        self.last_num = False

    # -- basics
    def peek(self, k: int = 0) -> _Tok:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def next(self) -> _Tok:
        t = self.toks[self.i]
        if t.kind != "eof":
            self.i += 1
        return t

    def fail(self, pos: int, msg: str):
        _fail(self.src, pos, msg)

    def prev_end(self) -> int:
        return self.toks[self.i - 1].end if self.i > 0 else 0

    # -- top level
    def parse_all(self) -> sp.Expr:
        if self.peek().kind == "eof":
            self.fail(self.peek().pos, "empty expression")
        v = self.expr()
        t = self.peek()
        if t.kind != "eof":
            if t.is_op(")", "]") or t.is_cmd("}", "right", "rangle", "rvert"):
                self.fail(t.pos, f"unbalanced '{t.show()}' (nothing to close)")
            if t.is_op("|"):
                self.fail(t.pos, "unbalanced '|'")
            self.fail(t.pos, f"unexpected '{t.show()}'")
        return v

    def expr(self) -> sp.Expr:
        # the terms are summed once at the end: adding them one by one re-sorts the
        # growing sum each time (quadratic: minutes for the 10^4-term closed forms)
        terms = [self.term()]
        while True:
            t = self.peek()
            if t.is_op("+", "-"):
                self.next()
                self.require_operand(t)
                rhs = self.term()
                terms.append(rhs if t.text == "+" else -rhs)
            elif t.is_cmd("pm", "mp"):
                self.fail(t.pos, f"'{t.show()}' stands for two expressions; write one sign")
            else:
                return terms[0] if len(terms) == 1 else sp.Add(*terms)

    def require_operand(self, t: _Tok) -> None:
        nxt = self.peek()
        if not (self.starts_atom(nxt) or nxt.is_op("+", "-")):
            self.fail(t.pos, f"'{t.show()}' has nothing after it")

    def term(self) -> sp.Expr:
        val, _ = self.signed_factor()
        prev_num = self.last_num
        while True:
            t = self.peek()
            if t.is_op("*") or t.is_cmd("cdot", "times", "ast"):
                self.next()
                self.require_operand(t)
                rhs, _ = self.signed_factor()
                val = val * rhs
            elif t.is_op("/") or t.is_cmd("div"):
                self.next()
                self.require_operand(t)
                rhs, parts = self.signed_factor()
                if len(parts) > 1:
                    self.div_ambiguity(t, val, parts[:1], parts[1:])
                if self.starts_atom(self.peek()):
                    more, _ = self.factor()
                    self.div_ambiguity(t, val, [rhs], [more])
                val = val / rhs
            elif self.starts_atom(t):
                if t.kind == "num" and prev_num:
                    self.fail(t.pos, "two numbers side by side; write \\cdot between them")
                rhs, _ = self.factor()
                val = val * rhs
            else:
                return val
            prev_num = self.last_num

    def div_ambiguity(self, t: _Tok, num, den: list, rest: list):
        d, r = sp.Mul(*den), sp.Mul(*rest)
        a, b = num / (d * r), num / d * r
        self.fail(t.pos, f"ambiguous '/': it reads as {sp.sstr(a)} or as {sp.sstr(b)}; "
                         "use \\frac{..}{..} or parentheses")

    def signed_factor(self):
        t = self.peek()
        if t.is_op("-", "+"):
            self.next()
            self.require_operand(t)
            v, _ = self.signed_factor()
            self.last_num = False
            v = -v if t.text == "-" else v
            return v, [v]
        if t.is_cmd("pm", "mp"):
            self.fail(t.pos, f"'{t.show()}' stands for two expressions; write one sign")
        return self.factor()

    def factor(self):
        t = self.peek()
        if not self.starts_atom(t):
            self.fail(t.pos, f"expected a factor, found '{t.show()}'")
        return self.atom()

    def starts_atom(self, t: _Tok) -> bool:
        if t.kind in ("num", "letter", "env"):
            return True
        if t.kind == "op":
            return t.text in "([{" or (t.text == "|" and self.bars == 0)
        if t.kind == "cmd":
            return t.text not in _NON_ATOM_CMDS
        return False

    # -- atoms
    def atom(self):
        t = self.peek()
        self.last_num = False
        if t.kind == "num":
            self.next()
            v = sp.Rational(t.text)
            if self.peek().is_op("^"):
                v = self.power(v)
                return v, [v]
            self.after_atom()
            self.last_num = True
            return v, [v]
        if self.piece_start(self.i):
            return self.word()
        if t.kind == "env":
            if t.text != "vmatrix":
                self.fail(t.pos, f"a matrix ({t.text}) where a scalar is needed; write "
                                 f"\\det\\begin{{{t.text}}}..\\end{{{t.text}}} for its "
                                 "determinant")
            v = determinant(self.matrix())
        elif t.is_cmd("det") or (t.is_cmd(*_FONTS) and self.font_text(self.i) == "det"):
            v = self.det()
        elif t.is_op("("):
            v = self.group(")")
        elif t.is_op("["):
            v = self.group("]")
        elif t.is_cmd("{"):
            v = self.group("}", cmd=True)
        elif t.is_op("{"):
            v = self.group("}")
        elif t.is_cmd("left"):
            v = self.left_group()
        elif t.is_op("|"):
            v = self.bar_group()
        elif t.is_cmd("lvert"):
            v = self.bar_group(cmd=True)
        elif t.is_cmd(*_FRACS):
            v = self.frac()
        elif t.is_cmd("sqrt"):
            v = self.sqrt()
        elif t.is_cmd(*_FUNCS) or (t.is_cmd(*_FONTS)):
            v = self.func()
            self.after_atom()
            return v, [v]
        elif t.is_cmd("langle"):
            self.next()
            v = self.expectation(t, left=False)
        elif t.is_cmd("imath"):
            self.next()
            v = sp.I
        elif t.is_cmd("infty"):
            self.next()
            v = sp.oo
        elif t.is_cmd("dagger"):
            self.fail(t.pos, "'\\dagger' (adjoint) is not supported; write the scalar expression")
        elif t.kind == "cmd":
            self.fail(t.pos, f"unknown LaTeX command '{t.show()}'")
        else:
            self.fail(t.pos, f"unexpected '{t.show()}'")
        v = self.maybe_power(v)
        return v, [v]

    def after_atom(self) -> None:
        t = self.peek()
        if t.is_op("_"):
            self.fail(t.pos, "a subscript must follow a name")

    def power(self, v):
        caret = self.next()
        e = self.sup_script(caret)
        if e is _PRIME:
            self.fail(caret.pos, "a prime must follow a name")
        if self.peek().is_op("^"):
            self.fail(self.peek().pos, "double superscript")
        self.after_atom()
        return v ** e

    def maybe_power(self, v):
        if self.peek().is_op("^"):
            return self.power(v)
        self.after_atom()
        return v

    def group(self, close: str, cmd: bool = False, power: bool = True):
        o = self.next()
        saved, self.bars = self.bars, 0
        c = self.peek()
        if (c.is_cmd(close) if cmd else c.is_op(close)):
            self.fail(o.pos, f"empty brackets '{o.show()}{c.show()}'")
        v = self.expr()
        self.bars = saved
        c = self.peek()
        if not (c.is_cmd(close) if cmd else c.is_op(close)):
            opener = o.show()
            if c.kind == "eof":
                self.fail(o.pos, f"unbalanced '{opener}' (no matching "
                                 f"'{chr(92) if cmd else ''}{close}')")
            self.fail(c.pos, f"expected '{chr(92) if cmd else ''}{close}' to close '{opener}' "
                             f"at {_where(self.src, o.pos)}, found '{c.show()}'")
        self.next()
        return self.maybe_power(v) if power else v

    def delim(self, tok: _Tok) -> str:
        d = self.peek()
        if d.kind == "op" and d.text in "()[]|.":
            self.next()
            return d.text
        if d.is_cmd("{", "}", "langle", "rangle", "lvert", "rvert", "|"):
            self.next()
            return "\\" + d.text
        self.fail(tok.pos, f"'{tok.show()}' needs a delimiter after it")

    _PAIRS = {"(": ")", "[": "]", "\\{": "\\}", "|": "|", "\\lvert": "\\rvert", "\\|": "\\|"}

    # -- determinants
    def braced_matrix(self, closes) -> bool:
        """Whether a matrix environment (optionally in braces) starts here and is
        followed directly by a token for which ``closes`` is true."""
        k = self.i
        brace = self.toks[k].is_op("{")
        k += brace
        if self.toks[k].kind != "env":
            return False
        depth = 0
        for j in range(k, len(self.toks)):
            t = self.toks[j]
            depth += (t.kind == "env") - (t.kind == "endenv")
            if depth == 0:
                j += 1
                if brace:
                    if not self.toks[j].is_op("}"):
                        return False
                    j += 1
                return closes(self.toks[j])
        return False

    def matrix_in_braces(self):
        brace = self.peek().is_op("{")
        if brace:
            self.next()
        m = self.matrix()
        if brace:
            self.next()
        return m

    def matrix(self) -> sp.ImmutableMatrix:
        """The matrix environment starting here: rows split by ``\\\\``, entries by ``&``."""
        env = self.next()
        if env.kind != "env":
            self.fail(env.pos, f"expected a matrix, found '{env.show()}'")
        rows: list[list] = []
        row: list = []
        row_pos = [self.peek().pos]
        saved, self.bars = self.bars, 0
        while True:
            t = self.peek()
            if t.kind == "endenv":
                if row:                  # (after a trailing \\ the last row is empty)
                    rows.append(row)
                self.next()
                break
            if t.is_op("&") or t.is_cmd("\\") or t.kind == "eof":
                if t.kind == "eof":
                    self.fail(env.pos, f"'\\begin{{{env.text}}}' has no matching "
                                       f"'\\end{{{env.text}}}'")
                self.fail(t.pos, f"empty entry in the matrix before '{t.show()}'")
            row.append(self.expr())
            t = self.peek()
            if t.is_op("&"):
                self.next()
                if self.peek().is_op("&") or self.peek().is_cmd("\\") or \
                        self.peek().kind == "endenv":
                    self.fail(t.pos, "empty entry in the matrix after '&'")
            elif t.is_cmd("\\"):
                self.next()
                if self.peek().is_op("["):      # \\[2pt]: row spacing, as LaTeX reads it
                    while not self.peek().is_op("]"):
                        if self.peek().kind in ("eof", "endenv"):
                            self.fail(t.pos, "'\\\\[' (row spacing) has no closing ']'")
                        self.next()
                    self.next()
                rows.append(row)
                row = []
                row_pos.append(self.peek().pos)
            elif t.kind != "endenv":
                self.fail(t.pos, f"unexpected '{t.show()}' in the matrix (entries are "
                                 "separated by & and rows by \\\\)")
        self.bars = saved
        if not rows:
            self.fail(env.pos, f"empty matrix '\\begin{{{env.text}}}'")
        for k, r in enumerate(rows[1:], 1):
            if len(r) != len(rows[0]):
                self.fail(row_pos[k], f"row {k + 1} of the matrix has {len(r)} "
                                      f"{'entry' if len(r) == 1 else 'entries'}, row 1 has "
                                      f"{len(rows[0])} (rows must have equal length)")
        if len(rows) != len(rows[0]):
            self.fail(env.pos, f"a determinant needs a square matrix; this one is "
                               f"{len(rows)}x{len(rows[0])}")
        return sp.ImmutableMatrix(rows)

    def det(self):
        """``\\det`` of a matrix environment, bare or in brackets, braces or
        ``\\left( .. \\right)``: an unevaluated :class:`sympy.Determinant`."""
        t = self.next()
        if t.is_cmd(*_FONTS):
            self.i = _matching_brace(self.toks, self.i) + 1
        nxt = self.peek()
        usage = ("'\\det' needs a matrix: \\det\\begin{pmatrix} a & b \\\\ c & d "
                 "\\end{pmatrix}")
        if nxt.kind == "env" and nxt.text != "vmatrix":
            return determinant(self.matrix())
        if nxt.is_op("{") and self.braced_matrix(lambda x: True):
            return determinant(self.matrix_in_braces())
        pairs = {"(": ")", "[": "]"}
        if nxt.kind == "op" and nxt.text in pairs:
            close = pairs[nxt.text]
            self.next()
            if self.braced_matrix(lambda x: x.is_op(close)):
                m = self.matrix_in_braces()
                self.next()
                return determinant(m)
        elif nxt.is_cmd("left") and self.peek(1).kind == "op" and self.peek(1).text in pairs:
            opener = self.peek(1).text
            close = pairs[opener]
            self.i += 2
            if self.braced_matrix(lambda x: x.is_cmd("right")):
                m = self.matrix_in_braces()
                rt = self.next()
                if not self.peek().is_op(close):
                    self.fail(rt.pos, f"'\\right' does not close '\\left{opener}'"
                                      f" with '{close}'")
                self.next()
                return determinant(m)
        self.fail(t.pos, usage)

    def left_group(self, power: bool = True):
        lt = self.next()
        d = self.delim(lt)
        if d == "\\langle":
            return self.expectation(lt, left=True)
        if d in ("|", "\\lvert") and self.braced_matrix(lambda x: x.is_cmd("right")):
            m = self.matrix_in_braces()          # |A|: SymPy prints a determinant so
            rt = self.next()
            rd = self.delim(rt)
            if rd not in ("|", "\\rvert"):
                self.fail(rt.pos, f"'\\left{d}' is closed by '\\right{rd}'")
            v = determinant(m)
            return self.maybe_power(v) if power else v
        if self.peek().is_cmd("right"):
            self.fail(lt.pos, f"empty '\\left{d} \\right'")
        saved, self.bars = self.bars, 0
        v = self.expr()
        self.bars = saved
        rt = self.peek()
        if not rt.is_cmd("right"):
            self.fail(rt.pos, f"expected '\\right' to close '\\left{d}' at "
                              f"{_where(self.src, lt.pos)}, found '{rt.show()}'")
        self.next()
        rd = self.delim(rt)
        if d in ("|", "\\lvert"):
            if rd not in ("|", "\\rvert"):
                self.fail(rt.pos, f"'\\left{d}' is closed by '\\right{rd}'")
            v = sp.Abs(v)
        elif d == "." and rd == "|":
            if self.peek().is_op("_"):
                v = self.eval_bar(v)
        elif d != "." and rd != "." and self._PAIRS.get(d) != rd:
            self.fail(rt.pos, f"'\\left{d}' at {_where(self.src, lt.pos)} is closed by "
                              f"'\\right{rd}'")
        return self.maybe_power(v) if power else v

    def eval_bar(self, v):
        us = self.next()
        o = self.peek()
        if not o.is_op("{"):
            self.fail(us.pos, "write the evaluation point as \\right|_{x=...}")
        self.next()
        subs = {}
        while True:
            lhs = self.expr()
            eq = self.peek()
            if not eq.is_op("="):
                self.fail(eq.pos, "expected '=' in the evaluation point \\right|_{x=...}")
            self.next()
            subs[lhs] = self.expr()
            if self.peek().is_op(","):
                self.next()
                continue
            break
        c = self.peek()
        if not c.is_op("}"):
            self.fail(c.pos, f"unexpected '{c.show()}' in the evaluation point")
        self.next()
        return v.subs(subs)

    def bar_group(self, cmd: bool = False):
        o = self.next()
        if self.braced_matrix(lambda x: x.is_cmd("rvert") if cmd else x.is_op("|")):
            m = self.matrix_in_braces()
            self.next()
            return self.maybe_power(determinant(m))
        self.bars += 1
        v = self.expr()
        self.bars -= 1
        c = self.peek()
        if not (c.is_cmd("rvert") if cmd else c.is_op("|")):
            self.fail(o.pos, f"unbalanced '{o.show()}' (no closing bar)")
        self.next()
        return self.maybe_power(sp.Abs(v))

    def macro_arg(self, cmd: _Tok, what: str):
        a = self.peek()
        if a.is_op("{"):
            o = self.next()
            if self.peek().is_op("}"):
                self.fail(o.pos, f"empty {what} in '{cmd.show()}'")
            saved, self.bars = self.bars, 0
            v = self.expr()
            self.bars = saved
            c = self.peek()
            if not c.is_op("}"):
                self.fail(c.pos, f"unexpected '{c.show()}' in the {what} of '{cmd.show()}'")
            self.next()
            return v
        if a.kind == "num":
            return sp.Integer(self.take_digit(a))
        if a.kind == "letter" or a.is_cmd(*_NAME_CMDS):
            return self.resolve_one(self.piece(scripts=False))
        if a.is_cmd(*_FRACS):
            return self.frac()
        self.fail(cmd.pos, f"'{cmd.show()}' is missing its {what}")

    def frac(self):
        t = self.next()
        num = self.macro_arg(t, "numerator")
        den = self.macro_arg(t, "denominator")
        return num / den

    def sqrt(self):
        t = self.next()
        idx = None
        if self.peek().is_op("["):
            o = self.next()
            idx = self.expr()
            c = self.peek()
            if not c.is_op("]"):
                self.fail(o.pos, "unbalanced '[' in \\sqrt[n]{..}")
            self.next()
        arg = self.macro_arg(t, "argument")
        return sp.sqrt(arg) if idx is None else sp.root(arg, idx)

    def take_digit(self, t: _Tok) -> str:
        """Consume one digit of the number token t (TeX's one-token argument)."""
        if "." in t.text:
            self.fail(t.pos, f"put '{t.text}' in braces here")
        if len(t.text) == 1:
            self.next()
            return t.text
        self.toks[self.i] = _Tok("num", t.text[1:], t.pos + 1, t.end, False)
        return t.text[0]

    # -- scripts
    def sub_script(self, us: _Tok):
        t = self.peek()
        if t.is_op("{"):
            k = _matching_brace(self.toks, self.i)
            inner = self.toks[self.i + 1:k]
            if not inner:
                self.fail(us.pos, "empty subscript")
            text = self.script_text(inner)
            self.i = k + 1
            return text, False
        if t.kind == "letter" or t.is_cmd(*_NAME_CMDS):
            self.next()
            return t.text, True
        if t.kind == "num":
            return self.take_digit(t), True
        if t.is_op("+", "-"):
            self.next()
            return t.text, False
        if t.is_cmd("pm", "mp"):
            self.next()
            return t.text, False
        if t.is_cmd(*_FONTS) and self.peek(1).is_op("{"):
            self.next()
            k = _matching_brace(self.toks, self.i)
            text = self.script_text(self.toks[self.i + 1:k])
            self.i = k + 1
            return text, False
        self.fail(us.pos, "'_' has no subscript")

    def script_text(self, toks: list[_Tok]) -> str:
        out = []
        for t in toks:
            if t.kind in ("letter", "num"):
                out.append(t.text)
            elif t.is_op("+", "-", ",", "'", "*", "_"):
                out.append(t.text)
            elif t.is_op("{", "}"):
                continue
            elif t.is_cmd(*_NAME_CMDS) or t.is_cmd("pm", "mp"):
                out.append(t.text)
            elif t.is_cmd(*_FONTS) or t.is_cmd(*_SWITCHES) or t.is_cmd("mathbf", "boldsymbol"):
                continue
            else:
                self.fail(t.pos, f"cannot use '{t.show()}' in a subscript or name")
        return "".join(out)

    def sup_script(self, caret: _Tok):
        t = self.peek()
        if t.is_cmd("dagger", "ast", "star") or t.is_op("*"):
            self.fail(t.pos, "'^\\dagger' and '^*' (adjoint, conjugate) are not supported; "
                             "write the scalar expression")
        if t.is_cmd("prime"):
            self.next()
            return _PRIME
        if t.is_op("{"):
            nxt, nxt2 = self.peek(1), self.peek(2)
            if nxt.is_cmd("prime") and nxt2.is_op("}"):
                self.i += 3
                return _PRIME
            if nxt.is_cmd("dagger", "ast", "star") or nxt.is_op("*"):
                self.fail(nxt.pos, "'^\\dagger' and '^*' (adjoint, conjugate) are not "
                                   "supported; write the scalar expression")
            if nxt.is_op("}"):
                self.fail(caret.pos, "empty exponent '^{}'")
            self.next()
            saved, self.bars = self.bars, 0
            v = self.expr()
            self.bars = saved
            c = self.peek()
            if not c.is_op("}"):
                self.fail(c.pos, f"unexpected '{c.show()}' in the exponent")
            self.next()
            return v
        if t.kind == "num":
            if "." in t.text:
                self.fail(t.pos, f"write a decimal exponent in braces: ^{{{t.text}}}")
            if len(t.text) > 1 and not t.brk:
                self.fail(caret.pos, f"ambiguous exponent '^{t.text}': TeX reads "
                                     f"^{{{t.text[0]}}} {t.text[1:]}; write ^{{{t.text}}} "
                                     f"or ^{{{t.text[0]}}} {t.text[1:]}")
            return sp.Integer(self.take_digit(t))
        if t.kind == "letter" or t.is_cmd(*_NAME_CMDS):
            return self.resolve_one(self.piece(scripts=False))
        if t.is_cmd(*_FRACS):
            return self.frac()
        if t.is_op("-", "+"):
            self.fail(t.pos, f"write a signed exponent in braces: ^{{{t.text}...}}")
        self.fail(caret.pos, "'^' has no exponent")

    # -- names
    def font_text(self, k: int) -> str | None:
        """Text of the font command at token k (argument in braces), or None."""
        if k + 1 >= len(self.toks) or not self.toks[k + 1].is_op("{"):
            return None
        j = _matching_brace(self.toks, k + 1)
        try:
            return self.script_text(self.toks[k + 2:j])
        except CgsymError:
            return None

    def piece_start(self, k: int) -> bool:
        t = self.toks[k]
        if t.kind == "letter":
            return True
        if t.kind == "cmd":
            if t.text in _NAME_CMDS or t.text in _ACCENTS:
                return True
            if t.text in _FONTS:
                text = self.font_text(k)
                return bool(text) and text not in _FONT_FUNCS and text not in _OUT_OF_SCOPE_FONTS
            return False
        if t.is_op("{") and k + 1 < len(self.toks) and self.toks[k + 1].is_cmd(*_SWITCHES):
            return True
        return False

    def piece(self, scripts: bool = True) -> _Piece:
        t = self.peek()
        if t.kind == "letter" or t.is_cmd(*_NAME_CMDS):
            self.next()
            p = _Piece("letter" if t.kind == "letter" else "greek", t.text, t.pos)
        elif t.is_cmd(*_ACCENTS):
            self.next()
            base, sub = self.accent_arg(t)
            p = _Piece("closed", base + _ACCENTS[t.text], t.pos, sub=sub)
        elif t.is_cmd(*_FONTS):
            self.next()
            k = _matching_brace(self.toks, self.i)
            text = self.script_text(self.toks[self.i + 1:k])
            self.i = k + 1
            p = _Piece("font", text, t.pos)
        elif t.is_op("{"):      # {\rm sec}
            k = _matching_brace(self.toks, self.i)
            text = self.script_text(self.toks[self.i + 1:k])
            if not text:
                self.fail(t.pos, "empty name")
            self.i = k + 1
            p = _Piece("font", text, t.pos)
        else:
            self.fail(t.pos, f"expected a name, found '{t.show()}'")
        if scripts:
            self.scripts(p)
        p.end = self.prev_end()
        return p

    def accent_arg(self, acc: _Tok) -> tuple[str, str | None]:
        a = self.peek()
        if a.is_op("{"):
            k = _matching_brace(self.toks, self.i)
            inner = self.toks[self.i + 1:k] + [_Tok("eof", "", self.toks[k].pos,
                                                    self.toks[k].pos, True)]
            sub = _Parser(self.src, inner, self.table)
            pieces = sub.name_pieces()
            if sub.peek().kind != "eof" or not pieces:
                self.fail(acc.pos, f"'{acc.show()}{{..}}' must contain one name")
            name = _one_name(pieces)
            if name is None or any(p.sup is not None for p in pieces):
                self.fail(acc.pos, f"'{acc.show()}{{..}}' must contain one name")
            self.i = k + 1
        elif a.kind == "letter" or a.is_cmd(*_NAME_CMDS) or a.is_cmd(*_ACCENTS):
            name = self.piece(scripts=False).name
        else:
            self.fail(acc.pos, f"'{acc.show()}' needs an argument")
        base, us, sub = name.partition("_")
        return base, (sub if us else None)

    def scripts(self, p: _Piece) -> None:
        while True:
            t = self.peek()
            if t.is_op("_"):
                self.next()
                if p.sub is not None:
                    self.fail(t.pos, "double subscript")
                p.sub, p.sub_open = self.sub_script(t)
            elif t.is_op("^"):
                self.next()
                if p.sup is not None:
                    self.fail(t.pos, "double superscript")
                e = self.sup_script(t)
                if e is _PRIME:
                    p.primes += "'"
                else:
                    p.sup = e
            elif t.is_op("'"):
                self.next()
                p.primes += "'"
            else:
                return

    def name_pieces(self) -> list[_Piece]:
        """The pieces of one word (letters/names written together)."""
        pieces = [self.piece()]
        while True:
            last = pieces[-1]
            if last.sup is not None:
                break
            t = self.peek()
            if t.brk:
                break
            if self.piece_start(self.i):
                pieces.append(self.piece())
            elif t.kind == "num" and "." not in t.text and last.sub_open:
                self.next()
                p = _Piece("digits", t.text, t.pos)
                self.scripts(p)
                if p.sub is not None or p.primes:
                    self.fail(t.pos, "a subscript must follow a name")
                p.end = self.prev_end()
                pieces.append(p)
            else:
                break
        return pieces

    def call_follows(self) -> bool:
        t = self.peek()
        if t.is_op("("):
            return True
        if t.is_cmd("left") and self.peek(1).is_op("("):
            return True
        return (t.is_op("{") and self.peek(1).is_cmd("left") and self.peek(2).is_op("("))

    def word(self):
        start = self.peek().pos
        pieces = self.name_pieces()
        end = self.prev_end()
        call = self.call_follows()
        vals, last_func = self.resolve(pieces, start, end, call)
        sup = pieces[-1].sup
        if last_func is not None:
            name, fn = last_func
            ctok = self.peek()
            args = self.call_args()
            try:
                last = fn(*args)
            except CgsymError:
                raise
            except Exception as exc:  # noqa: BLE001 - user callables
                why = str(exc).splitlines()[0] if str(exc) else ""
                self.fail(ctok.pos, f"cannot apply '{name}' to {len(args)} argument(s) "
                                    f"({type(exc).__name__}: {why})")
            vals = vals + [sp.sympify(last)]
        if sup is not None:
            vals[-1] = vals[-1] ** sup
        if self.peek().is_op("^"):
            if sup is not None:
                self.fail(self.peek().pos, "double superscript")
            vals[-1] = self.power(vals[-1])
        self.after_atom()
        value = sp.Integer(1)
        for v in vals:
            value = value * v
        return value, vals

    def resolve_one(self, p: _Piece):
        return self.resolve([p], p.pos, p.end, call=False)[0][0]

    def resolve(self, pieces: list[_Piece], start: int, end: int, call: bool):
        """Read a word as a product of names: (values, (name, fn) of a call or None)."""
        n = len(pieces)
        table = self.table
        segs: list[list[tuple[int, int, str, bool]]] = []

        def rec(i: int, acc: list) -> None:
            if len(segs) >= 256:
                return
            if i == n:
                segs.append(list(acc))
                return
            p = pieces[i]
            acc.append((i, i + 1, p.name, False))
            rec(i + 1, acc)
            acc.pop()
            if _is_delta(p) and i + 1 < n:
                name = f"{p.base}_{pieces[i + 1].name}"
                if table.has(name):
                    acc.append((i, i + 2, name, True))
                    rec(i + 2, acc)
                    acc.pop()
            if p.kind == "digits":
                return
            state: str | None = _start_state(p)
            for j in range(i + 1, n):
                state = _extend(state, pieces[j])
                if state is None:
                    break
                name = "".join(q.name for q in pieces[i:j + 1])
                if table.has(name):
                    acc.append((i, j + 1, name, False))
                    rec(j + 1, acc)
                    acc.pop()

        rec(0, [])
        valid = []
        for seg in segs:
            got = self.resolve_seg(seg, pieces, call)
            if not isinstance(got, int):
                valid.append((seg, got))
        if not valid:
            self.unknown(pieces, call)
        best = max(sum(g[3] for g in seg) for seg, _ in valid)
        valid = [(seg, got) for seg, got in valid if sum(g[3] for g in seg) == best]
        if len(valid) > 1:
            def show(seg, got):
                s = "*".join(g[2] for g in seg)
                return s + "(..)" if got[1] is not None else s
            distinct = {sp.srepr(sp.Mul(*got[0])) + repr(got[1]) for _, got in valid}
            if len(distinct) > 1:
                text = self.src[start:end]
                self.fail(start, f"ambiguous '{text}': it reads as {show(*valid[0])} or as "
                                 f"{show(*valid[1])}; separate names with a space or put "
                                 "subscripts in braces")
        return valid[0][1]

    def resolve_seg(self, seg, pieces, call):
        """Values of one segmentation, or the index of the first group that fails."""
        vals = []
        n = len(pieces)
        for g, (i, j, name, _delta) in enumerate(seg):
            last = j == n
            if last and call and name in self.table.functions:
                return vals, (name, self.table.functions[name])
            if name in self.table.names:
                vals.append(self.table.names[name])
                continue
            v = None
            if j - i == 1:
                nxt = seg[g + 1][2] if g + 1 < len(seg) else None
                v = self.implicit(pieces, i, name, nxt)
            if v is None:
                return g
            vals.append(v)
        return vals, None

    @staticmethod
    def implicit(pieces: list[_Piece], i: int, name: str, next_name: str | None):
        p = pieces[i]
        k = p.kind
        if k == "digits":
            return sp.Integer(p.base)
        if name == "e" and k in ("letter", "font"):
            return sp.E
        if name == "i" and (k == "font" or (k == "letter" and not any(
                0 <= j < len(pieces) and pieces[j].kind == "letter" for j in (i - 1, i + 1)))):
            return sp.I     # a bare i not written next to other letters
        if name == "pi" and k == "greek":
            return sp.pi
        if name == "hbar" and k == "greek":
            return sp.Integer(1)
        if name == "k_B" and k in ("letter", "font"):
            return sp.Integer(1)
        if name == "k" and k == "letter" and next_name and _T_NAME.match(next_name):
            return sp.Integer(1)
        return None

    def unknown(self, pieces: list[_Piece], call: bool):
        # the plain TeX reading: every piece alone (\Delta X as one name)
        seg, i = [], 0
        while i < len(pieces):
            p = pieces[i]
            if _is_delta(p) and i + 1 < len(pieces):
                seg.append((i, i + 2, f"{p.base}_{pieces[i + 1].name}", True))
                i += 2
            else:
                seg.append((i, i + 1, p.name, False))
                i += 1
        g = self.resolve_seg(seg, pieces, call)
        if not isinstance(g, int):      # pragma: no cover - resolve() found none
            g = 0
        i, j, name, delta = seg[g]
        p = pieces[i]
        if name in self.table.functions:
            self.fail(p.pos, f"'{name}' is a function: write {name}(...)")
        whole = _one_name(pieces) if len(pieces) > 1 else None
        extra = ""
        if delta:
            extra = (f" (nor are both '{pieces[i].base}' and '{pieces[i + 1].name}', "
                     f"for the product)")
        elif whole and whole != name:
            extra = f" (nor is '{whole}', reading the letters as one name)"
        if name == "k":
            extra += " (k means k_B = 1 only right before a T, as in kT)"
        self.fail(p.pos, f"unknown name '{name}'{extra}; define it with --where {name}=EXPR")

    def call_args(self) -> list:
        t = self.next()
        if t.is_op("{"):
            args = self.call_args()
            c = self.peek()
            if not c.is_op("}"):
                self.fail(c.pos, f"unexpected '{c.show()}' after the arguments")
            self.next()
            return args
        if t.is_cmd("left"):
            self.next()                 # '('
            args = self.arglist()
            c = self.peek()
            if not (c.is_cmd("right") and self.peek(1).is_op(")")):
                self.fail(c.pos, f"expected '\\right)' to close '\\left(' at "
                                 f"{_where(self.src, t.pos)}, found '{c.show()}'")
            self.i += 2
            return args
        args = self.arglist()
        c = self.peek()
        if not c.is_op(")"):
            if c.kind == "eof":
                self.fail(t.pos, "unbalanced '(' (no matching ')')")
            self.fail(c.pos, f"expected ')' to close '(' at {_where(self.src, t.pos)}, "
                             f"found '{c.show()}'")
        self.next()
        return args

    def arglist(self) -> list:
        saved, self.bars = self.bars, 0
        args = [self.expr()]
        while self.peek().is_op(","):
            self.next()
            args.append(self.expr())
        self.bars = saved
        return args

    def expectation(self, open_tok: _Tok, left: bool):
        start = self.i
        k = start
        while k < len(self.toks) and self.toks[k].kind != "eof":
            if left and self.toks[k].is_cmd("right") and self.toks[k + 1].is_cmd("rangle"):
                break
            if not left and self.toks[k].is_cmd("rangle"):
                break
            k += 1
        else:
            self.fail(open_tok.pos, "unbalanced '\\langle' (no matching '\\rangle')")
        inner = self.toks[start:k]
        if len(inner) >= 2 and inner[0].is_op("{") and _matching_brace(inner, 0) == len(inner) - 1:
            inner = inner[1:-1]
        if not inner:
            self.fail(open_tok.pos, "empty '\\langle \\rangle'")
        sub = _Parser(self.src, inner + [_Tok("eof", "", self.toks[k].pos, self.toks[k].pos, True)],
                      self.table)
        name = None
        if sub.piece_start(0):
            pieces = sub.name_pieces()
            if sub.peek().kind == "eof" and all(p.sup is None for p in pieces):
                name = _one_name(pieces)
        if name is None:
            self.fail(open_tok.pos, "'\\langle .. \\rangle' must contain one name, "
                                    "e.g. \\langle \\sigma_z \\rangle")
        self.i = k + (2 if left else 1)
        key = f"<{name}>"
        if key not in self.table.names:
            self.fail(open_tok.pos, f"unknown expectation value '{key}'; define it with "
                                    f"--where '{key}=EXPR'")
        return self.table.names[key]

    def func(self):
        t = self.next()
        if t.is_cmd(*_FONTS):
            text = self.font_text(self.i - 1)
            if text in _OUT_OF_SCOPE_FONTS:
                self.fail(t.pos, f"'{text}' (operators) is out of scope; write the scalar "
                                 "expression")
            if text is None or text not in _FONT_FUNCS:
                self.fail(t.pos, f"cannot read '{t.show()}' here (it needs a name in braces)")
            self.i = _matching_brace(self.toks, self.i) + 1
            name, fn = text, _FONT_FUNCS[text]
        else:
            name, fn = t.text, _FUNCS[t.text]
        if name == "log" and self.peek().is_op("_"):
            us = self.next()
            if self.peek().is_op("{"):
                base = self.macro_arg(us, "base")
            else:
                base = self.sup_script(us)
            fn = (lambda b: (lambda x: sp.log(x, b)))(base)
        power = None
        if self.peek().is_op("^"):
            caret = self.next()
            power = self.sup_script(caret)
            if power is _PRIME:
                self.fail(caret.pos, "a prime on a function is not supported")
            if power == -1:
                self.fail(caret.pos, f"'\\{name}^{{-1}}' is ambiguous (inverse function or "
                                     f"1/{name}); write \\ar{name} or 1/\\{name}")
        a = self.peek()
        if a.is_op("(") or a.is_op("[") or a.is_op("{") or a.is_cmd("{") or a.is_cmd("left"):
            if a.is_cmd("left"):
                arg = self.left_group(power=False)
            elif a.is_cmd("{"):
                arg = self.group("}", cmd=True, power=False)
            else:
                arg = self.group({"(": ")", "[": "]", "{": "}"}[a.text], power=False)
        else:
            if not self.starts_atom(a) or a.is_cmd(*_FUNCS):
                self.fail(t.pos, f"'{t.show()}' has no argument")
            arg, parts = self.factor()
            nxt = self.peek()
            if len(parts) > 1 or (self.starts_atom(nxt) and not nxt.is_cmd(*_FUNCS)
                                  and not (nxt.is_cmd(*_FONTS) and not self.piece_start(self.i))):
                rest = sp.Mul(*parts[1:]) if len(parts) > 1 else None
                if rest is None:
                    rest, _ = self.factor()
                    first = arg
                else:
                    first = parts[0]
                self.fail(t.pos, f"ambiguous argument of '{t.show()}': it reads as "
                                 f"{sp.sstr(fn(first * rest))} or as {sp.sstr(fn(first) * rest)}; "
                                 "use parentheses")
        try:
            v = fn(arg)
        except Exception as exc:  # noqa: BLE001
            self.fail(t.pos, f"cannot apply '{name}' ({type(exc).__name__})")
        if power is not None:
            v = v ** power
        if self.peek().is_op("^"):
            if power is not None:
                self.fail(self.peek().pos, "double superscript")
            v = self.power(v)
        return v


# --------------------------------------------------------------------------- API
def _random_rational_value(e, rng, memo):
    """e at a random rational point, every symbol and every non-polynomial node (n(w, T),
    exp, a radical) taken as an independent random rational; None if a division by 0."""
    if e.is_Rational:
        return e
    if e in memo:
        return memo[e]
    if e.is_Add or e.is_Mul:
        vals = [_random_rational_value(a, rng, memo) for a in e.args]
        if any(v is None for v in vals):
            return None
        v = sp.Add(*vals) if e.is_Add else sp.Mul(*vals)
    elif e.is_Pow and e.exp.is_Integer:
        b = _random_rational_value(e.base, rng, memo)
        v = None if b is None or (b == 0 and e.exp < 0) else b ** e.exp
    else:
        v = sp.Rational(rng.randrange(1, 10 ** 12), rng.randrange(1, 10 ** 12))
    memo[e] = v
    return v


def determinant(m) -> sp.Expr:
    """An unevaluated Determinant of the square matrix ``m``, or its value 0 when the
    matrix is singular: zero at two random rational points with every symbol and
    non-polynomial node independent (a determinant that vanishes there vanishes
    identically).  Kept unevaluated, a zero determinant would let SymPy read 0/det as 0
    and det/det as 1 (an undefined value called EQUAL); as 0 it makes them nan, which
    ``check`` refuses, while a Cramer numerator that is 0 (an unknown that vanishes)
    stays a valid 0.  Exact over QQ; a nonsingular matrix is never read as 0."""
    import random
    from sympy.polys.matrices import DomainMatrix
    for seed in (1, 2):
        rng, memo = random.Random(seed), {}
        vals = [[_random_rational_value(m[i, j], rng, memo) for j in range(m.cols)]
                for i in range(m.rows)]
        if any(v is None for row in vals for v in row):
            continue
        if DomainMatrix.from_Matrix(sp.Matrix(vals)).to_field().det() != 0:
            return sp.Determinant(m)
    return sp.S.Zero


def canonical_name(latex_identifier: str) -> str:
    r"""The canonical name of ONE identifier (see the module docstring).

    ``\gamma_h`` -> ``gamma_h``, ``\bar{n}_{h}`` -> ``nbar_h``, ``n_{+}`` -> ``n_+``,
    ``\Delta n`` -> ``Delta_n``, ``\langle\sigma_z\rangle`` -> ``<sigma_z>``.
    """
    if not isinstance(latex_identifier, str) or not latex_identifier.strip():
        raise CgsymError(f"cannot read LaTeX at column 1: empty name {latex_identifier!r}")
    src = latex_identifier
    s = src.strip()
    if s.startswith("<") and s.endswith(">") and len(s) > 2:
        return f"<{canonical_name(s[1:-1])}>"
    toks = _prepare(src, _tokenize(src), split_lhs=False)
    p = _Parser(src, toks, _EMPTY)
    t = p.peek()
    if t.is_cmd("langle") or (t.is_cmd("left") and p.peek(1).is_cmd("langle")):
        left = t.is_cmd("left")
        p.i += 2 if left else 1
        inner_start = p.i
        k = inner_start
        while k < len(toks) and toks[k].kind != "eof":
            if (left and toks[k].is_cmd("right") and toks[k + 1].is_cmd("rangle")) or \
                    (not left and toks[k].is_cmd("rangle")):
                break
            k += 1
        else:
            _fail(src, t.pos, "unbalanced '\\langle'")
        close_end = toks[k + 1].end if left else toks[k].end
        if src[close_end:].strip():
            _fail(src, close_end, f"'{latex_identifier}' is not one name")
        return f"<{canonical_name(src[toks[inner_start].pos:toks[k].pos])}>" if k > inner_start \
            else _fail(src, t.pos, "empty '\\langle \\rangle'")
    if t.is_op("{") and toks[_matching_brace(toks, 0)].end >= len(src.rstrip()):
        # a name wrapped in braces
        return canonical_name(src[t.end:toks[_matching_brace(toks, 0)].pos])
    if not p.piece_start(0):
        _fail(src, t.pos, f"'{latex_identifier.strip()}' is not a name")
    pieces = p.name_pieces()
    if p.peek().kind != "eof":
        _fail(src, p.peek().pos, f"'{latex_identifier.strip()}' is not one name")
    if any(q.sup is not None for q in pieces):
        _fail(src, pieces[-1].pos, f"'{latex_identifier.strip()}' has an exponent; "
                                   "a name cannot")
    name = _one_name(pieces)
    if name is None:
        _fail(src, pieces[0].pos, f"'{latex_identifier.strip()}' is several names "
                                  f"({'*'.join(q.name for q in pieces)}), not one")
    return name


def read_latex(text: str, table: SymbolTable) -> sp.Expr:
    """Read LaTeX ``text`` into a SymPy expression using the names in ``table``."""
    if not isinstance(text, str):
        raise CgsymError(f"cannot read LaTeX: expected a string, got {type(text).__name__}")
    if not isinstance(table, SymbolTable):
        raise CgsymError("cannot read LaTeX: the symbol table must be a SymbolTable")
    toks = _prepare(text, _tokenize(text))
    try:
        return _Parser(text, toks, table).parse_all()
    except RecursionError:
        raise CgsymError("cannot read LaTeX at column 1: the expression is nested too "
                         "deeply") from None


_SYMPY_GLOBALS = {name: getattr(sp, name) for name in (
    "sqrt", "exp", "log", "sin", "cos", "tan", "cot", "sinh", "cosh", "tanh", "coth",
    "asin", "acos", "atan", "asinh", "acosh", "atanh", "acoth", "re", "im", "Abs",
    "root", "Rational", "Integer", "Float", "pi", "E", "I", "oo")}
_SYMPY_GLOBALS["ln"] = sp.log
# a determinant stays unevaluated (a 12 x 12 of polynomials is never expanded by SymPy);
# the shape of its argument is checked on the syntax tree first (_check_matrices)
_SYMPY_GLOBALS["Determinant"] = lambda m: determinant(m)
_SYMPY_GLOBALS["Matrix"] = _SYMPY_GLOBALS["ImmutableMatrix"] = sp.ImmutableMatrix
_MATRIX_CALLS = ("Matrix", "ImmutableMatrix")
_SYMPY_TRANSFORMS = (auto_number, rationalize, convert_xor)
#: Python syntax a SymPy-syntax expression may use (no attributes, subscripts, ...)
_PY_ALLOWED = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Call, ast.Name, ast.Constant,
               ast.Load, ast.operator, ast.unaryop, ast.Tuple, ast.keyword, ast.List)


def _check_matrices(tree) -> tuple[int, str] | None:
    """(column offset, problem) of the first misuse of a matrix in a SymPy-syntax tree:
    a matrix is allowed only as ``Determinant(Matrix([[..], ..]))``, square, with rows
    of equal length; a list only as that matrix or its rows."""
    allowed: set = set()
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        name = node.func.id
        if name == "Determinant":
            if len(node.args) != 1 or node.keywords:
                return node.col_offset, "Determinant takes one matrix"
            m = node.args[0]
            if not (isinstance(m, ast.Call) and isinstance(m.func, ast.Name)
                    and m.func.id in _MATRIX_CALLS):
                return node.col_offset, ("Determinant needs a matrix: "
                                         "Determinant(Matrix([[a, b], [c, d]]))")
            allowed.add(id(m))
        elif name in _MATRIX_CALLS:
            if id(node) not in allowed:
                return node.col_offset, ("a matrix where a scalar is needed; write "
                                         "Determinant(Matrix([[..], ..])) for its determinant")
            if len(node.args) != 1 or node.keywords or not isinstance(node.args[0], ast.List):
                return node.col_offset, "write the matrix as Matrix([[a, b], [c, d]])"
            rows = node.args[0].elts
            if not rows:
                return node.col_offset, "empty matrix"
            allowed.add(id(node.args[0]))
            for k, r in enumerate(rows):
                if not isinstance(r, ast.List):
                    return r.col_offset, f"row {k + 1} of the matrix is not a list [..]"
                allowed.add(id(r))
                if not r.elts:
                    return r.col_offset, f"row {k + 1} of the matrix is empty"
                if len(r.elts) != len(rows[0].elts):
                    n = len(r.elts)
                    return r.col_offset, (f"row {k + 1} of the matrix has {n} "
                                          f"{'entry' if n == 1 else 'entries'}, row 1 has "
                                          f"{len(rows[0].elts)} (rows must have equal length)")
            if len(rows) != len(rows[0].elts):
                return node.col_offset, (f"a determinant needs a square matrix; this one is "
                                         f"{len(rows)}x{len(rows[0].elts)}")
    for node in ast.walk(tree):
        if isinstance(node, ast.List) and id(node) not in allowed:
            return node.col_offset, "a list [..] is not an expression"
    return None


def _split_lhs_py(text: str) -> tuple[str, int]:
    depth, last = 0, -1
    for k, c in enumerate(text):
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        elif c == "=" and depth == 0:
            before = text[k - 1] if k else ""
            after = text[k + 1] if k + 1 < len(text) else ""
            if before not in "=<>!" and after != "=":
                last = k
    if last < 0:
        return text, 0
    return text[last + 1:], last + 1


def read_sympy(text: str, table: SymbolTable) -> sp.Expr:
    """Read SymPy-syntax ``text`` (``2*gamma_h*n_h``) using the names in ``table``.

    Names not in the table are errors: no symbols are created.  ``^`` means power,
    decimals are exact; ``hbar`` and ``k_B`` are 1 unless the table defines them.
    """
    if not isinstance(text, str):
        raise CgsymError(f"cannot read expression: expected a string, got {type(text).__name__}")
    body, off = _split_lhs_py(text)
    if not body.strip():
        _fail(text, max(off - 1, 0), "empty expression", "expression")
    local: dict[str, object] = {"hbar": sp.Integer(1), "k_B": sp.Integer(1)}
    for d in (table.names, table.functions):
        for name, val in d.items():
            py = python_name(name)
            if py is not None:
                local[py] = val
    # leading whitespace would be an IndentationError for Python
    stripped = body.lstrip()
    off += len(body) - len(stripped)
    body = stripped
    py_text = body.replace("^", "**")

    def body_col(o: int) -> int:
        """Offset in py_text -> offset in body ('^' became '**')."""
        b = p = 0
        while b < len(body) and p < o:
            p += 2 if body[b] == "^" else 1
            b += 1
        return b

    try:
        tree = ast.parse(py_text, mode="eval")
    except SyntaxError as e:
        o = e.offset - 1 if e.offset else len(py_text)
        _fail(text, off + body_col(o), f"syntax error ({e.msg})", "expression")
    for node in ast.walk(tree):
        if not isinstance(node, _PY_ALLOWED):
            _fail(text, off + body_col(getattr(node, "col_offset", 0)),
                  f"'{type(node).__name__}' is not allowed in an expression", "expression")
    bad = _check_matrices(tree)
    if bad is not None:
        _fail(text, off + body_col(bad[0]), bad[1], "expression")
    g = dict(_SYMPY_GLOBALS)
    g["__builtins__"] = {}
    try:
        return parse_expr(body, local_dict=local, global_dict=g,
                          transformations=_SYMPY_TRANSFORMS)
    except CgsymError:
        raise
    except NameError as e:
        m = re.search(r"name '([^']+)' is not defined", str(e))
        name = m.group(1) if m else str(e)
        mm = re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", body)
        _fail(text, off + (mm.start() if mm else 0),
              f"unknown name '{name}'; define it with --where {name}=EXPR", "expression")
    except TypeError as e:
        msg = str(e).splitlines()[0] if str(e) else ""
        m = re.search(r"'(\w+)' object is not callable", msg)
        if m:
            msg = "a name that is not a function is followed by '(' (write '*' for a product)"
        _fail(text, off, msg, "expression")
    except (AttributeError, ValueError, SyntaxError, sp.SympifyError, ZeroDivisionError) as e:
        _fail(text, off, f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}",
              "expression")


def _looks_latex(text: str) -> bool:
    return any(c in text for c in "\\{}$")


def read_expression(text: str, table: SymbolTable, latex: bool | None = None) -> sp.Expr:
    """Read ``text`` as LaTeX (``latex=True``), SymPy syntax (``False``) or detect it.

    Detection: backslashes, braces or ``$`` mean LaTeX.  Otherwise SymPy syntax is
    tried first (its reading is unambiguous) and, if it fails, the LaTeX rules
    (implicit products such as ``2 gamma_h n_h`` or ``kT``).
    """
    if latex is True:
        return read_latex(text, table)
    if latex is False:
        return read_sympy(text, table)
    if not isinstance(text, str):
        raise CgsymError(f"cannot read expression: expected a string, got {type(text).__name__}")
    if _looks_latex(text):
        return read_latex(text, table)
    try:
        return read_sympy(text, table)
    except CgsymError as e_sym:
        try:
            return read_latex(text, table)
        except CgsymError as e_tex:
            # plain text: report the SymPy-syntax reading ('omega_S**' is a SymPy syntax
            # error, not "cannot read LaTeX"), unless that only failed on an implicit
            # product and the LaTeX reading found the real problem (an unknown name)
            if "syntax error" in str(e_sym) and "unknown name" in str(e_tex):
                raise e_tex from None
            raise e_sym from None
