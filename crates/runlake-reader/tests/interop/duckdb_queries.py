"""Runs the reader benchmark's questions 1-4 with DuckDB over a lake's Parquet folders.

Usage: duckdb_queries.py LAKE_DIR OUT_DIR [TASK SIZE]
Writes OUT_DIR/q1.parquet ... q4.parquet and prints `name seconds rows` per query.
"""

import os
import sys
import time

import duckdb
import pyarrow.parquet as pq

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
import reader_queries  # noqa: E402  (found through the path set just above)

lake, out = sys.argv[1], sys.argv[2]
task = sys.argv[3] if len(sys.argv) > 3 else "piqa"
size = sys.argv[4] if len(sys.argv) > 4 else "150M"

con = duckdb.connect()
for name, sql in reader_queries.queries(lake, task, size).items():
    start = time.perf_counter()
    rows = con.sql(sql).to_arrow_table()
    elapsed = time.perf_counter() - start
    pq.write_table(rows, os.path.join(out, f"{name}.parquet"), compression="zstd")
    print(f"{name} {elapsed:.6f} {rows.num_rows}")
