"""`convert`, `sync` and the plots from Python do what the CLI's commands of the same names do."""

from __future__ import annotations

import json
from pathlib import Path

import runlake
from runlake import _runlake
from conftest import TESTDATA, canon, cli, cli_table

TABLES = ["metadata", "pretrain_ckpts", "posttrain_steps", "evals", "lineage"]
POST_RUN = "wandb/ml-moe/ft-scaling/250912-172812_match_150M_c4_finetune_100Mtx1_DD-d17-530M-6250-2"


def without_lake(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k != "lake"}


def test_convert_gives_the_cli_summary_and_rows(tmp_path: Path):
    inputs = [TESTDATA / "datadecide" / "eval-results", TESTDATA / "datadecide" / "ppl-results"]
    seen = []
    summary = _runlake.convert(
        [str(p) for p in inputs], str(tmp_path / "py"), progress=lambda *a: seen.append(a)
    )
    expected = json.loads(
        cli("convert", *map(str, inputs), "--lake", str(tmp_path / "cli"), "--json")
    )
    assert without_lake(summary) == without_lake(expected)
    assert summary["lake"] == str(tmp_path / "py")
    assert any(text == "committing" for text, _, _ in seen)
    for table in ("metadata", "pretrain_ckpts", "evals"):
        assert canon(runlake.open(str(tmp_path / "py")).scan(table).to_arrow()) == canon(
            cli_table(tmp_path / "out", "query", str(tmp_path / "cli"), "--table", table)
        )


def test_convert_skips_bad_records_when_asked(tmp_path: Path):
    bad = TESTDATA / "datadecide" / "bad" / "train-unknown.jsonl"
    summary = runlake.convert(bad, str(tmp_path / "py"), on_error="skip", progress=False)
    expected = json.loads(
        cli("convert", str(bad), "--lake", str(tmp_path / "cli"), "--on-error", "skip", "--json")
    )
    assert summary["rejected_total"] == expected["rejected_total"] > 0
    assert summary["rejections"] == expected["rejections"]


def test_convert_fails_by_default_on_bad_records(tmp_path: Path):
    bad = TESTDATA / "datadecide" / "bad" / "train-unknown.jsonl"
    try:
        runlake.convert(bad, str(tmp_path / "py"), progress=False)
    except runlake.RunlakeError as e:
        assert "train-unknown.jsonl" in str(e)
    else:
        raise AssertionError("a bad record must fail the conversion")


def test_convert_forces_a_kind_by_the_names_the_cli_takes(tmp_path: Path):
    train = TESTDATA / "datadecide" / "eval-results" / "data" / "train-00000-of-00001.parquet"
    summary = runlake.convert(train, str(tmp_path / "py"), kind="dd-eval-results", progress=False)
    expected = json.loads(
        cli("convert", str(train), "--kind", "dd-eval-results", "--lake", str(tmp_path / "cli"), "--json")
    )
    assert without_lake(summary) == without_lake(expected)
    # Forced, the kind is not detected again: a DataDecide file read as a W&B export fails.
    try:
        runlake.convert(train, str(tmp_path / "wrong"), kind="wandb", progress=False)
    except runlake.RunlakeError as e:
        assert "train-00000-of-00001.parquet" in str(e)
    else:
        raise AssertionError("a DataDecide file is not a W&B export")
    try:
        runlake.convert(train, str(tmp_path / "none"), kind="datadecide", progress=False)
    except ValueError as e:
        assert "dd-eval-results" in str(e) and "oe-eval" in str(e)
    else:
        raise AssertionError("an unknown kind must be refused")


def test_sync_copies_a_lake_that_reads_the_same(lake_path: Path, tmp_path: Path):
    report = runlake.sync(str(lake_path), str(tmp_path / "copy"), progress=False)
    assert report["outcome"] == "created"
    copy = runlake.open(str(tmp_path / "copy"))
    for table in TABLES:
        assert canon(copy.scan(table).to_arrow()) == canon(
            cli_table(tmp_path / "out", "query", str(lake_path), "--table", table)
        )
    again = runlake.sync(str(lake_path), str(tmp_path / "copy"), progress=False)
    assert again["outcome"] == "up_to_date"
    assert again["files_sent"] == 0


def test_a_plot_shows_itself_and_saves_as_the_cli_draws_it(lake_path: Path, tmp_path: Path):
    lake = runlake.open(str(lake_path))
    plot = runlake.plot_curve(lake, [POST_RUN], task="arc_challenge")
    cli(
        "plot", str(lake_path), "curve", "--run", POST_RUN, "--task", "arc_challenge",
        "--output", str(tmp_path / "cli.svg"),
    )
    assert plot._repr_svg_() == (tmp_path / "cli.svg").read_text()
    assert plot._repr_png_().startswith(b"\x89PNG\r\n\x1a\n")
    plot.save(str(tmp_path / "py.png"))
    cli(
        "plot", str(lake_path), "curve", "--run", POST_RUN, "--task", "arc_challenge",
        "--output", str(tmp_path / "cli.png"),
    )
    assert (tmp_path / "py.png").read_bytes() == (tmp_path / "cli.png").read_bytes()
