"""Checkpoint files: written atomically, checked on reading, loaded without executing code.

A checkpoint is one file: an 8-byte magic string, the payload's length (8 bytes, little endian),
its SHA-256 (32 bytes), then the payload — a ``torch.save`` archive of tensors, numbers, strings,
lists and dicts only, read back with ``torch.load(weights_only=True)`` (no pickled code runs).
A truncated or altered file is refused with a :class:`CheckpointError` naming it, before torch
reads a byte of the payload.

Writing goes to a temporary file in the same directory, flushed and fsynced, then
``os.replace``-d over the target: a reader sees the previous checkpoint or the new one, never a
partial file, and a crash (or SIGKILL) while writing leaves the previous checkpoint intact.

>>> import tempfile, pathlib, torch
>>> path = pathlib.Path(tempfile.mkdtemp()) / "c.pt"
>>> _ = save_checkpoint(path, {"step": 3, "w": torch.ones(2)})
>>> load_checkpoint(path)["step"]
3
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
import tempfile
from pathlib import Path

import torch

__all__ = ["CheckpointError", "save_checkpoint", "load_checkpoint", "model_signature",
           "load_model_state", "check_compatible"]

MAGIC = b"GKCKPT1\n"
_HEADER = len(MAGIC) + 8 + 32


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be read (truncated, corrupt, not a checkpoint) or that belongs
    to another model, basis or training run."""


def save_checkpoint(path, payload: dict) -> Path:
    """Write ``payload`` (tensors, numbers, strings, lists, dicts) to ``path`` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    torch.save(payload, buf)
    data = buf.getvalue()
    header = MAGIC + struct.pack("<Q", len(data)) + hashlib.sha256(data).digest()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(header)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:  # make the rename itself durable
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:  # pragma: no cover - platforms without directory fsync
        pass
    return path


def load_checkpoint(path, *, map_location="cpu") -> dict:
    """Read a checkpoint written by :func:`save_checkpoint`; a missing, truncated, corrupt or
    foreign file raises :class:`CheckpointError` naming it."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise CheckpointError(f"cannot read checkpoint {path}: {e}") from e
    if raw[:len(MAGIC)] != MAGIC:
        raise CheckpointError(f"{path} is not a groupkit checkpoint (it does not start with "
                              f"{MAGIC!r}).")
    if len(raw) < _HEADER:
        raise CheckpointError(f"checkpoint {path} is truncated ({len(raw)} bytes, header "
                              f"incomplete).")
    (n,) = struct.unpack("<Q", raw[len(MAGIC):len(MAGIC) + 8])
    digest, data = raw[len(MAGIC) + 8:_HEADER], raw[_HEADER:]
    if len(data) != n:
        raise CheckpointError(f"checkpoint {path} is truncated or padded: {len(data)} bytes of "
                              f"payload, expected {n}.")
    if hashlib.sha256(data).digest() != digest:
        raise CheckpointError(f"checkpoint {path} is corrupt (its SHA-256 does not match).")
    try:
        return torch.load(io.BytesIO(data), map_location=map_location, weights_only=True)
    except Exception as e:  # e.g. a payload holding objects weights_only refuses
        raise CheckpointError(f"checkpoint {path} could not be loaded safely: {e}") from e


def model_signature(model: torch.nn.Module) -> dict:
    """What a checkpoint records about the model it was written from: class and parameter
    names and shapes."""
    return {"class": type(model).__name__,
            "parameters": {n: list(p.shape) for n, p in model.named_parameters()}}


def check_compatible(model: torch.nn.Module, saved: dict, path) -> None:
    """Raise :class:`CheckpointError` naming what differs when ``saved`` (a
    :func:`model_signature`) does not describe ``model``."""
    own = model_signature(model)
    if saved.get("class") != own["class"]:
        raise CheckpointError(f"checkpoint {path} was written by a {saved.get('class')} model, "
                              f"not a {own['class']}.")
    a, b = saved.get("parameters", {}), own["parameters"]
    missing, extra = sorted(set(b) - set(a)), sorted(set(a) - set(b))
    if missing or extra:
        raise CheckpointError(f"checkpoint {path} was written by another model: parameters "
                              f"missing from it {missing[:5]}, not in this model {extra[:5]}.")
    shapes = [f"{k}: saved {a[k]}, model {b[k]}" for k in b if list(a[k]) != list(b[k])]
    if shapes:
        raise CheckpointError(f"checkpoint {path} was written by another model (parameter "
                              f"shapes differ: {'; '.join(shapes[:5])}).")


def _load_state(model, state_dict, path) -> None:
    try:
        model.load_state_dict(state_dict)
    except RuntimeError as e:
        raise CheckpointError(f"checkpoint {path} does not fit this model: {e}") from e


def load_model_state(model: torch.nn.Module, path, *, best: bool = True) -> dict:
    """Load the weights of a :func:`groupkit.train.fit` checkpoint into ``model`` — the best on
    validation when the checkpoint has one and ``best``, else the last — after checking that it
    was written by this kind of model with the same bases. Returns the checkpoint."""
    ckpt = load_checkpoint(path)
    check_compatible(model, ckpt.get("model_signature", {}), path)
    state = (ckpt.get("best") or {}).get("state_dict") if best else None
    _load_state(model, state if state is not None else ckpt["model"], path)
    return ckpt
