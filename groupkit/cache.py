"""Caches of solved bases: in memory, and on disk in the user's cache directory.

The disk cache holds one ``.npz`` file per solved pair of summands, named by a stable digest of
(representation, method, format version). Files are written atomically (temporary file, then
``os.replace``), so processes solving the same problem at once never see half a file; they are
loaded with ``allow_pickle=False`` and carry a sha256 checksum of their arrays, so a truncated or
corrupted file is detected, logged, deleted and recomputed — never returned as a basis.

Environment: ``GROUPKIT_CACHE_DIR`` sets the directory; ``GROUPKIT_CACHE=0`` switches the disk cache
off. ``python -m groupkit cache info|clear`` inspects and clears it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

import numpy as np
import scipy.sparse

from ._keys import text_digest
from . import _memo
from .basis import PairBasis

__all__ = ["cache_root", "cache_dir", "clear_caches", "cache_info", "clear_disk_cache",
           "FORMAT_VERSION"]

FORMAT_VERSION = 5  # 2: after the Gram-scale fix in _numeric; 3: files store their entry key;
#                     4: balanced, per-generator-normalised numeric solves (issue 12);
#                     5: the December 2026 audits' solver fixes (units-invariant balancing
#                        weights, rounding noise judged against error bounds, decompose's
#                        trivial summands, tiny-unit keys): older entries may hold wrong bases
log = logging.getLogger("groupkit.cache")

_memory: dict[str, PairBasis] = {}


def cache_root() -> Path | None:
    """groupkit's cache folder, unversioned: ``$GROUPKIT_CACHE_DIR``, else the user's cache
    directory (platformdirs); None when ``GROUPKIT_CACHE=0`` turns the disk caches off. The
    bases live in :func:`cache_dir`, a versioned folder under it; data sets in ``data/``.

    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, GROUPKIT_CACHE="1", GROUPKIT_CACHE_DIR="/tmp/gk"):
    ...     print(cache_root())
    /tmp/gk
    """
    if os.environ.get("GROUPKIT_CACHE", "1").strip().lower() in ("0", "off", "false", "no"):
        return None
    env = os.environ.get("GROUPKIT_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    try:
        import platformdirs

        return Path(platformdirs.user_cache_dir("groupkit"))
    except ImportError:  # platformdirs is a dependency, but the core must import without it
        return Path.home() / ".cache" / "groupkit"


def cache_dir() -> Path | None:
    """The disk cache directory, or None when the disk cache is off.

    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, GROUPKIT_CACHE="0"):
    ...     print(cache_dir())
    None
    >>> with mock.patch.dict(os.environ, GROUPKIT_CACHE="1", GROUPKIT_CACHE_DIR="/tmp/gk"):
    ...     print(cache_dir() == Path("/tmp/gk") / f"v{FORMAT_VERSION}")  # versioned subfolder
    True
    """
    root = cache_root()
    return None if root is None else root / f"v{FORMAT_VERSION}"


def entry_key(rep_key: str, method: str) -> str:
    return text_digest("pair", rep_key, method, str(FORMAT_VERSION))


def clear_caches() -> None:
    """Forget every basis and every memoized result held in memory (the disk cache is left
    alone).

    >>> from groupkit import SO, V, solve, clear_caches, cache_info
    >>> _ = solve(V(SO(3)), V(SO(3)))
    >>> clear_caches()
    >>> cache_info()["in_memory"]
    0
    """
    _memory.clear()
    _memo.clear_all()


def clear_disk_cache() -> int:
    """Delete every cached file; returns how many were removed.

    >>> import os, tempfile
    >>> from unittest import mock
    >>> from groupkit import SO, V, solve, clear_caches, clear_disk_cache
    >>> with mock.patch.dict(os.environ, GROUPKIT_CACHE_DIR=tempfile.mkdtemp(), GROUPKIT_CACHE="1"):
    ...     clear_caches()                    # so the solve below writes one file
    ...     _ = solve(V(SO(3))**2, V(SO(3)))
    ...     print(clear_disk_cache())
    1
    """
    d = cache_dir()
    if d is None or not d.exists():
        return 0
    n = 0
    for p in d.glob("*.npz"):
        p.unlink(missing_ok=True)
        n += 1
    return n


def cache_info() -> dict:
    """Where the disk cache is, whether it is on, and how much it holds (files, bytes), with the
    number of pair bases held in memory and the file format version.

    >>> from groupkit import cache_info
    >>> sorted(cache_info())
    ['bytes', 'directory', 'enabled', 'entries', 'format_version', 'in_memory']
    """
    d = cache_dir()
    files = list(d.glob("*.npz")) if d is not None and d.exists() else []
    return {
        "directory": str(d) if d is not None else None,
        "enabled": d is not None,
        "entries": len(files),
        "bytes": sum(p.stat().st_size for p in files),
        "in_memory": len(_memory),
        "format_version": FORMAT_VERSION,
    }


# -- (de)serialisation -----------------------------------------------------------------------

def _arrays(pair: PairBasis) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {
        "method": np.array(pair.method),
        "gap": np.array(pair.gap, dtype=np.float64),
    }
    if scipy.sparse.issparse(pair.Q):
        Q = scipy.sparse.csc_matrix(pair.Q)
        out.update(q_data=Q.data, q_indices=Q.indices, q_indptr=Q.indptr,
                   q_shape=np.array(Q.shape, dtype=np.int64))
    else:
        out["q_dense"] = np.ascontiguousarray(pair.Q)
    if pair.exact is not None:
        E = scipy.sparse.csc_matrix(pair.exact)
        out.update(e_data=E.data, e_indices=E.indices, e_indptr=E.indptr,
                   e_shape=np.array(E.shape, dtype=np.int64))
    return out


def _checksum(arrays: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(name.encode())
        h.update(str(a.dtype).encode())
        h.update(repr(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _from_arrays(a: dict[str, np.ndarray]) -> PairBasis:
    if "q_dense" in a:
        Q = a["q_dense"]
    else:
        Q = scipy.sparse.csc_matrix((a["q_data"], a["q_indices"], a["q_indptr"]),
                                    shape=tuple(a["q_shape"]))
    exact = None
    if "e_data" in a:
        exact = scipy.sparse.csc_matrix((a["e_data"], a["e_indices"], a["e_indptr"]),
                                        shape=tuple(a["e_shape"]))
    return PairBasis(Q, str(a["method"]), float(a["gap"]), exact)


def load(key: str, expected_rows: int) -> PairBasis | None:
    """The cached basis for ``key`` (memory first, then disk), or None."""
    hit = _memory.get(key)
    if hit is not None:
        return hit
    d = cache_dir()
    if d is None:
        return None
    path = d / f"{key}.npz"
    if not path.exists():
        return None
    try:
        # Open the file ourselves: np.load(path) leaks its handle when the zip is truncated.
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as f:
            arrays = {name: f[name] for name in f.files}
        stored = str(arrays.pop("checksum"))
        if stored != _checksum(arrays):
            raise ValueError("checksum mismatch")
        # A whole, valid file of another entry (copied or renamed over this one) is wrong too.
        if str(arrays.pop("key", "")) != key:
            raise ValueError("the file holds the basis of another entry")
        pair = _from_arrays(arrays)
        if pair.Q.shape[0] != expected_rows:
            raise ValueError(f"basis has {pair.Q.shape[0]} rows, expected {expected_rows}")
    except Exception as e:  # any unreadable file is recomputed, whatever the reason
        log.warning("ignoring corrupt cache file %s (%s); it will be recomputed", path, e)
        path.unlink(missing_ok=True)
        return None
    _memory[key] = pair
    return pair


def store(key: str, pair: PairBasis) -> None:
    """Keep ``pair`` in memory and, when enabled, write it atomically to disk."""
    _memory[key] = pair
    d = cache_dir()
    if d is None:
        return
    arrays = _arrays(pair)
    arrays["key"] = np.array(key)
    arrays["checksum"] = np.array(_checksum(arrays))
    tmp = None
    try:
        d.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=d, prefix=f".{key[:16]}-", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, d / f"{key}.npz")
        tmp = None
    except OSError as e:  # a read-only or full disk must not fail the solve
        log.warning("could not write the cache file for %s in %s: %s", key[:16], d, e)
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
