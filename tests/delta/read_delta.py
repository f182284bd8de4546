"""Reads versions of runlake table folders as Delta tables, the way a Delta user would, and
writes what each read saw to a Parquet file for the Rust test to compare.

usage: read_delta.py deltalake|polars STORAGE_OPTIONS_JSON TABLE_URI:VERSION:OUT.parquet ...
(VERSION `latest` reads the newest version; a read that fails writes OUT.parquet.error)
"""

import json
import sys


def read(engine: str, uri: str, version, options):
    if engine == "deltalake":
        from deltalake import DeltaTable

        table = DeltaTable(uri, version=version, storage_options=options or None)
        return table.to_pyarrow_table()
    if engine == "polars":
        import polars as pl

        frame = pl.scan_delta(uri, version=version, storage_options=options or None).collect()
        return frame.to_arrow()
    raise SystemExit(f"unknown engine {engine}")


def main() -> None:
    import pyarrow.parquet as pq

    engine, options = sys.argv[1], json.loads(sys.argv[2])
    for item in sys.argv[3:]:
        uri, version, out = item.rsplit(":", 2)
        version = None if version == "latest" else int(version)
        try:
            table = read(engine, uri, version, options)
        except Exception as e:  # noqa: BLE001 - the test asserts on which reads fail
            with open(out + ".error", "w") as f:
                f.write(f"{type(e).__name__}: {e}")
            continue
        pq.write_table(table, out, compression="zstd")


if __name__ == "__main__":
    main()
