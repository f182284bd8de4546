"""Writes the Parquet twins of testdata/datadecide/*.rows.jsonl, typed as the HF exports are
(step/tokens/compute float64, metrics a string, snappy compression). Deterministic: run it again
and the files come out byte-identical.

Usage: python crates/runlake-datadecide/scripts/make_fixture_parquet.py  (from the repo root)
"""

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path("testdata/datadecide")
TWINS = {
    "eval-results/data/train.rows.jsonl": "eval-results/data/train-00000-of-00001.parquet",
    "eval-results/data/macro_avg.rows.jsonl": "eval-results/data/macro_avg-00000-of-00001.parquet",
    "ppl-results/data/train.rows.jsonl": "ppl-results/data/train-00000-of-00001.parquet",
}
FLOATS = {"step", "tokens", "compute"}


def main() -> None:
    for src, dst in TWINS.items():
        rows = [json.loads(line) for line in (ROOT / src).read_text().splitlines() if line.strip()]
        names = list(dict.fromkeys(k for r in rows for k in r))
        cols = {}
        for n in names:
            values = [r.get(n) for r in rows]
            if n in FLOATS or n.startswith("eval/"):
                cols[n] = pa.array(values, pa.float64())
            elif n == "__index_level_0__":
                cols[n] = pa.array(values, pa.int64())
            else:
                cols[n] = pa.array(values, pa.string())
        pq.write_table(pa.table(cols), ROOT / dst, compression="snappy")


if __name__ == "__main__":
    main()
