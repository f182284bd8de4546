//! The native half of `runlake.DataDecide`: the Rust `DataDecide` questions, each answered as
//! a lazy `Scan` or a finished batch. The Python class turns them into DataFrames.

use arrow::array::RecordBatch;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use runlake_reader::display::with_display_names;
use runlake_reader::{DataDecide, FinalRule, LakeReader, MetricType, Selection};

use crate::errors::{reader_err, value_err};
use crate::export::ArrowBatch;
use crate::runtime::wait;
use crate::scan::{Names, Scan};

/// A DataDecide selection: every list empty (or holding `all`) means all. Spellings are those
/// `runlake select` accepts.
#[pyclass(module = "runlake", name = "Selection", frozen)]
#[derive(Clone)]
pub struct PySelection {
    inner: Selection,
}

fn list(v: Option<Names>) -> Vec<String> {
    v.map(Names::into_vec).unwrap_or_default()
}

fn bounds(lo: Option<i64>, hi: Option<i64>) -> Option<(Option<i64>, Option<i64>)> {
    (lo.is_some() || hi.is_some()).then_some((lo, hi))
}

#[pymethods]
impl PySelection {
    #[new]
    #[pyo3(signature = (*, recipes=None, sizes=None, seeds=None, tasks=None, metrics=None,
        metric_type=None, recipe_groups=None, exclude_recipes=None, exclude_sizes=None,
        min_params=None, max_params=None, min_step=None, max_step=None, min_tokens=None,
        max_tokens=None))]
    #[allow(clippy::too_many_arguments)] // reason: mirrors the keyword arguments of `runlake select`
    fn new(
        recipes: Option<Names>,
        sizes: Option<Names>,
        seeds: Option<Names>,
        tasks: Option<Names>,
        metrics: Option<Names>,
        metric_type: Option<String>,
        recipe_groups: Option<Names>,
        exclude_recipes: Option<Names>,
        exclude_sizes: Option<Names>,
        min_params: Option<String>,
        max_params: Option<String>,
        min_step: Option<i64>,
        max_step: Option<i64>,
        min_tokens: Option<i64>,
        max_tokens: Option<i64>,
    ) -> PyResult<Self> {
        let mut tasks = list(tasks);
        if let Some(family) = metric_type {
            let family = MetricType::parse(&family).map_err(|e| value_err(e.to_string()))?;
            tasks.extend(family.tasks().into_iter().map(str::to_owned));
        }
        Ok(Self {
            inner: Selection {
                recipes: list(recipes),
                sizes: list(sizes),
                seeds: list(seeds),
                tasks,
                metrics: list(metrics),
                recipe_groups: list(recipe_groups),
                exclude_recipes: list(exclude_recipes),
                exclude_sizes: list(exclude_sizes),
                params: (min_params, max_params),
                steps: bounds(min_step, max_step),
                tokens: bounds(min_tokens, max_tokens),
            },
        })
    }

    fn __repr__(&self) -> String {
        format!("<runlake.Selection {:?}>", self.inner)
    }
}

/// Parses a final-checkpoint rule name (`max-step-to-use` or `per-seed-last`).
pub(crate) fn final_rule(name: &str) -> PyResult<FinalRule> {
    [FinalRule::MaxStepToUse, FinalRule::PerSeedLast]
        .into_iter()
        .find(|r| r.name() == name.replace('_', "-"))
        .ok_or_else(|| {
            value_err(format!(
                "unknown final rule `{name}` (use max-step-to-use or per-seed-last)"
            ))
        })
}

/// The DataDecide questions over one lake version.
#[pyclass(module = "runlake", frozen)]
pub struct DataDecideCore {
    dd: DataDecide,
}

impl DataDecideCore {
    pub(crate) fn new(reader: LakeReader) -> Self {
        Self {
            dd: DataDecide::new(reader),
        }
    }
}

fn batch(b: RecordBatch) -> ArrowBatch {
    ArrowBatch::new(b)
}

#[pymethods]
impl DataDecideCore {
    /// Pretraining evals of the selection, one row per (run, step, task).
    fn select(&self, sel: &PySelection) -> PyResult<Scan> {
        Ok(Scan::new(self.dd.select(&sel.inner).map_err(reader_err)?))
    }

    /// The selection averaged over seeds: mean, std and count per metric.
    fn mean_over_seeds(&self, sel: &PySelection) -> PyResult<Scan> {
        Ok(Scan::new(
            self.dd.mean_over_seeds(&sel.inner).map_err(reader_err)?,
        ))
    }

    /// The selection's rows at each recipe x size x task's final checkpoint, one per seed.
    fn final_rows(&self, sel: &PySelection, rule: &str) -> PyResult<Scan> {
        Ok(Scan::new(
            self.dd
                .final_rows(&sel.inner, final_rule(rule)?)
                .map_err(reader_err)?,
        ))
    }

    /// Each recipe x size x task at its final checkpoint, averaged over seeds.
    fn final_checkpoints(&self, sel: &PySelection, rule: &str) -> PyResult<Scan> {
        Ok(Scan::new(
            self.dd
                .final_checkpoints_by(&sel.inner, final_rule(rule)?)
                .map_err(reader_err)?,
        ))
    }

    /// What the final checkpoints under `rule` leave out or mix, one sentence each.
    fn final_notes(&self, py: Python<'_>, sel: &PySelection, rule: &str) -> PyResult<Vec<String>> {
        let rule = final_rule(rule)?;
        wait(py, self.dd.final_notes(&sel.inner, rule), reader_err)
    }

    /// Per eval source: rows of the selection and how many of them answer it.
    fn source_use<'py>(&self, py: Python<'py>, sel: &PySelection) -> PyResult<Bound<'py, PyList>> {
        let uses = wait(py, self.dd.source_use(&sel.inner), reader_err)?;
        let out = PyList::empty(py);
        for u in uses {
            let d = PyDict::new(py);
            d.set_item("source", u.source)?;
            d.set_item("rows", u.rows)?;
            d.set_item("used", u.used)?;
            out.append(d)?;
        }
        Ok(out)
    }

    /// The selection in datadec's wide `full_eval` layout: one row per checkpoint, one column
    /// per task x metric; with `display_names`, datadec's recipe and seed names.
    fn wide(&self, py: Python<'_>, sel: &PySelection, display_names: bool) -> PyResult<ArrowBatch> {
        let scan = self.dd.select(&sel.inner).map_err(reader_err)?;
        let schema = scan.schema().map_err(reader_err)?;
        let batches = wait(py, scan.collect(), reader_err)?;
        let mut wide = runlake_reader::widen(&schema, &batches).map_err(reader_err)?;
        if display_names {
            wide = with_display_names(&wide).map_err(reader_err)?;
        }
        Ok(batch(wide))
    }

    /// The continuous curve of a post-training run for one task and metric.
    #[pyo3(signature = (run, task, metric=None))]
    fn curve(
        &self,
        py: Python<'_>,
        run: &str,
        task: &str,
        metric: Option<&str>,
    ) -> PyResult<ArrowBatch> {
        wait(py, self.dd.curve(run, task, metric), reader_err).map(batch)
    }

    /// Every post-training run descending from `run` (at `at_step` of it, if given).
    #[pyo3(signature = (run, at_step=None))]
    fn descendants(&self, py: Python<'_>, run: &str, at_step: Option<i64>) -> PyResult<ArrowBatch> {
        wait(py, self.dd.descendants(run, at_step), reader_err).map(batch)
    }

    /// Post-training runs of one training type side by side with their hyperparameters and
    /// last score on `task`.
    fn compare_runs(
        &self,
        py: Python<'_>,
        training_type: &str,
        hparams: Vec<String>,
        task: &str,
        metric: &str,
    ) -> PyResult<ArrowBatch> {
        let hparams: Vec<&str> = hparams.iter().map(String::as_str).collect();
        wait(
            py,
            self.dd.compare_runs(training_type, &hparams, task, metric),
            reader_err,
        )
        .map(batch)
    }

    /// Post-training evals next to the pretraining evals of the checkpoint each started from.
    fn with_parent_evals(&self, tasks: Vec<String>, metric: &str) -> PyResult<Scan> {
        Ok(Scan::new(
            self.dd
                .with_parent_evals(&tasks, metric)
                .map_err(reader_err)?,
        ))
    }

    /// Every recipe the vocabulary knows: `(slug, display name)`, in datadec's order.
    #[staticmethod]
    fn known_recipes() -> Vec<(String, String)> {
        runlake_vocab::Recipe::all()
            .iter()
            .map(|r| (r.slug.to_owned(), r.display.to_owned()))
            .collect()
    }

    /// Every size label the vocabulary knows, smallest first.
    #[staticmethod]
    fn known_sizes() -> Vec<String> {
        runlake_vocab::Size::all()
            .iter()
            .map(|s| s.label.to_owned())
            .collect()
    }
}
