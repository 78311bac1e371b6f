"""A run killed with SIGKILL at a random step and resumed from its last checkpoint ends with the
same parameters and the same metrics as an uninterrupted run (float tolerance), and checkpoint
files are atomic: the previous one survives until a new one is complete."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch

pytestmark = pytest.mark.torch

ROOT = Path(__file__).resolve().parents[1]

# A small equivariant regression with validation, best-state keeping, AdamW, a cosine schedule
# with warm-up and clipping: every piece of state a resume must restore.
SCRIPT = r'''
import sys, time
import numpy as np, torch
from groupkit import SO, V, Scalar
from groupkit.nn import EMLP
from groupkit.train import fit

torch.set_num_threads(1)
out, slow = sys.argv[1], float(sys.argv[2])
rng = np.random.default_rng(0)
X = rng.normal(size=(96, 6))
Y = (X[:, :3] * X[:, 3:]).sum(1, keepdims=True)
torch.manual_seed(0)
model = EMLP(2 * V(SO(3)), Scalar, ch=24, num_layers=1, dtype=torch.float64)

def mse(pred, target):
    time.sleep(slow)  # slow the run down so that the test can kill it mid-way
    return torch.nn.functional.mse_loss(pred, target)

fit(model, (X[:64], Y[:64]), (X[64:], Y[64:]), loss=mse, steps=40, batch_size=16,
    optimizer="adamw", lr=3e-3, weight_decay=0.01, scheduler="cosine", warmup=3, clip=1.0,
    eval_every=5, checkpoint_every=3, checkpoint_dir=out, resume=True, progress=False, seed=1)
torch.save(model.state_dict(), out + "/final.pt")
'''


def _run(script: Path, out: Path, slow: float) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    log = script.parent / f"{out.name}-{time.monotonic_ns()}.log"
    with open(log, "wb") as fh:  # the child keeps its own descriptor
        p = subprocess.Popen([sys.executable, str(script), str(out), str(slow)], env=env,
                             stdout=fh, stderr=subprocess.STDOUT)
    p.log = log
    return p


def _finish(p: subprocess.Popen) -> None:
    p.wait(timeout=300)
    assert p.returncode == 0, p.log.read_text()[-3000:]


def _metrics(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


def _steps_logged(out: Path) -> int:
    try:
        return max((json.loads(line)["step"] for line in
                    (out / "metrics.jsonl").read_text().splitlines() if line.strip()),
                   default=0)
    except (OSError, ValueError):
        return 0


def test_sigkill_then_resume_matches_an_uninterrupted_run(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    ref, killed = tmp_path / "ref", tmp_path / "killed"
    _finish(_run(script, ref, 0.0))

    # a seeded draw; the step actually killed also depends on timing (the run goes on while the
    # test polls), which is the point: any step between checkpoints must resume exactly
    kill_at = int(np.random.default_rng(13).integers(5, 35))
    p = _run(script, killed, 0.05)
    deadline = time.time() + 240
    while _steps_logged(killed) < kill_at and p.poll() is None and time.time() < deadline:
        time.sleep(0.01)
    assert p.poll() is None, "the run finished before it could be killed"
    os.kill(p.pid, signal.SIGKILL)
    p.wait()
    assert p.returncode == -signal.SIGKILL
    assert (killed / "checkpoint.pt").exists() and not (killed / "final.pt").exists()
    _finish(_run(script, killed, 0.0))  # resume=True: from the last checkpoint

    a = torch.load(ref / "final.pt", weights_only=True)
    b = torch.load(killed / "final.pt", weights_only=True)
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(b[k], a[k], rtol=1e-10, atol=1e-12, msg=f"killed at {kill_at}")
    ma, mb = _metrics(ref), _metrics(killed)
    assert [(m["step"], m["split"]) for m in mb] == [(m["step"], m["split"]) for m in ma]
    np.testing.assert_allclose([m["loss"] for m in mb], [m["loss"] for m in ma], rtol=1e-10)
    val = [m for m in ma if m["split"] == "val"]
    assert len(val) == 8 and val[-1]["best_step"] is not None
