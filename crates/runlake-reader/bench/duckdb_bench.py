"""DuckDB side of the reader benchmark: the same five queries over the lake's Parquet files.

Usage: duckdb_bench.py LAKE_DIR TASK SIZE CHAIN_RUN
Prints `cold|warm qN best_seconds rows` per query (best of five runs), first with
DuckDB's defaults, then with its Parquet metadata cache on.
"""

import sys
import time

import duckdb

import reader_queries

lake, task, size, chain_run = sys.argv[1:5]
queries = reader_queries.queries(lake, task, size, chain_run)

con = duckdb.connect()
# cold: DuckDB's default, every query reads the Parquet footers again;
# warm: footers kept between queries, as runlake's reader keeps them.
for mode, cache in (("cold", "false"), ("warm", "true")):
    con.execute(f"SET parquet_metadata_cache = {cache}")
    for name, sql in queries.items():
        best, rows = float("inf"), 0
        for _ in range(5):
            start = time.perf_counter()
            table_ = con.sql(sql).to_arrow_table()
            best = min(best, time.perf_counter() - start)
            rows = table_.num_rows
        print(f"{mode} {name} {best:.6f} {rows}")
