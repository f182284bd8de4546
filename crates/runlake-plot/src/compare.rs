//! A post-training comparison: one line per run of a training type, coloured by a chosen
//! hyperparameter.

use runlake_format::tables::Phase;

use crate::curve::YSpec;
use crate::data::{EvalRow, HValue, LakeData, RunRow, StepRow};
use crate::error::{PlotError, Result};
use crate::palette;
use crate::plot::{Axis, LegendEntry, Plot, Series, Style};
use crate::scale::ScaleKind;
use crate::sources::pick_sources;
use crate::units::Unit;

/// The x axis of a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CompareX {
    /// The logged step.
    #[default]
    Step,
    /// Post-training tokens (`total_tokens`).
    Tokens,
}

/// Options of [`plot_compare`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CompareOptions {
    /// Training type: `sft`, `dpo`, `other`.
    pub training_type: String,
    /// Hyperparameter colouring the lines: a typed `metadata` column (`learning_rate`) or a key
    /// of `hparams` (`lr_scheduler_type`, `a.b.c`).
    pub color_by: String,
    /// Runs to draw (uids or names); empty draws every run of the type.
    pub runs: Vec<String>,
    /// Step or tokens.
    pub x: CompareX,
    /// Scale of x; linear by default (`None`).
    pub x_scale: Option<ScaleKind>,
    /// Scale of y; linear by default (`None`). A log scale leaves out values <= 0.
    pub y_scale: Option<ScaleKind>,
}

/// Reads the lake and draws the comparison.
pub async fn plot_compare(
    lake: &runlake_lake::Lake,
    y: &YSpec,
    opts: &CompareOptions,
) -> Result<Plot> {
    let data = LakeData::latest(lake).await?;
    let runs = data.runs().await?;
    let column = match y {
        YSpec::Train(c) => c.as_str(),
        YSpec::Eval { .. } => "train_loss",
    };
    let steps = data.steps(column).await?;
    let evals = match y {
        YSpec::Eval { task, metric } => data.evals(task, metric).await?,
        YSpec::Train(_) => Vec::new(),
    };
    build_compare(&runs, &steps, &evals, y, opts)
}

/// Orders hyperparameter values: numbers numerically before text.
fn value_order(a: &HValue, b: &HValue) -> std::cmp::Ordering {
    match (a, b) {
        (HValue::Num(x), HValue::Num(y)) => x.total_cmp(y),
        (HValue::Num(_), HValue::Text(_)) => std::cmp::Ordering::Less,
        (HValue::Text(_), HValue::Num(_)) => std::cmp::Ordering::Greater,
        (HValue::Text(x), HValue::Text(y)) => x.cmp(y),
    }
}

/// Builds the comparison from rows.
pub fn build_compare(
    runs: &[RunRow],
    steps: &[StepRow],
    evals: &[EvalRow],
    y: &YSpec,
    opts: &CompareOptions,
) -> Result<Plot> {
    let mut notes = Vec::new();
    let x_scale = opts.x_scale.unwrap_or(ScaleKind::Linear);
    let y_scale = opts.y_scale.unwrap_or(ScaleKind::Linear);
    let chosen: Vec<&RunRow> = if opts.runs.is_empty() {
        runs.iter()
            .filter(|r| {
                r.phase == Phase::Posttrain.as_str() && r.training_type == opts.training_type
            })
            .collect()
    } else {
        let mut out = Vec::new();
        for name in &opts.runs {
            let uid = runlake_domain::resolve_run(
                runs.iter()
                    .map(|r| (r.run_uid.as_str(), r.run_name.as_deref())),
                name,
            )?;
            if let Some(r) = runs.iter().find(|r| r.run_uid == uid) {
                if r.training_type != opts.training_type {
                    notes.push(format!(
                        "{uid} is {}, not {}; drawn anyway",
                        r.training_type, opts.training_type
                    ));
                }
                out.push(r);
            }
        }
        out
    };
    if chosen.is_empty() {
        return Err(PlotError::Empty(format!(
            "no post-training runs of type `{}`",
            opts.training_type
        )));
    }
    // Distinct values in order; `None` (runs without the value) last.
    let mut values: Vec<HValue> = Vec::new();
    for r in &chosen {
        if let Some(v) = r.hparam(&opts.color_by)
            && !values.contains(v)
        {
            values.push(v.clone());
        }
    }
    values.sort_by(value_order);
    let style_of = |v: Option<&HValue>| match v.and_then(|v| values.iter().position(|x| x == v)) {
        Some(i) => Style {
            color: palette::color(i).to_owned(),
            dash: palette::dash_for(i),
        },
        None => Style::solid(palette::MISSING),
    };
    let group_of = |v: Option<&HValue>| match v {
        Some(v) => v.to_string(),
        None => "not set".to_owned(),
    };

    let mut series = Vec::new();
    let mut ordered = chosen.clone();
    ordered.sort_by(|a, b| {
        match (a.hparam(&opts.color_by), b.hparam(&opts.color_by)) {
            (Some(x), Some(y)) => value_order(x, y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        }
        .then_with(|| a.run_uid.cmp(&b.run_uid))
    });
    for r in ordered {
        let mut run_steps: Vec<&StepRow> = steps
            .iter()
            .filter(|s| s.run_uid == r.run_uid && s.variant == 0)
            .collect();
        run_steps.sort_by_key(|s| s.step);
        let x_at = |s: &StepRow| match opts.x {
            CompareX::Step => Some(s.step as f64),
            CompareX::Tokens => s.total_tokens,
        };
        let mut points = Vec::new();
        match y {
            YSpec::Train(_) => {
                for s in &run_steps {
                    if let (Some(x), Some(v)) = (x_at(s), s.value) {
                        points.push((x, v));
                    }
                }
            }
            YSpec::Eval { .. } => {
                let rows =
                    pick_sources(evals.iter().filter(|e| e.run_uid == r.run_uid), &mut notes);
                for e in rows {
                    let Some(step) = e.step else {
                        notes.push(format!(
                            "{}: eval not tied to a step ({}), left out",
                            r.run_uid, e.source
                        ));
                        continue;
                    };
                    let x = match opts.x {
                        CompareX::Step => Some(step as f64),
                        CompareX::Tokens => run_steps
                            .iter()
                            .find(|s| s.step == step)
                            .and_then(|s| s.total_tokens),
                    };
                    match (x, e.value) {
                        (Some(x), Some(v)) => points.push((x, v)),
                        _ => notes.push(format!("{} step {step}: x or metric missing", r.run_uid)),
                    }
                }
            }
        }
        let before = points.len();
        points.retain(|(x, v)| {
            v.is_finite()
                && (x_scale == ScaleKind::Linear || *x > 0.0)
                && (y_scale == ScaleKind::Linear || *v > 0.0)
        });
        if points.len() < before {
            notes.push(format!(
                "{}: {} points not drawable (NaN, or <= 0 on a log axis)",
                r.run_uid,
                before - points.len()
            ));
        }
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        let v = r.hparam(&opts.color_by);
        series.push(Series {
            label: r.run_name.clone().unwrap_or_else(|| r.run_uid.clone()),
            group: group_of(v),
            points,
            style: style_of(v),
        });
    }
    if series.iter().all(|s| s.points.is_empty()) {
        return Err(PlotError::Empty(format!(
            "no {} values for the {} runs",
            y.label(None),
            opts.training_type
        )));
    }
    let mut legend: Vec<LegendEntry> = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    // A run with nothing to draw gets no legend row: the legend names only visible lines.
    for s in series.iter().filter(|s| !s.points.is_empty()) {
        if !seen.contains(&s.group.as_str()) {
            seen.push(&s.group);
            let n = series
                .iter()
                .filter(|t| t.group == s.group && !t.points.is_empty())
                .count();
            legend.push(LegendEntry {
                label: format!("{} ({n} run{})", s.group, if n == 1 { "" } else { "s" }),
                style: s.style.clone(),
            });
        }
    }
    let primary = evals.iter().find_map(|e| e.primary_metric_name.clone());
    let y_label = y.label(primary.as_deref());
    let (x_label, unit) = match opts.x {
        CompareX::Step => ("Post-training step", Unit::Steps),
        CompareX::Tokens => ("Post-training tokens", Unit::Tokens),
    };
    Ok(Plot {
        title: format!(
            "{y_label}: {} runs by {}",
            opts.training_type, opts.color_by
        ),
        x: Axis {
            label: x_label.to_owned(),
            scale: x_scale,
            unit,
            break_at: None,
        },
        y: Axis {
            scale: y_scale,
            ..Axis::linear(y_label)
        },
        series,
        bands: Vec::new(),
        markers: Vec::new(),
        legend_title: Some(opts.color_by.clone()),
        legend,
        notes,
    })
}
