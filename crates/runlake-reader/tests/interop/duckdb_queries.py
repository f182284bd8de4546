"""Runs the reader's fixed queries with DuckDB over a lake's Parquet folders.

Usage: duckdb_queries.py LAKE_DIR OUT_DIR [TASK SIZE]
Writes OUT_DIR/q1.parquet ... q4.parquet and prints `name seconds` per query.
"""

import os
import sys
import time

import duckdb

lake, out = sys.argv[1], sys.argv[2]
task = sys.argv[3] if len(sys.argv) > 3 else "piqa"
size = sys.argv[4] if len(sys.argv) > 4 else "150M"


def table(name):
    return f"read_parquet('{lake}/{name}/**/*.parquet', hive_partitioning = true)"


evals, lineage = table("evals"), table("lineage")
queries = {
    "q1": f"""
        SELECT run_uid, recipe, seed, step, primary_score FROM {evals}
        WHERE phase = 'pretrain' AND task = '{task}' AND size = '{size}'""",
    "q2": f"""
        WITH e AS (SELECT * FROM {evals} WHERE phase = 'pretrain' AND task = '{task}'),
        f AS (SELECT run_uid, max(step) AS step FROM e GROUP BY run_uid)
        SELECT e.recipe, e.size, max(e.step) AS step, count(*) AS n_seeds,
               avg(e.primary_score) AS primary_score_mean
        FROM e JOIN f ON e.run_uid = f.run_uid AND e.step = f.step
        GROUP BY e.recipe, e.size""",
    "q3": f"""
        SELECT recipe, size, step, avg(primary_score) AS primary_score_mean,
               stddev_samp(primary_score) AS primary_score_std,
               count(primary_score) AS primary_score_count
        FROM {evals} WHERE phase = 'pretrain' AND task = '{task}'
        GROUP BY recipe, size, step""",
    "q4": f"""
        SELECT p.run_uid, l.parent_run_uid, l.parent_step, p.task,
               p.primary_score, e.primary_score AS parent_primary_score
        FROM {lineage} l
        JOIN {evals} p ON p.run_uid = l.child_run_uid AND p.phase = 'posttrain'
        JOIN {evals} e ON e.run_uid = l.parent_run_uid AND e.step = l.parent_step
                      AND e.task = p.task AND e.phase = 'pretrain'
        WHERE l.resolved AND l.parent_step IS NOT NULL""",
}

con = duckdb.connect()
for name, sql in queries.items():
    start = time.perf_counter()
    rows = con.execute(sql).to_arrow_table()
    elapsed = time.perf_counter() - start
    import pyarrow.parquet as pq

    pq.write_table(rows, os.path.join(out, f"{name}.parquet"), compression="zstd")
    print(f"{name} {elapsed:.6f} {rows.num_rows}")
