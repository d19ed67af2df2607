"""Compare two ``cgsym reproduce --out DIR`` outputs field by field, timings aside.

    python tests/benchmarks/compare_reproduction.py OLD_DIR NEW_DIR [--verdicts FILE]

Used to show that a speed change of ``reproduce`` changes nothing it reports: every
record's number, section, verdict, printed and derived LaTeX, derived expression,
definitions and evidence text must be identical (only ``seconds`` may differ), the
LaTeX reports must be identical once the total time in their first paragraph is
masked, and the verdicts must equal the regression record ``cgsym/data/verdicts.json``
(or ``--verdicts``).  Exit status 0 when all hold, 1 otherwise (the differences are
printed).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

FIELDS = ("number", "section", "verdict", "printed_latex", "derived_latex", "derived",
          "definitions", "evidence")
_TEX_SECONDS = re.compile(r"\(\d+(\.\d+)?\\,s\)")


def _load(d: Path):
    doc = json.loads((d / "reproduction.json").read_text())
    tex = (d / "reproduction.tex").read_text()
    return doc["equations"], _TEX_SECONDS.sub("(<seconds>)", tex)


def compare(old: Path, new: Path, verdicts: Path) -> list[str]:
    (eq_a, tex_a), (eq_b, tex_b) = _load(old), _load(new)
    bad = []
    if [e["number"] for e in eq_a] != [e["number"] for e in eq_b]:
        bad.append("the equations (or their order) differ")
    for a, b in zip(eq_a, eq_b):
        for f in FIELDS:
            if a.get(f) != b.get(f):
                bad.append(f"Eq. {a['number']}: field '{f}' differs:\n  old: {a.get(f)!r}"
                           f"\n  new: {b.get(f)!r}")
    if tex_a != tex_b:
        la, lb = tex_a.splitlines(), tex_b.splitlines()
        diff = [k for k in range(max(len(la), len(lb)))
                if k >= len(la) or k >= len(lb) or la[k] != lb[k]]
        bad.append(f"reproduction.tex differs (timing masked) on {len(diff)} line(s), "
                   f"first: {diff[0] + 1}")
    recorded = json.loads(verdicts.read_text())["verdicts"]
    got = {e["number"]: e["verdict"] for e in eq_b}
    if got != recorded:
        bad.append(f"verdicts differ from {verdicts}: "
                   + ", ".join(f"{k}: {got.get(k)} vs {recorded.get(k)}"
                               for k in sorted(set(got) | set(recorded))
                               if got.get(k) != recorded.get(k)))
    return bad


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("old", type=Path)
    p.add_argument("new", type=Path)
    p.add_argument("--verdicts", type=Path,
                   default=Path(__file__).resolve().parents[2] / "cgsym" / "data" / "verdicts.json")
    a = p.parse_args(argv)
    bad = compare(a.old, a.new, a.verdicts)
    eqs = json.loads((a.new / "reproduction.json").read_text())["equations"]
    n_rep = sum(e["verdict"] == "reproduced" for e in eqs)
    if bad:
        print("\n".join(bad))
        print(f"DIFFERENT ({len(bad)} difference(s))")
        return 1
    print(f"identical apart from timings: {len(eqs)} equations ({n_rep} reproduced, "
          f"{len(eqs) - n_rep} errata), every field and the LaTeX report; verdicts = "
          f"{a.verdicts.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
