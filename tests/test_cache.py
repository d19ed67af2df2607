"""The derivation cache (issue 13): hit, miss after the model changes, corrupt and
truncated entries, two concurrent derive runs, --no-cache, cache info/clear.

Every test uses its own cache directory (``CGSYM_CACHE_DIR``); conftest.py already
points the whole session away from the user's real cache.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sympy

import cgsym
from cgsym import cache
from cgsym.cli import main

MODEL = "two-qubits-two-baths"
REGIME = "partial-secular"
AT = ["--at", "omega_S=1.1341", "Omega=0.0432", "gamma_h=0.0217", "gamma_c=0.0123",
      "T_h=0.9876", "T_c=0.4321"]
SHIPPED_FILE = Path(cgsym.__file__).parent / "models" / f"{MODEL}.toml"


@pytest.fixture()
def cdir(tmp_path, monkeypatch):
    d = tmp_path / "cache"
    monkeypatch.setenv("CGSYM_CACHE_DIR", str(d))
    return d


def _evaluate(capsys, *extra):
    assert main(["evaluate", MODEL, "--regime", REGIME, "--weak-internal", "--format", "json",
                 *AT, *extra]) == 0
    return capsys.readouterr().out


def test_hit_gives_the_same_answer_and_does_not_derive(cdir, capsys, monkeypatch):
    first = _evaluate(capsys)
    assert len(cache.entries()) == 1
    import cgsym.derivation as drv
    monkeypatch.setattr(drv, "derive", lambda *a, **k: pytest.fail("derived despite a hit"))
    assert _evaluate(capsys) == first


def test_no_cache_neither_reads_nor_writes(cdir, capsys):
    out = _evaluate(capsys, "--no-cache")
    assert not cache.entries()
    assert _evaluate(capsys) == out        # a cached answer equals a fresh one
    assert len(cache.entries()) == 1


def test_key_is_content_not_path(cdir, tmp_path):
    text = SHIPPED_FILE.read_text()
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text(text)
    b.write_text("# another file, same model\n" + text)
    ka = cache.cache_key(cgsym.load_model(str(a)), REGIME, True)
    assert ka == cache.cache_key(cgsym.load_model(str(b)), REGIME, True)
    assert ka != cache.cache_key(cgsym.load_model(str(a)), REGIME, False)
    assert ka != cache.cache_key(cgsym.load_model(str(a)), "secular", True)
    a.write_text(text.replace("gamma_h", "gamma_hot"))          # content changed: a miss
    assert ka != cache.cache_key(cgsym.load_model(str(a)), REGIME, True)


def test_miss_after_the_model_file_changes(cdir, tmp_path, capsys):
    path = tmp_path / "m.toml"
    text = SHIPPED_FILE.read_text()
    path.write_text(text)
    args = ["evaluate", str(path), "--regime", "secular", "--weak-internal", "--format", "json",
            *AT]
    assert main(args) == 0
    before = capsys.readouterr().out
    # same file, new physics: the hot bath's coupling doubled
    assert 'temperature = "T_h"' in text
    path.write_text(text.replace('temperature = "T_h"', 'temperature = "2*T_h"'))
    assert main(args) == 0
    after = capsys.readouterr().out
    assert after != before and len(cache.entries()) == 2


@pytest.mark.parametrize("damage", ["truncate", "flip",
                                    pytest.param("garbage", marks=pytest.mark.slow),
                                    pytest.param("empty", marks=pytest.mark.slow)])
def test_corrupt_entry_is_rebuilt_never_returned(cdir, capsys, damage):
    good = _evaluate(capsys)
    (entry,) = cache.entries()
    data = entry.read_bytes()
    if damage == "truncate":
        entry.write_bytes(data[: len(data) // 2])
    elif damage == "flip":
        k = len(data) - 100
        entry.write_bytes(data[:k] + bytes([data[k] ^ 0x55]) + data[k + 1:])
    elif damage == "garbage":
        entry.write_bytes(b"not a cache entry")
    else:
        entry.write_bytes(b"")
    assert _evaluate(capsys) == good
    assert cache.load(entry.stem) is not None       # rebuilt and valid again


def test_two_concurrent_derive_runs(cdir):
    env = dict(os.environ, CGSYM_CACHE_DIR=str(cdir))
    cmd = [sys.executable, "-m", "cgsym.cli", "derive", MODEL, "--regime", REGIME,
           "--weak-internal", "--format", "json"]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1] for o in outs]
    assert outs[0][0] == outs[1][0]
    (entry,) = cache.entries()
    assert not list(cdir.glob(".tmp-*"))                # no temporary file left behind
    d = cache.load(entry.stem)
    assert d is not None and d.regime == REGIME
    assert json.loads(outs[0][0])["heat_currents"] == {
        p: sympy.sstr(J) for p, J in d.heat_currents.currents}


def test_cache_info_and_clear(cdir, capsys):
    _evaluate(capsys)
    assert main(["cache", "info"]) == 0
    out = capsys.readouterr().out
    assert str(cdir) in out and "entries: 1" in out
    assert main(["cache", "clear"]) == 0
    assert "removed 1" in capsys.readouterr().out
    assert not cache.entries()


def test_unwritable_cache_still_answers(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("CGSYM_CACHE_DIR", str(blocker / "sub"))   # cannot be created
    _evaluate(capsys)


def test_suite_does_not_touch_the_user_cache():
    assert os.environ["CGSYM_CACHE_DIR"]
    import platformdirs
    assert Path(os.environ["CGSYM_CACHE_DIR"]) != Path(platformdirs.user_cache_dir("cgsym"))
