"""`to_batches()` streams: iterating a scan much larger than a batch keeps memory near the
reader's in-flight batches, and the batches add up to the CLI's row count."""

from __future__ import annotations

from pathlib import Path

import pytest

import runlake
from conftest import cli

BATCH_ROWS = 8192


def resident_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


@pytest.fixture(scope="module")
def big_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("big")
    cli("generate", str(root / "exports"), "--scale", "0.2")
    lake = root / "lake"
    cli(
        "convert",
        str(root / "exports" / "eval-results"),
        str(root / "exports" / "ppl-results"),
        "--lake",
        str(lake),
        "--quiet",
    )
    return lake


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs /proc to read memory")
def test_iterating_batches_keeps_memory_bounded(big_lake: Path):
    lake = runlake.open(str(big_lake))
    rows_expected = lake.row_counts()["evals"]
    assert rows_expected > 40 * BATCH_ROWS

    resident, decoded, rows = [], [], 0
    for batch in lake.scan("evals").to_batches():
        rows += batch.num_rows
        decoded.append(batch.nbytes)
        resident.append(resident_bytes())
        del batch
    assert rows == rows_expected

    # After the first quarter the reader's queues are full; from there on, memory may not
    # grow with what has been read. Reading everything at once would add every byte decoded.
    warm = len(resident) // 4
    growth = max(resident[warm:]) - resident[warm]
    read_after = sum(decoded[warm:])
    assert read_after > 100_000_000
    assert growth < read_after / 3, (growth, read_after)
