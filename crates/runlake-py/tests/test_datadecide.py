"""`runlake.DataDecide` answers as `runlake select`, `curve` and `lineage` do on the same lake
(the CLI runs the Rust library's `DataDecide`)."""

from __future__ import annotations

import json

import polars as pl
import pyarrow as pa
import pytest

import runlake
from conftest import canon, canon_frame, cli, cli_table

POST_RUN = "wandb/ml-moe/ft-scaling/250912-172812_match_150M_c4_finetune_100Mtx1_DD-d17-530M-6250-2"

# (method, keyword arguments in datadec's or runlake's names, the same question for the CLI)
CASES = [
    ("select_subset", {}, []),
    (
        "select_subset",
        {"data": "Dolma1.7 (no math, code)", "params": "4m", "seeds": [0, 1]},
        ["--recipe", "Dolma1.7 (no math, code)", "--size", "4m", "--seed", "0,1"],
    ),
    (
        "select_subset",
        {"step_lims": (1250, 5000), "metrics": ["arc_challenge_acc_raw", "pile-valppl"]},
        ["--min-step", "1250", "--max-step", "5000", "--metric", "arc_challenge_acc_raw,pile-valppl"],
    ),
    (
        "select_subset",
        {"data": "all", "exclude_data": ["C4"], "exclude_params": "6M", "metric_type": "olmes"},
        ["--recipe", "all", "--exclude-recipe", "C4", "--exclude-size", "6M", "--metric-type", "olmes"],
    ),
    (
        "select_subset",
        {"min_params": "5M", "max_params": "150M", "token_lims": (0, 200_000_000)},
        ["--min-params", "5M", "--max-params", "150M", "--token-min", "0", "--token-max", "200000000"],
    ),
    ("mean_eval", {"task": "arc_challenge"}, ["--mean-over-seeds", "--task", "arc_challenge"]),
    ("mean_eval", {"seed": "small aux 2"}, ["--mean-over-seeds", "--seed", "small aux 2"]),
    ("final_checkpoints", {}, ["--final", "--mean-over-seeds"]),
    (
        "final_checkpoints",
        {"mean": False, "rule": "per-seed-last"},
        ["--final", "--final-rule", "per-seed-last"],
    ),
    ("full_eval", {}, ["--wide", "--names", "display"]),
    ("full_eval", {"display_names": False, "size": "4M"}, ["--wide", "--size", "4M"]),
]


@pytest.fixture(scope="module")
def dd(parity_lake):
    return runlake.DataDecide(str(parity_lake), backend="arrow")


@pytest.mark.parametrize("method,kwargs,args", CASES)
def test_answers_equal_the_cli(dd, parity_lake, tmp_path, method, kwargs, args):
    reference = cli_table(tmp_path, "select", str(parity_lake), *args)
    assert reference.num_rows > 0
    got = getattr(dd, method)(**kwargs)
    assert isinstance(got, pa.Table)
    assert got.schema.names == reference.schema.names
    assert canon(got) == canon(reference)

    as_pandas = getattr(dd, method)(backend="pandas", **kwargs)
    assert canon_frame(as_pandas) == canon_frame(reference.to_pandas())
    as_polars = getattr(dd, method)(backend="polars", **kwargs)
    assert isinstance(as_polars, pl.DataFrame)
    assert as_polars.shape == (reference.num_rows, reference.num_columns)


def test_the_default_backend_is_pandas(parity_lake):
    import pandas as pd

    dd = runlake.DataDecide(runlake.open(str(parity_lake)))
    assert isinstance(dd.mean_eval(size="4M"), pd.DataFrame)
    assert isinstance(dd.mean_eval(size="4M", lazy=True), runlake.Scan)


def test_recipe_and_size_lists_are_the_lakes(dd, parity_lake, tmp_path):
    runs = cli_table(
        tmp_path, "query", str(parity_lake), "--table", "metadata",
        "--where", "phase = 'pretrain'", "--select", "recipe,size",
    )
    assert set(dd.recipes) == set(runs.column("recipe").to_pylist())
    assert set(dd.sizes) == set(runs.column("size").to_pylist())
    assert set(dd.all_data_param_combos) == set(
        zip(runs.column("recipe").to_pylist(), runs.column("size").to_pylist())
    )
    assert dd.select_data("all", exclude=["C4"]) == [r for r in dd.recipes if r != "c4"]
    assert dd.select_params("4m") == ["4M"]


def test_run_metadata_is_the_metadata_table(dd, parity_lake, tmp_path):
    meta = cli_table(tmp_path, "query", str(parity_lake), "--table", "metadata")
    assert canon(dd.run_metadata()) == canon(meta)
    one = meta.column("run_uid")[0].as_py()
    assert dd.run_metadata([one]).column("run_uid").to_pylist() == [one]


def test_curve_and_lineage_equal_the_cli(lake_path, tmp_path):
    dd = runlake.DataDecide(str(lake_path), backend="arrow")
    reference = cli_table(tmp_path, "curve", str(lake_path), POST_RUN, "--task", "arc_challenge")
    got = dd.curve(POST_RUN, "arc_challenge")
    assert reference.num_rows > 0
    assert got.schema.names == reference.schema.names
    assert canon(got) == canon(reference)
    assert dd.lineage(POST_RUN) == json.loads(cli("lineage", str(lake_path), POST_RUN, "--json"))
    with pytest.raises(runlake.QueryError, match="unknown run `no/such/run`"):
        dd.lineage("no/such/run")


def test_post_training_runs_of_one_checkpoint(lake_path, tmp_path):
    dd = runlake.DataDecide(str(lake_path), backend="arrow")
    lineage = cli_table(tmp_path, "query", str(lake_path), "--table", "lineage", "--where", "resolved = true")
    parent, step = "dd/dolma1_7/4M/default", 5725
    children = {
        r["child_run_uid"]
        for r in lineage.to_pylist()
        if r["parent_run_uid"] == parent and r["parent_step"] == step and r["relation"] != "duplicate_of"
    }
    assert children
    below = dd.descendants(parent, at_step=step)
    direct = {r["run_uid"] for r in below.to_pylist() if r["depth"] == 1}
    assert direct == children
    compared = dd.compare_checkpoint(parent, step)
    assert set(compared.column("parent_run_uid").to_pylist()) <= {parent}
    assert set(compared.column("run_uid").to_pylist()) <= {r["run_uid"] for r in below.to_pylist()}
