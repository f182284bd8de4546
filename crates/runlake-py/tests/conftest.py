"""Fixture lakes for the Python tests, written by the runlake CLI from `testdata/` exports.

The CLI binary comes from `RUNLAKE_BIN` or the workspace's `target/debug/runlake` (`cargo
build` makes it). References for every comparison come from the CLI's own output, read back
with pyarrow, never from the Python package under test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

REPO = Path(__file__).resolve().parents[3]
TESTDATA = REPO / "testdata"


def cli_path() -> Path:
    path = Path(os.environ.get("RUNLAKE_BIN", REPO / "target" / "debug" / "runlake"))
    if not path.exists():
        pytest.fail(f"{path} is missing: run `cargo build` (or set RUNLAKE_BIN)")
    return path


def cli(*args: str, env: dict | None = None) -> str:
    """Runs the CLI; fails the test with its stderr when it fails."""
    out = subprocess.run(
        [str(cli_path()), *args], capture_output=True, text=True, env=env
    )
    if out.returncode != 0:
        pytest.fail(f"runlake {' '.join(args)} failed:\n{out.stderr}")
    return out.stdout


def cli_table(tmp: Path, *args: str) -> pa.Table:
    """A CLI command's rows, written as Parquet by the CLI and read back with pyarrow."""
    tmp.mkdir(parents=True, exist_ok=True)
    out = tmp / f"cli-{len(list(tmp.iterdir()))}.parquet"
    cli(*args, "--format", "parquet", "--output", str(out))
    return pq.read_table(out)


def canon(table: pa.Table) -> list[str]:
    """Rows as sorted JSON texts: equal lists mean equal rows, in any order."""
    return sorted(json.dumps(r, sort_keys=True, default=str) for r in table.to_pylist())


def canon_frame(df) -> list[str]:
    """A pandas DataFrame's rows as sorted JSON texts (values the encoder does not know, such
    as numpy scalars and arrays, by their repr)."""
    return sorted(
        json.dumps(r, sort_keys=True, default=repr) for r in df.to_dict(orient="records")
    )


@pytest.fixture(scope="session")
def lake_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """DataDecide evals and perplexities plus W&B post-training runs with lineage."""
    path = tmp_path_factory.mktemp("lake") / "lake"
    cli(
        "convert",
        str(TESTDATA / "datadecide" / "eval-results"),
        str(TESTDATA / "datadecide" / "ppl-results"),
        str(TESTDATA / "wandb" / "dr_wandb_v3" / "ft-scaling"),
        "--lake",
        str(path),
        "--quiet",
    )
    return path


@pytest.fixture(scope="session")
def parity_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The parity exports: several recipes, sizes and seeds of DataDecide checkpoints."""
    path = tmp_path_factory.mktemp("parity") / "lake"
    cli(
        "convert",
        str(TESTDATA / "parity" / "eval-results"),
        str(TESTDATA / "parity" / "ppl-results"),
        "--lake",
        str(path),
        "--quiet",
    )
    return path


@pytest.fixture()
def scratch(tmp_path: Path) -> Path:
    return tmp_path


def copy_lake(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst
