"""Every table of a fixture lake, read through each way out of the package, equals the rows
`runlake query` writes for it."""

from __future__ import annotations

import json

import duckdb
import polars as pl
import pyarrow as pa
import pytest

import runlake
from conftest import canon, canon_frame, cli, cli_table

TABLES = ["metadata", "pretrain_ckpts", "posttrain_steps", "evals", "lineage"]


@pytest.fixture(scope="module")
def lake(lake_path):
    return runlake.open(str(lake_path))


def test_the_lake_lists_its_tables_and_versions(lake, lake_path):
    assert lake.tables == TABLES
    # The CLI's log is the reference: same versions, same fields, newest first.
    assert lake.versions() == json.loads(cli("log", str(lake_path), "--json"))
    assert lake.versions()[0]["operation"] == "convert"
    assert lake.version == 1
    assert "version 1" in repr(lake) and str(lake_path) in repr(lake)


def test_verify_reports_a_sound_lake(lake):
    report = lake.verify(deep=True)
    assert report["sound"] is True
    assert report["problems"] == []
    assert report["files_checked"] > 0


@pytest.mark.parametrize("table", TABLES)
def test_every_way_out_gives_the_cli_rows(lake, lake_path, table, tmp_path):
    reference = cli_table(tmp_path, "query", str(lake_path), "--table", table)
    assert reference.num_rows > 0
    scan = lake.scan(table)
    expected = canon(reference)

    got = scan.to_arrow()
    assert got.schema.names == reference.schema.names
    assert canon(got) == expected
    assert canon(pa.table(scan)) == expected
    assert canon(pa.Table.from_batches(list(scan.to_batches()))) == expected

    # polars and pandas change some types (maps, nulls in integers); the reference goes
    # through the same conversion so that only the rows can differ.
    assert canon(scan.to_polars().to_arrow()) == canon(pl.from_arrow(reference).to_arrow())
    assert canon(pl.DataFrame(scan).to_arrow()) == canon(pl.from_arrow(reference).to_arrow())
    assert canon_frame(scan.to_pandas()) == canon_frame(reference.to_pandas())

    ref = reference  # noqa: F841 - DuckDB finds it by name
    via_duckdb = duckdb.sql("select * from scan").to_arrow_table()
    assert canon(via_duckdb) == canon(duckdb.sql("select * from ref").to_arrow_table())


def test_filter_and_select_give_the_cli_rows(lake, lake_path, tmp_path):
    where = "task = 'arc_challenge' AND step >= 1250"
    columns = ["run_uid", "step", "task", "primary_score"]
    reference = cli_table(
        tmp_path,
        "query", str(lake_path), "--table", "evals", "--where", where, "--select", ",".join(columns),
    )
    scan = lake.scan("evals").filter(where).select(columns)
    assert scan.columns == columns
    assert canon(scan.to_arrow()) == canon(reference)
    assert 0 < reference.num_rows < lake.row_counts()["evals"]
    # DuckDB asks for the stream more than once per query; each request runs the scan.
    count = duckdb.sql("select count(*) from scan where primary_score is not null").fetchall()[0][0]
    assert count == sum(v is not None for v in reference.column("primary_score").to_pylist())


def test_group_by_and_join_agree_with_pyarrow_on_the_cli_rows(lake, lake_path, tmp_path):
    evals = cli_table(tmp_path, "query", str(lake_path), "--table", "evals")
    meta = cli_table(tmp_path, "query", str(lake_path), "--table", "metadata")

    grouped = (
        lake.scan("evals")
        .group_by("task")
        .agg(runlake.Agg.mean("primary_score"), runlake.Agg.count_rows().alias("n"))
        .sort("task")
        .to_arrow()
    )
    expected = (
        evals.group_by("task")
        .aggregate([("primary_score", "mean"), ([], "count_all")])
        .sort_by("task")
    )
    assert grouped.column("task").to_pylist() == expected.column("task").to_pylist()
    assert grouped.column("n").to_pylist() == expected.column("count_all").to_pylist()
    assert grouped.column("primary_score_mean").to_pylist() == pytest.approx(
        expected.column("primary_score_mean").to_pylist(), nan_ok=True
    )

    joined = (
        lake.scan("evals")
        .select(["run_uid", "task", "step"])
        .join(lake.scan("metadata").select(["run_uid", "training_type"]), on=["run_uid"])
        .to_arrow()
    )
    expected_join = evals.select(["run_uid", "task", "step"]).join(
        meta.select(["run_uid", "training_type"]), keys="run_uid", join_type="inner"
    )
    assert canon(joined) == canon(expected_join.select(joined.schema.names))


def test_scans_describe_themselves(lake):
    scan = lake.scan("evals").filter("task = 'boolq'").select(["run_uid", "step"]).limit(3)
    text = repr(scan)
    assert "filter task = 'boolq'" in text and "[run_uid, step]" in text
    plan = scan.explain()
    assert "evals" in plan and "task = 'boolq'" in plan
    assert pa.schema(scan).names == ["run_uid", "step"]
    assert scan.to_arrow().num_rows <= 3
