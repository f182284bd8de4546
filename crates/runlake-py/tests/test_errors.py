"""Errors arrive as Python exceptions carrying the Rust message."""

from __future__ import annotations

import pytest

import runlake


@pytest.fixture(scope="module")
def lake(lake_path):
    return runlake.open(str(lake_path))


def test_a_bad_predicate_raises_parse_error_with_a_caret(lake):
    with pytest.raises(runlake.ParseError) as info:
        lake.scan("evals").filter("task = = 'arc_challenge'")
    err = info.value
    assert err.caret == "  task = = 'arc_challenge'\n         ^"
    assert "task = = 'arc_challenge'\n         ^" in str(err)
    assert (err.start, err.end) == (7, 8)
    assert isinstance(err, runlake.RunlakeError)


def test_an_unknown_column_in_a_predicate_is_a_parse_error(lake):
    with pytest.raises(runlake.ParseError, match="no_such_column"):
        lake.scan("evals").filter("no_such_column = 1")


def test_an_unknown_column_in_select_is_a_query_error(lake):
    with pytest.raises(runlake.QueryError, match="unknown column `nope`"):
        lake.scan("evals").select(["run_uid", "nope"])


def test_a_missing_lake_is_a_lake_error(tmp_path):
    with pytest.raises(runlake.LakeError, match=str(tmp_path / "absent")):
        runlake.open(str(tmp_path / "absent"))


def test_an_unknown_table_and_version(lake, lake_path):
    with pytest.raises(ValueError, match="nope"):
        lake.scan("nope")
    with pytest.raises(runlake.LakeError):
        runlake.open(str(lake_path), version=99)


def test_unknown_datadecide_names_say_what_is_unknown(lake):
    dd = runlake.DataDecide(lake)
    with pytest.raises(runlake.QueryError, match="unknown recipe `not-a-recipe`"):
        dd.select_subset(data="not-a-recipe")
    with pytest.raises(TypeError, match="colour"):
        dd.select_subset(colour="red")
