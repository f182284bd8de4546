"""A careful polars conversion of the eval-results train split: turn each Python-repr `metrics`
string into JSON, decode it into a typed struct (the union of every task's metric names),
deduplicate on the eval key, sort, and write zstd Parquet.

JSON has no NaN or infinity: `nan` becomes null and `inf` a float too large to hold, so those
cells lose the difference runlake keeps (the generated export has none).

Usage: polars_convert.py OUT.parquet TRAIN.parquet...
"""

import re
import sys

import polars as pl

KEY = ["params", "data", "seed", "step", "task"]


def as_json(col: pl.Expr) -> pl.Expr:
    return (
        col.str.replace_all("'", '"', literal=True)
        .str.replace_all(r"\bNone\b", "null")
        .str.replace_all(r"\bTrue\b", "1")
        .str.replace_all(r"\bFalse\b", "0")
        .str.replace_all(r"-inf\b", "-1e999")
        .str.replace_all(r"\binf\b", "1e999")
        .str.replace_all(r"\bnan\b", "null")
    )


def metric_names(inputs: list[str]) -> list[str]:
    # One row per task is enough to see every metric name: a task's rows share their keys.
    sample = (
        pl.scan_parquet(inputs)
        .group_by("task")
        .agg(pl.col("metrics").first())
        .collect()
    )
    names: dict[str, None] = {}
    for text in sample["metrics"]:
        for name in re.findall(r"'([^']+)':", text):
            names[name] = None
    return list(names)


def main() -> None:
    out, inputs = sys.argv[1], sys.argv[2:]
    struct = pl.Struct({name: pl.Float64 for name in metric_names(inputs)})
    (
        pl.scan_parquet(inputs)
        .with_columns(
            as_json(pl.col("metrics")).str.json_decode(struct).alias("metrics"),
            pl.col("step").cast(pl.Int64),
        )
        .unnest("metrics")
        .unique(subset=KEY, keep="first", maintain_order=True)
        .sort(KEY)
        .sink_parquet(out, compression="zstd")
    )
    rows = pl.scan_parquet(out).select(pl.len()).collect().item()
    print(f"{rows} rows")


if __name__ == "__main__":
    main()
