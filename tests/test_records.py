"""Experiment records: JSON lines in, tables out; bad records are refused."""

import json

import pytest

from kernels.records import FIELDS, read_runs, record_run, results_table

RUN = dict(task="qm9", target="homo", model="egnn", group="E(3)", protocol="default",
           metric="test_mae_mev", train_seconds=10.0, params=1000, machine={"cpu": "x"})


def test_each_run_is_one_json_line_with_the_named_fields(tmp_path):
    path = tmp_path / "r" / "experiments.jsonl"
    record_run(path, seed=0, value=30.0, **RUN)
    record_run(path, seed=1, value=32.0, data="qm9pack", **RUN)
    lines = path.read_text().splitlines()
    assert len(lines) == 2
    rec = json.loads(lines[1])
    assert set(FIELDS) <= set(rec) and rec["data"] == "qm9pack" and rec["seed"] == 1


def test_table_reports_mean_and_sample_std_over_seeds(tmp_path):
    path = tmp_path / "e.jsonl"
    for seed, v in enumerate([1.0, 3.0]):
        record_run(path, seed=seed, value=v, **RUN)
    record_run(path, seed=0, value=5.0, **{**RUN, "model": "gnn"})
    table = results_table(read_runs(path)).splitlines()
    assert len(table) == 4
    assert "| egnn | E(3) | 2 ± 1.414 | 2 |" in table[2] and "| gnn | E(3) | 5 | 1 |" in table[3]


def test_table_never_averages_models_of_different_size(tmp_path):
    # same name and protocol, another architecture (the defaults changed): two rows
    path = tmp_path / "e.jsonl"
    record_run(path, seed=0, value=1.0, **RUN)
    record_run(path, seed=0, value=3.0, **{**RUN, "params": RUN["params"] + 1})
    table = results_table(read_runs(path)).splitlines()
    assert len(table) == 4 and "| 1 | 1 |" in table[2] and "| 3 | 1 |" in table[3]


@pytest.mark.parametrize("bad", [dict(value=float("nan")), dict(seed=1.5), dict(params=-1),
                                 dict(task="")])
def test_invalid_records_are_refused(tmp_path, bad):
    with pytest.raises(ValueError):
        record_run(tmp_path / "e.jsonl", **{**RUN, "seed": 0, "value": 1.0, **bad})
    assert not (tmp_path / "e.jsonl").exists()


def test_a_malformed_line_is_named(tmp_path):
    path = tmp_path / "e.jsonl"
    record_run(path, seed=0, value=1.0, **RUN)
    with open(path, "a") as f:
        f.write('{"task": "qm9"}\n')
    with pytest.raises(ValueError, match=r"e.jsonl, line 2: missing fields"):
        read_runs(path)
