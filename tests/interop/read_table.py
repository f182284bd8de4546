"""Reads one table folder of a runlake lake the way a plain-Parquet user would, and writes
what it saw to a single Parquet file for the Rust test to compare.

usage: read_table.py pyarrow|duckdb|polars TABLE_FOLDER partitioned|flat OUT.parquet

The globs are the ones the README documents: `T/*=*/*.parquet` for a partitioned table and
`T/*.parquet` otherwise, so they never descend into `_delta_log/` (whose checkpoints are
Parquet files too).
"""

import sys


def main() -> None:
    engine, folder, layout, out = sys.argv[1:5]
    glob = folder + ("/*=*/*.parquet" if layout == "partitioned" else "/*.parquet")
    if engine == "pyarrow":
        import pyarrow.dataset as ds
        import pyarrow.parquet as pq

        table = ds.dataset(folder, format="parquet", partitioning="hive").to_table()
        pq.write_table(table, out, compression="zstd")
    elif engine == "duckdb":
        import duckdb

        con = duckdb.connect()
        con.execute(
            "COPY (SELECT * FROM read_parquet(?, hive_partitioning = true)) "
            "TO '" + out.replace("'", "''") + "' (FORMAT parquet, COMPRESSION zstd)",
            [glob],
        )
    elif engine == "polars":
        import polars as pl

        frame = pl.scan_parquet(glob, hive_partitioning=True).collect()
        frame.write_parquet(out, compression="zstd")
    else:
        raise SystemExit(f"unknown engine {engine}")


if __name__ == "__main__":
    main()
