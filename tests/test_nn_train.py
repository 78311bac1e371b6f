"""The training command: a tiny run learns, the CLI prints the table, and (with emlp installed)
the hidden representations agree with emlp's."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

import groupkit as gk
from groupkit import datasets
from groupkit.nn import uniform_rep
from groupkit.nn.train import (POOL_SEED, Standardized, _BestOnValidation, build_model,
                               learning_rate, main, paper_epochs, train)
from groupkit.testing import equivariance_error


def test_standardized_model_stays_equivariant():
    data = datasets.make("lorentz", 200, rng=0)
    net = build_model("emlp", data, ch=40, layers=1, dtype=torch.float64)
    model = Standardized(net, data.standardization(), dtype=torch.float64)
    assert equivariance_error(model, rng=0) < 1e-10


def test_tiny_training_run_learns():
    kw = dict(ntrain=200, ntest=200, ch=40, layers=2, batch=100, lr=3e-3, progress=False)
    before = train("o5", "emlp", epochs=0, **kw)["test_mse"]
    after = train("o5", "emlp", epochs=15, **kw)
    assert after["test_mse"] < 0.5 * before
    assert after["steps"] == 30 and after["parameters"] > 0


def test_learning_rate_is_a_cosine_with_linear_warmup():
    total, lr = 100, 3e-3
    cosine = [lr * 0.5 * (1 + math.cos(math.pi * k / total)) for k in range(total)]
    assert [learning_rate(lr, k, total) for k in range(total)] == pytest.approx(cosine)
    warm = [learning_rate(lr, k, total, warmup=10) for k in range(total)]
    assert warm[:10] == pytest.approx([cosine[k] * (k + 1) / 10 for k in range(10)])
    assert warm[10:] == pytest.approx(cosine[10:])


def test_clipping_bounds_every_step_and_is_recorded(monkeypatch):
    norms = []
    step = torch.optim.Adam.step

    def record(self, *a, **k):
        grads = [p.grad for g in self.param_groups for p in g["params"] if p.grad is not None]
        norms.append(float(torch.linalg.vector_norm(torch.stack([
            torch.linalg.vector_norm(g) for g in grads]))))
        return step(self, *a, **k)

    monkeypatch.setattr(torch.optim.Adam, "step", record)
    r = train("inertia", "emlp", ntrain=100, ntest=20, ch=24, layers=1, epochs=3, batch=50,
              lr=3e-3, clip=1e-3, warmup=4, progress=False)
    assert len(norms) == 6 and max(norms) <= 1e-3 * (1 + 1e-5)
    assert (r["clip"], r["warmup"]) == (1e-3, 4)


@pytest.mark.parametrize("option", ["warmup", "clip", "weight_decay"])
@pytest.mark.parametrize("bad", [-1, float("nan")])
def test_training_options_must_be_non_negative(option, bad):
    with pytest.raises(ValueError, match=f"{option} must be a non-negative number"):
        train("o5", "mlp", ntrain=20, ntest=20, ch=8, layers=1, epochs=1, batch=20, lr=0.1,
              progress=False, **{option: bad})


@pytest.mark.parametrize("bad", [-1, 0.5, True])
def test_pool_size_must_be_a_non_negative_integer(bad):
    with pytest.raises(ValueError, match=r"npool \(--pool\) must be a non-negative integer"):
        train("o5", "mlp", ntrain=20, ntest=20, ch=8, layers=1, epochs=1, batch=20, lr=0.1,
              progress=False, npool=bad)


def test_pool_mse_is_the_mse_on_fresh_samples_from_the_pool_seed():
    """Untrained (0 epochs), the model is fixed by the seed, so the reported pool MSE can be
    recomputed from an independently built copy on datasets.make(task, n, rng=POOL_SEED+seed)."""
    kw = dict(ntrain=50, ntest=20, ch=16, layers=1, epochs=0, batch=50, lr=3e-3, seed=3,
              progress=False)
    r = train("o5", "emlp", npool=400, **kw)
    assert "pool_mse" not in train("o5", "emlp", **kw)
    data = datasets.make("o5", 70, rng=3).split(50, 0, 20)[0]
    torch.manual_seed(3)
    model = Standardized(build_model("emlp", data, ch=16, layers=1), data.standardization())
    pool = datasets.make("o5", 400, rng=POOL_SEED + 3)
    with torch.no_grad():
        expected = float(((model(torch.as_tensor(pool.X, dtype=torch.float32)).double()
                           - torch.as_tensor(pool.Y)) ** 2).mean())
    assert r["pool_mse"] == pytest.approx(expected, rel=1e-5)


def test_best_on_validation_keeps_the_lowest_and_evaluates_every_k_steps():
    vals = iter([3.0, 1.0, 2.0, 1.0])
    keeper = _BestOnValidation(lambda: next(vals), every=2)
    for step in range(1, 8):  # evaluated at 2, 4, 6 and the last step 7
        keeper(step, 7, lambda step=step: f"state{step}")
    assert (keeper.best, keeper.step, keeper.state) == (1.0, 7, "state7")


def test_paper_epochs_follow_the_authors_schedule():
    # the EMLP authors' raw results list 900 epochs at N = 1000, 300 at 3000, 90 at 10 000
    assert [paper_epochs(n) for n in (30, 1000, 3000, 10000)] == [1000, 900, 300, 90]


def test_validation_split_selects_a_checkpoint():
    r = train("o5", "emlp", ntrain=100, nval=50, ntest=50, ch=24, layers=1, epochs=5, batch=50,
              lr=3e-3, progress=False)
    assert 1 <= r["best_step"] <= r["steps"] == 10 and np.isfinite(r["val_mse"])


@pytest.mark.parametrize("extra,scale,lr", [([], 0.25, 5e-3), (["--lr", "1e-3"], 0.25, 1e-3),
                                             (["--input-scale", "1"], 1.0, 5e-3)])
def test_cli_applies_task_settings_unless_overridden(tmp_path, extra, scale, lr):
    out = tmp_path / "r.json"
    main(["--task", "lorentz", "--model", "mlp", "--ntrain", "40", "--ntest", "20", "--ch", "8",
          "--epochs", "1", "--no-progress", "--json", str(out), *extra])
    r = json.loads(out.read_text())[0]
    assert (r["input_scale"], r["lr"]) == (scale, lr)


@pytest.mark.parametrize("extra,expected", [
    ([], (1.0, 0.1, False)), (["--clip", "0.5"], (0.5, 0.1, False)),
    (["--weight-decay", "0"], (1.0, 0.0, False)), (["--output-scaling"], (1.0, 0.1, True))])
def test_cli_applies_inertia_settings_unless_overridden(tmp_path, extra, expected):
    out = tmp_path / "r.json"
    main(["--task", "inertia", "--model", "mlp", "--ntrain", "40", "--ntest", "20", "--ch", "8",
          "--epochs", "1", "--no-progress", "--json", str(out), *extra])
    r = json.loads(out.read_text())[0]
    assert (r["clip"], r["weight_decay"], r["output_scaling"]) == expected


def test_cli_bilinear_mask_reaches_the_emlp_blocks(tmp_path, monkeypatch):
    built = []
    import groupkit.nn.train as train_module

    def spy(*args, **kwargs):
        built.append(build_model(*args, **kwargs))
        return built[-1]
    monkeypatch.setattr(train_module, "build_model", spy)
    out = tmp_path / "r.json"
    main(["--task", "o5", "--model", "emlp", "--ntrain", "40", "--ntest", "20", "--ch", "20",
          "--layers", "2", "--epochs", "1", "--bilinear", "1,0", "--no-progress", "--json",
          str(out)])
    assert json.loads(out.read_text())[0]["bilinear"] == [True, False]
    assert [block.bilinear is not None for block in built[0].network[:2]] == [True, False]


def test_cli_paper_data_takes_its_splits_from_paper_split(tmp_path, monkeypatch):
    calls = []
    real = datasets.paper_split

    def spy(task, ntrain, nval, ntest, **kw):
        calls.append((task, ntrain, nval, ntest))
        return real(task, ntrain, nval, ntest, ndata=200, **kw)
    monkeypatch.setattr(datasets, "paper_split", spy)
    out = tmp_path / "r.json"
    main(["--task", "o5", "--model", "mlp", "--ntrain", "40", "--nval", "10", "--ntest", "20",
          "--ch", "8", "--epochs", "1", "--paper-data", "--no-progress", "--json", str(out)])
    assert calls == [("o5", 40, 10, 20)]
    assert json.loads(out.read_text())[0]["data"] == "paper-numpy"


def test_cli_bilinear_mask_must_match_the_layers(capsys):
    with pytest.raises(SystemExit):
        main(["--task", "o5", "--layers", "2", "--bilinear", "1,1,0", "--no-progress"])
    assert "names 3 blocks but the model has 2 hidden layers" in capsys.readouterr().err


@pytest.mark.parametrize("kind, bilinear, recorded", [
    ("emlp", np.True_, [True, True]), ("emlp", (True, np.False_), [True, False]),
    ("mlp", True, None)])
def test_bilinear_is_recorded_as_one_bool_per_block(kind, bilinear, recorded):
    r = train("o5", kind, ntrain=20, ntest=10, ch=20, layers=2, epochs=1, batch=10, lr=1e-3,
              bilinear=bilinear, progress=False)
    assert r["bilinear"] == recorded
    json.dumps(r)  # plain bools, so the result can be written out


def test_bad_bilinear_is_refused_before_any_data_is_drawn(monkeypatch):
    monkeypatch.setattr(datasets, "make", lambda *a, **k: pytest.fail("data were drawn"))
    with pytest.raises(ValueError, match="one bool per hidden layer"):
        train("o5", "emlp", ntrain=20, ntest=10, ch=20, layers=2, epochs=1, batch=10, lr=1e-3,
              bilinear=(True,), progress=False)


@pytest.mark.parametrize("mask", ["1,2", "yes", ""])
def test_cli_rejects_a_bad_bilinear_mask(mask, capsys):
    with pytest.raises(SystemExit):
        main(["--task", "o5", "--bilinear", mask, "--no-progress"])
    assert "one 0 or 1 per hidden layer" in capsys.readouterr().err


@pytest.mark.parametrize("wd,optimiser", [(0.0, "Adam"), (0.5, "AdamW")])
def test_weight_decay_selects_adamw(monkeypatch, wd, optimiser):
    used = []

    def spy(name):
        class Spy(getattr(torch.optim, name)):
            def __init__(self, params, **kw):
                used.append((name, kw.get("weight_decay")))
                super().__init__(params, **kw)
        return Spy

    for name in ("Adam", "AdamW"):
        monkeypatch.setattr(torch.optim, name, spy(name))
    train("o5", "mlp", ntrain=20, ntest=20, ch=8, layers=1, epochs=1, batch=20, lr=0.1,
          weight_decay=wd, progress=False)
    assert used == [(optimiser, wd if wd else None)]


def test_cli_prints_table(capsys, tmp_path):
    out = tmp_path / "r.json"
    main(["--task", "inertia", "--model", "mlp", "--ntrain", "100", "--ntest", "50", "--ch", "16",
          "--epochs", "2", "--no-progress", "--json", str(out)])
    text = capsys.readouterr().out
    assert "| inertia |" in text and "command: python -m groupkit.nn.train" in text
    assert json.loads(out.read_text())[0]["model"] == "mlp"


@pytest.mark.emlp
@pytest.mark.filterwarnings("ignore:jax.sharding.PmapSharding is deprecated:DeprecationWarning")
@pytest.mark.parametrize("ch,group", [(384, "O(5)"), (384, "O(3)"), (128, "O(5)")])
def test_uniform_rep_has_emlp_sizes(ch, group):
    """emlp's uniform_rep allocates the same number of tensors of each rank (for orthogonal
    groups its random tie-breaking does not matter)."""
    from emlp.groups import O as eO
    from emlp.nn import uniform_rep as e_uniform

    n = int(group[2])
    theirs = e_uniform(ch, eO(n))
    ours = uniform_rep(ch, gk.O(n))
    count = {}
    for rep, mult in theirs.reps.items():
        count[rep.size()] = count.get(rep.size(), 0) + mult
    mine = {}
    for s in ours.summands():
        mine[s.size] = mine.get(s.size, 0) + 1
    assert mine == count


@pytest.mark.emlp
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:jax.sharding.PmapSharding is deprecated:DeprecationWarning")
def test_emlp_reference_training_runs():
    """emlp's objax EMLP trains on groupkit's data (objax 1.8 touches a deprecated JAX name)."""
    r = train("o5", "emlp-ref", ntrain=100, nval=50, ntest=100, ch=32, layers=1, epochs=2,
              batch=50, lr=3e-3, progress=False)
    assert np.isfinite(r["test_mse"]) and r["steps"] == 4 and 1 <= r["best_step"] <= 4


@pytest.mark.emlp
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:jax.sharding.PmapSharding is deprecated:DeprecationWarning")
def test_emlp_reference_applies_clip_and_weight_decay():
    """The same seed and batches give a different fit once emlp's trainer clips or decays."""
    kw = dict(ntrain=100, nval=0, ntest=100, ch=32, layers=1, epochs=2, batch=50, lr=3e-2,
              progress=False)
    plain = train("o5", "emlp-ref", **kw)["train_mse"]
    assert train("o5", "emlp-ref", **kw)["train_mse"] == plain  # deterministic
    clipped = train("o5", "emlp-ref", clip=1e-3, **kw)
    decayed = train("o5", "emlp-ref", weight_decay=5.0, **kw)
    assert clipped["train_mse"] != plain and decayed["train_mse"] != plain
    assert (clipped["clip"], decayed["weight_decay"]) == (1e-3, 5.0)


@pytest.mark.emlp
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:jax.sharding.PmapSharding is deprecated:DeprecationWarning")
def test_emlp_reference_drops_the_bilinear_terms_it_is_told_to():
    """Told to drop its one block's bilinear term, emlp's EMLP loses exactly that layer's
    parameters and still trains."""
    from emlp.groups import O
    from emlp.nn import EMLP as EmlpEMLP
    from emlp.reps import Scalar as EmlpScalar
    from emlp.reps import V as EmlpV

    kw = dict(ntrain=100, nval=0, ntest=100, ch=32, layers=1, epochs=1, batch=50, lr=3e-3,
              progress=False)
    with_bi = train("o5", "emlp-ref", **kw)
    without = train("o5", "emlp-ref", bilinear=(False,), **kw)
    block = EmlpEMLP(2 * EmlpV, EmlpScalar, O(5), ch=32, num_layers=1).network[0]
    bilinear_size = sum(np.size(v.value) for v in block.bilinear.vars().values())
    assert bilinear_size > 0 and without["bilinear"] == [False]
    assert with_bi["parameters"] - without["parameters"] == bilinear_size
    assert np.isfinite(without["test_mse"])


@pytest.mark.emlp
@pytest.mark.filterwarnings("ignore:jax.sharding.PmapSharding is deprecated:DeprecationWarning")
def test_emlp_reference_clipping_and_decay_follow_torch():
    """The objax trainer's clipping and decay give torch's numbers: clip_grad_norm_ on the same
    gradients, and AdamW's factor 1 − lr·wd on a variable with zero gradient."""
    jnp = pytest.importorskip("jax.numpy")
    objax = pytest.importorskip("objax")
    from groupkit.nn._reference import clip_by_global_norm, decay

    rng = np.random.default_rng(0)
    grads = [rng.normal(size=(3, 4)), rng.normal(size=5)]
    for clip in (0.5, 100.0):
        ours = clip_by_global_norm([jnp.asarray(g) for g in grads], clip)
        ts = [torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64)) for g in grads]
        for t, g in zip(ts, grads):
            t.grad = torch.as_tensor(g)
        torch.nn.utils.clip_grad_norm_(ts, clip)
        for a, t in zip(ours, ts):
            assert np.allclose(np.asarray(a), t.grad.numpy(), rtol=1e-6)
    var = objax.TrainVar(jnp.asarray([1.0, -2.0, 3.0]))
    decay([var], 0.1 * 0.5)
    p = torch.nn.Parameter(torch.tensor([1.0, -2.0, 3.0]))
    opt = torch.optim.AdamW([p], lr=0.1, weight_decay=0.5)
    p.grad = torch.zeros(3)
    opt.step()
    assert np.allclose(np.asarray(var.value), p.detach().numpy(), rtol=1e-6)
