"""`convert` and `sync` with a progress bar in notebooks and terminals (tqdm, when installed;
silent otherwise)."""

from __future__ import annotations

import os
from typing import Any, Callable, Iterable, Union

from runlake import _runlake

PathLike = Union[str, "os.PathLike[str]"]


def _progress_bar(show: bool, unit: str) -> tuple[Callable | None, Callable[[], None]]:
    """A callback drawing `(text, done, total)` on a tqdm bar, and a function closing it."""
    if not show:
        return None, lambda: None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None, lambda: None
    bar = tqdm(total=0, unit=unit, leave=False)

    def update(text: str, done: int, total: int) -> None:
        bar.set_description_str(text, refresh=False)
        if total:
            bar.total = total
            bar.n = done
        bar.refresh()

    return update, bar.close


def convert(
    inputs: Union[PathLike, Iterable[PathLike]],
    lake: str,
    *,
    on_error: str = "fail",
    replace: bool = False,
    endpoint: str | None = None,
    progress: bool = True,
    kind: str | None = None,
) -> dict[str, Any]:
    """Converts exports (DataDecide eval-results, ppl-results, datadec tables, W&B exports,
    oe-eval folders) into `lake`, created when missing, as `runlake convert` does.

    `on_error="fail"` commits nothing and raises on the first bad record; `"skip"` leaves bad
    records out and lists them in the summary. `kind` forces the inputs' kind instead of
    detecting it, by the names `runlake convert --kind` takes (`dd-eval-results`,
    `dd-macro-avg`, `dd-ppl`, `datadec-full-eval`, `wandb`, `oe-eval`). Returns the summary
    as a dict (what `runlake convert --json` prints); shows a progress bar while reading when
    tqdm is installed and `progress` is true.
    """
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    paths = [os.fspath(p) for p in inputs]
    callback, close = _progress_bar(progress, "file")
    try:
        return _runlake.convert(
            paths,
            str(lake),
            on_error=on_error,
            replace=replace,
            endpoint=endpoint,
            progress=callback,
            kind=kind,
        )
    finally:
        close()


def sync(
    source: str,
    destination: str,
    *,
    endpoint: str | None = None,
    rebase: bool = False,
    force: bool = False,
    dry_run: bool = False,
    progress: bool = True,
) -> dict[str, Any]:
    """Brings the lake at `source` to `destination` (folders, `s3://`, `gs://`) as
    `runlake sync` does: only missing files travel, and the destination is a consistent lake
    at every moment. Returns the report as a dict."""
    callback, close = _progress_bar(progress, "B")
    try:
        return _runlake.sync(
            str(source),
            str(destination),
            endpoint=endpoint,
            rebase=rebase,
            force=force,
            dry_run=dry_run,
            progress=callback,
        )
    finally:
        close()
