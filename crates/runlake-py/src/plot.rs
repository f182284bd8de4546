//! Plots from Python: the `runlake plot` drawings as an object that shows itself in Jupyter.

use pyo3::prelude::*;
use pyo3::types::PyBytes;
use runlake_plot::{
    CompareOptions, CompareX, CurveOptions, PlotError, ScaleKind, ScalingOptions, ScalingX, YSpec,
};

use crate::errors::{LakeError, QueryError, value_err};
use crate::lake::Lake;
use crate::runtime::wait;

fn plot_err(e: PlotError) -> PyErr {
    match e {
        PlotError::Lake(e) => LakeError::new_err(e.to_string()),
        other => QueryError::new_err(other.to_string()),
    }
}

fn scale(s: &str) -> PyResult<ScaleKind> {
    match s {
        "log" => Ok(ScaleKind::Log),
        "linear" => Ok(ScaleKind::Linear),
        other => Err(value_err(format!(
            "unknown scale `{other}` (use log or linear)"
        ))),
    }
}

fn y_spec(task: Option<String>, metric: Option<String>, train: Option<String>) -> PyResult<YSpec> {
    match (task, train) {
        (Some(task), None) => Ok(YSpec::Eval {
            task,
            // As `runlake plot`: the task's primary metric unless one is named.
            metric: metric.unwrap_or_else(|| "primary".to_owned()),
        }),
        (None, Some(column)) => Ok(YSpec::Train(column)),
        _ => Err(value_err(
            "choose what to plot: task=TASK [metric=METRIC] or train=COLUMN",
        )),
    }
}

/// A drawing: `_repr_svg_` shows it in Jupyter; `save(path)` writes SVG, PNG or Vega-Lite
/// JSON by the file's extension; `notes` lists points that could not be drawn.
#[pyclass(module = "runlake", frozen)]
pub struct Plot {
    plot: runlake_plot::Plot,
}

#[pymethods]
impl Plot {
    /// Points or series that could not be drawn, one sentence each.
    #[getter]
    fn notes(&self) -> Vec<String> {
        self.plot.notes.clone()
    }

    /// The drawing as an SVG document.
    #[pyo3(signature = (width=900, height=520))]
    fn to_svg(&self, width: u32, height: u32) -> String {
        self.plot.to_svg_sized(width, height)
    }

    /// The drawing as PNG bytes of exactly `width` x `height` pixels.
    #[pyo3(signature = (width=900, height=520))]
    fn to_png<'py>(
        &self,
        py: Python<'py>,
        width: u32,
        height: u32,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let png = self.plot.to_png(width, height).map_err(plot_err)?;
        Ok(PyBytes::new(py, &png))
    }

    /// A Vega-Lite v5 specification (JSON text) with the data inlined.
    fn to_vega_lite(&self) -> PyResult<String> {
        serde_json::to_string_pretty(&self.plot.to_vega_lite())
            .map_err(|e| value_err(e.to_string()))
    }

    fn _repr_svg_(&self) -> String {
        self.plot.to_svg()
    }

    fn _repr_png_<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let (w, h) = runlake_plot::DEFAULT_SIZE;
        self.to_png(py, w, h)
    }

    /// Writes the drawing to `path`: `.png` as PNG, `.json` as Vega-Lite, else SVG.
    #[pyo3(signature = (path, width=900, height=520))]
    fn save(&self, path: std::path::PathBuf, width: u32, height: u32) -> PyResult<()> {
        let bytes = match path.extension().and_then(|e| e.to_str()) {
            Some("png") => self.plot.to_png(width, height).map_err(plot_err)?,
            Some("json") => self.to_vega_lite()?.into_bytes(),
            _ => self.plot.to_svg_sized(width, height).into_bytes(),
        };
        std::fs::write(&path, bytes)
            .map_err(|e| pyo3::exceptions::PyOSError::new_err(format!("{}: {e}", path.display())))
    }

    fn __repr__(&self) -> String {
        format!("<runlake.Plot {} series>", self.plot.series.len())
    }
}

/// Runs' continuous curves along cumulative tokens: pretraining, then each post-training
/// segment. Plot an eval (`task`, optional `metric`) or a training column (`train`).
#[pyfunction]
#[pyo3(signature = (lake, runs, task=None, metric=None, train=None, x_scale="log", zoom_post_training=true))]
#[allow(clippy::too_many_arguments)] // reason: mirrors the options of `runlake plot curve`
pub fn plot_curve(
    py: Python<'_>,
    lake: &Lake,
    runs: Vec<String>,
    task: Option<String>,
    metric: Option<String>,
    train: Option<String>,
    x_scale: &str,
    zoom_post_training: bool,
) -> PyResult<Plot> {
    let y = y_spec(task, metric, train)?;
    let opts = CurveOptions {
        x_scale: scale(x_scale)?,
        zoom_post_training,
    };
    let runs: Vec<&str> = runs.iter().map(String::as_str).collect();
    let plot = wait(
        py,
        runlake_plot::plot_curve(&lake.lake, &runs, &y, &opts),
        plot_err,
    )?;
    Ok(Plot { plot })
}

/// Scaling: one eval across tokens (or compute) per recipe and size; with `final_only`, one
/// point per size at its final checkpoint.
#[pyfunction]
#[pyo3(signature = (lake, task, metric="primary_score", recipes=vec![], sizes=vec![], x="tokens", x_scale="log", final_only=false, final_rule="max-step-to-use"))]
#[allow(clippy::too_many_arguments)] // reason: mirrors the options of `runlake plot scaling`
pub fn plot_scaling(
    py: Python<'_>,
    lake: &Lake,
    task: &str,
    metric: &str,
    recipes: Vec<String>,
    sizes: Vec<String>,
    x: &str,
    x_scale: &str,
    final_only: bool,
    final_rule: &str,
) -> PyResult<Plot> {
    let x = match x {
        "tokens" => ScalingX::Tokens,
        "compute" => ScalingX::Compute,
        other => {
            return Err(value_err(format!(
                "unknown x `{other}` (use tokens or compute)"
            )));
        }
    };
    let final_rule = crate::datadecide::final_rule(final_rule)?;
    let opts = ScalingOptions {
        recipes,
        sizes,
        x,
        x_scale: Some(scale(x_scale)?),
        final_only,
        final_rule,
    };
    let plot = wait(
        py,
        runlake_plot::plot_scaling(&lake.lake, task, metric, &opts),
        plot_err,
    )?;
    Ok(Plot { plot })
}

/// Post-training runs of one training type compared, coloured by a hyperparameter.
#[pyfunction]
#[pyo3(signature = (lake, training_type, color_by, task=None, metric=None, train=None, runs=vec![], x="step", x_scale="linear", y_scale="linear"))]
#[allow(clippy::too_many_arguments)] // reason: mirrors the options of `runlake plot compare`
pub fn plot_compare(
    py: Python<'_>,
    lake: &Lake,
    training_type: String,
    color_by: String,
    task: Option<String>,
    metric: Option<String>,
    train: Option<String>,
    runs: Vec<String>,
    x: &str,
    x_scale: &str,
    y_scale: &str,
) -> PyResult<Plot> {
    let x = match x {
        "step" => CompareX::Step,
        "tokens" => CompareX::Tokens,
        other => {
            return Err(value_err(format!(
                "unknown x `{other}` (use step or tokens)"
            )));
        }
    };
    let y = y_spec(task, metric, train)?;
    let opts = CompareOptions {
        training_type,
        color_by,
        runs,
        x,
        x_scale: Some(scale(x_scale)?),
        y_scale: Some(scale(y_scale)?),
    };
    let plot = wait(
        py,
        runlake_plot::plot_compare(&lake.lake, &y, &opts),
        plot_err,
    )?;
    Ok(Plot { plot })
}
