"""Experiment records: one JSON line per finished run, and tables made from them.

Every finished training run appends one line to ``bench/results/experiments.jsonl`` (or
``$GROUPKIT_EXPERIMENTS``) with the fields ``FIELDS``: ``task`` ("nbody", "qm9", "modelnet"),
``target`` (e.g. "homo"; None where there is one), ``model`` ("groupkit", "e3nn", "egnn",
"gnn", …), ``group``, ``protocol`` ("default", "paper", "smoke", or a named budget),
``seed``, ``metric`` ("test_mse", "test_mae_mev", "test_acc"), ``value``, ``train_seconds``,
``params`` and ``machine`` (:func:`machine_info`), plus a UTC time stamp and any extra fields
given. Only runs actually made belong in the file. :func:`results_table` groups the runs by
(task, target, protocol, metric, model, group) and reports mean ± std over seeds; a seed run
again replaces its earlier record (the later line wins), so a re-run is never counted as an
extra sample.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "runs.jsonl"
>>> for seed, v in [(0, 0.010), (1, 0.012)]:
...     _ = record_run(path, task="nbody", target=None, model="egnn", group="E(3)",
...                    protocol="smoke", seed=seed, metric="test_mse", value=v,
...                    train_seconds=60.0, params=134_020, machine={"cpu": "test"})
>>> print(results_table(read_runs(path)))
| task | target | protocol | metric | model | group | mean ± std | seeds | train s | params |
|---|---|---|---|---|---|---|---|---|---|
| nbody | – | smoke | test_mse | egnn | E(3) | 0.011 ± 0.001414 | 2 | 60 | 134,020 |
"""

from __future__ import annotations

import datetime
import json
import math
import os
import platform
import statistics
import sys
from pathlib import Path

__all__ = ["FIELDS", "record_run", "read_runs", "results_table", "machine_info",
           "default_path"]

FIELDS = ("task", "target", "model", "group", "protocol", "seed", "metric", "value",
          "train_seconds", "params", "machine")
_KEYS = ("task", "target", "protocol", "metric", "model", "group")


def default_path() -> Path:
    """``$GROUPKIT_EXPERIMENTS``, else ``bench/results/experiments.jsonl`` (from the cwd)."""
    return Path(os.environ.get("GROUPKIT_EXPERIMENTS", "bench/results/experiments.jsonl"))


def machine_info() -> dict:
    """The machine a run used: OS, Python, CPU, core count, torch version, threads, GPU."""
    info = {"platform": platform.platform(), "python": platform.python_version(),
            "cpu": platform.processor() or platform.machine(), "cpu_count": os.cpu_count()}
    torch = sys.modules.get("torch")
    if torch is not None:
        info.update(torch=torch.__version__, torch_threads=torch.get_num_threads(),
                    device=torch.cuda.get_device_name(0) if torch.cuda.is_available() else "cpu")
    return info


def _check(rec: dict) -> None:
    for k in ("task", "model", "protocol", "metric"):
        if not isinstance(rec[k], str) or not rec[k]:
            raise ValueError(f"{k} must be a non-empty string; got {rec[k]!r}.")
    if not isinstance(rec["seed"], int) or isinstance(rec["seed"], bool):
        raise ValueError(f"seed must be an integer; got {rec['seed']!r}.")
    if not (isinstance(rec["params"], int) and rec["params"] >= 0):
        raise ValueError(f"params must be a non-negative integer; got {rec['params']!r}.")
    for k in ("value", "train_seconds"):
        if not isinstance(rec[k], (int, float)) or not math.isfinite(rec[k]):
            raise ValueError(f"{k} must be a finite number; got {rec[k]!r}.")
    if rec["train_seconds"] < 0:
        raise ValueError("train_seconds must be non-negative.")


def record_run(path=None, *, task: str, target, model: str, group, protocol: str, seed: int,
               metric: str, value: float, train_seconds: float, params: int,
               machine: dict | None = None, **extra) -> dict:
    """Append one finished run to ``path`` (default :func:`default_path`); returns the record.
    The line is written with one ``write`` call and flushed to disk, so concurrent runs do
    not interleave their records."""
    rec = dict(task=task, target=target, model=model, group=group, protocol=protocol, seed=seed,
               metric=metric, value=value, train_seconds=train_seconds, params=params,
               machine=machine_info() if machine is None else machine)
    _check(rec)
    rec["time"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    rec.update(extra)
    line = json.dumps(rec, sort_keys=False, allow_nan=False) + "\n"
    path = default_path() if path is None else Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        f.write(line)
        f.flush()
        os.fsync(f.fileno())
    return rec


def read_runs(path=None) -> list[dict]:
    """The records in ``path``; a malformed line raises ValueError naming the file and line."""
    path = default_path() if path is None else Path(path)
    runs = []
    with open(path) as f:
        for k, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                missing = [x for x in FIELDS if x not in rec]
                if missing:
                    raise ValueError(f"missing fields {missing}")
                _check(rec)
            except ValueError as e:
                raise ValueError(f"{path}, line {k}: {e}") from None
            runs.append(rec)
    return runs


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def results_table(runs: list[dict], *, keys=_KEYS) -> str:
    """A markdown table: one row per (task, target, protocol, metric, model, group) and
    parameter count (a model whose size changed is another model: its runs are never averaged
    with the old ones), with the mean ± sample std of ``value`` over the seeds, their count,
    the median training time and the parameter count. Of several runs with the same seed
    only the last in ``runs`` counts.

    >>> runs = [dict(task="qm9", target="homo", protocol="default", metric="test_mae_mev",
    ...              model="egnn", group="E(3)", seed=s, value=v, train_seconds=9.0, params=7)
    ...         for s, v in [(0, 300.0), (0, 280.0), (1, 290.0)]]   # seed 0 was run twice
    >>> print(results_table(runs).splitlines()[-1])
    | qm9 | homo | default | test_mae_mev | egnn | E(3) | 285 ± 7.071 | 2 | 9 | 7 |
    """
    groups: dict[tuple, dict] = {}
    for r in runs:
        # keyed by seed inside each row, so that a later run of a seed replaces the earlier one
        key = tuple(str(r[k]) if r[k] is not None else "–" for k in keys) + (r["params"],)
        groups.setdefault(key, {})[r["seed"]] = r
    groups = {key: list(by_seed.values()) for key, by_seed in groups.items()}
    head = list(keys) + ["mean ± std", "seeds", "train s", "params"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key in sorted(groups):
        rs = groups[key]
        vals = [r["value"] for r in rs]
        val = _fmt(statistics.mean(vals)) + (f" ± {_fmt(statistics.stdev(vals))}"
                                             if len(vals) > 1 else "")
        lines.append("| " + " | ".join(list(key[:-1]) + [
            val, str(len(rs)),
            f"{statistics.median(r['train_seconds'] for r in rs):.0f}",
            f"{key[-1]:,}"]) + " |")  # rows are keyed by parameter count
    return "\n".join(lines)


if __name__ == "__main__":  # python -m kernels.records [path]
    print(results_table(read_runs(sys.argv[1] if len(sys.argv) > 1 else None)))
