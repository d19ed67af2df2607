"""``cgsym reproduce`` from an installed package, outside the repository (issue 17).

The wheel ships the repository's ``derivations/`` as ``cgsym.derivations``
(``pyproject.toml``).  The fast test checks the lookup order of
:func:`cgsym.reproduce.derivations_dir`; the slow one builds the package into a fresh
virtual environment with a plain ``pip install .`` (no extras) and runs
``cgsym reproduce`` in an empty directory (about 1.5 min: install 40 s, reproduce
30-55 s).  ``.ci/run`` does the same after the test suite.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from cgsym import CgsymError, reproduce

ROOT = Path(__file__).resolve().parent.parent


def test_pyproject_ships_the_derivations():
    import tomllib
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "cgsym.derivations" in conf["packages"]
    assert conf["package-dir"]["cgsym.derivations"] == "derivations"
    assert sorted(p.name for p in (ROOT / "derivations").glob("sec*.py"))


def test_pyproject_ships_every_subpackage():
    """A subpackage missing from the explicit list installs editable but not from a wheel."""
    import tomllib
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
                 ["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for p in (ROOT / "cgsym").rglob("__init__.py")}
    assert found <= listed, f"not shipped: {sorted(found - listed)}"


def test_installed_scripts_come_first(monkeypatch, tmp_path):
    shipped = tmp_path / "site" / "cgsym" / "derivations"
    shipped.mkdir(parents=True)
    (shipped / "sec1_x.py").write_text("def main():\n    return []\n")
    spec = importlib.util.spec_from_loader("cgsym.derivations", loader=None, is_package=True)
    spec.submodule_search_locations = [str(shipped)]
    real = importlib.util.find_spec
    monkeypatch.delenv("CGSYM_DERIVATIONS", raising=False)
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: spec if name == "cgsym.derivations" else real(name, *a))
    assert reproduce.derivations_dir() == shipped
    monkeypatch.setenv("CGSYM_DERIVATIONS", str(ROOT / "derivations"))
    assert reproduce.derivations_dir() == ROOT / "derivations"


def test_no_scripts_anywhere_is_one_clear_error(monkeypatch, tmp_path):
    monkeypatch.delenv("CGSYM_DERIVATIONS", raising=False)
    monkeypatch.setattr(reproduce, "_shipped_derivations", lambda: None)
    monkeypatch.setattr(reproduce, "_repository_root", lambda: None)
    with pytest.raises(CgsymError, match="does not ship cgsym.derivations"):
        reproduce.derivations_dir()


@pytest.mark.slow
def test_reproduce_from_a_plain_install_in_an_empty_directory(tmp_path):
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", str(ROOT)], check=True,
                   capture_output=True, timeout=900)
    work = tmp_path / "empty"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CGSYM_DERIVATIONS")}
    p = subprocess.run([str(env_dir / "bin" / "cgsym"), "reproduce", "--out", "out",
                        "--format", "json"], cwd=work, env=env, capture_output=True,
                       text=True, timeout=900)
    assert p.returncode == 0, p.stderr[-2000:]
    doc = json.loads(p.stdout)
    assert {e["number"]: e["verdict"] for e in doc["equations"]} == \
        reproduce.recorded_verdicts()
    assert (work / "out" / "reproduction.tex").is_file()
    # the scripts really came from the installed package, not from a repository
    where = subprocess.run([str(py), "-c", "from cgsym.reproduce import derivations_dir;"
                            "print(derivations_dir())"], cwd=work, env=env,
                           capture_output=True, text=True, check=True).stdout.strip()
    assert "site-packages" in where and str(ROOT) not in where
