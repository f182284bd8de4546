"""A lake holding superseded files (after `compact`, before `gc`) reads back its live rows
only, where a glob over the table folder counts the superseded files too."""

from __future__ import annotations

import pyarrow.dataset as ds

import runlake
from conftest import TESTDATA, canon, cli, cli_table


def test_a_compacted_lake_reads_its_live_rows_only(tmp_path):
    lake_path = tmp_path / "lake"
    # Two imports give each evals partition two files; compact replaces them by one, and the
    # replaced files stay on disk until gc.
    for export in ("eval-results", "ppl-results"):
        cli("convert", str(TESTDATA / "parity" / export), "--lake", str(lake_path), "--quiet")
    before = cli_table(tmp_path / "out", "query", str(lake_path), "--table", "evals")
    cli("compact", str(lake_path))

    globbed = ds.dataset(lake_path / "evals", format="parquet", partitioning="hive").count_rows()
    assert globbed > before.num_rows, "the fixture should leave superseded files on disk"

    lake = runlake.open(str(lake_path))
    scan = lake.scan("evals")
    assert canon(scan.to_arrow()) == canon(before)
    assert sum(b.num_rows for b in scan.to_batches()) == before.num_rows

    # The version before the compaction reads the same rows from the files it named.
    previous = runlake.open(str(lake_path), version=lake.version - 1)
    assert canon(previous.scan("evals").to_arrow()) == canon(before)
