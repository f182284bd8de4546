"""Conversions of Arrow results to pyarrow, polars and pandas.

Every conversion reads the scan's batches through runlake's own iterator, so Ctrl-C stops a
long scan with ``KeyboardInterrupt``, and wraps the Arrow buffers without copying them.
"""

from __future__ import annotations

from typing import Any, Iterator

import pyarrow as pa


def to_batches(source: Any) -> Iterator[pa.RecordBatch]:
    """The result's batches as ``pyarrow.RecordBatch``es, read one at a time."""
    for batch in source._batches():
        yield pa.record_batch(batch)


def to_arrow(source: Any) -> pa.Table:
    """The whole result as a ``pyarrow.Table``."""
    schema = pa.schema(source)
    return pa.Table.from_batches(list(to_batches(source)), schema=schema)


def to_polars(source: Any) -> Any:
    """The whole result as a ``polars.DataFrame``."""
    import polars as pl

    return pl.from_arrow(to_arrow(source), rechunk=False)


def to_pandas(source: Any) -> Any:
    """The whole result as a ``pandas.DataFrame``."""
    return to_arrow(source).to_pandas()


BACKENDS = ("pandas", "polars", "arrow")


def table_as(table: pa.Table, backend: str) -> Any:
    """A ``pyarrow.Table`` as the DataFrame of ``backend`` (pandas, polars or arrow)."""
    if backend == "arrow":
        return table
    if backend == "pandas":
        return table.to_pandas()
    if backend == "polars":
        import polars as pl

        return pl.from_arrow(table, rechunk=False)
    raise ValueError(f"unknown backend {backend!r} (use one of {', '.join(BACKENDS)})")


def batch_table(batch: Any) -> pa.Table:
    """A native ``ArrowBatch`` as a one-batch ``pyarrow.Table``."""
    return pa.Table.from_batches([pa.record_batch(batch)])
