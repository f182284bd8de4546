//! `runlake plot LAKE curve|scaling|compare ... --output FILE`.

use std::process::ExitCode;

use runlake_plot::{
    CompareOptions, CompareX, CurveOptions, Plot, PlotError, ScaleKind, ScalingOptions, ScalingX,
    YSpec,
};

use super::{CliError, CmdResult, open};
use crate::cli::{PlotArgs, PlotKind, PlotOutputArgs, YArgs};

fn plot_error(e: PlotError) -> CliError {
    match e {
        PlotError::Lake(e) => CliError::Lake(e),
        PlotError::Reader(e) => CliError::Reader(e),
        other => CliError::Usage(other.to_string()),
    }
}

fn scale(s: &str) -> Result<ScaleKind, CliError> {
    match s {
        "log" => Ok(ScaleKind::Log),
        "linear" => Ok(ScaleKind::Linear),
        other => Err(CliError::Usage(format!(
            "unknown scale `{other}` (use log or linear)"
        ))),
    }
}

fn y_spec(y: &YArgs) -> Result<YSpec, CliError> {
    match (&y.task, &y.train) {
        (Some(task), None) => Ok(YSpec::Eval {
            task: task.clone(),
            metric: y.metric.clone(),
        }),
        (None, Some(col)) => Ok(YSpec::Train(col.clone())),
        _ => Err(CliError::Usage(
            "choose what to plot: --task TASK [--metric METRIC] or --train COLUMN".into(),
        )),
    }
}

pub async fn run(args: PlotArgs) -> CmdResult {
    let lake = open(&args.lake).await?;
    let (plot, out) = match &args.kind {
        PlotKind::Curve(a) => {
            let runs: Vec<&str> = a.runs.iter().map(String::as_str).collect();
            let opts = CurveOptions {
                x_scale: scale(&a.x_scale)?,
                zoom_post_training: !a.no_zoom,
            };
            let plot = runlake_plot::plot_curve(&lake, &runs, &y_spec(&a.y)?, &opts)
                .await
                .map_err(plot_error)?;
            (plot, &a.out)
        }
        PlotKind::Scaling(a) => {
            let x = match a.x.as_str() {
                "tokens" => ScalingX::Tokens,
                "compute" => ScalingX::Compute,
                other => {
                    return Err(CliError::Usage(format!(
                        "unknown x `{other}` (use tokens or compute)"
                    )));
                }
            };
            let opts = ScalingOptions {
                recipes: a.recipes.clone(),
                sizes: a.sizes.clone(),
                x,
                x_scale: Some(scale(&a.x_scale)?),
                final_only: a.final_only,
                final_rule: super::query::final_rule(&a.final_rule)?,
            };
            let plot = runlake_plot::plot_scaling(&lake, &a.task, &a.metric, &opts)
                .await
                .map_err(plot_error)?;
            (plot, &a.out)
        }
        PlotKind::Compare(a) => {
            let x = match a.x.as_str() {
                "step" => CompareX::Step,
                "tokens" => CompareX::Tokens,
                other => {
                    return Err(CliError::Usage(format!(
                        "unknown x `{other}` (use step or tokens)"
                    )));
                }
            };
            let opts = CompareOptions {
                training_type: a.training_type.clone(),
                color_by: a.color_by.clone(),
                runs: a.runs.clone(),
                x,
                x_scale: Some(scale(&a.x_scale)?),
                y_scale: a.log_y.then_some(runlake_plot::ScaleKind::Log),
            };
            let plot = runlake_plot::plot_compare(&lake, &y_spec(&a.y)?, &opts)
                .await
                .map_err(plot_error)?;
            (plot, &a.out)
        }
    };
    write(&plot, out)?;
    Ok(ExitCode::SUCCESS)
}

fn write(plot: &Plot, out: &PlotOutputArgs) -> Result<(), CliError> {
    let format = match &out.format {
        Some(f) => f.clone(),
        None => match out.output.extension().and_then(|e| e.to_str()) {
            Some("png") => "png".into(),
            Some("json") => "vega-lite".into(),
            _ => "svg".into(),
        },
    };
    let bytes = match format.as_str() {
        "svg" => plot.to_svg_sized(out.width, out.height).into_bytes(),
        "png" => plot.to_png(out.width, out.height).map_err(plot_error)?,
        "vega-lite" | "vegalite" | "json" => {
            let mut text = serde_json::to_string_pretty(&plot.to_vega_lite())
                .map_err(std::io::Error::other)?;
            text.push('\n');
            text.into_bytes()
        }
        other => {
            return Err(CliError::Usage(format!(
                "unknown format `{other}` (use svg, png or vega-lite)"
            )));
        }
    };
    std::fs::write(&out.output, bytes)?;
    // Points that could not be drawn are reported, never dropped silently.
    for note in &plot.notes {
        eprintln!("note: {note}");
    }
    eprintln!(
        "wrote {} ({format}, {} series)",
        out.output.display(),
        plot.series.len()
    );
    Ok(())
}
