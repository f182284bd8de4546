"""Three DataDecide questions answered to a pandas DataFrame by runlake's Python API, by
DuckDB and by polars over the same live Parquet files, and by a plain pandas load of the
whole table.

Usage: python_bench.py LAKE_DIR [RUNLAKE_BIN]

The live files come from `runlake files LAKE --table evals` (the manifest), so no tool reads a
superseded file. Each (question, tool) runs in its own process: the time is the best of three
runs, the memory the process's peak resident set (Python and the tool's imports included).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

TASK = "arc_challenge"
SIZE = "150M"

# datadec's MAX_STEP_TO_USE per size (drothermel/datadec `constants.py`).
MAX_STEP_TO_USE = {
    "4M": 5725, "6M": 9182, "8M": 13039, "10M": 15117, "14M": 21953, "16M": 24432,
    "20M": 14584, "60M": 29042, "90M": 29901, "150M": 37500, "300M": 45000, "530M": 51250,
    "750M": 62500, "1B": 67500,
}
QUESTIONS = ("one task at one size", "mean/std over seeds", "final checkpoints")
TOOLS = ("runlake", "duckdb", "polars", "pandas")


def answer(tool: str, question: int, lake: str, files: list[str]):
    """The question's answer as a pandas DataFrame."""
    if tool == "runlake":
        import runlake

        dd = runlake.DataDecide(lake)
        if question == 0:
            return (
                dd.lake.scan("evals")
                .filter(f"phase = 'pretrain' AND task = '{TASK}' AND size = '{SIZE}'")
                .select(["run_uid", "recipe", "seed", "step", "primary_score"])
                .to_pandas()
            )
        if question == 1:
            return (
                dd.lake.scan("evals")
                .filter(f"phase = 'pretrain' AND task = '{TASK}'")
                .group_by("recipe", "size", "step")
                .agg(runlake.Agg.mean("primary_score"), runlake.Agg.std("primary_score"))
                .to_pandas()
            )
        return dd.final_checkpoints(task=TASK)
    if tool == "duckdb":
        import duckdb

        src = "read_parquet([" + ", ".join(f"'{f}'" for f in files) + "], hive_partitioning = true)"
        caps = ", ".join(f"('{s}', {c})" for s, c in MAX_STEP_TO_USE.items())
        sql = [
            f"""SELECT run_uid, recipe, seed, step, primary_score FROM {src}
                WHERE phase = 'pretrain' AND task = '{TASK}' AND size = '{SIZE}'""",
            f"""SELECT recipe, size, step, avg(primary_score) AS primary_score_mean,
                       stddev_samp(primary_score) AS primary_score_std
                FROM {src} WHERE phase = 'pretrain' AND task = '{TASK}'
                GROUP BY recipe, size, step""",
            f"""WITH caps(size, cap) AS (VALUES {caps}),
                e AS (SELECT x.* FROM {src} x JOIN caps c ON x.size = c.size AND x.step <= c.cap
                      WHERE phase = 'pretrain' AND task = '{TASK}'
                        AND primary_score IS NOT NULL AND NOT isnan(primary_score)),
                f AS (SELECT recipe, size, max(step) AS step FROM e GROUP BY recipe, size)
                SELECT e.recipe, e.size, max(e.step) AS step, count(*) AS n_seeds,
                       avg(e.primary_score) AS primary_score_mean,
                       stddev_samp(e.primary_score) AS primary_score_std
                FROM e JOIN f ON e.recipe = f.recipe AND e.size = f.size AND e.step = f.step
                GROUP BY e.recipe, e.size""",
        ][question]
        return duckdb.sql(sql).df()
    if tool == "polars":
        import polars as pl

        evals = pl.scan_parquet(files, hive_partitioning=True).filter(
            (pl.col("phase") == "pretrain") & (pl.col("task") == TASK)
        )
        if question == 0:
            q = evals.filter(pl.col("size") == SIZE).select(
                ["run_uid", "recipe", "seed", "step", "primary_score"]
            )
        elif question == 1:
            q = evals.group_by(["recipe", "size", "step"]).agg(
                pl.col("primary_score").mean().alias("primary_score_mean"),
                pl.col("primary_score").std().alias("primary_score_std"),
            )
        else:
            caps = pl.DataFrame({"size": list(MAX_STEP_TO_USE), "cap": list(MAX_STEP_TO_USE.values())})
            e = (
                evals.join(caps.lazy(), on="size")
                .filter((pl.col("step") <= pl.col("cap")) & pl.col("primary_score").is_not_null()
                        & pl.col("primary_score").is_not_nan())
            )
            last = e.group_by(["recipe", "size"]).agg(pl.col("step").max())
            q = e.join(last, on=["recipe", "size", "step"]).group_by(["recipe", "size"]).agg(
                pl.col("step").max(),
                pl.len().alias("n_seeds"),
                pl.col("primary_score").mean().alias("primary_score_mean"),
                pl.col("primary_score").std().alias("primary_score_std"),
            )
        return q.collect().to_pandas()
    import pyarrow.dataset as ds

    base = os.path.join(lake, "evals")
    df = ds.dataset(files, format="parquet", partitioning="hive", partition_base_dir=base)
    df = df.to_table().to_pandas()
    df = df[(df["phase"] == "pretrain") & (df["task"] == TASK)]
    if question == 0:
        return df[df["size"] == SIZE][["run_uid", "recipe", "seed", "step", "primary_score"]]
    if question == 1:
        return (
            df.groupby(["recipe", "size", "step"])["primary_score"]
            .agg(["mean", "std"])
            .reset_index()
        )
    df = df[df["step"] <= df["size"].map(MAX_STEP_TO_USE)].dropna(subset=["primary_score"])
    last = df.groupby(["recipe", "size"])["step"].transform("max")
    return (
        df[df["step"] == last]
        .groupby(["recipe", "size"])["primary_score"]
        .agg(["mean", "std", "count"])
        .reset_index()
    )


def child(tool: str, question: int, lake: str, files: list[str]) -> None:
    best, rows = float("inf"), 0
    for _ in range(3):
        start = time.perf_counter()
        rows = len(answer(tool, question, lake, files))
        best = min(best, time.perf_counter() - start)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": best, "rows": rows, "peak_bytes": peak}))


def main() -> None:
    if sys.argv[1] == "--child":
        tool, question, lake = sys.argv[2], int(sys.argv[3]), sys.argv[4]
        child(tool, question, lake, json.loads(sys.stdin.read()))
        return
    lake = sys.argv[1]
    runlake_bin = sys.argv[2] if len(sys.argv) > 2 else "runlake"
    listing = subprocess.run(
        [runlake_bin, "files", lake, "--table", "evals"], capture_output=True, text=True, check=True
    ).stdout.split()
    files = [f if os.path.isabs(f) else os.path.join(lake, f) for f in listing if f.endswith(".parquet")]
    print(f"{len(files)} live evals files")
    print(f"| question | {' | '.join(TOOLS)} |")
    print(f"|---|{'---|' * len(TOOLS)}")
    for q, name in enumerate(QUESTIONS):
        cells = []
        for tool in TOOLS:
            out = subprocess.run(
                [sys.executable, __file__, "--child", tool, str(q), lake],
                input=json.dumps(files), capture_output=True, text=True,
            )
            if out.returncode != 0:
                cells.append("failed")
                print(out.stderr, file=sys.stderr)
                continue
            r = json.loads(out.stdout)
            cells.append(f"{r['seconds']:.3f} s, {r['peak_bytes'] / 1e6:.0f} MB ({r['rows']} rows)")
        print(f"| {name} | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
