"""torchrun --nproc_per_node=2 on CPU (gloo) follows the same loss curve as one process with the
same global batch, and ends with the same parameters (float64, tolerance 1e-9)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

pytestmark = pytest.mark.torch

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = r'''
import sys
import numpy as np, torch
import torch.distributed as dist
from groupkit import SO, V, Scalar
from groupkit.nn import EMLP
from groupkit.train import fit

torch.set_num_threads(1)
out = sys.argv[1]
rng = np.random.default_rng(0)
X = rng.normal(size=(100, 6))
Y = (X[:, :3] * X[:, 3:]).sum(1, keepdims=True)
torch.manual_seed(0)
model = EMLP(2 * V(SO(3)), Scalar, ch=24, num_layers=1, dtype=torch.float64)
# 69 samples in global batches of 16: the last batch of each epoch (5) splits 3 + 2
r = fit(model, (X[:69], Y[:69]), (X[69:], Y[69:]), epochs=3, batch_size=16, lr=3e-3,
        scheduler="cosine", clip=1.0, checkpoint_dir=out, progress=False, seed=2)
if r.checkpoint is not None and int(__import__("os").environ.get("RANK", "0")) == 0:
    torch.save(model.state_dict(), out + "/final.pt")
'''


def _env():
    return {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}


def _metrics(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


def test_torchrun_two_processes_follow_the_single_process_loss_curve(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    one, two = tmp_path / "one", tmp_path / "two"
    r1 = subprocess.run([sys.executable, str(script), str(one)], env=_env(),
                        capture_output=True, timeout=300)
    assert r1.returncode == 0, r1.stderr.decode()[-3000:]
    r2 = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                         "--nproc_per_node=2", str(script), str(two)], env=_env(),
                        capture_output=True, timeout=300)
    assert r2.returncode == 0, r2.stderr.decode()[-3000:]
    m1, m2 = _metrics(one), _metrics(two)
    assert [(m["step"], m["split"]) for m in m2] == [(m["step"], m["split"]) for m in m1]
    assert len([m for m in m1 if m["split"] == "train"]) == 15
    np.testing.assert_allclose([m["loss"] for m in m2], [m["loss"] for m in m1], rtol=1e-9)
    a = torch.load(one / "final.pt", weights_only=True)
    b = torch.load(two / "final.pt", weights_only=True)
    for k in a:
        torch.testing.assert_close(b[k], a[k], rtol=1e-9, atol=1e-12)
