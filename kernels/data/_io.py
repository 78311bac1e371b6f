"""Shared plumbing of the data loaders: the data cache directory, atomic ``.npz`` files with a
checksum, and :class:`DataFormatError` (a malformed file, named with its line).

Cached arrays are written to a temporary file in the target directory and moved into place
with ``os.replace``, so a crash or a concurrent writer never leaves half a file under the final
name; they are read with ``allow_pickle=False`` and carry a sha256 of their contents, so a
truncated or corrupted file is detected, logged, and regenerated rather than used.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path

import numpy as np

from groupkit.cache import cache_root

__all__ = ["DataFormatError", "data_dir", "cache_file", "save_arrays", "load_arrays",
           "params_digest"]

log = logging.getLogger("kernels.data")


class DataFormatError(ValueError):
    """A data file that does not follow its format; the message names the file and line.

    >>> str(DataFormatError("bad row", path="a.csv", line=3))
    'a.csv, line 3: bad row'
    """

    def __init__(self, message: str, *, path=None, line: int | None = None):
        where = "" if path is None else str(path) + ("" if line is None else f", line {line}")
        super().__init__(f"{where}: {message}" if where else message)
        self.path, self.line = path, line


def data_dir() -> Path | None:
    """Where generated data sets are cached: ``$GROUPKIT_DATA_DIR``, else ``data/`` under
    ``$GROUPKIT_CACHE_DIR``, else under the user's cache directory (platformdirs); None when
    ``GROUPKIT_CACHE=0`` turns groupkit's disk cache off (and no data directory is named).

    >>> import os
    >>> from unittest import mock
    >>> env = {k: v for k, v in os.environ.items() if k != "GROUPKIT_DATA_DIR"}
    >>> with mock.patch.dict(os.environ, {**env, "GROUPKIT_CACHE": "0"}, clear=True):
    ...     print(data_dir())
    None
    """
    env = os.environ.get("GROUPKIT_DATA_DIR")
    if env:
        return Path(env).expanduser()
    # beside the bases, with the same on/off switch (one setting for every disk cache)
    root = cache_root()
    return None if root is None else root / "data"


def cache_file(name: str) -> Path | None:
    """``data_dir() / name``, or None when the data cache is off.

    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, GROUPKIT_DATA_DIR="/tmp/gk-data"):
    ...     print(cache_file("nbody.npz"))
    /tmp/gk-data/nbody.npz
    """
    base = data_dir()
    return None if base is None else base / name


def params_digest(params: dict) -> str:
    """A short stable digest of JSON-able parameters (the same in every process).

    >>> params_digest({"a": 1, "b": [2, 3]}) == params_digest({"b": [2, 3], "a": 1})
    True
    """
    text = json.dumps(params, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _checksum(arrays: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for k in sorted(arrays):
        a = np.ascontiguousarray(arrays[k])
        h.update(k.encode() + str(a.dtype).encode() + str(a.shape).encode())
        h.update(a.tobytes())
    return h.hexdigest()


def save_arrays(path: Path | None, arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays`` to ``path`` (.npz) atomically, with a checksum; nothing when ``path``
    is None (cache off). A cache that cannot be written (read-only, full disk) is logged and
    skipped: the data were made and are returned all the same."""
    if path is None:
        return
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    except OSError as e:
        log.warning("cannot cache data at %s (%s); continuing without the cache", path, e)
        return
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, __checksum__=np.array(_checksum(arrays)), **arrays)
        os.replace(tmp, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        log.warning("cannot cache data at %s (%s); continuing without the cache", path, e)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_arrays(path: Path | None) -> dict[str, np.ndarray] | None:
    """The arrays saved at ``path``, or None (after logging why) if it is missing or corrupt
    (or ``path`` is None: cache off)."""
    if path is None:
        return None
    path = Path(path)
    if not path.exists():
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files if k != "__checksum__"}
            stored = str(z["__checksum__"])
    except Exception as e:  # a truncated zip raises several different errors
        log.warning("cached data %s is unreadable (%s); regenerating it", path, e)
        return None
    if stored != _checksum(arrays):
        log.warning("cached data %s fails its checksum; regenerating it", path)
        return None
    return arrays
