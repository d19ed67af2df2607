"""Derivation cache on disk: derive once, evaluate in a second.

Where: ``$CGSYM_CACHE_DIR`` if set, else the per-user cache directory of
``platformdirs`` (``~/.cache/cgsym`` on Linux).

Key (so a stale entry cannot be found, rather than detected): SHA-256 of

* the model's *content* in a canonical text (``sympy.srepr`` of H_S, every coupling,
  temperature and rate function, the parameters with their roles and assumptions,
  the subsystems and levels, the names and descriptions), not its file path or the
  formatting of its file;
* the regime and the weak-internal option;
* cgsym's version *and a digest of its own source files* (an edited cgsym never
  reads entries of another), and the versions of SymPy, python-flint and Python.

Entry: one file ``<key>.drv``: a magic line, the SHA-256 of the payload, its length,
then the payload (a pickled :class:`cgsym.derivation.Derivation`; exact forms are
stored as flint polynomials, see :class:`cgsym.arith.rational_form.RationalForm`).  Written
to a temporary file in the same directory and moved into place with ``os.replace``
(atomic: two concurrent runs each write a whole entry, the last one stays).  A
truncated or corrupt entry fails the length or checksum test and is rebuilt, never
returned.  The payload is a pickle: the cache directory must be writable only by its
user (as the default per-user directory is).
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
import pickle
import sys
import tempfile
from functools import lru_cache
from pathlib import Path

import sympy as sp

MAGIC = b"cgsym-derivation-cache 1\n"
SUFFIX = ".drv"


def cache_dir() -> Path:
    """The cache directory ($CGSYM_CACHE_DIR, else the platform's user cache dir)."""
    env = os.environ.get("CGSYM_CACHE_DIR")
    if env:
        return Path(env)
    import platformdirs
    return Path(platformdirs.user_cache_dir("cgsym", appauthor=False))


@lru_cache(maxsize=1)
def code_version() -> str:
    """cgsym's version, a digest of its source files and the versions it depends on."""
    import flint
    from . import __version__
    h = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for path in sorted(here.rglob("*.py")):
        h.update(path.relative_to(here).as_posix().encode() + b"\0" + path.read_bytes())
    return (f"cgsym {__version__} src {h.hexdigest()[:16]} sympy {sp.__version__} "
            f"flint {flint.__version__} python {sys.version_info[0]}.{sys.version_info[1]}")


def _canonical(obj) -> str:
    """A canonical text of a model (or any part of it): equal text <=> equal content."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        parts = [f"{f.name}={_canonical(getattr(obj, f.name))}"
                 for f in dataclasses.fields(obj) if f.name != "source"]   # source: the path
        return f"{type(obj).__name__}({', '.join(parts)})"
    if isinstance(obj, (sp.Basic, sp.MatrixBase)):
        return sp.srepr(obj)
    if isinstance(obj, (tuple, list)):
        return "(" + ", ".join(_canonical(x) for x in obj) + ")"
    if isinstance(obj, dict):
        return "{" + ", ".join(f"{_canonical(k)}: {_canonical(v)}"
                               for k, v in sorted(obj.items(), key=lambda kv: repr(kv[0]))) + "}"
    if isinstance(obj, (str, int, float, bool, type(None))):
        return repr(obj)
    raise TypeError(f"no canonical form for {type(obj).__name__}")


def cache_key(model, regime: str, weak_internal: bool) -> str:
    text = "\n".join([code_version(), _canonical(model), f"regime={regime}",
                      f"weak_internal={bool(weak_internal)}"])
    return hashlib.sha256(text.encode()).hexdigest()


def _path(key: str) -> Path:
    return cache_dir() / f"{key}{SUFFIX}"


def load(key: str):
    """The cached object of ``key``, or None (missing, truncated, corrupt: removed)."""
    path = _path(key)
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        if not data.startswith(MAGIC):
            raise ValueError("bad magic")
        head, _, payload = data[len(MAGIC):].partition(b"\n")
        digest, length = head.decode("ascii").split()
        if len(payload) != int(length) or hashlib.sha256(payload).hexdigest() != digest:
            raise ValueError("checksum")
        return pickle.loads(payload)   # noqa: S301 - our own per-user cache, checksummed
    except Exception:   # noqa: BLE001 - any damage: drop the entry, derive again
        try:
            path.unlink()
        except OSError:
            pass
        return None


def store(key: str, obj) -> Path | None:
    """Write ``obj`` under ``key`` atomically; None if the cache is not writable."""
    try:
        payload = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:   # noqa: BLE001 - an unpicklable result is simply not cached
        return None
    head = f"{hashlib.sha256(payload).hexdigest()} {len(payload)}\n".encode("ascii")
    d = cache_dir()
    try:
        d.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-", suffix=SUFFIX)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(MAGIC + head + payload)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, _path(key))
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except OSError:
        return None
    return _path(key)


def cached_derive(model, regime: str = "partial-secular", weak_internal: bool = False,
                  use_cache: bool = True):
    """:func:`cgsym.derive` through the cache (``use_cache=False``: neither read nor write)."""
    from .derivation import derive
    from .model import load_model
    from .rates import check_regime
    check_regime(regime)
    model = load_model(model)
    if not use_cache:
        return derive(model, regime, weak_internal)
    key = cache_key(model, regime, weak_internal)
    d = load(key)
    if d is not None:
        return d
    d = derive(model, regime, weak_internal)
    store(key, d)
    return d


def entries() -> list[Path]:
    d = cache_dir()
    return sorted(d.glob(f"*{SUFFIX}")) if d.is_dir() else []


def clear() -> int:
    """Remove every entry (and stray temporary files); return the number of entries removed."""
    n = 0
    d = cache_dir()
    if not d.is_dir():
        return 0
    for p in list(d.glob(f"*{SUFFIX}")):
        try:
            p.unlink()
            n += not p.name.startswith(".tmp-")
        except OSError:
            pass
    return n


def info() -> dict:
    es = [p for p in entries() if not p.name.startswith(".tmp-")]
    return {"directory": str(cache_dir()), "entries": len(es),
            "bytes": sum(p.stat().st_size for p in es), "version": code_version()}
