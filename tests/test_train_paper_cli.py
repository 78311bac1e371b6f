"""The EMLP-paper trainer (python -m groupkit.nn.train) writes its trained model with --save, as a
groupkit.train checkpoint that reloads into the same model with the same test MSE."""

from __future__ import annotations

import json

import pytest

from groupkit import datasets
from groupkit.nn.train import Standardized, build_model, evaluate, main
from groupkit.train import CheckpointError, load_model_state

pytestmark = pytest.mark.torch


def test_saved_model_reloads_with_the_reported_test_mse(tmp_path):
    out = tmp_path / "r.json"
    main(["--task", "o5", "--model", "emlp", "--ntrain", "60", "--nval", "20", "--ntest", "40",
          "--ch", "16", "--layers", "1", "--epochs", "2", "--no-progress", "--json", str(out),
          "--save", str(tmp_path / "models")])
    r = json.loads(out.read_text())[0]
    full = datasets.make("o5", 120, rng=0)
    train_set, _, test_set = full.split(60, 20, 40)
    model = Standardized(build_model("emlp", train_set, ch=16, layers=1),
                         train_set.standardization())
    load_model_state(model, r["saved"])
    assert evaluate(model, test_set) == pytest.approx(r["test_mse"], rel=1e-6)
    with pytest.raises(CheckpointError, match="parameter shapes differ"):
        load_model_state(Standardized(build_model("emlp", train_set, ch=24, layers=1),
                                      train_set.standardization()), r["saved"])
