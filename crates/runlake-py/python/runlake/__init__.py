"""Read runlake lakes from Python.

``runlake.open(uri)`` opens a lake (a folder, ``file://``, ``s3://`` or ``gs://``);
``lake.scan("evals")`` starts a lazy query that runs in runlake's Rust engine and hands its
rows over as Arrow without a copy: ``.to_arrow()``, ``.to_polars()``, ``.to_pandas()``,
``.to_batches()``, or directly ``pyarrow.table(scan)``, ``polars.DataFrame(scan)`` and
DuckDB's ``FROM scan``. ``runlake.DataDecide(lake)`` answers datadec's questions.
"""

from runlake._runlake import (
    Agg,
    ArrowBatch,
    DataError,
    GroupBy,
    Lake,
    LakeError,
    ParseError,
    Plot,
    QueryError,
    RunlakeError,
    Scan,
    Selection,
    __version__,
    open,
    plot_compare,
    plot_curve,
    plot_scaling,
)
from runlake._tools import convert, sync
from runlake.datadecide import DataDecide

__all__ = [
    "Agg",
    "ArrowBatch",
    "DataDecide",
    "DataError",
    "GroupBy",
    "Lake",
    "LakeError",
    "ParseError",
    "Plot",
    "QueryError",
    "RunlakeError",
    "Scan",
    "Selection",
    "__version__",
    "convert",
    "open",
    "plot_compare",
    "plot_curve",
    "plot_scaling",
    "sync",
]
