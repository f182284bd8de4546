"""``runlake.DataDecide``: datadec's questions over a runlake lake, answered as DataFrames.

The answers come from the Rust ``DataDecide`` interface (the one ``runlake select`` uses), so
they match the CLI row for row. Selections take datadec's keyword names (``data``, ``params``,
``seeds``, ``step_lims``, ``token_lims``, ``metrics``, ``metric_type``, ``min_params``,
``max_params``) and runlake's (``recipe``, ``size``, ``seed``, ``task``, ``metric``,
``min_step`` ...), with every spelling the CLI accepts: ``"Dolma1.7"`` or ``"dolma17"``,
``"150M"`` or ``"150m"``, seed names or datadec's integers 0-4, short or full task names.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

import pyarrow as pa

from runlake import _frames
from runlake._runlake import Lake, Scan, Selection
from runlake._runlake import open as _open

# datadec's keyword -> runlake's Selection field.
_LISTS = {
    "data": "recipes",
    "recipe": "recipes",
    "recipes": "recipes",
    "params": "sizes",
    "size": "sizes",
    "sizes": "sizes",
    "seed": "seeds",
    "seeds": "seeds",
    "task": "tasks",
    "tasks": "tasks",
    "metric": "metrics",
    "metrics": "metrics",
    "recipe_group": "recipe_groups",
    "recipe_groups": "recipe_groups",
    "exclude_data": "exclude_recipes",
    "exclude_recipe": "exclude_recipes",
    "exclude_recipes": "exclude_recipes",
    "exclude_params": "exclude_sizes",
    "exclude_size": "exclude_sizes",
    "exclude_sizes": "exclude_sizes",
}
_SCALARS = (
    "metric_type",
    "min_params",
    "max_params",
    "min_step",
    "max_step",
    "min_tokens",
    "max_tokens",
)


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (str, int)):
        value = [value]
    return [str(v) for v in value]


def selection(**kwargs: Any) -> Selection:
    """A ``runlake.Selection`` from datadec's or runlake's keyword arguments."""
    fields: dict[str, Any] = {}
    for key, value in kwargs.items():
        if value is None:
            continue
        if key in _LISTS:
            fields.setdefault(_LISTS[key], []).extend(_names(value))
        elif key in ("step_lims", "token_lims"):
            lo, hi = value
            which = "step" if key == "step_lims" else "tokens"
            fields[f"min_{which}"], fields[f"max_{which}"] = lo, hi
        elif key in _SCALARS:
            fields[key] = str(value) if key.endswith("params") else value
        else:
            raise TypeError(f"unknown selection keyword {key!r}")
    return Selection(**fields)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class DataDecide:
    """datadec's ``DataDecide`` questions over one version of a runlake lake.

    ``lake`` is an open ``runlake.Lake`` or anything ``runlake.open`` accepts. Every answer is
    a DataFrame of ``backend`` (``"pandas"`` by default, ``"polars"`` or ``"arrow"``), which
    each method's ``backend=`` overrides; ``lazy=True`` returns the ``runlake.Scan`` instead.
    ``final_rule`` is how final checkpoints are found: ``"max-step-to-use"`` (datadec's) or
    ``"per-seed-last"``.
    """

    def __init__(
        self,
        lake: Lake | str,
        backend: str = "pandas",
        final_rule: str = "max-step-to-use",
    ) -> None:
        if backend not in _frames.BACKENDS:
            raise ValueError(f"unknown backend {backend!r} (use one of {', '.join(_frames.BACKENDS)})")
        self.lake = lake if isinstance(lake, Lake) else _open(str(lake))
        self.backend = backend
        self.final_rule = final_rule
        self._core = self.lake._datadecide()

    def __repr__(self) -> str:
        return f"<runlake.DataDecide over {self.lake.uri!r} version {self.lake.version}>"

    # -- answers -----------------------------------------------------------------------

    def _answer(self, scan: Scan, backend: str | None, lazy: bool) -> Any:
        if lazy:
            return scan
        return _frames.table_as(scan.to_arrow(), backend or self.backend)

    def _batch(self, batch: Any, backend: str | None) -> Any:
        return _frames.table_as(_frames.batch_table(batch), backend or self.backend)

    def select_subset(self, *, backend: str | None = None, lazy: bool = False, **sel: Any) -> Any:
        """Pretraining evals of the selection, one row per (run, step, task): ``run_uid,
        recipe, size, seed, step, tokens, tokens_derived, compute, compute_derived,
        tokens_expected, task, source`` and the metric columns (default ``primary_score``).
        Where several sources hold a checkpoint's task, the preferred source answers."""
        return self._answer(self._core.select(selection(**sel)), backend, lazy)

    select = select_subset

    def full_eval(self, *, display_names: bool = True, backend: str | None = None, **sel: Any) -> Any:
        """The selection in datadec's wide ``full_eval`` layout: one row per checkpoint, one
        column per task x metric (``arc_challenge_acc_raw``, ``pile-valppl``); with
        ``display_names``, datadec's recipe and seed names (``Dolma1.7``, ``default``)."""
        return self._batch(self._core.wide(selection(**sel), display_names), backend)

    def mean_eval(self, *, backend: str | None = None, lazy: bool = False, **sel: Any) -> Any:
        """The selection averaged over seeds, like datadec's ``mean_eval`` /
        ``aggregate_results(df, return_std=True)``: one row per (recipe, size, step, task) with
        ``tokens``, ``n_seeds`` and ``<metric>_mean``, ``<metric>_std`` (sample) and
        ``<metric>_count`` per metric."""
        return self._answer(self._core.mean_over_seeds(selection(**sel)), backend, lazy)

    mean_over_seeds = mean_eval

    def final_checkpoints(
        self,
        *,
        mean: bool = True,
        rule: str | None = None,
        backend: str | None = None,
        lazy: bool = False,
        **sel: Any,
    ) -> Any:
        """Each recipe x size x task at its final checkpoint (datadec's
        ``filter_data_quality(df, ["max_steps"])`` then the last step). With ``mean`` (the
        default) one row per recipe x size x task averaged over seeds (``step``, ``min_step``,
        ``tokens``, ``n_seeds``, mean/std/count per metric); without, one row per seed."""
        rule = rule or self.final_rule
        s = selection(**sel)
        scan = self._core.final_checkpoints(s, rule) if mean else self._core.final_rows(s, rule)
        return self._answer(scan, backend, lazy)

    def final_notes(self, *, rule: str | None = None, **sel: Any) -> list[str]:
        """What the final checkpoints leave out (seeds without a value at the final step) or
        mix (seeds at different steps), one sentence each."""
        return self._core.final_notes(selection(**sel), rule or self.final_rule)

    def source_use(self, **sel: Any) -> list[dict]:
        """Per eval source, the selection's rows and how many answer it (the rest are
        shadowed by a preferred source)."""
        return self._core.source_use(selection(**sel))

    # -- names -------------------------------------------------------------------------

    def _distinct(self, column: str) -> set[str]:
        scan = (
            self.lake.scan("metadata")
            .filter(f"phase = 'pretrain' AND {column} IS NOT NULL")
            .group_by(column)
            .agg()
        )
        return set(scan.to_arrow().column(column).to_pylist())

    @property
    def recipes(self) -> list[str]:
        """The recipes (slugs) with pretraining runs in the lake, in datadec's order."""
        present = self._distinct("recipe")
        known = [slug for slug, _ in self._core.known_recipes()]
        return [r for r in known if r in present] + sorted(present - set(known))

    @property
    def sizes(self) -> list[str]:
        """The model sizes with pretraining runs in the lake, smallest first."""
        present = self._distinct("size")
        known = self._core.known_sizes()
        return [s for s in known if s in present] + sorted(present - set(known))

    @property
    def all_data_param_combos(self) -> list[tuple[str, str]]:
        """Every (recipe, size) pair with pretraining runs in the lake."""
        scan = (
            self.lake.scan("metadata")
            .filter("phase = 'pretrain' AND recipe IS NOT NULL AND size IS NOT NULL")
            .group_by("recipe", "size")
            .agg()
            .sort(["recipe", "size"])
        )
        t = scan.to_arrow()
        return list(zip(t.column("recipe").to_pylist(), t.column("size").to_pylist()))

    def select_data(self, data: Any = "all", exclude: Any = None) -> list[str]:
        """Recipes as datadec's ``select_data``: any spelling, ``"all"``, minus ``exclude``;
        returns canonical slugs present in the lake. Unknown names raise ``QueryError``."""
        return self._names_of("recipe", recipe=data, exclude_recipe=exclude)

    def select_params(self, params: Any = "all", exclude: Any = None) -> list[str]:
        """Sizes as datadec's ``select_params``: any spelling, ``"all"``, minus ``exclude``."""
        return self._names_of("size", size=params, exclude_size=exclude)

    def _names_of(self, column: str, **sel: Any) -> list[str]:
        # The Rust selection resolves the spellings; the lake's checkpoints say which exist.
        scan = self._core.select(selection(**sel)).group_by(column).agg()
        present = set(scan.to_arrow().column(column).to_pylist())
        order = self.recipes if column == "recipe" else self.sizes
        return [n for n in order if n in present]

    # -- runs --------------------------------------------------------------------------

    def run_metadata(
        self, runs: Iterable[str] | None = None, *, backend: str | None = None, lazy: bool = False
    ) -> Any:
        """The ``metadata`` table (one row per run: recipe, size, seed, model shape, training
        hyperparameters, ...), for ``runs`` or every run; datadec's ``model_details``."""
        scan = self.lake.scan("metadata")
        if runs is not None:
            runs = list(runs)
            if not runs:
                raise ValueError("runs is empty")
            scan = scan.filter(f"run_uid IN ({', '.join(_quote(r) for r in runs)})")
        return self._answer(scan, backend, lazy)

    def curve(self, run: str, task: str, metric: str | None = None, *, backend: str | None = None) -> Any:
        """The continuous curve of a post-training run for one task and metric (default
        ``primary_score``): its lineage's pretraining checkpoints up to the parent step, then
        each post-training segment, on one ``cumulative_tokens`` axis."""
        return self._batch(self._core.curve(run, task, metric), backend)

    def lineage(self, run: str) -> dict | None:
        """The lineage chain of a post-training run back to pretraining, root first, as
        ``runlake lineage --json`` gives it; ``None`` when the run has none. A name that is
        no run raises ``QueryError`` naming the closest runs."""
        return self.lake.lineage(run)

    def descendants(self, run: str, at_step: int | None = None, *, backend: str | None = None) -> Any:
        """Every post-training run descending from ``run`` (only from its checkpoint
        ``at_step`` when given), breadth first: ``run_uid, parent_run_uid, parent_step,
        relation, depth``."""
        return self._batch(self._core.descendants(run, at_step), backend)

    def compare_runs(
        self,
        training_type: str,
        task: str,
        hparams: Sequence[str] = (),
        metric: str = "primary_score",
        *,
        backend: str | None = None,
    ) -> Any:
        """Post-training runs of one training type side by side: ``run_uid, run_name``, the
        asked hyperparameters, then each run's last ``metric`` on ``task``, best first."""
        return self._batch(self._core.compare_runs(training_type, list(hparams), task, metric), backend)

    def with_parent_evals(
        self,
        tasks: Sequence[str] = (),
        metric: str = "primary_score",
        *,
        backend: str | None = None,
        lazy: bool = False,
    ) -> Any:
        """Post-training evals next to the pretraining eval of the checkpoint each run started
        from: ``run_uid, parent_run_uid, parent_step, task, <metric>, parent_<metric>``."""
        return self._answer(self._core.with_parent_evals(list(tasks), metric), backend, lazy)

    def compare_checkpoint(
        self,
        run: str,
        step: int,
        tasks: Sequence[str] = (),
        metric: str = "primary_score",
        *,
        backend: str | None = None,
        lazy: bool = False,
    ) -> Any:
        """The post-training runs started from checkpoint ``step`` of pretraining run ``run``,
        each eval next to the checkpoint's own (``with_parent_evals`` narrowed to it)."""
        scan = self._core.with_parent_evals(list(tasks), metric).filter(
            f"parent_run_uid = {_quote(run)} AND parent_step = {int(step)}"
        )
        return self._answer(scan, backend, lazy)
